"""Ranking and access filtering of search_passages on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Passage, Twin
from service.errors import BadInput
from service.search import PassageHit, neighbours, search_passages
from tests.search.corpus import add_doc, make_twin, turn

EVERYONE = Viewer.public()
BOARD = Viewer.of(7, "board@example.com", "employee", ["board"])

FILLER = [
    "Our quarterly operating review covers the regional sales pipeline and hiring plans for the support team.",
    "We opened two new offices this year and the facilities team handled the moves on schedule.",
    "The engineering roadmap focuses on reliability, faster releases and fewer incidents in production.",
    "Customer success renewed most enterprise accounts and the churn rate fell for the third quarter.",
]


@pytest.fixture
def ceo(session: Session) -> Twin:
    """Dana Reyes's twin with memos and a town-hall transcript in which others speak too."""
    twin = make_twin(session, "dana", "Dana Reyes")
    add_doc(session, twin, "pricing.docx", [
        "I decided to hold list prices flat through next year because loyal customers should not pay for our "
        "growing pains; we will win on value, not on discounts.",
        *FILLER[:2],
    ], title="Memo on pricing", date=dt.date(2024, 3, 1))
    add_doc(session, twin, "townhall.txt", [
        turn("What do you think about remote work, and will the office stay open?", "MODERATOR", False),
        turn("I want people together three days a week. Remote work alone loses the hallway conversations where "
             "our best product ideas start, so the office stays open.", "DANA REYES", True,
             context="What do you think about remote work, and will the office stay open?"),
        turn("Thank you. Next question from the floor.", "MODERATOR", False),
    ], title="Town hall, spring", kind="transcript", date=dt.date(2024, 5, 2))
    add_doc(session, twin, "ops.docx", FILLER[2:], title="Operations update", date=dt.date(2024, 6, 1))
    return twin


def texts(hits: list[PassageHit]) -> list[str]:
    return [h.text for h in hits]


def test_second_person_question_finds_the_first_person_answer(session: Session, ceo: Twin) -> None:
    hits = search_passages(session, ceo, "Why did you decide to keep your prices flat?", EVERYONE, k=3)
    assert hits, "a second-person question must find the first-person memo"
    assert hits[0].title == "Memo on pricing"
    assert "hold list prices flat" in hits[0].text
    assert hits[0].executive and hits[0].date == dt.date(2024, 3, 1) and hits[0].locator == "¶ 1"
    assert 0.0 < hits[0].score <= 1.0


def test_executive_answer_ranks_above_the_question_that_shares_its_words(session: Session, ceo: Twin) -> None:
    hits = search_passages(session, ceo, "What do you think about remote work and the office?", EVERYONE, k=5)
    speakers = [h.speaker for h in hits]
    assert speakers[0] == "DANA REYES"
    assert "MODERATOR" in speakers, "the interviewer's turn is still found, just ranked lower"
    only_exec = search_passages(session, ceo, "remote work office", EVERYONE, k=5, executive_only=True)
    assert only_exec and all(h.executive for h in only_exec)


def test_hits_carry_what_a_citation_needs(session: Session, ceo: Twin) -> None:
    (hit,) = search_passages(session, ceo, "hallway conversations", EVERYONE, k=1)
    record = hit.to_dict()
    assert set(record) >= {"source_id", "title", "date", "locator", "speaker", "executive", "text", "score",
                           "passage_id", "ordinal"}
    assert record["date"] == "2024-05-02" and record["speaker"] == "DANA REYES" and record["ordinal"] == 1
    around = neighbours(session, [hit.passage_id])[hit.passage_id]
    assert [n.speaker for n in around] == ["MODERATOR", "MODERATOR"]
    assert around[0].text.startswith("What do you think about remote work")


def test_titles_and_headings_count_as_evidence(session: Session, ceo: Twin) -> None:
    add_doc(session, ceo, "safety.docx", [
        turn("Every site reports near misses weekly, and I read every one of them.", heading="Safety culture"),
        turn("Every site reports its budget weekly, and I read every one of them.", heading="Finance cadence"),
    ], title="Field notes")
    hits = search_passages(session, ceo, "What is your view on safety culture?", EVERYONE, k=2)
    assert hits[0].heading == "Safety culture"


def test_k_limits_and_validates(session: Session, ceo: Twin) -> None:
    assert len(search_passages(session, ceo, "team office customers reliability", EVERYONE, k=2)) == 2
    assert search_passages(session, ceo, "office", EVERYONE, k=0) == []
    with pytest.raises(BadInput):
        search_passages(session, ceo, "office", EVERYONE, k=10_000)


