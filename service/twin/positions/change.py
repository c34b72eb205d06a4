"""Statements of dated sources on the question's point, and the change of position among them (by meaning, else by
shared words)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from service.search import PassageHit
from service.twin.extractive import quotable_sentences, sentence_vectors
from service.twin.positions.detect import differs
from textkit.words import content_stems, jaccard

# Two statements are on the same point when their vectors are at least this close (all-MiniLM-L6-v2 cosine).
SAME_POINT = 0.5
# Other sources' statements count only when this close to the closest one's (else they make a neighbouring point).
POINT_MARGIN = 0.15
# Reasons that alone say little ("by 2026" against "in 2028", "instead", a word against its opposite anywhere in two
# sentences: "customers stop worrying" against "start"): they count only this close in meaning.
WEAK_REASONS = frozenset({"years", "reversal", "negation", "opposite"})
CLOSE_POINT = 0.65
# A sentence the question reaches less well (this share of the anchor's closeness) still speaks to the point when it
# is this close in meaning to the anchor.
NEAR_SHARE = 0.5
NEAR_POINT = 0.55
# A curator marked the later source as revising the earlier one: its closest sentence need only be this close.
MARKED_POINT = 0.35
# A later statement on the point that changes nothing (and is close in meaning to it: CLOSE_POINT) leads when the
# question reaches it about as well as this share of the newest changed position.
RESTATED_SHARE = 0.9
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


class Scorer(Protocol):
    """What comparing statements by meaning needs: vectors for texts and for the question."""

    def query_vector(self, query: str) -> np.ndarray: ...
    def embed(self, texts: list[str]) -> np.ndarray: ...


# Marked pairs: (earlier source id, later source id): the later one's position supersedes the earlier one's.
Revisions = frozenset[tuple[int, int]]


@dataclass(frozen=True)
class Statement:
    """What one dated source says on the point: its best sentences for the question, in reading order."""

    hit: PassageHit
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


# --- statements ------------------------------------------------------------------------------------------------

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


def sentence_pool(question: str, hits: Sequence[PassageHit], scorer: Scorer | None) -> _Pool:
    """The dated executive sentences of the hits, scored against the question."""
    pool = [s for s in quotable_sentences(hits, len(hits)) if s.hit.date is not None]
    if not pool:
        return _Pool([], None, [])
    if scorer is not None:
        vectors = sentence_vectors(scorer, pool)  # the extractive composer's memory: the same sentences
        return _Pool(pool, vectors, [float(x) for x in vectors @ scorer.query_vector(question)])
    wanted = set(content_stems(question))
    return _Pool(pool, None, [len(wanted & set(content_stems(s.text))) / (len(wanted) or 1) for s in pool])


def find_change(question: str, hits: Sequence[PassageHit], scorer: Scorer | None, *,
                anchor_source: int | None = None, revisions: Revisions = frozenset(),
                floor: float | None = None) -> PositionChange | None:
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
    agreeing: list[tuple[Statement, float]] = []
    for j, point, marked in matches.values():
        other = pool.statement(j)
        before, after = (other, anchor) if other.date < anchor.date else (anchor, other)
        reasons = differs(before.text, after.text)
        if not marked and point < closest - POINT_MARGIN:
            if not reasons:  # a later restatement may be worded further from the anchor than a revision is
                agreeing.append((other, point))
            continue
        if set(reasons) <= WEAK_REASONS and point < CLOSE_POINT and pool.vectors is not None:
            reasons = []  # a year or a turn of phrase alone is evidence only between statements very close in meaning
        if marked:
            reasons = ["marked", *reasons]
        if reasons:
            changed.append((other, reasons, marked))
            closeness[id(other)] = point
        else:
            agreeing.append((other, point))
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
    restated = [s for s, point in agreeing if s.date > newest.date and point >= CLOSE_POINT
                and s.relevance >= RESTATED_SHARE * newest.relevance]
    if restated:
        # She stated the position again later, without the figure that changed ("we will do it at the pace the
        # routes allow"): that newest statement is her current position and leads; the changed one follows, dated.
        newest, earlier = max(restated, key=lambda s: (s.date, s.relevance)), [newest]
    shown = {id(newest), *(id(s) for s in earlier)}
    reasons = list(dict.fromkeys(r for s, rs, _ in changed if id(s) in shown for r in rs)) or list(
        dict.fromkeys(r for _, rs, _ in changed for r in rs))
    return PositionChange(newest, earlier, reasons, marked=any(m for s, _, m in changed if id(s) in shown))

