"""The Messaging gaps page in headless Chromium: the chart, a theme's details, marking it answered, the CSV."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.api.conftest import World
from tests.web import test_browser

# The browser walk's fixtures: Chromium, a live server on port 0, a signed-in page per user.
browser, live_server, open_as, shot = test_browser.browser, test_browser.live_server, test_browser.open_as, test_browser.shot

PARKING = ["Is the company going to pay for parking near the new office?",
           "Will staff get free car park spaces at the new building?",
           "Do I have to pay for my own parking spot when we move?"]
PENSION = ["When can I join the company pension scheme?", "What does the company put into my pension?"]


def test_a_curator_sees_the_gaps_at_a_glance_and_marks_one_answered(open_as, app: Flask, world: World,
                                                                     tmp_path: Path) -> None:
    client = app.test_client()
    for question in [*PARKING, *PENSION]:
        response = client.post(f"/api/v1/twins/{world.twin}/ask", json={"question": question},
                               headers=world.people["employee"].headers)
        assert response.get_json()["grounded"] is False
    page = open_as(world.people["curator"].email)
    page.get_by_role("link", name="Curate").first.click()
    page.get_by_role("link", name="Messaging gaps").click()
    assert page.url.endswith(f"/curate/{world.twin}/gaps")
    chart = page.locator("#gap-chart")
    rows = chart.locator("tbody tr")
    assert rows.count() == 2
    # read out by screen readers: the questions were all asked this week
    assert chart.locator("caption").text_content() == "Themes by number of unanswered questions, this week"
    first = rows.nth(0)
    assert first.locator(".count").inner_text() == "3"
    assert first.locator("svg.bar rect").get_attribute("width") == "100.0"
    assert rows.nth(1).locator("svg.bar rect").get_attribute("width") == "66.7"
    assert first.locator("svg.spark rect").count() >= 1 and "open" in first.inner_text()
    name = first.locator("th").inner_text()
    assert name and name.lower() in " ".join(PARKING).lower()
    assert world.people["employee"].email not in page.content()
    assert page.get_by_text("Audiences hidden: fewer than 5 people asked.").first.is_visible()
    shot(page, "gaps")

    with page.expect_download() as download:
        page.locator("#gaps-csv").click()
    saved = tmp_path / "gaps.csv"
    download.value.save_as(saved)
    exported = saved.read_text(encoding="utf-8")
    assert exported.startswith("theme,status,questions") and name in exported
    assert world.people["employee"].email not in exported

    theme = page.locator(".gap-theme").first
    theme.get_by_text("Mark answered…").click()
    theme.get_by_label("Approved source that answers it").select_option(label="Why cold chain (2025-03-01)")
    theme.get_by_role("button", name="Link source").click()
    page.get_by_text("is marked answered").wait_for()
    assert "answered since" in page.locator("#gap-chart tbody tr").nth(0).inner_text()
    assert page.locator(".gap-theme").first.get_by_text("no question that means the same has been asked since").is_visible()
    page.locator(".gap-theme").first.get_by_role("button", name="Open it again").click()
    page.get_by_text("The theme is open again.").wait_for()
    assert "open" in page.locator("#gap-chart tbody tr").nth(0).inner_text()
    assert page.js_errors == []


def test_with_nothing_unanswered_the_page_says_so(open_as, world: World, live_server: str) -> None:
    page = open_as(world.people["curator"].email)
    page.goto(f"{live_server}/curate/{world.twin}/gaps?since=not-a-date")
    assert page.get_by_text("is not a date").is_visible()
    assert page.locator("#no-gaps").is_visible()
    employee = open_as(world.people["employee"].email)
    response = employee.goto(f"{live_server}/curate/{world.twin}/gaps")
    assert response is not None and response.status == 403
