"""Asking a twin (one JSON body or a stream of Server-Sent Events) and feedback on an answer."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterator
from typing import Any

from flask import Response, request, stream_with_context

from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, accepts, api_bp, responses, spec
from service.corpus import store
from service.errors import UnderstudyError
from service.http.auth import api_role, current_user, current_viewer
from service.http.extension import commit, db, extension, settings
from service.http.limits import asking
from service.ops import metrics
from service.twin import engine


def _sse(event: dict[str, Any]) -> str:
    name = str(event.get("event", "message"))
    payload = event["data"] if set(event) == {"event", "data"} else {k: v for k, v in event.items() if k != "event"}
    return f"event: {name}\ndata: {jsonlib.dumps(payload, default=str)}\n\n"


def wants_event_stream() -> bool:
    """Whether the client asked for Server-Sent Events rather than one JSON body."""
    best = request.accept_mimetypes.best_match([JSON_MIMETYPE, "text/event-stream"])
    return best == "text/event-stream"


@api_bp.post("/twins/<slug>/ask")
@asking
@api_role("employee")
@spec.validate(json=s.AskRequest, resp=responses(s.AskResponse, 409), tags=["ask"])
@accepts(JSON_MIMETYPE)
def ask(slug: str, json: s.AskRequest) -> Any:
    """Ask the twin a question; `Accept: text/event-stream` streams the answer as it is written."""
    viewer = current_viewer()
    cfg = settings()
    if not wants_event_stream():
        answer = engine.answer_question(db(), cfg, slug, json.question, viewer,
                                        conversation_id=json.conversation_id, channel="web")
        commit()
        body = answer.to_dict()
        metrics.observe_answer(body, channel="web")
        return body
    session = extension().session_factory()
    try:
        # The interaction row is committed before the first text leaves: no answer is ever shown without it.
        events = engine.stream_answer(session, cfg, slug, json.question, viewer,
                                      conversation_id=json.conversation_id, channel="web", recorded=session.commit)
        first = next(events, None)
    except BaseException:
        session.rollback()
        session.close()
        raise

    def generate() -> Iterator[str]:
        try:
            if first is not None:
                yield _sse(first)
            for event in events:
                yield _sse(event)
                if event.get("event") == "answer" and isinstance(event.get("data"), dict):
                    metrics.observe_answer(event["data"], channel="web")
            session.commit()
        except UnderstudyError as exc:
            session.rollback()
            yield _sse({"event": "error", "code": exc.code, "message": exc.message})
        except Exception:
            session.rollback()
            yield _sse({"event": "error", "code": "internal", "message": "the answer could not be finished"})
            raise
        finally:
            session.close()

    return Response(stream_with_context(generate()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@api_bp.post("/interactions/<int:interaction_id>/feedback")
@api_role("employee")
@spec.validate(json=s.FeedbackRequest, resp=responses(s.FeedbackResponse), tags=["ask"])
@accepts(JSON_MIMETYPE)
def feedback(interaction_id: int, json: s.FeedbackRequest) -> Any:
    """Mark one of your own answers helpful or not, with an optional reason."""
    user = current_user()
    row = store.record_feedback(db(), interaction_id, user_id=user.id if user else None, helpful=json.helpful,
                                reason=json.reason)
    commit()
    return {"interaction_id": row.id, "feedback": row.feedback, "reason": row.feedback_reason}
