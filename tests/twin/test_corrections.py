"""Curators' corrections end to end on a real database and the embedded model: a corrected question and one that
means the same are answered from the chosen passages; others are not; withdrawing, retiring, audiences, refusals."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingestion.pipeline import iter_files, parse_path
from service.config import Settings
from service.corpus import corrections as stored
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import AuditEvent, Correction, Interaction, Passage
from service.errors import BadInput, Conflict, NotFound
from service.search.vectors import index_new_sources
from service.twin.citations import split_cited
from service.twin.engine import answer_question, stream_answer
from service.twin.persona import persona_settings
from tests.support.fake_openai import FakeOpenAI
from tests.twin.conftest import LISBON, World, add_document

QUESTION = "Why did we open an office in Lisbon?"
# Means the same in other words (similarity about 0.79 by the embedded model).
REWORDED = "What's the reason behind the new Lisbon engineering office?"
UNRELATED = "Why did you choose cold chain for pharmaceutical customers?"
WHY_LISBON = ("Lisbon gives us engineers who already know routing software. "
              "Its time zone lets one team cover Europe in the morning and the Americas in the afternoon.")
BOARD_WHY = "The board asked us to keep Lisbon small until the routing contract with our largest customer is signed."
FRAMING = "It comes down to people and hours."


@pytest.fixture
def corrected(settings: Settings) -> Settings:
    """Settings with a threshold the test's rewording clears by a margin, whatever the shipped default."""
    return settings.replace(correction_similarity=0.72)


def passage_of(session: Session, source_id: int, ordinal: int = 0) -> Passage:
    passage = session.scalar(select(Passage).where(Passage.source_id == source_id, Passage.ordinal == ordinal))
    assert passage is not None
    return passage


@pytest.fixture
def why(session: Session, world: World) -> Passage:
    source = add_document(session, world.twin, "lisbon-why.md", [(WHY_LISBON, None, True)],
                          title="Why Lisbon", date=dt.date(2024, 4, 1))
    return passage_of(session, source.id)


def answer(session: Session, settings: Settings, question: str, world: World, viewer=None):
    return answer_question(session, settings, "dana", question, viewer or world.employee)


def quoted(text: str) -> list[str]:
    """The quoted sentences of an answer, without markers."""
    return [s.text for s in split_cited(text) if s.cites]


def test_the_corrected_question_and_a_rewording_are_answered_from_the_chosen_passage(
        session: Session, corrected: Settings, world: World, why: Passage) -> None:
    before = answer(session, corrected, QUESTION, world)
    assert why.id not in {c.passage_id for c in before.citations}  # the twin did not say this before
    row = stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id], framing=FRAMING,
                                   actor="curator@example.com")
    for question in (QUESTION, REWORDED):
        got = answer(session, corrected, question, world)
        assert got.grounded and got.mode == "extractive"
        assert [c.passage_id for c in got.citations] == [why.id]
        assert got.answer.startswith(FRAMING + " ")
        assert quoted(got.answer) == [s for s in re.split(r"(?<=\.) ", WHY_LISBON)]  # her words, verbatim
        assert got.correction is not None and got.correction["id"] == row.id and got.correction["version"] == 1
        recorded = session.get(Interaction, got.interaction_id)
        assert recorded is not None and recorded.correction_id == row.id
    assert answer(session, corrected, QUESTION, world).correction["similarity"] == 1.0


def test_an_unrelated_question_keeps_its_answer(session: Session, corrected: Settings, world: World,
                                                why: Passage) -> None:
    before = answer(session, corrected, UNRELATED, world)
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id])
    after = answer(session, corrected, UNRELATED, world)
    assert after.correction is None
    assert (after.answer, [c.passage_id for c in after.citations]) == (
        before.answer, [c.passage_id for c in before.citations])


