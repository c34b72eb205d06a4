"""JSON endpoints: thin views over the corpus store, search and the twin engine."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterator
from typing import Any

from flask import Response, request, stream_with_context
from spectree import Response as Resp
from sqlalchemy import select

from service.api import JSON_MIMETYPE, MULTIPART_MIMETYPE, accepts, api_bp, spec
from service.api import schemas as s
from service.api.queries import UploadedFile, filter_sources, ingest_uploads, unanswered, visible_audit
from service.api.serialize import (
    passage_dict,
    source_dict,
    twin_dict,
    unanswered_dict,
    user_dict,
    version_dict,
)
from service.corpus import store
from service.corpus.models import Passage, Source, Twin
from service.errors import BadInput, UnderstudyError
from service.ops import jobs, metrics
from service.twin.persona import persona_settings, validate_persona_changes
from service.web.auth import actor, api_role, current_user, current_viewer, require_audience
from service.web.extension import commit, db, extension, settings


def responses(ok: type, *codes: int, status: int = 200) -> Resp:
    """The documented responses of a view: its body and the errors it can give."""
    errors = {f"HTTP_{c}": s.ErrorBody for c in (400, 401, 403, 404, 429, *codes)}
    return Resp(**{f"HTTP_{status}": ok}, **errors)


# --- asking ----------------------------------------------------------------------------------------

def _sse(event: dict[str, Any]) -> str:
    name = str(event.get("event", "message"))
    payload = event["data"] if set(event) == {"event", "data"} else {k: v for k, v in event.items() if k != "event"}
    return f"event: {name}\ndata: {jsonlib.dumps(payload, default=str)}\n\n"


def wants_event_stream() -> bool:
    """Whether the client asked for Server-Sent Events rather than one JSON body."""
    best = request.accept_mimetypes.best_match([JSON_MIMETYPE, "text/event-stream"])
    return best == "text/event-stream"


@api_bp.post("/twins/<slug>/ask")
@api_role("employee")
@spec.validate(json=s.AskRequest, resp=responses(s.AskResponse, 409), tags=["ask"])
@accepts(JSON_MIMETYPE)
def ask(slug: str, json: s.AskRequest) -> Any:
    """Ask the twin a question; `Accept: text/event-stream` streams the answer as it is written."""
    from service.twin import engine

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


# --- twins -----------------------------------------------------------------------------------------

@api_bp.get("/twins")
@api_role("employee")
@spec.validate(resp=responses(s.TwinList), tags=["twins"])
def list_twins() -> Any:
    """Every twin and whether it may answer."""
    return {"twins": [twin_dict(t) for t in store.list_twins(db())]}


@api_bp.post("/twins")
@api_role("admin")
@spec.validate(json=s.TwinCreate, resp=responses(s.TwinOut, 409, status=201), tags=["admin"])
@accepts(JSON_MIMETYPE)
def create_twin(json: s.TwinCreate) -> Any:
    """Create a twin (it answers only once the executive's consent is recorded)."""
    twin = store.create_twin(db(), json.slug, json.name, title=json.title, speaker_labels=json.speaker_labels,
                             actor=actor())
    commit()
    return twin_dict(twin), 201


@api_bp.post("/twins/<slug>/consent")
@api_role("admin")
@spec.validate(json=s.ConsentRequest, resp=responses(s.TwinOut), tags=["admin"])
@accepts(JSON_MIMETYPE)
def record_consent(slug: str, json: s.ConsentRequest) -> Any:
    """Record the executive's consent: who gave it and what it covers."""
    twin = store.record_consent(db(), slug, by=json.by, scope=json.scope, actor=actor())
    commit()
    return twin_dict(twin)


@api_bp.post("/twins/<slug>/pause")
@api_role("admin")
@spec.validate(resp=responses(s.TwinOut), tags=["admin"])
def pause_twin(slug: str) -> Any:
    """Stop a twin answering anywhere."""
    twin = store.set_twin_paused(db(), slug, True, actor=actor())
    commit()
    return twin_dict(twin)


@api_bp.post("/twins/<slug>/resume")
@api_role("admin")
@spec.validate(resp=responses(s.TwinOut), tags=["admin"])
def resume_twin(slug: str) -> Any:
    """Let a paused twin answer again."""
    twin = store.set_twin_paused(db(), slug, False, actor=actor())
    commit()
    return twin_dict(twin)


@api_bp.post("/twins/<slug>/speaker-labels")
@api_role("curator")
@spec.validate(json=s.SpeakerLabelsChange, resp=responses(s.SpeakerLabelsOut), tags=["curate"])
@accepts(JSON_MIMETYPE)
def change_speaker_labels(slug: str, json: s.SpeakerLabelsChange) -> Any:
    """Add or remove transcript labels of the executive's turns; the stored sources are re-attributed at once."""
    from service.twin.labels import change_speaker_labels as change

    if not json.add and not json.remove:
        raise BadInput("send a label to add or to remove")
    result = change(db(), store.get_twin(db(), slug), add=json.add, remove=json.remove, actor=actor())
    commit()
    return result.to_dict()


def persona_of(twin: Twin) -> dict[str, Any]:
    """The persona settings as a curator edits them, defaults filled in."""
    return persona_settings(twin).to_dict()


@api_bp.get("/twins/<slug>/persona")
@api_role("curator")
@spec.validate(resp=responses(s.PersonaOut), tags=["curate"])
def get_persona(slug: str) -> Any:
    """The twin's persona settings: no-answer message, topics not to speak to, disclaimer…"""
    return persona_of(store.get_twin(db(), slug))


@api_bp.patch("/twins/<slug>/persona")
@api_role("curator")
@spec.validate(json=s.PersonaPatch, resp=responses(s.PersonaOut), tags=["curate"])
@accepts(JSON_MIMETYPE)
def patch_persona(slug: str, json: s.PersonaPatch) -> Any:
    """Change some persona settings."""
    changes = json.model_dump(exclude_unset=True)
    if not changes:
        raise BadInput("send at least one persona field to change")
    store.get_twin(db(), slug)
    twin = store.update_persona(db(), slug, validate_persona_changes(changes), actor=actor())
    commit()
    return persona_of(twin)


@api_bp.get("/twins/<slug>/search")
@api_role("curator")
@spec.validate(query=s.SearchQuery, resp=responses(s.SearchResponse), tags=["curate"])
def search(slug: str, query: s.SearchQuery) -> Any:
    """Search the twin's approved passages that you may see."""
    from service.search import search_as_configured

    twin = store.get_twin(db(), slug)
    hits = search_as_configured(db(), settings(), twin, query.q, current_viewer(), k=query.k)
    return {"hits": [h.to_dict() for h in hits]}


@api_bp.get("/twins/<slug>/unanswered")
@api_role("curator")
@spec.validate(query=s.UnansweredQuery, resp=responses(s.UnansweredList), tags=["curate"])
def list_unanswered(slug: str, query: s.UnansweredQuery) -> Any:
    """Questions the twin could not ground and answers marked not helpful, newest first."""
    twin = store.get_twin(db(), slug)
    return {"items": [unanswered_dict(row, email) for row, email in
                      unanswered(db(), twin, limit=query.limit, viewer=current_viewer())]}


# --- sources ---------------------------------------------------------------------------------------

def _source_out(source: Source, twin_slug: str | None = None) -> dict[str, Any]:
    slug = twin_slug or db().scalar(select(Twin.slug).where(Twin.id == source.twin_id)) or ""
    counts = store.passage_counts(db(), [source.id])
    return source_dict(source, slug, counts.get(source.id, 0))


@api_bp.get("/twins/<slug>/sources")
@api_role("curator")
@spec.validate(query=s.SourcesQuery, resp=responses(s.SourceList), tags=["curate"])
def list_sources(slug: str, query: s.SourcesQuery) -> Any:
    """The twin's sources, newest upload first, with filters."""
    twin = store.get_twin(db(), slug)
    sources = filter_sources(db(), twin, **query.model_dump(), viewer=current_viewer())
    counts = store.passage_counts(db(), [src.id for src in sources])
    return {"sources": [source_dict(src, twin.slug, counts.get(src.id, 0)) for src in sources]}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _upload_responses() -> Resp:
    errors = {f"HTTP_{c}": s.ErrorBody for c in (400, 401, 403, 404, 409, 413, 415, 429, 503)}
    return Resp(HTTP_200=s.UploadResponse, HTTP_202=s.JobAccepted, **errors)


def _background(value: str | None) -> bool | None:
    return None if value is None or not value.strip() else _flag(value)


@api_bp.post("/twins/<slug>/sources")
@api_role("curator")
@spec.validate(resp=_upload_responses(), tags=["curate"])
@accepts(MULTIPART_MIMETYPE)
def upload_sources(slug: str) -> Any:
    """Upload files (multipart field `file`, repeatable; optional `kind`, `audience`, `approve`, `background`).

    With a job queue configured (Redis), many files (or `background=true`) become a background job: 202 with
    the job, whose progress is at /api/v1/jobs/ID. Otherwise each file is ingested before the response."""
    twin = store.get_twin(db(), slug)
    uploads = [UploadedFile(f.filename or "upload", f.read())
               for field in ("file", "files") for f in request.files.getlist(field)]
    if not uploads:
        raise BadInput("send one or more files as multipart/form-data in a field named 'file'")
    form = request.form
    if jobs.runs_in_background(settings(), len(uploads), _background(form.get("background"))):
        job = jobs.submit_ingestion(db(), settings(), twin, [jobs.FileUpload(u.path, u.data) for u in uploads],
                                    kind=form.get("kind") or None,
                                    audience=form.get("audience") or settings().default_audience,
                                    approve=_flag(form.get("approve")), actor=actor())
        return {"job": jobs.job_dict(db(), job)}, 202, {"Location": f"/api/v1/jobs/{job.id}"}
    results = ingest_uploads(db(), settings(), twin, uploads, kind=form.get("kind") or None,
                             audience=form.get("audience") or settings().default_audience,
                             approve=_flag(form.get("approve")), actor=actor())
    failed = [r for r in results if r["status"] == "error"]
    if failed and len(failed) == len(results):
        first = failed[0]
        status = int(first.get("http_status", 400))
        body = {"error": {"code": first.get("error_code", "bad_input"), "message": first["error"]},
                "results": [_public_result(r) for r in results]}
        return Response(jsonlib.dumps(body), status=status, mimetype=JSON_MIMETYPE)
    return {"results": [_public_result(r) for r in results]}


@api_bp.get("/jobs/<int:job_id>")
@api_role("curator")
@spec.validate(resp=responses(s.JobOut), tags=["curate"])
def get_job(job_id: int) -> Any:
    """A background ingestion job: status, counts done/failed/total, and each file's outcome."""
    return jobs.job_dict(db(), store.get_ingestion_job(db(), job_id), settings=settings())


@api_bp.get("/twins/<slug>/jobs")
@api_role("curator")
@spec.validate(query=s.JobsQuery, resp=responses(s.JobList), tags=["curate"])
def list_jobs(slug: str, query: s.JobsQuery) -> Any:
    """A twin's background ingestion jobs, newest first (without their files)."""
    twin = store.get_twin(db(), slug)
    return {"jobs": [jobs.job_dict(db(), job, settings=settings(), files=False)
                     for job in store.list_ingestion_jobs(db(), twin, limit=query.limit)]}


def _public_result(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result.get(k) for k in ("path", "status", "source_id", "passages", "error", "speaker_hint")}


@api_bp.get("/sources/<int:source_id>")
@api_role("curator")
@spec.validate(resp=responses(s.SourceDetail), tags=["curate"])
def get_source(source_id: int) -> Any:
    """One source with its parsed passages and version history (for holders of its audience)."""
    source = store.get_source(db(), source_id)
    require_audience(source.audience)
    passages = db().scalars(select(Passage).where(Passage.source_id == source.id).order_by(Passage.ordinal))
    from service.twin.labels import source_label_hint

    return {"source": _source_out(source), "passages": [passage_dict(p) for p in passages],
            "versions": [version_dict(v) for v in store.source_versions(db(), source)],
            "speaker_hint": source_label_hint(db(), source)}


@api_bp.post("/sources/<int:source_id>/approve")
@api_role("curator")
@spec.validate(resp=responses(s.SourceResponse, 409), tags=["curate"])
def approve_source(source_id: int) -> Any:
    """Approve a draft: answers may cite it from now on (earlier versions stop being cited)."""
    require_audience(store.get_source(db(), source_id).audience)  # only someone who may read it approves it
    source = store.approve_source(db(), source_id, actor=actor())
    commit()
    return {"source": _source_out(source)}


@api_bp.post("/sources/<int:source_id>/retire")
@api_role("curator")
@spec.validate(json=s.RetireRequest, resp=responses(s.SourceResponse), tags=["curate"])
@accepts(JSON_MIMETYPE)
def retire_source(source_id: int, json: s.RetireRequest) -> Any:
    """Retire a source: no answer cites it from now on."""
    require_audience(store.get_source(db(), source_id).audience)
    reason = json.reason if json is not None else ""
    source = store.retire_source(db(), source_id, actor=actor(), reason=reason)
    commit()
    return {"source": _source_out(source)}


@api_bp.post("/sources/<int:source_id>/restore")
@api_role("curator")
@spec.validate(json=s.RetireRequest, resp=responses(s.SourceResponse, 409), tags=["curate"])
@accepts(JSON_MIMETYPE)
def restore_source(source_id: int, json: s.RetireRequest) -> Any:
    """Restore a retired source as it was before (approved or draft); a new audit event records it."""
    require_audience(store.get_source(db(), source_id).audience)
    reason = json.reason if json is not None else ""
    source = store.reinstate_source(db(), source_id, actor=actor(), reason=reason)
    commit()
    return {"source": _source_out(source)}


@api_bp.route("/sources/<int:source_id>/audience", methods=["POST", "PATCH"])
@api_role("curator")
@spec.validate(json=s.AudienceRequest, resp=responses(s.SourceResponse), tags=["curate"])
@accepts(JSON_MIMETYPE)
def set_audience(source_id: int, json: s.AudienceRequest) -> Any:
    """Set which audience may see a source (you must hold both its current audience and the new one)."""
    require_audience(store.get_source(db(), source_id).audience, json.audience.strip() or json.audience)
    source = store.set_source_audience(db(), source_id, json.audience, actor=actor())
    commit()
    return {"source": _source_out(source)}


@api_bp.get("/audit")
@api_role("curator")
@spec.validate(query=s.AuditQuery, resp=responses(s.AuditList), tags=["curate"])
def audit(query: s.AuditQuery) -> Any:
    """The audit log, newest first."""
    events = store.list_audit(db(), twin_slug=query.twin, limit=query.limit, before_id=query.before_id)
    return {"events": visible_audit(db(), events, current_viewer())}


# --- users -----------------------------------------------------------------------------------------

@api_bp.get("/users")
@api_role("admin")
@spec.validate(resp=responses(s.UserList), tags=["admin"])
def list_users() -> Any:
    """Every user with role, audiences and whether they may sign in."""
    return {"users": [user_dict(u) for u in store.list_users(db())]}


@api_bp.post("/users")
@api_role("admin")
@spec.validate(json=s.UserCreate, resp=responses(s.UserCreated, 409, status=201), tags=["admin"])
@accepts(JSON_MIMETYPE)
def add_user(json: s.UserCreate) -> Any:
    """Add a user; the response carries their API token, shown only this once."""
    user, token = store.add_user(db(), json.email, role=json.role, audiences=json.audiences, name=json.name,
                                 actor=actor())
    commit()
    return {"user": user_dict(user), "token": token}, 201


@api_bp.patch("/users/<email>")
@api_role("admin")
@spec.validate(json=s.UserPatch, resp=responses(s.UserOut), tags=["admin"])
@accepts(JSON_MIMETYPE)
def update_user(email: str, json: s.UserPatch) -> Any:
    """Change a user's role, audiences or whether they may sign in."""
    user = store.update_user(db(), email, role=json.role, audiences=json.audiences, active=json.active,
                             actor=actor())
    commit()
    return user_dict(user)
