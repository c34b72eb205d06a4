"""Bad and hostile files: each fails alone, with a stable code and a message a curator can act on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingestion.model import IngestError, Limits
from ingestion.pipeline import parse_bytes, parse_path
from tests.ingestion.conftest import (
    PDF_PAGES,
    build_docx,
    build_pdf,
    build_scanned_pdf,
    docx_with_member,
    many_member_docx,
    raw_pdf,
    text_page_objects,
    zip_bomb_docx,
)

# Tight but workable limits, so that hostile PDFs are cut off quickly.
PDF_LIMITS = Limits(pdf_timeout_s=20.0, pdf_memory_mb=384)
DEFAULT_LIMITS = Limits()


def refuse(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> IngestError:
    """The IngestError that parsing these bytes raises."""
    with pytest.raises(IngestError) as caught:
        parse_bytes(data, name, limits=limits)
    error = caught.value
    assert name.rsplit("/", 1)[-1] in error.message or error.code in ("too_many_passages",)
    return error


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    path.write_bytes(b"")
    with pytest.raises(IngestError) as caught:
        parse_path(path)
    assert caught.value.code == "empty"
    assert "empty.docx is empty" in caught.value.message


def test_blank_text_file_is_empty() -> None:
    error = refuse(b"  \n\n\t \r\n", "blank.txt")
    assert error.code == "empty"
    assert "no text" in error.message


def test_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 5000)
    with pytest.raises(IngestError) as caught:
        parse_path(path, limits=Limits(max_bytes=1000))
    assert caught.value.code == "too_large"
    assert "limit" in caught.value.message and "big.txt" in caught.value.message


def test_oversized_upload_is_refused() -> None:
    error = refuse(b"x" * 2048, "upload.md", Limits(max_bytes=1024))
    assert error.code == "too_large"


def test_unsupported_type_names_the_supported_ones() -> None:
    error = refuse(b"\x89PNG\r\n\x1a\n....", "photo.png")
    assert error.code == "unsupported_type"
    assert ".docx" in error.message and ".pdf" in error.message


def test_truncated_docx() -> None:
    data = build_docx()
    error = refuse(data[: len(data) // 2], "cut.docx")
    assert error.code == "truncated"
    assert "cut short" in error.message


def test_truncated_pdf() -> None:
    data = build_pdf(PDF_PAGES)
    error = refuse(data[: len(data) // 2], "cut.pdf", PDF_LIMITS)
    assert error.code == "truncated"
    assert "cut short" in error.message


def test_corrupt_pdf_body() -> None:
    error = refuse(b"%PDF-1.4\n" + os.urandom(3000) + b"\n%%EOF\n", "noise.pdf", PDF_LIMITS)
    assert error.code == "corrupt"
    assert "noise.pdf" in error.message


def test_encrypted_pdf() -> None:
    error = refuse(build_pdf(PDF_PAGES, encrypt="s3cret"), "locked.pdf", PDF_LIMITS)
    assert error.code == "encrypted"
    assert "password" in error.message


def test_encrypted_docx_is_refused() -> None:
    # Word saves a password-protected .docx as an OLE2 container holding an EncryptedPackage stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 512
    error = refuse(ole, "locked.docx")
    assert error.code == "encrypted"
    assert "password" in error.message


def test_scanned_pdf_has_no_text() -> None:
    error = refuse(build_scanned_pdf(), "scan.pdf", PDF_LIMITS)
    assert error.code == "no_text"
    assert "OCR" in error.message


def test_pdf_bytes_named_docx_are_mislabelled() -> None:
    error = refuse(build_pdf(PDF_PAGES), "memo.docx")
    assert error.code == "mislabelled"
    assert "PDF" in error.message


def test_random_bytes_named_pdf_are_mislabelled() -> None:
    error = refuse(os.urandom(4096), "report.pdf")
    assert error.code == "mislabelled"
    assert "not a PDF" in error.message


def test_binary_named_txt_is_mislabelled() -> None:
    error = refuse(bytes(range(256)) * 8, "notes.txt")
    assert error.code == "mislabelled"
    assert "binary" in error.message


def test_docx_named_txt_is_mislabelled() -> None:
    error = refuse(build_docx(), "notes.txt")
    assert error.code == "mislabelled"
    assert "Word document" in error.message


def test_spreadsheet_named_docx_is_mislabelled() -> None:
    error = refuse(docx_with_member("xl/workbook.xml", b"<workbook/>"), "budget.docx")
    assert error.code == "mislabelled"
    assert "Excel" in error.message


def test_text_named_vtt_without_cues_is_mislabelled() -> None:
    error = refuse(b"Just some notes, no captions here.", "talk.vtt")
    assert error.code == "mislabelled"
    assert "cues" in error.message


def test_text_named_eml_is_mislabelled() -> None:
    error = refuse(b"Dear team, this is not an e-mail file.", "note.eml")
    assert error.code == "mislabelled"
    assert "headers" in error.message


def test_zip_bomb_docx_with_a_huge_member() -> None:
    error = refuse(zip_bomb_docx(300), "bomb.docx")
    assert error.code == "zip_bomb"
    assert "word/document.xml" in error.message or "inflate" in error.message


def test_zip_bomb_docx_with_ten_thousand_members() -> None:
    error = refuse(many_member_docx(10_000), "members.docx")
    assert error.code == "zip_bomb"
    assert "10,00" in error.message  # 10,002 members: the count is in the message


def test_zip_whose_total_size_exceeds_the_limit() -> None:
    data = docx_with_member("word/document.xml", b"<w:document>" + b"a" * 200_000 + b"</w:document>")
    error = refuse(data, "large.docx", Limits(zip_max_total_bytes=100_000))
    assert error.code == "zip_bomb"


def test_pdf_decompression_bomb_is_stopped(bomb_pdf: bytes) -> None:
    assert len(bomb_pdf) < 2 * 1024 * 1024  # the file is small; what it inflates to is not
    error = refuse(bomb_pdf, "bomb.pdf", PDF_LIMITS)
    assert error.code == "pdf_memory"
    assert "bomb" in error.message


def test_pdf_reader_memory_limit_is_enforced(bomb_pdf: bytes) -> None:
    # Below what the reader needs to inflate even its own safety margin: the worker runs out, not us.
    error = refuse(bomb_pdf, "bomb.pdf", Limits(pdf_timeout_s=20.0, pdf_memory_mb=96))
    assert error.code == "pdf_memory"


def test_pdf_worker_past_its_time_limit_is_killed() -> None:
    error = refuse(build_pdf(PDF_PAGES), "slow.pdf", Limits(pdf_timeout_s=0.01))
    assert error.code == "pdf_timeout"
    assert "stopped" in error.message


def test_pdf_with_too_many_pages() -> None:
    error = refuse(build_pdf([["One."], ["Two."], ["Three."]]), "long.pdf", Limits(pdf_max_pages=2))
    assert error.code == "too_large"
    assert "3 pages" in error.message


def test_pdf_with_a_circular_page_tree() -> None:
    objects = text_page_objects(kids=b"[3 0 R 2 0 R]", count=2)
    error = refuse(raw_pdf(objects), "cycle.pdf", PDF_LIMITS)
    assert error.code == "corrupt"
    assert "cycle.pdf" in error.message


def test_pdf_with_an_xref_prev_loop_still_reads_or_fails_cleanly() -> None:
    data = raw_pdf(text_page_objects(), prev_loop=True)
    document = parse_bytes(data, "loop.pdf", limits=PDF_LIMITS)
    assert document.passages[0].text == "The loop page still says something."
    assert document.passages[0].locator == "p. 1"


def test_too_many_passages() -> None:
    text = "\n\n".join(f"Point number {n} matters." for n in range(50))
    error = refuse(text.encode(), "list.txt", Limits(max_passages=10, passage_words=3))
    assert error.code == "too_many_passages"
    assert "list.txt" in error.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        parse_path(tmp_path / "nowhere.pdf")
    assert caught.value.code == "not_found"


def test_deeply_nested_html_does_not_overflow() -> None:
    data = ("<div>" * 20_000 + "Deep words still count." + "</div>" * 20_000).encode()
    try:
        document = parse_bytes(data, "deep.html")
    except IngestError as error:
        assert error.code in ("corrupt", "no_text")
    else:
        assert "Deep words still count." in document.passages[0].text


def test_malformed_vtt_timings_are_corrupt() -> None:
    error = refuse(b"WEBVTT\n\n00:xx:01.000 --> 00:00:02.000\nHello\n", "bad.vtt")
    assert error.code in ("corrupt", "no_text")
