"""The pages in headless Chromium (Debian's, driven by Playwright) against a live server on port 0."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from service.web.auth import make_dev_login_link
from tests.api.conftest import World
from tests.support.live_server import serving
from tests.support.screenshots import save_screenshot

CHROMIUM = Path(os.environ.get("UNDERSTUDY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); browser tests need it",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    with serving(app) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def open_as(browser, app, live_server, world: World):
    """A signed-in page for a user, through a one-time development link."""
    contexts = []

    def open_page(email: str):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.js_errors = errors
        page.goto(live_server + make_dev_login_link(app, email))
        assert page.url.endswith("/ask"), page.url
        return page

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    save_screenshot(page, SCREENSHOTS / f"{name}.png", full_page=True)


def ask(page, question: str) -> None:
    page.get_by_label("Your question for Dana Reyes").fill(question)
    with page.expect_response(re.compile(r"/api/v1/twins/dana/ask$")) as answer:
        page.get_by_role("button", name="Ask", exact=True).click()
    assert answer.value.headers["content-type"].startswith("text/event-stream")
    page.locator("#ask-status").filter(has_text="Answered").wait_for()


def test_an_employee_asks_and_a_cited_answer_streams_in(open_as, world: World) -> None:
    page = open_as("employee@example.com")
    assert "AI twin of Dana Reyes" in page.locator("#disclaimer").inner_text()
    ask(page, "Why did you choose cold chain for pharmaceutical customers?")
    answer = page.locator(".turn").last
    assert "pharmaceutical customers pay for reliability" in answer.locator(".answer-text").inner_text()
    footnote = answer.locator("sup.cite a").first
    assert footnote.inner_text() == "[1]"
    citation = answer.locator(".citations li").first
    assert "Why cold chain" in citation.locator("summary").inner_text()
    assert not citation.locator("blockquote").is_visible()
    footnote.click()
    assert citation.locator("blockquote").is_visible()
    assert "pay for reliability" in citation.locator("blockquote").inner_text()
    shot(page, "ask")

    # A follow-up stays in the conversation; then the employee says the answer did not help.
    conversation = page.locator("#conversation-id").input_value()
    assert conversation
    ask(page, "What on-time rate did the temperature-controlled lanes reach?")
    assert page.locator(".turn").count() == 2
    assert page.locator("#conversation-id").input_value() == conversation
    second = page.locator(".turn").last
    second.get_by_role("button", name="Not helpful").click()
    second.get_by_label("What was missing? (optional)").fill("I wanted the trend")
    second.get_by_role("button", name="Send").click()
    second.get_by_text("Thank you").wait_for()
    shot(page, "ask-follow-up")
    assert page.js_errors == []


def test_a_curator_uploads_previews_and_approves_a_docx_that_answers_then_cite(open_as, world: World,
                                                                               tmp_path: Path) -> None:
    memo = tmp_path / "2025-06-02-weekend-dispatch.docx"
    document = docx.Document()
    document.add_heading("Weekend dispatch", level=1)
    document.add_paragraph("I moved weekend dispatch to two shifts because our drivers deserve predictable "
                           "weekends with their families.")
    document.save(memo)

    curator = open_as("curator@example.com")
    curator.get_by_role("link", name="Curate").click()
    curator.get_by_label("Files").set_input_files(str(memo))
    curator.get_by_role("button", name="Upload").click()
    preview = curator.get_by_role("link", name="preview and approve")
    preview.wait_for()
    assert curator.locator("#upload-progress progress").first.get_attribute("value") == "100"
    assert curator.locator("#upload-progress li").first.inner_text().endswith("ingested · 1 passage · preview and approve")
    shot(curator, "curate-sources")
    preview.click()
    assert "Weekend dispatch" in curator.locator("h2").first.inner_text()
    passages = curator.locator("table.passages tbody tr")
    assert passages.count() >= 1
    assert "predictable weekends" in passages.first.inner_text()
    assert curator.locator("#source-status").inner_text() == "draft"
    shot(curator, "curate-source-preview")
    curator.get_by_role("button", name="Approve").click()
    curator.get_by_text("Approved: answers may cite this source").wait_for()
    assert curator.locator("#source-status").inner_text() == "approved"

    for name, label in (("curate-persona", "Persona"), ("curate-unanswered", "Unanswered & feedback"),
                        ("curate-audit", "Audit log"), ("curate-search", "Search passages")):
        curator.get_by_role("link", name=label).click()
        curator.locator("main h2").first.wait_for()
        shot(curator, name)
    curator.get_by_role("link", name="Audit log").click()
    assert "source.approve" in curator.locator("main").inner_text()

    employee = open_as("employee@example.com")
    ask(employee, "Why did you move weekend dispatch to two shifts?")
    answer = employee.locator(".turn").last
    assert "predictable weekends" in answer.locator(".answer-text").inner_text()
    assert "Weekend dispatch" in answer.locator(".citations").inner_text()
    shot(employee, "ask-cites-new-source")
    assert curator.js_errors == [] and employee.js_errors == []


def test_the_same_file_again_says_it_is_stored_already_not_preview_and_approve(open_as, world: World,
                                                                              tmp_path: Path) -> None:
    memo = tmp_path / "2025-06-09-night-sort.txt"
    memo.write_text("We moved the night sort to ten o'clock because the trailers from the north arrive earlier.\n")
    curator = open_as("curator@example.com")
    curator.get_by_role("link", name="Curate").click()
    said = []
    for _ in range(2):
        curator.get_by_label("Files").set_input_files(str(memo))
        curator.get_by_role("button", name="Upload").click()
        curator.locator("#upload-progress li.ok a").wait_for()
        said.append(curator.locator("#upload-progress li.ok").inner_text())
    assert said[0].endswith("ingested · 1 passage · preview and approve"), said
    assert said[1].endswith("already stored (the same file) · open it"), said  # was "duplicate · … preview and approve"
    curator.get_by_text("Done: nothing new, that file is stored already.").wait_for()
    curator.locator("#upload-progress").get_by_role("link", name="open it").click()
    assert "Night Sort" in curator.locator("h2").first.inner_text()
    assert curator.js_errors == []


def test_a_thanks_streams_back_as_a_plain_reply_without_basis_or_feedback(open_as, world: World) -> None:
    page = open_as("employee@example.com")
    ask(page, "thanks!")
    reply = page.locator(".turn").last
    assert reply.locator(".answer-text").inner_text().startswith("You're welcome")
    assert reply.locator(".basis").count() == 0 and reply.locator(".feedback").count() == 0
    assert "ungrounded" not in reply.locator(".answer").get_attribute("class")
    ask(page, "What is our parental leave policy?")  # a refusal keeps both
    refusal = page.locator(".turn").last
    assert refusal.locator(".basis").inner_text() == "Stands on: no answer"
    assert refusal.get_by_role("button", name="Not helpful").is_visible()
    assert page.js_errors == []


def test_an_employee_cannot_reach_the_curation_pages(open_as, live_server: str, world: World) -> None:
    page = open_as("employee@example.com")
    assert page.get_by_role("link", name="Curate").count() == 0
    assert page.get_by_role("link", name="Admin").count() == 0
    for path in ("/curate", "/curate/dana", "/curate/dana/persona", "/curate/dana/audit", "/admin"):
        response = page.goto(live_server + path)
        assert response.status == 403, path
        assert "needs the" in page.locator("main").inner_text()
    shot(page, "employee-forbidden")


def test_the_admin_page(open_as, world: World) -> None:
    page = open_as("admin@example.com")
    page.get_by_role("link", name="Admin").click()
    page.get_by_text("Add a user").click()
    page.get_by_label("E-mail").fill("lee@example.com")
    page.get_by_role("button", name="Add user").click()
    assert page.locator(".token-value").inner_text().startswith("us_")
    assert "Given by Dana Reyes" in page.locator("table").first.inner_text()
    shot(page, "admin")


def test_the_sources_filters_fit_a_360_px_phone(open_as, live_server: str, world: World) -> None:
    page = open_as("curator@example.com")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server + "/curate/dana")
    filters = page.locator("form.filters")
    for label in ("Status", "Kind", "Audience", "Dated from", "to", "Title or file"):
        field = filters.get_by_label(label, exact=True)
        assert field.is_visible() and field.bounding_box()["x"] + field.bounding_box()["width"] <= 360, label
    shot(page, "sources-filters-360")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")


def test_on_a_phone_the_feedback_buttons_sit_together_under_their_question(open_as, world: World) -> None:
    page = open_as("employee@example.com")
    page.set_viewport_size({"width": 360, "height": 800})
    ask(page, "Why did you choose cold chain for pharmaceutical customers?")
    feedback = page.get_by_role("group", name="Was this helpful?").last
    label = feedback.get_by_text("Was this helpful?").bounding_box()
    helpful = feedback.get_by_role("button", name="Helpful", exact=True).bounding_box()
    not_helpful = feedback.get_by_role("button", name="Not helpful").bounding_box()
    assert helpful["y"] == not_helpful["y"] > label["y"] + label["height"] - 1
    assert helpful["x"] < not_helpful["x"]
    shot(page, "ask-feedback-360")


def test_on_a_phone_the_admin_forms_labels_sit_above_their_fields(open_as, world: World) -> None:
    page = open_as("admin@example.com")
    page.set_viewport_size({"width": 360, "height": 800})
    page.get_by_role("link", name="Admin").click()
    for label in ("Role", "Audiences", "Active"):
        caption = page.locator("form.inline-form label", has_text=label).first.bounding_box()
        field = page.get_by_label(label, exact=True).first.bounding_box()
        assert abs(caption["x"] - field["x"]) < 1 and caption["y"] < field["y"], label
    shot(page, "admin-360")


def test_on_a_phone_a_cards_status_and_executive_badges_stay_pills(open_as, live_server: str, world: World) -> None:
    page = open_as("curator@example.com")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/curate/dana", f"/curate/sources/{world.sources['everyone']}"):
        page.goto(live_server + path)
        badges = page.locator("table.cards td[data-label] > .badge")
        assert badges.count() >= 1, path
        widths = page.evaluate("""() => [...document.querySelectorAll('table.cards td[data-label] > .badge')]
            .map(b => [b.innerText, b.getBoundingClientRect().width])""")
        assert all(width < 120 for _, width in widths), (path, widths)  # was the card's width, ~215 px
    shot(page, "source-preview-390")


WRAPPED_CELLS = """() => [...document.querySelectorAll('table.cards td[data-label]')].filter(td => {
    const range = document.createRange(); range.selectNodeContents(td);
    const tops = [...range.getClientRects()].map(r => r.top);
    return Math.max(...tops) - Math.min(...tops) > 8;  // a second line, not a badge's padding
  }).map(td => td.getAttribute('data-label') + ': ' + td.innerText)"""


def test_on_a_tablet_the_sources_table_keeps_short_values_whole(open_as, live_server: str, world: World) -> None:
    page = open_as("curator@example.com")
    page.set_viewport_size({"width": 760, "height": 900})
    page.goto(live_server + "/curate/dana")
    assert page.locator("table.cards td[data-label='Status']").count() >= 2
    assert page.evaluate(WRAPPED_CELLS) == []
    shot(page, "sources-760")


def test_not_helpful_counts_when_clicked_even_without_a_reason(open_as, session_factory, world: World) -> None:
    from sqlalchemy import select

    from service.corpus.models import Interaction

    page = open_as("employee@example.com")
    ask(page, "Why did you choose cold chain for pharmaceutical customers?")
    turn = page.locator(".turn").last
    with page.expect_response(re.compile(r"/feedback$")) as sent:
        turn.get_by_role("button", name="Not helpful").click()
    assert sent.value.status == 200
    turn.get_by_text("Noted: not helpful.").wait_for()
    assert turn.get_by_label("What was missing? (optional)").is_visible()
    page.reload()
    assert "Feedback sent: not helpful." in page.locator(".turn").last.inner_text()
    # The reason, when given, is added to the same feedback.
    ask(page, "What on-time rate did the temperature-controlled lanes reach?")
    turn = page.locator(".turn").last
    turn.get_by_role("button", name="Not helpful").click()
    turn.get_by_label("What was missing? (optional)").fill("I wanted the trend")
    turn.get_by_role("button", name="Send").click()
    turn.get_by_text("Thank you").wait_for()
    assert not turn.get_by_label("What was missing? (optional)").is_visible()
    with session_factory() as session:
        rows = session.scalars(select(Interaction).where(Interaction.feedback == "not_helpful")).all()
        assert sorted(row.feedback_reason or "" for row in rows) == ["", "I wanted the trend"]
    assert page.js_errors == []
