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


def test_headings_and_table_headers_run_together_are_told_from_statements() -> None:
    from textkit.words import is_heading_run

    assert is_heading_run("Five commitments for 2024–2026 Commitment Measure 2023 Target 1.")
    assert is_heading_run("Depot Urban Vans Electric Today Electric 2026.")
    assert not is_heading_run("Reliable first, then fast.")
    assert not is_heading_run("Our Calder North depot is ready for Electric Vans in 2026.")


def test_a_phrase_is_found_whatever_its_case_and_punctuation() -> None:
    from textkit.words import holds_phrase

    assert holds_phrase(["Here's where I land, and how we got there."], "Here's where I land.")
    assert not holds_phrase(["Where I land is here."], "Here's where I land.")
