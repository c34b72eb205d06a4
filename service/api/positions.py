"""JSON endpoints for dated positions: which later sources revise a source's position (marked by curators or found
by meaning), and marking or withdrawing "this source's position is superseded by that later source's"."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, accepts, api_bp, responses, spec
from service.corpus import revisions, store
from service.errors import NotFound
from service.http.auth import actor, api_role, current_viewer, require_audience
from service.http.extension import commit, db, settings
from service.twin.positions import revision_report

MAX_ID = 2**31 - 1


class RevisionLinkOut(s.Open):
    source_id: int
    title: str
    date: str | None = None
    status: str
    note: str = ""
    marked_by: str
    marked_at: str


class DetectedOut(s.Open):
    source_id: int
    title: str
    date: str
    ordinal: int
    later_ordinal: int
    reasons: list[str]
    earlier: str
    later: str


class RevisionsOut(s.Open):
    """Later sources that revise this one's position (marked, and found by meaning), and earlier ones it revises."""

    source_id: int
    revised_by: list[RevisionLinkOut]
    revises: list[RevisionLinkOut]
    detected: list[DetectedOut]


class RevisionRequest(s.Closed):
    revised_by: int = Field(ge=1, le=MAX_ID, description="The later source whose position supersedes this one's.")
    note: str = Field(default="", max_length=1000)


def _readable(source_id: int) -> Any:
    if source_id > MAX_ID:
        raise NotFound(f"no source with id {source_id}")
    source = store.get_source(db(), source_id)
    require_audience(source.audience)
    return source


def _report(source: Any) -> dict[str, Any]:
    return {"source_id": source.id, **revision_report(db(), settings(), source, current_viewer())}


@api_bp.get("/sources/<int:source_id>/revisions")
@api_role("curator")
@spec.validate(resp=responses(RevisionsOut), tags=["curate"])
def source_revisions(source_id: int) -> Any:
    """The later sources that revise this source's position: marked by curators, and found by meaning."""
    return _report(_readable(source_id))


@api_bp.post("/sources/<int:source_id>/revisions")
@api_role("curator")
@spec.validate(json=RevisionRequest, resp=responses(RevisionsOut, status=201), tags=["curate"])
@accepts(JSON_MIMETYPE)
def mark_revision(source_id: int, json: RevisionRequest) -> Any:
    """Mark this source's position as superseded by a later source's: answers give the later one first, dated."""
    source = _readable(source_id)
    require_audience(store.get_source(db(), json.revised_by).audience)
    revisions.mark_revised(db(), source.id, json.revised_by, actor=actor(), note=json.note)
    commit()
    return _report(source), 201


@api_bp.delete("/sources/<int:source_id>/revisions/<int:later_id>")
@api_role("curator")
@spec.validate(resp=responses(RevisionsOut), tags=["curate"])
def withdraw_revision(source_id: int, later_id: int) -> Any:
    """Withdraw a mark (the audit log keeps it)."""
    source = _readable(source_id)
    if later_id > MAX_ID:
        raise NotFound(f"no source with id {later_id}")
    revisions.unmark_revised(db(), source.id, later_id, actor=actor())
    commit()
    return _report(source)
