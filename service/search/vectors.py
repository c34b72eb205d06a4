"""Passage embeddings kept in the corpus database, so that a restart or a new replica does not embed again."""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.search.dense import DenseReranker, Vector, reranker_for
from service.search.index import refresh_search_statistics
from textkit.sentences import quote_spans

log = logging.getLogger(__name__)

# Passages embedded and committed at a time: enough that most share their token length with others (the encoder
# batches one length at a time, without padding).
EMBED_BATCH = 1024


def embedding_text(title: str | None, heading: str | None, body: str) -> str:
    """What the dense rerank embeds for a passage: its source's title, its heading and its text."""
    return " ".join(part for part in (title, heading, body) if part)


def sentence_text(heading: str | None, sentence: str) -> str:
    """What is embedded for one sentence of a passage: the sentence, after its memo section's heading, which says
    what it is about ("On jobs: …") without being quoted."""
    return f"{heading}: {sentence}" if heading else sentence


def sentence_texts(heading: str | None, body: str) -> list[str]:
    """What is embedded for each sentence of a passage, in order (textkit.sentences.quote_spans)."""
    return [sentence_text(heading, body[start:end]) for start, end in quote_spans(body)]


def text_sha1(value: str) -> str:
    """Digest of embedded text, stored beside its vector."""
    return hashlib.sha1(value.encode("utf-8")).hexdigest()


def pack_vector(vector: Vector) -> bytes:
    """float32, little-endian."""
    return np.asarray(vector, dtype="<f4").tobytes()


def unpack_vector(blob: bytes) -> np.ndarray:
    """The inverse of `pack_vector`."""
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def load_sentence_vectors(session: Session, model: str,
                          passages: Sequence[tuple[int, str | None, str | None, str]]) -> dict[str, np.ndarray]:
    """Stored sentence vectors of (passage id, title, heading, text) passages whose text is unchanged since they
    were embedded, by sentence_text; passages without them are left out (their sentences are embedded when asked)."""
    if not passages:
        return {}
    wanted = {pid: (text_sha1(embedding_text(title, heading, body)), heading, body)
              for pid, title, heading, body in passages}
    stmt = text("SELECT passage_id, text_sha1, dimensions, sentence_vectors FROM passage_vectors "
                "WHERE model = :model AND passage_id IN :ids AND sentence_vectors IS NOT NULL"
                ).bindparams(bindparam("ids", expanding=True))
    found: dict[str, np.ndarray] = {}
    for pid, digest, dims, blob in session.execute(stmt, {"model": model, "ids": sorted(wanted)}):
        expected, heading, body = wanted[int(pid)]
        if digest != expected:
            continue
        texts = sentence_texts(heading, body)
        matrix = unpack_vector(bytes(blob))
        if not dims or matrix.size != len(texts) * int(dims):
            continue  # split otherwise than these sentences (an older splitter): embedded again when asked
        found.update(zip(texts, matrix.reshape(len(texts), int(dims)), strict=True))
    return found


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
    """(passage id, embedded text) of searchable passages with no current vector for `model` (or none for their
    sentences), in id order.

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
        "SELECT p.id, s.title, p.heading, p.text, v.text_sha1, v.sentence_vectors IS NULL FROM passages p "
        "JOIN sources s ON s.id = p.source_id "
        "LEFT JOIN passage_vectors v ON v.passage_id = p.id AND v.model = :model "
        f"WHERE {' AND '.join(conditions)} ORDER BY p.id"
    )
    if ids is not None:
        stmt = stmt.bindparams(bindparam("sources", expanding=True))
    missing = []
    for pid, title, heading, body, digest, no_sentences in session.execute(stmt, params):
        embedded = embedding_text(title, heading, body)
        if digest != text_sha1(embedded) or no_sentences:
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
    """Embed `passages` and their sentences and store the vectors, committing each batch; stops at the first
    endpoint failure."""
    started = time.perf_counter()
    done = 0
    for start in range(0, len(passages), max(batch, 1)):
        chunk = list(passages[start:start + batch])
        sentences = _sentences_of(session, [pid for pid, _ in chunk])
        try:
            every = reranker.embed([body for _, body in chunk] + [t for pid, _ in chunk for t in sentences[pid]])
            vectors = every[:len(chunk)]
            packed: dict[int, bytes] = {}
            at = len(chunk)
            for pid, _ in chunk:
                count = len(sentences[pid])
                packed[pid] = pack_vector(every[at:at + count])  # rows end to end
                at += count
        except Exception as exc:  # the endpoint's failure: what is stored stays stored
            log.warning("embedding stopped after %d of %d passages: %s", done, len(passages), exc)
            return EmbeddingReport(reranker.model, done, len(passages) - done, time.perf_counter() - started,
                                   error=str(exc) or type(exc).__name__)
        store.save_passage_vectors(session, reranker.model, [
            (pid, text_sha1(body), len(vector), pack_vector(vector))
            for (pid, body), vector in zip(chunk, vectors, strict=True)], sentences=packed)
        session.commit()
        look_again()
        done += len(chunk)
        if progress is not None:
            progress(done, len(passages))
    return EmbeddingReport(reranker.model, done, 0, time.perf_counter() - started)


def _sentences_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """What is embedded for each sentence of these passages (none for a passage that is gone)."""
    stmt = text("SELECT id, heading, text FROM passages WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    found: dict[int, list[str]] = {pid: [] for pid in ids}
    for pid, heading, body in session.execute(stmt, {"ids": ids}) if ids else ():
        found[int(pid)] = sentence_texts(heading, str(body))
    return found


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


# How often a search checks the store for vectors added since it last looked.
CHECK_SECONDS = 1.0


@dataclass
class _TwinVectors:
    """One twin's stored vectors: passage ids and a matrix with one unit row each."""

    ids: np.ndarray
    matrix: np.ndarray
    rows: dict[int, int]
    digests: dict[int, str]

    def put(self, ids: list[int], vectors: list[np.ndarray], digests: list[str]) -> None:
        self.digests.update(zip(ids, digests, strict=True))
        fresh_ids, fresh_vectors = [], []
        for pid, vector in zip(ids, vectors, strict=True):
            row = self.rows.get(pid)
            if row is not None and len(vector) == self.matrix.shape[1]:
                self.matrix[row] = vector
            else:
                fresh_ids.append(pid)
                fresh_vectors.append(vector)
        if not fresh_ids:
            return
        block = np.stack(fresh_vectors).astype(np.float32)
        start = len(self.ids)
        self.matrix = block if start == 0 else np.vstack([self.matrix, block])
        self.ids = np.concatenate([self.ids, np.asarray(fresh_ids, dtype=np.int64)])
        self.rows.update({pid: start + i for i, pid in enumerate(fresh_ids)})


