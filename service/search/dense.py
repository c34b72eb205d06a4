"""Semantic similarity for search: the embedded model by default, or an OpenAI-compatible embeddings endpoint.

Any failure (model missing, endpoint down) leaves search lexical and logs why; it never fails a question.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from service.config import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 64
OFF = "off"
Vector = Sequence[float] | np.ndarray
# Looks up stored vectors of (passage id, text) pairs; returns those it has, by passage id.
StoredLookup = Callable[[list[tuple[int, str]]], dict[int, Vector]]
Embed = Callable[[list[str]], np.ndarray]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def embeddings_endpoint(settings: Settings) -> tuple[str, str] | None:
    """The configured (model, base URL) when an endpoint replaces the embedded model, else None."""
    model = settings.embeddings_model.strip()
    base_url = (settings.embeddings_base_url or settings.llm_base_url).strip()
    return (model, base_url) if model and model.lower() != OFF and base_url else None


def semantic_backend(settings: Settings) -> str:
    """'embedded' (the default), 'endpoint', 'off', or 'misconfigured' (a model named with no endpoint)."""
    model = settings.embeddings_model.strip()
    if not model:
        return "embedded"
    if model.lower() == OFF:
        return OFF
    return "endpoint" if embeddings_endpoint(settings) else "misconfigured"


def _endpoint_embedder(client: Any, model: str) -> Embed:
    def embed(texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            response = client.embeddings.create(model=model, input=texts[start:start + BATCH_SIZE])
            rows += [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        if len(rows) != len(texts):
            raise ValueError(f"asked for {len(texts)} embeddings, got {len(rows)}")
        return unit_rows(np.asarray(rows, dtype=np.float32).reshape(len(rows), -1))
    return embed


class DenseReranker:
    """Embeds queries and passages, keeps recent passage vectors in memory, and scores passages by cosine."""

    def __init__(self, embed: Embed, model: str, *, weight: float = 0.5, top: int = 50,
                 cache_size: int = 50_000, client: Any = None, source_weight: float = 0.0) -> None:
        self._embed = embed
        self.client = client
        self.model = model
        self.weight = weight
        self.source_weight = source_weight
        self.top = top
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> DenseReranker | None:
        """The embedded model, or the configured endpoint's; None when turned off or unavailable (logged)."""
        backend = semantic_backend(settings)
        weight = settings.search_dense_weight
        source_weight = max(settings.search_source_weight, 0.0)
        if backend == "endpoint":
            model, base_url = embeddings_endpoint(settings)  # type: ignore[misc]
            import openai

            client = openai.OpenAI(base_url=base_url, api_key=settings.llm_api_key or "unused",
                                   timeout=settings.embeddings_timeout, max_retries=0)
            return cls(_endpoint_embedder(client, model), model, weight=weight, client=client,
                       source_weight=source_weight)
        if backend == "misconfigured":
            log.warning("UNDERSTUDY_EMBEDDINGS_MODEL names %r but no endpoint is set "
                        "(UNDERSTUDY_EMBEDDINGS_BASE_URL); search stays lexical", settings.embeddings_model)
            return None
        if backend == OFF:
            return None
        from service.search.encoder import ModelUnavailable, local_encoder

        try:
            encoder = local_encoder(settings.embeddings_precision, settings.embeddings_threads,
                                    settings.model_cache)
        except ModelUnavailable as exc:
            log.warning("semantic search is off: %s", exc)
            return None
        return cls(encoder.encode, encoder.model, weight=weight, source_weight=source_weight)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for `texts`, one row each."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self._embed(list(texts))

    def query_vector(self, query: str) -> np.ndarray:
        """The query's unit vector (recent queries are remembered)."""
        with self._lock:
            found = self._queries.get(query)
        if found is not None:
            return found
        vector = self.embed([query])[0]
        with self._lock:
            self._queries[query] = vector
            while len(self._queries) > 2048:
                self._queries.popitem(last=False)
        return vector

    def passage_vectors(self, passages: list[tuple[int, str]], stored: StoredLookup | None = None) -> np.ndarray:
        """Vectors of (passage id, text) pairs: from memory, else from `stored` (the database), else embedded."""
        keys = [(pid, hash(text)) for pid, text in passages]
        with self._lock:
            known: dict[tuple[int, int], np.ndarray] = {k: self._cache[k] for k in keys if k in self._cache}
        missing = [(k, text) for k, (_, text) in zip(keys, passages, strict=True) if k not in known]
        fresh: dict[tuple[int, int], np.ndarray] = {}
        if missing and stored is not None:
            found = stored([(k[0], text) for k, text in missing])
            fresh.update({k: np.asarray(found[k[0]], dtype=np.float32) for k, _ in missing if k[0] in found})
            missing = [(k, text) for k, text in missing if k not in fresh]
        if missing:
            embedded = self.embed([text for _, text in missing])
            fresh.update({key: vector for (key, _), vector in zip(missing, embedded, strict=True)})
        if fresh:
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            known.update(fresh)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[k] for k in keys])

    def similarities(self, query: str, passages: list[tuple[int, str]],
                     stored: StoredLookup | None = None) -> list[float] | None:
        """Cosine similarity of the query to each passage, or None (logged) if embedding fails."""
        try:
            query_vector = self.query_vector(query)
            if not passages:
                return []
            vectors = self.passage_vectors(passages, stored)
        except Exception as exc:  # any model or endpoint failure: the lexical ranking stands on its own
            log.warning("dense rerank unavailable, keeping the lexical ranking: %s", exc)
            return None
        return [float(s) for s in vectors @ query_vector]


_SHARED: dict[tuple[str, ...], DenseReranker | None] = {}
_SHARED_LOCK = threading.Lock()


def reranker_for(settings: Settings) -> DenseReranker | None:
    """This process's semantic scorer for these settings, shared by every request; None when off."""
    if semantic_backend(settings) == OFF:
        return None
    key = (settings.embeddings_model, settings.embeddings_base_url or settings.llm_base_url,
           settings.llm_api_key, str(settings.search_dense_weight), str(settings.search_source_weight),
           str(settings.embeddings_timeout),
           settings.embeddings_precision, str(settings.embeddings_threads), settings.model_cache)
    with _SHARED_LOCK:
        if key not in _SHARED:
            if len(_SHARED) >= 8:  # settings changed many times in one process (tests): start afresh
                _SHARED.clear()
            _SHARED[key] = DenseReranker.from_settings(settings)
        return _SHARED[key]
