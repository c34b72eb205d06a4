"""Answer quality and speed on presidents' speeches: gold source cited, answered / declined, verbatim share, latency.

One president's speeches (../shared/data/presidential-speeches) become one twin's approved corpus, with passage
vectors stored as an ingestion stores them. Each speech is parsed by the product's ingestion as
`understudy ingest --speaker "THE PRESIDENT"` parses it: reporters' ("Q"), moderators' and opponents' turns
("Mr. Mondale.") are other speakers, never the president's words.
Question sets (--set):
- eval (default): ../shared/data/eval, reworded questions to Clinton and G. W. Bush written for this project by
  people who did not build the engine, and 40 questions the speeches cannot answer;
- heldout: bench/data/heldout, the same kind of questions to Obama and Reagan, written by hand from the speeches
  (not tuned to the engine), and 40 unanswerable;
- heldout2: bench/data/heldout2, the same kind of questions to Kennedy and L. B. Johnson, never fitted: measured
  before and after a change only, and 15 unanswerable;
- heldout3: bench/data/heldout3, the same kind of questions to Carter and F. D. Roosevelt, never fitted: measured
  before and after a change only, and 15 unanswerable;
- heldout4: bench/data/heldout4, the same kind of questions to Truman and Nixon, never fitted: measured before and
  after a change only, and 15 unanswerable;
- heldout5: bench/data/heldout5, the same kind of questions to Ford and G. H. W. Bush, never fitted: measured before
  and after a change only, and 15 unanswerable;
- heldout6: bench/data/heldout6, the same kind of questions to Wilson and Hoover, never fitted: measured before and
  after a change only, and 15 unanswerable;
- heldout7: bench/data/heldout7, the same kind of questions to Trump and T. Roosevelt, never fitted: measured before
  and after a change only, and 15 unanswerable;
- heldout8: bench/data/heldout8, the same kind of questions to Coolidge and Lincoln, never fitted: measured before
  and after a change only, and 15 unanswerable;
- heldout9: bench/data/heldout9, the same kind of questions to Cleveland and Harding, never fitted: measured before
  and after a change only, and 15 unanswerable;
- bench: bench/data/answer_questions*.jsonl (they share the answers' words: a regression check only).

    .venv/bin/python bench/answers.py [--set eval|heldout|heldout2|heldout3|heldout4|heldout5|heldout6|heldout7|heldout8|heldout9|bench|all] [--sweep] [--fit] [--llm] [--database-url URL]

--sweep prints the answer decision's threshold curve (answered vs no-answer); --fit refits the calibrated
evidence weights (service/twin/extractive.py EVIDENCE_WEIGHTS) on the chosen sets and shows how they carry over.
--write-word-frequencies regenerates service/twin/data/english_words.tsv (the term weights' background of
ordinary English) from wordfreq, which only this option needs.
Prints tables and exits 0; skips cleanly when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.common import (  # noqa: E402
    SHARED,
    SPEECHES,
    fake_llm_settings,
    migrated_database,
    new_table,
    percentile_rounded,
    read_jsonl,
    share,
    speeches_of,
    timed,
)
from ingestion.model import ParsedDocument  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
ANSWERABLE = DATA / "answer_questions.jsonl"
UNANSWERABLE = DATA / "answer_questions_unanswerable.jsonl"
EVAL = SHARED / "eval"
HELDOUT = DATA / "heldout"
HELDOUT2 = DATA / "heldout2"
HELDOUT3 = DATA / "heldout3"
HELDOUT4 = DATA / "heldout4"
HELDOUT5 = DATA / "heldout5"
HELDOUT6 = DATA / "heldout6"
HELDOUT7 = DATA / "heldout7"
HELDOUT8 = DATA / "heldout8"
HELDOUT9 = DATA / "heldout9"
# Each set: (president, answerable questions, unanswerable questions, gold ids are speech ids without .txt).
QUESTION_SETS: dict[str, list[tuple[str, Path, Path, bool]]] = {
    "eval": [("Bill Clinton", EVAL / "clinton_questions.jsonl", EVAL / "unanswerable.jsonl", True),
             ("George W. Bush", EVAL / "gwbush_questions.jsonl", EVAL / "unanswerable.jsonl", True)],
    "heldout": [("Barack Obama", HELDOUT / "obama_questions.jsonl", HELDOUT / "heldout_unanswerable.jsonl", True),
                ("Ronald Reagan", HELDOUT / "reagan_questions.jsonl", HELDOUT / "heldout_unanswerable.jsonl", True)],
    "heldout2": [("John F. Kennedy", HELDOUT2 / "kennedy_questions.jsonl", HELDOUT2 / "heldout2_unanswerable.jsonl", True),
                 ("Lyndon B. Johnson", HELDOUT2 / "lbj_questions.jsonl", HELDOUT2 / "heldout2_unanswerable.jsonl",
                  True)],
    "heldout3": [("Jimmy Carter", HELDOUT3 / "carter_questions.jsonl", HELDOUT3 / "heldout3_unanswerable.jsonl", True),
                 ("Franklin D. Roosevelt", HELDOUT3 / "fdr_questions.jsonl", HELDOUT3 / "heldout3_unanswerable.jsonl",
                  True)],
    "heldout4": [("Harry S. Truman", HELDOUT4 / "truman_questions.jsonl", HELDOUT4 / "heldout4_unanswerable.jsonl", True),
                 ("Richard Nixon", HELDOUT4 / "nixon_questions.jsonl", HELDOUT4 / "heldout4_unanswerable.jsonl", True)],
    "heldout5": [("Gerald Ford", HELDOUT5 / "ford_questions.jsonl", HELDOUT5 / "heldout5_unanswerable.jsonl", True),
                 ("George H. W. Bush", HELDOUT5 / "hwbush_questions.jsonl", HELDOUT5 / "heldout5_unanswerable.jsonl",
                  True)],
    "heldout6": [("Woodrow Wilson", HELDOUT6 / "wilson_questions.jsonl", HELDOUT6 / "heldout6_unanswerable.jsonl", True),
                 ("Herbert Hoover", HELDOUT6 / "hoover_questions.jsonl", HELDOUT6 / "heldout6_unanswerable.jsonl", True)],
    "heldout7": [("Donald Trump", HELDOUT7 / "trump_questions.jsonl", HELDOUT7 / "heldout7_unanswerable.jsonl", True),
                 ("Theodore Roosevelt", HELDOUT7 / "troosevelt_questions.jsonl", HELDOUT7 / "heldout7_unanswerable.jsonl",
                  True)],
    "heldout8": [("Calvin Coolidge", HELDOUT8 / "coolidge_questions.jsonl", HELDOUT8 / "heldout8_unanswerable.jsonl",
                  True),
                 ("Abraham Lincoln", HELDOUT8 / "lincoln_questions.jsonl", HELDOUT8 / "heldout8_unanswerable.jsonl",
                  True)],
    "heldout9": [("Grover Cleveland", HELDOUT9 / "cleveland_questions.jsonl", HELDOUT9 / "heldout9_unanswerable.jsonl",
                  True),
                 ("Warren G. Harding", HELDOUT9 / "harding_questions.jsonl", HELDOUT9 / "heldout9_unanswerable.jsonl",
                  True)],
    "bench": [("Barack Obama", ANSWERABLE, UNANSWERABLE, False)],
}
# The executive's turn labels, as a curator gives them to `understudy ingest --speaker`: "THE PRESIDENT" of press
# conferences, and "PRESIDENT CLINTON" as debates and call-and-response rallies label him.
EXECUTIVE_LABELS = ("THE PRESIDENT",)


def executive_labels(president: str | None) -> list[str]:
    """The turn labels that are this president's words."""
    return [*EXECUTIVE_LABELS, *([f"PRESIDENT {president.split()[-1].upper()}"] if president else [])]
