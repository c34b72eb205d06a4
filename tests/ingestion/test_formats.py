"""Each format parsed from a real file: locators, speakers, executive flags, titles and dates."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from ingestion.model import ParsedDocument, ParsedPassage
from ingestion.pipeline import parse_bytes, parse_path
from tests.ingestion.conftest import (
    HTML,
    LABELLED_TRANSCRIPT,
    MARKDOWN,
    PDF_PAGES,
    SRT,
    VTT,
    build_docx,
    build_eml,
    build_pdf,
)


def passage_with(document: ParsedDocument, words: str) -> ParsedPassage:
    """The one passage whose text contains `words`."""
    found = [p for p in document.passages if words in p.text]
    assert len(found) == 1, f"{words!r} in {len(found)} passages: {[p.text for p in document.passages]}"
    return found[0]


def all_text(document: ParsedDocument) -> str:
    return "\n".join(p.text for p in document.passages)


# --- docx ----------------------------------------------------------------------------------------------------


def test_docx_headings_give_section_locators_and_tables_are_kept_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "focus.docx"
    path.write_bytes(build_docx())
    document = parse_path(path)
    assert document.kind == "memo"
    assert document.title == "Focus for the Second Half"
    assert document.date == dt.date(2024, 7, 1)
    assert document.metadata["author"] == "Dana Reyes"
    assert document.metadata["source_format"] == "docx"
    assert passage_with(document, "where we focus until December").locator == "\u00b6 1"
    churn = passage_with(document, "churn fell to 3.5% in the U.S. market")
    assert churn.locator == "\u00a7 Customers"
    assert churn.heading == "Customers"
    hiring = passage_with(document, "We hire slowly")
    assert hiring.locator == "\u00a7 Hiring"
    # The table reads row by row, in the section it sits in.
    assert "Team | Headcount\nPlatform | 12\nSales | 7" in hiring.text
    assert all(p.executive and p.speaker is None for p in document.passages)
    assert [p.ordinal for p in document.passages] == list(range(len(document.passages)))


def test_docx_passages_never_span_two_sections() -> None:
    document = parse_bytes(build_docx(), "focus.docx")
    for passage in document.passages:
        assert not ("December" in passage.text and "churn" in passage.text)
        assert not ("weekly" in passage.text and "hire slowly" in passage.text)


def test_docx_without_a_title_property_takes_its_first_heading() -> None:
    import io

    import docx

    document = docx.Document()
    document.add_heading("Pricing Principles", level=1)
    document.add_paragraph("Price on value, never on cost.")
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_bytes(buffer.getvalue(), "untitled-memo.docx")
    assert parsed.title == "Pricing Principles"
    # python-docx's template creation date is not the document's date.
    assert parsed.date is None


# --- pdf -------------------------------------------------------------------------------------------------------


def test_pdf_pages_give_page_locators_and_no_passage_crosses_a_page() -> None:
    data = build_pdf(PDF_PAGES)
    document = parse_bytes(data, "review.pdf")
    assert document.title == "Annual Review"
    assert document.metadata["pages"] == "3"
    assert document.metadata["author"] == "Dana Reyes"
    assert passage_with(document, "We grow revenue").locator == "p. 1"
    assert passage_with(document, "We hire slowly").locator == "p. 2"
    assert passage_with(document, "Margins matter more").locator == "p. 3"
    markers = {"Page one": 1, "Page two": 2, "Page three": 3}
    for passage in document.passages:
        pages = {page for marker, page in markers.items() if marker in passage.text}
        assert len(pages) <= 1, passage.text
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size_bytes == len(data)


def test_pdf_sentences_cut_by_a_page_break_stay_on_their_own_pages() -> None:
    pages = [["Our plan is simple. We will grow in"], ["three markets next year. That is all."]]
    document = parse_bytes(build_pdf(pages), "split.pdf")
    assert [(p.locator, p.text) for p in document.passages] == [
        ("p. 1", "Our plan is simple. We will grow in"),
        ("p. 2", "three markets next year. That is all."),
    ]


def test_pdf_placeholder_title_falls_back_to_the_file_name() -> None:
    document = parse_bytes(build_pdf(PDF_PAGES, title=None), "2023-01-15-board-letter.pdf")
    assert document.title == "Board Letter"
    assert document.date == dt.date(2023, 1, 15)


def test_pdf_encrypted_with_an_empty_password_is_read() -> None:
    from reportlab.lib import pdfencrypt

    encryption = pdfencrypt.StandardEncryption("", ownerPassword="owner-only")
    document = parse_bytes(build_pdf(PDF_PAGES, encrypt=encryption), "open.pdf")
    assert passage_with(document, "We hire slowly").locator == "p. 2"



@pytest.mark.parametrize(("filename", "title"), [
    ("2025-01-30-town-hall-qa-transcript.txt", "Town Hall Q&A Transcript"),
    ("2025-10-20-q3-2025-qbr-transcript.txt", "Q3 2025 QBR Transcript"),
    ("2025-03-10-ai-in-dispatch-for-hr.txt", "AI in Dispatch for HR"),
    ("b2b-crm-rollout.txt", "B2B CRM Rollout"),
    ("mr-rhythm-st-george.txt", "Mr Rhythm St George"),
])
def test_a_title_made_from_the_file_name_spells_abbreviations_as_people_do(filename: str, title: str) -> None:
    assert parse_bytes(LABELLED_TRANSCRIPT.encode(), filename).title == title


# --- vtt and srt --------------------------------------------------------------------------------------------


def test_vtt_voices_are_speakers_with_cue_start_locators() -> None:
    document = parse_bytes(VTT.encode(), "2024-03-05-q1-town-hall.vtt", speaker_labels=["dana reyes"])
    assert document.kind == "transcript"
    assert document.title == "Q1 Town Hall"
    assert document.date == dt.date(2024, 3, 5)
    plan = passage_with(document, "grow revenue by ten percent this year")
    # A sentence spread over two cues is one passage, located at the cue where it starts.
    assert plan.locator == "00:12:31"
    assert plan.speaker == "Dana Reyes"
    assert plan.executive is True
    question = passage_with(document, "How will we pay for it")
    assert question.speaker == "Sam Ortiz"
    assert question.executive is False
    assert question.locator == "00:12:40"
    answer = passage_with(document, "From margin, not from debt")
    assert (answer.speaker, answer.executive, answer.locator) == ("Dana Reyes", True, "00:12:44")
    assert document.metadata["speakers"] == "Dana Reyes, Sam Ortiz"


def test_another_speakers_words_are_never_the_executives() -> None:
    document = parse_bytes(VTT.encode(), "town-hall.vtt", speaker_labels=["Dana Reyes"])
    for passage in document.passages:
        assert passage.executive == (passage.speaker == "Dana Reyes")
        if "pay for it" in passage.text:
            assert "margin" not in passage.text


def test_short_turns_carry_neighbours_as_context_but_not_as_text() -> None:
    document = parse_bytes(VTT.encode(), "town-hall.vtt", speaker_labels=["Dana Reyes"])
    question = passage_with(document, "How will we pay for it")
    assert question.text == "How will we pay for it without new debt?"
    assert "ten percent" in question.context
    assert "From margin" in question.context


def test_transcript_without_a_speaker_label_marks_no_turn_as_the_executives() -> None:
    document = parse_bytes(VTT.encode(), "town-hall.vtt")
    assert not any(p.executive for p in document.passages)
    assert "no speaker label" in document.metadata["warning"]


def test_srt_name_prefixes_are_speakers_and_unlabelled_cues_continue_the_turn() -> None:
    document = parse_bytes(SRT.encode(), "review.srt", speaker_labels=["Dana"])
    assert document.kind == "transcript"
    welcome = passage_with(document, "Today is about focus")
    assert welcome.speaker == "DANA"
    assert welcome.locator == "00:00:01"
    assert "Focus means saying no" in welcome.text
    assert welcome.executive
    question = passage_with(document, "What do we stop doing first?")
    assert (question.speaker, question.executive) == ("SAM", False)
    assert passage_with(document, "The side projects").locator == "00:12:31"
    assert "DANA:" not in all_text(document)


# --- speaker-labelled text -----------------------------------------------------------------------------------


def test_labelled_text_turns_in_colon_and_period_forms() -> None:
    document = parse_bytes(LABELLED_TRANSCRIPT.encode(), "review.txt", speaker_labels=["DANA REYES"])
    assert document.kind == "transcript"
    opening = passage_with(document, "I want three things")
    assert (opening.speaker, opening.executive, opening.locator) == ("DANA REYES", True, "turn 1")
    # An unlabelled line continues the turn it follows.
    assert "Second, the risks." in opening.text
    sam = passage_with(document, "Revenue grew eight percent")
    assert (sam.speaker, sam.executive, sam.locator) == ("SAM ORTIZ", False, "turn 2")
    lee = passage_with(document, "Hiring is behind plan")
    assert (lee.speaker, lee.executive) == ("MS. LEE", False)
    risk = passage_with(document, "keeps you up at night")
    assert (risk.speaker, risk.executive, risk.locator) == ("DANA REYES", True, "turn 4")
    park = passage_with(document, "Supplier concentration")
    assert (park.speaker, park.executive) == ("MR. PARK", False)
    # "I. Do not think..." is Mr. Park still talking, not a speaker called "I".
    assert "I. Do not think we can fix that" in park.text
    close = passage_with(document, "Then that is the first thing we fix")
    # "OK. So" is part of a sentence, not a label.
    assert "OK. So let us plan it." in close.text
    assert close.executive
    assert document.metadata["speakers"] == "DANA REYES, SAM ORTIZ, MS. LEE, MR. PARK"
    preamble = passage_with(document, "Quarterly review, transcript")
    assert preamble.speaker is None and preamble.executive is False


SPEECH_WITH_INTERRUPTIONS = """Thank you all for coming out on a cold morning.

