"""The Corrections pages: from an unhelpful answer to a correction in force, in forms with CSRF and in Chromium."""

from __future__ import annotations

import html as htmllib
import re

from tests.api.conftest import World
from tests.web.test_browser import browser, live_server, open_as, shot  # noqa: F401  (browser fixtures)
from tests.web.test_pages import signed_in

QUESTION = "How dependable are our refrigerated deliveries?"
REWORDED = "How dependable are the refrigerated deliveries we make?"
ON_TIME = "Our on-time rate in temperature-controlled lanes reached ninety-seven percent."


def ask_api(client, world: World, question: str, who: str = "employee") -> dict:
    response = client.post("/api/v1/twins/dana/ask", json={"question": question}, headers=world.people[who].headers)
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def on_time_passage(client, world: World) -> int:
    hits = client.get("/api/v1/twins/dana/search", query_string={"q": "on-time rate lanes"},
                      headers=world.people["curator"].headers).get_json()["hits"]
    return int(next(h["passage_id"] for h in hits if h["text"] == ON_TIME))


def test_a_curator_corrects_from_the_form_edits_and_withdraws(app, client, world: World) -> None:
    pid = on_time_passage(client, world)
    before = ask_api(client, world, QUESTION)
    token = signed_in(app, client, "curator@example.com")
    page = client.get("/curate/dana/corrections/new", query_string={"interaction": before["interaction_id"],
                                                                    "q": "on-time rate"}).get_data(as_text=True)
    assert QUESTION in page and ON_TIME in page and 'name="passage"' in page and "0.50" in page
    assert client.post("/curate/dana/corrections", data={"question": QUESTION, "passage": str(pid)}).status_code == 400
    saved = client.post("/curate/dana/corrections", data={
        "csrf_token": token, "question": QUESTION, "kind": "answer", "passage": str(pid), f"order-{pid}": "1",
        "framing": "The numbers say it best.", "interaction": str(before["interaction_id"])})
    assert saved.status_code == 302
    detail_url = saved.headers["Location"]
    answered = ask_api(client, world, REWORDED)
    assert answered["answer"].startswith("The numbers say it best. ") and answered["correction"] is not None
    listing = client.get("/curate/dana/corrections").get_data(as_text=True)
    assert QUESTION in listing and "The numbers say it best." in listing and 'id="correction-threshold"' in listing
    edited = client.post(detail_url, data={"csrf_token": token, "question": QUESTION, "kind": "answer",
                                           "passage": str(pid), "framing": "Here is the record."})
    assert edited.status_code == 302
    detail = client.get(detail_url).get_data(as_text=True)
    assert "Version 2" in detail and 'id="correction-versions"' in detail
    assert ask_api(client, world, QUESTION)["answer"].startswith("Here is the record. ")
    withdrawn = client.post(detail_url + "/withdraw", data={"csrf_token": token, "reason": "wrong"})
    assert withdrawn.status_code == 302
    assert ask_api(client, world, QUESTION)["answer"] == before["answer"]
    assert ">withdrawn<" in client.get(detail_url).get_data(as_text=True)


