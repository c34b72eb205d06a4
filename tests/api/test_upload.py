"""Uploading sources over the API: per-file results like `understudy ingest --json`, and the right statuses."""

from __future__ import annotations

import io

import pytest

from tests.api.conftest import World, error_of
from tests.api.test_access import docx_bytes

pytest.importorskip("ingestion.pipeline")

MEMO = "I moved weekend dispatch to two shifts because drivers deserve predictable weekends."


def upload(client, world: World, *files: tuple[bytes, str], who: str = "curator", **fields):
    data = {"file": [(io.BytesIO(content), name) for content, name in files], **fields}
    return client.post("/api/v1/twins/dana/sources", data=data, content_type="multipart/form-data",
                       headers=world.people[who].headers)


def test_a_docx_becomes_a_draft_with_its_passages(client, world: World) -> None:
    response = upload(client, world, (docx_bytes(MEMO), "memos/2025-05-02-weekend-dispatch.docx"))
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert result["path"] == "memos/2025-05-02-weekend-dispatch.docx"
    assert result["status"] == "ingested" and result["passages"] >= 1 and result["error"] is None
    shown = client.get(f"/api/v1/sources/{result['source_id']}", headers=world.people["curator"].headers).get_json()
    assert shown["source"]["status"] == "draft" and shown["source"]["date"] == "2025-05-02"
    assert shown["source"]["filename"] == "2025-05-02-weekend-dispatch.docx"
    assert any(MEMO in p["text"] for p in shown["passages"])
    assert {"ordinal", "text", "speaker", "executive", "locator"} <= set(shown["passages"][0])


def test_the_same_bytes_again_are_a_duplicate_and_new_bytes_a_new_version(client, world: World) -> None:
    memo = docx_bytes(MEMO)  # built once: python-docx stamps the save time, so two builds can differ
    first = upload(client, world, (memo, "dispatch.docx")).get_json()["results"][0]
    again = upload(client, world, (memo, "dispatch.docx")).get_json()["results"][0]
    assert again["status"] == "duplicate" and again["source_id"] == first["source_id"]
    newer = upload(client, world, (docx_bytes(MEMO, "Two shifts start in June."), "dispatch.docx"))
    result = newer.get_json()["results"][0]
    assert result["status"] == "updated"
    versions = client.get(f"/api/v1/sources/{result['source_id']}",
                          headers=world.people["curator"].headers).get_json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]


def test_audience_and_approve_fields(client, world: World) -> None:
    response = upload(client, world, (docx_bytes(MEMO), "dispatch.docx"), audience="finance", approve="true",
                      kind="talk")
    source_id = response.get_json()["results"][0]["source_id"]
    source = client.get(f"/api/v1/sources/{source_id}",  # read by a curator who holds its audience
                        headers=world.people["fincurator"].headers).get_json()["source"]
    assert (source["status"], source["audience"], source["kind"]) == ("approved", "finance", "talk")


def test_a_wrong_type_is_415(client, world: World) -> None:
    response = upload(client, world, (b"MZ\x90\x00binary", "tool.exe"))
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_type"
    assert response.get_json()["results"][0]["status"] == "error"


def test_a_file_that_lies_about_its_type_is_415(client, world: World) -> None:
    response = upload(client, world, (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "memo.docx"))
    assert response.status_code == 415


def test_an_unknown_kind_is_400(client, world: World) -> None:
    response = upload(client, world, (docx_bytes(MEMO), "dispatch.docx"), kind="poem")
    assert response.status_code == 400


def test_a_mixed_batch_reports_each_file(client, world: World) -> None:
    response = upload(client, world, (docx_bytes(MEMO), "dispatch.docx"), (b"", "empty.txt"),
                      (b"Reliable first, then fast. I say it every week.", "notes.txt"))
    assert response.status_code == 200
    statuses = {r["path"]: r["status"] for r in response.get_json()["results"]}
    assert statuses == {"dispatch.docx": "ingested", "empty.txt": "error", "notes.txt": "ingested"}
    error = next(r for r in response.get_json()["results"] if r["path"] == "empty.txt")["error"]
    assert "empty" in error


def test_with_embeddings_on_an_upload_stores_its_passage_vectors(make_app, world: World, fake_openai,
                                                                 session_factory) -> None:
    from sqlalchemy import text

    app = make_app(embeddings_model="fake-embed", embeddings_base_url=fake_openai.base_url)
    response = upload(app.test_client(), world, (docx_bytes(MEMO), "vectors.docx"))
    [result] = response.get_json()["results"]
    assert result["status"] == "ingested"
    with session_factory() as session:
        stored = session.execute(text(
            "SELECT count(*) FROM passage_vectors v JOIN passages p ON p.id = v.passage_id "
            "WHERE p.source_id = :s AND v.model = 'fake-embed'"), {"s": result["source_id"]}).scalar()
    assert stored == result["passages"], "each new passage has its vector, so no query embeds it again"


TOWN_HALL = b"""THE CEO: Good morning, everyone. I want to talk about the electric vans, because the timing of the fleet
electrification is the question I get asked most often.

MS. OKAFOR: When will the depots get chargers?

THE CEO: Every urban depot gets chargers before the vans arrive, starting with Calder North next spring.

MR. WEBER: And the regional depots?

THE CEO: The regional depots wait until the range of the trucks covers a full route in January.
"""


def test_an_unknown_label_is_named_and_adding_it_reattributes_the_stored_transcript(client, world: World) -> None:
    curator = world.people["curator"].headers
    [result] = upload(client, world, (TOWN_HALL, "town-hall.txt"), approve="true").get_json()["results"]
    hint = result["speaker_hint"]
    assert hint["label"] == "THE CEO" and hint["message"].endswith("of the words. Is that Dana Reyes?")
    source_url = f"/api/v1/sources/{result['source_id']}"
    assert client.get(source_url, headers=curator).get_json()["speaker_hint"]["label"] == "THE CEO"
    question = {"question": "When do the depots get chargers for the electric vans?"}
    assert client.post("/api/v1/twins/dana/ask", json=question, headers=curator).get_json()["grounded"] is False

    refused = client.post("/api/v1/twins/dana/speaker-labels", json={"add": ["THE CEO"]},
                          headers=world.people["employee"].headers)
    assert refused.status_code == 403
    changed = client.post("/api/v1/twins/dana/speaker-labels", json={"add": ["THE CEO"]}, headers=curator)
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert "THE CEO" in body["speaker_labels"] and body["reattributed"]["to_executive"] == 3
    shown = client.get(source_url, headers=curator).get_json()
    assert shown["speaker_hint"] is None
    assert [p["executive"] for p in shown["passages"]] == [p["speaker"] == "THE CEO" for p in shown["passages"]]
    answer = client.post("/api/v1/twins/dana/ask", json=question, headers=curator).get_json()
    assert answer["grounded"] is True and any("chargers" in c["quote"] for c in answer["citations"])
    events = client.get("/api/v1/audit?twin=dana", headers=curator).get_json()["events"]
    assert any(e["action"] == "twin.reattribute" and e["detail"]["to_executive"] == 3 for e in events)
    empty = client.post("/api/v1/twins/dana/speaker-labels", json={}, headers=curator)
    assert empty.status_code == 400
