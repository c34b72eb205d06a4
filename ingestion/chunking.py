"""Cut blocks into passages a person would cite: whole sentences, one speaker, never across a block."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

from ingestion.model import IngestError, Limits, ParsedPassage
from ingestion.parsers import Block
from textkit.sentences import wrapped_sentence_spans

# A passage shorter than this carries its neighbours' words as retrieval context.
SHORT_PASSAGE_WORDS = 25
# A "sentence" longer than this many passages (an unpunctuated caption dump) is cut at clause marks.
RUN_ON_FACTOR = 3

_WORD = re.compile(r"\S+")
_CLAUSE_MARK = re.compile(r"[;:,\u2014]\s")
# Locators that name a range when a passage spans several: paragraphs, and a speaker's turns run on after "Mm-hmm.".
_RANGED_LOCATOR = re.compile(r"(\u00b6|turn) (\d+)$")


def chunk_blocks(blocks: Iterable[Block], limits: Limits) -> list[ParsedPassage]:
    """Passages in reading order, ordinals 0..n-1; a block whose executive flag is None counts as the executive's."""
    target = max(1, limits.passage_words)
    drafts: list[tuple[str, str, Block, bool]] = []
    for block in blocks:
        executive = True if block.executive is None else block.executive
        for text, locator in _passages_of_block(block, target):
            drafts.append((text, locator, block, executive))
            if len(drafts) > limits.max_passages:
                raise IngestError(
                    "too_many_passages",
                    f"the file yields more than {limits.max_passages:,} passages; split it into smaller files.",
                )
    counts = [len(text.split()) for text, _, _, _ in drafts]
    passages: list[ParsedPassage] = []
    half = max(1, target // 2)
    for ordinal, (text, locator, block, executive) in enumerate(drafts):
        context = ""
        if counts[ordinal] < SHORT_PASSAGE_WORDS:
            before = drafts[ordinal - 1][0].split()[-half:] if ordinal > 0 else []
            after = drafts[ordinal + 1][0].split()[:half] if ordinal + 1 < len(drafts) else []
            context = " \u2026 ".join(part for part in (" ".join(before), " ".join(after)) if part)
        passages.append(
            ParsedPassage(
                ordinal=ordinal,
                text=text,
                locator=locator,
                speaker=block.speaker,
                executive=executive,
                heading=block.heading,
                context=context,
            )
        )
    return passages


def _passages_of_block(block: Block, target: int) -> list[tuple[str, str]]:
    """(text, locator) of each passage in one block: whole sentences packed to about `target` words."""
    units: list[tuple[int, int, int]] = []  # (start, end, words)
    for start, end in wrapped_sentence_spans(block.text):
        words = _count_words(block.text, start, end)
        if words > RUN_ON_FACTOR * target:
            units.extend(_cut_run_on(block.text, start, end, target))
        else:
            units.append((start, end, words))
    if not units:
        return []
    groups = _pack(block.text, units, target)
    offsets = [offset for offset, _ in block.marks]
    out: list[tuple[str, str]] = []
    for group in groups:
        parts: list[str] = []
        previous_end = -1
        for start, end, _ in group:
            if parts:
                # Sentences of one paragraph run on; a new paragraph (or table row) starts a new line.
                parts.append("\n" if block.text.count("\n", previous_end, start) >= 2 else " ")
            parts.append(" ".join(block.text[start:end].split()))
            previous_end = end
        out.append(("".join(parts), _locator_for(block, offsets, group[0][0], group[-1][1])))
    return out


def _pack(text: str, units: list[tuple[int, int, int]], target: int) -> list[list[tuple[int, int, int]]]:
    """Group consecutive sentences into passages of about the same size, none over `target` words
    (unless one sentence is), preferring to break between paragraphs: a small dynamic programme."""
    count = len(units)
    total = sum(words for _, _, words in units)
    ideal = total / max(1, -(-total // target))
    # Breaking inside a paragraph costs as much as a passage being a fifth off its ideal size.
    mid_paragraph = (0.2 * ideal) ** 2
    paragraph_break = [True] + [text.count("\n", units[i - 1][1], units[i][0]) >= 2 for i in range(1, count)]
    best = [0.0] + [float("inf")] * count
    start_of = [0] * (count + 1)
    for end in range(1, count + 1):
        words = 0
        for start in range(end - 1, -1, -1):
            words += units[start][2]
            if words > target and start < end - 1:
                break
            cost = best[start] + (words - ideal) ** 2 + (0.0 if paragraph_break[start] else mid_paragraph)
            if cost < best[end]:
                best[end] = cost
                start_of[end] = start
    groups: list[list[tuple[int, int, int]]] = []
    end = count
    while end > 0:
        groups.append(units[start_of[end]:end])
        end = start_of[end]
    groups.reverse()
    return groups


def _count_words(text: str, start: int, end: int) -> int:
    """Whitespace-separated words in text[start:end]."""
    return len(text[start:end].split())


def _cut_run_on(text: str, start: int, end: int, target: int) -> list[tuple[int, int, int]]:
    """Cut an overlong unpunctuated run into pieces of about `target` words, at a clause mark when there is one."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    pieces: list[tuple[int, int, int]] = []
    index = 0
    while index < len(words):
        stop = min(len(words), index + target)
        if stop < len(words):
            # Prefer the last clause mark in the back half of the window.
            for probe in range(stop - 1, index + target // 2, -1):
                if text[words[probe][1] - 1] in ";:,\u2014":
                    stop = probe + 1
                    break
        pieces.append((words[index][0], words[stop - 1][1], stop - index))
        index = stop
    return pieces


def _locator_for(block: Block, offsets: Sequence[int], start: int, end: int) -> str:
    """The locator of a passage spanning [start, end): its first mark, or a range "¶ 3–4", "turn 12–14"."""
    if not block.marks:
        return block.locator
    first = bisect.bisect_right(offsets, start) - 1
    last = bisect.bisect_left(offsets, end) - 1
    first_locator = block.marks[first][1] if first >= 0 else block.locator
    if last <= first:
        return first_locator
    last_locator = block.marks[last][1]
    low = _RANGED_LOCATOR.match(first_locator)
    high = _RANGED_LOCATOR.match(last_locator)
    if low and high and low.group(1) == high.group(1) and low.group(2) != high.group(2):
        return f"{low.group(1)} {low.group(2)}\u2013{high.group(2)}"
    return first_locator
