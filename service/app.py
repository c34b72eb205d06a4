"""create_app(config): the composition root of the web process."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response as WerkzeugResponse

from ingestion.model import IngestError
from service.config import Settings, load_settings
from service.errors import UnderstudyError
from service.http.extension import Understudy, extension
from service.http.limits import init_limits
from service.ingest import ingest_error_status
from service.migrate import head_revision
from service.ops import metrics
from service.ops.health import check_readiness
from service.ops.logs import configure_logging
from service.ops.ratelimit import RateLimited
from service.twin import profile_jobs

log = logging.getLogger("understudy.web")

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              429: "rate_limited", 500: "internal", 503: "unavailable"}
JSON_PATHS = ("/api/", "/healthz", "/readyz", "/openapi.json")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "font-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
])


class RowIdConverter(IntegerConverter):
    """`<int:…>` for database ids: a number beyond any id is no route (404), never an overflow (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


# The largest id a 32-bit PostgreSQL integer column holds; SQLite's range is wider.
MAX_ROW_ID = 2**31 - 1


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """The Understudy web service: JSON API, pages and sign-in over one database."""
    cfg = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.url_map.converters["int"] = RowIdConverter
    _configure(app, cfg)
    Understudy(cfg, app)
    # Style profiles are rebuilt in a background thread after approvals, so no request ever waits for one.
    profile_jobs.set_mode(extension(app).engine, "background")

    csrf = CSRFProtect(app)
    # Every view that asks the twin or rehearses with it is marked @asking: one per-user allowance for all.
    init_limits(app, cfg)

    from service.api import api_bp, spec
    from service.web import auth_bp, web_bp
    from service.web.auth import init_oidc

    csrf.exempt(api_bp)  # the API checks CSRF itself, only for browser-session writes
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(web_bp)
    init_oidc(app, cfg)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        """Liveness and database reachability."""
        try:
            with extension().engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
            log.warning("health check: database unreachable: %s", exc)
            return jsonify({"status": "unavailable", "database": "unreachable"}), 503
        return jsonify({"status": "ok", "database": "ok"})

    head = head_revision()

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        """Readiness: the database answers and is migrated to head; Redis answers when configured."""
        result = check_readiness(extension().engine, head=head, redis_url=cfg.redis_url)
        return jsonify(result.to_dict()), 200 if result.ready else 503

    @app.get("/metrics")
    def metrics_endpoint() -> ResponseReturnValue:
        """Prometheus metrics of every worker of this replica (and ingestion jobs by status)."""
        body, content_type = metrics.render(_count_jobs)
        return WerkzeugResponse(body, mimetype=None, content_type=content_type)

    @app.get("/openapi.json")
    def openapi() -> ResponseReturnValue:
        """The OpenAPI document of /api/v1, generated from the views and their models."""
        return jsonify(spec.spec)

    from slack_app.http import init_slack

    init_slack(app, cfg)  # POST /slack/events, only when the Slack token and signing secret are set
    _register_hooks(app)
    _register_error_handlers(app)
    return app


def _configure(app: Flask, cfg: Settings) -> None:
    secret = cfg.secret_key
    if not secret:
        log.warning("UNDERSTUDY_SECRET_KEY is not set: using a random key; sessions end when the process does "
                    "and are not shared between workers")
        secret = secrets.token_urlsafe(32)
    app.config.update(
        SECRET_KEY=secret,
        MAX_CONTENT_LENGTH=cfg.max_file_bytes,
        SESSION_COOKIE_NAME="understudy_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cfg.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=["X-CSRFToken", "X-CSRF-Token"],
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logging.getLogger("understudy").setLevel(cfg.log_level.upper())
    configure_logging(cfg.log_format, cfg.log_level)


def _count_jobs() -> dict[str, int]:
    from service.corpus import store

    with extension().session_factory() as session:
        return store.ingestion_jobs_by_status(session)


def _register_hooks(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex[:16]
        g.request_timer = metrics.Timer()

    @app.after_request
    def _security_headers(response: WerkzeugResponse) -> WerkzeugResponse:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "request_id" in g:
            headers["X-Request-ID"] = g.request_id
        _count_request(response)
        if request.path.startswith("/api/") or request.endpoint not in (None, "static"):
            headers.setdefault("Cache-Control", "no-store")
        return response


def _count_request(response: WerkzeugResponse) -> None:
    """Count the request in the metrics; a stream once its last byte is sent."""
    timer = g.get("request_timer")
    if timer is None:
        return
    rule = request.url_rule.rule if request.url_rule is not None else None
    labels = (metrics.route_label(rule, request.endpoint), request.method, response.status_code)
    if response.is_streamed:
        response.call_on_close(lambda: metrics.observe_request(*labels, timer.elapsed()))
    else:
        metrics.observe_request(*labels, timer.elapsed())


def wants_json() -> bool:
    """Errors on the API (and machine endpoints) are JSON; pages get an HTML error page."""
    return request.path.startswith(JSON_PATHS) or request.accept_mimetypes.best == "application/json"


def _error_response(status: int, code: str, message: str, **extra: Any) -> ResponseReturnValue:
    request_id = g.get("request_id")
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message, **extra}
        if request_id:
            body["request_id"] = request_id
        return jsonify({"error": body}), status
    if status == 401:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return render_template("error.html", status=status, code=code, message=message,
                           request_id=request_id), status


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(UnderstudyError)
    def _domain_error(exc: UnderstudyError) -> ResponseReturnValue:
        response = _error_response(exc.status, exc.code, exc.message)
        if isinstance(exc, RateLimited):
            limited = app.make_response(response)
            limited.headers["Retry-After"] = str(exc.retry_after)
            return limited
        return response

    @app.errorhandler(IngestError)
    def _ingest_error(exc: IngestError) -> ResponseReturnValue:
        return _error_response(ingest_error_status(exc.code), exc.code, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return _error_response(400, "csrf_failed", f"{exc.description} Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        if status == 413:
            limit_mb = app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
            message = f"the upload is larger than the {limit_mb:g} MB limit"
        elif status == 429:
            message = f"too many requests ({exc.description}); wait a little and try again"
        else:
            message = exc.description or HTTP_CODES.get(status, "error")
        response = _error_response(status, HTTP_CODES.get(status, "http_error"), message)
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            allowed = app.make_response(response)
            allowed.headers["Allow"] = ", ".join(valid_methods)
            return allowed
        return response

    @app.errorhandler(DataError)
    def _unstorable_value(exc: DataError) -> ResponseReturnValue:
        # PostgreSQL refuses values SQLite keeps (a NUL character, an over-long string): the input's fault.
        log.info("value the database cannot store (request %s): %s", g.get("request_id"), exc.orig)
        return _error_response(400, "bad_request", "the request holds a value that cannot be stored (for example "
                                                   "a NUL character)")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc: Exception) -> ResponseReturnValue:
        log.warning("database unavailable (request %s) on %s %s: %s", g.get("request_id"), request.method,
                    request.path, exc)
        response = app.make_response(_error_response(503, "unavailable", "the database is unavailable; try again "
                                                                         "in a moment"))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unexpected error (request %s) on %s %s", g.get("request_id"), request.method, request.path)
        return _error_response(500, "internal", "something went wrong on our side; quote the request id if you "
                                               "report it")
