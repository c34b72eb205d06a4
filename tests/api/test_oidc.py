"""Single sign-on: the authorization code flow against a local OpenID provider on port 0."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.wrappers import Request, Response

from tests.api.conftest import World
from tests.support.live_server import serving

CLIENT_ID = "understudy-web"
CLIENT_SECRET = "s3cret"


@dataclass
class Provider:
    """A minimal OpenID provider: discovery, authorize, token and JWKS endpoints."""

    email: str = "employee@example.com"
    email_verified: bool = True
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/.well-known/openid-configuration":
            body: Any = {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                         "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                         "response_types_supported": ["code"], "subject_types_supported": ["public"],
                         "id_token_signing_alg_values_supported": ["RS256"]}
            response = Response(json.dumps(body), mimetype="application/json")
        elif request.path == "/jwks":
            response = Response(json.dumps(KeySet([self.key]).as_dict(private=False)), mimetype="application/json")
        elif request.path == "/authorize":
            args = request.args
            assert args["client_id"] == CLIENT_ID and args["response_type"] == "code"
            code = secrets.token_urlsafe(8)
            self.codes[code] = {"nonce": args.get("nonce"), "redirect_uri": args["redirect_uri"]}
            location = f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args['state']})}"
            response = Response(status=302, headers={"Location": location})
        elif request.path == "/token" and request.method == "POST":
            self.token_requests.append(dict(request.form))
            grant = self.codes.pop(request.form.get("code", ""), None)
            if grant is None:
                response = Response(json.dumps({"error": "invalid_grant"}), status=400, mimetype="application/json")
            else:
                now = int(time.time())
                claims = {"iss": self.issuer, "sub": "user-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                          "nonce": grant["nonce"], "email": self.email, "email_verified": self.email_verified}
                id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
                body = {"access_token": "at-1", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
                response = Response(json.dumps(body), mimetype="application/json")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)


@pytest.fixture
def provider() -> Iterator[Provider]:
    idp = Provider()
    with serving(idp) as server:
        idp.issuer = f"http://127.0.0.1:{server.server_port}"
        yield idp


@pytest.fixture
def sso_app(make_app, provider: Provider):
    return make_app(oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)


def sign_in_via_provider(client: Any) -> Any:
    """Start at the login button, follow the provider's redirect back, return the callback response."""
    import requests

    start = client.get("/auth/oidc/login?next=/curate")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    back = requests.get(authorize, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlparse(back.headers["Location"])
    assert callback.path == "/auth/oidc/callback"
    return client.get(f"{callback.path}?{callback.query}")


def test_the_login_page_offers_single_sign_on(sso_app) -> None:
    html = sso_app.test_client().get("/auth/login").get_data(as_text=True)
    assert "Sign in with single sign-on" in html


def test_a_known_user_signs_in_through_the_provider(sso_app, provider: Provider, world: World) -> None:
    client = sso_app.test_client()
    done = sign_in_via_provider(client)
    assert done.status_code == 302 and done.headers["Location"] == "/curate"
    assert provider.token_requests and provider.token_requests[0]["grant_type"] == "authorization_code"
    twins = client.get("/api/v1/twins")
    assert twins.status_code == 200
    # The employee's session carries the employee's role.
    assert client.get("/api/v1/users").status_code == 403


def test_an_unknown_email_does_not_sign_in(sso_app, provider: Provider, world: World) -> None:
    provider.email = "stranger@example.com"
    client = sso_app.test_client()
    done = sign_in_via_provider(client)
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "no Understudy account" in page
    assert client.get("/api/v1/twins").status_code == 401


def test_an_unverified_email_does_not_sign_in(sso_app, provider: Provider, world: World) -> None:
    provider.email_verified = False
    client = sso_app.test_client()
    sign_in_via_provider(client)
    assert client.get("/api/v1/twins").status_code == 401


def test_a_forged_callback_does_not_sign_in(sso_app, world: World) -> None:
    client = sso_app.test_client()
    client.get("/auth/oidc/login")
    forged = client.get("/auth/oidc/callback?" + urlencode({"code": "made-up", "state": "wrong"}))
    assert forged.status_code == 302
    assert client.get("/api/v1/twins").status_code == 401
    assert "did not complete" in client.get(forged.headers["Location"]).get_data(as_text=True)


def sign_in_with_next(client: Any, nxt: str) -> Any:
    """The OIDC flow started from a login link carrying `next` (sent raw, as an attacker's link would)."""
    import requests

    start = client.get("/auth/oidc/login", query_string={"next": nxt})
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    callback = urlparse(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


# Ways a `next` parameter has been made to leave the site (decoded, as the server receives them).
OPEN_REDIRECTS = [
    "/\t/evil.example",            # ?next=/%09/evil.example: browsers drop the tab and read //evil.example
    "//evil.example",              # protocol-relative
    "///evil.example",
    "/\\evil.example",             # browsers read a backslash as a slash
    "\\/evil.example",
    "/\\/evil.example",
    "/\r\n/evil.example",          # CR LF dropped as the tab is
    "/\x00/evil.example",
    " //evil.example",             # leading space stripped by browsers
    "\t//evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\x7f/evil.example",
]


@pytest.mark.parametrize("nxt", OPEN_REDIRECTS)
def test_sign_in_never_redirects_off_site(sso_app, provider: Provider, world: World, nxt: str) -> None:
    done = sign_in_with_next(sso_app.test_client(), nxt)
    assert done.status_code == 302
    location = done.headers["Location"]
    assert location == "/", location
    assert "evil" not in location and "javascript" not in location


@pytest.mark.parametrize("nxt", ["/curate", "/ask?twin=dana", "/curate/sources/3#passages", "/rehearse/%2F/x"])
def test_sign_in_returns_to_a_path_on_this_site(sso_app, provider: Provider, world: World, nxt: str) -> None:
    assert sign_in_with_next(sso_app.test_client(), nxt).headers["Location"] == nxt


@pytest.mark.parametrize("nxt", OPEN_REDIRECTS)
def test_the_login_page_never_carries_an_off_site_next(sso_app, nxt: str) -> None:
    html = sso_app.test_client().get("/auth/login", query_string={"next": nxt}).get_data(as_text=True)
    assert "evil" not in html and "javascript" not in html
