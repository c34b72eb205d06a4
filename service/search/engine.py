"""Search one twin's approved passages that a viewer may see: candidates from the index, then rerank."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.corpus.models import Twin
from service.errors import BadInput
from service.search.dense import DenseReranker, reranker_for
from service.search.hits import PassageHit
from service.search.index import (
    Candidate,
    document_frequencies,
    fetch_candidates,
    row_candidate,
    visible_rows,
)
from service.search.query import parse_query
from service.search.rank import ADDITIVE, DEFAULT_WEIGHTS, RankWeights, rerank
from service.search.vectors import embedding_text, load_stored_vectors, vector_index

log = logging.getLogger(__name__)

DEFAULT_CANDIDATES = 120
MAX_K = 200
# Nearest passages by meaning looked at per query, and how far the search widens when the access filter starves it.
DENSE_POOL = 50
MAX_DENSE_POOL = 3200
# Candidates without a stored vector that the embedded model embeds during a search (about 8 ms each).
EMBED_ON_THE_FLY = 8


def _hit(c: Candidate, score: float, similarity: float | None = None) -> PassageHit:
    return PassageHit(passage_id=c.passage_id, source_id=c.source_id, source_version=c.source_version,
                      title=c.title, kind=c.kind, date=c.date, locator=c.locator, speaker=c.speaker,
                      executive=c.executive, text=c.text, heading=c.heading, ordinal=c.ordinal, score=score,
                      similarity=similarity)


def _score_scale(weights: RankWeights) -> float:
    """The most a passage can score, so reported scores fall between 0 and 1."""
    return sum(max(float(getattr(weights, name)), 0.0) for name in ADDITIVE) or 1.0


def search_passages(session: Session, twin: Twin, query: str, viewer: Viewer, *, k: int = 10,
                    executive_only: bool = False, reranker: DenseReranker | None = None,
                    candidates: int = DEFAULT_CANDIDATES,
                    weights: RankWeights = DEFAULT_WEIGHTS) -> list[PassageHit]:
    """The twin's best passages for `query` that `viewer` may see: approved, current, in their audiences.

    With a semantic scorer, lexical candidates and the nearest passages by meaning are fused into one ranking.
    """
    if k <= 0:
        return []
    if k > MAX_K:
        raise BadInput(f"k must be at most {MAX_K}")
    parsed = parse_query(query)
    audiences = sorted(viewer.audiences)
    if not audiences or (parsed.empty and reranker is None) or not query.strip():
        return []
    ranked: list[tuple[Candidate, float]] = []
    similarity: dict[int, float] = {}
    if not parsed.empty:
        df, total = document_frequencies(session, dict(zip(parsed.stems, parsed.terms, strict=True)))
        found = fetch_candidates(session, parsed, twin.id, audiences, want=k, pool=max(candidates, k),
                                 executive_only=executive_only, df=df)
        scale = _score_scale(weights)
        ranked = [(c, score / scale) for c, score in rerank(parsed, found, df, total, weights)]
    if reranker is not None:
        fused = _hybrid(session, reranker, twin.id, query, ranked, audiences, executive_only=executive_only,
                        want=max(k, DENSE_POOL), similarity=similarity)
        if fused is not None:
            ranked = fused
    return [_hit(c, score, similarity.get(c.passage_id)) for c, score in ranked[:k]]


def search_as_configured(session: Session, settings: Settings, twin: Twin, query: str, viewer: Viewer, *,
                         k: int = 10, executive_only: bool = False) -> list[PassageHit]:
    """`search_passages` with the deployment's candidate pool and semantic scorer (the embedded model by default)."""
    return search_passages(session, twin, query, viewer, k=k, executive_only=executive_only,
                           reranker=reranker_for(settings), candidates=max(settings.search_candidates, 1))


