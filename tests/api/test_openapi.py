"""/openapi.json describes the API; schemathesis fuzzes every operation and finds no server error."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import World

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

EXAMPLES_PER_OPERATION = 8


def test_the_document_lists_every_endpoint_with_bearer_auth(client) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, method in [("/api/v1/twins/{slug}/ask", "post"), ("/api/v1/twins", "get"), ("/api/v1/twins", "post"),
                         ("/api/v1/twins/{slug}/sources", "get"), ("/api/v1/twins/{slug}/sources", "post"),
                         ("/api/v1/sources/{source_id}", "get"), ("/api/v1/sources/{source_id}/approve", "post"),
                         ("/api/v1/sources/{source_id}/retire", "post"), ("/api/v1/sources/{source_id}/audience",
                                                                          "patch"),
                         ("/api/v1/twins/{slug}/search", "get"), ("/api/v1/twins/{slug}/persona", "patch"),
                         ("/api/v1/interactions/{interaction_id}/feedback", "post"), ("/api/v1/audit", "get"),
                         ("/api/v1/twins/{slug}/unanswered", "get"), ("/api/v1/users", "post"),
                         ("/api/v1/users/{email}", "patch"), ("/api/v1/twins/{slug}/consent", "post"),
                         ("/api/v1/twins/{slug}/pause", "post"), ("/api/v1/twins/{slug}/resume", "post")]:
        assert method in paths.get(path, {}), (method, path)
    ask = paths["/api/v1/twins/{slug}/ask"]["post"]
    request_schema = ask["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][request_schema]["required"]) == {"question"}
    assert "429" in ask["responses"] and "401" in ask["responses"]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_schemathesis_finds_no_server_error(app, world: World) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    failures: list[str] = []
    statuses: list[int] = []

    def fuzz(operation) -> None:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), who=st.sampled_from(["admin", "employee", "curator"]))
        def run(case, who: str) -> None:
            try:
                response = case.call_and_validate(headers=world.people[who].headers,
                                                  checks=[not_a_server_error, response_schema_conformance])
                statuses.append(response.status_code)
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
                raise

        with contextlib.suppress(Exception):  # recorded in failures
            run()

    for operation in operations:
        fuzz(operation)
    assert not failures, "\n\n".join(failures[:5])
    assert len(statuses) >= len(operations) * 2
    assert any(200 <= status < 300 for status in statuses) and any(400 <= status < 500 for status in statuses)
