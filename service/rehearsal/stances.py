"""The executive's explicit positions ("we will not…", "X stays…", "…, not automatic") and the pitch's claims, and
which claims run against which positions.

No inference model ships with the product, so a contradiction is read from three things: how close in meaning a
claim of the pitch is to a stance (the embedded sentence model), the polarity of each (what it rules out versus what
it affirms: negations, limits, "instead of", "X, not Y"), and whether the claim is the pitch's proposal rather than
its background. The thresholds are fitted on a development split of bench/data/rehearsal/pitches.jsonl and reported
on its held-out split by bench/rehearsal.py.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.rehearsal.claims import Claim
from service.rehearsal.directions import (
    CHOICES,
    claim_directions,
    conditions_met,
    directions,
    figures,
    moved_to,
    opposed,
    stance_parts,
)
from service.rehearsal.labels import stance_label
from service.rehearsal.limits import Limit, Quantity, limit_leanings, limits, proposed_quantities
from service.rehearsal.meaning import Embed, cached_vectors
from service.rehearsal.readings import (
    LESS_OF_A_FAILURE_RE,
    NOT_B_RE,
    OPPOSITES,
    RULE_OUT_RE,
    Reading,
    claim_condition,
    heading_sides,
    held_comparative,
    polarity,
    reading,
    stance_condition,
    unmet_condition,
)
from service.search import PassageHit
from textkit.sentences import is_table_row, sentence_spans
from textkit.stems import stem
from textkit.words import content_words, words

MIN_STANCE_WORDS = 5
MAX_STANCE_WORDS = 45

# A position the executive holds: a line drawn ("we will not…", "no driver will…", "…, not automatic"), a rule
# ("…must…", "…stays at…", "every serious incident reaches me…"), or a commitment about how things are done.
_LIMIT = (r"\b(?:we|i)(?:'re|'m| are| am)?\s+(?:will not|won't|do not|don't|never|cannot|can't|can not|must not|"
          r"mustn't|will never|are not going to|aren't going to|am not going to|'m not going to|'re not going to|"
          r"refuse to|will stop|are going to stop|would rather|'d rather|will only|only)\b|"
          r"\b(?:we|i)['’]d rather\b|"
          r"^(?:and |but |so )?no\s+\w+|\bthere is no\b|\bwill never\b|\bis never\b|\bnever (?:be|plans?|asks?)\b|"
          r"\bno\s+(?:\w+\s+){0,3}(?:will|is|are|leaves|goes|makes|changes|gets|comes|means)\b")
_CONTRAST = r",\s*not\s+(?:\w+\s*){1,4}[.!]?$|\b(?:is|are) not (?:a|an|the|for)\b"
_RULE = (r"\b(?:must|has to|have to|always|stays?|remains?|non-negotiable|is a condition|owns every|owns the|"
         r"(?:every|each|any) (?:\w+ ){0,3}(?:reaches|goes|gets|has to|will|comes|must)|the rule is|our (?:own )?rule|"
         r"(?:we|i) (?:look|keep|publish|measure|price|promote|hire|build|run|report|treat|electrify|decide) |"
         r"(?:we|i) (?:will|'ll) measure [^.;:]{0,40}? by )\b")
# A preference or expectation she states ("I'd like every office team to spend at least one anchor day a month at a
# depot", "I want it to be at least 60%"), not what she wants to say or hear ("I want to tell you a short story…").
_PREFERENCE = (r"\b(?:i|we)(?:['’]d like| would like| want| expect)\s+"
               r"(?!to (?:tell|talk|be|say|thank|hear|know|understand)\b)")
# A judgement that something is not ready ("Electric tractors for long-haul are not ready for our lanes…").
_NOT_READY = r"\b(?:(?:is|are)\s+not|isn['’]t|aren['’]t)\s+(?:yet\s+)?ready\b"
# A rule for every case, stated in the present tense: "Every proposal that needs a decision comes as a written
# memo…", "Any driver whose route does not work in bad weather flags it…", "Every quote is now checked against…".
_EVERY_CASE = (r"\b(?:every|each|any)\s+(?:[\w$,.'’-]+\s+){1,9}?(?:comes|gets|goes|reaches|names|flags|must|can|will|"
               r"has to|is (?:now )?(?:checked|published|read|reviewed|agreed|trained))\b")
STANCE_RE = re.compile(f"{_LIMIT}|{_RULE}|{_PREFERENCE}|{_NOT_READY}|{_EVERY_CASE}", re.IGNORECASE)
# A target she sets in a percentage ("Our target is 94% by 2026.", "Cold chain at 18% of revenue by the end of 2026,
# with on-time in full above 98% on cold chain lanes, higher than the company target…"): a position a pitch proposing
# another figure for the same thing runs against, though it has no modal.
TARGET_STANCE_RE = re.compile(r"\b(?:target|goal)s?\b", re.IGNORECASE)
# ...not a sentence about telling it ("Three weeks ago I promised to explain why our on-time in full target is 97%").
TOLD_RE = re.compile(r"\b(?:ago|promised|explain\w*|asked|told)\b", re.IGNORECASE)
TARGET_FIGURE_RE = re.compile(r"\d(?:[\d.]*)\s*(?:%|percent|per cent)", re.IGNORECASE)
CONTRAST_STANCE_RE = re.compile(_CONTRAST, re.IGNORECASE)
# Narrative, not position: what happened once.
PAST_RE = re.compile(r"\b(?:used to|was|were|had|did|asked|told|ordered|found|said)\b", re.IGNORECASE)
# A pitch's report of what was ("Last quarter on-time-in-full at Eastgate was 96.4%."): its figures are where things
# stood, not figures it proposes, and hold it to no limit of hers ("…we will be above 97%").
REPORTED_RE = re.compile(r"\b(?:was|were|had been|used to|last (?:quarter|year|month|week|winter|summer|spring|autumn|"
                         r"fall))\b", re.IGNORECASE)
MODAL_RE = re.compile(r"\b(?:will|won't|must|never|always|do not|don't|has to|have to)\b", re.IGNORECASE)
# Sentences that hold no position on the business: asides about what one can say or knows.
NOT_A_STANCE_RE = re.compile(
    r"\b(?:i|we)\s+(?:will not|won't|cannot|can't|do not|don't|am not going to)\s+(?:yet\s+)?(?:pretend|comment|speak|"
    r"talk|tell|know|think|dismiss|promise|remember|say|read|control|expect)\b|\bthank|\bnot (?:sure|luck|a coincidence)\b"
    r"|\bi (?:did not|didn't)\b|\bnot a technical fault\b"
    # a question she was asked and reports, and an explanation of what is or was the case, not a position
    r"|\b(?:i|we) (?:have been|am|are|was|were|get)(?: also| often)? asked\b|\b(?:the )?(?:honest )?answer is\b"
    r"|^(?:the|that|this|it)\s+(?:\w+\s+)?(?:is|was|are|were)\s+not\b|\bnot (?:the|a) (?:problem|fault|issue|point)\b"
    r"|\b(?:estimates?|takes between|is worth|are worth)\b"
    # what happens if something is done ("If we price below cost, one of two things happens: we lose money, or…"):
    # the consequences it warns of, which lean the way of what it warns against, not her position
    r"|^if\b[^.;:]*,\s*(?:[\w'-]+\s+){0,5}happens\b",
    re.IGNORECASE)
# A fact about how things are, not a position: what is the case today ("We run three dispatch systems today: …"), or a
# count of what happened ("…has changed carrier three times in six years"), with no word of intent, rule or preference.
STATE_RE = re.compile(
    r"\b(?:today|currently|at present|at the moment|these days|so far|to date|as of|right now)\b|"
    r"\b\d[\d,.]*\b|\b(?:once|twice|(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|"
    r"fifty|hundred)\s+(?:times|years|months|weeks|million|billion|thousand|percent))\b", re.IGNORECASE)
INTENT_RE = re.compile(
    r"\b(?:will|won't|shall|must|never|always|should|has to|have to|had better|need to|needs to|want|wants|would|'d|"
    r"rather|only|not|no|n't|nobody|none|cannot|every|each|any|all|target|goal|aim|plan|promise|commit\w*|rule|"
    r"principle|condition|stays?|remains?|keep|decid\w*|at least|at most|no more than|first(?!-)|by (?:the end of )?"
    r"(?:\d{4}|january|february|march|april|may|june|july|august|september|october|november|december))\b|n't\b",
    re.IGNORECASE)
# What happened, said with a negation ("…we didn't have to win again"): narrative, not a line drawn.
PAST_NEGATION_RE = re.compile(r"\b(?:did not|didn't|had not|hadn't|was not|wasn't|were not|weren't)\b(?: have to)?",
                              re.IGNORECASE)

# A line drawn under a condition the sentence opens with ("If it slips, I will tell you, and we will not fill the gap
# by putting vans on routes that do not work"; "When a depot falls, we will ask…"): it holds only where that holds.
OPENING_CONDITION_RE = re.compile(r"^\W*(?:and |but |so )?(?P<condition>(?:if|when|whenever|unless|should|in case)\b"
                                  r"[^,;:]{2,120}?),", re.IGNORECASE)


def opening_condition(sentence: str) -> str:
    """The condition a stance sentence opens with ("If it slips"), or "" when it opens with none."""
    match = OPENING_CONDITION_RE.match(sentence)
    return match.group("condition").strip() if match else ""


@dataclass(frozen=True)
class Stance:
    """A position the executive states, the sentence exactly as in its passage, and a label a person would write."""

    text: str
    hit: PassageHit
    audience: str
    label: str
    polarity: int  # -1: it rules something out; +1: it affirms a rule or commitment
    # When its memo or section is headed "A, not B" ("Assistive, Not Automatic"): what she affirms and what she rules
    # out, each with the subject ("Dispatch Assist: assistive" / "Dispatch Assist: automatic").
    sides: tuple[str, str] | None = None
    # False when the source's title was made from its file name ("Town Hall Qa Transcript"): never shown as a label.
    own_title: bool = True

    @property
    def source_id(self) -> int:
        return self.hit.source_id

    @property
    def embedding_text(self) -> str:
        """What is embedded: the sentence with its heading, which says what it is about ("A human dispatcher owns
        every call: There is no automatic dispatch mode…")."""
        heading = self.hit.heading or ""
        return f"{heading}: {self.text}" if heading and heading != self.hit.title else self.text


@dataclass(frozen=True)
class Clash:
    """A claim of the pitch against a stance of the executive's, and how sure the reading is (0 to 1)."""

    claim: Claim
    stance: Stance
    similarity: float
    score: float
    # Read from opposite leanings on a common choice (or a figure she rules out), not from negations or parts alone.
    by_direction: bool = False


def is_stance(sentence: str) -> bool:
    """Whether a sentence states a position: a line drawn, a rule, a commitment."""
    n = len(words(sentence))
    # A question, or a sentence that only introduces what follows it ("…four things have to be true:").
    if not MIN_STANCE_WORDS <= n <= MAX_STANCE_WORDS or sentence.rstrip().endswith(("?", ":")):
        return False
    if "|" in sentence or NOT_A_STANCE_RE.search(sentence):
        return False
    if PAST_RE.search(sentence) and not MODAL_RE.search(sentence):
        return False
    if is_state_of_affairs(sentence):
        return False
    main = main_clauses(sentence)
    # ("A, not B" may close the sentence or come before a clause saying why: "…we need more dispatchers, not fewer,
    # because our volume… is growing")
    said = REASON_TAIL_RE.sub(".", sentence)
    return bool(STANCE_RE.search(main) or (len(words(said)) <= 20 and CONTRAST_STANCE_RE.search(said))
                or states_target(sentence))


def states_target(sentence: str) -> bool:
    """Whether a sentence sets a target in a percentage ("Our target is 94% by 2026.")."""
    return bool(TARGET_STANCE_RE.search(sentence) and TARGET_FIGURE_RE.search(sentence)
                and not TOLD_RE.search(sentence) and any(limit.measure == "percent" for limit in limits(sentence)))


@functools.lru_cache(maxsize=4096)
def target_only(sentence: str) -> bool:
    """Whether a stance is one only for the target it sets in a percentage (no modal, rule or line of its own): it
    holds a pitch to that figure, and to nothing else it says."""
    if not states_target(sentence):
        return False
    said = REASON_TAIL_RE.sub(".", sentence)
    return not (STANCE_RE.search(main_clauses(sentence)) or (len(words(said)) <= 20 and CONTRAST_STANCE_RE.search(said)))


# A clause closing a sentence that only says why ("…, because our volume is growing").
REASON_TAIL_RE = re.compile(r",\s*(?:because|since|as|so that)\b.*$", re.IGNORECASE)


# A rule word in a clause that describes a noun or says what would be the case ("A customer who never has to think
# about us…", "the ones that have to come to us", "what would have to be true", "a benefit I cannot measure") says
# nothing of the sentence's own position: the clause's opening, through the rule word, is left out.
EMBEDDED_CLAUSE_RE = re.compile(
    r"(?<=\w )(?:who|that|which|whom|what)\s+(?:[\w'’]+\s+){0,2}?(?:(?:has to|have to|had to|must|never|always|"
    r"only|cannot|can't|stays?|remains?)\b\s*)+|\b(?:a|an|the|any)\s+\w+\s+(?:i|we|you|they)\s+(?:cannot|can't)\s+\w+",
    re.IGNORECASE)
# "stays"/"remains" as a rule ("Our target remains 40%", "the target stays at forty", "we will stay there"), not what a
# customer does ("they stay, because…").
STAYS_RE = re.compile(r"\b(?:stays?|remains?)\b(?! (?:at|above|below|there|in place|the same|unchanged|open|closed|"
                      r"on|off|\d|with (?:us|the)))", re.IGNORECASE)


def main_clauses(sentence: str) -> str:
    """The sentence without the clauses that only describe a noun or say what would be the case, and without "stays"
    where it is not a rule: what it says in its own voice."""
    return STAYS_RE.sub(" ", EMBEDDED_CLAUSE_RE.sub(" ", sentence))


def is_state_of_affairs(sentence: str) -> bool:
    """Whether a sentence describes how things are or were ("We run three dispatch systems today…") with no word of
    intent, commitment, rule or preference: a fact, which a pitch cannot run against or leave out."""
    said = PAST_NEGATION_RE.sub(" ", sentence)
    return bool(STATE_RE.search(said)) and not INTENT_RE.search(said)


def position_sides(hit: PassageHit) -> tuple[str, str] | None:
    """The contrast a stance's section or memo is headed by (the section's heading first)."""
    for heading in (hit.heading, hit.title):
        if heading:
            sides = heading_sides(heading, hit.title or "")
            if sides is not None:
                return sides
    return None


# A list item run into the text ("…cold water on every truck. - No truck leaves a depot with…"): its own sentence.
BULLET_RE = re.compile(r"(?:^|(?<=[.!?]))\s*[-\u2013\u2022*]\s+(?=\S)")


def item_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence's span split into the list items run into it, each without its bullet."""
    spans, at = [], start
    for match in BULLET_RE.finditer(text, start, end):
        if match.start() > at and text[at:match.start()].strip():
            spans.append((at, match.start()))
        at = match.end()
    if text[at:end].strip():
        spans.append((at, end))
    return spans


def stances_in(hit: PassageHit, audience: str, own_title: bool = True) -> list[Stance]:
    """The stance sentences of one executive passage, a list item run into a sentence read as its own (own_title:
    False when its source is titled by file name)."""
    found = []
    for start, end in (item for span in sentence_spans(hit.text) for item in item_spans(hit.text, *span)):
        sentence = hit.text[start:end].strip()
        if is_stance(sentence) and not is_table_row(sentence):
            found.append(Stance(text=sentence, hit=hit, audience=audience,
                                label=stance_label(hit, sentence), polarity=polarity(sentence),
                                sides=position_sides(hit), own_title=own_title))
    return found


# --- vectors -----------------------------------------------------------------------------------------------------

def stance_vectors(embed: Embed, stances: Sequence[Stance]) -> np.ndarray:
    """Unit vectors of the stances, remembered across rehearsals (the corpus changes rarely)."""
    return cached_vectors(embed, [s.embedding_text for s in stances])


# --- contradictions ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClashWeights:
    """How a (claim, stance) pair is read; fitted on the development split by bench/rehearsal.py --fit."""

    # Below this closeness in meaning (claim to stance sentence) the claim is about something else.
    floor: float = 0.3
    # ...and a claim leaning to the opposite pole of a common choice (directions.py) below this one.
    lean_floor: float = 0.3
    # Weight of the pitch as a whole being about the stance's memo and section (title and heading).
    topic: float = 1.0
    # A claim that is the pitch's proposal, not its background.
    proposal: float = 0.0
    # The score a pair with opposite polarity needs to be called a contradiction.
    threshold: float = 0.74
    # When a stance that agrees with the claim (same polarity) scores this much above the clash, the claim is taken
    # to restate her position, not to run against it.
    agreement: float = 0.0
    # Only positions she holds across sources count (said in at least this many, by meaning): a one-off line in
    # one meeting or e-mail is not a stance to hold a pitch to...
    recurring: int = 1
    # ...unless it is written down in a memo or a talk, when `written` is set.
    written: bool = True
    # Under a contrast heading, how much nearer the ruled-out side than the affirmed side a claim must be.
    lean: float = 0.1
    # A clash read from polarity or parts alone (not from a leaning on a common choice) needs the claim and the stance
    # to share a word of substance, names aside.
    shared_subject: bool = True
    # Only the pitch's proposals are held to her positions (its background and figures are not), when it has any.
    proposals_only: bool = False
    # Polarity read clause by clause (what each sentence holds and what it rules out, compared by meaning): "only"
    # that, "either" that or the whole sentences' negations, "both", "contrast" (by parts where either sentence says
    # "A, not B", by negations elsewhere), "never" (negations only).
    by_reading: str = "contrast"
    # How much nearer the crossing parts (proposed vs ruled out) must be than the agreeing ones.
    margin: float = 0.0
    # Which way each leans on a common choice (build or buy, a person or the machine, slides or a memo…) decides
    # when it can: opposite poles are a clash even without a "not", the same pole is agreement whatever the negations.
    by_direction: bool = True
    # Added to the score of a pair that leans to opposite poles of a choice.
    direction: float = 0.3
    # Added when the stance's own sentence (not only its heading or its memo's title) leans to the other pole.
    own_lean: float = 0.1
    # A claim leaning against a stance is as close to it as the whole pitch is.
    whole_pitch: bool = True
    # A claim that waits for the condition a stance draws its line under keeps to it.
    by_condition: bool = True
    # Clashes with stances of other sources scoring within this much of the strongest are a near tie, decided not by
    # the topic term (how near the whole pitch is to each memo) but by the claim: a proposal before a side claim, then
    # a clash read from opposite leanings on a common choice before one read from negations or parts alone, then the
    # claim closest in meaning to its stance sentence; when that stance states the same position as the strongest's,
    # the strongest (its memo nearer the pitch) stays.
    near_tie: float = 0.05
    # A line drawn under a condition it opens with ("If it slips, … we will not fill the gap by putting vans on
    # routes…") is held against a claim only when the claim is at least this close in meaning to that condition: a
    # pitch about van seats is not one where the grid upgrade slipped.
    condition_floor: float = 0.4
    # A figure of a claim beyond a limit a stance sets in the same measure (72 hours against "within 24 hours", three
    # days of parallel running against "at least two weeks") leans against it, and one inside every such limit leans
    # with it, when the claim or the whole pitch is at least this close in meaning to the stance: "a 48-hour
    # cooling-off" is not about how soon an incident reaches her.
    limit_floor: float = 0.45


# Two stance sentences say the same thing when at least this close in meaning.
SAME_POSITION = 0.6


def recurrence(stances: Sequence[Stance], vectors: np.ndarray) -> np.ndarray:
    """For each stance, in how many sources the executive states something this close to it (its own included)."""
    if not stances or vectors.size == 0:
        return np.zeros(len(stances), dtype=int)
    close = vectors @ vectors.T >= SAME_POSITION
    source = np.array([s.source_id for s in stances])
    return np.array([len(set(source[close[k]].tolist())) for k in range(len(stances))], dtype=int)


def eligible(stances: Sequence[Stance], corpus: StanceVectors, weights: ClashWeights) -> np.ndarray:
    """The stances a pitch can be held to: written positions (memos, talks) and positions said in several sources."""
    counts = corpus.recurrence
    written = np.array([weights.written and s.hit.kind in ("memo", "talk") for s in stances], dtype=bool)
    return written | (counts >= weights.recurring)


DEFAULT_CLASH = ClashWeights()


@dataclass
class PitchVectors:
    """The claims' vectors and the pitch's as a whole."""

    claims: np.ndarray
    pitch: np.ndarray
    both_ways: np.ndarray | None = None  # claims that both propose something and rule something out
    holds: Segments | None = None  # what each claim proposes, clause by clause
    rules_out: Segments | None = None  # what each claim would drop or do without, said affirmatively
    directions: np.ndarray | None = None  # which pole of each common choice each claim leans to (directions.py)
    figures: list[tuple[float, ...]] | None = None  # the percentages each claim proposes
    conditions: list[frozenset[str]] | None = None  # the condition each claim says it waits for ("once…")
    lacks: bool = False  # the pitch says we lack what it asks for ("nobody on our staff is qualified…")
    quantities: list[tuple[Quantity, ...]] | None = None  # the figures with a unit and times of day each claim names
    actions: Segments | None = None  # what each proposal would do, as an action and its object (proposed_actions)
    dropped: Segments | None = None  # what each proposal would stop or do without, as an action (dropped_actions)


@dataclass
class Segments:
    """Vectors of sentence parts and which sentence each belongs to."""

    vectors: np.ndarray
    owner: np.ndarray


def segments(embed: Embed, parts: Sequence[Sequence[str]], *, cached: bool) -> Segments:
    """The parts' vectors, each row tagged with the index of the sentence it came from."""
    texts = [t for group in parts for t in group]
    owner = np.array([k for k, group in enumerate(parts) for _ in group], dtype=int)
    if not texts:
        return Segments(np.zeros((0, 0), dtype=np.float32), owner)
    vectors = cached_vectors(embed, texts) if cached else np.asarray(embed(texts), dtype=np.float32)
    return Segments(vectors, owner)


def group_max(a: Segments, b: Segments, rows: int, cols: int) -> np.ndarray:
    """For each (sentence of a, sentence of b), the highest similarity between their parts (-1 when either has
    none). Parts are stored sentence by sentence, so each sentence's rows are one run."""
    out = np.full((rows, cols), -1.0, dtype=np.float32)
    if a.vectors.size == 0 or b.vectors.size == 0:
        return out
    similarity = a.vectors @ b.vectors.T
    b_owners, b_starts = np.unique(b.owner, return_index=True)
    a_owners, a_starts = np.unique(a.owner, return_index=True)
    by_col = np.maximum.reduceat(similarity, b_starts, axis=1)
    out[np.ix_(a_owners, b_owners)] = np.maximum.reduceat(by_col, a_starts, axis=0)
    return out


@dataclass
class StanceVectors:
    """The stances' vectors and their memo-and-section topics'."""

    sentences: np.ndarray
    topics: np.ndarray
    recurrence: np.ndarray  # in how many sources each stance is said (by meaning)
    same: np.ndarray  # which stances say the same thing (by meaning)
    affirmed: np.ndarray  # the contrast's sides (zero rows for stances under no contrast heading)
    ruled_out: np.ndarray
    contrast: np.ndarray  # whether each stance has sides
    # whether each stance is put as "A, not B" or holds one thing and rules out another: its parts say which is which
    said_as_contrast: np.ndarray
    holds: Segments  # what each stance holds, clause by clause (with its heading's affirmed side)
    rules_out: Segments  # what each stance rules out, said affirmatively (with its heading's ruled-out side)
    directions: np.ndarray  # which pole of each common choice each stance leans to (directions.py)
    ruled_figures: list[tuple[float, ...]]  # the figures each stance rules out ("97%, not 99")
    conditions: list[frozenset[str]]  # the condition each stance draws its line under ("vans we cannot charge")
    # the exception each stance allows by its own words ("We will keep hiring from outside where we need skills we do
    # not have"): which way it leans, zero rows for stances that state none
    exceptions: np.ndarray | None = None
    # the comparative each stance holds against its opposite ("more of them reported, not fewer": more), or ""
    comparatives: list[str] | None = None
    # the condition each stance opens with ("If it slips"), embedded; zero rows for stances that open with none
    openings: np.ndarray | None = None
    conditional: np.ndarray | None = None
    # what each stance rules out, as the action and its object ("bidding for regional parcel tenders outside Port
    # Calder"), and what it holds, each without its subject, modal and side clauses
    ruled_actions: Segments | None = None
    held_actions: Segments | None = None
    # the limits each stance sets in figures ("within 24 hours", "at least two weeks", "before 9:30")
    limits: list[tuple[Limit, ...]] | None = None
    # which pole of each common choice each stance's own sentence leans to, without its heading or memo title
    own_directions: np.ndarray | None = None
    # whether each stance's sides are one long sentence told apart by a word or two ("…hear that we're backing them"
    # and "…hear that we're blaming them"): nearness to one side rather than the other says little there
    sides_alike: np.ndarray | None = None
    # what each stance says she will stop ("We will stop the midnight spreadsheet: …": "the midnight spreadsheet")
    stopped: Segments | None = None


def stance_topic(stance: Stance) -> str:
    """What a stance is about, as its source says: the title and the section heading."""
    return f"{stance.hit.title}. {stance.hit.heading or ''}".strip(". ")


_CORPORA: OrderedDict[tuple[int, int], StanceVectors] = OrderedDict()
_CORPORA_LOCK = threading.Lock()


def corpus_vectors(embed: Embed, stances: Sequence[Stance]) -> StanceVectors:
    """The stances' vectors, contrast sides and recurrence (remembered across rehearsals while the stances and the
    model are the same)."""
    owner = getattr(embed, "__self__", embed)
    key = (id(owner), hash(tuple((s.text, s.hit.passage_id, s.hit.source_version, s.label) for s in stances)))
    with _CORPORA_LOCK:
        found = _CORPORA.get(key)
    if found is not None:
        return found
    found = _corpus_vectors(embed, stances)
    with _CORPORA_LOCK:
        _CORPORA[key] = found
        while len(_CORPORA) > 16:
            _CORPORA.popitem(last=False)
    return found


def _corpus_vectors(embed: Embed, stances: Sequence[Stance]) -> StanceVectors:
    sentences = cached_vectors(embed, [s.embedding_text for s in stances])
    contrast = np.array([s.sides is not None for s in stances], dtype=bool)
    affirmed = np.zeros_like(sentences)
    ruled_out = np.zeros_like(sentences)
    if contrast.any():
        sides = [s.sides for s in stances if s.sides is not None]
        affirmed[contrast] = cached_vectors(embed, [a for a, _ in sides])
        ruled_out[contrast] = cached_vectors(embed, [b for _, b in sides])
    readings = [stance_reading(s) for s in stances]
    readings_own = [reading(s.text, reasons=True) for s in stances]
    conditions = [opening_condition(s.text) for s in stances]
    conditional = np.array([bool(c) for c in conditions], dtype=bool)
    openings = np.zeros_like(sentences)
    if conditional.any():
        openings[conditional] = cached_vectors(embed, [c for c in conditions if c])
    parts = [stance_parts(s.text, s.hit.heading, s.hit.title) for s in stances]
    return StanceVectors(sentences=sentences, topics=cached_vectors(embed, [stance_topic(s) for s in stances]),
                         recurrence=recurrence(stances, sentences), affirmed=affirmed, ruled_out=ruled_out,
                         contrast=contrast, same=sentences @ sentences.T >= SAME_POSITION,
                         said_as_contrast=np.array([said_as_contrast(s.text) or both_ways(s.text) for s in stances],
                                                   dtype=bool),
                         holds=segments(embed, [r.held for r in readings], cached=True),
                         rules_out=segments(embed, [r.ruled_out for r in readings], cached=True),
                         directions=np.array([directions(p) for p in parts], dtype=np.int8).reshape(len(stances), len(CHOICES)),
                         ruled_figures=[ruled_figures(p) for p in parts],
                         conditions=[stance_condition(s.text) for s in stances],
                         exceptions=np.array([directions(reading(s.text, reasons=True)) if EXCEPTION_RE.search(s.text)
                                              else directions(Reading((), ())) for s in stances],
                                             dtype=np.int8).reshape(len(stances), len(CHOICES)),
                         comparatives=[held_comparative(s.text) for s in stances],
                         openings=openings, conditional=conditional,
                         ruled_actions=segments(embed, [actions_of(r.ruled_out) for r in readings], cached=True),
                         held_actions=segments(embed, [actions_of(r.held) for r in readings], cached=True),
                         limits=[limits(s.text) for s in stances],
                         own_directions=np.array([directions(r) for r in readings_own],
                                                 dtype=np.int8).reshape(len(stances), len(CHOICES)),
                         sides_alike=np.array([sides_alike(r) for r in readings], dtype=bool).reshape(len(stances)),
                         stopped=segments(embed, [stopped_by(s.text) for s in stances], cached=True))


# What a line of hers stops, said as she says it: "We will stop the midnight spreadsheet: …", "…we will stop celebrating
# a win on the day it is signed" (a "not" before the verb turns it: "we will not stop…" stops nothing).
STOPPING_RE = re.compile(r"\b(?:we|i)(?:['’]ll|['’]re going to| will| are going to| shall| must| have to)?\s+"
                         r"(?:stop|drop|scrap|end|retire|phase out|switch off|turn off|get rid of)\s+"
                         r"(?P<what>[^,;:.]{3,80})", re.IGNORECASE)


def stopped_by(sentence: str) -> list[str]:
    """What a sentence says we will stop, each as its object ("the midnight spreadsheet")."""
    return [action_of(m.group("what")) for m in STOPPING_RE.finditer(sentence)
            if len(words(action_of(m.group("what")))) >= MIN_ACTION_WORDS]


# A proposal that stops something this close in meaning to what a line of hers stops, sharing a word of substance
# with it, does what the line says ("we stop the monthly manual address-cleanup spreadsheet" against "We will stop
# the midnight spreadsheet"): it keeps to the line, whatever the line's memo is headed.
SAME_STOP = 0.4


def stops_what_she_stops(claims: Sequence[Claim], stances: Sequence[Stance], pitch: PitchVectors,
                         corpus: StanceVectors) -> np.ndarray:
    """For each (claim, stance): whether the claim stops what the stance says she will stop."""
    n, m = len(claims), len(stances)
    if (pitch.dropped is None or corpus.stopped is None or pitch.dropped.vectors.size == 0
            or corpus.stopped.vectors.size == 0):
        return np.zeros((n, m), dtype=bool)
    near = group_max(pitch.dropped, corpus.stopped, n, m) >= SAME_STOP
    rows, cols = np.nonzero(near)
    # (the claim stops it in so many words, as she does: "we stop the…", not "To stop losing deals, let's…")
    claim_stops = {i: [subject_stems(a) for a in stopped_by(claims[i].text)] for i in set(rows.tolist())}
    stance_stops = {j: [subject_stems(t) for t in stopped_by(stances[j].text)] for j in set(cols.tolist())}
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        near[i, j] = any(d & t for d in claim_stops[i] for t in stance_stops[j])
    return near


def ruled_figures(parts: Reading) -> tuple[float, ...]:
    """The figures a stance rules out, less those it also holds: "Hold on-time in full above 97% in every quarter, not
    on average" rules out an average, not 97 (its ruled-out side is read as the sentence with "on average" in place of
    "every quarter", 97 and all)."""
    held = set(figures(parts.held, percent_only=False))
    return tuple(f for f in figures(parts.ruled_out, percent_only=False) if f not in held)


# Sides are alike when they share at least ALIKE_SHARED words and differ in at most ALIKE_APART.
ALIKE_SHARED = 8
ALIKE_APART = 4


def sides_alike(found: Reading) -> bool:
    """Whether what a sentence rules out is what it holds but for a word or two, in a long sentence."""
    def bag(text: str) -> set[str]:
        return {w.lower() for w in words(text)}
    return any(len(bag(h) & bag(r)) >= ALIKE_SHARED and len(bag(h) ^ bag(r)) <= ALIKE_APART
               for h in found.held for r in found.ruled_out)


def said_as_contrast(sentence: str) -> bool:
    """Whether a sentence is put as "A, not B" ("The schedule absorbs the delay, not the driver.")."""
    match = NOT_B_RE.match(" ".join(sentence.split()).rstrip(".!"))
    return match is not None and not RULE_OUT_RE.search(match.group("a"))


def both_ways(sentence: str) -> bool:
    """Whether a sentence, by its own words, both holds or proposes one thing and rules out another."""
    found = reading(sentence, reasons=True)
    return bool(found.held and found.ruled_out)


def stance_reading(stance: Stance) -> Reading:
    """What a stance holds and rules out, with the sides of the "A, not B" heading it sits under."""
    found = reading(stance.text, reasons=True)
    if stance.sides is None:
        return found
    return Reading(found.held + (stance.sides[0],), found.ruled_out + (stance.sides[1],))


def pitch_vectors(embed: Embed, claims: Sequence[Claim], pitch_text: str) -> PitchVectors:
    """The claims' vectors and the whole pitch's (the mean of its claims' when it is longer than the model reads)."""
    texts = [c.text for c in claims]
    short = len(words(pitch_text)) <= 180
    matrix = np.asarray(embed(texts + ([pitch_text] if short else [])), dtype=np.float32)
    claims_m = matrix[:len(texts)]
    if short:
        whole = matrix[-1]
    else:
        mean = claims_m.mean(axis=0) if len(texts) else np.zeros(matrix.shape[1], dtype=np.float32)
        whole = mean / (np.linalg.norm(mean) or 1.0)
    # Only a claim that both proposes something and rules something out is split (its parts embedded); one that
    # does one or the other is compared whole, with the vector it already has (the model reads a sentence with or
    # without its "not" much the same).
    readings = [found if found.held and found.ruled_out else
                Reading((), (c.text,)) if found.ruled_out else Reading((c.text,), ())
                for c, found in ((c, reading(c.text)) for c in claims)]
    claim_readings = [reading(c.text) for c in claims]
    reported = [not c.proposal and bool(REPORTED_RE.search(c.text)) for c in claims]
    return PitchVectors(claims=claims_m, pitch=whole, directions=np.array(
                            [claim_directions(r, c.text) for r, c in zip(claim_readings, claims, strict=True)],
                            dtype=np.int8).reshape(len(claims), len(CHOICES)),
                        figures=[() if was else tuple(dict.fromkeys(figures(r.held, percent_only=True) + moved_to(c.text)))
                                 for r, c, was in zip(claim_readings, claims, reported, strict=True)],
                        conditions=[claim_condition(c.text) for c in claims],
                        lacks=bool(LACK_RE.search(pitch_text)),
                        # what a claim rules out ("rather than… within a day") is no figure it proposes
                        # (nor is what a report of the past says things were)
                        quantities=[() if was else tuple(q for part in (r.held if r.ruled_out else (c.text,))
                                                         for q in proposed_quantities(part))
                                    for r, c, was in zip(claim_readings, claims, reported, strict=True)],
                        both_ways=np.array([bool(r.held and r.ruled_out) for r in readings],
                                                                        dtype=bool),
                        holds=segments(embed, [r.held for r in readings], cached=False),
                        rules_out=segments(embed, [r.ruled_out for r in readings], cached=False),
                        actions=segments(embed, [proposed_actions(c, r) for c, r in zip(claims, claim_readings,
                                                                                          strict=True)], cached=False),
                        dropped=segments(embed, [dropped_actions(c, r) for c, r in zip(claims, claim_readings,
                                                                                        strict=True)], cached=False))


# An exception a stance allows in its own words: "…where we need skills we do not have", "…unless we lack…".
EXCEPTION_RE = re.compile(r"\b(?:where|when|if|unless)\b[^.;:]*?\b(?:we|they|you)\s+(?:do not|don't|lack|cannot|"
                          r"can't|haven't|have no)\b", re.IGNORECASE)
# A pitch saying we lack what it asks for: "nobody on our staff is qualified", "a skill we don't have in-house",
# "none of our people write code".
LACK_RE = re.compile(
    r"\b(?:nobody|no one|none of (?:us|our \w+))\b[^.;]*?\b(?:has|have|holds?|is|are|can|knows?|writes?)\b|"
    r"\bwe (?:lack|don't have|do not have|haven't got|have no)\b|"
    r"\b(?:skills?|expertise|licen[cs]es?|qualifications?) (?:that )?we (?:don't|do not|lack)\b", re.IGNORECASE)


def allowed_by_exception(claims: np.ndarray, stances: Sequence[Stance], exceptions: np.ndarray) -> np.ndarray:
    """For each (claim, stance): whether the claim takes the exception a stance of the same source allows, leaning
    its way on its choice (an outside hire for a skill we lack, where her promote-from-the-dock memo says "we will
    keep hiring from outside where we need skills we do not have"): no stance of that source is held against it."""
    out = np.zeros((len(claims), len(stances)), dtype=bool)
    if claims.size == 0 or not exceptions.any():
        return out
    source = np.array([s.source_id for s in stances])
    product = claims.astype(np.int16)[:, None, :] * exceptions.astype(np.int16)[None, :, :]
    takes = (product > 0).any(axis=2) & ~(product < 0).any(axis=2)  # (claim, exception stance): its way, never against
    for i, j in zip(*np.nonzero(takes), strict=True):
        out[i] |= source == source[j]
    return out


# A sentence that only says something stays as it is: "No change to rest breaks or rotas.", "Nothing changes for the
# drivers.", "There will be no change to shift patterns."
UNCHANGED_RE = re.compile(r"^\W*(?:(?:there (?:is|will be|would be)\s+)?no (?:change|changes|difference)\s+(?:to|for|in)\b|"
                          r"nothing (?:\w+\s+)?changes?\s+(?:for|to|in)\b)", re.IGNORECASE)
# A bound on a number ("more than four near misses"), not a comparative.
BOUND_RE = re.compile(r"\b(?:more|fewer|less|lower|higher) than\b", re.IGNORECASE)
# A judgement ("too many near-miss reports", "far too long"): a view, not background.
JUDGEMENT_RE = re.compile(r"\btoo\s+(?:many|much|few|little|long|short|slow|fast|late|early|often|high|low|"
                          r"expensive|costly|\w+ly)\b", re.IGNORECASE)
# A proposal that acts on what the sentence before it names: "The van maker has sixty vans at this year's price.
# Let's order them now…"
REFERS_BACK_RE = re.compile(r"\bthem\b", re.IGNORECASE)


# What someone could do ("dispatch could ask them to claw some of it back"): a suggestion, not background.
SUGGESTION_RE = re.compile(r"\b(?:could|can|might)\b", re.IGNORECASE)


# A clause that only says which things are meant ("…so fewer routes that don't work on the road"): its negation is
# no word of intent of the sentence's own.
RELATIVE_CLAUSE_RE = re.compile(r"\b(?:that|which|who)\s+(?:[\w'’]+\s+){0,2}?(?:do|does|did|is|are|was|were|can|"
                                r"could|will|would|have|has)(?:\s+not|n['’]t)\b[^,;:.]*", re.IGNORECASE)


def background(claims: Sequence[Claim]) -> np.ndarray:
    """For each claim, whether it only states a fact: no proposal, no word of intent, rule, preference or judgement
    ("too many…"), and not what the next sentence's proposal acts on ("…sixty vans at this year's price. Let's order them now")."""
    return np.array([not c.proposal and not INTENT_RE.search(RELATIVE_CLAUSE_RE.sub(" ", c.text))
                     and not JUDGEMENT_RE.search(c.text)
                     and not SUGGESTION_RE.search(c.text)
                     and not (k + 1 < len(claims) and claims[k + 1].proposal
                              and REFERS_BACK_RE.search(claims[k + 1].text))
                     for k, c in enumerate(claims)], dtype=bool).reshape(len(claims))


# Words of substance too common in proposals and her lines alike to show two sentences share a subject.
_LIGHT_WORDS = """stop stops stopping start starts keep keeps new next last first way ways thing things lot lots
sure really just also even still already time times day days week weeks month months year years people person
team teams company everyone everybody someone anyone nobody one two three four five six seven eight nine ten
"""
LIGHT_STEMS = frozenset(stem(w) for w in _LIGHT_WORDS.split())
# A name inside a sentence: a capitalised word after another word ("…at Calder North", "on a Friday").
INNER_NAME_RE = re.compile(r"(?<=[\w,;:'’)] )[A-Z][\w'’-]*")


def subject_stems(text: str) -> frozenset[str]:
    """The stems of the words of substance in a sentence: content words, less the names in it and light words."""
    unnamed = INNER_NAME_RE.sub(" ", text)
    return frozenset(s for s in (stem(w) for w in content_words(unnamed)) if s not in LIGHT_STEMS and len(s) > 2)


# A judgement about a thing, its subject before "is"/"are" ("Electric tractors for long-haul are not ready for our
# lanes…", "Price is the last lever, not the first"), not a sentence about us or one that points ("We…", "This is…",
# "There are…")...
JUDGED_RE = re.compile(
    r"^\W*(?!(?:we|i|you|they|it|this|that|these|those|there|here|what|who|our|my|your|their|its|no|not|every|each|"
    r"any|all|if|when|so|and|but|one|the|a|an|then|because|since)\b)(?P<subject>[A-Za-z][\w'’-]*(?:\s+[\w'’-]+){0,5}?)\s+(?:is|are)\b",
    re.IGNORECASE)
# ...and what qualifies that subject ("…for long-haul", "…of the tool", "…that we cannot charge").
QUALIFIER_RE = re.compile(r"\s+(?:for|of|in|on|at|with|from|to|that|which|who|we|i)\b.*$", re.IGNORECASE)


def judged_thing(sentence: str) -> frozenset[str]:
    """The stem of the thing a judgement is about: the last word of substance of its subject before what qualifies
    it ("Electric tractors for long-haul are not ready…": tractor); empty for a sentence that judges no thing."""
    match = JUDGED_RE.match(sentence)
    if match is None:
        return frozenset()
    found = [stem(w) for w in content_words(QUALIFIER_RE.sub("", match.group("subject")))]
    return frozenset(found[-1:])


def names_what_is_judged(claims: Sequence[Claim], stances: Sequence[Stance]) -> np.ndarray:
    """For each (claim, stance): whether the pitch (any of its claims) names the thing the stance judges, where it
    judges one: "Electric tractors for long-haul are not ready…" says nothing of a pitch to buy electric vans, which
    shares only its topic."""
    said = frozenset(stem(w) for c in claims for w in content_words(c.text))
    row = np.array([not thing or bool(thing & said) for thing in (judged_thing(s.text) for s in stances)], dtype=bool)
    return np.tile(row, (len(claims), 1)).reshape(len(claims), len(stances))


def shared_subjects(claims: Sequence[Claim], stances: Sequence[Stance]) -> np.ndarray:
    """For each (claim, stance): whether the pitch (any of its claims) shares a word of substance with the stance
    (with its section heading and its memo's title)."""
    said = frozenset().union(*(subject_stems(c.text) for c in claims)) if claims else frozenset()
    # (a heading or title is in title case: its capitals are no names)
    held = [subject_stems(s.text) | subject_stems((s.hit.heading or "").lower()) | subject_stems((s.hit.title or "").lower())
            for s in stances]
    row = np.array([bool(said & b) for b in held], dtype=bool)
    return np.tile(row, (len(claims), 1)).reshape(len(claims), len(stances))


# Words that name the measure a percentage is in ("on-time in full above 97%", "a retention rate"), and words that
# only say it is a target or a bound ("our target is…", "above", "by the end of the year"): neither is what it is of.
_MEASURE_NAMES = "time full rate"
_MEASURE_WORDS = f"""{_MEASURE_NAMES} target targets goal goals percent share level figure number above below least most
end quarter year hold held keep kept"""
MEASURE_STEMS = frozenset(stem(w) for w in _MEASURE_WORDS.split())
MEASURE_NAME_STEMS = frozenset(stem(w) for w in _MEASURE_NAMES.split())


# A claim that keeps a figure as a floor ("hold the pharma lanes above 98.5%"), not one that aims at it ("set the
# on-time target at 99.5%").
FLOOR_RE = re.compile(r"\b(?:above|at least|over|no less than|not below|no lower than)\s+(?:about\s+)?\d", re.IGNORECASE)
# A claim that sets a level for something ("a 92% target", "hold … to 97%", "keep 95% of revenue"), which a target of
# hers can be held to; a discount or a share of a budget is not one.
AIM_RE = re.compile(r"\b(?:targets?|goals?|aim\w*|bar|standard|promise|guarantee|commit\w*|hold|keep|reach|above|"
                    r"at least|below|under)\b", re.IGNORECASE)


def bounded_subjects(stances: Sequence[Stance], bounds: Sequence[tuple[Limit, ...]]) -> list[frozenset[str]]:
    """For each stance, what its percentages bound, as its clause or its section heading names it ("…above 98% on
    cold chain lanes": cold chain lanes), beyond the measure itself; empty when it names nothing more ("Our target is
    below 1.2") or sets no percentage."""
    out: list[frozenset[str]] = []
    for j, stance in enumerate(stances):
        percent = [b for b in bounds[j] if b.measure == "percent"]
        if not percent:
            out.append(frozenset())
            continue
        about = frozenset().union(*(subject_stems(b.clause) for b in percent)) | subject_stems(
            (stance.hit.heading or "").lower())
        out.append(frozenset(a for a in about - MEASURE_STEMS if not any(ch.isdigit() for ch in a)))
    return out


def names_the_measure(claims: Sequence[Claim], bounds: Sequence[tuple[Limit, ...]]) -> np.ndarray:
    """For each (claim, stance): whether the claim names the measure a percentage of the stance is in, as its clause
    names it ("the network's 96% on-time goal" against "…on-time in full above 98% on cold chain lanes")."""
    def named(text: str) -> frozenset[str]:
        return frozenset(stem(w) for w in content_words(text)) & MEASURE_NAME_STEMS
    measures = [frozenset().union(*(named(b.clause) for b in found if b.measure == "percent")) for found in bounds]
    said = [named(c.text) for c in claims]
    return np.array([[bool(m & s) for m in measures] for s in said], dtype=bool).reshape(len(claims), len(bounds))


def about_the_same(claims: Sequence[Claim], subjects: Sequence[frozenset[str]]) -> np.ndarray:
    """For each (claim, stance): whether the pitch names what the stance's percentages bound (bounded_subjects); True
    where the stance names nothing more than the measure. What a claim's figure is for may be named in the sentence
    before it ("Pier 9's lanes are held to a stricter bar… I propose they share the network's 96% goal")."""
    said = frozenset().union(*(subject_stems(c.text) for c in claims)) if claims else frozenset()
    row = np.array([not about or bool(about & said) for about in subjects], dtype=bool)
    return np.tile(row, (len(claims), 1)).reshape(len(claims), len(subjects))


# A site named where something happens: "…at Calder North", "at Pier 9", "at Eastgate" (a place that holds others,
# "in Port Calder", is not one site).
SITE_RE = re.compile(r"\bat\s+(?P<site>[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|\d+[A-Za-z]?\b))*)")


def sites_of(text: str) -> frozenset[str]:
    """The sites a sentence says something happens at ("…per division at Calder North" -> {"calder north"})."""
    return frozenset(" ".join(m.group("site").split()).lower() for m in SITE_RE.finditer(text))


def other_sites(claims: Sequence[Claim], stances: Sequence[Stance]) -> np.ndarray:
    """For each (claim, stance): the stance draws its line at a site the pitch never names, and the claim is about
    another site ("…approval to run the pilot at Eastgate" against "…we will stop running separate dispatch meetings
    per division at Calder North"): a line about one site does not hold a proposal for another."""
    said = " ".join(c.text for c in claims).lower()
    claim_sites = [sites_of(c.text) for c in claims]
    out = np.zeros((len(claims), len(stances)), dtype=bool)
    for j, stance in enumerate(stances):
        held = sites_of(stance.text)
        if not held or any(site in said for site in held):
            continue
        for i, sites in enumerate(claim_sites):
            out[i, j] = bool(sites - held)
    return out


# A proposal that keeps something to some cases: "only" that sets no condition in its clause ("only once the chargers
# are in", "only switch it off when on-time is back") and is not "not only".
NARROWING_RE = re.compile(r"(?<!not )\bonly\b(?![^,;:.]*\b(?:if|when|whenever|once|after|until|till|then|as long as|"
                          r"where|unless|provided)\b)", re.IGNORECASE)
# A position held for every case: "every", "each", "all", "whether it is good or bad".
UNIVERSAL_RE = re.compile(r"(?<!-)\b(?:every|each|all|always|whether)\b(?!-)", re.IGNORECASE)
# How close a narrowing proposal must be to such a position to be about the same thing.
NARROWING_FLOOR = 0.4
# A line drawn in so many words: "never", "no one", "we will not", "we will stop"…
OWN_LINE_RE = re.compile(r"\b(?:never|nobody|no one|will not|won['’]t|must not|do not|don['’]t|cannot|can['’]t|stop|"
                         r"not building)\b|^\W*(?:and |but |so )?no\s+\w+", re.IGNORECASE)
# ...which a claim under a contrast heading crosses when what it proposes is this close to what the line rules out.
OWN_LINE_FLOOR = 0.5
# How much nearer the crossing parts must be where a stance's sides are alike (sides_alike).
ALIKE_MARGIN = 0.02
# Pairs kept per pitch, best first (a long pitch against a large corpus has many).
MAX_PAIRS = 200


def pair_scores(claims: Sequence[Claim], stances: Sequence[Stance], pitch: PitchVectors, corpus: StanceVectors,
                weights: ClashWeights = DEFAULT_CLASH) -> list[Clash]:
    """(claim, stance) pairs of opposite polarity close enough in meaning, scored as contradictions (best first).

    Polarity: one rules out what the other affirms (a limit against a proposal to do it, a rule against a proposal
    to drop it). A claim whose closest stance agrees with it by a wide margin is left alone."""
    if not claims or not stances or pitch.claims.size == 0 or corpus.sentences.size == 0:
        return []
    similarity = pitch.claims @ corpus.sentences.T
    topic = corpus.topics @ pitch.pitch
    proposal = np.array([weights.proposal if c.proposal else 0.0 for c in claims])[:, None]
    score = similarity + weights.topic * topic[None, :] + proposal
    by_polarity = np.array([c.polarity for c in claims])[:, None] != np.array([s.polarity for s in stances])[None, :]
    if corpus.contrast.any():
        # Under a contrast heading the sides decide: a claim nearer what she rules out than what she affirms
        # ("full automation" against "Assistive, Not Automatic") runs against her, whatever its negations.
        leans = pitch.claims @ corpus.ruled_out.T - pitch.claims @ corpus.affirmed.T
        # A stance that draws a line of its own in so many words ("A driver should never be asked to follow a route
        # because the system says so", "We will not measure dispatchers by how often they accept…") keeps it under
        # any heading: a claim of the other polarity whose proposal is near what that line rules out crosses it.
        if pitch.holds is not None and pitch.holds.vectors.size and corpus.rules_out.vectors.size:
            own_line = np.array([s.polarity < 0 and bool(OWN_LINE_RE.search(main_clauses(s.text))) for s in stances],
                                dtype=bool)[None, :]
            near_line = group_max(pitch.holds, corpus.rules_out, len(claims), len(stances)) >= OWN_LINE_FLOOR
            by_polarity = np.where(corpus.contrast[None, :], (leans > weights.lean) | (by_polarity & own_line & near_line),
                                   by_polarity)
        else:
            by_polarity = np.where(corpus.contrast[None, :], leans > weights.lean, by_polarity)
    opposite = by_polarity
    crossed = np.zeros_like(opposite, dtype=bool)
    if weights.by_reading != "never" and pitch.holds is not None and pitch.rules_out is not None:
        # Opposite when what the claim proposes is nearer what she rules out (or what it drops nearer what she
        # holds) than to what she holds (or rules out) herself: "let it send drivers their runs, with no dispatcher
        # signing off" against "There is no automatic dispatch mode" and "a human dispatcher owns the call".
        n, m = len(claims), len(stances)
        crossing = np.maximum(group_max(pitch.holds, corpus.rules_out, n, m),
                              group_max(pitch.rules_out, corpus.holds, n, m))
        agreeing_parts = np.maximum(group_max(pitch.holds, corpus.holds, n, m),
                                    group_max(pitch.rules_out, corpus.rules_out, n, m))
        # (where the two sides are one long sentence but for a word, a hair's difference is noise: "The depot manager
        # owns the call" is no nearer "…hear that we're blaming them" than "…backing them")
        alike = corpus.sides_alike if corpus.sides_alike is not None else np.zeros(m, dtype=bool)
        by_parts = crossing > agreeing_parts + weights.margin + ALIKE_MARGIN * alike[None, :]
        # Where a sentence says "A, not B" ("…, not the driver"; "instead of…", "rather than…") or proposes one thing
        # and rules out another ("let it release the routes, with no dispatcher in the loop"), its negation only
        # marks the side it rules out, so its parts decide; elsewhere the negations do.
        claim_sides = np.array([c.contrast for c in claims], dtype=bool)
        if pitch.both_ways is not None:
            claim_sides |= pitch.both_ways
        contrasted = corpus.said_as_contrast[None, :] | claim_sides[:, None]
        opposite = {"only": by_parts, "both": by_parts & by_polarity, "either": by_parts | by_polarity,
                    "contrast": np.where(contrasted, by_parts, by_polarity)}[weights.by_reading]
    figure_crosses = np.zeros_like(opposite, dtype=bool)
    if weights.by_direction and pitch.directions is not None:
        leaning = opposed(pitch.directions, corpus.directions, pitch.figures, corpus.ruled_figures)
        if pitch.quantities is not None and corpus.limits is not None:
            # a figure beyond a limit she sets in the same measure, or inside it, decides (when the claim is about it)
            bounded = limit_leanings(pitch.quantities, corpus.limits)
            # (a percentage bounds the thing its clause names: "above 98% on cold chain lanes" holds no pitch about a
            # depot's on-time to 98%)
            subjects = bounded_subjects(stances, corpus.limits)
            bounded = np.where((bounded != 0) & ~about_the_same(claims, subjects), 0, bounded)
            # (the claim or the pitch around it: "…take up to three days" after "Writing up a serious incident…");
            # a claim naming the measure of her percentage, in a pitch naming what it bounds, is about it by its own
            # words ("the medicine runs share the network's 96% on-time goal" after "Pier 9's lanes…", against
            # "…on-time in full above 98% on cold chain lanes"): it needs only the closeness any clash needs
            named = (names_the_measure(claims, corpus.limits) & about_the_same(claims, subjects)
                     & np.array([bool(a) for a in subjects], dtype=bool)[None, :])
            near = (np.maximum(similarity, (corpus.sentences @ pitch.pitch)[None, :])
                    >= np.where(named, weights.floor, weights.limit_floor))
            # a figure inside a limit she sets for the very thing the pitch names ("above 98.5%" for the pharma lanes,
            # against "…above 98% on cold chain lanes") is hers: no other line of hers rules it out ("Why not 99")
            floors = np.array([bool(FLOOR_RE.search(c.text)) for c in claims], dtype=bool)
            kept = floors & (near & (bounded < 0) & np.array([bool(a) for a in subjects], dtype=bool)[None, :]).any(axis=1)
            if kept.any():
                leaning = np.where(kept[:, None], opposed(pitch.directions, corpus.directions), leaning)
            leaning = np.where(near & (bounded > 0), 1, np.where(near & (bounded < 0) & (leaning == 0), -1, leaning))
            figure_crosses = near & (bounded > 0)
        opposite = np.where(leaning > 0, True, np.where(leaning < 0, False, opposite))
        # A claim leaning against a stance is read with the pitch as a whole: "recruit from other carriers" is far
        # in wording from "we look inside first", though the pitch around it is about the same vacancies.
        crossed = np.asarray(leaning > 0)
        if weights.whole_pitch:
            similarity = np.where(crossed, np.maximum(similarity, (corpus.sentences @ pitch.pitch)[None, :]), similarity)
        score = np.where(crossed, similarity + weights.topic * topic[None, :] + proposal + weights.direction, score)
        if corpus.own_directions is not None:
            # a stance whose own sentence leans the other way ("There is no automatic dispatch mode") before one that
            # leans only by its memo's title ("We will measure the tool… by on-time in full" under "Assistive, Not
            # Automatic")
            own = opposed(pitch.directions, corpus.own_directions) > 0
            score = np.where(crossed & own, score + weights.own_lean, score)
    if corpus.comparatives is not None and any(corpus.comparatives):
        # "We'd like more near misses reported" keeps to "I want more of them reported, not fewer", though the model
        # reads "more" and "fewer" much the same: a claim saying the comparative she holds, not its opposite, agrees.
        said = [set(w.lower() for w in words(BOUND_RE.sub(" ", c.text))) for c in claims]
        for j, word in enumerate(corpus.comparatives):
            if word:
                opposite[:, j] &= ~np.array([word in w and not OPPOSITES[word] & w for w in said], dtype=bool)
    if weights.by_condition and pitch.conditions is not None and any(pitch.conditions):
        # A proposal that waits for the condition she draws her line under ("once the chargers are in" against "we
        # will not buy vans we cannot charge") keeps to it.
        opposite = opposite & ~conditions_met(pitch.conditions, corpus.conditions)
    if pitch.lacks and corpus.exceptions is not None and pitch.directions is not None:
        opposite &= ~allowed_by_exception(pitch.directions, stances, corpus.exceptions)
    # A proposal that narrows to some cases what she holds for every case ("send customers their report only in good
    # months" against "…publish our OTIF to every customer… every month, whether it is good or bad") runs against it
    # with the same polarity, when close enough in meaning to be about the same thing.
    narrows = np.array([c.proposal and bool(NARROWING_RE.search(c.text)) for c in claims], dtype=bool)
    if narrows.any():
        universal = np.array([bool(UNIVERSAL_RE.search(main_clauses(s.text))) for s in stances], dtype=bool)
        opposite |= narrows[:, None] & universal[None, :] & (similarity >= NARROWING_FLOOR)
    opposite &= eligible(stances, corpus, weights)[None, :]
    opposite &= ~other_sites(claims, stances)
    if corpus.conditional is not None and corpus.openings is not None and corpus.conditional.any():
        # a line drawn under a condition holds against a claim that meets it (by meaning), not against any claim near
        # the rest of the sentence
        meets = pitch.claims @ corpus.openings.T >= weights.condition_floor
        opposite &= ~corpus.conditional[None, :] | meets
    if weights.proposals_only and any(c.proposal for c in claims):
        opposite &= np.array([c.proposal for c in claims], dtype=bool)[:, None]
    # a stance only for the target it sets ("Our target is 94% by 2026.") is held against a claim that sets a level
    # short of it in what it bounds, and says nothing of any other (it neither clashes with nor agrees with the rest)
    aims = np.array([bool(AIM_RE.search(c.text)) for c in claims], dtype=bool)
    silent = np.array([target_only(s.text) for s in stances], dtype=bool)[None, :] & ~(figure_crosses & aims[:, None])
    opposite &= ~silent
    agreeing = np.where(opposite | silent, -np.inf, score).max(axis=1)
    if weights.shared_subject:
        # a clash read from polarity or parts alone needs a word of substance in common, names aside: "sponsor the
        # Port Calder Harbour Run" shares only a name and the look of a word with "…school runs… Port Calder traffic"
        opposite &= crossed | shared_subjects(claims, stances)
        # and a judgement about a thing holds against a pitch that names that thing
        opposite &= crossed | names_what_is_judged(claims, stances)
    opposite &= ~stops_what_she_stops(claims, stances, pitch, corpus)
    floor = np.where(crossed, weights.lean_floor, weights.floor)
    keep = opposite & (similarity >= floor) & ~(agreeing[:, None] > score + weights.agreement)
    # Background ("Our own refrigerated vans arrive in June.") runs against a line only by leaning against it; so does
    # the pitch's way out of its own proposal ("If it does not move those numbers in eight weeks, we stop it."), whose
    # "not" and "stop" turn against the proposal, not against anything of hers; and so does what the pitch's own
    # success hangs on ("It only works if the mentors can give four hours a week…"), whose "only … works" is its form,
    # not a position ("…we electrify a route only when it works in the worst week of winter").
    # So does a sentence saying only that something stays as it is ("No change to rest breaks or rotas."): it proposes
    # nothing, and its "no" turns against no line of hers.
    # And so does one that only cuts a failure ("Calder North cut failed attempts by 22%…"), which every target of
    # hers wants.
    exits = np.array([c.exit or c.condition or bool(UNCHANGED_RE.match(c.text) or LESS_OF_A_FAILURE_RE.search(c.text))
                      for c in claims], dtype=bool).reshape(len(claims))
    keep &= ~((background(claims) | exits)[:, None] & ~crossed)
    rows, cols = np.nonzero(keep)
    order = np.argsort(-score[rows, cols], kind="stable")[:MAX_PAIRS]
    return [Clash(claim=claims[int(rows[k])], stance=stances[int(cols[k])],
                  similarity=float(similarity[rows[k], cols[k]]), score=float(score[rows[k], cols[k]]),
                  by_direction=bool(crossed[rows[k], cols[k]]))
            for k in order]


def contradictions(claims: Sequence[Claim], stances: Sequence[Stance], pitch: PitchVectors, corpus: StanceVectors,
                   weights: ClashWeights = DEFAULT_CLASH, limit: int = 1) -> list[Clash]:
    """The stances the pitch's claims run against, strongest first, one per source and claim; of the strongest and
    clashes with other sources in a near tie with it, a proposal's first, then one read from opposite leanings, then
    the claim closest to its stance."""
    index = {id(s): k for k, s in enumerate(stances)}
    pairs = [c for c in pair_scores(claims, stances, pitch, corpus, weights) if c.score >= weights.threshold]
    chosen: list[Clash] = []
    while pairs and len(chosen) < limit:
        strongest = pairs[0]
        tied = (c for c in pairs if c is strongest or c.stance.source_id != strongest.stance.source_id
                and c.score >= strongest.score - weights.near_tie)
        closest = max(tied, key=lambda c: (c.claim.proposal, c.by_direction, c.similarity))
        pick = strongest if corpus.same[index[id(strongest.stance)], index[id(closest.stance)]] else closest
        chosen.append(pick)
        pairs = [c for c in pairs if c.stance.source_id != pick.stance.source_id and c.claim != pick.claim]
    return chosen


def crossed_by_leaning(pitch: PitchVectors, corpus: StanceVectors) -> np.ndarray:
    """For each stance: whether some proposal of the pitch leans to the other pole of a choice its own sentence makes
    (not only its heading or its memo's title)."""
    if pitch.directions is None or corpus.own_directions is None or pitch.directions.size == 0:
        return np.zeros(len(corpus.sentences), dtype=bool)
    return np.asarray((opposed(pitch.directions, corpus.own_directions) > 0).any(axis=0))


# --- a proposal doing what a line rules out ----------------------------------------------------------------------

# What opens a part before its action: a linking word, the subject and its modal, a wish ("and we will…", "I'd like
# to…", "To make room, we will…"), so that what is compared is the action and its object.
ACTION_LEAD_RE = re.compile(
    r"^\W*(?:(?:and|but|so|then|also|even so|anyway|to make room|as a principle|from (?:now|today)(?: on)?)\W+)*"
    r"(?:(?:we|i|you|they|it)(?:['’]ll|['’]d| will| would| shall| should| could| can| are going to| do| must)?\s+)?"
    r"(?:(?:just|also|then|rather|instead)\s+)?(?:(?:like|want|propose|suggest|plan|intend)\s+(?:to\s+|that\s+)?)?",
    re.IGNORECASE)
# A side clause closing a part: when, until, where or why it holds ("…until forwarding is on the platform"), not what.
ACTION_SIDE_RE = re.compile(r"[,;]?\s*\b(?:until|till|once|where|when|whenever|unless|because|since|if|even when|"
                            r"even if|so that|except|as long as|before|after)\b.*$", re.IGNORECASE)
# A part that only sets the scene ("For the Calder East park tender"): a prepositional phrase, no action.
SETTING_RE = re.compile(r"^(?:for|in|on|at|with|from|by|during|through|over|under|after|before|as for|about)\b",
                        re.IGNORECASE)
# A part that only names a thing by what it does ("a van that sits at the fence", the subject of "…because it cannot
# charge earns nothing" once its side clause is cut): no action of the speaker's.
NAMED_THING_RE = re.compile(r"^(?:a|an|the|any|every|each)\s+(?:[\w'’-]+\s+){0,3}?(?:that|which|who)\s+\S+(?:\s+\S+){0,6}$",
                            re.IGNORECASE)
MIN_ACTION_WORDS = 2
# A sentence's opening label before a colon ("Cost to serve:", "What we stop:") is at most this many words.
LABEL_WORDS = 4


# A place or person named inside an action ("…to Ashby Road", "…at Calder North"): where or who, not what is done.
NAME_RE = re.compile(r"(?<=\s)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")


def action_of(part: str) -> str:
    """A reading's part as an action and its object: without its opening subject, modal or wish, without the side
    clause that closes it ("We will the customer portal redesign until forwarding is on the platform" -> "the
    customer portal redesign") and without the names in it, so that two actions are not read as one for a place
    they share ("bring the planning tool to Ashby Road", "Ashby driver makes up that time")."""
    action = ACTION_LEAD_RE.sub("", ACTION_SIDE_RE.sub("", " ".join(part.split()))).strip(" ,.;:")
    unnamed = " ".join(NAME_RE.sub(" ", action).split())
    return unnamed if len(words(unnamed)) >= MIN_ACTION_WORDS else action


def actions_of(parts: Sequence[str]) -> list[str]:
    """The actions of a reading's parts (those of at least two words)."""
    found = (action_of(p) for p in parts)
    return list(dict.fromkeys(a for a in found if len(words(a)) >= MIN_ACTION_WORDS and not NAMED_THING_RE.match(a)))


def proposed_actions(claim: Claim, found: Reading) -> list[str]:
    """What a proposal of the pitch would do, as actions (none for a claim that proposes nothing); a part that only
    sets the scene ("For the Calder East park tender") is no action."""
    if not claim.proposal:
        return []
    parts = found.held if (found.held or found.ruled_out) else (claim.text,)
    # (a label the sentence opens on, "Cost to serve: each failed attempt costs…", is no action either)
    label, colon, _ = claim.text.partition(":")
    labels = {" ".join(label.split()).lower()} if colon and len(words(label)) <= LABEL_WORDS else set()
    return [a for a in actions_of(parts) if not SETTING_RE.match(a) and a.lower() not in labels]


def dropped_actions(claim: Claim, found: Reading) -> list[str]:
    """What a proposal of the pitch would stop or do without, as actions ("drop the renewals part of their bonus")."""
    return actions_of(found.ruled_out) if claim.proposal else []


# A proposal this close in meaning to a line drawn under a condition ("…pharma freight at depots that are not
# certified for it") crosses it when the pitch says that condition is not met yet ("The depot hasn't passed its GDP
# audit yet… let the certificate catch up").
UNMET_FLOOR = 0.35


def goes_ahead_unmet(claims: Sequence[Claim], pitch: PitchVectors, corpus: StanceVectors) -> np.ndarray:
    """For each (claim, stance): the claim proposes what the stance draws a line about, close in meaning, while the
    pitch says the condition the line is drawn under is not met yet."""
    out = np.zeros((len(claims), len(corpus.conditions)), dtype=bool)
    unmet = [unmet_condition(c.text) for c in claims]
    if not any(unmet) or not any(corpus.conditions):
        return out
    said = np.asarray(conditions_met(unmet, corpus.conditions).any(axis=0))  # the stance's condition said unmet
    near = pitch.claims @ corpus.sentences.T >= UNMET_FLOOR
    proposal = np.array([c.proposal for c in claims], dtype=bool)
    return near & said[None, :] & proposal[:, None]


# What a pitch drops is what a line holds only when the two share this many words of substance: one shared noun is
# the model's closeness, not the same thing ("stop using the agency for dispatcher hires" is not "…by how many hours
# dispatchers work after midnight", nor "close the gap" "a name against each gap").
DROPPED_SHARED = 2


def same_things_dropped(claims: Sequence[Claim], stances: Sequence[Stance]) -> np.ndarray:
    """For each (claim, stance): whether something the claim drops shares DROPPED_SHARED words of substance with
    something the stance holds."""
    dropped = [[subject_stems(a) for a in dropped_actions(c, reading(c.text))] for c in claims]
    held = [[subject_stems(a) for a in actions_of(stance_reading(s).held)] for s in stances]
    return np.array([[any(len(d & h) >= DROPPED_SHARED for d in ds for h in hs) for hs in held] for ds in dropped],
                    dtype=bool).reshape(len(claims), len(stances))


# A proposal whose action is this close in meaning to the action a line rules out does what the line rules out
# ("restart the portal redesign this spring" against "We will stop the customer portal redesign until forwarding is
# on the platform")...
CROSSED_ACTION = 0.55
# ...when it is this much nearer that action than to anything the line holds.
CROSSED_MARGIN = 0.15


def crossed_actions(claims: Sequence[Claim], stances: Sequence[Stance], pitch: PitchVectors, corpus: StanceVectors,
                    weights: ClashWeights = DEFAULT_CLASH, limit: int = 1) -> list[Clash]:
    """Lines the pitch's proposals cross by doing what they rule out, read from the action each rules out (by
    meaning) rather than from negations: for a pitch where no clash was read otherwise. A proposal that waits for
    the condition a line is drawn under, takes an exception it allows, or misses the condition it opens with keeps
    to it; of the same line said in several sources, the one whose memo is nearest the pitch is cited."""
    if (not claims or not stances or pitch.actions is None or corpus.ruled_actions is None
            or corpus.held_actions is None or pitch.actions.vectors.size == 0 or corpus.ruled_actions.vectors.size == 0):
        return []
    n, m = len(claims), len(stances)
    crossing = group_max(pitch.actions, corpus.ruled_actions, n, m)
    keeping = group_max(pitch.actions, corpus.held_actions, n, m)
    keep = (crossing >= CROSSED_ACTION) & (crossing >= keeping + CROSSED_MARGIN)
    unmet = goes_ahead_unmet(claims, pitch, corpus)
    keep |= unmet
    crossing = np.where(unmet, np.maximum(crossing, pitch.claims @ corpus.sentences.T), crossing)
    if pitch.dropped is not None and pitch.dropped.vectors.size:
        # or it drops what the line holds
        dropping = group_max(pitch.dropped, corpus.held_actions, n, m)
        keeping = group_max(pitch.dropped, corpus.ruled_actions, n, m)
        drops = (dropping >= CROSSED_ACTION) & (dropping >= keeping + CROSSED_MARGIN)
        if drops.any():
            drops &= same_things_dropped(claims, stances)
        keep |= drops
        crossing = np.where(drops, np.maximum(crossing, dropping), crossing)
    keep &= eligible(stances, corpus, weights)[None, :]
    keep &= ~stops_what_she_stops(claims, stances, pitch, corpus)
    if pitch.conditions is not None and any(pitch.conditions):
        keep &= ~conditions_met(pitch.conditions, corpus.conditions)
    if pitch.lacks and corpus.exceptions is not None and pitch.directions is not None:
        keep &= ~allowed_by_exception(pitch.directions, stances, corpus.exceptions)
    if corpus.conditional is not None and corpus.openings is not None and corpus.conditional.any():
        keep &= ~corpus.conditional[None, :] | (pitch.claims @ corpus.openings.T >= weights.condition_floor)
    if pitch.directions is not None:
        # a proposal leaning the same way as the line on one of the common choices keeps to it
        keep &= opposed(pitch.directions, corpus.directions) >= 0
    rows, cols = np.nonzero(keep)
    if rows.size == 0:
        return []
    topic = corpus.topics @ pitch.pitch
    similarity = pitch.claims @ corpus.sentences.T
    order = sorted(range(rows.size), key=lambda k: -float(crossing[rows[k], cols[k]]))
    chosen: list[Clash] = []
    for k in order:
        i, j = int(rows[k]), int(cols[k])
        if any(c.claim is claims[i] or c.stance.source_id == stances[j].source_id for c in chosen):
            continue
        # the same line said in other sources: the one whose memo is nearest the pitch
        same = [int(t) for t in np.nonzero(corpus.same[j])[0] if keep[i, t]] or [j]
        j = max(same, key=lambda t: float(topic[t]))
        chosen.append(Clash(claim=claims[i], stance=stances[j], similarity=float(similarity[i, j]),
                            score=float(crossing[i, int(cols[k])] + weights.topic * topic[j])))
        if len(chosen) >= limit:
            break
    return chosen
