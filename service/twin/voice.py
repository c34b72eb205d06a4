"""Voice score: how close a text's function-word habits are to the executive's (stylometric Delta)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from textkit.words import word_tokens

FloatArray = NDArray[np.float64]
DeltaMethod = Literal["burrows", "cosine", "quadratic"]

PROFILE_VERSION = 1
RELIABLE_MIN_WORDS = 50
CHUNK_WORDS = 1000
CALIBRATION_LENGTHS = (50, 100, 200, 400, 800, 1600, 3200, 6400)
CALIBRATION_FOLDS = 5
# Fewer held-out pieces than this at one length give too rough a median and spread to score against.
MIN_CALIBRATION_PIECES = 8
MAX_PIECES_PER_FOLD = 60
# Pseudo-words of the background mixed into the executive's frequencies, so a small corpus does
# not claim a word is never used (or always used) on the strength of a few hundred words.
PRIOR_WORDS = 200.0
# Pseudo-words of generic English mixed into a background built from other authors' texts.
BACKGROUND_PRIOR_WORDS = 2000.0


@cache
def _word_table() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The shipped function words and their generic English frequencies."""
    text = resources.files("service.twin").joinpath("data/function_words.tsv").read_text(encoding="utf-8")
    words: list[str] = []
    frequencies: list[float] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, frequency = line.split("\t")
        words.append(word)
        frequencies.append(float(frequency))
    return tuple(words), tuple(frequencies)


FUNCTION_WORDS: tuple[str, ...] = _word_table()[0]


def generic_frequencies(words: Sequence[str] = FUNCTION_WORDS) -> FloatArray:
    """Each word's share of all words in general English (wordfreq), for words of the shipped list."""
    table = dict(zip(*_word_table(), strict=True))
    missing = [w for w in words if w not in table]
    if missing:
        raise ValueError(f"no generic frequency for {missing[:5]}")
    return np.array([table[w] for w in words], dtype=np.float64)


