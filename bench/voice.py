"""Validate the voice score: Burrows' Delta on the Federalist Papers and five modern presidents, and voice_score.

1. Federalist, leave-one-out Hamilton against Madison (undisputed papers), Burrows' Delta on Mosteller and
   Wallace's 70 function words; goal >= 95 % (published 96.9 %). The twelve disputed papers are attributed
   for information (historical consensus: Madison).
2. Five modern presidents: every speech cut into consecutive 1,500-word chunks (a shorter remainder is
   dropped); one speech held out at a time, z-score statistics and each president's centroid from the
   chunks of all other speeches; each held-out chunk goes to the nearest centroid; accuracy over chunks;
   goal > 67.6 % (../shared/data/README.md, chance 24 %). Several word lists and Delta variants.
3. The product's voice_score: a profile of one president from his earlier 70 % of speeches, scoring his
   later speeches against the other four presidents' speeches, whole and as 200-word excerpts.

Run: .venv/bin/python bench/voice.py   (about half a minute on two cores)
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import SHARED, percent  # noqa: E402
from service.twin import voice  # noqa: E402
from service.twin.voice import FloatArray  # noqa: E402
from textkit.words import word_tokens  # noqa: E402

WORD_TABLE = ROOT / "service" / "twin" / "data" / "function_words.tsv"
console = Console(width=140)

CHUNK_WORDS = 1500
PRESIDENTS_SINCE = "1981-01-01"
PRESIDENT_COUNT = 5
MFW_SIZES = (150, 300)
METHODS: tuple[voice.DeltaMethod, ...] = ("burrows", "cosine", "quadratic")
FEDERALIST_GOAL = 0.95
FEDERALIST_PUBLISHED = 0.969
PRESIDENTS_BASELINE = 0.676
TRAIN_SHARE = 0.7
PEERS_SINCE = "1945-01-01"
EXCERPT_WORDS = 200
EXCERPTS_PER_SPEECH = 3


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a positive outscores a negative (ties count half)."""
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


def short_name(president: str, everyone: Sequence[str]) -> str:
    """Last name, with initials where two share it."""
    *given, last = president.split()
    if sum(p.split()[-1] == last for p in everyone) == 1:
        return last
    return "".join(g[0] + "." for g in given) + " " + last


def nearest(deltas: Mapping[str, float]) -> str:
    return min(deltas, key=lambda name: deltas[name])


# --- 1. Federalist -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paper:
    number: str
    author: str
    tokens: list[str]


def load_federalist() -> tuple[list[Paper], list[str]]:
    csv.field_size_limit(sys.maxsize)
    with (SHARED / "federalist" / "labels.tsv").open(encoding="utf-8", newline="") as handle:
        papers = [Paper(row[0], row[1], word_tokens(row[2])) for row in csv.reader(handle, delimiter="\t")]
    words = (SHARED / "federalist" / "function_words.txt").read_text(encoding="utf-8").split()
    return papers, words


def federalist_leave_one_out(
    papers: list[Paper], words: Sequence[str], method: voice.DeltaMethod
) -> tuple[dict[str, list[int]], dict[str, str]]:
    """Per author [right, total] over held-out undisputed papers, and the disputed papers' attributions."""
    known = [p for p in papers if p.author in ("Hamilton", "Madison")]
    profiles = np.array([voice.function_word_profile(p.tokens, words) for p in known])
    authors = np.array([p.author for p in known])
    tally: dict[str, list[int]] = {"Hamilton": [0, 0], "Madison": [0, 0]}
    for i, paper in enumerate(known):
        train = np.arange(len(known)) != i
        means, stds = voice.feature_statistics(profiles[train])
        centroids = {a: profiles[train & (authors == a)].mean(axis=0) for a in tally}
        guess = nearest(voice.burrows_delta(profiles[i], centroids, means, stds, method=method))
        tally[paper.author][0] += guess == paper.author
        tally[paper.author][1] += 1
    means, stds = voice.feature_statistics(profiles)
    centroids = {a: profiles[authors == a].mean(axis=0) for a in tally}
    disputed = {
        p.number: nearest(voice.burrows_delta(voice.function_word_profile(p.tokens, words), centroids, means, stds,
                                              method=method))
        for p in papers
        if p.author not in tally
    }
    return tally, disputed


