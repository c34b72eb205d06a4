"""The narrow store API: the only code that writes the corpus tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingestion.model import KINDS, ParsedDocument
from service.corpus.access import ROLES, Viewer
from service.corpus.corrections import retire_relying_on
from service.corpus.models import (
    AuditEvent,
    Correction,
    GapThemeLink,
    Interaction,
    Passage,
    PassageVector,
    QuestionReview,
    Rehearsal,
    RehearsalTurn,
    SlackAnswer,
    SlackChannelSetting,
    SlackEvent,
    SlackThread,
    Source,
    Twin,
    User,
    utcnow,
)
from service.errors import BadInput, Conflict, NotFound

# Core tables for bulk statements that must not go through the ORM's unit of work.
PASSAGES = cast(Table, Passage.__table__)
SOURCES = cast(Table, Source.__table__)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SYSTEM_ACTOR = "system"


# --- audit -----------------------------------------------------------------------------------------

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


# --- twins -----------------------------------------------------------------------------------------

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


# --- users -----------------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    """Stored form of an API token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, email: str, *, role: str = "employee", audiences: list[str] | None = None,
             name: str = "", actor: str = SYSTEM_ACTOR) -> tuple[User, str]:
    """Create a user and return it with a new API token, shown only this once."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise BadInput(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise BadInput(f"role must be one of {', '.join(ROLES)}")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"user {email} already exists")
    token = "us_" + secrets.token_urlsafe(32)
    user = User(email=email, name=name, role=role, audiences=sorted(set(audiences or [])),
                token_hash=hash_token(token))
    session.add(user)
    session.flush()
    record_audit(session, actor, "user.add", object_type="user", object_id=user.id,
                 detail={"email": email, "role": role, "audiences": user.audiences})
    return user, token


def update_user(session: Session, email: str, *, role: str | None = None, audiences: list[str] | None = None,
                active: bool | None = None, actor: str = SYSTEM_ACTOR) -> User:
    """Change a user's role, audiences or whether they may sign in."""
    user = get_user(session, email)
    changes: dict[str, Any] = {}
    if role is not None:
        if role not in ROLES:
            raise BadInput(f"role must be one of {', '.join(ROLES)}")
        user.role = changes["role"] = role
    if audiences is not None:
        before = set(user.audiences or [])
        user.audiences = changes["audiences"] = sorted(set(audiences))
        changes["granted"], changes["revoked"] = sorted(set(audiences) - before), sorted(before - set(audiences))
        if changes["granted"] and actor == user.email:
            changes["self_granted"] = True  # an admin who must read a restricted source grants it to themselves
    if active is not None:
        user.active = changes["active"] = active
    record_audit(session, actor, "user.update", object_type="user", object_id=user.id,
                 detail={"email": user.email, **changes})
    return user


def rotate_token(session: Session, email: str, *, actor: str = SYSTEM_ACTOR) -> str:
    """Replace a user's API token; the old one stops working at once."""
    user = get_user(session, email)
    token = "us_" + secrets.token_urlsafe(32)
    user.token_hash = hash_token(token)
    record_audit(session, actor, "user.token", object_type="user", object_id=user.id, detail={"email": user.email})
    return token


def end_sessions(session: Session, user: User) -> User:
    """End every browser session of this user (sign-out): sessions signed with the old version stop working."""
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    session.refresh(user)
    record_audit(session, user.email, "auth.logout", object_type="user", object_id=user.id)
    return user


def get_user(session: Session, email: str) -> User:
    """The user with this e-mail, or NotFound."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email}")
    return user


def user_for_token(session: Session, token: str) -> User | None:
    """The active user holding this API token, if any."""
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    return user if user is not None and user.active else None


def list_users(session: Session) -> list[User]:
    """Every user, by e-mail."""
    return list(session.scalars(select(User).order_by(User.email)))


def viewer_for(user: User | None, default_audience: str = "everyone") -> Viewer:
    """The access a user's searches and answers run with; no user sees only the default audience."""
    if user is None:
        return Viewer.public(default_audience)
    return Viewer.of(user.id, user.email, user.role, user.audiences or [], default_audience)


# --- sources ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AddResult:
    """What adding a parsed file did: ingested, duplicate (same bytes) or updated (a new version)."""

    status: str
    source: Source


