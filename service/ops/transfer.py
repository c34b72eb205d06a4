"""Export a twin to a file and import it elsewhere: backup, or moving between environments.

The file is JSON lines, gzip-compressed when its name ends in .gz: a header line with the twin (persona,
speaker labels, consent), then one line per source version (status, history fields and its passages), then
one line per gap-theme link (a theme of unanswered questions marked answered by a source), then one line per
audit event of the twin. Interactions, rehearsals and users stay behind: they are about people
of one environment, not the twin.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus import revisions, store
from service.corpus.models import AuditEvent, Passage, Source, Twin
from service.errors import BadInput
from service.twin import gaps

FORMAT = "understudy-twin"
# 2: gap-theme links ("gap_link" records); version 1 files still import.
VERSION = 2
_SOURCE_FIELDS = ("title", "kind", "filename", "sha256", "size_bytes", "audience", "status", "version",
                  "uploaded_by", "approved_by", "retired_by")


@dataclass(frozen=True)
class TransferSummary:
    """What an export wrote or an import created."""

    slug: str
    sources: int
    passages: int
    audit_events: int

    def to_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "sources": self.sources, "passages": self.passages,
                "audit_events": self.audit_events}


def _iso(value: Any) -> str | None:
    """ISO 8601; times in UTC with their offset (SQLite hands them back naive, PostgreSQL aware)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    return value.isoformat() if value is not None else None


def _twin_record(twin: Twin) -> dict[str, Any]:
    return {"slug": twin.slug, "name": twin.name, "title": twin.title or "", "persona": dict(twin.persona or {}),
            "speaker_labels": list(twin.speaker_labels or []), "paused": bool(twin.paused),
            "consent_by": twin.consent_by, "consent_scope": twin.consent_scope, "consent_at": _iso(twin.consent_at),
            "created_at": _iso(twin.created_at)}


def _source_record(source: Source, passages: list[Passage]) -> dict[str, Any]:
    record: dict[str, Any] = {"type": "source", "id": source.id}
    record.update({name: getattr(source, name) for name in _SOURCE_FIELDS})
    record.update({"date": _iso(source.date), "uploaded_at": _iso(source.uploaded_at),
                   "approved_at": _iso(source.approved_at), "retired_at": _iso(source.retired_at),
                   "supersedes_id": source.supersedes_id, "superseded_by_id": source.superseded_by_id,
                   "metadata": dict(source.meta or {}),
                   "passages": [{"ordinal": p.ordinal, "text": p.text, "speaker": p.speaker,
                                 "executive": bool(p.executive), "locator": p.locator, "heading": p.heading,
                                 "context": p.context} for p in passages]})
    return record


def iter_export(session: Session, slug: str) -> Iterator[dict[str, Any]]:
    """The export as records, one source (with its passages) at a time: header, sources, audit events."""
    twin = store.get_twin(session, slug)
    yield {"type": "twin", "format": FORMAT, "version": VERSION, "twin": _twin_record(twin)}
    source_ids = list(session.scalars(select(Source.id).where(Source.twin_id == twin.id).order_by(Source.id)))
    for source_id in source_ids:
        source = session.get(Source, source_id)
        assert source is not None
        passages = store.source_passages(session, source_id)
        yield {**_source_record(source, passages), "revised_by": revisions.export_marks(session, source)}
        session.expunge_all()  # keep memory flat on a large corpus
    for link in gaps.export_links(session, store.get_twin(session, slug)):
        yield {"type": "gap_link", **link}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.twin_slug == slug).order_by(AuditEvent.id)):
        yield {"type": "audit", "id": event.id, "at": _iso(event.at), "actor": event.actor, "action": event.action,
               "object_type": event.object_type, "object_id": event.object_id, "detail": dict(event.detail or {})}


def export_twin(session: Session, slug: str) -> dict[str, Any]:
    """The whole export as one dict: {"format", "version", "twin", "sources": [...], "audit": [...]}."""
    records = iter_export(session, slug)
    header = next(records)
    data: dict[str, Any] = {"format": header["format"], "version": header["version"], "twin": header["twin"],
                            "sources": [], "gap_links": [], "audit": []}
    lists = {"source": "sources", "gap_link": "gap_links", "audit": "audit"}
    for record in records:
        data[lists[record["type"]]].append(record)
    return data


