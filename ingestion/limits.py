"""Checks that run before any parser: size, magic bytes, zip bombs, text decoding."""

from __future__ import annotations

import io
import re
import struct
import zipfile

from ingestion.model import IngestError, Limits

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Magic bytes of binary formats people upload by mistake, with a name a user would recognise.
_BINARY_MAGICS: tuple[tuple[bytes, str], ...] = (
    (PDF_MAGIC, "a PDF"),
    (ZIP_MAGIC, "a zip archive (a .docx, .xlsx, .pptx or .zip)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (OLE_MAGIC, "an old Microsoft Office (97-2003) file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"{\\rtf", "an RTF document"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg audio file"),
    (b"fLaC", "a FLAC audio file"),
)

_TEXTLIKE_MAGICS = (PDF_MAGIC, ZIP_MAGIC, b"{\\rtf")

# A zip member smaller than this is never called a bomb: tiny XML parts compress very well.
_RATIO_FLOOR_BYTES = 1024 * 1024


def check_size(size: int, filename: str, limits: Limits) -> None:
    """Refuse empty files and files over the size cap."""
    if size == 0:
        raise IngestError("empty", f"{filename} is empty (0 bytes).")
    if size > limits.max_bytes:
        raise IngestError(
            "too_large",
            f"{filename} is {_human_size(size)}; the limit is {_human_size(limits.max_bytes)}. "
            "Split it or ask an admin to raise the limit.",
        )


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format these bytes start with, if they start like a known one."""
    head = data[:16]
    for magic, name in _BINARY_MAGICS:
        if head.startswith(magic):
            if magic == ZIP_MAGIC:
                return _name_zip(data)
            return name
    return None


def declared_member_count(data: bytes) -> int | None:
    """The member count a zip's end-of-central-directory record declares, read without parsing the directory."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, end + 10)[0]
    if count == 0xFFFF:
        locator = end - 20
        if locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
            record = struct.unpack_from("<Q", data, locator + 8)[0]
            if record + 40 <= len(data) and data[record:record + 4] == b"PK\x06\x06":
                return int(struct.unpack_from("<Q", data, record + 32)[0])
    return int(count)


def _name_zip(data: bytes) -> str:
    """Tell a Word document from other zip-based files by looking at the member names."""
    if (declared_member_count(data) or 0) > 100_000:
        return "a zip archive"
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "a zip archive"
    if "word/document.xml" in names:
        return "a Word document (.docx)"
    if "xl/workbook.xml" in names:
        return "an Excel workbook"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    return "a zip archive"


def _named_but_not(filename: str, data: bytes, suffix: str, not_a: str) -> IngestError:
    """The error for a file named as a `suffix` file that holds something else, saying what it holds."""
    what = sniff_binary(data) or ("plain text" if looks_like_text(data) else "unrecognised binary data")
    return IngestError(
        "mislabelled",
        f"{filename} is named {suffix} but holds {what}, not {not_a}. Check the file or give it the right extension.",
    )


def check_pdf_bytes(data: bytes, filename: str) -> None:
    """Refuse a .pdf that is not a PDF, or one cut short."""
    if PDF_MAGIC not in data[:1024]:
        raise _named_but_not(filename, data, ".pdf", "a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-65536:]:
        raise IngestError(
            "truncated",
            f"{filename} is cut short: the PDF has no end-of-file marker. "
            "It may not have finished downloading or saving; get a fresh copy.",
        )


def check_docx_bytes(data: bytes, filename: str, limits: Limits) -> None:
    """Refuse a .docx that is not a Word zip, is encrypted, or would inflate beyond the limits."""
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise IngestError(
                "encrypted",
                f"{filename} is password-protected. Remove the password in Word (File > Info > "
                "Protect Document) and upload it again.",
            )
        raise IngestError(
            "mislabelled",
            f"{filename} is an old Word 97-2003 (.doc) file named .docx. Open it in Word and save as .docx.",
        )
    if not data.startswith(ZIP_MAGIC):
        raise _named_but_not(filename, data, ".docx", "a Word document")
    declared = declared_member_count(data)
    # Checked before zipfile reads the directory: a million entries would cost a lot of memory to list.
    if declared is not None and declared > limits.zip_max_members:
        raise _too_many_members(filename, declared, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise IngestError(
            "truncated",
            f"{filename} is damaged or cut short (its zip directory cannot be read: {exc}). "
            "Get a fresh copy or re-save it in Word.",
        ) from None
    if len(members) > limits.zip_max_members:
        raise _too_many_members(filename, len(members), limits)
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise IngestError(
                "encrypted", f"{filename} is encrypted. Remove the password in Word and upload it again."
            )
        total += member.file_size
        if member.file_size > _RATIO_FLOOR_BYTES:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.zip_max_ratio:
                raise IngestError(
                    "zip_bomb",
                    f"{filename}: member {member.filename!r} would inflate {ratio:,.0f}-fold "
                    f"(to {_human_size(member.file_size)}; limit {limits.zip_max_ratio:,.0f}-fold). "
                    "Refused as a possible zip bomb.",
                )
    if total > limits.zip_max_total_bytes:
        raise IngestError(
            "zip_bomb",
            f"{filename} would inflate to {_human_size(total)} "
            f"(limit {_human_size(limits.zip_max_total_bytes)}). Refused as a possible zip bomb.",
        )
    if total > _RATIO_FLOOR_BYTES and total / max(len(data), 1) > limits.zip_max_ratio:
        raise IngestError(
            "zip_bomb",
            f"{filename} would inflate {total / len(data):,.0f}-fold overall "
            f"(limit {limits.zip_max_ratio:,.0f}-fold). Refused as a possible zip bomb.",
        )
    names = {member.filename for member in members}
    if "word/document.xml" not in names:
        if "xl/workbook.xml" in names:
            what = "an Excel workbook"
        elif "ppt/presentation.xml" in names:
            what = "a PowerPoint presentation"
        else:
            what = "a zip archive without a Word document inside"
        raise IngestError("mislabelled", f"{filename} is {what}, not a Word document.")


def _too_many_members(filename: str, count: int, limits: Limits) -> IngestError:
    return IngestError(
        "zip_bomb",
        f"{filename} holds {count:,} zip members; a Word document has a few dozen "
        f"(limit {limits.zip_max_members:,}). Refused as a possible zip bomb.",
    )


_CONTROL_BYTES = bytes(sorted(set(range(0, 32)) - {9, 10, 12, 13}))
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def looks_like_text(data: bytes) -> bool:
    """True when the first few kilobytes have no NUL and hardly any control bytes."""
    sample = data[:8192]
    if not sample:
        return True
    if b"\x00" in sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls <= max(1, len(sample) // 100)


def decode_text(data: bytes, filename: str) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252/latin-1 if it looks like text."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _require_text(data.decode("utf-16"), filename)
        except UnicodeDecodeError:
            pass
    found = sniff_binary(data)
    # A few formats are mostly ASCII, so test their magic even when the bytes would decode;
    # the others only explain bytes that are not text anyway ("MZ" may start a sentence).
    if found is not None and (data.startswith(_TEXTLIKE_MAGICS) or not looks_like_text(data)):
        raise IngestError(
            "mislabelled",
            f"{filename} holds {found}, not text. Give it the right extension.",
        )
    if b"\x00" in data:
        raise IngestError(
            "mislabelled", f"{filename} holds binary data (NUL bytes), not text. Check the file and its extension."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if not looks_like_text(data):
            raise IngestError(
                "mislabelled", f"{filename} holds binary data, not text. Check the file and its extension."
            ) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return _require_text(text, filename)


def _require_text(text: str, filename: str) -> str:
    """Refuse decoded text that is mostly control characters (binary that happened to decode)."""
    sample = text[:8192]
    controls = len(_CONTROL_CHARS.findall(sample))
    if controls > max(1, len(sample) // 100) or "\x00" in sample:
        raise IngestError(
            "mislabelled", f"{filename} holds binary data, not text. Check the file and its extension."
        )
    if not text.strip():
        raise IngestError("empty", f"{filename} has no text (only blank space).")
    return text


def _human_size(size: int) -> str:
    """1536 -> '1.5 KB'."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
