"""Rehearsing a pitch over HTTP: JSON and real .docx/.pdf uploads, rounds, roles, authorship, audiences, limits."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from tests.api.conftest import Person, World, error_of
from tests.rehearsal.conftest import (
    GOOD_PITCH,
    LEADERSHIP_TXT,
    MEMO_PARAGRAPHS,
    QBR_TXT,
    REVIEW_VTT,
    SAFETY_MEMO_PARAGRAPHS,
    WEAK_PITCH,
    _add,
    build_docx,
    build_pdf,
)

START = "/api/v1/twins/dana/rehearsals"
RESULT_KEYS = {"rehearsal_id", "questions", "push_back", "scorecard", "citations", "disclaimer", "mode", "round",
               "max_rounds", "interaction_id"}
CITATION_KEYS = {"n", "source_id", "title", "date", "locator", "quote"}
LISBON_PITCH = ("Lisbon warehouse expansion: the lease needs signing, the landlord wants an answer, and the cost per "
                "pallet is nine euros. We ask you to approve the Lisbon lease this month.")
# What the executive asked in the leadership-only meeting.
LISBON_QUESTIONS = ("how much will the Lisbon warehouse expansion cost per pallet?",
                    "Who signs the Lisbon lease, and when does the landlord need an answer?")
# Others' questions in the transcripts: never the executive's.
OTHERS_QUESTIONS = ("Can we also agree to repaint the canteen at Eastgate before the summer party?",
                    "Should the new trailers carry the green livery from the brand refresh?",
                    "Which budget line should the overtime come from?")


def add_rehearsal_corpus(session: Session, world: World) -> World:
    """The executive's meetings (one leadership-only), memos of their concerns, and a leadership employee."""
    twin = store.get_twin(session, world.twin)
    _add(session, twin, REVIEW_VTT.encode(), "2025-08-18-cold-chain-review.vtt", "transcript")
    _add(session, twin, QBR_TXT.encode(), "2025-10-20-qbr.txt", "transcript")
    leadership = _add(session, twin, LEADERSHIP_TXT.encode(), "2026-05-04-lisbon.txt", "transcript",
                      audience="leadership")
    _add(session, twin, build_docx(MEMO_PARAGRAPHS, "How We Decide"), "2025-01-13-how-we-decide.docx", "memo")
    _add(session, twin, build_docx(SAFETY_MEMO_PARAGRAPHS, "Drivers Home Safe"), "2024-04-22-home-safe.docx", "memo")
    user, token = store.add_user(session, "leader@example.com", role="employee", audiences=["leadership"])
    session.commit()
    world.people["leader"] = Person(user.email, "employee", token)
    world.sources["leadership"] = leadership.id
    return world


@pytest.fixture
def rworld(world: World, session_factory: sessionmaker[Session]) -> World:
    with session_factory() as session:
        return add_rehearsal_corpus(session, world)


def start(client, world: World, who: str = "employee", pitch: str = GOOD_PITCH):
    return client.post(START, json={"pitch": pitch}, headers=world.people[who].headers)


def upload(client, world: World, data: bytes, filename: str, who: str = "employee", path: str = START):
    return client.post(path, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data",
                       headers=world.people[who].headers)


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def test_every_endpoint_needs_a_signed_in_user(client, rworld: World) -> None:
    rid = start(client, rworld).get_json()["rehearsal_id"]
    for method, path, body in (("post", START, {"pitch": GOOD_PITCH}), ("post", f"/api/v1/rehearsals/{rid}/turns",
                                                                         {"reply": "Yes."}),
                               ("get", f"/api/v1/rehearsals/{rid}", None), ("get", "/api/v1/rehearsals", None)):
        for headers in ({}, {"Authorization": "Bearer us_not-a-real-token"}):
            response = getattr(client, method)(path, json=body, headers=headers)
            assert response.status_code == 401, (method, path)
            assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize("who", ["employee", "curator", "admin"])
