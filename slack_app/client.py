"""Slack Web API clients that wait out rate limits (429 with Retry-After) and post without unfurling."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from service.config import Settings

log = logging.getLogger("understudy.slack")

RATE_LIMIT_RETRIES = 3
TIMEOUT_S = 30


def _retry_handlers() -> list[Any]:
    return [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]


def api_base_url(settings: Settings) -> str:
    """The Slack Web API base URL from the settings, with the trailing slash the SDK needs."""
    url = settings.slack_api_url or "https://slack.com/api/"
    return url if url.endswith("/") else url + "/"


def make_web_client(settings: Settings) -> WebClient:
    """A WebClient for the bot token at the configured API base, retrying after 429s and dropped connections."""
    return WebClient(token=settings.slack_bot_token or None, base_url=api_base_url(settings), timeout=TIMEOUT_S,
                     retry_handlers=_retry_handlers())


@dataclass(frozen=True)
class Destination:
    """Where a reply goes: a response_url, a channel (perhaps a thread), or one person's view of a channel."""

    channel: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    response_url: str | None = None
    ephemeral: bool = True


class Poster:
    """Posts blocks to a Destination through the Web API or a response_url; returns the message ts if any."""

    def __init__(self, client: WebClient):
        self.client = client

    def post(self, to: Destination, text: str, blocks: list[dict[str, Any]]) -> str | None:
        """Post a message where `to` says; the new message's ts when Slack returns one."""
        if to.response_url:
            self.respond(to.response_url, text=text, blocks=blocks,
                         response_type="ephemeral" if to.ephemeral else "in_channel")
            return None
        if to.ephemeral:
            result = self.client.chat_postEphemeral(channel=to.channel or "", user=to.user or "", text=text,
                                                    blocks=blocks, thread_ts=to.thread_ts)
            return result.get("message_ts")
        result = self.client.chat_postMessage(channel=to.channel or "", text=text, blocks=blocks,
                                              thread_ts=to.thread_ts, unfurl_links=False, unfurl_media=False)
        return result.get("ts")

    def respond(self, response_url: str, **message: Any) -> None:
        """Send a message to a response_url (ephemeral unless said otherwise), never unfurled."""
        body = {"unfurl_links": False, "unfurl_media": False, "replace_original": False, **message}
        body = {k: v for k, v in body.items() if v is not None}
        webhook = WebhookClient(url=response_url, timeout=TIMEOUT_S, retry_handlers=_retry_handlers())
        response = webhook.send_dict(body)
        if response.status_code >= 400:
            log.warning("Slack response_url refused a message: %s %s", response.status_code, response.body)
