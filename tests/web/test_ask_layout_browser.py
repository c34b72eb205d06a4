"""What an asker sees on a desktop and a 390 px phone: a quoted table keeps one row a line, an answer's table rows are
a list, the banner says "AI twin" once, and the header and twin picker fit. Both ways an answer reaches the page are
checked: streamed (a canned event stream, so the engine's wording does not matter here) and from the server (a
conversation reopened)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from service.corpus.models import Interaction, Passage
from tests.api.conftest import World, parsed
from tests.web.test_browser import ask, browser, live_server, open_as, shot  # noqa: F401  (fixtures)

CONVERSATION = "tables-conversation"
ROWS = ["Depot | Urban vans | Electric today", "Calder North | 310 | 28%", "Eastgate | 260 | 31%",
        "Quay Street hub, the long name of a depot that wraps on a phone | 140 | 10%"]
INJECTION = '<img src=x onerror="window.injected=1">'
ANSWER = ("Depots differ a great deal in how far along they are. [1]\n"
          "The plan by depot [2]:\n"
          "- Calder North — Urban vans: 310; Electric today: 28%; End of 2026: 60%; Grid connection: Live\n"
          "- Eastgate — Urban vans: 260; Electric today: 31%; End of 2026: 55%; Grid connection: Live since March 2025\n"
          f"- Quay Street hub {INJECTION} — Urban vans: 140; Electric today: 10%; Grid connection: Upgrade due Q1 2026")
LONG_TITLE = "Chief Executive Officer, Halvorsen Freight"
LONG_EMAIL = "employee@halvorsen.example"
WIDTHS = (1280, 390)


@pytest.fixture
def tables(session_factory: sessionmaker[Session], world: World) -> dict[str, Any]:
    """An approved memo whose second passage is a table's rows, and an earlier answer of the employee's citing both;
    the twin gets a title too long for a phone's picker."""
    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        twin.title = LONG_TITLE
        source = store.add_source(session, twin, parsed(
            "Electric vans by depot", "vans-by-depot.docx",
            "Depots differ a great deal in how far along they are.", "\n".join(ROWS)), approve=True).source
        passages = list(session.scalars(select(Passage).where(Passage.source_id == source.id).order_by(Passage.ordinal)))
        user = store.get_user(session, "employee@example.com")
        store.add_user(session, LONG_EMAIL, role="employee")  # as long as the demo's: it wrapped "Sign out"
        row = Interaction(twin_id=twin.id, user_id=user.id, kind="ask", channel="web", conversation_id=CONVERSATION,
                          question="Which depots have electric vans today?", answer=ANSWER, grounded=True,
                          passages=[{"passage_id": p.id, "source_id": source.id, "version": 1, "n": n}
                                    for n, p in enumerate(passages, start=1)])
        session.add(row)
        session.commit()
        return {"interaction_id": row.id, "source_id": source.id}


def stream_of(tables: dict[str, Any]) -> str:
    """The event stream the ask API sends: the answer in pieces, then the whole with its citations."""
    citations = [{"n": 1, "source_id": tables["source_id"], "title": "Electric vans by depot", "date": "2025-03-01",
                  "locator": "¶1", "quote": "Depots differ a great deal in how far along they are."},
                 {"n": 2, "source_id": tables["source_id"], "title": "Electric vans by depot", "date": "2025-03-01",
                  "locator": "¶2", "quote": "\n".join(ROWS)}]
    final = {"answer": ANSWER, "citations": citations, "grounded": True, "mode": "extractive", "basis": "her_words",
             "basis_label": "her words", "conversation_id": CONVERSATION, "interaction_id": tables["interaction_id"]}
    middle = ANSWER.index("- Eastgate")
    frames = [("delta", {"text": ANSWER[:middle]}), ("delta", {"text": ANSWER[middle:]}), ("answer", final)]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in frames)


def on_phone_or_desktop(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")


def check_turn(page, turn, width: int) -> None:
    """The answer's rows are list items, hanging under their first word; the quoted table one row a line."""
    answer = turn.locator(".answer-text")
    items = answer.locator("ul.answer-list > li")
    assert items.count() == 3
    assert items.nth(0).inner_text().startswith("Calder North — Urban vans: 310")
    assert answer.locator("p").first.inner_text().startswith("Depots differ")
    # Safe: the answer's markup is shown as text, never made an element.
    assert INJECTION in items.nth(2).inner_text()
    assert answer.locator("img").count() == 0 and page.evaluate("window.injected") is None
    # The [n] stay footnote links, in the paragraph as in the list's lead-in.
    assert answer.locator("sup.cite a").all_inner_texts() == ["[1]", "[2]"]
    boxes = [items.nth(i).bounding_box() for i in range(items.count())]
    # The list's heading stands apart from the sentences above it (it was glued under them in a second trial).
    caption = answer.locator("p.answer-caption")
    assert caption.inner_text().startswith("The plan by depot"), answer.inner_html()
    prose = answer.locator("p").first.bounding_box()
    lead = caption.bounding_box()
    assert lead["y"] >= prose["y"] + prose["height"] + 8, (prose, lead)
    assert all(box["x"] > lead["x"] + 8 for box in boxes), (lead, boxes)  # indented under the lead-in
    assert all(later["y"] >= earlier["y"] + earlier["height"] - 1 for earlier, later in zip(boxes, boxes[1:], strict=False))
    # A wrapped item's lines all start at the same left edge (a hanging indent, not back under the bullet).
    lefts = items.nth(1).evaluate("""li => { const r = document.createRange(); r.selectNodeContents(li);
        return [...r.getClientRects()].map(rect => Math.round(rect.left)); }""")
    if width < 500:
        assert len(set(lefts)) == 1 and len(lefts) > 1, lefts
    # The quoted table: one element a row, each below the last, inside the quote's box.
    turn.locator("sup.cite a", has_text="[2]").click()
    quote = turn.locator(".citations li").nth(1).locator("blockquote")
    assert quote.is_visible()
    lines = quote.locator(".quote-line")
    assert lines.all_inner_texts() == ROWS
    rows = [lines.nth(i).bounding_box() for i in range(lines.count())]
    inside = quote.bounding_box()
    assert all(later["y"] >= earlier["y"] + earlier["height"] - 1 for earlier, later in zip(rows, rows[1:], strict=False)), rows
    assert all(row["x"] + row["width"] <= inside["x"] + inside["width"] + 0.5 for row in rows)
    no_sideways_scroll(page)


def test_a_streamed_answers_table_rows_are_a_list_and_its_quoted_table_keeps_its_rows(
        open_as, tables: dict[str, Any]) -> None:  # noqa: F811
    for width in WIDTHS:
        page = open_as("employee@example.com")  # a fresh conversation
        page.route(re.compile(r"/api/v1/twins/dana/ask$"), lambda route: route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body=stream_of(tables)))
        on_phone_or_desktop(page, width)
        ask(page, "Which depots have electric vans today?")
        turn = page.locator(".turn").last
        check_turn(page, turn, width)
        shot(page, f"ask-table-streamed-{width}")
        assert page.js_errors == []


