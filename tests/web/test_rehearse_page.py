"""The Rehearse page: without JavaScript (plain forms, CSRF, redirects), and in headless Chromium with an uploaded
.docx, the questions with their quoted sources, push-back, the scorecard and a round with the twin's follow-up."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.web.auth import make_dev_login_link
from tests.api.conftest import World
from tests.api.test_rehearsals import LISBON_PITCH, LISBON_QUESTIONS, add_rehearsal_corpus
from tests.rehearsal.conftest import GOOD_PITCH, build_docx
from tests.web.test_pages import INLINE_HANDLER, INLINE_SCRIPT, signed_in

# A pitch that crosses one of the executive's lines (pricing below the cost to serve) and ignores another.
PUSHY_PITCH = ["Inland pharma trailers.",
               "To win Corvane we will price below the cost to serve for the first year.",
               "Revenue grows 2.4 million dollars.",
               "We ask you to approve 6 million dollars today."]
CITE_LINK = re.compile(r'<sup class="cite"><a href="#r-(\d+)" aria-label="source \d+">\[\d+\]</a></sup>')


@pytest.fixture
def rworld(world: World, session_factory: sessionmaker[Session]) -> World:
    with session_factory() as session:
        return add_rehearsal_corpus(session, world)


def start(client, token: str, **fields) -> object:
    data = {"csrf_token": token, "twin": "dana", "pitch": "", **fields}
    return client.post("/rehearse", data=data, content_type="multipart/form-data")


def rehearsal_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    match = re.search(r"/rehearse/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


@pytest.mark.parametrize("who", ["employee", "curator", "admin"])
def test_the_rehearse_page_is_in_the_nav_for_every_role(app, client, rworld: World, who: str) -> None:
    signed_in(app, client, f"{who}@example.com")
    html = client.get("/ask").get_data(as_text=True)
    assert re.search(r'<a href="/rehearse"\s*>Rehearse</a>', html)
    page = client.get("/rehearse")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<a href="/rehearse" aria-current="page">Rehearse</a>' in html
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    for label in ('<label for="rehearse-twin">', '<label for="rehearse-pitch">', '<label for="rehearse-file">'):
        assert label in html
    assert "AI twin of Dana Reyes" in html and "No rehearsals yet" in html
    assert not INLINE_SCRIPT.search(html) and not INLINE_HANDLER.search(html)


def test_signed_out_visitors_are_sent_to_sign_in(client, rworld: World) -> None:
    for path in ("/rehearse", "/rehearse/1", "/rehearse/1/save.md"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_rehearsing_without_javascript_from_pitch_to_summary(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    rid = rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    html = client.get(f"/rehearse/{rid}").get_data(as_text=True)
    assert "Questions Dana Reyes would ask" in html
    assert "What&#39;s the riskiest assumption in the trailer plan, and how will we know early?" in html
    # Each question links to its numbered source: title, date, locator and the quoted words.
    linked = {int(n) for n in CITE_LINK.findall(html)}
    assert linked
    for n in linked:
        assert f'<li id="r-{n}">' in html
    assert "<summary><span class=\"n\">[1]</span> Cold Chain Review, 2025-08-18 · 00:1" in html
    assert re.search(r'<th scope="row">States the ask</th>\s*<td class="score">.*5/5</td>\s*<td>States a concrete '
                     r'ask', html)
    assert "AI twin of Dana Reyes, built from approved sources; not Dana Reyes." in html
    assert 'id="print-rehearsal" class="secondary" hidden' in html
    assert not INLINE_SCRIPT.search(html) and not INLINE_HANDLER.search(html)

    answered = client.post(f"/rehearse/{rid}/turns", data={"csrf_token": token, "reply": "Yes, definitely."})
    assert answered.status_code == 302 and answered.headers["Location"].endswith(f"/rehearse/{rid}#round-1")
    html = client.get(f"/rehearse/{rid}").get_data(as_text=True)
    assert 'id="round-1"' in html and "Not yet." in html and "Round 1 of 3" in html
    assert re.search(r'<sup class="cite"><a href="#t1-1"', html) and '<li id="t1-1">' in html

    for _ in range(2):
        last = client.post(f"/rehearse/{rid}/turns", data={"csrf_token": token, "reply": "Yes, definitely."})
    assert last.headers["Location"].endswith("#summary")
    html = client.get(f"/rehearse/{rid}").get_data(as_text=True)
    assert 'id="summary"' in html and "Prepare for" in html and "Finished after 3 of 3 rounds" in html
    assert 'id="answer"' not in html

    # The closing round lists only the sources its words cite; the questions to prepare for list theirs under the
    # summary (a trial saw "Sources [1]–[3]" under a round whose words cite none).
    closing = html[html.index('id="round-3"'):html.index('id="summary"')]
    closing = closing[:closing.index("</ol>", closing.index('class="answer'))] if "</ol>" in closing else closing
    listed = set(re.findall(r'<li id="t3-(\d+)">', closing))
    assert listed <= set(re.findall(r'href="#t3-(\d+)"', closing)), closing
    summary = html[html.index('id="summary"'):]
    for n in re.findall(r'href="#t3-(\d+)"', summary):
        assert f'<li id="t3-{n}">' in html

    listing = client.get("/rehearse").get_data(as_text=True)
    assert f'href="/rehearse/{rid}"' in listing and "Pasted text" in listing and "3 of 3 · finished" in listing


def test_saving_as_markdown_and_json(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    rid = rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    client.post(f"/rehearse/{rid}/turns", data={"csrf_token": token, "reply": "Yes, definitely."})
    md = client.get(f"/rehearse/{rid}/save.md")
    assert md.status_code == 200 and md.mimetype == "text/markdown"
    assert md.headers["Content-Disposition"] == f'attachment; filename="rehearsal-{rid}.md"'
    text = md.get_data(as_text=True)
    assert text.startswith("# Rehearsal with Dana Reyes, CEO")
    assert "## Questions Dana Reyes would ask" in text and "| States the ask | 5/5 |" in text
    assert re.search(r"^- \[1\] Cold Chain Review, 2025-08-18, 00:1\d:\d\d: “", text, re.MULTILINE)
    assert "### Round 1" in text and "**You answered:** Yes, definitely." in text
    assert "> Proposal: reefer capacity for inland pharma." in text
    saved = client.get(f"/rehearse/{rid}/save.json")
    assert saved.mimetype == "application/json" and "attachment" in saved.headers["Content-Disposition"]
    data = json.loads(saved.get_data(as_text=True))
    assert data["rehearsal_id"] == rid and data["turns"][0]["reply"] == "Yes, definitely."
    assert data["questions"] and data["scorecard"]["criteria"]


def test_another_users_rehearsal_is_not_found(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    rid = rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    other = app.test_client()
    other_token = signed_in(app, other, "admin@example.com")
    for path in (f"/rehearse/{rid}", f"/rehearse/{rid}/save.md", f"/rehearse/{rid}/save.json"):
        assert other.get(path).status_code == 404, path
    answered = other.post(f"/rehearse/{rid}/turns", data={"csrf_token": other_token, "reply": "Mine now."})
    assert answered.status_code == 404
    assert f'href="/rehearse/{rid}"' not in other.get("/rehearse").get_data(as_text=True)


def test_bad_pitches_and_missing_csrf_are_refused_with_a_reason(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    exe = start(client, token, file=(io.BytesIO(b"MZ\x90\x00binary"), "pitch.exe"))
    assert exe.status_code == 415 and "a pitch must be a .docx, .pdf, .md or .txt file" in exe.get_data(as_text=True)
    empty = start(client, token, pitch="   ")
    assert empty.status_code == 400 and "the pitch is empty" in empty.get_data(as_text=True)
    both = start(client, token, pitch="We ask for trailers.", file=(io.BytesIO(b"We ask for vans."), "pitch.txt"))
    assert both.status_code == 400 and "not both" in both.get_data(as_text=True)
    # What was typed stays in the form.
    assert "We ask for trailers.</textarea>" in both.get_data(as_text=True)
    forged = client.post("/rehearse", data={"twin": "dana", "pitch": GOOD_PITCH})
    assert forged.status_code == 400 and "CSRF" in forged.get_data(as_text=True)
    assert "No rehearsals yet" in client.get("/rehearse").get_data(as_text=True)


def test_the_form_is_rate_limited_like_asking(make_app, rworld: World) -> None:
    app = make_app(ratelimit_ask="1/minute")
    client = app.test_client()
    token = signed_in(app, client, "employee@example.com")
    assert start(client, token, pitch=GOOD_PITCH).status_code == 302
    limited = start(client, token, pitch=GOOD_PITCH)
    assert limited.status_code == 429 and "too many requests" in limited.get_data(as_text=True)


def test_the_page_keeps_restricted_questions_from_those_outside_their_audience(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    html = client.get(f"/rehearse/{rehearsal_id(start(client, token, pitch=LISBON_PITCH))}").get_data(as_text=True)
    questions = html[html.index("Questions Dana Reyes would ask"):html.index("Scorecard:")]
    sources = html[html.index('<ol class="citations">'):html.index('id="rounds-heading"')]
    for question in LISBON_QUESTIONS:
        assert question.replace("'", "&#39;") not in html
    assert "Lisbon" not in questions and "Lisbon" not in sources


# --- in the browser --------------------------------------------------------------------------------

try:  # The browser fixtures skip their module where Chromium or Playwright is missing; here only these tests skip.
    from tests.web import test_browser as browser_tests
    browser, live_server, open_as = browser_tests.browser, browser_tests.live_server, browser_tests.open_as
    shot = browser_tests.shot
    NO_BROWSER = ""
except pytest.skip.Exception as skipped:
    NO_BROWSER = str(skipped.msg)
needs_browser = pytest.mark.skipif(bool(NO_BROWSER), reason=NO_BROWSER or "Chromium is available")


@needs_browser
def test_an_employee_uploads_a_docx_pitch_and_goes_a_round(open_as, rworld: World, tmp_path: Path) -> None:
    pitch = tmp_path / "corvane-pitch.docx"
    pitch.write_bytes(build_docx(PUSHY_PITCH, "Inland pharma trailers"))
    page = open_as("employee@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rehearse").click()
    page.get_by_label("Rehearse with").select_option("dana")
    page.get_by_label("Or upload a file (.docx, .pdf, .md or .txt)").set_input_files(str(pitch))
    shot(page, "rehearse-form")
    page.get_by_role("button", name="Rehearse", exact=True).click()
    page.get_by_role("heading", name="Rehearsal with Dana Reyes, CEO").wait_for()
    assert "corvane-pitch.docx" in page.locator(".rehearsal-meta").inner_text()
    assert "AI twin of Dana Reyes" in page.locator(".disclaimer").inner_text()

    questions = page.get_by_role("region", name="Questions Dana Reyes would ask").locator("ol > li")
    assert questions.count() >= 3
    first = questions.first
    question_text = first.locator(".question-text").inner_text()
    footnote = first.locator("sup.cite a")
    n = footnote.inner_text().strip("[]")
    source = page.locator(f"#r-{n}")
    assert not source.locator("blockquote").is_visible()
    footnote.click()
    assert source.locator("blockquote").is_visible()
    assert source.locator("blockquote").inner_text() == question_text
    assert re.search(r"\d{4}-\d\d-\d\d · (\d\d:\d\d:\d\d|turn \d+|§ .+|¶ ?\d+)", source.locator("summary").inner_text())

    push = page.get_by_role("region", name="Where Dana Reyes would push back").locator("li")
    assert push.count() >= 1
    assert "your pitch contradicts this" in push.first.inner_text()
    assert push.first.locator("sup.cite a").count() == 1
    card = page.get_by_role("region", name=re.compile(r"Scorecard: [\d.]+ of 30"))
    rows = card.locator("tbody tr")
    assert rows.count() == 6
    assert "States the ask" in rows.first.inner_text() and "We ask you to approve 6 million" in rows.first.inner_text()
    assert page.get_by_role("button", name="Print").is_visible()
    assert page.get_by_role("link", name="Save as Markdown").is_visible()
    shot(page, "rehearse-result")

    # One round, in place: the twin does not accept a non-answer and asks again, citing where it asked.
    assert page.locator("#pending-question").inner_text() == question_text
    page.get_by_label("Your answer").fill("Yes, definitely.")
    with page.expect_response(re.compile(r"/api/v1/rehearsals/\d+/turns$")) as turn:
        page.get_by_role("button", name="Answer", exact=True).click()
    assert turn.value.status == 200
    round_one = page.locator("#round-1")
    round_one.wait_for()
    reaction = round_one.locator(".answer-text").inner_text()
    assert reaction.startswith("Not yet.") and question_text in reaction
    assert round_one.locator(".citations li").count() >= 1
    round_one.locator("sup.cite a").first.click()
    assert round_one.locator(".citations blockquote").first.is_visible()
    assert "Round 1 of 3" in page.locator("#round-status").inner_text()
    assert page.get_by_label("Your answer").input_value() == ""
    shot(page, "rehearse-round")

    # On paper: no navigation or forms, and every quoted source printed open.
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and not page.locator("#answer").is_visible()
    closed = page.locator(".citations details:not([open])").first
    assert closed.locator("blockquote").is_visible()
    shot(page, "rehearse-print")
    page.emulate_media(media="screen")
    assert not closed.locator("blockquote").is_visible()

    # Two more rounds and the twin sums up; the summary stays after a reload.
    for _ in range(2):
        page.get_by_label("Your answer").fill("Yes, definitely.")
        with page.expect_response(re.compile(r"/api/v1/rehearsals/\d+/turns$")):
            page.get_by_role("button", name="Answer", exact=True).click()
    summary = page.get_by_role("region", name="Summary")
    summary.wait_for()
    assert "Prepare for" in summary.inner_text() and summary.locator("sup.cite a").count() >= 1
    closing = page.locator("#round-3 .answer-text").inner_text()
    assert "That's the end of this rehearsal: the summary is below." in closing and "Prepare for:" not in closing
    assert not page.locator("#answer").is_visible()
    assert "Finished after 3 of 3 rounds" in page.locator("#round-status").inner_text()
    shot(page, "rehearse-summary")
    page.reload()
    assert page.get_by_role("region", name="Summary").is_visible()
    assert page.locator("#round-1 .answer-text").inner_text() == reaction

    with page.expect_download() as download:
        page.get_by_role("link", name="Save as Markdown").click()
    assert re.fullmatch(r"rehearsal-\d+\.md", download.value.suggested_filename)
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert saved.startswith("# Rehearsal with Dana Reyes, CEO") and question_text in saved

    # The rehearsal is in my list.
    page.get_by_role("link", name="New rehearsal").click()
    assert page.get_by_role("region", name="My rehearsals").get_by_text("corvane-pitch.docx").is_visible()
    assert page.js_errors == []


@needs_browser
def test_the_form_works_with_javascript_off(browser, app, live_server: str, rworld: World) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server + make_dev_login_link(app, "employee@example.com"))
        page.goto(live_server + "/rehearse")
        page.get_by_label("Paste the text").fill(GOOD_PITCH)
        page.get_by_role("button", name="Rehearse", exact=True).click()
        page.get_by_role("heading", name="Rehearsal with Dana Reyes, CEO").wait_for()
        assert not page.get_by_role("button", name="Print").is_visible()
        page.get_by_label("Your answer").fill("Yes, definitely.")
        page.get_by_role("button", name="Answer", exact=True).click()
        assert page.url.endswith("#round-1")
        assert page.locator("#round-1 .answer-text").inner_text().startswith("Not yet.")
        shot(page, "rehearse-no-javascript")
    finally:
        context.close()


def test_a_one_line_pitch_on_the_page_asks_for_more_and_keeps_the_text(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    response = start(client, token, pitch="Let's buy more trucks.")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That is too short to rehearse (4 words). Tell me more:" in html
    assert "Let&#39;s buy more trucks.</textarea>" in html or "Let's buy more trucks.</textarea>" in html
    assert "Scorecard" not in html


@needs_browser
def test_in_the_browser_a_one_line_pitch_is_asked_for_more(open_as, rworld: World) -> None:
    page = open_as("employee@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rehearse").click()
    page.get_by_label("Rehearse with").select_option("dana")
    page.get_by_label("Paste the text").fill("Let's buy more trucks.")
    page.get_by_role("button", name="Rehearse", exact=True).click()
    message = page.locator(".flash.error")
    message.wait_for()
    assert message.inner_text().startswith("That is too short to rehearse (4 words). Tell me more:")
    assert page.get_by_label("Paste the text").input_value() == "Let's buy more trucks."
    assert page.get_by_role("heading", name="Rehearsal with Dana Reyes, CEO").count() == 0


@needs_browser
def test_my_rehearsals_fit_a_360_px_phone_without_sideways_scrolling(app, client, open_as, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    pitch = io.BytesIO("\n\n".join(PUSHY_PITCH).encode())
    rehearsal_id(start(client, token, file=(pitch, "corvane-inland-pharma-trailers-board-pitch-final-v3.txt")))
    rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    page = open_as("employee@example.com")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(page.url.removesuffix("/ask") + "/rehearse")
    history = page.get_by_role("region", name="My rehearsals")
    assert history.get_by_text("corvane-inland-pharma-trailers-board-pitch-final-v3.txt").is_visible()
    assert history.get_by_text("Pasted text").is_visible()
    shot(page, "rehearse-history-360")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert page.js_errors == []


def test_a_pitch_says_how_long_it_takes_to_say_as_people_say_it(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    short = rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    html = client.get(f"/rehearse/{short}").get_data(as_text=True)
    assert re.search(r"1[23]\d words, about [45]\d seconds spoken ·", html), html[:3000]
    markdown = client.get(f"/rehearse/{short}/save.md").get_data(as_text=True)
    assert re.search(r"1[23]\d words, about [45]\d seconds spoken ·", markdown)
    longer = GOOD_PITCH + "\nWe will report the pilot's numbers to the leadership team every month, in writing, for a year."
    minute = rehearsal_id(start(client, token, pitch=longer))
    html = client.get(f"/rehearse/{minute}").get_data(as_text=True)
    assert re.search(r"1[45]\d words, about 1 minute spoken ·", html)
    assert "about 1 minutes" not in html


def test_the_scorecard_on_the_page_and_in_markdown_counts_as_people_count(app, client, rworld: World) -> None:
    token = signed_in(app, client, "employee@example.com")
    rid = rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    for shown in (client.get(f"/rehearse/{rid}").get_data(as_text=True),
                  client.get(f"/rehearse/{rid}/save.md").get_data(as_text=True)):
        assert re.search(r"\d figures \(", shown) and "sentences on impact" in shown, shown[:3000]
        assert "(s)" not in shown and not re.search(r"\d\.\d minutes spoken", shown)


def test_the_round_count_and_the_last_round_read_as_a_presenter_expects(app, client, rworld: World) -> None:
    # A trial saw "Round 0 of 3" before answering anything, and the last round's reaction ran the whole summary into
    # one paragraph ("Strong: What's the ask?; …; To fix: …") above the Summary that lists it again.
    token = signed_in(app, client, "employee@example.com")
    rid = rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    html = client.get(f"/rehearse/{rid}").get_data(as_text=True)
    status = re.search(r'<span id="round-status">([^<]*)</span>', html)
    assert status and status.group(1) == "3 rounds to play", status
    for _ in range(3):
        client.post(f"/rehearse/{rid}/turns", data={"csrf_token": token, "reply": "Yes, definitely."})
    html = client.get(f"/rehearse/{rid}").get_data(as_text=True)
    last = re.search(r'<li class="turn" id="round-3">.*?<p class="answer-text">(.*?)</p>', html, re.S)
    assert last and "That&#39;s the end of this rehearsal: the summary is below." in last.group(1), last
    assert "Strong:" not in last.group(1) and "To fix:" not in last.group(1) and "Prepare for:" not in last.group(1)
    summary = html.split('id="summary"', 1)[1]
    assert "Prepare for" in summary and re.search(r'<sup class="cite"><a href="#t3-\d+"', summary)


def test_the_saved_markdown_does_not_run_the_summary_into_the_last_round(app, client, rworld: World) -> None:
    # The saved .md printed the summary twice: in the last round's words and under "## Summary".
    token = signed_in(app, client, "employee@example.com")
    rid = rehearsal_id(start(client, token, pitch=GOOD_PITCH))
    for _ in range(3):
        client.post(f"/rehearse/{rid}/turns", data={"csrf_token": token, "reply": "Yes, definitely."})
    text = client.get(f"/rehearse/{rid}/save.md").get_data(as_text=True)
    rounds, summary = text.split("## Summary", 1)
    assert "That's the end of this rehearsal: the summary is below." in rounds.split("### Round 3", 1)[1]
    assert "Prepare for:" not in rounds and "To fix:" not in rounds
    assert "**Prepare for**" in summary


def test_the_rehearse_pages_speak_of_her_as_her_curator_says(app, client, rworld: World,
                                                             session_factory: sessionmaker[Session]) -> None:
    from service.corpus import store

    signed_in(app, client, "employee@example.com")
    assert "where they would push back" in client.get("/rehearse?twin=dana").get_data(as_text=True)
    with session_factory() as session:
        store.update_persona(session, "dana", {"pronoun": "she"})
        session.commit()
    form = client.get("/rehearse?twin=dana").get_data(as_text=True)
    assert "where she would push back" in form and "something she actually said" in form


def test_the_pitch_limit_reads_as_the_ask_pages_limit_does(app, client, world: World) -> None:
    signed_in(app, client, "employee@example.com")
    assert "Up to 5,000 words." in client.get("/rehearse").get_data(as_text=True)
    assert "At most 2,000 characters." in client.get("/ask").get_data(as_text=True)
