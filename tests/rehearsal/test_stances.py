"""Push-back on real stances and questions chosen by meaning, on the demo corpus (examples/dana-reyes) with the real
embedded sentence model."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from ingestion.pipeline import iter_files, parse_path
from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Passage, Source
from service.rehearsal import start_rehearsal
from service.rehearsal.bank import BANKS, QUESTION, BankItem, VisibleBank, addressed
from service.rehearsal.claims import asked_proposal, claim_sentences, is_run_in_title, pitch_claims
from service.rehearsal.directions import CHOICES, directions, moved_to, stance_parts
from service.rehearsal.limits import Limit, Quantity, limit_leanings, limits, proposed_quantities
from service.rehearsal.ranking import rank_items
from service.rehearsal.readings import held_comparative, polarity, reading
from service.rehearsal.stances import (
    both_ways,
    heading_sides,
    is_stance,
    opening_condition,
    ruled_figures,
    said_as_contrast,
    states_target,
    target_only,
)
from service.search import PassageHit
from service.search.dense import reranker_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes"
DISPATCH_MEMO = "Dispatch Assist: Assistive, Not Automatic"
THIRD_PARTY = (
    "Ray, can you get the order in for the forty-two this week?",
    "So here's my ask of you: would you join the driver panel for wave 2?",
    "So departures got worse and loading didn't. What would have to be true for a second night shift to fix that?",
)
CLASH_PITCH = """Dispatch Assist: full automation for Calder North.

The trial shows the tool's load plans are as good as the dispatchers'. We propose to let Dispatch Assist allocate
loads and release the routes to drivers with no dispatcher in the loop, starting in March. That frees four night
dispatchers for day work and saves 480,000 dollars a year. We ask you to approve the switch by 15 February."""
ALIGNED_PITCH = """Dispatch Assist for Marlow Junction.

We want to take the tool to Marlow after a month in shadow mode, with two weeks of paid training for the
dispatchers. Every suggested route is accepted or changed by the dispatcher on shift, and we will measure it by
on-time in full and drivers' hours. We ask for 120,000 dollars for the training."""
VANS_PITCH = """Electric vans for the northern depots.

The dealer is offering a 15% discount on electric vans until March. We propose to buy 150 of them now for the three
northern depots and keep them parked until the grid connections are finished in 2027, so we lock in the price.
We ask you to approve 9 million dollars this month."""


# Push-back decisions these cases sit on the margin of: the same code passes them on some CPUs and fails them on others,
# because CPUs compute the int8 model's products differently (AVX2 without VNNI saturates them in 16 bits; AVX-512
# VNNI computes them exactly). The older cases were written on one kind of CPU and fail on AVX2; the vans and breaks
# cases pass on AVX2 and fail on VNNI. Kept as known defects of the engine's margins, not as passes: see the README.
ON_THE_MARGIN = pytest.mark.xfail(strict=False, reason="push-back on the margin of the int8 model's numerics: passes on "
                                  "some CPUs, fails on others")


@pytest.fixture
def demo(session: Session) -> Viewer:
    """The example executive's corpus, ingested as `understudy demo` does, and an employee to rehearse."""
    BANKS.clear()
    spec = tomllib.loads((EXAMPLES / "twin.toml").read_text(encoding="utf-8"))
    twin = store.create_twin(session, spec["slug"], spec["name"], title=spec["title"],
                             speaker_labels=spec["speaker_labels"])
    store.record_consent(session, spec["slug"], by=spec["name"], scope="tests")
    for batch in spec["batches"]:
        speakers = [batch["speaker"]] if batch.get("speaker") else []
        for path in iter_files(sorted(EXAMPLES.glob(batch["path"]))):
            if path.name == "twin.toml":
                continue
            document = parse_path(path, kind=batch.get("kind"), speaker_labels=speakers or spec["speaker_labels"])
            store.add_source(session, twin, document, audience=batch.get("audience", "everyone"), approve=True,
                             kind=batch.get("kind"), speaker_labels=speakers or None)
    user, _ = store.add_user(session, "employee@halvorsen.example", role="employee")
    session.commit()
    return store.viewer_for(user)


def rehearse(session: Session, settings: Settings, viewer: Viewer, pitch: str) -> dict:
    return start_rehearsal(session, settings, "dana-reyes", viewer, pitch_text=pitch).to_dict()


def test_a_question_put_to_someone_else_in_the_meeting_is_never_asked_of_the_presenter(
        session: Session, settings: Settings, demo: Viewer) -> None:
    pitch = ("Reefer trailers for inland pharma. We want to order forty-two new reefer trailers this quarter, set up "
             "a driver panel for the rollout and add a second night shift at Pier 9 to load them. The order has to "
             "go in this week to make the spring delivery slot. We ask for 6 million dollars.")
    result = rehearse(session, settings, demo, pitch)
    asked = [q["question"] for q in result["questions"]]
    assert len(asked) == 5
    for question in THIRD_PARTY:
        assert question not in asked
    bank = BANKS.get(session, store.get_twin(session, "dana-reyes"))
    ray = next(i for i in bank.items if i.text == THIRD_PARTY[0])
    assert not ray.standalone and ray.context == "asked of Ray Castillo in Cold Chain 90 Day Review"
    assert all(i.standalone for i in VisibleBank(items=bank.items).questions)
    # What is asked is hers, word for word, at its locator.
    for q in result["questions"]:
        row = session.get(Passage, q["citation"]["passage_id"])
        assert row is not None and row.executive and q["question"] in row.text
        assert q["citation"]["locator"] == row.locator


def test_a_table_row_is_never_one_of_her_questions_concerns_or_stances(session: Session, demo: Viewer) -> None:
    # A trial's round quoted "What would have to be true for this to work? | So we surface the assumptions before we
    # fund them." from a memo's table as if she had said it.
    rows = [p.text for p in session.query(Passage).all() if " | " in p.text and "?" in p.text]
    assert rows, "the demo corpus has a table of questions"
    bank = BANKS.get(session, store.get_twin(session, "dana-reyes"))
    assert bank.items and not [i.text for i in bank.items if " | " in i.text]
    assert bank.stances and not [s.text for s in bank.stances if " | " in s.text]


def test_push_back_is_labelled_with_the_memos_heading_or_her_own_words(session: Session, settings: Settings,
                                                                       demo: Viewer) -> None:
    for pitch in (CLASH_PITCH, ALIGNED_PITCH, VANS_PITCH):
        result = rehearse(session, settings, demo, pitch)
        assert result["push_back"] or pitch is ALIGNED_PITCH  # in line with her, on her subject: nothing left out
        for point in result["push_back"]:
            row = session.get(Passage, point["citation"]["passage_id"])
            assert row is not None and row.executive and point["citation"]["quote"] in row.text
            label = point["priority"]
            assert label == row.heading or label.rstrip("…").lower() in point["citation"]["quote"].lower(), point


@ON_THE_MARGIN
def test_a_pitch_that_crosses_a_written_line_is_flagged_with_that_memo(session: Session, settings: Settings,
                                                                       demo: Viewer) -> None:
    result = rehearse(session, settings, demo, VANS_PITCH)
    clash = [p for p in result["push_back"] if p["contradicts"]]
    assert len(clash) == 1
    source = session.get(Source, clash[0]["citation"]["source_id"])
    assert source is not None
    assert "buy vans" in clash[0]["citation"]["quote"] and "charge" in clash[0]["citation"]["quote"]
    assert "Your pitch says" in clash[0]["why"]


def test_letting_dispatch_assist_allocate_loads_alone_is_flagged_with_the_dispatch_memo(
        session: Session, settings: Settings, demo: Viewer) -> None:
    result = rehearse(session, settings, demo, CLASH_PITCH)
    clash = [p for p in result["push_back"] if p["contradicts"]]
    assert clash and clash[0]["citation"]["title"] == DISPATCH_MEMO


