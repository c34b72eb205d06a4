"""The one way a view spends from the per-user allowance for asking and rehearsing: the `asking` decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response as WerkzeugResponse

from service.config import Settings
from service.http.auth import current_user
from service.ops.ratelimit import AskLimiter, ask_limiter, user_key

F = TypeVar("F", bound=Callable[..., Any])

# Slack in HTTP mode finds the web app's limiter here, so asking in Slack spends from the same allowance.
LIMITER_KEY = "understudy_ask_limiter"


def init_limits(app: Flask, settings: Settings) -> AskLimiter:
    """Give the app its limiter and send each spend's allowance in X-RateLimit-* headers."""
    limiter = ask_limiter(settings)
    app.extensions[LIMITER_KEY] = limiter
    app.after_request(_rate_headers)
    return limiter


def rate_limit_key() -> str:
    """Rate limits count per signed-in user, else per client address."""
    try:
        user = current_user()
    except Exception:  # noqa: BLE001 - a broken database must not hide the rate limit
        user = None
    return user_key(user.id if user is not None else None, f"ip:{request.remote_addr or 'unknown'}")


def asking(view: F) -> F:
    """`view` spending from the per-user allowance on every POST, before anything else (even validation).

    Put it right under the route decorator, so it wraps the role check and the body validation too."""
    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            limiter: AskLimiter = current_app.extensions[LIMITER_KEY]
            g.rate_allowance = limiter.check(rate_limit_key())
        return view(*args, **kwargs)
    return cast(F, limited)


def _rate_headers(response: WerkzeugResponse) -> WerkzeugResponse:
    allowance = g.get("rate_allowance")
    if allowance is not None:
        response.headers.setdefault("X-RateLimit-Limit", str(allowance.limit))
        response.headers.setdefault("X-RateLimit-Remaining", str(allowance.remaining))
        response.headers.setdefault("X-RateLimit-Reset", str(allowance.reset_in))
    return response
