"""A fair scorecard and rounds that listen (issue 17), on the demo corpus with the embedded sentence model: figures,
risks and quotes read as written; an on-point answer accepted; an off-point one followed up on what is missing; a
one-line pitch asked for more."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingestion.pipeline import parse_bytes
from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Rehearsal
from service.errors import PitchTooShort
from service.rehearsal import answer_turn, start_rehearsal
from service.rehearsal.bank import BANKS, QUESTION
from service.rehearsal.engine import _usable_bank
from service.rehearsal.pitch import analyse_pitch, find_figures
from service.rehearsal.rounds import SAME_POINT, assess, item_ref
from service.search.encoder import local_encoder
from service.twin.persona import persona_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes"
# The pasted pharmacy-delivery pitch of the issue, with its figures, its kill criterion and its names.
PHARMACY_PITCH = """Pharmacy delivery from Eastgate: a pitch to the executive team

Today 9,140 prescriptions a month leave our partner pharmacies by courier, and 2 in 8 arrive late. We propose to \
carry them ourselves from Eastgate, on the night window 22:00–05:00, when our vans stand idle. Our pilot with two \
stores showed a late rate of 3.1%, against 12% for the courier.
Dispatch Assist would plan the routes and a dispatcher at Eastgate would confirm each run.
We would start with 8–12 stores over 8–12 weeks, at a cost of $2.4m in the first year, and €120k for cold boxes.
We would pause new stores if on-time-in-full drops below 97 %, and return the routes to the courier until we fix it.
We ask you to approve the first phase by 30 June.
"""
RISKIEST = "riskiest assumption"


@pytest.fixture
def demo(session: Session) -> Viewer:
    """The demo twin (examples/dana-reyes) ingested as `understudy demo` does; an employee who rehearses."""
    BANKS.clear()
    spec = tomllib.loads((EXAMPLES / "twin.toml").read_text())
    twin = store.create_twin(session, "dana-reyes", spec["name"], title=spec["title"],
                             speaker_labels=spec["speaker_labels"])
    store.record_consent(session, "dana-reyes", by="Dana Reyes", scope="tests")
    for batch in spec["batches"]:
        for path in sorted(EXAMPLES.glob(batch["path"])):
            labels = [batch["speaker"]] if batch.get("speaker") else spec["speaker_labels"]
            doc = parse_bytes(path.read_bytes(), path.name, kind=batch["kind"], speaker_labels=labels)
            store.add_source(session, twin, doc, audience=batch["audience"], approve=True)
    user, _ = store.add_user(session, "employee@halvorsen.example", role="employee")
    session.commit()
    return store.viewer_for(user)


def test_figures_are_read_as_a_person_reads_them() -> None:
    figures = [f.text for f in find_figures(PHARMACY_PITCH)]
    for written in ("9,140", "2 in 8", "22:00–05:00", "3.1%", "12%", "8–12 stores", "8–12 weeks", "$2.4m", "€120k",
                    "97 %", "30 June"):
        assert written in figures
    # The misreadings: thousands and times split at their separators.
    assert not {"9", "9,", "140", "22", "00", "05", "00,", "05:00"} & set(figures)
    kinds = {f.text: f.kind for f in find_figures(PHARMACY_PITCH)}
    assert (kinds["$2.4m"], kinds["€120k"], kinds["22:00–05:00"], kinds["3.1%"], kinds["8–12 weeks"]) == (
        "money", "money", "time", "percent", "range")


def test_a_kill_criterion_in_plain_words_is_a_risk_with_its_mitigation() -> None:
    analysis = analyse_pitch(PHARMACY_PITCH, embed=local_encoder().encode)
    kill = ("We would pause new stores if on-time-in-full drops below 97 %, and return the routes to the courier "
            "until we fix it.")
    assert kill in analysis.risk_sentences and kill in analysis.mitigation_sentences
    assert analysis.kill_criteria == [kill]
    # Figures and plans are not risks.
    assert not any("9,140" in s or "approve" in s for s in analysis.risk_sentences)


def test_the_scorecard_quotes_the_pitch_as_written_and_explains_every_score(session: Session, settings: Settings,
                                                                            demo: Viewer) -> None:
    result = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=PHARMACY_PITCH).to_dict()
    criteria = {c["key"]: c for c in result["scorecard"]["criteria"]}
    risks = criteria["risks"]
    assert risks["score"] == 5, risks["reason"]
    assert "We would pause new stores if on-time-in-full drops below 97 %" in risks["reason"]
    assert "No risks" not in risks["reason"]
    evidence = criteria["evidence"]["reason"]
    assert "(9,140; 2 in 8; 22:00–05:00;" in evidence and "(9,," not in evidence
    flat = " ".join(PHARMACY_PITCH.split())
    for criterion in result["scorecard"]["criteria"]:
        if criterion["score"] > 0 and criterion["key"] != "length":
            assert criterion["quotes"], f"{criterion['key']} is scored without the words it relied on"
        for quoted in criterion["quotes"]:
            assert quoted in flat, f"{quoted!r} is not the pitch as written"
    everything = " ".join(c["reason"] + " " + " ".join(c["quotes"]) for c in result["scorecard"]["criteria"])
    assert "dispatch assist" not in everything and "eastgate" not in everything  # never lowercased
    assert "Dispatch Assist" in everything or "Eastgate" in everything
    assert "9,140" in result["analysis"]["numbers"] and "$2.4m" in result["analysis"]["numbers"]


def _put_on_the_table(session: Session, settings: Settings, viewer: Viewer, rehearsal_id: int, words: str) -> str:
    """Make the executive's own question containing `words` the one on the table, as the first round would."""
    row = session.get(Rehearsal, rehearsal_id)
    assert row is not None
    twin = store.get_twin(session, "dana-reyes")
    bank = _usable_bank(session, twin, viewer, persona_settings(twin))
    # Any question of hers, even one the rehearsal would not choose (one bound to its meeting): this is about judging.
    item = next(i for i in bank.items if i.kind == QUESTION and words in i.text.lower())
    row.state = {**row.state, "pending": item_ref(item), "asked": [item.key]}
    session.commit()
    return item.text


