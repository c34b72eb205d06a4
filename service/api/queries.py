"""The upload step shared by the API and the pages (moving to service/ingest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from ingestion.model import KINDS, IngestError, Limits
from service.config import Settings
from service.corpus import store
from service.corpus.models import Twin
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
    from service.twin.labels import document_label_hint

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
            result.update(status=added.status, source_id=added.source.id, passages=len(doc.passages),
                          speaker_hint=document_label_hint(doc, twin.name))
        results.append(result)
    stored = [r["source_id"] for r in results if r["source_id"]]
    if stored:
        index_new_sources(session, settings, stored)
    return results
