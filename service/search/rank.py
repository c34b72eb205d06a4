"""Rerank lexical candidates: the executive's own words, term coverage, phrases and proximity, field evidence."""

from __future__ import annotations

import math
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from service.search.index import Candidate
from service.search.query import ParsedQuery
from textkit.stems import porter_stem
from textkit.words import index_stems

PROXIMITY_WINDOW = 8
# Honorifics and affiliations that do not name a speaker ("Hon. Chrystia Freeland", "Jane Hutt AM").
_NOT_A_NAME = frozenset({"mr", "mrs", "ms", "miss", "dr", "hon", "sir", "dame", "am", "mp", "mla", "the", "of"})


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
    source: float = 0.3
    recency: float = 0.02
    short_text_words: int = 4
    short_text_penalty: float = 0.3
    # Other speakers' turns (an interviewer's question that shares the words) count for less.
    other_speaker_factor: float = 0.7
    # How many of a source's best candidates make up its evidence.
    source_top: int = 10


DEFAULT_WEIGHTS = RankWeights()
# Weights that add to a passage's score; their sum scales reported scores into 0..1.
ADDITIVE = ("lexical", "coverage", "context_coverage", "field_coverage", "phrase", "proximity", "speaker_named",
            "source", "recency")


class _Analysed(NamedTuple):
    # Only tuples, strings and ints: once Python's garbage collector has seen an entry it stops tracking it,
    # so a large cache does not slow every later collection (sets and dataclasses stay tracked).
    positions: dict[str, tuple[int, ...]]
    length: int
    fields: tuple[str, ...]
    context: tuple[str, ...]
    speaker: tuple[str, ...]


def _distinct(stems: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(stems))


def _speaker_name(speaker: str) -> tuple[str, ...]:
    bare = speaker.split("(", 1)[0]
    return _distinct([s for s in index_stems(bare) if s not in _NOT_A_NAME])


class _AnalysisCache:
    """Stems of recently seen passages, keyed so that an edited passage is analysed again."""

    def __init__(self, size: int = 200_000) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, int, int, int], _Analysed] = OrderedDict()

    def get(self, c: Candidate) -> _Analysed:
        key = (c.passage_id, len(c.text), len(c.context), len(c.title) + len(c.heading or ""))
        found = self._items.get(key)
        if found is not None:
            return found
        fields = f"{c.title} {c.heading}" if c.heading else c.title
        stems = index_stems(c.text)
        positions: dict[str, list[int]] = {}
        for i, s in enumerate(stems):
            found_at = positions.get(s)
            if found_at is None:
                positions[s] = [i]
            else:
                found_at.append(i)
        analysed = _Analysed(positions={s: tuple(p) for s, p in positions.items()}, length=len(stems),
                             fields=_distinct(index_stems(fields)),
                             context=_distinct(index_stems(c.context)) if c.context else (),
                             speaker=_speaker_name(c.speaker) if c.speaker else ())
        self._items[key] = analysed
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return analysed


_CACHE = _AnalysisCache()


@dataclass(frozen=True)
class Features:
    """The evidence for one candidate, each piece between 0 and 1."""

    lexical: float
    coverage: float
    context_coverage: float
    field_coverage: float
    phrase: float
    proximity: float
    speaker_named: float
    recency: float
    short: bool
    executive: bool


def term_weights(query: ParsedQuery, df: dict[str, int], total: int,
                 leave_out: frozenset[str] = frozenset()) -> dict[str, float]:
    """Each query stem's share of the query by inverse document frequency (uniform when unknown)."""
    stems = [s for s in query.stems if s not in leave_out] or list(query.stems)
    if not stems:
        return {}
    if total <= 0:
        return {s: 1.0 / len(stems) for s in stems}
    raw = {}
    for s in stems:
        n = min(df.get(s, 0), total)
        raw[s] = math.log(1.0 + (total - n + 0.5) / (n + 0.5))
    norm = sum(raw.values()) or 1.0
    return {s: v / norm for s, v in raw.items()}


