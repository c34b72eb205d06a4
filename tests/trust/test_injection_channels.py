"""The question attacks of the corpus through the HTTP API and Slack's /twin, with a model that obeys them:
what reaches the user on those channels carries none of what the attacker asked for."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.config import Settings
from tests.slack.conftest import SlackDriver
from tests.slack.fake_slack import FakeSlack
from tests.support.fake_openai import FakeOpenAI
from tests.trust.attack_runner import COLD_QUESTION, fill, leaks, secrets_for
from tests.trust.conftest import TrustWorld, load_attacks, with_model

QUESTION_ATTACKS = [a for a in load_attacks() if a["where"] == "question"]


@pytest.fixture
def app_settings(settings: Settings, model: FakeOpenAI) -> Settings:
    """The trust apps' settings with the model stand-in behind them."""
    return with_model(settings.replace(secure_cookies=False, ratelimit_ask="100000/minute"), model)


def test_the_corpus_has_question_attacks_for_these_channels() -> None:
    assert len(QUESTION_ATTACKS) >= 20


@pytest.mark.parametrize("attack", QUESTION_ATTACKS, ids=lambda a: a["id"])
def test_an_obeyed_injection_does_not_reach_an_api_user(make_app: Any, world: TrustWorld, session_factory: Any,
                                                        model: FakeOpenAI, attack: dict[str, Any]) -> None:
    with session_factory() as session:
        values = secrets_for(session, "dana")
    model.set_mode("comply_injection", script=fill(attack["desired"], values))
    client = make_app().test_client()
    response = client.post("/api/v1/twins/dana/ask", json={"question": f"{attack['payload']} {COLD_QUESTION}"},
                           headers=world.people["employee"].headers)
    assert response.status_code == 200, response.data[:300]
    data = response.get_json()
    shown = data["answer"] + " " + json.dumps(data["citations"], ensure_ascii=False)
    assert not leaks(shown, attack, values), shown[:400]
    assert "Dana Reyes" in data["disclaimer"]


@pytest.mark.parametrize("attack", QUESTION_ATTACKS, ids=lambda a: a["id"])
def test_an_obeyed_injection_does_not_reach_a_slack_user(slack: SlackDriver, fake_slack: FakeSlack,
                                                          session_factory: Any, model: FakeOpenAI,
                                                          attack: dict[str, Any]) -> None:
    with session_factory() as session:
        values = secrets_for(session, "dana")
    model.set_mode("comply_injection", script=fill(attack["desired"], values))
    slack.command("/twin", f"dana {attack['payload']} {COLD_QUESTION}")
    post = fake_slack.wait_for(lambda f: next((p for p in f.posts if "answer_actions" in p.dumped), None),
                               what="the answer")
    slack.drain()
    blocks = json.loads(post.dumped)
    # The user's own question may be echoed back to them; everything else in the message is the twin's.
    echo = [b for b in blocks.get("blocks", []) if "You asked" in json.dumps(b)]
    assert len(echo) == 1
    shown = json.dumps([b for b in blocks.get("blocks", []) if b not in echo], ensure_ascii=False)
    # A cited answer, the set refusal or the no-answer message (the attack can drown the question): no error.
    assert "[1]" in shown or "not a topic I speak to" in shown or "not something I've spoken to" in shown
    assert not leaks(shown, attack, values), shown[:600]
    assert "Dana Reyes" in post.dumped
