"""Asking over HTTP: JSON and Server-Sent Events, conversations, consent, feedback and the unanswered list."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import World, error_of

pytest.importorskip("service.twin.engine")

CONTRACT = {"answer", "citations", "grounded", "mode", "disclaimer", "conversation_id", "interaction_id"}


def ask(client, world: World, question: str, who: str = "employee", **extra):
    return client.post("/api/v1/twins/dana/ask", json={"question": question, **extra},
                       headers=world.people[who].headers)


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for frame in body.strip().split("\n\n"):
        lines = frame.splitlines()
        name = next(line[6:].strip() for line in lines if line.startswith("event:"))
        data = json.loads("\n".join(line[5:].strip() for line in lines if line.startswith("data:")))
        events.append((name, data))
    return events


def test_a_cited_answer_in_the_contract_shape(client, world: World) -> None:
    response = ask(client, world, "Why did you choose cold chain for pharmaceutical customers?")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= CONTRACT
    assert body["grounded"] is True and body["mode"] == "extractive"
    assert body["citations"], body
    first = body["citations"][0]
    assert {"n", "source_id", "title", "date", "locator", "quote"} <= set(first)
    assert first["source_id"] == world.sources["everyone"] and first["title"] == "Why cold chain"
    assert first["quote"] and first["quote"] in "I chose cold chain because pharmaceutical customers pay for " \
        "reliability. Our on-time rate in temperature-controlled lanes reached ninety-seven percent."
    assert "Dana Reyes" in body["disclaimer"]


def test_the_answer_streams_as_server_sent_events(client, world: World) -> None:
    response = client.post("/api/v1/twins/dana/ask", json={"question": "Why did you choose cold chain for pharmaceutical customers?"},
                           headers={**world.people["employee"].headers, "Accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    events = sse_events(response.get_data(as_text=True))
    names = [name for name, _ in events]
    assert names[0] == "delta" and names[-1] == "answer"
    final = events[-1][1]
    assert set(final) >= CONTRACT and final["citations"]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed.strip() and streamed.split()[0] in final["answer"]


def test_a_follow_up_stays_in_the_conversation(client, world: World) -> None:
    first = ask(client, world, "Why did you choose cold chain for pharmaceutical customers?").get_json()
    follow = ask(client, world, "What on-time rate did the temperature-controlled lanes reach?", conversation_id=first["conversation_id"])
    assert follow.status_code == 200
    assert follow.get_json()["conversation_id"] == first["conversation_id"]
    assert follow.get_json()["interaction_id"] != first["interaction_id"]


def test_a_twin_without_consent_does_not_answer(client, world: World) -> None:
    response = client.post("/api/v1/twins/sam/ask", json={"question": "What is our plan?"},
                           headers=world.people["employee"].headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "twin_unavailable"
    assert "consent" in error_of(response)["message"]


def test_a_paused_twin_does_not_answer_even_as_a_stream(client, world: World) -> None:
    assert client.post("/api/v1/twins/dana/pause", headers=world.people["admin"].headers).status_code == 200
    response = client.post("/api/v1/twins/dana/ask", json={"question": "Why cold chain?"},
                           headers={**world.people["employee"].headers, "Accept": "text/event-stream"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "twin_unavailable"


def test_asking_an_unknown_twin_is_404(client, world: World) -> None:
    response = client.post("/api/v1/twins/nobody/ask", json={"question": "Hello?"},
                           headers=world.people["employee"].headers)
    assert response.status_code == 404


def test_unanswered_and_unhelpful_reach_the_curators_newest_first(client, world: World) -> None:
    miss = ask(client, world, "What is your favourite opera about submarines?").get_json()
    assert miss["grounded"] is False
    hit = ask(client, world, "Why did you choose cold chain for pharmaceutical customers?").get_json()
    feedback = client.post(f"/api/v1/interactions/{hit['interaction_id']}/feedback",
                           json={"helpful": False, "reason": "wanted numbers"},
                           headers=world.people["employee"].headers)
    assert feedback.status_code == 200
    items = client.get("/api/v1/twins/dana/unanswered", headers=world.people["curator"].headers).get_json()["items"]
    assert [i["interaction_id"] for i in items] == [hit["interaction_id"], miss["interaction_id"]]
    assert items[0]["feedback"] == "not_helpful" and items[0]["feedback_reason"] == "wanted numbers"
    assert items[1]["grounded"] is False and items[1]["asked_by"] == "employee@example.com"


@pytest.mark.parametrize("question", ["Why cold\x00 chain?", "Why cold chain?\x00", "Why cold \ud800chain?"])
def test_a_question_no_database_can_store_is_refused_before_any_answer(client, world: World, session_factory,
                                                                         question: str) -> None:
    from sqlalchemy import func, select

    from service.corpus.models import Interaction

    headers = world.people["employee"].headers
    body = json.dumps({"question": question})  # a lone surrogate cannot go through the client's own encoder
    for accept in ("application/json", "text/event-stream"):
        response = client.post("/api/v1/twins/dana/ask", data=body, content_type="application/json",
                               headers={**headers, "Accept": accept})
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert error_of(response)["code"] == "bad_input"
        assert "cold chain" not in response.get_data(as_text=True).replace("Why cold", "")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Interaction)) == 0
    conversation = client.post("/api/v1/twins/dana/ask", data=json.dumps(
        {"question": "Why cold chain?", "conversation_id": "a\x00b"}), content_type="application/json",
        headers={**headers, "Accept": "text/event-stream"})
    assert conversation.status_code == 400


def test_every_streamed_answer_has_its_interaction_row(client, world: World, session_factory) -> None:
    from service.corpus.models import Interaction

    stream = client.post("/api/v1/twins/dana/ask", json={"question": "Why did you choose cold chain?"},
                         headers={**world.people["employee"].headers, "Accept": "text/event-stream"})
    events = sse_events(stream.get_data(as_text=True))
    final = events[-1][1]
    shown = "".join(data["text"] for name, data in events if name == "delta")
    with session_factory() as session:
        row = session.get(Interaction, final["interaction_id"])
        assert row is not None and row.answer == shown == final["answer"]
