"""Sign-in: one-time development links, browser sessions with CSRF, secure cookies."""

from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from service.web.auth import DEV_LOGIN_SALT, make_dev_login_link
from tests.api.conftest import World, error_of

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def sign_in(app, client, email: str) -> str:
    """Follow a dev link; return the CSRF token of the page it lands on."""
    response = client.get(make_dev_login_link(app, email), follow_redirects=True)
    assert response.status_code == 200
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, "the page carries a CSRF token"
    return match.group(1)


def test_a_dev_link_signs_in_once(app, client, world: World) -> None:
    link = make_dev_login_link(app, "employee@example.com")
    assert link.startswith("/auth/dev/")
    first = client.get(link)
    assert first.status_code == 302
    assert client.get("/api/v1/twins").status_code == 200  # the browser session works on the API
    client.post("/auth/logout", data={"csrf_token": sign_in(app, client, "employee@example.com")})
    other = app.test_client()
    reused = other.get(link, follow_redirects=True)
    assert "already been used" in reused.get_data(as_text=True)
    assert other.get("/api/v1/twins").status_code == 401


def test_a_tampered_or_expired_link_does_not_sign_in(app, world: World) -> None:
    client = app.test_client()
    link = make_dev_login_link(app, "admin@example.com")
    tampered = client.get(link[:-3] + "abc", follow_redirects=True)
    assert "not valid" in tampered.get_data(as_text=True)
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=DEV_LOGIN_SALT)
    expired_token = old.dumps({"email": "admin@example.com", "nonce": "n1"})
    import time as time_module

    real_time = time_module.time
    try:
        time_module.time = lambda: real_time() + 3600  # type: ignore[assignment]
        expired = client.get(f"/auth/dev/{expired_token}", follow_redirects=True)
    finally:
        time_module.time = real_time  # type: ignore[assignment]
    assert "expired" in expired.get_data(as_text=True)
    assert client.get("/api/v1/twins").status_code == 401


def test_a_link_for_an_unknown_or_inactive_user_does_not_sign_in(app, client, world: World) -> None:
    unknown = client.get(make_dev_login_link(app, "stranger@example.com"), follow_redirects=True)
    assert "No active user" in unknown.get_data(as_text=True)
    assert client.get("/api/v1/twins").status_code == 401


def test_dev_links_are_off_when_single_sign_on_is_configured(make_app, world: World) -> None:
    app = make_app(oidc_issuer="http://127.0.0.1:9/", oidc_client_id="x", oidc_client_secret="y")
    response = app.test_client().get(make_dev_login_link(app, "admin@example.com"))
    assert response.status_code == 404


def test_session_cookie_is_httponly_samesite_and_secure_outside_development(make_app, world: World) -> None:
    app = make_app(secure_cookies=True)
    response = app.test_client().get(make_dev_login_link(app, "employee@example.com"),
                                     base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Strict-Transport-Security" in response.headers


def test_browser_session_writes_to_the_api_need_the_csrf_header(app, client, world: World) -> None:
    token = sign_in(app, client, "admin@example.com")
    refused = client.post("/api/v1/twins/dana/pause")
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "csrf_failed"
    accepted = client.post("/api/v1/twins/dana/pause", headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.get_json()["paused"] is True


def test_bearer_clients_need_no_csrf_token(client, world: World) -> None:
    response = client.post("/api/v1/twins/dana/pause", headers=world.people["admin"].headers)
    assert response.status_code == 200


@pytest.mark.parametrize("path, data", [("/auth/logout", {}), ("/admin/twins", {"slug": "x", "name": "X"})])
def test_forms_without_a_csrf_token_are_refused(app, client, world: World, path, data) -> None:
    sign_in(app, client, "admin@example.com")
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/api/v1/twins").status_code == 200  # still signed in


def test_signing_out_ends_the_session(app, client, world: World) -> None:
    token = sign_in(app, client, "curator@example.com")
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/api/v1/twins").status_code == 401


def test_a_saved_cookie_stops_working_after_signing_out(app, client, world: World) -> None:
    token = sign_in(app, client, "admin@example.com")
    saved = client.get_cookie("understudy_session")
    assert saved is not None and client.get("/api/v1/users").status_code == 200
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("understudy_session", saved.value)
    assert replay.get("/api/v1/users").status_code == 401
    assert replay.get("/admin").status_code == 302  # back to sign-in
    again = app.test_client()
    sign_in(app, again, "admin@example.com")  # signing in again works, with a fresh session
    assert again.get("/api/v1/users").status_code == 200


def test_signing_out_is_in_the_audit_log(app, client, world: World) -> None:
    token = sign_in(app, client, "curator@example.com")
    client.post("/auth/logout", data={"csrf_token": token})
    events = app.test_client().get("/api/v1/audit", headers=world.people["admin"].headers).get_json()["events"]
    assert any(e["action"] == "auth.logout" and e["actor"] == "curator@example.com" for e in events)


def test_pages_send_strangers_to_sign_in(client) -> None:
    response = client.get("/curate")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
