"""The end of a rehearsal: its summary lists each point once."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.rehearsal.engine import build_summary
from tests.rehearsal.test_listening import demo  # noqa: F401  (fixture)
from tests.rehearsal.test_scorecard import dana  # noqa: F401  (fixture)


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
    from service.rehearsal.engine import gaps_first as answered_last
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


# A new user's trial (7 December, issue 17), pitches in a presenter's words: an aligned pitch whose one gap on the
# scorecard is cost to serve (0/5) was never asked about it and opened on "What's the ask, exactly?" (5/5); a pitch
# scoring 40/40 opened on it too.
ALIGNED_PITCH = """Proposal: A written pre-read pilot for depot managers' monthly reviews

The ask: approve a three-month pilot at Eastgate and Calder North in which depot managers bring a two-page written \
pre-read to their monthly review instead of slides, read in silence for the first ten minutes.
Who is the customer and what changes for them: customers whose freight was late get a named caller the same day, \
because the pre-read lists every failed delivery by reason code with an owner.
The number: failed first-time deliveries at Eastgate were 4.1% last quarter and 4.6% the quarter before; we aim for \
3.5% by the end of the pilot.
What would have to be true: managers need about two hours a month to write the pre-read; we free that by stopping \
the weekly status slide deck.
Riskiest assumption: that managers will write honestly about misses. We will know early from the first two reviews; \
Lena Park owns the check.
How this affects the drivers: drivers' reason codes get read and answered within a week, so they see their reports \
acted on.
Cost: no capital; about 40 hours of manager time across the pilot.
"""
FULL_MARKS_PITCH = """Proposal: Electric vans for the Ashby Road night shuttle, phase one

The ask: release $1.8m in Q1 2027 for 24 electric vans and 12 depot chargers at Ashby Road, decision at the January \
capital review, owner Ray Castillo (VP Fleet).
Customer: the 38 grocery accounts on the Ashby Road night shuttle; nothing changes for them on Monday except quieter \
deliveries between 22:00 and 05:00, which two councils have asked for.
The numbers: these routes average 96 km a night, well inside a van's range; diesel and maintenance cost $14.10 a stop \
today against an estimated $12.90 electric, saving about $310,000 a year, a payback of just under six years.
What would have to be true: the Ashby Road grid connection must be energised. The application was lodged in 2025; \
the utility now quotes 14 months. We will not order vans until the connection date is confirmed in writing.
Risks and mitigations: if the grid connection slips, we hold the order and the capital returns to the pool; if \
winter range drops more than 20%, we keep six diesel vans as a fallback for the longest routes; drivers get two paid \
days of training before go-live, and no driver is asked to make up time on the road if charging runs late.
What we stop: we stop the planned diesel van refresh at Ashby Road for 2027, which frees $700,000.
Kill criterion: if on-time in full on the shuttle drops below 97% for two months in a row after go-live, we pause \
the roll-out and review.
"""


def _asked_and_scored(session: Session, settings: Settings, viewer: Viewer,
                      pitch: str) -> tuple[list[str], dict[str, int], str]:
    """The questions a rehearsal lists, its scorecard by label, and the question its first round puts."""
    from service.rehearsal import start_rehearsal
    from service.rehearsal.engine import get_rehearsal

    result = start_rehearsal(session, settings, "dana-reyes", viewer, pitch_text=pitch).to_dict()
    session.commit()
    first = get_rehearsal(session, result["rehearsal_id"], viewer)["next_question"]["question"]
    return ([q["question"] for q in result["questions"]],
            {c["label"]: c["score"] for c in result["scorecard"]["criteria"]}, first)


def test_her_questions_open_on_the_pitch_s_gap_and_leave_what_it_answers_in_full_for_last(
        session: Session, settings: Settings, dana: Viewer) -> None:  # noqa: F811
    from service.rehearsal.engine import same_point

    asked, scores, first = _asked_and_scored(session, settings, dana, ALIGNED_PITCH)
    assert scores["What does it cost to serve?"] == 0, scores  # the one gap
    assert first == asked[0] == "What does it cost to serve?", asked
    full = [label for label, score in scores.items() if score == 5]
    on_full = [any(same_point(label, q) for label in full) for q in asked]
    assert on_full == sorted(on_full), list(zip(asked, on_full, strict=True))  # answered in full: after the rest
    assert "What's the ask, exactly?" not in asked[:2], asked


def test_a_pitch_with_full_marks_does_not_open_on_a_question_it_already_answers(
        session: Session, settings: Settings, dana: Viewer) -> None:  # noqa: F811
    from service.rehearsal.engine import same_point

    asked, scores, first = _asked_and_scored(session, settings, dana, FULL_MARKS_PITCH)
    assert set(scores.values()) == {5}, scores
    assert not any(same_point(label, first) for label in scores), (first, asked)
    assert first != "What's the ask, exactly?"
    assert len(asked) == 5
