"""Restore: an exported twin's record written back with its history as it was."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ingestion.model import KINDS
from service.corpus.models import AuditEvent, Source, Twin, utcnow
from service.corpus.store._common import PASSAGES, SLUG_RE, SYSTEM_ACTOR
from service.errors import BadInput, Conflict


def _when(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def restore_twin(session: Session, record: dict[str, Any], *, slug: str, actor: str = SYSTEM_ACTOR) -> Twin:
    """Create a twin from an exported record (persona, labels, consent kept); Conflict if the slug is taken."""
    if not SLUG_RE.match(slug):
        raise BadInput("a twin slug is lower-case letters, digits and dashes, at most 63 characters")
    if session.scalar(select(Twin.id).where(Twin.slug == slug)) is not None:
        raise Conflict(f"a twin {slug!r} already exists; import under another slug or forget it first")
    twin = Twin(slug=slug, name=str(record["name"])[:200], title=str(record.get("title") or "")[:200],
                persona=dict(record.get("persona") or {}), speaker_labels=list(record.get("speaker_labels") or []),
                paused=bool(record.get("paused")), consent_by=record.get("consent_by"),
                consent_scope=record.get("consent_scope"), consent_at=_when(record.get("consent_at")),
                created_at=_when(record.get("created_at")) or utcnow())
    session.add(twin)
    session.flush()
    return twin


def restore_source(session: Session, twin: Twin, record: dict[str, Any]) -> Source:
    """Insert one exported source version with its passages, status and history fields as they were."""
    kind = str(record["kind"])
    if kind not in KINDS:
        raise BadInput(f"source {record.get('filename')!r}: kind must be one of {', '.join(KINDS)}")
    source = Source(
        twin_id=twin.id, title=str(record["title"])[:500], kind=kind, filename=str(record["filename"])[:500],
        sha256=str(record["sha256"]), size_bytes=int(record.get("size_bytes") or 0), date=_day(record.get("date")),
        audience=str(record.get("audience") or "everyone"), status=str(record.get("status") or "draft"),
        version=int(record.get("version") or 1), uploaded_by=str(record.get("uploaded_by") or ""),
        uploaded_at=_when(record.get("uploaded_at")) or utcnow(), approved_by=record.get("approved_by"),
        approved_at=_when(record.get("approved_at")), retired_by=record.get("retired_by"),
        retired_at=_when(record.get("retired_at")), meta=dict(record.get("metadata") or {}),
    )
    if source.status not in ("draft", "approved", "retired"):
        raise BadInput(f"source {source.filename!r}: unknown status {source.status!r}")
    session.add(source)
    session.flush()
    passages = list(record.get("passages") or [])
    if passages:
        session.execute(insert(PASSAGES), [
            {"source_id": source.id, "twin_id": twin.id, "ordinal": int(p["ordinal"]), "text": str(p["text"]),
             "speaker": p.get("speaker"), "executive": bool(p.get("executive", True)),
             "locator": str(p.get("locator") or "")[:100], "heading": p.get("heading"),
             "context": str(p.get("context") or ""), "words": len(str(p["text"]).split())}
            for p in passages
        ])
    return source


def link_restored_versions(session: Session, source: Source, *, supersedes: Source | None,
                           superseded_by: Source | None) -> None:
    """Reconnect an imported source to the versions before and after it."""
    source.supersedes_id = supersedes.id if supersedes is not None else None
    source.superseded_by_id = superseded_by.id if superseded_by is not None else None


def restore_audit_event(session: Session, record: dict[str, Any], *, twin_slug: str,
                        object_id: int | None) -> AuditEvent:
    """Append an exported audit event with its original time and actor (the log stays append-only)."""
    detail = dict(record.get("detail") or {})
    if record.get("object_id") is not None and object_id != record.get("object_id"):
        detail["exported_object_id"] = record.get("object_id")
    event = AuditEvent(at=_when(record.get("at")) or utcnow(), actor=str(record.get("actor") or SYSTEM_ACTOR)[:320],
                       action=str(record["action"])[:64], twin_slug=twin_slug,
                       object_type=record.get("object_type"), object_id=object_id, detail=detail)
    session.add(event)
    return event
