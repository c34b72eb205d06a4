"""Request and response bodies of the JSON API; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.twin.persona.validation import MAX_DISPLAY_NAME_CHARS, MAX_MESSAGE_CHARS


class Open(BaseModel):
    """A response body that may carry more fields than documented."""

    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    """A request body that refuses unknown fields."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str | None = None


class ErrorBody(BaseModel):
    """Every failure: a stable code and a message a person can act on."""

    error: ErrorDetail


# --- asking ----------------------------------------------------------------------------------------

class AskRequest(Closed):
    question: str = Field(min_length=1, max_length=4000)
    conversation_id: str | None = Field(default=None, max_length=64)


class Citation(Open):
    n: int
    source_id: int
    title: str
    date: str | None = None
    locator: str = ""
    quote: str = ""


class AskResponse(Open):
    """An answer in the executive's voice with the numbered sources it stands on."""

    answer: str
    citations: list[Citation]
    grounded: bool
    mode: str
    disclaimer: str
    conversation_id: str
    interaction_id: int | None = None
    basis: Literal["own_words", "rephrased", "no_answer"] | None = Field(
        default=None, description="What the answer stands on: her own words (extractive), her words rephrased and "
                                  "checked (model), or no answer.")
    basis_label: str | None = Field(default=None, description='The label every channel shows: "her words", '
                                                             '"her words, rephrased (checked)" or "no answer" (his, '
                                                             'their: the persona\'s pronoun).')
    positions: dict[str, Any] | None = Field(
        default=None, description="When approved sources disagree over time on the point: the current position's "
                                  "source and the earlier ones ({current, earlier, reasons, marked}).")
    courtesy: bool = Field(default=False, description='A reply in kind to "thanks!" or "hi": nothing searched or '
                                                      "cited, no basis label, no feedback asked.")


class FeedbackRequest(Closed):
    helpful: bool
    reason: str = Field(default="", max_length=2000)


class FeedbackResponse(Open):
    interaction_id: int
    feedback: str
    reason: str | None = None


# --- twins -----------------------------------------------------------------------------------------

class TwinOut(Open):
    slug: str
    name: str
    title: str
    paused: bool
    has_consent: bool
    available: bool
    consent_by: str | None = None
    consent_scope: str | None = None
    consent_at: str | None = None


class TwinList(Open):
    twins: list[TwinOut]


class TwinCreate(Closed):
    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    speaker_labels: list[str] | None = None


class SpeakerLabelsChange(Closed):
    """Labels to add to or remove from those that mark the executive's turns in transcripts."""

    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class Reattributed(Open):
    sources: int
    to_executive: int
    from_executive: int


class SpeakerLabelsOut(Open):
    """The twin's labels after the change and what re-attributing its stored sources did."""

    speaker_labels: list[str]
    reattributed: Reattributed


class ConsentRequest(Closed):
    by: str = Field(min_length=1, max_length=200)
    scope: str = Field(min_length=1, max_length=4000)


class PersonaOut(Open):
    """The curator-owned persona settings of a twin."""


class PersonaPatch(BaseModel):
    """Persona settings to change; the persona rules refuse unknown fields and bad values."""

    model_config = ConfigDict(extra="allow")
    display_name: str | None = Field(default=None, max_length=MAX_DISPLAY_NAME_CHARS)
    no_answer_message: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    refusal_message: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    disclaimer: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    pronoun: str | None = Field(default=None, description='How answers speak of the executive: "she", "he" or '
                                                          '"they" (the default; "Stands on: their words").')
    refused_topics: list[str | dict[str, Any]] | None = None
    answer_openers: list[str] | None = None
    signature_phrases: list[str] | None = None
    rehearsal_rubric: list[str | dict[str, Any]] | None = None


# --- sources ---------------------------------------------------------------------------------------

SourceStatus = Literal["draft", "approved", "superseded", "retired"]


class SourcesQuery(Closed):
    status: SourceStatus | None = None
    kind: str | None = Field(default=None, max_length=16)
    audience: str | None = Field(default=None, max_length=100)
    q: str | None = Field(default=None, max_length=200)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    current_only: bool = False


class SourceOut(Open):
    id: int
    twin: str
    title: str
    filename: str
    kind: str
    date: str | None = None
    audience: str
    status: SourceStatus
    current: bool
    version: int
    passages: int
    superseded_by_id: int | None = None
    uploaded_by: str
    uploaded_at: str | None = None


class SourceList(Open):
    sources: list[SourceOut]


class PassageOut(Open):
    ordinal: int
    text: str
    speaker: str | None = None
    executive: bool
    locator: str
    heading: str | None = None


class SourceVersion(Open):
    id: int
    version: int
    status: str
    uploaded_at: str | None = None
    uploaded_by: str


