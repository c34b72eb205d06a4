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

On the demo corpus (examples/dana-reyes, ingested as `understudy demo` does), with no shared data needed:

4. Push-back: bench/data/rehearsal/pitches.jsonl holds pitches written for this bench in everyday wording, 32 that
   each run against one stated stance (the set names the stance and the sources that state it) and 20 that run
   against none (10 on her topics and in line with her, 10 on other subjects), split at random into dev and
   held-out. A rehearsal's "contradicts" flag is right when it cites one of the named sources. --fit grid-searches
   the contradiction thresholds (service/rehearsal/stances.py ClashWeights) on dev and shows how they carry over.
   bench/data/rehearsal/pitches_fresh.jsonl (split "fresh": 16 contradicting, 7 not) is a second held-out set in
   everyday wording, written before any of the thresholds were refitted; it is never used to fit.
   bench/data/rehearsal/pitches_fresh2.jsonl (split "fresh2": 14 contradicting, 8 not) is a third, written before
   the reading of leanings, figures and conditions (service/rehearsal/directions.py) was added; never used to fit.
   bench/data/rehearsal/pitches_fresh3.jsonl (split "fresh3": 11 contradicting, 7 not, two of those an exception the
   stance itself allows) is a fourth, written before the work on wrong stances, allowed exceptions and the
   left-out priorities (issue 17); never used to fit.
   bench/data/rehearsal/pitches_fresh4.jsonl (split "fresh4": 6 contradicting, 8 not, all eight on subjects her
   sources never address but in business words: new customers, price, cost, hiring) is a fifth, written before the
   work on clashes that share only a word with a stance, not its subject; never used to fit.
   bench/data/rehearsal/pitches_fresh5.jsonl (split "fresh5": 17 contradicting in idioms, indirect proposals and
   figures, 10 not, seven of those on her subjects and in line with her) is a sixth, written before the work on plain
   claims meeting a "not" stance and on unknown idioms; never used to fit (recall/precision 52.9/69.2 before that
   work, 47.1/72.7 after it: the readings added for the other sets did not carry over to its idioms).
   bench/data/rehearsal/pitches_fresh6.jsonl (split "fresh6": 6 contradicting, 8 not, all eight plain proposals on
   her subjects that share her nouns: depots, vans, drivers, dispatch, promotion, pricing) is a seventh, written
   before the work on plain claims that share a noun with what a "stop/not" stance rules out; never used to fit.
   bench/data/rehearsal/pitches_fresh7.jsonl (split "fresh7": 20 contradicting, 13 of them stances no other set tried,
   12 not, ten of those on her subjects and in line with her, one a condition she states herself) is an eighth,
   written before the work on lines drawn under a condition, rule words in clauses about a noun and the word-match
   fallback; never used to fit (recall/precision 50.0/66.7 before that work, 50.0/71.4 after it).
   bench/data/rehearsal/pitches_fresh8.jsonl (split "fresh8": 20 contradicting, all stances no other set tried:
   meetings, anchor days, quoting, reefer alarms, the cold chain target, the dispatch tool's roll-out, electric vans,
   the heat plan, hiring, night deliveries, customers' reports; 13 not, all on her subjects and in line with her) is a
   ninth, written before the work on a stance's ruled-out action by meaning; never used to fit (recall/precision
   15.0/30.0 before that work, 25.0/41.7 after it; fresh7, read for its misses, 50.0/71.4 -> 70.0/82.4).
   bench/data/rehearsal/pitches_fresh9.jsonl (split "fresh9": 24 contradicting, most of them stances stated without
   will/must/never: near misses, fatigue reports, app training, go-live, anchor-day depot visits, memos, heat, pricing,
   hiring, electric vans, quarterly on-time, reason codes, acquisitions, capital follow-up, routes; 17 not, twelve on
   her subjects and in line with her, five off-subject) is a tenth, written before the work on stances read without
   rule words; never used to fit.
   bench/data/rehearsal/pitches_fresh10.jsonl (split "fresh10": 39 contradicting, in statements, questions, figures
   past a stated limit and proposals without will/must: incident reporting, near misses, refused loads, heat, go-live
   training and parallel running, memos, anchor days, the price floor, tenders, cold chain, electric vans and
   tractors, Dispatch Assist, reroutes, legacy systems, customers' reports, capital; 18 not, sixteen on her subjects
   and in line with her, some with figures inside her limits, two off-subject) is an eleventh, written before the work
   on questions, figures against limits and polarity; never used to fit.
   bench/data/rehearsal/pitches_fresh11.jsonl (split "fresh11": 41 contradicting, most without figures and many
   against stances stated in the present tense: rest breaks, the go-live veto, Dispatch Assist, hiring and
   promotion, meetings and memos, capital, acquisitions, OTIF reporting, anchor days, electric vans, pricing, reefer
   alarms, near misses, fatigue, reason codes, heat; 20 not, seventeen on her subjects and in line with her, three
   off-subject) is a twelfth, written before the work on clashes in content with the same polarity and present-tense
   stances; never used to fit (recall/precision 39.0/59.3 before that work, 41.5/63.0 after it).
   bench/data/rehearsal/pitches_fresh12.jsonl (split "fresh12": 38 contradicting, many against stances no other set
   tried: who decides on Dispatch Assist, rejecting its plans, hiring, Dock to Desk, allowances, the OTIF definition
   and its reporting, the 24-hour route, outage write-ups, memos, decision logs, pilots, capital, repricing, emissions,
   warning customers, anchor-day exceptions; two long pitches with one clash among other proposals; 20 not, twelve in
   line with her, some with figures, five on her subjects without a clash, three off-subject) is a thirteenth, written
   before the work on the subjects of figures and same-polarity clashes; never used to fit (recall/precision
   28.9/57.9 before that work, 28.9/64.7 after it: fewer wrong stances and false flags, no recall gained; on the
   older sets' same-polarity misses, the sentence model puts a pitch and the line it crosses at 0.27 to 0.57, where
   unrelated pairs also sit).
   bench/data/rehearsal/pitches_fresh13.jsonl (split "fresh13": 20 contradicting, most against stances no other set
   tried: reorganisations, Dock to Desk mentors, anchor-day video calls, memos for internal tools, paper runbooks,
   waiting time in the floor, temperature logs, moving a target quietly, who owns the tool's limits, staged capital,
   uncertified depots, outside hiring, near-miss interviews, the food study, speeding; 10 not, eight in line with her
   and next to a clashing pitch's subject) is a fourteenth, written before the work on same-polarity clashes of helper
   pushback13; never used to fit (figures in data/rehearsal/README.md). `--without fresh13` leaves it out of a run.
   bench/data/rehearsal/pitches_fresh14.jsonl (split "fresh14": 20 contradicting, many of them same-polarity figures
   (99 against her 97, a 40-degree heat trigger, a 40 % internal fill, a 92 % retention target) or a human step taken
   out (no night dispatcher, nobody reading reason codes, no parallel run); 12 not, ten in line with her that share her
   figures and words) is a fifteenth, written by helper pushback14 before reading service/rehearsal; never used to fit.
5. Latency of a 1,000-word rehearsal on the demo twin, in process.

Run: .venv/bin/python bench/rehearsal.py [--part all|qmsum|pitches] [--split test|val|train] [--limit N] [--fit]
(the QMSum parts skip without ../shared/data)
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    SHARED,
    migrated_database,
    new_table,
    percent,
    percentile_floor,
    read_jsonl,
)
from textkit.speech import clean_speech  # noqa: E402

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


