"""Under gunicorn with several workers: /metrics adds up every worker, and the logs are JSON with request ids."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gunicorn import running_gunicorn


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "gunicorn.log"
    with running_gunicorn(database_url, log, {
            "UNDERSTUDY_SECRET_KEY": "ops-test", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2",
            "UNDERSTUDY_LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}) as url:
        yield url, log


def healthz_count(url: str) -> float:
    body = requests.get(url + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "understudy_http_requests_total" and sample.labels.get("endpoint") == "/healthz":
                return sample.value
    return 0.0


def test_every_scrape_counts_the_requests_of_every_worker(served: tuple[str, Path]) -> None:
    url, _ = served
    for _ in range(24):  # a new connection each time, so both workers serve some
        assert requests.get(url + "/healthz", headers={"Connection": "close"}, timeout=10).status_code == 200
    assert [healthz_count(url) for _ in range(6)] == [24.0] * 6


def test_access_and_error_logs_are_json_lines_with_the_request_id(served: tuple[str, Path]) -> None:
    url, log = served
    response = requests.get(url + "/readyz", headers={"X-Request-ID": "trace-abcdef123"}, timeout=10)
    assert response.headers["X-Request-ID"] == "trace-abcdef123"
    deadline = time.monotonic() + 10
    access = []
    while not access and time.monotonic() < deadline:
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        access = [line for line in lines if line.get("request_id") == "trace-abcdef123"]
        time.sleep(0.1)
    assert access, lines[-5:]
    assert access[0]["path"] == "/readyz" and access[0]["status"] == 200, access
    assert any(line.get("logger") == "gunicorn.error" and line.get("level") == "info" for line in lines)