class SourceDetail(Open):
    source: SourceOut
    passages: list[PassageOut]
    versions: list[SourceVersion]
    speaker_hint: SpeakerHint | None = None


class SpeakerHint(Open):
    """The label holding most of a transcript's words when none of its labels is the executive's."""

    label: str
    share: float
    words: int
    message: str


class UploadResult(Open):
    path: str
    status: str
    source_id: int | None = None
    passages: int | None = None
    error: str | None = None
    speaker_hint: SpeakerHint | None = None


class UploadResponse(Open):
    results: list[UploadResult]


class AudienceRequest(Closed):
    audience: str = Field(min_length=1, max_length=100)


class RetireRequest(Closed):
    reason: str = Field(default="", max_length=2000)


class SourceResponse(Open):
    source: SourceOut


class SearchQuery(Closed):
    q: str = Field(min_length=1, max_length=500)
    k: int = Field(default=10, ge=1, le=50)


class SearchResponse(Open):
    hits: list[dict[str, Any]]


# --- audit, unanswered -----------------------------------------------------------------------------

class AuditQuery(Closed):
    twin: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=100, ge=1, le=500)
    before_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Events older than this id.")


class AuditEventOut(Open):
    id: int
    at: str
    actor: str
    action: str
    twin_slug: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    detail: dict[str, Any]


class AuditList(Open):
    events: list[AuditEventOut]


class UnansweredQuery(Closed):
    limit: int = Field(default=100, ge=1, le=500)


class UnansweredItem(Open):
    interaction_id: int
    at: str
    question: str
    answer: str
    grounded: bool
    refused_topic: str | None = None
    feedback: str | None = None
    feedback_reason: str | None = None
    asked_by: str | None = None


class UnansweredList(Open):
    items: list[UnansweredItem]


# --- users -----------------------------------------------------------------------------------------

Role = Literal["employee", "curator", "admin"]


class UserOut(Open):
    email: str
    name: str
    role: str
    audiences: list[str]
    active: bool


class UserList(Open):
    users: list[UserOut]


class UserCreate(Closed):
    email: str = Field(min_length=3, max_length=320)
    role: Role = "employee"
    audiences: list[str] = Field(default_factory=list)
    name: str = Field(default="", max_length=200)


class UserCreated(Open):
    user: UserOut
    token: str


class UserPatch(Closed):
    role: Role | None = None
    audiences: list[str] | None = None
    active: bool | None = None


class Health(Open):
    status: str
    database: str


# --- background ingestion jobs ---------------------------------------------------------------------

class JobFileOut(UploadResult):
    """A file of a background job: the same outcome an upload at once gives."""


class JobOut(Open):
    """A background ingestion job: done counts files with an outcome, failed those that failed."""

    id: int
    twin: str
    status: Literal["queued", "running", "done", "failed"]
    total: int
    done: int
    failed: int
    pending: int
    error: str | None = None
    created_at: str | None = None
    files: list[JobFileOut] | None = None


class JobAccepted(Open):
    job: JobOut


class JobList(Open):
    jobs: list[JobOut]


class JobsQuery(Closed):
    limit: int = Field(default=20, ge=1, le=200)


# --- corrections -----------------------------------------------------------------------------------

class CorrectionCreate(Closed):
    question: str = Field(min_length=1, max_length=2000)
    kind: Literal["answer", "refusal"] = "answer"
    passage_ids: list[int] = Field(default_factory=list, max_length=8)
    framing: str = Field(default="", max_length=300)
    topic: str = Field(default="", max_length=200)
    phrasings: list[str] = Field(default_factory=list, max_length=20)
    note: str = Field(default="", max_length=2000)
    interaction_id: int | None = Field(default=None, ge=1)


class CorrectionPatch(Closed):
    question: str | None = Field(default=None, min_length=1, max_length=2000)
    kind: Literal["answer", "refusal"] | None = None
    passage_ids: list[int] | None = Field(default=None, max_length=8)
    framing: str | None = Field(default=None, max_length=300)
    topic: str | None = Field(default=None, max_length=200)
    phrasings: list[str] | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class CorrectionsQuery(Closed):
    status: Literal["active", "withdrawn", "retired"] | None = None


class CorrectionPassage(Open):
    passage_id: int
    live: bool
    withheld: bool
    text: str | None = None


class CorrectionOut(Open):
    """What the executive would say instead: the chosen passages in order (or a refusal), version and status."""

    id: int
    version: int
    kind: str
    status: str
    question: str
    phrasings: list[str]
    framing: str
    topic: str
    passages: list[CorrectionPassage]
    created_by: str
    created_at: str | None = None


class CorrectionList(Open):
    corrections: list[CorrectionOut]
    threshold: float
    hidden: int


class CorrectionDetail(Open):
    correction: CorrectionOut
    versions: list[CorrectionOut]


class CorrectionResponse(Open):
    correction: CorrectionOut
