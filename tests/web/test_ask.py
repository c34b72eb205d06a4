"""The Ask page picks a twin the asker can get answers from, and says so when a twin has nothing for them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from tests.api.conftest import World, parsed
from tests.web.test_pages import signed_in

NOTHING_TO_SEE = "has no approved sources you can see yet"


def _a_twin_sorted_first_with_only_restricted_sources(session_factory: sessionmaker[Session]) -> None:
    """A consenting twin whose slug sorts before "dana" and whose one approved source is for finance only."""
    with session_factory() as session:
        twin = store.create_twin(session, "abby", "Abby Lund", title="COO")
        store.record_consent(session, "abby", by="Abby Lund", scope="internal questions")
        store.add_source(session, twin, parsed("Budget", "budget.docx", "Our depot budget is confidential to finance."),
                         audience="finance", approve=True)
        session.commit()


def test_the_ask_page_opens_on_a_twin_with_sources_the_asker_can_see(app, client, world: World,
                                                                     session_factory) -> None:
    _a_twin_sorted_first_with_only_restricted_sources(session_factory)
    signed_in(app, client, "employee@example.com")
    html = client.get("/ask").get_data(as_text=True)
    assert "<h1>Ask Dana Reyes</h1>" in html
    assert NOTHING_TO_SEE not in html


def test_a_twin_with_nothing_approved_for_the_asker_says_so_before_they_ask(app, client, world: World,
                                                                            session_factory) -> None:
    _a_twin_sorted_first_with_only_restricted_sources(session_factory)
    signed_in(app, client, "employee@example.com")
    html = client.get("/ask?twin=abby").get_data(as_text=True)
    assert "<h1>Ask Abby Lund</h1>" in html
    assert f"Abby Lund's twin {NOTHING_TO_SEE}" in html
    # Someone who holds the audience sees no such notice.
    finance = app.test_client()
    signed_in(app, finance, "finance@example.com")
    assert NOTHING_TO_SEE not in finance.get("/ask?twin=abby").get_data(as_text=True)


def test_the_home_page_keeps_the_twin_it_was_given(app, client, world: World, session_factory) -> None:
    _a_twin_sorted_first_with_only_restricted_sources(session_factory)
    signed_in(app, client, "finance@example.com")
    response = client.get("/?twin=abby")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ask?twin=abby")


def test_the_rehearse_page_opens_on_a_twin_with_sources_the_asker_can_see(app, client, world: World,
                                                                          session_factory) -> None:
    _a_twin_sorted_first_with_only_restricted_sources(session_factory)
    signed_in(app, client, "employee@example.com")
    html = client.get("/rehearse").get_data(as_text=True)
    assert '<option value="dana" selected>' in html and NOTHING_TO_SEE not in html
    assert f"Abby Lund's twin {NOTHING_TO_SEE}" in client.get("/rehearse?twin=abby").get_data(as_text=True)
