"""The store API for curators' position marks: the only code that writes the source_revisions table.

A mark says that a source's position (source A) is superseded by a later source's (source B). Both stay approved and
quotable: answers on the point give B's position first, dated, and A's after it ("In January 2025 I said …").
Every mark and withdrawal is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.corpus.models import Source, SourceRevision, Twin
from service.errors import BadInput, NotFound

SYSTEM_ACTOR = "system"
MAX_NOTE_CHARS = 1000


@dataclass(frozen=True)
class RevisionLink:
    """One mark seen from a source: the other source, and who marked it when."""

    revision: SourceRevision
    other: Source

    def to_dict(self) -> dict[str, Any]:
        return {"source_id": self.other.id, "title": self.other.title,
                "date": self.other.date.isoformat() if self.other.date else None,
                "status": self.other.display_status, "note": self.revision.note,
                "marked_by": self.revision.marked_by, "marked_at": self.revision.marked_at.isoformat()}


def _audit(session: Session, actor: str, action: str, source: Source, later: Source, note: str = "") -> None:
    from service.corpus.store import record_audit

    twin = session.get(Twin, source.twin_id)
    record_audit(session, actor, action, twin_slug=twin.slug if twin else None, object_type="source",
                 object_id=source.id, detail={"revised_by": later.id, "note": note})


def _source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"no source with id {source_id}")
    return source


def mark_revised(session: Session, source_id: int, revised_by_id: int, *, actor: str = SYSTEM_ACTOR,
                 note: str = "") -> SourceRevision:
    """Mark source `source_id`'s position as superseded by the later source `revised_by_id` (idempotent)."""
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE_CHARS:
        raise BadInput(f"the note is too long ({len(note)} characters; at most {MAX_NOTE_CHARS})")
    if source_id == revised_by_id:
        raise BadInput("a source cannot revise itself: name a later source")
    source, later = _source(session, source_id), _source(session, revised_by_id)
    if source.twin_id != later.twin_id:
        raise BadInput(f"source {later.id} belongs to another twin: only the same twin's sources revise each other")
    if later.status != "approved" or later.superseded_by_id is not None:
        raise BadInput(f"source {later.id} ({later.title}) is {later.display_status}: only an approved, current "
                       "source can carry the newer position")
    if source.date is None or later.date is None:
        undated = source if source.date is None else later
        raise BadInput(f"source {undated.id} ({undated.title}) has no date: a position is dated by its source "
                       "(re-ingest it with --date YYYY-MM-DD)")
    if later.date <= source.date:
        raise BadInput(f"source {later.id} is dated {later.date.isoformat()}, not later than source {source.id} "
                       f"({source.date.isoformat()}): the newer position must come from a later source")
    found = session.scalar(select(SourceRevision).where(SourceRevision.source_id == source.id,
                                                        SourceRevision.revised_by_id == later.id))
    if found is not None:
        return found
    row = SourceRevision(twin_id=source.twin_id, source_id=source.id, revised_by_id=later.id, note=note,
                         marked_by=actor or SYSTEM_ACTOR)
    session.add(row)
    session.flush()
    _audit(session, actor, "source.position_superseded", source, later, note)
    return row


def unmark_revised(session: Session, source_id: int, revised_by_id: int, *, actor: str = SYSTEM_ACTOR) -> None:
    """Withdraw a mark; NotFound when there is none."""
    row = session.scalar(select(SourceRevision).where(SourceRevision.source_id == source_id,
                                                      SourceRevision.revised_by_id == revised_by_id))
    if row is None:
        raise NotFound(f"source {source_id} is not marked as revised by source {revised_by_id}")
    source, later = _source(session, source_id), _source(session, revised_by_id)
    session.delete(row)
    session.flush()
    _audit(session, actor, "source.position_restored", source, later)


def revised_by(session: Session, source: Source) -> list[RevisionLink]:
    """The later sources marked as revising this one's position, newest first."""
    rows = session.execute(select(SourceRevision, Source).join(Source, Source.id == SourceRevision.revised_by_id)
                           .where(SourceRevision.source_id == source.id))
    return sorted((RevisionLink(r, s) for r, s in rows), key=lambda link: (link.other.date or dt.date.min, link.other.id),
                  reverse=True)


def revises(session: Session, source: Source) -> list[RevisionLink]:
    """The earlier sources whose position this one is marked as superseding, newest first."""
    rows = session.execute(select(SourceRevision, Source).join(Source, Source.id == SourceRevision.source_id)
                           .where(SourceRevision.revised_by_id == source.id))
    return sorted((RevisionLink(r, s) for r, s in rows), key=lambda link: (link.other.date or dt.date.min, link.other.id),
                  reverse=True)


def marked_pairs(session: Session, twin_id: int, source_ids: set[int]) -> frozenset[tuple[int, int]]:
    """Marks touching these sources, as (earlier source id, later source id) pairs."""
    if not source_ids:
        return frozenset()
    ids = sorted(source_ids)
    rows = session.execute(select(SourceRevision.source_id, SourceRevision.revised_by_id).where(
        SourceRevision.twin_id == twin_id,
        or_(SourceRevision.source_id.in_(ids), SourceRevision.revised_by_id.in_(ids))))
    return frozenset((int(a), int(b)) for a, b in rows)


def export_marks(session: Session, source: Source) -> list[dict[str, Any]]:
    """The marks on a source, as a twin export carries them (ids of the export's sources)."""
    rows = session.scalars(select(SourceRevision).where(SourceRevision.source_id == source.id)
                           .order_by(SourceRevision.id))
    return [{"revised_by_id": r.revised_by_id, "note": r.note, "marked_by": r.marked_by,
             "marked_at": r.marked_at.isoformat()} for r in rows]


def restore_marks(session: Session, source: Source, marks: list[dict[str, Any]], by_old_id: dict[int, Source]) -> int:
    """An imported source's marks, pointing at the imported later sources (marks to sources not imported are
    dropped); returns how many were restored."""
    restored = 0
    for mark in marks:
        later = by_old_id.get(int(mark.get("revised_by_id") or 0))
        if later is None or later.id == source.id:
            continue
        when = mark.get("marked_at")
        session.add(SourceRevision(twin_id=source.twin_id, source_id=source.id, revised_by_id=later.id,
                                   note=str(mark.get("note") or ""), marked_by=str(mark.get("marked_by") or ""),
                                   marked_at=dt.datetime.fromisoformat(when) if when else dt.datetime.now(dt.UTC)))
        restored += 1
    session.flush()
    return restored
