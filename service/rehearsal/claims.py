"""What a pitch claims: its sentences (headings and a title run into the text left out), whether each proposes
something, what it rules out, and its polarity."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from service.rehearsal.readings import CONTRAST_RE, polarity
from textkit.sentences import sentences
from textkit.words import has_verb_cue, words

MIN_CLAIM_WORDS = 5
MAX_CLAIM_WORDS = 70

# What the pitch proposes or asks for, as against its background.
PROPOSAL_RE = re.compile(
    r"\b(?:propos\w*|recommend\w*|suggest\w*|we(?: |(?=['’]))(?:want|would like|['’]d like|plan|intend|aim|need|"
    r"should|will|['’]ll|"
    r"could|can)|i(?:'d| would)? (?:like|want|suggest|propose|recommend|ask)|let(?:'s| us| it| them| the| each| "
    r"drivers| planners)?|should|would|ask(?:ing)? (?:for|you)|request\w*|approv\w*|sign-?off|mandate|instead of|"
    r"rather than|(?:my|our|the) plan is|switch|move to|replace|drop|stop|skip|cut|buy|order|acquire|take over|raise|"
    r"lower|commit|"
    r"trial|pilot|roll ?out|introduce|launch|start|make)\b|"
    # what the speaker would do, in everyday wording: "I'd go straight to a search firm", "we'd put those routes back",
    # "I would write a target into…" (not what they would have done, nor what would be the case)
    r"\b(?:i|we)(?:['’]d| would)\s+(?:just\s+|rather\s+|also\s+|then\s+)?(?!have\b|be\b|been\b|not\b|never\b)[a-z]+",
    re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """A sentence of the pitch, whether it proposes something, and its polarity."""

    text: str
    proposal: bool
    polarity: int
    contrast: bool


# A line break inside a paragraph that only wraps the text: the next line goes on in lower case, or the line before
# is long and ends without a sentence's closing mark.
_WRAP_RE = re.compile(r"(?<=\S)[ \t]*\n[ \t]*(?=[a-z0-9(])|(?<=[^.!?:\n]{60})[ \t]*\n[ \t]*(?=[A-Za-z])")


MAX_HEADING_WORDS = 10


def claim_sentences(text: str) -> list[str]:
    """The pitch's sentences, lines that only wrap a paragraph joined, without its headings (a paragraph of one
    short line: "Dispatch Assist: full automation for Calder North.")."""
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", unwrapped(text)):
        if "\n" not in paragraph.strip() and len(words(paragraph)) <= MAX_HEADING_WORDS:
            continue
        found += sentences(paragraph)
    if found and is_run_in_title(found[0]):
        found = found[1:]
    return found


def is_run_in_title(sentence: str) -> bool:
    """Whether a pitch's first sentence is its title run into the text ("New tyres for the urban vans."): short and
    with no verb, so it claims nothing."""
    return len(words(sentence)) <= MAX_HEADING_WORDS and not has_verb_cue(sentence)


def unwrapped(text: str) -> str:
    """The text with line breaks that only wrap a paragraph (a pasted or extracted pitch) joined, so that a sentence
    broken over two lines is read as one claim; blank lines and short heading lines stay."""
    return _WRAP_RE.sub(" ", text.replace("\r\n", "\n"))


def pitch_claims(sentences: Iterable[str]) -> list[Claim]:
    """The pitch's sentences that can carry a claim (not questions, not fragments)."""
    claims = []
    for sentence in sentences:
        if sentence.rstrip().endswith("?") or not MIN_CLAIM_WORDS <= len(words(sentence)) <= MAX_CLAIM_WORDS:
            continue
        claims.append(Claim(text=sentence, proposal=bool(PROPOSAL_RE.search(sentence)), polarity=polarity(sentence),
                            contrast=bool(CONTRAST_RE.search(sentence))))
    return claims
