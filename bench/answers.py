"""Answer quality and speed on a president's speeches: gold source cited, answered / declined, verbatim share, latency.

One president's speeches (../shared/data/presidential-speeches) become one twin's approved corpus; press
conferences keep the reporters' turns as other speakers. Questions written for this project live in
bench/data/answer_questions.jsonl (answerable, with the speech files that answer them) and
bench/data/answer_questions_unanswerable.jsonl (plausible questions these speeches do not answer).

    .venv/bin/python bench/answers.py [--president "Barack Obama"] [--threshold 0.35] [--sweep] [--llm]

Prints tables and exits 0; skips cleanly when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingestion.model import ParsedDocument, ParsedPassage  # noqa: E402

SPEECHES = ROOT.parent / "shared" / "data" / "presidential-speeches"
DATA = Path(__file__).resolve().parent / "data"
ANSWERABLE = DATA / "answer_questions.jsonl"
UNANSWERABLE = DATA / "answer_questions_unanswerable.jsonl"
# A paragraph that opens a turn: "THE PRESIDENT:", "Q.", "MR. GIBBS:" (a label in capitals ending in : or .).
TURN_LABEL = re.compile(r"^(Q|[A-Z][A-Z.'’ -]{1,40}[A-Z])\s*[:.]\s+(?=\S)")
EXECUTIVE_LABELS = ("THE PRESIDENT", "PRESIDENT")
console = Console(width=150)


@dataclass
class Outcome:
    """One question's answer as the bench sees it."""

    question: str
    answerable: bool
    gold: list[str]
    grounded: bool
    cited_files: list[str]
    sentences: int
    verbatim: int
    ms: float
    mode: str
    fallback: str | None
    refused: str | None
    first_cites_gold: bool
    switches: int = 0
    cohesion: float | None = None


def speech_files(president: str) -> list[Path]:
    """The president's speech files, oldest first."""
    wanted = f"President: {president}"
    return [p for p in sorted(SPEECHES.glob("*.txt")) if p.read_text(encoding="utf-8").startswith(wanted + "\n")]


def parse_speech(path: Path, passage_words: int = 90) -> ParsedDocument:
    """A speech as a parsed document: paragraphs, speaker turns, whole-sentence passages of about 90 words."""
    raw = path.read_text(encoding="utf-8")
    body = raw.split("\n", 2)[2] if raw.startswith("President:") else raw
    turns: list[tuple[str | None, bool, list[tuple[str, str]]]] = []
    speaker: str | None = None
    executive = True
    for number, paragraph in enumerate((p.strip() for p in re.split(r"\n\s*\n", body)), start=1):
        if not paragraph:
            continue
        label = TURN_LABEL.match(paragraph)
        if label and (label.group(1) == "Q" or label.group(1).isupper()):
            speaker = label.group(1).strip()
            executive = speaker.rstrip(".").upper() in EXECUTIVE_LABELS or speaker.upper().startswith("PRESIDENT ")
            paragraph = paragraph[label.end():]
            turns.append((speaker, executive, []))
        elif not turns:
            turns.append((None, True, []))
        turns[-1][2].append((f"¶ {number}", paragraph))
    passages = chunk_turns(turns, passage_words)
    date = _date_of(path.name)
    title = " ".join(path.stem.split("-")[3:]).capitalize()
    data = path.read_bytes()
    return ParsedDocument(title=title, kind="talk", filename=path.name, sha256=hashlib.sha256(data).hexdigest(),
                          size_bytes=len(data), date=date, passages=passages, metadata={"bench": "answers"})


