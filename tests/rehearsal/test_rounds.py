"""Rounds as a presenter lives them on the demo corpus: a question is asked once, in whatever words the executive
used for it across her meetings, and the summary lists each question to prepare for once; a "why" answered with
evidence is an answer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.rehearsal import answer_turn, start_rehearsal
from service.rehearsal.bank import stem_counts
from service.rehearsal.rounds import GAP_LINES, assess
from service.search.encoder import local_encoder
from tests.rehearsal.test_listening import PHARMACY_PITCH, _put_on_the_table, demo  # noqa: F401  (fixture)
from textkit.words import jaccard

# Replies on the point of the question that never say how we would know early: each gets a follow-up.
NO_SIGNAL_REPLIES = (
    "That pharmacies pack their orders by ten at night, because the night window depends on it.",
    "Still that the pharmacies pack their orders by ten at night, because the whole window depends on it.",
    "The packing at the pharmacies by ten at night, because everything after it depends on it.",
)


def _same(a: str, b: str) -> bool:
    """Two questions a presenter would call the same one (as good as the same words)."""
    return jaccard(set(stem_counts(a)), set(stem_counts(b))) >= 0.6


def test_a_question_is_not_asked_again_in_other_words_nor_listed_twice_under_prepare_for(
        session: Session, settings: Settings, demo: Viewer) -> None:  # noqa: F811
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=PHARMACY_PITCH).to_dict()
    session.commit()
    # She asked this in the QBR twice, once as "And what's the riskiest assumption and how will we know early?".
    first = _put_on_the_table(session, settings, demo, started["rehearsal_id"],
                              "what's the riskiest assumption, and how will we know early")
    asked = [first]
    turns = []
    for reply in NO_SIGNAL_REPLIES:
        turn = answer_turn(session, settings, started["rehearsal_id"], demo, reply).to_dict()
        turns.append(turn)
        if turn["next_question"]:
            new = turn["next_question"]["question"]
            # Asked again, it is asked in the same words ("I'll ask again: …"), never as if it were a new question.
            assert new == asked[-1] or not any(_same(new, a) for a in asked), (new, asked)
            asked.append(new)
        if turn["done"]:
            break
    summary = turns[-1]["summary"]
    prepare = [p["question"] for p in summary["prepare"]]
    assert prepare, summary
    for i, a in enumerate(prepare):
        for b in prepare[i + 1:]:
            assert not _same(a, b), prepare
    assert summary["text"].count("riskiest assumption") <= 1, summary["text"]


def test_a_why_answered_with_evidence_is_accepted_and_a_bare_figure_is_not() -> None:
    model = local_encoder().encode
    question = "Why do you think drivers will volunteer for nights?"
    evidence = assess(question, "Eleven of the fourteen drivers we asked have already put their names down for the "
                                "night rota.", model)
    assert evidence.accepted, evidence
    bare = assess(question, "We have fourteen drivers at Eastgate.", model)
    assert not bare.accepted and bare.missing == ("reason",)
    assert GAP_LINES["reason"] == "You haven't told me why."


def test_a_follow_up_stays_on_the_point_of_the_question_on_the_table(session: Session, settings: Settings,
                                                                      demo: Viewer) -> None:  # noqa: F811
    started = start_rehearsal(session, settings, "dana-reyes", demo, pitch_text=PHARMACY_PITCH).to_dict()
    session.commit()
    question = _put_on_the_table(session, settings, demo, started["rehearsal_id"], "what does it cost to serve?")
    turn = answer_turn(session, settings, started["rehearsal_id"], demo,
                       "It costs a fair amount of money overall.").to_dict()
    assert turn["text"].startswith("Not yet. I didn't hear a number."), turn["text"]
    follow_up = turn["next_question"]["question"]
    assert "make money" not in follow_up  # not "…what would have to be true for that deal to make money?"
    vectors = local_encoder().encode([question, follow_up])
    assert follow_up == question or float(vectors[0] @ vectors[1]) >= 0.5, follow_up
