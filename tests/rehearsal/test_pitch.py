"""A pitch read as a person reads it: one pasted in Markdown is quoted in its words, without the markup."""

from __future__ import annotations

import pytest

from service.errors import BadInput, PitchTooShort
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


def test_a_long_single_sentence_is_told_it_is_one_sentence_not_miscounted() -> None:
    # A trial's 17-word sentence was told "(17 words)… (at least 12 words, more than one sentence)".
    with pytest.raises(PitchTooShort) as refused:
        check_pitch_substance("I want us to buy twelve more electric vans for the Eastgate depot before the winter "
                              "peak starts.", 12)
    assert refused.value.message.startswith("That is too short to rehearse (one sentence of 18 words)."), refused.value


def test_a_markdown_pitch_reads_the_same_uploaded_as_pasted(settings) -> None:
    pasted = analyse_pitch(read_pitch(settings, pitch_text=MARKDOWN_PITCH)[0])
    for data in (MARKDOWN_PITCH.encode(), MARKDOWN_PITCH.replace("\n", "\r\n").encode("utf-16")):
        text, name = read_pitch(settings, file_bytes=data, filename="night-pharmacy.md")
        uploaded = analyse_pitch(text)
        assert name == "night-pharmacy.md"
        assert uploaded.sentences == pasted.sentences  # the title heading too, which states the ask
        assert uploaded.ask == "Proposal: night pharmacy runs from Eastgate, approved by 30 June"


def _docx(*blocks: tuple[str, str]) -> bytes:
    """A Word file of (style, text) blocks: "h1", "h2" headings or "p" paragraphs."""
    import io

    from docx import Document

    document = Document()
    for style, text in blocks:
        if style == "p":
            document.add_paragraph(text)
        else:
            document.add_heading(text, int(style[1]))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ACADEMY_DOCX = (
    ("h1", "Dock-to-Desk: opening the Drivers Academy to warehouse staff"),
    ("p", "Today the Drivers Academy only trains drivers. Many of our best shift leads started on the dock, but they "
          "learn leadership by trial and error."),
    ("h2", "What we propose"),
    ("p", "A 12-week evening course for dock and warehouse staff who want to become shift leads, run at the Eastgate "
          "depot starting in March 2026. Twenty places per cohort, two cohorts a year."),
    ("h2", "Cost and owner"),
    ("p", "About $95k a year for trainers and paid study hours. Owner: Marcus Lee, Head of People Operations."),
    ("h2", "How we will know"),
    ("p", "At least 60% of graduates promoted within 18 months. If fewer than 10 people apply for the first cohort we "
          "will stop and rethink."),
)


def test_an_uploaded_pitchs_headings_are_read_as_headings_not_as_its_sentences(settings) -> None:
    # A trial's .docx was scored on its headings: the ask was "What we propose" ("no amount or date"), impact was
    # "Cost and owner", and the figures' example was a sentence without a figure ("…by trial and error.").
    text, _ = read_pitch(settings, file_bytes=_docx(*ACADEMY_DOCX), filename="academy.docx")
    analysis = analyse_pitch(text)
    assert analysis.ask is not None and analysis.ask.startswith("A 12-week evening course"), analysis.ask
    assert analysis.ask_strength == 3, analysis.ask_specifics
    card = {c.key: c for c in score_pitch(analysis, rubric_for(None)).criteria}
    assert card["ask"].score == 5, card["ask"].reason
    for criterion in card.values():
        for heading in ("What we propose", "Cost and owner", "How we will know"):
            assert f"“{heading}”" not in criterion.reason, criterion.reason
    # Its cost is said as a sum of money, not with the word "cost", and it is still what the pitch does for the business.
    assert "$95k" in card["impact"].reason and card["impact"].score >= 2, card["impact"].reason
    example = card["evidence"].reason.split("e.g. ", 1)[1]
    assert any(f.text in example for f in analysis.figures), card["evidence"].reason


def test_an_asks_amounts_and_dates_read_as_written_in_the_order_written() -> None:
    # A trial's ask read "States a concrete ask (“we propose”; 12, 2026, in March)".
    analysis = analyse_pitch("What we propose\n\nA 12-week evening course for dock staff, run at the Eastgate depot "
                             "starting in March 2026. Twenty places per cohort, two cohorts a year.")
    assert analysis.ask_specifics == ["12-week", "in March 2026"], analysis.ask_specifics
    assert "90-day" in analyse_pitch("We ask for a 90-day pilot on two lanes from 1 May.").numbers


def test_a_title_that_is_the_ask_stays_the_ask() -> None:
    analysis = analyse_pitch("Proposal: win the Norland Foods account with an introductory price\n\nNorland ships "
                             "1,200 pallets a week. I propose we take the account at that price for the first year.")
    assert analysis.ask == "I propose we take the account at that price for the first year."


def test_the_number_of_a_place_is_not_a_figure_and_a_day_counted_is_a_date() -> None:
    # "at Pier 9" was read as a figure ("9 figures (90; 9; …)"), and "at day 45" as a number answering "how many".
    analysis = analyse_pitch("We want to add one more pharma customer to the Pier 9 cold chain operation, on two "
                             "lanes, for a 90-day pilot. We read the results at day 45 and at Terminal 2 in March 2026.")
    assert "9" not in analysis.numbers and "2" not in analysis.numbers, analysis.numbers
    assert {f.text: f.kind for f in analysis.figures}.get("45") == "date", analysis.figures
    assert {f.text: f.kind for f in analysis.figures}.get("2026") == "date", analysis.figures
    assert "two lanes" in analysis.numbers


def test_a_bad_upload_names_the_file_once(settings) -> None:
    # The Rehearse page said "empty.txt: empty.txt is empty (0 bytes)."
    with pytest.raises(BadInput) as empty:
        read_pitch(settings, file_bytes=b"", filename="empty.txt")
    assert empty.value.message.count("empty.txt") == 1, empty.value.message
    with pytest.raises(BadInput) as broken:
        read_pitch(settings, file_bytes=b"PK\x03\x04 not a real docx", filename="pitch.docx")
    assert broken.value.message.count("pitch.docx") == 1, broken.value.message


@pytest.mark.parametrize("action", ["switch it off", "turn the tool off", "shut the trial down"])
def test_switching_a_trial_off_when_a_measure_drops_is_a_kill_criterion(action: str) -> None:
    kill = (f"The risk is that a bad plan goes out unchecked; we would read the logs every morning and {action} if "
            "on-time in full dropped below 97%.")
    analysis = analyse_pitch("I'd like a three-month trial of automatic night dispatch at Eastgate from February. "
                             "Drivers wait 25 minutes for their run today. " + kill)
    assert analysis.kill_criteria == [kill]
    assert kill in analysis.mitigation_sentences
