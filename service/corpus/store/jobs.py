"""Ingestion jobs: queued files with their bytes, each file's outcome, counts."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, defer

from ingestion.model import KINDS
from service.corpus.audit import record_audit
from service.corpus.models import IngestionJob, IngestionJobFile, Twin, utcnow
from service.corpus.store._common import SYSTEM_ACTOR, row_by_id, twin_slug_of
from service.errors import BadInput, NotFound

JOB_FILE_OUTCOMES = ("ingested", "duplicate", "updated", "error")


def create_ingestion_job(session: Session, twin: Twin, files: list[tuple[str, bytes]], *, kind: str | None,
                         audience: str, approve: bool, created_by: str = SYSTEM_ACTOR) -> IngestionJob:
    """Store a queued job with each file's bytes, so any worker can ingest it."""
    if not files:
        raise BadInput("an ingestion job needs at least one file")
    if kind and kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    if not audience.strip():
        raise BadInput("audience must not be empty")
    job = IngestionJob(twin_id=twin.id, status="queued", total=len(files), created_by=created_by,
                       options={"kind": kind or None, "audience": audience.strip(), "approve": bool(approve)},
                       created_at=utcnow())
    session.add(job)
    session.flush()
    session.execute(insert(IngestionJobFile), [
        {"job_id": job.id, "ordinal": i, "path": path[:1000], "size_bytes": len(data), "data": data,
         "status": "pending"}
        for i, (path, data) in enumerate(files)
    ])
    record_audit(session, created_by, "ingestion_job.create", twin_slug=twin.slug, object_type="ingestion_job",
                 object_id=job.id, detail={"files": len(files), "audience": audience.strip(), "approve": bool(approve)})
    return job


def get_ingestion_job(session: Session, job_id: int, *, for_update: bool = False) -> IngestionJob:
    """The ingestion job with this id, or NotFound."""
    job = row_by_id(session, IngestionJob, job_id, for_update=for_update)
    if job is None:
        raise NotFound(f"no ingestion job {job_id}")
    return job


def list_ingestion_jobs(session: Session, twin: Twin, *, limit: int = 20) -> list[IngestionJob]:
    """A twin's ingestion jobs, newest first."""
    return list(session.scalars(select(IngestionJob).where(IngestionJob.twin_id == twin.id)
                                .order_by(IngestionJob.id.desc()).limit(limit)))


def set_ingestion_job_queue_id(session: Session, job: IngestionJob, queue_job_id: str) -> IngestionJob:
    """Remember the queue's own id of the job (to find it in the queue's registries)."""
    job.queue_job_id = queue_job_id[:64]
    session.flush()
    return job


def start_ingestion_job(session: Session, job_id: int) -> IngestionJob | None:
    """Mark a job running (None if it already finished: a retried delivery has nothing left to do)."""
    job = get_ingestion_job(session, job_id, for_update=True)
    if job.status in ("done", "failed"):
        return None
    job.status = "running"
    job.started_at = job.started_at or utcnow()
    session.flush()
    return job


def pending_job_file_ids(session: Session, job_id: int) -> list[int]:
    """Ids of a job's files without an outcome yet, in upload order."""
    return list(session.scalars(select(IngestionJobFile.id).where(
        IngestionJobFile.job_id == job_id, IngestionJobFile.status == "pending").order_by(IngestionJobFile.ordinal)))


def take_job_file(session: Session, file_id: int) -> IngestionJobFile | None:
    """Lock one pending file of a job for processing (None if another worker already finished it)."""
    row = session.scalar(select(IngestionJobFile).where(IngestionJobFile.id == file_id).with_for_update())
    return row if row is not None and row.status == "pending" else None


def record_job_file_outcome(session: Session, row: IngestionJobFile, *, status: str, source_id: int | None = None,
                            passages: int | None = None, error: str | None = None,
                            error_code: str | None = None) -> IngestionJobFile:
    """Store what became of one file, and drop its bytes."""
    if status not in JOB_FILE_OUTCOMES:
        raise BadInput(f"a file outcome is one of {', '.join(JOB_FILE_OUTCOMES)}")
    row.status, row.source_id, row.passages = status, source_id, passages
    row.error, row.error_code = error, (error_code or None) and error_code[:64]
    row.data, row.finished_at = None, utcnow()
    session.flush()
    return row


def finish_ingestion_job(session: Session, job_id: int, *, error: str | None = None) -> IngestionJob:
    """Mark a job done (every file has an outcome) or failed (with the reason the job itself broke)."""
    job = get_ingestion_job(session, job_id, for_update=True)
    job.status = "failed" if error else "done"
    job.error = error
    job.finished_at = utcnow()
    counts = ingestion_job_counts(session, job_id)
    record_audit(session, job.created_by or SYSTEM_ACTOR, "ingestion_job.finish",
                 twin_slug=twin_slug_of(session, job.twin_id), object_type="ingestion_job", object_id=job.id,
                 detail={"status": job.status, **counts, **({"error": error} if error else {})})
    return job


def ingestion_job_counts(session: Session, job_id: int) -> dict[str, int]:
    """How many of a job's files are pending, ingested, duplicate, updated or failed ("error")."""
    counts = dict.fromkeys(("pending", *JOB_FILE_OUTCOMES), 0)
    for status, count in session.execute(select(IngestionJobFile.status, func.count()).where(
            IngestionJobFile.job_id == job_id).group_by(IngestionJobFile.status)):
        counts[str(status)] = int(count)
    return counts


def ingestion_job_files(session: Session, job_id: int) -> list[IngestionJobFile]:
    """A job's files in upload order (their bytes not loaded)."""
    return list(session.scalars(select(IngestionJobFile).options(defer(IngestionJobFile.data))
                                .where(IngestionJobFile.job_id == job_id).order_by(IngestionJobFile.ordinal)))


def ingestion_jobs_by_status(session: Session) -> dict[str, int]:
    """Every ingestion job counted by status (for the metrics endpoint)."""
    return {str(status): int(count) for status, count in session.execute(
        select(IngestionJob.status, func.count()).group_by(IngestionJob.status))}