def _tokens(text_or_tokens: str | Sequence[str]) -> Sequence[str]:
    return word_tokens(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens


def word_counts(text_or_tokens: str | Sequence[str], words: Sequence[str] = FUNCTION_WORDS) -> FloatArray:
    """How often each of `words` occurs in the text."""
    counted = Counter(_tokens(text_or_tokens))
    return np.array([counted.get(w, 0) for w in words], dtype=np.float64)


def function_word_profile(
    text_or_tokens: str | Sequence[str], words: Sequence[str] = FUNCTION_WORDS
) -> FloatArray:
    """Relative frequency of each of `words` among all the text's word tokens (zeros for an empty text)."""
    tokens = _tokens(text_or_tokens)
    counts = word_counts(tokens, words)
    return counts / len(tokens) if tokens else counts


def feature_statistics(profiles: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mean and sample standard deviation of each feature over the rows (documents) of `profiles`."""
    matrix = np.asarray(profiles, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] < 2:
        raise ValueError("need a 2-D array with at least two documents")
    return matrix.mean(axis=0), matrix.std(axis=0, ddof=1)


def _cosine(a: FloatArray, b: FloatArray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm > 0 else 0.0


def burrows_delta(
    profile: FloatArray,
    candidates: Mapping[str, FloatArray],
    means: FloatArray,
    stds: FloatArray,
    *,
    method: DeltaMethod = "burrows",
) -> dict[str, float]:
    """Delta between a text's profile and each candidate author's mean profile; smaller is closer.

    Frequencies become z-scores with the background `means` and `stds`; "burrows" is the mean absolute
    z difference (Burrows 2002), "quadratic" the mean squared one (Argamon 2008) and "cosine" one minus
    the cosine of the two z vectors (Smith & Aldridge 2011). Features with no spread are left out.
    """
    keep = np.asarray(stds) > 0
    mu, sd = np.asarray(means)[keep], np.asarray(stds)[keep]
    z = (np.asarray(profile)[keep] - mu) / sd
    deltas: dict[str, float] = {}
    for name, centroid in candidates.items():
        zc = (np.asarray(centroid)[keep] - mu) / sd
        if method == "burrows":
            deltas[name] = float(np.abs(z - zc).mean())
        elif method == "quadratic":
            deltas[name] = float(((z - zc) ** 2).mean())
        elif method == "cosine":
            deltas[name] = 1.0 - _cosine(z, zc)
        else:
            raise ValueError(f"unknown Delta method {method!r}")
    return deltas


@dataclass(frozen=True)
class VoiceScore:
    """How much a text sounds like the executive."""

    delta: float
    score: float
    words: int
    reliable: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"delta": self.delta, "score": self.score, "words": self.words, "reliable": self.reliable}


@dataclass(frozen=True)
class VoiceProfile:
    """The executive's function-word habits and the statistics needed to score a text against them.

    `frequencies` is the executive's relative frequency of each word; `background_means` the same in
    the background (the centre of the z-scores): general English, or other authors' texts when
    `background_words` > 0 (their word count); `background_stds` the spread of each word between
    `chunk_words`-word stretches of the executive's own corpus (the scale of the z-scores);
    `calibration` maps a text length to the median and spread (half the 16th-84th percentile range)
    of the cosine Delta that the executive's own held-out text of that length gets.
    """

    words: tuple[str, ...]
    frequencies: tuple[float, ...]
    background_means: tuple[float, ...]
    background_stds: tuple[float, ...]
    corpus_words: int
    chunk_words: int = CHUNK_WORDS
    background_words: int = 0
    calibration: dict[int, tuple[float, float]] = field(default_factory=dict)
    version: int = PROFILE_VERSION

    def __post_init__(self) -> None:
        n = len(self.words)
        if not n or not (len(self.frequencies) == len(self.background_means) == len(self.background_stds) == n):
            raise ValueError("a voice profile needs words, frequencies, means and stds of one length")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, for the twin's persona."""
        return {
            "version": self.version,
            "words": list(self.words),
            "frequencies": list(self.frequencies),
            "background_means": list(self.background_means),
            "background_stds": list(self.background_stds),
            "corpus_words": self.corpus_words,
            "chunk_words": self.chunk_words,
            "background_words": self.background_words,
            "calibration": {str(length): list(stats) for length, stats in sorted(self.calibration.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VoiceProfile:
        """Inverse of to_dict."""
        if data.get("version") != PROFILE_VERSION:
            raise ValueError(f"unsupported voice profile version {data.get('version')!r}")
        return cls(
            words=tuple(str(w) for w in data["words"]),
            frequencies=tuple(float(x) for x in data["frequencies"]),
            background_means=tuple(float(x) for x in data["background_means"]),
            background_stds=tuple(float(x) for x in data["background_stds"]),
            corpus_words=int(data["corpus_words"]),
            chunk_words=int(data["chunk_words"]),
            background_words=int(data.get("background_words", 0)),
            calibration={int(k): (float(v[0]), float(v[1])) for k, v in data.get("calibration", {}).items()},
            version=PROFILE_VERSION,
        )


@dataclass(frozen=True)
class _Stats:
    frequencies: FloatArray
    scales: FloatArray


def _corpus_stats(tokens: Sequence[str], words: Sequence[str], centre: FloatArray, chunk_words: int) -> _Stats:
    total = len(tokens)
    counts = word_counts(tokens, words)
    p = (counts + PRIOR_WORDS * centre) / (total + PRIOR_WORDS)
    sampling = p * (1.0 - p) / chunk_words
    chunks = total // chunk_words
    if chunks >= 3:
        per_chunk = np.array(
            [function_word_profile(tokens[i * chunk_words : (i + 1) * chunk_words], words) for i in range(chunks)]
        )
        # Spread beyond what sampling alone would give: the executive's drift between topics and occasions.
        excess = np.maximum(per_chunk.var(axis=0, ddof=1) - sampling, 0.0)
    else:
        excess = np.zeros_like(p)
    return _Stats(frequencies=p, scales=np.sqrt(excess + sampling))


def _cosine_delta(frequencies: FloatArray, stats: _Stats, centre: FloatArray) -> float:
    return 1.0 - _cosine((frequencies - centre) / stats.scales, (stats.frequencies - centre) / stats.scales)


def _calibrate(
    tokens: Sequence[str], words: Sequence[str], centre: FloatArray, chunk_words: int
) -> dict[int, tuple[float, float]]:
    """Median and spread of the cosine Delta of the executive's own held-out text, by text length."""
    total = len(tokens)
    bounds = [round(k * total / CALIBRATION_FOLDS) for k in range(CALIBRATION_FOLDS + 1)]
    samples: dict[int, list[float]] = {length: [] for length in CALIBRATION_LENGTHS}
    for start, end in zip(bounds, bounds[1:], strict=False):
        held = tokens[start:end]
        stats = _corpus_stats([*tokens[:start], *tokens[end:]], words, centre, chunk_words)
        for length in CALIBRATION_LENGTHS:
            pieces = len(held) // length
            if not pieces:
                continue
            for i in np.linspace(0, pieces - 1, min(pieces, MAX_PIECES_PER_FOLD)).astype(int):
                piece = held[i * length : (i + 1) * length]
                samples[length].append(_cosine_delta(function_word_profile(piece, words), stats, centre))
    calibration: dict[int, tuple[float, float]] = {}
    for length, values in samples.items():
        if len(values) >= MIN_CALIBRATION_PIECES:
            low, median, high = np.quantile(values, [0.16, 0.5, 0.84])
            calibration[length] = (float(median), max(float(high - low) / 2.0, 1e-6))
    return calibration


def build_voice_profile(
    texts: Iterable[str],
    *,
    words: Sequence[str] = FUNCTION_WORDS,
    chunk_words: int = CHUNK_WORDS,
    background_texts: Iterable[str] = (),
) -> VoiceProfile:
    """The executive's voice profile from their own texts (in order: neighbouring texts form chunks).

    The z-scores are centred on general English unless `background_texts` by other authors in the same
    genre are given (other executives' memos, say): then on their frequencies, which separates this
    executive from peers better than general English does (bench/voice.py measures both).
    """
    tokens = [token for text in texts for token in word_tokens(text)]
    if not tokens:
        raise ValueError("no words to build a voice profile from")
    centre = generic_frequencies(words)
    background = [token for text in background_texts for token in word_tokens(text)]
    if background:
        centre = (word_counts(background, words) + BACKGROUND_PRIOR_WORDS * centre) / (
            len(background) + BACKGROUND_PRIOR_WORDS
        )
    stats = _corpus_stats(tokens, words, centre, chunk_words)
    return VoiceProfile(
        words=tuple(words),
        frequencies=tuple(float(x) for x in stats.frequencies),
        background_means=tuple(float(x) for x in centre),
        background_stds=tuple(float(x) for x in stats.scales),
        corpus_words=len(tokens),
        chunk_words=chunk_words,
        background_words=len(background),
        calibration=_calibrate(tokens, words, centre, chunk_words),
    )


def _expected_delta(calibration: Mapping[int, tuple[float, float]], words: int) -> tuple[float, float]:
    """Median and spread of the executive's own Delta at this length, interpolated on log length."""
    lengths = sorted(calibration)
    n = min(max(words, lengths[0]), lengths[-1])
    upper = next(length for length in lengths if length >= n)
    lower = max(length for length in lengths if length <= n)
    if upper == lower:
        return calibration[lower]
    weight = math.log(n / lower) / math.log(upper / lower)
    (m0, s0), (m1, s1) = calibration[lower], calibration[upper]
    return (1.0 - weight) * m0 + weight * m1, (1.0 - weight) * s0 + weight * s1


def voice_score(profile: VoiceProfile, text: str) -> VoiceScore:
    """Score a text against the executive's voice profile.

    `delta` is the cosine Delta (0 = the text departs from general English in the same direction as
    the executive, 1 = unrelated, 2 = opposite). `score` is the estimated share of the executive's own
    texts of the same length that sit further from the profile (a normal tail from the calibration's
    median and spread): 0.5 is the executive's typical text, near 0 is further away than nearly all
    of it. Without calibration (a corpus too small to hold text out) the score falls back to
    1 - delta / 2 and is never reliable.
    """
    tokens = word_tokens(text)
    stats = _Stats(np.array(profile.frequencies), np.array(profile.background_stds))
    centre = np.array(profile.background_means)
    delta = _cosine_delta(function_word_profile(tokens, profile.words), stats, centre)
    if profile.calibration:
        median, spread = _expected_delta(profile.calibration, len(tokens))
        score = 0.5 * math.erfc((delta - median) / (spread * math.sqrt(2.0)))
    else:
        score = min(1.0, max(0.0, 1.0 - delta / 2.0))
    reliable = len(tokens) >= RELIABLE_MIN_WORDS and bool(profile.calibration)
    return VoiceScore(delta=delta, score=score, words=len(tokens), reliable=reliable)
