"""Word .docx: headings make `§ Heading` sections, tables are read row by row.

The caller has already checked the zip (ingestion.limits.check_docx_bytes) before this opens it.
"""

from __future__ import annotations

import datetime as dt
import io

from docx.table import Table
from docx.text.paragraph import Paragraph

from ingestion.parsers import ParsedFile, is_memo_header, squash
from ingestion.parsers.text import SectionBuilder

# python-docx's blank template carries these; they describe the template, not the document.
_TEMPLATE_CREATED = dt.datetime(2013, 12, 23, 23, 15, tzinfo=dt.UTC)
_TEMPLATE_AUTHORS = frozenset({"python-docx"})
_TEMPLATE_TITLES = frozenset({"word document"})


def parse_docx(data: bytes) -> ParsedFile:
    """Paragraphs and tables in body order; title and date from the core properties."""
    import docx

    document = docx.Document(io.BytesIO(data))
    builder = SectionBuilder()
    title_paragraph: str | None = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in _table_rows(item):
                builder.paragraph(row)
            continue
        text = item.text
        if not text or not text.strip():
            continue
        style = _style_name(item)
        if style == "title":
            if title_paragraph is None:
                title_paragraph = squash(text)
            continue
        if style.startswith("heading"):
            builder.heading(text)
        elif is_memo_header(text):
            for line in text.split("\n"):  # routing lines kept apart by soft line breaks stay apart
                builder.paragraph(line)
        else:
            builder.paragraph(text)
    blocks = builder.finish()
    props = document.core_properties
    metadata: dict[str, str] = {}
    author = (props.author or "").strip()
    if author and author not in _TEMPLATE_AUTHORS:
        metadata["author"] = author
    for key, value in (("subject", props.subject), ("keywords", props.keywords), ("category", props.category)):
        if value and value.strip():
            metadata[key] = value.strip()
    title = (props.title or "").strip()
    if title.lower() in _TEMPLATE_TITLES:
        title = ""
    created = props.created
    date = None
    if created is not None and _as_utc(created) != _TEMPLATE_CREATED:
        date = created.date()
    return ParsedFile(
        blocks=blocks,
        title=title or title_paragraph or builder.first_heading,
        date=date,
        metadata=metadata,
    )


def _style_name(paragraph: Paragraph) -> str:
    """The paragraph's style name in lower case ("heading 1", "title", "normal")."""
    try:
        style = paragraph.style
    except (KeyError, ValueError, AttributeError):
        return ""
    name = getattr(style, "name", None) or ""
    return str(name).strip().lower()


def _table_rows(table: Table) -> list[str]:
    """Each row as "cell | cell | cell", a merged cell once."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:
                continue  # a merged cell repeats across the columns it spans
            previous = cell._tc
            text = squash(cell.text)
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _as_utc(moment: dt.datetime) -> dt.datetime:
    """A datetime in UTC; naive ones are taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