console = Console(width=150)
# The twin the current run asks (one per president, so that one PostgreSQL database can hold them all).
TWIN = {"slug": "bench-twin"}


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
    # Cited sentences not word for word in their cited passage (should never happen), for the report.
    not_verbatim: tuple[str, ...] = ()


def parse_speech(path: Path, passage_words: int = 90, president: str | None = None) -> ParsedDocument:
    """A speech parsed as `understudy ingest --speaker "THE PRESIDENT" --speaker "PRESIDENT <SURNAME>"` parses it:
    the product's speaker turns (press conferences' bare "Q", debates' "Mr. Mondale." and "The President." turns,
    Markdown's "**SENATOR DOLE:**"), whole-sentence passages."""
    from ingestion.model import Limits
    from ingestion.pipeline import parse_bytes

    raw = path.read_text(encoding="utf-8")
    body = raw.split("\n", 2)[2] if raw.startswith("President:") else raw
    doc = parse_bytes(body.encode("utf-8"), path.name, kind="talk", speaker_labels=executive_labels(president),
                      limits=Limits(passage_words=passage_words))
    data = path.read_bytes()
    return dataclasses.replace(doc, title=" ".join(path.stem.split("-")[3:]).capitalize(), date=_date_of(path.name),
                               sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                               metadata={**doc.metadata, "bench": "answers"})


