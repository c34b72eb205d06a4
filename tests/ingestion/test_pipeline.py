"""Folder expansion and the contract every caller relies on: a document or an IngestError, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.model import IngestError, Limits, ParsedDocument
from ingestion.pipeline import SUPPORTED_SUFFIXES, iter_files, parse_path
from ingestion.pipeline import parse_bytes as parse_upload
from tests.ingestion.conftest import VTT, build_docx, build_pdf


def test_iter_files_expands_folders_in_sorted_order_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "b-talks").mkdir(parents=True)
    (corpus / "a-memos").mkdir()
    (corpus / ".git").mkdir()
    (corpus / "a-memos" / "2.docx").write_bytes(build_docx())
    (corpus / "a-memos" / "1.md").write_text("# One\n\nFirst.")
    (corpus / "a-memos" / "~$2.docx").write_bytes(b"lock")
    (corpus / "a-memos" / ".hidden.txt").write_text("secret")
    (corpus / "a-memos" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (corpus / "b-talks" / "town-hall.vtt").write_text(VTT)
    (corpus / ".git" / "notes.txt").write_text("not content")
    (corpus / "top.TXT").write_text("Top level.")
    explicit = tmp_path / "odd.xyz"
    explicit.write_text("named explicitly")
    found = list(iter_files([corpus, explicit]))
    assert found == [
        corpus / "a-memos" / "1.md",
        corpus / "a-memos" / "2.docx",
        corpus / "b-talks" / "town-hall.vtt",
        corpus / "top.TXT",
        explicit,
    ]
    with pytest.raises(IngestError) as caught:
        parse_path(explicit)
    assert caught.value.code == "unsupported_type"


def test_every_file_of_a_folder_parses_on_its_own(tmp_path: Path) -> None:
    (tmp_path / "good.docx").write_bytes(build_docx())
    (tmp_path / "broken.docx").write_bytes(build_docx()[:500])
    (tmp_path / "talk.vtt").write_text(VTT)
    outcomes = {}
    for path in iter_files([tmp_path]):
        try:
            outcomes[path.name] = parse_path(path).kind
        except IngestError as error:
            outcomes[path.name] = error.code
    assert outcomes == {"broken.docx": "truncated", "good.docx": "memo", "talk.vtt": "transcript"}


TEXT_SUFFIXES = [s for s in SUPPORTED_SUFFIXES if s not in (".pdf", ".docx")]


def outcome(data: bytes, name: str) -> ParsedDocument | IngestError:
    """Parse and return the document, or the IngestError; any other exception fails the test."""
    try:
        return parse_upload(data, name, limits=Limits(pdf_timeout_s=20))
    except IngestError as error:
        assert error.code and error.message
        return error


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(TEXT_SUFFIXES + [".docx"]))
def test_arbitrary_bytes_give_a_document_or_an_ingest_error(data: bytes, suffix: str) -> None:
    result = outcome(data, "upload" + suffix)
    if isinstance(result, ParsedDocument):
        assert result.passages and result.size_bytes == len(data)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=2000), suffix=st.sampled_from(TEXT_SUFFIXES))
def test_arbitrary_text_gives_a_document_or_an_ingest_error(text: str, suffix: str) -> None:
    result = outcome(text.encode("utf-8", "surrogatepass"), "upload" + suffix)
    if isinstance(result, ParsedDocument):
        assert all(p.text.strip() for p in result.passages)


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(min_size=1, max_size=2048), cut=st.integers(min_value=10, max_value=3000))
def test_damaged_pdfs_give_a_document_or_an_ingest_error(body: bytes, cut: int) -> None:
    # Few examples: each one that gets past the header check starts a worker process.
    real = build_pdf([["A sentence on page one."]])
    outcome(b"%PDF-1.4\n" + body + b"\n%%EOF\n", "upload.pdf")
    outcome(real[:cut] + body + real[cut:], "upload.pdf")


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.integers(min_value=0, max_value=10_000), junk=st.binary(min_size=1, max_size=64))
def test_damaged_docx_gives_a_document_or_an_ingest_error(position: int, junk: bytes) -> None:
    real = build_docx()
    at = position % len(real)
    outcome(real[:at] + junk + real[at + len(junk):], "upload.docx")


def test_a_memo_routing_header_is_metadata_not_the_executives_words(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for line in ("To: All colleagues", "From: Dana Reyes, CEO", "Date: 26 February 2024",
                 "Three weeks ago I promised to explain our target.", "To: the point, it is 97%."):
        document.add_paragraph(line)
    path = tmp_path / "memo.docx"
    document.save(path)
    for doc in (parse_path(path), parse_upload(b"To: All colleagues\nFrom: Dana Reyes\n\nThree weeks ago I promised.",
                                               "memo.txt")):
        first = doc.passages[0]
        assert first.text.startswith("Three weeks ago"), first.text
        assert doc.metadata["memo_to"] == "All colleagues"
        assert doc.metadata["memo_from"].startswith("Dana Reyes")
    # A later line that merely looks like a header stays, and a single "Date:" line is not a header block.
    assert "To: the point, it is 97%." in parse_path(path).passages[-1].text
    lone = parse_upload(b"Date: Tuesday was the deadline we missed.\n\nWe will do better.", "note.txt")
    assert lone.passages[0].text.startswith("Date: Tuesday")


HEADER_WORDS = ("To:", "From:", "Date:", "Subject:", "Re:", "CC:", "MEMORANDUM")


def build_memo_docx(path: Path) -> Path:
    """A Word memo as offices write them: a MEMORANDUM label, routing lines split by soft breaks, a table."""
    import docx

    document = docx.Document()
    document.add_paragraph("MEMORANDUM")
    routing = document.add_paragraph("To: All Halvorsen colleagues")
    for line in ("From: Dana Reyes, Chief Executive Officer", "Date: 19 May 2025"):
        routing.add_run().add_break()
        routing.add_run(line)
    document.add_paragraph("CC: Executive leadership team")
    document.add_paragraph("Subject: Fleet electrification timing")
    document.add_paragraph("We will electrify the urban fleet first, depot by depot. Range is no longer the problem.")
    table = document.add_table(rows=2, cols=3)
    for row, cells in enumerate([("Depot", "Urban vans", "Electric today"), ("Calder North", "64", "12")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.save(str(path))
    return path


MEMO_MD = """# Fleet electrification timing

