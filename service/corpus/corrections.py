"""The store API for curators' corrections: the only code that writes the corrections table.

A correction says what the executive would say instead to a question: the approved passages that answer it, in
order, with an optional framing line, or that she would not answer it at all. Editing writes a new version;
withdrawing ends it; retiring or replacing a source it relies on retires it. Every change is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus.access import Viewer
from service.corpus.audit import SYSTEM_ACTOR, record_audit
from service.corpus.models import Correction, Interaction, Passage, Source, Twin, utcnow
from service.errors import BadInput, Conflict, NotFound, check_storable

KINDS = ("answer", "refusal")
STATUSES = ("active", "withdrawn", "retired", "superseded")
MAX_PASSAGES = 8
MAX_QUESTION_CHARS = 2000
MAX_FRAMING_CHARS = 300
MAX_PHRASINGS = 20
MAX_TOPIC_CHARS = 200
# A framing line is the curator's words before hers: it may not carry citation markers of its own.
MARKER_RE = re.compile(r"\[\s*\d+\s*\]")


@dataclass(frozen=True)
class LivePassage:
    """A passage a correction may still stand on, with what a citation and the audience filter need."""

    passage: Passage
    source: Source


def normal_question(text: str, what: str = "the question") -> str:
    """The question with its spaces tidied; BadInput when it is empty, too long or not storable text."""
    value = " ".join((text or "").split())
    if not value:
        raise BadInput(f"{what} is empty")
    if len(value) > MAX_QUESTION_CHARS:
        raise BadInput(f"{what} is too long ({len(value)} characters; at most {MAX_QUESTION_CHARS})")
    check_storable(value, what)
    return value


def live_passages(session: Session, twin_id: int, passage_ids: Iterable[int]) -> dict[int, LivePassage]:
    """Of these passages, those of this twin an answer may stand on now: the executive's own words in an approved,
    current source (not retired, not replaced by a newer version)."""
    ids = sorted({int(i) for i in passage_ids})
    if not ids:
        return {}
    rows = session.execute(
        select(Passage, Source).join(Source, Source.id == Passage.source_id)
        .where(Passage.id.in_(ids), Passage.twin_id == twin_id, Passage.executive.is_(True),
               Source.status == "approved", Source.superseded_by_id.is_(None)))
    return {int(p.id): LivePassage(p, src) for p, src in rows}


def _check_passages(session: Session, twin: Twin, passage_ids: Sequence[int], viewer: Viewer | None) -> list[int]:
    """The chosen passages in order, each checked: this twin's, the executive's words, approved and current, and
    readable by the curator choosing them."""
    ordered = list(dict.fromkeys(int(i) for i in passage_ids))
    if not ordered:
        raise BadInput("choose at least one passage that answers the question")
    if len(ordered) > MAX_PASSAGES:
        raise BadInput(f"choose at most {MAX_PASSAGES} passages")
    found = {int(p.id): (p, src) for p, src in session.execute(
        select(Passage, Source).join(Source, Source.id == Passage.source_id).where(Passage.id.in_(ordered)))}
    for pid in ordered:
        if pid not in found or found[pid][0].twin_id != twin.id:
            raise NotFound(f"no passage {pid} in {twin.name}'s sources")
        passage, source = found[pid]
        if viewer is not None and not viewer.sees(source.audience):
            raise NotFound(f"no passage {pid} in {twin.name}'s sources")
        if not passage.executive:
            raise BadInput(f"passage {pid} is {passage.speaker or 'another speaker'}'s words, not "
                           f"{twin.name}'s: only the executive's own words can be the answer")
        if source.status != "approved" or source.superseded_by_id is not None:
            raise BadInput(f"passage {pid} is in “{source.title}”, which is {source.display_status}: "
                           "choose passages from approved, current sources")
    return ordered


def _clean_phrasings(question: str, phrasings: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in phrasings:
        if not (raw or "").strip():
            continue
        text = normal_question(raw, "a phrasing")
        if text.lower() != question.lower() and text.lower() not in {p.lower() for p in out}:
            out.append(text)
    if len(out) > MAX_PHRASINGS:
        raise BadInput(f"give at most {MAX_PHRASINGS} other phrasings")
    return out


def _fields(session: Session, twin: Twin, *, question: str, kind: str, passage_ids: Sequence[int], framing: str,
            topic: str, phrasings: Iterable[str], viewer: Viewer | None) -> dict[str, Any]:
    """Validated column values of a correction."""
    if kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    text = normal_question(question)
    framing = " ".join((framing or "").split())
    topic = " ".join((topic or "").split())
    if len(framing) > MAX_FRAMING_CHARS:
        raise BadInput(f"the framing line is too long ({len(framing)} characters; at most {MAX_FRAMING_CHARS})")
    if MARKER_RE.search(framing):
        raise BadInput("the framing line is yours, not a quotation: leave out citation markers such as [1]")
    if len(topic) > MAX_TOPIC_CHARS:
        raise BadInput(f"the topic is too long (at most {MAX_TOPIC_CHARS} characters)")
    if kind == "refusal":
        if passage_ids:
            raise BadInput("a refusal stands on no passages: leave them out, or make it an answer")
        ids: list[int] = []
        framing = ""
    else:
        ids = _check_passages(session, twin, passage_ids, viewer)
        topic = ""
    return {"question": text, "kind": kind, "passage_ids": ids, "framing": framing, "topic": topic,
            "phrasings": _clean_phrasings(text, phrasings)}


def _audit(session: Session, actor: str, action: str, twin: Twin, row: Correction, **extra: Any) -> None:
    sources = sorted(set(session.scalars(select(Passage.source_id).where(
        Passage.id.in_([int(p) for p in row.passage_ids or []]))))) if row.passage_ids else []
    detail = {"question": row.question, "kind": row.kind, "version": row.version, "passages": list(row.passage_ids),
              "source_ids": sources, "framing": row.framing, "topic": row.topic, **extra}
    record_audit(session, actor, action, twin_slug=twin.slug, object_type="correction", object_id=row.root_id or row.id,
                 detail=detail)


def active_for_question(session: Session, twin: Twin, question: str) -> Correction | None:
    """The active correction written for exactly these words (case and spacing aside), if any."""
    wanted = " ".join(question.split()).lower()
    for row in session.scalars(select(Correction).where(Correction.twin_id == twin.id,
                                                        Correction.status == "active")):
        if row.question.lower() == wanted:
            return row
    return None


def create_correction(session: Session, twin: Twin, question: str, *, passage_ids: Sequence[int] = (),
                      kind: str = "answer", framing: str = "", topic: str = "", phrasings: Iterable[str] = (),
                      note: str = "", interaction_id: int | None = None, viewer: Viewer | None = None,
                      actor: str = SYSTEM_ACTOR) -> Correction:
    """Record what the executive would say to a question (or that she would not answer it); in force at once."""
    values = _fields(session, twin, question=question, kind=kind, passage_ids=passage_ids, framing=framing,
                     topic=topic, phrasings=phrasings, viewer=viewer)
    existing = active_for_question(session, twin, values["question"])
    if existing is not None:
        raise Conflict(f"this question already has correction {existing.root_id or existing.id}: edit that one")
    if interaction_id is not None:
        answered = session.get(Interaction, interaction_id)
        if answered is None or answered.twin_id != twin.id:
            raise NotFound(f"no answer {interaction_id} of {twin.name}'s")
    row = Correction(twin_id=twin.id, version=1, status="active", note=(note or "").strip()[:2000],
                     interaction_id=interaction_id, created_by=actor or SYSTEM_ACTOR, created_at=utcnow(), **values)
    session.add(row)
    session.flush()
    row.root_id = row.id
    session.flush()
    _audit(session, actor, "correction.create", twin, row, interaction_id=interaction_id)
    return row


def get_correction(session: Session, correction_id: int, *, twin: Twin | None = None) -> Correction:
    """The current version of correction `correction_id` (its first version's id, or any version's), or NotFound."""
    row = session.get(Correction, correction_id)
    if row is None or (twin is not None and row.twin_id != twin.id):
        raise NotFound(f"no correction {correction_id}")
    latest = session.scalar(select(Correction).where(Correction.root_id == (row.root_id or row.id))
                            .order_by(Correction.version.desc()).limit(1))
    return latest or row


def correction_versions(session: Session, row: Correction) -> list[Correction]:
    """Every version of a correction, newest first."""
    return list(session.scalars(select(Correction).where(Correction.root_id == (row.root_id or row.id))
                                .order_by(Correction.version.desc())))


def edit_correction(session: Session, correction_id: int, *, question: str | None = None,
                    passage_ids: Sequence[int] | None = None, kind: str | None = None, framing: str | None = None,
                    topic: str | None = None, phrasings: Iterable[str] | None = None, note: str | None = None,
                    viewer: Viewer | None = None, actor: str = SYSTEM_ACTOR) -> Correction:
    """A new version of a correction with these changes, in force at once; the old version is kept as superseded."""
    old = get_correction(session, correction_id)
    twin = session.get(Twin, old.twin_id)
    assert twin is not None
    new_kind = kind or old.kind
    values = _fields(session, twin, question=old.question if question is None else question, kind=new_kind,
                     passage_ids=(old.passage_ids if new_kind == "answer" else []) if passage_ids is None
                     else passage_ids,
                     framing=old.framing if framing is None else framing, topic=old.topic if topic is None else topic,
                     phrasings=old.phrasings if phrasings is None else phrasings, viewer=viewer)
    clash = active_for_question(session, twin, values["question"])
    if clash is not None and (clash.root_id or clash.id) != (old.root_id or old.id):
        raise Conflict(f"this question already has correction {clash.root_id or clash.id}: edit that one")
    old.status = "superseded"
    old.ended_by, old.ended_at, old.ended_reason = actor or SYSTEM_ACTOR, utcnow(), "edited"
    session.flush()
    row = Correction(twin_id=old.twin_id, root_id=old.root_id or old.id, version=old.version + 1, status="active",
                     note=old.note if note is None else note.strip()[:2000], interaction_id=old.interaction_id,
                     created_by=actor or SYSTEM_ACTOR, created_at=utcnow(), **values)
    session.add(row)
    session.flush()
    _audit(session, actor, "correction.edit", twin, row, previous_version=old.version)
    return row


def withdraw_correction(session: Session, correction_id: int, *, actor: str = SYSTEM_ACTOR,
                        reason: str = "") -> Correction:
    """End a correction: the question is answered from the whole corpus again, from now on."""
    row = get_correction(session, correction_id)
    if row.status != "active":
        raise Conflict(f"correction {row.root_id or row.id} is {row.status}, not in force")
    row.status = "withdrawn"
    row.ended_by, row.ended_at, row.ended_reason = actor or SYSTEM_ACTOR, utcnow(), (reason or "").strip()[:2000]
    session.flush()
    twin = session.get(Twin, row.twin_id)
    assert twin is not None
    _audit(session, actor, "correction.withdraw", twin, row, reason=row.ended_reason)
    return row


def retire_relying_on(session: Session, source_ids: Iterable[int], *, actor: str = SYSTEM_ACTOR,
                      reason: str = "") -> list[Correction]:
    """Retire every active correction that stands on a passage of these sources (retired or replaced)."""
    ids = sorted({int(i) for i in source_ids})
    if not ids:
        return []
    twin_ids = set(session.scalars(select(Source.twin_id).where(Source.id.in_(ids))))
    passages = set(session.scalars(select(Passage.id).where(Passage.source_id.in_(ids))))
    if not passages:
        return []
    retired = []
    for row in session.scalars(select(Correction).where(Correction.twin_id.in_(twin_ids),
                                                        Correction.status == "active", Correction.kind == "answer")):
        relied = [pid for pid in row.passage_ids or [] if int(pid) in passages]
        if not relied:
            continue
        row.status = "retired"
        row.ended_by, row.ended_at, row.ended_reason = actor or SYSTEM_ACTOR, utcnow(), reason[:2000]
        retired.append(row)
    session.flush()
    for row in retired:
        twin = session.get(Twin, row.twin_id)
        assert twin is not None
        _audit(session, actor, "correction.retire", twin, row, reason=row.ended_reason, retired_sources=ids)
    return retired


def list_corrections(session: Session, twin: Twin, *, status: str | None = None) -> list[Correction]:
    """A twin's corrections (the current version of each), newest first; `status` filters."""
    if status is not None and status not in STATUSES:
        raise BadInput(f"status must be one of {', '.join(STATUSES)}")
    rows = session.scalars(select(Correction).where(Correction.twin_id == twin.id, Correction.status != "superseded")
                           .order_by(Correction.id.desc()))
    return [r for r in rows if status is None or r.status == status]


