"""Speaker labels: which turns are the executive's, and which label holds a transcript's words."""

from __future__ import annotations

from ingestion.pipeline import parse_bytes
from ingestion.speakers import is_executive_speaker, is_own_email, label_shares, unknown_label_share

PRESS = b"""THE PRESIDENT: Good afternoon, everybody. I want to talk about jobs and the recovery today, and about
what we will do next to put people back to work in every state of this country.

Q. Mr. President, will you sign the bill?

THE PRESIDENT: I will sign it the day it reaches my desk, because the families waiting on it cannot wait longer.

Q. Thank you, sir.
"""


def turns(labels: list[str]) -> list[tuple[str | None, bool, int]]:
    doc = parse_bytes(PRESS, "press-conference.txt", speaker_labels=labels)
    return [(p.speaker, p.executive, len(p.text.split())) for p in doc.passages]


def test_when_no_label_is_the_executives_the_label_with_most_words_is_named_with_its_share() -> None:
    top = unknown_label_share(turns(["BARACK OBAMA", "OBAMA"]))
    assert top is not None
    assert top.label == "THE PRESIDENT"
    assert 0.8 < top.share < 0.95
    assert unknown_label_share(turns(["The President."])) is None  # a known label: nothing to ask


def test_a_text_without_turns_has_no_label_to_suggest() -> None:
    doc = parse_bytes(b"We grow by serving customers better. That is the plan.", "memo.txt")
    assert unknown_label_share([(p.speaker, p.executive, len(p.text.split())) for p in doc.passages]) is None


def test_labels_compare_without_case_or_punctuation_and_shares_add_up() -> None:
    assert is_executive_speaker("THE. PRESIDENT", ["the president"])
    assert not is_executive_speaker(None, ["THE PRESIDENT"])
    shares = label_shares([("A", 30), ("B", 10), (None, 99), ("A", 20)])
    assert [(s.label, s.words) for s in shares] == [("A", 50), ("B", 10)]
    assert abs(sum(s.share for s in shares) - 1.0) < 1e-9
    assert is_own_email("Dana Reyes", "dana@x.example", []) and is_own_email("", "DANA@x.example", ["dana@x.example"])
    assert not is_own_email("Tomas Weber", "tomas@x.example", ["DANA REYES"])


DEBATE_MD = """**MODERATOR:** Good evening. Senator Lane, two minutes on the budget.

**SENATOR LANE:** Thank you. The President promised to cut the deficit, and we haven't done that. The policy you
had when you ran four years ago is still not law.

We are way behind on the budget, and families are paying for it.

**Foreign Policy**

**LEHRER: **Mr. President, your reply.

**PRESIDENT WARD:** The deficit is down three years running, and I will keep cutting it until the books balance.
"""


def test_bold_speaker_labels_of_a_markdown_transcript_keep_the_opponents_words_out_of_the_executives() -> None:
    doc = parse_bytes(DEBATE_MD.encode("utf-8"), "debate.txt", speaker_labels=["PRESIDENT WARD"])
    own = " ".join(p.text for p in doc.passages if p.executive)
    assert "The deficit is down three years running" in own
    assert "we haven't done that" not in own and "families are paying" not in own
    assert {p.speaker for p in doc.passages} >= {"SENATOR LANE", "PRESIDENT WARD"}
