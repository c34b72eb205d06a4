"""What both faces check of a rehearsal request: the pitch file's type, and rehearsal ids in URLs."""

from __future__ import annotations

from pathlib import PurePosixPath

from werkzeug.exceptions import UnsupportedMediaType

from service.errors import BadInput
from service.rehearsal.pitch import PITCH_SUFFIXES

PITCH_TYPES = ".docx, .pdf, .md or .txt"
# Ids in URLs stop at the largest id column value (PostgreSQL INTEGER); a larger one is a 404, not a database error.
REHEARSAL_ID = "int:rehearsal_id"


def check_pitch_file(filename: str | None) -> str:
    """The upload's base name; 415 for a type a pitch cannot be."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    if not name:
        raise BadInput(f"the uploaded pitch needs a file name ending {PITCH_TYPES}")
    if not name.lower().endswith(PITCH_SUFFIXES):
        raise UnsupportedMediaType(f"{name}: a pitch must be a {PITCH_TYPES} file")
    return name
