"""Plain dicts of stored rows, shared by the JSON API and the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.corpus.models import AuditEvent, Interaction, Passage, Source, Twin, User


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """ISO 8601 text, or None."""
    return value.isoformat() if value is not None else None


def twin_dict(twin: Twin) -> dict[str, Any]:
    """A twin and whether it may answer."""
    return {
        "slug": twin.slug, "name": twin.name, "title": twin.title or "", "paused": bool(twin.paused),
        "has_consent": twin.has_consent, "available": twin.has_consent and not twin.paused,
        "consent_by": twin.consent_by, "consent_scope": twin.consent_scope, "consent_at": iso(twin.consent_at),
        "speaker_labels": list(twin.speaker_labels or []),
    }


def source_dict(source: Source, twin_slug: str, passages: int) -> dict[str, Any]:
    """One version of a source, as listed in the console and the API."""
    return {
        "id": source.id, "twin": twin_slug, "title": source.title, "filename": source.filename, "kind": source.kind,
        "date": iso(source.date), "audience": source.audience, "status": source.display_status,
        "current": source.superseded_by_id is None, "version": source.version, "passages": passages,
        "supersedes_id": source.supersedes_id, "superseded_by_id": source.superseded_by_id,
        "uploaded_by": source.uploaded_by, "uploaded_at": iso(source.uploaded_at),
        "approved_by": source.approved_by, "approved_at": iso(source.approved_at),
        "retired_by": source.retired_by, "retired_at": iso(source.retired_at),
    }


def passage_dict(passage: Passage) -> dict[str, Any]:
    """One parsed passage with who spoke it and where it is."""
    return {"ordinal": passage.ordinal, "text": passage.text, "speaker": passage.speaker,
            "executive": bool(passage.executive), "locator": passage.locator, "heading": passage.heading}


def version_dict(source: Source) -> dict[str, Any]:
    """A line of a source's version history."""
    return {"id": source.id, "version": source.version, "status": source.display_status,
            "uploaded_at": iso(source.uploaded_at), "uploaded_by": source.uploaded_by,
            "superseded_by_id": source.superseded_by_id}


def user_dict(user: User) -> dict[str, Any]:
    """A user without the token hash."""
    return {"email": user.email, "name": user.name or "", "role": user.role, "audiences": list(user.audiences or []),
            "active": bool(user.active), "created_at": iso(user.created_at)}


def audit_dict(event: AuditEvent) -> dict[str, Any]:
    """One audit log entry."""
    return {"id": event.id, "at": iso(event.at) or "", "actor": event.actor, "action": event.action,
            "twin_slug": event.twin_slug, "object_type": event.object_type, "object_id": event.object_id,
            "detail": dict(event.detail or {})}


def unanswered_dict(row: Interaction, asked_by: str | None) -> dict[str, Any]:
    """A question the twin could not answer well, or an answer someone found unhelpful."""
    return {"interaction_id": row.id, "at": iso(row.created_at) or "", "question": row.question,
            "answer": row.answer, "grounded": bool(row.grounded), "refused_topic": row.refused_topic,
            "feedback": row.feedback, "feedback_reason": row.feedback_reason, "asked_by": asked_by,
            "conversation_id": row.conversation_id}
