"""A push-back's heading reads as a person would write it: a whole phrase of hers, or a heading that names the point."""

from __future__ import annotations

import pytest

from service.rehearsal.labels import stance_label, stance_phrase
from service.search import PassageHit


def hit(heading: str, title: str = "A Year of Reliable First") -> PassageHit:
    return PassageHit(passage_id=1, source_id=1, source_version=1, title=title, kind="talk", date=None, locator="§ 1",
                      speaker=None, executive=True, text="", heading=heading, ordinal=0, score=1.0)


def test_a_whole_first_clause_keeps_its_last_words() -> None:
    sentence = 'And we will stop describing any of this, internally or to customers, as "AI dispatch."'
    assert stance_phrase(sentence) == "We will stop describing any of this"


def test_a_phrase_cut_short_ends_on_a_word_that_carries_meaning() -> None:
    phrase = stance_phrase("We will not accept from a supplier or partner any of the shortcuts we refuse ourselves.")
    assert phrase.endswith("…") and phrase.split()[-1].rstrip("…").lower() not in {"any", "of", "the", "every"}


@pytest.mark.parametrize("heading", ["What is coming in 2025", "What's next", "Looking ahead",
                                     "What will change for drivers"])
def test_a_heading_that_only_says_when_is_not_the_label(heading: str) -> None:
    sentence = ("I want to be clear about one thing now, before the rumours start: the tool suggests, and a human "
                "dispatcher owns the call.")
    assert stance_label(hit(heading), sentence) == "The tool suggests, and a human dispatcher owns the call"


def test_a_heading_that_names_the_point_is_the_label() -> None:
    assert stance_label(hit("Build, not buy, for now"), "Buying a business means buying its habits.") == (
        "Build, not buy, for now")


def test_a_label_is_not_cut_inside_a_time_or_a_number() -> None:
    phrase = stance_phrase("We will stop booking depot calls before 9:30 on Mondays, so the night shift can sleep.")
    assert phrase.startswith("We will stop booking depot calls before 9:30")
    assert stance_phrase("We keep 1,200 pallets of spare stock in Leeds, whatever the season.").startswith(
        "We keep 1,200 pallets")
