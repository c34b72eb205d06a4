"""Vectors of texts remembered across calls: the same sentences, stances and questions are embedded again and again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Embed = Callable[[list[str]], Any]


def model_key(embed: Embed) -> str:
    """Which model a bound `embed` belongs to (its owner's `model` name), so vectors of two models never mix."""
    owner = getattr(embed, "__self__", embed)
    return str(getattr(owner, "model", "") or f"embedder-{id(owner)}")


class VectorMemory:
    """Unit vectors of texts per model, the least recently stored dropped first beyond `capacity`; safe across
    threads. A text's vector does not depend on what it is embedded with (service/search/encoder.py), so what the
    memory holds never changes a result."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, embed: Embed, texts: Sequence[str], *, model: str | None = None) -> np.ndarray:
        """One row per text, in order (an empty array for no texts); texts not yet known are embedded in one call."""
        name = model if model is not None else model_key(embed)
        with self._lock:
            known = {t: self._vectors[(name, t)] for t in texts if (name, t) in self._vectors}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = np.asarray(embed(missing), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._vectors[(name, text)] = known[text] = vector
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    def remember(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Keep vectors computed elsewhere (stored at ingestion) for texts of `model`."""
        with self._lock:
            for text, vector in vectors.items():
                self._vectors[(model, text)] = np.asarray(vector, dtype=np.float32)
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)

    def missing(self, model: str, texts: Sequence[str]) -> bool:
        """Whether any of `texts` has no vector of `model` here."""
        with self._lock:
            return any((model, t) not in self._vectors for t in texts)

    def clear(self) -> None:
        """Forget every vector (the bench measures cold runs)."""
        with self._lock:
            self._vectors.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._vectors)