def test_a_pitch_in_line_with_her_stance_gets_no_contradiction(session: Session, settings: Settings,
                                                               demo: Viewer) -> None:
    result = rehearse(session, settings, demo, ALIGNED_PITCH)
    assert not [p for p in result["push_back"] if p["contradicts"]]


def test_a_pitch_on_another_subject_gets_no_contradiction(session: Session, settings: Settings,
                                                          demo: Viewer) -> None:
    pitch = ("New tyres for the urban vans. Our tyre contract ends in June and three suppliers have quoted. "
             "Switching to the second supplier saves 9% and includes roadside replacement within two hours. "
             "We ask you to approve a three-year contract worth 1.2 million dollars.")
    result = rehearse(session, settings, demo, pitch)
    assert not [p for p in result["push_back"] if p["contradicts"]]


@pytest.mark.parametrize(("sentence", "title"), [
    ("New tyres for the urban vans.", True),
    ("Dispatch Assist for Marlow Junction.", True),
    ("Our tyre contract ends in June.", False),
    ("We propose electric vans for Eastgate.", False),
    ("The dealer is offering a discount.", False),
    ("Switching suppliers saves 9%.", False),
])
def test_a_short_opening_sentence_with_no_verb_is_the_pitchs_title_not_a_claim(sentence: str, title: bool) -> None:
    assert is_run_in_title(sentence) is title
    pitch = f"{sentence} We will keep the night shift as it is and report on it monthly."
    assert (sentence not in claim_sentences(pitch)) is title


def test_questions_are_ordered_by_meaning_not_shared_words(settings: Settings) -> None:
    scorer = reranker_for(settings)
    assert scorer is not None, "the embedded model ships with the install"

    def item(text: str, passage_id: int) -> BankItem:
        hit = PassageHit(passage_id=passage_id, source_id=passage_id, source_version=1, title="Review",
                         kind="transcript", date=None, locator="turn 1", speaker="Dana Reyes", executive=True,
                         text=text, heading=None, ordinal=0, score=0.0)
        return BankItem(kind=QUESTION, text=text, hit=hit, audience="everyone", stems=Counter(), prompt_stems=Counter(),
                        key=text.lower())

    bank = VisibleBank(items=[item("What's the ask, and who signs it?", 1), item("How does this affect the drivers?", 2)])
    pitch = ["The people behind the wheel would work two extra nights a month.",
             "Their shifts get longer and their rest between runs gets shorter."]
    ranked = rank_items(Counter(), bank, bank.questions, n=2, embed=scorer.embed, pitch_sentences=pitch)
    assert [r.item.text for r in ranked][0] == "How does this affect the drivers?"


@pytest.mark.parametrize("sentence, expected", [
    ("We will not buy vans that we cannot charge.", True),
    ("There is no automatic dispatch mode, and we are not building one.", True),
    ("The schedule absorbs the delay, not the driver.", True),
    ("Every serious safety incident reaches the CEO within 24 hours.", True),
    ("I will not pretend to know what dispatch looks like in 2035.", False),
    ("It has been running in trial at Calder North since December.", False),
    ("What's the ask?", False),
    # a question she reports, an explanation, an estimate, a line that only introduces a list: not positions
    ("I am asked more often now why we do not use our stronger position to buy a competitor.", False),
    ("The honest answer is that the constraint is not the vans.", False),
    ("We do not yet know whether the cause is staffing or the new system.", False),
    ("Marcus Bell's team estimates that each point of OTIF is worth about $9 million a year.", False),
    ("Before Dispatch Assist goes to another depot, four things have to be true:", False),
    # a rule for every case in the present tense, however long its subject; a fact about every case is no rule
    ("Every proposal that needs a decision comes as a written memo of no more than six pages, in full sentences.", True),
    ("Any driver whose route does not work in bad weather flags it, and the route goes back to diesel until it does.",
     True),
    ("Every quote is now checked against a cost-to-serve floor for that lane and service.", True),
    ("Every failed delivery costs us money: the second attempt, the call to customer service, the credit note.", False),
    ("Every depot thinks its way of working is special.", False),
    # "A, not B" before a clause that says why, and what something is not for
    ("Over the next two years we need more dispatchers, not fewer, because our volume and our cold chain business are "
     "growing, and cold chain dispatch is demanding work.", True),
    ("Anchor days are not for sitting on video calls in a different building.", True),
])
def test_a_stance_is_a_position_not_a_fact_or_an_aside(sentence: str, expected: bool) -> None:
    assert is_stance(sentence) is expected


def test_polarity_reads_negations_but_not_limits_on_numbers_or_side_clauses() -> None:
    assert polarity("We will not buy vans that we cannot charge.") == -1
    assert polarity("Let it release the routes with no dispatcher in the loop.") == -1
    assert polarity("Every proposal comes as a memo of no more than six pages.") == 1
    assert polarity("We should order the vans now, even though the grid won't be ready until 2027.") == 1
    claims = pitch_claims(["Short.", "We propose to buy 150 vans now for the northern depots."])
    assert [c.text for c in claims] == ["We propose to buy 150 vans now for the northern depots."]
    assert claims[0].proposal


@pytest.mark.parametrize("sentence", ["We'd like to sponsor the league's shirts next season.",
                                      "We’ll build the second cold store ourselves.",
                                      "We want a second loading crew at Calder North."])
def test_we_d_like_and_we_ll_put_a_proposal(sentence: str) -> None:
    assert pitch_claims([sentence])[0].proposal


def test_a_reading_says_what_a_sentence_holds_and_what_it_rules_out() -> None:
    assert reading("We will not buy vans that we cannot charge.").ruled_out == ("We will buy vans that we cannot charge",)
    assert reading("We will not buy vans that we cannot charge.").held == ()
    # "A, not B": B in A's place is what she rules out
    schedule = reading("So we electrify a route only when it works in the worst week of winter, not the average week.")
    assert schedule.held == ("So we electrify a route only when it works in the worst week of winter",)
    assert schedule.ruled_out == ("So we electrify a route only when it works in the average week",)
    assert said_as_contrast("The schedule absorbs the delay, not the driver.")
    assert not said_as_contrast("We will not buy vans that we cannot charge.")
    # a negation after what is proposed rules out only what follows it
    automation = reading("We propose to let Dispatch Assist allocate loads and release the routes to drivers with no "
                         "dispatcher in the loop.")
    assert automation.held == ("We propose to let Dispatch Assist allocate loads and release the routes to drivers",)
    assert automation.ruled_out == ("dispatcher in the loop",)
    memos = reading("I propose we replace the written memos for decisions with a one-page summary and a presentation.")
    assert memos.ruled_out == ("the written memos for decisions",)
    # a reason clause says why, not what
    assert reading("We should order 180 vans now, even though the grid won't be ready until 2027.").ruled_out == ()


def test_a_preference_holds_one_thing_and_rules_out_the_other() -> None:
    found = reading("I would rather have a frank talk and a fair price with an old customer than lose them to a "
                    "surprise increase.")
    assert found.held == ("I would have a frank talk and a fair price with an old customer",)
    assert found.ruled_out == ("I would lose them to a surprise increase",)
    assert both_ways("I'd rather lose a tender than win one we can't run.")
    assert reading("And I'd rather lose a tender than win one we can't run.").ruled_out == ("And I would win one we "
                                                                                           "can't run",)


# A pitch to keep customers, in our own words: in line with her preference for a frank talk over losing a customer.
KEEP_CUSTOMERS_PITCH = """Keeping the customers we have.

Customers who left us last year told us we were slow to answer the phone when something went wrong. We propose a
named account manager for each of our top 150 customers and a text message whenever a delivery is running late, so
that more of them stay."""