def test_every_role_rehearses_answers_and_reads_back(client, rworld: World, who: str) -> None:
    response = start(client, rworld, who)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= RESULT_KEYS
    rid = body["rehearsal_id"]
    assert response.headers["Location"].endswith(f"/api/v1/rehearsals/{rid}")
    assert body["questions"] and body["round"] == 0 and body["mode"] == "extractive"
    assert "Dana Reyes" in body["disclaimer"]
    for q in body["questions"]:
        assert set(q["citation"]) >= CITATION_KEYS
        assert q["citation"] in body["citations"]
    criteria = {c["key"]: c for c in body["scorecard"]["criteria"]}
    assert criteria["ask"]["score"] == criteria["ask"]["max"] and criteria["ask"]["reason"]

    turn = client.post(f"/api/v1/rehearsals/{rid}/turns", json={"reply": "Yes, definitely."},
                       headers=rworld.people[who].headers)
    assert turn.status_code == 200, turn.get_data(as_text=True)
    reaction = turn.get_json()
    assert reaction["reaction"] == "follow_up" and reaction["round"] == 1 and not reaction["done"]
    assert reaction["next_question"]["question"] == body["questions"][0]["question"]
    for citation in reaction["citations"]:
        assert f"[{citation['n']}]" in reaction["text"]

    stored = client.get(f"/api/v1/rehearsals/{rid}", headers=rworld.people[who].headers)
    assert stored.status_code == 200
    detail = stored.get_json()
    assert detail["pitch"].startswith("Proposal: reefer capacity") and detail["twin"] == "dana"
    assert detail["questions"] == body["questions"] and detail["round"] == 1
    assert [(t["question"], t["reply"]) for t in detail["turns"]] == [(body["questions"][0]["question"],
                                                                       "Yes, definitely.")]
    mine = client.get("/api/v1/rehearsals", headers=rworld.people[who].headers).get_json()["rehearsals"]
    assert [r["rehearsal_id"] for r in mine] == [rid]
    assert mine[0]["round"] == 1 and mine[0]["score"]["total"] == body["scorecard"]["total"]


def test_a_rehearsal_is_its_authors_alone(client, rworld: World) -> None:
    rid = start(client, rworld, "employee").get_json()["rehearsal_id"]
    for other in ("curator", "admin", "finance"):
        headers = rworld.people[other].headers
        assert client.get(f"/api/v1/rehearsals/{rid}", headers=headers).status_code == 404
        answered = client.post(f"/api/v1/rehearsals/{rid}/turns", json={"reply": "Mine now."}, headers=headers)
        assert answered.status_code == 404 and error_of(answered)["code"] == "not_found"
        assert client.get("/api/v1/rehearsals", headers=headers).get_json()["rehearsals"] == []
    for missing in (rid + 1000, 2**31 - 1, 2**31, 2**63, 10**20):
        assert client.get(f"/api/v1/rehearsals/{missing}", headers=rworld.people["employee"].headers).status_code == 404
    # The author's rehearsal did not move.
    detail = client.get(f"/api/v1/rehearsals/{rid}", headers=rworld.people["employee"].headers).get_json()
    assert detail["round"] == 0 and detail["turns"] == []


def test_a_docx_pitch_uploaded_as_multipart(client, rworld: World) -> None:
    response = upload(client, rworld, build_docx(paragraphs(GOOD_PITCH), "Reefer capacity"), "reefer-pitch.docx")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["filename"] == "reefer-pitch.docx"
    assert body["analysis"]["ask"].startswith("We are asking you to approve 6.5 million dollars")
    assert body["scorecard"]["words"] > 100
    questions = [q["question"] for q in body["questions"]]
    assert "What's the riskiest assumption in the trailer plan, and how will we know early?" in questions
    stored = client.get(f"/api/v1/rehearsals/{body['rehearsal_id']}", headers=rworld.people["employee"].headers)
    assert "Corvane Pharma" in stored.get_json()["pitch"]


def test_a_pdf_pitch_uploaded_as_multipart(client, rworld: World) -> None:
    response = upload(client, rworld, build_pdf(GOOD_PITCH, "Reefer capacity"), "reefer-pitch.pdf")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["filename"] == "reefer-pitch.pdf"
    assert "98.4%" in body["analysis"]["numbers"]
    assert body["questions"]
    assert {q["citation"]["title"] for q in body["questions"]} & {"Cold Chain Review", "How We Decide"}


