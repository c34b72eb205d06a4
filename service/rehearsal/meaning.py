"""Sentence meaning for rehearsals: the twin's sentence model (the embedded one unless settings say otherwise), and
how close a sentence comes to a set of prototype sentences."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

from service.config import Settings
from service.search.memory import VectorMemory

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]

_PROTOTYPES: dict[tuple[int, tuple[str, ...]], np.ndarray] = {}
_LOCK = threading.Lock()


def embedder_for(settings: Settings) -> Embed | None:
    """The sentence model search uses (the embedded all-MiniLM-L6-v2 by default); None when turned off."""
    from service.search.dense import reranker_for

    scorer = reranker_for(settings)
    return scorer.embed if scorer is not None else None


def remembering(embed: Embed | None) -> Embed | None:
    """The same model, remembering every text it has embedded for as long as the returned function lives (one
    rehearsal): the scorecard and the push-back read the same pitch sentences, and embed them once."""
    if embed is None:
        return None
    model: Embed = embed
    known: dict[str, np.ndarray] = {}

    def embed_once(texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, np.asarray(model(missing), dtype=np.float32), strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    embed_once.__self__ = getattr(embed, "__self__", embed)  # type: ignore[attr-defined]  # prototype cache key
    return embed_once


def embed_safely(embed: Embed | None, texts: Sequence[str]) -> np.ndarray | None:
    """Unit vectors of `texts`, or None (logged) when there is no model or it fails: callers fall back to cues."""
    if embed is None or not texts:
        return None
    try:
        return np.asarray(embed(list(texts)), dtype=np.float32)
    except Exception as exc:  # a model or endpoint failure must not stop a rehearsal
        log.warning("sentence model unavailable for rehearsal, using cue patterns only: %s", exc)
        return None


def prototype_vectors(embed: Embed, prototypes: tuple[str, ...]) -> np.ndarray:
    """The prototypes' vectors, embedded once per model and remembered."""
    owner = getattr(embed, "__self__", embed)  # a bound method is made afresh each time; its object is stable
    key = (id(owner), prototypes)
    with _LOCK:
        found = _PROTOTYPES.get(key)
    if found is None:
        found = np.asarray(embed(list(prototypes)), dtype=np.float32)
        with _LOCK:
            if len(_PROTOTYPES) > 64:
                _PROTOTYPES.clear()
            _PROTOTYPES[key] = found
    return found


def nearest(vectors: np.ndarray, embed: Embed, prototypes: tuple[str, ...]) -> np.ndarray:
    """For each row of `vectors`, its cosine similarity to the closest prototype."""
    if vectors.size == 0:
        return np.zeros(0, dtype=np.float32)
    return (vectors @ prototype_vectors(embed, prototypes).T).max(axis=1)


# Texts the corpus holds (stances, mined questions), remembered across rehearsals: the corpus changes rarely.
CORPUS_VECTORS = VectorMemory(20_000)


def cached_vectors(embed: Embed, texts: list[str]) -> np.ndarray:
    """Unit vectors of texts the corpus holds, remembered across rehearsals."""
    return CORPUS_VECTORS.vectors(embed, texts)
