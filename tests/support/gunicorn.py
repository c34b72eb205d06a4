"""gunicorn with the project's config (infra/gunicorn.conf.py) on a loopback port of its own, for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    """A loopback port nobody holds right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_gunicorn(database_url: str, log: Path, env: dict[str, str]) -> Iterator[str]:
    """gunicorn over `database_url` with `env` added, its output in `log`; yields its URL once it answers HTTP."""
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed beside {sys.executable}")
    port = free_port()
    environment = {**os.environ, "UNDERSTUDY_DATABASE_URL": database_url, "UNDERSTUDY_BIND": f"127.0.0.1:{port}",
                   **env}
    with open(log, "wb") as out:
        process = subprocess.Popen([str(GUNICORN), "-c", "infra/gunicorn.conf.py", "service.app:create_app()"],
                                   cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
            try:  # any answer will do; not /healthz, whose requests some tests count
                requests.get(url + "/readyz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
