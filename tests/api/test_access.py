"""Every endpoint × every role: who may call it, who gets 401 or 403, in the JSON error shape."""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass, field
from typing import Any

import docx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from tests.api.conftest import World, error_of

RANK = {"anonymous": -1, "employee": 0, "finance": 0, "curator": 1, "admin": 2}
MIN_RANK = {"employee": 0, "curator": 1, "admin": 2}


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    document.add_heading("Weekend dispatch", level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    role: str
    json: dict[str, Any] | None = None
    needs: str | None = None
    upload: bool = False
    ok: tuple[int, ...] = field(default=(200,))


ENDPOINTS = [
    Endpoint("list twins", "GET", "/api/v1/twins", "employee"),
    Endpoint("ask", "POST", "/api/v1/twins/dana/ask", "employee", {"question": "Why did you choose cold chain?"},
             needs="service.twin.engine"),
    Endpoint("feedback", "POST", "/api/v1/interactions/{interaction}/feedback", "employee",
             {"helpful": False, "reason": "too vague"}),
    Endpoint("list sources", "GET", "/api/v1/twins/dana/sources?status=approved", "curator"),
    Endpoint("upload source", "POST", "/api/v1/twins/dana/sources", "curator", upload=True,
             needs="ingestion.pipeline"),
    Endpoint("show source", "GET", "/api/v1/sources/{draft}", "curator"),
    Endpoint("approve source", "POST", "/api/v1/sources/{draft}/approve", "curator"),
    Endpoint("retire source", "POST", "/api/v1/sources/{everyone}/retire", "curator", {"reason": "outdated"}),
    # To the default audience: moving a source to an audience needs that audience (tests/api/test_audiences.py).
    Endpoint("set audience", "PATCH", "/api/v1/sources/{draft}/audience", "curator", {"audience": "everyone"}),
    Endpoint("set audience (POST)", "POST", "/api/v1/sources/{draft}/audience", "curator", {"audience": "everyone"}),
    Endpoint("search", "GET", "/api/v1/twins/dana/search?q=cold+chain", "curator", needs="service.search.engine"),
    Endpoint("get persona", "GET", "/api/v1/twins/dana/persona", "curator"),
    Endpoint("edit persona", "PATCH", "/api/v1/twins/dana/persona", "curator",
             {"no_answer_message": "I have not spoken to that yet."}),
    Endpoint("audit log", "GET", "/api/v1/audit?limit=5", "curator"),
    Endpoint("unanswered", "GET", "/api/v1/twins/dana/unanswered", "curator"),
    Endpoint("list users", "GET", "/api/v1/users", "admin"),
    Endpoint("add user", "POST", "/api/v1/users", "admin", {"email": "new@example.com", "role": "curator"},
             ok=(201,)),
    Endpoint("edit user", "PATCH", "/api/v1/users/employee@example.com", "admin", {"audiences": ["leadership"]}),
    Endpoint("create twin", "POST", "/api/v1/twins", "admin", {"slug": "cto", "name": "Ari Lind"}, ok=(201,)),
    Endpoint("record consent", "POST", "/api/v1/twins/sam/consent", "admin",
             {"by": "Sam Okafor", "scope": "internal Q&A"}),
    Endpoint("pause twin", "POST", "/api/v1/twins/dana/pause", "admin"),
    Endpoint("resume twin", "POST", "/api/v1/twins/dana/resume", "admin"),
]


def module_present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def call(client: Any, endpoint: Endpoint, world: World, who: str, interaction: int) -> Any:
    path = endpoint.path.format(interaction=interaction, **world.sources)
    headers = world.people[who].headers if who != "anonymous" else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if endpoint.json is not None:
        kwargs["json"] = endpoint.json
    if endpoint.upload:
        kwargs["data"] = {"file": (io.BytesIO(docx_bytes(
            "I moved weekend dispatch to two shifts because drivers deserve predictable weekends.")),
            "weekend-dispatch.docx"), "audience": "everyone"}
        kwargs["content_type"] = "multipart/form-data"
    return client.open(path, method=endpoint.method, **kwargs)


@pytest.mark.parametrize("who", list(RANK))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_endpoint_by_role(client, world: World, session_factory: sessionmaker[Session], endpoint: Endpoint,
                          who: str) -> None:
    if endpoint.needs and not module_present(endpoint.needs):
        pytest.skip(f"{endpoint.needs} has not landed yet")
    interaction = 0
    if who != "anonymous":
        with session_factory() as session:
            twin = store.get_twin(session, "dana")
            user = store.get_user(session, world.people[who].email)
            interaction = store.record_interaction(
                session, twin=twin, user_id=user.id, question="What about the moon?", answer="No answer.",
                conversation_id="c1", passages=[], mode="extractive", grounded=False, latency_ms=1.0).id
            session.commit()
    response = call(client, endpoint, world, who, interaction)
    if who == "anonymous":
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthorized"
    elif RANK[who] < MIN_RANK[endpoint.role]:
        assert response.status_code == 403, response.get_json()
        assert error_of(response)["code"] == "forbidden"
    else:
        assert response.status_code in endpoint.ok, response.get_json()
        assert response.is_json


def test_a_wrong_token_is_401_even_for_public_reads(client, world: World) -> None:
    response = client.get("/api/v1/twins", headers={"Authorization": "Bearer us_not-a-real-token"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_a_deactivated_users_token_stops_working(client, world: World) -> None:
    admin = world.people["admin"]
    employee = world.people["employee"]
    assert client.get("/api/v1/twins", headers=employee.headers).status_code == 200
    response = client.patch(f"/api/v1/users/{employee.email}", json={"active": False}, headers=admin.headers)
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert client.get("/api/v1/twins", headers=employee.headers).status_code == 401


def test_feedback_only_on_ones_own_answer(client, world: World, session_factory) -> None:
    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        owner = store.get_user(session, world.people["employee"].email)
        row = store.record_interaction(session, twin=twin, user_id=owner.id, question="q", answer="a",
                                       conversation_id="c", passages=[], mode="extractive", grounded=True,
                                       latency_ms=1.0)
        session.commit()
        interaction = row.id
    other = client.post(f"/api/v1/interactions/{interaction}/feedback", json={"helpful": True},
                        headers=world.people["admin"].headers)
    assert other.status_code == 404
    own = client.post(f"/api/v1/interactions/{interaction}/feedback", json={"helpful": False, "reason": "vague"},
                      headers=world.people["employee"].headers)
    assert own.status_code == 200
    assert own.get_json() == {"interaction_id": interaction, "feedback": "not_helpful", "reason": "vague"}