def add_source(session: Session, twin: Twin, doc: ParsedDocument, *, audience: str = "everyone",
               uploaded_by: str = SYSTEM_ACTOR, approve: bool = False, kind: str | None = None,
               speaker_labels: list[str] | None = None) -> AddResult:
    """Store a parsed file as a draft source with its passages (a new version if the name is known); `speaker_labels`
    are the executive's labels given for this file alone, kept so a later re-attribution honours them."""
    kind = kind or doc.kind
    if kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    if not audience.strip():
        raise BadInput("audience must not be empty")
    existing = session.scalar(select(Source).where(Source.twin_id == twin.id, Source.sha256 == doc.sha256))
    if existing is not None:
        return AddResult("duplicate", existing)
    previous = session.scalar(
        select(Source).where(Source.twin_id == twin.id, Source.filename == doc.filename)
        .order_by(Source.version.desc()).limit(1)
    )
    source = Source(
        twin_id=twin.id, title=doc.title[:500], kind=kind, filename=doc.filename[:500], sha256=doc.sha256,
        size_bytes=doc.size_bytes, date=doc.date, audience=audience.strip(), status="draft",
        version=previous.version + 1 if previous else 1, supersedes_id=previous.id if previous else None,
        uploaded_by=uploaded_by, meta={**doc.metadata, **({"speaker_labels": speaker_labels} if speaker_labels else {})},
    )
    session.add(source)
    session.flush()
    session.execute(insert(PASSAGES), [
        {"source_id": source.id, "twin_id": twin.id, "ordinal": p.ordinal, "text": p.text, "speaker": p.speaker,
         "executive": p.executive, "locator": p.locator[:100], "heading": (p.heading or None) and p.heading[:500],
         "context": p.context, "words": len(p.text.split())}
        for p in doc.passages
    ])
    record_audit(session, uploaded_by, "source.add", twin_slug=twin.slug, object_type="source", object_id=source.id,
                 detail={"filename": source.filename, "version": source.version, "sha256": source.sha256,
                         "passages": len(doc.passages), "audience": source.audience})
    if approve:
        approve_source(session, source.id, actor=uploaded_by)
    return AddResult("updated" if previous else "ingested", source)


def source_subjects(session: Session, source_ids: Iterable[int]) -> dict[int, str]:
    """The subject line each source's metadata gives (empty when it gives none), by source id."""
    ids = sorted({int(i) for i in source_ids})
    if not ids:
        return {}
    rows = session.execute(select(Source.id, Source.meta).where(Source.id.in_(ids)))
    return {int(sid): str((meta or {}).get("subject") or "") for sid, meta in rows}


def get_source(session: Session, source_id: int, *, for_update: bool = False) -> Source:
    """The source with this id, or NotFound."""
    stmt = select(Source).where(Source.id == source_id)
    if for_update:
        stmt = stmt.with_for_update()
    source = session.scalar(stmt)
    if source is None:
        raise NotFound(f"no source {source_id}")
    return source


def _twin_slug(session: Session, twin_id: int) -> str | None:
    return session.scalar(select(Twin.slug).where(Twin.id == twin_id))


def approve_source(session: Session, source_id: int, *, actor: str = SYSTEM_ACTOR) -> Source:
    """Approve a draft; earlier versions of the same file stop being searchable at once."""
    source = get_source(session, source_id, for_update=True)
    if source.status == "retired":
        raise Conflict(f"source {source_id} is retired; restore it first to bring it back")
    if source.status == "approved":
        return source
    older = list(session.scalars(
        select(Source).where(Source.twin_id == source.twin_id, Source.filename == source.filename,
                             Source.version < source.version, Source.superseded_by_id.is_(None))
        .with_for_update()
    ))
    newer_approved = session.scalar(
        select(Source.id).where(Source.twin_id == source.twin_id, Source.filename == source.filename,
                                Source.version > source.version, Source.status == "approved")
    )
    source.status, source.approved_by, source.approved_at = "approved", actor, utcnow()
    if newer_approved is not None:
        source.superseded_by_id = newer_approved
    for old in older:
        old.superseded_by_id = source.id
    session.flush()
    if older:  # corrections standing on a replaced version's passages end with it
        retire_relying_on(session, [old.id for old in older], actor=actor,
                          reason=f"{source.filename} was replaced by version {source.version}")
    record_audit(session, actor, "source.approve", twin_slug=_twin_slug(session, source.twin_id),
                 object_type="source", object_id=source.id,
                 detail={"filename": source.filename, "version": source.version,
                         "supersedes": [old.id for old in older]})
    return source


