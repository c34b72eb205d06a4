"""What a new user saw rehearsing a $310k launch discount below her floor on the demo twin (examples/dana-reyes): a
scorecard that reads like a person wrote it, a cost stated in everyday words counted as stated (the words relied on
quoted as written), and push-back that quotes her pricing position, never a sentence about what revenue is worth."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.rehearsal import start_rehearsal
from service.rehearsal.pitch import analyse_pitch
from service.rehearsal.rubric import CriterionScore, rubric_for, score_pitch, validate_rubric
from tests.rehearsal.test_listening import (  # noqa: F401  (demo: fixture)
    EXAMPLES,
    TRIAL3_AGAINST,
    TRIAL3_ALIGNED,
    TRIAL3_VAGUE,
    demo,
)

DEMO_RUBRIC = validate_rubric(tomllib.loads((EXAMPLES / "twin.toml").read_text())["persona"]["rubric"])
# The new user's pitch, in a presenter's words.
DISCOUNT_PITCH = ("I'm asking for $310k to fund a launch discount for Northgate Grocers. To win them we would price "
                  "their lanes below the floor for the first two quarters. That discount is 310,000 dollars in total "
                  "and costs us about 4 % of margin this year. Northgate is worth 2.1 million dollars of new-logo "
                  "revenue a year, which helps the sales plan.")
# A program's wording: "2 sentence(s)", "1 mention(s)", "about 1.0 minutes".
PROGRAM_WORDING = re.compile(r"\(s\)|\b\d+\.\d+ minutes|\b1 minutes\b|\b1 [a-z]+s\b")


@pytest.fixture
def dana(session: Session, demo: Viewer) -> Viewer:  # noqa: F811
    """The demo twin with the rubric `understudy demo` gives it."""
    store.update_persona(session, "dana-reyes", {"rehearsal_rubric": DEMO_RUBRIC})
    session.commit()
    return demo


def _rehearse(session: Session, settings: Settings, viewer: Viewer, pitch: str) -> dict[str, Any]:
    result = start_rehearsal(session, settings, "dana-reyes", viewer, pitch_text=pitch).to_dict()
    session.commit()
    return result


def test_the_scorecard_counts_and_times_as_people_say_them(session: Session, settings: Settings,
                                                           dana: Viewer) -> None:
    card = _rehearse(session, settings, dana, DISCOUNT_PITCH)["scorecard"]
    reasons = [c["reason"] for c in card["criteria"]]
    assert not [r for r in reasons if PROGRAM_WORDING.search(r)], reasons
    cost = next(c for c in card["criteria"] if c["label"] == "What does it cost to serve?")
    assert cost["reason"].startswith("1 mention (“costs us about 4 % of margin”)"), cost


@pytest.mark.parametrize(("words", "said"), [(135, "about 55 seconds"), (150, "about 1 minute"),
                                             (300, "about 2 minutes")])
def test_the_length_line_says_the_speaking_time_as_people_say_it(words: int, said: str) -> None:
    pitch = " ".join(["We ask you to approve six vans for Eastgate by March."] + ["Drivers load them at dawn."] * 80)
    pitch = " ".join(pitch.split()[:words])
    length = next(c for c in score_pitch(analyse_pitch(pitch), rubric_for(None)).criteria if c.key == "length")
    assert length.reason.startswith(f"{words} words, {said} spoken"), length.reason
    assert not PROGRAM_WORDING.search(length.reason), length.reason


@pytest.mark.parametrize(("sentence", "words"), [
    ("The launch discount costs $310k in the first year.", "discount costs $310k"),
    ("In all that is 310,000 dollars of cost in the first year.", "310,000 dollars of cost"),
    ("It costs us about 4 % on the account in year one.", "costs us about 4 %"),
    ("The discount is $310k.", "discount is $310k"),
    ("We would spend 310,000 dollars on the launch.", "spend 310,000 dollars"),
])
def test_a_cost_stated_in_everyday_words_counts_with_the_words_quoted_as_written(sentence: str,
                                                                                 words: str) -> None:
    pitch = ("We ask you to approve a launch discount for Northgate Grocers by 1 March. " + sentence +
             " Northgate brings new volume to our cold chain lanes.")
    cost = next(c for c in score_pitch(analyse_pitch(pitch), DEMO_RUBRIC).criteria
                if c.label == "What does it cost to serve?")
    assert cost.score == 5 and sentence in cost.quotes, cost
    assert cost.reason.startswith(f"1 mention (“{words}”)"), cost.reason


def test_a_cost_criterion_does_not_hear_a_cost_in_revenue_or_a_discount_far_from_its_amount() -> None:
    pitch = ("We ask you to approve a launch discount for Northgate Grocers by 1 March. Once the discount ends the "
             "account brings 2.1 million dollars of revenue a year. Northgate wants 12 deliveries a day.")
    cost = next(c for c in score_pitch(analyse_pitch(pitch), DEMO_RUBRIC).criteria
                if c.label == "What does it cost to serve?")
    assert cost.score == 0, cost


@pytest.mark.xfail(strict=False, reason="push-back on the margin of the int8 model's numerics: passes on some CPUs, fails "
                   "on others (see ON_THE_MARGIN in test_stances.py)")
def test_push_back_on_a_discount_below_her_floor_quotes_her_pricing_not_what_revenue_is_worth(
        session: Session, settings: Settings, dana: Viewer) -> None:
    quotes = [p["citation"]["quote"] for p in _rehearse(session, settings, dana, DISCOUNT_PITCH)["push_back"]]
    assert not [q for q in quotes if " is worth " in q], quotes
    assert any(re.search(r"\bprice (?:is|below)\b|\bbelow the (?:cost|floor)\b", q, re.IGNORECASE) for q in quotes), \
        quotes


def test_the_figures_example_is_a_sentence_with_figures_not_one_that_only_names_a_pilot() -> None:
    pitch = ("I'd like to stop hiring through the academy and use an agency instead. The academy takes twelve weeks and "
             "costs about 4,000 per driver; an agency fee is 15% of the first year's wages. We'd start at Northgate "
             "in March with 20 drivers. I own the pilot with the Northgate depot manager.")
    numbers = next(c for c in score_pitch(analyse_pitch(pitch), DEMO_RUBRIC).criteria
                   if c.label == "What's the number, and what was it last quarter?")
    example = numbers.reason.split("e.g. ", 1)[1]
    assert "I own the pilot" not in example and re.search(r"\d|twelve", example), numbers.reason


def _criterion(pitch: str, label: str) -> CriterionScore:
    """The demo rubric's line `label` for a pitch."""
    return next(c for c in score_pitch(analyse_pitch(pitch), DEMO_RUBRIC).criteria if c.label == label)