# --- push-back on the demo corpus (examples/dana-reyes) ----------------------------------------------------------

EXAMPLES = ROOT / "examples" / "dana-reyes"
PITCHES = Path(__file__).resolve().parent / "data" / "rehearsal" / "pitches.jsonl"
# A second held-out set, written after the first fit in other wordings (split "fresh"): never used to fit.
FRESH_PITCHES = PITCHES.with_name("pitches_fresh.jsonl")
# A third held-out set (split "fresh2"), written before the clash reading by opposite action was added: never fit on.
FRESH2_PITCHES = PITCHES.with_name("pitches_fresh2.jsonl")
# A fourth held-out set (split "fresh3"), written before the work on wrong stances and allowed exceptions: never fit on.
FRESH3_PITCHES = PITCHES.with_name("pitches_fresh3.jsonl")
# A fifth (split "fresh4"), off-subject pitches in business words, written before the work on shared words: never fit.
FRESH4_PITCHES = PITCHES.with_name("pitches_fresh4.jsonl")
# A sixth (split "fresh5"), idioms, indirect proposals and figures, written before the work on plain claims: never fit.
FRESH5_PITCHES = PITCHES.with_name("pitches_fresh5.jsonl")
# A seventh (split "fresh6"), plain proposals sharing her nouns, written before the work on by-parts clashes: never fit.
FRESH6_PITCHES = PITCHES.with_name("pitches_fresh6.jsonl")
# An eighth (split "fresh7"), stances the other sets never tried and plain proposals that agree, written before the work
# on conditional lines and stances in clauses about a noun: never fit.
FRESH7_PITCHES = PITCHES.with_name("pitches_fresh7.jsonl")
# A ninth (split "fresh8"), twenty stances no other set tried and thirteen proposals in line with her that share her
# nouns, written before the work on a stance's ruled-out action by meaning: never fit.
FRESH8_PITCHES = PITCHES.with_name("pitches_fresh8.jsonl")
# A tenth (split "fresh9"), stances mostly stated without will/must/never and proposals in line with her or off her
# subjects, written before the work on stances read without rule words: never fit.
FRESH9_PITCHES = PITCHES.with_name("pitches_fresh9.jsonl")
# An eleventh (split "fresh10"), statements, questions and figures past her limits, and proposals in line with her on
# her subjects, written before the work on questions, figures against limits and polarity: never fit.
FRESH10_PITCHES = PITCHES.with_name("pitches_fresh10.jsonl")
# A twelfth (split "fresh11"), proposals that cross a stance in content without figures, many against present-tense
# stances, and proposals in line with her, written before the work on same-polarity clashes: never fit.
FRESH11_PITCHES = PITCHES.with_name("pitches_fresh11.jsonl")
# A thirteenth (split "fresh12"), stances from every memo, many no other set tried, and proposals in line with her or on
# her subjects without a clash, written before the work on subjects of figures and same-polarity clashes: never fit.
FRESH12_PITCHES = PITCHES.with_name("pitches_fresh12.jsonl")
# A fourteenth (split "fresh13"), stances from every memo, most no other set tried, and proposals in line with her that
# sit next to a clashing pitch's subject, written before the work on same-polarity clashes of helper pushback13: never
# fit (see data/rehearsal/README.md).
FRESH13_PITCHES = PITCHES.with_name("pitches_fresh13.jsonl")
# A fifteenth (split "fresh14"), same-polarity figures and human steps taken out, and proposals in line with her that
# share her figures and words, written before helper pushback14 read the engine: never fit.
FRESH14_PITCHES = PITCHES.with_name("pitches_fresh14.jsonl")
HELD_OUT_SETS = ("fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9",
                 "fresh10", "fresh11", "fresh12", "fresh13", "fresh14")
