"""Positions with their dates: when approved sources of different dates disagree on the point asked about, the
answer gives the newest position first and the earlier one after, both cited with their dates.

"Same point" is decided by meaning (the statements' sentence vectors are close, and both are close to the
question); "different position" by what changes between them: key figures (numbers with their unit), a reversal
said in the later one ("no longer", "instead", "we are pausing…"), or the opposite polarity (one is negated). A
curator's mark (source A's position is superseded by the later source B) makes the pair a change whatever the
wording. Agreeing statements are left alone: the answer never says "earlier I said" for them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Passage, Source
from service.corpus.revisions import marked_pairs
from service.search import PassageHit, reranker_for
from service.search.vectors import embedding_text, load_stored_vectors
from service.twin.citations import Citation, CitedSentence, HitLike, citation_for
from service.twin.extractive import Composed, _sentence_vectors, quotable_sentences
from service.twin.persona import PersonaSettings
from service.twin.text import STOPWORDS, content_stems, jaccard, stem, word_set

log = logging.getLogger(__name__)

# Two statements are on the same point when their vectors are at least this close (all-MiniLM-L6-v2 cosine).
SAME_POINT = 0.5
# Other sources' statements count only when this close to the closest one's (else they make a neighbouring point).
POINT_MARGIN = 0.15
# Reasons that alone say little ("by 2026" against "in 2028", "instead"): they count only this close in meaning.
WEAK_REASONS = frozenset({"years", "reversal", "negation"})
CLOSE_POINT = 0.65
# A sentence the question reaches less well (this share of the anchor's closeness) still speaks to the point when it
# is this close in meaning to the anchor.
NEAR_SHARE = 0.5
NEAR_POINT = 0.55
# A curator marked the later source as revising the earlier one: its closest sentence need only be this close.
MARKED_POINT = 0.35
# Without a sentence model: shared content words instead (Jaccard).
SAME_POINT_WORDS = 0.3
# A rival statement must be about as close to the question as the answer's own: this share of it, and this floor.
RELEVANT_SHARE = 0.7
RELEVANT_FLOOR = 0.2
# Passages looked at for positions, best first, and earlier positions quoted after the newest.
POOL_PASSAGES = 8
MAX_EARLIER = 1
# A neighbouring sentence joins a statement when it is this close to the question as the statement's best.
STATEMENT_SHARE = 0.85
MAX_STATEMENT_SENTENCES = 2
# Words that are not the unit of a number ("40 new stores": the unit is "store").
_UNIT_SKIP = word_set("new more additional extra full further other of the a an our per every each about around "
                      "roughly nearly almost over under than to up")
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9}
FIGURE_RE = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\b(?:" + "|".join(NUMBER_WORDS) + r")\b)"
    r"(?:\s*(?P<scale>thousand|million|billion|bn|mn|[kKmMbB])\b)?"
    r"(?:\s*(?P<pct>%|percent\b|per\s+cent\b|percentage\s+points?\b))?"
    r"(?P<after>(?:[\s-]+[A-Za-z'’]+){0,3})", re.IGNORECASE)
# A later statement that says it changes course. Matched in the later statement and not in the earlier one.
REVERSAL_RE = re.compile(
    r"\b(?:no longer|not any ?more|instead|rather than|after all|on hold|(?:is|are) over|"
    r"not\b[^.;]{0,30}\bas (?:we|i) (?:first|originally)|"
    r"changed? (?:my|our) (?:mind|plans?|approach|course|view)|not going ahead|won't go ahead|"
    r"(?:we|i)(?:'re|'m|'ll| are| am| will| have| had|'ve)?(?: now| also)?(?: be)?\s+"
    r"(?:ending|stopping|dropping|scrapping|scrapped|cancel+(?:ing|ed)?|postpon(?:e|ed|ing)|delay(?:ed|ing)?|"
    r"paus(?:e|ed|ing)|revers(?:e|ed|ing)|revis(?:e|ed|ing)|lift(?:ed|ing)?|abandon(?:ed|ing)?|"
    r"walk(?:ed|ing)? back|pull(?:ed|ing)? back|shelv(?:e|ed|ing)|rais(?:e|ed|ing)|cut(?:ting)?|"
    r"suspend(?:ed|ing)?|halt(?:ed|ing)?|phas(?:e|ed|ing) out|wind(?:ing)? down|scal(?:e|ed|ing) back|"
    r"lower(?:ed|ing)?|reduc(?:e|ed|ing)|push(?:ed|ing)? back))\b", re.IGNORECASE)
# "without" is left out: it mostly opens a subordinate clause ("… without risking their jobs"), not a denial.
NEGATION_RE = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor)\b|n[’']t\b", re.IGNORECASE)
KIND_NAMES = {"memo": "memo", "talk": "talk", "transcript": "conversation", "email": "e-mail"}
# A statement's first word that reads on after "As of the March 2026 memo, " in lower case.
_LOWER_OK = frozenset(w for w in STOPWORDS if w != "i" and not w.startswith(("i'", "i’"))) | {"every", "all", "most"}


class Scorer(Protocol):
    """What comparing statements by meaning needs: vectors for texts and for the question."""

    def query_vector(self, query: str) -> np.ndarray: ...
    def embed(self, texts: list[str]) -> np.ndarray: ...


# Marked pairs: (earlier source id, later source id): the later one's position supersedes the earlier one's.
Revisions = frozenset[tuple[int, int]]


@dataclass(frozen=True)
class Statement:
    """What one dated source says on the point: its best sentences for the question, in reading order."""

    hit: HitLike
    spans: tuple[tuple[int, int], ...]
    relevance: float
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        return " ".join(self.hit.text[a:b] for a, b in self.spans)

    @property
    def quote(self) -> str:
        """The passage's words from the first sentence to the last (what the citation quotes)."""
        return self.hit.text[self.spans[0][0]:self.spans[-1][1]]

    @property
    def date(self) -> dt.date:
        assert self.hit.date is not None
        return self.hit.date


