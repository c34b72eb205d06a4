"""The one ingestion path: files in, sources stored, one Outcome per file. The CLI, the API, the upload page and
background jobs all call it (jobs call its two steps, parse and store, with the job's row lock between them)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from ingestion.model import KINDS, IngestError, Limits, ParsedDocument
from ingestion.pipeline import parse_bytes, parse_path
from service.config import Settings
from service.corpus import store
from service.corpus.models import Twin
from service.errors import BadInput, UnderstudyError

log = logging.getLogger(__name__)

STORED = ("ingested", "updated")  # outcomes that put new passages in the corpus
INGEST_STATUS = {"too_large": 413, "file_too_large": 413, "unsupported": 415, "unsupported_type": 415, "mislabelled": 415,
                 "unknown_type": 415, "unsupported_format": 415}


@dataclass(frozen=True)
class Upload:
    """One file to ingest: the path it was given under (maybe inside a folder), and its bytes or where they are."""

    path: str
    data: bytes | None = None
    file: Path | None = None  # read when parsed, after its size is checked

    @classmethod
    def on_disk(cls, path: Path) -> Upload:
        """A file on this machine, read only when it is parsed."""
        return cls(str(path), file=path)

    @property
    def name(self) -> str:
        """The file's own name, without any folder the browser gave."""
        return PurePosixPath(self.path.replace("\\", "/")).name or "upload"

    def read(self) -> bytes:
        """Its bytes (read from disk for a file on this machine)."""
        if self.data is not None:
            return self.data
        assert self.file is not None, "an upload has bytes or a file"
        return self.file.read_bytes()


@dataclass(frozen=True)
class IngestOptions:
    """How every file of one ingestion is stored."""

    audience: str
    actor: str = store.SYSTEM_ACTOR
    kind: str | None = None
    approve: bool = False
    # The executive's transcript labels for these files alone (kept on each source); else the twin's labels.
    speakers: tuple[str, ...] = ()
    date: dt.date | None = None

    def check(self) -> None:
        """Refuse options no file could be stored with."""
        if self.kind and self.kind not in KINDS:
            raise BadInput(f"kind must be one of {', '.join(KINDS)}")
        if not self.audience.strip():
            raise BadInput("audience must not be empty")


@dataclass
class Outcome:
    """What became of one file: ingested, updated (a new version), duplicate, or failed with a reason."""

    path: str
    status: str
    source_id: int | None = None
    passages: int = 0
    version: int | None = None
    error: str | None = None
    code: str | None = None
    # When the file's speaker labels include none of the executive's: the label with most words and its share.
    speaker_hint: dict[str, Any] | None = field(default=None)

    @classmethod
    def failure(cls, path: str, exc: IngestError | UnderstudyError) -> Outcome:
        """A file that could not be parsed or stored."""
        return cls(path, "failed", error=exc.message, code=exc.code)

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def limits_for(settings: Settings) -> Limits:
    """Ingestion caps from the settings."""
    return Limits(max_bytes=settings.max_file_bytes, pdf_timeout_s=settings.pdf_timeout,
                  pdf_memory_mb=settings.pdf_memory_mb, passage_words=settings.passage_words)


def ingest(session: Session, settings: Settings, twin: Twin, files: Iterable[Upload],
           options: IngestOptions) -> list[Outcome]:
    """Parse and store each file in its own transaction (a bad file fails alone), then index what was stored."""
    outcomes = list(ingest_each(session, settings, twin, files, options))
    index_stored(session, settings, outcomes)
    return outcomes


def ingest_each(session: Session, settings: Settings, twin: Twin, files: Iterable[Upload],
                options: IngestOptions) -> Iterator[Outcome]:
    """ingest() one file at a time, each outcome as it is committed (for progress); indexing is the caller's."""
    options.check()
    # The twin's labels and the ones given for these files, together, as a later re-attribution reads them.
    labels = tuple(dict.fromkeys([*options.speakers, *(twin.speaker_labels or ())]))
    limits = limits_for(settings)
    for upload in files:
        try:
            doc = parse_upload(upload, labels, options, limits)
            outcome = store_document(session, twin, upload, doc, options)
            session.commit()
        except (IngestError, UnderstudyError) as exc:
            session.rollback()
            outcome = Outcome.failure(upload.path, exc)
        yield outcome


def parse_upload(upload: Upload, labels: tuple[str, ...], options: IngestOptions, limits: Limits) -> ParsedDocument:
    """Step one: the file parsed into passages; any problem raises IngestError with a plain reason."""
    try:
        if upload.file is not None and upload.data is None:
            return parse_path(upload.file, kind=options.kind, speaker_labels=labels, date=options.date, limits=limits)
        return parse_bytes(upload.read(), upload.name, kind=options.kind, speaker_labels=labels, date=options.date,
                           limits=limits)
    except IngestError:
        raise
    except OSError as exc:
        raise IngestError("unreadable", f"cannot read the file: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - one broken file must not stop the others
        log.exception("unexpected failure parsing %s", upload.path)
        raise IngestError("parse_failed", f"could not parse the file ({type(exc).__name__})") from None


def store_document(session: Session, twin: Twin, upload: Upload, doc: ParsedDocument,
                   options: IngestOptions) -> Outcome:
    """Step two: the parsed file stored as a source (a new version when its name is known); not committed."""
    from service.twin.labels import document_label_hint

    added = store.add_source(session, twin, doc, audience=options.audience, uploaded_by=options.actor,
                             approve=options.approve, kind=options.kind, speaker_labels=list(options.speakers) or None)
    return Outcome(upload.path, added.status, added.source.id, len(doc.passages), version=added.source.version,
                   speaker_hint=document_label_hint(doc, twin.name, twin.title))


def index_stored(session: Session, settings: Settings, outcomes: Iterable[Outcome]) -> None:
    """Search statistics, and stored vectors when embeddings are configured, for the sources these files added."""
    from service.search.vectors import index_new_sources

    stored = [o.source_id for o in outcomes if o.status in STORED and o.source_id is not None]
    if stored:
        index_new_sources(session, settings, stored)


# --- the shapes each face has always shown --------------------------------------------------------

def ingest_error_status(code: str) -> int:
    """The HTTP status of an ingestion failure with this code: 413 too large, 415 wrong type, else 400."""
    if code in INGEST_STATUS:
        return INGEST_STATUS[code]
    if "large" in code or "size" in code:
        return 413
    if "type" in code or "format" in code or "unsupported" in code:
        return 415
    return 400


def upload_result(outcome: Outcome) -> dict[str, Any]:
    """An outcome as the API and the upload page show it ('error' for a failed file, with its HTTP status)."""
    result: dict[str, Any] = {"path": outcome.path, "status": "error" if outcome.failed else outcome.status,
                              "source_id": outcome.source_id, "passages": None if outcome.failed else outcome.passages,
                              "error": outcome.error}
    if outcome.failed:
        code = outcome.code or "bad_input"
        result.update(error_code=code, http_status=ingest_error_status(code))
    else:
        result["speaker_hint"] = outcome.speaker_hint
    return result


def job_file_result(outcome: Outcome) -> dict[str, Any]:
    """An outcome as a background job records it for one of its files."""
    if outcome.failed:
        return {"status": "error", "error": outcome.error, "error_code": outcome.code}
    return {"status": outcome.status, "source_id": outcome.source_id, "passages": outcome.passages}