FRESH_SETS = (FRESH_PITCHES, FRESH2_PITCHES, FRESH3_PITCHES, FRESH4_PITCHES, FRESH5_PITCHES, FRESH6_PITCHES,
              FRESH7_PITCHES, FRESH8_PITCHES, FRESH9_PITCHES, FRESH10_PITCHES, FRESH11_PITCHES, FRESH12_PITCHES,
              FRESH13_PITCHES, FRESH14_PITCHES)
LONG_PITCH_WORDS = 1000


def load_demo_twin(session: Any, settings: Any) -> str:
    """The example executive's corpus ingested as `understudy demo` does (twin.toml's batches), approved."""
    import tomllib

    from ingestion.pipeline import iter_files, parse_path
    from service.corpus import store

    spec = tomllib.loads((EXAMPLES / "twin.toml").read_text(encoding="utf-8"))
    twin = store.create_twin(session, spec["slug"], spec["name"], title=spec.get("title", ""),
                             speaker_labels=spec.get("speaker_labels"))
    store.record_consent(session, spec["slug"], by=spec["name"], scope="benchmark")
    for batch in spec["batches"]:
        speakers = [batch["speaker"]] if batch.get("speaker") else []
        for path in iter_files(sorted(EXAMPLES.glob(batch["path"]))):
            if path.name == "twin.toml":
                continue
            doc = parse_path(path, kind=batch.get("kind"), speaker_labels=speakers or list(twin.speaker_labels or []))
            store.add_source(session, twin, doc, audience=batch.get("audience", "everyone"), approve=True,
                             kind=batch.get("kind"), speaker_labels=speakers or None)
    session.commit()
    return str(spec["slug"])


def load_pitches(path: Path = PITCHES) -> list[dict[str, Any]]:
    return read_jsonl(path) if path.is_file() else []


