"""What a pitch claims: its sentences (headings and a title run into the text left out), whether each proposes
something, what it rules out, and its polarity."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from service.rehearsal.readings import CONTRAST_RE, NOUN_BEFORE, moves_a_failure_down, polarity
from textkit.sentences import sentences
from textkit.words import has_verb_cue, words

MIN_CLAIM_WORDS = 5
MAX_CLAIM_WORDS = 70

# What the pitch proposes or asks for, as against its background.
PROPOSAL_RE = re.compile(
    # what someone else does is no proposal of the pitch's ("…so reliability is what they buy")
    r"\b(?<!\bthey )(?<!\bhe )(?<!\bshe )(?<!\bwho )(?<!\bcustomers )(?:propos\w*|recommend\w*|suggest\w*|we(?: |(?=['’]))(?:want|would like|['’]d like|plan|intend|aim|need|"
    r"should|will|['’]ll|"
    r"could|can)|i(?:'d| would)? (?:like|want|suggest|propose|recommend|ask)|let(?:'s| us| it| them| the| each| "
    r"drivers| planners)?|should|would|ask(?:ing)? (?:for|you)|request\w*|approv\w*|sign-?off|mandate|instead of|"
    r"rather than|(?:my|our|the) plan is|switch|move to|replace|" + NOUN_BEFORE + r"(?:drop|stop)|skip|cut|buy|order|acquire|take over|raise|"
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
    # The pitch's own words when `text` is a proposal put as a question read as a statement ("Why don't we let…?"
    # is read "We should let…"): what a push-back quotes.
    said: str = ""
    # Whether the sentence is the pitch's own way out ("If it does not move those numbers in eight weeks, we stop
    # it."): it stops what the pitch proposes, and rules out nothing of hers.
    exit: bool = False
    # Whether the sentence only states what the pitch's own success hangs on ("It only works if the mentors can give
    # four hours a week…", "The plan depends on…"): a condition of the pitch, not a position it takes.
    condition: bool = False

    @property
    def wording(self) -> str:
        """The claim as the pitch words it."""
        return self.said or self.text


# A proposal put as a question: "Why don't we let Dispatch Assist allocate loads on its own?", "…, so why not bid?",
# "Could we send customers their reports only in good months?", "Is there any reason the drivers couldn't learn it on
# the job?". What it asks is what it proposes; a question asking for facts ("What's the budget?") is no claim.
ASKED_RE = re.compile(
    r"^(?P<lead>.*?)\b(?:why (?:don['’]t|do not|not|shouldn['’]t|can['’]t|wouldn['’]t) (?:we|you|they|i)|why not|"
    r"(?:could|can|should|shall)(?:n['’]t)? we|would it (?:not )?(?:be (?:better|worth|best|simpler|easier)|make sense) "
    r"(?:for us )?to|what if we|how about(?: we| if we)?|isn['’]t it time (?:we|to))\s+(?P<rest>[^?]{3,}?)\s*\?$",
    re.IGNORECASE)
ASKED_REASON_RE = re.compile(
    r"^(?P<lead>.*?)\bis there (?:any|a|some) (?:good )?reason (?:why |that )?(?P<who>[^?]{2,60}?)\s+"
    r"(?:couldn['’]t|can['’]t|shouldn['’]t|wouldn['’]t|don['’]t|do not|could not|cannot|should not)\s+"
    r"(?P<rest>[^?]{3,}?)\s*\?$", re.IGNORECASE)


def asked_proposal(sentence: str) -> str | None:
    """A question that proposes something, as the statement it proposes ("Why don't we let it allocate loads?" ->
    "We should let it allocate loads."), or None for any other sentence."""
    text = " ".join(sentence.split())
    match = ASKED_REASON_RE.match(text)
    if match is not None:
        who = match.group("who")
        return f"{match.group('lead')}{who[0].upper() if not match.group('lead') else who[0]}{who[1:]} should " \
               f"{match.group('rest')}."
    match = ASKED_RE.match(text)
    if match is None:
        return None
    lead = match.group("lead")
    return f"{lead}{'we' if lead else 'We'} should {match.group('rest')}."


# A line break inside a paragraph that only wraps the text: the next line goes on in lower case, or the line before
# is long and ends without a sentence's closing mark.
_WRAP_RE = re.compile(r"(?<=\S)[ \t]*\n[ \t]*(?=[a-z0-9(])|(?<=[^.!?:\n]{60})[ \t]*\n[ \t]*(?=[A-Za-z])")


MAX_HEADING_WORDS = 10

# The pitch's way out of its own proposal: under a condition ("if…", "unless…"), stopping, ending or undoing "it",
# "this" or "the pilot" and nothing else ("If it does not move those numbers in eight weeks, we stop it.", "if
# either gets worse we go back", "Should the trial miss its target, we will end the trial.").
EXIT_RE = re.compile(
    r"\b(?:if|unless|should)\b[^.;:]*?,?\s*(?:then\s+)?(?:we|i)(?:['’]ll|['’]d| will| would| can| shall)?\s+"
    r"(?:just\s+)?(?:stop|end|drop|scrap|pause|cancel|kill|abandon|reverse|revert|unwind|close|shut|wind|switch back|"
    r"go back|roll\s+(?:it\s+|this\s+)?back|pull the plug)\b"
    r"(?:\s+(?:it|this|that|them|down|off|back|the (?:pilot|trial|test|experiment|change|scheme|programme|program|"
    r"project)))*(?:\s+(?:there|then|immediately|straight away|at once))?\s*[.!]?$", re.IGNORECASE)


# What the pitch's own success hangs on, said at the head of a sentence: "It only works if…", "This depends on…",
# "The pilot hinges on…", "Our riskiest assumption is…". The sentence names a condition of the pitch, and any words it
# shares with a line of hers ("…only when it works in the worst week of winter") are its form, not its subject.
OWN_CONDITION_RE = re.compile(
    r"^\W*(?:(?:and|but|so|of course|still)\W+)?(?:(?:it|this|that|all of this|the whole (?:thing|plan)|"
    r"(?:the|this|our) (?:[\w-]+ ){0,2}?(?:plan|pilot|trial|idea|proposal|scheme|project|programme|program|change|"
    r"case|model|approach))\s+(?:only\s+)?(?:works?|succeeds?|pays? off|holds?(?: up)?|stands? up)\s+(?:only\s+)?"
    r"(?:if|when|as long as|provided|on condition)\b|(?:it|this|that|everything|(?:the|this|our) (?:[\w-]+ ){0,2}?"
    r"(?:plan|pilot|trial|idea|proposal|scheme|project|programme|program|change|case|model|approach))\s+"
    r"(?:all\s+)?(?:depends|hinges|relies|rests) (?:on|upon)\b|(?:the|our|my) (?:riskiest|biggest|key|main|central|"
    r"one|first) assumption\b|(?:we|i)(?:['’]re| are| am|['’]m) assuming\b|"
    # "What has to be true: customers answer the text…", "For this to work, the data has to…"
    r"what (?:has|have|would have|will have|needs?|must) (?:to )?(?:be|hold|stay) true\b|"
    r"for (?:this|it|that|the (?:[\w-]+ ){0,2}?(?:plan|pilot|trial|idea|proposal|scheme|project)) to work\b)",
    re.IGNORECASE)


def is_condition(sentence: str) -> bool:
    """Whether a sentence only states what the pitch's own success hangs on (its condition or riskiest assumption)."""
    return OWN_CONDITION_RE.search(" ".join(sentence.split())) is not None


def is_exit(sentence: str) -> bool:
    """Whether a sentence only says when the pitch would stop or undo its own proposal."""
    return EXIT_RE.search(" ".join(sentence.split())) is not None



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
    """The pitch's sentences that can carry a claim (not fragments, nor questions other than proposals)."""
    claims = []
    before: list[str] = []
    for said in sentences:
        before.append(said)
        sentence = said
        if said.rstrip().endswith("?"):
            sentence = asked_proposal(said.rstrip()) or ""
            if not sentence:
                continue
        if not MIN_CLAIM_WORDS <= len(words(sentence)) <= MAX_CLAIM_WORDS:
            continue
        condition = is_condition(sentence)
        claims.append(Claim(text=sentence, proposal=bool(PROPOSAL_RE.search(sentence)) and not condition,
                            # (moving down a failure the pitch named before: "…from 6.1% to below 4.5%")
                            polarity=1 if moves_a_failure_down(sentence, " ".join(before[:-1])) else polarity(sentence),
                            contrast=bool(CONTRAST_RE.search(sentence)),
                            said=said if sentence != said else "", exit=is_exit(sentence), condition=condition))
    return claims
