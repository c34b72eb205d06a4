"""Build the fictional Dana Reyes demo corpus from examples/text/*.md into examples/dana-reyes/.

Each source file in examples/text/ starts with `key: value` header lines, a line `---`, then a
markdown-like body. The `output` header names the file to write (relative to the corpus folder); its
extension picks the renderer: .docx (python-docx), .pdf (reportlab), .vtt, .txt, .md, .eml.

    python examples/build_corpus.py            # write examples/dana-reyes/
    python examples/build_corpus.py --check    # rebuild in a temp dir, compare bytes with the committed files
    python examples/build_corpus.py --verify   # open every generated file with its reader, print word counts
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import email.utils
import io
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEXT_DIR = HERE / "text"
CORPUS_DIR = HERE / "dana-reyes"
AUTHOR = "Dana Reyes"
COMPANY = "Halvorsen Freight"
# Files in the corpus folder that the builder does not generate and must leave alone.
HAND_WRITTEN = {"twin.toml"}


@dataclass(frozen=True)
class Source:
    """One document's text and metadata, read from examples/text/."""

    path: Path
    headers: dict[str, str]
    body: str

    @property
    def output(self) -> str:
        return self.headers["output"]

    @property
    def title(self) -> str:
        return self.headers["title"]

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.headers["date"])

    @property
    def moment(self) -> dt.datetime:
        """The document's fixed timestamp (UTC), used wherever a library wants a time."""
        hhmm = self.headers.get("time", "09:00")
        hour, minute = (int(part) for part in hhmm.split(":"))
        return dt.datetime(self.date.year, self.date.month, self.date.day, hour, minute, tzinfo=dt.UTC)


def read_source(path: Path) -> Source:
    """Split a source file into its header lines and body."""
    raw = path.read_text(encoding="utf-8")
    head, sep, body = raw.partition("\n---\n")
    if not sep:
        raise SystemExit(f"{path}: missing the '---' line that ends the header")
    headers: dict[str, str] = {}
    for line in head.splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    for required in ("output", "title", "date"):
        if required not in headers:
            raise SystemExit(f"{path}: header '{required}' is missing")
    return Source(path, headers, body.strip("\n") + "\n")


def load_sources() -> list[Source]:
    """Every source file, in file-name order."""
    return [read_source(path) for path in sorted(TEXT_DIR.glob("*.md"))]


# --- markdown-like blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A body block: heading1, heading2, paragraph, bullets, table, pagebreak, signoff."""

    kind: str
    lines: tuple[str, ...]


def blocks(body: str) -> Iterator[Block]:
    """Group the body into blocks separated by blank lines."""
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = tuple(line.rstrip() for line in chunk.strip("\n").splitlines())
        first = lines[0]
        if first == "<<pagebreak>>":
            yield Block("pagebreak", ())
        elif first.startswith("## "):
            yield Block("heading2", (first[3:],))
            if lines[1:]:
                yield Block("paragraph", (" ".join(lines[1:]),))
        elif first.startswith("# "):
            yield Block("heading1", (first[2:],))
            if lines[1:]:
                yield Block("paragraph", (" ".join(lines[1:]),))
        elif first.startswith("|"):
            rows = [line for line in lines if not re.fullmatch(r"\|[\s:|-]+\|", line)]
            yield Block("table", tuple(rows))
        elif first.startswith("- "):
            items: list[str] = []
            for line in lines:
                if line.startswith("- "):
                    items.append(line[2:])
                else:
                    items[-1] += " " + line.strip()
            yield Block("bullets", tuple(items))
        elif first.startswith("— "):
            yield Block("signoff", lines)
        else:
            yield Block("paragraph", (" ".join(line.strip() for line in lines),))


def table_cells(row: str) -> list[str]:
    """Cells of a `| a | b |` row."""
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def runs(text: str) -> Iterator[tuple[str, bool]]:
    """Split text on **bold** markers into (text, is_bold) runs."""
    for index, part in enumerate(re.split(r"\*\*", text)):
        if part:
            yield part, index % 2 == 1


def plain(text: str) -> str:
    """Text without inline markers."""
    return text.replace("**", "")