def _phrase_and_proximity(positions: dict[str, tuple[int, ...]], query: ParsedQuery,
                          weights: dict[str, float]) -> tuple[float, float]:
    phrase = 0.0
    if query.bigrams:
        total = 0.0
        for a, b in query.bigrams:
            if a not in weights or b not in weights:
                continue
            pair_weight = weights[a] + weights[b]
            total += pair_weight
            pa, pb = positions.get(a), positions.get(b)
            if pa and pb:
                after = set(pb)
                if any(p + 1 in after or p + 2 in after for p in pa):
                    phrase += pair_weight
                elif any(p - 1 in after for p in pa):
                    phrase += 0.5 * pair_weight
        phrase = phrase / total if total else 0.0
    hits = sorted((p, s) for s in weights if s in positions for p in positions[s])
    proximity = 0.0
    for (i, a), (j, b) in zip(hits, hits[1:], strict=False):
        if a != b and j - i <= PROXIMITY_WINDOW:
            proximity += (weights[a] + weights[b]) / (j - i)
    return phrase, proximity / (proximity + 0.5)


def features(query: ParsedQuery, candidates: list[Candidate], df: dict[str, int], total: int,
             short_text_words: int = DEFAULT_WEIGHTS.short_text_words) -> list[Features]:
    """The evidence for each candidate, in the candidates' order."""
    query_words = {porter_stem(w) for w in query.words}
    analysed = [_CACHE.get(c) for c in candidates]
    # Words that name a speaker ("what did the project manager say…") are evidence of who, not of what.
    named = frozenset().union(*(a.speaker for a in analysed if a.speaker and query_words.issuperset(a.speaker)))
    tw = term_weights(query, df, total, leave_out=named)
    wanted = tw.keys()
    best_lexical = max((c.lexical for c in candidates), default=1.0) or 1.0
    dates = [c.date.toordinal() for c in candidates if c.date is not None]
    oldest, newest = (min(dates), max(dates)) if dates else (0, 0)
    out = []
    for c, a in zip(candidates, analysed, strict=True):
        positions = {s: a.positions[s] for s in wanted if s in a.positions}
        in_text = list(positions)
        coverage = sum(tw[s] for s in in_text)
        context_only = sum(tw[s] for s in a.context if s in tw and s not in positions)
        fields = sum(tw[s] for s in a.fields if s in tw)
        phrase, proximity = _phrase_and_proximity(positions, query, tw) if len(in_text) > 1 else (0.0, 0.0)
        speaker_named = 1.0 if a.speaker and query_words.issuperset(a.speaker) else 0.0
        recency = ((c.date.toordinal() - oldest) / (newest - oldest)
                   if c.date is not None and newest > oldest else 0.0)
        out.append(Features(lexical=max(c.lexical, 0.0) / best_lexical, coverage=coverage,
                            context_coverage=context_only, field_coverage=fields, phrase=phrase,
                            proximity=proximity, speaker_named=speaker_named, recency=recency,
                            short=a.length < short_text_words, executive=c.executive))
    return out


def combine(candidates: list[Candidate], evidence: list[Features],
            weights: RankWeights = DEFAULT_WEIGHTS) -> list[tuple[Candidate, float]]:
    """Weighted evidence, plus the support of the passage's source, best first."""
    base = []
    for f in evidence:
        score = (weights.lexical * f.lexical + weights.coverage * f.coverage
                 + weights.context_coverage * f.context_coverage + weights.field_coverage * f.field_coverage
                 + weights.phrase * f.phrase + weights.proximity * f.proximity
                 + weights.speaker_named * f.speaker_named + weights.recency * f.recency)
        if f.short:
            score -= weights.short_text_penalty
        if not f.executive:
            score *= weights.other_speaker_factor
        base.append(max(score, 0.0))
    # A passage whose source says much else about the query is more likely the one meant.
    by_source: dict[int, list[float]] = defaultdict(list)
    for c, score in zip(candidates, base, strict=True):
        by_source[c.source_id].append(score)
    support = {sid: sum(sorted(scores, reverse=True)[:weights.source_top]) for sid, scores in by_source.items()}
    strongest = max(support.values(), default=0.0) or 1.0
    scored = [(c, score + weights.source * support[c.source_id] / strongest)
              for c, score in zip(candidates, base, strict=True)]
    scored.sort(key=lambda pair: (-pair[1], pair[0].passage_id))
    return scored


def rerank(query: ParsedQuery, candidates: list[Candidate], df: dict[str, int], total: int,
           weights: RankWeights = DEFAULT_WEIGHTS) -> list[tuple[Candidate, float]]:
    """Candidates with their final scores, best first."""
    if not candidates:
        return []
    return combine(candidates, features(query, candidates, df, total, weights.short_text_words), weights)
