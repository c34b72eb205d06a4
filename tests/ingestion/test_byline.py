"""A talk's byline ("Dana Reyes, Chief Executive Officer. Opening talk at …, 8 October 2025.") is kept apart from what
she said: its own passage, never the executive's words, and the document's `byline` metadata; no body text is lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingestion.model import ParsedDocument
from ingestion.parsers.byline import is_byline
from ingestion.pipeline import parse_bytes, parse_path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes"
DEMO_TALKS = sorted(DEMO.glob("*talk*.md")) + sorted(DEMO.glob("*keynote*.md"))


def words(text: str) -> list[str]:
    """The words a reader sees, without Markdown's marks."""
    return re.sub(r"[*_#]", " ", text).split()


def spoken(document: ParsedDocument) -> str:
    """Everything the document says the executive said."""
    return "\n".join(p.text for p in document.passages if p.executive)


@pytest.mark.parametrize("path", DEMO_TALKS, ids=lambda p: p.name)
def test_a_demo_talks_byline_is_not_her_words_and_no_word_of_the_talk_is_lost(path: Path) -> None:
    assert len(DEMO_TALKS) >= 2
    document = parse_path(path, kind="talk")
    byline = document.passages[0]
    assert byline.text.startswith("Dana Reyes, Chief Executive Officer.") and not byline.executive
    assert document.metadata["byline"] == byline.text
    assert "Chief Executive Officer" not in spoken(document)
    assert spoken(document).startswith("Good ")  # her first words open the first quotable passage
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert [w for p in document.passages for w in p.text.split()] == words("\n".join(lines))


def test_an_italic_byline_under_a_markdown_title_is_metadata_and_its_own_passage() -> None:
    text = ("# Building the Next Decade\n\n_Jo Park, Chief Operating Officer. Keynote at the Northwind Partner Summit,"
            " Lisbon, 12 March 2024._\n\nThank you for having me. We have three things to talk about today.\n")
    document = parse_bytes(text.encode(), "partner-summit.md", kind="talk")
    assert document.metadata["byline"].startswith("Jo Park, Chief Operating Officer. Keynote")
    first, *rest = document.passages
    assert not first.executive and first.speaker is None and "Lisbon, 12 March 2024" in first.text
    assert rest and all(p.executive for p in rest)
    assert spoken(document).startswith("Thank you for having me.")


def test_a_plain_text_talk_keeps_its_title_line_and_sets_the_dateline_apart() -> None:
    text = ("Remarks to the Graduating Class\n\nRiverside campus, Port Calder, 14 June 2024.\n\n"
            "Good afternoon, graduates. Today is yours.\n")
    document = parse_bytes(text.encode(), "graduation.txt", kind="talk")
    dateline = next(p for p in document.passages if "14 June 2024" in p.text)
    assert not dateline.executive and dateline.text == "Riverside campus, Port Calder, 14 June 2024."
    assert document.metadata["byline"] == dateline.text
    assert "Remarks to the Graduating Class" in spoken(document) and "Today is yours." in spoken(document)


@pytest.mark.parametrize("text", [
    "# Why 97%\n\n*Short version: we hit 97% on time on 8 October 2025.*\n\nHere is why it matters.\n",
    "# Principles\n\n*Lead with the customer, always.*\n\nEverything else follows.\n",
    "# Town hall\n\nGood morning, everyone, and welcome to the forum on 8 October 2025.\n\nLet us begin.\n",
    "# Results\n\nRevenue grew 12 percent between 1 January 2024 and 31 December 2024.\n\nMargins held.\n",
    "Chief Justice Roberts, President Carter, fellow citizens: thank you.\n\nToday we begin.\n",
])
def test_an_opening_line_in_the_speakers_own_voice_stays_hers(text: str) -> None:
    document = parse_bytes(text.encode(), "talk.md", kind="talk")
    assert all(p.executive for p in document.passages)
    assert "byline" not in document.metadata


@pytest.mark.parametrize(("filename", "mark"), [("memo.md", "**"), ("memo.txt", "")])
def test_a_memos_routing_header_is_still_taken_apart_not_mistaken_for_a_byline(filename: str, mark: str) -> None:
    text = (f"{mark}To:{mark} All staff\n{mark}From:{mark} Dana Reyes, CEO\n{mark}Date:{mark} Monday, 19 May 2025\n\n"
            "We will electrify the urban fleet in stages.\n")
    document = parse_bytes(text.encode(), filename)
    assert "byline" not in document.metadata and document.metadata["memo_from"] == "Dana Reyes, CEO"
    assert [p.text for p in document.passages] == ["We will electrify the urban fleet in stages."]


def test_a_document_that_is_only_a_byline_keeps_it_as_its_text() -> None:
    document = parse_bytes(b"# Notice\n\n*Jo Park, Chief Executive Officer, 3 May 2024.*\n", "notice.md")
    assert [p.executive for p in document.passages] == [True]
    assert "byline" not in document.metadata


def test_a_labelled_transcripts_turns_are_untouched() -> None:
    text = "Dana Reyes, Chief Executive Officer, 8 October 2025.\n\nDANA REYES: Welcome.\nMODERATOR: Thanks, Dana.\n"
    document = parse_bytes(text.encode(), "forum.txt", kind="transcript", speaker_labels=["DANA REYES"])
    assert "byline" not in document.metadata
    assert [p.speaker for p in document.passages if p.speaker] == ["DANA REYES", "MODERATOR"]


@pytest.mark.parametrize(("text", "emphasised", "expected"), [
    ("By Jo Park", False, True),
    ("Remarks by Jo Park at the Annual Meeting", False, True),
    ("Jo Park, CEO", False, True),
    ("Washington, December 29, 1840.", False, True),
    ("Keynote at the Lisbon Summit", True, True),
    ("Keynote at the Lisbon Summit", False, False),
    ("By the end of the year revenue grew.", False, False),
    ("Talk to the customer.", True, False),
    ("Mr. Kalb, your question to President Reagan.", False, False),
    ("Jo Park, the Chief Operating Officer, will be nominated to the board.", False, False),
])
def test_what_counts_as_a_byline(text: str, emphasised: bool, expected: bool) -> None:
    assert is_byline(text, emphasised=emphasised) is expected
