"""Socket Mode (`understudy slack`): the same app over a websocket, for workspaces without inbound access."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from service.config import Settings
from slack_app.app import create_slack_app

log = logging.getLogger("understudy.slack")


def socket_mode_handler(settings: Settings, app: App | None = None) -> SocketModeHandler:
    """A Socket Mode handler for the app-level token; apps.connections.open goes to SLACK_API_URL."""
    if not settings.slack_app_token:
        raise ValueError("Socket Mode needs UNDERSTUDY_SLACK_APP_TOKEN (xapp-…, scope connections:write)")
    if not settings.slack_bot_token:
        raise ValueError("the Slack app needs UNDERSTUDY_SLACK_BOT_TOKEN (xoxb-…)")
    return SocketModeHandler(app or create_slack_app(settings), app_token=settings.slack_app_token)


def run_socket_mode(settings: Settings) -> None:
    """Connect to Slack and handle requests until interrupted."""
    handler = socket_mode_handler(settings)
    log.info("Understudy Slack app connecting in Socket Mode")
    handler.start()