def test_a_concise_on_point_answer_about_the_riskiest_assumption_is_accepted(session: Session, settings: Settings,
                                                                            demo: Viewer) -> None:
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=PHARMACY_PITCH)
    session.commit()
    question = _put_on_the_table(session, settings, demo, started.rehearsal_id, RISKIEST)
    turn_reply = ("That pharmacies have orders packed by 22:00. We'll know in the first two weeks from the "
                  "ready-on-time rate; below 90% we stop adding stores.")
    turn = answer_turn(session, settings, started.rehearsal_id, demo, turn_reply).to_dict()
    assert turn["reaction"] in ("accept", "summary") and turn["text"].startswith("That answers it."), turn["text"]
    assert "Walk me through it properly" not in turn["text"]
    row = session.get(Rehearsal, started.rehearsal_id)
    assert row is not None
    history = row.state["history"]
    # (with the passage the question was asked from: the summary cites it there)
    assert isinstance(history[-1].pop("passage_id"), int)
    assert history[-1] == {"round": 1, "question": question, "reply": turn_reply, "accepted": True, "gap": None,
                           "missing": []}


def test_an_answer_that_misses_part_of_the_question_gets_a_follow_up_naming_what_is_missing(
        session: Session, settings: Settings, demo: Viewer) -> None:
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=PHARMACY_PITCH)
    session.commit()
    _put_on_the_table(session, settings, demo, started.rehearsal_id, RISKIEST)
    turn = answer_turn(session, settings, started.rehearsal_id, demo,
                       "We have thought about it a lot and the team is really confident it will work.").to_dict()
    assert turn["reaction"] == "follow_up"
    assert turn["text"].startswith("Not yet. You haven't said how we'd know early"), turn["text"]
    off_topic = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=PHARMACY_PITCH)
    session.commit()
    question = _put_on_the_table(session, settings, demo, off_topic.rehearsal_id, RISKIEST)
    turn = answer_turn(session, settings, off_topic.rehearsal_id, demo,
                       "The new vans are the 7.5-tonne model and they come in white.").to_dict()
    assert turn["text"].startswith("Not yet. That's not what I asked. I'll ask again: " + question), turn["text"]


