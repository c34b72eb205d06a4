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
_HEADER_KEYS = r"to|from|date|sent|re|subject|cc|bcc|memo to|memorandum to|memorandum for"
_MEMO_HEADER_LINE = re.compile(rf"^({_HEADER_KEYS})\s*:\s*(\S.{{0,200}})$", re.IGNORECASE)
# A header run together on one line ("To: All staff From: Dana Reyes Date: 5 May 2024"): where each field starts.
_RUN_ON_FIELD = re.compile(r"\s+(?=(?:From|To|Date|Sent|Subject|Re|CC|Cc|BCC|Bcc|FROM|TO|DATE|SENT|SUBJECT|RE)\s*:\s)")
# "MEMORANDUM" or "Internal memo" above the routing lines: a form's label, not speech.
_MEMO_LABEL = re.compile(r"^(?:internal|interoffice|inter-office|office)?\s*(?:memo|memorandum)\s*:?$", re.IGNORECASE)
# Which header key fills which metadata field.
_HEADER_FIELDS = {"to": "memo_to", "memo to": "memo_to", "memorandum to": "memo_to", "memorandum for": "memo_to",
                  "from": "memo_from", "date": "memo_date", "sent": "memo_date", "subject": "memo_subject",
                  "re": "memo_subject", "cc": "memo_cc", "bcc": "memo_bcc"}
# Paragraphs a header may follow at the top of a file: a form label or a short title line.
_LEADING_LINES = 2
_TITLE_WORDS = 14
_LONE_VALUE_WORDS = 12


def is_memo_header(text: str) -> bool:
    """Whether every line of a paragraph is a routing line, and there are at least two."""
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    return len(lines) >= 2 and all(_MEMO_HEADER_LINE.match(line) for line in lines)


def _header_fields(paragraph: str) -> list[tuple[str, str]] | None:
    """The (key, value) routing fields a paragraph consists of, or None if it is anything else."""
    lines = [line.strip() for line in paragraph.strip().split("\n") if line.strip()]
    if len(lines) == 1:
        pieces = _RUN_ON_FIELD.split(lines[0])
        if len(pieces) > 1 and all(_MEMO_HEADER_LINE.match(piece) for piece in pieces):
            lines = pieces
    fields = []
    for line in lines:
        match = _MEMO_HEADER_LINE.match(line)
        if not match:
            return None
        fields.append((" ".join(match.group(1).lower().split()), squash(match.group(2))))
    return fields or None


def _lone_field_is_header(key: str, value: str) -> bool:
    """A single routing line counts only when it cannot be prose: a real date, or a short address line."""
    if key in ("date", "sent"):
        return header_date(value) is not None
    if key in ("re", "subject"):
        return False
    return len(value.split()) <= _LONE_VALUE_WORDS and not value.endswith((".", "!", "?"))


def _is_title_line(paragraph: str) -> bool:
    """A short line without a sentence's ending, such as a memo's title above its routing lines."""
    text = paragraph.strip()
    return "\n" not in text and len(text.split()) <= _TITLE_WORDS and not text.endswith((".", "!", "?", ":"))


