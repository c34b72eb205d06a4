"""The production entry point: gunicorn with infra/gunicorn.conf.py serves the app, streams included."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.api.conftest import World

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn_url(database_url: str, world: World) -> str:
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed beside {sys.executable}")
    port = free_port()
    env = {**os.environ, "UNDERSTUDY_DATABASE_URL": database_url, "UNDERSTUDY_SECRET_KEY": "gunicorn-test",
           "UNDERSTUDY_GROUNDING_THRESHOLD": "0.1",
           "UNDERSTUDY_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4",
           "GUNICORN_HEADER_TIMEOUT": "2"}
    process = subprocess.Popen([str(GUNICORN), "-c", "infra/gunicorn.conf.py", "service.app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"gunicorn exited: {output[-2000:]}")
            try:
                requests.get(url + "/healthz", timeout=5)
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


def test_gunicorn_serves_health_and_a_streamed_answer(gunicorn_url: str, world: World) -> None:
    health = requests.get(gunicorn_url + "/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok"}
    with requests.post(gunicorn_url + "/api/v1/twins/dana/ask",
                       json={"question": "Why did you choose cold chain for pharmaceutical customers?"},
                       headers={**world.people["employee"].headers, "Accept": "text/event-stream"},
                       stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        body = b"".join(response.iter_content(chunk_size=None)).decode()
    assert "event: delta" in body and "event: answer" in body and "pay for reliability" in body
