"""Plain data that ingestion returns and the corpus store writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

KINDS = ("memo", "talk", "transcript", "email", "other")


@dataclass(frozen=True)
class ParsedPassage:
    """One citable passage: whole sentences of one speaker, never across a page."""

    ordinal: int
    text: str
    locator: str
    speaker: str | None = None
    executive: bool = True
    heading: str | None = None
    # Neighbouring words carried for retrieval only; never quoted as this speaker's.
    context: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    """A parsed file: metadata and its passages in reading order."""

    title: str
    kind: str
    filename: str
    sha256: str
    size_bytes: int
    date: dt.date | None
    passages: list[ParsedPassage]
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile file from exhausting the machine."""

    max_bytes: int = 50 * 1024 * 1024
    pdf_timeout_s: float = 30.0
    pdf_memory_mb: int = 1024
    pdf_max_pages: int = 2000
    zip_max_members: int = 2000
    zip_max_total_bytes: int = 200 * 1024 * 1024
    zip_max_ratio: float = 100.0
    max_passages: int = 50_000
    passage_words: int = 90


class IngestError(Exception):
    """A file that cannot be ingested; `code` is stable, the message says why in plain words."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message