def test_the_threshold_decides_what_means_the_same(session: Session, settings: Settings, world: World,
                                                   why: Passage) -> None:
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id])
    strict = settings.replace(correction_similarity=0.95)
    assert answer(session, strict, REWORDED, world).correction is None
    assert answer(session, strict, "why did we open an office in lisbon ?", world).correction is not None
    loose = settings.replace(correction_similarity=0.7)
    assert answer(session, loose, REWORDED, world).correction is not None


def test_withdrawing_restores_the_old_answer(session: Session, corrected: Settings, world: World,
                                             why: Passage) -> None:
    before = answer(session, corrected, REWORDED, world)
    row = stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id])
    assert answer(session, corrected, REWORDED, world).correction is not None
    stored.withdraw_correction(session, row.id, actor="curator@example.com", reason="she changed her mind")
    after = answer(session, corrected, REWORDED, world)
    assert after.correction is None and after.answer == before.answer
    assert [c.passage_id for c in after.citations] == [c.passage_id for c in before.citations]
    assert stored.get_correction(session, row.id).status == "withdrawn"
    with pytest.raises(Conflict):
        stored.withdraw_correction(session, row.id)


def test_retiring_a_source_retires_the_correction(session: Session, corrected: Settings, world: World,
                                                  why: Passage) -> None:
    lisbon = passage_of(session, world.sources["lisbon"].id)
    row = stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id, lisbon.id])
    store.retire_source(session, why.source_id, actor="curator@example.com", reason="out of date")
    assert stored.get_correction(session, row.id).status == "retired"
    got = answer(session, corrected, QUESTION, world)
    assert got.correction is None and why.id not in {c.passage_id for c in got.citations}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "correction.retire")).all()
    assert len(events) == 1 and events[0].object_id == row.id and "retired" in events[0].detail["reason"]
    store.reinstate_source(session, why.source_id)  # restoring the source does not bring it back unasked
    assert answer(session, corrected, QUESTION, world).correction is None


def test_a_new_version_of_a_source_retires_corrections_on_the_old_one(session: Session, corrected: Settings,
                                                                      world: World, why: Passage) -> None:
    row = stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id])
    add_document(session, world.twin, "lisbon-why.md", [("Lisbon is where our routing engineers are.", None, True)],
                 title="Why Lisbon", date=dt.date(2024, 8, 1))
    assert stored.get_correction(session, row.id).status == "retired"
    assert answer(session, corrected, QUESTION, world).correction is None


def test_a_correction_never_widens_an_audience(session: Session, corrected: Settings, world: World,
                                               why: Passage) -> None:
    board = add_document(session, world.twin, "board-lisbon.md", [(BOARD_WHY, None, True)], title="Board on Lisbon",
                         audience="board", date=dt.date(2024, 6, 2))
    secret = passage_of(session, board.id)
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[secret.id, why.id], viewer=world.board)
    outsider = answer(session, corrected, REWORDED, world)
    assert BOARD_WHY not in outsider.answer and board.id not in {c.source_id for c in outsider.citations}
    assert [c.passage_id for c in outsider.citations] == [why.id]  # what they may see of it, nothing more
    insider = answer(session, corrected, REWORDED, world, world.board)
    assert [c.passage_id for c in insider.citations] == [secret.id, why.id]  # the curator's order
    with pytest.raises(NotFound):  # nor may a curator without the audience choose its passages
        stored.create_correction(session, world.twin, "Is Lisbon staying small?", passage_ids=[secret.id],
                                 viewer=world.employee)


def test_a_correction_resting_only_on_restricted_passages_leaves_outsiders_the_usual_answer(
        session: Session, corrected: Settings, world: World) -> None:
    board = add_document(session, world.twin, "board-lisbon.md", [(BOARD_WHY, None, True)], title="Board on Lisbon",
                         audience="board", date=dt.date(2024, 6, 2))
    before = answer(session, corrected, QUESTION, world)
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[passage_of(session, board.id).id])
    after = answer(session, corrected, QUESTION, world)
    assert after.correction is None and after.answer == before.answer