def test_a_kill_criterion_is_not_something_stopped_to_make_room() -> None:
    # A trial: "If it does not move those numbers in eight weeks, we stop it." scored 5/5 on what we stop doing.
    stop = "What are we going to stop doing to make room for this?"
    kill = ("I propose a two-month pilot at Eastgate for a temperature checklist on new pharma lanes. Cost is about "
            "$40,000. If it does not move those numbers in eight weeks, we stop it.")
    room = kill + " To make room, we stop running the weekly paper audit at Eastgate."
    scored = {p: _criterion(p, stop) for p in (kill, room)}
    assert scored[kill].score == 0, scored[kill]
    assert scored[room].score == 5 and "we stop running the weekly paper audit" in scored[room].reason, scored[room]


def test_asked_who_the_customer_is_a_cost_alone_is_not_full_marks() -> None:
    # A trial: "Who is the customer and what changes for them on Monday?" scored 5/5 on "Cost is about $180k."
    label = "Who is the customer and what changes for them on Monday?"
    costs = ("I'd like to add a second charger bay at Ashby Road this year so we can move 12 more routes off diesel. "
             "Cost is about $180k. Payback roughly 5 years on those dense routes.")
    serves = costs + " Brightwell Foods, our customer on those routes, gets its chilled drops an hour earlier."
    scored = {p: _criterion(p, label) for p in (costs, serves)}
    assert scored[costs].score <= 2 and "none on who the customer is" in scored[costs].reason, scored[costs]
    assert scored[serves].score >= 4, scored[serves]