def chunk_turns(turns: list[tuple[str | None, bool, list[tuple[str, str]]]], passage_words: int) -> list[ParsedPassage]:
    """Passages through the ingestion chunker when it is there, else whole sentences packed per turn."""
    try:
        from ingestion.chunking import chunk_blocks
        from ingestion.model import Limits
        from ingestion.parsers import join_paragraphs
    except ImportError:
        chunk_blocks = None  # type: ignore[assignment]
    if chunk_blocks is not None:
        blocks = [b for speaker, executive, paras in turns
                  if (b := join_paragraphs(paras, speaker=speaker, executive=executive)) is not None]
        return chunk_blocks(blocks, Limits(passage_words=passage_words))
    from service.twin.text import sentences as split_sentences
    out: list[ParsedPassage] = []
    for speaker, executive, paras in turns:
        current: list[str] = []
        locator = paras[0][0] if paras else ""
        for para_locator, text in paras:
            for sentence in split_sentences(text):
                if not current:
                    locator = para_locator
                current.append(sentence)
                if sum(len(s.split()) for s in current) >= passage_words:
                    out.append(ParsedPassage(len(out), " ".join(current), locator, speaker, executive))
                    current = []
        if current:
            out.append(ParsedPassage(len(out), " ".join(current), locator, speaker, executive))
    return out


def _date_of(name: str) -> Any:
    import datetime as dt
    try:
        return dt.date.fromisoformat(name[:10])
    except ValueError:
        return None


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(president: str, workdir: Path, database_url: str | None) -> tuple[Any, Any, dict[int, str], int]:
    """A migrated database holding the president's twin with every speech approved."""
    from service.config import load_settings
    from service.corpus import store
    from service.db import make_engine, make_session_factory, session_scope
    from service.migrate import upgrade_database
    from service.twin.persona import refresh_persona

    url = database_url or f"sqlite:///{workdir / 'answers.db'}"
    settings = load_settings({"DATABASE_URL": url}, environ={})
    engine = make_engine(url)
    upgrade_database(engine)
    factory = make_session_factory(engine)
    files: dict[int, str] = {}
    passages = 0
    with session_scope(factory) as session:
        twin = store.create_twin(session, "bench-twin", president, title="President of the United States",
                                 speaker_labels=["THE PRESIDENT"])
        store.record_consent(session, twin.slug, by=president, scope="benchmark of public-domain speeches")
        for path in speech_files(president):
            doc = parse_speech(path, settings.passage_words)
            result = store.add_source(session, twin, doc, approve=True)
            files[result.source.id] = path.name
            passages += len(doc.passages)
        refresh_persona(session, twin)
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # term statistics come from the planner's, as after autovacuum
    return settings, factory, files, passages


def run(settings: Any, factory: Any, files: dict[int, str], questions: list[dict[str, Any]], *,
        order: str = "discourse", llm_client: Any = None) -> list[Outcome]:
    """Ask every question once through the engine; one Outcome each."""
    from service.corpus.access import Viewer
    from service.db import session_scope
    from service.twin import extractive
    from service.twin.engine import answer_question
    from service.twin.text import content_stems, jaccard

    viewer = Viewer.public()
    outcomes: list[Outcome] = []
    saved_order = extractive.DEFAULT_ORDER
    extractive.DEFAULT_ORDER = order
    try:
        for item in questions:
            with session_scope(factory) as session:
                started = time.perf_counter()
                answer = answer_question(session, settings, "bench-twin", item["question"], viewer,
                                         channel="bench", llm_client=llm_client)
                ms = (time.perf_counter() - started) * 1000
                quotes = {c.n: c for c in answer.citations}
                passages = _passage_texts(session, [c.passage_id for c in answer.citations])
            total = verbatim = 0
            sequence: list[tuple[int, frozenset[str]]] = []
            for text, numbers in cited_sentences(answer.answer):
                total += 1
                if numbers and all(n in quotes and _normal(text) in _normal(passages.get(quotes[n].passage_id, ""))
                                   for n in numbers):
                    verbatim += 1
                if numbers and numbers[0] in quotes:
                    sequence.append((quotes[numbers[0]].source_id, frozenset(content_stems(text))))
            cited = [files.get(c.source_id, "?") for c in answer.citations]
            gold = list(item.get("gold") or [])
            switches = sum(1 for a, b in zip(sequence, sequence[1:], strict=False) if a[0] != b[0])
            cohesion = (statistics.fmean(jaccard(a[1], b[1]) for a, b in zip(sequence, sequence[1:], strict=False))
                        if len(sequence) > 1 else None)
            outcomes.append(Outcome(item["question"], bool(item.get("answerable", bool(gold))), gold,
                                    answer.grounded, cited, total, verbatim, ms, answer.mode,
                                    answer.fallback_reason, answer.refused_topic,
                                    bool(cited) and cited[0] in gold, switches, cohesion))
    finally:
        extractive.DEFAULT_ORDER = saved_order
    return outcomes


