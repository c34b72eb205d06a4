"""Extract a PDF's page texts under memory and CPU limits; run as its own process by ingestion.parsers.pdf.

Reads the PDF from stdin and a JSON config ({"memory_mb", "cpu_s", "max_pages"}) from argv[1];
writes one JSON object to stdout: {"pages": [...], "metadata": {...}} or {"error": code, "message": text}.
Imports only the standard library and pypdf so that it can run as a plain script (python -P path).
"""

from __future__ import annotations

import io
import json
import logging
import math
import resource
import sys
from typing import Any


def _apply_limits(memory_mb: int, cpu_s: float) -> None:
    """Cap address space and CPU time so a hostile PDF kills only this process."""
    memory = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = max(1, math.ceil(cpu_s))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


def extract(data: bytes, max_pages: int) -> dict[str, Any]:
    """Page texts and document information of one PDF."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PdfReadError

    logging.disable(logging.WARNING)  # pypdf logs every oddity of a broken file; the result says enough
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except FileNotDecryptedError:
        return _error("encrypted", "a password is needed to open it")
    metadata: dict[str, str] = {}
    if reader.is_encrypted:
        try:
            outcome = reader.decrypt("")
        except (DependencyError, NotImplementedError) as exc:
            return _error("encrypted", f"the PDF is encrypted with a scheme this reader cannot open ({exc})")
        if outcome == PasswordType.NOT_DECRYPTED:
            return _error("encrypted", "a password is needed to open it")
        metadata["encrypted"] = "empty password"
    try:
        count = len(reader.pages)
    except LimitReachedError as exc:
        return _error("pdf_memory", f"the PDF's structure exceeds a safety limit ({exc})")
    if count > max_pages:
        return _error("too_large", f"the PDF has {count:,} pages; the limit is {max_pages:,}")
    pages: list[str] = []
    failed = 0
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
            if not text.strip():
                # extract_text swallows a decompression bomb and returns nothing; decoding the
                # content stream directly shows whether the page is empty or exploded.
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()
        except LimitReachedError as exc:
            return _error("pdf_memory", f"a page decompresses beyond the safety limit ({exc})")
        except (MemoryError, RecursionError):
            raise
        except Exception:  # one damaged page must not lose the others
            failed += 1
            text = ""
        pages.append(text)
    metadata["pages"] = str(count)
    if failed:
        metadata["unreadable_pages"] = str(failed)
    try:
        info = reader.metadata
    except (PdfReadError, LimitReachedError, ValueError, TypeError, KeyError):
        info = None
    if info is not None:
        for key, attribute in (("title", "title"), ("author", "author"), ("subject", "subject"),
                               ("creator", "creator"), ("producer", "producer")):
            try:
                value = getattr(info, attribute)
            except Exception:  # malformed info strings
                continue
            if value:
                metadata[key] = str(value)
        try:
            created = info.creation_date
        except Exception:  # malformed dates are common
            created = None
        if created is not None:
            metadata["created"] = created.date().isoformat()
    return {"pages": pages, "metadata": metadata}


def main() -> int:
    """Read the PDF from stdin, write the JSON result to stdout."""
    config = json.loads(sys.argv[1])
    _apply_limits(config["memory_mb"], config["cpu_s"])
    data = sys.stdin.buffer.read()
    try:
        result = extract(data, int(config["max_pages"]))
    except MemoryError:
        result = _error("pdf_memory", "the PDF needs more memory than the limit allows")
    except RecursionError:
        result = _error("corrupt", "the PDF's structure loops back on itself")
    except Exception as exc:
        result = _error("corrupt", f"{type(exc).__name__}: {exc}"[:300])
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
