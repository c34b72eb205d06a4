"""JSON endpoints for curators' corrections: list, create (from an answer or a question), read with versions, edit
(a new version), withdraw. Passages are found with GET /api/v1/twins/SLUG/search (their `passage_id`)."""

from __future__ import annotations

from typing import Any

from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, accepts, api_bp, responses, spec
from service.corpus import corrections as stored
from service.corpus import store
from service.corpus.models import Correction
from service.errors import BadInput, NotFound
from service.http.auth import actor, api_role, current_viewer
from service.http.extension import commit, db, settings
from service.twin import corrections

# Ids in URLs stop at the largest id column value (PostgreSQL INTEGER); a larger one is a 404, not a database error.
MAX_ID = 2**31 - 1


def _readable(row: Correction) -> Correction:
    """The correction, for a curator who holds the audience of every passage it stands on (else 404)."""
    sources = stored.correction_sources(db(), [row])
    if not stored.visible_to(row, sources, current_viewer()):
        raise NotFound(f"no correction {row.root_id or row.id}")
    return row


def _one(correction_id: int) -> Correction:
    if correction_id > MAX_ID:
        raise NotFound(f"no correction {correction_id}")
    return _readable(stored.get_correction(db(), correction_id))


def _out(row: Correction) -> dict[str, Any]:
    return stored.describe(db(), [row], current_viewer())[0]


@api_bp.get("/twins/<slug>/corrections")
@api_role("curator")
@spec.validate(query=s.CorrectionsQuery, resp=responses(s.CorrectionList), tags=["curate"])
def list_corrections(slug: str, query: s.CorrectionsQuery) -> Any:
    """The twin's corrections (current version of each), newest first, and the similarity threshold in force."""
    twin = store.get_twin(db(), slug)
    rows = stored.list_corrections(db(), twin, status=query.status)
    sources = stored.correction_sources(db(), rows)
    viewer = current_viewer()
    shown = [r for r in rows if stored.visible_to(r, sources, viewer)]
    return {"corrections": stored.describe(db(), shown, viewer), "threshold": settings().correction_similarity,
            "hidden": len(rows) - len(shown)}


@api_bp.post("/twins/<slug>/corrections")
@api_role("curator")
@spec.validate(json=s.CorrectionCreate, resp=responses(s.CorrectionResponse, 409, status=201), tags=["curate"])
@accepts(JSON_MIMETYPE)
def create_correction(slug: str, json: s.CorrectionCreate) -> Any:
    """Say what the executive would say instead: the passages that answer (in order, with an optional framing line),
    or `kind: refusal`. In force at once for this question and those that mean the same."""
    twin = store.get_twin(db(), slug)
    row = corrections.create(db(), twin, json.question, kind=json.kind, passage_ids=json.passage_ids,
                                   framing=json.framing, topic=json.topic, phrasings=json.phrasings, note=json.note,
                                   interaction_id=json.interaction_id, viewer=current_viewer(), actor=actor())
    commit()
    return {"correction": _out(row)}, 201


@api_bp.get("/corrections/<int:correction_id>")
@api_role("curator")
@spec.validate(resp=responses(s.CorrectionDetail), tags=["curate"])
def get_correction(correction_id: int) -> Any:
    """One correction (its current version) and every version, newest first."""
    row = _one(correction_id)
    return {"correction": _out(row),
            "versions": stored.describe(db(), stored.correction_versions(db(), row), current_viewer())}


@api_bp.patch("/corrections/<int:correction_id>")
@api_role("curator")
@spec.validate(json=s.CorrectionPatch, resp=responses(s.CorrectionResponse, 409), tags=["curate"])
@accepts(JSON_MIMETYPE)
def edit_correction(correction_id: int, json: s.CorrectionPatch) -> Any:
    """Change a correction: a new version, in force at once (the old one is kept in its history)."""
    changes = json.model_dump(exclude_unset=True)
    if not changes:
        raise BadInput("send at least one field to change")
    _one(correction_id)
    row = corrections.edit(db(), correction_id, viewer=current_viewer(), actor=actor(), **changes)
    commit()
    return {"correction": _out(row)}


@api_bp.post("/corrections/<int:correction_id>/withdraw")
@api_role("curator")
@spec.validate(json=s.RetireRequest, resp=responses(s.CorrectionResponse, 409), tags=["curate"])
@accepts(JSON_MIMETYPE)
def withdraw_correction(correction_id: int, json: s.RetireRequest) -> Any:
    """Withdraw a correction: its questions are answered from the whole corpus again."""
    _one(correction_id)
    row = stored.withdraw_correction(db(), correction_id, actor=actor(), reason=json.reason if json else "")
    commit()
    return {"correction": _out(row)}
