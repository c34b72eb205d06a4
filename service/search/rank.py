"""Rerank lexical candidates: the executive's own words, term coverage, phrases and proximity, field evidence."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from service.search.index import Candidate
from service.search.query import ParsedQuery, stems_of
from service.search.stemmer import stem

PROXIMITY_WINDOW = 8


@dataclass(frozen=True)
class RankWeights:
    """How much each piece of evidence counts in the final score (tuned on QMSum train/val)."""

    lexical: float = 1.0
    coverage: float = 1.0
    context_coverage: float = 0.25
    field_coverage: float = 0.3
    phrase: float = 0.4
    proximity: float = 0.3
    speaker_named: float = 0.5
    recency: float = 0.02
    short_text_words: int = 4
    short_text_penalty: float = 0.3
    # Other speakers' turns (an interviewer's question that shares the words) count for less.
    other_speaker_factor: float = 0.7


DEFAULT_WEIGHTS = RankWeights()


@dataclass(frozen=True)
class _Analysed:
    text: tuple[str, ...]
    fields: frozenset[str]
    context: frozenset[str]
    speaker: frozenset[str]


class _AnalysisCache:
    """Stems of recently seen passages, keyed by id and text so an edited passage is analysed again."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, int], _Analysed] = OrderedDict()

    def get(self, c: Candidate) -> _Analysed:
        key = (c.passage_id, hash((c.text, c.title, c.heading, c.context, c.speaker)))
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        fields = " ".join(x for x in (c.title, c.heading) if x)
        analysed = _Analysed(text=tuple(stems_of(c.text)), fields=frozenset(stems_of(fields)),
                             context=frozenset(stems_of(c.context)),
                             speaker=frozenset(stems_of(c.speaker or "")))
        self._items[key] = analysed
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return analysed


_CACHE = _AnalysisCache()


def term_weights(query: ParsedQuery, df: dict[str, int], total: int) -> dict[str, float]:
    """Each query stem's share of the query by inverse document frequency (uniform when unknown)."""
    if not query.stems:
        return {}
    if total <= 0:
        return {s: 1.0 / len(query.stems) for s in query.stems}
    raw = {s: math.log(1.0 + (total - min(df.get(s, 0), total) + 0.5) / (min(df.get(s, 0), total) + 0.5))
           for s in query.stems}
    norm = sum(raw.values()) or 1.0
    return {s: v / norm for s, v in raw.items()}


def _phrase_and_proximity(text: tuple[str, ...], query: ParsedQuery, weights: dict[str, float]) -> tuple[float, float]:
    positions: dict[str, list[int]] = {}
    wanted = weights.keys()
    hits: list[tuple[int, str]] = []
    for i, s in enumerate(text):
        if s in wanted:
            positions.setdefault(s, []).append(i)
            hits.append((i, s))
    phrase = 0.0
    if query.bigrams:
        total = 0.0
        for a, b in query.bigrams:
            pair_weight = weights[a] + weights[b]
            total += pair_weight
            pa, pb = positions.get(a), positions.get(b)
            if pa and pb:
                pb_set = set(pb)
                if any(p + 1 in pb_set or p + 2 in pb_set for p in pa):
                    phrase += pair_weight
                elif any(p - 1 in pb_set for p in pa):
                    phrase += 0.5 * pair_weight
        phrase = phrase / total if total else 0.0
    proximity = 0.0
    for (i, a), (j, b) in zip(hits, hits[1:], strict=False):
        if a != b and j - i <= PROXIMITY_WINDOW:
            proximity += (weights[a] + weights[b]) / (j - i)
    return phrase, proximity / (proximity + 0.5)


def rerank(query: ParsedQuery, candidates: list[Candidate], df: dict[str, int], total: int,
           weights: RankWeights = DEFAULT_WEIGHTS) -> list[tuple[Candidate, float]]:
    """Candidates with their final scores, best first."""
    if not candidates:
        return []
    tw = term_weights(query, df, total)
    best_lexical = max(c.lexical for c in candidates) or 1.0
    query_words = {stem(w) for w in query.words}
    dates = [c.date.toordinal() for c in candidates if c.date is not None]
    oldest, newest = (min(dates), max(dates)) if dates else (0, 0)
    scored: list[tuple[Candidate, float]] = []
    for c in candidates:
        a = _CACHE.get(c)
        in_text = set(a.text) & tw.keys()
        coverage = sum(tw[s] for s in in_text)
        context_only = sum(tw[s] for s in (a.context & tw.keys()) - in_text)
        fields = sum(tw[s] for s in a.fields & tw.keys())
        phrase, proximity = _phrase_and_proximity(a.text, query, tw)
        score = (weights.lexical * max(c.lexical, 0.0) / best_lexical + weights.coverage * coverage
                 + weights.context_coverage * context_only + weights.field_coverage * fields
                 + weights.phrase * phrase + weights.proximity * proximity)
        if a.speaker and a.speaker <= query_words:
            score += weights.speaker_named
        if c.date is not None and newest > oldest:
            score += weights.recency * (c.date.toordinal() - oldest) / (newest - oldest)
        if len(a.text) < weights.short_text_words:
            score -= weights.short_text_penalty
        if not c.executive:
            score *= weights.other_speaker_factor
        scored.append((c, max(score, 0.0)))
    scored.sort(key=lambda pair: (-pair[1], pair[0].passage_id))
    return scored
