"""Socket Mode: the same app over a websocket (apps.connections.open on the fake Web API, then a local
websocket server delivering envelopes and reading the acks)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from slack_app.app import create_slack_app
from slack_app.socket import socket_mode_handler
from tests.slack.conftest import World
from tests.slack.fake_slack import APP_TOKEN, BOT_USER_ID, FakeSlack, FakeSocketMode


@pytest.fixture
def socket_server(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    server = FakeSocketMode()
    fake_slack.ws_url = server.url
    yield server
    server.close()


def test_socket_mode_acks_envelopes_and_answers(slack_settings: Settings, session_factory: sessionmaker[Session],
                                               executor: ThreadPoolExecutor, fake_slack: FakeSlack,
                                               socket_server: FakeSocketMode, world: World) -> None:
    app = create_slack_app(slack_settings.replace(SLACK_SIGNING_SECRET=""), session_factory=session_factory,
                           executor=executor)
    handler = socket_mode_handler(slack_settings, app)
    handler.connect()
    try:
        opened = fake_slack.calls_to("apps.connections.open")
        assert opened and opened[0].authorization == f"Bearer {APP_TOKEN}"

        command = {"token": "x", "team_id": "T1", "channel_id": "C_GENERAL", "user_id": "U_EMP",
                   "command": "/twin", "text": "Why did you choose cold chain?", "api_app_id": "A1",
                   "response_url": fake_slack.response_url("socket-cmd"), "trigger_id": "trigger-s1"}
        socket_server.send_envelope({"envelope_id": "env-1", "type": "slash_commands", "payload": command,
                                     "accepts_response_payload": True})
        ack = socket_server.wait_ack("env-1")
        assert "Thinking" in json.dumps(ack.get("payload"))
        answer = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.via == "response_url"), None))
        assert answer.response_type == "ephemeral" and "pharmaceutical customers" in answer.dumped

        event = {"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                 "event_id": "EvSOCKET1", "event_time": int(time.time()),
                 "authorizations": [{"team_id": "T1", "user_id": BOT_USER_ID, "is_bot": True}],
                 "event": {"type": "app_mention", "user": "U_EMP", "channel": "C_GENERAL",
                           "text": f"<@{BOT_USER_ID}> What about your list prices?", "ts": "1700004000.000100"}}
        socket_server.send_envelope({"envelope_id": "env-2", "type": "events_api", "payload": event,
                                     "accepts_response_payload": False, "retry_attempt": 0, "retry_reason": ""})
        socket_server.wait_ack("env-2")
        # Slack re-delivers the same event on a new envelope when an ack is late: it is answered once.
        socket_server.send_envelope({"envelope_id": "env-3", "type": "events_api", "payload": event,
                                     "accepts_response_payload": False, "retry_attempt": 1,
                                     "retry_reason": "timeout"})
        socket_server.wait_ack("env-3")
        threaded = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.via == "chat.postMessage"), None))
        assert threaded.thread_ts == "1700004000.000100" and "list prices stay flat" in threaded.dumped
        executor.submit(lambda: None).result(timeout=60)
        assert len([p for p in fake_slack.posts if p.via == "chat.postMessage"]) == 1
    finally:
        handler.close()


def test_socket_mode_needs_an_app_token(slack_settings: Settings) -> None:
    with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
        socket_mode_handler(slack_settings.replace(SLACK_APP_TOKEN=""))
