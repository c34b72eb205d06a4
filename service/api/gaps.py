"""JSON and CSV endpoints of the messaging-gap map: themes of unanswered questions, and marking one answered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response
from pydantic import Field

from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, accepts, api_bp, responses, spec
from service.corpus import store
from service.http.auth import actor, api_role, current_viewer
from service.http.extension import commit, db, settings
from service.twin import gaps


class GapsQuery(s.Closed):
    since: dt.date | None = Field(default=None, description="Only questions asked on or after this day (YYYY-MM-DD).")


class GapMapOut(s.Open):
    twin: str
    since: str | None = None
    until: str
    grouping: str
    similarity: float
    min_audience_group: int
    questions: int
    weeks: list[str]
    themes: list[dict[str, Any]]
    links: list[dict[str, Any]]


class GapLinkRequest(s.Closed):
    source_id: int = Field(ge=1, le=2_147_483_647, description="An approved source of this twin that answers the theme.")
    note: str = Field(default="", max_length=2000)
    since: dt.date | None = Field(default=None, description="The window the theme was shown in (as on GET).")


class GapLinkOut(s.Open):
    id: int
    name: str
    question: str
    source_id: int | None = None
    linked_at: str
    linked_by: str


@api_bp.get("/twins/<slug>/gaps")
@api_role("curator")
@spec.validate(query=GapsQuery, resp=responses(GapMapOut), tags=["curate"])
def gap_map(slug: str, query: GapsQuery) -> Any:
    """Messaging gaps: unanswered questions grouped by meaning into themes, with counts, dates, weekly trend,
    example questions and askers' audiences (never who asked; hidden below the minimum group size)."""
    twin = store.get_twin(db(), slug)
    return gaps.gap_map(db(), settings(), twin, since=query.since, viewer=current_viewer()).to_dict()


@api_bp.get("/twins/<slug>/gaps.csv")
@api_role("curator")
@spec.validate(query=GapsQuery, tags=["curate"])
def gap_map_csv(slug: str, query: GapsQuery) -> Response:
    """The gap map as CSV, one row per theme (a spreadsheet's download)."""
    twin = store.get_twin(db(), slug)
    found = gaps.gap_map(db(), settings(), twin, since=query.since, viewer=current_viewer())
    name = f"{twin.slug}-gaps-{found.until:%Y-%m-%d}.csv"
    return Response(found.to_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api_bp.post("/twins/<slug>/gaps/<theme>/link")
@api_role("curator")
@spec.validate(json=GapLinkRequest, resp=responses(GapLinkOut, status=201), tags=["curate"])
@accepts(JSON_MIMETYPE)
def link_gap_theme(slug: str, theme: str, json: GapLinkRequest) -> Any:
    """Mark a theme answered by an approved source: later questions that mean the same show whether they were."""
    twin = store.get_twin(db(), slug)
    row = gaps.link_theme(db(), settings(), twin, theme, json.source_id, actor=actor(), since=json.since,
                          viewer=current_viewer(), note=json.note)
    commit()
    return {"id": row.id, "name": row.name, "question": row.question, "source_id": row.source_id,
            "linked_at": row.linked_at.isoformat(), "linked_by": row.linked_by}, 201


@api_bp.delete("/twins/<slug>/gaps/links/<int:link_id>")
@api_role("curator")
@spec.validate(resp=responses(s.Open), tags=["curate"])
def unlink_gap_theme(slug: str, link_id: int) -> Any:
    """Take a theme link back: the theme is open again (the audit log keeps both)."""
    twin = store.get_twin(db(), slug)
    store.remove_gap_theme_link(db(), twin, link_id, actor=actor())
    commit()
    return {"removed": link_id}
