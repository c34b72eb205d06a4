"""JSON endpoints for pitch rehearsal: start one (text or file), answer its questions round by round, read it back."""

from __future__ import annotations

from typing import Any, Literal

from flask import request
from pydantic import Field
from spectree import Response as Resp
from spectree.model_adapter.pydantic_adapter import BaseFile

from service import rehearsal
from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, MULTIPART_MIMETYPE, accepts, api_bp, responses, spec
from service.api.schemas import Citation, Closed, Open
from service.errors import BadInput
from service.http.auth import api_role, current_viewer
from service.http.extension import commit, db, settings
from service.http.limits import asking
from service.http.rehearsals import PITCH_TYPES, REHEARSAL_ID, check_pitch_file

# --- request and response bodies -------------------------------------------------------------------

class RehearsalRequest(Closed):
    """A pitch pasted as text."""

    pitch: str = Field(min_length=1, max_length=200_000)


class RehearsalUpload(Closed):
    """A pitch uploaded as a file: .docx, .pdf, .md or .txt."""

    file: BaseFile


class RehearsalQuestion(Open):
    """A question the executive would ask, quoted from where they asked it (or a concern they repeat)."""

    n: int
    question: str
    kind: str
    asked_in: int | None = None
    context: str | None = Field(None, description="Who in its meeting it was put to, when that was someone else "
                                                  "named in it (\"asked of Ray Castillo in Q3 2025 QBR\").")
    citation: Citation


class RehearsalPushBack(Open):
    """A priority of the executive's that the pitch ignores or contradicts."""

    priority: str
    why: str
    contradicts: bool = False
    citation: Citation


class ScoreOut(Open):
    key: str
    label: str
    score: float
    max: float
    reason: str
    quotes: list[str] = Field(default_factory=list,
                              description="The pitch's sentences the score relied on, exactly as written.")


class ScorecardOut(Open):
    """The pitch scored against the curators' rubric, with a reason for each score."""

    criteria: list[ScoreOut]
    total: float
    max: float


class NextQuestion(Open):
    question: str
    kind: str | None = None
    citation: Citation | None = None


class RehearsalOut(Open):
    """The twin's first reaction to a pitch: questions, push-back and a scorecard, every point cited."""

    rehearsal_id: int
    questions: list[RehearsalQuestion]
    push_back: list[RehearsalPushBack]
    scorecard: ScorecardOut
    citations: list[Citation]
    disclaimer: str
    mode: str
    round: int
    max_rounds: int
    analysis: dict[str, Any] = Field(default_factory=dict)
    filename: str | None = None
    interaction_id: int | None = None


class TurnRequest(Closed):
    reply: str = Field(min_length=1, max_length=20_000)


class TurnOut(Open):
    """The twin's reaction to a reply: a follow-up, an acceptance, or the summary on the last round."""

    rehearsal_id: int
    round: int
    max_rounds: int
    reaction: Literal["follow_up", "accept", "summary"]
    text: str
    citations: list[Citation]
    done: bool
    mode: str
    disclaimer: str
    next_question: NextQuestion | None = None
    interaction_id: int | None = None
    summary: dict[str, Any] | None = None
    fallback_reason: str | None = None


class RehearsalTurnOut(Open):
    round: int
    question: str
    reply: str
    reaction: str
    text: str
    citations: list[Citation]
    mode: str
    created_at: str | None = None


class RehearsalDetail(Open):
    """A stored rehearsal with its pitch, first reaction and rounds (its author's alone)."""

    rehearsal_id: int
    twin: str | None = None
    channel: str
    created_at: str | None = None
    pitch: str
    filename: str | None = None
    questions: list[RehearsalQuestion]
    push_back: list[RehearsalPushBack]
    scorecard: ScorecardOut
    citations: list[Citation]
    mode: str
    round: int
    max_rounds: int
    done: bool
    summary: dict[str, Any] | None = None
    next_question: NextQuestion | None = None
    disclaimer: str
    turns: list[RehearsalTurnOut]


class RehearsalScore(Open):
    total: float | None = None
    max: float | None = None


class RehearsalBrief(Open):
    rehearsal_id: int
    twin: str | None = None
    created_at: str
    words: int | None = None
    filename: str | None = None
    round: int
    max_rounds: int
    done: bool
    score: RehearsalScore


class RehearsalList(Open):
    rehearsals: list[RehearsalBrief]


class RehearsalsQuery(Closed):
    twin: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=50, ge=1, le=200)


# --- views -----------------------------------------------------------------------------------------


def _start_responses() -> Resp:
    # 422: the pitch is too short to rehearse (code pitch_too_short); the message says what to add.
    errors = {f"HTTP_{c}": s.ErrorBody for c in (400, 401, 403, 404, 409, 413, 415, 422, 429)}
    return Resp(HTTP_201=RehearsalOut, **errors)


@api_bp.post("/twins/<slug>/rehearsals")
@asking
@api_role("employee")
@spec.validate(json=RehearsalRequest, form=RehearsalUpload, resp=_start_responses(), tags=["rehearse"])
@accepts(JSON_MIMETYPE, MULTIPART_MIMETYPE)
def start_rehearsal(slug: str) -> Any:
    """Rehearse a pitch: JSON `{"pitch"}`, or multipart with a `file` (.docx, .pdf, .md, .txt).

    The twin answers with the questions this executive would ask, where they would push back, and a scorecard,
    every point cited; answer the questions at /api/v1/rehearsals/ID/turns."""
    viewer = current_viewer()
    # One of the two bodies was validated (spectree picks by content type); the view reads which from the context.
    validated = getattr(request, "context", None)
    body: RehearsalRequest | None = getattr(validated, "json", None)
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
@spec.validate(json=TurnRequest, resp=responses(TurnOut, 409), tags=["rehearse"])
@accepts(JSON_MIMETYPE)
def answer_rehearsal(rehearsal_id: int, json: TurnRequest) -> Any:
    """Answer the question on the table; the twin follows up or accepts, cited, and sums up after the last round."""
    result = rehearsal.answer_turn(db(), settings(), rehearsal_id, current_viewer(), json.reply)
    commit()
    return result.to_dict()


@api_bp.get(f"/rehearsals/<{REHEARSAL_ID}>")
@api_role("employee")
@spec.validate(resp=responses(RehearsalDetail), tags=["rehearse"])
def get_rehearsal(rehearsal_id: int) -> Any:
    """One of your rehearsals with its pitch, the twin's reaction and every round."""
    return rehearsal.get_rehearsal(db(), rehearsal_id, current_viewer())


@api_bp.get("/rehearsals")
@api_role("employee")
@spec.validate(query=RehearsalsQuery, resp=responses(RehearsalList), tags=["rehearse"])
def list_rehearsals(query: RehearsalsQuery) -> Any:
    """Your own rehearsals, newest first (optionally of one twin)."""
    return {"rehearsals": rehearsal.list_rehearsals(db(), current_viewer(), twin_slug=query.twin, limit=query.limit)}
