"""Dated positions in the console: on a source's page, the later sources that revise its position (marked by a
curator, or found by meaning), marking "superseded by a later source" and withdrawing a mark. Plain forms."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from service.corpus import revisions, store
from service.http.auth import actor, current_viewer, page_role, require_audience
from service.http.extension import commit, db, settings
from service.twin.positions import revision_report
from service.web.blueprint import flash_failure, source_or_404, web_bp


@web_bp.app_template_global()
def source_positions(source_id: int) -> dict[str, Any]:
    """For the source page: its revisions report and the later approved sources a curator may mark as revising it."""
    source = source_or_404(source_id)
    viewer = current_viewer()
    report = revision_report(db(), settings(), source, viewer)
    later = [s for s in store.later_sources(db(), source) if viewer.sees(s.audience)]
    marked = {link["source_id"] for link in report["revised_by"]}
    return {**report, "candidates": [{"id": s.id, "title": s.title, "date": s.date.isoformat() if s.date else ""}
                                     for s in later if s.id not in marked]}


@web_bp.post("/curate/sources/<int:source_id>/revisions")
@page_role("curator")
def mark_revision(source_id: int) -> WerkzeugResponse:
    """Mark this source's position as superseded by a later source's."""
    source = source_or_404(source_id)
    require_audience(source.audience)
    chosen = request.form.get("revised_by", "").strip()
    if not chosen.isdigit():
        flash("Nothing was marked: choose the newer source whose position supersedes this one.", "error")
        return redirect(url_for("web.source_page", source_id=source_id) + "#positions")
    later_id = int(chosen)
    with flash_failure():
        require_audience(source_or_404(later_id).audience)
        revisions.mark_revised(db(), source.id, later_id, actor=actor(), note=request.form.get("note", ""))
        commit()
        flash(f"Marked: answers on this point now give source {later_id}'s position first, dated, and this "
              "source's after it.", "info")
    return redirect(url_for("web.source_page", source_id=source_id) + "#positions")


@web_bp.post("/curate/sources/<int:source_id>/revisions/<int:later_id>/withdraw")
@page_role("curator")
def withdraw_revision(source_id: int, later_id: int) -> WerkzeugResponse:
    """Withdraw a mark (the audit log keeps it)."""
    source = source_or_404(source_id)
    require_audience(source.audience)
    with flash_failure():
        revisions.unmark_revised(db(), source.id, later_id, actor=actor())
        commit()
        flash(f"Withdrawn: source {later_id} is no longer marked as superseding this source's position.", "info")
    return redirect(url_for("web.source_page", source_id=source_id) + "#positions")
