"""The embedded model: built once from the packaged weights, faithful to its published similarities, cached."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest

from service.config import Settings
from service.search import encoder
from service.search.dense import DenseReranker
from service.search.encoder import REFERENCE_SENTENCES, REFERENCE_SIMILARITIES, LocalEncoder, local_encoder


def _deviation(model: LocalEncoder) -> float:
    vectors = model.encode(list(REFERENCE_SENTENCES))
    return max(abs(float(vectors[a] @ vectors[b]) - expected) for a, b, expected in REFERENCE_SIMILARITIES)


def test_the_packaged_weights_reproduce_the_published_similarities() -> None:
    assert _deviation(local_encoder("fp32")) < 0.001, "fp32 is the published model exactly"
    assert _deviation(local_encoder("int8")) < 0.03, "int8 stays close"


def _recording(model: LocalEncoder, seen: list[dict[str, np.ndarray]], *, masked: bool = False) -> None:
    """Keep every feed the model's session (the one without a mask, or the masked one) is given."""
    session = model._load_masked_session() if masked else model._session
    real_run = session.run

    def run(names: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        seen.append(feeds)
        return real_run(names, feeds)

    session.run = run


def test_a_text_gets_the_same_vector_alone_as_among_others_so_thresholds_do_not_move_with_the_call() -> None:
    model = local_encoder("int8")
    texts = ["Cold chain is our growth bet because pharmaceutical customers pay for reliability. " * 3,
             "Vans.", "", "Where do we stand on electric vans?", "Dispatch Assist suggests; a dispatcher decides.",
             "We will not let the software allocate loads without a person."]
    together = model.encode(texts)
    one_by_one = np.vstack([model.encode([t]) for t in texts])
    reversed_order = model.encode(texts[::-1])[::-1]
    assert together.shape == (6, 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-3)
    assert np.array_equal(together, one_by_one) and np.array_equal(together, reversed_order)
    many = model.encode([f"Filler sentence number {i} about depots." for i in range(40)] + texts[3:4])
    assert np.array_equal(many[-1], together[3]), "a long call gives the same vector too"
    assert model.encode([]).shape == (0, 384)


def test_texts_run_side_by_side_give_the_same_vectors_in_order_and_repeats_are_embedded_once() -> None:
    texts = [f"Passage {i}: our depots switch to electric vans in {2025 + i % 5}, region by region." for i in range(23)]
    texts += [texts[3], "", texts[3]]
    one_core = LocalEncoder("int8", threads=1)
    two_cores = LocalEncoder("int8", threads=2)
    assert two_cores.workers == 2
    feeds_seen: list[dict[str, np.ndarray]] = []
    _recording(two_cores, feeds_seen)
    side_by_side = two_cores.encode(texts)
    assert len(feeds_seen) == 24 and all(len(f["input_ids"]) == 1 for f in feeds_seen), \
        "the 26 texts hold 24 distinct ones, each embedded once, alone"
    assert all(set(f) == {"input_ids"} and 0 not in f["input_ids"] for f in feeds_seen), "no padding, no mask"
    assert np.array_equal(side_by_side, one_core.encode(texts))
    assert np.array_equal(side_by_side[3], side_by_side[23]) and np.array_equal(side_by_side[3], side_by_side[25])
    assert float(side_by_side[0] @ side_by_side[1]) > 0.8 > float(side_by_side[0] @ side_by_side[24])


def test_larger_batches_for_the_bench_pad_small_calls_and_group_bulk_calls_by_length() -> None:
    model = LocalEncoder("int8", threads=1, bulk=5)
    texts = ["Vans.", "Where do we stand on electric vans?", "Trucks.",
             "Cold chain is our growth bet because pharmaceutical customers pay for reliability.", "Cars."]
    alone = model.encode(texts)
    small: list[dict[str, np.ndarray]] = []
    _recording(model, small, masked=True)
    padded = model.encode(texts[:4], batch=8)
    assert len(small) == 1 and "attention_mask" in small[0], "below the bulk size: one masked, padded batch"
    bulk: list[dict[str, np.ndarray]] = []
    _recording(model, bulk)
    together = model.encode(texts, batch=8)
    assert sorted(len(f["input_ids"]) for f in bulk) == [1, 1, 3], "three texts share a length, two do not"
    assert all(set(f) == {"input_ids"} and 0 not in f["input_ids"] for f in bulk), "no padding, no mask"
    # int8 activations are scaled per batch, so batching moves a vector a little, never its meaning.
    assert float(np.min(np.sum(together * alone, axis=1))) > 0.95
    assert float(np.min(np.sum(padded * alone[:4], axis=1))) > 0.95


def test_the_model_file_is_built_once_and_never_left_half_written(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNDERSTUDY_MODEL_CACHE", str(tmp_path))
    built = encoder.prepared_model("int8")
    assert built.parent == tmp_path and built.stat().st_size > 10_000_000
    stamp = built.stat().st_mtime_ns
    assert encoder.prepared_model("int8") == built and built.stat().st_mtime_ns == stamp, "reused, not rebuilt"
    leftovers = [p.name for p in tmp_path.iterdir() if p != built and not p.name.endswith(".lock")]
    assert leftovers == []


def test_without_the_model_package_search_stays_lexical_and_says_why(settings: Settings,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == encoder.PACKAGE else real(name, *a))
    with pytest.raises(encoder.ModelUnavailable, match="not installed"):
        encoder.packaged_model_dir()
    with caplog.at_level(logging.WARNING, logger="service.search.dense"):
        scorer = DenseReranker.from_settings(settings.replace(embeddings_threads=7))  # not loaded before
    assert scorer is None and "semantic search is off" in caplog.text