def test_draft_retired_other_twin_and_other_audience_never_come_back(session: Session, ceo: Twin) -> None:
    word = "zephyrine"
    cfo = make_twin(session, "cfo", "Sam Okafor")
    add_doc(session, cfo, "cfo.docx", [f"The {word} programme is the CFO's, not the CEO's."])
    draft = add_doc(session, ceo, "draft.docx", [f"A draft about the {word} programme."], approve=False)
    retired = add_doc(session, ceo, "retired.docx", [f"An old note about the {word} programme."])
    store.retire_source(session, retired.id)
    board = add_doc(session, ceo, "board.docx", [f"Board-only view of the {word} programme."], audience="board")
    session.flush()

    assert search_passages(session, ceo, word, EVERYONE) == []
    board_hits = search_passages(session, ceo, f"What do you think of {word}?", BOARD)
    assert [h.source_id for h in board_hits] == [board.id]
    assert search_passages(session, ceo, word, Viewer(audiences=frozenset())) == [], "no audience, nothing"
    assert [h.title for h in search_passages(session, cfo, word, BOARD)] == ["cfo"]

    store.approve_source(session, draft.id)
    assert {h.source_id for h in search_passages(session, ceo, word, EVERYONE)} == {draft.id}


def test_new_version_replaces_the_old_at_once(session: Session, ceo: Twin) -> None:
    v1 = add_doc(session, ceo, "plan.docx", ["Our plan is to open a factory in Lisbon."], title="Plan")
    assert [h.source_id for h in search_passages(session, ceo, "Where will your factory be?", EVERYONE)] == [v1.id]
    v2 = add_doc(session, ceo, "plan.docx", ["Our plan is to open a factory in Porto instead."], title="Plan",
                 approve=False)
    assert v2.version == 2
    assert [h.source_id for h in search_passages(session, ceo, "factory", EVERYONE)] == [v1.id], "draft v2 hidden"
    store.approve_source(session, v2.id)
    hits = search_passages(session, ceo, "factory", EVERYONE)
    assert [(h.source_id, h.source_version) for h in hits] == [(v2.id, 2)]
    assert search_passages(session, ceo, "Lisbon", EVERYONE) == []
    store.retire_source(session, v2.id)
    assert search_passages(session, ceo, "factory", EVERYONE) == []


def test_audience_change_and_deletes_take_effect_without_a_rebuild(session: Session, ceo: Twin) -> None:
    source = add_doc(session, ceo, "secret.docx", ["The quokka acquisition closes in May."])
    assert search_passages(session, ceo, "quokka", EVERYONE)
    store.set_source_audience(session, source.id, "board")
    session.flush()
    assert search_passages(session, ceo, "quokka", EVERYONE) == []
    assert search_passages(session, ceo, "quokka", BOARD)
    session.execute(delete(Passage).where(Passage.source_id == source.id))
    assert search_passages(session, ceo, "quokka", BOARD) == []
    store.forget_twin(session, "dana")
    session.flush()
    other = make_twin(session, "dana", "Dana Reyes")
    assert search_passages(session, other, "remote work office prices", EVERYONE) == []


@pytest.mark.parametrize("token_share", [0.0, 2.0], ids=["pool-then-filter", "twin-token-in-match"])
def test_a_twin_crowded_out_by_others_still_finds_its_passages(session: Session, ceo: Twin, token_share: float,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Many better-scoring rows of other twins and hidden sources must not starve the visible few."""
    monkeypatch.setattr("service.search.index.TWIN_TOKEN_SHARE", token_share)
    noisy = make_twin(session, "noisy", "Noisy Other")
    # 360 noisy rows for each word: both words stay within the matching budget, so both match.
    for i in range(12):
        add_doc(session, noisy, f"n{i}.docx", ["kestrel kestrel kestrel migration"] * 15)
        add_doc(session, ceo, f"hidden{i}.docx", ["kestrel kestrel migration"] * 15, audience="board")
    add_doc(session, ceo, "birds.docx", ["A long note that mentions the kestrel once, among many other words "
                                         "about our offices, our plans and our people."])
    hits = search_passages(session, ceo, "kestrel migration", EVERYONE, k=3, candidates=10)
    assert [h.title for h in hits] == ["birds"]
    assert len(search_passages(session, ceo, "kestrel migration", BOARD, k=50, candidates=10)) == 50