def _date_of(name: str) -> Any:
    import datetime as dt
    try:
        return dt.date.fromisoformat(name[:10])
    except ValueError:
        return None


def build(president: str, workdir: Path, database_url: str | None) -> tuple[Any, Any, dict[int, str], int]:
    """A migrated database holding the president's twin with every speech approved."""
    from service.corpus import store
    from service.db import session_scope
    from service.twin.persona import refresh_persona

    database = migrated_database(database_url or f"sqlite:///{workdir / 'answers.db'}")
    settings, engine, factory = database.settings, database.engine, database.factory
    files: dict[int, str] = {}
    passages = 0
    with session_scope(factory) as session:
        TWIN["slug"] = twin_slug(president)
        twin = store.create_twin(session, TWIN["slug"], president, title="President of the United States",
                                 speaker_labels=executive_labels(president))
        store.record_consent(session, twin.slug, by=president, scope="benchmark of public-domain speeches")
        for path in speeches_of(president):
            doc = parse_speech(path, settings.passage_words, president)
            result = store.add_source(session, twin, doc, approve=True)
            files[result.source.id] = path.name
            passages += len(doc.passages)
        refresh_persona(session, twin)
    with session_scope(factory) as session:
        from service.search.vectors import index_new_sources

        index_new_sources(session, settings, list(files))  # as an ingestion does: vectors stored
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # term statistics come from the planner's, as after autovacuum
    return settings, factory, files, passages


def twin_slug(president: str) -> str:
    """The slug of a president's bench twin."""
    return "bench-" + re.sub(r"[^a-z]+", "-", president.lower()).strip("-")


def run(settings: Any, factory: Any, files: dict[int, str], questions: list[dict[str, Any]], *,
        order: str = "discourse", llm_client: Any = None) -> list[Outcome]:
    """Ask every question once through the engine; one Outcome each."""
    from service.corpus.access import Viewer
    from service.db import session_scope
    from service.twin import extractive
    from service.twin.engine import answer_question
    from textkit.words import content_stems, jaccard

    viewer = Viewer.public()
    outcomes: list[Outcome] = []
    saved_order = extractive.DEFAULT_ORDER
    extractive.DEFAULT_ORDER = order
    try:
        for item in questions:
            with session_scope(factory) as session:
                answer, ms = timed(partial(answer_question, session, settings, TWIN["slug"], item["question"],
                                           viewer, channel="bench", llm_client=llm_client))
                quotes = {c.n: c for c in answer.citations}
                passages = _passage_texts(session, [c.passage_id for c in answer.citations])
            total = verbatim = 0
            unquoted: list[str] = []
            sequence: list[tuple[int, frozenset[str]]] = []
            for text, numbers in cited_sentences(answer.answer):
                total += 1
                if numbers and all(n in quotes and is_verbatim(text, passages.get(quotes[n].passage_id, ""))
                                   for n in numbers):
                    verbatim += 1
                elif numbers:
                    unquoted.append(text)
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
                                    bool(cited) and cited[0] in gold, switches, cohesion, tuple(unquoted)))
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
        from textkit.sentences import sentences
        first_sentences = sentences(out[0][0])
        if len(first_sentences) > 1:
            out[0] = (first_sentences[-1], out[0][1])
    return out


