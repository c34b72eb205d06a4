"""JSON endpoints for pitch rehearsal: start one (text or file), answer its questions round by round, read it back."""

from __future__ import annotations

from typing import Any

from flask import request
from spectree import Response as Resp

from service import rehearsal
from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, MULTIPART_MIMETYPE, accepts, api_bp, responses, spec
from service.errors import BadInput
from service.http.auth import api_role, current_viewer
from service.http.extension import commit, db, settings
from service.http.limits import asking
from service.http.rehearsals import PITCH_TYPES, REHEARSAL_ID, check_pitch_file


def _start_responses() -> Resp:
    # 422: the pitch is too short to rehearse (code pitch_too_short); the message says what to add.
    errors = {f"HTTP_{c}": s.ErrorBody for c in (400, 401, 403, 404, 409, 413, 415, 422, 429)}
    return Resp(HTTP_201=s.RehearsalOut, **errors)


@api_bp.post("/twins/<slug>/rehearsals")
@asking
@api_role("employee")
@spec.validate(json=s.RehearsalRequest, form=s.RehearsalUpload, resp=_start_responses(), tags=["rehearse"])
@accepts(JSON_MIMETYPE, MULTIPART_MIMETYPE)
def start_rehearsal(slug: str) -> Any:
    """Rehearse a pitch: JSON `{"pitch"}`, or multipart with a `file` (.docx, .pdf, .md, .txt).

    The twin answers with the questions this executive would ask, where they would push back, and a scorecard,
    every point cited; answer the questions at /api/v1/rehearsals/ID/turns."""
    viewer = current_viewer()
    # One of the two bodies was validated (spectree picks by content type); the view reads which from the context.
    validated = getattr(request, "context", None)
    body: s.RehearsalRequest | None = getattr(validated, "json", None)
    if getattr(validated, "form", None) is not None:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise BadInput(f"send the pitch as a file ({PITCH_TYPES}) in a multipart field named 'file'")
        name = check_pitch_file(upload.filename)
        result = rehearsal.start_rehearsal(db(), settings(), slug, viewer, file_bytes=upload.read(), filename=name,
                                           channel="web")
    else:
        result = rehearsal.start_rehearsal(db(), settings(), slug, viewer, pitch_text=body.pitch if body else "",
                                           channel="web")
    commit()
    return result.to_dict(), 201, {"Location": f"/api/v1/rehearsals/{result.rehearsal_id}"}


@api_bp.post(f"/rehearsals/<{REHEARSAL_ID}>/turns")
@asking
@api_role("employee")
@spec.validate(json=s.TurnRequest, resp=responses(s.TurnOut, 409), tags=["rehearse"])
@accepts(JSON_MIMETYPE)
def answer_rehearsal(rehearsal_id: int, json: s.TurnRequest) -> Any:
    """Answer the question on the table; the twin follows up or accepts, cited, and sums up after the last round."""
    result = rehearsal.answer_turn(db(), settings(), rehearsal_id, current_viewer(), json.reply)
    commit()
    return result.to_dict()


@api_bp.get(f"/rehearsals/<{REHEARSAL_ID}>")
@api_role("employee")
@spec.validate(resp=responses(s.RehearsalDetail), tags=["rehearse"])
def get_rehearsal(rehearsal_id: int) -> Any:
    """One of your rehearsals with its pitch, the twin's reaction and every round."""
    return rehearsal.get_rehearsal(db(), rehearsal_id, current_viewer())


@api_bp.get("/rehearsals")
@api_role("employee")
@spec.validate(query=s.RehearsalsQuery, resp=responses(s.RehearsalList), tags=["rehearse"])
def list_rehearsals(query: s.RehearsalsQuery) -> Any:
    """Your own rehearsals, newest first (optionally of one twin)."""
    return {"rehearsals": rehearsal.list_rehearsals(db(), current_viewer(), twin_slug=query.twin, limit=query.limit)}
