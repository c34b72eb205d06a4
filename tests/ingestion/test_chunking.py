"""Passage packing: whole sentences (textkit.sentences cuts them), one speaker, sized by a parameter."""

from __future__ import annotations

import pytest

from ingestion.chunking import chunk_blocks
from ingestion.model import Limits
from ingestion.parsers import Block
from ingestion.pipeline import parse_bytes


def long_memo(sentence_count: int) -> str:
    return " ".join(f"Sentence number {n} says one plain thing about the plan." for n in range(sentence_count))


@pytest.mark.parametrize("target", [30, 60, 90, 150])
def test_passage_size_is_a_parameter_and_sentences_stay_whole(target: int) -> None:
    text = long_memo(80)
    document = parse_bytes(text.encode(), "memo.txt", limits=Limits(passage_words=target))
    for passage in document.passages:
        assert len(passage.text.split()) <= target
        assert passage.text.startswith("Sentence number ") and passage.text.endswith("about the plan.")
    rebuilt = " ".join(p.text for p in document.passages)
    assert rebuilt == text
    assert [p.ordinal for p in document.passages] == list(range(len(document.passages)))


def test_smaller_target_means_more_passages() -> None:
    text = long_memo(80).encode()
    counts = [len(parse_bytes(text, "memo.txt", limits=Limits(passage_words=n)).passages) for n in (40, 90, 200)]
    assert counts[0] > counts[1] > counts[2]


def test_one_very_long_sentence_is_kept_whole() -> None:
    sentence = "We will " + " and ".join(f"improve area {n}" for n in range(60)) + "."
    document = parse_bytes(sentence.encode(), "long.txt", limits=Limits(passage_words=90))
    assert [p.text for p in document.passages] == [sentence]


def test_an_unpunctuated_caption_dump_is_still_cut_into_citable_pieces() -> None:
    words = " ".join(f"word{n}" for n in range(2000))
    document = parse_bytes(words.encode(), "dump.txt", limits=Limits(passage_words=90))
    assert len(document.passages) > 10
    assert all(len(p.text.split()) <= 90 for p in document.passages)


def test_passages_never_cross_blocks_and_keep_their_speaker() -> None:
    blocks = [
        Block(text="I lead. " * 30, locator="turn 1", speaker="DANA", executive=True),
        Block(text="I ask. " * 30, locator="turn 2", speaker="SAM", executive=False),
    ]
    passages = chunk_blocks(blocks, Limits(passage_words=1000))
    assert [(p.speaker, p.executive, p.locator) for p in passages] == [
        ("DANA", True, "turn 1"),
        ("SAM", False, "turn 2"),
    ]


def test_paragraph_locators_become_ranges_when_a_passage_spans_paragraphs() -> None:
    text = "First point here.\n\nSecond point here.\n\nThird point here."
    document = parse_bytes(text.encode(), "points.txt")
    assert [(p.locator, p.text) for p in document.passages] == [
        ("\u00b6 1\u20133", "First point here.\nSecond point here.\nThird point here.")
    ]


def test_a_long_turn_is_split_into_several_passages_of_the_same_speaker() -> None:
    turn = " ".join(f"Point {n} is that we keep our promises to customers." for n in range(40))
    text = f"DANA: {turn}\n\nSAM: Thanks.\n\nDANA: One more thing.\n\nSAM: Sure.\n"
    document = parse_bytes(text.encode(), "meeting.txt", speaker_labels=["DANA"])
    dana = [p for p in document.passages if p.speaker == "DANA"]
    assert len(dana) >= 4
    assert all(p.executive for p in dana)
    assert all(p.locator == "turn 1" for p in dana[:-1])
