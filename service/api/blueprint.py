"""The /api/v1 blueprint every JSON resource module registers on, and the OpenAPI document of its views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import flask
from flask import Blueprint, current_app, request, session
from flask_wtf.csrf import CSRFProtect
from spectree import Response as Resp
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from spectree.plugins.flask_plugin import FlaskPlugin
from werkzeug.exceptions import UnsupportedMediaType

from service.api import schemas as s
from service.errors import BadInput
from service.http.auth import uses_bearer_token

F = TypeVar("F", bound=Callable[..., Any])

JSON_MIMETYPE = "application/json"
MULTIPART_MIMETYPE = "multipart/form-data"


class StreamingFlaskPlugin(FlaskPlugin):
    """Spectree's Flask plugin, but a streamed response (SSE) passes through unread."""

    def validate_response(self, resp: Any, resp_model: Any, skip_validation: bool,
                          force_resp_serialize: bool) -> Any:
        if isinstance(resp, flask.Response) and resp.is_streamed:
            return resp, None
        return super().validate_response(resp, resp_model, skip_validation, force_resp_serialize)


def _describe_validation_error(err: Exception) -> str:
    errors = getattr(err, "errors", None)
    if not callable(errors):
        return str(err)
    parts = []
    for item in errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "__root__") or "body"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def _before_view(_req: Any, _resp: Any, err: Exception | None, _instance: Any, _adapter: Any) -> None:
    """Turn a request validation failure into the API's 400 JSON error."""
    if err is not None:
        raise BadInput(_describe_validation_error(err))


spec = SpecTree(
    backend=StreamingFlaskPlugin,
    title="Understudy API",
    version="1",
    description="Ask an executive twin, curate its sources, and administer users and twins. "
                "Authenticate with `Authorization: Bearer <token>` (from `understudy users add`).",
    mode="strict",
    naming_strategy=lambda model: model.__name__,
    before=_before_view,
    validation_error_status=400,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))],
    security={"bearer": []},
    page_templates={},
)

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")


def accepts(*mimetypes: str) -> Callable[[F], F]:
    """Declare the body types a view takes; any other non-empty body gets 415."""
    def decorate(view: F) -> F:
        view._accepts = frozenset(mimetypes)  # type: ignore[attr-defined]
        return view
    return decorate


def body_kinds(view: Callable[..., Any]) -> frozenset[str] | None:
    """The body types a view declared with @accepts (None: not declared)."""
    return getattr(view, "_accepts", None)


@api_bp.before_request
def _check_body_and_csrf() -> None:
    """415 for a body of the wrong type, 400 for broken JSON, CSRF for browser-session writes."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if not uses_bearer_token() and session.get("user_id"):
        csrf: CSRFProtect = current_app.extensions["csrf"]
        csrf.protect()
    view = current_app.view_functions.get(request.endpoint or "")
    kinds = body_kinds(view) if view else None
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
    if kinds is None or not has_body:
        return
    if request.mimetype not in kinds:
        raise UnsupportedMediaType(f"send the body as {' or '.join(sorted(kinds))}")
    if request.mimetype == JSON_MIMETYPE and _parsed_json() is None:
        raise BadInput("the body is not valid JSON")


def _parsed_json() -> Any:
    """The request's JSON body, or None when it is not JSON or nests too deep for the parser (never a 500)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise BadInput("the body is not valid JSON: it nests too deeply") from None


def responses(ok: type, *codes: int, status: int = 200) -> Resp:
    """The documented responses of a view: its body and the errors it can give."""
    errors = {f"HTTP_{c}": s.ErrorBody for c in (400, 401, 403, 404, 429, *codes)}
    return Resp(**{f"HTTP_{status}": ok}, **errors)