def test_a_pitch_in_line_with_a_preference_she_states_is_not_read_as_running_against_it(
        session: Session, settings: Settings, demo: Viewer) -> None:
    assert contradiction(rehearse(session, settings, demo, KEEP_CUSTOMERS_PITCH)) is None


def test_ending_one_thing_and_doing_another_rules_out_only_the_first() -> None:
    found = reading("I propose we drop the parallel run and cut over every depot on one weekend.")
    assert found.held == ("I propose we cut over every depot on one weekend",)
    assert found.ruled_out == ("I propose we the parallel run",)
    # ended together ("…and recruiting"), or under a negation, both are ruled out
    assert reading("We will stop filling roles from the floor and recruiting outside.").held == ()
    assert reading("We will never cut breaks and push drivers harder.").ruled_out == (
        "We will cut breaks and push drivers harder",)


# Ending one thing and proposing another in one breath, in our own words: the cutover is proposed, not ruled out; the
# internal nominations are skipped and outside graduates hired, which her exception for skills we lack does not allow.
DROP_PARALLEL_PITCH = ("Platform savings. To save money on the platform, we propose to drop the parallel-running weeks "
                       "and cut over every remaining depot on one weekend in April.")
SKIP_NOMINATIONS_PITCH = ("For the nine new shift supervisor posts at Marlow we'd like to skip the internal nominations "
                          "and bring in graduates from a management trainee scheme.")
PARALLEL_RULE_SOURCES = ("2024-06-10-one-halvorsen-platform.docx", "2025-10-27-q3-2025-scorecard.docx",
                         "2026-01-19-annual-letter-to-colleagues-2025.pdf")


def test_a_pitch_to_drop_the_parallel_run_and_cut_over_is_flagged_with_her_parallel_running_rule(
        session: Session, settings: Settings, demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, DROP_PARALLEL_PITCH))
    assert clash is not None
    assert cited_file(session, clash) in PARALLEL_RULE_SOURCES, clash


def test_skipping_internal_nominations_is_not_held_to_the_exception_for_skills_we_lack(
        session: Session, settings: Settings, demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, SKIP_NOMINATIONS_PITCH))
    assert clash is not None
    assert cited_file(session, clash) == "2025-08-04-promote-from-the-dock.docx", clash
    assert "skills we do not have" not in clash["citation"]["quote"], clash


def test_more_not_fewer_rules_out_fewer() -> None:
    assert reading("I want more of them reported, not fewer.").ruled_out == ("I want fewer of them reported",)


# Warnings for reporting near misses, in our own words: she wants more of them reported, not fewer.
NEAR_MISS_WARNING_PITCH = ("We get too many near-miss reports from a few drivers. Let's give a written warning to anyone "
                           "who reports more than four near misses in a quarter.")


def test_a_pitch_to_discourage_near_miss_reports_is_flagged_with_her_line_on_them(
        session: Session, settings: Settings, demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, NEAR_MISS_WARNING_PITCH))
    assert clash is not None and "reported, not fewer" in clash["citation"]["quote"], clash


def test_a_pitch_wrapped_over_lines_is_read_sentence_by_sentence_without_its_heading() -> None:
    found = claim_sentences(CLASH_PITCH)
    assert found[0] == "The trial shows the tool's load plans are as good as the dispatchers'."
    assert ("We propose to let Dispatch Assist allocate loads and release the routes to drivers with no dispatcher in "
            "the loop, starting in March.") in found
    assert not any(s.startswith("Dispatch Assist: full automation") for s in found)


def test_a_contrast_heading_gives_what_she_affirms_and_what_she_rules_out() -> None:
    assert heading_sides(DISPATCH_MEMO, DISPATCH_MEMO) == ("Dispatch Assist: Assistive", "Dispatch Assist: Automatic")
    assert heading_sides("We measure outcomes, not acceptance", DISPATCH_MEMO) == (
        "Dispatch Assist: We measure outcomes", "Dispatch Assist: We measure acceptance")
    assert heading_sides("Potential counts, not only polish", "Promote From the Dock") is None
    assert heading_sides("What Dispatch Assist is", DISPATCH_MEMO) is None


@pytest.mark.parametrize("sentence, context, standalone", [
    ("Ray, can you get the order in for the forty-two this week?", "asked of Ray Castillo in Review", False),
    ("What's the riskiest assumption in that, Ray?", "asked of Ray Castillo in Review", False),
    ("Ray, what's the riskiest assumption in the trailer plan?", "asked of Ray Castillo in Review", True),
    ("So here's my ask of you: would you join the driver panel for wave 2?", None, False),
    ("What would have to be true for that not to hurt the drivers we already have?", None, False),
    ("Who is the customer and what changes for them on Monday?", None, True),
    ("How will we know early?", None, True),
])
def test_who_a_question_was_put_to(sentence: str, context: str | None, standalone: bool) -> None:
    people = {"Ray": "Ray Castillo", "Ray Castillo": "Ray Castillo"}
    assert addressed(sentence, people, "Review") == (context, standalone)


def test_the_demo_corpus_gives_the_dispatch_memos_stances(session: Session, demo: Viewer) -> None:
    bank = BANKS.get(session, store.get_twin(session, "dana-reyes"))
    dispatch = {s.text: s for s in bank.stances if s.hit.title == DISPATCH_MEMO}
    stance = dispatch["There is no automatic dispatch mode, and we are not building one."]
    assert stance.label == "A human dispatcher owns every call" and stance.polarity == -1
    assert stance.sides == ("Dispatch Assist: Assistive", "Dispatch Assist: Automatic")
    assert all(s.label == s.hit.heading or s.label.rstrip("…").lower() in " ".join(s.text.split()).lower()
               for s in bank.stances)


def test_a_list_item_run_into_a_sentence_is_a_stance_of_its_own(session: Session, demo: Viewer) -> None:
    bank = BANKS.get(session, store.get_twin(session, "dana-reyes"))
    texts = {s.text for s in bank.stances}
    # the heatwave e-mail's list, flattened by its text layer: "…cold water on every truck. - No truck leaves…"
    assert "No truck leaves a depot with a failed cab air conditioner between June and September." in texts
    assert not [t for t in texts if "cold water on every truck" in t and "No truck leaves" in t]


# Pitches that propose the opposite of a stance without a "not" of their own, and one that keeps to a line's
# condition; in our own words.
ROUTES_BY_ITSELF_PITCH = """Night planning at Eastgate.

The route planner is now as good as our best planners. From June it would assign every load and send the runs to
the drivers' phones by itself, and the night dispatchers would move to the customer desk. We ask for approval to
switch it on in May."""
CUTOVER_PITCH = """Wave 3 cutover.

Running Tidewater next to the new platform costs us 40,000 dollars a month. We propose to switch Tidewater off at
every forwarding office on the day wave 3 goes live, and to fix problems as they come up."""
OUTSIDE_HIRE_PITCH = """Supervisors for the new depot.

The new depot opens in the autumn and needs eight shift supervisors. We propose to recruit experienced supervisors
from other carriers through a recruitment agency, so they can start on day one. We ask for 90,000 dollars in fees."""
VANS_ONCE_CHARGED_PITCH = """Electric vans for Quay Street.

The Quay Street grid upgrade is due in the spring. We propose to buy thirty electric vans for its city routes once
the chargers are installed and tested, and to run them on the shortest routes first. We ask for 2.4 million dollars."""


def contradiction(result: dict) -> dict | None:
    return next((p for p in result["push_back"] if p["contradicts"]), None)


def cited_file(session: Session, clash: dict) -> str | None:
    """The file name of the source a push-back point cites."""
    source = session.get(Source, clash["citation"]["source_id"])
    return source.filename if source is not None else None


