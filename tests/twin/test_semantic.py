"""Answers by meaning with the embedded model: reworded questions, the no-answer decision, what is never quoted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.models import Passage
from service.search import reranker_for
from service.search.index import refresh_search_statistics
from service.search.terms import term_stats
from service.twin.engine import answer_question
from service.twin.extractive import compose_extractive
from service.twin.persona import persona_settings
from tests.support.fake_openai import FakeOpenAI
from tests.twin.conftest import World, add_document
from tests.twin.test_llm import chat_requests

MEMO_HEADER = "To: All colleagues. From: Dana Reyes, Chief Executive. Date: 3 March 2025. Subject: Vans."
VANS = ("Four in ten of our city vans will run on batteries by the end of 2026. "
        "The rest of the urban fleet follows by 2028, one depot at a time, because each depot needs its own "
        "charging and its own grid connection.")
TABLE = "Depot | Urban vans | Electric today | Electric 2026"
TABLE_ROW = "Calder North | 120 | 18 | 48"
REGIONS = ("From July the Northern and Coastal regions combine into one region, and the Ashby Road regional "
           "office closes. Fourteen roles in regional planning are affected.")
DISPATCH = ("Over the next two years we need more dispatchers, not fewer, because our volume is growing. "
            "No dispatcher's role will change because of this tool without them hearing it from their own "
            "manager first.")


QUESTION = "Are we going to switch all our delivery vans to electric soon?"


def test_a_reworded_question_is_answered_from_the_source_that_means_it(session: Session, settings: Settings,
                                                                        world: World) -> None:
    vans = add_document(session, world.twin, "vans.md", [(VANS, None, True)], title="Fleet plan")
    refresh_search_statistics(session)  # as an ingestion does (PostgreSQL's may still describe an earlier test's corpus)
    question = QUESTION
    answer = answer_question(session, settings, "dana", question, world.employee)
    assert answer.grounded and answer.mode == "extractive"
    assert [c.source_id for c in answer.citations][:1] == [vans.id]
    assert "Four in ten of our city vans will run on batteries" in answer.answer


def test_the_lexical_composer_alone_would_have_refused_that_question(session: Session, settings: Settings,
                                                                      world: World) -> None:
    add_document(session, world.twin, "vans.md", [(VANS, None, True)], title="Fleet plan")
    question = QUESTION
    answer = answer_question(session, settings.replace(embeddings_model="off"), "dana", question, world.employee)
    assert not answer.grounded, "shared words alone do not find it"


def test_a_question_the_corpus_does_not_answer_gets_the_no_answer_message(session: Session, settings: Settings,
                                                                          world: World) -> None:
    for question in ("How many weeks of parental leave do new fathers get?",
                     "Which football team do you support?"):
        answer = answer_question(session, settings, "dana", question, world.employee)
        assert not answer.grounded and not answer.citations
        assert answer.answer == persona_settings(world.twin).no_answer_message


def test_memo_header_lines_and_table_rows_are_never_quoted(session: Session, settings: Settings,
                                                           world: World) -> None:
    add_document(session, world.twin, "fleet.docx",
                 [(MEMO_HEADER, None, True), (VANS, None, True), (f"{TABLE}\n{TABLE_ROW}", None, True)],
                 title="Electrifying the urban fleet", date=dt.date(2025, 3, 3))
    for question in ("When will the vans at Calder North be electric?", "Who is the vans memo from and when?",
                     "How many city vans will run on batteries by 2026?"):
        answer = answer_question(session, settings, "dana", question, world.employee)
        assert "|" not in answer.answer, answer.answer
        for field in ("To:", "From:", "Date:", "Subject:"):
            assert field not in answer.answer, answer.answer


def test_a_passage_on_a_refused_topic_is_never_offered(session: Session, settings: Settings, world: World) -> None:
    regions = add_document(session, world.twin, "regions.docx", [(REGIONS, None, True)],
                           title="Changes to our regional structure: a reorganisation")
    answer = answer_question(session, settings, "dana", "What is changing for the Ashby Road office in July?",
                             world.employee)
    # The question itself names no refused topic, but what answers it best is on one: she declines it as that topic,
    # rather than answer from what ranks below it.
    assert answer.refused_topic is not None and not answer.grounded
    assert regions.id not in {c.source_id for c in answer.citations}
    assert "Ashby Road" not in answer.answer


def test_a_sentence_that_restates_the_question_brings_its_answer(session: Session, settings: Settings,
                                                                 world: World) -> None:
    add_document(session, world.twin, "dispatch.md",
                 [("Several of you have asked whether the new dispatch software will take your jobs. " + DISPATCH,
                   None, True)], title="Dispatch software")
    answer = answer_question(session, settings, "dana", "Is the dispatch software going to replace me?",
                             world.employee)
    assert answer.grounded
    assert "we need more dispatchers, not fewer" in answer.answer


def test_an_answer_does_not_open_on_a_preamble_that_only_promises_the_answer(session: Session, settings: Settings,
                                                                          world: World) -> None:
    add_document(session, world.twin, "target.md", [
        ("A month ago I promised to explain why our on-time target is 97%. Since then I have been asked about it "
         "on the docks and in the canteen. Here is where I land.", None, True),
        ("Getting from 97 to 99 on every lane would mean spare trucks on standby and extra drivers on every shift, "
         "and customers would pay for that in their rates.", None, True)], title="Our on-time target")
    answer = answer_question(session, settings, "dana", "Why is the on-time target 97% and not 99%?",
                             world.employee)
    assert answer.grounded
    assert "spare trucks on standby" in answer.answer, answer.answer
    assert not answer.answer.split("[")[0].strip().endswith("target is 97%."), "the promise is not the answer"


def test_the_model_is_asked_when_the_evidence_passes_although_shared_words_would_refuse(
        session: Session, llm_settings: Settings, world: World, fake: FakeOpenAI) -> None:
    add_document(session, world.twin, "vans.md", [(VANS, None, True)], title="Fleet plan")
    question = QUESTION
    persona = persona_settings(world.twin)
    hits = [h for h in _hits(session, llm_settings, world, question)]
    lexical = compose_extractive(question, hits, persona, threshold=float(llm_settings.grounding_threshold),
                                 stats=term_stats(session, question))
    assert not lexical.grounded, "the lexical gate alone refuses this question"
    answer = answer_question(session, llm_settings, "dana", question, world.employee)
    assert chat_requests(fake), "the model was asked"
    assert answer.mode in {"llm", "extractive"}


def test_no_model_call_when_the_evidence_is_weak(session: Session, llm_settings: Settings, world: World,
                                                 fake: FakeOpenAI) -> None:
    answer = answer_question(session, llm_settings, "dana", "Which football team do you support?", world.employee)
    assert not answer.grounded and not chat_requests(fake)


def test_search_answers_while_vectors_are_missing_and_uses_them_once_stored(session: Session, settings: Settings,
                                                                            world: World) -> None:
    from service.search import search_as_configured
    from service.search.vectors import index_new_sources

    vans = add_document(session, world.twin, "vans.md", [(VANS, None, True)], title="Fleet plan")
    session.commit()
    stored = session.scalar(select(Passage.id).where(Passage.source_id == vans.id))
    hits = search_as_configured(session, settings, world.twin, "charging at each depot", world.employee, k=3)
    assert hits and hits[0].source_id == vans.id, "no vectors stored yet: search still answers"
    report = index_new_sources(session, settings, [s.id for s in store.list_sources(session, world.twin)])
    assert report is not None and report.embedded >= 1 and report.error is None
    hits = search_as_configured(session, settings, world.twin, "going electric with the trucks", world.employee,
                                k=3)
    assert hits[0].passage_id == stored and hits[0].similarity is not None


def _hits(session: Session, settings: Settings, world: World, question: str) -> list:
    from service.search import search_as_configured

    assert reranker_for(settings) is not None
    return list(search_as_configured(session, settings, world.twin, question, world.employee, k=8,
                                     executive_only=True))


def test_a_title_case_heading_is_not_taken_for_a_named_person(session: Session, settings: Settings,
                                                              world: World) -> None:
    dock = add_document(session, world.twin, "dock.docx",
                        [("Most of our depot managers started on the dock. That is why we promote from the dock: "
                          "they know the work, and the work knows them.", None, True)],
                        title="Promote From the Dock: How We Fill Leadership Roles")
    answer = answer_question(session, settings, "dana", "Why do you promote managers from the dock?",
                             world.employee)
    assert answer.grounded and dock.id in {c.source_id for c in answer.citations}


def test_a_question_about_a_deal_in_progress_is_declined(session: Session, settings: Settings,
                                                         world: World) -> None:
    for question in ("Which cold chain company in the north are we acquiring?", "Are we buying Meridian?"):
        answer = answer_question(session, settings, "dana", question, world.employee)
        assert answer.refused_topic == "m-and-a" and not answer.citations
