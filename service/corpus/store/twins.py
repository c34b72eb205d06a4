"""Twins: creation, consent, pause, speaker labels, persona and erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from service.corpus.audit import record_audit
from service.corpus.models import (
    AuditEvent,
    Correction,
    GapThemeLink,
    Interaction,
    Passage,
    QuestionReview,
    Rehearsal,
    RehearsalTurn,
    Source,
    Twin,
    utcnow,
)
from service.corpus.store._common import SLUG_RE, SOURCES, SYSTEM_ACTOR
from service.errors import BadInput, Conflict, NotFound


def create_twin(session: Session, slug: str, name: str, *, title: str = "", speaker_labels: list[str] | None = None,
                actor: str = SYSTEM_ACTOR) -> Twin:
    """Create a twin; it cannot answer until the executive's consent is recorded."""
    if not SLUG_RE.match(slug):
        raise BadInput(f"twin slug {slug!r} must be lower-case letters, digits and hyphens")
    if not name.strip():
        raise BadInput("a twin needs the executive's name")
    if session.scalar(select(Twin.id).where(Twin.slug == slug)) is not None:
        raise Conflict(f"twin {slug!r} already exists")
    labels = speaker_labels if speaker_labels is not None else default_speaker_labels(name)
    twin = Twin(slug=slug, name=name.strip(), title=title.strip(), persona={}, speaker_labels=labels)
    session.add(twin)
    session.flush()
    record_audit(session, actor, "twin.create", twin_slug=slug, object_type="twin", object_id=twin.id,
                 detail={"name": twin.name, "title": twin.title})
    return twin


def default_speaker_labels(name: str) -> list[str]:
    """Transcript labels that likely mark this executive: full name, surname, first name."""
    parts = name.strip().split()
    labels = [name.strip().upper()]
    if len(parts) > 1:
        labels += [parts[-1].upper(), parts[0].upper()]
    return list(dict.fromkeys(labels))


def get_twin(session: Session, slug: str) -> Twin:
    """The twin with this slug, or NotFound."""
    twin = session.scalar(select(Twin).where(Twin.slug == slug))
    if twin is None:
        raise NotFound(f"no twin {slug!r}")
    return twin


def list_twins(session: Session) -> list[Twin]:
    """Every twin, by slug."""
    return list(session.scalars(select(Twin).order_by(Twin.slug)))


def record_consent(session: Session, slug: str, *, by: str, scope: str, actor: str = SYSTEM_ACTOR) -> Twin:
    """Record the executive's consent (who, to what, when); the twin may then answer."""
    if not by.strip() or not scope.strip():
        raise BadInput("consent needs who gave it (--by) and what it covers (--scope)")
    twin = get_twin(session, slug)
    twin.consent_by, twin.consent_scope, twin.consent_at = by.strip(), scope.strip(), utcnow()
    record_audit(session, actor, "twin.consent", twin_slug=slug, object_type="twin", object_id=twin.id,
                 detail={"by": twin.consent_by, "scope": twin.consent_scope})
    return twin


def last_consent(session: Session, slug: str) -> dict[str, str] | None:
    """Who gave the twin's most recent consent and to what (kept after a withdrawal), from the audit log."""
    detail = session.scalar(select(AuditEvent.detail).where(
        AuditEvent.twin_slug == slug, AuditEvent.action == "twin.consent").order_by(AuditEvent.id.desc()).limit(1))
    if not detail or not detail.get("by") or not detail.get("scope"):
        return None
    return {"by": str(detail["by"]), "scope": str(detail["scope"])}


def revoke_consent(session: Session, slug: str, *, actor: str = SYSTEM_ACTOR) -> Twin:
    """Withdraw the executive's consent; the twin stops answering."""
    twin = get_twin(session, slug)
    twin.consent_by = twin.consent_scope = None
    twin.consent_at = None
    record_audit(session, actor, "twin.consent_revoked", twin_slug=slug, object_type="twin", object_id=twin.id)
    return twin


def set_twin_paused(session: Session, slug: str, paused: bool, *, actor: str = SYSTEM_ACTOR) -> Twin:
    """Pause or resume a twin everywhere at once."""
    twin = get_twin(session, slug)
    twin.paused = paused
    record_audit(session, actor, "twin.pause" if paused else "twin.resume", twin_slug=slug, object_type="twin",
                 object_id=twin.id)
    return twin


def set_speaker_labels(session: Session, slug: str, labels: list[str], *, actor: str = SYSTEM_ACTOR) -> Twin:
    """Set the transcript labels that mark the executive's turns."""
    twin = get_twin(session, slug)
    twin.speaker_labels = [label.strip() for label in labels if label.strip()]
    record_audit(session, actor, "twin.speaker_labels", twin_slug=slug, object_type="twin", object_id=twin.id,
                 detail={"labels": twin.speaker_labels})
    return twin


def update_persona(session: Session, slug: str, changes: dict[str, Any], *, actor: str = SYSTEM_ACTOR) -> Twin:
    """Merge curator changes into a twin's persona settings."""
    twin = get_twin(session, slug)
    session.refresh(twin, with_for_update=True)  # the latest persona: a profile rebuilt meanwhile is kept
    twin.persona = {**(twin.persona or {}), **changes}
    record_audit(session, actor, "persona.update", twin_slug=slug, object_type="twin", object_id=twin.id,
                 detail={"changed": sorted(changes)})
    return twin


def save_style_profile(session: Session, twin_id: int, style: dict[str, Any], state: str) -> Twin | None:
    """Store a twin's style profile as derived from its corpus: the system's work, so no audit event."""
    twin = session.scalar(select(Twin).where(Twin.id == twin_id).with_for_update()
                          .execution_options(populate_existing=True))
    if twin is None:
        return None
    twin.persona = {**(twin.persona or {}), "style": style, "style_state": state}
    session.flush()
    return twin


def forget_twin(session: Session, slug: str, *, actor: str = SYSTEM_ACTOR) -> dict[str, int]:
    """Erase a twin's sources, passages and history, keeping only an audit entry that it happened."""
    twin = get_twin(session, slug)
    counts = {
        "sources": session.scalar(select(func.count()).select_from(Source).where(Source.twin_id == twin.id)) or 0,
        "passages": session.scalar(select(func.count()).select_from(Passage).where(Passage.twin_id == twin.id)) or 0,
        "interactions": session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.twin_id == twin.id)) or 0,
    }
    # Rehearsals are counted in interactions already (one row per start and turn).
    session.execute(delete(RehearsalTurn).where(
        RehearsalTurn.rehearsal_id.in_(select(Rehearsal.id).where(Rehearsal.twin_id == twin.id))))
    session.execute(delete(Rehearsal).where(Rehearsal.twin_id == twin.id))
    session.execute(delete(Interaction).where(Interaction.twin_id == twin.id))
    session.execute(delete(QuestionReview).where(QuestionReview.twin_id == twin.id))
    session.execute(delete(GapThemeLink).where(GapThemeLink.twin_id == twin.id))
    session.execute(delete(Correction).where(Correction.twin_id == twin.id))
    session.execute(delete(Passage).where(Passage.twin_id == twin.id))
    session.execute(update(SOURCES).where(SOURCES.c.twin_id == twin.id).values(
        supersedes_id=None, superseded_by_id=None))
    session.execute(delete(Source).where(Source.twin_id == twin.id))
    session.delete(twin)
    session.flush()
    record_audit(session, actor, "twin.forget", twin_slug=slug, object_type="twin", detail=counts)
    return counts
