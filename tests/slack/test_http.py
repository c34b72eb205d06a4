"""HTTP mode wiring: mounted only when configured, Slack's URL verification answered, CSRF not in the way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import slack_app
from service.app import create_app
from service.config import Settings
from slack_app.http import EVENTS_PATH, init_slack
from tests.slack.conftest import SlackDriver


def test_nothing_is_mounted_without_a_token_and_signing_secret(settings: Settings) -> None:
    app = create_app(settings)
    assert init_slack(app) is None
    assert app.test_client().post("/slack/events", data="{}", content_type="application/json").status_code == 404
    app.extensions["understudy"].dispose()


def test_slacks_url_verification_is_answered_when_signed(slack: SlackDriver) -> None:
    body = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"})
    response = slack.signed(body, "application/json")
    assert response.status_code == 200 and response.get_json() == {"challenge": "abc123"}
    assert slack.signed(body, "application/json", secret="wrong").status_code == 401


def test_the_manifest_declares_what_the_app_handles() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load((Path(slack_app.__file__).parent / "manifest.yml").read_text())
    commands = {c["command"]: c["url"] for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/twin", "/rehearse"}
    settings = manifest["settings"]
    urls = {*commands.values(), settings["event_subscriptions"]["request_url"],
            settings["interactivity"]["request_url"]}
    assert urls == {"https://HOST" + EVENTS_PATH}
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "im:history", "im:write", "app_mentions:read", "users:read", "users:read.email",
        "files:read"}


def test_the_service_mounts_slack_itself_when_configured(slack_settings: Settings, world) -> None:
    app = create_app(slack_settings)
    assert "slack_events" in app.view_functions, "create_app must mount /slack/events from the settings"
    response = app.test_client().post(EVENTS_PATH, data="{}", content_type="application/json",
                                      headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=bad"})
    assert response.status_code == 401
    app.extensions["understudy"].dispose()
