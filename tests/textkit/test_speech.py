"""Spoken words cleaned as a published transcript prints them, and nothing a speaker meant is lost."""

from __future__ import annotations

import pytest

from textkit.speech import clean_speech, is_backchannel, is_unfinished, run_on_case


@pytest.mark.parametrize(("said", "printed"), [
    ("Um , th the shape you got trendy .", "The shape you got trendy."),
    ("but um I th Instruction manuals , 'cause", "but I Instruction manuals, 'cause"),
    ("the format , {disfmarker} sorry . {disfmarker} Let me see .", "the format\u2014sorry. Let me see."),
    ("Okay , so we're we're going business to consumer ,", "Okay, so we're going business to consumer,"),
    ("I {disfmarker} I {disfmarker} I 'm sorry , it 's one point three of {disfmarker} of the rate .",
     "I'm sorry, it's one point three of the rate."),
    ("we did n't see that , let 's go", "we didn't see that, let's go"),
    ("okay . um , this is our second meeting", "okay. This is our second meeting"),
    ("Now our one , I'm I'm not sure whether", "Now our one, I'm not sure whether"),
    ("we should think about {disfmarker} c 'cause you've got", "we should think about\u2014'cause you've got"),
    ("Thanks [laughter] for coming (inaudible) today.", "Thanks for coming today."),
    ("one handset for all , T_V_ , video equipment .", "one handset for all, TV, video equipment."),
    # A filler set off by commas inside a phrase takes both commas with it; a speaker's own comma stays.
    ("We will, uh, ask for volunteers and we still, um, pay the premium.",
     "We will ask for volunteers and we still pay the premium."),
    ("It was followed by, um, a list that is, uh, too long.", "It was followed by a list that is too long."),
    ("We are adding six agents and, um, every claim gets an owner.",
     "We are adding six agents and every claim gets an owner."),
    ("So, um, the night sort. Thank you, uh, Marcus.", "So, the night sort. Thank you, Marcus."),
    ("Trucks, um, vans and trains.", "Trucks, vans and trains."),
    ("We had a hundred subjects, um, we paid them all.", "We had a hundred subjects, we paid them all."),
    ("Door six, I've I've signed the order and we've we've paid.", "Door six, I've signed the order and we've paid."),
])
def test_fillers_marks_stammers_and_cut_off_words_go(said: str, printed: str) -> None:
    assert clean_speech(said) == printed


@pytest.mark.parametrize("said", [
    "I know that that is true.",
    "We drive 5 km on the A1, an answer nobody liked.",
    "The UM campus opens in May.",
    "Mm-hmm.",
    "Thanks, Umberto, and you, Mm-hmm Records, for the mmm-good pies.",
])
def test_words_a_speaker_meant_stay(said: str) -> None:
    assert clean_speech(said) == said


def test_backchannels_and_unfinished_turns() -> None:
    assert is_backchannel("Mm-hmm.") and is_backchannel("Yeah, okay.") and is_backchannel("")
    assert not is_backchannel("Yes?") and not is_backchannel("No, we build it ourselves.")
    assert is_unfinished("three weeks running,") and is_unfinished("Can I grab the\u2014")
    assert not is_unfinished("We switch vendors.") and not is_unfinished('She said "no."')
    assert run_on_case("We decided upon it") == "we decided upon it"
    assert run_on_case("Leeds missed it") == "Leeds missed it" and run_on_case("I'm sure") == "I'm sure"
