"""Cut blocks into passages a person would cite: whole sentences, one speaker, never across a block."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

from ingestion.model import IngestError, Limits, ParsedPassage
from ingestion.parsers import Block

# A passage shorter than this carries its neighbours' words as retrieval context.
SHORT_PASSAGE_WORDS = 25
# A "sentence" longer than this many passages (an unpunctuated caption dump) is cut at clause marks.
RUN_ON_FACTOR = 3

# Abbreviations whose period never ends a sentence.
_ALWAYS_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "messrs", "mme", "mlle", "dr", "prof", "rev", "hon", "sen", "sens", "rep", "reps", "gov", "gen", "lt", "col", "maj", "capt", "cmdr", "cdr", "adm", "sgt", "cpl", "pvt", "amb", "pres", "supt", "st", "mt", "ft", "jr", "sr", "esq", "vs", "v", "inc", "ltd", "co", "corp", "bros", "dept", "univ", "assn", "approx", "cf", "ca", "al"]
)
# Abbreviations that only bind to a following number ("No. 5", "Jan. 12", "p. 3").
_NUMBER_ABBREVIATIONS = frozenset(
    ["no", "nos", "vol", "vols", "fig", "figs", "p", "pp", "ch", "art", "sec", "sect", "para", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "op", "ed", "eds", "tel", "ext"]
)
_SPLIT_AFTER_DOTTED = frozenset({"a.m", "p.m", "etc"})

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# A sentence ends at . ! ? or an ellipsis, perhaps closed by quotes or brackets, before a capital or digit.
_SENTENCE_END = re.compile(r"""[.!?\u2026]+["'\u201d\u2019)\]]*(?=\s+["'\u201c\u2018(\[]*[A-Z0-9\u00c0-\u00de])""")
_WORD = re.compile(r"\S+")
_CLAUSE_MARK = re.compile(r"[;:,\u2014]\s")
_PARAGRAPH_LOCATOR = re.compile(r"\u00b6 (\d+)$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in `text`; a paragraph break always ends a sentence."""
    spans: list[tuple[int, int]] = []
    para_start = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        _sentences_in(text, para_start, brk.start(), spans)
        para_start = brk.end()
    _sentences_in(text, para_start, len(text), spans)
    return spans


def _sentences_in(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Append the sentence spans of one paragraph."""
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        stop = match.end()
        if text[match.start()] == "." and match.group().count(".") == 1 and _is_abbreviation(text, match.start()):
            continue
        _append_span(text, cursor, stop, spans)
        cursor = stop
    _append_span(text, cursor, end, spans)


def _append_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Append [start, end) trimmed of whitespace, if anything is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial rather than a sentence."""
    begin = dot
    floor = max(0, dot - 24)
    while begin > floor and not text[begin - 1].isspace():
        begin -= 1
    token = text[begin:dot].lstrip("\"'(\u201c\u2018[")
    if not token:
        return False
    if len(token) == 1 and token.isalpha() and token.isupper():
        return True  # an initial: "John F. Kennedy"
    lowered = token.lower()
    if "." in token:
        return lowered not in _SPLIT_AFTER_DOTTED  # "U.S.", "e.g.", but "5 p.m. Then"
    if lowered in _ALWAYS_ABBREVIATIONS:
        return True
    if lowered in _NUMBER_ABBREVIATIONS:
        nxt = dot + 1
        while nxt < len(text) and text[nxt].isspace():
            nxt += 1
        return nxt < len(text) and text[nxt].isdigit()
    return False


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
    for start, end in split_sentences(block.text):
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
    """The locator of a passage spanning [start, end): its first mark, or a paragraph range "¶ 3–4"."""
    if not block.marks:
        return block.locator
    first = bisect.bisect_right(offsets, start) - 1
    last = bisect.bisect_left(offsets, end) - 1
    first_locator = block.marks[first][1] if first >= 0 else block.locator
    if last <= first:
        return first_locator
    last_locator = block.marks[last][1]
    low = _PARAGRAPH_LOCATOR.match(first_locator)
    high = _PARAGRAPH_LOCATOR.match(last_locator)
    if low and high and low.group(1) != high.group(1):
        return f"\u00b6 {low.group(1)}\u2013{high.group(1)}"
    return first_locator