def test_a_reopened_conversation_shows_the_rows_the_same_way(
        open_as, live_server: str, tables: dict[str, Any]) -> None:  # noqa: F811
    page = open_as("employee@example.com")
    for width in WIDTHS:
        on_phone_or_desktop(page, width)
        page.goto(f"{live_server}/ask?twin=dana&conversation={CONVERSATION}")
        turn = page.locator(".turn").first
        check_turn(page, turn, width)
        shot(page, f"ask-table-reopened-{width}")
    assert page.js_errors == []


def test_the_banner_says_ai_twin_once_and_the_phone_header_fits(
        open_as, live_server: str, tables: dict[str, Any]) -> None:  # noqa: F811
    page = open_as(LONG_EMAIL)
    on_phone_or_desktop(page, 390)
    for path, banner in (("/ask?twin=dana", "#disclaimer"), ("/rehearse?twin=dana", "#rehearse-disclaimer")):
        page.goto(live_server + path)
        text = page.locator(banner).inner_text()
        assert text.count("AI twin") == 1 and text.startswith("AI twin of Dana Reyes"), text
        assert page.locator(banner).locator("strong").inner_text() == text  # a notice, in bold
        # "Sign out" on one line, beside the address.
        sign_out = page.get_by_role("button", name="Sign out")
        height = sign_out.bounding_box()["height"]
        line = sign_out.evaluate("b => parseFloat(getComputedStyle(b).lineHeight)")
        assert height < line * 1.5, (height, line)
        no_sideways_scroll(page)
    shot(page, "rehearse-header-390")

    # The picker shows its choice whole; the twin's title is said beneath it.
    for path, label in (("/ask?twin=dana", "Twin"), ("/rehearse?twin=dana", "Rehearse with")):
        page.goto(live_server + path)
        picker = page.get_by_label(label, exact=True)
        fits = picker.evaluate("""s => { const c = document.createElement('canvas').getContext('2d');
            const style = getComputedStyle(s); c.font = style.font;
            const text = c.measureText(s.options[s.selectedIndex].text).width;
            const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
            return [text, room, s.getBoundingClientRect().right]; }""")
        assert fits[0] <= fits[1] and fits[2] <= 390, fits
        assert page.get_by_text(LONG_TITLE, exact=True).is_visible()
    page.get_by_label("Rehearse with").select_option("sam")  # the title said follows the choice
    assert page.locator("#rehearse-twin-title").inner_text() == "CFO"
    page.goto(live_server + "/ask?twin=dana")
    shot(page, "ask-header-390")
    assert page.js_errors == []


def test_the_filters_escape_what_they_render() -> None:
    from service.web.blueprint import answer_html, disclaimer_html, disclaimer_line, quote_html

    assert str(answer_html("Two depots [1]:\n- A <b> — 1\n- B — 2 [2]", "c9")) == (
        '<p class="answer-caption">Two depots <sup class="cite"><a href="#c9-1" aria-label="source 1">[1]</a></sup>:</p>'
        '<ul class="answer-list"><li>A &lt;b&gt; — 1</li><li>B — 2 <sup class="cite"><a href="#c9-2" '
        'aria-label="source 2">[2]</a></sup></li></ul>')
    assert str(answer_html("One line\nand the next")) == "<p>One line\nand the next</p>"
    assert str(answer_html("Said first.\nThe rows:\n- A")) == (
        '<p>Said first.</p><p class="answer-caption">The rows:</p><ul class="answer-list"><li>A</li></ul>')
    assert str(quote_html("A <i> | 1\nSaid plainly.")) == (
        '<span class="quote-line table-row">A &lt;i&gt; <span class="cell-sep">|</span> 1</span>'
        '<span class="quote-line">Said plainly.</span>')
    assert str(disclaimer_html("Built from approved sources; not <b>Dana</b>.")) == (
        "<strong>AI twin.</strong> Built from approved sources; not &lt;b&gt;Dana&lt;/b&gt;.")
    assert str(disclaimer_html("This is an AI twin of <Dana>; not Dana. ")) == (
        "<strong>This is an AI twin of &lt;Dana&gt;; not Dana.</strong>")
    assert disclaimer_line("AI twin of Dana; not Dana.") == "AI twin of Dana; not Dana."
    assert disclaimer_line("Not Dana.") == "AI twin. Not Dana."
