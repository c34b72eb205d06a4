"""Screenshots written whole or not at all: scripts/test runs the SQLite and PostgreSQL suites at once, and both take
the same shots (test-artifacts/screenshots/, and docs/ for the README), so a file is never left half-written by one
run while the other writes or reads it; the last complete shot wins."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any


def save_screenshot(page: Any, path: Path, **options: Any) -> None:
    """Take `page`'s screenshot (Playwright options such as full_page) and put it at `path` by an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = page.screenshot(**options)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(image)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
