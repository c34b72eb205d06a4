"""Sentence splitting: a line break ends a sentence in text whose lines are units; running text keeps
abbreviations, initials and decimals whole and ends a sentence at a paragraph break."""

from __future__ import annotations

from textkit.sentences import sentences, wrapped_sentence_spans


def wrapped_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in wrapped_sentence_spans(text)]


def test_a_line_break_ends_a_sentence_so_table_rows_and_headers_are_never_one_quote() -> None:
    text = "Quarter | On time\nQ1 | 96.1%\nOur on-time rate rose. It rose again."
    assert sentences(text) == ["Quarter | On time", "Q1 | 96.1%", "Our on-time rate rose.", "It rose again."]


def test_sentence_splitter_respects_abbreviations_initials_and_decimals() -> None:
    text = (
        "Mr. Smith met Dr. Jones in Washington. Growth was 3.5 percent, e.g. in the U.S. market. "
        "John F. Kennedy said so! Did he? Yes. No. 5 on the list is pricing. No. That is wrong. "
        "We met at 5 p.m. Everyone stayed."
    )
    assert wrapped_sentences(text) == [
        "Mr. Smith met Dr. Jones in Washington.",
        "Growth was 3.5 percent, e.g. in the U.S. market.",
        "John F. Kennedy said so!",
        "Did he?",
        "Yes.",
        "No. 5 on the list is pricing.",
        "No.",
        "That is wrong.",
        "We met at 5 p.m.",
        "Everyone stayed.",
    ]


def test_a_paragraph_break_always_ends_a_sentence() -> None:
    assert wrapped_sentences("A heading without a period\n\nThe text under it.") == [
        "A heading without a period",
        "The text under it.",
    ]


def test_a_figure_with_its_scale_ends_a_sentence_while_an_initial_does_not() -> None:
    text = "The launch discount is $310k. Margins fall while it runs. It costs 2m. J. Smith agrees."
    assert sentences(text) == ["The launch discount is $310k.", "Margins fall while it runs.", "It costs 2m.",
                               "J. Smith agrees."]


def test_a_list_dash_run_into_a_line_starts_a_sentence_of_its_own_without_the_dash() -> None:
    text = ("Small bets, fast reads. - Put the same effort into the renewal as into the bid. "
            "\\--A check of 45 depots is done. -5 degrees is the coldest we plan for.\n* Keep the price floor.")
    assert sentences(text) == ["Small bets, fast reads.", "Put the same effort into the renewal as into the bid.",
                               "A check of 45 depots is done.", "-5 degrees is the coldest we plan for.",
                               "Keep the price floor."]