def _normal(text: str) -> str:
    return " ".join(text.split())


# service/twin/positions.py frames a dated statement: 'In January 1982 I said: “…”' and 'As of the March 2026 memo,
# we…' / 'As of …: Cold chain…' (the statement itself, its first letter lower-cased after a comma).
SAID_FRAME = re.compile(r"^In [^“]{1,60}? I said: “(.+)”$", re.S)


def is_verbatim(sentence: str, passage: str) -> bool:
    """Whether a cited sentence is word for word in its passage (a dated-position frame is not part of the quote)."""
    text, body = _normal(sentence), _normal(passage)
    if text in body:
        return True
    said = SAID_FRAME.match(text)
    if said:
        return said.group(1) in body
    if not text.startswith("As of "):
        return False
    for cut in re.finditer(r"[,:] ", text[:120]):  # the label may hold a comma of its own
        rest = text[cut.end():]
        if rest and (rest in body or rest[0].upper() + rest[1:] in body):
            return True
    return False


def summarise(outcomes: list[Outcome]) -> dict[str, float]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    sentences = sum(o.sentences for o in outcomes if o.grounded)
    verbatim = sum(o.verbatim for o in outcomes if o.grounded)
    times = sorted(o.ms for o in outcomes)
    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "gold_cited": share(sum(1 for o in answerable if set(o.gold) & set(o.cited_files)), len(answerable)),
        "first_cites_gold": share(sum(1 for o in answerable if o.first_cites_gold), len(answerable)),
        "answered": share(sum(1 for o in answerable if o.grounded), len(answerable)),
        "declined": share(sum(1 for o in unanswerable if not o.grounded), len(unanswerable)),
        "verbatim": share(verbatim, sentences),
        "p50_ms": statistics.median(times) if times else 0.0,
        "p95_ms": percentile_rounded(times, 95) if times else 0.0,
        "refused": sum(1 for o in outcomes if o.refused),
        "switches": statistics.fmean(o.switches for o in outcomes if o.grounded) if any(
            o.grounded for o in outcomes) else 0.0,
        "cohesion": statistics.fmean(c) if (c := [o.cohesion for o in outcomes if o.cohesion is not None]) else 0.0,
    }


