"""A web app over a fresh database with a twin, its sources and one user of each role."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from ingestion.model import ParsedDocument, ParsedPassage
from service.app import create_app
from service.config import Settings
from service.corpus import store
from service.http.extension import extension

ROLES = ("employee", "curator", "admin")


@dataclass
class Person:
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """What the fixtures seeded: people by name, the twin slug and source ids by name."""

    people: dict[str, Person]
    twin: str
    sources: dict[str, int]


def parsed(title: str, filename: str, *sentences: str, date: dt.date | None = None,
           speaker: str | None = None) -> ParsedDocument:
    """A parsed document as ingestion would return it, one passage per sentence."""
    passages = [ParsedPassage(ordinal=i, text=text, locator=f"¶{i + 1}", speaker=speaker, executive=True)
                for i, text in enumerate(sentences)]
    body = "\n".join(sentences).encode()
    return ParsedDocument(title=title, kind="memo", filename=filename, sha256=hashlib.sha256(body).hexdigest(),
                          size_bytes=len(body), date=date or dt.date(2025, 3, 1), passages=passages)


def seed(session: Session) -> World:
    """A consenting twin with an everyone memo, a finance-only memo and a draft; a user of each role."""
    twin = store.create_twin(session, "dana", "Dana Reyes", title="CEO")
    store.record_consent(session, "dana", by="Dana Reyes", scope="internal questions and rehearsal")
    store.create_twin(session, "sam", "Sam Okafor", title="CFO")  # no consent: never answers
    everyone = store.add_source(session, twin, parsed(
        "Why cold chain", "cold-chain.docx",
        "I chose cold chain because pharmaceutical customers pay for reliability.",
        "Our on-time rate in temperature-controlled lanes reached ninety-seven percent."), approve=True).source
    finance = store.add_source(session, twin, parsed(
        "Margin plan", "margin-plan.docx",
        "Our cold chain margin target for next year is eighteen percent, confidential to finance."),
        audience="finance", approve=True).source
    draft = store.add_source(session, twin, parsed(
        "Electric vans", "vans.docx",
        "I want forty percent of our urban vans electric by the end of 2026."), uploaded_by="curator@example.com").source
    people = {}
    for name, role, audiences in (("employee", "employee", []), ("curator", "curator", []), ("admin", "admin", []),
                                  ("finance", "employee", ["finance"]), ("fincurator", "curator", ["finance"])):
        user, token = store.add_user(session, f"{name}@example.com", role=role, audiences=audiences)
        people[name] = Person(user.email, role, token)
    session.commit()
    return World(people=people, twin="dana", sources={"everyone": everyone.id, "finance": finance.id,
                                                       "draft": draft.id})


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    # A low grounding bar: these tests are about the web layer, not how sure the composer must be. Rate-limit
    # counters of this test's own: with a Redis URL they would otherwise be shared with every other test (and with
    # the other database's run, which scripts/test runs at the same time) whose user has the same id.
    return settings.replace(secure_cookies=False, ratelimit_ask="1000/minute", grounding_threshold=0.1,
                            ratelimit_key_prefix=f"understudy-test-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def make_app(app_settings: Settings) -> Iterator[Callable[..., Flask]]:
    """Build apps over the test database; each is disposed at the end of the test."""
    apps: list[Flask] = []

    def build(**changes: Any) -> Flask:
        app = create_app(app_settings.replace(**changes) if changes else app_settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        extension(app).dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with session_factory() as session:
        return seed(session)


def error_of(response: Any) -> dict[str, Any]:
    """The error object of a JSON error response, checking its shape."""
    assert response.is_json, response.data[:200]
    body = response.get_json()
    assert set(body) >= {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]
