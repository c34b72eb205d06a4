"""Her questions as mined from her meetings: one set in a scene is asked only of a pitch about that scene."""

from __future__ import annotations

from collections import Counter

from service.rehearsal.bank import names_in, stem_counts
from service.rehearsal.ranking import names_said

SCENE = ("So when you lose a deal by a few percent, I'd ask you one question: what would have to be true for that deal "
         "to make money?")


class Item:
    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names


def test_a_question_set_in_a_scene_names_what_the_scene_is_about() -> None:
    assert "deal" in names_in(SCENE, {})
    item = Item(names_in(SCENE, {}))
    assert not names_said(item, stem_counts("I'd like automatic night dispatch at Eastgate from February."))
    assert names_said(item, stem_counts("We lost the Brightwell deal by 3%; I want to bid again below the floor."))


def test_a_plain_question_names_nothing() -> None:
    assert names_in("What would have to be true for this to work?", {}) == ()
    assert names_in("What's the riskiest assumption, and how will we know early?", {}) == ()
    assert names_said(Item(()), Counter())