@pytest.mark.parametrize(("pitch", "memo"), [
    (ROUTES_BY_ITSELF_PITCH, "2025-03-10-ai-in-dispatch.docx"),
    (OUTSIDE_HIRE_PITCH, "2025-08-04-promote-from-the-dock.docx"),
    (CUTOVER_PITCH, "2024-06-10-one-halvorsen-platform.docx"),
])
def test_a_pitch_proposing_the_opposite_without_a_negation_is_flagged_with_that_memo(
        session: Session, settings: Settings, demo: Viewer, pitch: str, memo: str) -> None:
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) == memo, clash


# Buying a company, in our own words: it runs against "Build, not buy", not against her line on subcontracting.
BUY_A_COMPANY_PITCH = """Chilled freight growth.

Growing Pier 9 one customer at a time is too slow. We propose to purchase a regional chilled-freight company this year,
with its depots, reefer fleet and hospital contracts, and fold it into our network. We ask for approval to make an
offer."""


def test_a_pitch_to_buy_a_company_is_held_to_build_not_buy_not_to_the_line_on_subcontracting(
        session: Session, settings: Settings, demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, BUY_A_COMPANY_PITCH))
    assert clash is not None
    assert cited_file(session, clash) == "2024-11-04-why-cold-chain.docx", clash
    assert "subcontract" not in clash["citation"]["quote"], clash


# Scoring each dispatcher on how often they take the tool's suggestions, in our own words; the second says it without
# "measure" and sits as near in meaning to a line in another memo (routes that work "in the average week").
SCORE_DISPATCHERS_PITCH = """Route planner uptake.

We propose to add a line to every dispatcher's appraisal showing what share of the route planner's suggestions they
took without changes. Those below 70% would get extra coaching. We ask for approval from July."""
RANK_PLANNERS_PITCH = ("To check who is really using the new route planner, we'd rank each planner by how often they go "
                       "with its first route as it comes, and put the rankings on the wall every Monday.")


@pytest.mark.parametrize("pitch", [SCORE_DISPATCHERS_PITCH, RANK_PLANNERS_PITCH])
def test_a_pitch_to_score_dispatchers_on_taking_the_tools_suggestions_is_flagged_with_the_dispatch_memo(
        session: Session, settings: Settings, demo: Viewer, pitch: str) -> None:
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) == "2025-03-10-ai-in-dispatch.docx", clash


# Outside hires for skills the company lacks, in our own words: the exception her promote-from-the-dock memo allows
# ("We will keep hiring from outside where we need skills we do not have").
OUTSIDE_SKILL_PITCHES = (
    "The new battery chargers at our depots need high-voltage electricians, and nobody on our staff is qualified for "
    "that work. We propose to recruit three licensed electricians from outside.",
    "Our pharma customers at Pier 9 want a qualified pharmacist to sign off our cold storage, a skill we don't have "
    "in-house. We'd like to hire one from outside this spring.",
)


@pytest.mark.parametrize("pitch", OUTSIDE_SKILL_PITCHES)
def test_an_outside_hire_for_a_skill_we_lack_takes_the_exception_her_memo_allows(
        session: Session, settings: Settings, demo: Viewer, pitch: str) -> None:
    assert contradiction(rehearse(session, settings, demo, pitch)) is None


# The condition put first ("Before…, we'll…", "…; only then…"), in our own words.
VANS_ONLY_THEN_PITCH = ("Before any electric vans go to Ashby Road, we'll have the chargers installed and drive the "
                        "longest routes through a cold week; only then will we order twenty vans.")


@pytest.mark.parametrize("pitch", [VANS_ONCE_CHARGED_PITCH, VANS_ONLY_THEN_PITCH])
def test_a_pitch_that_waits_for_the_condition_of_her_line_gets_no_contradiction(
        session: Session, settings: Settings, demo: Viewer, pitch: str) -> None:
    assert contradiction(rehearse(session, settings, demo, pitch)) is None


def test_which_way_a_sentence_leans_on_a_common_choice() -> None:
    from service.rehearsal.directions import CHOICES, directions, opposed

    def lean(sentence: str) -> dict[str, int]:
        found = directions(reading(sentence))
        return {CHOICES[k].name: int(found[k]) for k in range(len(CHOICES)) if found[k]}

    assert lean("We propose to acquire a rival carrier this year.") == {"build or buy a company": -1}
    assert lean("We will grow cold chain ourselves.") == {"build or buy a company": 1, "in-house or subcontracted": 1}
    # buying a company, contracting a service out and hiring a person from outside are three choices, not one
    assert lean("We will stop subcontracting chilled deliveries in the city.") == {"in-house or subcontracted": 1}
    assert lean("We propose to hire two engineers from outside.") == {"promote or hire from outside": -1}
    # each person scored on a measure, or not
    assert lean("We will not measure dispatchers by how often they accept the tool's suggestions.") == {
        "outcomes or people scored": 1}
    assert lean("We propose a league table of planners, published every Monday.") == {"outcomes or people scored": -1}
    assert lean("We will judge the trial on on-time delivery and drivers' hours.") == {}
    # a shortage names what is missing, not which way the sentence leans
    assert lean("We're short of qualified drivers for the hospital runs.") == {}
    # ruled out, it counts for the other pole
    assert lean("There is no automatic dispatch mode, and we are not building one.") == {"person or machine decides": 1}
    assert lean("Let the planner release the routes on its own.") == {"person or machine decides": -1}
    assert lean("We don't ship slides, we ship freight.") == {"written or slides": 1}
    assert lean("The sorter case is a short deck that doesn't need a written memo behind it.") == {
        "written or slides": -1}
    claims = np.array([directions(reading("We will present it live on twenty slides."))])
    stances = np.array([directions(reading("Proposals come as a written pre-read.")),
                        directions(reading("We don't ship slides, we ship freight.")),
                        directions(reading("Every serious incident reaches me within 24 hours."))])
    assert opposed(claims, stances).tolist() == [[1, 1, 0]]
    # a figure she rules out, proposed
    assert opposed(claims[:, :], stances[:1], [(99.5,)], [(99.0,)]).tolist() == [[1]]


def test_a_negation_inside_a_relative_clause_does_not_turn_the_proposal_around() -> None:
    assert polarity("We propose a night plan that does not need a dispatcher.") == 1
    found = reading("We propose a night plan that does not need a night dispatcher.")
    assert found.held == ("We propose a night plan",) and found.ruled_out == ("need a night dispatcher",)
    assert polarity("We will not buy vans that we cannot charge.") == -1


# Pitches whose background sits near one memo while their proposal crosses a line drawn in another; in our own words.
VANS_AFTER_REVENUE_PITCH = ("Pricing for new accounts. New-logo revenue is behind plan and sales wants room on the "
                            "rate card. We propose to buy 80 electric vans now for depots that will not have chargers "
                            "until 2028. We ask for approval this quarter.")
BREAKS_AFTER_FLEET_PITCH = ("Electric fleet. The electric share of the fleet is behind the scorecard target. We "
                            "propose that drivers shorten their breaks on busy days to keep routes on time. We ask for "
                            "approval this quarter.")
CAPITAL_AFTER_DISPATCH_PITCH = ("Dispatch Assist at night. The dispatch tool now plans most night routes and the "
                                "dispatchers trust it. We propose that unspent capital carries forward to next year "
                                "automatically. We ask for approval this quarter.")