def _open_for(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


def write_export(session: Session, slug: str, path: Path | str) -> TransferSummary:
    """Write the twin to a JSON-lines file (gzip when it ends in .gz); for `understudy export SLUG FILE`."""
    path = Path(path)
    sources = passages = events = 0
    with _open_for(path, "w") as out:
        for record in iter_export(session, slug):
            out.write(json.dumps(record, ensure_ascii=False, default=str))
            out.write("\n")
            if record["type"] == "source":
                sources += 1
                passages += len(record["passages"])
            elif record["type"] == "audit":
                events += 1
    return TransferSummary(slug, sources, passages, events)


def read_export(path: Path | str) -> Iterator[dict[str, Any]]:
    """The records of an export file, one at a time (for import_twin)."""
    with _open_for(Path(path), "r") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInput(f"line {number} of the export is not JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise BadInput(f"line {number} of the export is not an object")
            yield record


def _records(data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    if isinstance(data, Mapping):
        yield {"type": "twin", "format": data.get("format"), "version": data.get("version"), "twin": data.get("twin")}
        for source in data.get("sources") or []:
            yield {"type": "source", **source}
        for link in data.get("gap_links") or []:
            yield {"type": "gap_link", **link}
        for event in data.get("audit") or []:
            yield {"type": "audit", **event}
        return
    yield from data


def _new_object_id(event: Mapping[str, Any], twin: Twin, sources: Mapping[int, Source],
                   gap_links: Mapping[int, int]) -> int | None:
    """The id here of what an audit event was about: a source, a gap-theme link or the twin; others (jobs…) did
    not travel."""
    old = event.get("object_id")
    if event.get("object_type") == "twin":
        return twin.id
    if event.get("object_type") == "gap_theme_link" and old is not None:
        return gap_links.get(int(old))
    if event.get("object_type") == "source" and old is not None and int(old) in sources:
        return sources[int(old)].id
    return None


def import_twin(session: Session, data: Mapping[str, Any] | Iterable[Mapping[str, Any]], *, slug: str | None = None,
                actor: str = store.SYSTEM_ACTOR) -> TransferSummary:
    """Create the exported twin here (under `slug` if given) with its sources, versions and audit; caller commits.

    Conflict if the slug is taken; BadInput for a file that is not a well-formed export. Passages are indexed
    for search as they are inserted.
    """
    try:
        return _import(session, data, slug=slug, actor=actor)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"the export is malformed: {type(exc).__name__}: {exc}") from exc


def _import(session: Session, data: Mapping[str, Any] | Iterable[Mapping[str, Any]], *, slug: str | None,
            actor: str) -> TransferSummary:
    records = iter(_records(data))
    header = next(records, None)
    if header is None or header.get("type") != "twin" or header.get("format") != FORMAT:
        raise BadInput("this is not an Understudy twin export (the first record must be the twin)")
    if int(header.get("version") or 0) > VERSION:
        raise BadInput(f"this export is format version {header.get('version')}; this Understudy reads up to {VERSION}")
    record = dict(header.get("twin") or {})
    twin = store.restore_twin(session, record, slug=slug or str(record.get("slug") or ""), actor=actor)
    by_old_id: dict[int, Source] = {}
    links: list[tuple[Source, int | None, int | None]] = []
    marks: list[tuple[Source, list[dict[str, Any]]]] = []
    gap_links: dict[int, int] = {}
    passages = events = 0
    for item in records:
        kind = item.get("type")
        if kind == "source":
            source = store.restore_source(session, twin, dict(item))
            by_old_id[int(item["id"])] = source
            links.append((source, item.get("supersedes_id"), item.get("superseded_by_id")))
            marks.append((source, list(item.get("revised_by") or [])))
            passages += len(item.get("passages") or [])
        elif kind == "gap_link":
            gap_links[int(item["id"])] = gaps.restore_link(session, twin, dict(item), by_old_id).id
        elif kind == "audit":
            store.restore_audit_event(session, dict(item), twin_slug=twin.slug,
                                      object_id=_new_object_id(item, twin, by_old_id, gap_links))
            events += 1
        else:
            raise BadInput(f"unknown record type {kind!r} in the export")
    for source, supersedes, superseded_by in links:
        store.link_restored_versions(session, source,
                                     supersedes=by_old_id.get(int(supersedes)) if supersedes else None,
                                     superseded_by=by_old_id.get(int(superseded_by)) if superseded_by else None)
    session.flush()
    for source, marked in marks:
        revisions.restore_marks(session, source, marked, by_old_id)
    store.record_audit(session, actor, "twin.import", twin_slug=twin.slug, object_type="twin", object_id=twin.id,
                       detail={"exported_slug": record.get("slug"), "sources": len(by_old_id), "passages": passages,
                               "audit_events": events, "gap_links": len(gap_links)})
    return TransferSummary(twin.slug, len(by_old_id), passages, events)
