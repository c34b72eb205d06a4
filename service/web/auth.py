"""Signing in to the pages: OIDC single sign-on or a one-time development link, and signing out."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from typing import Any, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from service.config import Settings
from service.corpus import store
from service.corpus.models import AuditEvent, User
from service.http.auth import SESSION_VERSION_KEY, current_user
from service.http.extension import commit, db, extension, settings

log = logging.getLogger(__name__)

DEV_LOGIN_SALT = "understudy-dev-login"
DEV_LOGIN_MAX_AGE_S = 15 * 60
DEV_LOGIN_ACTION = "auth.dev_login"

# What browsers drop or treat as a slash inside a URL: ASCII control characters (tab, CR, LF…) and backslashes.
URL_NOISE_RE = re.compile(r"[\x00-\x1f\x7f\\]")

auth_bp = Blueprint("auth", __name__, url_prefix="/auth")


# --- signing in ------------------------------------------------------------------------------------

def sign_in(user: User) -> None:
    """Start a browser session for this user (a fresh session, against fixation)."""
    session.clear()
    session["user_id"] = user.id
    session[SESSION_VERSION_KEY] = user.session_version or 0
    session.permanent = True
    g.current_user = user


def safe_next(target: str | None) -> str:
    """A same-origin path to go to after sign-in, or "" for anything else (another host, a scheme, tricks)."""
    value = (target or "").strip()
    if not value or URL_NOISE_RE.search(value):
        return ""  # a tab or backslash is how `/%09/evil.example` and `/\\evil.example` become another host
    if not value.startswith("/") or value.startswith("//"):
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return ""
    return value


# --- development sign-in ---------------------------------------------------------------------------

def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=DEV_LOGIN_SALT)


def make_dev_login_link(app_or_settings: Flask | Settings, email: str) -> str:
    """A one-time sign-in path (`/auth/dev/<token>`) for this user, valid for 15 minutes."""
    if isinstance(app_or_settings, Flask):
        secret = str(app_or_settings.config["SECRET_KEY"])
    else:
        if not app_or_settings.secret_key:
            raise ValueError("a dev sign-in link needs UNDERSTUDY_SECRET_KEY shared with the server")
        secret = str(app_or_settings.secret_key)
    token = _serializer(secret).dumps({"email": email.strip().lower(), "nonce": secrets.token_urlsafe(16)})
    return f"/auth/dev/{token}"


def dev_login_enabled(cfg: Settings) -> bool:
    """The development sign-in works only when no OIDC issuer is configured."""
    return cfg.dev_login and not cfg.oidc_issuer


def _nonce_used(email: str, nonce: str) -> bool:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=DEV_LOGIN_MAX_AGE_S * 2)
    rows = db().scalars(select(AuditEvent.detail).where(
        AuditEvent.action == DEV_LOGIN_ACTION, AuditEvent.actor == email, AuditEvent.at >= since))
    return any((detail or {}).get("nonce") == nonce for detail in rows)


@auth_bp.get("/dev/<token>")
def dev_login(token: str) -> WerkzeugResponse:
    """Consume a one-time development sign-in link."""
    if not dev_login_enabled(settings()):
        abort(404)
    try:
        data = _serializer(str(current_app.config["SECRET_KEY"])).loads(token, max_age=DEV_LOGIN_MAX_AGE_S)
    except SignatureExpired:
        return _login_failed("This sign-in link has expired. Ask for a new one.")
    except BadSignature:
        return _login_failed("This sign-in link is not valid.")
    email, nonce = str(data.get("email", "")), str(data.get("nonce", ""))
    if not nonce or _nonce_used(email, nonce):
        return _login_failed("This sign-in link has already been used. Ask for a new one.")
    user = store.find_user(db(), email)
    if user is None or not user.active:
        return _login_failed("No active user has this e-mail address.")
    store.record_audit(db(), email, DEV_LOGIN_ACTION, object_type="user", object_id=user.id, detail={"nonce": nonce})
    commit()
    sign_in(user)
    return redirect(url_for("web.home"))


def _login_failed(message: str) -> WerkzeugResponse:
    flash(message, "error")
    return redirect(url_for("auth.login"))


# --- single sign-on --------------------------------------------------------------------------------

def init_oidc(app: Flask, cfg: Settings) -> None:
    """Register the OIDC client (discovery from the issuer) when an issuer is configured."""
    if not cfg.oidc_issuer:
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    oauth.register(
        name="oidc",
        client_id=cfg.oidc_client_id,
        client_secret=cfg.oidc_client_secret,
        server_metadata_url=cfg.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )
    app.extensions["understudy_oauth"] = oauth


def _oidc_client() -> Any:
    oauth = current_app.extensions.get("understudy_oauth")
    if oauth is None:
        abort(404)
    return oauth.oidc


@auth_bp.get("/oidc/login")
def oidc_login() -> WerkzeugResponse:
    """Send the browser to the identity provider."""
    client = _oidc_client()
    session["login_next"] = safe_next(request.args.get("next"))
    return cast(WerkzeugResponse, client.authorize_redirect(url_for("auth.oidc_callback", _external=True)))


@auth_bp.get("/oidc/callback")
def oidc_callback() -> WerkzeugResponse:
    """Finish the authorization code flow and sign in the user with that e-mail."""
    client = _oidc_client()
    try:
        token = client.authorize_access_token()
    except Exception as exc:  # noqa: BLE001 - any failure of the provider exchange is a failed sign-in
        log.warning("OIDC sign-in failed: %s", exc)
        return _login_failed("Single sign-on did not complete. Please try again.")
    claims = token.get("userinfo") or client.userinfo(token=token)
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is False:
        return _login_failed("Your identity provider did not confirm an e-mail address.")
    user = store.find_user(db(), email)
    if user is None or not user.active:
        return _login_failed(f"{email} has no Understudy account. Ask an administrator to add you.")
    store.record_audit(db(), email, "auth.sso_login", object_type="user", object_id=user.id)
    commit()
    nxt = safe_next(session.pop("login_next", "")) or url_for("web.home")
    sign_in(user)
    return redirect(nxt)


# --- pages -----------------------------------------------------------------------------------------

@auth_bp.get("/login")
def login() -> Any:
    """The sign-in page: single sign-on, or how to get a development link."""
    cfg = extension().settings
    if current_user() is not None:
        return redirect(url_for("web.home"))
    return render_template("login.html", oidc=bool(cfg.oidc_issuer), dev_login=dev_login_enabled(cfg),
                           next=safe_next(request.args.get("next")))


@auth_bp.post("/logout")
def logout() -> WerkzeugResponse:
    """End the browser session, and with it every saved copy of its cookie (the user's session version moves on)."""
    user = current_user() if session.get("user_id") else None
    if user is not None and g.get("auth_method") == "session":
        store.end_sessions(db(), user)
        commit()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