def test_a_pitch_that_is_not_a_document_is_415(client, rworld: World) -> None:
    response = upload(client, rworld, b"MZ\x90\x00\x03\x00\x00\x00binary", "pitch.exe")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    assert ".docx, .pdf, .md or .txt" in error_of(response)["message"]
    as_text = client.post(START, data=GOOD_PITCH, content_type="text/plain",
                          headers=rworld.people["employee"].headers)
    assert as_text.status_code == 415
    assert client.get("/api/v1/rehearsals", headers=rworld.people["employee"].headers).get_json()["rehearsals"] == []


@pytest.mark.parametrize("send", [
    lambda c, h: c.post(START, json={"pitch": ""}, headers=h),
    lambda c, h: c.post(START, json={"pitch": "   \n  "}, headers=h),
    lambda c, h: c.post(START, json={}, headers=h),
    lambda c, h: c.post(START, headers=h),
    lambda c, h: c.post(START, data={"file": (io.BytesIO(b""), "pitch.txt")}, content_type="multipart/form-data",
                        headers=h),
    lambda c, h: c.post(START, data={"other": "x"}, content_type="multipart/form-data", headers=h),
], ids=["empty", "blank", "no-field", "no-body", "empty-file", "no-file"])
def test_an_empty_pitch_is_400(client, rworld: World, send) -> None:
    response = send(client, rworld.people["employee"].headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert error_of(response)["message"]


def test_an_oversize_upload_is_413(make_app, rworld: World) -> None:
    client = make_app(max_file_mb=0.01).test_client()
    response = upload(client, rworld, b"We ask for trailers. " * 1000, "pitch.txt")
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_a_paused_or_unconsented_twin_does_not_rehearse(client, rworld: World) -> None:
    rid = start(client, rworld).get_json()["rehearsal_id"]
    assert client.post("/api/v1/twins/dana/pause", headers=rworld.people["admin"].headers).status_code == 200
    refused = start(client, rworld)
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "twin_unavailable" and "paused" in error_of(refused)["message"]
    turn = client.post(f"/api/v1/rehearsals/{rid}/turns", json={"reply": "The ask is 6.5 million dollars."},
                       headers=rworld.people["employee"].headers)
    assert turn.status_code == 409
    unconsented = client.post("/api/v1/twins/sam/rehearsals", json={"pitch": GOOD_PITCH},
                              headers=rworld.people["employee"].headers)
    assert unconsented.status_code == 409 and "consent" in error_of(unconsented)["message"]
    assert client.post("/api/v1/twins/nobody/rehearsals", json={"pitch": GOOD_PITCH},
                       headers=rworld.people["employee"].headers).status_code == 404


def test_a_leadership_only_question_never_reaches_an_employee_outside_that_audience(client, rworld: World) -> None:
    outsider = start(client, rworld, "employee", LISBON_PITCH)
    assert outsider.status_code == 201
    body = outsider.get_json()
    rid = body["rehearsal_id"]
    reply = ("The Lisbon lease is signed by the country manager, the landlord needs an answer by Friday, and it "
             "costs nine euros a pallet.")
    turns = [client.post(f"/api/v1/rehearsals/{rid}/turns", json={"reply": reply},
                         headers=rworld.people["employee"].headers).get_json() for _ in range(3)]
    assert turns[-1]["done"]
    detail = client.get(f"/api/v1/rehearsals/{rid}", headers=rworld.people["employee"].headers).get_json()
    # What the twin drew from the sources (the scorecard's reasons quote the pitch itself, so they are left out).
    twin_said = json.dumps([body["questions"], body["push_back"], body["citations"],
                            [(t["text"], t["citations"], t["next_question"]) for t in turns],
                            [(t["text"], t["citations"]) for t in detail["turns"]], detail["summary"]["prepare"]])
    for question in LISBON_QUESTIONS:
        assert question not in twin_said
    assert "Lisbon" not in twin_said
    cited = {c["source_id"] for c in body["citations"]} | {c["source_id"] for t in turns for c in t["citations"]}
    assert rworld.sources["leadership"] not in cited

    # Someone in the leadership audience gets the question the executive asked in that meeting.
    insider = start(client, rworld, "leader", LISBON_PITCH).get_json()
    asked = [q for q in insider["questions"] if q["citation"]["source_id"] == rworld.sources["leadership"]]
    assert asked and any(q["question"].endswith(LISBON_QUESTIONS[1]) for q in asked)
    assert all(q["citation"]["quote"] == q["question"] for q in asked)


def test_mined_questions_are_the_executives_never_another_speakers(client, rworld: World) -> None:
    pitch = ("We propose sixty reefer trailers for inland pharma, a canteen repaint at Eastgate before the summer "
             "party, green livery from the brand refresh, and overtime from the budget line. We ask for 6 million.")
    body = start(client, rworld, "employee", pitch).get_json()
    assert body["questions"]
    everything = json.dumps(body)
    for theirs in OTHERS_QUESTIONS:
        assert theirs not in everything
    for q in body["questions"]:
        assert q["citation"]["quote"] == q["question"]


def test_rounds_end_with_a_summary_and_a_finished_rehearsal_takes_no_more(client, rworld: World) -> None:
    headers = rworld.people["employee"].headers
    rid = start(client, rworld, pitch=WEAK_PITCH).get_json()["rehearsal_id"]
    empty = client.post(f"/api/v1/rehearsals/{rid}/turns", json={"reply": " "}, headers=headers)
    assert empty.status_code == 400
    turns = [client.post(f"/api/v1/rehearsals/{rid}/turns", json={"reply": "Yes, definitely."}, headers=headers)
             for _ in range(3)]
    assert [t.status_code for t in turns] == [200, 200, 200]
    last = turns[-1].get_json()
    assert last["done"] and last["reaction"] == "summary" and "end of this rehearsal" in last["text"]
    assert last["summary"]["fix"] and last["next_question"] is None
    again = client.post(f"/api/v1/rehearsals/{rid}/turns", json={"reply": "One more thing."}, headers=headers)
    assert again.status_code == 409 and "finished" in error_of(again)["message"]
    listed = client.get("/api/v1/rehearsals?twin=dana", headers=headers).get_json()["rehearsals"]
    assert listed[0]["done"] and listed[0]["round"] == 3
    assert client.get("/api/v1/rehearsals?twin=nobody", headers=headers).status_code == 404


def test_starting_rehearsals_is_rate_limited_like_asking(make_app, rworld: World) -> None:
    client = make_app(ratelimit_ask="2/minute").test_client()
    employee = rworld.people["employee"].headers
    # Invalid bodies count against the limit too, so this needs no rehearsal engine.
    statuses = [client.post(START, json={}, headers=employee).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    limited = start(client, rworld)
    assert limited.status_code == 429 and error_of(limited)["code"] == "rate_limited"
    assert "Retry-After" in limited.headers
    assert start(client, rworld, "curator").status_code == 201


def test_the_openapi_document_describes_rehearsals(client) -> None:
    document = client.get("/openapi.json").get_json()
    paths = document["paths"]
    create = paths["/api/v1/twins/{slug}/rehearsals"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"201", "401", "409", "413", "415", "429"} <= set(create["responses"])
    assert "post" in paths["/api/v1/rehearsals/{rehearsal_id}/turns"]
    assert "get" in paths["/api/v1/rehearsals/{rehearsal_id}"] and "get" in paths["/api/v1/rehearsals"]


def test_a_one_line_pitch_is_a_422_asking_for_more_and_nothing_is_stored(client, rworld: World) -> None:
    response = start(client, rworld, pitch="Let's buy more trucks.")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "pitch_too_short"
    assert error["message"].startswith("That is too short to rehearse (4 words). Tell me more:")
    assert "what you are asking for" in error["message"]
    listed = client.get("/api/v1/rehearsals", headers=rworld.people["employee"].headers).get_json()
    assert listed["rehearsals"] == []