# A new user's trial (7 December): two detailed pitches that name who they are for scored 2/5, "none on who the
# customer is or what changes for them".
NORRLAND_PARAGRAPHS = [
    "Proposal: Win the Norrland Grocers contract with a launch price",
    "The ask: approval to quote Norrland Grocers 8% below our cost-to-serve floor for the first 18 months so we win "
    "their 40-store network from Baltic Haul.",
    "Norrland is the biggest grocery account in the region, worth about $6m a year. Once we have their volume, density "
    "on the northern lanes will bring our costs down and we can raise prices at renewal.",
    "We have lost three deals since October by a few percent. Competitors are buying density and we need to do the "
    "same. Sales will own the account and the regional ops team will plan the routes.",
]
DOCK_TO_DISPATCH = """Dock-to-Dispatch: a six-month pilot at Eastgate

The ask: two dispatcher mentors for six months and approval to run the pilot at Eastgate from 1 February.

We want to train ten dock workers at Eastgate as junior dispatchers, on paid time, with a senior dispatcher mentoring \
each pair. Cold chain volume means we need more dispatchers, not fewer, and the people who know our docks and drivers \
best are already on our payroll.

Who changes on Monday: dock leads at Eastgate get a clear path into dispatch; drivers get dispatchers who have loaded \
a trailer themselves, so fewer routes that don't work on the road.

The number: Eastgate hired 6 external dispatchers last year at about $9,000 each in agency fees; 4 left within a year. \
Last quarter on-time-in-full at Eastgate was 96.4%.

It only works if the mentors can give four hours a week without the overnight route cut slipping past midnight. The \
riskiest assumption is that dock workers want the move; we will know by week 4 from sign-ups, and if fewer than six \
sign up we stop the pilot.

To make room, we stop using the agency for dispatcher hires at Eastgate. No change to driver shifts or hours."""
WHO_LABEL = "Who is the customer and what changes for them on Monday?"


def test_a_pitch_naming_its_customer_organisation_answers_who_the_customer_is(session: Session, settings: Settings,
                                                                             dana: Viewer) -> None:
    from tests.rehearsal.conftest import build_docx

    result = start_rehearsal(session, settings, "dana-reyes", dana, file_bytes=build_docx(NORRLAND_PARAGRAPHS),
                             filename="pitch_clash.docx").to_dict()
    who = next(c for c in result["scorecard"]["criteria"] if c["label"] == WHO_LABEL)
    assert who["score"] >= 4 and "none on who the customer is" not in who["reason"], who
    assert "Norrland Grocers" in who["reason"] and any("Norrland Grocers" in q for q in who["quotes"]), who


def test_a_pitch_naming_the_people_it_changes_things_for_answers_who_the_customer_is() -> None:
    who = _criterion(DOCK_TO_DISPATCH, WHO_LABEL)
    assert who.score >= 4 and "none on who the customer is" not in who.reason, who
    assert "Who changes on Monday: dock leads at Eastgate" in who.reason, who


@pytest.mark.parametrize(("said", "named"), [
    ("The change is for our customers in the north: their pallets arrive before the shops open.", True),
    ("Store managers no longer chase a missing delivery by phone.", True),
    ("Cost is about $180k, with payback in five years.", False),
    ("The new charger bay at Ashby Road takes 12 more routes off diesel.", False),
])
def test_who_it_is_for_is_read_from_a_group_of_people_or_an_organisation_and_what_changes(said: str,
                                                                                          named: bool) -> None:
    pitch = "I'm asking you to approve $180k for a second charger bay by March. " + said
    who = _criterion(pitch, WHO_LABEL)
    assert (who.score >= 4) is named, who


# A new user's trial (7 December, issue 17): a vague pitch scored 2/5 for naming who it is for on "people would like
# it" and 4/5 for its ask on "I think we should do more with social media"; a pitch to price under the floor scored
# 5/5 on what it costs to serve.
VAGUE_PITCH = ("I think we should do more with social media to get our brand out there, maybe some videos of the "
               "trucks. It could be really good for us and people would like it.")
UNDER_THE_FLOOR = ("Kestrel Foods wants 200 store deliveries a day across the city starting in March. To win it we "
                   "propose quoting 15% under our cost-to-serve floor for the first year, because the volume will make "
                   "our routes denser.")
