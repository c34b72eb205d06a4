"""The Rehearse page in headless Chromium with a pitch pasted in Markdown: the scorecard quotes the pitch's words as
written, never its markup, and credits the ask stated in everyday words."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import World
from tests.rehearsal.test_pitch import MARKDOWN_PITCH
from tests.web.test_rehearse_page import rworld  # noqa: F401  (fixture)

try:  # The browser fixtures skip their module where Chromium or Playwright is missing; here only these tests skip.
    from tests.web import test_browser as browser_tests
    browser, live_server, open_as = browser_tests.browser, browser_tests.live_server, browser_tests.open_as
    NO_BROWSER = ""
except pytest.skip.Exception as skipped:
    NO_BROWSER = str(skipped.msg)
needs_browser = pytest.mark.skipif(bool(NO_BROWSER), reason=NO_BROWSER or "Chromium is available")


@needs_browser
def test_a_pasted_markdown_pitch_is_quoted_without_its_markup(open_as, rworld: World) -> None:  # noqa: F811
    page = open_as("employee@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rehearse").click()
    page.get_by_label("Rehearse with").select_option("dana")
    page.get_by_label("Paste the text").fill(MARKDOWN_PITCH)
    page.get_by_role("button", name="Rehearse", exact=True).click()
    page.get_by_role("heading", name="Rehearsal with Dana Reyes, CEO").wait_for()
    card = page.get_by_role("region", name=re.compile(r"Scorecard: \d+(\.\d)? of 30"))
    text = card.inner_text()
    for markup in ("#", "**", "](", "`", "- Today", "1. We", "2. Hospital"):
        assert markup not in text, (markup, text)
    ask = card.locator("tbody tr").first.inner_text()  # the heading states the ask: quoted without its "#"
    assert "States a concrete ask (“Proposal:”; 30 June): “Proposal: night pharmacy runs from Eastgate" in ask, ask
    assert "“We would pause new stores if on-time-in-full drops below 97 %" in text
    assert page.js_errors == []
