"""Who is asking: the signed-in user of a request (API token or browser session), their audiences and roles."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import g, redirect, request, session, url_for
from werkzeug.exceptions import Unauthorized

from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import User
from service.errors import Forbidden
from service.http.extension import db, settings

F = TypeVar("F", bound=Callable[..., Any])

# The session's copy of the user's session version: signing out everywhere moves the user's on.
SESSION_VERSION_KEY = "sv"


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if one was sent."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> User | None:
    """The signed-in user of this request: bearer token first, then the browser session."""
    if "current_user" in g:
        return cast("User | None", g.current_user)
    user: User | None = None
    token = bearer_token()
    if token is not None:
        user = store.user_for_token(db(), token)
        g.auth_method = "bearer" if user else "bad_bearer"
    elif session.get("user_id"):
        candidate = db().get(User, int(session["user_id"]))
        if (candidate is not None and candidate.active
                and session.get(SESSION_VERSION_KEY, 0) == (candidate.session_version or 0)):
            user = candidate
            g.auth_method = "session"
        else:
            session.clear()
    g.current_user = user
    return user


def uses_bearer_token() -> bool:
    """Whether this request authenticates with an API token (and so needs no CSRF token)."""
    return bearer_token() is not None


def current_viewer() -> Viewer:
    """The audiences this request's answers and searches may stand on."""
    return store.viewer_for(current_user(), settings().default_audience)


def require_audience(*audiences: str) -> None:
    """Forbidden unless the user holds every one of these audiences, whatever their role (admins grant themselves)."""
    viewer = current_viewer()
    missing = sorted({a for a in audiences if not viewer.sees(a)})
    if missing:
        raise Forbidden(f"this needs the {', '.join(missing)} audience; an admin can grant it to you (audited)")


def actor() -> str:
    """The e-mail recorded in the audit log for this request's changes."""
    user = current_user()
    return user.email if user else store.SYSTEM_ACTOR


def has_role(role: str) -> bool:
    """Whether the signed-in user has at least this role."""
    user = current_user()
    return user is not None and store.viewer_for(user).may(role)


def api_role(role: str) -> Callable[[F], F]:
    """Require a signed-in user with at least `role` for an API view (401 / 403 JSON otherwise)."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                raise Unauthorized("sign in or send a valid API token (Authorization: Bearer …)")
            if not store.viewer_for(user).may(role):
                raise Forbidden(f"this needs the {role} role")
            return view(*args, **kwargs)
        return cast(F, wrapped)
    return decorate


def page_role(role: str) -> Callable[[F], F]:
    """Require a signed-in user with at least `role` for a page (sign-in redirect / 403 page otherwise)."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not store.viewer_for(user).may(role):
                raise Forbidden(f"this page needs the {role} role")
            return view(*args, **kwargs)
        return cast(F, wrapped)
    return decorate
