"""Rehearsal on QMSum product meetings: the Project Manager plays the executive.

The AMI product-design meetings in ../shared/data/qmsum (those with a "Project Manager" speaker) are ingested as
speaker-labelled transcripts into one twin whose executive label is PROJECT MANAGER. Then:

1. Faithfulness: every question mined into the objection bank must appear word for word in a Project Manager turn
   of its meeting (goal 100 %), and none may come from another speaker's turn.
2. Relevance: for each topic segment of each meeting (QMSum's topic spans), the other participants' turns are
   "the pitch"; the twin surfaces 5 questions; a surfaced question is a hit when the PM asked it in that same
   meeting (and, stricter, in that same segment). Compared with a plain BM25 pick (bm25s over all mined PM
   questions, query = the pitch) and with ablations of the ranker's signals.
3. Cost: mining the bank cold versus the cached bank, and start_rehearsal latency.

Run: .venv/bin/python bench/rehearsal.py [--split test|val|train] [--limit N]   (skips without ../shared/data)
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
QMSUM = SHARED / "qmsum"
EXECUTIVE = "Project Manager"
LABEL = "PROJECT MANAGER"
K = 5
MIN_PITCH_WORDS = 60
MARKUP = re.compile(r"\{[^}]*\}")


@dataclass
class Meeting:
    name: str
    turns: list[tuple[str, str]]  # (speaker, cleaned content), empty turns dropped
    topics: list[list[tuple[int, int]]]  # per topic: spans over `turns` indexes (inclusive)


def clean(text: str) -> str:
    """QMSum content without its {disfmarker}/{vocalsound} markup, spaces collapsed."""
    return " ".join(MARKUP.sub(" ", text).split())


def load_meetings(split: str, limit: int | None) -> list[Meeting]:
    meetings = []
    for path in sorted(glob.glob(str(QMSUM / split / "*.json"))):
        data = json.loads(Path(path).read_text())
        raw = data["meeting_transcripts"]
        if not any(t["speaker"] == EXECUTIVE for t in raw):
            continue
        index: dict[int, int] = {}
        turns: list[tuple[str, str]] = []
        for i, turn in enumerate(raw):
            content = clean(turn["content"])
            if content:
                index[i] = len(turns)
                turns.append((turn["speaker"], content))
        topics = []
        for topic in data.get("topic_list", []):
            spans = []
            for start, end in topic.get("relevant_text_span", []):
                kept = [index[i] for i in range(int(start), int(end) + 1) if i in index]
                if kept:
                    spans.append((kept[0], kept[-1]))
            if spans:
                topics.append(spans)
        meetings.append(Meeting(Path(path).stem, turns, topics))
        if limit and len(meetings) >= limit:
            break
    return meetings


def transcript_bytes(meeting: Meeting) -> bytes:
    """The meeting as a speaker-labelled transcript, one turn a paragraph."""
    return "\n\n".join(f"{speaker.upper()}: {content}" for speaker, content in meeting.turns).encode()


def percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--limit", type=int, default=None, help="at most this many meetings")
    parser.add_argument("--tune", action="store_true", help="grid-search the ranker's weights on this split")
    args = parser.parse_args()
    if not QMSUM.is_dir():
        print(f"skipped: QMSum not found at {QMSUM} (../shared/data is absent)")
        return 0
    try:
        import bm25s
    except ImportError:
        print("skipped: bm25s is not installed (pip install -e '.[test]')")
        return 0
    from rich.console import Console
    from rich.table import Table

    from ingestion.pipeline import parse_bytes
    from service.config import load_settings
    from service.corpus import store
    from service.db import make_engine, make_session_factory
    from service.migrate import upgrade_database
    from service.rehearsal import start_rehearsal
    from service.rehearsal.bank import BANKS, QUESTION, approved_rows, corpus_state, mine
    from service.rehearsal.ranking import DEFAULT_WEIGHTS, RankWeights, rank_items
    from service.twin.text import STOPWORDS, stem, words

    console = Console()
    meetings = load_meetings(args.split, args.limit)
    if not meetings:
        print(f"skipped: no Project Manager meetings in qmsum/{args.split}")
        return 0
    tmp = tempfile.TemporaryDirectory()
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp.name}/bench.db"}, environ={})
    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    session = make_session_factory(engine)()
    twin = store.create_twin(session, "pm", "Project Manager", speaker_labels=[LABEL])
    store.record_consent(session, "pm", by="bench", scope="benchmark")
    started = time.perf_counter()
    source_of: dict[int, Meeting] = {}
    for meeting in meetings:
        doc = parse_bytes(transcript_bytes(meeting), f"{meeting.name}.txt", kind="transcript",
                          speaker_labels=(LABEL,))
        source = store.add_source(session, twin, doc, approve=True).source
        source_of[source.id] = meeting
    session.commit()
    ingest_s = time.perf_counter() - started
    viewer = store.viewer_for(None)

    # --- cost of the bank: mined cold, then cached ---------------------------------------------------------
    BANKS.clear()
    t0 = time.perf_counter()
    rows = approved_rows(session, twin)
    t1 = time.perf_counter()
    mine(rows)
    t2 = time.perf_counter()
    BANKS.get(session, twin)
    state_ms = []
    for _ in range(20):
        t = time.perf_counter()
        corpus_state(session, twin)
        state_ms.append((time.perf_counter() - t) * 1000)
    cached_ms = []
    for _ in range(20):
        t = time.perf_counter()
        BANKS.get(session, twin)
        cached_ms.append((time.perf_counter() - t) * 1000)
    bank = BANKS.get(session, twin).visible(viewer)
    questions = [i for i in bank.items if i.kind == QUESTION]

    # --- 1. faithfulness ----------------------------------------------------------------------------------
    def norm(text: str) -> str:
        return " ".join(text.split())

    theirs = others_only = 0
    for item in questions:
        meeting = source_of[item.source_id]
        text = norm(item.text)
        if any(text in norm(c) for s, c in meeting.turns if s == EXECUTIVE):
            theirs += 1
        elif any(text in norm(c) for s, c in meeting.turns if s != EXECUTIVE):
            others_only += 1
    pm_question_turns = sum(1 for m in meetings for s, c in m.turns if s == EXECUTIVE and "?" in c)

    # --- 2. relevance -------------------------------------------------------------------------------------
    def content_stems(text: str) -> Counter[str]:
        return Counter(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit())

    cases = []
    for source_id, meeting in source_of.items():
        for spans in meeting.topics:
            inside = [i for a, b in spans for i in range(a, b + 1)]
            pitch = " ".join(meeting.turns[i][1] for i in inside if meeting.turns[i][0] != EXECUTIVE)
            if len(pitch.split()) < MIN_PITCH_WORDS:
                continue
            segment_pm = [norm(meeting.turns[i][1]) for i in inside if meeting.turns[i][0] == EXECUTIVE]
            cases.append((source_id, pitch, segment_pm))
    corpus_tokens = bm25s.tokenize([q.text for q in questions], stopwords="en", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)

    def bm25_pick(pitch: str) -> list[int]:
        tokens = bm25s.tokenize([pitch], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        found, _ = retriever.retrieve(tokens, k=min(K, len(questions)), show_progress=False)
        return [int(i) for i in found[0]]

    def evaluate(picker: Callable[[str], list[int]]) -> dict[str, float]:
        hit1 = hit5 = seg5 = precision = rr = 0.0
        for source_id, pitch, segment_pm in cases:
            picked = picker(pitch)
            same = [questions[i].source_id == source_id for i in picked]
            in_segment = [questions[i].source_id == source_id and any(norm(questions[i].text) in t for t in segment_pm)
                          for i in picked]
            hit1 += bool(same[:1] and same[0])
            hit5 += any(same)
            seg5 += any(in_segment)
            precision += sum(same) / K
            rr += next((1 / (r + 1) for r, s in enumerate(same) if s), 0.0)
        n = len(cases) or 1
        return {"hit@1": hit1 / n, "hit@5": hit5 / n, "P@5": precision / n, "MRR@5": rr / n,
                "segment hit@5": seg5 / n}

    position = {id(q): i for i, q in enumerate(questions)}

    def ours(weights: RankWeights) -> Callable[[str], list[int]]:
        def pick(pitch: str) -> list[int]:
            ranked = rank_items(content_stems(pitch), bank, questions, n=K, weights=weights)
            return [position[id(r.item)] for r in ranked]
        return pick

    variants = [
        ("BM25 (bm25s, question text)", bm25_pick),
        ("ours: wording only", ours(replace(DEFAULT_WEIGHTS, prompt=0, source=0, frequency=0))),
        ("ours: wording + frequency", ours(replace(DEFAULT_WEIGHTS, prompt=0, source=0))),
        ("ours: + what they reacted to", ours(replace(DEFAULT_WEIGHTS, source=0))),
        ("ours: + meeting similarity (default)", ours(DEFAULT_WEIGHTS)),
    ]
    results = []
    for name, picker in variants:
        t = time.perf_counter()
        scores = evaluate(picker)
        results.append((name, scores, (time.perf_counter() - t) * 1000 / max(1, len(cases))))

    if args.tune:
        grid = []
        for prompt in (0.0, 0.3, 0.6, 1.0):
            for similarity in (0.0, 0.4, 0.8, 1.2):
                for frequency in (0.0, 0.15, 0.3):
                    w = replace(DEFAULT_WEIGHTS, prompt=prompt, source=similarity, frequency=frequency)
                    scores = evaluate(ours(w))
                    grid.append((round(scores["segment hit@5"] + scores["P@5"], 3), round(scores["P@5"], 3),
                                 round(scores["segment hit@5"], 3), prompt, similarity, frequency))
        grid.sort(reverse=True)
        console.print("tuning on", args.split, "(segment hit@5 + P@5, P@5, segment hit@5, prompt, source, frequency):")
        for row in grid[:8]:
            console.print(row)

    # --- 3. end to end --------------------------------------------------------------------------------------
    latencies = []
    for _, pitch, _ in cases[:40]:
        t = time.perf_counter()
        start_rehearsal(session, settings, "pm", viewer, pitch_text=" ".join(pitch.split()[:4000]))
        latencies.append((time.perf_counter() - t) * 1000)
    session.rollback()

    table = Table(title=f"Corpus: QMSum {args.split}, meetings with a Project Manager")
    for col in ("meetings", "passages", "PM turns with '?'", "ingest s", "mined questions", "mined concerns",
                "pitches (topic segments)"):
        table.add_column(col, justify="right")
    table.add_row(str(len(meetings)), str(len(rows)), str(pm_question_turns), f"{ingest_s:.1f}", str(len(questions)),
                  str(len(bank.items) - len(questions)), str(len(cases)))
    console.print(table)

    table = Table(title="1. Mined questions that are truly the Project Manager's (goal 100 %)")
    for col in ("mined", "in a PM turn of their meeting, word for word", "share", "from another speaker's turn"):
        table.add_column(col, justify="right")
    table.add_row(str(len(questions)), str(theirs), percent(theirs / max(1, len(questions))), str(others_only))
    console.print(table)

    table = Table(title=f"2. Surfaced questions the PM asked in that meeting ({len(cases)} pitches, top {K})")
    table.add_column("ranker")
    for col in ("hit@1", "hit@5", "P@5", "MRR@5", "segment hit@5", "ms / pitch"):
        table.add_column(col, justify="right")
    for name, scores, ms in results:
        table.add_row(name, *(f"{scores[c]:.3f}" for c in ("hit@1", "hit@5", "P@5", "MRR@5", "segment hit@5")),
                      f"{ms:.1f}")
    console.print(table)
    base = results[0][1]
    best = results[-1][1]
    console.print(f"default ranker vs BM25: P@5 {best['P@5']:.3f} vs {base['P@5']:.3f} "
                  f"(x{best['P@5'] / max(base['P@5'], 1e-9):.2f}); hit@1 {best['hit@1']:.3f} vs {base['hit@1']:.3f}")

    table = Table(title="3. Cost (2 cores, SQLite, in process)")
    table.add_column("step")
    table.add_column("ms", justify="right")
    table.add_row(f"read {len(rows)} approved passages", f"{(t1 - t0) * 1000:.1f}")
    table.add_row("mine the bank (cold)", f"{(t2 - t1) * 1000:.1f}")
    table.add_row("corpus-state fingerprint (p50)", f"{statistics.median(state_ms):.2f}")
    table.add_row("cached bank for a rehearsal (p50, includes the fingerprint)", f"{statistics.median(cached_ms):.2f}")
    if latencies:
        ordered = sorted(latencies)
        table.add_row(f"start_rehearsal end to end, p50 of {len(latencies)}", f"{statistics.median(latencies):.1f}")
        table.add_row("start_rehearsal end to end, p95", f"{ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]:.1f}")
    console.print(table)
    console.print(f"cold mining / cached lookup: x{((t2 - t0) * 1000) / max(statistics.median(cached_ms), 1e-6):.0f}")
    session.close()
    engine.dispose()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
