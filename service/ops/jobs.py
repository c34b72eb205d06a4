"""Background ingestion of many files as jobs on an rq queue (Redis); inline on the embedded default.

A job's files are stored in the database with it (any worker on any machine can take them), each file is
parsed and stored in its own transaction like `understudy ingest`, and its outcome is kept for the console
(`GET /api/v1/jobs/ID`). The queue carries only the job id.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingestion.model import IngestError
from service.config import Settings, load_settings
from service.corpus import store
from service.corpus.models import IngestionJob, IngestionJobFile, Twin
from service.errors import NotFound, UnderstudyError
from service.ingest import (
    IngestOptions,
    Outcome,
    Upload,
    job_file_result,
    limits_for,
    parse_upload,
    store_document,
)
from service.search.vectors import index_new_sources

log = logging.getLogger(__name__)

QUEUE_CHOICES = ("auto", "rq", "inline")
RESULT_TTL_S = 7 * 24 * 3600
# How far a worker lowers its own CPU priority (os.nice), so a worker beside the web service never slows answers.
WORKER_NICENESS = 10


class QueueUnavailable(UnderstudyError):
    """The job queue cannot take work now (Redis down or not configured)."""

    code = "queue_unavailable"
    status = 503


def queue_backend(settings: Settings) -> str:
    """'rq' when background jobs go to Redis, else 'inline'."""
    choice = (settings.ingest_queue or "auto").lower()
    if choice not in QUEUE_CHOICES:
        raise ValueError(f"UNDERSTUDY_INGEST_QUEUE must be one of {', '.join(QUEUE_CHOICES)}, not {choice!r}")
    if choice == "inline":
        return "inline"
    if choice == "rq" and not settings.redis_url:
        raise ValueError("UNDERSTUDY_INGEST_QUEUE=rq needs UNDERSTUDY_REDIS_URL")
    return "rq" if settings.redis_url else "inline"


def runs_in_background(settings: Settings, files: int, requested: bool | None = None) -> bool:
    """Whether an upload of `files` files becomes a job: asked for, or large enough, and a queue exists."""
    if queue_backend(settings) != "rq":
        return False
    if requested is not None:
        return requested
    return files >= max(settings.ingest_background_files, 1)


# --- the queue -------------------------------------------------------------------------------------

def ingestion_queue(settings: Settings) -> Any:
    """The rq queue that ingestion jobs go to."""
    from rq import Queue

    from service.ops.health import redis_client

    return Queue(settings.ingest_queue_name, connection=redis_client(settings.redis_url),
                 default_timeout=settings.ingest_job_timeout)


def submit_ingestion(session: Session, settings: Settings, twin: Twin, files: Sequence[Upload],
                     options: IngestOptions) -> IngestionJob:
    """Store a job with its files, commit, and queue it; the caller polls job_dict() for progress."""
    from rq import Callback

    from service.ops import metrics

    options.check()
    job = store.create_ingestion_job(session, twin, [(f.path, f.read()) for f in files], kind=options.kind,
                                     audience=options.audience, approve=options.approve, created_by=options.actor)
    session.commit()  # the worker must find the job and its files before it is queued
    try:
        queued = ingestion_queue(settings).enqueue(
            run_ingestion_job, job.id, job_id=f"understudy-ingest-{job.id}", job_timeout=settings.ingest_job_timeout,
            result_ttl=RESULT_TTL_S, failure_ttl=RESULT_TTL_S, description=f"ingest {job.total} files into {twin.slug}",
            on_failure=Callback(on_queue_failure))
    except Exception as exc:  # noqa: BLE001 - any Redis failure: the job cannot run
        store.finish_ingestion_job(session, job.id, error=f"the job queue is unavailable: {exc}")
        session.commit()
        raise QueueUnavailable("the background job queue is unavailable; try again shortly, or upload fewer "
                               "files at a time") from exc
    store.set_ingestion_job_queue_id(session, job, str(queued.id))
    session.commit()
    metrics.INGESTION_JOBS_SUBMITTED.inc()
    return job


# --- the worker side -------------------------------------------------------------------------------

_ENGINES: dict[str, tuple[Engine, sessionmaker[Session]]] = {}
_ENGINES_LOCK = threading.Lock()


def _sessions(settings: Settings) -> sessionmaker[Session]:
    from service.db import make_session_factory, make_settings_engine

    with _ENGINES_LOCK:
        cached = _ENGINES.get(settings.database_url)
        if cached is None:
            from service.twin import profile_jobs

            engine = make_settings_engine(settings)
            profile_jobs.set_mode(engine, "deferred")  # a job's approvals rebuild each twin's profile once, at its end
            cached = (engine, make_session_factory(engine))
            _ENGINES[settings.database_url] = cached
        return cached[1]


def run_ingestion_job(job_id: int) -> dict[str, int]:
    """The queued task: ingest every pending file of the job (settings from the worker's environment)."""
    settings = load_settings()
    return process_ingestion_job(_sessions(settings), settings, job_id)


def process_ingestion_job(sessions: sessionmaker[Session], settings: Settings, job_id: int) -> dict[str, int]:
    """Ingest each pending file in its own transaction, recording its outcome; returns the final counts."""
    with sessions() as session:
        job = store.start_ingestion_job(session, job_id)
        session.commit()
        if job is None:
            return store.ingestion_job_counts(session, job_id)
        twin = session.get(Twin, job.twin_id)
        if twin is None:
            store.finish_ingestion_job(session, job_id, error="the twin no longer exists")
            session.commit()
            return store.ingestion_job_counts(session, job_id)
        options = dict(job.options or {})
        context = _JobContext(job_id=job_id, twin_id=twin.id, labels=tuple(twin.speaker_labels or ()),
                              options=IngestOptions(audience=str(options.get("audience") or "everyone"),
                                                    actor=job.created_by or store.SYSTEM_ACTOR,
                                                    kind=options.get("kind") or None,
                                                    approve=bool(options.get("approve"))))
        pending = store.pending_job_file_ids(session, job_id)
    for file_id in pending:
        _ingest_one(sessions, settings, context, file_id)
    with sessions() as session:
        job = store.finish_ingestion_job(session, job_id)
        session.commit()
        counts = store.ingestion_job_counts(session, job_id)
        if pending:
            stored = [f.source_id for f in store.ingestion_job_files(session, job_id) if f.source_id is not None]
            index_new_sources(session, settings, stored)
    engine = sessions.kw.get("bind")
    if isinstance(engine, Engine):
        from service.twin import profile_jobs

        profile_jobs.rebuild_pending(engine)
    log.info("ingestion job %s finished: %s", job_id, counts)
    return counts


@dataclass(frozen=True)
class _JobContext:
    job_id: int
    twin_id: int
    labels: tuple[str, ...]
    options: IngestOptions


def _ingest_one(sessions: sessionmaker[Session], settings: Settings, job: _JobContext, file_id: int) -> None:
    """One file of a job through the ingestion path's two steps: parse unlocked, then lock the file's row and store."""
    with sessions() as session:
        row = session.get(IngestionJobFile, file_id)
        if row is None or row.status != "pending":
            return
        upload = Upload(row.path, row.data or b"")
        session.rollback()  # parse outside any transaction: a slow PDF must hold no lock
        doc = None
        try:
            doc = parse_upload(upload, job.labels, job.options, limits_for(settings))
        except IngestError as exc:
            outcome = Outcome.failure(upload.path, exc)
        locked = store.take_job_file(session, file_id)
        if locked is None:
            session.rollback()
            return
        if doc is not None:
            try:
                twin = session.get(Twin, job.twin_id)
                if twin is None:
                    raise NotFound("the twin no longer exists")
                outcome = store_document(session, twin, upload, doc, job.options)
            except UnderstudyError as exc:
                session.rollback()
                locked = store.take_job_file(session, file_id)
                if locked is None:
                    return
                outcome = Outcome.failure(upload.path, exc)
        store.record_job_file_outcome(session, locked, **job_file_result(outcome))
        session.commit()


def on_queue_failure(rq_job: Any, _connection: Any, exc_type: Any, exc_value: Any, tb: Any) -> None:
    """rq's failure callback: the job itself broke (time-out, lost database); record why on the job row."""
    job_id = int(rq_job.args[0]) if rq_job.args else None
    if job_id is None:
        return
    reason = "".join(traceback.format_exception_only(exc_type, exc_value)).strip() or "the job failed"
    settings = load_settings()
    with _sessions(settings)() as session:
        try:
            store.finish_ingestion_job(session, job_id, error=reason[:2000])
            session.commit()
        except UnderstudyError:
            session.rollback()


def run_worker(settings: Settings, *, burst: bool = False, worker_name: str | None = None,
               niceness: int = WORKER_NICENESS) -> bool:
    """Work the ingestion queue (the `understudy worker` command); with burst, stop when it is empty."""
    import os

    from rq import Worker

    from service.ops.health import redis_client

    if niceness > 0:
        os.nice(niceness)  # background work: on a shared host, answers get the CPU first

    if queue_backend(settings) != "rq":
        raise ValueError("no job queue is configured: set UNDERSTUDY_REDIS_URL (and UNDERSTUDY_INGEST_QUEUE=auto "
                         "or rq) to run a worker")
    worker = Worker([ingestion_queue(settings)], connection=redis_client(settings.redis_url), name=worker_name)
    return bool(worker.work(burst=burst, logging_level=settings.log_level.upper()))


# --- progress --------------------------------------------------------------------------------------

def queue_state(settings: Settings, job: IngestionJob) -> str | None:
    """What rq says of the job (queued, started, finished, failed, stopped…), or None when unknown."""
    if not job.queue_job_id or queue_backend(settings) != "rq":
        return None
    try:
        from rq.job import Job

        from service.ops.health import redis_client

        return str(Job.fetch(job.queue_job_id, connection=redis_client(settings.redis_url)).get_status())
    except Exception:  # noqa: BLE001 - gone from Redis (expired) or Redis down: the database row still tells
        return None


def job_dict(session: Session, job: IngestionJob, *, settings: Settings | None = None,
             files: bool = True) -> dict[str, Any]:
    """A job as the console shows it: status, counts done/failed/total, and each file's outcome."""
    counts = store.ingestion_job_counts(session, job.id)
    failed = counts["error"]
    done = counts["ingested"] + counts["duplicate"] + counts["updated"] + failed
    status = job.status
    error = job.error
    if settings is not None and status in ("queued", "running"):
        state = queue_state(settings, job)
        if state in ("failed", "stopped", "canceled"):
            status, error = "failed", error or f"the worker reports the job {state}"
    slug = store.twin_slug_of(session, job.twin_id) or ""
    body: dict[str, Any] = {
        "id": job.id, "twin": slug, "status": status, "total": job.total, "done": done, "failed": failed,
        "pending": counts["pending"], "counts": {k: counts[k] for k in ("ingested", "duplicate", "updated")},
        "options": dict(job.options or {}), "created_by": job.created_by, "error": error,
        "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }
    if files:
        from service.twin.labels import source_label_hints

        rows = store.ingestion_job_files(session, job.id)
        twin = session.get(Twin, job.twin_id)
        hints = source_label_hints(session, twin, [f.source_id for f in rows if f.source_id]) if twin else {}
        body["files"] = [{"path": f.path, "status": f.status, "source_id": f.source_id, "passages": f.passages,
                          "error": f.error, "speaker_hint": hints.get(f.source_id) if f.source_id else None}
                         for f in rows]
    return body


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def dispose_engines() -> None:
    """Close the worker side's pooled connections (tests, shutdown)."""
    with _ENGINES_LOCK:
        for engine, _ in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