def long_pitch(pitches: list[dict[str, Any]], n_words: int = LONG_PITCH_WORDS) -> str:
    """A pitch of about n_words: the set's pitches one after another, as paragraphs."""
    parts: list[str] = []
    total = 0
    for p in pitches * 4:
        parts.append(p["pitch"])
        total += len(p["pitch"].split())
        if total >= n_words:
            break
    return " ".join("\n\n".join(parts).split(" ")[:n_words])


def pushback_scores(outcomes: list[tuple[dict[str, Any], str | None]]) -> dict[str, float]:
    """Contradiction recall and precision: a flag is right when its citation is one of the sources the pitch names."""
    tp = fp = fn = wrong = 0
    for pitch, flagged in outcomes:
        if pitch["contradicts"]:
            if flagged is not None and flagged in pitch["sources"]:
                tp += 1
            elif flagged is not None:
                wrong += 1
                fp += 1
                fn += 1
            else:
                fn += 1
        elif flagged is not None:
            fp += 1
    return {"pitches": len(outcomes), "contradicting": sum(1 for p, _ in outcomes if p["contradicts"]),
            "tp": tp, "fp": fp, "fn": fn, "wrong stance": wrong,
            "recall": tp / max(1, tp + fn), "precision": tp / max(1, tp + fp)}


def run_pitches(args: argparse.Namespace, console: Any) -> None:
    """Push-back 'contradicts' recall and precision on bench/data/rehearsal/pitches.jsonl (dev and held-out),
    the fit of its thresholds on dev (--fit), and the latency of a 1,000-word rehearsal."""
    from sqlalchemy import select

    from service.corpus import store
    from service.corpus.models import Source
    from service.rehearsal import stances as st
    from service.rehearsal import start_rehearsal
    from service.rehearsal.engine import _usable_bank
    from service.search.dense import reranker_for
    from service.twin.persona import persona_settings
    from textkit.sentences import sentences

    pitches = load_pitches()
    fresh = [p for path in FRESH_SETS for p in load_pitches(path) if p["split"] not in (args.without or ())]
    tmp = tempfile.TemporaryDirectory()
    database = migrated_database(f"sqlite:///{tmp.name}/demo.db")
    settings, engine = database.settings, database.engine
    session = database.factory()
    t = time.perf_counter()
    slug = load_demo_twin(session, settings)
    load_s = time.perf_counter() - t
    filenames = {s.id: s.filename for s in session.scalars(select(Source))}
    user, _ = store.add_user(session, "bench@halvorsen.example", role="employee")
    viewer = store.viewer_for(user)
    session.commit()

    first_ms = None
    outcomes: list[tuple[dict[str, Any], str | None]] = []
    flags = []
    for pitch in pitches + fresh:
        t = time.perf_counter()
        result = start_rehearsal(session, settings, slug, viewer, pitch_text=pitch["pitch"]).to_dict()
        if first_ms is None:
            first_ms = (time.perf_counter() - t) * 1000
        clash = next((p for p in result["push_back"] if p["contradicts"]), None)
        flagged = filenames.get(clash["citation"]["source_id"]) if clash else None
        outcomes.append((pitch, flagged))
        flags.append((pitch, clash))
    session.rollback()

    title = (f"4. Push-back 'contradicts' on {PITCHES.name} (demo corpus; {len(pitches)} pitches; all = dev "
             f"+ held-out), {', '.join(path.name for path in FRESH_SETS)} ({len(fresh)}, held-out sets in other "
             "wordings); "
             "a flag is right when it cites a source the pitch names; goal recall and precision >= 80 %)")
    columns: tuple[str, ...] = ("split", "pitches", "contradicting", "right flags", "wrong stance", "false flags", "missed",
               "recall", "precision")
    table = new_table(title, columns, left=0)
    for split in ("dev", "heldout", None, *(s for s in HELD_OUT_SETS if s not in (args.without or ())), "fresh*"):
        chosen = [o for o in outcomes
                  if o[0]["split"] == split or split is None and o[0]["split"] not in HELD_OUT_SETS
                  or split == "fresh*" and o[0]["split"] in HELD_OUT_SETS]
        s = pushback_scores(chosen)
        table.add_row(split or "all", str(s["pitches"]), str(s["contradicting"]), str(s["tp"]), str(s["wrong stance"]),
                      str(s["fp"] - s["wrong stance"]), str(s["fn"] - s["wrong stance"]), percent(s["recall"]),
                      percent(s["precision"]))
    console.print(table)
    if args.verbose:
        for (pitch, clash), (_, flagged) in zip(flags, outcomes, strict=True):
            mark = "-" if clash is None else f"{clash['priority']} | {clash['citation']['quote'][:70]}"
            verdict = ("ok" if flagged is None or flagged in pitch["sources"] else "WRONG") if pitch["contradicts"] \
                else ("ok" if flagged is None else "FALSE")
            if pitch["contradicts"] and flagged is None:
                verdict = "MISSED"
            console.print(f"{pitch['id']} {pitch['split']:7} {'C' if pitch['contradicts'] else 'n'} {verdict:6} {mark}")

    scorer = reranker_for(settings)
    if args.fit and scorer is not None:
        fit_clash_weights(session, settings, slug, viewer, pitches, filenames, console,
                          scorer.embed, _usable_bank, persona_settings, st, sentences)

    # latency of a 1,000-word pitch, in process (the first includes embedding the corpus's stances once)
    text = long_pitch(pitches)
    latencies = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        start_rehearsal(session, settings, slug, viewer, pitch_text=text)
        latencies.append((time.perf_counter() - t) * 1000)
    session.rollback()
    columns = ("demo corpus load s", "first rehearsal ms (cold)", "runs", "p50 ms", "p95 ms", "max ms")
    table = new_table(f"5. Rehearsal latency on the demo twin, {len(text.split())}-word pitch, in process "
                      "(goal p95 <= 1500 ms)", columns, left=0)
    table.add_row(f"{load_s:.1f}", f"{first_ms or 0:.0f}", str(len(latencies)), f"{statistics.median(latencies):.0f}",
                  f"{percentile_floor(latencies, 95):.0f}", f"{max(latencies):.0f}")
    console.print(table)
    session.close()
    engine.dispose()
    tmp.cleanup()