def retire_source(session: Session, source_id: int, *, actor: str = SYSTEM_ACTOR, reason: str = "") -> Source:
    """Retire a source: it disappears from every answer at once."""
    source = get_source(session, source_id, for_update=True)
    if source.status == "retired":
        return source
    source.status, source.retired_by, source.retired_at = "retired", actor, utcnow()
    session.flush()
    retire_relying_on(session, [source.id], actor=actor, reason=f"source {source.id} ({source.title}) was retired")
    record_audit(session, actor, "source.retire", twin_slug=_twin_slug(session, source.twin_id),
                 object_type="source", object_id=source.id, detail={"filename": source.filename, "reason": reason})
    return source


def reinstate_source(session: Session, source_id: int, *, actor: str = SYSTEM_ACTOR, reason: str = "") -> Source:
    """Bring a retired source back as it was before retiring: approved if it had been approved, else a draft."""
    source = get_source(session, source_id, for_update=True)
    if source.status != "retired":
        raise Conflict(f"source {source_id} is not retired ({source.display_status})")
    source.status = "approved" if source.approved_at is not None else "draft"
    retired_by, source.retired_by, source.retired_at = source.retired_by, None, None
    session.flush()
    record_audit(session, actor, "source.restore", twin_slug=_twin_slug(session, source.twin_id),
                 object_type="source", object_id=source.id,
                 detail={"filename": source.filename, "status": source.status, "retired_by": retired_by,
                         "reason": reason})
    return source


def set_source_audience(session: Session, source_id: int, audience: str, *, actor: str = SYSTEM_ACTOR) -> Source:
    """Change which audience may see a source."""
    if not audience.strip():
        raise BadInput("audience must not be empty")
    source = get_source(session, source_id, for_update=True)
    before = source.audience
    source.audience = audience.strip()
    record_audit(session, actor, "source.audience", twin_slug=_twin_slug(session, source.twin_id),
                 object_type="source", object_id=source.id, detail={"from": before, "to": source.audience})
    return source


def list_sources(session: Session, twin: Twin, *, status: str | None = None, kind: str | None = None,
                 audience: str | None = None, current_only: bool = False) -> list[Source]:
    """A twin's sources, newest upload first, optionally filtered."""
    stmt = select(Source).where(Source.twin_id == twin.id).order_by(Source.id.desc())
    if status == "superseded":
        stmt = stmt.where(Source.superseded_by_id.is_not(None), Source.status != "retired")
    elif status in ("draft", "approved"):
        stmt = stmt.where(Source.status == status, Source.superseded_by_id.is_(None))
    elif status:
        stmt = stmt.where(Source.status == status)
    if kind:
        stmt = stmt.where(Source.kind == kind)
    if audience:
        stmt = stmt.where(Source.audience == audience)
    if current_only:
        stmt = stmt.where(Source.superseded_by_id.is_(None))
    return list(session.scalars(stmt))


def source_versions(session: Session, source: Source) -> list[Source]:
    """Every version of the same file, newest first."""
    return list(session.scalars(
        select(Source).where(Source.twin_id == source.twin_id, Source.filename == source.filename)
        .order_by(Source.version.desc())
    ))


def passage_counts(session: Session, source_ids: list[int]) -> dict[int, int]:
    """Number of passages for each source id."""
    if not source_ids:
        return {}
    rows = session.execute(
        select(Passage.source_id, func.count()).where(Passage.source_id.in_(source_ids)).group_by(Passage.source_id)
    )
    return {source_id: count for source_id, count in rows}


@dataclass(frozen=True)
class Reattribution:
    """What recomputing a twin's executive flags changed."""

    sources: int
    to_executive: int
    from_executive: int


