"""Plain text, Markdown and HTML: paragraphs, with headings giving `§ Heading` sections."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from ingestion.parsers import (
    Block,
    ParsedFile,
    _is_title_line,
    date_of_match,
    is_memo_header,
    join_paragraphs,
    squash,
)
from ingestion.parsers.byline import is_byline

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
# "Date: …", "Venue: …": a labelled field line, which is never taken for a byline here.
_FIELD_LINE = re.compile(r"^\w[\w ]{0,24}:\s")
_LINE_BREAKS = re.compile(r"\r\n?")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: blank-line separated, or one a line when the text has no blank lines."""
    text = _LINE_BREAKS.sub("\n", text)
    chunks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    if chunks and is_memo_header(chunks[0]):
        # A routing header keeps one line a paragraph, so the pipeline can take it apart from the prose.
        chunks = chunks[0].split("\n") + chunks[1:]
    return [para for para in (squash(chunk) for chunk in chunks) if para]


def parse_plain_text(text: str) -> ParsedFile:
    """A text without structure: one block, each paragraph located as `¶ N`; a byline at the top is a block apart."""
    paragraphs = [(f"\u00b6 {n}", para) for n, para in enumerate(split_paragraphs(text), 1)]
    at = _byline_index([para for _, para in paragraphs])
    if at is None:
        block = join_paragraphs(paragraphs)
        return ParsedFile(blocks=[block] if block else [])
    blocks = [join_paragraphs(paragraphs[:at]), join_paragraphs(paragraphs[at:at + 1], executive=False),
              join_paragraphs(paragraphs[at + 1:])]
    return ParsedFile(blocks=[block for block in blocks if block], metadata={"byline": paragraphs[at][1]})


def _byline_index(paragraphs: list[str]) -> int | None:
    """Which opening paragraph of a plain text is a byline (the first, or the one under a title line), if any."""
    for index in range(min(2, len(paragraphs) - 1)):  # a byline comes before some body text
        para = paragraphs[index]
        if not _FIELD_LINE.match(para) and is_byline(para):
            return index
        if not _is_title_line(para):
            break
    return None


class SectionBuilder:
    """Collects paragraphs under headings: `¶ N` before the first heading, `§ Heading` after."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.first_heading: str | None = None
        self._heading: str | None = None
        self._paragraphs: list[tuple[str, str]] = []
        self._count = 0
        self.bylines: list[str] = []

    @property
    def at_opening(self) -> bool:
        """Whether no paragraph has been added yet (headings may have been)."""
        return self._count == 0

    def heading(self, text: str) -> None:
        """Start a new section."""
        text = squash(text)
        if not text:
            return
        self._flush()
        self._heading = text
        if self.first_heading is None:
            self.first_heading = text

    def paragraph(self, text: str) -> None:
        """Add a paragraph to the current section."""
        text = squash(text)
        if text:
            self._count += 1
            self._paragraphs.append((f"\u00b6 {self._count}", text))

    def byline(self, text: str) -> None:
        """Add a byline ("Dana Reyes, CEO. Town hall, 30 January 2025."): a block apart, not the speaker's words."""
        text = squash(text)
        if not text:
            return
        self._flush()
        self._paragraphs.append((f"\u00b6 {self._count + 1}", text))
        self._count += 1
        self._flush(executive=False)
        self.bylines.append(text)

    def finish(self) -> list[Block]:
        """The blocks, in reading order; a byline with nothing after it is the text itself."""
        self._flush()
        if self.bylines and all(block.executive is False for block in self.blocks):
            self.blocks = [dataclasses.replace(block, executive=None) for block in self.blocks]
            self.bylines = []
        return self.blocks

    def _flush(self, executive: bool | None = None) -> None:
        if not self._paragraphs:
            return
        if self._heading is None:
            block = join_paragraphs(self._paragraphs, executive=executive)
        else:
            block = join_paragraphs(self._paragraphs, locator=f"\u00a7 {self._heading}", heading=self._heading,
                                    executive=executive)
        if block is not None:
            self.blocks.append(block)
        self._paragraphs = []


# --- Markdown -------------------------------------------------------------------------------------------

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_FRONT_MATTER_FIELD = re.compile(r"^(\w[\w-]*)\s*:\s*(.*?)\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_QUOTE_MARKER = re.compile(r"^\s*(?:>\s?)+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_CODE_SPAN = re.compile(r"`+([^`]*)`+")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]{0,200}>")
_HR = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
# A line wholly in italics or bold ("*Dana Reyes, CEO. Town hall, 30 January 2025.*").
_EMPHASISED_LINE = re.compile(r"^\s*(\*{1,2}|_{1,2})(?=\S)(?!\1).*\S\1\s*$")