def test_rounds_judge_by_meaning_and_by_what_is_concrete() -> None:
    model = local_encoder().encode
    who = "Who owns this once it's live?"
    assert assess(who, "Priya's regional team owns it, with one named lead at each depot.", model).accepted
    vague = assess(who, "Everyone will pitch in, it's really a shared effort across the business.", model)
    assert not vague.accepted and vague.line == "You haven't told me who owns it."
    cost = assess("How much will it cost, and when do we get the money back?",
                  "It's an investment in our future, and the customers will love it.", model)
    assert cost.missing == ("number", "when")
    assert cost.line == "I didn't hear a number. You haven't said when."
    assert assess("What's your fallback if we can't hire enough night drivers?",
                  "If we're short by the end of April, we delay the second wave and keep the courier on those "
                  "routes.", model).accepted


def test_what_a_question_asks_for_is_read_from_its_own_head() -> None:
    model = local_encoder().encode
    # "when" inside the question is not a question of when; what the system does then is a fallback.
    handover = "What does the route planner do when it can't find a slot for a drop?"
    assert assess(handover, "It passes the drop to the dispatcher on shift, with the customer's notes attached.",
                  model).accepted
    busy = assess(handover, "The route planner will plan about eighty percent of the drops, which saves two hours a day.",
                  model)
    assert not busy.accepted and busy.missing == ("fallback",)
    # A duration answers "how long"; a time asked for needs no figure that a word of the question seemed to want.
    assert assess("How long will the new loaders need for training?",
                  "Three half-days on the dock, then a fortnight alongside an experienced loader.", model).accepted
    assert assess("When will we see the first savings?", "At the end of the second quarter, once the first "
                  "contract renews.", model).accepted


def test_a_question_of_what_was_heard_and_a_yes_or_no_question_want_that_answer() -> None:
    model = local_encoder().encode
    heard = "What did the depot managers say when you showed them the plan?"
    assert assess(heard, "Mostly that they liked the earlier cut-off, though two worried about the Friday peak.",
                  model).accepted
    planned = assess(heard, "We've booked a session with the depot managers for the week after next.", model)
    assert not planned.accepted and planned.line == "You haven't told me what you heard."
    room = "Can the yard take the extra trailers?"
    assert assess(room, "Not in December; we'd park the overflow at the Ashby site for those four weeks.",
                  model).accepted
    beside = assess(room, "The extra trailers come mostly from the two new supermarket contracts in the west.", model)
    assert not beside.accepted and beside.line == "Is that a yes or a no?"


def test_a_four_word_pitch_gets_a_request_for_more_not_a_scorecard(session: Session, settings: Settings,
                                                                   demo: Viewer) -> None:
    with pytest.raises(PitchTooShort) as refused:
        start_rehearsal(session, settings, "dana-reyes", demo, pitch_text="Let's buy more trucks.")
    message = refused.value.message
    assert message.startswith("That is too short to rehearse (4 words). Tell me more:")
    assert "the numbers behind it" in message and "what could go wrong" in message
    assert refused.value.code == "pitch_too_short" and refused.value.status == 422
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Rehearsal)) == 0
    # Two plain sentences with an ask are enough to rehearse.
    two = "We want a second night shift at Ashby Road for the backlog. We ask you to approve the overtime by May."
    assert start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=two).scorecard["criteria"]