def drop_memo_header(blocks: list[Block]) -> tuple[list[Block], dict[str, str]]:
    """Remove the routing header (`To:`/`From:`/`Date:`/`Subject:` lines) at the top of a memo; return its fields.

    The header may follow a "MEMORANDUM" label (dropped too) or a short title line (kept). A lone field counts only
    when it cannot be prose ("From: Dana Reyes", "Date: 5 May 2024", not "Date: Tuesday was the deadline.").
    """
    first = next((i for i, block in enumerate(blocks) if block.text.strip()), None)
    if first is None:
        return blocks, {}
    block = blocks[first]
    paragraphs = block.text.split("\n\n")
    starts = [0]
    for para in paragraphs[:-1]:
        starts.append(starts[-1] + len(para) + 2)
    dropped: set[int] = set()
    fields: list[tuple[str, str]] = []
    index = 0
    while index < min(len(paragraphs), _LEADING_LINES + 1) and not fields:
        lead = paragraphs[index]
        run = index
        found: list[tuple[str, str]] = []
        while run < len(paragraphs) and (parsed := _header_fields(paragraphs[run])) is not None:
            found.extend(parsed)
            run += 1
        if found and (len(found) >= 2 or _lone_field_is_header(*found[0])):
            fields = found
            dropped.update(range(index, run))
            break
        if _MEMO_LABEL.match(lead.strip()):
            dropped.add(index)
        elif not _is_title_line(lead):
            break
        index += 1
    if not fields:
        return blocks, {}
    header: dict[str, str] = {}
    for key, value in fields:
        name = _HEADER_FIELDS.get(key, f"memo_{'_'.join(key.split())}")
        header[name] = f"{header[name]}; {value}" if name in header and name in ("memo_to", "memo_cc") else value
    kept = [i for i in range(len(paragraphs)) if i not in dropped]
    rest = blocks[first + 1:]
    if kept:
        rest = [_keep_paragraphs(block, paragraphs, starts, kept), *rest]
    return [*blocks[:first], *rest], header


def _keep_paragraphs(block: Block, paragraphs: list[str], starts: list[int], kept: list[int]) -> Block:
    """The block with only the kept paragraphs, its paragraph marks moved to where those now start."""
    marks: list[tuple[int, str]] = []
    offset = 0
    # "¶ N" counts the paragraphs a reader sees in the memo's body: the header lines that went to metadata no longer
    # count (the first body paragraph after To/From/Date is "¶ 1", not "¶ 4").
    dropped = {number for at, loc in block.marks
               if not any(starts[i] <= at < starts[i] + len(paragraphs[i]) for i in kept)
               and (number := _paragraph_number(loc)) is not None}
    for i in kept:
        start, end = starts[i], starts[i] + len(paragraphs[i])
        marks.extend((offset + at - start, _renumbered(loc, dropped)) for at, loc in block.marks if start <= at < end)
        offset += len(paragraphs[i]) + 2
    locator = block.locator
    if block.marks and block.locator == block.marks[0][1] and marks:
        locator = marks[0][1]
    return Block(text="\n\n".join(paragraphs[i] for i in kept), locator=locator, heading=block.heading,
                 speaker=block.speaker, executive=block.executive, marks=tuple(marks))


_PARAGRAPH_MARK = re.compile(r"^\u00b6 (\d+)$")


def _paragraph_number(locator: str) -> int | None:
    """N of a "¶ N" paragraph mark, else None."""
    found = _PARAGRAPH_MARK.match(locator)
    return int(found.group(1)) if found else None


def _renumbered(locator: str, dropped: set[int]) -> str:
    """A "¶ N" mark counted again without the dropped paragraphs before it; any other mark as it is."""
    number = _paragraph_number(locator)
    if number is None:
        return locator
    return f"\u00b6 {number - sum(1 for d in dropped if d < number)}"


_MONTHS = {name[:3].lower(): number for number, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"), 1)}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+(\d{{4}})\b", re.IGNORECASE)
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def date_of_match(match: re.Match[str] | None) -> dt.date | None:
    """The date a match's year, month and day groups name, if it matched and the date is real."""
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def header_date(value: str) -> dt.date | None:
    """The date a header names: "26 February 2024", "February 26, 2024", "2024-02-26" or an e-mail's date."""
    candidates: list[tuple[int, int, int]] = []
    if match := _ISO_DAY.search(value):
        candidates.append((int(match.group(1)), int(match.group(2)), int(match.group(3))))
    if match := _DAY_MONTH_YEAR.search(value):
        candidates.append((int(match.group(3)), _MONTHS[match.group(2)[:3].lower()], int(match.group(1))))
    if match := _MONTH_DAY_YEAR.search(value):
        candidates.append((int(match.group(3)), _MONTHS[match.group(1)[:3].lower()], int(match.group(2))))
    for year, month, day in candidates:
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return None
