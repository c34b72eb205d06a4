"""The Slack app under test: the real bolt App mounted on the real Flask service, a fake Slack Web API, a small
corpus (one source restricted to leadership, one with Slack markup planted in it) and people with Slack ids."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from ingestion.model import ParsedDocument, ParsedPassage
from ingestion.pipeline import parse_bytes
from service.app import create_app
from service.config import Settings
from service.corpus import store
from service.corpus.models import Source, Twin
from service.rehearsal.bank import BANKS
from slack_app.http import init_slack
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER_ID, FakeSlack

SIGNING_SECRET = "test-signing-secret"

PRICING = ("Our list prices stay flat through next year. Renewal customers deserve predictable bills, "
           "and I will not surprise them with a mid-contract increase.")
COLD_CHAIN = ("I chose cold chain because pharmaceutical customers pay for reliability. "
              "Our on-time rate in temperature-controlled lanes reached ninety-seven percent.")
# Slack markup planted in an approved source: it must reach Slack as text, never as a broadcast or a link.
PLANTED = ("Drivers home safe <!channel> is the first line of every plan we approve, <http://evil.example|click "
           "here> and <@U0EVIL> included.")
ROTTERDAM = "The board has approved a second distribution hub near Rotterdam for the winter season."
QBR = textwrap.dedent("""\
    DANA REYES: Tomas, two minutes, then questions.

    TOMAS: We want a second night shift at Ashby Road for the depot backlog.

    DANA REYES: What's the number on late departures, and what was it last quarter?

    TOMAS: Fourteen percent, up from nine.

    DANA REYES: What would have to be true for a second night shift to fix the departures? Who approves the overtime budget, and when?

    DANA REYES: What worries me about any new lane is whether our drivers get home safe after night routes.
    """)
PITCH = textwrap.dedent("""\
    Proposal: a second night shift at Ashby Road.

    Late departures at the depot rose to fourteen percent last quarter, up from nine. A second night shift
    would clear the backlog. Our pilot in March cut late departures to six percent in four weeks.
    The biggest risk is driver fatigue on night routes; we cap night shifts at four a week and monitor hours.
    We are asking you to approve an overtime budget of 400 thousand dollars by 1 May.
    """)


@dataclass
class World:
    """The twin, its sources, and the Slack people (with their e-mails on the fake Slack)."""

    twin: Twin
    sources: dict[str, Source]


def add_document(session: Session, twin: Twin, filename: str, text: str, *, title: str, audience: str = "everyone",
                 date: dt.date | None = None) -> Source:
    """Store an approved one-passage memo in the executive's own words."""
    passage = ParsedPassage(ordinal=0, text=text, locator="¶ 1", speaker=None, executive=True)
    digest = hashlib.sha256(f"{filename}\n{text}".encode()).hexdigest()
    doc = ParsedDocument(title=title, kind="memo", filename=filename, sha256=digest, size_bytes=len(text),
                         date=date, passages=[passage])
    return store.add_source(session, twin, doc, audience=audience, approve=True).source


def build_docx(text: str) -> bytes:
    """A real .docx, one paragraph per blank-line-separated block."""
    document = docx.Document()
    for paragraph in text.split("\n\n"):
        document.add_paragraph(" ".join(paragraph.split()))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def world(session: Session) -> World:
    BANKS.clear()
    twin = store.create_twin(session, "dana", "Dana Reyes", title="CEO")
    store.record_consent(session, "dana", by="Dana Reyes", scope="internal questions and rehearsal")
    sources = {
        "pricing": add_document(session, twin, "pricing.md", PRICING, title="Pricing memo", date=dt.date(2024, 3, 1)),
        "cold": add_document(session, twin, "cold-chain.md", COLD_CHAIN, title="Why cold chain",
                             date=dt.date(2023, 11, 5)),
        "planted": add_document(session, twin, "home-safe.md", PLANTED, title="Home <b>safe</b> & sound",
                                date=dt.date(2024, 4, 22)),
        "rotterdam": add_document(session, twin, "rotterdam.md", ROTTERDAM, title="Board minutes",
                                  audience="leadership", date=dt.date(2024, 6, 1)),
    }
    qbr = parse_bytes(QBR.encode(), "2025-10-20-qbr.txt", kind="transcript", speaker_labels=["DANA REYES"])
    sources["qbr"] = store.add_source(session, twin, qbr, approve=True).source
    store.add_user(session, "employee@example.com", role="employee")
    store.add_user(session, "leader@example.com", role="employee", audiences=["leadership"])
    store.add_user(session, "admin@example.com", role="admin")
    session.commit()
    return World(twin=twin, sources=sources)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.add_user("U_EMP", "employee@example.com")
    fake.add_user("U_LEAD", "Leader@Example.com")
    fake.add_user("U_ADMIN", "admin@example.com")
    fake.add_user("U_STRANGER", "stranger@elsewhere.example")
    yield fake
    fake.stop()


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    """Settings a test changes (parametrize `slack_overrides` to change them)."""
    return {}


