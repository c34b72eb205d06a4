"""JSON logs: one object a line, carrying the request id that came in (or was made) and went out."""

from __future__ import annotations

import json
import logging

import pytest

from service.ops.logs import HANDLER_NAME, JsonFormatter, configure_logging


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    configure_logging("text")


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_failing_request_logs_json_with_the_request_id_it_was_given(make_app, capfd) -> None:
    app = make_app(log_format="json")

    @app.get("/explode-for-test")
    def explode() -> str:
        raise RuntimeError("the flux capacitor is empty")

    response = app.test_client().get("/explode-for-test", headers={"X-Request-ID": "req-12345678",
                                                                   "Accept": "application/json"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-12345678"
    assert response.get_json()["error"]["request_id"] == "req-12345678"
    logged = [line for line in json_lines(capfd.readouterr().err) if line.get("request_id") == "req-12345678"]
    assert logged, "no JSON log line carried the request id"
    line = logged[0]
    assert line["level"] == "error" and line["logger"] == "understudy.web"
    assert "RuntimeError: the flux capacitor is empty" in line["exception"]
    assert line["time"].endswith("+00:00")


def test_a_request_without_an_id_gets_one_and_bad_ids_are_replaced(client) -> None:
    made = client.get("/healthz").headers["X-Request-ID"]
    assert 8 <= len(made) <= 64
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]
    assert replaced != "bad id <script>" and " " not in replaced


def test_text_format_leaves_logging_alone() -> None:
    configure_logging("json")
    assert any(h.get_name() == HANDLER_NAME for h in logging.getLogger().handlers)
    configure_logging("text")
    assert not any(h.get_name() == HANDLER_NAME for h in logging.getLogger().handlers)


def test_extra_fields_travel_in_the_line() -> None:
    record = logging.LogRecord("understudy.jobs", logging.INFO, __file__, 1, "job %s done", (7,), None)
    record.job_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "job 7 done" and line["job_id"] == 7 and line["level"] == "info"
    assert "request_id" not in line
