"""Files in, ParsedDocument out: detect the format, enforce limits, parse, attribute speakers, chunk."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePath

from ingestion import limits as checks
from ingestion.chunking import chunk_blocks
from ingestion.model import KINDS, IngestError, Limits, ParsedDocument
from ingestion.parsers import Block, ParsedFile, date_of_match, drop_memo_header, header_date
from ingestion.speakers import is_executive_speaker, is_own_email, label_keys, unlabelled_opening

SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".docx", ".pdf", ".vtt", ".srt", ".txt", ".md", ".markdown", ".html", ".htm", ".eml",
)
_FORMAT_NAMES = {".markdown": "md", ".htm": "html"}
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[-_ .]+|$)")
_SMALL_WORDS = frozenset(["a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "vs", "with"])
# File-name words written as people write them in a title; other words of 3 to 5 letters and digits with no vowel (qbr, b2b) are capitals.
_TITLE_SPELLINGS = {"qa": "Q&A", "ai": "AI", "faq": "FAQ", "ceo": "CEO", "cfo": "CFO", "coo": "COO", "cto": "CTO",
                    "hr": "HR", "pr": "PR", "kpi": "KPI", "kpis": "KPIs", "okr": "OKR", "okrs": "OKRs", "esg": "ESG", "eu": "EU",
                    "uk": "UK"}
DEFAULT_LIMITS = Limits()
# Office writes "~$name.docx" lock files next to open documents; they are never content.
_LOCK_FILE_PREFIX = "~$"


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Each named file as given; each folder expanded recursively in sorted order to its supported, visible files."""
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found: list[Path] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = [name for name in dirs if not name.startswith(".")]
                for name in files:
                    if name.startswith((".", _LOCK_FILE_PREFIX)):
                        continue
                    if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                        found.append(Path(root) / name)
            for file in sorted(found, key=lambda p: p.relative_to(path).parts):
                if file not in seen:
                    seen.add(file)
                    yield file
        elif path not in seen:
            seen.add(path)
            yield path


