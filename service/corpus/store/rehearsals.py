"""Rehearsals and their rounds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus.models import Rehearsal, RehearsalTurn, Twin, utcnow
from service.corpus.store._common import row_by_id
from service.errors import BadInput, Conflict, NotFound


def create_rehearsal(session: Session, *, twin: Twin, user_id: int | None, pitch: str, filename: str | None,
                     result: dict[str, Any], state: dict[str, Any], mode: str, max_rounds: int,
                     channel: str = "cli") -> Rehearsal:
    """Store a new rehearsal with the twin's first reaction to the pitch."""
    now = utcnow()
    row = Rehearsal(twin_id=twin.id, user_id=user_id, channel=channel, pitch=pitch,
                    filename=(filename or None) and filename[:500], result=result, state=state, mode=mode, round=0,
                    max_rounds=max_rounds, done=False, summary=None, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def add_rehearsal_turn(session: Session, rehearsal: Rehearsal, *, question: str, reply: str, reaction: str,
                       text: str, citations: list[dict[str, Any]], mode: str, state: dict[str, Any],
                       done: bool, summary: dict[str, Any] | None = None) -> RehearsalTurn:
    """Store one round (question, reply, reaction) and move the rehearsal on."""
    if rehearsal.done:
        raise Conflict(f"rehearsal {rehearsal.id} is finished")
    if reaction not in ("follow_up", "accept", "summary"):
        raise BadInput("reaction must be follow_up, accept or summary")
    turn = RehearsalTurn(rehearsal_id=rehearsal.id, round=rehearsal.round + 1, question=question, reply=reply,
                         reaction=reaction, text=text, citations=citations, mode=mode, created_at=utcnow())
    session.add(turn)
    rehearsal.round = turn.round
    rehearsal.state = state
    rehearsal.done = done
    if summary is not None:
        rehearsal.summary = summary
    if mode == "llm":
        rehearsal.mode = "llm"
    rehearsal.updated_at = utcnow()
    session.flush()
    return turn


def get_rehearsal(session: Session, rehearsal_id: int, *, user_id: int | None,
                  for_update: bool = False) -> Rehearsal:
    """A rehearsal its author asks for; anyone else gets NotFound, as if it did not exist."""
    row = row_by_id(session, Rehearsal, rehearsal_id, for_update=for_update)
    if row is None or row.user_id != user_id:
        raise NotFound(f"no rehearsal {rehearsal_id}")
    return row


def list_rehearsals(session: Session, *, user_id: int | None, twin: Twin | None = None,
                    limit: int = 50) -> list[Rehearsal]:
    """One author's rehearsals, newest first."""
    stmt = select(Rehearsal).order_by(Rehearsal.id.desc()).limit(limit)
    stmt = stmt.where(Rehearsal.user_id.is_(None) if user_id is None else Rehearsal.user_id == user_id)
    if twin is not None:
        stmt = stmt.where(Rehearsal.twin_id == twin.id)
    return list(session.scalars(stmt))


def rehearsal_turns(session: Session, rehearsal: Rehearsal) -> list[RehearsalTurn]:
    """A rehearsal's rounds, in order."""
    return list(session.scalars(
        select(RehearsalTurn).where(RehearsalTurn.rehearsal_id == rehearsal.id).order_by(RehearsalTurn.round)))