COST_LABEL = "What does it cost to serve?"


def test_a_vague_pitch_names_no_customer_and_asks_for_nothing_concrete(session: Session, settings: Settings,
                                                                       dana: Viewer) -> None:
    card = {c["label"]: c for c in _rehearse(session, settings, dana, VAGUE_PITCH)["scorecard"]["criteria"]}
    who = card[WHO_LABEL]
    assert who["score"] == 0 and not who["quotes"], who
    ask = card["What's the ask?"]
    assert ask["score"] <= 2 and "vague" in ask["reason"], ask


@pytest.mark.parametrize(("said", "named"), [
    ("It could be really good for us and people would like it.", False),
    ("Everyone would notice the difference.", False),
    ("Independent pharmacies in the city get their orders before they open.", True),
    ("Kestrel Foods gets two-hour windows at its 200 stores.", True),
])
def test_who_it_is_for_needs_a_customer_or_a_group_not_people_in_general(said: str, named: bool) -> None:
    pitch = "I'm asking you to approve $180k for a second charger bay by March. " + said
    who = _criterion(pitch, WHO_LABEL)
    assert (who.score >= 4) is named, who
    assert ("none on who the customer is" in who.reason) is not named, who


def test_pricing_under_the_floor_is_not_what_it_costs_to_serve() -> None:
    under = _criterion(UNDER_THE_FLOOR, COST_LABEL)
    assert under.score <= 2 and "no figure for the cost itself" in under.reason, under
    stated = _criterion(UNDER_THE_FLOOR + " Serving them costs about $15.80 a stop against our urban average of "
                                          "$13.70.", COST_LABEL)
    assert stated.score == 5 and "$15.80" in stated.reason, stated


# A third new user's trial (7 December): lines that only checked keywords.
DRIVERS_LABEL = "How does this affect the drivers?"
STOP_LABEL = "What are we going to stop doing to make room for this?"
RISK_LABEL = "What's the riskiest assumption and how will we know early?"


def test_the_customer_is_who_the_pitch_calls_its_customers_and_nothing_changing_for_them_is_no_change(
        session: Session, settings: Settings, dana: Viewer) -> None:
    # "Customers wouldn't notice any difference" is the pitch's only customer sentence: cutting dispatcher posts is
    # not what changes for the customer.
    card = {c["label"]: c for c in _rehearse(session, settings, dana, TRIAL3_AGAINST)["scorecard"]["criteria"]}
    who = card[WHO_LABEL]
    assert who["score"] <= 2 and "dispatcher posts" not in who["reason"], who
    assert who["quotes"] == ["Customers wouldn't notice any difference."], who


def test_a_question_on_how_it_affects_people_wants_what_changes_for_them_not_their_name() -> None:
    against = _criterion(TRIAL3_AGAINST, DRIVERS_LABEL)
    assert against.score <= 2 and "none says what changes for them" in against.reason, against
    aligned = _criterion(TRIAL3_ALIGNED, DRIVERS_LABEL)
    assert aligned.score == 5 and "receiving hours" not in aligned.reason, aligned
    assert any(q.startswith("Drivers: fewer wasted trips") for q in aligned.quotes), aligned


def test_a_kill_criterion_that_stops_and_writes_up_is_not_what_is_stopped_to_make_room() -> None:
    stop = _criterion(TRIAL3_ALIGNED, STOP_LABEL)
    assert stop.score == 5 and "address-cleanup spreadsheet" in stop.reason, stop
    assert not any("Kill criterion" in q for q in stop.quotes), stop


def test_trying_it_to_see_how_it_goes_is_a_vague_ask_and_a_maybe_owner_no_safeguard(session: Session,
                                                                                     settings: Settings,
                                                                                     dana: Viewer) -> None:
    card = {c["label"]: c for c in _rehearse(session, settings, dana, TRIAL3_VAGUE)["scorecard"]["criteria"]}
    ask = card["What's the ask?"]
    assert ask["score"] <= 2 and "vague" in ask["reason"], ask
    risks = card[RISK_LABEL]
    assert risks["score"] == 0 and "hire an agency" not in risks["reason"], risks
