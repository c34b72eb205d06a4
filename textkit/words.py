"""Words: a text's words, content words and their stems, the index's folded words, and word-set overlap."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Set

from textkit.stems import porter_stem, stem
from textkit.stopwords import CONTENT_STOP_WORDS, QUESTION_FILLER

WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_INDEX_WORD = re.compile(r"[^\W_]+")
# The same tokens for folded ASCII text, found about twice as fast: every other character becomes a space.
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not ("a" <= chr(c) <= "z" or "0" <= chr(c) <= "9")})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    """Lower-case words of a text, possessives folded."""
    return [t[:-2] if t.endswith("'s") else t for t in WORD_RE.findall(text.lower().replace("’", "'"))]


def content_words(text: str, extra_stop: Iterable[str] = ()) -> list[str]:
    """Words that carry meaning: no stopwords, no bare numbers of one digit."""
    stop = CONTENT_STOP_WORDS | frozenset(extra_stop) if extra_stop else CONTENT_STOP_WORDS
    return [w for w in words(text) if w not in stop and len(w) > 1]


def content_stems(text: str, extra_stop: Iterable[str] = ()) -> list[str]:
    """Stems of the content words of a text, in order."""
    return [stem(w) for w in content_words(text, extra_stop)]


def stem_set_with_compounds(text: str) -> set[str]:
    """Content stems plus joined neighbours, so 'health care' also matches 'healthcare'."""
    toks = content_words(text)
    stems = {stem(w) for w in toks}
    for a, b in zip(toks, toks[1:], strict=False):
        stems.add(stem(a + b))
    return stems


def query_terms(question: str) -> list[str]:
    """Distinct content stems of a question, without the words questions are phrased with."""
    seen: dict[str, None] = {}
    for w in content_words(question, QUESTION_FILLER):
        seen.setdefault(stem(w), None)
    return list(seen)


def word_tokens(text: str) -> list[str]:
    """Lower-cased word tokens; contractions such as "don't" stay one token."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


def fold(text: str) -> str:
    """Lower-case text without diacritics, curly apostrophes made straight."""
    text = text.translate(_APOSTROPHES).lower()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def index_words(text: str) -> list[str]:
    """The folded words of a text, as the index's tokenizer splits them."""
    folded = fold(text)
    if folded.isascii():
        return folded.translate(_ASCII_SEPARATORS).split()
    return _INDEX_WORD.findall(folded)


_INDEX_STEMS: dict[str, str] = {}


def index_stems(text: str) -> list[str]:
    """The Porter stems of a text's index words, in order."""
    cache = _INDEX_STEMS
    words = index_words(text)
    try:
        return [cache[w] for w in words]
    except KeyError:
        pass
    out = []
    for w in words:
        s = cache.get(w)
        if s is None:
            s = porter_stem(w)
            if len(cache) < 500_000:
                cache[w] = s
        out.append(s)
    return out


def jaccard(a: Set[str], b: Set[str]) -> float:
    """Overlap of two sets, 0 to 1."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: Set[str], b: Set[str]) -> float:
    """Share of the smaller set found in the larger, 0 to 1 (1 when one says all the other says)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


# Words that make a sentence a statement rather than a title: auxiliaries, modals, common verbs, -ed and -ing forms.
_VERB_CUE_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|am|'s|'re|will|would|shall|should|can|could|may|might|must|has|have|had|"
    r"do|does|did|need|needs|want|wants|propose|proposes|ask|asks|let|lets|get|gets|make|makes|take|takes|"
    r"keep|keeps|cost|costs|save|saves|run|runs|go|goes|come|comes|end|ends)\b|\w(?:ed|ing)\b", re.IGNORECASE)


def has_verb_cue(sentence: str) -> bool:
    """Whether a sentence shows a verb (an auxiliary, a common verb, an -ed or -ing form): a statement, not a title
    or a table's header run together."""
    return bool(_VERB_CUE_RE.search(sentence))


# A verbless "sentence" this capitalised is headings or a table's header cells run together (a PDF's text layer:
# "Five commitments for 2024–2026 Commitment Measure 2023 Target 1.").
HEADING_RUN_SHARE = 0.4


def is_heading_run(sentence: str) -> bool:
    """Whether a sentence is headings or table header cells run together: no verb, and mostly capitalised words and
    figures after its first word."""
    tokens = WORD_RE.findall(sentence)[1:]
    if not tokens or has_verb_cue(sentence):
        return False
    marked = sum(1 for t in tokens if t[:1].isupper() or t[:1].isdigit())
    return marked / len(tokens) >= HEADING_RUN_SHARE


def holds_phrase(texts: Iterable[str], phrase: str) -> bool:
    """Whether the texts hold the phrase's words in a row, whatever the case and punctuation ("Here's where I land,
    and how…" holds "Here's where I land.")."""
    said = " ".join(words(phrase))
    return bool(said) and said in " ".join(w for text in texts for w in words(text))