def run_federalist() -> bool:
    papers, fw70 = load_federalist()
    counts = Counter(p.author for p in papers)
    console.rule("1. Federalist Papers: leave-one-out, Hamilton against Madison")
    console.print(f"{counts['Hamilton']} Hamilton, {counts['Madison']} Madison, "
                  f"{sum(counts.values()) - counts['Hamilton'] - counts['Madison']} disputed papers "
                  f"(labels.tsv); z-scores from the training papers of both authors.")
    table = Table("words", "Delta", "accuracy", "Hamilton", "Madison", "disputed → Madison", "seconds")
    headline = 0.0
    configs: list[tuple[str, Sequence[str], voice.DeltaMethod]] = [
        ("Mosteller-Wallace 70", fw70, "burrows"),
        ("Mosteller-Wallace 70", fw70, "cosine"),
        (f"product list ({len(voice.FUNCTION_WORDS)})", voice.FUNCTION_WORDS, "burrows"),
        (f"product list ({len(voice.FUNCTION_WORDS)})", voice.FUNCTION_WORDS, "cosine"),
    ]
    disputed_main: dict[str, str] = {}
    for label, words, method in configs:
        started = time.perf_counter()
        tally, disputed = federalist_leave_one_out(papers, words, method)
        seconds = time.perf_counter() - started
        right = sum(r for r, _ in tally.values())
        total = sum(n for _, n in tally.values())
        if not disputed_main:
            headline, disputed_main = right / total, disputed
        table.add_row(label, method, f"{percent(right / total)} ({right}/{total})",
                      *(f"{percent(r / n)} ({r}/{n})" for r, n in tally.values()),
                      f"{sum(a == 'Madison' for a in disputed.values())}/{len(disputed)}", f"{seconds:.2f}")
    console.print(table)
    console.print("Disputed papers (Burrows' Delta, 70 words, trained on all undisputed papers): "
                  + ", ".join(f"{n}: {a}" for n, a in disputed_main.items()))
    passed = headline >= FEDERALIST_GOAL
    console.print(f"Goal ≥ {percent(FEDERALIST_GOAL)} (published {percent(FEDERALIST_PUBLISHED)}): "
                  f"{percent(headline)} → {'met' if passed else 'NOT met'}\n")
    return passed


# --- 2. Presidents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Speech:
    date: str
    president: str
    text: str
    tokens: list[str]


