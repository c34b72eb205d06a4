"""Sentences: where a text's sentences start and end, abbreviations, initials and numbers kept whole."""

from __future__ import annotations

import re

from textkit.stopwords import word_set

# Two splitters on purpose; merging them would move passage and quote boundaries. sentence_spans is for text
# whose lines are units (passages keep paragraphs and table rows on lines of their own; answers, pitches): every
# line break ends a sentence. wrapped_sentence_spans is for a source document's running text, cut into passages
# at ingestion: a single line break only wraps, a blank line ends a paragraph. The wrapped splitter also has its
# own abbreviation lists, takes only a capital as an initial (the other any letter), ends a sentence after
# "a.m.", "p.m." or "etc." before a capital (the other never), and lets a sentence open with an accented capital
# or several quotes and brackets (the other: A-Z or a digit after at most one).

# Table cells joined by " | " (how .docx and Markdown tables are kept searchable): data, never speech.
TABLE_ROW_RE = re.compile(r"\S\s+\|\s+\S|^\s*\|")


def is_table_row(sentence: str) -> bool:
    """Whether a sentence is a table row kept as text ("Depot | Urban vans | Electric today"): data, never quoted."""
    return bool(TABLE_ROW_RE.search(sentence))


def is_table_passage(text: str) -> bool:
    """Whether a passage holds only a table's rows."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(is_table_row(line) for line in lines)


ABBREVIATIONS = word_set("""
mr mrs ms dr st jr sr vs etc gen gov sen rep inc co ltd lt col capt sgt messrs hon rev prof fig vol pp
jan feb mar apr jun jul aug sep sept oct nov dec u.s u.s.a a.m p.m e.g i.e
""")
# A sentence also ends before a list dash or bullet run into the line ("Small bets, fast reads. - Put the same…").
_BOUNDARY_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+(?:\\?[-–—•*]+\s*)?[\"'“‘(\[]?[A-Z0-9])|\n\s*")
_TOKEN_BEFORE_RE = re.compile(r"([A-Za-z][A-Za-z.]*)$")

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


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in a text, trimmed of surrounding whitespace; a line break ends one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        end = match.end()
        if match.group(0).strip() and match.group(0)[0] == ".":
            before = _TOKEN_BEFORE_RE.search(text, max(0, match.start() - 40), match.start())
            token = before.group(1).lower() if before else ""
            numbered = token == "no" and text[match.end():match.end() + 2].strip()[:1].isdigit()
            # A lone letter is an initial ("J. Smith"), unless it is a figure's scale ("$310k.", "2m.").
            initial = len(token) == 1 and token.isalpha() and not text[max(0, match.start() - 2)].isdigit()
            if (token in ABBREVIATIONS or numbered or initial
                    or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token)):
                continue
        _append_span(text, start, end, spans)
        start = end
    _append_span(text, start, len(text), spans)
    return [_past_list_marker(text, a, b) for a, b in spans]


# A list's dash or bullet, or a transcriber's escaped dash ("\\--A check…"), is not part of the sentence it opens.
_LIST_MARKER_RE = re.compile(r"(?:\\?[-–—•*]+[ \t]+|\\?-{2,}(?=\w))")


def _past_list_marker(text: str, start: int, end: int) -> tuple[int, int]:
    marker = _LIST_MARKER_RE.match(text, start, end)
    return (marker.end(), end) if marker and marker.end() < end else (start, end)


def sentences(text: str) -> list[str]:
    """The sentences of a text, each an exact substring of it; a line break ends one."""
    return [text[a:b] for a, b in sentence_spans(text)]


# What a quote may not open on: a transcriber's dash or escape, a bullet, an ellipsis ("\\--A check of 45 counties…").
_LEADING_MARKS_RE = re.compile(r"[\\\-\u2013\u2014\u2022*.\u2026\s]*")


def quote_spans(text: str) -> list[tuple[int, int]]:
    """The sentence spans of `sentence_spans`, each opening on its first word: what an answer may quote (and what
    sentence vectors are stored for at ingestion, so that the two always agree)."""
    out = []
    for start, end in sentence_spans(text):
        start += len(_LEADING_MARKS_RE.match(text, start, end).group(0))  # type: ignore[union-attr]
        out.append((start, end))
    return out


def wrapped_sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of running text whose lines wrap; a paragraph break always ends a sentence."""
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
