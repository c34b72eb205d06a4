"""Push-back defects a new user met on the demo twin (examples/dana-reyes), issue 17: a figure read without its
subject ("cut failed attempts from 6.1 % to 4 %" against "Our target remains 40 %…"), a sponsorship pitch flagged
against the anchor-days meetings line, and a real clash (plans sent out at 4 a.m. without a dispatcher) flagged
against the wrong memo or listed as a position the pitch "doesn't say where it stands" on. Then a second trial: a
pilot's own way out ("…in eight weeks, we stop it") flagged against a transcript line about six weeks, a heading that
only says where in a talk a line sits used as its label, and a podcast pitch reminded of promoting from the dock."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.corpus.models import Source
from service.rehearsal import start_rehearsal
from service.rehearsal.claims import is_exit
from service.rehearsal.directions import CHOICES, claim_directions, figures
from service.rehearsal.labels import stance_label
from service.rehearsal.readings import Reading, polarity, reading
from service.rehearsal.stances import sides_alike
from service.search import PassageHit
from tests.rehearsal.test_listening import demo  # noqa: F401  (fixture)

# Pitches written for these tests in a presenter's words.
FAILED_ATTEMPTS_PITCH = ("Failed first attempts in the city are at 6.1 %. I propose we cut failed attempts from 6.1 % "
                         "to 4 % by next summer by confirming every customer's receiving hours.")
SPONSORSHIP_PITCHES = (
    "I'd like us to sponsor the Port Calder Harbour Run in May. Our name would be on the runners' shirts and staff "
    "could join a company team.",
    "Let's sponsor the city's summer jazz festival. We could host a stand on the Friday evening and invite our biggest "
    "customers.",
    "I propose we sponsor the Maritime Centre's open day on a Saturday in June. Colleagues and their families would "
    "get free entry, and we'd hold a short all-company gathering there.",
)
FOUR_AM_PITCH = ("On the quiet overnight routes, the Dispatch Assist plan could go out to the drivers at 4 a.m. without "
                 "a dispatcher approving it. It would save us a night shift at the small depots.")
DISPATCH_MEMO = "2025-03-10-ai-in-dispatch.docx"
PILOT_PITCHES = (
    # the trial's pitch
    "Pilot: cold-room validation checklist at Eastgate before new pharma customers go live\n\nCold chain customers "
    "throw away a shipment that is two degrees warm, so reliability is what they buy. I propose a two-month pilot at "
    "Eastgate: every new pharma lane runs a written temperature-validation checklist and three dry runs before the "
    "first live load. Cost is about $40,000 in staff time and loggers, inside the depot budget. We will know it works "
    "if temperature excursions on new lanes fall below 0.5% and no new customer's first audit has a major finding. If "
    "it does not move those numbers in eight weeks, we stop it. The depot manager owns the call; I will report back "
    "in the pre-read for the January review.",
    "I'd like to trial a pre-departure temperature check on the new pharma lanes at Eastgate for two months, using the "
    "loggers we already own. Success means fewer excursions on those lanes. If it doesn't cut excursions within eight "
    "weeks, we will end the trial.",
)
PODCAST_PITCH = ("I'd like to start a monthly internal podcast about the history of shipping in the North Sea, with "
                 "guest historians and old archive recordings. It would live on the intranet and cost about $5,000 a "
                 "year for microphones and editing software. It would make colleagues proud of where we come from.")


def _push_back(session: Session, settings: Settings, viewer: Viewer, pitch: str) -> list[dict]:
    return start_rehearsal(session, settings, "dana-reyes", viewer, pitch_text=pitch).to_dict()["push_back"]


def test_cutting_a_failure_rate_is_not_read_against_a_target_on_another_subject(
        session: Session, settings: Settings, demo: Viewer) -> None:  # noqa: F811
    against = [p for p in _push_back(session, settings, demo, FAILED_ATTEMPTS_PITCH) if p["contradicts"]]
    assert not against, against


@pytest.mark.parametrize("pitch", SPONSORSHIP_PITCHES)
def test_a_sponsorship_pitch_is_not_flagged(session: Session, settings: Settings, demo: Viewer,  # noqa: F811
                                            pitch: str) -> None:
    against = [p for p in _push_back(session, settings, demo, pitch) if p["contradicts"]]
    assert not against, against


def test_plans_sent_without_a_dispatcher_are_flagged_against_the_dispatch_assist_memo(
        session: Session, settings: Settings, demo: Viewer) -> None:  # noqa: F811
    filenames = {s.id: s.filename for s in session.scalars(select(Source))}
    push_back = _push_back(session, settings, demo, FOUR_AM_PITCH)
    against = [p for p in push_back if p["contradicts"]]
    assert against, push_back
    assert filenames[against[0]["citation"]["source_id"]] == DISPATCH_MEMO
    assert any(w in against[0]["citation"]["quote"] for w in ("automatic", "dispatcher owns")), against[0]
    # a position the pitch runs against is not one it "doesn't say where it stands on"
    for p in push_back:
        if not p["contradicts"]:
            assert "dispatcher owns" not in p["citation"]["quote"] and "automatic" not in p["citation"]["quote"], p


def test_a_number_in_a_name_is_no_figure() -> None:
    assert figures(["We will stop accepting new customisations on RouteMaster 7"], percent_only=False) == ()
    assert figures(["the wave 3 go-live and 40 vans"], percent_only=False) == (40.0,)
    assert figures(["97%, not 99"], percent_only=False) == (97.0, 99.0)


def test_cutting_a_failure_rules_nothing_out() -> None:
    assert polarity("I propose we cut failed attempts from 6.1 % to 4 % by next summer.") == 1
    assert polarity("We should cut the rest breaks on the long routes.") == -1


def test_moving_a_figure_is_moving_a_target_only_when_a_target_is_named() -> None:
    target = next(k for k, c in enumerate(CHOICES) if c.name == "target kept or moved")
    cut = "I propose we cut failed attempts from 6.1 % to 4 % by next summer."
    assert claim_directions(reading(cut), cut)[target] == 0
    lowered = "Let's lower the electric share target from 40% to 30% for next year."
    assert claim_directions(reading(lowered), lowered)[target] == -1
    plan = "We'd like to cut the electric share in next year's fleet plan from 40% to 32%."
    assert claim_directions(reading(plan), plan)[target] == -1


def test_a_plan_sent_out_without_a_dispatcher_approving_it_leans_to_the_machine() -> None:
    person_or_machine = next(k for k, c in enumerate(CHOICES) if c.name == "person or machine decides")
    sentence = "The plan could go out to the drivers at 4 a.m. without a dispatcher approving it."
    assert claim_directions(reading(sentence), sentence)[person_or_machine] == -1


@pytest.mark.parametrize("pitch", PILOT_PITCHES)
def test_a_pilots_own_way_out_is_not_flagged(session: Session, settings: Settings, demo: Viewer,  # noqa: F811
                                              pitch: str) -> None:
    against = [p for p in _push_back(session, settings, demo, pitch) if p["contradicts"]]
    assert not against, against


def test_a_way_out_is_told_from_a_proposal() -> None:
    assert is_exit("If it does not move those numbers in eight weeks, we stop it.")
    assert is_exit("We will measure turnover each quarter, and if it gets worse we go back.")
    assert is_exit("Should the trial miss its target, we will end the trial.")
    assert not is_exit("If the depot is late, we stop paying the bonus.")
    assert not is_exit("We stop the night desk.")


def test_sides_told_apart_by_one_word_are_alike() -> None:
    said = ("I want every depot to hear that from their manager this week, and I want Ashby Road to hear that we're "
            "backing them, not blaming them.")
    assert sides_alike(reading(said, reasons=True))
    assert not sides_alike(reading("The schedule absorbs the delay, not the driver.", reasons=True))


def test_a_case_heard_and_turned_down_is_ruled_out() -> None:
    found = reading("I have also heard the argument for fully remote, and I do not agree with it for us.", reasons=True)
    assert found.ruled_out == ("fully remote",) and not found.held


def _hit(heading: str) -> PassageHit:
    return PassageHit(passage_id=1, source_id=1, source_version=1, title="Remarks at a Graduation", kind="talk",
                      date=None, locator="§ 1", speaker=None, executive=True, text="", heading=heading, ordinal=0,
                      score=1.0)


def test_a_heading_that_only_says_where_a_line_sits_is_not_its_label() -> None:
    assert stance_label(_hit("Where you can go from here"), "We promote from the dock.") == "We promote from the dock"
    # a line that points back keeps its heading, and a heading that names the point stays
    assert stance_label(_hit("What comes next"), "I will not accept either.") == "What comes next"
    assert stance_label(_hit("What the anchor days are for"),
                        "I would like every office team to spend one anchor day a month at a depot.") == (
        "What the anchor days are for")


def test_a_podcast_pitch_is_not_reminded_of_promotion(
        session: Session, settings: Settings, demo: Viewer) -> None:  # noqa: F811
    push_back = _push_back(session, settings, demo, PODCAST_PITCH)
    assert not any("promote" in p["citation"]["quote"] for p in push_back), push_back


# A third trial (7 December): a dock-to-dispatcher pilot in line with her was told it contradicts "We electrify a
# route only when it works…" (its own "It only works if the mentors can give four hours a week…" shares the form, not
# the subject), and reminded of "The schedule absorbs the delay", which it is not about.
def test_an_aligned_pilot_is_not_held_to_a_line_by_its_own_condition_nor_reminded_of_an_unrelated_one(
        session: Session, settings: Settings, demo: Viewer) -> None:  # noqa: F811
    from tests.rehearsal.test_scorecard import DOCK_TO_DISPATCH

    found = _push_back(session, settings, demo, DOCK_TO_DISPATCH)
    quotes = [p["citation"]["quote"] for p in found]
    assert not any("It only works if" in p["why"] for p in found), found
    assert not any("electrify a route only when it works" in q for q in quotes), quotes
    assert not any("The schedule absorbs the delay" in q for q in quotes), quotes
    assert not any("96.4%" in p["why"] for p in found), found  # a figure of last quarter is no proposal


@pytest.mark.parametrize(("sentence", "condition"), [
    ("It only works if the mentors can give four hours a week without the overnight route cut slipping past midnight.",
     True),
    ("The whole plan depends on the dock workers wanting the move.", True),
    ("The riskiest assumption is that dock workers want the move.", True),
    ("We only electrify a route when it works in the worst week of winter.", False),
    ("We want to train ten dock workers at Eastgate as junior dispatchers.", False),
])
def test_a_sentence_saying_what_the_pitch_hangs_on_is_its_condition(sentence: str, condition: bool) -> None:
    from service.rehearsal.claims import is_condition

    assert is_condition(sentence) is condition


def test_a_line_drawn_at_one_site_does_not_hold_a_proposal_for_another() -> None:
    from service.rehearsal.claims import pitch_claims
    from service.rehearsal.stances import Stance, other_sites

    hit = PassageHit(passage_id=1, source_id=1, source_version=1, title="One Halvorsen", kind="memo", date=None,
                     ordinal=0, locator="p. 1", speaker=None, executive=True, text="", heading=None, score=0.0)
    line = Stance(text="And we will stop running separate dispatch meetings per division at Calder North.", hit=hit,
                  audience="everyone", label="", polarity=-1)
    eastgate = pitch_claims(["We ask approval to run the pilot at Eastgate from 1 February."])
    calder = pitch_claims(["We want to run the pilot at Eastgate from 1 February.",
                           "We'd keep separate dispatch meetings at Calder North."])
    assert other_sites(eastgate, [line]).tolist() == [[True]]
    assert not other_sites(calder, [line]).any()  # a pitch that names her site is held to her line


def test_a_quote_cut_short_still_ends_its_sentence_before_her_name() -> None:
    # "Your pitch says “We want to keep it above 98% …” Dana Reyes has said otherwise" ran on without a stop.
    from service.rehearsal.pushback import _says

    long = "We want to keep it above 98% on every cold chain lane we run out of Ashby Road from the first week of April."
    assert _says(long, 8) == "“We want to keep it above 98% on …”."
    assert _says("We want to keep it above 98%.", 20) == "“We want to keep it above 98%.”"


# A fourth trial (7 December): a pitch in line with her, which stops a manual spreadsheet as her "We will stop the
# midnight spreadsheet" does, was told it contradicts that line (stopping a "manual" thing read as leaning to the
# machine, against her memo's "Assistive, Not Automatic"); under it lay further false flags: its own kill criterion
# ("we stop and write up what we learned" read as ruling the write-up out), a failure rate it moves down, "No change
# to rest breaks", "cost per stop" and its "Cost to serve:" label read as a price.
def test_a_pitch_that_stops_what_she_stops_is_not_told_it_contradicts_her(
        session: Session, settings: Settings, demo: Viewer) -> None:  # noqa: F811
    from tests.rehearsal.test_listening import TRIAL3_ALIGNED

    found = _push_back(session, settings, demo, TRIAL3_ALIGNED)
    assert not any(p["contradicts"] for p in found), found
    assert not any("midnight spreadsheet" in p["citation"]["quote"] for p in found), found


@pytest.mark.parametrize(("sentence", "reads"), [
    ("Kill criterion: if fewer than 25% of customers respond by week four, we stop and write up what we learned.",
     Reading(("Kill criterion", "if fewer than 25% of customers respond by week four", "we write up what we learned"),
             ())),
    ("Failed attempts are 7% of our urban cost per stop.", Reading(("Failed attempts are 7% of our urban cost per stop",),
                                                                   ())),
])
def test_a_bare_stop_ends_only_what_is_under_way_and_a_stop_after_per_is_a_noun(sentence: str, reads: Reading) -> None:
    assert reading(sentence) == reads


def test_a_stopped_thing_leans_no_way_by_the_words_that_name_it() -> None:
    stop = ("What we stop: we stop the monthly manual address-cleanup spreadsheet the customer service team maintains, "
            "which frees up the two analysts.")
    assert not claim_directions(reading(stop), stop).any()
    manner = "We stop planning routes manually and let the tool release them."
    person = next(k for k, c in enumerate(CHOICES) if c.name == "person or machine decides")
    assert claim_directions(reading(manner), manner)[person] == -1
