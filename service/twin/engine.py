"""The one entry point for answers: twin → guardrails → search → composer → interaction row → Answer."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Interaction, Twin
from service.errors import BadInput, TwinUnavailable, check_storable
from service.search import PassageHit, neighbours, reranker_for, search_as_configured
from service.search.terms import TermStats, term_stats
from service.twin import corrections, llm, positions, profile_jobs, tables  # noqa: F401  (profile_jobs: rebuilds follow corpus changes)
from service.twin.citations import Citation
from service.twin.courtesy import asked_of_them, courtesy_reply, request_reply, without_address
from service.twin.extractive import (
    Composed,
    analyse,
    compose_by_meaning,
    compose_extractive,
    remember_stored_sentences,
    stream_segments,
)
from service.twin.guardrails import Refusal, injection_flags, passage_topic, refused_topic, source_topic
from service.twin.persona import PersonaSettings, persona_settings
from textkit.words import query_terms, stem_set_with_compounds, words

if TYPE_CHECKING:  # imported when a model is configured (service.twin.llm.client_for)
    from openai import OpenAI

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
# Other speakers' turns a search looks at for her replies, and their last words kept as the replies' context.
REPLY_POOL = 3
REPLY_CONTEXT_WORDS = 40
# A follow-up with at least this many content words is understood on its own.
MEANING_TERMS = 3
MAX_CONVERSATION_ID = 64
# A follow-up searches this many times as deep, so that passages holding its new words are found beside its topic's.
FOLLOW_UP_POOL = 2

__all__ = ["Answer", "Citation", "answer_question", "stream_answer"]


@dataclass
class Answer:
    """An answer as every channel shows it: text, citations, how it was made, and its interaction row."""

    answer: str
    citations: list[Citation]
    grounded: bool
    mode: str
    disclaimer: str
    conversation_id: str
    interaction_id: int
    voice_score: float | None = None
    fallback_reason: str | None = None
    refused_topic: str | None = None
    latency_ms: float = 0.0
    flags: list[str] = field(default_factory=list)
    # The curator's correction that answered ({"id", "version", "kind", "question", "similarity"}), if one did.
    correction: dict[str, Any] | None = None
    # Dated positions the answer gives, newest first, when approved sources disagree over time (positions.py).
    positions: dict[str, Any] | None = None
    # Whose words the basis label names ("her", "his", "their": the persona's pronoun).
    possessive: str = "their"
    # The answer opens with a curator's framing line (a correction's), which is not the executive's own words.
    curator_framing: bool = False
    # A reply in kind to "thanks!" or "hi": it stands on nothing and asks for no feedback.
    courtesy: bool = False

    @property
    def basis(self) -> str:
        """What the answer stands on: own_words (extractive), rephrased (model, checked) or no_answer."""
        return positions.basis(self.mode, self.grounded)

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN.md contract keys, then the extras."""
        return {"answer": self.answer, "citations": [c.to_dict() for c in self.citations], "grounded": self.grounded,
                "mode": self.mode, "disclaimer": self.disclaimer, "conversation_id": self.conversation_id,
                "interaction_id": self.interaction_id, "voice_score": self.voice_score,
                "fallback_reason": self.fallback_reason, "refused_topic": self.refused_topic,
                "latency_ms": round(self.latency_ms, 2), "flags": list(self.flags), "correction": self.correction,
                "basis": self.basis, "basis_label": self.basis_label, "positions": self.positions,
                "courtesy": self.courtesy}

    @property
    def basis_label(self) -> str:
        """The label every channel shows, naming a curator's framing line when the answer opens with one; none for
        a courtesy ("You're welcome." is not a refusal)."""
        if self.courtesy:
            return ""
        label = positions.basis_label(self.basis, self.possessive)
        return f"{label}, after a curator's framing line" if self.curator_framing and self.grounded else label


@dataclass
class _Prepared:
    """Everything decided before a composer runs."""

    twin: Twin
    persona: PersonaSettings
    question: str
    conversation_id: str
    history: list[tuple[str, str]]
    started: float
    refusal: Any = None
    hits: list[PassageHit] = field(default_factory=list)
    stats: TermStats | None = None
    search_query: str = ""
    flags: list[str] = field(default_factory=list)
    correction: corrections.CorrectionMatch | None = None
    change: positions.PositionChange | None = None
    courtesy: str | None = None
    # A follow-up's new terms: its answer opens on a sentence holding them when one does.
    focus: list[str] = field(default_factory=list)
    # The question as typed, greeting and all ("Hey Dana, …"), which is what is recorded.
    typed: str = ""