# --- .docx ----------------------------------------------------------------------------------------


def render_docx(source: Source) -> bytes:
    """A Word memo with Heading 1/2 sections, tables and fixed core properties."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    props = document.core_properties
    props.title = source.title
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.subject = source.headers.get("subject", "")
    props.keywords = source.headers.get("keywords", "")
    props.category = source.headers.get("category", "Memo")
    props.comments = ""
    props.revision = 1
    props.created = source.moment.replace(tzinfo=None)
    props.modified = source.moment.replace(tzinfo=None)
    props.last_printed = source.moment.replace(tzinfo=None)

    document.add_paragraph(source.title, style="Title")
    for label in ("To", "From", "Date", "Classification"):
        value = source.headers.get(label.lower())
        if label == "Date":
            value = f"{source.date.day} {source.date:%B %Y}"
        if value:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(value)

    for block in blocks(source.body):
        if block.kind == "heading1":
            document.add_heading(plain(block.lines[0]), level=1)
        elif block.kind == "heading2":
            document.add_heading(plain(block.lines[0]), level=2)
        elif block.kind == "bullets":
            for item in block.lines:
                add_runs(document.add_paragraph(style="List Bullet"), item)
        elif block.kind == "table":
            rows = [table_cells(row) for row in block.lines]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, cells in enumerate(rows):
                for c, cell in enumerate(cells):
                    add_runs(table.cell(r, c).paragraphs[0], cell, bold=r == 0)
        elif block.kind == "signoff":
            for line in block.lines:
                document.add_paragraph(line)
        elif block.kind == "paragraph":
            add_runs(document.add_paragraph(), block.lines[0])

    buffer = io.BytesIO()
    document.save(buffer)
    return fixed_zip(buffer.getvalue(), source.moment)


def add_runs(paragraph: Any, text: str, bold: bool = False) -> None:
    """Append text to a python-docx paragraph, honouring **bold** markers."""
    for part, is_bold in runs(text):
        paragraph.add_run(part).bold = is_bold or bold


def fixed_zip(data: bytes, moment: dt.datetime) -> bytes:
    """Rewrite a zip with fixed member timestamps so a rebuild is byte-identical."""
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


# --- .pdf -----------------------------------------------------------------------------------------


def render_pdf(source: Source) -> bytes:
    """A multi-page PDF with real text; `<<pagebreak>>` in the body starts a new page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    sheet = getSampleStyleSheet()
    body = ParagraphStyle(
        "Body", parent=sheet["BodyText"], fontName="Times-Roman", fontSize=10.5, leading=12.6, spaceAfter=5
    )
    h1 = ParagraphStyle(
        "H1", parent=sheet["Heading2"], fontName="Helvetica-Bold", fontSize=13, spaceBefore=8, spaceAfter=4
    )
    h2 = ParagraphStyle(
        "H2", parent=sheet["Heading3"], fontName="Helvetica-Bold", fontSize=11, spaceBefore=6, spaceAfter=3
    )
    title = ParagraphStyle(
        "DocTitle", parent=sheet["Title"], fontName="Helvetica-Bold", fontSize=17, spaceAfter=4
    )
    byline = ParagraphStyle(
        "Byline",
        parent=body,
        fontName="Helvetica",
        fontSize=9.5,
        textColor=colors.HexColor("#444444"),
        spaceAfter=10,
    )
    cell = ParagraphStyle("Cell", parent=body, fontSize=9.5, leading=11.5, spaceAfter=0)

    def markup(text: str) -> str:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)

    story: list[Any] = [
        Paragraph(markup(source.title), title),
        Paragraph(markup(source.headers.get("byline", f"{AUTHOR}, {COMPANY}")), byline),
    ]
    for block in blocks(source.body):
        if block.kind == "pagebreak":
            story.append(PageBreak())
        elif block.kind == "heading1":
            story.append(Paragraph(markup(block.lines[0]), h1))
        elif block.kind == "heading2":
            story.append(Paragraph(markup(block.lines[0]), h2))
        elif block.kind == "bullets":
            story.extend(Paragraph(markup(item), body, bulletText="•") for item in block.lines)
        elif block.kind == "table":
            rows = [[Paragraph(markup(c), cell) for c in table_cells(row)] for row in block.lines]
            table = Table(rows, hAlign="LEFT", colWidths=[6.8 * inch / len(rows[0])] * len(rows[0]))
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.extend([table, Spacer(1, 8)])
        else:
            story.extend(Paragraph(markup(line), body) for line in block.lines)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8.5)
        canvas.drawString(0.85 * inch, 0.55 * inch, f"{COMPANY} · {source.title}")
        canvas.drawRightString(LETTER[0] - 0.85 * inch, 0.55 * inch, f"Page {doc.page}")
        canvas.restoreState()

    while isinstance(story[-1], Spacer):
        story.pop()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        invariant=1,
        title=source.title,
        author=AUTHOR,
        subject=source.headers.get("subject", ""),
        creator="examples/build_corpus.py",
        leftMargin=0.85 * inch,
        rightMargin=0.85 * inch,
        topMargin=0.8 * inch,
        bottomMargin=0.9 * inch,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- .vtt -----------------------------------------------------------------------------------------

