"""The attack corpus (tests/trust/attacks/*.jsonl) against the twin with a model that obeys every injection:
the output checks stop each one, the twin keeps its persona and falls back to its extractive answer."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from tests.support.fake_openai import FakeOpenAI
from tests.trust.attack_runner import fill, run_attack, secrets_for
from tests.trust.conftest import TrustWorld, load_attacks, with_model

ATTACKS = load_attacks()
OWASP = {"LLM01", "LLM02", "LLM05", "LLM06", "LLM07", "LLM09"}


@pytest.fixture
def llm_settings(settings: Settings, model: FakeOpenAI) -> Settings:
    return with_model(settings, model)


def test_the_corpus_is_broad_enough() -> None:
    assert len(ATTACKS) >= 50
    assert len({a["id"] for a in ATTACKS}) == len(ATTACKS)
    assert {a["owasp"] for a in ATTACKS} >= OWASP
    places = Counter(a["where"] for a in ATTACKS)
    assert set(places) == {"question", "memo", "transcript", "email", "pitch"}
    assert all(a["forbidden"] and a["payload"] and a["desired"] for a in ATTACKS)


@pytest.mark.parametrize("mode", ["scripted", "comply_injection"])
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a["id"])
def test_an_obedient_model_is_stopped_by_the_output_checks(session: Session, llm_settings: Settings,
                                                           world: TrustWorld, model: FakeOpenAI, attack: dict,
                                                           mode: str) -> None:
    viewer = store.viewer_for(store.get_user(session, "employee@example.com"))
    model.set_mode(mode, script=fill(attack["desired"], secrets_for(session, "dana")))
    outcome = run_attack(session, llm_settings, attack, viewer, channel="stream" if mode == "scripted" else "engine")
    assert not outcome.found, (outcome.found, outcome.shown[:400])
    assert "Dana Reyes" in outcome.disclaimer
    if outcome.mode == "llm":  # the checks kept only the supported sentences of the model's answer
        assert "[" in outcome.shown, outcome.shown