def fit_clash_weights(session: Any, settings: Any, slug: str, viewer: Any, pitches: list[dict[str, Any]],
                      filenames: dict[int, str], console: Any, embed: Any, usable_bank: Any, persona_for: Any,
                      st: Any, sentences: Any) -> None:
    """Grid-search ClashWeights on the dev split; print the best and how each carries over to held-out."""
    import itertools

    import numpy as np

    from service.corpus import store
    from service.rehearsal.claims import claim_sentences, pitch_claims

    twin = store.get_twin(session, slug)
    bank = usable_bank(session, twin, viewer, persona_for(twin))
    corpus = st.corpus_vectors(embed, bank.stances)
    prepared = []
    for pitch in pitches + [p for path in FRESH_SETS for p in load_pitches(path)]:
        claims = pitch_claims(claim_sentences(pitch["pitch"]))
        prepared.append((pitch, claims, st.pitch_vectors(embed, claims, pitch["pitch"])))

    def first_clashes(weights: Any, split: str) -> list[tuple[dict[str, Any], Any]]:
        """Each pitch of the split with its strongest clash at these weights (before the threshold)."""
        found = []
        for pitch, claims, vectors in prepared:
            if pitch["split"] == split:
                clashes = st.contradictions(claims, bank.stances, vectors, corpus, replace(weights, threshold=-9.0))
                found.append((pitch, clashes[0] if clashes else None))
        return found

    def at(threshold: float, clashes: list[tuple[dict[str, Any], Any]]) -> dict[str, float]:
        return pushback_scores([(pitch, filenames.get(c.stance.source_id) if c is not None and c.score >= threshold
                                 else None) for pitch, c in clashes])

    grid = []
    for floor, topic, agreement, lean, proposals_only, by_reading, direction in itertools.product(
            (0.3, 0.4), (0.5, 1.0), (-0.05, 0.0, 0.05), (0.0, 0.1), (True, False), ("contrast", "both", "never"),
            (None, 0.0, 0.1, 0.2)):
        w = replace(st.DEFAULT_CLASH, floor=floor, topic=topic, agreement=agreement, lean=lean,
                    proposals_only=proposals_only, by_reading=by_reading, by_direction=direction is not None,
                    direction=direction or 0.0)
        dev = first_clashes(w, "dev")
        for threshold in np.arange(0.4, 1.6, 0.02):
            s = at(float(threshold), dev)
            f1 = 2 * s["precision"] * s["recall"] / max(1e-9, s["precision"] + s["recall"])
            grid.append((round(f1, 3), s["precision"], s["recall"], replace(w, threshold=float(round(threshold, 2)))))
    grid.sort(key=lambda g: (-g[0], -g[1]))
    columns = ("floor", "topic", "agreement", "lean", "proposals only", "by reading", "direction", "threshold", "dev F1",
               "dev P", "dev R", "held-out P", "held-out R",
               *(f"{split} {figure}" for split in HELD_OUT_SETS for figure in ("P", "R")))
    table = new_table("Fit of the contradiction thresholds on dev (top 10 by F1), carried to held-out and "
                      "fresh", columns, left=0)
    for f1, p, r, w in grid[:10]:
        held = at(w.threshold, first_clashes(w, "heldout"))
        fresh = [at(w.threshold, first_clashes(w, split)) for split in HELD_OUT_SETS]
        table.add_row(f"{w.floor:g}", f"{w.topic:g}", f"{w.agreement:g}", f"{w.lean:g}", str(w.proposals_only),
                      w.by_reading, f"{w.direction:g}" if w.by_direction else "off", f"{w.threshold:g}", f"{f1:.3f}", percent(p), percent(r),
                      percent(held["precision"]), percent(held["recall"]),
                      *(percent(s[figure]) for s in fresh for figure in ("precision", "recall")))
    console.print(table)
    console.print(f"in use: {st.DEFAULT_CLASH}")
    curve = new_table("The weights in use, at thresholds around theirs (recall / precision)",
                      ("threshold", "dev", "held-out", *HELD_OUT_SETS), left=0)
    in_use = {split: first_clashes(st.DEFAULT_CLASH, split) for split in ("dev", "heldout", *HELD_OUT_SETS)}
    for threshold in np.arange(st.DEFAULT_CLASH.threshold - 0.1, st.DEFAULT_CLASH.threshold + 0.11, 0.02):
        cells = [at(float(threshold), in_use[split]) for split in ("dev", "heldout", *HELD_OUT_SETS)]
        curve.add_row(f"{threshold:.2f}", *(f"{percent(c['recall'])} / {percent(c['precision'])}" for c in cells))
    console.print(curve)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", default="all", choices=["all", "qmsum", "pitches"],
                        help="QMSum questions (1-3), the demo corpus's push-back and latency (4-5), or both")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--limit", type=int, default=None, help="at most this many meetings")
    parser.add_argument("--tune", action="store_true", help="grid-search the ranker's weights on this split")
    parser.add_argument("--fit", action="store_true",
                        help="grid-search the contradiction thresholds on the pitches' dev split")
    parser.add_argument("--without", action="append", choices=HELD_OUT_SETS, metavar="SPLIT",
                        help="leave this held-out push-back set out of the run (repeatable), e.g. a never-fitted set while working")
    parser.add_argument("--verbose", action="store_true", help="print each pitch's contradiction flag, and each mined question not found in a PM turn")
    parser.add_argument("--repeat", type=int, default=20, help="timed rehearsals of the 1,000-word pitch")
    args = parser.parse_args()
    from rich.console import Console

    console = Console(width=max(Console().width, 150))
    if args.part in ("all", "pitches"):
        run_pitches(args, console)
    if args.part in ("all", "qmsum"):
        return run_qmsum(args)
    return 0


