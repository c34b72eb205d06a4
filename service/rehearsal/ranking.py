"""Which of the executive's questions bear on this pitch: their meaning (the embedded sentence model), their wording,
what they were reacting to, the meeting it came from, and how often they ask it; near-identical questions merged."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.rehearsal.bank import CONCERN, BankItem, VisibleBank, stem_counts
from service.rehearsal.meaning import Embed, cached_vectors
from textkit.words import jaccard

BM25_K1 = 1.2
BM25_B = 0.75
# Near-identical questions (share of content stems in common) are merged into one.
DUPLICATE_SIMILARITY = 0.6
# A question's closeness in meaning to a pitch: the mean of its best matches among the pitch's sentences.
MEANING_TOP = 3


@dataclass(frozen=True)
class RankWeights:
    """How much each signal counts (each is scaled to 0-1 over the candidates first); tuned on QMSum train and val
    with bench/rehearsal.py --tune (test is only reported)."""

    meaning: float = 0.5
    wording: float = 1.0
    prompt: float = 0.3
    source: float = 1.2
    frequency: float = 0.15
    concern: float = -0.15


DEFAULT_WEIGHTS = RankWeights()


@dataclass(frozen=True)
class RankedItem:
    """A bank item chosen for a pitch, with its score and how many sources asked it."""

    item: BankItem
    score: float
    sources: int


def _idf(documents: Sequence[Counter[str]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for doc in documents:
        df.update(doc.keys())
    n = len(documents)
    return {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def _bm25(query: Counter[str], docs: Sequence[Counter[str]], idf: dict[str, float]) -> list[float]:
    """BM25 of each doc for a bag-of-stems query (query term counts dampened by a log)."""
    if not docs:
        return []
    lengths = [sum(d.values()) for d in docs]
    average = (sum(lengths) / len(lengths)) or 1.0
    weights = {t: 1.0 + math.log(c) for t, c in query.items() if c > 0}
    scores = []
    for doc, length in zip(docs, lengths, strict=True):
        total = 0.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
        for term, tf in doc.items():
            w = weights.get(term)
            if w is not None:
                total += w * idf.get(term, 0.0) * tf * (BM25_K1 + 1) / (tf + norm)
        scores.append(total)
    return scores


def _norm(counts: Counter[str], idf: dict[str, float]) -> float:
    return math.sqrt(sum((math.log1p(c) * idf.get(t, 0.0)) ** 2 for t, c in counts.items()))


def _cosine(a: Counter[str], b: Counter[str], idf: dict[str, float], na: float | None = None,
            nb: float | None = None) -> float:
    """tf-idf cosine of two bags of stems; na and nb are their norms when already known."""
    small, large = (b, a) if len(a) > len(b) else (a, b)
    dot = sum(math.log1p(c) * math.log1p(large[t]) * idf.get(t, 0.0) ** 2 for t, c in small.items() if t in large)
    if not dot:
        return 0.0
    na = _norm(a, idf) if na is None else na
    nb = _norm(b, idf) if nb is None else nb
    return dot / (na * nb) if na and nb else 0.0


def _scaled(values: list[float]) -> list[float]:
    top = max(values, default=0.0)
    return [v / top for v in values] if top > 0 else [0.0] * len(values)


def source_idf(bank: VisibleBank) -> dict[str, float]:
    """How rare each stem is across the visible sources, computed once per bank."""
    if bank.source_idf is None:
        bank.source_idf = _idf(list(bank.source_stems.values())) if bank.source_stems else {}
    return bank.source_idf


def source_similarity(pitch: Counter[str], bank: VisibleBank,
                      idf: dict[str, float] | None = None) -> dict[int, float]:
    """How close the pitch is to each visible source's vocabulary (tf-idf cosine over sources); with the bank's own
    idf, the sources' norms and the last pitch's figures are remembered on the bank."""
    if idf is not None:
        return {sid: _cosine(pitch, stems, idf) for sid, stems in bank.source_stems.items()}
    key = tuple(sorted(pitch.items()))
    if bank.last_similarity is not None and bank.last_similarity[0] == key:
        return bank.last_similarity[1]
    idf = source_idf(bank)
    if bank.source_norms is None:
        bank.source_norms = {sid: _norm(stems, idf) for sid, stems in bank.source_stems.items()}
    na = _norm(pitch, idf)
    similarity = {sid: _cosine(pitch, stems, idf, na, bank.source_norms[sid])
                  for sid, stems in bank.source_stems.items()}
    bank.last_similarity = (key, similarity)
    return similarity


def rarity(questions: dict[str, float], sources: dict[str, float], n_sources: int) -> dict[str, float]:
    """How much a shared word tells: rare among her questions and rare among her sources. A word every meeting uses
    ("remote", "button" in a product team's meetings) is common in the sources even when few questions say it, and
    matching it says little about which of her questions this pitch calls for. Without sources, the questions'
    rarity alone."""
    if not sources:
        return questions
    unseen = math.log(1.0 + (n_sources + 0.5) / 0.5)
    return {t: v * sources.get(t, unseen) for t, v in questions.items()}


def meaning_scores(embed: Embed, items: Sequence[BankItem], pitch_sentences: Sequence[str]) -> list[float]:
    """How close in meaning each item is to the pitch: the mean cosine of its MEANING_TOP closest pitch sentences."""
    if not items or not pitch_sentences:
        return [0.0] * len(items)
    vectors = cached_vectors(embed, [i.text for i in items])
    pitch = np.asarray(embed(list(dict.fromkeys(pitch_sentences))), dtype=np.float32)
    similarity = vectors @ pitch.T
    top = min(MEANING_TOP, similarity.shape[1])
    best = -np.sort(-similarity, axis=1)[:, :top]
    return [float(v) for v in best.mean(axis=1)]


def same_wording(a: BankItem, b: BankItem) -> bool:
    """Whether two questions ask the same thing: most content words shared, or all of one's (three or more) said in
    the other ("Who is the customer and what changes for them on Monday?" within "…if we move wave 3 by a
    quarter?")."""
    x, y = set(a.stems), set(b.stems)
    if a.key == b.key or jaccard(x, y) >= DUPLICATE_SIMILARITY:
        return True
    smaller, larger = (x, y) if len(x) <= len(y) else (y, x)
    return len(smaller) >= 3 and smaller <= larger


def names_said(item: BankItem, pitch: Counter[str]) -> bool:
    """Whether every name a question mentions (a customer, a site, a person) is in the pitch too: else it is a
    question about someone else's plan."""
    return all(set(stem_counts(name)) <= pitch.keys() for name in item.names)


def rank_items(pitch: Counter[str], bank: VisibleBank, items: Sequence[BankItem] | None = None, *, n: int = 5,
               exclude: set[str] | frozenset[str] = frozenset(), weights: RankWeights = DEFAULT_WEIGHTS,
               embed: Embed | None = None, pitch_sentences: Sequence[str] = ()) -> list[RankedItem]:
    """The n bank items that bear most on the pitch, near-duplicates merged (asked in more sources ranks higher).

    With a sentence model, closeness in meaning counts beside the words; errands and questions bound to their own
    meeting are never chosen."""
    pool = [i for i in (bank.items if items is None else items)
            if i.key not in exclude and i.standalone and names_said(i, pitch)]
    if not pool or n <= 0:
        return []
    groups: dict[tuple[str, ...], list[BankItem]] = {}
    for item in pool:
        groups.setdefault(tuple(sorted(item.stems)), []).append(item)
    asked_in = {k: len({i.source_id for i in g}) for k, g in groups.items()}
    across_sources = source_idf(bank)
    n_sources = len(bank.source_stems)
    idf = rarity(_idf([i.stems for i in pool]), across_sources, n_sources)
    wording = _scaled(_bm25(pitch, [i.stems for i in pool], idf))
    prompt_idf = rarity(_idf([i.prompt_stems for i in pool]), across_sources, n_sources)
    prompt = _scaled(_bm25(pitch, [i.prompt_stems for i in pool], prompt_idf))
    similarity = source_similarity(pitch, bank) if weights.source else {}
    source = _scaled([similarity.get(i.source_id, 0.0) for i in pool])
    meaning = [0.0] * len(pool)
    if embed is not None and weights.meaning and pitch_sentences:
        meaning = _scaled(meaning_scores(embed, pool, pitch_sentences))
    top_frequency = math.log(max(asked_in.values()))
    scored = []
    for k, item in enumerate(pool):
        sources = asked_in[tuple(sorted(item.stems))]
        frequency = math.log(sources) / top_frequency if top_frequency > 0 else 0.0
        score = (weights.meaning * meaning[k] + weights.wording * wording[k] + weights.prompt * prompt[k]
                 + weights.source * source[k]
                 + weights.frequency * frequency + (weights.concern if item.kind == CONCERN else 0.0))
        scored.append(RankedItem(item=item, score=score, sources=sources))
    scored.sort(key=lambda r: (-r.score, r.item.hit.passage_id, r.item.text))
    chosen: list[RankedItem] = []
    for candidate in scored:
        if any(same_wording(candidate.item, c.item) for c in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) >= n:
            break
    return chosen