def test_a_bad_correction_keeps_what_was_typed_and_says_why(app, client, world: World) -> None:
    token = signed_in(app, client, "curator@example.com")
    response = client.post("/curate/dana/corrections", data={"csrf_token": token, "question": QUESTION,
                                                            "kind": "answer", "framing": "Kept framing"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "choose at least one passage" in html and "Kept framing" in html and QUESTION in html


def test_searching_again_keeps_the_ticked_passages_and_what_was_typed(app, client, world: World) -> None:
    pid = on_time_passage(client, world)
    token = signed_in(app, client, "curator@example.com")
    page = client.post("/curate/dana/corrections", data={
        "csrf_token": token, "question": QUESTION, "kind": "answer", "passage": str(pid), f"order-{pid}": "1",
        "framing": "The numbers say it best.", "phrasings": "Are we reliable?", "q": "cold chain",
        "action": "search"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'name="passage" value="{pid}" checked' in html and "The numbers say it best." in html
    assert "Are we reliable?" in html and QUESTION in html and 'value="cold chain"' in html
    assert html.count('name="passage"') > 1  # the new search's passages, to tick as well
    assert QUESTION not in client.get("/curate/dana/corrections").get_data(as_text=True)  # nothing saved yet


def test_the_form_shows_the_answer_being_corrected_only_to_curators_who_may_read_it(app, client,
                                                                                   world: World) -> None:
    given = ask_api(client, world, QUESTION)
    secret = ask_api(client, world, "What is our cold chain margin target for next year?", who="finance")
    assert "eighteen percent" in secret["answer"]
    signed_in(app, client, "curator@example.com")
    page = client.get("/curate/dana/corrections/new", query_string={"interaction": given["interaction_id"]})
    html = page.get_data(as_text=True)
    assert 'id="answer-given"' in html and given["answer"] in htmllib.unescape(html)
    page = client.get("/curate/dana/corrections/new", query_string={"interaction": secret["interaction_id"]})
    html = page.get_data(as_text=True)
    assert "eighteen percent" not in html and 'id="answer-given"' not in html
    assert "What is our cold chain margin target for next year?" in html  # the question itself, to correct


def test_only_curators_open_corrections(app, client, world: World) -> None:
    signed_in(app, client, "employee@example.com")
    assert client.get("/curate/dana/corrections").status_code == 403
    assert client.get("/curate/dana/corrections/new").status_code == 403


def test_a_curator_corrects_an_unhelpful_answer_in_the_browser(open_as, client, world: World) -> None:  # noqa: F811
    employee = open_as("employee@example.com")
    before = ask_api(client, world, QUESTION)
    assert client.post(f"/api/v1/interactions/{before['interaction_id']}/feedback",
                       json={"helpful": False, "reason": "I wanted the numbers"},
                       headers=world.people["employee"].headers).status_code == 200
    curator = open_as("curator@example.com")
    curator.goto(curator.url.replace("/ask", "/curate/dana/unanswered"))
    item = curator.locator("#open-questions li", has_text=QUESTION)
    item.get_by_role("link", name="Correct the answer…").click()
    assert curator.locator("#question").input_value() == QUESTION
    curator.get_by_label("Words to find in approved sources").fill("on-time rate")
    curator.get_by_role("button", name="Search").click()
    choice = curator.locator("#passage-choices li", has_text=ON_TIME)
    choice.get_by_role("checkbox").check()
    curator.get_by_label("Framing line", exact=False).fill("The numbers say it best.")
    curator.get_by_role("button", name="Save correction").click()
    curator.get_by_text("Saved: this question and those that mean the same").wait_for()
    shot(curator, "correction-saved")
    curator.get_by_role("link", name="Corrections").click()
    assert QUESTION in curator.locator("#active-corrections").inner_text()
    assert re.match(r"0\.\d\d", curator.locator("#correction-threshold").inner_text())
    employee.get_by_label("Your question for Dana Reyes").fill(REWORDED)
    employee.get_by_role("button", name="Ask", exact=True).click()
    employee.locator("#ask-status").filter(has_text="Answered").wait_for()
    answer = employee.locator(".turn").last.locator(".answer-text").inner_text()
    assert answer.startswith("The numbers say it best.") and "ninety-seven percent" in answer
    mark = employee.locator(".turn").last.locator(".correction-mark").inner_text()
    assert re.fullmatch(r"From a curator's correction \(#\d+, version 1\)\.", mark), mark
    assert employee.js_errors == [] and curator.js_errors == []


def test_a_correction_deals_with_the_question_in_the_unanswered_list(app, client, world: World) -> None:
    before = ask_api(client, world, QUESTION)
    client.post(f"/api/v1/interactions/{before['interaction_id']}/feedback", json={"helpful": False},
                headers=world.people["employee"].headers)
    token = signed_in(app, client, "curator@example.com")
    listing = client.get("/curate/dana/unanswered").get_data(as_text=True)
    assert "Correct the answer…" in listing and "She would not answer this…" in listing
    pid = on_time_passage(client, world)
    client.post("/curate/dana/corrections", data={"csrf_token": token, "question": QUESTION, "kind": "answer",
                                                  "passage": str(pid)})
    listing = client.get("/curate/dana/unanswered").get_data(as_text=True)
    open_part = listing.split('id="done-questions"')[0]
    assert QUESTION not in open_part and "Corrected: correction #" in listing


def test_a_streamed_answer_offers_curators_the_correction(open_as, world: World) -> None:  # noqa: F811
    curator = open_as("curator@example.com")
    curator.get_by_label("Your question for Dana Reyes").fill(QUESTION)
    curator.get_by_role("button", name="Ask", exact=True).click()
    curator.locator("#ask-status").filter(has_text="Answered").wait_for()
    curator.locator(".turn").last.get_by_role("link", name="Correct this answer").click()
    assert curator.locator("#question").input_value() == QUESTION
    employee = open_as("employee@example.com")
    employee.get_by_label("Your question for Dana Reyes").fill(QUESTION)
    employee.get_by_role("button", name="Ask", exact=True).click()
    employee.locator("#ask-status").filter(has_text="Answered").wait_for()
    assert employee.locator(".turn").last.get_by_role("link", name="Correct this answer").count() == 0
    assert curator.js_errors == [] and employee.js_errors == []


def test_the_ask_page_says_when_an_answer_came_from_a_correction(app, client, world: World) -> None:
    import html as htmllib

    pid = on_time_passage(client, world)
    token = signed_in(app, client, "curator@example.com")
    saved = client.post("/curate/dana/corrections", data={"csrf_token": token, "question": QUESTION, "kind": "answer",
                                                          "passage": str(pid), "framing": "The numbers say it best."})
    assert saved.status_code == 302
    root = int(saved.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    token = signed_in(app, client, "employee@example.com")
    page = client.post("/ask", data={"csrf_token": token, "twin": "dana", "question": "Which football team do you "
                                     "support?"}, follow_redirects=True).get_data(as_text=True)
    assert "correction-mark" not in page  # an answer from the sources carries no mark
    page = htmllib.unescape(client.post("/ask", data={"csrf_token": token, "twin": "dana", "question": REWORDED},
                                        follow_redirects=True).get_data(as_text=True))
    assert "The numbers say it best." in page
    assert f'<p class="correction-mark">From a curator\'s correction (#{root}, version 1).</p>' in page
