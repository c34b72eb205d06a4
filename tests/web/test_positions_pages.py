"""Dated positions in the browser pages (no JavaScript): the Ask page's basis label, and a source's later positions
on its console page: found by meaning, marked as superseded by a later source, withdrawn."""

from __future__ import annotations

import html as htmllib

from tests.api.test_positions import depots  # noqa: F401  (fixture: two memos a year apart that disagree)
from tests.web.test_pages import signed_in


def test_the_ask_page_says_what_the_answer_stands_on(app, client, world, depots) -> None:  # noqa: F811
    token = signed_in(app, client, "employee@example.com")
    page = client.post("/ask", data={"csrf_token": token, "twin": "dana", "question": "How many depots are we opening?"},
                       follow_redirects=True).get_data(as_text=True)
    text = htmllib.unescape(page)
    assert "As of the March 2026 memo, we will open 7 new depots" in text
    assert "In January 2025 I said" in text
    assert 'class="basis basis-own_words">Stands on: <strong>her words</strong>' in page
    assert "AI twin of Dana Reyes" in page  # the disclaimer stays


def test_a_curator_sees_marks_and_withdraws_a_later_position(app, client, world, depots) -> None:  # noqa: F811
    token = signed_in(app, client, "curator@example.com")
    page = client.get(f"/curate/sources/{depots['old']}").get_data(as_text=True)
    assert "Later positions" in page and 'id="detected-revisions"' in page
    assert "Where we stand</a>, 2026-03-04" in page and "figures" in page
    assert f'<option value="{depots["new"]}">Where we stand (2026-03-04)</option>' in page
    marked = client.post(f"/curate/sources/{depots['old']}/revisions",
                         data={"csrf_token": token, "revised_by": str(depots["new"]), "note": "fewer depots"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Marked: answers on this point now give source" in marked
    assert 'id="revised-by"' in marked and "marked by curator@example.com: fewer depots" in marked
    later = client.get(f"/curate/sources/{depots['new']}").get_data(as_text=True)
    assert 'id="revises"' in later and "Plan for 2025" in later
    backwards = client.post(f"/curate/sources/{depots['new']}/revisions",
                            data={"csrf_token": token, "revised_by": str(depots["old"])},
                            follow_redirects=True).get_data(as_text=True)
    assert "not later than" in backwards
    withdrawn = client.post(f"/curate/sources/{depots['old']}/revisions/{depots['new']}/withdraw",
                            data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Withdrawn" in withdrawn and 'id="revised-by"' not in withdrawn


def test_marking_superseded_starts_on_no_choice_and_refuses_a_submission_without_one(
        app, client, world, depots) -> None:  # noqa: F811
    token = signed_in(app, client, "curator@example.com")
    page = client.get(f"/curate/sources/{depots['old']}").get_data(as_text=True)
    select = page[page.index('<select id="revised-by-select"'):]
    select = select[:select.index("</select>")]
    options = select.split("<option")[1:]
    assert options[0].startswith(' value="" selected>Choose the newer source'), options
    assert all("selected" not in option for option in options[1:]), options
    for chosen in ({}, {"revised_by": ""}, {"revised_by": "  "}):
        refused = client.post(f"/curate/sources/{depots['old']}/revisions",
                              data={"csrf_token": token, "note": "by mistake", **chosen}, follow_redirects=True)
        text = htmllib.unescape(refused.get_data(as_text=True))
        assert "Nothing was marked: choose the newer source" in text
        assert 'id="revised-by"' not in text and "by mistake" not in text
    assert 'id="revises"' not in client.get(f"/curate/sources/{depots['new']}").get_data(as_text=True)


def test_a_curator_sets_the_pronoun_in_the_persona_editor_and_the_ask_page_follows(
        app, client, world, depots) -> None:  # noqa: F811
    token = signed_in(app, client, "curator@example.com")
    editor = client.get("/curate/dana/persona").get_data(as_text=True)
    assert '<option value="she" selected>she</option>' in editor  # set by the fixture
    form = {"csrf_token": token, "no_answer_message": "I have not covered that yet.",
            "refusal_message": "I won't speak to {topic} here.", "disclaimer": "AI twin of {name}; not {name}.",
            "refused_topics": "compensation", "signature_phrases": "", "pronoun": "he"}
    assert "Persona saved" in client.post("/curate/dana/persona", data=form, follow_redirects=True).get_data(as_text=True)
    refused = client.post("/curate/dana/persona", data={**form, "pronoun": "it"})
    assert refused.status_code == 400 and "pronoun must be one of she, he, they" in refused.get_data(as_text=True)
    token = signed_in(app, client, "employee@example.com")
    page = client.post("/ask", data={"csrf_token": token, "twin": "dana", "question": "How many depots are we opening?"},
                       follow_redirects=True).get_data(as_text=True)
    assert 'class="basis basis-own_words">Stands on: <strong>his words</strong>' in page