# The new user's two pitches on the demo twin (one in line with Dana Reyes, one against her), as they pasted them.
SHADOW_PITCH = """Proposal: Extend Dispatch Assist to Eastgate in shadow mode

I propose we take Dispatch Assist to the Eastgate depot, following the rules in the March memo. Dispatchers stay in \
charge: the tool suggests, a human dispatcher owns every call, and drivers can flag any route that does not work on \
the road.

Eastgate has been live and stable on One Halvorsen for ten weeks. We would give the six Eastgate dispatchers two \
weeks of paid training and let them shape how the tool is configured for their routes. For the first month it would \
run in shadow mode only: it suggests and nobody has to use it, and we compare its plans against the manual plan on \
on-time in full, drivers' hours and rest breaks, and hours worked after midnight.

The riskiest assumption is that Eastgate's customer-hours data is clean. We will clean it in the first three weeks, \
owned by the Eastgate dispatch lead, and if the shadow-mode suggestions keep sending vans to closed docks we stop \
and fix the data before going further. Cost: about $180k for training and data clean-up. Decision point: the \
Eastgate dispatch team decides after the shadow month, by 30 November.
"""
AUTOMATIC_PITCH = """Proposal: Fully automatic dispatch at Calder North and Eastgate

I propose that from Q3 we let Dispatch Assist allocate loads and build routes on its own, with no dispatcher \
reviewing or approving its plans. The night dispatch team at Calder North would move to daytime customer service \
roles, and we would cut dispatcher headcount by 40% across both depots over the next year.

The numbers: Calder North handles 9,140 loads a month, and the tool already produces a plan between 22:00–05:00 \
without help. Removing the review step saves about $2.4m a year. Rollout would take 8–12 weeks per depot.

Risks: if on-time-in-full drops below 97 % for two consecutive weeks, we would pause the rollout and bring \
dispatchers back on the night shift. The owner is the VP Operations, Ray Okafor.
"""
DRIVERS_ANSWER = ("No drivers move out of the road division for this: the pilot touches only the six Eastgate "
                  "dispatchers. For drivers, the change is that they can flag a bad route in the app, and the Eastgate "
                  "dispatch lead reviews every flag within 24 hours; if more than 5% of routes are flagged we stop.")
CUSTOMER_QUESTION = "who is the customer and what changes for them on monday?"
CUSTOMER_ANSWER = ("The customer is the night shippers at Calder North; on Monday nothing changes for them, their loads "
                   "are planned the same way, only we move wave 3 by a quarter.")


def _quoted(text: str) -> list[str]:
    """The executive's sentences quoted in a reaction, each followed by its [n]."""
    return [q.strip() for q in re.findall(r"([^\]]+?) \[\d+\]", text)]


def test_after_an_accepted_answer_each_round_asks_the_next_prepared_question(session: Session, settings: Settings,
                                                                             demo: Viewer) -> None:
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=SHADOW_PITCH).to_dict()
    session.commit()
    prepared = [q["question"] for q in started["questions"]]
    # A straight answer to whichever question is put (their order follows how well each fits the pitch).
    replies = {"drivers": DRIVERS_ANSWER,
               "true": "For this to work, three things have to be true: the customer-hours data is clean by week "
                       "three, the six dispatchers finish their training, and the shadow plans match the manual plan "
                       "for four weeks.",
               "riskiest": "The riskiest assumption is that Eastgate's customer-hours data is clean; we will know by "
                           "week three, when the shadow plans stop sending vans to closed docks.",
               "cost": "It costs about $180k for training and data clean-up, and serving Eastgate's customers costs "
                       "nothing more: the same vans run the same routes.",
               "stop": "We stop planning Eastgate's routes by hand in the shadow month's second half, which frees the "
                       "six dispatchers' time for the training."}

    def reply_to(question: str) -> str:
        return next(text for word, text in replies.items() if word in question.lower())

    first = answer_turn(session, settings, started["rehearsal_id"], demo, reply_to(prepared[0])).to_dict()
    assert first["reaction"] == "accept", first["text"]
    # Not a memo sentence ("No surprises: these are the questions I ask...") but the rehearsal's own question 2.
    assert first["next_question"]["question"] == prepared[1] and first["next_question"]["kind"] == "question"
    assert first["next_question"]["question"].endswith("?") and "No surprises" not in first["text"]
    second = answer_turn(session, settings, started["rehearsal_id"], demo, reply_to(prepared[1])).to_dict()
    assert second["reaction"] == "accept", second["text"]
    assert second["next_question"]["question"] == prepared[2]
    assert len({prepared[0], first["next_question"]["question"], second["next_question"]["question"]}) == 3