class VectorIndex:
    """Every stored vector of one model in one database, kept in memory per twin and brought up to date from the
    store as vectors land (new rows incrementally; anything else, such as deletions, by a full reload)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._twins: dict[int, _TwinVectors] = {}
        self._count = 0
        self._newest: object = None
        self._checked = -math.inf
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return sum(len(t.ids) for t in self._twins.values())

    def look_again(self) -> None:
        """Check the store on the next search, however recently it was checked."""
        self._checked = -math.inf

    def refresh(self, session: Session, *, force: bool = False) -> None:
        """Load vectors stored since the last look (at most once a second unless forced)."""
        now = time.monotonic()
        if not force and now - self._checked < CHECK_SECONDS:
            return
        with self._lock:
            if not force and now - self._checked < CHECK_SECONDS:
                return
            count, newest = session.execute(text("SELECT count(*), max(created_at) FROM passage_vectors "
                                                 "WHERE model = :model"), {"model": self.model}).one()
            count = int(count or 0)
            if count != self._count or newest != self._newest:
                if count < self._count or self._newest is None:
                    self._twins = {}
                    self._load(session, None)
                else:
                    self._load(session, self._newest)
                if len(self) != count:  # rows went away or changed under us: start again
                    self._twins = {}
                    self._load(session, None)
                self._count, self._newest = count, newest
            self._checked = now

    def _load(self, session: Session, since: object) -> None:
        sql = ("SELECT v.passage_id, p.twin_id, v.vector, v.text_sha1 FROM passage_vectors v "
               "JOIN passages p ON p.id = v.passage_id "
               "WHERE v.model = :model" + (" AND v.created_at >= :since" if since is not None else "") +
               " ORDER BY v.passage_id")
        params: dict[str, object] = {"model": self.model}
        if since is not None:
            params["since"] = since
        grouped: dict[int, tuple[list[int], list[np.ndarray], list[str]]] = {}
        for pid, twin_id, blob, digest in session.execute(text(sql), params):
            ids, vectors, digests = grouped.setdefault(int(twin_id), ([], [], []))
            ids.append(int(pid))
            vectors.append(unpack_vector(bytes(blob)))
            digests.append(str(digest))
        for twin_id, (ids, vectors, digests) in grouped.items():
            found = self._twins.get(twin_id)
            if found is None:
                found = self._twins[twin_id] = _TwinVectors(np.zeros(0, dtype=np.int64),
                                                             np.zeros((0, len(vectors[0])), dtype=np.float32), {}, {})
            found.put(ids, vectors, digests)

    def nearest(self, twin_id: int, query: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The twin's `n` passage ids most similar to `query`, best first, with their cosine similarity."""
        found = self._twins.get(twin_id)
        if found is None or not len(found.ids) or n <= 0 or found.matrix.shape[1] != len(query):
            return []
        scores = found.matrix @ query
        if n < len(scores):
            top = np.argpartition(-scores, n)[:n]
            top = top[np.argsort(-scores[top])]
        else:
            top = np.argsort(-scores)
        return [(int(found.ids[i]), float(scores[i])) for i in top]

    def similarity(self, twin_id: int, query: np.ndarray, passages: Sequence[tuple[int, str]]) -> dict[int, float]:
        """Cosine similarity of `query` to each (passage id, embedded text) whose stored vector is of that text."""
        found = self._twins.get(twin_id)
        if found is None or found.matrix.shape[1] != len(query):
            return {}
        rows = [(pid, found.rows[pid]) for pid, body in passages
                if pid in found.rows and found.digests.get(pid) == text_sha1(body)]
        if not rows:
            return {}
        scores = found.matrix[[r for _, r in rows]] @ query
        return {pid: float(s) for (pid, _), s in zip(rows, scores, strict=True)}


_INDEXES: dict[tuple[str, str], VectorIndex] = {}
_INDEXES_LOCK = threading.Lock()


def look_again() -> None:
    """Make every index of this process check the store on its next search (vectors were just stored)."""
    with _INDEXES_LOCK:
        for index in _INDEXES.values():
            index.look_again()


def vector_index(session: Session, model: str) -> VectorIndex:
    """This process's in-memory index of `model`'s vectors in the session's database, brought up to date."""
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), model)
    with _INDEXES_LOCK:
        index = _INDEXES.get(key)
        if index is None:
            if len(_INDEXES) >= 16:  # many databases in one process (tests): start afresh
                _INDEXES.clear()
            index = _INDEXES[key] = VectorIndex(model)
    index.refresh(session)
    return index
