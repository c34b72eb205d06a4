"""The gap map over HTTP: JSON and CSV for curators, marking a theme answered, no asker ever named."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from tests.api.conftest import World, error_of

PARKING = ["Is the company going to pay for parking near the new office?",
           "Will staff get free car park spaces at the new building?",
           "Do I have to pay for my own parking spot when we move?"]


def ask_unanswerable(client: FlaskClient, world: World, *questions: str) -> None:
    """Questions the seeded memos cannot answer, asked through the API as the employee."""
    for question in questions:
        response = client.post(f"/api/v1/twins/{world.twin}/ask", json={"question": question},
                               headers=world.people["employee"].headers)
        assert response.status_code == 200 and response.get_json()["grounded"] is False


def test_a_curator_reads_the_gap_map_as_json_and_csv(client: FlaskClient, world: World) -> None:
    ask_unanswerable(client, world, *PARKING)
    curator = world.people["curator"].headers
    response = client.get(f"/api/v1/twins/{world.twin}/gaps", headers=curator)
    assert response.status_code == 200
    body = response.get_json()
    assert body["grouping"] == "meaning" and body["questions"] == 3
    (theme,) = body["themes"]
    assert theme["count"] == 3 and theme["status"] == "open" and theme["audiences_hidden"] is True
    assert set(theme["examples"]) == set(PARKING) and theme["name"].lower() in theme["question"].lower()
    assert world.people["employee"].email not in response.get_data(as_text=True)
    exported = client.get(f"/api/v1/twins/{world.twin}/gaps.csv", headers=curator)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [r["theme"] for r in rows] == [theme["name"]] and rows[0]["questions"] == "3"
    assert world.people["employee"].email not in exported.get_data(as_text=True)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/twins/{world.twin}/gaps?since={tomorrow}", headers=curator).get_json()["themes"] == []


def test_the_gap_map_is_for_curators_and_checks_its_input(client: FlaskClient, world: World) -> None:
    response = client.get(f"/api/v1/twins/{world.twin}/gaps", headers=world.people["employee"].headers)
    assert response.status_code == 403
    curator = world.people["curator"].headers
    bad = client.get(f"/api/v1/twins/{world.twin}/gaps?since=last-week", headers=curator)
    assert bad.status_code == 400 and "since" in error_of(bad)["message"]
    assert client.get("/api/v1/twins/nobody/gaps", headers=curator).status_code == 404


def test_a_theme_is_marked_answered_by_an_approved_source_and_opened_again(
        client: FlaskClient, world: World, session_factory: sessionmaker[Session]) -> None:
    ask_unanswerable(client, world, *PARKING)
    curator = world.people["curator"].headers
    key = client.get(f"/api/v1/twins/{world.twin}/gaps", headers=curator).get_json()["themes"][0]["key"]
    draft = client.post(f"/api/v1/twins/{world.twin}/gaps/{key}/link", json={"source_id": world.sources["draft"]},
                        headers=curator)
    assert draft.status_code == 400 and "approved" in error_of(draft)["message"]
    hidden = client.post(f"/api/v1/twins/{world.twin}/gaps/{key}/link", json={"source_id": world.sources["finance"]},
                         headers=curator)
    assert hidden.status_code == 404  # a finance-only source, out of this curator's sight
    stale = client.post(f"/api/v1/twins/{world.twin}/gaps/0123456789abcdef/link",
                        json={"source_id": world.sources["everyone"]}, headers=curator)
    assert stale.status_code == 404 and "reload" in error_of(stale)["message"]
    linked = client.post(f"/api/v1/twins/{world.twin}/gaps/{key}/link",
                         json={"source_id": world.sources["everyone"], "note": "covered in the move memo"},
                         headers=curator)
    assert linked.status_code == 201
    link = linked.get_json()
    assert link["source_id"] == world.sources["everyone"] and link["linked_by"] == world.people["curator"].email
    ask_unanswerable(client, world, "Is there a parking allowance for people who drive in?")
    theme = client.get(f"/api/v1/twins/{world.twin}/gaps", headers=curator).get_json()["themes"][0]
    assert theme["status"] == "answered-since"
    assert (theme["link"]["asked_since"], theme["link"]["answered_since"]) == (1, 0)
    with session_factory() as session:
        reviews = store.question_reviews(session, store.get_twin(session, world.twin))
        assert reviews[store.question_key(PARKING[0])].status == "answered"
    removed = client.delete(f"/api/v1/twins/{world.twin}/gaps/links/{link['id']}", headers=curator)
    assert removed.status_code == 200
    assert client.get(f"/api/v1/twins/{world.twin}/gaps", headers=curator).get_json()["themes"][0]["status"] == "open"
    again = client.delete(f"/api/v1/twins/{world.twin}/gaps/links/{link['id']}", headers=curator)
    assert again.status_code == 404