@dataclass
class PositionChange:
    """Statements of different dates on one point that disagree: the newest, then the earlier ones."""

    newest: Statement
    earlier: list[Statement]
    reasons: list[str]
    marked: bool = False

    def source_ids(self) -> list[int]:
        return [self.newest.hit.source_id, *(s.hit.source_id for s in self.earlier)]

    def to_dict(self) -> dict[str, Any]:
        """What the answer's `positions` field carries: which source is current, which earlier, and why."""
        def one(s: Statement) -> dict[str, Any]:
            return {"source_id": s.hit.source_id, "title": s.hit.title, "date": s.date.isoformat(),
                    "passage_id": s.hit.passage_id}
        return {"current": one(self.newest), "earlier": [one(s) for s in self.earlier], "reasons": list(self.reasons),
                "marked": self.marked}


# --- what differs ----------------------------------------------------------------------------------------------

# Nouns a number names rather than counts ("wave 3", "phase two", "page 2"): a label, not a figure.
LABEL_WORDS = word_set("wave phase stage page step round part chapter section version tier level gate route lane "
                       "terminal building dock door zone item option number no figure table appendix exhibit")


def _labelled(before: str) -> bool:
    """Whether a number right after this text is a label ("wave 3 moves…")."""
    words = re.findall(r"[A-Za-z'’]+|\S", before[-40:])
    return bool(words) and words[-1].lower() in LABEL_WORDS


def figures(text: str) -> dict[str, set[float]]:
    """Key figures of a text by unit: "%", a currency, "deadline"/"year" for years, else the noun counted."""
    found: dict[str, set[float]] = {}
    for m in FIGURE_RE.finditer(text):
        if _labelled(text[:m.start("num")]) and not m.group("pct") and not m.group("cur"):
            continue
        raw = m.group("num").replace(",", "")
        word = raw.lower()
        if word in NUMBER_WORDS:
            value = float(NUMBER_WORDS[word])
        else:
            try:
                value = float(raw)
            except ValueError:
                continue
        scale = (m.group("scale") or "").lower()
        if scale:
            value *= SCALES.get(scale, 1.0)
        after = [w.lower() for w in re.findall(r"[A-Za-z'’]+", m.group("after") or "")]
        if m.group("pct"):
            unit = "%"
        elif m.group("cur"):
            unit = m.group("cur")
        elif raw.isdigit() and len(raw) == 4 and 1900 <= value <= 2100:
            unit = "year"
        else:
            nouns = [w for w in after if w not in _UNIT_SKIP]
            if not nouns or nouns[0] in STOPWORDS:
                continue  # "one of", "2 is stable": not a figure
            unit = stem(nouns[0])
        found.setdefault(unit, set()).add(round(value, 6))
    return found


# What kind of statement a figure is in, from the words around it: a result or a change is what happened, not a
# position ("we delivered 97.1%" does not revise "our target is 97%"; "reached 14.2%" is progress towards "18%").
CHANGE_WORDS = word_set("up down rose fell risen fallen grew increased decreased dropped climbed crept doubled "
                        "tripled halved")
# A present move to a new level states the new position ("parental leave rises to 20 weeks"), not what happened.
NEW_LEVEL_WORDS = word_set("rises rise increases moves falls drops grows climbs goes going becomes doubles")
TARGET_WORDS = word_set("target targets aim aims goal goals plan plans planned objective commit committed "
                        "commitment will 'll ’ll shall should must want budget forecast expect ambition hold keep")
RESULT_WORDS = word_set("delivered reached ran running was were averaged ended achieved hit stood came finished "
                        "preliminary actual today currently started stands")
_WINDOW = 6
_WINDOW_STOP = re.compile(r"[;:—–(),]")
# A sentence that announces or narrates rather than states a position ("Three weeks ago I promised to explain why…",
# "Last autumn our team interviewed 60 customers").
NARRATIVE_RE = re.compile(
    r"\b(?:promised|going|want(?:ed)?|meant|set out|plan(?:ned)?)\s+to\s+(?:explain|tell|talk|say|describe|walk|write|"
    r"share|cover|come back)|\b(?:let me|i'll|i’ll|i will|i'd like to)\s+(?:explain|tell you|talk|say a word|come back|"
    r"walk you)|\bhere(?:'s|’s| is) (?:where|how|what|why) (?:i|we)\b|\bi have been asked\b", re.IGNORECASE)
PAST_OPENING_RE = re.compile(
    r"^\W*(?:(?:so|and|but|then)\s+)?(?:(?:last|this past) (?:autumn|fall|spring|summer|winter|year|month|week|quarter|january|february|march|"
    r"april|may|june|july|august|september|october|november|december)\b|(?:\w+ ){1,2}(?:days|weeks|months|years) ago\b|"
    r"yesterday\b|in (?:19|20)\d\d,? (?:we|i|our)\b)", re.IGNORECASE)