def test_an_answer_about_something_else_is_not_accepted_for_a_how_many_question(session: Session,
                                                                                settings: Settings,
                                                                                demo: Viewer) -> None:
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=SHADOW_PITCH)
    session.commit()
    question = _put_on_the_table(session, settings, demo, started.rehearsal_id, "how many of our existing drivers")
    turn = answer_turn(session, settings, started.rehearsal_id, demo,
                       "The riskiest assumption is that Eastgate's customer-hours data is clean. We will clean it in "
                       "the first three weeks, owned by the Eastgate dispatch lead.").to_dict()
    assert turn["reaction"] == "follow_up", turn["text"]
    assert turn["text"].startswith("Not yet. You haven't told me how many drivers."), turn["text"]
    assert turn["next_question"]["question"] == question
    # "the ones who stay" is not a question about who owns it: a straight answer is accepted.
    assert assess(question, DRIVERS_ANSWER, local_encoder().encode).accepted


def test_an_approving_committee_and_a_date_answer_approved_by_whom_and_from_when(session: Session,
                                                                                 settings: Settings,
                                                                                 demo: Viewer) -> None:
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=AUTOMATIC_PITCH)
    session.commit()
    _put_on_the_table(session, settings, demo, started.rehearsal_id, "approved by whom")
    turn = answer_turn(session, settings, started.rehearsal_id, demo,
                       "approved by the executive committee on 15 June, permanent from 1 July").to_dict()
    assert turn["reaction"] == "accept" and turn["text"].startswith("That answers it."), turn["text"]
    assert "who owns it" not in turn["text"]
    model = local_encoder().encode
    assert assess("Permanent, from when, and approved by whom?",
                  "The board signed it off in June; it is permanent from the first of July.", model).accepted
    assert not assess("Permanent, from when, and approved by whom?", "It is permanent from 1 July.",
                      model).accepted


def test_an_accepted_answer_is_followed_by_the_next_question_not_an_unrelated_quote(session: Session,
                                                                                   settings: Settings,
                                                                                   demo: Viewer) -> None:
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=AUTOMATIC_PITCH).to_dict()
    session.commit()
    asked = _put_on_the_table(session, settings, demo, started["rehearsal_id"], CUSTOMER_QUESTION)
    turn = answer_turn(session, settings, started["rehearsal_id"], demo, CUSTOMER_ANSWER).to_dict()
    assert turn["reaction"] == "accept", turn["text"]
    next_question = turn["next_question"]["question"]
    model = local_encoder().encode
    for quote in _quoted(turn["text"].removeprefix("That answers it.")):
        if quote != next_question:  # anything else said on accepting is on the same point as the question
            vectors = model([asked, quote])
            assert float(vectors[0] @ vectors[1]) >= SAME_POINT, quote
    assert "Freight forwarding" not in turn["text"]
    assert turn["text"].endswith(f"{next_question} [{turn['next_question']['citation']['n']}]")


def test_the_summary_lists_each_answered_question_with_the_presenters_answer(session: Session, settings: Settings,
                                                                             demo: Viewer) -> None:
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=AUTOMATIC_PITCH).to_dict()
    session.commit()
    rid = started["rehearsal_id"]
    customer = _put_on_the_table(session, settings, demo, rid, CUSTOMER_QUESTION)
    answer_turn(session, settings, rid, demo, CUSTOMER_ANSWER)
    approved = _put_on_the_table(session, settings, demo, rid, "approved by whom")
    answer_turn(session, settings, rid, demo, "Approved by the executive committee on 15 June, permanent from 1 July.")
    last = answer_turn(session, settings, rid, demo, "The weather was lovely at the depot last week.").to_dict()
    summary = last["summary"]
    assert last["done"] and summary
    answered = [row for row in summary["strong"] if row.get("round")]
    assert [row["point"] for row in answered] == [customer, approved]
    assert answered[0]["detail"] == f"Your answer: {CUSTOMER_ANSWER}"
    assert not any(row["point"] == "Your answer" for row in summary["strong"] + summary["fix"])
    unresolved = [row for row in summary["fix"] if row.get("round")]
    assert unresolved and unresolved[0]["point"].endswith("?") and not unresolved[0]["detail"].endswith("?")
    assert "Strong: States the ask" in last["text"] and "Your answer" not in last["text"]


