"""Messages that are not questions ("thanks!", "hi", "great, got it"): answered in kind, never with quotes."""

from __future__ import annotations

import re

from textkit.stopwords import word_set
from textkit.words import words

_THANKS = word_set("thanks thank thx ty cheers appreciate appreciated")
_GREETING = word_set("hi hello hey morning afternoon evening")
# Words that may sit beside a courtesy without making it a question ("thanks so much, Dana", "ok great").
_COURTESY = _THANKS | _GREETING | word_set("""
you so much very lot a again for that this it the ok okay great good cool perfect nice awesome got understood
noted makes sense all clear helpful really bye goodbye see later dear and
""")
MAX_COURTESY_WORDS = 8
THANKS_REPLY = "You're welcome. Ask me anything else."
GREETING_REPLY = "Hello. What would you like to ask me?"
ACKNOWLEDGED_REPLY = "Good. Ask me anything else."


def courtesy_reply(message: str, name: str = "") -> str | None:
    """The reply to a message that is only thanks, a greeting or an acknowledgement (the twin's `name` may be in it);
    None for anything else."""
    names = set(words(name))
    said = [w for w in words(message) if w not in names]
    if not said or len(said) > MAX_COURTESY_WORDS or "?" in message or not all(w in _COURTESY for w in said):
        return None
    if any(w in _THANKS for w in said):
        return THANKS_REPLY
    if any(w in _GREETING for w in said):
        return GREETING_REPLY
    return ACKNOWLEDGED_REPLY


# A request that she do something for the asker ("Can you approve my leave request?", "Could you book me a van?"):
# a twin cannot act, and a quote that happens to say "Agreed" would read as a yes.
_ACT = (r"approve|sign\s+off|authori[sz]e|okay|ok|grant|book|schedule|reschedule|cancel|process|submit|transfer|"
        r"reset|unlock|order|arrange|expense|reimburse|extend|renew|swap|move|add|remove|assign|enrol|enroll|register")
REQUEST_RE = re.compile(rf"^(?:(?:please|so|and|also)\W+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+|just\s+|"
                        rf"quickly\s+|kindly\s+)?|please\s+)(?:{_ACT})(?:\s+(?:off|on|for|through|out|in))?\s+"
                        rf"(?:me|my|mine)\b", re.IGNORECASE)
REQUEST_REPLY = ("I can't act on requests: I'm an AI twin that answers questions from {name}'s approved sources, not "
                 "{name}. Please take the request to the person who handles it.")


def request_reply(message: str, name: str = "") -> str | None:
    """The reply to a request that the twin do something for the asker (approve, book, send…); None otherwise."""
    if not REQUEST_RE.search(message.strip()):
        return None
    return REQUEST_REPLY.format(name=name or "the executive")


_SALUTATION = r"(?:(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|morning|dear)\b[ ,]*)"


def without_address(message: str, name: str = "") -> str:
    """A question without the greeting or the twin's name it is addressed with ("Hey Dana, why cold chain?" is "why
    cold chain?"; "…, Dana?" is "…?"): what is searched and answered. A message that is nothing else stays whole."""
    names = [n for n in (name.strip(), (name.split() or [""])[0]) if n]
    called = "|".join(re.escape(n) for n in dict.fromkeys(names))
    person = rf"(?:{called})\b" if called else r"(?!)"
    head = re.compile(rf"^\s*(?:{_SALUTATION}(?:{person})?|{person})\s*[,!.:;\u2013\u2014-]+\s*", re.IGNORECASE)
    tail = re.compile(rf"\s*,\s*{person}\s*(?=[?.!]*\s*$)", re.IGNORECASE)
    stripped = tail.sub("", head.sub("", message, count=1), count=1).strip()
    return stripped if words(stripped) else message


_TITLES = frozenset({"President", "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.", "Senator", "Governor",
                     "Chairman", "CEO"})
_TITLE = rf"(?:(?:{'|'.join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))})\s+)?"
# The verb before the name agrees with it; put to "you" it changes ("What does Dana think…" -> "What do you think…").
_AGREEING = {"does": "do", "is": "are", "was": "were", "has": "have", "doesn't": "don't", "isn't": "aren't",
             "wasn't": "weren't", "hasn't": "haven't"}


def asked_of_them(message: str, name: str = "") -> str:
    """A question that names the twin's executive in the third person, put to them ("What questions will Dana ask me
    in a meeting?" is "What questions will you ask me in a meeting?"): their sources say "I", not their name, so the
    name would count as a word they never hold. Names are matched as written (capitalised), so "the bill" stays,
    and a last name after another first name is someone else ("Michelle Obama", "Jeb Bush")."""
    parts = name.split()
    if not parts:
        return message

    def replaced(match: re.Match[str]) -> str:
        before = message[:match.start()].split()
        if match.group("last") and before and before[-1][:1].isupper() and before[-1] not in _TITLES \
                and len(before) > 1 and not before[-2].endswith((".", "?", "!", ":")):
            return match.group(0)
        you = "your" if match.group("possessive") else "you"
        if verb := match.group("verb"):
            agreeing = _AGREEING.get(verb.lower(), verb)
            return f"{agreeing[:1].upper() + agreeing[1:] if verb[:1].isupper() else agreeing} {you}"
        opens = not before or before[-1].endswith((".", "?", "!", ":"))
        return you.capitalize() if opens else you

    full, first, last = (re.escape(" ".join(parts)), re.escape(parts[0]),
                         re.escape(parts[-1]) if len(parts) > 1 else r"(?!)")
    pattern = re.compile(rf"(?:\b(?P<verb>(?i:does|is|was|has|doesn't|isn't|wasn't|hasn't))\s+)?\b{_TITLE}"
                         rf"(?:{full}|{first}|(?P<last>{last}))(?:(?P<possessive>['’]s)\b|\b(?!['’-]))")
    said = pattern.sub(replaced, message)
    return said if words(said) else message