def print_summary(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    table = new_table(title, ("run", "gold cited", "1st cite gold", "answered", "declined (unans.)",
                              "verbatim", "source switches", "adjacent overlap", "p50 ms", "p95 ms"))
    for name, s in rows:
        table.add_row(name, f"{s['gold_cited']:.1%}", f"{s['first_cites_gold']:.1%}", f"{s['answered']:.1%}",
                      f"{s['declined']:.1%}", f"{s['verbatim']:.1%}", f"{s['switches']:.2f}",
                      f"{s['cohesion']:.3f}", f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}")
    console.print(table)


def latency_breakdown(settings: Any, factory: Any, questions: list[dict[str, Any]], repeats: int = 2) -> None:
    """Where an answer's time goes, against search alone as the baseline (same process, warm caches)."""
    from service.corpus import store
    from service.corpus.access import Viewer
    from service.search import reranker_for, search_as_configured
    from service.search.terms import term_stats
    from service.twin.engine import answer_question
    from service.twin.extractive import compose_by_meaning
    from service.twin.persona import persona_settings

    timings: dict[str, list[float]] = {"search (baseline)": [], "search + evidence + compose": [],
                                       "answer_question (incl. twin load, record)": []}
    viewer = Viewer.public()
    scorer = reranker_for(settings)
    for _ in range(repeats):
        for item in questions:
            question = item["question"]
            with session_scope_of(factory) as session:
                twin = store.get_twin(session, TWIN["slug"])
                started = time.perf_counter()
                hits = search_as_configured(session, settings, twin, question, viewer, k=settings.search_k,
                                            executive_only=True)
                searched = time.perf_counter()
                if scorer is not None:
                    compose_by_meaning(question, hits, persona_settings(twin), scorer,
                                       threshold=settings.answer_threshold, stats=term_stats(session, question))
                composed = time.perf_counter()
                answer_question(session, settings, TWIN["slug"], question, viewer, channel="bench")
                answered = time.perf_counter()
                session.rollback()
            timings["search (baseline)"].append((searched - started) * 1000)
            timings["search + evidence + compose"].append((composed - started) * 1000)
            timings["answer_question (incl. twin load, record)"].append((answered - composed) * 1000)
    table = new_table(f"Latency breakdown, warm, {len(questions)} questions x {repeats}",
                      ("step", "p50 ms", "p95 ms", "p50 / search p50"))
    base = statistics.median(timings["search (baseline)"])
    for name, values in timings.items():
        p95 = percentile_rounded(values, 95)
        table.add_row(name, f"{statistics.median(values):.1f}", f"{p95:.1f}", f"{statistics.median(values) / base:.2f}")
    console.print(table)

def session_scope_of(factory: Any) -> Any:
    from service.db import session_scope
    return session_scope(factory)


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
        llm_settings = fake_llm_settings(settings, fake.base_url, timeout=0.5)
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


def load_set(answerable: Path, unanswerable: Path, speech_ids: bool) -> list[dict[str, Any]]:
    """Questions of one set; gold speech ids become file names."""
    items = []
    for item in read_jsonl(answerable):
        item = dict(item)
        item["gold"] = [g if g.endswith(".txt") or not speech_ids else g + ".txt" for g in item.get("gold") or []]
        items.append(item)
    return items + read_jsonl(unanswerable)


def evidence_rows(settings: Any, factory: Any, files: dict[int, str],
                  questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question: the answer decision's evidence features and whether the chosen run cites a gold source."""
    from service.corpus import store
    from service.corpus.access import Viewer
    from service.search import reranker_for, search_as_configured
    from service.search.terms import term_stats
    from service.twin.extractive import choose_run, evidence_for

    scorer = reranker_for(settings)
    rows: list[dict[str, Any]] = []
    if scorer is None:  # no semantic model: there is no calibrated evidence to sweep
        return rows
    with session_scope_of(factory) as session:
        twin = store.get_twin(session, TWIN["slug"])
        for item in questions:
            hits = search_as_configured(session, settings, twin, item["question"], Viewer.public(),
                                        k=settings.search_k, executive_only=True)
            evidence, pool = evidence_for(item["question"], hits, scorer, stats=term_stats(session, item["question"]))
            cited = {files.get(s.hit.source_id) for s in choose_run(pool)}
            rows.append({"answerable": bool(item.get("gold")), "features": evidence.features(),
                         "score": evidence.score(), "gold_cited": bool(set(item.get("gold") or []) & cited)})
    return rows


def print_evidence_sweep(title: str, rows: list[dict[str, Any]]) -> None:
    """The threshold curve of the calibrated answer decision: answered (answerable) against no-answer (not)."""
    table = new_table(f"Answer decision threshold curve, {title}",
                      ("threshold", "answered", "gold cited", "no-answer (unans.)", "balanced"), left=0)
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    for t in [x / 100 for x in range(10, 91, 10)]:
        answered = share(sum(1 for r in pos if r["score"] >= t), len(pos))
        cited = share(sum(1 for r in pos if r["score"] >= t and r["gold_cited"]), len(pos))
        declined = share(sum(1 for r in neg if r["score"] < t), len(neg))
        table.add_row(f"{t:.1f}", f"{answered:.1%}", f"{cited:.1%}", f"{declined:.1%}",
                      f"{(answered + declined) / 2:.1%}")
    console.print(table)


def fit_evidence(rows: list[dict[str, Any]]) -> tuple[list[float], float]:
    """Class-balanced logistic regression of answerable on the evidence features (gradient descent, L2)."""
    import numpy as np

    x = np.array([r["features"] for r in rows], dtype=float)
    y = np.array([1.0 if r["answerable"] else 0.0 for r in rows])
    positives = max(min(float(y.mean()), 0.99), 0.01)
    weight = np.where(y == 1, 0.5 / positives, 0.5 / (1 - positives))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(20_000):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = (p - y) * weight
        w -= 0.5 * (x.T @ g / len(y) + 0.001 * w)
        b -= 0.5 * float(g.mean())
    return [round(float(v), 2) for v in w], round(b, 2)


def rescore(rows: list[dict[str, Any]], weights: list[float], bias: float) -> list[dict[str, Any]]:
    """The rows scored with other evidence weights."""
    return [{**r, "score": 1 / (1 + math.exp(-(bias + sum(w * f for w, f in zip(weights, r["features"],
                                                                               strict=True)))))} for r in rows]


def print_issue_goals(name: str, s: dict[str, float]) -> None:
    """Issue 14's goals for one president, extractive."""
    goals = [("gold cited", s["gold_cited"], 0.85), ("answered", s["answered"], 0.90),
             ("no-answer on the unanswerable", s["declined"], 0.90), ("verbatim", s["verbatim"], 1.0)]
    console.print(f"{name}: " + "; ".join(f"{'PASS' if v >= g else 'MISS'} {label} {v:.1%} (goal {g:.0%})"
                                          for label, v, g in goals))


ENGLISH_WORDS = ROOT / "service" / "twin" / "data" / "english_words.tsv"
ENGLISH_WORDS_COUNT = 40_000
ENGLISH_WORDS_HEADER = """\
# The most frequent words of general English, for term weights and favoured words (service/twin/background.py),
# one per line: word<TAB>share of all word tokens<TAB>its stem (textkit.stems.stem) when it differs from the word.
# Words and frequencies from wordfreq 3.1.1 (Robyn Speer, top_n_list('en') and word_frequency(word, 'en')),
# letters and one inner apostrophe only; that data is licensed CC BY-SA 4.0
# (https://creativecommons.org/licenses/by-sa/4.0/), and so is this table.
# Regenerate with: .venv/bin/pip install wordfreq && .venv/bin/python bench/answers.py --write-word-frequencies
"""


def write_word_frequencies(count: int = ENGLISH_WORDS_COUNT) -> None:
    """Write the shipped table of general-English word frequencies from wordfreq (not a run-time dependency)."""
    try:
        from wordfreq import top_n_list, word_frequency
    except ImportError:
        sys.exit("wordfreq is not installed: .venv/bin/pip install wordfreq")
    from textkit.stems import stem

    plain = re.compile(r"[a-z]+(?:'[a-z]+)?")
    words = [w for w in top_n_list("en", count * 2) if plain.fullmatch(w)][:count]
    lines = [f"{w}\t{word_frequency(w, 'en'):.3g}" + (f"\t{stem(w)}" if stem(w) != w else "") for w in words]
    ENGLISH_WORDS.write_text(ENGLISH_WORDS_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    console.print(f"wrote {ENGLISH_WORDS.relative_to(ROOT)}: {len(lines)} words")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="sets", default="eval", help="eval, heldout, heldout2, heldout3, heldout4, heldout5, heldout6, heldout7, heldout8, heldout9, bench or all (comma-separated)")
    parser.add_argument("--database-url", default=None, help="run on this database instead of a temporary SQLite")
    parser.add_argument("--threshold", type=float, default=None, help="answer threshold (default: the setting)")
    parser.add_argument("--sweep", action="store_true", help="print the answer decision's threshold curve")
    parser.add_argument("--fit", action="store_true", help="refit the evidence weights on the chosen sets")
    parser.add_argument("--llm", action="store_true", help="also run the LLM path against the fake server")
    parser.add_argument("--show", action="store_true", help="print each answer's outcome")
    parser.add_argument("--latency", action="store_true", help="print where an answer's time goes (warm)")
    parser.add_argument("--write-word-frequencies", action="store_true",
                        help="regenerate service/twin/data/english_words.tsv from wordfreq and exit")
    args = parser.parse_args(argv)
    if args.write_word_frequencies:
        write_word_frequencies()
        return 0
    if not SPEECHES.is_dir():
        console.print(f"[yellow]skipped: {SPEECHES} not found (the shared data is not on this machine)[/]")
        return 0
    names = list(QUESTION_SETS) if args.sets == "all" else [n.strip() for n in args.sets.split(",")]
    rows: list[tuple[str, dict[str, float]]] = []
    evidence: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for set_name in names:
            for president, answerable, unanswerable, speech_ids in QUESTION_SETS[set_name]:
                if not answerable.is_file() or not unanswerable.is_file():
                    console.print(f"[yellow]{set_name}/{president}: question files not found, skipped[/]")
                    continue
                questions = load_set(answerable, unanswerable, speech_ids)
                workdir = Path(tmp) / re.sub(r"\W+", "-", f"{set_name}-{president}")
                workdir.mkdir()
                started = time.perf_counter()
                settings, factory, files, passages = build(president, workdir, args.database_url)
                console.print(f"{set_name}: {president}, {len(files)} speeches, {passages} passages (with vectors), "
                              f"built in {time.perf_counter() - started:.1f} s; "
                              f"{sum(1 for q in questions if q.get('gold'))} answerable and "
                              f"{sum(1 for q in questions if not q.get('gold'))} unanswerable questions")
                if args.threshold is not None:
                    settings = settings.replace(answer_threshold=args.threshold)
                cold = summarise(run(settings, factory, files, questions))
                outcomes = run(settings, factory, files, questions)
                warm = summarise(outcomes)
                rows.append((f"{president} ({set_name}), first ask", cold))
                rows.append((f"{president} ({set_name}), warm", warm))
                print_issue_goals(f"{president} ({set_name})", warm)
                for o in outcomes:
                    for text in o.not_verbatim:
                        console.print(f"  [red]not word for word in its passage[/] ({o.question!r}): {text!r}")
                if args.show:
                    show(outcomes)
                if args.sweep or args.fit:
                    evidence[f"{president} ({set_name})"] = evidence_rows(settings, factory, files, questions)
                if args.llm:
                    run_llm(settings, factory, files, questions)
                if args.latency:
                    latency_breakdown(settings, factory, questions)
    if not rows:
        return 0
    print_summary(f"Extractive answers with the embedded model, threshold {settings.answer_threshold} "
                  "(source switches: per answer; adjacent overlap: content-word Jaccard of neighbouring sentences)",
                  rows)
    if args.sweep:
        for name, found in evidence.items():
            print_evidence_sweep(name, found)
        if len(evidence) > 1:
            print_evidence_sweep("all sets together", [r for found in evidence.values() for r in found])
    if args.fit and evidence:
        every = [r for found in evidence.values() for r in found]
        weights, bias = fit_evidence(every)
        console.print(f"Fitted on every set: weights (passage, sentence, lexical, unmatched) {weights}, bias {bias}")
        print_evidence_sweep("all sets, refitted weights (in-sample)", rescore(every, weights, bias))
        for name, found in evidence.items():  # carried over: fitted without this set
            others = [r for other, rows_ in evidence.items() if other != name for r in rows_]
            if others:
                w, b = fit_evidence(others)
                print_evidence_sweep(f"{name}, weights fitted on the other sets", rescore(found, w, b))
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
