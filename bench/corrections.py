"""Curators' corrections on the eval set: questions answered wrongly are corrected with their gold speech's best
passages; rewordings of our own must get the corrected answer, and every other question its old answer.

For each president of ../shared/data/eval (one twin each, built as bench/answers.py builds it, extractive, SQLite):
1. every eval question of that twin, and the 40 unanswerable ones, are asked once ("before");
2. the questions named in bench/data/corrections/rewordings.jsonl (wrongly answered when chosen: the gold speech
   not cited) are corrected through the store API with the gold speech's best passages: the executive passage
   holding the gold `support` sentence and, when another passage of that speech is closer to the question in
   meaning, that one too (the correction's own question only, never the rewordings);
3. the rewordings are asked: a hit is an answer made by that correction, citing its passages;
4. every other question is asked again: its answer (text and citations) must be what it was.
A sweep prints, per similarity threshold, the share of rewordings matched and the unrelated questions that would
be caught, from the same similarities the engine computes.

    .venv/bin/python bench/corrections.py [--keep DIR] [--threshold X] [--president clinton|bush] [--phrasings]

--phrasings gives each correction the short other wording a curator might add (bench/data/corrections/
phrasings.jsonl: a few words each, like "What about pensions?"), which must not pull in unrelated questions; it
also asks questions of our own on the same subjects that mean something else (near_misses.jsonl, "At what age can I
draw my pension?"): none may get a correction.

--keep DIR keeps each president's built database in DIR and reuses it on the next run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.table import Table  # noqa: E402

from bench import answers  # noqa: E402
from bench.common import new_table, percentile_rounded, read_jsonl, share, timed  # noqa: E402

REWORDINGS = Path(__file__).resolve().parent / "data" / "corrections" / "rewordings.jsonl"
PHRASINGS = Path(__file__).resolve().parent / "data" / "corrections" / "phrasings.jsonl"
NEAR_MISSES = Path(__file__).resolve().parent / "data" / "corrections" / "near_misses.jsonl"
PRESIDENTS = {"clinton": ("Bill Clinton", answers.EVAL / "clinton_questions.jsonl"),
              "bush": ("George W. Bush", answers.EVAL / "gwbush_questions.jsonl")}
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
console = answers.console


def built(president: str, keep: Path | None, workdir: Path) -> tuple[Any, Any, dict[int, str]]:
    """The president's twin: reused from --keep when it was built before, else built (and kept)."""
    from service.config import load_settings
    from service.corpus.models import Source
    from service.db import make_engine, make_session_factory, session_scope

    slug = answers.twin_slug(president)
    if keep is not None:
        workdir = keep / slug
        path = workdir / "answers.db"
        if path.exists():
            answers.TWIN["slug"] = slug
            settings = load_settings({"DATABASE_URL": f"sqlite:///{path}"}, environ={})
            factory = make_session_factory(make_engine(settings.database_url))
            with session_scope(factory) as session:
                files = {s.id: s.filename for s in session.query(Source).all()}
            return settings, factory, files
        workdir.mkdir(parents=True, exist_ok=True)
    settings, factory, files, _ = answers.build(president, workdir, None)
    return settings, factory, files


def ask(settings: Any, factory: Any, question: str) -> dict[str, Any]:
    """One answer as the bench compares it."""
    from service.corpus.access import Viewer
    from service.db import session_scope
    from service.twin.engine import answer_question

    with session_scope(factory) as session:
        answer, ms = timed(partial(answer_question, session, settings, answers.TWIN["slug"], question,
                                   Viewer.public(), channel="bench"))
        return {"ms": ms, "answer": answer.answer, "passages": [c.passage_id for c in answer.citations],
                "sources": [c.source_id for c in answer.citations], "grounded": answer.grounded,
                "correction": answer.correction}


