"""The pages' blueprint every page module registers on, what each page is given, and the lookups pages share."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, abort, flash
from markupsafe import Markup, escape

from service.corpus import store
from service.corpus.models import Source, Twin
from service.errors import UnderstudyError
from service.http.auth import current_user, current_viewer, has_role
from service.http.extension import db
from service.http.serialize import twin_dict
from textkit.sentences import is_table_row

web_bp = Blueprint("web", __name__)

CITATION_RE = re.compile(r"\[(\d{1,3})\]")
LIST_ITEM = "- "  # a line of an answer that starts so is an item of a list (a table's row, one a line)
CELL_SEPARATOR_RE = re.compile(r"\s+\|\s+")
AI_TWIN_RE = re.compile(r"\bAI twin\b", re.I)
AUDIT_LABELS = {"supersedes": "replaces", "superseded_by": "replaced by", "source_id": "source", "by": "given by",
                "from": "from", "to": "to", "sha256": "content digest"}


@web_bp.app_context_processor
def _page_context() -> dict[str, Any]:
    return {"user": current_user(), "may": has_role}


@web_bp.app_template_filter("audit_detail")
def audit_detail(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """An audit event's detail as (label, text) pairs people read: lists joined, empty values as none."""
    pairs: list[tuple[str, str]] = []
    for key, value in (detail or {}).items():
        if key == "nonce":
            continue
        label = AUDIT_LABELS.get(key, key.replace("_", " "))
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif value is None or value == "" or value == [] or value == {}:
            text = "none"
        elif isinstance(value, list | tuple):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            text = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
        elif key == "sha256":
            text = str(value)[:12] + "…"
        else:
            text = str(value)
        pairs.append((label, text))
    return pairs


@web_bp.app_template_filter("cited_in")
def cited_in(citations: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The citations the text shown cites by its [n] (a closing round's reaction: the summary's are listed under it)."""
    from service.rehearsal.engine import cited_in as cited_by

    return cited_by(text, citations)


@web_bp.app_template_filter("cited")
def cited(text: str, prefix: str = "c") -> Markup:
    """Answer text with each [n] turned into a link to its numbered footnote."""
    parts: list[str] = []
    last = 0
    for match in CITATION_RE.finditer(text or ""):
        parts.append(str(escape(text[last:match.start()])))
        n = match.group(1)
        parts.append(f'<sup class="cite"><a href="#{escape(prefix)}-{n}" aria-label="source {n}">[{n}]</a></sup>')
        last = match.end()
    parts.append(str(escape((text or "")[last:])))
    return Markup("".join(parts))


@web_bp.app_template_filter("answer_html")
def answer_html(text: str, prefix: str = "c") -> Markup:
    """Answer text as the page shows it: a run of lines that start "- " is a list, one item a line; the other lines
    are paragraphs that keep their line breaks; [n] are footnote links; all text escaped (shared.js renderAnswer)."""
    blocks: list[str] = []
    runs = [(is_item, list(run)) for is_item, run in
            itertools.groupby((text or "").split("\n"), key=lambda line: line.startswith(LIST_ITEM))]
    for at, (is_item, lines) in enumerate(runs):
        if is_item:
            items = "".join(f"<li>{cited(line[len(LIST_ITEM):].strip(), prefix)}</li>" for line in lines)
            blocks.append(f'<ul class="answer-list">{items}</ul>')
            continue
        # The line that heads a list ("The plan by depot [2]:") stands apart from the sentences above it.
        caption = lines.pop() if at + 1 < len(runs) and lines and lines[-1].rstrip().endswith(":") else None
        if paragraph := "\n".join(lines).strip("\n"):
            blocks.append(f"<p>{cited(paragraph, prefix)}</p>")
        if caption is not None:
            blocks.append(f'<p class="answer-caption">{cited(caption.strip(), prefix)}</p>')
    return Markup("".join(blocks))


@web_bp.app_template_filter("quote_html")
def quote_html(quote: str) -> Markup:
    """A quoted passage one line to an element, so a table's rows ("Depot | Vans | Electric") stay one a line and
    their cells read apart; all text escaped (shared.js renderQuote)."""
    lines: list[str] = []
    for line in (quote or "").split("\n"):
        if not line.strip():
            continue
        if is_table_row(line):
            cells = ' <span class="cell-sep">|</span> '.join(str(escape(c)) for c in CELL_SEPARATOR_RE.split(line.strip()))
            lines.append(f'<span class="quote-line table-row">{cells}</span>')
        else:
            lines.append(f'<span class="quote-line">{escape(line)}</span>')
    return Markup("".join(lines))


@web_bp.app_template_filter("disclaimer_html")
def disclaimer_html(disclaimer: str) -> Markup:
    """The AI-twin disclaimer saying "AI twin" once, in bold: the whole of it when its own words say so (the default,
    "AI twin of Dana Reyes, …"), else after a bold "AI twin." lead."""
    text = (disclaimer or "").strip()
    if AI_TWIN_RE.search(text):
        return Markup(f"<strong>{escape(text)}</strong>")
    return Markup(f"<strong>AI twin.</strong> {escape(text)}".rstrip())


def disclaimer_line(disclaimer: str) -> str:
    """The disclaimer as plain text, saying "AI twin" once (led by "AI twin." when its own words do not say so)."""
    text = (disclaimer or "").strip()
    return text if AI_TWIN_RE.search(text) else f"AI twin. {text}".strip()


@contextlib.contextmanager
def flash_failure() -> Iterator[None]:
    """Run a change; if it raises an UnderstudyError, roll the session back and flash its message instead."""
    try:
        yield
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")


def all_twins() -> list[Twin]:
    """Every twin, for the pages' twin pickers."""
    return store.list_twins(db())


def choose_twin(twins: list[Twin], slug: str | None) -> tuple[Twin | None, bool]:
    """The twin a page opens on, and whether it has approved sources this viewer may see: the one asked for, else
    the first that can answer from sources they see, else the first that can answer at all."""
    viewer = current_viewer()
    approved = store.approved_audiences_by_twin(db())

    def sees_some(twin: Twin) -> bool:
        return any(viewer.sees(a) for a in approved.get(twin.id, ()))

    available = [t for t in twins if t.has_consent and not t.paused]
    twin = (next((t for t in twins if t.slug == slug), None) or next((t for t in available if sees_some(t)), None)
            or (available[0] if available else None))
    return twin, twin is not None and sees_some(twin)


def twin_or_404(slug: str) -> Twin:
    """The twin with this slug, or the 404 page."""
    try:
        return store.get_twin(db(), slug)
    except UnderstudyError:
        abort(404)


def source_or_404(source_id: int) -> Source:
    """The source with this id, or the 404 page."""
    try:
        return store.get_source(db(), source_id)
    except UnderstudyError:
        abort(404)


def list_field(value: str) -> list[str]:
    """A form field of items separated by commas or lines."""
    return [part.strip() for part in re.split(r"[,\n]", value or "") if part.strip()]


def curate_context(twin: Twin, tab: str) -> dict[str, Any]:
    """What every console page shows around its tab: the twin and the twin picker."""
    return {"nav": "curate", "tab": tab, "twin": twin_dict(twin), "twins": [twin_dict(t) for t in all_twins()]}
