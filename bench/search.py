"""Search quality and speed, printed as tables, with bm25s run on the same passages in the same process.

    .venv/bin/python bench/search.py [--quick] [--only qmsum,speeches,speed] [--postgres-url URL]

- QMSum (../shared/data/qmsum): every meeting ingested as a transcript into ONE twin, one passage per speaker
  turn (long turns cut at sentences by ingestion.chunking); a hit when a returned passage overlaps a gold turn
  span. QMSum names no executive, so every speaker counts as the executive here. Baselines: bm25s on the same
  passages, and bm25s on ~120-word windows of consecutive turns (the README's baseline).
- Speeches (../shared/data/presidential-speeches): every president a twin; questions of our own, in the
  second person, to one president (bench/data/speech_questions.jsonl) with gold speech files; hit@3. The
  other presidents' passages must never come back (asserted).
- Speed: p50/p95 per query with the access filter on, on ~20,000 passages (the speeches, ~200 words each)
  and on a generated corpus of 1,000,000 passages (100,000 with --quick), on SQLite and PostgreSQL; the
  naive plan (filter inside the MATCH statement) against rank-then-filter; ratio to bm25s.

Writes bench/out/search.json. Exits 0; skips a part with a message when its data or PostgreSQL is absent.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from ingestion.model import Limits, ParsedDocument, ParsedPassage  # noqa: E402
from service.corpus import store  # noqa: E402
from service.corpus.access import Viewer  # noqa: E402
from service.corpus.models import Twin  # noqa: E402
from service.db import make_engine, make_session_factory  # noqa: E402
from service.migrate import upgrade_database  # noqa: E402
from service.search import search_passages  # noqa: E402
from service.search.index import fetch_candidates, fetch_candidates_filtered_in_query  # noqa: E402
from service.search.query import parse_query  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = ROOT / "bench" / "out"
QUESTIONS = ROOT / "bench" / "data" / "speech_questions.jsonl"
PG_ADMIN_URL = os.environ.get("UNDERSTUDY_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
EVERYONE = Viewer.public()
console = Console()
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
    database = f"understudy_bench_{name}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database)
    try:
        upgrade_database(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def postgres_available() -> bool:
    try:
        engine = make_engine(PG_ADMIN_URL, pool_pre_ping=False)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - started) * 1000


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        t.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    console.print(t)


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


def ingest_qmsum(session: Session, meetings: list[Meeting], words: int) -> QmsumCorpus:
    twin = store.create_twin(session, "qmsum", "QMSum meetings")
    store.record_consent(session, "qmsum", by="bench", scope="benchmark")
    for m in meetings:
        pairs = meeting_passages(m, words)
        doc = ParsedDocument(title=f"Meeting {m.name}", kind="transcript", filename=f"{m.split}-{m.name}.txt",
                             sha256=sha(m.split + m.name), size_bytes=0, date=None,
                             passages=[p for p, _ in pairs])
        source = store.add_source(session, twin, doc, approve=True).source
        ids = session.execute(text("SELECT id, ordinal FROM passages WHERE source_id = :s"), {"s": source.id}).all()
        by_ordinal = dict((o, pid) for pid, o in ids)
        for p, span in pairs:
            _ = by_ordinal[p.ordinal]
        m_spans = {by_ordinal[p.ordinal]: (m.name, span[0], span[1]) for p, span in pairs}
        session.info.setdefault("spans", {}).update(m_spans)
    session.commit()
    spans: dict[int, tuple[str, int, int]] = session.info["spans"]
    rows = session.execute(text("SELECT id, text FROM passages WHERE twin_id = :t ORDER BY id"), {"t": twin.id}).all()
    passages = [(spans[pid][0], body, (spans[pid][1], spans[pid][2])) for pid, body in rows]
    mean_words = statistics.mean(len(body.split()) for _, body, _ in passages)
    return QmsumCorpus(twin, spans, passages, mean_words)


def run_qmsum(workdir: Path, quick: bool) -> None:
    root = DATA / "qmsum"
    if not root.is_dir():
        console.print(f"[yellow]QMSum skipped: {root} not found[/]")
        return
    meetings = load_qmsum(root)
    with fresh_database("sqlite", workdir, "qmsum") as engine:
        factory = make_session_factory(engine)
        session = factory()
        started = time.perf_counter()
        corpus = ingest_qmsum(session, meetings, QMSUM_PASSAGE_WORDS)
        ingest_s = time.perf_counter() - started
        windows: list[tuple[str, str, tuple[int, int]]] = []
        for m in meetings:
            windows += [(m.name, body, span) for body, span in window_passages(m, WINDOW_WORDS)]
        window_words = statistics.mean(len(b.split()) for _, b, _ in windows)
        same = bm25s_index([body for _, body, _ in corpus.passages])
        win = bm25s_index([body for _, body, _ in windows])
        rows = []
        record: dict[str, Any] = {"passages": len(corpus.passages), "mean_words": corpus.words,
                                  "window_passages": len(windows), "window_mean_words": window_words,
                                  "passage_words_target": QMSUM_PASSAGE_WORDS, "ingest_s": ingest_s, "splits": {}}
        for split in ("train", "val", "test"):
            queries = [(m.name, q, gold) for m in meetings if m.split == split for q, gold in m.queries]
            ours = []
            for name, q, gold in queries:
                hits = search_passages(session, corpus.twin, q, EVERYONE, k=10)
                ours.append([corpus.spans[h.passage_id][0] == name
                             and overlaps(corpus.spans[h.passage_id][1:], gold) for h in hits])
            base_same = [[corpus.passages[d][0] == name and overlaps(corpus.passages[d][2], gold) for d in docs]
                         for docs, (name, _, gold) in zip(bm25s_search(same, [q for _, q, _ in queries], 10),
                                                          queries, strict=True)]
            base_win = [[windows[d][0] == name and overlaps(windows[d][2], gold) for d in docs]
                        for docs, (name, _, gold) in zip(bm25s_search(win, [q for _, q, _ in queries], 10),
                                                         queries, strict=True)]
            split_record = {"understudy": metrics(ours), "bm25s_same_passages": metrics(base_same),
                            "bm25s_120_word_windows": metrics(base_win)}
            record["splits"][split] = split_record
            for label, key in (("understudy search", "understudy"), ("bm25s, same passages", "bm25s_same_passages"),
                               ("bm25s, 120-word windows", "bm25s_120_word_windows")):
                m_ = split_record[key]
                rows.append((f"{split}: {label}", m_["queries"], m_["hit@1"], m_["hit@5"], m_["hit@10"], m_["mrr"]))
        session.close()
    table(f"QMSum, across all meetings in one twin ({len(corpus.passages):,} passages, mean {corpus.words:.1f} words; "
          f"windows: {len(windows):,}, mean {window_words:.1f} words)",
          ["split / system", "queries", "hit@1", "hit@5", "hit@10", "MRR"], rows)
    results["qmsum"] = record


# --- main -------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a faster run: 100,000 generated passages, fewer queries")
    parser.add_argument("--only", default="qmsum,speeches,speed", help="comma-separated parts to run")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        workdir = Path(tmp)
        if "qmsum" in parts:
            run_qmsum(workdir, args.quick)
    (OUT / "search.json").write_text(json.dumps(results, indent=2, default=str))
    console.print(f"wrote {OUT / 'search.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