def test_she_would_not_answer_this(session: Session, corrected: Settings, world: World) -> None:
    stored.create_correction(session, world.twin, "Are we opening a second office in Portugal?", kind="refusal",
                             topic="sites not yet announced")
    got = answer(session, corrected, "Is a second Portuguese office on the way?", world)
    persona = persona_settings(world.twin)
    assert got.answer == persona.refusal_message.replace("{topic}", "sites not yet announced")
    assert not got.grounded and got.citations == [] and got.correction is not None
    assert got.correction["kind"] == "refusal"
    assert answer(session, corrected, QUESTION, world).correction is None  # Lisbon itself is still answered


def test_editing_makes_a_new_version_and_the_list_shows_the_current_one(session: Session, corrected: Settings,
                                                                        world: World, why: Passage) -> None:
    lisbon = passage_of(session, world.sources["lisbon"].id)
    first = stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id])
    second = stored.edit_correction(session, first.id, passage_ids=[lisbon.id, why.id], framing=FRAMING,
                                    actor="lead@example.com")
    assert second.version == 2 and second.root_id == first.id and first.status == "superseded"
    assert [r.id for r in stored.list_corrections(session, world.twin)] == [second.id]
    assert [v.version for v in stored.correction_versions(session, second)] == [2, 1]
    got = answer(session, corrected, QUESTION, world)
    assert [c.passage_id for c in got.citations] == [lisbon.id, why.id]
    assert got.correction == {**got.correction, "id": first.id, "version": 2}
    assert LISBON.split(". ")[0] in got.answer
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "correction")
                                                 .order_by(AuditEvent.id))]
    assert actions == ["correction.create", "correction.edit"]


def test_bad_corrections_are_refused_with_the_reason(session: Session, world: World, why: Passage) -> None:
    interviewer = passage_of(session, world.sources["interview"].id, 0)
    with pytest.raises(BadInput, match="at least one passage"):
        stored.create_correction(session, world.twin, QUESTION)
    with pytest.raises(BadInput, match="not Dana Reyes's"):
        stored.create_correction(session, world.twin, QUESTION, passage_ids=[interviewer.id])
    with pytest.raises(NotFound):
        stored.create_correction(session, world.twin, QUESTION, passage_ids=[999_999])
    with pytest.raises(BadInput, match="citation markers"):
        stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id], framing="As I said [1]")
    with pytest.raises(BadInput, match="empty"):
        stored.create_correction(session, world.twin, "  ", passage_ids=[why.id])
    store.retire_source(session, world.sources["cold"].id)
    with pytest.raises(BadInput, match="retired"):
        stored.create_correction(session, world.twin, QUESTION,
                                 passage_ids=[passage_of(session, world.sources["cold"].id).id])
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id])
    with pytest.raises(Conflict, match="already has correction"):
        stored.create_correction(session, world.twin, " why did we open an office in LISBON? ", passage_ids=[why.id])
    assert session.scalar(select(Correction.id).where(Correction.status == "active")) is not None


def test_a_streamed_corrected_answer_is_the_same_answer(session: Session, corrected: Settings, world: World,
                                                        why: Passage) -> None:
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id], framing=FRAMING)
    events = list(stream_answer(session, corrected, "dana", REWORDED, world.employee))
    final = events[-1]["data"]
    assert "".join(e["text"] for e in events if e["event"] == "delta") == final["answer"]
    assert final["correction"]["kind"] == "answer" and final["citations"][0]["passage_id"] == why.id


