"""The upload step's old names for the API and the pages; the step itself is service/ingest.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ingestion.model import IngestError
from service.config import Settings
from service.corpus.models import Twin
from service.ingest import IngestOptions, Upload, ingest, upload_result
from service.ingest import ingest_error_status as status_of_ingest_code


def ingest_error_status(error: IngestError) -> int:
    """The HTTP status of an ingestion failure: 413 too large, 415 wrong type, else 400 (service/ingest.py decides)."""
    return status_of_ingest_code(error.code)


# An upload is service.ingest.Upload; the name stays for the views that import it from here.
UploadedFile = Upload


def ingest_uploads(session: Session, settings: Settings, twin: Twin, files: list[Upload], *,
                   kind: str | None, audience: str, approve: bool, actor: str) -> list[dict[str, Any]]:
    """service.ingest.ingest, each outcome in the API's result shape (for the views that still call it here)."""
    options = IngestOptions(audience=audience, actor=actor, kind=kind or None, approve=approve)
    return [upload_result(o) for o in ingest(session, settings, twin, files, options)]