_FUTURE_RE = re.compile(r"\b(?:will|'ll|’ll|shall|should|going to|target|aim|goal|plan)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Figure:
    """One key figure with its unit, the kind of statement it is in, and the words that say what it measures."""

    unit: str
    value: float
    kind: str
    measure: frozenset[str]
    # A figure for each one of something ("each point of retention is worth $13 million") against a total.
    rate: bool = False


def _kind(words: Sequence[str]) -> str:
    """"change", "target", "result" or "" (a plain statement: "orders over $50 ship free")."""
    if TARGET_WORDS & set(words) or any(w == "by" and any(n.isdigit() and len(n) == 4 for n in words[i + 1:i + 5])
                                        for i, w in enumerate(words)):
        return "target"  # "by the end of 2026"; a planned change too ("tariffs will fall by 5 percent")
    if any(w in NEW_LEVEL_WORDS and "to" in words[i + 1:i + 3] for i, w in enumerate(words)):
        return "target"  # "rises to 20 weeks", "goes up to $75"
    # "from" says a change only before a figure ("up from 12%"), not before a date ("From April, …").
    if CHANGE_WORDS & set(words) or any(w == "from" and any(n[:1].isdigit() or n in NUMBER_WORDS
                                                            for n in words[i + 1:i + 3])
                                        for i, w in enumerate(words)):
        return "change"
    if RESULT_WORDS & set(words) or any(w in ("is", "are", "we're", "we’re") and n == "at"
                                         for w, n in zip(words, words[1:], strict=False)):
        return "result"  # "we are at 24% electric"
    return ""


RATE_WORDS = word_set("each per every")
# Words that qualify a figure ("at least 60%") rather than say what it measures.
QUALIFIERS = word_set("least most above below over under nearly almost about around roughly more less than")
# A dated past action told as a story ("in August we approved $9 million of a $21 million request"): its figures are
# what happened, not a position.
NARRATED_RE = re.compile(r"\bin (?:january|february|march|april|may|june|july|august|september|october|november|"
                         r"december|(?:19|20)\d\d),? (?:we|i)(?: \w+ly)? \w+ed\b", re.IGNORECASE)


def _figures_in(text: str) -> list[_Figure]:
    """The key figures of a text, each with its kind and measure (from its own clause, else the whole text)."""
    whole = "result" if NARRATED_RE.search(text) else _kind([w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", text)])
    found: list[_Figure] = []
    for m in FIGURE_RE.finditer(text):
        if _labelled(text[:m.start("num")]) and not m.group("pct") and not m.group("cur"):
            continue
        for unit, values in figures(m.group(0)).items():
            before = _WINDOW_STOP.split(text[:m.start()])[-1]
            after = _WINDOW_STOP.split(text[m.end("num"):])[0]
            near = [w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", before)][-_WINDOW:] + \
                [w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", after)][:_WINDOW]
            kind = _kind(near) or whole
            measure = frozenset(content_stems(" ".join(w for w in near if not w.isdigit()))) - {
                stem(w) for w in TARGET_WORDS | RESULT_WORDS | CHANGE_WORDS | NEW_LEVEL_WORDS | QUALIFIERS} - {stem(unit)}
            rate = bool(RATE_WORDS & {w.lower() for w in re.findall(r"[A-Za-z]+", before)} | RATE_WORDS & set(near))
            found.extend(_Figure(unit, v, kind, measure, rate) for v in values)
    return found


def _comparable(x: _Figure, y: _Figure) -> bool:
    """Whether two figures can disagree: same unit, both positions (a target, or a plain statement of policy such as
    "we take 40 apprentices a year"; never a result or a change that happened), same measure."""
    if x.unit != y.unit or {x.kind, y.kind} & {"result", "change"} or x.rate != y.rate:
        return False
    return not x.measure or not y.measure or bool(x.measure & y.measure)


def states_position(text: str) -> bool:
    """Whether a statement says what is or will be, rather than announcing or narrating ("I promised to explain…")."""
    if NARRATIVE_RE.search(text):
        return False
    return not (PAST_OPENING_RE.search(text) and not _FUTURE_RE.search(text))


def _moved(earlier: str, later: str) -> set[str]:
    """Units whose comparable figures share no value between the two statements."""
    a, b = _figures_in(earlier), _figures_in(later)
    moved = set()
    for unit in {f.unit for f in a} & {f.unit for f in b}:
        pairs = [(x, y) for x in a for y in b if x.unit == unit and _comparable(x, y)]
        if pairs and not any(x.value == y.value for x, y in pairs):
            moved.add(unit)
    return moved


def differs(earlier: str, later: str) -> list[str]:
    """Why two statements on one point take different positions (empty when nothing says they do, or when the
    earlier one states no position)."""
    if not states_position(earlier) or _fragment(earlier) or _fragment(later):
        return []
    reasons = []
    moved = _moved(earlier, later)
    if moved - {"year"}:
        reasons.append("figures")
    elif moved:
        reasons.append("years")
    if REVERSAL_RE.search(later) and not REVERSAL_RE.search(earlier) and _turns_from(earlier, later):
        reasons.append("reversal")
    if _reports(later):
        return reasons  # "near-miss reports more than doubled" reports what happened: it denies no position
    denial = max(_flipped(earlier, later), _flipped(later, earlier))
    if denial:
        reasons.append("polarity" if denial >= STRONG_DENIAL else "negation")
    if _opposed(earlier, later):
        reasons.append("opposite")
    return reasons


CONTRAST_RE = re.compile(r"\b(?:rather than|instead of)\s+([^.;:,—–]*)", re.IGNORECASE)


def _turns_from(earlier: str, later: str) -> bool:
    """Whether a later statement's reversal is of the earlier one: a bare contrast ("… rather than buying volume below
    cost") counts only when what it turns from is in the earlier statement (two of its words, or a figure)."""
    cues = list(REVERSAL_RE.finditer(later))
    contrasts = list(CONTRAST_RE.finditer(later))
    if len(contrasts) < len(cues) or not contrasts:
        return True  # a reversal said outright ("no longer", "we are suspending…"), or a bare "instead"
    theirs = set(content_stems(earlier)) | set(re.findall(r"\d+", earlier))
    for m in contrasts:
        object_words = set(content_stems(m.group(1))) | set(re.findall(r"\d+", m.group(1)))
        shared = object_words & theirs
        if len(shared) >= 2 or any(w.isdigit() for w in shared):
            return True
    return False


def _fragment(text: str) -> bool:
    """Whether a statement is the tail of a sentence cut by a page break ("departures back under six percent…")."""
    first = text.lstrip("“\"'‘([ ")[:1]
    return (first.isalpha() and first.islower()) or bool(PAGE_BREAK_RE.search(text))


# A running page header inside a statement, then the rest of a cut sentence ("… Page 2 departures back under…").
PAGE_BREAK_RE = re.compile(r"\bPage \d+\s+[a-z]")


def _reports(text: str) -> bool:
    """Whether a statement reports what happened (a result or a change, past tense), not what is or will be."""
    words = [w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", text)]
    return _kind(words) in ("result", "change")


# Words whose use in one statement and opposite's in the other (without the word itself) means the position turned.
OPPOSITES = (("open", "closed"), ("open", "close"), ("raise", "cut"), ("raise", "lower"), ("increase", "decrease"),
             ("increase", "cut"), ("expand", "shrink"), ("expand", "end"), ("start", "stop"), ("add", "remove"),
             ("more", "fewer"), ("allow", "ban"), ("keep", "drop"), ("only", "anywhere"),
             ("up", "down"), ("flat", "raising"), ("flat", "increase"), ("flat", "cut"), ("hold", "raising"),
             ("keep", "suspend"), ("keep", "halt"), ("keep", "scrap"), ("continue", "suspend"), ("continue", "halt"))


def _opposed(earlier: str, later: str) -> bool:
    """Whether one statement uses a word and the other its opposite (and not the word itself)."""
    a = {stem(w) for w in re.findall(r"[A-Za-z]+", earlier.lower())}
    b = {stem(w) for w in re.findall(r"[A-Za-z]+", later.lower())}
    for x, y in OPPOSITES:
        x, y = stem(x), stem(y)
        if (x in a and y in b and x not in b and y not in a) or (y in a and x in b and y not in b and x not in a):
            return True
    return False


CLAUSE_RE = re.compile(r"[;:,—–]|(?<!\d)[.!?](?!\d)|\b(?:and|but|so|because|while|whereas)\b")
# A clause that opens with these is a condition, not a denial ("If the approval isn't in by January, …").
CONDITION_RE = re.compile(r"^\W*(?:if|unless|whether|in case)\b", re.IGNORECASE)
QUOTED_RE = re.compile(r"[“\"][^”\"]*[”\"]")
REASON_RE = re.compile(r"because|while|whereas")


# Words that deny by themselves: a negated clause holding one is a double negative ("no one would exclude…").
NEGATIVE_WORDS_RE = re.compile(r"\b(?:exclud|ban|refus|den(?:y|ie)|prevent|avoid|lack|fail|stop|cancel|abandon|"
                               r"forbid|prohibit|reject)\w*", re.IGNORECASE)
# A denial sharing this many words with what it denies is strong evidence; fewer ("negation") counts only between
# statements very close in meaning.
STRONG_DENIAL = 3
# A denial is of what the other statement asserts when this share of the negated clause's words (two at least) is in it.
DENIAL_SHARE = 0.4


def _flipped(negated: str, other: str) -> int:
    """How strongly `negated` denies what `other` asserts (0 when it does not): the number of words a negated clause
    shares with `other`, when they are DENIAL_SHARE of its words (two at least, or all of a short clause's) and
    `other` carries no negation of its own."""
    if NEGATION_RE.search(other):
        return 0
    # Names say what both speak of, not what one denies ("I don't want a heroic fix on Calder Dispatch").
    names = _names(negated) | _names(other)
    theirs = set(content_stems(other)) - names
    best = echoed = 0
    pieces = re.split(f"({CLAUSE_RE.pattern})", QUOTED_RE.sub(" ", negated))  # 'Not "most pallets"' quotes words
    for at in range(0, len(pieces), 2):
        clause = pieces[at]
        if at and REASON_RE.fullmatch(pieces[at - 1].strip()):
            continue  # a reason given ("…, because in cold chain 97 is not good enough") denies nothing said
        if CONDITION_RE.search(clause):
            continue
        if clause and NEGATION_RE.search(clause) and not NEGATIVE_WORDS_RE.search(clause):
            mine = set(content_stems(clause)) - names
            shared = mine & theirs
            if (len(shared) >= 2 and len(shared) >= DENIAL_SHARE * len(mine)) or (shared and shared == mine):
                best = max(best, len(shared))
        elif clause:
            echoed = max(echoed, len(set(content_stems(clause)) - names & theirs))
    # Another clause restates `other` more fully than the denial touches it ("We do not price below the cost to
    # serve, and our renewal conversations now start with that cost"): the denial is of something else. A bare
    # correction ("two office days a week, not three") touches one word and stands.
    return 0 if best >= 2 and echoed > best else best


def _names(text: str) -> set[str]:
    """Stems of the capitalised words of a text that do not open a sentence (names: "Calder Dispatch", "Quay Street")."""
    found: set[str] = set()
    tokens = text.split()
    for before, token in zip(["."] + tokens, tokens, strict=False):
        word = token.strip("“”\"'‘’()[],;:.!?")
        if word[:1].isupper() and not before.endswith((".", "!", "?", ":", "“", '"')) and word.lower() != "i":
            found.add(stem(word.lower()))
    return found


# --- statements ------------------------------------------------------------------------------------------------

def _vectors(scorer: Scorer, texts: list[str]) -> np.ndarray:
    """Unit vectors of sentences, from the extractive composer's cache (it embeds the same sentences, keyed alike)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return _sentence_vectors(scorer, texts)


@dataclass
class _Pool:
    """The quotable sentences of the dated passages looked at, their vectors and closeness to the question."""

    sentences: list[Any]
    vectors: np.ndarray | None
    relevance: list[float]

    def point(self, i: int, j: int) -> float:
        """How close two sentences are in meaning (shared words without a model)."""
        if self.vectors is not None:
            return float(self.vectors[i] @ self.vectors[j])
        return jaccard(set(content_stems(self.sentences[i].text)), set(content_stems(self.sentences[j].text)))

    def statement(self, i: int) -> Statement:
        """Sentence i with a neighbour in its passage on the same point and nearly as close to the question."""
        top = self.sentences[i]
        chosen = [i]
        for j, s in enumerate(self.sentences):
            if (s.hit.passage_id == top.hit.passage_id and abs(s.index - top.index) == 1
                    and len(chosen) < MAX_STATEMENT_SENTENCES
                    and self.relevance[j] >= STATEMENT_SHARE * self.relevance[i]
                    and self.point(i, j) >= self.same_point):
                chosen.append(j)
        chosen.sort(key=lambda j: self.sentences[j].index)
        vector = None
        if self.vectors is not None:
            mean = self.vectors[chosen].mean(axis=0)
            vector = mean / (float(np.linalg.norm(mean)) or 1.0)
        return Statement(top.hit, tuple((self.sentences[j].start, self.sentences[j].end) for j in chosen),
                         self.relevance[i], vector)

    @property
    def same_point(self) -> float:
        return SAME_POINT if self.vectors is not None else SAME_POINT_WORDS


def sentence_pool(question: str, hits: Sequence[HitLike], scorer: Scorer | None) -> _Pool:
    """The dated executive sentences of the hits, scored against the question."""
    pool = [s for s in quotable_sentences(hits, len(hits)) if s.hit.date is not None]
    if not pool:
        return _Pool([], None, [])
    if scorer is not None:
        texts = [f"{s.hit.heading}: {s.text}" if s.hit.heading else s.text for s in pool]
        vectors = _vectors(scorer, texts)
        return _Pool(pool, vectors, [float(x) for x in vectors @ scorer.query_vector(question)])
    wanted = set(content_stems(question))
    return _Pool(pool, None, [len(wanted & set(content_stems(s.text))) / (len(wanted) or 1) for s in pool])


def find_change(question: str, hits: Sequence[HitLike], scorer: Scorer | None, *, anchor_source: int | None = None,
                revisions: Revisions = frozenset(), floor: float | None = None) -> PositionChange | None:
    """The change of position on the question's point among the hits' dated sources, or None.

    The anchor is the source the answer stands on (its first citation), else the one closest to the question; its
    statement is its sentence closest to the question. Each other dated source's statement on that point is its
    sentence closest to the anchor's (among those about the question), when it is close enough to be the same point.
    """
    pool = sentence_pool(question, hits, scorer)
    if not pool.sentences:
        return None
    by_source: dict[int, list[int]] = {}
    for i, s in enumerate(pool.sentences):
        by_source.setdefault(s.hit.source_id, []).append(i)
    best = {sid: max(idx, key=lambda i: pool.relevance[i]) for sid, idx in by_source.items()}
    if anchor_source not in best:
        anchor_source = max(best, key=lambda sid: pool.relevance[best[sid]])
    a = best[anchor_source]
    anchor = pool.statement(a)
    if floor is None:
        floor = max(RELEVANT_FLOOR, RELEVANT_SHARE * anchor.relevance)
    changed: list[tuple[Statement, list[str], bool]] = []
    closeness: dict[int, float] = {}
    matches: dict[int, tuple[int, float, bool]] = {}
    for source_id, indexes in by_source.items():
        date = pool.sentences[indexes[0]].hit.date
        if source_id == anchor_source or date == anchor.date:
            continue
        pair = (source_id, anchor_source) if date < anchor.date else (anchor_source, source_id)
        marked = pair in revisions
        # A sentence the question's words reach less well still speaks to the point when it is very close in meaning to
        # the anchor ("raising prices on the core line" against "prices flat on our core line of tents…").
        about = [i for i in indexes if pool.relevance[i] >= floor
                 or (pool.relevance[i] >= NEAR_SHARE * anchor.relevance and pool.point(a, i) >= NEAR_POINT)] or (
            indexes if marked else [])
        if not about:
            continue
        j = max(about, key=lambda i: pool.point(a, i))
        if pool.point(a, j) >= (MARKED_POINT if marked else pool.same_point):
            matches[source_id] = (j, pool.point(a, j), marked)
    # The point is what the closest other source says; a source much further from it speaks to a neighbouring point.
    closest = max((p for _, p, _ in matches.values()), default=0.0)
    for j, point, marked in matches.values():
        if not marked and point < closest - POINT_MARGIN:
            continue
        other = pool.statement(j)
        before, after = (other, anchor) if other.date < anchor.date else (anchor, other)
        reasons = differs(before.text, after.text)
        if set(reasons) <= WEAK_REASONS and point < CLOSE_POINT and pool.vectors is not None:
            reasons = []  # a year or a turn of phrase alone is evidence only between statements very close in meaning
        if marked:
            reasons = ["marked", *reasons]
        if reasons:
            changed.append((other, reasons, marked))
            closeness[id(other)] = point
    # A change said only by a year or a turn of phrase is a neighbouring point when a clearer change (a figure, a
    # denial, an opposite, a mark) is closer to the anchor ("Canadian stores pushed back to 2028" against "25 new
    # stores this year rather than 40", both after "40 new stores in 2025").
    clear = [closeness[id(s)] for s, rs, _ in changed if set(rs) - WEAK_REASONS]
    if clear:
        changed = [c for c in changed if set(c[1]) - WEAK_REASONS or closeness[id(c[0])] >= max(clear)]
    if not changed:
        return None
    group = [anchor, *(s for s, _, _ in changed)]
    newest = max(group, key=lambda s: (s.date, s.relevance))
    # The earlier position quoted is the one closest to the point (the anchor itself when it is not the newest).
    earlier = sorted((s for s in group if s is not newest),
                     key=lambda s: (-closeness.get(id(s), 1.0), -s.date.toordinal()))[:MAX_EARLIER]
    shown = {id(newest), *(id(s) for s in earlier)}
    reasons = list(dict.fromkeys(r for s, rs, _ in changed if id(s) in shown for r in rs))
    return PositionChange(newest, earlier, reasons, marked=any(m for s, _, m in changed if id(s) in shown))


# --- how an answer says it -------------------------------------------------------------------------------------

def when(date: dt.date, others: Iterable[dt.date] = ()) -> str:
    """"March 2026", or "3 March 2026" when another position is from the same month."""
    same_month = any(o != date and (o.year, o.month) == (date.year, date.month) for o in others)
    return f"{date.day} {date:%B %Y}" if same_month else f"{date:%B %Y}"


def source_label(hit: HitLike, others: Iterable[dt.date] = ()) -> str:
    """"the March 2026 memo" (the kind of source, dated)."""
    assert hit.date is not None
    return f"the {when(hit.date, others)} {KIND_NAMES.get(hit.kind, 'note')}"


def _lead(label: str, text: str) -> str:
    """"As of <label>, we…" when the statement's first word reads on after a comma in lower case ("We…" → "we…");
    else "As of <label>: Cold chain…" (her other words keep their case)."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and not first.isupper() and first.lower().strip("“\"'‘,;:") not in _LOWER_OK:
        return f"As of {label}: {text}"
    if first[:1].isupper() and not first.isupper():
        text = text[:1].lower() + text[1:]
    return f"As of {label}, {text}"


def compose(change: PositionChange, persona: PersonaSettings, question: str, score: float,
            evidence: Any = None) -> Composed:
    """The dated answer: "As of the March 2026 memo, … [1]" then "In January 2025 I said: “…” [2]"."""
    dates = [change.newest.date, *(s.date for s in change.earlier)]
    newest = change.newest
    citations = [citation_for(1, newest.hit, newest.quote)]
    sentences = [newest.hit.text[a:b] for a, b in newest.spans]
    segments = []
    for i, sentence in enumerate(sentences):
        text = _lead(source_label(newest.hit, dates), sentence) if i == 0 else sentence
        segments.append(text + (" [1]" if i == len(sentences) - 1 else ""))
    used = [newest.hit]
    for n, earlier in enumerate(change.earlier, start=2):
        citations.append(citation_for(n, earlier.hit, earlier.quote))
        segments.append(earlier_sentence(earlier, dates, n))
        used.append(earlier.hit)
    return Composed(answer=" ".join(segments), citations=citations, grounded=True, grounding=score,
                    segments=segments, used=used, evidence=evidence)


def earlier_sentence(statement: Statement, dates: Sequence[dt.date], n: int) -> str:
    """"In January 2025 I said: “…” [n]"."""
    return f"In {when(statement.date, dates)} I said: “{statement.text}” [{n}]"


def shown(change: PositionChange | None, composed: Composed) -> dict[str, Any] | None:
    """The answer's `positions` field: the change, when the answer gives the current position and an earlier one."""
    if change is None or not composed.grounded:
        return None
    cited = {c.source_id for c in composed.citations}
    if change.newest.hit.source_id not in cited or not any(s.hit.source_id in cited for s in change.earlier):
        return None
    return change.to_dict()


# --- the model's answer ----------------------------------------------------------------------------------------

def dated_text(hit: HitLike) -> str:
    """A passage as a model's sentences are checked against it: its words and its source's date and kind, so that
    "As of the March 2026 memo, …" is supported by the passage it cites."""
    if hit.date is None:
        return hit.text
    return f"{hit.text}\n{hit.date.day} {hit.date:%B %Y} {KIND_NAMES.get(hit.kind, 'note')}"


def order_for_model(hits: Sequence[HitLike], change: PositionChange | None) -> list[HitLike]:
    """The passages as numbered for the model: the newest position's just before the earlier ones'."""
    if change is None:
        return list(hits)
    wanted = [change.newest.hit, *(s.hit for s in change.earlier)]
    ids = {h.passage_id for h in wanted}
    rest = [h for h in hits if h.passage_id not in ids]
    position = next((i for i, h in enumerate(hits) if h.passage_id in ids), 0)
    before = [h for h in hits[:position] if h.passage_id not in ids]
    return before + wanted + rest[len(before):]


def numbers_of(change: PositionChange, hits: Sequence[HitLike]) -> tuple[int, list[int]] | None:
    """The [n] of the newest position and of the earlier ones among the numbered passages, or None."""
    index = {h.passage_id: n for n, h in enumerate(hits, start=1)}
    newest = index.get(change.newest.hit.passage_id)
    earlier = [index[s.hit.passage_id] for s in change.earlier if s.hit.passage_id in index]
    if newest is None or not earlier:
        return None
    return newest, earlier


RULE = ("6. When sources of different dates take different positions on the point asked about, the newest is the "
        "current position: give it first, saying its date, then the earlier one with its date, citing both.")


def instruct(messages: list[dict[str, str]], change: PositionChange | None, hits: Sequence[HitLike]) -> None:
    """Tell the model which numbered sources disagree over time and which is current (in place)."""
    numbers = numbers_of(change, hits) if change is not None else None
    if change is None or numbers is None:
        return
    newest, earlier = numbers
    dates = [change.newest.date, *(s.date for s in change.earlier)]
    olds = " and ".join(f"[{n}] ({s.date.isoformat()})" for n, s in zip(earlier, change.earlier, strict=False))
    first_old = change.earlier[0]
    note = (f"Dated positions: source [{newest}] ({change.newest.date.isoformat()}) and source {olds} disagree on "
            f"this point; [{newest}] is the current position. Begin with it (\"As of "
            f"{source_label(change.newest.hit, dates)}, …\" citing [{newest}]), then give the earlier one (\"In "
            f"{when(first_old.date, dates)} I said …\" citing [{earlier[0]}]).")
    system = messages[0]["content"]
    if RULE not in system:
        head, sep, tail = system.partition("\n\nVoice:")
        if not sep:
            head, sep, tail = system.rpartition("\n[us-rules-")
            messages[0]["content"] = (head + "\n" + RULE + sep + tail) if sep else system + "\n" + RULE
        else:
            messages[0]["content"] = head + "\n" + RULE + sep + tail
    last = messages[-1]["content"]
    at = last.rfind("\n\nQuestion: ")
    messages[-1]["content"] = (last[:at] + "\n\n" + note + last[at:]) if at >= 0 else last + "\n\n" + note


def order_problem(change: PositionChange | None, hits: Sequence[HitLike],
                  kept: Sequence[CitedSentence]) -> str | None:
    """Why a model's checked sentences (so far) misstate dated positions: the earlier one cited before the current one
    (`position_order`), or without its date (`position_undated`)."""
    numbers = numbers_of(change, hits) if change is not None else None
    if change is None or numbers is None:
        return None
    newest, earlier = numbers
    years = {n: str(s.date.year) for n, s in zip(earlier, change.earlier, strict=False)}
    said_newest = False
    for sentence in kept:
        said_newest = said_newest or newest in sentence.cites
        for n in sentence.cites:
            if n in years and not said_newest:
                return "position_order"
            if n in years and n != newest and years[n] not in sentence.text:
                return "position_undated"  # the earlier position must say it is earlier: its date
    return None


def order_check(change: PositionChange | None, hits: Sequence[HitLike]) -> Callable[[Sequence[CitedSentence]],
                                                                                     str | None] | None:
    """The check a streamed model answer passes piece by piece, or None when no position changed."""
    if change is None or numbers_of(change, hits) is None:
        return None
    return lambda kept: order_problem(change, hits, kept)


def complete(composed: Composed, change: PositionChange | None, hits: Sequence[HitLike],
             kept: Sequence[CitedSentence]) -> tuple[Composed, str]:
    """A checked model answer that gave the current position without the earlier one: the earlier one added in
    the executive's own words, cited. Returns the answer and the text added ("" when nothing was)."""
    numbers = numbers_of(change, hits) if change is not None else None
    if change is None or numbers is None or not composed.grounded:
        return composed, ""
    newest, earlier = numbers
    cited = {n for s in kept for n in s.cites}
    if newest not in cited or all(n in cited for n in earlier):
        return composed, ""
    dates = [change.newest.date, *(s.date for s in change.earlier)]
    added = " ".join(earlier_sentence(s, dates, n) for s, n in zip(change.earlier, earlier, strict=False)
                     if n not in cited)
    citations: list[Citation] = list(composed.citations)
    for s, n in zip(change.earlier, earlier, strict=False):
        if n not in cited:
            citations.append(citation_for(n, s.hit, s.quote))
    answer = f"{composed.answer} {added}"
    return replace(composed, answer=answer, citations=citations, segments=[*composed.segments, " " + added],
                   used=[*composed.used, *(s.hit for s in change.earlier)]), " " + added


# --- what an answer stands on ----------------------------------------------------------------------------------

BASIS_LABELS = {"own_words": "{whose} words", "rephrased": "{whose} words, rephrased (checked)", "no_answer": "no answer"}


def basis(mode: str, grounded: bool) -> str:
    """What an answer stands on: her own words (extractive), her words rephrased and checked (LLM), or no answer."""
    if not grounded:
        return "no_answer"
    return "rephrased" if mode == "llm" else "own_words"


def basis_label(kind: str, possessive: str = "their") -> str:
    """The one label every channel shows for an answer's basis ("her words" for a persona whose pronoun is she)."""
    return BASIS_LABELS.get(kind, BASIS_LABELS["no_answer"]).replace("{whose}", possessive)


# --- with the corpus -------------------------------------------------------------------------------------------

def _passage_hits(session: Session, twin_id: int, source_ids: Iterable[int], viewer: Viewer) -> list[PassageHit]:
    """The executive passages of these sources that the viewer may see (approved, current, in their audiences)."""
    ids = sorted(set(source_ids))
    if not ids:
        return []
    rows = session.execute(
        select(Passage, Source).join(Source, Source.id == Passage.source_id)
        .where(Source.id.in_(ids), Source.twin_id == twin_id, Source.status == "approved",
               Source.superseded_by_id.is_(None), Source.audience.in_(sorted(viewer.audiences)),
               Passage.executive.is_(True))
        .order_by(Source.id, Passage.ordinal))
    return [PassageHit(passage_id=p.id, source_id=s.id, source_version=s.version, title=s.title, kind=s.kind,
                       date=s.date, locator=p.locator, speaker=p.speaker, executive=p.executive, text=p.text,
                       heading=p.heading, ordinal=p.ordinal, score=0.0) for p, s in rows]


def apply(session: Session, settings: Settings, twin_id: int, question: str, hits: list[HitLike],
          persona: PersonaSettings, composed: Composed,
          viewer: Viewer) -> tuple[list[HitLike], Composed, PositionChange | None]:
    """The engine's hook: the change of position on the question's point, if any, and the answer that says it.

    Passages of later sources a curator marked as revising a found source join the pool; the one giving the newest
    position joins the hits (so the model sees it too)."""
    if not hits:
        return hits, composed, None
    try:
        found_ids = {h.source_id for h in hits[:POOL_PASSAGES] if h.executive}
        revisions = marked_pairs(session, twin_id, found_ids)
        later = {b for a, b in revisions if a in found_ids and b not in found_ids}
        extra = _passage_hits(session, twin_id, later, viewer)
        anchor = composed.citations[0].source_id if composed.grounded and composed.citations else None
        if anchor is not None and composed.citations[0].date is None:
            return hits, composed, None  # the answer stands on an undated source: no position to date
        change = find_change(question, [*hits[:POOL_PASSAGES], *extra], reranker_for(settings),
                             anchor_source=anchor, revisions=revisions)
    except Exception as exc:  # the positions are a refinement: an answer without them still stands
        log.warning("dated positions unavailable: %s", exc)
        return hits, composed, None
    if change is None:
        return hits, composed, None
    known = {h.passage_id for h in hits}
    hits = [*hits, *(s.hit for s in (change.newest, *change.earlier) if s.hit.passage_id not in known)]
    if composed.grounded:
        composed = compose(change, persona, question, composed.grounding, composed.evidence)
    return hits, composed, change


def checked(outcome: Any, change: PositionChange | None, hits: Sequence[HitLike]) -> Any:
    """A model's checked answer with positions in order (the earlier cited first fails it: `position_order`) and the
    earlier position added when the model left it out."""
    from service.twin.llm import LLMOutcome

    composed = outcome.composed
    if composed is None or outcome.check is None or change is None:
        return outcome
    problem = order_problem(change, hits, outcome.check.kept)
    if problem is not None:
        return LLMOutcome(None, problem, raw_text=outcome.raw_text, check=outcome.check)
    completed, _added = complete(composed, change, hits, outcome.check.kept)
    return LLMOutcome(completed, None, raw_text=outcome.raw_text, check=outcome.check)


@dataclass(frozen=True)
class DetectedRevision:
    """A later source whose statement on one of this source's points differs from it, found by meaning."""

    source_id: int
    title: str
    date: dt.date
    ordinal: int
    later_ordinal: int
    reasons: list[str]
    earlier_text: str
    later_text: str

    def to_dict(self) -> dict[str, Any]:
        return {"source_id": self.source_id, "title": self.title, "date": self.date.isoformat(),
                "ordinal": self.ordinal, "later_ordinal": self.later_ordinal, "reasons": list(self.reasons),
                "earlier": self.earlier_text, "later": self.later_text}


NEAREST_PASSAGES = 8
MAX_SOURCE_PASSAGES = 60


def detect_revisions(session: Session, settings: Settings, source: Source) -> list[DetectedRevision]:
    """Later approved sources of the same twin that take a different position on a point this source makes."""
    scorer = reranker_for(settings)
    if scorer is None or source.date is None:
        return []
    everyone = Viewer(audiences=store.source_audiences(session, source.twin_id))
    own = [h for h in _passage_hits_any(session, source) if h.executive][:MAX_SOURCE_PASSAGES]
    if not own:
        return []
    later_ids = {later.id for later in store.later_sources(session, source)}
    others = {h.passage_id: h for h in _passage_hits(session, source.twin_id, later_ids, everyone)}
    if not others:
        return []
    later = list(others.values())
    own_vectors, later_vectors = _passage_vectors(session, scorer, own), _passage_vectors(session, scorer, later)
    similarity = own_vectors @ later_vectors.T
    near: dict[int, set[int]] = {}
    for row, h in enumerate(own):
        order = np.argsort(-similarity[row])[:NEAREST_PASSAGES]
        near[h.passage_id] = {later[i].passage_id for i in order if similarity[row, i] >= SAME_POINT}
    found: dict[tuple[int, int, str], DetectedRevision] = {}
    for h in own:
        points = [s.text for s in quotable_sentences([h], 1)]
        for pid in sorted(near[h.passage_id]):
            other = others[pid]
            for point in points:  # each sentence of the passage is a point it makes
                change = find_change(point, [h, other], scorer, anchor_source=source.id, floor=RELEVANT_FLOOR)
                if change is None or change.newest.hit.source_id != other.source_id:
                    continue
                key = (other.source_id, h.ordinal, change.earlier[0].text)
                if key not in found:
                    assert other.date is not None
                    found[key] = DetectedRevision(other.source_id, other.title, other.date, h.ordinal,
                                                  other.ordinal, change.reasons, change.earlier[0].text,
                                                  change.newest.text)
    return sorted(found.values(), key=lambda d: (d.date, d.source_id, d.ordinal), reverse=True)


def _passage_vectors(session: Session, scorer: Any, hits: Sequence[PassageHit]) -> np.ndarray:
    """Unit vectors of passages as search embeds them: stored at ingestion, else embedded now."""
    texts = [(h.passage_id, embedding_text(h.title, h.heading, h.text)) for h in hits]
    stored = load_stored_vectors(session, scorer.model, texts)
    missing = [(pid, body) for pid, body in texts if pid not in stored]
    if missing:
        stored.update(zip((pid for pid, _ in missing), scorer.embed([body for _, body in missing]), strict=True))
    return np.stack([np.asarray(stored[pid], dtype=np.float32) for pid, _ in texts])


def _passage_hits_any(session: Session, source: Source) -> list[PassageHit]:
    """A source's own passages as hits, whatever its status (a curator reads any source they may see)."""
    return [PassageHit(passage_id=p.id, source_id=source.id, source_version=source.version, title=source.title,
                       kind=source.kind, date=source.date, locator=p.locator, speaker=p.speaker,
                       executive=p.executive, text=p.text, heading=p.heading, ordinal=p.ordinal, score=0.0)
            for p in source.passages]


def revision_report(session: Session, settings: Settings, source: Source, viewer: Viewer, *,
                    detect: bool = True) -> dict[str, Any]:
    """For one source: the later sources marked as revising its position, the earlier ones it revises, and the later
    sources found by meaning to take a different position on one of its points (only sources the viewer may see)."""
    from service.corpus.revisions import revised_by, revises

    found: list[DetectedRevision] = []
    if detect:
        try:
            found = detect_revisions(session, settings, source)
        except Exception as exc:  # the model failed: the marks still show
            log.warning("detecting revisions of source %s failed: %s", source.id, exc)
    audiences = {s.id: s.audience for s in session.scalars(select(Source).where(
        Source.id.in_(sorted({d.source_id for d in found}) or [0])))}
    return {"revised_by": [link.to_dict() for link in revised_by(session, source) if viewer.sees(link.other.audience)],
            "revises": [link.to_dict() for link in revises(session, source) if viewer.sees(link.other.audience)],
            "detected": [d.to_dict() for d in found if viewer.sees(audiences.get(d.source_id, ""))]}
