"""The Messaging gaps page: themes of questions the twin could not answer, a chart to read at a glance, marking a
theme answered by a source. Plain forms and redirects; the CSV comes from the API (a browser session works there)."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from service.corpus import store
from service.errors import UnderstudyError
from service.http.auth import actor, current_viewer, page_role
from service.http.extension import commit, db, settings
from service.twin import gaps
from service.web.blueprint import curate_context, flash_failure, twin_or_404, web_bp

CHART_WEEKS = 12


def _since() -> tuple[dt.date | None, str | None]:
    """The page's `since` day, or an error message for one that is not a date."""
    raw = (request.values.get("since") or "").strip()
    if not raw:
        return None, None
    try:
        return dt.date.fromisoformat(raw), None
    except ValueError:
        return None, f"“{raw[:40]}” is not a date (YYYY-MM-DD): showing every question"


@web_bp.get("/curate/<slug>/gaps")
@page_role("curator")
def gaps_page(slug: str) -> str:
    """Messaging gaps: what employees ask that the sources cannot answer, by theme, biggest first."""
    twin = twin_or_404(slug)
    since, problem = _since()
    if problem:
        flash(problem, "error")
    viewer = current_viewer()
    found = gaps.gap_map(db(), settings(), twin, since=since, viewer=viewer)
    sources = [s for s in store.list_sources(db(), twin, status="approved", current_only=True)
               if viewer.sees(s.audience)]
    top = max((t.count for t in found.themes), default=0)
    weeks = found.weeks[-CHART_WEEKS:]
    peak = max((max(t.weekly[-CHART_WEEKS:], default=0) for t in found.themes), default=0)
    return render_template("gaps.html", **curate_context(twin, "gaps"), gap=found, since=since, sources=sources,
                           top=top, weeks=weeks, peak=peak, chart_weeks=CHART_WEEKS)


@web_bp.post("/curate/<slug>/gaps/<theme>/link")
@page_role("curator")
def gaps_link(slug: str, theme: str) -> WerkzeugResponse:
    """Mark a theme answered by an approved source."""
    twin = twin_or_404(slug)
    since, _ = _since()
    try:
        row = gaps.link_theme(db(), settings(), twin, theme, request.form.get("source_id", type=int) or 0,
                              actor=actor(), since=since, viewer=current_viewer(),
                              note=request.form.get("note", ""))
        commit()
        flash(f"“{row.name}” is marked answered: later questions that mean the same will show whether they were.",
              "info")
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message if request.form.get("source_id") else "choose the source that answers it", "error")
    return redirect(url_for("web.gaps_page", slug=slug, since=since.isoformat() if since else None))


@web_bp.post("/curate/<slug>/gaps/links/<int:link_id>/remove")
@page_role("curator")
def gaps_unlink(slug: str, link_id: int) -> WerkzeugResponse:
    """Take a theme link back: the theme is open again."""
    twin = twin_or_404(slug)
    with flash_failure():
        store.remove_gap_theme_link(db(), twin, link_id, actor=actor())
        commit()
        flash("The theme is open again.", "info")
    return redirect(url_for("web.gaps_page", slug=slug))