I want to talk about why we are opening the Eastgate depot, and what it means for the people who work there.
Eastgate puts forty new vans within ten minutes of our biggest customers, and it brings our on-time rate up.

AUDIENCE MEMBER: Will there be night shifts?

DANA REYES: Not in the first year. We staff days first and add nights only when volume proves it.

AUDIENCE MEMBER: And the vans?

DANA REYES: Electric where the routes are short, diesel where they are not, for now.

AUDIENCE: (Applause.)

DANA REYES: Thank you. Let's get to work.
"""

DEBATE_WITH_A_HOST = """Good evening, I am Lee Park, and I will moderate tonight's debate between the two candidates.

MS. CHO: Ms. Reyes, your plan for the depots costs money. Where does it come from?

DANA REYES: """ + " ".join(["It comes from the margin we make on cold chain, which grew every quarter this year."] * 20) + """

MR. ORTIZ: I disagree with every word of that.
"""


def test_a_speechs_unlabelled_opening_is_the_executives_when_only_interruptions_are_labelled() -> None:
    document = parse_bytes(SPEECH_WITH_INTERRUPTIONS.encode(), "eastgate.txt", speaker_labels=["DANA REYES"])
    opening = passage_with(document, "why we are opening the Eastgate depot")
    assert (opening.speaker, opening.executive) == (None, True)
    assert not passage_with(document, "Will there be night shifts?").executive
    assert passage_with(document, "Not in the first year").executive


def test_a_hosts_short_introduction_before_the_first_turn_is_not_the_executives() -> None:
    document = parse_bytes(DEBATE_WITH_A_HOST.encode(), "debate.txt", speaker_labels=["DANA REYES"])
    assert not passage_with(document, "I will moderate tonight's debate").executive
    assert all(p.executive for p in document.passages if p.speaker == "DANA REYES")


def test_speaker_label_matching_ignores_case_and_spacing() -> None:
    document = parse_bytes(LABELLED_TRANSCRIPT.encode(), "review.txt", speaker_labels=["  dana   reyes "])
    assert passage_with(document, "keeps you up at night").executive


def test_text_without_turns_is_the_executives_own_memo_with_paragraph_locators() -> None:
    text = (
        "We grow by keeping customers. Churn is the number I watch.\n\n"
        "Hiring follows the roadmap, never the other way round.\n\n"
        "OK. So that is the plan for the year.\n"
    )
    document = parse_bytes(text.encode(), "2021-06-30-mid-year-note.txt", speaker_labels=["DANA REYES"])
    assert document.kind == "memo"
    assert document.title == "Mid Year Note"
    assert document.date == dt.date(2021, 6, 30)
    assert all(p.executive and p.speaker is None for p in document.passages)
    locators = [p.locator for p in document.passages]
    assert locators[0].startswith("\u00b6 1")


def test_explicit_kind_wins_and_date_argument_wins() -> None:
    document = parse_bytes(
        VTT.encode(), "2024-03-05-town-hall.vtt", kind="talk", date=dt.date(2020, 1, 2), speaker_labels=["Dana Reyes"]
    )
    assert document.kind == "talk"
    assert document.date == dt.date(2020, 1, 2)


# --- email ------------------------------------------------------------------------------------------------------


def test_email_keeps_only_the_senders_words() -> None:
    document = parse_bytes(build_eml(), "pricing-reply.eml", speaker_labels=["Dana Reyes"])
    assert document.kind == "email"
    assert document.title == "Re: Pricing proposal"
    assert document.date == dt.date(2024, 3, 5)
    text = all_text(document)
    assert "margins come first" in text
    assert "two options that protect margin" in text
    # Quoted reply, its attribution line, sign-off and signature are all gone.
    for dropped in ("30% discount", "wrote:", "Let me know", "Chief Executive Officer", "555 0100", "Thanks,"):
        assert dropped not in text
    assert all(p.speaker == "Dana Reyes" and p.executive for p in document.passages)
    assert document.passages[0].locator.startswith("\u00b6 1")
    assert document.metadata["from_address"] == "dana@northwind.example"
    assert document.metadata["to"] == "leadership@northwind.example"


def test_email_from_someone_else_is_not_the_executives() -> None:
    data = build_eml(sender="Sam Ortiz <sam@northwind.example>")
    document = parse_bytes(data, "reply.eml", speaker_labels=["Dana Reyes", "dana@northwind.example"])
    assert all(p.speaker == "Sam Ortiz" and not p.executive for p in document.passages)


def test_email_sender_matches_by_address_too() -> None:
    document = parse_bytes(build_eml(), "reply.eml", speaker_labels=["DANA@northwind.example"])
    assert all(p.executive for p in document.passages)


def test_outlook_original_message_block_is_dropped() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Dana Reyes <dana@northwind.example>"
    message["Subject"] = "RE: Offsite"
    message["Date"] = "Wed, 10 Jan 2024 08:00:00 +0000"
    message.set_content(
        "Keep the offsite to one day. Agenda: customers, then cash.\n\n"
        "From: Sam Ortiz\nSent: Tuesday, January 9, 2024 5:00 PM\nTo: Dana Reyes\nSubject: Offsite\n\n"
        "Shall we book three days in Lisbon?\n"
    )
    document = parse_bytes(bytes(message), "offsite.eml")
    assert "Lisbon" not in all_text(document)
    assert "Keep the offsite to one day" in all_text(document)


# --- markdown and html -----------------------------------------------------------------------------------------


def test_markdown_headings_and_front_matter() -> None:
    document = parse_bytes(MARKDOWN.encode(), "principles.md")
    assert document.title == "Operating Principles"
    assert document.date == dt.date(2023, 11, 2)
    assert passage_with(document, "rules we run the company by").locator == "\u00b6 1"
    customers = passage_with(document, "always start with the customer")
    assert customers.locator == "\u00a7 Customers first"
    assert "*" not in customers.text and "https" not in customers.text
    assert passage_with(document, "Cash is oxygen").locator == "\u00a7 Cash"
    assert "code is not prose" not in all_text(document)


def test_html_headings_scripts_and_tables() -> None:
    document = parse_bytes(HTML.encode(), "all-hands.html")
    assert document.title == "All-hands notes"
    assert document.date == dt.date(2022, 5, 6)
    assert passage_with(document, "This quarter we focus on retention.").locator == "\u00a7 Welcome"
    assert passage_with(document, "Quarter | Revenue").locator == "\u00a7 Numbers"
    text = all_text(document)
    assert "script text" not in text and "color" not in text


def test_text_in_windows_encoding_is_decoded() -> None:
    data = "Our caf\u00e9 strategy \u2013 simple and \u201cfocused\u201d.".encode("cp1252")
    document = parse_bytes(data, "note.txt")
    assert document.passages[0].text == "Our caf\u00e9 strategy \u2013 simple and \u201cfocused\u201d."


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""])
def test_utf8_with_or_without_bom(bom: bytes) -> None:
    document = parse_bytes(bom + "Na\u00efve plans fail. Good ones adapt.".encode(), "note.md")
    assert document.passages[0].text == "Na\u00efve plans fail. Good ones adapt."


def test_filename_keeps_only_the_base_name() -> None:
    document = parse_bytes(b"We ship on Fridays.", "../../uploads/C:\\Users\\dana\\plan.txt")
    assert document.filename == "plan.txt"


def test_timestamped_text_transcript_uses_times_as_locators() -> None:
    text = (
        "[00:12:31] DANA REYES: We start with customers. Always.\n"
        "[00:12:40] SAM ORTIZ: And then?\n"
        "[00:12:45] DANA REYES: Then cash.\n"
        "[00:13:05] Then people, because people build everything.\n"
    )
    document = parse_bytes(text.encode(), "standup.txt", speaker_labels=["Dana Reyes"])
    assert [(p.locator, p.speaker, p.executive) for p in document.passages] == [
        ("00:12:31", "DANA REYES", True),
        ("00:12:40", "SAM ORTIZ", False),
        ("00:12:45", "DANA REYES", True),
    ]
    assert "people build everything" in document.passages[2].text


def test_speaker_and_time_header_lines_start_turns() -> None:
    text = (
        "Dana Reyes  0:03\nWe start with customers. Always.\n\n"
        "Sam Ortiz  0:15\nAnd then?\n\n"
        "Dana Reyes  1:02:07\nThen cash.\n\n"
        "Sam Ortiz  1:02:30\nWhy cash?\n"
    )
    document = parse_bytes(text.encode(), "otter-export.txt", speaker_labels=["Dana Reyes"])
    assert [(p.locator, p.speaker, p.executive, p.text) for p in document.passages] == [
        ("00:00:03", "Dana Reyes", True, "We start with customers. Always."),
        ("00:00:15", "Sam Ortiz", False, "And then?"),
        ("01:02:07", "Dana Reyes", True, "Then cash."),
        ("01:02:30", "Sam Ortiz", False, "Why cash?"),
    ]


def test_pdf_date_comes_from_its_creation_date() -> None:
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)  # invariant documents are dated 2000-01-01
    pdf.drawString(72, 700, "A dated page of text.")
    pdf.showPage()
    pdf.save()
    assert parse_bytes(buffer.getvalue(), "dated.pdf").date == dt.date(2000, 1, 1)
    # A date in the file name is the curator's choice and wins over the PDF's own metadata.
    assert parse_bytes(buffer.getvalue(), "2019-04-01-dated.pdf").date == dt.date(2019, 4, 1)


def test_signature_block_without_a_delimiter_is_dropped_at_the_senders_name() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Dana Reyes <dana.reyes@northwind.example>"
    message["Subject"] = "Re: Audit"
    message["Date"] = "Mon, 15 Dec 2025 21:05:00 +0000"
    message.set_content(
        "Priya,\n\nZero major findings is not luck. Please thank the night team from me.\n\n"
        "Thanks for carrying this.\n\nDana\n\n"
        "Dana Reyes | Chief Executive Officer | Northwind\nHarbour House, 1 Quay Street\n"
    )
    document = parse_bytes(bytes(message), "audit.eml")
    text = all_text(document)
    assert text.endswith("Thanks for carrying this.")
    assert "Chief Executive Officer" not in text and "Quay Street" not in text


def test_pdf_running_headers_footers_and_page_numbers_are_not_text() -> None:
    header = "Halvorsen Freight \u00b7 Annual Letter to Colleagues: 2025"
    pages = [[header, f"Page {n}", body, f"- {n} -"] for n, body in enumerate(
        ("We grow revenue by serving customers better.", "We hire slowly and carefully, for the roadmap.",
         "Margins matter more than volume this year."), 1)]
    document = parse_bytes(build_pdf(pages), "letter.pdf")
    texts = [p.text for p in document.passages]
    assert texts == ["We grow revenue by serving customers better.", "We hire slowly and carefully, for the roadmap.",
                     "Margins matter more than volume this year."], texts
    # A line that is the document's own words stays, even at the top of a page.
    single = parse_bytes(build_pdf([["Annual Letter", "We grow revenue by serving customers better."]]), "one.pdf")
    assert single.passages[0].heading == "Annual Letter", single.passages[0]


def test_pdf_section_headings_head_their_passages_and_bullets_read_as_bullets() -> None:
    # A heading line ran into the sentence after it ("Customers We kept 92.8%…") and reportlab's bullets came out as
    # DEL characters ("What we will stop \x7f Pricing below…").
    pages = [["Dear colleagues,", "Let me start with the year, which was a good one for all of us and our customers.",
              "Customers", "We kept 92.8% of our revenue from existing customers, up from 88% two years ago.",
              "What we will stop", "\x7f Pricing below our cost to serve to win new logos.",
              "\x7f Bidding for frozen bulk work where our network gives us no advantage."],
             ["Customers stayed because we were reliable on an ordinary day, not only in a crisis.",
              "The fleet", "A quarter of our urban vans are now electric, and the rest follow by 2028."]]
    document = parse_bytes(build_pdf(pages), "letter.pdf")
    by_heading: dict[str | None, ParsedPassage] = {}
    for passage in document.passages:
        by_heading.setdefault(passage.heading, passage)
    assert by_heading["Customers"].text.startswith("We kept 92.8%"), document.passages
    assert by_heading["The fleet"].text.startswith("A quarter of our urban vans"), document.passages
    assert by_heading["The fleet"].locator == "p. 2"
    stop = by_heading["What we will stop"].text
    assert "\x7f" not in stop and "\u2022 Pricing below our cost to serve" in stop, stop
    # A section goes on over a page break under its heading; a line ending in a comma heads nothing.
    page_two = [p for p in document.passages if p.locator == "p. 2"]
    assert page_two[0].heading == "What we will stop" and page_two[0].text.startswith("Customers stayed"), page_two
    assert all("Customers We" not in p.text and "The fleet A" not in p.text for p in document.passages)
    assert "Dear colleagues" not in by_heading


def test_pdf_front_matter_is_metadata_not_her_first_sentence() -> None:
    # A board summary's title, subtitle and byline ran into its first sentence: "…Summary for all colleagues by Dana
    # Reyes, Chief Executive Officer Why we need a strategy now Halvorsen Freight has grown…" was quoted as hers.
    pages = [["Strategy 2024-2026, Reliable First:", "Board-Approved Summary",
              "Approved by the Board of Directors on 28 February 2024 \u00b7 Summary for all colleagues by Dana",
              "Reyes, Chief Executive Officer", "Why we need a strategy now",
              "Halvorsen Freight has grown for sixty-six years by saying yes to new lanes, customers and services.",
              "The choice", "Reliable first, then fast. We will compete on being the carrier that does what it said."]]
    document = parse_bytes(build_pdf(pages), "strategy.pdf")
    first = document.passages[0]
    assert first.heading == "Why we need a strategy now", document.passages
    assert first.text.startswith("Halvorsen Freight has grown"), first.text
    assert all("Chief Executive Officer" not in p.text for p in document.passages)
    assert "Approved by the Board of Directors" in document.metadata["front_matter"]
    # A letter's salutation and the lines above it are front matter too; its first sentence opens the letter.
    letter = parse_bytes(build_pdf([["Annual Letter to Colleagues: 2025",
                                     "From Dana Reyes, Chief Executive Officer \u00b7 Port Calder, 19 January 2026",
                                     "Dear colleagues,", "Let me start with what matters most: everyone came home safe."]]),
                         "letter.pdf")
    assert letter.passages[0].text == "Let me start with what matters most: everyone came home safe.", letter.passages