WORDS_PER_SECOND = 2.5
CUE_MAX_WORDS = 70


def vtt_time(seconds: float) -> str:
    """WebVTT timestamp HH:MM:SS.mmm."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def split_cue_text(text: str) -> list[str]:
    """Split a long turn into cue-sized pieces at sentence ends."""
    sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z\"'“‘])", text)
    pieces: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join(current + [sentence]).split()) > CUE_MAX_WORDS:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


def render_vtt(source: Source) -> bytes:
    """A WebVTT meeting transcript with <v Speaker> voice spans; timings follow speaking pace.

    Body lines are `Speaker Name: words`; `[at HH:MM:SS]` moves the clock (e.g. after silent reading).
    """
    out = ["WEBVTT", "", f"NOTE {source.title} — {source.date.isoformat()}", ""]
    clock = 2.0
    previous_speaker = None
    number = 0
    for block in blocks(source.body):
        line = block.lines[0]
        jump = re.fullmatch(r"\[at (\d+):(\d+):(\d+)\]", line)
        if jump:
            h, m, s = (int(g) for g in jump.groups())
            clock = max(clock, h * 3600 + m * 60 + s)
            continue
        speaker, sep, words = line.partition(": ")
        if not sep:
            raise SystemExit(f"{source.path}: transcript line without 'Speaker: ' label: {line[:60]}")
        if previous_speaker is not None and speaker != previous_speaker:
            clock += 2.0
        for piece in split_cue_text(words):
            duration = max(1.5, len(piece.split()) / WORDS_PER_SECOND)
            number += 1
            out += [
                str(number),
                f"{vtt_time(clock)} --> {vtt_time(clock + duration)}",
                f"<v {speaker}>{piece}",
                "",
            ]
            clock += duration + 0.4
        previous_speaker = speaker
    return "\n".join(out).encode("utf-8")


# --- .eml -----------------------------------------------------------------------------------------


def render_eml(source: Source) -> bytes:
    """A plain-text email with fixed headers; the body keeps its quoted reply and signature."""
    message = EmailMessage(policy=email.policy.default)
    message["From"] = source.headers.get("from", f"{AUTHOR} <dana.reyes@halvorsen.example>")
    message["To"] = source.headers["to"]
    if "cc" in source.headers:
        message["Cc"] = source.headers["cc"]
    message["Subject"] = source.title
    message["Date"] = email.utils.format_datetime(source.moment)
    message["Message-ID"] = f"<{source.headers['message-id']}>"
    if "in-reply-to" in source.headers:
        message["In-Reply-To"] = f"<{source.headers['in-reply-to']}>"
        message["References"] = f"<{source.headers['in-reply-to']}>"
    message.set_content(source.body)
    return message.as_bytes(policy=email.policy.default)


# --- plain text -----------------------------------------------------------------------------------


def render_text(source: Source) -> bytes:
    """Talks (.md) and speaker-labelled transcripts (.txt) are written as they are kept."""
    return source.body.encode("utf-8")


RENDERERS = {
    ".docx": render_docx,
    ".pdf": render_pdf,
    ".vtt": render_vtt,
    ".eml": render_eml,
    ".md": render_text,
    ".txt": render_text,
}


def build(out_dir: Path) -> list[Path]:
    """Write every document into out_dir; return the paths written."""
    written: list[Path] = []
    for source in load_sources():
        target = out_dir / source.output
        renderer = RENDERERS[target.suffix]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(renderer(source))
        written.append(target)
    return written


def check(out_dir: Path) -> int:
    """Rebuild in a temp dir and report any file that differs from out_dir."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(Path(tmp))
        problems = []
        for path in fresh:
            rel = path.relative_to(tmp)
            committed = out_dir / rel
            if not committed.exists():
                problems.append(f"missing: {rel}")
            elif committed.read_bytes() != path.read_bytes():
                problems.append(f"differs: {rel}")
        expected = {p.relative_to(tmp) for p in fresh}
        for path in sorted(out_dir.rglob("*")):
            rel = path.relative_to(out_dir)
            if path.is_file() and rel not in expected and str(rel) not in HAND_WRITTEN:
                problems.append(f"stale: {rel}")
    for problem in problems:
        print(problem)
    print(f"{len(fresh)} files checked, {len(problems)} problems")
    return 1 if problems else 0