def run_qmsum(args: argparse.Namespace) -> int:
    """Parts 1-3: QMSum meetings, the Project Manager as the executive."""
    if not QMSUM.is_dir():
        print(f"skipped: QMSum not found at {QMSUM} (../shared/data is absent)")
        return 0
    try:
        import bm25s
    except ImportError:
        print("skipped: bm25s is not installed (pip install -e '.[test]')")
        return 0
    from rich.console import Console

    from ingestion.pipeline import parse_bytes
    from service.corpus import store
    from service.rehearsal import start_rehearsal
    from service.rehearsal.bank import BANKS, QUESTION, approved_rows, corpus_state, mine
    from service.rehearsal.ranking import DEFAULT_WEIGHTS, RankWeights, rank_items
    from service.search.dense import reranker_for
    from textkit.sentences import sentences
    from textkit.stems import stem
    from textkit.stopwords import CONTENT_STOP_WORDS
    from textkit.words import words

    console = Console(width=max(Console().width, 150))
    meetings = load_meetings(args.split, args.limit)
    if not meetings:
        print(f"skipped: no Project Manager meetings in qmsum/{args.split}")
        return 0
    tmp = tempfile.TemporaryDirectory()
    database = migrated_database(f"sqlite:///{tmp.name}/bench.db")
    settings, engine = database.settings, database.engine
    session = database.factory()
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
        # Ingestion drops fillers and transcribers' marks and mends stammers (textkit.speech), so a PM's words are
        # compared as the product stores them, on both sides.
        return " ".join(clean_speech(text).split()).casefold()

    def executive_runs(meeting: Meeting) -> list[str]:
        """The PM's words as ingestion may join them: each turn, and each turn run on into the PM's next one (a turn
        resumed after another's "Mm-hmm." or cut-off "and" is one turn)."""
        turns = [content for speaker, content in meeting.turns if speaker == EXECUTIVE]
        return [norm(t) for t in turns] + [norm(f"{a} {b}") for a, b in zip(turns, turns[1:], strict=False)]

    pm_words = {source_id: executive_runs(meeting) for source_id, meeting in source_of.items()}
    theirs = others_only = 0
    for item in questions:
        meeting = source_of[item.source_id]
        text = norm(item.text)
        if any(text in run for run in pm_words[item.source_id]):
            theirs += 1
        elif any(text in norm(c) for s, c in meeting.turns if s != EXECUTIVE):
            others_only += 1
            if args.verbose:
                print(f"another speaker's words ({meeting.name}): {item.text}")
        elif args.verbose:
            print(f"not found word for word ({meeting.name}): {item.text}")
    pm_question_turns = sum(1 for m in meetings for s, c in m.turns if s == EXECUTIVE and "?" in c)

    # --- 2. relevance -------------------------------------------------------------------------------------
    def content_stems(text: str) -> Counter[str]:
        return Counter(stem(w) for w in words(text) if w not in CONTENT_STOP_WORDS and len(w) > 1 and not w.isdigit())

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

    scorer = reranker_for(settings)
    known: dict[str, Any] = {}

    def embed(texts: list[str]) -> Any:
        """The model, remembering every text (the same pitches are ranked by many variants)."""
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing and scorer is not None:
            known.update(zip(missing, scorer.embed(missing), strict=True))
        return np.stack([known[t] for t in texts])
    pitch_sentences: dict[str, list[str]] = {}

    def ours(weights: RankWeights, meaning: bool = False) -> Callable[[str], list[int]]:
        def pick(pitch: str) -> list[int]:
            if pitch not in pitch_sentences:
                pitch_sentences[pitch] = [" ".join(x.split()) for x in sentences(pitch) if words(x)]
            ranked = rank_items(content_stems(pitch), bank, questions, n=K, weights=weights,
                                embed=embed if meaning and scorer is not None else None,
                                pitch_sentences=pitch_sentences[pitch])
            return [position[id(r.item)] for r in ranked]
        return pick

    wording_only = replace(DEFAULT_WEIGHTS, prompt=0, source=0, frequency=0, concern=0)
    variants = [
        ("BM25 (bm25s, question text)", bm25_pick),
        ("ours: wording only (no model)", ours(replace(wording_only, meaning=0))),
        ("ours: meaning only (question wording)", ours(replace(wording_only, wording=0), meaning=True)),
        ("ours: meaning + wording (question wording only)", ours(wording_only, meaning=True)),
        ("ours: + frequency", ours(replace(DEFAULT_WEIGHTS, prompt=0, source=0), meaning=True)),
        ("ours: + what they reacted to", ours(replace(DEFAULT_WEIGHTS, source=0), meaning=True)),
        ("ours: + meeting similarity (default)", ours(DEFAULT_WEIGHTS, meaning=True)),
        ("ours: default without the model", ours(replace(DEFAULT_WEIGHTS, meaning=0))),
    ]
    results = []
    for name, picker in variants:
        t = time.perf_counter()
        scores = evaluate(picker)
        results.append((name, scores, (time.perf_counter() - t) * 1000 / max(1, len(cases))))

    if args.tune:
        grid = []
        for meaning in (0.0, 0.5, 1.0, 2.0):
            scores = evaluate(ours(replace(wording_only, meaning=meaning), meaning=True))
            grid.append((round(scores["hit@5"], 3), "wording only", meaning, 0.0, 0.0, 0.0))
            for prompt in (0.0, 0.3, 0.6):
                for similarity in (0.0, 0.6, 1.2):
                    for frequency in (0.0, 0.15):
                        w = replace(DEFAULT_WEIGHTS, meaning=meaning, prompt=prompt, source=similarity,
                                    frequency=frequency)
                        scores = evaluate(ours(w, meaning=True))
                        grid.append((round(scores["segment hit@5"] + scores["P@5"], 3), "all signals", meaning, prompt,
                                     similarity, frequency))
        grid.sort(key=lambda g: (g[1], -g[0]))
        console.print("tuning on", args.split, "(score, signals, meaning, prompt, source, frequency); score is hit@5 "
                      "for 'wording only' and segment hit@5 + P@5 for 'all signals':")
        for row in [g for g in grid if g[1] == "all signals"][:6] + [g for g in grid if g[1] == "wording only"]:
            console.print(row)

    # --- 3. end to end --------------------------------------------------------------------------------------
    latencies = []
    for _, pitch, _ in cases[:40]:
        t = time.perf_counter()
        start_rehearsal(session, settings, "pm", viewer, pitch_text=" ".join(pitch.split()[:4000]))
        latencies.append((time.perf_counter() - t) * 1000)
    session.rollback()

    table = new_table(f"Corpus: QMSum {args.split}, meetings with a Project Manager",
                      ("meetings", "passages", "PM turns with '?'", "ingest s", "mined questions",
                       "mined concerns", "pitches (topic segments)"), left=0)
    table.add_row(str(len(meetings)), str(len(rows)), str(pm_question_turns), f"{ingest_s:.1f}", str(len(questions)),
                  str(len(bank.items) - len(questions)), str(len(cases)))
    console.print(table)

    table = new_table("1. Mined questions that are truly the Project Manager's (goal 100 %)",
                      ("mined", "in a PM turn of their meeting, word for word", "share",
                       "from another speaker's turn"), left=0)
    table.add_row(str(len(questions)), str(theirs), percent(theirs / max(1, len(questions))), str(others_only))
    console.print(table)

    table = new_table(f"2. Surfaced questions the PM asked in that meeting ({len(cases)} pitches, top {K})",
                      ("ranker", "hit@1", "hit@5", "P@5", "MRR@5", "segment hit@5", "ms / pitch"))
    for name, scores, ms in results:
        table.add_row(name, *(f"{scores[c]:.3f}" for c in ("hit@1", "hit@5", "P@5", "MRR@5", "segment hit@5")),
                      f"{ms:.1f}")
    console.print(table)
    base = results[0][1]
    best = next(scores for name, scores, _ in results if name.endswith("(default)"))
    console.print(f"default ranker vs BM25: P@5 {best['P@5']:.3f} vs {base['P@5']:.3f} "
                  f"(x{best['P@5'] / max(base['P@5'], 1e-9):.2f}); hit@1 {best['hit@1']:.3f} vs {base['hit@1']:.3f}")
    # A segment whose PM asked no question the bank mined can never be a segment hit: the ceiling of that column.
    reachable = sum(any(q.source_id == source_id and any(norm(q.text) in t for t in segment_pm) for q in questions)
                    for source_id, _, segment_pm in cases)
    console.print(f"segments holding a mined PM question: {reachable} of {len(cases)} "
                  f"(segment hit@5 cannot pass {reachable / max(1, len(cases)):.3f}); the default finds one for "
                  f"{round(best['segment hit@5'] * len(cases))} of them")

    table = new_table("3. Cost (2 cores, SQLite, in process)", ("step", "ms"))
    table.add_row(f"read {len(rows)} approved passages", f"{(t1 - t0) * 1000:.1f}")
    table.add_row("mine the bank (cold)", f"{(t2 - t1) * 1000:.1f}")
    table.add_row("corpus-state fingerprint (p50)", f"{statistics.median(state_ms):.2f}")
    table.add_row("cached bank for a rehearsal (p50, includes the fingerprint)", f"{statistics.median(cached_ms):.2f}")
    if latencies:
        table.add_row(f"start_rehearsal end to end, p50 of {len(latencies)}", f"{statistics.median(latencies):.1f}")
        table.add_row("start_rehearsal end to end, p95", f"{percentile_floor(latencies, 95):.1f}")
    console.print(table)
    console.print(f"cold mining / cached lookup: x{((t2 - t0) * 1000) / max(statistics.median(cached_ms), 1e-6):.0f}")
    session.close()
    engine.dispose()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