def _passage_texts(session: Any, ids: list[int]) -> dict[int, str]:
    from sqlalchemy import select

    from service.corpus.models import Passage
    if not ids:
        return {}
    return {pid: text for pid, text in session.execute(select(Passage.id, Passage.text).where(Passage.id.in_(ids)))}


MARKED = re.compile(r"(.+?)((?:\s*\[\d+\])+)(?=\s|$)", re.S)


def cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """(sentence, cited numbers) for each cited sentence of an answer; framing without a marker is skipped."""
    out = []
    for match in MARKED.finditer(answer):
        text = match.group(1).strip()
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", match.group(2))]
        out.append((text, numbers))
    if out:
        # The first match starts at the framing line; keep only the quoted sentence after it.
        from service.twin.text import sentences
        first_sentences = sentences(out[0][0])
        if len(first_sentences) > 1:
            out[0] = (first_sentences[-1], out[0][1])
    return out


def _normal(text: str) -> str:
    return " ".join(text.split())


def summarise(outcomes: list[Outcome]) -> dict[str, float]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    sentences = sum(o.sentences for o in outcomes if o.grounded)
    verbatim = sum(o.verbatim for o in outcomes if o.grounded)
    times = sorted(o.ms for o in outcomes)
    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "gold_cited": _share(sum(1 for o in answerable if set(o.gold) & set(o.cited_files)), len(answerable)),
        "first_cites_gold": _share(sum(1 for o in answerable if o.first_cites_gold), len(answerable)),
        "answered": _share(sum(1 for o in answerable if o.grounded), len(answerable)),
        "declined": _share(sum(1 for o in unanswerable if not o.grounded), len(unanswerable)),
        "verbatim": _share(verbatim, sentences),
        "p50_ms": statistics.median(times) if times else 0.0,
        "p95_ms": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else 0.0,
        "refused": sum(1 for o in outcomes if o.refused),
        "switches": statistics.fmean(o.switches for o in outcomes if o.grounded) if any(
            o.grounded for o in outcomes) else 0.0,
        "cohesion": statistics.fmean(c) if (c := [o.cohesion for o in outcomes if o.cohesion is not None]) else 0.0,
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def print_summary(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    table = Table(title=title)
    for column in ("run", "gold cited", "1st cite gold", "answered", "declined (unans.)", "verbatim",
                   "source switches", "adjacent overlap", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right" if column != "run" else "left")
    for name, s in rows:
        table.add_row(name, f"{s['gold_cited']:.1%}", f"{s['first_cites_gold']:.1%}", f"{s['answered']:.1%}",
                      f"{s['declined']:.1%}", f"{s['verbatim']:.1%}", f"{s['switches']:.2f}",
                      f"{s['cohesion']:.3f}", f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}")
    console.print(table)


def latency_breakdown(settings: Any, factory: Any, questions: list[dict[str, Any]], repeats: int = 2) -> None:
    """Where an extractive answer's time goes, against search alone as the baseline (same process, warm)."""
    from service.corpus import store
    from service.corpus.access import Viewer
    from service.search import search_passages
    from service.twin.engine import answer_question, term_stats
    from service.twin.extractive import compose_extractive
    from service.twin.persona import persona_settings

    timings: dict[str, list[float]] = {"search (baseline)": [], "search + term stats + compose": [],
                                       "answer_question (incl. twin load, record)": []}
    viewer = Viewer.public()
    for _ in range(repeats):
        for item in questions:
            question = item["question"]
            with session_scope_of(factory) as session:
                twin = store.get_twin(session, "bench-twin")
                started = time.perf_counter()
                hits = search_passages(session, twin, question, viewer, k=settings.search_k, executive_only=True)
                searched = time.perf_counter()
                compose_extractive(question, hits, persona_settings(twin), threshold=settings.grounding_threshold,
                                   stats=term_stats(session, question))
                composed = time.perf_counter()
                answer_question(session, settings, "bench-twin", question, viewer, channel="bench")
                answered = time.perf_counter()
                session.rollback()
            timings["search (baseline)"].append((searched - started) * 1000)
            timings["search + term stats + compose"].append((composed - started) * 1000)
            timings["answer_question (incl. twin load, record)"].append((answered - composed) * 1000)
    table = Table(title=f"Latency breakdown, warm, {len(questions)} questions x {repeats}")
    for column in ("step", "p50 ms", "p95 ms", "p50 / search p50"):
        table.add_column(column, justify="left" if column == "step" else "right")
    base = statistics.median(timings["search (baseline)"])
    for name, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        table.add_row(name, f"{statistics.median(values):.1f}", f"{p95:.1f}", f"{statistics.median(values) / base:.2f}")
    console.print(table)


def print_goals(s: dict[str, float]) -> None:
    """The issue's goals against the warm discourse-order run."""
    goals = [("gold source cited, answerable", s["gold_cited"], ">=", 0.85),
             ("no-answer, unanswerable", s["declined"], ">=", 0.85),
             ("answer sentences verbatim in their cited passage", s["verbatim"], ">=", 1.0)]
    for name, value, _, goal in goals:
        console.print(f"{'PASS' if value >= goal else 'MISS'}  {name}: {value:.1%} (goal {goal:.0%})")
    console.print(f"{'PASS' if s['p95_ms'] < 50 else 'MISS'}  extractive answer p95 in process: "
                  f"{s['p95_ms']:.1f} ms (goal < 50 ms)")


def grounding_scores(settings: Any, factory: Any, questions: list[dict[str, Any]]) -> list[tuple[bool, float]]:
    """(answerable, grounding score) per question, from the same search and composer the engine uses."""
    from service.corpus import store
    from service.corpus.access import Viewer
    from service.search import search_passages
    from service.twin.engine import term_stats
    from service.twin.extractive import compose_extractive
    from service.twin.persona import persona_settings

    scores = []
    with session_scope_of(factory) as session:
        twin = store.get_twin(session, "bench-twin")
        persona = persona_settings(twin)
        for item in questions:
            hits = search_passages(session, twin, item["question"], Viewer.public(), k=settings.search_k,
                                   executive_only=True)
            composed = compose_extractive(item["question"], hits, persona, threshold=0.0,
                                          stats=term_stats(session, item["question"]))
            scores.append((bool(item.get("gold")), composed.grounding))
    return scores


def session_scope_of(factory: Any) -> Any:
    from service.db import session_scope
    return session_scope(factory)


def print_sweep(scores: list[tuple[bool, float]]) -> None:
    table = Table(title="Grounding threshold sweep (answered answerable / declined unanswerable)")
    for column in ("threshold", "answered", "declined", "mean"):
        table.add_column(column, justify="right")
    pos = [s for a, s in scores if a]
    neg = [s for a, s in scores if not a]
    for t in [x / 100 for x in range(20, 71, 5)]:
        answered = _share(sum(1 for s in pos if s >= t), len(pos))
        declined = _share(sum(1 for s in neg if s < t), len(neg))
        table.add_row(f"{t:.2f}", f"{answered:.1%}", f"{declined:.1%}", f"{(answered + declined) / 2:.1%}")
    console.print(table)


def run_llm(settings: Any, factory: Any, files: dict[int, str], questions: list[dict[str, Any]]) -> None:
    """The LLM path against the local fake server in each of its modes: which mode answered and why."""
    try:
        from tests.support.fake_openai import FakeOpenAI
    except ImportError:
        console.print("[yellow]LLM run skipped: tests/support/fake_openai.py not found[/]")
        return
    table = Table(title="LLM path against the local fake OpenAI server (fallbacks by reason)")
    for column in ("fake mode", "questions", "mode=llm", "mode=extractive", "fallback reasons", "gold cited",
                   "declined (unans.)", "verbatim", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column in ("fake mode", "fallback reasons") else "right")
    with FakeOpenAI(delay=1.0) as fake:
        llm_settings = settings.replace(llm_base_url=fake.base_url, llm_model="fake-gpt", llm_api_key="bench",
                                        llm_timeout=0.5)
        for mode in ("honest", "slow", "error500", "bad_json", "uncited", "cite_unknown", "unsupported",
                     "drop_stream"):
            fake.set_mode(mode)
            subset = questions if mode == "honest" else questions[::4]
            outcomes = run(llm_settings, factory, files, subset)
            s = summarise(outcomes)
            modes = Counter(o.mode for o in outcomes)
            reasons = Counter(o.fallback for o in outcomes if o.fallback)
            table.add_row(mode, str(len(outcomes)), str(modes.get("llm", 0)), str(modes.get("extractive", 0)),
                          ", ".join(f"{k} {v}" for k, v in reasons.most_common()) or "-",
                          f"{s['gold_cited']:.1%}", f"{s['declined']:.1%}", f"{s['verbatim']:.1%}",
                          f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--president", default="Barack Obama")
    parser.add_argument("--database-url", default=None, help="run on this database instead of a temporary SQLite")
    parser.add_argument("--threshold", type=float, default=None, help="grounding threshold (default: the setting)")
    parser.add_argument("--sweep", action="store_true", help="print grounding scores against thresholds")
    parser.add_argument("--llm", action="store_true", help="also run the LLM path against the fake server")
    parser.add_argument("--show", action="store_true", help="print each answer's outcome")
    args = parser.parse_args(argv)
    if not SPEECHES.is_dir():
        console.print(f"[yellow]skipped: {SPEECHES} not found (the shared data is not on this machine)[/]")
        return 0
    questions = load_questions(ANSWERABLE) + load_questions(UNANSWERABLE)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        settings, factory, files, passages = build(args.president, Path(tmp), args.database_url)
        console.print(f"{args.president}: {len(files)} speeches, {passages} passages, built in "
                      f"{time.perf_counter() - started:.1f} s; {sum(1 for q in questions if q.get('gold'))} "
                      f"answerable and {sum(1 for q in questions if not q.get('gold'))} unanswerable questions")
        if args.threshold is not None:
            settings = settings.replace(grounding_threshold=args.threshold)
        console.print(f"grounding threshold {settings.grounding_threshold}")
        rows = [("extractive, first ask (cold caches)", summarise(run(settings, factory, files, questions)))]
        for order in ("discourse", "relevance"):
            outcomes = run(settings, factory, files, questions, order=order)
            rows.append((f"extractive, {order} order", summarise(outcomes)))
            if args.show and order == "discourse":
                show(outcomes)
        print_summary("Extractive answers (source switches: per answer, fewer reads better; adjacent overlap: "
                      "content-word Jaccard of neighbouring sentences)", rows)
        print_goals(rows[1][1])
        latency_breakdown(settings, factory, questions)
        if args.sweep:
            print_sweep(grounding_scores(settings, factory, questions))
        if args.llm:
            run_llm(settings, factory, files, questions)
    return 0


def show(outcomes: list[Outcome]) -> None:
    table = Table(title="Per question")
    for column in ("question", "gold", "grounded", "cited", "ms"):
        table.add_column(column)
    for o in outcomes:
        ok = "✓" if (o.answerable and set(o.gold) & set(o.cited_files)) or (not o.answerable and not o.grounded) \
            else "✗"
        table.add_row(f"{ok} {o.question[:70]}", ",".join(g[:22] for g in o.gold) or "-",
                      ("refused " + o.refused) if o.refused else str(o.grounded),
                      ",".join(c[:22] for c in o.cited_files), f"{o.ms:.1f}")
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