@pytest.mark.parametrize(("pitch", "memo", "words"), [
    (VANS_AFTER_REVENUE_PITCH, "2025-10-27-q3-2025-scorecard.docx", ("buy vans", "charge")),
    pytest.param(BREAKS_AFTER_FLEET_PITCH, "2024-04-22-drivers-home-safe.docx", ("rest break",), marks=ON_THE_MARGIN),
    (CAPITAL_AFTER_DISPATCH_PITCH, "2026-02-09-every-dollar-earns-its-spot.docx", ("unspent capital",)),
])
def test_the_line_the_proposal_crosses_is_cited_not_the_memo_its_background_is_near(
        session: Session, settings: Settings, demo: Viewer, pitch: str, memo: str, words: tuple[str, ...]) -> None:
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) == memo, clash
    assert all(w in clash["citation"]["quote"] for w in words), clash
    assert "We propose" in clash["why"]





# Pitches that keep to her pricing floor, in our own words: nothing in them runs against her.
FLOOR_KEPT_PITCHES = (
    pytest.param("For the Kestrel Dairy renewal we'll quote a rate that covers what the lanes cost us. If they want to "
                 "pay less than that, we'd rather let the contract go than run it at a loss.", marks=ON_THE_MARGIN),
    "For the Harbour Foods tender we'll price at the floor and not a cent under. We would rather lose the tender than "
    "win it at a loss.",
    "For the Corran renewal we will show our cost line by line and keep the rate. We'd rather see the volume go than "
    "carry it at a loss.",
)


@pytest.mark.parametrize("pitch", FLOOR_KEPT_PITCHES)
def test_a_pitch_that_keeps_to_the_pricing_floor_is_not_flagged(session: Session, settings: Settings, demo: Viewer,
                                                                 pitch: str) -> None:
    # Neither "If we price it below what it costs us…, one of two things happens: we lose money…" (what happens,
    # not a position) nor "…stop chasing new logos with prices that do not cover the cost" (which rules out pricing
    # below cost, not at it) may be read as running against a pitch that will not go below the floor.
    assert contradiction(rehearse(session, settings, demo, pitch)) is None


def test_what_happens_if_something_is_done_is_not_a_stance() -> None:
    assert not is_stance("If we price a lane below what it costs us, one of two things happens: we lose money on it "
                         "or the service slips.")
    assert is_stance("If a depot is not certified, we do not send it pharma freight.")


def test_prices_that_do_not_cover_the_cost_are_below_it() -> None:
    price = [c.name for c in CHOICES].index("price above or below cost")
    assert directions(reading("We will stop winning customers with prices that do not cover the cost."))[price] == 1
    assert directions(reading("We should win them with prices that don't cover the cost."))[price] == -1
    assert directions(reading("We should win them with prices that cover the cost."))[price] == 1


# A pitch that leans "later" on reporting, in our own words; her memo "Drivers Home Safe: The 24-Hour Rule for Serious
# Incidents" has a section on rest breaks that says nothing about when things are reported.
MONTHLY_SAFETY_SUMMARY_PITCH = ("Drivers tell us weekly safety reports pile up unread. We'd like to replace them with a "
                                "monthly summary for each depot, sent at the end of the month.")


def test_a_memo_subtitle_does_not_lean_every_stance_in_the_memo(session: Session, settings: Settings,
                                                                 demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, MONTHLY_SAFETY_SUMMARY_PITCH))
    assert clash is None or "rest break" not in clash["citation"]["quote"], clash
    now_or_later = [c.name for c in CHOICES].index("now or later")
    title = "Drivers Home Safe: The 24-Hour Rule for Serious Incidents"
    assert directions(stance_parts("Our on-time target will never be met by cutting a rest break.",
                                   "What will change for drivers", title))[now_or_later] == 0
    # a title put as a contrast, or its main part, still says which way every stance of the memo leans
    promote = [c.name for c in CHOICES].index("promote or hire from outside")
    assert directions(stance_parts("We will stop requiring a degree for any supervisor role.", "What we are going to "
                                   "stop", "Promote From the Dock: How We Fill Leadership Roles"))[promote] == 1


# Readings a person gives a pitch in everyday words (issue 17), each pitch in our own wording.
PULL_THE_PLUG_PITCH = ("Running the old warehouse system next to the new platform costs us a fortune. Our plan is to pull "
                       "the plug on the old system the week the new platform goes live at Marlow.")
LATE_INCIDENT_PITCH = ("When a driver is hurt in a serious collision, we'd give the depot two weeks to send the write-up "
                       "to head office, so nothing is rushed.")
MORE_NEAR_MISSES_PITCH = ("We'd like drivers to report more near misses, so we propose a near-miss card in every cab and a "
                          "thank-you note each month to the depot that sends in the most.")
PRICE_AS_CONDITION_PITCH = ("Our biggest retailer will sign a three-year deal if we quote eight percent under what their "
                            "lanes cost us. That volume is worth it.")
WIN_BACK_MINUTES_PITCH = ("The late loads at Eastgate keep costing us slots. We'd like to pay a bonus each month to the "
                          "drivers who win back the most minutes on the road after a late departure.")
LOSING_RATE_PITCH = ("A new bakery chain wants one carrier for its forty shops. We'd offer them a rate that loses us a "
                     "little on each drop for the first year to get in.")
STRAIGHT_TO_DRIVERS_PITCH = ("The new planning system has been reliable for months. From April we'd let it send each "
                             "night's routes straight to the drivers' handhelds and move the night dispatchers onto days.")
CENTRAL_SIGN_OFF_PITCH = ("Depot managers are buying dock equipment with nobody checking. From July, any depot spend above "
                          "5,000 dollars should need a formal business case approved by head office finance.")
LOWER_SHARE_PITCH = ("Grid approvals keep slipping, so we'd like to cut the electric share in next year's fleet plan from "
                     "40% to 32% and report against the new figure from now on.")
SKIP_BREAK_PITCH = ("Over the Easter peak, drivers could skip their lunch break and take it at the end of the shift "
                    "instead, so each route fits one more drop.")
# Background only: a fact about vans arriving is not a proposal to buy vans the depot cannot charge.
VANS_ARRIVE_PITCH = ("The new electric vans for Eastgate arrive in May. Once they are running well we will end the "
                     "contract with the courier that handles our chilled city drops.")
# …unless the proposal acts on what it names: "…at last year's price. We'd like to order them now…".
ORDER_THEM_PITCH = ("The van dealer has eighty electric vans at last year's price. We'd like to order them now for Ashby "
                    "Road and keep them in the yard until the grid connection is done.")
MAKE_UP_TIME_SOURCES = ("2024-04-22-drivers-home-safe.docx", "2024-02-26-why-97-percent.docx",
                        "2025-10-20-q3-2025-qbr-transcript.txt", "2024-05-06-re-weekend-dispatch-outage.eml",
                        "2024-03-04-strategy-2024-2026-board-approved-summary.pdf",
                        "2024-09-27-drivers-academy-graduation.md", "2025-06-23-heatwave-thank-you-drivers.eml",
                        "2025-10-08-customer-forum-talk.md", "2025-03-10-ai-in-dispatch.docx",
                        "2026-01-19-annual-letter-to-colleagues-2025.pdf", "2025-01-30-town-hall-keynote.md",
                        "2025-01-30-town-hall-qa-transcript.txt")
VANS_RULE_SOURCES = ("2025-05-19-fleet-electrification-timing.docx", "2025-10-20-q3-2025-qbr-transcript.txt",
                     "2025-10-27-q3-2025-scorecard.docx", "2026-01-19-annual-letter-to-colleagues-2025.pdf",
                     "2024-07-29-q2-2024-scorecard.docx", "2025-01-30-town-hall-qa-transcript.txt")
INCIDENT_RULE_SOURCES = ("2024-04-22-drivers-home-safe.docx", "2025-01-30-town-hall-qa-transcript.txt",
                         "2025-06-23-heatwave-thank-you-drivers.eml", "2024-02-05-reliable-first-then-fast.docx",
                         "2026-01-19-annual-letter-to-colleagues-2025.pdf", "2025-01-30-town-hall-keynote.md")
