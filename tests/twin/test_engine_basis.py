"""The answer's basis label: whose words it stands on, and a curator's framing line named as such."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import corrections as stored
from service.corpus.models import Passage
from service.twin.engine import answer_question
from tests.twin.conftest import World, add_document

QUESTION = "Why did we open an office in Lisbon?"
WHY_LISBON = ("Lisbon gives us engineers who already know routing software. "
              "Its time zone lets one team cover Europe in the morning and the Americas in the afternoon.")


def _why_passage(session: Session, world: World) -> Passage:
    source = add_document(session, world.twin, "lisbon-why.md", [(WHY_LISBON, None, True)],
                          title="Why Lisbon", date=dt.date(2024, 4, 1))
    passage = session.scalar(select(Passage).where(Passage.source_id == source.id))
    assert passage is not None
    return passage


def test_a_correction_with_a_framing_line_says_the_answer_opens_with_the_curators_words(
        session: Session, settings: Settings, world: World) -> None:
    why = _why_passage(session, world)
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id],
                             framing="It comes down to people and hours.", actor="curator@example.com")
    got = answer_question(session, settings, "dana", QUESTION, world.employee).to_dict()
    assert got["basis"] == "own_words"  # the kind is unchanged: the quoted sentences are hers
    assert got["basis_label"].endswith("words, after a curator's framing line")


def test_a_correction_without_framing_keeps_the_plain_label(session: Session, settings: Settings,
                                                             world: World) -> None:
    why = _why_passage(session, world)
    stored.create_correction(session, world.twin, QUESTION, passage_ids=[why.id], actor="curator@example.com")
    got = answer_question(session, settings, "dana", QUESTION, world.employee).to_dict()
    assert got["correction"] is not None
    assert got["basis_label"].endswith("words") and "curator" not in got["basis_label"]
