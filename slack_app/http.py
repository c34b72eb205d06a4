"""HTTP mode: the Slack app mounted on a Flask app at POST /slack/events (signed requests only)."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from flask import Flask, request
from flask.typing import ResponseReturnValue
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.http.limits import LIMITER_KEY
from slack_app.app import create_slack_app

log = logging.getLogger("understudy.slack")

EVENTS_PATH = "/slack/events"
EXTENSION_KEY = "understudy_slack"


def init_slack(app: Flask, settings: Settings | None = None, *, client: WebClient | None = None,
               session_factory: sessionmaker[Session] | None = None, executor: Executor | None = None) -> App | None:
    """Mount POST /slack/events when a bot token and signing secret are set; returns the bolt App, else None.

    Settings and the session factory default to the app's Understudy extension (service.http.extension).
    """
    understudy = app.extensions.get("understudy")
    settings = settings or (understudy.settings if understudy is not None else None)
    if settings is None:
        raise ValueError("init_slack needs settings (or an app with the Understudy extension)")
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        log.info("Slack HTTP mode is off: set UNDERSTUDY_SLACK_BOT_TOKEN and UNDERSTUDY_SLACK_SIGNING_SECRET")
        return None
    if session_factory is None and understudy is not None:
        session_factory = understudy.session_factory
    bolt = create_slack_app(settings, client=client, session_factory=session_factory, executor=executor,
                            limiter=app.extensions.get(LIMITER_KEY))
    handler = SlackRequestHandler(bolt)

    def slack_events() -> ResponseReturnValue:
        """Slack's events, commands and interactions; bolt checks the signature and the timestamp (401)."""
        return handler.handle(request)

    if "slack_events" in app.view_functions:
        # Mounted already (create_app does it from settings): the newer bolt App, client or executor wins.
        app.view_functions["slack_events"] = slack_events
    else:
        app.add_url_rule(EVENTS_PATH, endpoint="slack_events", view_func=slack_events, methods=["POST"])
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(slack_events)  # Slack signs its requests; a CSRF token cannot come with them
    app.extensions[EXTENSION_KEY] = bolt
    return bolt
