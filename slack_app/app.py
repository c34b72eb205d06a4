"""The slack-bolt App: thin listeners that acknowledge at once and leave the work to lazy functions (flows.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.corpus import store
from service.db import make_engine, make_session_factory, session_scope
from service.ops.ratelimit import AskLimiter
from slack_app import blocks as ui
from slack_app.client import make_web_client
from slack_app.flows import Flows, pitch_errors
from slack_app.identity import check_policy

log = logging.getLogger("understudy.slack")

THINKING = "_Thinking…_"
# Answers may wait on a model for LLM_TIMEOUT; enough workers that a modal's trigger (valid 3 s) never queues long.
LAZY_WORKERS = 16


def is_person_in_dm(event: dict[str, Any]) -> bool:
    """A message a person wrote (or a file they shared) in a direct message with the app."""
    return (event.get("channel_type") == "im" and bool(event.get("user")) and not event.get("bot_id")
            and event.get("subtype") in (None, "file_share"))


def create_slack_app(settings: Settings, client: WebClient | None = None,
                     session_factory: sessionmaker[Session] | None = None, *,
                     executor: Executor | None = None, limiter: AskLimiter | None = None) -> App:
    """The Understudy Slack app over one database; `client` defaults to the bot token at SLACK_API_URL."""
    check_policy(settings)
    client = client or make_web_client(settings)
    sessions = session_factory or make_session_factory(make_engine(settings.database_url))
    flows = Flows(settings, sessions, client, limiter)
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

    def ack_now(ack: Ack) -> None:
        ack()

    def ack_twin(ack: Ack, body: dict[str, Any]) -> None:
        words = (body.get("text") or "").split()
        if words and words[0].lower() not in ("config", "help"):
            ack(THINKING)
        else:
            ack()

    def ack_pitch(ack: Ack, view: dict[str, Any]) -> None:
        errors = pitch_errors(view, settings)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def answer_twin_command(body: dict[str, Any]) -> None:
        flows.twin_command(body)

    def open_rehearse_modal(body: dict[str, Any]) -> None:
        flows.rehearse_command(body)

    def answer_mention(body: dict[str, Any], context: BoltContext) -> None:
        flows.mention(body, context.bot_user_id)

    def answer_direct_message(body: dict[str, Any]) -> None:
        flows.direct_message(body)

    def share_answer(body: dict[str, Any]) -> None:
        flows.share_answer(body)

    def show_sources(body: dict[str, Any]) -> None:
        flows.show_sources(body)

    def record_helpful(body: dict[str, Any]) -> None:
        flows.feedback(body, helpful=True)

    def record_not_helpful(body: dict[str, Any]) -> None:
        flows.feedback(body, helpful=False)

    def record_reason(body: dict[str, Any]) -> None:
        flows.feedback_reason(body)

    def rehearse_pitch(body: dict[str, Any]) -> None:
        flows.rehearse_submission(body)

    app.command("/twin")(ack=ack_twin, lazy=[answer_twin_command])
    app.command("/rehearse")(ack=ack_now, lazy=[open_rehearse_modal])
    app.event("app_mention")(ack=ack_now, lazy=[answer_mention])
    app.event("message", matchers=[is_person_in_dm])(ack=ack_now, lazy=[answer_direct_message])
    app.event("message")(ack_now)  # every other message event (edits, bots, channels): nothing to do
    app.action(ui.SHARE_ACTION)(ack=ack_now, lazy=[share_answer])
    app.action(ui.SOURCES_ACTION)(ack=ack_now, lazy=[show_sources])
    app.action(ui.HELPFUL_ACTION)(ack=ack_now, lazy=[record_helpful])
    app.action(ui.NOT_HELPFUL_ACTION)(ack=ack_now, lazy=[record_not_helpful])
    app.view(ui.FEEDBACK_VIEW)(ack=ack_now, lazy=[record_reason])
    app.view(ui.REHEARSE_VIEW)(ack=ack_pitch, lazy=[rehearse_pitch])
    return app
