"""Server-rendered pages: who may open them, what they show, forms that change things (with CSRF)."""

from __future__ import annotations

import re

import pytest

from service.web.auth import make_dev_login_link
from tests.api.conftest import World

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def signed_in(app, client, email: str) -> str:
    page = client.get(make_dev_login_link(app, email), follow_redirects=True)
    assert page.status_code == 200
    return CSRF_META.search(page.get_data(as_text=True)).group(1)


def pages(world: World) -> dict[str, str]:
    return {"ask": "/ask", "curate": "/curate/dana", "source": f"/curate/sources/{world.sources['draft']}",
            "persona": "/curate/dana/persona", "search": "/curate/dana/search?q=cold+chain",
            "unanswered": "/curate/dana/unanswered", "audit": "/curate/dana/audit", "admin": "/admin"}


NEEDS = {"ask": "employee", "curate": "curator", "source": "curator", "persona": "curator", "search": "curator",
         "unanswered": "curator", "audit": "curator", "admin": "admin"}
RANK = {"employee": 0, "curator": 1, "admin": 2}


@pytest.mark.parametrize("who", ["employee", "curator", "admin"])
def test_each_page_opens_for_its_roles_only(app, client, world: World, who: str) -> None:
    signed_in(app, client, f"{who}@example.com")
    for name, path in pages(world).items():
        response = client.get(path)
        if RANK[who] >= RANK[NEEDS[name]]:
            assert response.status_code == 200, (name, response.status_code)
            html = response.get_data(as_text=True)
            assert '<main id="main"' in html and "<nav" in html
            assert not INLINE_SCRIPT.search(html), f"{name} has an inline script"
            assert not INLINE_HANDLER.search(html), f"{name} has an inline event handler"
        else:
            assert response.status_code == 403, (name, response.status_code)
            assert "needs the" in response.get_data(as_text=True)


def test_the_ask_page_shows_the_disclaimer_and_the_twins(app, client, world: World) -> None:
    signed_in(app, client, "employee@example.com")
    html = client.get("/ask").get_data(as_text=True)
    assert "AI twin of Dana Reyes, built from approved sources; not Dana Reyes." in html
    assert "Sam Okafor" in html and "(not answering)" in html


def test_asking_without_javascript_renders_a_cited_answer(app, client, world: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    response = client.post("/ask", data={"csrf_token": token, "twin": "dana",
                                         "question": "Why did you choose cold chain for pharmaceutical customers?"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "pharmaceutical customers pay for reliability" in html
    assert re.search(r'<sup class="cite"><a href="#c\d+-1"', html)
    assert "<details>" in html and "Why cold chain" in html


def test_the_source_preview_shows_speaker_executive_and_locator(app, client, world: World) -> None:
    signed_in(app, client, "curator@example.com")
    html = client.get(f"/curate/sources/{world.sources['draft']}").get_data(as_text=True)
    assert "forty percent of our urban vans" in html and "¶1" in html and "Approve" in html


def test_approving_through_the_form(app, client, world: World) -> None:
    token = signed_in(app, client, "curator@example.com")
    source = world.sources["draft"]
    response = client.post(f"/curate/sources/{source}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "Approved" in response.get_data(as_text=True)
    assert client.get("/curate/dana?status=approved").get_data(as_text=True).count("Electric vans") == 1


def test_source_filters(app, client, world: World) -> None:
    signed_in(app, client, "curator@example.com")
    drafts = client.get("/curate/dana?status=draft").get_data(as_text=True)
    assert "Electric vans" in drafts and "Margin plan" not in drafts
    finance = client.get("/curate/dana?audience=finance").get_data(as_text=True)
    assert "Margin plan" in finance and "Why cold chain" not in finance
    by_title = client.get("/curate/dana?q=vans").get_data(as_text=True)
    assert "Electric vans" in by_title and "Margin plan" not in by_title
    too_late = client.get("/curate/dana?date_from=2030-01-01").get_data(as_text=True)
    assert "No sources match" in too_late


def test_persona_editor_saves_and_refuses_bad_values(app, client, world: World) -> None:
    token = signed_in(app, client, "curator@example.com")
    form = {"csrf_token": token, "no_answer_message": "I have not covered that yet.",
            "refusal_message": "I won't speak to {topic} here.", "disclaimer": "AI twin of {name}; not {name}.",
            "refused_topics": "compensation\nweather: forecast, rain", "signature_phrases": "Reliable first, then fast"}
    saved = client.post("/curate/dana/persona", data=form).get_data(as_text=True)
    assert "Persona saved" in saved and "I have not covered that yet." in saved and "weather: forecast, rain" in saved
    refused = client.post("/curate/dana/persona", data={**form, "disclaimer": "Hello"}).get_data(as_text=True)
    assert "must say the twin is not the executive" in refused


def test_admin_adds_a_user_and_sees_the_token_once(app, client, world: World) -> None:
    token = signed_in(app, client, "admin@example.com")
    html = client.post("/admin/users", data={"csrf_token": token, "email": "new@example.com", "role": "curator",
                                              "audiences": "leadership, finance"}).get_data(as_text=True)
    shown = re.search(r'<code class="token-value">(us_[^<]+)</code>', html)
    assert shown
    assert client.get("/api/v1/twins", headers={"Authorization": f"Bearer {shown.group(1)}"}).status_code == 200
    assert shown.group(1) not in client.get("/admin").get_data(as_text=True)


def test_admin_creates_a_twin_that_answers_only_after_consent(app, client, world: World) -> None:
    token = signed_in(app, client, "admin@example.com")
    client.post("/admin/twins", data={"csrf_token": token, "slug": "ari", "name": "Ari Lind", "title": "CTO"})
    twins = {t["slug"]: t for t in client.get("/api/v1/twins").get_json()["twins"]}
    assert twins["ari"]["available"] is False
    client.post("/admin/twins/ari/consent", data={"csrf_token": token, "by": "Ari Lind", "scope": "internal Q&A"})
    twins = {t["slug"]: t for t in client.get("/api/v1/twins").get_json()["twins"]}
    assert twins["ari"]["available"] is True and twins["ari"]["consent_by"] == "Ari Lind"
    html = client.get("/admin").get_data(as_text=True)
    assert "Given by Ari Lind" in html and "internal Q&amp;A" in html


def test_admin_changes_a_users_role(app, client, world: World) -> None:
    token = signed_in(app, client, "admin@example.com")
    client.post("/admin/users/employee@example.com", data={"csrf_token": token, "role": "curator",
                                                           "audiences": "finance", "active": "yes"})
    users = {u["email"]: u for u in client.get("/api/v1/users").get_json()["users"]}
    assert users["employee@example.com"]["role"] == "curator"
    assert users["employee@example.com"]["audiences"] == ["finance"]