def answer_question(session: Session, settings: Settings, twin_slug: str, question: str, viewer: Viewer, *,
                    conversation_id: str | None = None, channel: str = "cli",
                    llm_client: OpenAI | None = None) -> Answer:
    """Answer one question as the twin and record it; the caller commits the session."""
    prepared = _prepare(session, settings, twin_slug, question, viewer, conversation_id)
    answer: Answer | None = None
    for event in _events(session, settings, prepared, viewer, channel=channel, llm_client=llm_client,
                         stream_llm=False):
        if event["event"] == "answer":
            answer = event["answer_object"]
    assert answer is not None
    return answer


def stream_answer(session: Session, settings: Settings, twin_slug: str, question: str, viewer: Viewer, *,
                  conversation_id: str | None = None, channel: str = "cli", llm_client: OpenAI | None = None,
                  recorded: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """The answer as events: {"event": "delta", "text"}… whose texts join into the final answer, then
    {"event": "answer", "data": <answer dict>}. A model's answer streams one checked sentence at a time: text that
    fails a check is never sent (the answer stops there, or falls back to extractive if nothing was sent yet).

    NotFound, TwinUnavailable and BadInput raise here, before any event. The interaction row is written (flushed)
    before the first text; `recorded` is called then, so the caller can commit it before anyone sees an answer;
    the caller commits again after the last event.
    """
    prepared = _prepare(session, settings, twin_slug, question, viewer, conversation_id)
    events = _events(session, settings, prepared, viewer, channel=channel, llm_client=llm_client, stream_llm=True,
                     recorded=recorded or (lambda: None))
    return ({k: v for k, v in event.items() if k != "answer_object"} for event in events)


def _events(session: Session, settings: Settings, prepared: _Prepared, viewer: Viewer, *, channel: str,
            llm_client: OpenAI | None, stream_llm: bool,
            recorded: Callable[[], None] = lambda: None) -> Iterator[dict[str, Any]]:
    """Every event of one answer, the last carrying the Answer object for answer_question."""
    if prepared.refusal is not None:
        yield from _plain_reply(session, prepared, viewer, channel, prepared.refusal.message, recorded,
                                refused=prepared.refusal.topic)
        return
    if prepared.courtesy is not None:  # "thanks!" is not a question: no search, no quotes
        yield from _plain_reply(session, prepared, viewer, channel, prepared.courtesy, recorded, courtesy=True)
        return
    if prepared.correction is not None:  # a curator's correction answers: from her chosen passages only
        prepared.hits = prepared.correction.hits
        extractive = corrections.compose(settings, prepared.question, prepared.correction, prepared.persona)
    else:
        prepared.hits = _search(session, settings, prepared, viewer)
        if prepared.refusal is not None:
            yield from _plain_reply(session, prepared, viewer, channel, prepared.refusal.message, recorded,
                                    refused=prepared.refusal.topic)
            return
        extractive = _compose(settings, prepared)
        prepared.hits, extractive, prepared.change = positions.apply(
            session, settings, prepared.twin.id, prepared.question, prepared.hits, prepared.persona, extractive, viewer)
        if extractive.grounded:
            extractive = _with_fitting_table(session, prepared, extractive)
    use_llm = settings.llm_enabled and bool(prepared.hits) and (
        extractive.grounded if extractive.evidence is None
        else extractive.evidence.score() >= settings.llm_answer_threshold)
    reason: str | None = None
    if use_llm and prepared.flags:
        use_llm, reason = False, "question_flagged"
    if not use_llm:
        final = _final(session, prepared, viewer, channel, extractive, "extractive", reason)
        recorded()
        for piece in stream_segments(extractive):
            yield {"event": "delta", "text": piece}
        yield final
        return
    hits = positions.order_for_model(_llm_hits(prepared.hits), prepared.change)
    messages = llm.build_messages(prepared.persona, prepared.question, hits, prepared.history,
                                  title=prepared.twin.title)
    positions.instruct(messages, prepared.change, hits)
    if prepared.correction is not None:
        messages = corrections.with_framing(messages, prepared.correction)
    client = llm_client or llm.client_for(settings)
    if stream_llm:
        yield from _stream_llm(session, settings, prepared, viewer, channel, client, messages, hits, extractive,
                               recorded)
        return
    generation = llm.generate(client, settings, messages)
    if generation.error:
        outcome = llm.LLMOutcome(None, generation.error)
    else:
        outcome = positions.checked(llm.finish(generation.text, hits, prepared.persona, messages[0]["content"]),
                                    prepared.change, hits)
    if outcome.composed is None:
        yield _final(session, prepared, viewer, channel, extractive, "extractive", outcome.fallback_reason,
                     offered=prepared.hits)
        return
    yield _final(session, prepared, viewer, channel, outcome.composed, "llm", None, offered=hits)


def _plain_reply(session: Session, prepared: _Prepared, viewer: Viewer, channel: str, message: str,
                 recorded: Callable[[], None], *, refused: str | None = None,
                 courtesy: bool = False) -> Iterator[dict[str, Any]]:
    """A reply that quotes nothing (a refusal, a courtesy), recorded before it is sent."""
    composed = Composed(answer=message, citations=[], grounded=False, grounding=0.0, segments=[message])
    final = _final(session, prepared, viewer, channel, composed, "extractive", None, refused=refused,
                   courtesy=courtesy)
    recorded()
    yield {"event": "delta", "text": composed.answer}
    yield final


def _stream_llm(session: Session, settings: Settings, prepared: _Prepared, viewer: Viewer, channel: str,
                client: OpenAI, messages: list[dict[str, str]], hits: list[PassageHit], extractive: Composed,
                recorded: Callable[[], None]) -> Iterator[dict[str, Any]]:
    """The model's answer, one checked piece at a time, over an interaction row written before the first piece."""
    pending = Composed(answer="", citations=[], grounded=True, grounding=0.0, segments=[])
    row = _record(session, prepared, viewer, channel, pending, "llm", None, offered=hits)
    recorded()
    gate = llm.SentenceGate(hits, prepared.persona, messages[0]["content"],
                            order=positions.order_check(prepared.change, hits))
    generation = llm.Generation("")
    pieces = llm.stream_generate(client, settings, messages, generation)
    try:
        for piece in pieces:
            for text in gate.feed(piece):
                yield {"event": "delta", "text": text}
            if gate.stopped:
                break
    finally:
        pieces.close()  # stop reading the model once the gate has stopped
    for text in gate.close(None if gate.stopped else generation.error):
        yield {"event": "delta", "text": text}
    outcome = gate.outcome()
    if outcome.composed is None:
        for piece in stream_segments(extractive):
            yield {"event": "delta", "text": piece}
        yield _final(session, prepared, viewer, channel, extractive, "extractive", outcome.fallback_reason,
                     offered=prepared.hits, row=row)
        return
    if gate.stop_reason is not None:
        prepared.flags.append(f"stopped:{gate.stop_reason}")
    composed, added = positions.complete(outcome.composed, prepared.change, hits, gate.kept)
    if added:  # the model gave the current position only: the earlier one follows in her own words
        yield {"event": "delta", "text": added}
    yield _final(session, prepared, viewer, channel, composed, "llm", None, offered=hits, row=row)


def _compose(settings: Settings, prepared: _Prepared) -> Composed:
    """The extractive answer: chosen by meaning with the semantic scorer, else by shared terms."""
    scorer = reranker_for(settings)
    if scorer is not None and prepared.hits:
        try:
            # A follow-up searches with the topic before it; its meaning is its own unless it is too short to
            # stand alone ("And next year?").
            meaning = (prepared.question if len(query_terms(prepared.question)) >= MEANING_TERMS
                       else prepared.search_query)
            return compose_by_meaning(meaning, prepared.hits, prepared.persona, scorer,
                                      threshold=settings.answer_threshold, stats=prepared.stats,
                                      focus=prepared.focus, said=_said_before(prepared))
        except Exception as exc:  # the model failed mid-answer: shared terms still answer
            log.warning("choosing sentences by meaning failed, using shared terms: %s", exc)
    return compose_extractive(prepared.search_query, prepared.hits, prepared.persona,
                              threshold=settings.grounding_threshold, stats=prepared.stats)


def _with_fitting_table(session: Session, prepared: _Prepared, composed: Composed) -> Composed:
    """The answer with the rows of a table of hers that lays out what the question asks, when one does."""
    question = (prepared.question if len(query_terms(prepared.question)) >= MEANING_TERMS
                else prepared.search_query)
    fit = tables.fitting_table(question, tables.source_tables(session, prepared.hits), prepared.stats)
    if fit is not None:
        return tables.with_table(composed, *fit)
    introduced = tables.introduced_table(session, composed) if composed.grounded else None
    return tables.with_table(composed, introduced, introduced.rows) if introduced is not None else composed


def _said_before(prepared: _Prepared) -> list[str]:
    """What the conversation's answers already quoted, when the question follows up on them ("can you say more?",
    "Why not sooner than that?"): its answer goes on from them instead of saying them again."""
    if prepared.search_query == prepared.question:
        return []
    return [answer for _, answer in prepared.history]


def _prepare(session: Session, settings: Settings, twin_slug: str, question: str, viewer: Viewer,
             conversation_id: str | None) -> _Prepared:
    started = time.perf_counter()
    twin = store.get_twin(session, twin_slug)
    if twin.paused:
        raise TwinUnavailable(f"The {twin.name} twin is paused; it is not answering questions right now.")
    if not twin.has_consent:
        raise TwinUnavailable(f"The {twin.name} twin cannot answer yet: {twin.name}'s consent has not been "
                              "recorded.")
    text = " ".join((question or "").split())
    if not text:
        raise BadInput("the question is empty")
    if not words(text):  # "?" or "..." asks nothing: a no-answer message would read as if she had been asked
        raise BadInput("the question has no words: ask it in a sentence")
    check_storable(text, "the question")
    if conversation_id is not None:
        check_storable(conversation_id, "conversation_id")
    if len(text) > MAX_QUESTION_CHARS:
        raise BadInput(f"the question is too long ({len(text)} characters; at most {MAX_QUESTION_CHARS})")
    if conversation_id is not None and (not conversation_id.strip() or len(conversation_id) > MAX_CONVERSATION_ID):
        raise BadInput(f"conversation_id must be 1 to {MAX_CONVERSATION_ID} characters")
    # Asking only reads: the style profile is rebuilt in the background when the approved corpus changes.
    persona = persona_settings(twin)
    conversation = conversation_id.strip() if conversation_id else uuid.uuid4().hex
    history: list[tuple[str, str]] = []
    if conversation_id:
        history = [(row.question, row.answer) for row in
                   store.conversation_history(session, twin, conversation, user_id=viewer.user_id)
                   if row.kind == "ask" and row.refused_topic is None]
    addressed = without_address(text, twin.name)
    prepared = _Prepared(twin=twin, persona=persona, question=asked_of_them(addressed, twin.name),
                         conversation_id=conversation, history=history, started=started, flags=injection_flags(text),
                         typed=text)
    prepared.courtesy = courtesy_reply(text, twin.name)
    prepared.refusal = refused_topic(text, persona)
    if prepared.refusal is None and prepared.courtesy is None:  # "Can you give me a raise?" is about pay first
        prepared.courtesy = request_reply(addressed, twin.name)
    if prepared.refusal is None and prepared.courtesy is None:  # curators' corrections (a refusal among them) come after the persona's topics
        prepared.correction = corrections.find(session, settings, twin, prepared.question, viewer, persona)
        if prepared.correction is not None and prepared.correction.refusal is not None:
            prepared.refusal = prepared.correction.refusal
    prepared.search_query = llm.retrieval_query(prepared.question, history)
    return prepared


def _search(session: Session, settings: Settings, prepared: _Prepared, viewer: Viewer) -> list[PassageHit]:
    k = max(settings.search_k, 1)
    new_terms = llm.own_terms(prepared.question, prepared.search_query)
    found = search_as_configured(session, settings, prepared.twin, prepared.search_query, viewer,
                                 k=k * FOLLOW_UP_POOL if new_terms else k, executive_only=True)
    if new_terms:  # the topic's words can crowd out a rare new one ("and what about 98?"): it is searched alone too
        seen = {h.passage_id for h in found}
        found += [h for h in search_as_configured(session, settings, prepared.twin, prepared.question, viewer, k=k,
                                                  executive_only=True) if h.passage_id not in seen]
    found = _with_replies(session, settings, prepared, viewer, found)
    if RECENT_RE.search(prepared.question):
        found = newest_first(found)
    if new_terms:  # "and what about 98?": what holds the new words comes first, the topic ranks the rest
        found = sorted(found, key=lambda h: -len(set(new_terms) & _stems(h)))[:k]
        prepared.focus = new_terms
    scorer = reranker_for(settings)
    if scorer is not None:  # their sentences' vectors, stored at ingestion: a first question embeds only itself
        remember_stored_sentences(session, scorer, found)
    subjects = store.source_subjects(session, {h.source_id for h in found})
    # Refused topics bind the passages offered too, not only the question.
    topics = [passage_topic(prepared.persona, title=h.title, heading=h.heading, subject=subjects.get(h.source_id, ""),
                            text=h.text) for h in found]
    if found and (topic := source_topic(prepared.persona, title=found[0].title,
                                        subject=subjects.get(found[0].source_id, ""))) is not None:
        # What answers the question best is from a source about a refused topic ("Is the Ashby Road depot closing?"
        # and the reorganisation memo): she declines it as such, rather than answer from what ranks below it. A
        # passage that only names the topic in passing ("restructuring" in a speech on the car industry) is
        # withheld, and the rest may answer.
        prepared.refusal = Refusal(topic=topic.name, label=topic.label, message=prepared.persona.refusal_for(topic))
        return []
    hits = [h for h, topic in zip(found, topics, strict=True) if topic is None]
    if hits:
        prepared.stats = term_stats(session, prepared.search_query)
    return hits


# A question about how things stand now ("How did we do last quarter?", "How many vans are electric now?").
RECENT_RE = re.compile(r"\b(?:(?:last|this|past|previous) (?:quarter|month|year|week)|lately|recently|latest|"
                       r"currently|right now|these days|so far|nowadays|most recent|newest|up to date)\b|"
                       r"\b(?<!by )(?:now|yet|at the moment)\W*$", re.IGNORECASE)
# How much a passage's date counts, for such a question, beside its score (0 to 1): the newest of the passages found
# gains this much, the oldest nothing.
RECENCY_WEIGHT = 0.1


def newest_first(hits: list[PassageHit]) -> list[PassageHit]:
    """Hits re-ranked with their dates counting: the newest word on a subject answers "how are we doing now"."""
    dates = [h.date for h in hits if h.date is not None]
    if len(set(dates)) < 2:
        return hits
    oldest, span = min(dates), (max(dates) - min(dates)).days

    def recency(hit: PassageHit) -> float:
        return (hit.date - oldest).days / span if hit.date is not None else 0.0

    return sorted(hits, key=lambda h: -(h.score + RECENCY_WEIGHT * recency(h)))


def _with_replies(session: Session, settings: Settings, prepared: _Prepared, viewer: Viewer,
                  found: list[PassageHit]) -> list[PassageHit]:
    """The executive's hits, with her replies to what was put to her that the search found (a transcript's "When
    will the new rates be on the website?" or "Customers are asking for a loyalty discount." then her answer): the
    other speaker's words carry the subject her reply leaves out, so the reply ranks as they did, with them as its
    context (as a memo's heading is)."""
    put = [h for h in search_as_configured(session, settings, prepared.twin, prepared.search_query, viewer,
                                           k=REPLY_POOL, executive_only=False)
           if not h.executive]
    if not put:
        return found
    following = neighbours(session, [h.passage_id for h in put], before=0, after=1)
    by_id = {h.passage_id: h for h in found}
    for turn in put:
        reply = next((n for n in following.get(turn.passage_id, []) if n.ordinal == turn.ordinal + 1), None)
        if reply is None or not reply.executive:
            continue
        own = by_id.get(reply.passage_id)
        # Same source as the turn, so its title, date, version and visibility are the reply's too.
        by_id[reply.passage_id] = dataclasses.replace(
            turn, passage_id=reply.passage_id, locator=reply.locator, speaker=reply.speaker, executive=True,
            text=reply.text, heading=" ".join(turn.text.split()[-REPLY_CONTEXT_WORDS:]), ordinal=reply.ordinal,
            score=max(turn.score, own.score if own else 0.0),
            similarity=max(turn.similarity or 0.0, (own.similarity or 0.0) if own else 0.0))
    return sorted(by_id.values(), key=lambda h: -h.score)


def _stems(hit: PassageHit) -> frozenset[str]:
    """The stems of a passage with its title and heading (what a question's terms are matched against)."""
    return analyse(hit.text).stems | frozenset(stem_set_with_compounds(f"{hit.title} {hit.heading or ''}"))


def _llm_hits(hits: Sequence[PassageHit]) -> list[PassageHit]:
    """The passages the model is given: the executive's own, best first."""
    return [h for h in hits if h.executive]


def _voice(persona: PersonaSettings, text: str) -> float | None:
    voice = persona.style.voice
    if not voice:
        return None
    try:
        from service.twin.voice import VoiceProfile, voice_score
        return round(float(voice_score(VoiceProfile.from_dict(voice), text).score), 4)
    except (ImportError, ValueError, KeyError, TypeError):
        return None


def _record(session: Session, prepared: _Prepared, viewer: Viewer, channel: str, composed: Composed, mode: str,
            refused: str | None, *, offered: Sequence[PassageHit] | None = None,
            row: Interaction | None = None) -> Interaction:
    """Write the interaction row (or bring an early one up to date) with what the answer stands on."""
    voice = _voice(prepared.persona, composed.answer) if mode == "llm" and composed.grounded else None
    cited = {c.passage_id: c.n for c in composed.citations}
    passages: list[dict[str, Any]] = [{"passage_id": c.passage_id, "source_id": c.source_id, "version": c.version, "n": c.n}
                for c in composed.citations]
    for hit in offered if offered is not None else prepared.hits:
        if hit.passage_id not in cited:
            passages.append({"passage_id": hit.passage_id, "source_id": hit.source_id,
                             "version": hit.source_version, "n": None})
    latency_ms = (time.perf_counter() - prepared.started) * 1000
    fields: dict[str, Any] = {"answer": composed.answer, "passages": passages, "mode": mode,
                              "grounded": composed.grounded, "latency_ms": latency_ms, "refused_topic": refused,
                              "voice_score": voice}
    if row is not None:
        row = store.update_interaction(session, row, **fields)
    else:
        row = store.record_interaction(session, twin=prepared.twin, user_id=viewer.user_id,
                                       question=prepared.typed or prepared.question,
                                       conversation_id=prepared.conversation_id,
                                       channel=channel[:16], **fields)
    if prepared.correction is not None:
        row.correction_id = prepared.correction.correction_id
    return row


def _final(session: Session, prepared: _Prepared, viewer: Viewer, channel: str, composed: Composed, mode: str,
           fallback_reason: str | None, *, refused: str | None = None,
           offered: Sequence[PassageHit] | None = None, row: Interaction | None = None,
           courtesy: bool = False) -> dict[str, Any]:
    """Record the interaction and build the closing event."""
    row = _record(session, prepared, viewer, channel, composed, mode, refused, offered=offered, row=row)
    voice, latency_ms = row.voice_score, row.latency_ms
    answer = Answer(answer=composed.answer, citations=composed.citations, grounded=composed.grounded, mode=mode,
                    disclaimer=prepared.persona.disclaimer_text, conversation_id=prepared.conversation_id,
                    interaction_id=row.id, voice_score=voice, fallback_reason=fallback_reason,
                    refused_topic=refused, latency_ms=latency_ms, flags=prepared.flags,
                    correction=prepared.correction.to_dict() if prepared.correction is not None else None,
                    positions=positions.shown(prepared.change, composed), possessive=prepared.persona.possessive,
                    curator_framing=bool(prepared.correction is not None and prepared.correction.framing),
                    courtesy=courtesy)
    return {"event": "answer", "data": answer.to_dict(), "answer_object": answer}

