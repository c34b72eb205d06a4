"""Push-back defects a new user met on the demo twin (examples/dana-reyes), issue 17: a figure read without its
subject ("cut failed attempts from 6.1 % to 4 %" against "Our target remains 40 %…"), a sponsorship pitch flagged
against the anchor-days meetings line, and a real clash (plans sent out at 4 a.m. without a dispatcher) flagged
against the wrong memo or listed as a position the pitch "doesn't say where it stands" on."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.corpus.models import Source
from service.rehearsal import start_rehearsal
from service.rehearsal.directions import CHOICES, claim_directions, figures
from service.rehearsal.readings import polarity, reading
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
