"""The audit log: append an event, read events newest first (below the store and corrections, which both record)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus.models import AuditEvent

# Who acts when no person does (imports, retirements a replaced source causes).
SYSTEM_ACTOR = "system"


def record_audit(session: Session, actor: str, action: str, *, twin_slug: str | None = None,
                 object_type: str | None = None, object_id: int | None = None,
                 detail: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to the audit log."""
    event = AuditEvent(actor=actor or SYSTEM_ACTOR, action=action, twin_slug=twin_slug, object_type=object_type,
                       object_id=object_id, detail=detail or {})
    session.add(event)
    session.flush()
    return event


def list_audit(session: Session, *, twin_slug: str | None = None, limit: int = 200,
               before_id: int | None = None) -> list[AuditEvent]:
    """Audit events, newest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if twin_slug:
        stmt = stmt.where(AuditEvent.twin_slug == twin_slug)
    if before_id:
        stmt = stmt.where(AuditEvent.id < before_id)
    return list(session.scalars(stmt))