def active_corrections(session: Session, twin_id: int) -> list[Correction]:
    """The corrections in force for a twin."""
    return list(session.scalars(select(Correction).where(Correction.twin_id == twin_id,
                                                         Correction.status == "active")
                                .order_by(Correction.id)))


def correction_sources(session: Session, rows: Iterable[Correction]) -> dict[int, Source]:
    """The source of each passage these corrections stand on, by passage id."""
    ids = sorted({int(pid) for r in rows for pid in r.passage_ids or []})
    if not ids:
        return {}
    return {int(pid): src for pid, src in session.execute(
        select(Passage.id, Source).join(Source, Source.id == Passage.source_id).where(Passage.id.in_(ids)))}


def visible_to(row: Correction, sources: dict[int, Source], viewer: Viewer) -> bool:
    """Whether a viewer may read a correction: they hold the audience of every passage it stands on."""
    return all(pid in sources and viewer.sees(sources[pid].audience) for pid in row.passage_ids or [])


def describe(session: Session, rows: Sequence[Correction], viewer: Viewer | None = None) -> list[dict[str, Any]]:
    """Corrections as every channel shows them (API, console, CLI): what they say, on which passages, and where
    they stand; passages the viewer may not read are withheld (title and audience only)."""
    ids = sorted({int(pid) for r in rows for pid in r.passage_ids or []})
    found: dict[int, tuple[Passage, Source]] = {}
    if ids:
        found = {int(p.id): (p, src) for p, src in session.execute(
            select(Passage, Source).join(Source, Source.id == Passage.source_id).where(Passage.id.in_(ids)))}
    out = []
    for r in rows:
        passages: list[dict[str, Any]] = []
        for pid in r.passage_ids or []:
            if int(pid) not in found:
                passages.append({"passage_id": int(pid), "live": False, "withheld": False, "text": None})
                continue
            p, src = found[int(pid)]
            seen = viewer is None or viewer.sees(src.audience)
            passages.append({"passage_id": p.id, "source_id": src.id, "title": src.title,
                             "date": src.date.isoformat() if src.date else None, "locator": p.locator,
                             "audience": src.audience, "source_status": src.display_status,
                             "live": src.status == "approved" and src.superseded_by_id is None and p.executive,
                             "withheld": not seen, "text": p.text if seen else None})
        out.append({"id": r.root_id or r.id, "version": r.version, "version_id": r.id, "kind": r.kind,
                    "status": r.status, "question": r.question, "phrasings": list(r.phrasings or []),
                    "framing": r.framing, "topic": r.topic, "note": r.note, "passages": passages,
                    "interaction_id": r.interaction_id, "created_by": r.created_by,
                    "created_at": r.created_at.isoformat() if r.created_at else None, "ended_by": r.ended_by,
                    "ended_at": r.ended_at.isoformat() if r.ended_at else None, "ended_reason": r.ended_reason})
    return out
