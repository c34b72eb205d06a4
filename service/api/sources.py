"""Sources: list, upload (at once or as a background job), read with passages and versions, approve, retire,
restore, set the audience; ingestion jobs; the audit log."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from typing import Any

from flask import Response, request
from spectree import Response as Resp

from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, MULTIPART_MIMETYPE, accepts, api_bp, responses, spec
from service.corpus import store
from service.corpus.models import Source
from service.errors import BadInput
from service.http.auth import actor, api_role, current_viewer, require_audience
from service.http.extension import commit, db, settings
from service.http.queries import filter_sources, visible_audit
from service.http.serialize import passage_dict, source_dict, version_dict
from service.ingest import IngestOptions, Upload, ingest, upload_result
from service.ops import jobs
from service.twin.labels import source_label_hint


def _source_out(source: Source, twin_slug: str | None = None) -> dict[str, Any]:
    slug = twin_slug or store.twin_slug_of(db(), source.twin_id) or ""
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
    uploads = [Upload(f.filename or "upload", f.read())
               for field in ("file", "files") for f in request.files.getlist(field)]
    if not uploads:
        raise BadInput("send one or more files as multipart/form-data in a field named 'file'")
    form = request.form
    options = IngestOptions(audience=form.get("audience") or settings().default_audience, actor=actor(),
                            kind=form.get("kind") or None, approve=_flag(form.get("approve")))
    if jobs.runs_in_background(settings(), len(uploads), _background(form.get("background"))):
        job = jobs.submit_ingestion(db(), settings(), twin, uploads, options)
        return {"job": jobs.job_dict(db(), job)}, 202, {"Location": f"/api/v1/jobs/{job.id}"}
    results = [upload_result(o) for o in ingest(db(), settings(), twin, uploads, options)]
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
    passages = store.source_passages(db(), source.id)
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


def _with_reason(change: Callable[..., Source], source_id: int, json: s.RetireRequest | None) -> dict[str, Any]:
    """Retire or restore a source the curator may read, with the reason given, and commit."""
    require_audience(store.get_source(db(), source_id).audience)
    source = change(db(), source_id, actor=actor(), reason=json.reason if json is not None else "")
    commit()
    return {"source": _source_out(source)}


@api_bp.post("/sources/<int:source_id>/retire")
@api_role("curator")
@spec.validate(json=s.RetireRequest, resp=responses(s.SourceResponse), tags=["curate"])
@accepts(JSON_MIMETYPE)
def retire_source(source_id: int, json: s.RetireRequest) -> Any:
    """Retire a source: no answer cites it from now on."""
    return _with_reason(store.retire_source, source_id, json)


@api_bp.post("/sources/<int:source_id>/restore")
@api_role("curator")
@spec.validate(json=s.RetireRequest, resp=responses(s.SourceResponse, 409), tags=["curate"])
@accepts(JSON_MIMETYPE)
def restore_source(source_id: int, json: s.RetireRequest) -> Any:
    """Restore a retired source as it was before (approved or draft); a new audit event records it."""
    return _with_reason(store.reinstate_source, source_id, json)


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
