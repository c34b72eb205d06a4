"""Read-only questions the console asks of the corpus, and the upload step shared by API and pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ingestion.model import KINDS, IngestError, Limits
from service.api.serialize import audit_dict
from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import AuditEvent, Interaction, Source, Twin, User
from service.errors import BadInput
from service.search.vectors import index_new_sources

INGEST_STATUS = {"too_large": 413, "file_too_large": 413, "unsupported": 415, "unsupported_type": 415, "mislabelled": 415,
                 "unknown_type": 415, "unsupported_format": 415}


def ingest_error_status(error: IngestError) -> int:
    """The HTTP status of an ingestion failure: 413 too large, 415 wrong type, else 400."""
    if error.code in INGEST_STATUS:
        return INGEST_STATUS[error.code]
    if "large" in error.code or "size" in error.code:
        return 413
    if "type" in error.code or "format" in error.code or "unsupported" in error.code:
        return 415
    return 400


def filter_sources(session: Session, twin: Twin, *, status: str | None = None, kind: str | None = None,
                   audience: str | None = None, q: str | None = None, date_from: dt.date | None = None,
                   date_to: dt.date | None = None, current_only: bool = False,
                   viewer: Viewer | None = None) -> list[Source]:
    """A twin's sources with the console's filters; with a viewer, only those for audiences the viewer holds."""
    sources = store.list_sources(session, twin, status=status or None, kind=kind or None,
                                 audience=audience or None, current_only=current_only)
    if viewer is not None:
        sources = [s for s in sources if viewer.sees(s.audience)]
    needle = (q or "").strip().lower()
    if needle:
        sources = [s for s in sources if needle in s.title.lower() or needle in s.filename.lower()]
    if date_from:
        sources = [s for s in sources if s.date is not None and s.date >= date_from]
    if date_to:
        sources = [s for s in sources if s.date is not None and s.date <= date_to]
    return sources


def unanswered(session: Session, twin: Twin, *, limit: int = 100,
               viewer: Viewer | None = None) -> list[tuple[Interaction, str | None]]:
    """Ungrounded and unhelpful answers, newest first; with a viewer, none standing on a source they may not read."""
    rows = session.execute(
        select(Interaction, User.email).outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.twin_id == twin.id,
               or_(Interaction.grounded.is_(False), Interaction.feedback == "not_helpful"))
        .order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(limit)
    )
    found: list[tuple[Interaction, str | None]] = [(row[0], row[1]) for row in rows]
    if viewer is None:
        return found
    audiences = source_audiences(session, {int(p["source_id"]) for row, _ in found for p in row.passages or []
                                           if p.get("source_id") is not None})
    return [(row, email) for row, email in found
            if all(viewer.sees(audiences.get(int(p["source_id"]), "")) for p in row.passages or []
                   if p.get("source_id") is not None)]


def source_audiences(session: Session, source_ids: set[int]) -> dict[int, str]:
    """The audience of each of these sources (a deleted source is missing)."""
    if not source_ids:
        return {}
    return {int(i): str(a) for i, a in session.execute(
        select(Source.id, Source.audience).where(Source.id.in_(sorted(source_ids))))}


def visible_audit(session: Session, events: list[AuditEvent], viewer: Viewer) -> list[dict[str, Any]]:
    """Audit entries for this viewer: details about a source they may not read are withheld (who and when stay)."""
    def sources_of(event: AuditEvent) -> list[int]:
        if event.object_type == "source" and event.object_id is not None:
            return [int(event.object_id)]
        detail = event.detail or {}
        linked = detail.get("source_id")
        # A correction names every source its passages come from.
        many = detail.get("source_ids")
        return [i for i in [linked, *(many if isinstance(many, list) else [])] if isinstance(i, int)]

    audiences = source_audiences(session, {i for event in events for i in sources_of(event)})
    out = []
    for event in events:
        entry = audit_dict(event)
        hidden = [a for a in (audiences.get(i) for i in sources_of(event)) if a is not None and not viewer.sees(a)]
        if hidden:
            entry["detail"] = {"withheld": f"the source is for the {hidden[0]} audience"}
        out.append(entry)
    return out


def limits_for(settings: Settings) -> Limits:
    """Ingestion caps from the settings."""
    return Limits(max_bytes=int(settings.max_file_mb * 1024 * 1024), pdf_timeout_s=float(settings.pdf_timeout),
                  pdf_memory_mb=int(settings.pdf_memory_mb), passage_words=int(settings.passage_words))


@dataclass
class UploadedFile:
    """One uploaded file: the path the browser gave (maybe inside a folder) and its bytes."""

    path: str
    data: bytes


def ingest_uploads(session: Session, settings: Settings, twin: Twin, files: list[UploadedFile], *,
                   kind: str | None, audience: str, approve: bool, actor: str) -> list[dict[str, Any]]:
    """Parse and store each file as a source; one result per file, like `understudy ingest --json`."""
    from ingestion.pipeline import parse_bytes
    from service.twin.labels import document_label_hint

    if kind and kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    if not audience.strip():
        raise BadInput("audience must not be empty")
    results: list[dict[str, Any]] = []
    limits = limits_for(settings)
    for upload in files:
        name = PurePosixPath(upload.path.replace("\\", "/")).name or "upload"
        result: dict[str, Any] = {"path": upload.path, "status": "error", "source_id": None, "passages": None,
                                  "error": None}
        try:
            doc = parse_bytes(upload.data, name, kind=kind or None, speaker_labels=tuple(twin.speaker_labels or ()),
                              limits=limits)
            added = store.add_source(session, twin, doc, audience=audience, uploaded_by=actor, approve=approve,
                                     kind=kind or None)
            session.commit()
        except IngestError as exc:
            session.rollback()
            result.update(error=exc.message, error_code=exc.code, http_status=ingest_error_status(exc))
        except BadInput as exc:
            session.rollback()
            result.update(error=exc.message, error_code=exc.code, http_status=exc.status)
        else:
            result.update(status=added.status, source_id=added.source.id, passages=len(doc.passages),
                          speaker_hint=document_label_hint(doc, twin.name))
        results.append(result)
    stored = [r["source_id"] for r in results if r["source_id"]]
    if stored:
        index_new_sources(session, settings, stored)
    return results


def conversation_turns(session: Session, twin: Twin, conversation_id: str, *, user_id: int | None,
                       limit: int = 50) -> list[dict[str, Any]]:
    """One user's earlier questions and answers in a conversation, oldest first, with their citations."""
    from service.corpus.models import Passage
    from service.twin.positions import basis as answer_basis
    from service.twin.positions import basis_label

    rows = [row for row in store.conversation_history(session, twin, conversation_id, user_id=user_id, limit=limit)
            if row.kind == "ask"]
    cited = {int(p["passage_id"]) for row in rows for p in row.passages or [] if p.get("n")}
    passages = {p.id: (p, src) for p, src in session.execute(
        select(Passage, Source).join(Source, Source.id == Passage.source_id).where(Passage.id.in_(cited)))} if cited else {}
    turns: list[dict[str, Any]] = []
    for row in rows:
        citations = []
        for ref in sorted((p for p in row.passages or [] if p.get("n")), key=lambda p: int(p["n"])):
            found = passages.get(int(ref["passage_id"]))
            if found is None:
                continue
            passage, source = found
            citations.append({"n": int(ref["n"]), "source_id": source.id, "title": source.title,
                              "date": source.date.isoformat() if source.date else None, "locator": passage.locator,
                              "quote": _quoted_words(passage.text, row.answer)})
        basis = answer_basis(row.mode, bool(row.grounded))
        turns.append({"question": row.question, "answer": row.answer, "citations": citations,
                      "grounded": bool(row.grounded), "interaction_id": row.id, "feedback": row.feedback,
                      "basis": basis, "basis_label": basis_label(basis)})
    return turns