PRICE_FLOOR_SOURCES = ("2025-01-13-pricing-discipline.docx", "2024-10-14-re-brightwell-bid.eml",
                       "2025-10-20-q3-2025-qbr-transcript.txt", "2024-02-05-reliable-first-then-fast.docx",
                       "2024-03-04-strategy-2024-2026-board-approved-summary.pdf",
                       "2026-01-19-annual-letter-to-colleagues-2025.pdf")


def test_pulling_the_plug_on_the_old_system_is_cutting_over() -> None:
    cut_over = next(k for k, c in enumerate(CHOICES) if c.name == "in parallel or cut over")
    assert directions(reading("We will pull the plug on the old system the day the new one starts."))[cut_over] == -1
    assert pitch_claims(["My plan is to pull the plug on the old system in March."])[0].proposal


@pytest.mark.parametrize(("pitch", "sources"), [
    (PULL_THE_PLUG_PITCH, PARALLEL_RULE_SOURCES),
    (LATE_INCIDENT_PITCH, INCIDENT_RULE_SOURCES),
    (PRICE_AS_CONDITION_PITCH, PRICE_FLOOR_SOURCES),
    (WIN_BACK_MINUTES_PITCH, MAKE_UP_TIME_SOURCES),
    (LOSING_RATE_PITCH, PRICE_FLOOR_SOURCES),
    (ORDER_THEM_PITCH, VANS_RULE_SOURCES),
    (STRAIGHT_TO_DRIVERS_PITCH, ("2025-03-10-ai-in-dispatch.docx",)),
    (CENTRAL_SIGN_OFF_PITCH, ("2026-02-09-every-dollar-earns-its-spot.docx",)),
    pytest.param(LOWER_SHARE_PITCH, VANS_RULE_SOURCES, marks=ON_THE_MARGIN),
    (SKIP_BREAK_PITCH, MAKE_UP_TIME_SOURCES),
])
def test_a_pitch_in_everyday_words_is_flagged_with_the_line_it_crosses(
        session: Session, settings: Settings, demo: Viewer, pitch: str, sources: tuple[str, ...]) -> None:
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) in sources, clash


def test_a_pitch_to_get_more_near_misses_reported_keeps_to_more_not_fewer(
        session: Session, settings: Settings, demo: Viewer) -> None:
    assert held_comparative("I want more of them reported, not fewer.") == "more"
    assert reading("I want more of them reported, not fewer.").held == ("I want more of them reported",)
    assert contradiction(rehearse(session, settings, demo, MORE_NEAR_MISSES_PITCH)) is None


def test_a_fact_in_the_background_of_a_pitch_runs_against_no_line(
        session: Session, settings: Settings, demo: Viewer) -> None:
    assert contradiction(rehearse(session, settings, demo, VANS_ARRIVE_PITCH)) is None


# Judging a tool by on-time delivery and drivers' hours is what her dispatch memo commits to ("We will measure the
# tool, and the dispatch team, by on-time in full, by drivers' hours…"), not asking drivers to make up time.
JUDGED_BY_OUTCOMES_PITCHES = (
    "We want to bring the planning tool to Ashby Road. It would shadow the dispatchers for a month, they would get paid "
    "training first, and every route it suggests would still be approved or changed by the dispatcher on shift. We will "
    "judge it on on-time delivery and drivers' hours.",
    pytest.param("We propose to extend the route planner to Eastgate. We will judge it by on-time delivery and by "
                 "drivers' hours.", marks=ON_THE_MARGIN),
)


def test_a_commitment_to_measure_by_outcomes_is_a_stance() -> None:
    assert is_stance("We will measure the tool, and the dispatch team, by on-time in full and by drivers' hours.")
    assert not is_stance("We measured the tool by hand last year.")


@pytest.mark.parametrize("pitch", JUDGED_BY_OUTCOMES_PITCHES)
def test_a_pitch_judged_by_the_outcomes_she_measures_gets_no_contradiction(
        session: Session, settings: Settings, demo: Viewer, pitch: str) -> None:
    assert contradiction(rehearse(session, settings, demo, pitch)) is None



@pytest.mark.parametrize(("sentence", "expected"), [
    # a rule word inside a clause that describes a noun, or "stays" said of a customer: no position of hers
    ("A new customer who only stays while we lose money is not growth.", False),
    ("A customer who never has to think about us is a customer who renews.", False),
    ("It is mostly good ideas that have not yet shown us what would have to be true for them to work.", False),
    # a preference put as "I'd rather A than B", and a target that stays where it is: positions
    ("I'd rather lose those tenants than buy them.", True),
    ("The target stays at forty, and we don't buy a single van we can't charge.", True),
    ("Then the other condition is that no Ashby driver makes up that time on the road.", True),
])
def test_a_rule_word_in_a_clause_about_a_noun_makes_no_stance(sentence: str, expected: bool) -> None:
    assert is_stance(sentence) is expected


def test_a_line_drawn_under_a_condition_names_it() -> None:
    assert opening_condition("If it slips, I will tell you, and we will not fill the gap by putting vans on routes "
                             "that do not work.") == "If it slips"
    assert opening_condition("We will not buy vans that we cannot charge.") == ""


@pytest.mark.parametrize("sentence", ["I'd go straight to a search firm for the Eastgate job.",
                                      "We'd put those three routes back on diesel until spring."])
def test_what_the_speaker_would_do_is_a_proposal(sentence: str) -> None:
    assert pitch_claims([sentence])[0].proposal


def test_a_figure_moved_from_one_value_to_another_proposes_the_second() -> None:
    assert moved_to("I'd raise the on-time goal from 97 to 99.5 across the network.") == (99.5,)
    assert moved_to("Lower the share from 40% to 30% next year.") == (30.0,)
    assert moved_to("We moved 40 pallets to Pier 9.") == ()


# Plain proposals on her subjects that cross no line of hers: van seats are not a case of the grid upgrade slipping
# (her line "If it slips, … we will not fill the gap by putting vans on routes that do not work" holds only then), and
# putting a route back on diesel until a van can do it in the worst week of winter is her own rule, not a crossing.
IN_LINE_VAN_PITCHES = (
    "Drivers say the seats in our older vans hurt their backs on long rounds. We'd refit them across the fleet over the "
    "winter, one depot at a time, for about 80,000 dollars.",
    "Two outer routes at Eastgate ran short of charge in the January cold. We'd move those routes back to diesel until a "
    "van can handle them in the worst week of winter.",
)


@pytest.mark.parametrize("pitch", IN_LINE_VAN_PITCHES)
def test_a_van_pitch_that_crosses_no_line_gets_no_contradiction(
        session: Session, settings: Settings, demo: Viewer, pitch: str) -> None:
    assert contradiction(rehearse(session, settings, demo, pitch)) is None


def test_a_pitch_to_raise_the_on_time_goal_above_97_is_flagged_with_her_line_on_it(
        session: Session, settings: Settings, demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, "Customers want us never to be late. I'd lift our on-time "
                                   "goal from 97 to 99.5 across the whole network next year and advertise it."))
    assert clash is not None
    assert cited_file(session, clash) in ("2024-02-26-why-97-percent.docx", "2025-01-30-town-hall-qa-transcript.txt"), clash


# A proposal doing what a line rules out, read from the line's action and object ("the customer portal redesign",
# "truck leaves a depot with a failed cab air conditioner") rather than from its negations; going ahead while the pitch
# says the line's condition is not met yet ("hasn't been certified… the certificate sorted afterwards").
CROSSED_ACTION_PITCHES = (
    ("Customers say our tracking pages look old-fashioned. I'd kick off the portal redesign again next month with a "
     "design agency, ahead of the forwarding move.", "2026-01-19-annual-letter-to-colleagues-2025.pdf"),
    ("Summer is coming and spare parts are slow. I'd allow trucks whose cab air conditioning has broken to keep doing "
     "short morning runs until the part arrives.", "2025-06-23-heatwave-thank-you-drivers.eml"),
    ("Corvane wants pharma pallets through Marlow Junction from next week. Marlow hasn't been certified for medicines "
     "yet, so I'd take the pallets now and get the certificate sorted afterwards.", "2024-11-04-why-cold-chain.docx"),
)


