"""Stems: the Porter algorithm of the search index, and the stem that folds possessives and British spelling."""

from __future__ import annotations

from textkit.stems import american_spelling, porter_stem, stem


def test_porter_stems_as_the_index_does_and_keeps_short_words_and_numbers() -> None:
    assert [porter_stem(w) for w in ("caresses", "ponies", "relational", "hopping", "generalization")] == [
        "caress", "poni", "relat", "hop", "gener"]
    assert porter_stem("as") == "as" and porter_stem("2024") == "2024"


def test_stem_folds_case_possessives_and_british_spelling() -> None:
    assert stem("Honour\u2019s") == stem("honor") == "honor"
    assert stem("Dana's") == "dana"
    assert american_spelling("organised") == "organized" and american_spelling("centres") == "centers"
    assert american_spelling("promise") == "promise"
