"""Labels for the executive's stances as a person would write them: the memo's section heading when it names the
point, else a plain phrase of the sentence; never a document's title, least of all one made from a file name."""

from __future__ import annotations

import re

from service.search import PassageHit
from textkit.words import words

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
    if heading and heading != hit.title and not GENERIC_HEADING_RE.match(heading) and len(words(heading)) >= 2:
        return heading
    if not sentence.strip():
        return " ".join((hit.title or "").split())
    return stance_phrase(sentence)


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
