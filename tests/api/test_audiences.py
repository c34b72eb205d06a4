"""Audiences: a user's searches and answers stand only on sources for their audiences."""

from __future__ import annotations

import importlib.util

import pytest

from tests.api.conftest import World

CONFIDENTIAL = "eighteen percent"


def hits_for(client, world: World, who: str, query: str) -> list[dict]:
    response = client.get("/api/v1/twins/dana/search", query_string={"q": query},
                          headers=world.people[who].headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["hits"]


@pytest.mark.parametrize("who, sees_finance", [("curator", False), ("fincurator", True), ("admin", False)])
def test_search_shows_only_the_audiences_one_belongs_to(client, world: World, who, sees_finance) -> None:
    hits = hits_for(client, world, who, "cold chain margin target")
    texts = " ".join(h["text"] for h in hits)
    assert (CONFIDENTIAL in texts) is sees_finance
    assert any(h["source_id"] == world.sources["everyone"] for h in hits)


def test_search_never_shows_drafts_or_retired_sources(client, world: World) -> None:
    curator = world.people["curator"].headers
    assert not [h for h in hits_for(client, world, "curator", "electric vans") if h["source_id"] == world.sources["draft"]]
    client.post(f"/api/v1/sources/{world.sources['everyone']}/retire", headers=curator)
    assert not [h for h in hits_for(client, world, "curator", "pharmaceutical reliability")
                if h["source_id"] == world.sources["everyone"]]


def test_changing_a_sources_audience_changes_who_finds_it(client, world: World) -> None:
    curator = world.people["curator"].headers
    assert not any(CONFIDENTIAL in h["text"] for h in hits_for(client, world, "curator", "margin target"))
    response = client.patch(f"/api/v1/sources/{world.sources['finance']}/audience", json={"audience": "everyone"},
                            headers=curator)
    assert response.status_code == 200 and response.get_json()["source"]["audience"] == "everyone"
    assert any(CONFIDENTIAL in h["text"] for h in hits_for(client, world, "curator", "margin target"))


def test_giving_a_user_an_audience_widens_what_they_find(client, world: World) -> None:
    assert not any(CONFIDENTIAL in h["text"] for h in hits_for(client, world, "curator", "margin target"))
    client.patch("/api/v1/users/curator@example.com", json={"audiences": ["finance"]},
                 headers=world.people["admin"].headers)
    assert any(CONFIDENTIAL in h["text"] for h in hits_for(client, world, "curator", "margin target"))


needs_engine = pytest.mark.skipif(importlib.util.find_spec("service.twin.engine") is None,
                                  reason="service.twin.engine has not landed yet")


def ask(client, world: World, who: str, question: str, **extra) -> dict:
    response = client.post("/api/v1/twins/dana/ask", json={"question": question, **extra},
                           headers=world.people[who].headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@needs_engine
@pytest.mark.parametrize("who, sees_finance", [("employee", False), ("finance", True)])
def test_answers_cite_only_sources_for_the_askers_audiences(client, world: World, who, sees_finance) -> None:
    body = ask(client, world, who, "What is the cold chain margin target for next year?")
    cited = {c["source_id"] for c in body["citations"]}
    assert (world.sources["finance"] in cited) is sees_finance
    if not sees_finance:
        assert CONFIDENTIAL not in body["answer"]
