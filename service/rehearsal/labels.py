"""Labels for the executive's stances as a person would write them: the memo's section heading when it names the
point, else a plain phrase of the sentence; never a document's title, least of all one made from a file name."""

from __future__ import annotations

import re

from service.search import PassageHit
from textkit.words import content_stems, words

# Headings that say where in a memo a sentence sits, not what it is about.
GENERIC_HEADING_RE = re.compile(
    r"^(?:the rules?|why(?: we are doing it| this matters.*)?|what (?:we are doing|is changing|this means.*|"
    r"we did|we got wrong|we ask of you|i owe you.*|would have to be true.*|we (?:are|will) (?:going to )?stop"
    r"(?: doing)?|(?:is )?(?:coming|next|ahead).*|(?:will|is going to) change.*)|what's (?:coming|next|ahead).*|looking (?:ahead|forward).*|"
    r"the (?:year|road) ahead|how (?:we will (?:decide|know if it works|report it)|this affects the drivers)|where we (?:are|start "
    r"from)|thank you|the numbers?|the plan.*|summary|background|introduction|next steps|on \w+|\d+\..*)$",
    re.IGNORECASE)


def stance_label(hit: PassageHit, sentence: str = "") -> str:
    """What a person would head the point with: the memo's section heading when it names the point, else a plain
    phrase of the sentence itself; never a document's title (which names the whole document, and for a transcript
    is made from its file name: "Town Hall Qa Transcript")."""
    heading = " ".join((hit.heading or "").split()).strip(" :")
    if (heading and heading != hit.title and not GENERIC_HEADING_RE.match(heading) and len(words(heading)) >= 2
            and names_the_point(heading, sentence)):
        return heading
    if not sentence.strip():
        return " ".join((hit.title or "").split())
    return stance_phrase(sentence)


# A heading that asks where, what, who or how ("Where you can go from here", "What we are asking of you").
_ASKING_HEADING_RE = re.compile(r"^(?:what|where|who|how|when)\b", re.IGNORECASE)
# Words that point back to an earlier sentence ("I will not accept either", "I want four in a row", "more of them").
_POINTS_BACK_RE = re.compile(r"\b(?:it|this|that|these|those|them|they|either|such|so|here|there|one|ones|in a row)\b",
                             re.IGNORECASE)


def names_the_point(heading: str, sentence: str) -> bool:
    """Whether a heading says what the sentence under it is about. A heading that asks where, what, who or how and
    shares no word of substance with the sentence ("Where you can go from here" over "We promote from the dock") only
    says where in the memo it sits, when the sentence's own phrase says its point without pointing back ("I will not
    accept either" needs the heading). Without the sentence, it may."""
    if not sentence.strip() or not _ASKING_HEADING_RE.match(heading):
        return True
    if set(content_stems(heading.lower())) & set(content_stems(sentence.lower())):
        return True
    phrase = stance_phrase(sentence)
    return len(words(phrase)) < 4 or _POINTS_BACK_RE.search(phrase) is not None


# Words that open a sentence without saying its point ("And…", "Here's where I land:").
_OPENING_RE = re.compile(r"^(?:(?:and|but|so|then|also|now|look)[,]?\s+)+", re.IGNORECASE)
# A lead-in before a colon that only announces the point ("Here's where I land:", "As a principle:").
LEAD_IN_RE = re.compile(r"\b(?:here's|here is|where i land|in one sentence|as a principle|(?:the|our|my)(?: own)? "
                        r"(?:rule|principle|point|test|answer|question)|let me|one thing|put simply|in short|"
                        r"to be clear)\b", re.IGNORECASE)
# A clause ends at a comma, a semicolon, a colon or a bracket, but not inside a figure ("9:30", "1,200").
_CLAUSE_END_RE = re.compile(r"\s*(?:(?<!\d)[,:]|[,:](?!\d)|[;(]|\s[—–-]\s|\s(?:because|so that)\s)")
PHRASE_WORDS = 10
_TRAILING = frozenset({"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by", "at", "from", "our",
                       "their", "its", "that", "we", "i", "is", "are", "be", "not", "will", "would", "can", "could",
                       "do", "does", "has", "have", "was", "were", "when", "where", "which", "who", "it", "they",
                       "you", "this", "these", "those", "than", "what", "if", "so", "but", "any", "some", "all", "each",
                       "every", "no", "such", "more", "most"})


def stance_phrase(sentence: str, max_words: int = PHRASE_WORDS) -> str:
    """A plain phrase for a stance, from its own words: its first clause (after a short lead-in ending in a colon),
    at most max_words words ("There is no automatic dispatch mode", "I don't want a heroic fix on Calder
    Dispatch")."""
    text = " ".join(sentence.split()).rstrip(".!?")
    head, colon, rest = text.partition(":")
    if colon and LEAD_IN_RE.search(head) and len(words(rest)) >= 4:
        text = rest.strip()
    text = _OPENING_RE.sub("", text)
    end = _CLAUSE_END_RE.search(text)
    clause = text[:end.start()] if end is not None and len(words(text[:end.start()])) >= 4 else text
    tokens = clause.split()
    cut = len(tokens) > max_words
    tokens = tokens[:max_words]
    # A whole clause ends where its writer ended it ("…describing any of this"); only a phrase cut short is trimmed
    # back to a word that carries meaning.
    while cut and len(tokens) > 3 and tokens[-1].lower().strip(",;") in _TRAILING:
        tokens.pop()
    phrase = " ".join(tokens).strip(" ,;\"“”'")
    phrase = phrase[:1].upper() + phrase[1:]
    return phrase + ("…" if cut else "")


__all__ = ["GENERIC_HEADING_RE", "stance_label", "stance_phrase"]
