"""Fixtures that build real files: .docx with python-docx, .pdf with reportlab or by hand, .eml with EmailMessage."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

SPEECHES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "presidential-speeches"


def build_docx() -> bytes:
    """A memo with core properties, an intro paragraph, two headed sections and a table."""
    document = docx.Document()
    props = document.core_properties
    props.title = "Focus for the Second Half"
    props.author = "Dana Reyes"
    props.created = dt.datetime(2024, 7, 1, 9, 30, tzinfo=dt.UTC)
    document.add_paragraph("This memo sets out where we focus until December.")
    document.add_heading("Customers", level=1)
    document.add_paragraph(
        "We win by keeping the customers we have. Mr. Ortiz showed that churn fell to 3.5% in the U.S. "
        "market after we fixed onboarding."
    )
    document.add_paragraph("Every team reviews its churn numbers weekly.")
    document.add_heading("Hiring", level=2)
    document.add_paragraph("We hire slowly and only for the roadmap.")
    table = document.add_table(rows=3, cols=2)
    for row, (team, heads) in enumerate([("Team", "Headcount"), ("Platform", "12"), ("Sales", "7")]):
        table.cell(row, 0).text = team
        table.cell(row, 1).text = heads
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_pdf(pages: Sequence[Sequence[str]], *, title: str | None = "Annual Review", encrypt: object = None) -> bytes:
    """A PDF whose page N carries the given lines of text."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, encrypt=encrypt)
    if title:
        pdf.setTitle(title)
    pdf.setAuthor("Dana Reyes")
    for lines in pages:
        y = 720
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


PDF_PAGES = [
    ["Page one is about growth. We grow revenue by serving customers better.",
     "That is the whole strategy for the year."],
    ["Page two is about hiring. We hire slowly and carefully, and only for the roadmap."],
    ["Page three is about margins. Margins matter more than volume this year."],
]


def build_scanned_pdf() -> bytes:
    """A one-page PDF holding only a drawn rectangle: pages but no text layer."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter)
    pdf.rect(100, 100, 300, 400, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def raw_pdf(objects: Sequence[bytes], *, prev_loop: bool = False) -> bytes:
    """A hand-written PDF of numbered objects (1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    prev = b" /Prev %d" % xref_at if prev_loop else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, prev, xref_at)
    return bytes(out)


def text_page_objects(kids: bytes = b"[3 0 R]", count: int = 1) -> list[bytes]:
    """Catalog, page tree, one page showing a sentence in Helvetica, its content stream and font."""
    content = b"BT /F1 12 Tf 72 700 Td (The loop page still says something.) Tj ET"
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids %s /Count %d >>" % (kids, count),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def zeros_deflate_stream(megabytes: int) -> bytes:
    """A zlib stream that inflates to `megabytes` MiB of zeros, built without compressing them all."""
    chunk = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9)
    header_and_first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor forgets its history, so every further MiB compresses the same.
    repeat = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.flush(zlib.Z_FINISH)
    body = header_and_first + repeat * (megabytes - 1)
    checksum = 1
    for _ in range(megabytes):
        checksum = zlib.adler32(chunk, checksum)
    # Z_FINISH wrote an empty final block and the checksum of two MiB; replace the checksum.
    return body + final[:-4] + checksum.to_bytes(4, "big")


@pytest.fixture(scope="session")
def bomb_pdf() -> bytes:
    """A small PDF whose single content stream inflates to 1 GiB of zeros."""
    stream = zeros_deflate_stream(1024)
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ])


def docx_with_member(name: str, data: bytes, *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip holding one member, with the minimum of a Word package around it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_docx(megabytes: int = 300) -> bytes:
    """A .docx-shaped zip whose word/document.xml inflates to `megabytes` MiB of spaces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def many_member_docx(members: int = 10_000) -> bytes:
    """A .docx-shaped zip with thousands of tiny members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for index in range(members):
            archive.writestr(f"word/media/part{index}.xml", b"x")
    return buffer.getvalue()


VTT = """WEBVTT

00:12:31.000 --> 00:12:35.000
<v Dana Reyes>We are going to grow revenue

00:12:35.000 --> 00:12:39.000
<v Dana Reyes>by ten percent this year. That is the plan we committed to.

00:12:40.000 --> 00:12:43.000
<v Sam Ortiz>How will we pay for it without new debt?

00:12:44.000 --> 00:12:49.000
<v Dana Reyes>From margin, not from debt. We stop the side projects.
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
DANA: Welcome, everyone. Today is about focus.

2
00:00:04,500 --> 00:00:07,000
Focus means saying no to good ideas.

3
00:00:08,000 --> 00:00:10,000
SAM: What do we stop doing first?

4
00:12:31,000 --> 00:12:35,000
DANA: The side projects, starting this quarter.
"""

LABELLED_TRANSCRIPT = """Quarterly review, transcript

DANA REYES: Good morning. I want three things from this review.
First, the numbers. Second, the risks.

SAM ORTIZ: Revenue grew eight percent. Churn is flat.
MS. LEE: Hiring is behind plan in sales.

DANA REYES. What is the one risk that keeps you up at night?
MR. PARK. Supplier concentration. We depend on one vendor for chips.
I. Do not think we can fix that this year.
DANA REYES. Then that is the first thing we fix. OK. So let us plan it.
"""


def build_eml(*, sender: str = "Dana Reyes <dana@northwind.example>") -> bytes:
    """A reply with the sender's own words, a sign-off, a signature and a quoted earlier message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "leadership@northwind.example"
    message["Subject"] = "Re: Pricing proposal"
    message["Date"] = "Tue, 05 Mar 2024 10:15:00 -0500"
    message.set_content(
        "Sam,\n"
        "\n"
        "I read the proposal. We should not discount to win volume; margins come first.\n"
        "Bring me two options that protect margin by Friday.\n"
        "\n"
        "Thanks,\n"
        "Dana\n"
        "\n"
        "-- \n"
        "Dana Reyes | Chief Executive Officer | Northwind\n"
        "+1 555 0100\n"
        "\n"
        "On Mon, Mar 4, 2024 at 9:02 AM Sam Ortiz <sam@northwind.example> wrote:\n"
        "> We propose a 30% discount for all new logos to hit the volume target.\n"
        "> Let me know.\n"
    )
    return bytes(message)


MARKDOWN = """---
title: Operating Principles
date: 2023-11-02
---

These are the rules we run the company by.

# Customers first

We *always* start with the [customer](https://example.com). Everything else follows.

## Cash

- Cash is oxygen.
- Margins before volume.

```
print("code is not prose")
```
"""

HTML = """<!doctype html>
<html><head><title>All-hands notes</title><meta name="date" content="2022-05-06">
<script>var tracking = "script text must not appear";</script><style>p { color: red; }</style></head>
<body>
<h1>Welcome</h1>
<p>Hello <b>team</b>. This quarter we focus on <i>retention</i>.</p>
<h2>Numbers</h2>
<table><tr><th>Quarter</th><th>Revenue</th></tr><tr><td>Q1</td><td>10 million</td></tr></table>
</body></html>
"""


@pytest.fixture
def speeches_dir() -> Path:
    """The shared presidential speeches, or a skip when this machine does not have them."""
    if not SPEECHES.is_dir():
        pytest.skip(f"shared data not found at {SPEECHES}")
    return SPEECHES
