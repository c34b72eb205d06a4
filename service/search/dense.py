"""Optional dense rerank through an OpenAI-compatible embeddings endpoint; any failure falls back to lexical."""

from __future__ import annotations

import logging
import math
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from service.config import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 64
Vector = Sequence[float]
# Looks up stored vectors of (passage id, text) pairs; returns those it has, by passage id.
StoredLookup = Callable[[list[tuple[int, str]]], dict[int, Vector]]


def _normalised(vector: Sequence[float]) -> tuple[float, ...]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return tuple(v / norm for v in vector)


def embeddings_endpoint(settings: Settings) -> tuple[str, str] | None:
    """The configured (model, base URL) for embeddings, or None when the dense rerank is off."""
    model = str(settings.embeddings_model or "").strip()
    base_url = str(settings.embeddings_base_url or settings.llm_base_url or "").strip()
    return (model, base_url) if model and base_url else None


class DenseReranker:
    """Blends cosine similarity of query and passage embeddings into the lexical ranking of the top candidates."""

    def __init__(self, client: Any, model: str, *, weight: float = 0.5, top: int = 50,
                 cache_size: int = 50_000) -> None:
        self.client = client
        self.model = model
        self.weight = weight
        self.top = top
        # float32 arrays: about 1.5 KB a vector of 384 dimensions, against 12 KB as a tuple of floats.
        self._cache: OrderedDict[tuple[int, int], array[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> DenseReranker | None:
        """A reranker when an embeddings model and an endpoint are configured, else None."""
        endpoint = embeddings_endpoint(settings)
        if endpoint is None:
            return None
        model, base_url = endpoint
        import openai

        client = openai.OpenAI(base_url=base_url, api_key=str(settings.llm_api_key or "") or "unused",
                               timeout=float(settings.embeddings_timeout), max_retries=0)
        return cls(client, model, weight=float(settings.search_dense_weight))

    def embed(self, texts: list[str]) -> list[tuple[float, ...]]:
        """Unit vectors for `texts`, asked for in batches."""
        vectors: list[tuple[float, ...]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            response = self.client.embeddings.create(model=self.model, input=texts[start:start + BATCH_SIZE])
            ordered = sorted(response.data, key=lambda item: item.index)
            vectors += [_normalised(item.embedding) for item in ordered]
        if len(vectors) != len(texts):
            raise ValueError(f"asked for {len(texts)} embeddings, got {len(vectors)}")
        return vectors

    def passage_vectors(self, passages: list[tuple[int, str]],
                        stored: StoredLookup | None = None) -> list[Vector]:
        """Vectors of (passage id, text) pairs: from memory, else from `stored` (the database), else embedded."""
        keys = [(pid, hash(text)) for pid, text in passages]
        with self._lock:
            known: dict[tuple[int, int], Vector] = {k: self._cache[k] for k in keys if k in self._cache}
        missing = [(k, text) for k, (_, text) in zip(keys, passages, strict=True) if k not in known]
        fresh: dict[tuple[int, int], Vector] = {}
        if missing and stored is not None:
            found = stored([(k[0], text) for k, text in missing])
            fresh.update({k: found[k[0]] for k, _ in missing if k[0] in found})
            missing = [(k, text) for k, text in missing if k not in fresh]
        if missing:
            embedded = self.embed([text for _, text in missing])
            fresh.update({key: vector for (key, _), vector in zip(missing, embedded, strict=True)})
        if fresh:
            with self._lock:
                for key, vector in fresh.items():
                    self._cache[key] = array("f", vector)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            known.update(fresh)
        return [known[k] for k in keys]

    def similarities(self, query: str, passages: list[tuple[int, str]],
                     stored: StoredLookup | None = None) -> list[float] | None:
        """Cosine similarity of the query to each passage, or None (logged) if the endpoint fails."""
        try:
            (query_vector,) = self.embed([query])
            vectors = self.passage_vectors(passages, stored)
        except Exception as exc:  # any endpoint failure: the lexical ranking stands on its own
            log.warning("dense rerank unavailable, keeping the lexical ranking: %s", exc)
            return None
        return [sum(a * b for a, b in zip(query_vector, v, strict=False)) for v in vectors]


_SHARED: dict[tuple[str, ...], DenseReranker] = {}
_SHARED_LOCK = threading.Lock()


def reranker_for(settings: Settings) -> DenseReranker | None:
    """This process's reranker for these settings, its vector cache shared by every request; None when off."""
    endpoint = embeddings_endpoint(settings)
    if endpoint is None:
        return None
    key = (*endpoint, str(settings.llm_api_key or ""), str(settings.search_dense_weight),
           str(settings.embeddings_timeout))
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is None:
            found = DenseReranker.from_settings(settings)
            if found is None:
                return None
            if len(_SHARED) >= 8:  # settings changed many times in one process (tests): start afresh
                _SHARED.clear()
            _SHARED[key] = found
        return found
