"""Dated positions over HTTP: the answer's basis label and positions field, and curators marking a source's position
as superseded by a later source's (GET / POST / DELETE /api/v1/sources/ID/revisions)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from service.search.vectors import index_new_sources
from tests.api.conftest import World, error_of, parsed

OLD = "We will open 12 new depots in 2025, most of them in the Midwest."
NEW = "We will open 7 new depots this year, not 12, and put the rest of that money into dock automation."


@pytest.fixture
def depots(world: World, session_factory: sessionmaker[Session], app_settings) -> dict[str, int]:
    """Two approved memos a year apart that disagree on the number of depots, with their vectors stored."""
    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        store.update_persona(session, "dana", {"pronoun": "she"})  # "Stands on: her words"
        old = store.add_source(session, twin, parsed("Plan for 2025", "plan-2025.docx", OLD,
                                                     date=dt.date(2025, 1, 20)), approve=True).source
        new = store.add_source(session, twin, parsed("Where we stand", "update-2026.docx", NEW,
                                                     date=dt.date(2026, 3, 4)), approve=True).source
        session.flush()
        index_new_sources(session, app_settings, [old.id, new.id])
        session.commit()
        return {"old": old.id, "new": new.id}


def test_an_answer_says_what_it_stands_on_and_which_position_is_current(client, world: World, depots) -> None:
    body = client.post("/api/v1/twins/dana/ask", json={"question": "How many depots are we opening?"},
                       headers=world.people["employee"].headers).get_json()
    assert body["basis"] == "own_words" and body["basis_label"] == "her words"
    assert body["answer"].startswith("As of the March 2026 memo, we will open 7 new depots")
    assert [c["date"] for c in body["citations"]] == ["2026-03-04", "2025-01-20"]
    assert body["positions"]["current"]["source_id"] == depots["new"]
    assert [e["source_id"] for e in body["positions"]["earlier"]] == [depots["old"]]
    nothing = client.post("/api/v1/twins/dana/ask", json={"question": "What is our policy on moon bases?"},
                          headers=world.people["employee"].headers).get_json()
    assert nothing["basis"] == "no_answer" and nothing["basis_label"] == "no answer" and nothing["disclaimer"]


def test_curators_mark_and_withdraw_a_later_position(client, world: World, depots) -> None:
    curator = world.people["curator"].headers
    url = f"/api/v1/sources/{depots['old']}/revisions"
    shown = client.get(url, headers=curator).get_json()
    assert shown["revised_by"] == []
    assert [d["source_id"] for d in shown["detected"]] == [depots["new"]]  # found by meaning, not yet marked
    assert "figures" in shown["detected"][0]["reasons"]
    response = client.post(url, json={"revised_by": depots["new"], "note": "fewer depots"}, headers=curator)
    assert response.status_code == 201
    marked = response.get_json()["revised_by"]
    assert [(m["source_id"], m["note"], m["marked_by"]) for m in marked] == [
        (depots["new"], "fewer depots", "curator@example.com")]
    later = client.get(f"/api/v1/sources/{depots['new']}/revisions", headers=curator).get_json()
    assert [m["source_id"] for m in later["revises"]] == [depots["old"]]
    backwards = client.post(f"/api/v1/sources/{depots['new']}/revisions", json={"revised_by": depots["old"]},
                            headers=curator)
    assert backwards.status_code == 400 and "not later than" in error_of(backwards)["message"]
    unknown = client.post(url, json={"revised_by": 999999}, headers=curator)
    assert unknown.status_code == 404
    assert client.delete(f"{url}/{depots['new']}", headers=curator).get_json()["revised_by"] == []
    assert client.delete(f"{url}/{depots['new']}", headers=curator).status_code == 404
    assert client.get(url, headers=world.people["employee"].headers).status_code == 403


def test_a_source_another_audience_holds_cannot_be_marked_as_the_later_one(client, world: World, depots) -> None:
    response = client.post(f"/api/v1/sources/{depots['old']}/revisions",
                           json={"revised_by": world.sources["finance"]}, headers=world.people["curator"].headers)
    assert response.status_code in (403, 404)


def test_a_curator_sets_the_pronoun_over_the_api_and_answers_follow(client, world: World, depots) -> None:
    patched = client.patch("/api/v1/twins/dana/persona", json={"pronoun": "he"}, headers=world.people["curator"].headers)
    assert patched.status_code == 200, patched.get_json()
    assert client.get("/api/v1/twins/dana/persona", headers=world.people["curator"].headers).get_json()[
        "pronoun"] == "he"
    body = client.post("/api/v1/twins/dana/ask", json={"question": "How many depots are we opening?"},
                       headers=world.people["employee"].headers).get_json()
    assert body["basis_label"] == "his words"
    refused = client.patch("/api/v1/twins/dana/persona", json={"pronoun": "it"},
                           headers=world.people["curator"].headers)
    assert refused.status_code == 400 and "pronoun must be one of" in error_of(refused)["message"]
