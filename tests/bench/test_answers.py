"""bench/answers.py reads speeches as the product ingests them: a reporter's or opponent's turn is never the
president's words."""

from __future__ import annotations

from pathlib import Path

from bench.answers import is_verbatim, parse_speech

PRESS_CONFERENCE = """President: Jane Example
Date: 2031-04-02

THE PRESIDENT:  Good afternoon. Our harbour bridge opens to traffic in June, two months early.

Q    Thank you, Madam President. Will the tolls go up once the bridge opens, and who decides that?

THE PRESIDENT:  The tolls stay where they are for five years. The port authority sets them after that.

Q    And the ferry crews who lose work when the bridge opens?

THE PRESIDENT:  Every ferry crew member is offered a place on the new harbour shuttle at the same pay.
"""

DEBATE = """President: Jane Example
Date: 2032-10-07

Ms. Rivers. Good evening. Our first question goes to the President.

The President. Thank you. We cut the waiting lists for hip operations by a third in four years.

Mr. Hale. The waiting lists fell because the rules for counting them changed, not because anyone was treated.

Ms. Rivers. Madam President, your reply.

The President. The counting rules never changed. Forty thousand more operations were done last year.

Mr. Hale. I would build two new hospitals in the north before anything else.
"""


def _speech(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_press_conferences_bare_q_turns_are_the_reporters(tmp_path: Path) -> None:
    doc = parse_speech(_speech(tmp_path, "2031-04-02-press-conference-bridge.txt", PRESS_CONFERENCE))
    executive = " ".join(p.text for p in doc.passages if p.executive)
    others = " ".join(p.text for p in doc.passages if not p.executive)
    assert "tolls stay where they are" in executive and "harbour shuttle" in executive
    assert "Will the tolls go up" in others and "ferry crews" in others
    assert "Will the tolls go up" not in executive and "ferry crews" not in executive


def test_a_debates_mixed_case_turns_keep_the_opponent_out_of_the_presidents_words(tmp_path: Path) -> None:
    doc = parse_speech(_speech(tmp_path, "2032-10-07-debate-health.txt", DEBATE))
    executive = " ".join(p.text for p in doc.passages if p.executive)
    assert "Forty thousand more operations" in executive and "hip operations" in executive
    for theirs in ("rules for counting them changed", "two new hospitals", "Our first question"):
        assert theirs not in executive
    assert doc.title == "Debate health" and str(doc.date) == "2032-10-07"


def test_a_dated_position_frame_is_not_counted_against_the_quote() -> None:
    passage = "We said it then. Forty depots will charge vans overnight by 2027. That was the plan."
    assert is_verbatim("Forty depots will charge vans overnight by 2027.", passage)
    assert is_verbatim("In March 2025 I said: “Forty depots will charge vans overnight by 2027.”", passage)
    assert is_verbatim("As of the June 2026 memo, forty depots will charge vans overnight by 2027.", passage)
    assert is_verbatim("As of the June 2026 memo: Forty depots will charge vans overnight by 2027.", passage)
    assert not is_verbatim("In March 2025 I said: “Fifty depots will charge vans overnight by 2027.”", passage)
    assert not is_verbatim("As of the June 2026 memo, fifty depots will charge vans overnight.", passage)
    assert not is_verbatim("Forty depots will charge every van overnight by 2027.", passage)
