"""The slack-bolt App: thin listeners that acknowledge at once and leave the work to lazy functions (handlers/)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.corpus import store
from service.db import make_engine, make_session_factory, session_scope
from service.ops.ratelimit import AskLimiter
from slack_app.client import make_web_client
from slack_app.handlers import ask, buttons, rehearse
from slack_app.handlers.base import SlackContext
from slack_app.identity import check_policy

log = logging.getLogger("understudy.slack")

# Answers may wait on a model for LLM_TIMEOUT; enough workers that a modal's trigger (valid 3 s) never queues long.
LAZY_WORKERS = 16


def create_slack_app(settings: Settings, client: WebClient | None = None,
                     session_factory: sessionmaker[Session] | None = None, *,
                     executor: Executor | None = None, limiter: AskLimiter | None = None) -> App:
    """The Understudy Slack app over one database; `client` defaults to the bot token at SLACK_API_URL."""
    check_policy(settings)
    client = client or make_web_client(settings)
    sessions = session_factory or make_session_factory(make_engine(settings.database_url))
    context = SlackContext(settings, sessions, client, limiter)
    executor = executor or ThreadPoolExecutor(max_workers=LAZY_WORKERS, thread_name_prefix="understudy-slack")
    # process_before_response: each ack is the HTTP response itself, decided before any slow work; the work
    # runs in lazy listeners on the executor, so it behaves the same behind gunicorn and in Socket Mode.
    app = App(name="understudy", client=client, signing_secret=settings.slack_signing_secret or "",
              process_before_response=True, token_verification_enabled=False, listener_executor=executor)

    @app.middleware
    def drop_retried_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        """Acknowledge an event id seen before (Slack retrying) without handling it again."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with session_scope(sessions) as s:
                first = store.claim_slack_event(s, str(event_id))
            if not first:
                log.info("dropping Slack retry of event %s", event_id)
                return BoltResponse(status=200, body="")
        next()
        return None

    for handlers in (ask, rehearse, buttons):
        handlers.register(app, context)
    return app
