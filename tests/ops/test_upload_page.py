"""The curate page sends a large folder in batches; with a queue it shows each job's progress until done."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from tests.api.conftest import World
from tests.ops.test_jobs import work_burst
from tests.web import test_browser

browser, live_server, open_as = test_browser.browser, test_browser.live_server, test_browser.open_as

FILES = 25  # more than the page's one-request-per-file limit (20)


@pytest.fixture(params=["queue", "inline"])
def app(request, make_app, database_url: str, monkeypatch):
    if request.param == "inline":
        return make_app()
    redis_url = request.getfixturevalue("redis_url")
    monkeypatch.setenv("UNDERSTUDY_DATABASE_URL", database_url)
    return make_app(redis_url=redis_url, ingest_queue_name=request.getfixturevalue("queue_name"))


def folder(tmp_path: Path) -> list[str]:
    paths = []
    for n in range(FILES):
        path = tmp_path / f"2025-07-{n + 1:02d}-depot-{n}.docx"
        document = docx.Document()
        document.add_heading(f"Depot {n}", level=1)
        document.add_paragraph(f"Depot {n} opens on Saturdays because customers asked for weekend pickups.")
        document.save(path)
        paths.append(str(path))
    return paths


def test_a_large_upload_goes_in_batches_and_shows_its_progress(open_as, app, world: World, tmp_path: Path) -> None:
    from service.http.extension import extension
    from service.ops.jobs import queue_backend

    settings = extension(app).settings
    curator = open_as("curator@example.com")
    curator.get_by_role("link", name="Curate").click()
    curator.get_by_label("Files").set_input_files(folder(tmp_path))
    curator.get_by_role("button", name="Upload").click()
    batch = curator.locator("#upload-progress li").first
    if queue_backend(settings) == "rq":
        batch.filter(has_text=f"queued · 0 of {FILES} files done").wait_for()
        work_burst(settings)
        batch.filter(has_text=f"done · {FILES} of {FILES} files done").wait_for()
    else:
        batch.filter(has_text=f"{FILES} of {FILES} files stored").wait_for()
    curator.get_by_text("Done: the new drafts are in the list below").wait_for()
    assert batch.get_attribute("class") == "ok"
    assert curator.locator("#upload-progress progress").first.get_attribute("value") == "100"
    assert curator.js_errors == []
    curator.reload()
    assert curator.locator("main").inner_text().count("Depot ") >= FILES
