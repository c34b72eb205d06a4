"""Unanswered questions: curators' reviews and links from a theme of questions to the source answering it."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus.audit import record_audit
from service.corpus.models import GapThemeLink, QuestionReview, Twin, utcnow
from service.corpus.store._common import SYSTEM_ACTOR
from service.corpus.store.sources import get_source
from service.errors import BadInput, NotFound

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