**To:** All Halvorsen colleagues
**From:** Dana Reyes, Chief Executive Officer
**Date:** May 19, 2025

We will electrify the urban fleet first, depot by depot. Range is no longer the problem.

| Depot | Urban vans | Electric today |
|---|---|---|
| Calder North | 64 | 12 |
"""


def test_memo_headers_of_word_and_markdown_memos_are_metadata_and_give_the_date(tmp_path: Path) -> None:
    memos = [build_memo_docx(tmp_path / "fleet-timing.docx"), tmp_path / "fleet-timing.md"]
    memos[1].write_text(MEMO_MD, encoding="utf-8")
    for path in memos:
        doc = parse_path(path, speaker_labels=["DANA REYES"])
        texts = [p.text for p in doc.passages]
        assert not any(line.startswith(HEADER_WORDS) for text in texts for line in text.splitlines()), texts
        assert texts[0].startswith("We will electrify the urban fleet first"), texts
        assert doc.date is not None and doc.date.isoformat() == "2025-05-19", path.name
        assert doc.metadata["memo_to"] == "All Halvorsen colleagues"
        assert doc.metadata["memo_from"] == "Dana Reyes, Chief Executive Officer"
        assert doc.title == "Fleet electrification timing"
        # Tables stay searchable, a row a line with its cells joined as before.
        assert "Calder North | 64 | 12" in "\n".join(texts).splitlines()
    assert parse_path(memos[0]).metadata["memo_cc"] == "Executive leadership team"


def test_paragraph_numbers_count_the_memo_body_not_its_routing_lines(tmp_path: Path) -> None:
    import docx

    long_paragraph = "We will electrify the urban fleet first, depot by depot, and no sooner than it works. " * 8
    document = docx.Document()
    for line in ("To: All colleagues", "From: Dana Reyes, CEO", "Date: 26 February 2024", long_paragraph,
                 long_paragraph.replace("urban", "regional")):
        document.add_paragraph(line)
    path = tmp_path / "memo.docx"
    document.save(path)
    plain = b"To: All colleagues\nFrom: Dana Reyes\nDate: 5 May 2024\n\n" + long_paragraph.encode() + b"\n\n" + \
        long_paragraph.replace("urban", "regional").encode()
    for doc in (parse_path(path), parse_upload(plain, "memo.txt")):
        # A reader counting the memo's paragraphs finds its first body paragraph first: "¶ 1", not "¶ 4".
        locators = [p.locator for p in doc.passages]
        assert locators[0] == "\u00b6 1" and locators[-1] == "\u00b6 2", locators


def test_a_date_prefix_in_the_file_name_still_wins_over_the_header(tmp_path: Path) -> None:
    path = build_memo_docx(tmp_path / "2025-05-20-fleet-timing.docx")
    assert str(parse_path(path).date) == "2025-05-20"


def test_a_lone_from_line_and_an_emailed_memos_header_are_not_speech() -> None:
    from email.message import EmailMessage

    note = parse_upload(b"From: Dana Reyes\n\nI want every driver home safe.", "note.txt")
    assert [p.text for p in note.passages] == ["I want every driver home safe."]
    assert note.metadata["memo_from"] == "Dana Reyes"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Dana Reyes <dana@halvorsen.example>", "all@halvorsen.example", "Fleet"
    message["Date"] = "Mon, 19 May 2025 06:52:00 +0000"
    message.set_content("To: All colleagues\nDate: 18 May 2025\n\nWe will electrify the urban fleet first.\n")
    mail = parse_upload(bytes(message), "fleet.eml", speaker_labels=["DANA REYES"])
    assert [p.text for p in mail.passages] == ["We will electrify the urban fleet first."]
    assert str(mail.date) == "2025-05-19"  # the message's own Date header comes first


def test_the_demo_corpus_has_no_header_lines_in_its_passages() -> None:
    demo = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes"
    memos = [path for path in iter_files([demo]) if path.suffix in (".docx", ".md", ".txt", ".eml", ".pdf")]
    assert len(memos) > 10
    for path in memos:
        doc = parse_path(path, speaker_labels=["DANA REYES"])
        starts = [p.text for p in doc.passages if p.text.startswith(HEADER_WORDS)]
        assert not starts, (path.name, starts)
