"""The messaging-gap map on a generated log: are the unanswerable questions grouped back into their themes?

One president's speeches (../shared/data/presidential-speeches) become a twin, as in bench/answers.py. The log is
made by the real answer engine: every unanswerable question of ../shared/data/eval, asked as written and in four
rewordings of our own (bench/data/gaps/unanswerable_rewordings.jsonl, everyday wording), mixed with the president's
45 answerable eval questions, each asked by one of 20 employees in four audiences over six weeks. The gap map is then
drawn from what the product recorded as unanswered, exactly as the console, API and CLI draw it.

Figures (per president, and a sweep of the similarity threshold):
- gaps the engine wrongly answered (they never reach the unanswered log) and answerable questions it declined;
- purity: the share of logged questions that belong to their group's majority question (a reworded question is
  labelled with the eval question it rewords; an answerable question with itself);
- themes recovered: unanswerable questions whose askings mostly sit in one group that is at least 80 % theirs;
- mixed groups: groups that hold a gap theme's askings and an answerable question (the goal is none).

    .venv/bin/python bench/gaps.py [--president "Bill Clinton"] [--database-url URL] [--scale N]

Prints tables and exits 0; skips cleanly when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from bench.answers import EVAL, build  # noqa: E402
from bench.common import SPEECHES, migrated_database, new_table, read_jsonl, timed  # noqa: E402

REWORDINGS = Path(__file__).resolve().parent / "data" / "gaps" / "unanswerable_rewordings.jsonl"
PRESIDENTS = {"Bill Clinton": EVAL / "clinton_questions.jsonl", "George W. Bush": EVAL / "gwbush_questions.jsonl"}
AUDIENCES = ([], ["sales"], ["engineering"], ["finance", "leadership"])
EMPLOYEES = 20
WEEKS = 6
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65)
console = Console(width=160)


@dataclass
class Asking:
    """One question put to the twin in the generated log: what it is a wording of, and whether it is answerable."""

    question: str
    label: str
    answerable: bool


def generated_log(answerable_path: Path) -> list[Asking]:
    """Every unanswerable question as written and reworded, and every answerable one, interleaved deterministically."""
    gaps = [Asking(q["question"], q["id"], False) for q in read_jsonl(EVAL / "unanswerable.jsonl")]
    gaps += [Asking(q["question"], q["id"], False) for q in read_jsonl(REWORDINGS)]
    answerable = [Asking(q["question"], q["id"], True) for q in read_jsonl(answerable_path)]
    log = gaps + answerable
    # A fixed shuffle (by a digest of the text) so that a theme's askings are spread over the weeks.
    import hashlib
    log.sort(key=lambda a: hashlib.sha1(a.question.encode()).hexdigest())
    return log


def ask_all(settings: Any, factory: Any, slug: str, log: list[Asking]) -> dict[str, bool]:
    """Put each question to the real engine as one of the employees; back-date the rows over six weeks."""
    from sqlalchemy import update

    from service.corpus import store
    from service.corpus.models import Interaction
    from service.db import session_scope
    from service.twin.engine import answer_question

    with session_scope(factory) as session:
        users = [store.add_user(session, f"employee{i:02d}@bench.example", role="employee",
                                audiences=list(AUDIENCES[i % len(AUDIENCES)]))[0] for i in range(EMPLOYEES)]
        viewers = [store.viewer_for(u) for u in users]
    grounded: dict[str, bool] = {}
    start = dt.datetime.now(dt.UTC) - dt.timedelta(weeks=WEEKS)
    for n, asking in enumerate(log):
        with session_scope(factory) as session:
            answer = answer_question(session, settings, slug, asking.question, viewers[n % EMPLOYEES], channel="bench")
            grounded[asking.question] = answer.grounded
            when = start + dt.timedelta(seconds=WEEKS * 7 * 86400 * n / len(log))
            session.execute(update(Interaction).where(Interaction.id == answer.interaction_id).values(created_at=when))
    return grounded


def score(themes: list[Any], labels: dict[str, Asking]) -> dict[str, Any]:
    """Purity, themes recovered and mixed groups of one gap map against the labels of its questions."""
    groups = [[labels[q] for q in theme.members] for theme in themes]
    total = sum(len(g) for g in groups)
    purity = sum(Counter(a.label for a in g).most_common(1)[0][1] for g in groups) / total if total else 0.0
    where: dict[str, Counter[int]] = {}
    for index, group in enumerate(groups):
        for asking in group:
            where.setdefault(asking.label, Counter())[index] += 1
    recovered = 0
    missed: list[str] = []
    gap_labels = {a.label for g in groups for a in g if not a.answerable}
    for label in sorted(gap_labels):
        index, n = where[label].most_common(1)[0]
        group = groups[index]
        share = Counter(a.label for a in group)[label] / len(group)
        if n >= 2 and n / sum(where[label].values()) >= 0.5 and share >= 0.8:
            recovered += 1
        else:
            missed.append(f"{label}: logged {sum(where[label].values())}, in groups of "
                          f"{'+'.join(str(k) for _, k in where[label].most_common())}, best group {share:.0%} its own")
    mixed = sum(1 for g in groups if any(a.answerable for a in g) and any(not a.answerable for a in g))
    split = sum(1 for label in gap_labels if len(where[label]) > 1)
    return {"groups": len(groups), "gap_groups": sum(1 for g in groups if not any(a.answerable for a in g) and len(g) > 1),
            "purity": purity, "recovered": recovered, "gap_labels": len(gap_labels), "mixed": mixed, "split": split,
            "missed": missed}


def run(president: str, database_url: str | None) -> list[tuple[str, dict[str, Any]]]:
    from service.corpus import store
    from service.db import session_scope
    from service.twin import gaps

    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        settings, factory, _files, passages = build(president, Path(work), database_url)
        from bench.answers import TWIN
        slug = TWIN["slug"]
        console.print(f"[bold]{president}[/]: {passages:,} passages built in {time.perf_counter() - started:.0f} s")
        log = generated_log(PRESIDENTS[president])
        started = time.perf_counter()
        grounded = ask_all(settings, factory, slug, log)
        console.print(f"asked {len(log)} questions through the engine in {time.perf_counter() - started:.0f} s")
        # Distinct wordings only: a rewording that repeats another's exact words counts once, with its first label.
        labels: dict[str, Asking] = {}
        for asking in log:
            labels.setdefault(asking.question, asking)
        gap_askings = [a for a in log if not a.answerable]
        wrongly_answered = sum(1 for a in gap_askings if grounded[a.question])
        declined = sum(1 for a in log if a.answerable and not grounded[a.question])
        console.print(f"gap askings {len(gap_askings)}: wrongly answered {wrongly_answered} "
                      f"({wrongly_answered / len(gap_askings):.1%}); answerable declined {declined} of "
                      f"{sum(1 for a in log if a.answerable)}")
        rows: list[tuple[str, dict[str, Any]]] = []
        shown: Any = None
        for threshold in THRESHOLDS:
            chosen = settings.replace(gaps_similarity=threshold)
            with session_scope(factory) as session:
                twin = store.get_twin(session, slug)
                found, ms = timed(partial(gaps.gap_map, session, chosen, twin))
            figures = score(found.themes, labels)
            figures.update(ms=ms, logged=found.questions, wrongly_answered=wrongly_answered, declined=declined,
                           gap_askings=len(gap_askings))
            rows.append((f"{president} @ {threshold:.2f}", figures))
            if abs(threshold - settings.gaps_similarity) < 1e-9:
                shown = found
                console.print("not recovered at the shipped threshold: " + ("; ".join(figures["missed"]) or "none"))
        if shown is not None:
            names = Table(title=f"{president}: the ten largest themes at the shipped threshold "
                                f"({settings.gaps_similarity:.2f})")
            for column in ("theme", "asked", "wordings", "askers", "trend", "audiences", "true labels"):
                names.add_column(column)
            for theme in shown.themes[:10]:
                truth = Counter(labels[q].label for q in theme.members)
                audiences = ("hidden (<5)" if theme.audiences is None
                             else ", ".join(f"{a['audience']} {a['askers']}" for a in theme.audiences))
                names.add_row(theme.name, str(theme.count), str(theme.wordings), str(theme.askers), theme.trend,
                              audiences, ", ".join(f"{k}×{v}" for k, v in truth.most_common()))
            console.print(names)
        return rows


def scale(president: str, wordings: int) -> None:
    """How long a map takes over a large log: `wordings` distinct unanswered questions recorded directly (cold: every
    question embedded; warm: vectors remembered, as on a second page view)."""
    import random

    from service.corpus import store
    from service.db import session_scope
    from service.twin import gaps

    openers = ["", "Quick question: ", "Hi, ", "Honest question, ", "Sorry if this was covered: ", "One more: ",
               "Can you tell us ", "I keep wondering ", "From the Lisbon team: ", "Asking for my team: "]
    base = [q["question"] for path in (EVAL / "unanswerable.jsonl", REWORDINGS, *PRESIDENTS.values())
            for q in read_jsonl(path)]
    rng = random.Random(7)
    texts = sorted({f"{o}{q[0].lower() + q[1:] if o else q}" for o in openers for q in base})
    rng.shuffle(texts)
    texts = texts[:wordings]
    with tempfile.TemporaryDirectory() as work:
        database = migrated_database(f"sqlite:///{Path(work) / 'scale.db'}")
        settings, engine, factory = database.settings, database.engine, database.factory
        with session_scope(factory) as session:
            twin = store.create_twin(session, "scale", president)
            for text in texts:
                store.record_interaction(session, twin=twin, user_id=None, question=text, answer="", conversation_id="c",
                                         passages=[], mode="extractive", grounded=False, latency_ms=0.0)
        table = Table(title=f"Gap map over {len(texts):,} distinct unanswered wordings (SQLite)")
        for column in ("run", "themes", "seconds"):
            table.add_column(column)
        gaps.GAP_VECTORS.clear()
        gaps._NAMES.clear()
        for run_name in ("cold (embed every question)", "warm (vectors remembered)"):
            with session_scope(factory) as session:
                began = time.perf_counter()
                found = gaps.gap_map(session, settings, store.get_twin(session, "scale"))
                table.add_row(run_name, str(len(found.themes)), f"{time.perf_counter() - began:.1f}")
        console.print(table)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--president", choices=sorted(PRESIDENTS), action="append",
                        help="Whose speeches make the twin (repeatable; default both).")
    parser.add_argument("--database-url", help="Run on this database (e.g. PostgreSQL) instead of a SQLite file.")
    parser.add_argument("--scale", type=int, default=2000, help="Distinct wordings in the timing run (0: skip it).")
    args = parser.parse_args()
    if not SPEECHES.is_dir() or not EVAL.is_dir():
        console.print(f"skipped: {SPEECHES.parent} is absent")
        return
    rows: list[tuple[str, dict[str, Any]]] = []
    for president in args.president or list(PRESIDENTS):
        rows += run(president, args.database_url)
    columns = ("run @ similarity", "gap askings", "wrongly answered", "answerable declined", "logged",
               "groups", "gap groups (2+)", "purity", "themes recovered", "split themes", "mixed groups",
               "map ms")
    table = new_table("Messaging-gap map on a generated log "
                      "(unanswerable eval questions x5 wordings + answerable)", columns)
    for name, f in rows:
        table.add_row(name, str(f["gap_askings"]), str(f["wrongly_answered"]), str(f["declined"]), str(f["logged"]),
                      str(f["groups"]), str(f["gap_groups"]), f"{f['purity']:.3f}",
                      f"{f['recovered']} / 40 ({f['gap_labels']} logged)", str(f["split"]), str(f["mixed"]), f"{f['ms']:.0f}")
    console.print(table)
    if args.scale:
        scale("Bill Clinton", args.scale)


if __name__ == "__main__":
    main()