@pytest.fixture
def slack_settings(settings: Settings, fake_slack: FakeSlack, slack_overrides: dict[str, Any]) -> Settings:
    return settings.replace(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                            SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake_slack.api_url, SECURE_COOKIES=False,
                            **slack_overrides)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    # One worker: waiting for a no-op task means every earlier lazy listener has finished.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-lazy")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


class SlackDriver:
    """Sends Slack-signed requests to the service's /slack/events and waits for the lazy work."""

    def __init__(self, client: FlaskClient, executor: ThreadPoolExecutor, fake: FakeSlack):
        self.client = client
        self.executor = executor
        self.fake = fake
        self._n = 0

    def signed(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET,
               headers: dict[str, str] | None = None) -> Any:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        all_headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, **(headers or {})}
        return self.client.post("/slack/events", data=body.encode(), content_type=content_type, headers=all_headers)

    def command(self, command: str, text: str, *, user: str = "U_EMP", channel: str = "C_GENERAL",
                **signing: Any) -> Any:
        self._n += 1
        form = {"token": "x", "team_id": "T1", "team_domain": "example", "channel_id": channel,
                "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": command,
                "text": text, "api_app_id": "A1", "response_url": self.fake.response_url(f"cmd{self._n}"),
                "trigger_id": f"trigger-{self._n}"}
        return self.signed(urlencode(form), "application/x-www-form-urlencoded", **signing)

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        self._n += 1
        return json.dumps({"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                           "event_id": event_id or f"Ev{self._n:06d}", "event_time": int(time.time()),
                           "event": event, "authorizations": [{"team_id": "T1", "user_id": BOT_USER_ID,
                                                               "is_bot": True}]})

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> Any:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.signed(self.event_body(event, event_id), "application/json", headers=headers)

    def mention(self, text: str, *, user: str = "U_EMP", channel: str = "C_GENERAL", ts: str = "1700000100.000100",
                thread_ts: str | None = None, **kwargs: Any) -> Any:
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
                 "channel": channel, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kwargs)

    def dm(self, text: str, *, user: str = "U_EMP", ts: str, thread_ts: str | None = None,
           files: list[dict[str, Any]] | None = None) -> Any:
        event: dict[str, Any] = {"type": "message", "channel_type": "im", "channel": "D" + user.lstrip("U"),
                                 "user": user, "text": text, "ts": ts, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        if files:
            event["subtype"] = "file_share"
            event["files"] = files
        return self.event(event)

    def interaction(self, payload: dict[str, Any], **signing: Any) -> Any:
        return self.signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded",
                           **signing)

    def click(self, post: Any, action_id: str, *, user: str = "U_EMP", channel: str = "C_GENERAL",
              value: str | None = None) -> Any:
        """Press a button of a posted message, as that user."""
        self._n += 1
        value = value if value is not None else post.button_value(action_id)
        payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": user},
                   "api_app_id": "A1", "trigger_id": f"trigger-{self._n}", "channel": {"id": channel},
                   "container": {"type": "message", "channel_id": channel, "is_ephemeral": not post.public},
                   "response_url": self.fake.response_url(f"action{self._n}"),
                   "actions": [{"type": "button", "action_id": action_id, "block_id": "answer_actions",
                                "value": value, "action_ts": str(time.time())}]}
        return self.interaction(payload)

    def submit_view(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "U_EMP") -> Any:
        """Submit a modal the app opened, with these state values."""
        self._n += 1
        payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user}, "api_app_id": "A1",
                   "trigger_id": f"trigger-{self._n}",
                   "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                            "private_metadata": view.get("private_metadata", ""), "blocks": view["blocks"],
                            "state": {"values": values}}}
        return self.interaction(payload)

    def drain(self) -> None:
        """Wait until every lazy listener started so far has finished."""
        self.executor.submit(lambda: None).result(timeout=60)


@pytest.fixture
def flask_app(slack_settings: Settings, executor: ThreadPoolExecutor, world: World) -> Iterator[Flask]:
    app = create_app(slack_settings)
    assert init_slack(app, executor=executor) is not None
    yield app
    app.extensions["understudy"].dispose()


@pytest.fixture
def slack(flask_app: Flask, executor: ThreadPoolExecutor, fake_slack: FakeSlack) -> SlackDriver:
    return SlackDriver(flask_app.test_client(), executor, fake_slack)