def best_passages(session: Any, source_id: int, item: dict[str, Any], settings: Any) -> list[int]:
    """The gold speech's passages a curator would choose: the one holding the support sentence, and the one closest
    to the question in meaning when that is another."""
    from sqlalchemy import select

    from service.corpus.models import Passage
    from service.search import reranker_for
    from textkit.words import content_stems

    rows = list(session.execute(select(Passage.id, Passage.text).where(Passage.source_id == source_id,
                                                                        Passage.executive.is_(True))
                                .order_by(Passage.ordinal)))
    support = set(content_stems(item.get("support", "")))
    holding = max(rows, key=lambda r: (len(support & set(content_stems(r[1]))), -r[0]))
    chosen = [int(holding[0])]
    scorer = reranker_for(settings)
    if scorer is not None:
        sims = scorer.embed([r[1] for r in rows]) @ scorer.query_vector(item["question"])
        closest = rows[int(sims.argmax())]
        if int(closest[0]) not in chosen:
            chosen.append(int(closest[0]))
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the built databases in this folder")
    parser.add_argument("--threshold", type=float, help="UNDERSTUDY_CORRECTION_SIMILARITY for this run")
    parser.add_argument("--president", choices=sorted(PRESIDENTS), action="append")
    parser.add_argument("--phrasings", action="store_true",
                        help="give each correction a curator's short other wording (bench/data/corrections/phrasings.jsonl)")
    args = parser.parse_args(argv)
    if not answers.SPEECHES.is_dir() or not answers.EVAL.is_dir():
        console.print(f"[yellow]skipped: {answers.SPEECHES} or {answers.EVAL} not found[/]")
        return 0
    rewordings = read_jsonl(REWORDINGS)
    unanswerable = read_jsonl(answers.EVAL / "unanswerable.jsonl")
    other_wordings: dict[str, list[str]] = {}
    near_misses = read_jsonl(NEAR_MISSES)
    caught: list[tuple[str, float]] = []
    if args.phrasings:
        for entry in read_jsonl(PHRASINGS):
            other_wordings.setdefault(entry["id"], []).append(entry["phrasing"])
    timings: dict[str, list[float]] = {"before": [], "after": []}
    totals = {"restored": 0, "asked_again": 0, "corrected": 0, "was_wrong": 0, "rewordings": 0, "matched": 0, "unrelated": 0, "changed": 0,
              "near_misses": 0}
    sweep_pos: list[float] = []
    sweep_neg: list[float] = []
    per_question = Table(title="Corrected questions (the gold speech's best passages) and their rewordings")
    for column in ("id", "question", "wrong before", "passages", "rewordings", "corrected answer"):
        per_question.add_column(column, justify="left" if column == "question" else "right")
    with tempfile.TemporaryDirectory(prefix="understudy-corrections-") as tmp:
        for key in args.president or sorted(PRESIDENTS):
            president, path = PRESIDENTS[key]
            mine = [r for r in rewordings if r["president"] == key]
            if not mine:
                continue
            workdir = Path(tmp) / key
            workdir.mkdir()
            started = time.perf_counter()
            settings, factory, files = built(president, args.keep, workdir)
            if args.threshold is not None:
                settings = settings.replace(correction_similarity=args.threshold)
            console.print(f"{president}: twin ready in {time.perf_counter() - started:.0f} s")
            questions = read_jsonl(path)
            by_id = {q["id"]: q for q in questions}
            corrected_ids = list(dict.fromkeys(r["id"] for r in mine))
            unrelated = [q for q in questions if q["id"] not in corrected_ids] + unanswerable
            from service.corpus import corrections as stored
            from service.corpus import store
            from service.db import session_scope
            with session_scope(factory) as session:  # a kept database: the last run's corrections end first
                for row in stored.list_corrections(session, store.get_twin(session, answers.TWIN["slug"]),
                                                   status="active"):
                    stored.withdraw_correction(session, row.id, actor="bench", reason="a new bench run")
            before = {q["question"]: ask(settings, factory, q["question"]) for q in [*unrelated,
                                                                                    *(by_id[i] for i in corrected_ids)]}
            source_by_file = {name: sid for sid, name in files.items()}
            made: dict[str, tuple[int, list[int]]] = {}
            from service.corpus import corrections as stored
            from service.corpus import store
            from service.db import session_scope
            from service.twin.corrections import create
            with session_scope(factory) as session:
                twin = store.get_twin(session, answers.TWIN["slug"])
                for cid in corrected_ids:
                    item = by_id[cid]
                    gold = [source_by_file[g + ".txt"] for g in item["gold"] if g + ".txt" in source_by_file]
                    chosen = best_passages(session, gold[0], item, settings)
                    row = create(session, twin, item["question"], passage_ids=chosen,
                                 phrasings=other_wordings.get(cid, []), actor="bench")
                    made[cid] = (row.id, chosen)
            from service.corpus.models import Correction
            from service.twin.corrections import similarities
            with session_scope(factory) as session:
                rows = list(session.query(Correction).filter(Correction.id.in_([m[0] for m in made.values()]))
                            .order_by(Correction.id))
                live = stored.live_passages(session, rows[0].twin_id, [p for r in rows for p in r.passage_ids])
                for q in unrelated:
                    sweep_neg.append(max(similarities(settings, q["question"], rows, live)))
                for r in mine:
                    sims = similarities(settings, r["rewording"], rows, live)
                    sweep_pos.append(sims[[x.id for x in rows].index(made[r["id"]][0])])
            if args.phrasings:
                for miss in (m for m in near_misses if m["president"] == key):
                    got = ask(settings, factory, miss["question"])
                    if got["correction"]:
                        caught.append((miss["question"], got["correction"]["similarity"]))
                totals["near_misses"] += sum(m["president"] == key for m in near_misses)
            for cid in corrected_ids:
                item = by_id[cid]
                old = before[item["question"]]
                wrong = not (set(old["sources"]) & {source_by_file.get(g + ".txt") for g in item["gold"]})
                hits = 0
                group = [r for r in mine if r["id"] == cid]
                for r in group:
                    got = ask(settings, factory, r["rewording"])
                    if (got["correction"] and got["correction"]["id"] == made[cid][0]
                            and set(got["passages"]) & set(made[cid][1])):
                        hits += 1
                again = ask(settings, factory, item["question"])
                exact = bool(again["correction"]) and set(again["passages"]) <= set(made[cid][1])
                totals["corrected"] += 1
                totals["was_wrong"] += int(wrong)
                totals["rewordings"] += len(group)
                totals["matched"] += hits
                per_question.add_row(cid, item["question"][:70], "yes" if wrong else "no",
                                     ", ".join(map(str, made[cid][1])), f"{hits}/{len(group)}",
                                     "yes" if exact else "NO")
            changed = []
            for q in unrelated:
                now = ask(settings, factory, q["question"])
                old = before[q["question"]]
                timings["after"].append(now["ms"])
                if (now["answer"], now["passages"]) != (old["answer"], old["passages"]) or now["correction"]:
                    changed.append(q["id"])
            with session_scope(factory) as session:  # withdrawn: every question gets its old answer back
                for row in stored.list_corrections(session, store.get_twin(session, answers.TWIN["slug"]),
                                                   status="active"):
                    stored.withdraw_correction(session, row.id, actor="bench", reason="measured")
            for q in [*unrelated, *(by_id[i] for i in corrected_ids)]:
                now = ask(settings, factory, q["question"])
                if q in unrelated:
                    timings["before"].append(now["ms"])
                old = before[q["question"]]
                totals["restored"] += int((now["answer"], now["passages"]) == (old["answer"], old["passages"]))
                totals["asked_again"] += 1
            totals["unrelated"] += len(unrelated)
            totals["changed"] += len(changed)
            console.print(f"{president}: unrelated answers changed: {len(changed)} {changed}")
    console.print(per_question)
    threshold = args.threshold if args.threshold is not None else settings.correction_similarity
    table = new_table(f"Corrections on ../shared/data/eval (threshold {threshold}"
                      f"{', each with a short other wording' if args.phrasings else ''})",
                      ("corrected questions", "wrong before", "rewordings", "corrected answer",
                       "unrelated questions", "answers changed"), left=0)
    table.add_row(str(totals["corrected"]), str(totals["was_wrong"]), str(totals["rewordings"]),
                  f"{totals['matched']} ({share(totals['matched'], totals['rewordings']):.1%})",
                  str(totals["unrelated"]), str(totals["changed"]))
    console.print(table)
    if args.phrasings:
        console.print(f"Questions on the same subjects that mean something else answered by a correction: "
                      f"{len(caught)} of {totals['near_misses']} {caught}")
    console.print(f"After withdrawing every correction: {totals['restored']} of {totals['asked_again']} questions "
                  "(corrected and unrelated) got their old answer back.")
    sweep = new_table("Threshold sweep: rewordings matched vs unrelated questions that would be caught",
                      ("threshold", "rewordings matched", "unrelated caught"), left=0)
    for t in THRESHOLDS:
        sweep.add_row(f"{t:.2f}", f"{share(sum(s >= t for s in sweep_pos), len(sweep_pos)):.1%}",
                      str(sum(s >= t for s in sweep_neg)))
    console.print(sweep)
    speed = new_table("Answer time of the unrelated questions, warm (corrections in force, then withdrawn), "
                      "ms", ("corrections in force", "p50", "p95"), left=0)
    for name, label in (("before", "none"), ("after", "5 per twin")):
        ordered = sorted(timings[name]) or [0.0]
        speed.add_row(label, f"{ordered[len(ordered) // 2]:.1f}", f"{percentile_rounded(ordered, 95):.1f}")
    console.print(speed)
    if sweep_pos and sweep_neg:
        console.print(f"similarity of rewordings: min {min(sweep_pos):.3f}, median {sorted(sweep_pos)[len(sweep_pos) // 2]:.3f}; "
                      f"of unrelated questions to the nearest correction: max {max(sweep_neg):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
