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
    assert "Sam Okafor (no consent)" in html


def test_asking_without_javascript_renders_a_cited_answer(app, client, world: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    response = client.post("/ask", data={"csrf_token": token, "twin": "dana",
                                         "question": "Why did you choose cold chain for pharmaceutical customers?"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "conversation=" in response.request.full_path
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
    signed_in(app, client, "fincurator@example.com")  # holds finance: a curator without it never sees its sources
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
    saved = client.post("/curate/dana/persona", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Persona saved" in saved and "I have not covered that yet." in saved and "weather: forecast, rain" in saved
    response = client.post("/curate/dana/persona", data={**form, "disclaimer": "Hello",
                                                         "no_answer_message": "Typed, not lost."})
    refused = response.get_data(as_text=True)
    assert response.status_code == 400 and "must say the twin is not the executive" in refused
    assert re.search(r'<textarea id="disclaimer"[^>]*aria-invalid="true"[^>]*>Hello</textarea>', refused)
    assert re.search(r'<textarea id="no_answer_message"[^>]*>Typed, not lost.</textarea>', refused)
    assert 'id="no_answer_message" name="no_answer_message" rows="3" aria-describedby="no-answer-hint">' in refused


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


def test_a_paused_twin_says_what_is_going_on_and_who_can_change_it(app, client, world: World) -> None:
    admin_token = signed_in(app, client, "admin@example.com")
    client.post("/admin/twins/dana/pause", data={"csrf_token": admin_token})
    html = client.get("/ask?twin=dana").get_data(as_text=True)
    assert "Dana Reyes's twin is paused" in html and "Admin page" in html and "Resume" in html
    employee = app.test_client()
    signed_in(app, employee, "employee@example.com")
    html = employee.get("/ask?twin=sam").get_data(as_text=True)
    assert "Sam Okafor's twin is not answering yet" in html and "consent" in html
    assert 'href="mailto:admin@example.com"' in html
    assert re.search(r"<textarea[^>]*disabled", html)


def test_the_conversation_comes_back_on_reload_until_a_new_one(app, client, world: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    first = client.post("/ask", data={"csrf_token": token, "twin": "dana",
                                      "question": "Why did you choose cold chain for pharmaceutical customers?"})
    page = first.headers["Location"]
    conversation = re.search(r"conversation=(\w+)", page).group(1)
    client.post("/ask", data={"csrf_token": token, "twin": "dana", "conversation_id": conversation,
                              "question": "What was the on-time rate in temperature-controlled lanes?"})
    html = client.get(page).get_data(as_text=True)
    assert html.count('<li class="turn">') == 2 and "Why cold chain" in html
    assert f'value="{conversation}"' in html
    assert client.get("/ask?twin=dana").get_data(as_text=True).count('<li class="turn">') == 0
    stranger = app.test_client()
    signed_in(app, stranger, "curator@example.com")
    assert stranger.get(page).get_data(as_text=True).count('<li class="turn">') == 0


def test_a_thanks_is_a_plain_reply_on_reload_without_basis_or_feedback(app, client, world: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    first = client.post("/ask", data={"csrf_token": token, "twin": "dana", "question": "thanks!"})
    page = first.headers["Location"]
    conversation = re.search(r"conversation=(\w+)", page).group(1)
    client.post("/ask", data={"csrf_token": token, "twin": "dana", "conversation_id": conversation,
                              "question": "What is our parental leave policy?"})
    html = client.get(page).get_data(as_text=True)
    thanks, refusal = html.split('<li class="turn">')[1:3]
    assert "welcome" in thanks and "Stands on" not in thanks and "Was this helpful?" not in thanks
    assert "ungrounded" not in thanks
    assert "Stands on: <strong>no answer</strong>" in refusal and "Was this helpful?" in refusal


def test_one_question_limit_shown_and_a_refused_question_leaves_no_trace(app, client, world: World) -> None:
    from service.twin.engine import MAX_QUESTION_CHARS

    token = signed_in(app, client, "employee@example.com")
    html = client.get("/ask?twin=dana").get_data(as_text=True)
    assert f'data-max="{MAX_QUESTION_CHARS}"' in html and f"At most {MAX_QUESTION_CHARS:,} characters" in html
    too_long = "Why cold chain? " + "x" * MAX_QUESTION_CHARS
    response = client.post("/ask", data={"csrf_token": token, "twin": "dana", "question": too_long})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "the question is too long" in html
    assert '<li class="turn">' not in html and too_long in html  # kept in the box to shorten, not in the conversation
    api = app.test_client().post("/api/v1/twins/dana/ask", json={"question": too_long},
                                 headers={"Authorization": f"Bearer {world.people['employee'].token}"})
    assert api.status_code == 400 and "too long" in api.get_json()["error"]["message"]


def test_a_retired_source_is_restored_with_an_audit_event_read_by_people(app, client, world: World) -> None:
    token = signed_in(app, client, "curator@example.com")
    source = world.sources["everyone"]
    page = client.get(f"/curate/sources/{source}").get_data(as_text=True)
    assert "Retire…" in page and "Retire this source" in page  # a second step asks first
    client.post(f"/curate/sources/{source}/retire", data={"csrf_token": token, "reason": "check"})
    retired = client.get(f"/curate/sources/{source}").get_data(as_text=True)
    assert ">retired<" in retired and ">Restore</button>" in retired
    restored = client.post(f"/curate/sources/{source}/restore", data={"csrf_token": token},
                           follow_redirects=True).get_data(as_text=True)
    assert "Restored: answers may cite this source again." in restored and ">approved<" in restored
    audit = client.get("/curate/dana/audit").get_data(as_text=True)
    assert "source.restore" in audit and "source.retire" in audit
    assert "[]" not in audit and "{" not in audit.split("<main", 1)[1].split("</main>")[0]
    assert "replaces:</span> none" in audit
    events = app.test_client().get("/api/v1/audit?twin=dana", headers={
        "Authorization": f"Bearer {world.people['curator'].token}"}).get_json()["events"]
    approve = next(e for e in events if e["action"] == "source.approve" and e["object_id"] == source)
    assert approve["detail"]["supersedes"] == []


def test_a_superseded_version_shows_as_superseded_in_the_console_and_api(app, client, world: World,
                                                                         session_factory) -> None:
    from service.corpus import store
    from tests.api.conftest import parsed

    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        newer = store.add_source(session, twin, parsed("Why cold chain", "cold-chain.docx", "Reliability wins."),
                                 approve=True).source.id
        session.commit()
    signed_in(app, client, "curator@example.com")
    listed = client.get("/curate/dana?status=superseded").get_data(as_text=True)
    assert f'data-source-id="{world.sources["everyone"]}"' in listed and f'data-source-id="{newer}"' not in listed
    api = app.test_client().get(f"/api/v1/sources/{world.sources['everyone']}", headers={
        "Authorization": f"Bearer {world.people['curator'].token}"}).get_json()
    assert api["source"]["status"] == "superseded" and api["source"]["current"] is False


def test_unanswered_questions_are_counted_and_acted_on(app, client, world: World) -> None:
    employee = app.test_client()
    token = signed_in(app, employee, "employee@example.com")
    for question in ("What is our parental leave policy?", "what is our parental leave policy"):
        employee.post("/ask", data={"csrf_token": token, "twin": "dana", "question": question})
    curator_token = signed_in(app, client, "curator@example.com")
    html = client.get("/curate/dana/unanswered").get_data(as_text=True)
    assert "Asked 2 times" in html and "Mark handled" in html and "Link source" in html
    declined = client.post("/curate/dana/unanswered", data={
        "csrf_token": curator_token, "question": "What is our parental leave policy?", "action": "declined",
        "note": ""}, follow_redirects=True).get_data(as_text=True)
    assert "say why the question will not be answered" in declined
    linked = client.post("/curate/dana/unanswered", data={
        "csrf_token": curator_token, "question": "What is our parental leave policy?", "action": "answered",
        "source_id": str(world.sources["everyone"])}, follow_redirects=True).get_data(as_text=True)
    assert "Linked: the source answers it now." in linked and "Nothing open" in linked
    assert "Dealt with (1)" in linked and "answered by" in linked


def test_thanks_and_greetings_are_not_unanswered_questions(app, client, world: World) -> None:
    employee = app.test_client()
    token = signed_in(app, employee, "employee@example.com")
    for message in ("thanks!", "Thank you so much, Dana", "hi", "What is our parental leave policy?"):
        employee.post("/ask", data={"csrf_token": token, "twin": "dana", "question": message})
    signed_in(app, client, "curator@example.com")
    html = client.get("/curate/dana/unanswered").get_data(as_text=True)
    assert "What is our parental leave policy?" in html
    assert "thanks!" not in html and "Thank you so much" not in html and ">hi<" not in html
    listed = app.test_client().get("/api/v1/twins/dana/unanswered", headers={
        "Authorization": f"Bearer {world.people['curator'].token}"}).get_json()
    assert [q["question"] for q in listed["items"]] == ["What is our parental leave policy?"], listed


def test_an_admin_makes_a_one_time_sign_in_link(app, client, world: World) -> None:
    token = signed_in(app, client, "admin@example.com")
    html = client.post("/admin/users/employee@example.com/link", data={"csrf_token": token}).get_data(as_text=True)
    assert "it works once, within 15 minutes" in html
    link = re.search(r'<code class="token-value">http://localhost(/auth/dev/[^<]+)</code>', html).group(1)
    fresh = app.test_client()
    assert fresh.get(link).status_code == 302 and fresh.get("/ask").status_code == 200
    withdraw = client.get("/admin").get_data(as_text=True)
    assert "Withdraw consent…" in withdraw and "Withdraw Dana Reyes's consent" in withdraw
    client.post("/admin/twins/dana/revoke", data={"csrf_token": token})
    again = client.get("/admin").get_data(as_text=True)
    assert "Record consent again" in again and ">internal questions and rehearsal</textarea>" in again


def test_an_expired_or_used_link_says_how_to_get_a_new_one_without_rerunning_the_demo(app, client,
                                                                                        world: World) -> None:
    link = make_dev_login_link(app, "employee@example.com")
    assert app.test_client().get(link).status_code == 302
    html = " ".join(client.get(link, follow_redirects=True).get_data(as_text=True).split())
    assert "already been used" in html
    assert "the Admin page makes one; on the server, <code>understudy users link EMAIL</code> prints one" in html
    assert "understudy demo" not in html


def test_a_talks_byline_shows_on_its_page_apart_from_her_words(app, client, world: World) -> None:
    import io

    token = signed_in(app, client, "curator@example.com")
    talk = (b"# Building the Next Decade\n\n*Dana Reyes, Chief Executive Officer. Keynote at the Partner Summit, "
            b"Lisbon, 12 March 2024.*\n\nThank you for having me. We have three things to talk about today.\n")
    client.post("/curate/dana/upload", data={"csrf_token": token, "file": (io.BytesIO(talk), "summit.md")},
                content_type="multipart/form-data", follow_redirects=True)
    with app.extensions["understudy"].session_factory() as session:
        from sqlalchemy import select

        from service.corpus.models import Source

        source = session.scalar(select(Source.id).where(Source.filename == "summit.md"))
    html = client.get(f"/curate/sources/{source}").get_data(as_text=True)
    byline = re.search(r'<dd id="source-byline">(.*?)</dd>', html)
    assert byline and byline.group(1).startswith("Dana Reyes, Chief Executive Officer. Keynote at the Partner Summit")
    rows = re.findall(r'<tr class="(other-speaker)?">.*?<td class="text">(.*?)</td>', html, re.DOTALL)
    assert [(bool(mark), text.split("<br>")[-1][:20]) for mark, text in rows] == [
        (True, "Dana Reyes, Chief Ex"), (False, "Thank you for having")]


def test_the_preview_names_an_unknown_speaker_label_and_its_button_reattributes(app, client, world: World) -> None:
    import io

    from tests.api.test_upload import TOWN_HALL

    token = signed_in(app, client, "curator@example.com")
    uploaded = client.post("/curate/dana/upload", data={"csrf_token": token, "file": (io.BytesIO(TOWN_HALL),
                                                                                      "town-hall.txt")},
                           content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "of the words. Is that Dana Reyes?" in uploaded
    with app.extensions["understudy"].session_factory() as session:
        from sqlalchemy import select

        from service.corpus.models import Source

        source = session.scalar(select(Source.id).where(Source.filename == "town-hall.txt"))
    html = client.get(f"/curate/sources/{source}").get_data(as_text=True)
    assert "THE CEO:" in html and "Is that Dana Reyes?" in html and "Yes: THE CEO is Dana Reyes" in html
    after = client.post(f"/curate/sources/{source}/speaker-label", data={"csrf_token": token, "label": "THE CEO"},
                        follow_redirects=True).get_data(as_text=True)
    assert "THE CEO now marks Dana Reyes&#39;s turns: 3 passages in 1 source are" in after
    assert 'id="speaker-hint"' not in after and after.count('<span class="badge approved">yes</span>') == 3
    # A wrong click is undone from the same page: the label leaves the twin and the turns are context again.
    assert "THE CEO is not Dana Reyes" in after
    undone = client.post(f"/curate/sources/{source}/speaker-label/remove", data={"csrf_token": token,
                                                                                   "label": "THE CEO"},
                         follow_redirects=True).get_data(as_text=True)
    assert "THE CEO no longer marks Dana Reyes&#39;s turns: 3 passages in 1 source are not" in undone
    assert 'id="speaker-hint"' in undone and '<span class="badge approved">yes</span>' not in undone