def test_the_model_is_given_the_chosen_passages_and_still_checked(session: Session, corrected: Settings,
                                                                  world: World, why: Passage,
                                                                  fake: FakeOpenAI) -> None:
    llm = corrected.replace(llm_base_url=fake.base_url, llm_model="fake-gpt", llm_api_key="k", llm_timeout=1.2)
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id], framing=FRAMING)
    got = answer(session, llm, REWORDED, world)
    assert got.mode == "llm" and got.grounded and [c.passage_id for c in got.citations] == [why.id]
    user = [r for r in fake.requests if r["path"] == "/v1/chat/completions"][-1]["body"]["messages"][-1]["content"]
    assert WHY_LISBON in user and LISBON not in user and FRAMING in user
    assert user.rstrip().endswith(f"Question: {REWORDED}")
    fake.set_mode("unsupported")  # a model answer that fails its check falls back to her chosen words
    fallback = answer(session, llm, REWORDED, world)
    assert fallback.mode == "extractive" and fallback.fallback_reason == "unsupported"
    assert fallback.answer.startswith(FRAMING) and [c.passage_id for c in fallback.citations] == [why.id]


def test_a_refused_topic_comes_first_and_says_so(session: Session, corrected: Settings, world: World,
                                                 why: Passage) -> None:
    from service.twin import corrections

    with pytest.raises(BadInput, match="must not speak to"):
        corrections.create(session, world.twin, "Are there layoffs planned in the Lisbon office?",
                           passage_ids=[why.id])
    row = corrections.create(session, world.twin, QUESTION, passage_ids=[why.id])
    with pytest.raises(BadInput, match="must not speak to"):
        corrections.edit(session, row.id, question="Are there layoffs planned in the Lisbon office?")
    assert corrections.create(session, world.twin, "Are there layoffs planned in Lisbon?", kind="refusal").id


DEMO = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes"
DEMO_LABELS = ["DANA REYES", "DANA", "REYES"]


@pytest.fixture
def demo(session: Session, settings: Settings) -> Passage:
    """The demo corpus (examples/dana-reyes) as `understudy demo` loads it, every file approved, vectors stored;
    the anchor-days memo's passage that names the days."""
    twin = store.create_twin(session, "dana-reyes", "Dana Reyes", title="CEO", speaker_labels=DEMO_LABELS)
    store.record_consent(session, "dana-reyes", by="Dana Reyes", scope="internal questions")
    ids = []
    for path in iter_files([DEMO]):
        if path.name != "twin.toml":
            audience = "leadership" if path.parent.name == "leadership" else "everyone"
            ids.append(store.add_source(session, twin, parse_path(path, speaker_labels=DEMO_LABELS),
                                        audience=audience, approve=True).source.id)
    session.flush()
    index_new_sources(session, settings, ids)
    session.flush()
    days = session.scalars(select(Passage).where(Passage.twin_id == twin.id,
                                                 Passage.text.contains("three anchor days"))).first()
    assert days is not None
    return days


def test_a_short_other_wording_does_not_pull_in_other_questions_about_the_same_place(
        session: Session, settings: Settings, demo: Passage) -> None:
    """The new-user trial: a curator lists a few words as another wording of the anchor-days correction; a question
    about the office that is not about coming in (the dog, parking) keeps its own answer at the shipped threshold,
    while a question meaning the same as that wording still gets the correction."""
    public = Viewer.public()
    unrelated = ["Can I bring my dog to the office?", "Can I park at the office?"]
    before = {q: answer_question(session, settings, "dana-reyes", q, public) for q in unrelated}
    row = stored.create_correction(session, store.get_twin(session, "dana-reyes"), "How many days a week do we have to be in the office?",
                                   passage_ids=[demo.id], phrasings=["Do I have to come into the office?"])
    for question in unrelated:
        after = answer_question(session, settings, "dana-reyes", question, public)
        assert after.correction is None, question
        assert (after.answer, [c.passage_id for c in after.citations]) == (
            before[question].answer, [c.passage_id for c in before[question].citations])
    for question in ("Do I have to come into the office?", "Do I need to go into the office?"):
        got = answer_question(session, settings, "dana-reyes", question, public)
        assert got.correction is not None and got.correction["id"] == row.id, question
        assert [c.passage_id for c in got.citations] == [demo.id]