@pytest.mark.parametrize(("pitch", "memo"), CROSSED_ACTION_PITCHES)
def test_a_proposal_doing_what_a_line_rules_out_is_flagged_with_that_line(
        session: Session, settings: Settings, demo: Viewer, pitch: str, memo: str) -> None:
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) == memo


def test_switching_off_after_the_parallel_run_has_held_keeps_to_her_rule(
        session: Session, settings: Settings, demo: Viewer) -> None:
    pitch = ("At the quay we'd run the old forwarding system next to the new platform until on-time there has held at "
             "its old level for four weeks, then switch it off.")
    assert contradiction(rehearse(session, settings, demo, pitch)) is None


@pytest.mark.parametrize(("sentence", "expected"), [
    # a preference she states, and a judgement that something is not ready, are positions without a rule word
    ("I would like every office team to spend at least one anchor day a month at a depot.", True),
    ("Electric tractors for long-haul are not ready for our lanes at a price that earns its place.", True),
    ("The new handheld app isn't ready for the basement car parks yet.", True),
    # what she wants to say is not a position
    ("I want to tell you a short story about a pallet.", False),
])
def test_a_preference_or_a_thing_not_ready_is_a_stance_without_a_rule_word(sentence: str, expected: bool) -> None:
    assert is_stance(sentence) is expected


def test_a_sentence_opening_with_instead_of_proposes_what_follows_the_comma() -> None:
    found = reading("Instead of the weekly status call, each director sends a one-page written note by Friday.")
    assert found.ruled_out == ("the weekly status call",)
    assert found.held == ("each director sends a one-page written note by Friday",)


def test_written_notes_instead_of_a_status_call_keep_to_her_meetings_memo(
        session: Session, settings: Settings, demo: Viewer) -> None:
    pitch = ("Instead of the weekly status call, each director sends a one-page written note by Friday, and we only "
             "meet when there is a decision to take.")
    assert contradiction(rehearse(session, settings, demo, pitch)) is None


def test_a_pitch_put_only_as_questions_is_read_by_meaning_and_not_flagged_by_shared_words(
        session: Session, settings: Settings, demo: Viewer, caplog: pytest.LogCaptureFixture) -> None:
    pitch = ("Could the finance team spend one of their office days each month at a depot with the shift leads? "
             "Would that help them see what the cost numbers look like in the yard?")
    with caplog.at_level("WARNING"):
        result = rehearse(session, settings, demo, pitch)
    assert contradiction(result) is None
    assert "using words" not in caplog.text


# --- figures against the limits she sets, and proposals put as questions ------------------------------------------

def test_a_limit_she_sets_in_figures_is_read_with_its_measure() -> None:
    assert limits("From today, every serious safety incident reaches me within 24 hours.") == (
        Limit("hours", 24.0, at_most=True),)
    assert limits("Each wave has to run in parallel with the old system for at least two weeks.") == (
        Limit("hours", 336.0, at_most=False),)
    # ruling out what comes before a time of day sets the earliest
    assert limits("We will stop scheduling internal meetings before 9:30 on anchor days.") == (
        Limit("clock", 570.0, at_most=False),)
    assert proposed_quantities("Sites would get 72 hours and a 15-minute call.") == (
        Quantity("hours", 72.0), Quantity("hours", 0.25))
    day = (Limit("hours", 24.0, at_most=True),)
    assert limit_leanings([(Quantity("hours", 72.0),), (Quantity("hours", 12.0),), ()], [day]).tolist() == [
        [1], [-1], [0]]
    # a figure of another size altogether is about something else: two-hour runs against two weeks of parallel running
    assert limit_leanings([(Quantity("hours", 2.0),)], [(Limit("hours", 336.0, at_most=False),)]).tolist() == [[0]]


@pytest.mark.parametrize(("pitch", "sources"), [
    ("Writing up a serious incident properly takes time. I'd let depot managers take up to three days before the "
     "report goes to the chief executive, so it arrives with the investigation done.",
     (*INCIDENT_RULE_SOURCES, "2024-03-04-strategy-2024-2026-board-approved-summary.pdf")),
    ("The road depots know the new platform well by now. For the final wave we'd keep the old system running beside "
     "it for four days only, then switch it off.", PARALLEL_RULE_SOURCES),
])
def test_a_figure_past_a_limit_she_sets_is_flagged_with_that_limit(
        session: Session, settings: Settings, demo: Viewer, pitch: str, sources: tuple[str, ...]) -> None:
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) in sources, clash


def test_a_figure_inside_her_limit_is_not_flagged(session: Session, settings: Settings, demo: Viewer) -> None:
    pitch = ("For the final wave we'd keep the old system running beside the new platform for five weeks, and only "
             "switch it off when on-time at each depot is back where it was.")
    assert contradiction(rehearse(session, settings, demo, pitch)) is None


@pytest.mark.parametrize(("question", "statement"), [
    ("Why don't we let the planning tool release the night routes by itself?",
     "We should let the planning tool release the night routes by itself."),
    ("It would fill the spare trailers, so why not bid?", "It would fill the spare trailers, so we should bid."),
    ("Is there any reason the new drivers couldn't learn the app on their first shift?",
     "The new drivers should learn the app on their first shift."),
    ("What is the budget for the training?", None),
    ("How does this affect the drivers?", None),
])
def test_a_proposal_put_as_a_question_is_read_as_what_it_proposes(question: str, statement: str | None) -> None:
    assert asked_proposal(question) == statement


def test_a_proposal_put_as_a_question_is_flagged_and_quoted_as_asked(
        session: Session, settings: Settings, demo: Viewer) -> None:
    pitch = ("The night dispatchers at Eastgate are stretched thin. Why don't we let the planning tool send the "
             "overnight routes straight to the drivers, with nobody signing them off?")
    claims = pitch_claims(claim_sentences(pitch))
    assert [c.wording for c in claims][-1].endswith("with nobody signing them off?")
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) == "2025-03-10-ai-in-dispatch.docx", clash
    assert "Why don" in clash["why"]


MATCH_DISCOUNT_PITCH = ("Rivet Freight has undercut us on the Northgate lanes by 15 %. I propose we match it: a 15 % "
                        "discount on those lanes from the next renewal. If volumes drop below 80 % of the forecast, we "
                        "would reopen the price. That keeps the account and the volume.")


def test_a_push_back_quotes_the_pitch_sentence_that_proposes_what_her_line_rules_out(
        session: Session, settings: Settings, demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, MATCH_DISCOUNT_PITCH))
    assert clash is not None and cited_file(session, clash) == "2025-01-13-pricing-discipline.docx"
    assert "matching a competitor's price" in clash["citation"]["quote"]
    assert "I propose we match it: a 15 % discount" in clash["why"]
    assert "reopen the price" not in clash["why"]


WIN_TIME_BACK_PITCH = ("When a driver is held up for an hour at a customer's dock, dispatch could ask them to win some of "
                       "it back on the way to the next drops. That keeps the afternoon windows on track for the customers.")
SCHEDULE_ABSORBS_PITCH = ("When a driver is held up for an hour at a customer's dock, dispatch moves the next windows and "
                          "tells the customers. The driver takes the breaks as planned.")


