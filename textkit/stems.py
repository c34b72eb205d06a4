"""Porter stems (SQLite's `porter` tokenizer) and stems with possessives and British spelling folded."""

from __future__ import annotations

import re
from functools import lru_cache

from textkit.stopwords import word_set

_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """The number of vowel-consonant sequences (the m of [C](VC)^m[V])."""
    m, i, n = 0, 0, len(stem)
    while i < n and _is_consonant(stem, i):
        i += 1
    while i < n:
        while i < n and not _is_consonant(stem, i):
            i += 1
        if i >= n:
            break
        m += 1
        while i < n and _is_consonant(stem, i):
            i += 1
    return m


def _has_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    if len(word) < 3:
        return False
    return (_is_consonant(word, len(word) - 3) and not _is_consonant(word, len(word) - 2)
            and _is_consonant(word, len(word) - 1) and word[-1] not in "wxy")


def _replace(word: str, suffix: str, replacement: str, min_measure: int) -> str | None:
    """`word` with `suffix` replaced if it ends so (None otherwise), when the stem's measure allows."""
    if not word.endswith(suffix):
        return None
    stem = word[: len(word) - len(suffix)]
    return stem + replacement if _measure(stem) > min_measure else word


_STEP2 = (("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
          ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"),
          ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"),
          ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"), ("logi", "log"))
_STEP3 = (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""),
          ("ness", ""))
_STEP4 = ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
          "ate", "iti", "ous", "ive", "ize")


def _step1(word: str) -> str:
    if word.endswith("sses") or word.endswith("ies"):
        word = word[:-2]
    elif word.endswith("ss"):
        pass
    elif word.endswith("s"):
        word = word[:-1]
    flag = False
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    elif word.endswith("ed") and _has_vowel(word[:-2]):
        word, flag = word[:-2], True
    elif word.endswith("ing") and _has_vowel(word[:-3]):
        word, flag = word[:-3], True
    if flag:
        if word.endswith(("at", "bl", "iz")):
            word += "e"
        elif _double_consonant(word) and word[-1] not in "lsz":
            word = word[:-1]
        elif _measure(word) == 1 and _cvc(word):
            word += "e"
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    return word


def _step2to4(word: str) -> str:
    for suffix, replacement in _STEP2:
        if word.endswith(suffix):
            word = _replace(word, suffix, replacement, 0) or word
            break
    for suffix, replacement in _STEP3:
        if word.endswith(suffix):
            word = _replace(word, suffix, replacement, 0) or word
            break
    for suffix in _STEP4:
        if word.endswith(suffix):
            stem = word[: len(word) - len(suffix)]
            if suffix == "ion" and not stem.endswith(("s", "t")):
                break
            if _measure(stem) > 1:
                word = stem
            break
    return word


def _step5(word: str) -> str:
    if word.endswith("e"):
        stem = word[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _cvc(stem)):
            word = stem
    if word.endswith("ll") and _measure(word) > 1:
        word = word[:-1]
    return word


@lru_cache(maxsize=200_000)
def porter_stem(word: str) -> str:
    """The Porter stem of one lower-case word (words of two letters or fewer are kept)."""
    if len(word) <= 2 or not word.isalpha():
        return word
    return _step5(_step2to4(_step1(word)))


_SPELLING_RULES = (
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|able|ite|ites|ful|er|ers)?$"), r"or\1"),
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{3})tre(s)?$"), r"ter\1"),
)
_SPELLING_KEEP = word_set("""
your yours hour hours four flour pour tour tours contour detour devour glamour amour paramour
advise advised advises advising compromise compromised exercise exercised exercising franchise enterprise
enterprises expertise premise premises promise promised promises promising surprise surprised surprising
televise televised revise revised supervise supervised improvise despise despised merchandise disguise
disguised excise chastise comprise comprised raise raised raising praise praised arise arising rise rising
wise otherwise noise poise cruise cruised concise precise demise reprise incise mise treatise
""")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Porter stem of a word (the algorithm of the search index), possessive and British spelling folded."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    return porter_stem(american_spelling(w))


def american_spelling(word: str) -> str:
    """honour → honor, organise → organize, centre → center: the spelling most corpora index."""
    if word in _SPELLING_KEEP:
        return word
    for british, american in _SPELLING_RULES:
        if british.search(word):
            return british.sub(american, word, count=1)
    return word
