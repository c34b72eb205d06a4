"""The production entry point: gunicorn with infra/gunicorn.conf.py serves the app, streams included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.api.conftest import World
from tests.support.gunicorn import running_gunicorn


@pytest.fixture
def gunicorn_url(database_url: str, world: World, tmp_path: Path) -> Iterator[str]:
    with running_gunicorn(database_url, tmp_path / "gunicorn.log", {
            "UNDERSTUDY_SECRET_KEY": "gunicorn-test", "UNDERSTUDY_GROUNDING_THRESHOLD": "0.1",
            "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4", "GUNICORN_HEADER_TIMEOUT": "2"}) as url:
        yield url


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
