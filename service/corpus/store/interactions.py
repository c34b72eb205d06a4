"""Interactions: one row per answer or rehearsal turn, conversations and feedback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus.models import Interaction, Twin, utcnow
from service.errors import BadInput, NotFound


def record_interaction(session: Session, *, twin: Twin, user_id: int | None, question: str, answer: str,
                       conversation_id: str, passages: list[dict[str, Any]], mode: str, grounded: bool,
                       latency_ms: float, kind: str = "ask", channel: str = "cli",
                       refused_topic: str | None = None, voice_score: float | None = None) -> Interaction:
    """Store one answer or rehearsal turn with what it stood on."""
    row = Interaction(twin_id=twin.id, user_id=user_id, kind=kind, channel=channel, conversation_id=conversation_id,
                      question=question, answer=answer, passages=passages, mode=mode, grounded=grounded,
                      latency_ms=latency_ms, refused_topic=refused_topic, voice_score=voice_score,
                      created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def update_interaction(session: Session, row: Interaction, **fields: Any) -> Interaction:
    """Bring an interaction written before its answer was finished (a streamed answer) up to date."""
    allowed = {"answer", "passages", "mode", "grounded", "latency_ms", "refused_topic", "voice_score"}
    unknown = set(fields) - allowed
    if unknown:
        raise BadInput(f"an interaction's {', '.join(sorted(unknown))} cannot change")
    for name, value in fields.items():
        setattr(row, name, value)
    session.flush()
    return row


def conversation_history(session: Session, twin: Twin, conversation_id: str, *, user_id: int | None,
                         limit: int = 6) -> list[Interaction]:
    """The earlier turns of one user's conversation, oldest first."""
    rows = session.scalars(
        select(Interaction).where(Interaction.twin_id == twin.id, Interaction.conversation_id == conversation_id,
                                  Interaction.user_id.is_(None) if user_id is None else Interaction.user_id == user_id)
        .order_by(Interaction.id.desc()).limit(limit)
    )
    return list(reversed(list(rows)))


def record_feedback(session: Session, interaction_id: int, *, user_id: int | None, helpful: bool,
                    reason: str = "") -> Interaction:
    """Record helpful / not helpful on one's own answer."""
    row = session.get(Interaction, interaction_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"no answer {interaction_id}")
    row.feedback = "helpful" if helpful else "not_helpful"
    row.feedback_reason = reason.strip()[:2000] or None
    row.feedback_at = dt.datetime.now(dt.UTC)
    return row
