"""Dated positions in headless Chromium: the streamed answer gives the newest position first and shows what it
stands on; the console lists a source's later positions and marks one."""

from __future__ import annotations

from tests.api.test_positions import depots  # noqa: F401  (fixture: two memos a year apart that disagree)
from tests.web.test_browser import ask, browser, live_server, open_as  # noqa: F401  (fixtures)


def test_the_streamed_answer_leads_with_the_newest_position_and_says_it_is_her_words(
        open_as, depots) -> None:  # noqa: F811
    page = open_as("employee@example.com")
    ask(page, "How many depots are we opening?")
    answer = page.locator(".turn").last
    text = answer.locator(".answer-text").inner_text()
    assert text.startswith("As of the March 2026 memo, we will open 7 new depots"), text
    assert "In January 2025 I said" in text
    assert answer.locator(".basis").inner_text() == "Stands on: her words"
    summaries = answer.locator(".citations summary").all_inner_texts()
    assert "2026-03-04" in summaries[0] and "2025-01-20" in summaries[1]
    ask(page, "What is our policy on moon bases?")
    assert page.locator(".turn").last.locator(".basis").inner_text() == "Stands on: no answer"
    page.reload()  # the conversation comes back from the server with its labels
    assert page.locator(".turn .basis").all_inner_texts() == ["Stands on: her words", "Stands on: no answer"]
    assert not page.js_errors


def test_a_curator_marks_a_later_position_in_the_console(open_as, live_server, depots) -> None:  # noqa: F811
    page = open_as("curator@example.com")
    page.goto(f"{live_server}/curate/sources/{depots['old']}")
    assert "Where we stand" in page.locator("#detected-revisions").inner_text()
    choice = page.get_by_label("Mark this source's position as superseded by a later source")
    assert choice.input_value() == ""  # no later source is chosen for the curator
    page.get_by_role("button", name="Mark as superseded").click()  # the browser refuses: nothing chosen
    assert choice.evaluate("s => s.validity.valueMissing")
    assert page.locator("#revised-by").count() == 0
    choice.select_option(str(depots["new"]))
    page.get_by_role("button", name="Mark as superseded").click()
    assert "Where we stand" in page.locator("#revised-by").inner_text()
    page.locator("#revised-by").get_by_role("button", name="Withdraw").click()
    assert page.locator("#revised-by").count() == 0
    assert not page.js_errors


def test_later_positions_read_as_cards_on_a_phone(open_as, live_server, depots) -> None:  # noqa: F811
    page = open_as("curator@example.com")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server}/curate/sources/{depots['old']}")
    row = page.locator("#detected-revisions tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"  # one card a row, not four squeezed columns
    later = row.locator("td[data-label='Later']")
    assert later.evaluate("c => getComputedStyle(c, '::before').content") == '"Later"'
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.js_errors
