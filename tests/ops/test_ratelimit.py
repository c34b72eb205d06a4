"""One per-user allowance for asking and rehearsing: the API, the no-JavaScript pages and Slack spend from it."""

from __future__ import annotations

import re

from service.ops.ratelimit import AskLimiter, RateLimited
from service.web.auth import make_dev_login_link
from tests.api.conftest import World, error_of

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
QUESTION = "Why did you choose cold chain?"
# The form answers with the page, or redirects to it (post/redirect/get) with the answer in the conversation.
ANSWERED = (200, 302, 303)
PITCH = "Proposal: a second night shift at the depot. We ask you to approve an overtime budget by May."


def signed_in(app, email: str):
    client = app.test_client()
    page = client.get(make_dev_login_link(app, email), follow_redirects=True)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match
    return client, match.group(1)


def test_the_form_and_the_api_spend_from_one_allowance(make_app, world: World) -> None:
    app = make_app(ratelimit_ask="3/minute")
    browser, csrf = signed_in(app, "employee@example.com")
    api = app.test_client()
    headers = world.people["employee"].headers
    assert api.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers).status_code == 200
    form = {"twin": "dana", "question": QUESTION, "csrf_token": csrf}
    assert browser.post("/ask", data=form).status_code in ANSWERED
    assert api.post("/api/v1/twins/dana/rehearsals", json={"pitch": PITCH}, headers=headers).status_code == 201
    refused = browser.post("/ask", data=form)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "too many requests" in refused.get_data(as_text=True)
    limited = api.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers)
    assert limited.status_code == 429 and error_of(limited)["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    # Someone else still has their own allowance, on the form too.
    other, other_csrf = signed_in(app, "curator@example.com")
    assert other.post("/ask", data={**form, "csrf_token": other_csrf}).status_code in ANSWERED


def test_a_flood_through_the_form_is_refused(make_app, world: World) -> None:
    app = make_app(ratelimit_ask="10/minute")
    browser, csrf = signed_in(app, "employee@example.com")
    form = {"twin": "dana", "question": QUESTION, "csrf_token": csrf}
    statuses = [browser.post("/ask", data=form).status_code for _ in range(30)]
    assert len([s for s in statuses if s in ANSWERED]) == 10 and statuses.count(429) == 20


def test_rehearsal_rounds_on_the_page_spend_from_the_allowance(make_app, world: World) -> None:
    app = make_app(ratelimit_ask="1/minute")
    browser, csrf = signed_in(app, "employee@example.com")
    first = browser.post("/rehearse", data={"twin": "dana", "pitch": PITCH, "csrf_token": csrf})
    assert first.status_code in (200, 302)
    again = browser.post("/rehearse", data={"twin": "dana", "pitch": PITCH, "csrf_token": csrf})
    assert again.status_code == 429


def test_the_limiter_says_when_to_come_back() -> None:
    limiter = AskLimiter("2/minute")
    assert limiter.check("user:1").remaining == 1
    assert limiter.check("user:1").remaining == 0
    try:
        limiter.check("user:1")
    except RateLimited as exc:
        assert 1 <= exc.retry_after <= 60 and exc.status == 429
    else:
        raise AssertionError("the third request was allowed")
    assert limiter.check("user:2").allowed
