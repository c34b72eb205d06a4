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
    fincurator = world.people["fincurator"].headers  # holds the source's audience (finance) and the new one
    assert not any(CONFIDENTIAL in h["text"] for h in hits_for(client, world, "curator", "margin target"))
    response = client.patch(f"/api/v1/sources/{world.sources['finance']}/audience", json={"audience": "everyone"},
                            headers=fincurator)
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


# --- audiences bind curators and admins too ----------------------------------------------------------

@pytest.mark.parametrize("who", ["curator", "admin"])
def test_a_curator_or_admin_outside_the_audience_cannot_read_its_source(app, client, world: World, who) -> None:
    from tests.api.test_auth import sign_in

    source = world.sources["finance"]
    response = client.get(f"/api/v1/sources/{source}", headers=world.people[who].headers)
    assert response.status_code == 403 and CONFIDENTIAL not in response.get_data(as_text=True)
    assert "finance" in response.get_json()["error"]["message"]
    listing = client.get("/api/v1/twins/dana/sources", headers=world.people[who].headers).get_data(as_text=True)
    assert "Margin plan" not in listing and "Why cold chain" in listing
    browser = app.test_client()
    sign_in(app, browser, f"{who}@example.com")
    page = browser.get(f"/curate/sources/{source}")
    assert page.status_code == 403 and CONFIDENTIAL not in page.get_data(as_text=True)
    assert "Margin plan" not in browser.get("/curate/dana").get_data(as_text=True)
    holder = client.get(f"/api/v1/sources/{source}", headers=world.people["fincurator"].headers)
    assert holder.status_code == 200 and CONFIDENTIAL in holder.get_data(as_text=True)


def test_a_restricted_draft_is_previewed_and_approved_only_by_its_audience(client, world: World,
                                                                           session_factory) -> None:
    from service.corpus import store
    from tests.api.conftest import parsed

    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        draft = store.add_source(session, twin, parsed("Budget draft", "budget.docx",
                                                       "Our confidential budget adds nine depots."),
                                 audience="finance").source.id
        session.commit()
    curator, fincurator = world.people["curator"].headers, world.people["fincurator"].headers
    for path in (f"/api/v1/sources/{draft}", ):
        response = client.get(path, headers=curator)
        assert response.status_code == 403 and "nine depots" not in response.get_data(as_text=True)
    assert client.post(f"/api/v1/sources/{draft}/approve", headers=curator).status_code == 403
    assert client.post(f"/api/v1/sources/{draft}/approve", headers=fincurator).status_code == 200


def test_changing_an_audience_needs_the_current_one_and_the_new_one(client, world: World) -> None:
    finance, everyone = world.sources["finance"], world.sources["everyone"]
    for who in ("curator", "admin"):
        widened = client.patch(f"/api/v1/sources/{finance}/audience", json={"audience": "everyone"},
                               headers=world.people[who].headers)
        assert widened.status_code == 403
    answer = ask(client, world, "employee", "What is the cold chain margin target for next year?")
    assert CONFIDENTIAL not in answer["answer"]  # the employee still cannot be quoted the finance memo
    narrowed = client.patch(f"/api/v1/sources/{everyone}/audience", json={"audience": "board"},
                            headers=world.people["fincurator"].headers)
    assert narrowed.status_code == 403  # fincurator does not hold board: they could not read it afterwards
    assert client.patch(f"/api/v1/sources/{everyone}/audience", json={"audience": "finance"},
                        headers=world.people["fincurator"].headers).status_code == 200


def test_unanswered_and_feedback_hide_what_stood_on_a_restricted_source(client, world: World) -> None:
    answer = ask(client, world, "finance", "What is the cold chain margin target for next year?")
    assert CONFIDENTIAL in answer["answer"]
    assert client.post(f"/api/v1/interactions/{answer['interaction_id']}/feedback",
                       json={"helpful": False, "reason": "eighteen percent seems low"},
                       headers=world.people["finance"].headers).status_code == 200
    for who in ("curator", "admin"):
        body = client.get("/api/v1/twins/dana/unanswered", headers=world.people[who].headers)
        assert body.status_code == 200 and CONFIDENTIAL not in body.get_data(as_text=True)
    holder = client.get("/api/v1/twins/dana/unanswered", headers=world.people["fincurator"].headers)
    assert CONFIDENTIAL in holder.get_data(as_text=True)


def test_audit_details_about_a_restricted_source_are_withheld(client, world: World) -> None:
    client.post(f"/api/v1/sources/{world.sources['finance']}/retire", json={"reason": "eighteen percent is stale"},
                headers=world.people["fincurator"].headers)
    for who in ("curator", "admin"):
        events = client.get("/api/v1/audit", headers=world.people[who].headers).get_json()["events"]
        retired = [e for e in events if e["action"] == "source.retire"]
        assert retired and retired[0]["actor"] == "fincurator@example.com"
        assert "margin-plan" not in str(retired[0]["detail"]) and "eighteen" not in str(retired[0]["detail"])
    events = client.get("/api/v1/audit", headers=world.people["fincurator"].headers).get_json()["events"]
    assert "eighteen percent is stale" in str([e["detail"] for e in events])


def test_an_admin_grants_an_audience_to_themselves_and_it_is_audited(client, world: World) -> None:
    admin = world.people["admin"].headers
    source = world.sources["finance"]
    assert client.get(f"/api/v1/sources/{source}", headers=admin).status_code == 403
    granted = client.patch("/api/v1/users/admin@example.com", json={"audiences": ["finance"]}, headers=admin)
    assert granted.status_code == 200
    assert CONFIDENTIAL in client.get(f"/api/v1/sources/{source}", headers=admin).get_data(as_text=True)
    events = client.get("/api/v1/audit", headers=admin).get_json()["events"]
    grant = next(e for e in events if e["action"] == "user.update")
    assert grant["actor"] == "admin@example.com" and grant["detail"]["granted"] == ["finance"]
    assert grant["detail"]["self_granted"] is True
