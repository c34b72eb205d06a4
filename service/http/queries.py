"""Read-only questions the console asks of the corpus, shared by the JSON API and the pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import AuditEvent, Correction, Interaction, Passage, Source, Twin, User
from service.http.serialize import audit_dict
from service.twin.courtesy import courtesy_reply
from service.twin.persona import persona_settings
from service.twin.positions import basis as answer_basis
from service.twin.positions import basis_label


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
    # "thanks!" was answered in kind, with nothing to look up: no source is missing, unless they said it did not help.
    found: list[tuple[Interaction, str | None]] = [
        (row[0], row[1]) for row in rows
        if row[0].feedback == "not_helpful" or courtesy_reply(row[0].question, twin.name) is None]
    if viewer is None:
        return found
    audiences = store.audiences_by_source(session, {int(p["source_id"]) for row, _ in found for p in row.passages or []
                                                    if p.get("source_id") is not None})
    return [(row, email) for row, email in found
            if all(viewer.sees(audiences.get(int(p["source_id"]), "")) for p in row.passages or []
                   if p.get("source_id") is not None)]


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

    audiences = store.audiences_by_source(session, {i for event in events for i in sources_of(event)})
    out = []
    for event in events:
        entry = audit_dict(event)
        hidden = [a for a in (audiences.get(i) for i in sources_of(event)) if a is not None and not viewer.sees(a)]
        if hidden:
            entry["detail"] = {"withheld": f"the source is for the {hidden[0]} audience"}
        out.append(entry)
    return out


def conversation_turns(session: Session, twin: Twin, conversation_id: str, *, user_id: int | None,
                       limit: int = 50) -> list[dict[str, Any]]:
    """One user's earlier questions and answers in a conversation, oldest first, with their citations."""
    rows = [row for row in store.conversation_history(session, twin, conversation_id, user_id=user_id, limit=limit)
            if row.kind == "ask"]
    cited = {int(p["passage_id"]) for row in rows for p in row.passages or [] if p.get("n")}
    passages = {p.id: (p, src) for p, src in session.execute(
        select(Passage, Source).join(Source, Source.id == Passage.source_id).where(Passage.id.in_(cited)))} if cited else {}
    corrected = {row.correction_id for row in rows if row.correction_id}
    corrections = {c.id: {"id": c.root_id or c.id, "version": c.version, "kind": c.kind, "question": c.question}
                   for c in session.scalars(select(Correction).where(Correction.id.in_(corrected)))} if corrected else {}
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
        courtesy = not row.grounded and not row.refused_topic and courtesy_reply(row.question, twin.name) is not None
        turns.append({"question": row.question, "answer": row.answer, "citations": citations,
                      "grounded": bool(row.grounded), "interaction_id": row.id, "feedback": row.feedback,
                      "basis": basis, "courtesy": courtesy,
                      "basis_label": "" if courtesy else basis_label(basis, persona_settings(twin).possessive),
                      "correction": corrections.get(row.correction_id or 0)})
    return turns


def _quoted_words(passage: str, answer: str) -> str:
    """The passage's sentences that the answer quotes (the whole passage, shortened, if none is found)."""
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