def parse_path(
    path: Path,
    *,
    kind: str | None = None,
    speaker_labels: Sequence[str] = (),
    date: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedDocument:
    """Parse one file from disk; any problem with the file raises IngestError with a plain reason."""
    path = Path(path)
    name = path.name
    _check_suffix(name)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IngestError("unreadable", f"{name} is a folder, not a file.")
        checks.check_size(size, name, limits)
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise IngestError("not_found", f"{path} does not exist.") from None
    except PermissionError:
        raise IngestError("unreadable", f"{path} cannot be read (permission denied).") from None
    except OSError as exc:
        raise IngestError("unreadable", f"{path} cannot be read ({exc.strerror or exc}).") from None
    return parse_bytes(data, name, kind=kind, speaker_labels=speaker_labels, date=date, limits=limits)


def parse_bytes(
    data: bytes,
    filename: str,
    *,
    kind: str | None = None,
    speaker_labels: Sequence[str] = (),
    date: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedDocument:
    """Parse an uploaded file's bytes; `filename` gives the format by its suffix (only its base name is kept)."""
    name = _base_name(filename)
    suffix = _check_suffix(name)
    if kind is not None and kind not in KINDS:
        raise IngestError("bad_kind", f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}.")
    checks.check_size(len(data), name, limits)
    try:
        parsed = _parse_format(data, name, suffix, kind, limits)
    except IngestError:
        raise
    except RecursionError:
        raise IngestError("corrupt", f"{name} is nested too deeply to read; it may be damaged or hostile.") from None
    except MemoryError:
        raise IngestError("too_large", f"{name} needs more memory to read than is available.") from None
    except Exception as exc:  # any parser failure on a bad file becomes one clear error
        raise IngestError("corrupt", f"{name} is damaged or not a valid {_describe(suffix)} ({_brief(exc)}).") from None
    if not any(block.text.strip() for block in parsed.blocks):
        if suffix == ".eml":
            raise IngestError(
                "no_text", f"{name} has no words of the sender's own (only quoted replies, a signature or nothing)."
            )
        raise IngestError("no_text", f"{name} contains no text to ingest.")
    header: dict[str, str] = {}
    if not parsed.has_turns:
        kept, header = drop_memo_header(parsed.blocks)
        parsed = dataclasses.replace(parsed, blocks=kept)
    blocks, warning = _attribute(parsed, suffix, speaker_labels)
    try:
        passages = chunk_blocks(blocks, limits)
    except IngestError as exc:
        raise IngestError(exc.code, f"{name}: {exc.message}") from None
    if not passages:
        raise IngestError("no_text", f"{name} contains no text to ingest.")
    metadata = {key: str(value) for key, value in {**header, **parsed.metadata}.items() if str(value).strip()}
    metadata["source_format"] = _FORMAT_NAMES.get(suffix, suffix.lstrip("."))
    if warning:
        metadata["warning"] = warning
    return ParsedDocument(
        title=_title(parsed.title, header.get("memo_subject"), name),
        kind=kind or _default_kind(suffix, parsed),
        filename=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        date=date or date_from_filename(name) or _own_date(parsed.date, header, suffix),
        passages=passages,
        metadata=metadata,
    )


def _parse_format(data: bytes, name: str, suffix: str, kind: str | None, limits: Limits) -> ParsedFile:
    """Route the bytes to the parser of their format, after that format's safety checks."""
    from ingestion.parsers import text as text_parsers
    from ingestion.parsers import transcripts

    if suffix == ".docx":
        from ingestion.parsers.docx import parse_docx

        checks.check_docx_bytes(data, name, limits)
        return parse_docx(data)
    if suffix == ".pdf":
        from ingestion.parsers.pdf import parse_pdf

        checks.check_pdf_bytes(data, name)
        return parse_pdf(data, name, limits)
    if suffix == ".eml":
        from ingestion.parsers.email import parse_eml

        if b"\x00" in data[:65536] or not checks.looks_like_text(data):
            found = checks.sniff_binary(data)
            raise IngestError(
                "mislabelled", f"{name} holds {found or 'binary data'}, not an e-mail. Check the file and its extension."
            )
        return parse_eml(data, name)
    text = checks.decode_text(data, name)
    if suffix in (".vtt", ".srt"):
        return _parse_captions(text, name, suffix)
    if suffix == ".txt":
        return transcripts.parse_labelled_text(text, force=kind == "transcript") or text_parsers.parse_plain_text(text)
    if suffix in (".md", ".markdown"):
        if kind == "transcript":
            turns = transcripts.parse_labelled_text(text, force=True)
            if turns is not None:
                return turns
        return text_parsers.parse_markdown(text)
    return text_parsers.parse_html(text)


def _parse_captions(text: str, name: str, suffix: str) -> ParsedFile:
    """WebVTT or SRT by content (a .vtt holding SRT cues is read as SRT, and the other way round)."""
    import webvtt.errors

    from ingestion.parsers import transcripts

    body = text.lstrip("\ufeff \t\r\n")
    try:
        if body.startswith("WEBVTT"):
            return transcripts.parse_vtt(body)
        if "-->" in body:
            return transcripts.parse_srt(body)
    except (webvtt.errors.MalformedFileError, webvtt.errors.MalformedCaptionError) as exc:
        raise IngestError(
            "corrupt", f"{name} is not valid {_describe(suffix)} ({_brief(exc)}). Check the cue timings."
        ) from None
    raise IngestError(
        "mislabelled",
        f"{name} is named {suffix} but has no subtitle cues (no 'WEBVTT' header or 'start --> end' timings).",
    )


def _attribute(parsed: ParsedFile, suffix: str, speaker_labels: Sequence[str]) -> tuple[list[Block], str]:
    """Set each block's executive flag from the speaker labels; also return a warning for the curator, if any."""
    wanted = label_keys(speaker_labels)
    if suffix == ".eml":
        own = is_own_email(parsed.metadata.get("from_name", ""), parsed.metadata.get("from_address", ""),
                           speaker_labels)
        warning = "" if own else "the sender is not one of the speaker labels; kept as context, not the executive's words"
        return [dataclasses.replace(block, executive=own) for block in parsed.blocks], warning
    if not parsed.has_turns:
        return [dataclasses.replace(block, executive=True if block.executive is None else block.executive)
                for block in parsed.blocks], ""
    blocks = [
        dataclasses.replace(block, executive=is_executive_speaker(block.speaker, speaker_labels))
        for block in parsed.blocks
    ]
    speakers = parsed.metadata.get("speakers", "")
    if not wanted:
        return blocks, f"no speaker label given, so no turn counts as the executive's words (speakers: {speakers})"
    if not any(block.executive for block in blocks):
        labels = ", ".join(speaker_labels)
        return blocks, f"no turn matches the speaker label(s) {labels} (speakers found: {speakers})"
    return _own_opening(blocks), ""


def _own_opening(blocks: list[Block]) -> list[Block]:
    """The blocks with an unlabelled opening marked as the executive's when `unlabelled_opening` says it is."""
    lead, own = unlabelled_opening([(b.speaker, bool(b.executive), len(b.text.split())) for b in blocks])
    return [dataclasses.replace(block, executive=True) for block in blocks[:lead]] + blocks[lead:] if own else blocks


def _own_date(parsed: dt.date | None, header: dict[str, str], suffix: str) -> dt.date | None:
    """The date a file gives itself: a memo header's Date line over the file's metadata, an e-mail's own Date first."""
    from_header = header_date(header.get("memo_date", ""))
    return (parsed or from_header) if suffix == ".eml" else (from_header or parsed)


def _title(parsed: str | None, subject: str | None, filename: str) -> str:
    """The document's own title, else a memo header's subject, else one made from the file name."""
    for candidate in (parsed, subject):
        if candidate and candidate.strip():
            return candidate.strip()
    return title_from_filename(filename)


def _default_kind(suffix: str, parsed: ParsedFile) -> str:
    """transcript for captions and speaker turns, email for .eml, memo otherwise."""
    if suffix in (".vtt", ".srt") or parsed.has_turns:
        return "transcript"
    if suffix == ".eml":
        return "email"
    return "memo"


def date_from_filename(filename: str) -> dt.date | None:
    """The date of a `YYYY-MM-DD` file-name prefix, if it is a real date."""
    return date_of_match(_DATE_PREFIX.match(_base_name(filename)))


def title_from_filename(filename: str) -> str:
    """'2024-03-05-q1-town-hall.vtt' -> 'Q1 Town Hall'; '…-q3-qbr-qa' -> 'Q3 QBR Q&A'."""
    stem = PurePath(_base_name(filename)).stem
    words = [word for word in re.split(r"[-_\s]+", _DATE_PREFIX.sub("", stem)) if word]
    if not words:
        return stem or filename
    titled = []
    for index, word in enumerate(words):
        if any(ch.isupper() for ch in word) or index > 0 and word in _SMALL_WORDS:
            titled.append(word)
        elif word in _TITLE_SPELLINGS:
            titled.append(_TITLE_SPELLINGS[word])
        elif re.fullmatch(r"[^\W_]*[a-z][^\W_]*", word) and not re.search(r"[aeiouy]", word) and 3 <= len(word) <= 5:
            titled.append(word.upper())
        else:
            titled.append(word[:1].upper() + word[1:])
    return " ".join(titled)


def _base_name(filename: str) -> str:
    """The last path component, whichever separator the uploader's system used."""
    return re.split(r"[\\/]", filename)[-1].strip() or "upload"


def _check_suffix(name: str) -> str:
    """The lower-case suffix, if supported."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no extension"
        raise IngestError(
            "unsupported_type",
            f"{name} has {shown}; supported types are {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    return suffix


def _describe(suffix: str) -> str:
    """A format's name for messages."""
    return {
        ".docx": "Word document", ".pdf": "PDF", ".vtt": "WebVTT file", ".srt": "SRT subtitle file",
        ".eml": "e-mail", ".html": "HTML page", ".htm": "HTML page",
    }.get(suffix, f"{suffix} file")


def _brief(exc: BaseException) -> str:
    """An exception in one short line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__
