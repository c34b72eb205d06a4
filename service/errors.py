"""Domain errors with a stable code; the web and CLI map them to statuses and exit codes."""

from __future__ import annotations


class UnderstudyError(Exception):
    """Base of every error a user can cause; `code` is stable and `status` is its HTTP status."""

    code = "error"
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInput(UnderstudyError):
    code = "bad_input"
    status = 400


def check_storable(text: str, what: str) -> None:
    """BadInput for text no database column can hold (a NUL character, a lone surrogate)."""
    if "\x00" in text:
        raise BadInput(f"{what} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"{what} contains characters that are not valid Unicode text") from None


class PitchTooShort(BadInput):
    """A pitch with too little in it to rehearse: the twin asks for more instead of scoring it."""

    code = "pitch_too_short"
    status = 422


class NotFound(UnderstudyError):
    code = "not_found"
    status = 404


class Forbidden(UnderstudyError):
    code = "forbidden"
    status = 403


class Conflict(UnderstudyError):
    code = "conflict"
    status = 409


class TwinUnavailable(UnderstudyError):
    """The twin may not answer: paused or without the executive's consent."""

    code = "twin_unavailable"
    status = 409
