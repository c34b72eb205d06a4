"""/metrics in Prometheus format: requests by route and status, latencies, answers by mode and grounding."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import World

GROUNDED = "Why did you choose cold chain for pharmaceutical customers?"
UNANSWERABLE = "Which football team do you support on weekends?"


def samples(client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_answers_are_counted_by_mode_and_grounding(client, world: World) -> None:
    before = samples(client)
    headers = world.people["employee"].headers
    assert client.post("/api/v1/twins/dana/ask", json={"question": GROUNDED}, headers=headers).get_json()["grounded"]
    ungrounded = client.post("/api/v1/twins/dana/ask", json={"question": UNANSWERABLE}, headers=headers).get_json()
    assert ungrounded["grounded"] is False
    after = samples(client)
    for grounded in ("true", "false"):
        labels = {"mode": "extractive", "grounded": grounded, "channel": "web"}
        assert value(after, "understudy_answers_total", **labels) == value(before, "understudy_answers_total",
                                                                           **labels) + 1
    route = {"endpoint": "/api/v1/twins/<slug>/ask", "method": "POST"}
    assert value(after, "understudy_http_requests_total", **route, status="200") == \
        value(before, "understudy_http_requests_total", **route, status="200") + 2
    assert value(after, "understudy_http_request_duration_seconds_count", **route) == \
        value(before, "understudy_http_request_duration_seconds_count", **route) + 2
    assert value(after, "understudy_answer_duration_seconds_count", mode="extractive") >= 2


def test_a_streamed_answer_is_counted_once_it_is_finished(client, world: World) -> None:
    before = samples(client)
    response = client.post("/api/v1/twins/dana/ask", json={"question": GROUNDED},
                           headers={**world.people["employee"].headers, "Accept": "text/event-stream"})
    assert "event: answer" in response.get_data(as_text=True)
    after = samples(client)
    labels = {"mode": "extractive", "grounded": "true", "channel": "web"}
    assert value(after, "understudy_answers_total", **labels) == value(before, "understudy_answers_total",
                                                                       **labels) + 1


def test_errors_and_unknown_paths_are_counted_under_bounded_labels(client, world: World) -> None:
    before = samples(client)
    assert client.post("/api/v1/twins/dana/ask", json={"question": GROUNDED}).status_code == 401
    assert client.get("/no/such/page/12345").status_code == 404
    after = samples(client)
    ask = {"endpoint": "/api/v1/twins/<slug>/ask", "method": "POST", "status": "401"}
    assert value(after, "understudy_http_requests_total", **ask) == value(before, "understudy_http_requests_total",
                                                                          **ask) + 1
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "understudy_http_requests_total", **unmatched) == \
        value(before, "understudy_http_requests_total", **unmatched) + 1
    assert not any("/no/such/page" in str(labels) for _, labels in after)


def test_ingestion_jobs_are_reported_by_status(client) -> None:
    found = samples(client)
    for status in ("queued", "running", "done", "failed"):
        assert ("understudy_ingestion_jobs", frozenset({("status", status)})) in found
