"""PDF: page texts from a worker process with memory, CPU and wall-clock limits; locator `p. N`."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingestion.model import IngestError, Limits
from ingestion.parsers import Block, ParsedFile

WORKER = Path(__file__).with_name("pdf_worker.py")

_HYPHENATED_BREAK = re.compile(r"(\w)-\n(?=[a-z])")
_JUNK_TITLE = re.compile(r"^(untitled|microsoft word - .*|.*\.(docx?|pdf|rtf|odt))$", re.IGNORECASE)
# Placeholders that PDF writers (reportlab among them) fill in when nobody set a value.
_PLACEHOLDERS = frozenset({"anonymous", "unknown", "unspecified", "untitled", "author", "none", "(none)"})


def parse_pdf(data: bytes, filename: str, limits: Limits) -> ParsedFile:
    """One block a page; title, author and date from the document information."""
    result = run_worker(data, filename, limits)
    pages: list[str] = result["pages"]
    info: dict[str, str] = result["metadata"]
    if not pages:
        raise IngestError("no_text", f"{filename} has no pages.")
    blocks: list[Block] = []
    heading: str | None = None
    front = ""
    for number, raw in enumerate(without_running_lines(pages), 1):
        text = _HYPHENATED_BREAK.sub(r"\1", _CONTROL.sub("", _BULLET_GLYPH.sub("\\1\u2022", raw)))
        if number == 1:
            front, text = front_matter(text)
        for under, section in page_sections(text, heading):
            heading = under
            if section.strip():
                blocks.append(Block(text=section, locator=f"p. {number}", heading=under))
    if not blocks:
        if info.get("unreadable_pages") == info.get("pages"):
            raise IngestError("corrupt", f"{filename} is damaged: none of its pages could be read.")
        raise IngestError(
            "no_text",
            f"{filename} has {len(pages)} page(s) but no text layer; it looks scanned. "
            "Run OCR on it first (e.g. ocrmypdf) and upload the result.",
        )
    metadata = {"pages": info.get("pages", str(len(pages)))}
    if front:
        metadata["front_matter"] = front
    for key in ("author", "subject", "creator", "producer", "unreadable_pages", "encrypted"):
        if info.get(key) and info[key].strip().lower() not in _PLACEHOLDERS:
            metadata[key] = info[key].strip()
    title = (info.get("title") or "").strip()
    date = None
    if info.get("created"):
        try:
            date = dt.date.fromisoformat(info["created"])
        except ValueError:
            date = None
    return ParsedFile(
        blocks=blocks,
        title=None if not title or _JUNK_TITLE.match(title) else title,
        date=date,
        metadata=metadata,
    )


# A list bullet as PDF writers encode it (reportlab's "•" in a standard font comes out as DEL, a symbol font's as
# a private-use character), at a line's start; a DEL anywhere else is no text at all.
_BULLET_GLYPH = re.compile(r"(?m)^(\s*)[\x7f\x95\uf0b7\uf0a7\u25a0\u25aa\u25cf]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A line that can be a section heading: short, capitalised, not a sentence's end or a clause's.
_HEADING_LINE = re.compile(r"^[A-Z0-9][^.!?;]*[^.!?;:,\s-]$")
HEADING_WORDS = 10
HEADING_CHARS = 60
# A body line after a heading runs most of the page's width; table cells and list items do not.
BODY_LINE_CHARS = 40
_SENTENCE_END = re.compile(r"[.!?:\u201d\"')\]]\s*$")


def _could_head(line: str) -> bool:
    """Whether a stripped line has a section heading's form: short, capitalised, without a sentence's end."""
    return bool(line) and len(line) <= HEADING_CHARS and len(line.split()) <= HEADING_WORDS \
        and bool(_HEADING_LINE.match(line))


def page_sections(text: str, heading: str | None) -> list[tuple[str | None, str]]:
    """A page's text cut at its section headings ("Customers", "The fleet"), each part with the heading it is under
    (the one carried over from an earlier page first): a heading line would otherwise run into the first sentence
    after it ("Customers We kept 92.8%…"). A heading is a short capitalised line without a sentence's punctuation,
    after a finished sentence (or at the page's top) and before a full line of text or a list."""
    lines = text.split("\n")
    sections: list[tuple[str | None, list[str]]] = [(heading, [])]
    previous = ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        following = next((rest.strip() for rest in lines[i + 1:] if rest.strip()), "")
        if (_could_head(stripped) and (not previous or _SENTENCE_END.search(previous))
                and ((len(following) >= BODY_LINE_CHARS and following[:1].isupper())
                     or following[:1] == "\u2022")):
            sections.append((stripped, []))
        else:
            sections[-1][1].append(line)
        if stripped:
            previous = stripped
    return [(name, "\n".join(body)) for name, body in sections if any(b.strip() for b in body)]


# At most this many lines above the first heading are a document's front matter (title, subtitle, byline).
FRONT_LINES = 8
_SALUTATION = re.compile(r"^(?:Dear|Hello|Hi|To)\b[^.!?]{0,60},$")
_FINISHED = re.compile(r"[.!?][\u201d\"')\]]*\s*$")


def front_matter(text: str) -> tuple[str, str]:
    """The first page's front matter (its title, subtitle and byline: "Approved by the Board on 28 February 2024 ·
    Summary for all colleagues by …") and the rest of the page, when lines without a sentence's end stand above the
    first section heading: they are the layout's, not her words, and would run into its first sentence. ("", text)
    when the page opens on her text."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    end = next((n for n, i in enumerate(filled) if _FINISHED.search(lines[i])), None)
    if end is None:
        return "", text
    start = end  # the first paragraph's first line: its wrapped lines above its end run the page's width
    while start > 0 and len(lines[filled[start - 1]].strip()) >= BODY_LINE_CHARS:
        start -= 1
    if start < 1 or start > FRONT_LINES + 1:
        return "", text
    above = lines[filled[start - 1]].strip()
    if _SALUTATION.match(above):  # a letter's "Dear colleagues,": the letter starts after it
        return " ".join(lines[i].strip() for i in filled[:start]), "\n".join(lines[filled[start]:])
    if not _could_head(above):
        return "", text
    return " ".join(lines[i].strip() for i in filled[:start - 1]), "\n".join(lines[filled[start - 1]:])


# Lines looked at for a running header or footer, at each end of a page.
EDGE_LINES = 3
_PAGE_NUMBER = re.compile(r"^[\s\-\u2013\u2014]*(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?[\s\-\u2013\u2014]*$",
                          re.IGNORECASE)


def _edge_key(line: str) -> str:
    """A line as it repeats from page to page: spacing, case and page numbers aside."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def without_running_lines(pages: list[str]) -> list[str]:
    """Page texts without their running headers and footers ("Halvorsen Freight · Annual Letter", "Page 2"): lines
    at a page's top or bottom that recur on most pages, and bare page numbers there. They are the layout's, not
    the speaker's words, and would run into the first sentence of each page."""
    split = [raw.replace("\r\n", "\n").replace("\r", "\n").split("\n") for raw in pages]

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))

    page_edges = [edges(lines) for lines in split]
    counts: dict[str, int] = {}
    for lines, at in zip(split, page_edges, strict=True):
        for key in {_edge_key(lines[i]) for i in at}:
            counts[key] = counts.get(key, 0) + 1
    with_text = sum(1 for lines in split if any(line.strip() for line in lines))
    running = {key for key, n in counts.items() if with_text >= 2 and n >= max(2, (with_text + 1) // 2)}
    out: list[str] = []
    for lines, at in zip(split, page_edges, strict=True):
        drop = {i for i in at if _edge_key(lines[i]) in running or _PAGE_NUMBER.match(lines[i])}
        out.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return out


def run_worker(data: bytes, filename: str, limits: Limits) -> dict[str, Any]:
    """Run pdf_worker.py on the bytes; kill it past the time limit; map every failure to an IngestError."""
    config = json.dumps(
        {"memory_mb": limits.pdf_memory_mb, "cpu_s": limits.pdf_timeout_s, "max_pages": limits.pdf_max_pages}
    )
    # -P keeps this folder off sys.path, so the sibling email.py cannot shadow the standard library.
    command = [sys.executable, "-P", str(WORKER), config]
    try:
        proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True
        )
    except OSError as exc:
        raise IngestError("pdf_worker", f"could not start the PDF reader for {filename}: {exc}") from None
    try:
        out, err = proc.communicate(data, timeout=limits.pdf_timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise IngestError(
            "pdf_timeout",
            f"{filename} took longer than {limits.pdf_timeout_s:g} s to read and was stopped; "
            "it may be damaged or built to hang readers.",
        ) from None
    if proc.returncode != 0 or not out:
        raise _crash_error(filename, proc.returncode, err, limits)
    try:
        result: dict[str, Any] = json.loads(out)
    except ValueError:
        raise IngestError("corrupt", f"{filename}: the PDF reader returned garbled output.") from None
    if "error" in result:
        raise _worker_error(filename, str(result["error"]), str(result.get("message", "")), limits)
    return result


def _worker_error(filename: str, code: str, detail: str, limits: Limits) -> IngestError:
    """The user-facing error for a failure the worker reported itself."""
    if code == "encrypted":
        return IngestError(
            "encrypted",
            f"{filename} is password-protected: {detail}. Save an unprotected copy and upload that.",
        )
    if code == "pdf_memory":
        return IngestError(
            "pdf_memory",
            f"{filename} inflates beyond a safe size when read ({detail}); refused as a possible decompression bomb.",
        )
    if code == "too_large":
        return IngestError("too_large", f"{filename}: {detail}. Split it into smaller files.")
    if "structure loops" in detail:
        return IngestError("corrupt", f"{filename} is damaged: {detail}.")
    return IngestError("corrupt", f"{filename} is damaged or not a readable PDF ({detail}).")


def _crash_error(filename: str, returncode: int, stderr: bytes, limits: Limits) -> IngestError:
    """The user-facing error for a worker that died instead of answering."""
    tail = stderr[-2000:].decode("utf-8", "replace")
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return IngestError(
            "pdf_timeout",
            f"{filename} used more than {limits.pdf_timeout_s:g} s of CPU to read and was stopped; "
            "it may be damaged or built to hang readers.",
        )
    if "MemoryError" in tail or returncode in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
        return IngestError(
            "pdf_memory",
            f"{filename} exhausted the {limits.pdf_memory_mb} MB memory limit of the PDF reader; "
            "refused as a possible decompression bomb.",
        )
    last_line = tail.strip().splitlines()[-1] if tail.strip() else f"exit status {returncode}"
    return IngestError("corrupt", f"{filename} could not be read as a PDF ({last_line[:200]}).")