def _inline_markdown(text: str) -> str:
    """Markdown inline syntax reduced to the words a reader sees."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _CODE_SPAN.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _HTML_TAG.sub("", text)
    return text


def parse_markdown(text: str) -> ParsedFile:
    """Markdown: `#` and underlined headings make sections; YAML front matter may give title and date."""
    lines = _LINE_BREAKS.sub("\n", text).split("\n")
    front: dict[str, str] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        for index in range(1, min(len(lines), 200)):
            if lines[index].strip() in ("---", "..."):
                for line in lines[1:index]:
                    match = _FRONT_MATTER_FIELD.match(line)
                    if match:
                        front[match.group(1).lower()] = match.group(2).strip("\"'")
                start = index + 1
                break
    builder = SectionBuilder()
    para: list[str] = []
    in_fence = False

    def flush() -> None:
        if para and builder.at_opening:
            lines = [_inline_markdown(line) for line in para]
            emphasised = all(_EMPHASISED_LINE.match(line) for line in para)
            if not any(_FIELD_LINE.match(line.strip()) for line in lines) and is_byline(" ".join(lines),
                                                                                        emphasised=emphasised):
                builder.byline(" ".join(lines))
                para.clear()
        if para:
            lines = [_inline_markdown(line) for line in para]
            # Routing lines on consecutive lines ("**To:** All staff", "**From:** …") stay one a paragraph.
            for text in lines if is_memo_header("\n".join(lines)) else [" ".join(lines)]:
                builder.paragraph(text)
            para.clear()

    for index in range(start, len(lines)):
        line = lines[index]
        if _FENCE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue  # code is not the executive's prose
        heading = _ATX_HEADING.match(line)
        if heading:
            flush()
            builder.heading(_inline_markdown(heading.group(2)))
            continue
        underline = _SETEXT_UNDERLINE.match(line)
        if underline and len(para) == 1 and not _LIST_MARKER.match(para[0]):
            builder.heading(_inline_markdown(para.pop()))
            continue
        if not line.strip() or _HR.match(line) or _TABLE_RULE.match(line):
            flush()
            continue
        if _LIST_MARKER.match(line) or line.lstrip().startswith("|"):
            flush()  # each list item or table row reads as its own paragraph
            cleaned = _LIST_MARKER.sub("", line)
            if cleaned.lstrip().startswith("|"):
                cleaned = " | ".join(cell.strip() for cell in cleaned.strip().strip("|").split("|") if cell.strip())
            para.append(cleaned)
            flush()
            continue
        para.append(_QUOTE_MARKER.sub("", line))
    flush()
    parsed = ParsedFile(blocks=builder.finish(), title=front.get("title") or builder.first_heading)
    if front.get("date"):
        parsed.date = parse_loose_date(front["date"])
    for key in ("author", "description"):
        if front.get(key):
            parsed.metadata[key] = front[key]
    if builder.bylines:
        parsed.metadata["byline"] = " ".join(builder.bylines)
    return parsed


# --- HTML -------------------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "body", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption"]
)
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object", "canvas"})


def parse_html(text: str) -> ParsedFile:
    """HTML: visible text by block element, `h1`-`h6` make sections; title and date from <head>."""
    soup = make_soup(text)
    title = None
    date = None
    metadata: dict[str, str] = {}
    title_tag = soup.find("title")
    if title_tag is not None:
        title = squash(title_tag.get_text(" ")) or None
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or meta.get("property") or "").lower()
        content = str(meta.get("content") or "").strip()
        if not content:
            continue
        if name in ("date", "dc.date", "dcterms.date", "article:published_time", "dc.date.created") and date is None:
            date = parse_loose_date(content)
        elif name in ("author", "dc.creator") and "author" not in metadata:
            metadata["author"] = content
        elif name in ("og:title", "dc.title") and title is None:
            title = content
    builder = SectionBuilder()
    for kind, value in html_paragraphs(soup):
        if kind == "heading":
            builder.heading(value)
        else:
            builder.paragraph(value)
    return ParsedFile(blocks=builder.finish(), title=title or builder.first_heading, date=date, metadata=metadata)


def make_soup(text: str) -> BeautifulSoup:
    """A BeautifulSoup tree, with lxml when it is installed."""
    try:
        return BeautifulSoup(text, "lxml")
    except Exception:  # the lxml tree builder is optional
        return BeautifulSoup(text, "html.parser")


def html_paragraphs(root: Tag, drop: Callable[[Tag], bool] | None = None) -> Iterator[tuple[str, str]]:
    """("heading" | "paragraph", text) in reading order; `drop(tag)` may skip whole subtrees (quoted replies)."""
    skipped = (Comment, Declaration, Doctype, ProcessingInstruction)
    parts: list[str] = []
    # An explicit stack, not recursion: hostile HTML can nest thousands deep.
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, Tag):
            name = (node.name or "").lower()
            if leaving:
                if name in _HEADING_TAGS:
                    text = squash("".join(parts))
                    parts.clear()
                    if text:
                        yield "heading", text
                elif name in _BLOCK_TAGS:
                    if name in ("td", "th"):
                        parts.append(" | ")
                        continue
                    text = squash("".join(parts))
                    if name == "tr":
                        text = _clean_cells(text)
                    parts.clear()
                    if text:
                        yield "paragraph", text
                continue
            if name in _DROP_TAGS or (drop is not None and drop(node)):
                continue
            if name == "br":
                parts.append("\n")
                continue
            if (name in _BLOCK_TAGS or name in _HEADING_TAGS) and name not in ("td", "th"):
                text = squash("".join(parts))
                parts.clear()
                if text:
                    yield "paragraph", text
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, skipped):
            parts.append(str(node))
    text = squash("".join(parts))
    if text:
        yield "paragraph", text


def _clean_cells(text: str) -> str:
    """Tidy the cell separators of a table row: no leading, trailing or doubled bars."""
    if "|" not in text:
        return text
    cells = [cell.strip() for cell in text.split("|")]
    return " | ".join(cell for cell in cells if cell)


# --- Dates --------------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_loose_date(value: str) -> dt.date | None:
    """The first YYYY-MM-DD in a string, if it is a real date."""
    return date_of_match(_ISO_DATE.search(value))
