"""Corrections over HTTP: a curator corrects an answer with passages found by search; employees get the corrected
answer at once; versions, withdrawal, retirement with the source, audiences and refusals."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World, error_of

QUESTION = "How dependable are our refrigerated deliveries?"
REWORDED = "How dependable are the refrigerated deliveries we make?"


def ask(client, world: World, question: str, who: str = "employee") -> dict[str, Any]:
    response = client.post("/api/v1/twins/dana/ask", json={"question": question}, headers=world.people[who].headers)
    assert response.status_code == 200, response.data[:300]
    return response.get_json()  # type: ignore[no-any-return]


def passage_id(client, world: World, words: str, who: str = "curator") -> int:
    """Find a passage the way a curator does: search in place."""
    hits = client.get("/api/v1/twins/dana/search", query_string={"q": words},
                      headers=world.people[who].headers).get_json()["hits"]
    return int(next(h["passage_id"] for h in hits if words.split()[0].lower() in h["text"].lower()))


def correct(client, world: World, who: str = "curator", **body: Any):
    return client.post("/api/v1/twins/dana/corrections", json=body, headers=world.people[who].headers)


def test_a_curator_corrects_an_answer_and_employees_get_it_at_once(client, world: World) -> None:
    before = ask(client, world, QUESTION)
    on_time = passage_id(client, world, "on-time rate temperature-controlled lanes")
    made = correct(client, world, question=QUESTION, passage_ids=[on_time], framing="The numbers say it best.",
                   interaction_id=before["interaction_id"])
    assert made.status_code == 201, made.data
    correction = made.get_json()["correction"]
    assert correction["version"] == 1 and correction["status"] == "active" and correction["kind"] == "answer"
    assert correction["passages"][0]["passage_id"] == on_time and correction["passages"][0]["live"] is True
    after = ask(client, world, REWORDED)
    assert after["correction"]["id"] == correction["id"]
    assert after["answer"].startswith("The numbers say it best. ")
    assert [c["quote"] for c in after["citations"]] == [
        "Our on-time rate in temperature-controlled lanes reached ninety-seven percent."]
    listed = client.get("/api/v1/twins/dana/corrections", headers=world.people["curator"].headers).get_json()
    assert [c["id"] for c in listed["corrections"]] == [correction["id"]]
    assert listed["threshold"] > 0 and listed["hidden"] == 0


def test_editing_versions_and_withdrawing_restores_the_answer(client, world: World) -> None:
    headers = world.people["curator"].headers
    before = ask(client, world, QUESTION)
    on_time = passage_id(client, world, "on-time rate temperature-controlled lanes")
    chose = passage_id(client, world, "chose cold chain pharmaceutical")
    cid = correct(client, world, question=QUESTION, passage_ids=[on_time]).get_json()["correction"]["id"]
    edited = client.patch(f"/api/v1/corrections/{cid}", json={"passage_ids": [chose, on_time]}, headers=headers)
    assert edited.status_code == 200 and edited.get_json()["correction"]["version"] == 2
    assert [c["passage_id"] for c in ask(client, world, QUESTION)["citations"]] == [chose, on_time]
    detail = client.get(f"/api/v1/corrections/{cid}", headers=headers).get_json()
    assert [(v["version"], v["status"]) for v in detail["versions"]] == [(2, "active"), (1, "superseded")]
    withdrawn = client.post(f"/api/v1/corrections/{cid}/withdraw", json={"reason": "not her view"}, headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["correction"]["status"] == "withdrawn"
    after = ask(client, world, QUESTION)
    assert after["correction"] is None and after["answer"] == before["answer"]
    again = client.post(f"/api/v1/corrections/{cid}/withdraw", json={}, headers=headers)
    assert again.status_code == 409 and error_of(again)["code"]
    audit = client.get("/api/v1/audit", query_string={"twin": "dana"}, headers=headers).get_json()["events"]
    assert [e["action"] for e in audit if e["object_type"] == "correction"] == [
        "correction.withdraw", "correction.edit", "correction.create"]


def test_retiring_the_source_retires_the_correction(client, world: World) -> None:
    headers = world.people["curator"].headers
    on_time = passage_id(client, world, "on-time rate temperature-controlled lanes")
    cid = correct(client, world, question=QUESTION, passage_ids=[on_time]).get_json()["correction"]["id"]
    assert client.post(f"/api/v1/sources/{world.sources['everyone']}/retire", json={"reason": "old"},
                       headers=headers).status_code == 200
    detail = client.get(f"/api/v1/corrections/{cid}", headers=headers).get_json()["correction"]
    assert detail["status"] == "retired" and detail["passages"][0]["live"] is False
    assert ask(client, world, QUESTION)["correction"] is None


def test_audiences_bind_corrections(client, world: World) -> None:
    margin = passage_id(client, world, "margin target eighteen percent", who="fincurator")
    refused = correct(client, world, question="What margin do we want on cold chain?", passage_ids=[margin])
    assert refused.status_code == 404  # a curator without finance cannot choose finance's words
    made = correct(client, world, who="fincurator", question="What margin do we want on cold chain?",
                   passage_ids=[margin])
    assert made.status_code == 201
    cid = made.get_json()["correction"]["id"]
    outsider = ask(client, world, "What margin do we want on cold chain?")
    assert "eighteen" not in outsider["answer"] and outsider["correction"] is None
    insider = ask(client, world, "What margin do we want on cold chain?", who="finance")
    assert "eighteen percent" in insider["answer"] and insider["correction"]["id"] == cid
    listed = client.get("/api/v1/twins/dana/corrections", headers=world.people["curator"].headers).get_json()
    assert listed["corrections"] == [] and listed["hidden"] == 1
    assert client.get(f"/api/v1/corrections/{cid}", headers=world.people["curator"].headers).status_code == 404


def test_a_refusal_and_bad_requests(client, world: World) -> None:
    made = correct(client, world, question="Will the CEO run for office?", kind="refusal", topic="her plans after Halvorsen")
    assert made.status_code == 201
    answered = ask(client, world, "Will the CEO run for office?")
    assert not answered["grounded"] and "her plans after Halvorsen" in answered["answer"] and answered["citations"] == []
    for body, status in (({"question": "Why cold chain?"}, 400),
                         ({"question": "Why cold chain?", "passage_ids": [10_000_000]}, 404),
                         ({"question": "Why cold chain?", "passage_ids": [1], "color": "red"}, 400),
                         ({"question": "Will the CEO run for office?", "kind": "refusal"}, 409)):
        response = correct(client, world, **body)
        assert response.status_code == status, (body, response.data)
        assert error_of(response)["message"]
    assert correct(client, world, who="employee", question="x", passage_ids=[1]).status_code == 403
    assert client.get("/api/v1/corrections/99999999999", headers=world.people["curator"].headers).status_code == 404


def test_the_audit_log_withholds_a_restricted_correction_from_outsiders(client, world: World) -> None:
    margin = passage_id(client, world, "margin target eighteen percent", who="fincurator")
    assert correct(client, world, who="fincurator", question="What margin do we want on cold chain?",
                   passage_ids=[margin]).status_code == 201

    def created(who: str) -> dict[str, Any]:
        events = client.get("/api/v1/audit", query_string={"twin": "dana"},
                            headers=world.people[who].headers).get_json()["events"]
        return next(e for e in events if e["action"] == "correction.create")
    assert created("fincurator")["detail"]["question"] == "What margin do we want on cold chain?"
    assert created("curator")["detail"] == {"withheld": "the source is for the finance audience"}
