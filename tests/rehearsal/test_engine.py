"""The end of a rehearsal: its summary lists each point once."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.rehearsal.engine import build_summary
from tests.rehearsal.test_listening import demo  # noqa: F401  (fixture)


def test_an_answered_question_worded_as_a_strong_criterion_is_one_row_of_the_summary() -> None:
    drivers = "How does this affect the drivers?"
    criteria = [{"label": drivers, "score": 5, "reason": "2 mentions (“drivers”)."},
                {"label": "What's the ask?", "score": 5, "reason": "States a concrete ask."}]
    history = [{"question": drivers, "accepted": True, "reply": "Dispatchers stay on shift to pull a plan back."},
               {"question": "What's the ask, exactly?", "accepted": True, "reply": "A three-month trial."}]
    row = SimpleNamespace(result={"scorecard": {"criteria": criteria, "total": 10, "max": 10}}, round=1)
    summary = build_summary(row, {"history": history, "queue": []}, SimpleNamespace(items=[]), None)
    points = [p["point"] for p in summary["strong"]]
    assert points.count(drivers) == 1, points
    row_of = next(p for p in summary["strong"] if p["point"] == drivers)
    assert row_of == {"point": drivers, "detail": "Your answer: Dispatchers stay on shift to pull a plan back.",
                      "round": True}
    assert "What's the ask?" in points  # a strong criterion worded otherwise keeps its row
    assert "What's the ask, exactly?" in points  # a question worded otherwise keeps its own row



def test_a_question_the_pitch_already_answers_in_full_is_asked_last() -> None:
    from service.rehearsal.engine import answered_last
    from service.rehearsal.pitch import analyse_pitch
    from service.rehearsal.rubric import score_pitch
    from tests.rehearsal.test_scorecard import DEMO_RUBRIC

    pitch = ("We ask you to approve $240,000 by 1 March for a night-dispatch trial at Eastgate. The trial moves 12 "
             "routes a night from 2 dispatchers to 1, with the other on day work.")
    card = score_pitch(analyse_pitch(pitch), DEMO_RUBRIC)
    ask = next(c for c in card.criteria if c.key == "ask")
    assert ask.score == ask.max, ask
    ranked = [SimpleNamespace(item=SimpleNamespace(text=text)) for text in
              (f"{ask.label}", "How does this affect the drivers?", "What would have to be true for this to work?")]
    order = [r.item.text for r in answered_last(ranked, card)]  # type: ignore[arg-type]
    assert order == ["How does this affect the drivers?", "What would have to be true for this to work?", ask.label]


def test_her_questions_that_lean_on_what_came_before_come_in_a_standing_wording_or_after_the_rest(
        session: Session, settings: Settings, demo: Viewer) -> None:  # noqa: F811
    # A new user's trial (7 December): the list opened on "So when you lose a deal by a few percent, I'd ask you one
    # question: …" and held "And what's the number, and what was it last quarter?".
    from service.rehearsal import start_rehearsal
    from service.rehearsal.engine import leans_on_before
    from tests.rehearsal.conftest import build_docx
    from tests.rehearsal.test_scorecard import NORRLAND_PARAGRAPHS

    result = start_rehearsal(session, settings, "dana-reyes", demo, file_bytes=build_docx(NORRLAND_PARAGRAPHS),
                             filename="pitch_clash.docx").to_dict()
    asked = [q["question"] for q in result["questions"]]
    leaning = [leans_on_before(q) for q in asked]
    assert leaning == sorted(leaning) and not leaning[0], asked  # those that stand on their own first
    assert "And what's the number, and what was it last quarter?" not in asked, asked
    # each still quoted word for word from its own passage
    for q in result["questions"]:
        assert q["citation"]["quote"] == q["question"]


def test_a_question_leans_on_what_came_before_when_it_opens_on_a_link_or_quotes_a_further_question() -> None:
    from service.rehearsal.engine import leans_on_before

    assert leans_on_before("And what's the riskiest assumption and how will we know early?")
    assert leans_on_before("So when you lose a deal by a few percent, I'd ask you one question: what would have to be "
                           "true for that deal to make money?")
    assert not leans_on_before("What are we going to stop doing to make room for this?")
    assert not leans_on_before("Who is the customer and what changes for them on Monday?")