def reattribute_passages(session: Session, twin: Twin, *, actor: str = SYSTEM_ACTOR) -> Reattribution:
    """Recompute every labelled passage's executive flag from the twin's speaker labels (and those a source was
    ingested with by name), as ingestion would; audited."""
    from ingestion.speakers import is_executive_speaker, is_own_email

    labels = [str(label) for label in twin.speaker_labels or []]
    metas = {sid: dict(meta or {}) for sid, meta in session.execute(
        select(Source.id, Source.meta).where(Source.twin_id == twin.id))}
    rows = session.execute(
        select(Passage.source_id, Passage.speaker, Passage.executive, func.count())
        .where(Passage.twin_id == twin.id, Passage.speaker.is_not(None))
        .group_by(Passage.source_id, Passage.speaker, Passage.executive))
    changes: list[dict[str, Any]] = []
    moved = {True: 0, False: 0}
    touched: set[int] = set()
    for source_id, speaker, executive, count in rows:
        meta = metas.get(source_id, {})
        given = labels + [str(label) for label in meta.get("speaker_labels") or []]
        if meta.get("source_format") == "eml":
            wanted = is_own_email(str(meta.get("from_name") or ""), str(meta.get("from_address") or ""), given)
        else:
            wanted = is_executive_speaker(speaker, given)
        if wanted != bool(executive):
            changes.append({"b_source": source_id, "b_speaker": speaker, "b_flag": wanted})
            moved[wanted] += int(count)
            touched.add(source_id)
    if changes:
        session.execute(update(PASSAGES).where(PASSAGES.c.source_id == bindparam("b_source"),
                                               PASSAGES.c.speaker == bindparam("b_speaker"))
                        .values(executive=bindparam("b_flag")), changes)
    result = Reattribution(len(touched), moved[True], moved[False])
    record_audit(session, actor, "twin.reattribute", twin_slug=twin.slug, object_type="twin", object_id=twin.id,
                 detail={"labels": labels, "sources": result.sources, "to_executive": result.to_executive,
                         "from_executive": result.from_executive})
    return result


def save_passage_vectors(session: Session, model: str, vectors: list[tuple[int, str, int, bytes]]) -> int:
    """Store (passage id, text digest, dimensions, packed vector) rows for `model`, replacing older ones."""
    if not vectors:
        return 0
    ids = [pid for pid, _, _, _ in vectors]
    session.execute(delete(PassageVector).where(PassageVector.model == model, PassageVector.passage_id.in_(ids)))
    now = utcnow()
    session.execute(insert(PassageVector), [
        {"passage_id": pid, "model": model, "text_sha1": digest, "dimensions": dims, "vector": packed,
         "created_at": now} for pid, digest, dims, packed in vectors])
    return len(vectors)


# --- interactions ----------------------------------------------------------------------------------

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


# --- unanswered questions ------------------------------------------------------------------------

REVIEW_STATUSES = ("handled", "answered", "declined")


def question_key(question: str) -> str:
    """The same question however it was typed: a digest of its lower-cased words."""
    normal = " ".join(re.findall(r"[\w%$€£'’-]+", question.lower()))
    return hashlib.sha256(normal.encode()).hexdigest()


def review_question(session: Session, twin: Twin, question: str, *, status: str, source_id: int | None = None,
                    note: str = "", actor: str = SYSTEM_ACTOR) -> QuestionReview:
    """Record what was done about an unanswered question (every asking of it until it is asked again)."""
    if status not in REVIEW_STATUSES:
        raise BadInput(f"a review is one of {', '.join(REVIEW_STATUSES)}")
    note = note.strip()[:2000]
    if status == "answered":
        if source_id is None:
            raise BadInput("choose the source that answers the question")
        source = get_source(session, source_id)
        if source.twin_id != twin.id:
            raise NotFound(f"no source {source_id}")
    else:
        source_id = None
    if status == "declined" and not note:
        raise BadInput("say why the question will not be answered")
    key = question_key(question)
    row = session.scalar(select(QuestionReview).where(QuestionReview.twin_id == twin.id,
                                                      QuestionReview.question_key == key))
    if row is None:
        row = QuestionReview(twin_id=twin.id, question_key=key)
        session.add(row)
    row.question, row.status, row.source_id, row.note = question.strip()[:2000], status, source_id, note
    row.reviewed_by, row.reviewed_at = actor, utcnow()
    session.flush()
    record_audit(session, actor, "question.review", twin_slug=twin.slug, object_type="question_review",
                 object_id=row.id, detail={"question": row.question, "status": status, "source_id": source_id,
                                           "note": note})
    return row