def load_speeches() -> list[Speech]:
    speeches = []
    for path in sorted((SHARED / "presidential-speeches").glob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        president = head.split(":", 1)[1].strip()
        speeches.append(Speech(path.name[:10], president, body, word_tokens(body)))
    return speeches


def pick_presidents(speeches: list[Speech]) -> list[str]:
    """The five presidents with the most speeches among those who gave one in 1981 or later."""
    modern = {s.president for s in speeches if s.date >= PRESIDENTS_SINCE}
    counts = Counter(s.president for s in speeches if s.president in modern)
    return [p for p, _ in counts.most_common(PRESIDENT_COUNT)]


@dataclass(frozen=True)
class Chunk:
    speech: int
    president: str
    counts: Counter[str]


def chunk_speeches(speeches: list[Speech]) -> list[Chunk]:
    return [
        Chunk(i, s.president, Counter(s.tokens[k * CHUNK_WORDS : (k + 1) * CHUNK_WORDS]))
        for i, s in enumerate(speeches)
        for k in range(len(s.tokens) // CHUNK_WORDS)
    ]


class ChunkMatrix:
    """Relative frequencies of any word in every chunk, one cached column per word."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.columns: dict[str, FloatArray] = {}

    def profiles(self, words: Sequence[str]) -> FloatArray:
        for w in words:
            if w not in self.columns:
                self.columns[w] = np.array([c.counts.get(w, 0) for c in self.chunks], dtype=np.float64) / CHUNK_WORDS
        return np.column_stack([self.columns[w] for w in words])


WordsForFold = Callable[[np.ndarray], Sequence[str]]


def held_out_speech_accuracy(
    matrix: ChunkMatrix, presidents: list[str], words_for_fold: WordsForFold, method: voice.DeltaMethod,
    fixed_words: Sequence[str] | None = None,
) -> tuple[float, dict[str, tuple[int, int]]]:
    """Chunk accuracy, holding out one speech at a time; and per president (right, total)."""
    chunks = matrix.chunks
    speech_of = np.array([c.speech for c in chunks])
    president_of = np.array([c.president for c in chunks])
    fixed = matrix.profiles(fixed_words) if fixed_words is not None else None
    tally = {p: [0, 0] for p in presidents}
    for speech in np.unique(speech_of):
        held = speech_of == speech
        train = ~held
        profiles = fixed if fixed is not None else matrix.profiles(words_for_fold(train))
        means, stds = voice.feature_statistics(profiles[train])
        centroids = {p: profiles[train & (president_of == p)].mean(axis=0) for p in presidents}
        for row in np.flatnonzero(held):
            guess = nearest(voice.burrows_delta(profiles[row], centroids, means, stds, method=method))
            tally[president_of[row]][0] += guess == president_of[row]
            tally[president_of[row]][1] += 1
    right = sum(r for r, _ in tally.values())
    total = sum(n for _, n in tally.values())
    return right / total, {p: (r, n) for p, (r, n) in tally.items()}


def most_frequent_words(chunks: list[Chunk], size: int) -> WordsForFold:
    """The `size` most frequent words of the training chunks of a fold."""
    everything: Counter[str] = Counter()
    for c in chunks:
        everything.update(c.counts)

    def words(train: np.ndarray) -> list[str]:
        counts = everything.copy()
        for i in np.flatnonzero(~train):
            counts.subtract(chunks[i].counts)
        return [w for w, _ in counts.most_common(size)]

    return words


def run_presidents(speeches: list[Speech], presidents: list[str]) -> bool:
    chosen = [s for s in speeches if s.president in presidents]
    chunks = chunk_speeches(chosen)
    per_president = Counter(c.president for c in chunks)
    speeches_with_chunks = len({c.speech for c in chunks})
    console.rule("2. Five modern presidents: 1,500-word chunks, one held-out speech at a time")
    console.print(
        "Presidents: the five with the most speeches among those who gave one in 1981 or later: "
        + ", ".join(f"{p} ({sum(s.president == p for s in chosen)} speeches, {per_president[p]} chunks)"
                    for p in presidents)
        + f". {len(chunks)} chunks from {speeches_with_chunks} speeches of at least {CHUNK_WORDS:,} words"
        f" (shorter remainders dropped); majority-class chance {percent(max(per_president.values()) / len(chunks))}."
    )
    console.print("Each held-out speech's chunks are classified against centroids and z-score statistics from "
                  "the chunks of all other speeches; MFW lists are the most frequent words of those training "
                  "chunks, recomputed for every held-out speech.")
    matrix = ChunkMatrix(chunks)
    fw70 = (SHARED / "federalist" / "function_words.txt").read_text(encoding="utf-8").split()
    features: list[tuple[str, Sequence[str] | None, WordsForFold]] = [
        ("Mosteller-Wallace 70", fw70, lambda _: fw70),
        (f"product list ({len(voice.FUNCTION_WORDS)})", voice.FUNCTION_WORDS, lambda _: voice.FUNCTION_WORDS),
        *((f"{n} most frequent words", None, most_frequent_words(chunks, n)) for n in MFW_SIZES),
    ]
    table = Table("words", "Delta", "accuracy", *(short_name(p, presidents) for p in presidents), "vs 67.6 %",
                  "seconds")
    best: tuple[float, str] = (0.0, "")
    product_cosine = 0.0
    for label, fixed, words_for_fold in features:
        for method in METHODS:
            started = time.perf_counter()
            accuracy, tally = held_out_speech_accuracy(matrix, presidents, words_for_fold, method, fixed)
            seconds = time.perf_counter() - started
            best = max(best, (accuracy, f"{label}, {method}"))
            if fixed is voice.FUNCTION_WORDS and method == "cosine":
                product_cosine = accuracy
            table.add_row(label, method, percent(accuracy), *(percent(r / n) for r, n in tally.values()),
                          f"{100 * (accuracy - PRESIDENTS_BASELINE):+.1f} pt", f"{seconds:.2f}")
    console.print(table)
    passed = product_cosine > PRESIDENTS_BASELINE
    console.print(f"Goal > {percent(PRESIDENTS_BASELINE)}: product list with cosine Delta (what voice_score uses) "
                  f"{percent(product_cosine)} → {'met' if passed else 'NOT met'}; best {percent(best[0])} ({best[1]}).\n")
    return passed


# --- 3. voice_score ----------------------------------------------------------------------------------


def excerpts(tokens: list[str], length: int, count: int) -> list[str]:
    """Up to `count` evenly spaced, non-overlapping excerpts of `length` words."""
    pieces = len(tokens) // length
    if not pieces:
        return []
    return [" ".join(tokens[i * length : (i + 1) * length])
            for i in sorted(set(np.linspace(0, pieces - 1, min(count, pieces)).astype(int)))]


def run_voice_score(speeches: list[Speech], presidents: list[str]) -> None:
    console.rule("3. voice_score: one president's profile, his later speeches against other presidents'")
    peers = sorted({s.president for s in speeches if s.date >= PEERS_SINCE and s.president not in presidents})
    peer_speeches = [s for s in speeches if s.president in peers and s.date >= PEERS_SINCE]
    console.print(
        f"Profile from the earliest {percent(TRAIN_SHARE)} of the president's speeches (build_voice_profile); scored: "
        f"his remaining speeches (own), every speech of the other four (4 others) and every speech of any other "
        f"president in the collection (all others), whole and as up to {EXCERPTS_PER_SPEECH} evenly spaced "
        f"{EXCERPT_WORDS}-word excerpts per speech (an answer's length). Background: English = general English (the "
        f"shipped table, what a lone twin gets), peers = background_texts, the {len(peer_speeches)} speeches since "
        f"{PEERS_SINCE[:4]} by the {len(peers)} other presidents ({', '.join(short_name(p, [*peers, *presidents]) for p in peers)}; "
        "left out of 'all others' there). Mean score and delta per group; AUC: chance that an own text "
        "outscores another's.")
    table = Table("bg", "president", "build s", "texts", "own n", "own score", "4 others score",
                  "own delta", "4 others delta", "AUC vs 4 others", "all others n", "AUC vs all others")
    timings: list[float] = []
    kinds = ("speech", f"{EXCERPT_WORDS} words")
    backgrounds: list[tuple[str, list[Speech]]] = [("English", []), ("peers", peer_speeches)]
    for background, background_speeches in backgrounds:
        aucs: dict[tuple[str, str], list[float]] = defaultdict(list)
        background_names = {s.president for s in background_speeches}
        for president in presidents:
            own = sorted((s for s in speeches if s.president == president), key=lambda s: s.date)
            cut = round(len(own) * TRAIN_SHARE)
            started = time.perf_counter()
            profile = voice.build_voice_profile((s.text for s in own[:cut]),
                                                background_texts=(s.text for s in background_speeches))
            build_seconds = time.perf_counter() - started
            groups = {
                "own": own[cut:],
                "4 others": [s for s in speeches if s.president in presidents and s.president != president],
                "all others": [s for s in speeches if s.president != president and s.president not in background_names],
            }
            for kind in kinds:
                scored: dict[str, list[voice.VoiceScore]] = {}
                for side, group in groups.items():
                    texts = ([s.text for s in group] if kind == "speech"
                             else [x for s in group for x in excerpts(s.tokens, EXCERPT_WORDS, EXCERPTS_PER_SPEECH)])
                    scored[side] = []
                    for text in texts:
                        t0 = time.perf_counter()
                        scored[side].append(voice.voice_score(profile, text))
                        if kind != "speech":
                            timings.append(time.perf_counter() - t0)
                own_scores = [s.score for s in scored["own"]]
                vs_four = auc(own_scores, [s.score for s in scored["4 others"]])
                vs_all = auc(own_scores, [s.score for s in scored["all others"]])
                aucs[(kind, "4")].append(vs_four)
                aucs[(kind, "all")].append(vs_all)
                table.add_row(background, short_name(president, presidents), f"{build_seconds:.2f}", kind,
                              str(len(scored["own"])),
                              *(f"{np.mean([s.score for s in scored[side]]):.2f}" for side in ("own", "4 others")),
                              *(f"{np.mean([s.delta for s in scored[side]]):.3f}" for side in ("own", "4 others")),
                              f"{vs_four:.3f}", str(len(scored["all others"])), f"{vs_all:.3f}")
        for kind in kinds:
            table.add_row(background, "mean", "", kind, "", "", "", "", "", f"{np.mean(aucs[(kind, '4')]):.3f}", "",
                          f"{np.mean(aucs[(kind, 'all')]):.3f}", end_section=kind == kinds[-1])
    console.print(table)
    console.print(f"voice_score on a {EXCERPT_WORDS}-word text: p50 {1000 * np.median(timings):.2f} ms, "
                  f"p95 {1000 * np.quantile(timings, 0.95):.2f} ms ({len(timings)} calls).\n")


# --- the word table -----------------------------------------------------------------------------------


def write_word_table() -> None:
    """Refresh the generic-English frequency column of the shipped word table from wordfreq."""
    try:
        from wordfreq import word_frequency
    except ImportError:
        sys.exit("wordfreq is not installed: .venv/bin/pip install wordfreq")
    lines = WORD_TABLE.read_text(encoding="utf-8").splitlines()
    out = [line if line.startswith("#") or not line.strip()
           else f"{line.split(chr(9))[0]}\t{word_frequency(line.split(chr(9))[0], 'en'):.3g}" for line in lines]
    WORD_TABLE.write_text("\n".join(out) + "\n", encoding="utf-8")
    console.print(f"rewrote {WORD_TABLE.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write-word-table", action="store_true",
                        help="refresh service/twin/data/function_words.tsv from wordfreq and exit")
    args = parser.parse_args(argv)
    if args.write_word_table:
        write_word_table()
        return 0
    if not (SHARED / "federalist").is_dir() or not (SHARED / "presidential-speeches").is_dir():
        console.print(f"skipped: {SHARED} (federalist/ and presidential-speeches/) is absent")
        return 0
    started = time.perf_counter()
    federalist_ok = run_federalist()
    t0 = time.perf_counter()
    speeches = load_speeches()
    presidents = pick_presidents(speeches)
    console.print(f"loaded and tokenised {len(speeches)} speeches in {time.perf_counter() - t0:.1f} s")
    presidents_ok = run_presidents(speeches, presidents)
    run_voice_score(speeches, presidents)
    console.print(f"Federalist goal {'met' if federalist_ok else 'NOT met'}; presidents goal "
                  f"{'met' if presidents_ok else 'NOT met'}; total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