def test_a_change_from_one_figure_to_another_is_two_figures_not_a_range() -> None:
    read = [(f.text, f.kind) for f in find_figures("Volumes grew from 1,850 to 2,400 loads a week, and we cut "
                                                    "overtime from 12 to 9 hours.")]
    assert read == [("1,850", "number"), ("2,400 loads", "quantity"), ("12", "number"), ("9 hours", "quantity")]
    assert [(f.text, f.kind) for f in find_figures("The pilot takes from 8 to 12 weeks.")] == [("8 to 12 weeks",
                                                                                               "range")]


# A third new user's trial (7 December): three pitches in a presenter's words, rehearsed on the demo twin.
TRIAL3_AGAINST = """Proposal: let the dispatch software run the night shift on its own

From January I'd like us to switch the overnight route planning at Calder North and Eastgate to fully automatic. The \
software already builds the plan; right now a dispatcher has to sit there until midnight clicking accept. If we let \
the system send routes straight to the drivers' handhelds without anyone signing them off, we could cut two night \
dispatcher posts per depot and save roughly $380,000 a year. Drivers would just follow what the app tells them. \
Customers wouldn't notice any difference. I think the tool is good enough now and we are paying people to \
rubber-stamp it. We could roll it out to the other depots by summer."""
TRIAL3_ALIGNED = """Ask: $85,000 and two analysts for 90 days to pilot a "real receiving hours" check at Eastgate, \
decided today.

Who it's for: our urban business customers at Eastgate, about 1,300 delivery addresses. On Monday their drivers stop \
turning up at closed docks; the customer gets a text the evening before with the window we have on file and can \
correct it in one tap.

The number: failed first-time urban deliveries at Eastgate were 6.1% last quarter, up from 5.8% the quarter before. \
Failed attempts are 7% of our urban cost per stop. Calder North cut failed attempts by 22% when Mei Tanaka built her \
hours list. We want Eastgate from 6.1% to below 4.5% in 90 days.

What has to be true: customers actually answer the text (we assume at least 40% do), and the hours data flows into \
the route cut in One Halvorsen. The riskiest assumption is the response rate; we will know in the first three weeks. \
Kill criterion: if fewer than 25% of customers respond by week four, we stop and write up what we learned.

Drivers: fewer wasted trips and fewer second attempts at the end of a shift, so earlier finish times. No change to \
rest breaks or rotas.

Cost to serve: each failed attempt costs about $9 per drop; at Eastgate volumes that is about $410,000 a year we \
could cut.

What we stop: we stop the monthly manual address-cleanup spreadsheet the customer service team maintains, which \
frees up the two analysts."""
TRIAL3_VAGUE = ("I think we should do a lot more with social media. Our competitors are all over LinkedIn and TikTok "
                "and we look old-fashioned. If we posted more videos of the trucks and the depots and the people, I "
                "think customers and staff would really like it and it would help the brand. We could maybe hire an "
                "agency or get someone in marketing to own it. It would be great for recruitment too. Let's try it "
                "and see how it goes.")


def test_an_answer_that_sets_the_questions_frame_and_then_gives_figures_is_accepted(session: Session,
                                                                                   settings: Settings,
                                                                                   demo: Viewer) -> None:
    # The trial: "For this to work, …" opened on the question's own words, and its two percentages were not heard.
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=TRIAL3_AGAINST)
    session.commit()
    _put_on_the_table(session, settings, demo, started.rehearsal_id, "what would have to be true for this to work")
    turn = answer_turn(session, settings, started.rehearsal_id, demo,
                       "For this to work, the tool has to produce a usable plan on at least 95% of nights; today "
                       "dispatchers accept 62% of its suggestions unchanged, so we are not there yet.").to_dict()
    assert turn["reaction"] in ("accept", "summary") and turn["text"].startswith("That answers it."), turn["text"]
    model = local_encoder().encode
    # A frame with nothing after it is still nothing concrete; one with an owner and a date is an answer.
    question = "What would have to be true for this to work?"
    assert not assess(question, "For this to work, a lot of things have to go right for us.", model).accepted
    assert assess(question, "To make it work, Priya owns the data clean-up by 1 March.", model).accepted
