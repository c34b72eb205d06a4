"""A pitch read as a person reads it: one pasted in Markdown is quoted in its words, without the markup."""

from __future__ import annotations

import pytest

from service.errors import PitchTooShort
from service.rehearsal.pitch import analyse_pitch, check_pitch_substance, read_pitch
from service.rehearsal.rubric import rubric_for, score_pitch

MARKDOWN_PITCH = """# Proposal: night pharmacy runs from Eastgate, approved by 30 June

## Why now

- Today a courier carries **9,140** prescriptions a month, and *2 in 8* arrive late.
- Our pilot with two stores ran 97.5% on time ([pilot report](https://intranet.example/pilot)).

> The biggest risk is that pharmacies cannot pack orders by `22:00`.

1. We would pause new stores if on-time-in-full drops below 97 %.
2. Hospital customers get urgent medicine before the morning rounds.
"""


def test_a_markdown_pitch_is_quoted_as_written_without_its_markup() -> None:
    analysis = analyse_pitch(MARKDOWN_PITCH)
    card = score_pitch(analysis, rubric_for(None))
    shown = [c.reason for c in card.criteria] + [q for c in card.criteria for q in c.quotes]
    for text in shown:
        for markup in ("#", "**", "](", "`", "> ", "- Today", "1. We", "2. Hospital"):
            assert markup not in text, (markup, text)
    assert analysis.sentences[:2] == ["Proposal: night pharmacy runs from Eastgate, approved by 30 June", "Why now"]
    assert "Today a courier carries 9,140 prescriptions a month, and 2 in 8 arrive late." in analysis.sentences
    by_key = {c.key: c for c in card.criteria}
    # The heading states the ask: quoted as written, without its "#".
    assert by_key["ask"].reason == ("States a concrete ask (“Proposal:”; 30 June): “Proposal: night pharmacy runs "
                                    "from Eastgate, approved by 30 June”")
    assert "“We would pause new stores if on-time-in-full drops below 97 %" in by_key["risks"].reason
    assert {"9,140", "2 in 8", "97.5%", "22:00", "30 June"} <= set(analysis.numbers)
    assert "1" not in analysis.numbers and "2" not in analysis.numbers  # list numbering is not a figure


def test_a_plain_pitch_is_read_as_it_is() -> None:
    text = "We would run the night window 22:00–05:00 from Eastgate. Costs fall 8%, from $6.40 to $6.10 a drop."
    assert analyse_pitch(text).sentences == ["We would run the night window 22:00–05:00 from Eastgate.",
                                             "Costs fall 8%, from $6.40 to $6.10 a drop."]


def test_a_one_line_ask_is_asked_for_its_numbers() -> None:
    with pytest.raises(PitchTooShort) as refused:
        check_pitch_substance("Let's buy more trucks.", 12)
    message = refused.value.message
    assert message.startswith("That is too short to rehearse (4 words). Tell me more:")
    assert message.endswith("and what you are asking for in numbers: how much, and by when. A few sentences will do "
                            "(at least 12 words, more than one sentence).")


def test_a_markdown_pitch_reads_the_same_uploaded_as_pasted(settings) -> None:
    pasted = analyse_pitch(read_pitch(settings, pitch_text=MARKDOWN_PITCH)[0])
    for data in (MARKDOWN_PITCH.encode(), MARKDOWN_PITCH.replace("\n", "\r\n").encode("utf-16")):
        text, name = read_pitch(settings, file_bytes=data, filename="night-pharmacy.md")
        uploaded = analyse_pitch(text)
        assert name == "night-pharmacy.md"
        assert uploaded.sentences == pasted.sentences  # the title heading too, which states the ask
        assert uploaded.ask == "Proposal: night pharmacy runs from Eastgate, approved by 30 June"
