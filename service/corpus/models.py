"""Corpus tables. Only the store API in corpus/store.py writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every Understudy table."""


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Twin(Base):
    """An executive twin: who it stands in for, its persona and the executive's consent."""

    __tablename__ = "twins"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    # Curator-owned persona settings and the derived style profile (see twin/persona.py).
    persona: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Turn labels that mark the executive in transcripts, e.g. ["DANA REYES", "THE CEO"].
    speaker_labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_by: Mapped[str | None] = mapped_column(String(200))
    consent_scope: Mapped[str | None] = mapped_column(Text)
    consent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None


class User(Base):
    """A person or API client: role, audiences and a hashed API token."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="employee")
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised by sign-out (and by role or audience changes): browser sessions signed with an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Source(Base):
    """One version of one file of the executive's: a memo, talk, transcript or email."""

    __tablename__ = "sources"
    __table_args__ = (
        UniqueConstraint("twin_id", "sha256", name="uq_sources_twin_sha256"),
        UniqueConstraint("twin_id", "filename", "version", name="uq_sources_twin_filename_version"),
        Index("ix_sources_twin_status", "twin_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    date: Mapped[dt.date | None] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(100), default="everyone")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    # Set when a newer version is approved; a superseded source is never searched.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    uploaded_by: Mapped[str] = mapped_column(String(320), default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(320))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    retired_by: Mapped[str | None] = mapped_column(String(320))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)

    passages: Mapped[list[Passage]] = relationship(
        back_populates="source", order_by="Passage.ordinal", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def display_status(self) -> str:
        """The status people see: `superseded` once a newer version is approved (a retired one stays retired)."""
        if self.superseded_by_id is not None and self.status != "retired":
            return "superseded"
        return self.status


class Passage(Base):
    """A citable passage of a source: one speaker's whole sentences, with a locator."""

    __tablename__ = "passages"
    __table_args__ = (Index("ix_passages_source_ordinal", "source_id", "ordinal", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str | None] = mapped_column(String(200))
    executive: Mapped[bool] = mapped_column(Boolean, default=True)
    locator: Mapped[str] = mapped_column(String(100), default="")
    heading: Mapped[str | None] = mapped_column(String(500))
    context: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[int] = mapped_column(Integer, default=0)

    source: Mapped[Source] = relationship(back_populates="passages")


class PassageVector(Base):
    """A passage's embedding under one model, for the dense rerank (float32, unit length)."""

    __tablename__ = "passage_vectors"
    # Search processes ask "how many, and the newest?" per model every second or so: answered from this index.
    __table_args__ = (Index("ix_passage_vectors_model_created", "model", "created_at"),)
    passage_id: Mapped[int] = mapped_column(ForeignKey("passages.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Digest of the embedded text (title, heading, passage): a renamed source's stale vector is not used.
    text_sha1: Mapped[str] = mapped_column(String(40))
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # The vectors of the passage's sentences (textkit.sentences.quote_spans, in order), one float32 row each, packed
    # end to end; None when stored before sentences were embedded (`understudy embed` fills them in).
    sentence_vectors: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """Append-only record of who changed what and when (database triggers refuse edits)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    twin_slug: Mapped[str | None] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Interaction(Base):
    """One answer or rehearsal turn: who asked, what stood behind it, how it was made."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_twin_created", "twin_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default="ask")
    channel: Mapped[str] = mapped_column(String(16), default="cli")
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    # [{"passage_id", "source_id", "version", "n"}] as they were when answered.
    passages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mode: Mapped[str] = mapped_column(String(16), default="extractive")
    grounded: Mapped[bool] = mapped_column(Boolean, default=True)
    refused_topic: Mapped[str | None] = mapped_column(String(100))
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    voice_score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    feedback: Mapped[str | None] = mapped_column(String(16))
    feedback_reason: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The correction (one version of it) that answered, when a curator's correction did.
    correction_id: Mapped[int | None] = mapped_column(Integer)


class Rehearsal(Base):
    """One pitch rehearsal: the pitch, what the twin asked and pushed on, the scorecard, and where the rounds are."""

    __tablename__ = "rehearsals"
    __table_args__ = (Index("ix_rehearsals_twin_user", "twin_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="cli")
    pitch: Mapped[str] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(500))
    # The whole first reaction (questions, push-back, scorecard, citations) as returned to the author.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the rounds stand: the question pending, what was asked and covered.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mode: Mapped[str] = mapped_column(String(16), default="extractive")
    round: Mapped[int] = mapped_column(Integer, default=0)
    max_rounds: Mapped[int] = mapped_column(Integer, default=3)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    turns: Mapped[list[RehearsalTurn]] = relationship(
        back_populates="rehearsal", order_by="RehearsalTurn.round", cascade="all, delete-orphan", passive_deletes=True
    )


class RehearsalTurn(Base):
    """One round of a rehearsal: the question, the employee's reply and the twin's reaction."""

    __tablename__ = "rehearsal_turns"
    __table_args__ = (UniqueConstraint("rehearsal_id", "round", name="uq_rehearsal_turns_round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rehearsal_id: Mapped[int] = mapped_column(ForeignKey("rehearsals.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    reaction: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mode: Mapped[str] = mapped_column(String(16), default="extractive")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    rehearsal: Mapped[Rehearsal] = relationship(back_populates="turns")


class SlackEvent(Base):
    """A Slack event id already handled, so Slack's retries of it are acknowledged and dropped."""

    __tablename__ = "slack_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class SlackChannelSetting(Base):
    """Per-channel Slack settings: which twin answers there and whether replies may be public."""

    __tablename__ = "slack_channels"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), unique=True)
    twin_id: Mapped[int | None] = mapped_column(ForeignKey("twins.id", ondelete="SET NULL"))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SlackThread(Base):
    """A Slack thread and what it carries on: an answer conversation or a rehearsal."""

    __tablename__ = "slack_threads"
    __table_args__ = (UniqueConstraint("channel_id", "thread_ts", name="uq_slack_threads_channel_ts"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(64))
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    rehearsal_id: Mapped[int | None] = mapped_column(ForeignKey("rehearsals.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SlackAnswer(Base):
    """An answer as posted in Slack, kept so its buttons (share, sources, feedback) can act on it later."""

    __tablename__ = "slack_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), unique=True)
    slack_user_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    twin_name: Mapped[str] = mapped_column(String(200), default="")
    # The answer's dict (text, citations, disclaimer) as it was shown.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IngestionJob(Base):
    """A background ingestion of many files for one twin: who asked, with which options, and where it stands."""

    __tablename__ = "ingestion_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"), index=True)
    # queued → running → done (every file has an outcome, some may have failed) or failed (the job itself broke).
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # {"kind", "audience", "approve"} as given at upload.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    queue_job_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class IngestionJobFile(Base):
    """One file of an ingestion job: its bytes until processed (any worker may take it), then its outcome."""

    __tablename__ = "ingestion_job_files"
    __table_args__ = (UniqueConstraint("job_id", "ordinal", name="uq_ingestion_job_files_ordinal"),
                      Index("ix_ingestion_job_files_job_status", "job_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("ingestion_jobs.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1000))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # pending, then ingested | duplicate | updated | error.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    passages: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class QuestionReview(Base):
    """What a curator did about an unanswered question (all askings of the same words): handled, answered, declined."""

    __tablename__ = "question_reviews"
    __table_args__ = (UniqueConstraint("twin_id", "question_key", name="uq_question_reviews_twin_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"))
    # Digest of the question's normalised words (see store.question_key).
    question_key: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    # handled | answered (a source answers it now) | declined (not to be answered; the note says why).
    status: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(320))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Correction(Base):
    """What the executive would say instead, as a curator chose it: one version of a correction to a question.

    Editing writes a new version (same `root_id`) and marks the old one superseded; `kind` is `answer` (the chosen
    passages, in order, with an optional framing line) or `refusal` ("she would not answer this")."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_twin_status", "twin_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"))
    # The first version's id: every version of one correction shares it.
    root_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16), default="answer")
    # active | withdrawn (by a curator) | retired (a passage it relies on left the corpus) | superseded (edited).
    status: Mapped[str] = mapped_column(String(16), default="active")
    question: Mapped[str] = mapped_column(Text)
    # Other wordings the curator wants answered the same way (beside those that mean the same by similarity).
    phrasings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The chosen passages in the order they are to be said.
    passage_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    framing: Mapped[str] = mapped_column(Text, default="")
    # For a refusal: what the persona's refusal message names as the topic.
    topic: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # The answer it corrects, when made from one.
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_by: Mapped[str | None] = mapped_column(String(320))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_reason: Mapped[str] = mapped_column(Text, default="")


class GapThemeLink(Base):
    """A theme of unanswered questions that a curator marked answered by linking an approved source."""

    __tablename__ = "gap_theme_links"
    __table_args__ = (Index("ix_gap_theme_links_twin", "twin_id", "linked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"))
    # The theme's name and most central question when it was linked.
    name: Mapped[str] = mapped_column(String(500))
    question: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    # The theme's centre (unit float32 vector) under `model`: later questions near it are followed up.
    model: Mapped[str] = mapped_column(String(200), default="")
    centroid: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    note: Mapped[str] = mapped_column(Text, default="")
    linked_by: Mapped[str] = mapped_column(String(320))
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SourceRevision(Base):
    """A curator's mark: the position of a source (`source_id`) is superseded by a later source's (`revised_by_id`).

    Both stay approved and quotable; answers on the point give the later position first and the earlier one after."""

    __tablename__ = "source_revisions"
    __table_args__ = (UniqueConstraint("source_id", "revised_by_id", name="uq_source_revisions_pair"),
                      Index("ix_source_revisions_revised_by", "revised_by_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    twin_id: Mapped[int] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    revised_by_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    marked_by: Mapped[str] = mapped_column(String(320))
    marked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
