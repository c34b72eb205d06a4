"""The README walked as a newcomer would: `understudy demo`, its printed sign-in links, then every page at 1280 and 390 px.

Fails on sideways scrolling, an empty main area or a console error. The 390 px screenshots go to docs/ for the README.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.screenshots import save_screenshot
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS

sync_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"Chromium is not installed at {CHROMIUM}", allow_module_level=True)

pytestmark = pytest.mark.own_database  # the README's own SQLite demo, whichever database the run tests
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
PITCH = ("I propose we open a second cold chain hub in the north next spring. The customer is our pharmaceutical "
         "accounts, who lose shipments to heat today. It costs four million dollars and pays back in two years.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_environment(data_dir: Path) -> dict[str, str]:
    """The environment of a fresh shell: no database setting, a data directory of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSTUDY_")}
    env.update(XDG_DATA_HOME=str(data_dir), HOME=str(data_dir), PYTHONUNBUFFERED="1", COLUMNS="200")
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[dict[str, object]]:
    """`understudy demo` as the README starts it, with the URL and sign-in links it prints."""
    data_dir = tmp_path_factory.mktemp("demo-home")
    env = demo_environment(data_dir)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "demo", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    links: dict[str, str] = {}
    printed: list[str] = []
    for line in process.stdout:
        printed.append(line)
        found = re.match(r"\s+(employee|curator|admin)\s+(http://\S+/auth/dev/\S+)", line)
        if found:
            links[found.group(1)] = found.group(2)
        if len(links) == 3:
            break
    assert len(links) == 3, "".join(printed)
    assert "works once, within 15 minutes" in "".join(printed)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "links": links, "env": env}
    finally:
        process.terminate()
        process.wait(timeout=30)


def new_link(demo: dict[str, object], email: str) -> str:
    """A fresh one-time link from `understudy users link`, as the README says."""
    result = subprocess.run([sys.executable, "-m", "service.cli", "users", "link", email, "--url", str(demo["base"])],
                            cwd=ROOT, env=demo["env"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Walk:
    """One signed-in page at one width that checks every page it lands on."""

    def __init__(self, browser, width: str, link: str):
        w, h = WIDTHS[width]
        self.width = width
        self.context = browser.new_context(viewport={"width": w, "height": h})
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.goto(link)

    def check(self, name: str, *, screenshot: bool = True) -> None:
        """No sideways scrolling, something in the main area, no console error; a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        overflow = page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > width + 1)
              .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
            return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
        }""")
        assert overflow["scroll"] <= overflow["width"], f"{name} at {self.width}: {overflow}"
        assert page.locator("main").inner_text().strip(), f"{name} at {self.width}: the main area is empty"
        assert not self.errors, f"{name} at {self.width}: {self.errors}"
        if not screenshot:
            return
        target = DOCS if self.width == "phone" else ROOT / "test-artifacts" / "screenshots"
        page.evaluate("window.scrollTo(0, 0)")
        # The phone shots (for the README) show the first screen; the desktop ones the whole page.
        save_screenshot(page, target / f"{name}-{WIDTHS[self.width][0]}.png", full_page=self.width == "desktop")

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_readme_walk_from_the_demo_links(browser, demo, width: str, tmp_path: Path) -> None:
    links = demo["links"] if width == "desktop" else {
        role: new_link(demo, f"{role}@halvorsen.example") for role in ("employee", "curator", "admin")}

    walk = Walk(browser, width, links["employee"])
    page = walk.page
    assert page.url.endswith("/ask"), page.url
    page.get_by_label("Your question for Dana Reyes").fill("Why did you choose cold chain as our growth bet?")
    assert "of 2,000 characters" in page.locator("#question-count").inner_text()
    page.get_by_role("button", name="Ask", exact=True).click()
    page.locator("#ask-status").filter(has_text="Answered").wait_for()
    assert "conversation=" in page.url
    page.reload()
    assert page.locator("#turns > li.turn").count() == 1  # the conversation survives a reload
    walk.check("ask")
    page.get_by_role("link", name="Rehearse").click()
    walk.check("rehearse-form", screenshot=False)
    page.get_by_label("Paste the text").fill(PITCH)
    page.get_by_role("button", name="Rehearse", exact=True).click()
    page.get_by_role("heading", name=re.compile("Questions Dana Reyes would ask")).wait_for()
    walk.check("rehearse")
    walk.close()

    walk = Walk(browser, width, links["curator"])
    page = walk.page
    page.get_by_role("link", name="Curate").click()
    walk.check("curate-sources")
    memo = tmp_path / f"2026-06-01-notes-{width}.md"
    memo.write_text(f"# Notes for the {width} walk\n\nI want every depot to publish its on-time rate weekly. "
                    "Start with the customer's shipment, then look at the number.\n")
    page.locator("#upload-files").set_input_files(str(memo))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.locator("#upload-progress li.done").wait_for()
    new_row = page.locator("#sources-list tr.new")
    assert new_row.count() == 1 and "draft" in new_row.inner_text()  # the draft appears without a reload
    page.get_by_role("link", name="preview and approve").click()
    walk.check("curate-preview")
    page.get_by_role("button", name="Approve").click()
    assert page.locator("#source-status").inner_text() == "approved"
    page.get_by_text("Retire…").click()
    page.get_by_role("button", name="Retire this source").click()
    assert page.locator("#source-status").inner_text() == "retired"
    page.get_by_role("button", name="Restore").click()
    assert page.locator("#source-status").inner_text() == "approved"
    walk.check("curate-restored")
    for tab, name in (("Persona", "curate-persona"), ("Unanswered & feedback", "curate-unanswered"),
                      ("Audit log", "curate-audit"), ("Search passages", "curate-search")):
        page.locator("nav.tabs").get_by_role("link", name=tab).click()
        walk.check(name)
    assert page.locator("nav.tabs").count() == 1
    walk.close()

    walk = Walk(browser, width, links["admin"])
    page = walk.page
    page.get_by_role("link", name="Admin").click()
    walk.check("admin")
    page.locator("tr", has_text="employee@halvorsen.example").get_by_role("button", name="Sign-in link").click()
    assert "works once, within 15 minutes" in page.locator("#new-link").inner_text()
    walk.check("admin-link")
    walk.close()