# --- verification ---------------------------------------------------------------------------------


def read_back(path: Path) -> tuple[str, str]:
    """Open a generated file with the reader Understudy uses; return (kind label, text)."""
    suffix = path.suffix
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        if document.core_properties.author != AUTHOR or not document.core_properties.title:
            raise AssertionError(f"{path.name}: core properties not set")
        parts = [p.text for p in document.paragraphs]
        parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
        if not any(p.style is not None and p.style.name == "Heading 1" for p in document.paragraphs):
            raise AssertionError(f"{path.name}: no Heading 1")
        return "docx", "\n".join(parts)
    if suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        if len(pages) < 2 or any(len(text.split()) < 100 for text in pages):
            raise AssertionError(f"{path.name}: expected several pages of extractable text")
        return f"pdf ({len(pages)} pages)", "\n".join(pages)
    if suffix == ".vtt":
        import webvtt

        captions = webvtt.read(str(path)).captions
        voices = {c.voice for c in captions}
        if None in voices or "Dana Reyes" not in voices:
            raise AssertionError(f"{path.name}: every cue needs a voice, Dana Reyes among them")
        span = captions[-1].end_in_seconds / 60
        return f"vtt ({len(captions)} cues, {span:.0f} min)", "\n".join(c.text for c in captions)
    if suffix == ".eml":
        with path.open("rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        if "dana.reyes@halvorsen.example" not in str(message["From"]):
            raise AssertionError(f"{path.name}: not from Dana")
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        return "eml", body.get_content()
    return suffix.lstrip("."), path.read_text(encoding="utf-8")


def verify(out_dir: Path) -> int:
    """Read every generated file back and print a word-count table by kind."""
    totals: dict[str, tuple[int, int]] = {}
    for source in load_sources():
        path = out_dir / source.output
        label, text = read_back(path)
        words = len(text.split())
        print(f"{words:6d}  {label:24s} {source.output}")
        kind = label.split(" ")[0]
        count, total = totals.get(kind, (0, 0))
        totals[kind] = (count + 1, total + words)
    print()
    for kind, (count, total) in sorted(totals.items()):
        print(f"{kind:5s} {count:3d} files {total:7d} words")
    grand = sum(total for _, total in totals.values())
    print(f"all   {sum(c for c, _ in totals.values()):3d} files {grand:7d} words")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=CORPUS_DIR, help="corpus folder (default: examples/dana-reyes)"
    )
    parser.add_argument("--check", action="store_true", help="compare a fresh build with the files in --out")
    parser.add_argument("--verify", action="store_true", help="read every file in --out back and count words")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.out)
    if args.verify:
        return verify(args.out)
    written = build(args.out)
    print(f"wrote {len(written)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