def question_reviews(session: Session, twin: Twin) -> dict[str, QuestionReview]:
    """A twin's question reviews by question key."""
    rows = session.scalars(select(QuestionReview).where(QuestionReview.twin_id == twin.id))
    return {row.question_key: row for row in rows}


def add_gap_theme_link(session: Session, twin: Twin, *, name: str, question: str, source_id: int, model: str,
                       centroid: bytes, note: str = "", actor: str = SYSTEM_ACTOR) -> GapThemeLink:
    """Record that a source answers a theme of unanswered questions (see twin/gaps.py), with an audit entry."""
    row = GapThemeLink(twin_id=twin.id, name=name[:500], question=question, source_id=source_id, model=model,
                       centroid=centroid, note=note.strip()[:2000], linked_by=actor, linked_at=utcnow())
    session.add(row)
    session.flush()
    record_audit(session, actor, "gaps.link", twin_slug=twin.slug, object_type="gap_theme_link", object_id=row.id,
                 detail={"theme": row.name, "question": question, "source_id": source_id})
    return row


def gap_theme_links(session: Session, twin: Twin) -> list[GapThemeLink]:
    """A twin's theme links, newest first."""
    return list(session.scalars(select(GapThemeLink).where(GapThemeLink.twin_id == twin.id)
                                .order_by(GapThemeLink.linked_at.desc(), GapThemeLink.id.desc())))


def remove_gap_theme_link(session: Session, twin: Twin, link_id: int, *, actor: str = SYSTEM_ACTOR) -> None:
    """Take back a theme link (the theme is open again); the audit log keeps both."""
    row = session.get(GapThemeLink, link_id)
    if row is None or row.twin_id != twin.id:
        raise NotFound(f"no theme link {link_id}")
    record_audit(session, actor, "gaps.unlink", twin_slug=twin.slug, object_type="gap_theme_link", object_id=row.id,
                 detail={"theme": row.name, "source_id": row.source_id})
    session.delete(row)
    session.flush()