def _hybrid(session: Session, reranker: DenseReranker, twin_id: int, query: str,
            ranked: list[tuple[Candidate, float]], audiences: list[str], *, executive_only: bool,
            want: int, similarity: dict[int, float]) -> list[tuple[Candidate, float]] | None:
    """Lexical candidates and the twin's nearest passages by meaning, scored together; None if the model fails.

    Fills `similarity` with each scored passage's cosine similarity to the query.
    """
    try:
        query_vector = reranker.query_vector(query)
        index = vector_index(session, reranker.model)
    except Exception as exc:  # the model or endpoint failed: the lexical ranking stands on its own
        log.warning("dense rerank unavailable, keeping the lexical ranking: %s", exc)
        return None
    seen = {c.passage_id for c, _ in ranked}
    pool = want * 2
    extra: list[Candidate] = []
    while True:
        near = index.nearest(twin_id, query_vector, pool)
        fresh = [pid for pid, _ in near if pid not in seen]
        extra = [row_candidate(row, 0.0) for row in visible_rows(session, fresh, twin_id, audiences, executive_only)]
        # Lexical candidates among the nearest are visible already; only the rest needed the filter.
        if len(extra) + len(near) - len(fresh) >= want or len(near) < pool or pool >= MAX_DENSE_POOL:
            break
        pool *= 4  # the access filter dropped most of the nearest: look further
    lexical = ranked[:reranker.top]
    everything = [c for c, _ in lexical] + extra
    embedded = [(c.passage_id, embedding_text(c.title, c.heading, c.text)) for c in everything]
    similarity.update(index.similarity(twin_id, query_vector, embedded))
    missing = [(pid, body) for pid, body in embedded if pid not in similarity]
    if missing:
        # Not stored yet (an ingestion still embedding): the best few are embedded now, in process or at the
        # endpoint, and remembered; the rest keep their lexical standing until their vectors land.
        now = missing if reranker.client is not None else missing[:EMBED_ON_THE_FLY]
        sims = reranker.similarities(query, now, stored=lambda m: load_stored_vectors(session, reranker.model, m))
        if sims is None:
            return None
        similarity.update({pid: s for (pid, _), s in zip(now, sims, strict=True)})
    best_lexical = max((score for _, score in lexical), default=0.0) or 1.0
    w = reranker.weight
    scored = [*lexical, *((c, 0.0) for c in extra)]
    support = _source_support(scored, similarity) if reranker.source_weight > 0 else {}
    fused: list[tuple[Candidate, float]] = []
    for c, score in scored:
        relative = score / best_lexical
        # A passage not yet embedded keeps its lexical standing (search answers while vectors are computed).
        sim = similarity.get(c.passage_id, relative * 0.6)
        # A source's own closeness counts beside its passage's, scaled so that scores stay between 0 and 1.
        fused.append((c, ((1 - w) * relative + w * max(sim, 0.0)
                          + reranker.source_weight * support.get(c.source_id, 0.0))
                      / (1 + reranker.source_weight)))
    fused.sort(key=lambda pair: (-pair[1], pair[0].passage_id))
    floor = min((s for _, s in fused), default=0.0)
    # Keep the lexical tail below the fused head.
    return fused + [(c, min(score, floor)) for c, score in ranked[reranker.top:]]


# A source's closeness to a query is the mean similarity of this many of its passages nearest to it.
SUPPORT_PASSAGES = 3


def _source_support(scored: Sequence[tuple[Candidate, float]], similarity: dict[int, float]) -> dict[int, float]:
    """How close each source is to the query as a whole: the mean similarity of its SUPPORT_PASSAGES nearest
    passages among those scored, a missing one counting 0 (a speech about the subject, not a passing mention)."""
    by_source: dict[int, list[float]] = {}
    for c, _ in scored:
        if c.passage_id in similarity:
            by_source.setdefault(c.source_id, []).append(max(similarity[c.passage_id], 0.0))
    return {sid: sum(sorted(sims, reverse=True)[:SUPPORT_PASSAGES]) / SUPPORT_PASSAGES
            for sid, sims in by_source.items()}


@dataclass(frozen=True)
class Neighbour:
    """A passage next to a hit in the same source (e.g. the question before an executive's answer)."""

    passage_id: int
    source_id: int
    ordinal: int
    speaker: str | None
    executive: bool
    locator: str
    text: str


def neighbours(session: Session, passage_ids: Iterable[int], *, before: int = 1,
               after: int = 1) -> dict[int, list[Neighbour]]:
    """The passages around each given passage in its own source, in reading order, the passage itself left out.

    Pass only ids of hits a viewer was shown: neighbours share the hit's source, so its visibility.
    """
    ids = sorted({int(i) for i in passage_ids})
    if not ids:
        return {}
    stmt = text(
        "SELECT h.id, n.id, n.source_id, n.ordinal, n.speaker, n.executive, n.locator, n.text "
        "FROM passages h JOIN passages n ON n.source_id = h.source_id "
        "AND n.ordinal BETWEEN h.ordinal - :before AND h.ordinal + :after AND n.id <> h.id "
        "WHERE h.id IN :ids ORDER BY h.id, n.ordinal"
    ).bindparams(bindparam("ids", expanding=True))
    result: dict[int, list[Neighbour]] = {i: [] for i in ids}
    for hid, nid, sid, ordinal, speaker, executive, locator, body in session.execute(
            stmt, {"ids": ids, "before": max(before, 0), "after": max(after, 0)}):
        result[int(hid)].append(Neighbour(passage_id=int(nid), source_id=int(sid), ordinal=int(ordinal),
                                          speaker=speaker, executive=bool(executive), locator=str(locator or ""),
                                          text=str(body)))
    return result


def parse_batch(lines: Iterable[str]) -> list[str]:
    """Queries of a `--batch` file: one a line, or JSON lines with a "query" (or "question") field."""
    queries: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInput(f"line {number}: not valid JSON ({exc.msg})") from exc
            value = record.get("query", record.get("question")) if isinstance(record, dict) else None
            if not isinstance(value, str):
                raise BadInput(f'line {number}: a JSON line needs a "query" string')
            queries.append(value)
        else:
            queries.append(line)
    return queries


def batch_record(query: str, hits: Sequence[PassageHit], ms: float) -> dict[str, Any]:
    """One `--batch` output line: {"query", "hits": [...], "ms"}."""
    return {"query": query, "hits": [h.to_dict() for h in hits], "ms": round(ms, 2)}
