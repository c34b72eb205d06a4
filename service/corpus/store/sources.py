"""Sources and their passages: adding a parsed file, versions, approval, retirement, audience, vectors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ingestion.model import KINDS, ParsedDocument
from service.corpus.audit import record_audit
from service.corpus.corrections import retire_relying_on
from service.corpus.models import Passage, PassageVector, Source, Twin, utcnow
from service.corpus.store._common import PASSAGES, SYSTEM_ACTOR, row_by_id, twin_slug_of
from service.errors import BadInput, Conflict, NotFound


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
    source = row_by_id(session, Source, source_id, for_update=for_update)
    if source is None:
        raise NotFound(f"no source {source_id}")
    return source


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
    record_audit(session, actor, "source.approve", twin_slug=twin_slug_of(session, source.twin_id),
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
    record_audit(session, actor, "source.retire", twin_slug=twin_slug_of(session, source.twin_id),
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
    record_audit(session, actor, "source.restore", twin_slug=twin_slug_of(session, source.twin_id),
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
    record_audit(session, actor, "source.audience", twin_slug=twin_slug_of(session, source.twin_id),
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


def later_sources(session: Session, source: Source) -> list[Source]:
    """The twin's approved current sources dated after this one, newest first (none when it has no date)."""
    if source.date is None:
        return []
    return list(session.scalars(select(Source).where(
        Source.twin_id == source.twin_id, Source.status == "approved", Source.superseded_by_id.is_(None),
        Source.date > source.date).order_by(Source.date.desc(), Source.id.desc())))


def source_audiences(session: Session, twin_id: int) -> frozenset[str]:
    """Every audience the twin's sources are set to: a viewer holding all of them sees every source."""
    return frozenset(session.scalars(select(Source.audience).where(Source.twin_id == twin_id).distinct()))


def approved_audiences_by_twin(session: Session) -> dict[int, frozenset[str]]:
    """For each twin with approved current sources, the audiences those sources are set to."""
    rows = session.execute(select(Source.twin_id, Source.audience).where(
        Source.status == "approved", Source.superseded_by_id.is_(None)).distinct())
    out: dict[int, set[str]] = {}
    for twin_id, audience in rows:
        out.setdefault(int(twin_id), set()).add(str(audience))
    return {twin_id: frozenset(audiences) for twin_id, audiences in out.items()}


def audiences_by_source(session: Session, source_ids: Iterable[int]) -> dict[int, str]:
    """The audience of each of these sources (a deleted source is missing)."""
    ids = sorted({int(i) for i in source_ids})
    if not ids:
        return {}
    return {int(i): str(a) for i, a in session.execute(select(Source.id, Source.audience).where(Source.id.in_(ids)))}


def source_passages(session: Session, source_id: int) -> list[Passage]:
    """A source's passages in order."""
    return list(session.scalars(select(Passage).where(Passage.source_id == source_id).order_by(Passage.ordinal)))


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
        for _, flag, count in _reattribute_openings(session, touched):
            moved[flag] += count
    result = Reattribution(len(touched), moved[True], moved[False])
    record_audit(session, actor, "twin.reattribute", twin_slug=twin.slug, object_type="twin", object_id=twin.id,
                 detail={"labels": labels, "sources": result.sources, "to_executive": result.to_executive,
                         "from_executive": result.from_executive})
    return result


def _reattribute_openings(session: Session, source_ids: set[int]) -> list[tuple[int, bool, int]]:
    """Each source's unlabelled opening flagged again as ingestion flags it, once its turns' flags have changed:
    (source id, new flag, passages moved) for each opening that moved."""
    from ingestion.speakers import unlabelled_opening

    moved: list[tuple[int, bool, int]] = []
    for source_id in sorted(source_ids):
        rows = session.execute(select(Passage.id, Passage.speaker, Passage.executive, Passage.words)
                               .where(Passage.source_id == source_id).order_by(Passage.ordinal)).all()
        lead, own = unlabelled_opening([(r.speaker, bool(r.executive), int(r.words or 0)) for r in rows])
        ids = [r.id for r in rows[:lead] if bool(r.executive) != own]
        if ids:
            session.execute(update(PASSAGES).where(PASSAGES.c.id.in_(ids)).values(executive=own))
            moved.append((source_id, own, len(ids)))
    return moved


def save_passage_vectors(session: Session, model: str, vectors: list[tuple[int, str, int, bytes]], *,
                         sentences: dict[int, bytes] | None = None) -> int:
    """Store (passage id, text digest, dimensions, packed vector) rows for `model`, replacing older ones, with each
    passage's packed sentence vectors when given."""
    if not vectors:
        return 0
    ids = [pid for pid, _, _, _ in vectors]
    session.execute(delete(PassageVector).where(PassageVector.model == model, PassageVector.passage_id.in_(ids)))
    now = utcnow()
    session.execute(insert(PassageVector), [
        {"passage_id": pid, "model": model, "text_sha1": digest, "dimensions": dims, "vector": packed,
         "sentence_vectors": (sentences or {}).get(pid), "created_at": now} for pid, digest, dims, packed in vectors])
    return len(vectors)