# --- rehearsals ------------------------------------------------------------------------------------

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
    stmt = select(Rehearsal).where(Rehearsal.id == rehearsal_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
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


# --- slack -----------------------------------------------------------------------------------------

# Slack retries an event for at most about an hour; a day of handled ids covers every retry.
SLACK_EVENT_RETENTION = dt.timedelta(days=1)


def get_user_by_slack_id(session: Session, slack_user_id: str) -> User | None:
    """The user linked to this Slack user id, if any."""
    return session.scalar(select(User).where(User.slack_user_id == slack_user_id))


def find_user(session: Session, email: str) -> User | None:
    """The user with this e-mail, or None."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def link_slack_user(session: Session, user: User, slack_user_id: str, *, actor: str = SYSTEM_ACTOR) -> User:
    """Remember which Slack user a user is, so later requests need no e-mail look-up."""
    if user.slack_user_id == slack_user_id:
        return user
    holder = get_user_by_slack_id(session, slack_user_id)
    if holder is not None:
        raise Conflict(f"Slack user {slack_user_id} is already linked to {holder.email}")
    user.slack_user_id = slack_user_id
    session.flush()
    record_audit(session, actor, "user.slack_link", object_type="user", object_id=user.id,
                 detail={"email": user.email, "slack_user_id": slack_user_id})
    return user


def claim_slack_event(session: Session, event_id: str) -> bool:
    """Record a Slack event id as handled; False when it already was (Slack retrying). Commits its own work."""
    session.execute(delete(SlackEvent).where(SlackEvent.received_at < utcnow() - SLACK_EVENT_RETENTION))
    session.add(SlackEvent(event_id=event_id[:64], received_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def get_slack_channel(session: Session, channel_id: str) -> SlackChannelSetting | None:
    """A channel's Slack settings, if any were made."""
    return session.scalar(select(SlackChannelSetting).where(SlackChannelSetting.channel_id == channel_id))


def set_slack_channel(session: Session, channel_id: str, *, twin_slug: str | None = None, public: bool | None = None,
                      actor: str = SYSTEM_ACTOR) -> SlackChannelSetting:
    """Choose the twin that answers in a channel and whether replies there may be public."""
    row = get_slack_channel(session, channel_id)
    if row is None:
        row = SlackChannelSetting(channel_id=channel_id, twin_id=None, public=True, updated_by=actor,
                                  updated_at=utcnow())
        session.add(row)
    changes: dict[str, Any] = {}
    if twin_slug is not None:
        row.twin_id = get_twin(session, twin_slug).id
        changes["twin"] = twin_slug
    if public is not None:
        row.public = changes["public"] = public
    row.updated_by, row.updated_at = actor, utcnow()
    session.flush()
    record_audit(session, actor, "slack.channel", twin_slug=changes.get("twin"), object_type="slack_channel",
                 object_id=row.id, detail={"channel_id": channel_id, **changes})
    return row


def get_slack_thread(session: Session, channel_id: str, thread_ts: str) -> SlackThread | None:
    """What a Slack thread carries on (a conversation or a rehearsal), if it is one of ours."""
    return session.scalar(select(SlackThread).where(SlackThread.channel_id == channel_id,
                                                    SlackThread.thread_ts == thread_ts))


def save_slack_thread(session: Session, channel_id: str, thread_ts: str, *, twin: Twin, slack_user_id: str,
                      conversation_id: str | None = None, rehearsal_id: int | None = None) -> SlackThread:
    """Map a Slack thread to a conversation or a rehearsal (the first mapping of a thread stands)."""
    if (conversation_id is None) == (rehearsal_id is None):
        raise BadInput("a Slack thread carries either a conversation or a rehearsal")
    existing = get_slack_thread(session, channel_id, thread_ts)
    if existing is not None:
        return existing
    row = SlackThread(channel_id=channel_id, thread_ts=thread_ts, slack_user_id=slack_user_id, twin_id=twin.id,
                      conversation_id=conversation_id, rehearsal_id=rehearsal_id, created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def save_slack_answer(session: Session, interaction_id: int, *, slack_user_id: str, channel_id: str, public: bool,
                      twin_name: str, payload: dict[str, Any]) -> SlackAnswer:
    """Keep an answer as posted in Slack, for its share, sources and feedback buttons."""
    row = SlackAnswer(interaction_id=interaction_id, slack_user_id=slack_user_id, channel_id=channel_id,
                      public=public, twin_name=twin_name, payload=payload, created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def get_slack_answer(session: Session, interaction_id: int) -> SlackAnswer | None:
    """An answer posted in Slack, by its interaction id."""
    return session.scalar(select(SlackAnswer).where(SlackAnswer.interaction_id == interaction_id))


def mark_slack_answer_public(session: Session, answer: SlackAnswer) -> SlackAnswer:
    """Note that an answer was shared in its channel."""
    answer.public = True
    session.flush()
    return answer


# --- ingestion jobs --------------------------------------------------------------------------------


from service.corpus.models import IngestionJob, IngestionJobFile  # noqa: E402

JOB_FILE_OUTCOMES = ("ingested", "duplicate", "updated", "error")


def create_ingestion_job(session: Session, twin: Twin, files: list[tuple[str, bytes]], *, kind: str | None,
                         audience: str, approve: bool, created_by: str = SYSTEM_ACTOR) -> IngestionJob:
    """Store a queued job with each file's bytes, so any worker can ingest it."""
    if not files:
        raise BadInput("an ingestion job needs at least one file")
    if kind and kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    if not audience.strip():
        raise BadInput("audience must not be empty")
    job = IngestionJob(twin_id=twin.id, status="queued", total=len(files), created_by=created_by,
                       options={"kind": kind or None, "audience": audience.strip(), "approve": bool(approve)},
                       created_at=utcnow())
    session.add(job)
    session.flush()
    session.execute(insert(IngestionJobFile), [
        {"job_id": job.id, "ordinal": i, "path": path[:1000], "size_bytes": len(data), "data": data,
         "status": "pending"}
        for i, (path, data) in enumerate(files)
    ])
    record_audit(session, created_by, "ingestion_job.create", twin_slug=twin.slug, object_type="ingestion_job",
                 object_id=job.id, detail={"files": len(files), "audience": audience.strip(), "approve": bool(approve)})
    return job


def get_ingestion_job(session: Session, job_id: int, *, for_update: bool = False) -> IngestionJob:
    """The ingestion job with this id, or NotFound."""
    stmt = select(IngestionJob).where(IngestionJob.id == job_id)
    if for_update:
        stmt = stmt.with_for_update()
    job = session.scalar(stmt)
    if job is None:
        raise NotFound(f"no ingestion job {job_id}")
    return job


def list_ingestion_jobs(session: Session, twin: Twin, *, limit: int = 20) -> list[IngestionJob]:
    """A twin's ingestion jobs, newest first."""
    return list(session.scalars(select(IngestionJob).where(IngestionJob.twin_id == twin.id)
                                .order_by(IngestionJob.id.desc()).limit(limit)))


def set_ingestion_job_queue_id(session: Session, job: IngestionJob, queue_job_id: str) -> IngestionJob:
    """Remember the queue's own id of the job (to find it in the queue's registries)."""
    job.queue_job_id = queue_job_id[:64]
    session.flush()
    return job


def start_ingestion_job(session: Session, job_id: int) -> IngestionJob | None:
    """Mark a job running (None if it already finished: a retried delivery has nothing left to do)."""
    job = get_ingestion_job(session, job_id, for_update=True)
    if job.status in ("done", "failed"):
        return None
    job.status = "running"
    job.started_at = job.started_at or utcnow()
    session.flush()
    return job


def pending_job_file_ids(session: Session, job_id: int) -> list[int]:
    """Ids of a job's files without an outcome yet, in upload order."""
    return list(session.scalars(select(IngestionJobFile.id).where(
        IngestionJobFile.job_id == job_id, IngestionJobFile.status == "pending").order_by(IngestionJobFile.ordinal)))


def take_job_file(session: Session, file_id: int) -> IngestionJobFile | None:
    """Lock one pending file of a job for processing (None if another worker already finished it)."""
    row = session.scalar(select(IngestionJobFile).where(IngestionJobFile.id == file_id).with_for_update())
    return row if row is not None and row.status == "pending" else None


def record_job_file_outcome(session: Session, row: IngestionJobFile, *, status: str, source_id: int | None = None,
                            passages: int | None = None, error: str | None = None,
                            error_code: str | None = None) -> IngestionJobFile:
    """Store what became of one file, and drop its bytes."""
    if status not in JOB_FILE_OUTCOMES:
        raise BadInput(f"a file outcome is one of {', '.join(JOB_FILE_OUTCOMES)}")
    row.status, row.source_id, row.passages = status, source_id, passages
    row.error, row.error_code = error, (error_code or None) and error_code[:64]
    row.data, row.finished_at = None, utcnow()
    session.flush()
    return row


def finish_ingestion_job(session: Session, job_id: int, *, error: str | None = None) -> IngestionJob:
    """Mark a job done (every file has an outcome) or failed (with the reason the job itself broke)."""
    job = get_ingestion_job(session, job_id, for_update=True)
    job.status = "failed" if error else "done"
    job.error = error
    job.finished_at = utcnow()
    counts = ingestion_job_counts(session, job_id)
    record_audit(session, job.created_by or SYSTEM_ACTOR, "ingestion_job.finish",
                 twin_slug=_twin_slug(session, job.twin_id), object_type="ingestion_job", object_id=job.id,
                 detail={"status": job.status, **counts, **({"error": error} if error else {})})
    return job


def ingestion_job_counts(session: Session, job_id: int) -> dict[str, int]:
    """How many of a job's files are pending, ingested, duplicate, updated or failed ("error")."""
    counts = dict.fromkeys(("pending", *JOB_FILE_OUTCOMES), 0)
    for status, count in session.execute(select(IngestionJobFile.status, func.count()).where(
            IngestionJobFile.job_id == job_id).group_by(IngestionJobFile.status)):
        counts[str(status)] = int(count)
    return counts


def ingestion_job_files(session: Session, job_id: int) -> list[IngestionJobFile]:
    """A job's files in upload order (their bytes not loaded)."""
    from sqlalchemy.orm import defer

    return list(session.scalars(select(IngestionJobFile).options(defer(IngestionJobFile.data))
                                .where(IngestionJobFile.job_id == job_id).order_by(IngestionJobFile.ordinal)))


def ingestion_jobs_by_status(session: Session) -> dict[str, int]:
    """Every ingestion job counted by status (for the metrics endpoint)."""
    return {str(status): int(count) for status, count in session.execute(
        select(IngestionJob.status, func.count()).group_by(IngestionJob.status))}


# --- restore (import of an exported twin) ----------------------------------------------------------

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
