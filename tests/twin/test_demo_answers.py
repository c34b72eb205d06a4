"""What a new user meets on the demo (examples/dana-reyes): its own sample questions and short follow-ups."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.corpus.models import Interaction, Source
from service.twin.engine import answer_question

# The demo persona's framing lines (twin.toml's openings).
OPENERS = tuple(tomllib.loads((Path(__file__).resolve().parents[2] / "examples" / "dana-reyes" / "twin.toml")
                              .read_text(encoding="utf-8"))["persona"]["openings"])


def test_a_question_she_restates_is_answered_by_what_she_says_after_it(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # "Several of you have asked whether we should buy our way into cold chain." is the memo's restatement of the
    # question; her answer follows it, not a sentence elsewhere in the memo that only shares "cold chain".
    answer = answer_question(session, settings, "dana-reyes",
                             "Why don't we buy a competitor instead of building cold chain ourselves?", Viewer.public())
    assert answer.grounded
    assert "Buying a business means buying its customers" in answer.answer, answer.answer
    assert "that discipline earns the most" not in answer.answer, answer.answer
    assert [c.title for c in answer.citations][:1] == ["Why Cold Chain Is Our Growth Bet"]


def test_a_short_follow_up_is_answered_on_its_new_words_within_the_topic(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    employee = Viewer.public()
    first = answer_question(session, settings, "dana-reyes", "Why is the on-time target 97% and not 99%?", employee)
    assert first.grounded and "98" not in first.answer
    follow = answer_question(session, settings, "dana-reyes", "and what about 98?", employee,
                             conversation_id=first.conversation_id)
    assert follow.grounded and "98%" in follow.answer, follow.answer  # not the 97% answer again
    assert follow.answer != first.answer
    vans = answer_question(session, settings, "dana-reyes", "what about the vans?", employee,
                           conversation_id=first.conversation_id)
    assert vans.grounded and " van" in vans.answer, vans.answer



def _quoted(answer: str) -> set[str]:
    """An answer's sentences without their [n] marks, the persona's framing line aside."""
    text = re.sub(r"\s*\[\d+\]", "", answer)
    return {s for s in re.split(r"(?<=[.?!])\s+", text) if s and s not in OPENERS}


def test_asked_for_more_the_twin_goes_on_instead_of_repeating_itself(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # "This memo explains the pace." and the rest came back word for word for "can you say more?" and "why?".
    employee = Viewer.public()
    first = answer_question(session, settings, "dana-reyes", "Why aren't we electrifying the van fleet faster?",
                            employee)
    assert first.grounded
    said = _quoted(first.answer)
    for follow_up in ("can you say more?", "why?"):
        more = answer_question(session, settings, "dana-reyes", follow_up, employee,
                               conversation_id=first.conversation_id)
        assert more.grounded and more.citations, more.answer
        assert not _quoted(more.answer) & said, (follow_up, more.answer)
        said |= _quoted(more.answer)


def test_an_answer_never_quotes_a_line_that_only_points_at_the_memo(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # The demo's own sample question was answered "… at the pace the routes, the power and the payback allow.
    # This memo explains the pace." The pointer says nothing; the reasons around it do.
    answer = answer_question(session, settings, "dana-reyes", "Why aren't we electrifying the van fleet faster?",
                             Viewer.public())
    assert answer.grounded
    assert "This memo explains" not in answer.answer, answer.answer
    assert all("This memo explains" not in c.quote for c in answer.citations), answer.citations


def test_asked_for_more_the_twin_goes_on_in_the_memo_it_was_quoting(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # It went on with "We are replacing our three dispatch systems with one platform." from another memo.
    employee = Viewer.public()
    first = answer_question(session, settings, "dana-reyes",
                            "What do you think about using AI in dispatch? Will it replace dispatchers?", employee)
    more = answer_question(session, settings, "dana-reyes", "can you say more?", employee,
                           conversation_id=first.conversation_id)
    assert more.grounded and not _quoted(more.answer) & _quoted(first.answer), more.answer
    assert {c.title for c in more.citations} <= {c.title for c in first.citations}, more.citations


def test_a_question_addressed_to_her_by_name_is_answered_as_the_question_alone(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # "Hey Dana, why did we go into cold chain in the first place?" got the no-answer message; without "Hey Dana," it
    # was answered from the cold chain memo. The question is kept as it was typed.
    typed = "Hey Dana, why did we go into cold chain in the first place?"
    addressed = answer_question(session, settings, "dana-reyes", typed, Viewer.public())
    plain = answer_question(session, settings, "dana-reyes", "why did we go into cold chain in the first place?",
                            Viewer.public())
    assert plain.grounded and addressed.grounded, addressed.answer
    assert [c.title for c in addressed.citations] == [c.title for c in plain.citations]
    row = session.get(Interaction, addressed.interaction_id)
    assert row is not None and row.question == typed


def test_a_question_she_put_to_a_meeting_is_never_quoted_as_the_answer(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # "Here's where I land. And what's the number, and what was it last quarter? [1] I want the number that tells me
    # it's staffing." Her question to the COO came before the line the answer was built on, and was played back.
    answer = answer_question(session, settings, "dana-reyes", "What was our on-time number in Q3 2025?",
                             Viewer.public())
    assert "what was it last quarter?" not in answer.answer, answer.answer
    assert not any(s.endswith("?") for s in _quoted(answer.answer)), answer.answer


def test_the_framing_line_comes_only_before_a_statement_that_stands_on_its_own(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # "Here's where I land. Here's one thing it changed. [1]": a framing line before another framing line (and, on
    # the question above, before a question that began "And…") frames nothing.
    for question in ("If someone on my team is in a forklift accident, how quickly does that have to be reported "
                     "to you?", "What was our on-time number in Q3 2025?"):
        answer = answer_question(session, settings, "dana-reyes", question, Viewer.public())
        assert answer.grounded, answer.answer
        framing = next((o for o in OPENERS if answer.answer.startswith(f"{o} ")), None)
        if framing is not None:
            first = answer.answer.removeprefix(f"{framing} ")
            assert not re.match(r"(?:Here's|Here is|And|But|So)\b", first), answer.answer
            assert not re.sub(r"\s*\[\d+\].*", "", first).endswith("?"), answer.answer


def test_a_question_whose_best_passage_is_on_a_refused_topic_is_declined_not_answered_from_the_rest(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # A trial: "Is the Ashby Road depot closing?" was answered from a scorecard line ("Ashby Road is the one depot
    # that went backwards…") because the memo that answers it is on a refused topic and was withheld.
    answer = answer_question(session, settings, "dana-reyes", "Is the Ashby Road depot closing?", Viewer.public())
    assert not answer.grounded and not answer.citations, answer.answer
    assert answer.refused_topic is not None and "not a topic I speak to" in answer.answer, answer.answer
    electric = answer_question(session, settings, "dana-reyes", "Is the new AI dispatch system going to take my job?",
                               Viewer.public())
    assert electric.grounded and electric.refused_topic is None


def test_how_did_we_do_last_quarter_is_answered_from_the_newest_scorecard(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # A trial's question got a 2024 scorecard's story; the third quarter of 2025 is her latest word on it.
    answer = answer_question(session, settings, "dana-reyes", "How did we do last quarter on deliveries?",
                             Viewer.public())
    assert answer.grounded
    assert answer.citations[0].title == "Third Quarter 2025 Scorecard: Above 97", answer.answer
    assert "97.1%" in answer.answer, answer.answer


def test_a_question_of_its_own_after_another_is_not_searched_with_the_last_topic(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # In a trial, "Fridays" after a question on the AI tool was answered from the strategy memo's "Monday looks a
    # lot like Friday did" instead of the anchor days.
    employee = Viewer.public()
    first = answer_question(session, settings, "dana-reyes", "Will the AI tool replace dispatchers?", employee)
    fridays = answer_question(session, settings, "dana-reyes", "Do I really have to come in on Fridays?", employee,
                              conversation_id=first.conversation_id)
    assert fridays.grounded and fridays.citations[0].title.startswith("Anchor Days"), fridays.answer


def test_conversational_words_do_not_count_against_an_everyday_question(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # A trial's "Why do we bother with vaccines?" was declined: "bother", a word no memo uses, weighed as half of
    # the question, though the cold chain memo answers it.
    answer = answer_question(session, settings, "dana-reyes", "Why do we bother with vaccines?", Viewer.public())
    assert answer.grounded, answer.answer
    assert answer.citations[0].title == "Why Cold Chain Is Our Growth Bet", answer.answer


def test_asked_what_counts_as_serious_the_answer_shows_the_memos_table(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # The memo's answer is a table ("What counts as serious"); its rows are never quoted as speech, so the answer had
    # been the story of the collision alone.
    answer = answer_question(session, settings, "dana-reyes",
                             "What counts as a serious incident that I need to report?", Viewer.public())
    assert answer.grounded
    assert "\nWhat counts as serious [" in answer.answer, answer.answer
    assert ("- Injury needing hospital treatment — Examples: Fracture, head injury, any admission; "
            "Reaches the CEO within: 24 hours") in answer.answer
    assert "- Near miss with potential for the above — Examples: Reported by anyone; Reaches the CEO within: " \
           "Weekly summary" in answer.answer  # the table's second passage too
    assert "|" not in answer.answer
    assert {c.locator for c in answer.citations} >= {"§ What counts as serious"}


def test_a_scorecard_measure_asked_for_brings_its_row(session: Session, settings: Settings,
                                                      demo: dict[str, Source]) -> None:
    answer = answer_question(session, settings, "dana-reyes", "What's our electric share of urban vans?",
                             Viewer.public())
    assert answer.grounded
    assert re.search(r"\n- Electric share of urban vans — Q\d 20\d\d: \d+%", answer.answer), answer.answer
    rows = [line for line in answer.answer.splitlines() if line.startswith("- ")]
    assert len(rows) == 1, rows
    plain = answer_question(session, settings, "dana-reyes", "Can I work from home on Fridays?", Viewer.public())
    assert plain.grounded and "\n" not in plain.answer, plain.answer


def test_a_short_line_between_two_quoted_ones_is_not_left_out(session: Session, settings: Settings,
                                                              demo: dict[str, Source]) -> None:
    # "…gone within a year. They stay because…" left out "Internal promotions stay.", so "They" meant the outside hires.
    answer = answer_question(session, settings, "dana-reyes", "How do people get promoted to supervisor here?",
                             Viewer.public())
    assert answer.grounded
    if "They stay because" in answer.answer:
        assert "Internal promotions stay. [1] They stay because" in answer.answer, answer.answer
    assert "within a year. [1] They stay" not in answer.answer, answer.answer


def test_a_line_that_introduces_her_table_comes_with_it(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # "No surprises: these are the questions I ask of almost every proposal…" was the whole answer: the questions
    # themselves, a table under the same heading, were left out. The executive's name is put to her as "you".
    answer = answer_question(session, settings, "dana-reyes", "What questions will Dana ask me in a meeting?",
                             Viewer.public())
    assert answer.grounded
    assert "these are the questions I ask" in answer.answer, answer.answer
    for question in ("What's the ask?", "What's the riskiest assumption and how will we know early?",
                     "What does it cost to serve?"):
        assert f"- {question} — Why I ask it:" in answer.answer, answer.answer
        assert any(question in c.quote for c in answer.citations), "each row shown is in its citation's quote"
    assert "|" not in answer.answer


def test_an_answer_neither_opens_on_a_line_leaning_on_a_missing_one_nor_ends_on_a_promise(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    employee = Viewer.public()
    serious = answer_question(session, settings, "dana-reyes", "what counts as a serious incident?", employee)
    assert serious.grounded
    assert not re.match(r"(?:That|It|This)\b", serious.answer), serious.answer  # "That is not acceptable…" opened it
    target = answer_question(session, settings, "dana-reyes", "What's our on-time target?", employee)
    assert target.grounded and "97%" in target.answer
    assert "how we got there" not in target.answer and "I have been asked about it" not in target.answer, \
        target.answer


def test_a_role_named_persons_fate_is_refused(session: Session, settings: Settings,
                                              demo: dict[str, Source]) -> None:
    answer = answer_question(session, settings, "dana-reyes",
                             "is the Ashby Road depot manager going to be fired for the bad numbers?", Viewer.public())
    assert not answer.grounded and answer.refused_topic == "individual-performance", answer.answer


def test_a_request_to_approve_something_is_not_answered_with_a_quote(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # A trial: "Can you approve my leave request for next week?" got "Here's where I land. Agreed, that's a condition
    # of the approval." from a meeting transcript, which reads as her saying yes.
    answer = answer_question(session, settings, "dana-reyes", "Hi Dana, can you approve my leave request for next week?",
                             Viewer.public())
    assert not answer.grounded and not answer.citations, answer.answer
    assert "can't act on requests" in answer.answer and "Agreed" not in answer.answer


def test_a_follow_up_with_words_of_its_own_does_not_repeat_the_answer_before(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    # A trial: "Why not sooner than that?" after the electric vans answer gave that answer again, word for word.
    employee = Viewer.public()
    first = answer_question(session, settings, "dana-reyes", "When are we switching the whole fleet to electric vans?",
                            employee)
    assert first.grounded
    more = answer_question(session, settings, "dana-reyes", "Why not sooner than that?", employee,
                           conversation_id=first.conversation_id)
    assert more.grounded and more.citations, more.answer
    assert not _quoted(more.answer) & _quoted(first.answer), more.answer

