"""The answer engine end to end on a real database: extractive answers, refusals, availability, the record."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Interaction, Passage
from service.errors import BadInput, NotFound, TwinUnavailable
from service.twin.citations import split_cited
from service.twin.engine import answer_question, stream_answer
from service.twin.persona import persona_settings
from tests.twin.conftest import BOARD_ONLY, INTERVIEWER, World, add_document
from textkit.sentences import sentences

CONTRACT = {"answer", "citations", "grounded", "mode", "disclaimer", "conversation_id", "interaction_id"}
CITATION_KEYS = {"n", "source_id", "title", "date", "locator", "quote"}


def passage_text(session: Session, passage_id: int) -> str:
    return session.scalar(select(Passage.text).where(Passage.id == passage_id)) or ""


def test_an_extractive_answer_quotes_the_executive_and_cites_each_sentence(session: Session, settings: Settings,
                                                                           world: World) -> None:
    answer = answer_question(session, settings, "dana", "Why did you choose cold chain for pharmaceutical customers?",
                             world.employee)
    body = answer.to_dict()
    assert set(body) >= CONTRACT and body["mode"] == "extractive" and body["grounded"] is True
    assert body["disclaimer"] == "AI twin of Dana Reyes, built from approved sources; not Dana Reyes."
    assert body["citations"] and all(set(c) >= CITATION_KEYS for c in body["citations"])
    by_n = {c.n: c for c in answer.citations}
    opener = persona_settings(world.twin).opener_for("Why did you choose cold chain for pharmaceutical customers?")
    cited = [s for s in split_cited(answer.answer.removeprefix(opener)) if s.cites]
    assert cited
    for sentence in cited:
        for n in sentence.cites:
            citation = by_n[n]
            source_text = passage_text(session, citation.passage_id)
            assert sentence.text in source_text and citation.quote in source_text
    assert by_n[1].source_id == world.sources["cold"].id and by_n[1].date == "2023-11-05"


def test_the_interviewers_words_never_appear_as_the_executives(session: Session, settings: Settings,
                                                               world: World) -> None:
    answer = answer_question(session, settings, "dana",
                             "What did the drone delivery pilot in Denver teach you about drones?",
                             world.employee)
    assert answer.grounded
    for sentence in sentences(INTERVIEWER):
        assert sentence not in answer.answer
    assert answer.citations and all(c.source_id == world.sources["interview"].id for c in answer.citations)
    assert "Denver taught us" in answer.answer


def test_a_question_the_corpus_cannot_answer_gets_the_no_answer_message(session: Session, settings: Settings,
                                                                        world: World) -> None:
    answer = answer_question(session, settings, "dana", "What is your view on cryptocurrency treasury reserves?",
                             world.employee)
    assert not answer.grounded and answer.citations == []
    assert answer.answer == persona_settings(world.twin).no_answer_message
    row = session.get(Interaction, answer.interaction_id)
    assert row is not None and row.grounded is False


@pytest.mark.parametrize(("message", "reply"), [("thanks!", "You're welcome"), ("Thank you so much, Dana", "You're welcome"),
                                               ("hi", "Hello"), ("ok, got it", "Good")])
def test_thanks_and_greetings_are_answered_in_kind_not_with_quotes(session: Session, settings: Settings,
                                                                   world: World, message: str, reply: str) -> None:
    answer = answer_question(session, settings, "dana", message, world.employee)
    assert answer.answer.startswith(reply) and answer.citations == [] and not answer.grounded
    shown = answer.to_dict()
    assert shown["courtesy"] is True and shown["basis_label"] == "", "not 'Stands on: no answer'"
    follow_up = answer_question(session, settings, "dana", "Why did you choose cold chain?", world.employee,
                                conversation_id=answer.conversation_id)
    assert follow_up.grounded, "a question after the courtesy is answered as usual"


def test_a_refused_topic_gets_the_refusal_and_is_recorded_as_such(session: Session, settings: Settings,
                                                                  world: World) -> None:
    answer = answer_question(session, settings, "dana", "Are there layoffs planned in the Lisbon office?",
                             world.employee)
    assert answer.refused_topic == "layoffs" and not answer.grounded and answer.citations == []
    assert "layoffs" in answer.answer and "Lisbon" not in answer.answer
    row = session.get(Interaction, answer.interaction_id)
    assert row is not None and row.refused_topic == "layoffs" and row.passages == []


def test_a_paused_twin_and_a_twin_without_consent_refuse_clearly(session: Session, settings: Settings,
                                                                 world: World) -> None:
    store.set_twin_paused(session, "dana", True)
    with pytest.raises(TwinUnavailable, match="paused"):
        answer_question(session, settings, "dana", "Why cold chain?", world.employee)
    with pytest.raises(TwinUnavailable, match="paused"):
        stream_answer(session, settings, "dana", "Why cold chain?", world.employee)  # before any event
    store.set_twin_paused(session, "dana", False)
    store.revoke_consent(session, "dana")
    with pytest.raises(TwinUnavailable, match="consent"):
        answer_question(session, settings, "dana", "Why cold chain?", world.employee)
    assert session.scalar(select(Interaction.id)) is None


@pytest.mark.parametrize("question", ["", "   \n ", "x" * 2001])
def test_empty_or_overlong_questions_are_bad_input(session: Session, settings: Settings, world: World,
                                                   question: str) -> None:
    with pytest.raises(BadInput):
        answer_question(session, settings, "dana", question, world.employee)


def test_an_unknown_twin_is_not_found(session: Session, settings: Settings, world: World) -> None:
    with pytest.raises(NotFound):
        answer_question(session, settings, "nobody", "Why cold chain?", world.employee)


def test_the_interaction_row_records_who_what_and_which_versions(session: Session, settings: Settings,
                                                                 world: World) -> None:
    user, _ = store.add_user(session, "ana@example.com")
    viewer = store.viewer_for(user)
    first = answer_question(session, settings, "dana", "Will our list prices change next year?", viewer,
                            channel="slack")
    add_document(session, world.twin, "pricing.md",
                 [("Our list prices stay flat through next year, with no exceptions for renewals.", None, True)],
                 title="Pricing memo", date=dt.date(2024, 7, 1))
    second = answer_question(session, settings, "dana", "Will our list prices change next year?", viewer)
    rows = {r.id: r for r in session.scalars(select(Interaction))}
    row = rows[first.interaction_id]
    assert row.user_id == user.id and row.channel == "slack" and row.mode == "extractive" and row.grounded
    assert row.question == "Will our list prices change next year?" and row.answer == first.answer
    assert row.latency_ms > 0 and row.conversation_id == first.conversation_id
    cited = [p for p in row.passages if p["n"] is not None]
    assert {p["source_id"] for p in cited} == {c.source_id for c in first.citations}
    assert {(p["passage_id"], p["version"]) for p in cited} == {(c.passage_id, c.version) for c in first.citations}
    assert all(p["version"] == 1 for p in cited)
    versions = {p["version"] for p in rows[second.interaction_id].passages if p["n"] is not None}
    assert 2 in versions and all(c.version == 2 for c in second.citations
                                 if c.title == "Pricing memo")  # the superseded version is never cited


def test_a_viewer_only_gets_sources_of_their_audiences(session: Session, settings: Settings, world: World) -> None:
    question = "Where is the second distribution hub for the winter season?"
    public = answer_question(session, settings, "dana", question, world.employee)
    assert BOARD_ONLY not in public.answer and world.sources["board"].id not in {c.source_id for c in public.citations}
    board = answer_question(session, settings, "dana", question, world.board)
    assert board.grounded and board.citations[0].source_id == world.sources["board"].id


def test_a_follow_up_searches_with_the_previous_question(session: Session, settings: Settings,
                                                         world: World) -> None:
    first = answer_question(session, settings, "dana", "Why did you choose cold chain for pharmaceutical customers?",
                            world.employee)
    follow = answer_question(session, settings, "dana", "And what else did it achieve?", world.employee,
                             conversation_id=first.conversation_id)
    assert follow.grounded and follow.conversation_id == first.conversation_id
    assert {c.source_id for c in follow.citations} == {world.sources["cold"].id}
    alone = answer_question(session, settings, "dana", "And what else did it achieve?", world.employee)
    assert not alone.grounded  # without the conversation the same words say too little to answer


def test_a_new_short_question_in_a_conversation_is_answered_on_its_own_subject(session: Session, settings: Settings,
                                                                              world: World) -> None:
    first = answer_question(session, settings, "dana", "Why did you choose cold chain for pharmaceutical customers?",
                            world.employee)
    lisbon = answer_question(session, settings, "dana", "Where is the new engineering office?", world.employee,
                             conversation_id=first.conversation_id)
    assert lisbon.grounded and lisbon.citations[0].source_id == world.sources["lisbon"].id


def test_extractive_answers_stream_sentence_by_sentence(session: Session, settings: Settings, world: World) -> None:
    events = list(stream_answer(session, settings, "dana", "Why did you choose cold chain for pharmaceutical "
                                "customers?", world.employee))
    deltas = [e for e in events if e["event"] == "delta"]
    assert len(deltas) >= 2 and events[-1]["event"] == "answer"
    final = events[-1]["data"]
    assert "".join(e["text"] for e in deltas) == final["answer"]
    assert set(final) >= CONTRACT and final["mode"] == "extractive"
    assert session.get(Interaction, final["interaction_id"]) is not None


def test_a_viewer_without_audiences_hears_nothing(session: Session, settings: Settings, world: World) -> None:
    nobody = Viewer(audiences=frozenset())
    answer = answer_question(session, settings, "dana", "Why did you choose cold chain?", nobody)
    assert not answer.grounded and answer.citations == []


def test_a_reply_in_a_meeting_answers_the_question_put_to_her_there(session: Session, settings: Settings,
                                                                     world: World) -> None:
    """Her reply carries none of the subject's words ("Who is it for?" — "Mostly small shops."); the question put
    to her does, so the reply is found through it, and only her words are quoted."""
    asked = "Sam here: when will customers see the new surcharge on our public price page?"
    reply = ("A week after the account managers have phoned every one of them. Nobody should hear it from a web "
             "page first.")
    add_document(session, world.twin, "pricing-review.txt",
                 [("Right, let's go round the table on the pricing review.", "DANA REYES", True),
                  (asked, "SAM OKAFOR", False), (reply, "DANA REYES", True),
                  ("Good. Next item is the Leeds depot.", "DANA REYES", True)],
                 title="Pricing review meeting", kind="transcript", date=dt.date(2024, 7, 3))
    session.flush()
    answer = answer_question(session, settings, "dana", "When does the new surcharge go up on the price page?",
                             world.employee)
    assert answer.grounded, answer.answer
    assert "phoned every one of them" in answer.answer
    assert "public price page" not in answer.answer and "Sam here" not in answer.answer
    assert {c.locator for c in answer.citations} == {"¶ 3"}


def test_a_reply_to_what_someone_raised_in_a_meeting_answers_a_question_on_it(session: Session, settings: Settings,
                                                                                world: World) -> None:
    """Not only a question: a colleague's proposal ("I'd like to pilot a loyalty discount.") and her reply to it."""
    raised = "Customers in the south keep asking for a loyalty discount. I'd like to pilot one this spring."
    reply = ("I'm open to a pilot, but only for accounts that have been with us more than two years, and only if it "
             "pays for itself within six months.")
    add_document(session, world.twin, "pricing-sync.txt",
                 [("Right, the main item today is the April base rate.", "DANA REYES", True),
                  (raised, "ANA SOUSA", False), (reply, "DANA REYES", True)],
                 title="Pricing sync", kind="transcript", date=dt.date(2026, 3, 9))
    session.flush()
    answer = answer_question(session, settings, "dana", "Can we offer long-standing customers a loyalty discount?",
                             world.employee)
    assert answer.grounded and "open to a pilot" in answer.answer, answer.answer
    assert "keep asking" not in answer.answer and "I'd like to pilot" not in answer.answer
