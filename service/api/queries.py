"""Read-only questions the console asks of the corpus, and the upload step shared by API and pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ingestion.model import KINDS, IngestError, Limits
from service.config import Settings
from service.corpus import store
from service.corpus.models import Interaction, Source, Twin, User
from service.errors import BadInput
from service.search.vectors import index_new_sources

INGEST_STATUS = {"too_large": 413, "file_too_large": 413, "unsupported": 415, "unsupported_type": 415, "mislabelled": 415,
                 "unknown_type": 415, "unsupported_format": 415}


def ingest_error_status(error: IngestError) -> int:
    """The HTTP status of an ingestion failure: 413 too large, 415 wrong type, else 400."""
    if error.code in INGEST_STATUS:
        return INGEST_STATUS[error.code]
    if "large" in error.code or "size" in error.code:
        return 413
    if "type" in error.code or "format" in error.code or "unsupported" in error.code:
        return 415
    return 400


def filter_sources(session: Session, twin: Twin, *, status: str | None = None, kind: str | None = None,
                   audience: str | None = None, q: str | None = None, date_from: dt.date | None = None,
                   date_to: dt.date | None = None, current_only: bool = False) -> list[Source]:
    """A twin's sources with the console's filters: status, kind, audience, date range, title search."""
    sources = store.list_sources(session, twin, status=status or None, kind=kind or None,
                                 audience=audience or None, current_only=current_only)
    needle = (q or "").strip().lower()
    if needle:
        sources = [s for s in sources if needle in s.title.lower() or needle in s.filename.lower()]
    if date_from:
        sources = [s for s in sources if s.date is not None and s.date >= date_from]
    if date_to:
        sources = [s for s in sources if s.date is not None and s.date <= date_to]
    return sources


def unanswered(session: Session, twin: Twin, *, limit: int = 100) -> list[tuple[Interaction, str | None]]:
    """Questions answered without grounding and answers marked not helpful, newest first."""
    rows = session.execute(
        select(Interaction, User.email).outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.twin_id == twin.id,
               or_(Interaction.grounded.is_(False), Interaction.feedback == "not_helpful"))
        .order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


def limits_for(settings: Settings) -> Limits:
    """Ingestion caps from the settings."""
    return Limits(max_bytes=int(settings.max_file_mb * 1024 * 1024), pdf_timeout_s=float(settings.pdf_timeout),
                  pdf_memory_mb=int(settings.pdf_memory_mb), passage_words=int(settings.passage_words))


@dataclass
class UploadedFile:
    """One uploaded file: the path the browser gave (maybe inside a folder) and its bytes."""

    path: str
    data: bytes


def ingest_uploads(session: Session, settings: Settings, twin: Twin, files: list[UploadedFile], *,
                   kind: str | None, audience: str, approve: bool, actor: str) -> list[dict[str, Any]]:
    """Parse and store each file as a source; one result per file, like `understudy ingest --json`."""
    from ingestion.pipeline import parse_bytes

    if kind and kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    if not audience.strip():
        raise BadInput("audience must not be empty")
    results: list[dict[str, Any]] = []
    limits = limits_for(settings)
    for upload in files:
        name = PurePosixPath(upload.path.replace("\\", "/")).name or "upload"
        result: dict[str, Any] = {"path": upload.path, "status": "error", "source_id": None, "passages": None,
                                  "error": None}
        try:
            doc = parse_bytes(upload.data, name, kind=kind or None, speaker_labels=tuple(twin.speaker_labels or ()),
                              limits=limits)
            added = store.add_source(session, twin, doc, audience=audience, uploaded_by=actor, approve=approve,
                                     kind=kind or None)
            session.commit()
        except IngestError as exc:
            session.rollback()
            result.update(error=exc.message, error_code=exc.code, http_status=ingest_error_status(exc))
        except BadInput as exc:
            session.rollback()
            result.update(error=exc.message, error_code=exc.code, http_status=exc.status)
        else:
            result.update(status=added.status, source_id=added.source.id, passages=len(doc.passages))
        results.append(result)
    stored = [r["source_id"] for r in results if r["source_id"]]
    if stored:
        index_new_sources(session, settings, stored)
    return results
