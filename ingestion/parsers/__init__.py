"""Format parsers: each turns a file's bytes into blocks that chunking cuts into passages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A run of text no passage may cross: a page, a heading section, one speaker's turn."""

    text: str
    locator: str
    heading: str | None = None
    speaker: str | None = None
    # None lets the pipeline decide from the speaker labels it was given.
    executive: bool | None = None
    # (character offset, locator) where a new locator starts inside `text`: paragraphs, cue times.
    marks: tuple[tuple[int, str], ...] = ()


@dataclass
class ParsedFile:
    """What a parser found: blocks in reading order plus whatever metadata the format carries."""

    blocks: list[Block]
    title: str | None = None
    date: dt.date | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # True when the file holds speaker turns (a transcript), whatever its suffix.
    has_turns: bool = False


def join_paragraphs(
    paragraphs: Sequence[tuple[str, str]],
    *,
    locator: str | None = None,
    heading: str | None = None,
    speaker: str | None = None,
    executive: bool | None = None,
) -> Block | None:
    """One block from (locator, text) paragraphs, marking where each paragraph starts; None if no text."""
    parts: list[str] = []
    marks: list[tuple[int, str]] = []
    offset = 0
    for para_locator, text in paragraphs:
        text = text.strip()
        if not text:
            continue
        if parts:
            offset += 2
        marks.append((offset, para_locator))
        parts.append(text)
        offset += len(text)
    if not parts:
        return None
    return Block(
        text="\n\n".join(parts),
        locator=locator or marks[0][1],
        heading=heading,
        speaker=speaker,
        executive=executive,
        marks=tuple(marks) if locator is None else (),
    )


_NON_WORD = re.compile(r"[^\w\s]+")


def speaker_key(label: str) -> str:
    """Compare speaker names case-, punctuation- and spacing-insensitively ("THE. PRESIDENT" = "The President")."""
    return " ".join(_NON_WORD.sub(" ", label).upper().split())


def squash(text: str) -> str:
    """Collapse runs of whitespace into single spaces."""
    return " ".join(text.split())


# Memo routing lines ("To: All staff", "From: …", "Date: …") are addressing, not the executive's words.
_MEMO_HEADER_LINE = re.compile(r"^(to|from|date|re|subject|cc|bcc|memo to|memorandum to)\s*:\s*\S.{0,200}$", re.IGNORECASE)


def is_memo_header(text: str) -> bool:
    """Whether every line of a paragraph is a routing line, and there are at least two."""
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    return len(lines) >= 2 and all(_MEMO_HEADER_LINE.match(line) for line in lines)


def drop_memo_header(blocks: list[Block]) -> tuple[list[Block], dict[str, str]]:
    """Remove a routing header (two or more `To:`/`From:`/`Date:` paragraphs) opening the first block."""
    first = next((i for i, block in enumerate(blocks) if block.text.strip()), None)
    if first is None:
        return blocks, {}
    block = blocks[first]
    paragraphs = block.text.split("\n\n")
    count = 0
    while count < len(paragraphs) and _MEMO_HEADER_LINE.match(paragraphs[count].strip()):
        count += 1
    if count < 2:
        return blocks, {}
    header = {}
    for line in paragraphs[:count]:
        name, _, value = line.partition(":")
        header[f"memo_{'_'.join(name.lower().split())}"] = squash(value)
    rest = blocks[first + 1:]
    if count < len(paragraphs):
        cut = sum(len(p) + 2 for p in paragraphs[:count])
        marks = tuple((offset - cut, loc) for offset, loc in block.marks if offset >= cut)
        locator = marks[0][1] if block.marks and block.locator == block.marks[0][1] and marks else block.locator
        rest = [Block(text=block.text[cut:], locator=locator, heading=block.heading, speaker=block.speaker,
                      executive=block.executive, marks=marks), *rest]
    return [*blocks[:first], *rest], header
