"""Word splitting: word tokens keep contractions; the index's words are folded, with an ASCII fast path."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from textkit.words import fold, index_words, word_tokens


def test_tokenize_lowercases_keeps_contractions_and_drops_punctuation() -> None:
    assert word_tokens("I DON\u2019T know\u2014it\u2019s 2024, isn't it?") == [
        "i", "don't", "know", "it's", "2024", "isn't", "it"]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_the_ascii_fast_path_splits_words_as_the_unicode_tokenizer_does(value: str) -> None:
    assert index_words(value) == re.findall(r"[^\W_]+", fold(value))
    assert index_words(value + " Café") == re.findall(r"[^\W_]+", fold(value)) + ["cafe"]
