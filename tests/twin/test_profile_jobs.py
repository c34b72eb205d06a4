"""The style profile follows the approved corpus off the ask path: rebuilt after the commit that changes it, one
rebuild at a time per twin, never by an answer, never in the audit log."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from service.corpus.models import Twin
from service.twin import profile_jobs
from service.twin.engine import answer_question
from service.twin.persona import corpus_fingerprint, persona_settings
from tests.twin.conftest import World, add_document

QUANTUM = [("Quantum teleportation will reshape freight. Quantum teleportation is my bet. "
            "I want quantum teleportation in every depot.", None, True)]


def favoured(session: Session, twin_id: int) -> set[str]:
    twin = session.get(Twin, twin_id, populate_existing=True)
    assert twin is not None
    return {w["word"] for w in persona_settings(twin).style.favoured_words}


def current(session: Session, twin_id: int) -> bool:
    twin = session.get(Twin, twin_id, populate_existing=True)
    assert twin is not None
    return (twin.persona or {}).get("style_state") == corpus_fingerprint(session, twin)


@pytest.fixture
def mode(engine: Engine) -> Iterator[str]:
    yield "inline"
    profile_jobs.wait_idle(engine)
    profile_jobs.set_mode(engine, "inline")


def test_an_approval_rebuilds_the_profile_once_committed_and_audits_only_the_person(
        session_factory: sessionmaker[Session], world: World, session: Session) -> None:
    session.commit()
    assert current(session, world.twin.id)
    memo = add_document(session, world.twin, "quantum.md", QUANTUM, title="Quantum", approve=False)
    session.commit()
    assert "teleportation" not in favoured(session, world.twin.id)  # a draft is not the executive's corpus
    store.approve_source(session, memo.id, actor="curator@example.com")
    session.commit()
    assert "teleportation" in favoured(session, world.twin.id)
    store.retire_source(session, memo.id, actor="curator@example.com")
    session.commit()
    assert "teleportation" not in favoured(session, world.twin.id)
    actions = [(e.actor, e.action) for e in store.list_audit(session, twin_slug="dana")]
    assert ("curator@example.com", "source.approve") in actions and ("curator@example.com", "source.retire") in actions
    assert not [a for a in actions if a[1] == "persona.update"], actions


def test_answering_only_reads_the_persona(engine: Engine, session: Session, settings, world: World, mode) -> None:
    session.commit()
    profile_jobs.set_mode(engine, "deferred")  # an approval whose rebuild has not run yet
    add_document(session, world.twin, "quantum.md", QUANTUM, title="Quantum")
    session.commit()
    before = dict(session.get(Twin, world.twin.id, populate_existing=True).persona)  # type: ignore[union-attr]
    audits = len(store.list_audit(session, twin_slug="dana"))
    answer = answer_question(session, settings, "dana", "Why did you choose cold chain?", world.employee)
    session.commit()
    assert answer.interaction_id
    assert session.get(Twin, world.twin.id, populate_existing=True).persona == before  # type: ignore[union-attr]
    assert len(store.list_audit(session, twin_slug="dana")) == audits
    assert profile_jobs.rebuild_pending(engine) == [world.twin.id]
    assert current(session, world.twin.id) and "teleportation" in favoured(session, world.twin.id)


def test_background_rebuilds_run_one_at_a_time_per_twin(engine: Engine, session: Session, world: World, mode,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    session.commit()
    running, most, builds = 0, 0, 0
    lock = threading.Lock()
    real = profile_jobs.build_style_profile

    def slow_build(documents):  # noqa: ANN001, ANN202 - the real function's signature
        nonlocal running, most, builds
        with lock:
            running += 1
            builds += 1
            most = max(most, running)
        time.sleep(0.05)  # widen the window in which a second rebuild could overlap
        try:
            return real(documents)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(profile_jobs, "build_style_profile", slow_build)
    profile_jobs.set_mode(engine, "background")
    for i in range(6):
        add_document(session, world.twin, f"quantum-{i}.md",
                     [(f"Quantum teleportation plan number {i} for every depot.", None, True)], title=f"Q{i}")
        session.commit()
    profile_jobs.wait_idle(engine)
    assert most == 1 and 1 <= builds <= 6
    assert current(session, world.twin.id) and "teleportation" in favoured(session, world.twin.id)
