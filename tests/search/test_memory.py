"""Remembered vectors: each text embedded once per model, in order, within a bound."""

from __future__ import annotations

import numpy as np

from service.search.memory import VectorMemory, model_key


class Model:
    """A stand-in embedder that records what it is asked to embed."""

    def __init__(self, model: str, offset: float = 0.0) -> None:
        self.model = model
        self.offset = offset
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([[len(t) + self.offset, 1.0] for t in texts], dtype=np.float32)


def test_known_texts_are_not_embedded_again_and_rows_follow_the_input_order() -> None:
    memory, model = VectorMemory(100), Model("a")
    first = memory.vectors(model.embed, ["one", "three", "one"])
    second = memory.vectors(model.embed, ["three", "fifteen", "one"])
    assert model.calls == [["one", "three"], ["fifteen"]]
    assert first[:, 0].tolist() == [3, 5, 3] and second[:, 0].tolist() == [5, 7, 3]
    assert memory.vectors(model.embed, []).shape == (0, 0)


def test_two_models_never_share_a_vector() -> None:
    memory, a, b = VectorMemory(100), Model("a"), Model("b", offset=100.0)
    assert memory.vectors(a.embed, ["vans"])[0, 0] == 4
    assert memory.vectors(b.embed, ["vans"])[0, 0] == 104, "another model's vector, not the remembered one"
    assert model_key(a.embed) == "a" and model_key(b.embed) == "b"


def test_beyond_its_capacity_the_oldest_are_forgotten() -> None:
    memory, model = VectorMemory(2), Model("a")
    memory.vectors(model.embed, ["a", "bb", "ccc"])
    assert len(memory) == 2
    memory.vectors(model.embed, ["a"])
    assert model.calls[-1] == ["a"], "the first text was dropped and is embedded again"
    memory.clear()
    assert len(memory) == 0