def _quoted_words(passage: str, answer: str) -> str:
    """The passage's sentences that the answer quotes (the whole passage, shortened, if none is found)."""
    import re

    sentences = [s for s in re.split(r"(?<=[.!?])\s+", passage) if s and s in answer]
    if sentences:
        return " ".join(sentences)
    return passage if len(passage) <= 400 else passage[:400].rsplit(" ", 1)[0] + "…"


def unanswered_groups(session: Session, twin: Twin, *, limit: int = 500,
                      viewer: Viewer | None = None) -> list[dict[str, Any]]:
    """Unanswered questions and unhelpful answers grouped by question: how often, when last, why, what was done."""
    reviews = store.question_reviews(session, twin)
    groups: dict[str, dict[str, Any]] = {}
    for row, email in unanswered(session, twin, limit=limit, viewer=viewer):
        key = store.question_key(row.question)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"key": key, "question": row.question, "last_at": row.created_at, "count": 0,
                                   "asked_by": [], "reasons": [], "ungrounded": 0, "not_helpful": 0,
                                   "refused_topics": [], "interaction_id": row.id}
        group["count"] += 1
        if email and email not in group["asked_by"]:
            group["asked_by"].append(email)
        if row.feedback == "not_helpful":
            group["not_helpful"] += 1
            if row.feedback_reason:
                group["reasons"].append(row.feedback_reason)
        if not row.grounded:
            group["ungrounded"] += 1
        if row.refused_topic and row.refused_topic not in group["refused_topics"]:
            group["refused_topics"].append(row.refused_topic)
    for key, group in groups.items():
        review = reviews.get(key)
        last = group["last_at"]
        group["review"] = None
        if review is not None and (last is None or _aware(review.reviewed_at) >= _aware(last)):
            group["review"] = {"status": review.status, "note": review.note, "source_id": review.source_id,
                               "by": review.reviewed_by, "at": review.reviewed_at.isoformat()}
    return list(groups.values())


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
