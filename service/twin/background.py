"""A background of ordinary English: how often general English uses each word, for term weights and favoured words.

The shipped table service/twin/data/english_words.tsv holds the 40,000 most frequent English words with their
share of running text and their stems, from wordfreq 3.1.1 (CC BY-SA 4.0; written by
`bench/answers.py --write-word-frequencies`). It is read once, on first use.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# A word outside the table is rarer than the rarest word in it: half its frequency.
_FLOOR_SHARE_OF_RAREST = 0.5


def word_frequency(word: str) -> float:
    """Share of general English text taken by this word (0 when it is not among the table's words)."""
    return _frequencies()[0].get(word.lower(), 0.0)


def stem_frequency(stemmed: str) -> float:
    """Share of general English text taken by words with this stem (0 when none is in the table)."""
    return _frequencies()[1].get(stemmed, 0.0)


def floor_frequency() -> float:
    """The frequency assumed for a word outside the table: below the rarest word in it."""
    return _frequencies()[2]


@cache
def _frequencies() -> tuple[dict[str, float], dict[str, float], float]:
    """Word frequencies, stem frequencies (summed over the stem's words) and the floor, from the shipped table."""
    text = resources.files("service.twin").joinpath("data/english_words.tsv").read_text(encoding="utf-8")
    by_word: dict[str, float] = {}
    by_stem: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        word, share, *stemmed = line.split("\t")
        frequency = float(share)
        by_word[word] = frequency
        key = stemmed[0] if stemmed else word
        by_stem[key] = by_stem.get(key, 0.0) + frequency
    return by_word, by_stem, _FLOOR_SHARE_OF_RAREST * min(by_word.values())
