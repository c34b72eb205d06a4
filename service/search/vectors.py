"""Passage embeddings kept in the corpus database, so that a restart or a new replica does not embed again."""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.search.dense import DenseReranker, Vector, reranker_for
from service.search.index import refresh_search_statistics

log = logging.getLogger(__name__)

EMBED_BATCH = 256


def embedding_text(title: str | None, heading: str | None, body: str) -> str:
    """What the dense rerank embeds for a passage: its source's title, its heading and its text."""
    return " ".join(part for part in (title, heading, body) if part)


def text_sha1(value: str) -> str:
    """Digest of embedded text, stored beside its vector."""
    return hashlib.sha1(value.encode("utf-8")).hexdigest()


def pack_vector(vector: Sequence[float]) -> bytes:
    """float32, little-endian."""
    packed = array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack_vector(blob: bytes) -> array[float]:
    """The inverse of `pack_vector`."""
    values = array("f")
    values.frombytes(blob)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def load_stored_vectors(session: Session, model: str, passages: Sequence[tuple[int, str]]) -> dict[int, Vector]:
    """Stored vectors of (passage id, embedded text) pairs whose text is unchanged since they were embedded."""
    if not passages:
        return {}
    wanted = {pid: text_sha1(body) for pid, body in passages}
    stmt = text("SELECT passage_id, text_sha1, vector FROM passage_vectors "
                "WHERE model = :model AND passage_id IN :ids").bindparams(bindparam("ids", expanding=True))
    found: dict[int, Vector] = {}
    for pid, digest, blob in session.execute(stmt, {"model": model, "ids": sorted(wanted)}):
        if wanted.get(int(pid)) == digest:
            found[int(pid)] = unpack_vector(bytes(blob))
    return found


def passages_without_vectors(session: Session, model: str, *, twin_id: int | None = None,
                             source_ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """(passage id, embedded text) of searchable passages with no current vector for `model`, in id order.

    Retired and superseded sources are left out: they are never searched. Drafts are in, so that approving one
    needs no embedding.
    """
    conditions = ["s.status <> 'retired'", "s.superseded_by_id IS NULL"]
    params: dict[str, object] = {"model": model}
    if twin_id is not None:
        conditions.append("s.twin_id = :twin")
        params["twin"] = twin_id
    ids: list[int] | None = None
    if source_ids is not None:
        ids = sorted({int(i) for i in source_ids})
        if not ids:
            return []
        conditions.append("s.id IN :sources")
        params["sources"] = ids
    stmt = text(
        "SELECT p.id, s.title, p.heading, p.text, v.text_sha1 FROM passages p "
        "JOIN sources s ON s.id = p.source_id "
        "LEFT JOIN passage_vectors v ON v.passage_id = p.id AND v.model = :model "
        f"WHERE {' AND '.join(conditions)} ORDER BY p.id"
    )
    if ids is not None:
        stmt = stmt.bindparams(bindparam("sources", expanding=True))
    missing = []
    for pid, title, heading, body, digest in session.execute(stmt, params):
        embedded = embedding_text(title, heading, body)
        if digest != text_sha1(embedded):
            missing.append((int(pid), embedded))
    return missing


@dataclass(frozen=True)
class EmbeddingReport:
    """What one embedding run did."""

    model: str
    embedded: int
    remaining: int
    seconds: float
    error: str | None = None


def embed_and_store(session: Session, reranker: DenseReranker, passages: Sequence[tuple[int, str]], *,
                    batch: int = EMBED_BATCH,
                    progress: Callable[[int, int], None] | None = None) -> EmbeddingReport:
    """Embed `passages` and store their vectors, committing each batch; stops at the first endpoint failure."""
    started = time.perf_counter()
    done = 0
    for start in range(0, len(passages), max(batch, 1)):
        chunk = list(passages[start:start + batch])
        try:
            vectors = reranker.embed([body for _, body in chunk])
        except Exception as exc:  # the endpoint's failure: what is stored stays stored
            log.warning("embedding stopped after %d of %d passages: %s", done, len(passages), exc)
            return EmbeddingReport(reranker.model, done, len(passages) - done, time.perf_counter() - started,
                                   error=str(exc) or type(exc).__name__)
        store.save_passage_vectors(session, reranker.model, [
            (pid, text_sha1(body), len(vector), pack_vector(vector))
            for (pid, body), vector in zip(chunk, vectors, strict=True)])
        session.commit()
        done += len(chunk)
        if progress is not None:
            progress(done, len(passages))
    return EmbeddingReport(reranker.model, done, 0, time.perf_counter() - started)


def index_new_sources(session: Session, settings: Settings, source_ids: Iterable[int], *,
                      progress: Callable[[int, int], None] | None = None) -> EmbeddingReport | None:
    """What search needs once sources are stored: planner statistics and, with embeddings on, stored vectors.

    Commits. An embeddings failure is logged and reported, never raised: the ingestion has landed, search
    embeds what is missing on the fly, and `understudy embed` fills the store later.
    """
    refresh_search_statistics(session)
    session.commit()
    reranker = reranker_for(settings)
    ids = list(source_ids)
    if reranker is None or not ids:
        return None
    return embed_and_store(session, reranker, passages_without_vectors(session, reranker.model, source_ids=ids),
                           progress=progress)
