"""A world with canaries: leadership-only sources, another twin's source, a draft and another user's question
that no employee may ever see; plus the app, the CLI and Slack over it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ingestion.pipeline import parse_bytes
from service.config import Settings
from service.corpus import store
from tests.api.conftest import Person, app, client, make_app, parsed, seed  # noqa: F401  (shared fixtures; app_settings is ours)
from tests.api.conftest import World as ApiWorld
from tests.slack.conftest import SIGNING_SECRET, SlackDriver  # noqa: F401  (re-used driver)
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.support.fake_openai import FakeOpenAI

ATTACKS_DIR = Path(__file__).parent / "attacks"
CANARY = "CANARY-7f3a"
OTHER_TWIN_CANARY = "SAMCANARY-91bc"
DRAFT_CANARY = "UNAPPROVED-DRAFT-55e1"
OTHER_QUESTION = "OTHERQ-3c9d will my bonus survive the Zephyr review"
# Words only the canary sources contain: none of them may reach anyone outside leadership.
CANARY_SECRETS = (CANARY, "Nordwind", "Baltic ferry")
CANARY_MEMO = (f"{CANARY}. Project Halcyon: I have agreed in principle to acquire Nordwind Freight for the "
               "Baltic ferry lanes. Nordwind Freight brings forty Baltic ferry slots. The Nordwind Freight deal "
               "stays within leadership until the board votes on Project Halcyon.")
CANARY_TRANSCRIPT = (f"DANA REYES: On Project Halcyon, {CANARY}, the Nordwind Freight deal closes in the spring.\n\n"
                     "MARTA: And the Baltic ferry lanes?\n\n"
                     "DANA REYES: Nordwind Freight gives us the Baltic ferry lanes, and Project Halcyon stays "
                     "inside this room.\n")
CANARY_PROBES = ("What is Project Halcyon?", "Are we acquiring another freight company?",
                 "What did you decide about the acquisition in the spring?",
                 "What happens with Project Halcyon and the ferry lanes?")
SAFETY = ("Our warehouse safety record improved every quarter this year.",
          "Forklift incidents fell by half after the new training.")
SAFETY_QUESTION = "How did warehouse safety and forklift incidents change after the training?"


@dataclass
class TrustWorld(ApiWorld):
    """The API world plus a leader, the canary source ids and the other twin's source id."""

    canaries: tuple[int, ...] = ()
    other_twin_source: int = 0


def load_attacks() -> list[dict[str, Any]]:
    """Every attack of tests/trust/attacks/*.jsonl, in file order."""
    attacks = []
    for path in sorted(ATTACKS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                attacks.append(json.loads(line))
    return attacks


def seed_trust(session: Session) -> TrustWorld:
    """The API test world, then the canaries."""
    base = seed(session)
    twin = store.get_twin(session, "dana")
    memo = store.add_source(session, twin, parsed(f"Leadership memo {CANARY}", "halcyon.docx", *CANARY_MEMO.split(
        ". ")), audience="leadership", approve=True).source
    transcript_doc = parse_bytes(CANARY_TRANSCRIPT.encode(), "2026-02-02-offsite.txt", kind="transcript",
                                 speaker_labels=["DANA REYES"])
    transcript_doc = dataclasses.replace(transcript_doc, title=f"Leadership offsite {CANARY}")
    transcript = store.add_source(session, twin, transcript_doc, audience="leadership", approve=True).source
    store.add_source(session, twin, parsed("Zephyr draft", "zephyr.docx",
                                           f"{DRAFT_CANARY} The Zephyr reorganisation merges two regions."))
    store.add_source(session, twin, parsed("Warehouse safety", "safety.docx", *SAFETY), approve=True)
    store.record_consent(session, "sam", by="Sam Okafor", scope="internal questions")
    sam = store.get_twin(session, "sam")
    other = store.add_source(session, sam, parsed(
        "Treasury note", "treasury.docx",
        f"{OTHER_TWIN_CANARY}: our cold chain treasury hedges fuel for eighteen months.",
        "I chose cold chain hedging because pharmaceutical customers pay for reliability."), approve=True).source
    user, token = store.add_user(session, "leader@example.com", role="employee", audiences=["leadership"])
    people = dict(base.people)
    people["leader"] = Person(user.email, "employee", token)
    finance = store.get_user(session, "finance@example.com")
    store.record_interaction(session, twin=twin, user_id=finance.id, question=OTHER_QUESTION,
                             answer="I don't have an approved source on that.", conversation_id="other-conv",
                             passages=[], mode="extractive", grounded=False, latency_ms=1.0)
    session.commit()
    return TrustWorld(people=people, twin="dana", sources=base.sources, canaries=(memo.id, transcript.id),
                      other_twin_source=other.id)


def leaked(text: str) -> list[str]:
    """The canary secrets found in a text (empty when none)."""
    return [secret for secret in (*CANARY_SECRETS, OTHER_TWIN_CANARY, DRAFT_CANARY, "OTHERQ-3c9d")
            if secret.lower() in text.lower()]


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    """The local model stand-in, told per test how to behave (see tests/support/fake_openai.py)."""
    with FakeOpenAI(delay=2.0) as server:
        yield server


def with_model(settings: Settings, model: FakeOpenAI) -> Settings:
    """`settings` answering through the model stand-in, reset to honest behaviour."""
    model.reset()
    return settings.replace(llm_base_url=model.base_url, llm_model="fake-gpt", llm_api_key="test-key",
                            llm_timeout=2.0, grounding_threshold=0.1)


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return settings.replace(secure_cookies=False, ratelimit_ask="100000/minute", grounding_threshold=0.1)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> TrustWorld:
    with session_factory() as session:
        return seed_trust(session)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.add_user("U_EMP", "employee@example.com")
    fake.add_user("U_LEAD", "leader@example.com")
    fake.add_user("U_ADMIN", "admin@example.com")
    fake.add_user("U_STRANGER", "stranger@elsewhere.example")
    yield fake
    fake.stop()


@pytest.fixture
def slack(app_settings: Settings, fake_slack: FakeSlack, world: TrustWorld) -> Iterator[SlackDriver]:
    from service.app import create_app
    from slack_app.http import init_slack

    slack_settings = app_settings.replace(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                                          SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake_slack.api_url)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-lazy")
    slack_app = create_app(app_settings)  # Slack off here, then mounted with the lazy-work executor the driver drains
    assert init_slack(slack_app, slack_settings, executor=pool) is not None
    yield SlackDriver(slack_app.test_client(), pool, fake_slack)
    pool.shutdown(wait=True, cancel_futures=True)
    slack_app.extensions["understudy"].dispose()
