"""The scorecard a presenter reads: an ask stated in everyday words is scored as stated, with the words it relied
on shown; the same score reads the same everywhere."""

from __future__ import annotations

import pytest

from service.rehearsal.pitch import analyse_pitch
from service.rehearsal.rubric import rubric_for, score_pitch, score_text

CONTEXT = " Today a courier carries our prescriptions, and two in eight arrive late."


def ask_line(pitch: str) -> tuple[int, str, tuple[str, ...]]:
    card = score_pitch(analyse_pitch(pitch), rubric_for(None))
    ask = next(c for c in card.criteria if c.key == "ask")
    return ask.score, ask.reason, ask.quotes


@pytest.mark.parametrize(("sentence", "words"), [
    ("I propose we take pharmacy deliveries in-house at Eastgate.", "I propose"),
    ("We should start night deliveries from Eastgate.", "We should start"),
    ("I'm asking for your backing to run the night window.", "I'm asking"),
    ("I’m asking for your backing to run the night window.", "I’m asking"),
    ("We need approval for three electric vans.", "We need approval"),
    ("Let's run the pharmacy pilot at Eastgate.", "Let's run"),
    ("My request is two more dispatchers at Eastgate.", "My request"),
    ("Request: approve the pilot at Eastgate.", "Request:"),
    ("I recommend we end the courier contract.", "I recommend"),
    ("I'd like you to approve the lease on the Marlow yard.", "I'd like you to"),
    ("Please approve the pharmacy pilot.", "Please approve"),
    ("Can we get the go-ahead for the night window?", "Can we get"),
    ("What I need from you is a yes on the night window.", "need from you"),
    ("We are seeking sign-off on the new hub.", "We are seeking"),
    ("Our proposal is to lease the vans instead of buying them.", "Our proposal"),
])
def test_an_ask_in_everyday_words_is_stated_and_the_words_relied_on_are_shown(sentence: str, words: str) -> None:
    score, reason, quotes = ask_line(sentence + CONTEXT)
    assert score >= 4, reason
    assert reason.startswith("States ") and f"“{words}”" in reason, reason
    assert quotes == (sentence,)


def test_the_pitch_of_the_issue_states_a_concrete_ask() -> None:
    score, reason, _ = ask_line("I propose we take pharmacy deliveries in-house at Eastgate from March, using the "
                                "vans that stand idle at night." + CONTEXT)
    assert score == 5
    assert reason.startswith("States a concrete ask (“I propose”; from March): “I propose we take"), reason


@pytest.mark.parametrize("sentence", [
    "The market is moving and we should be there.",
    "Let me explain how the night window works.",
    "Let's be honest about the numbers.",
    "We should have done this years ago.",
    "Customers need faster deliveries.",
])
def test_words_that_only_sound_like_an_ask_are_not_one(sentence: str) -> None:
    score, reason, _ = ask_line(sentence + CONTEXT)
    assert score == 0 and reason.startswith("No ask"), reason


def test_a_whole_score_reads_as_a_whole_number() -> None:
    assert [score_text(v) for v in (28.0, 30.0, 27.5, 4, 0.0)] == ["28", "30", "27.5", "4", "0"]


def test_a_curators_keyword_criterion_names_the_words_it_relied_on() -> None:
    rubric = rubric_for([{"criterion": "What would have to be true for this to work?",
                          "keywords": ["assumption", "unknown", "hinges on"]}])
    pitch = ("The biggest unknown is whether pharmacies can pack orders by ten at night. The plan hinges on "
             "their staff." + CONTEXT)
    line = score_pitch(analyse_pitch(pitch), rubric).criteria[0]
    assert line.score == 5
    assert line.reason.startswith("2 mentions (“unknown”, “hinges on”), e.g. “The biggest unknown is whether"), line


def test_a_word_relied_on_is_named_once_whatever_its_case_or_the_keywords_that_found_it() -> None:
    # "1 mention (“Drivers”, “Drivers”)" and "(“drivers”, “Drivers”, …)": one word, said twice.
    rubric = rubric_for([{"criterion": "What changes for drivers?", "keywords": ["driver", "drivers", "shift"],
                          "min_mentions": 2}])
    pitch = ("Drivers at Eastgate get a fixed shift pattern. Our drivers asked for it twice." + CONTEXT)
    line = score_pitch(analyse_pitch(pitch), rubric).criteria[0]
    relied = line.reason[line.reason.index("(") + 1:line.reason.index(")")]
    named = [w.strip("“” ").lower() for w in relied.split(",")]
    assert len(named) == len(set(named)) and "drivers" in named and "shift" in named, line.reason


def test_an_outright_ask_is_the_ask_though_a_target_the_pitch_means_to_hold_comes_later() -> None:
    ask = "I'm asking for $240k to put 30 more Eastgate drivers through the cold chain module before April."
    score, reason, quotes = ask_line(ask + " Cold chain on-time in full was 98.1% last quarter, and we want to hold "
                                     "it above 98% with the extra volume." + CONTEXT)
    assert score == 5 and quotes == (ask,), reason
    assert reason.startswith("States a concrete ask (“I'm asking”; $240k"), reason


def test_a_risk_that_says_how_we_will_know_early_is_quoted_as_handled_not_a_sentence_about_making_room() -> None:
    risk = "Riskiest assumption is the pass rate; we will know after the first cohort of ten in January."
    pitch = ("I'm asking for $240k to put 30 more drivers through the cold chain module before April. " + risk +
             " To make room we will stop the frozen bulk night run from Eastgate, which loses money." + CONTEXT)
    line = next(c for c in score_pitch(analyse_pitch(pitch), rubric_for(None)).criteria if c.key == "risks")
    assert line.score == 5 and line.quotes == (risk,), line.reason
    assert "To make room" not in line.reason


def test_the_impact_line_quotes_the_sentence_that_names_who_is_better_off() -> None:
    customer = ("The customer is the hospital pharmacy team: on Monday they get a named, trained driver and a "
                "temperature log with every delivery.")
    pitch = ("I'm asking for $240k to put 30 more drivers through the cold chain module before April, on paid time. "
             + customer + " We turned down 18 loads last quarter.")
    line = next(c for c in score_pitch(analyse_pitch(pitch), rubric_for(None)).criteria if c.key == "impact")
    assert line.quotes == (customer,), line.reason


def test_advice_after_a_quoted_sentence_reads_with_one_full_stop() -> None:
    card = score_pitch(analyse_pitch("We should buy ten more electric vans for Eastgate. They would save fuel."),
                       rubric_for(None))
    impact = next(c for c in card.criteria if c.key == "impact")
    assert impact.reason == "1 sentence on impact, e.g. “They would save fuel.” Put a number on it."
    assert not any("”." in c.reason for c in card.criteria), [c.reason for c in card.criteria]