def test_what_dispatch_could_ask_of_a_driver_is_a_suggestion_held_to_her_line_on_making_up_time(
        session: Session, settings: Settings, demo: Viewer) -> None:
    clash = contradiction(rehearse(session, settings, demo, WIN_TIME_BACK_PITCH))
    assert clash is not None and cited_file(session, clash) == "2024-04-22-drivers-home-safe.docx"
    assert "make up time" in clash["citation"]["quote"]
    assert contradiction(rehearse(session, settings, demo, SCHEDULE_ABSORBS_PITCH)) is None


LINE_UNDER_A_CONTRAST_TITLE = {
    "Customer newsletter, spring issue.\n\nIn the newsletter, let's describe the planning tool at Calder North as AI "
    "dispatch. It sounds modern, and customers ask us about AI all the time.": "describing any of this",
    "Routes at Eastgate.\n\nDrivers at Eastgate keep arguing with the routes the tool builds. I'd tell them that once a "
    "route is on the handheld they drive it as planned, even if they think it's wrong, because the system knows more "
    "than they do.": "never be asked to follow a route",
}


@pytest.mark.parametrize("pitch", list(LINE_UNDER_A_CONTRAST_TITLE))
def test_a_line_she_draws_in_so_many_words_holds_under_her_memos_contrast_title(
        session: Session, settings: Settings, demo: Viewer, pitch: str) -> None:
    # Under "Dispatch Assist: Assistive, Not Automatic" a proposal was read only by whether it leaned to "automatic":
    # calling the tool "AI dispatch", or making drivers follow its routes, crossed lines she draws in so many words
    # ("we will stop describing any of this… as 'AI dispatch'", "A driver should never be asked to follow a route
    # because 'the system says so'") and went unflagged.
    result = rehearse(session, settings, demo, pitch)
    clash = [p for p in result["push_back"] if p["contradicts"]]
    assert len(clash) == 1
    source = session.get(Source, clash[0]["citation"]["source_id"])
    assert source is not None and source.title == DISPATCH_MEMO
    assert LINE_UNDER_A_CONTRAST_TITLE[pitch] in clash[0]["citation"]["quote"]


def test_a_pitch_in_line_with_the_dispatch_memo_still_gets_no_contradiction(
        session: Session, settings: Settings, demo: Viewer) -> None:
    pitch = ("Dispatch Assist at Ashby Road.\n\nI'd like Ashby Road's dispatchers to try the tool in shadow mode for a "
             "month, once the depot has been stable on the platform for eight weeks. The dispatcher on shift decides "
             "on every route, and we'll judge the tool on on-time in full and drivers' hours.")
    result = rehearse(session, settings, demo, pitch)
    assert not [p for p in result["push_back"] if p["contradicts"]]


def test_a_proposal_that_narrows_to_some_cases_what_she_holds_for_every_case_is_flagged(
        session: Session, settings: Settings, demo: Viewer) -> None:
    # Same polarity, no negation: "only people who put their own names forward" against "I would like every depot to
    # nominate at least two people a year, and … at least a third of nominees to be people who did not put themselves
    # forward".
    pitch = ("Dock to Desk nominations for next year.\n\nI'd like depots to nominate only people who have put their own "
             "names forward for Dock to Desk. That way everyone on the programme really wants to be there.")
    clash = [p for p in rehearse(session, settings, demo, pitch)["push_back"] if p["contradicts"]]
    assert len(clash) == 1
    source = session.get(Source, clash[0]["citation"]["source_id"])
    assert source is not None and source.filename == "2025-08-04-promote-from-the-dock.docx"
    assert "every depot to nominate" in clash[0]["citation"]["quote"]


def test_not_only_is_no_narrowing(session: Session, settings: Settings, demo: Viewer) -> None:
    pitch = ("Customer reports.\n\nFrom next month we'll send every customer, not only the big accounts, their "
             "on-time figure for their own lanes, in good months and bad. The account managers will walk them through it.")
    assert not [p for p in rehearse(session, settings, demo, pitch)["push_back"] if p["contradicts"]]


# --- targets she sets in percentages, and whose figure a line rules out -------------------------------------------

def test_a_target_she_sets_in_a_percentage_is_a_stance_bounding_what_its_clause_names() -> None:
    # No modal, yet a position: a pitch proposing a lower figure for the same thing runs against it.
    assert is_stance("Our target is 94% by 2026.") and target_only("Our target is 94% by 2026.")
    assert limits("Our target is 94% by 2026.") == (Limit("percent", 94.0, at_most=False),)
    cold = ("Cold chain at 18% of revenue by the end of 2026, with on-time in full above 98% on cold chain lanes, "
            "higher than the company target, because the customer's tolerance is lower.")
    assert is_stance(cold)
    assert [(limit.value, limit.clause) for limit in limits(cold)] == [
        (98.0, "with on-time in full above 98% on cold chain lanes")]
    # saying that she will explain a target is no target set
    assert not states_target("Three weeks ago I promised to explain why our on-time in full target is 97%.")
    # a line with a rule word of its own is more than its target
    assert not target_only("By the end of 2025 we will be above 97%, and we will stay there.")


def test_percentages_far_apart_are_shares_of_different_things() -> None:
    # a ten percent discount says nothing against a 94% retention target; 92% does
    target = [(Limit("percent", 94.0, at_most=False),)]
    assert limit_leanings([(Quantity("percent", 10.0),), (Quantity("percent", 92.0),)], target).tolist() == [[0], [1]]


def test_a_figure_a_stance_holds_is_not_one_it_rules_out() -> None:
    # "…, not on average" rules out an average; its ruled-out side is read with the 97 in it, which it holds
    sentence = "Our priorities: • Hold on-time in full above 97% in every quarter, not on average."
    assert ruled_figures(stance_parts(sentence, "2026: what we will do, and what we will stop", None)) == ()
    assert ruled_figures(stance_parts("We hold 97%, not 99.", None, None)) == (99.0,)


COLD_CHAIN_TARGET_SOURCES = ("2024-11-04-why-cold-chain.docx", "2025-10-08-customer-forum-talk.md",
                             "2024-02-26-why-97-percent.docx", "2025-01-30-town-hall-qa-transcript.txt")


def test_a_pitch_holding_the_cold_chain_lanes_to_the_company_figure_is_flagged_with_her_higher_target(
        session: Session, settings: Settings, demo: Viewer) -> None:
    # Same polarity: she holds the cold chain lanes above 98%, the pitch sets them the network's 96%.
    pitch = ("Pharma lanes target.\n\nPier 9's lanes keep getting measured against a stricter bar than the road depots. "
             "I propose the medicine runs share the network's 96% on-time goal from January, so every depot reports "
             "against one number.")
    clash = contradiction(rehearse(session, settings, demo, pitch))
    assert clash is not None
    assert cited_file(session, clash) in COLD_CHAIN_TARGET_SOURCES, clash


@pytest.mark.parametrize("pitch", [
    # her own figures, restated: above 98% on the pharma lanes is not the 99 she rules out for the company's target
    "Cold chain lanes.\n\nFor Pier 9 I'd hold the pharma lanes above 98.5% on time next year, with the old trailers "
    "kept off medicine runs.",
    # above 97% every quarter is her line, not the average she rules out
    "Ashby Road plan.\n\nI'd like Ashby Road back above 97% on time and in full by the spring, and held there every "
    "quarter. The shift leads will read every reason code each morning and fix the late departures first.",
    # a target above hers in the same measure keeps to it
    "Retention.\n\nFor the renewals next year I'd like us to keep 95% of our revenue from existing customers, with an "
    "open cost-to-serve conversation at every renewal.",
])
def test_a_pitch_restating_her_figures_gets_no_contradiction(
        session: Session, settings: Settings, demo: Viewer, pitch: str) -> None:
    assert contradiction(rehearse(session, settings, demo, pitch)) is None
