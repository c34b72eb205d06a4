"""Pitch rehearsal: the questions this executive would ask, their push-back and a scorecard, then rounds."""

from service.rehearsal.engine import (
    RehearsalResult,
    TurnResult,
    answer_turn,
    ensure_available,
    get_rehearsal,
    list_rehearsals,
    start_rehearsal,
)
from service.rehearsal.rubric import DEFAULT_RUBRIC, validate_rubric

__all__ = [
    "DEFAULT_RUBRIC",
    "RehearsalResult",
    "TurnResult",
    "answer_turn",
    "ensure_available",
    "get_rehearsal",
    "list_rehearsals",
    "start_rehearsal",
    "validate_rubric",
]
