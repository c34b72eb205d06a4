"""The persona's style profile is rebuilt off the ask path: after a commit that changes a twin's approved corpus.

A flush that approves, retires, restores, supersedes or re-audiences a source notes its twin on the session; once
that commits, the twin's profile is rebuilt, one rebuild at a time per twin (in this process by a lock, across
processes by a PostgreSQL advisory lock), with no audit event: the log records people's actions, not the system's.
How an engine's rebuilds run: "inline" (right after the commit; the default), "background" (a thread per twin;
the web service, so no request waits) or "deferred" (collected until rebuild_pending(); the CLI and the job
worker, so a thousand-file ingestion rebuilds once at the end).
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.models import Source, Twin
from service.twin.persona import build_style_profile, corpus_fingerprint, executive_documents

log = logging.getLogger(__name__)

PENDING_KEY = "understudy_profile_twins"
# A source's fields whose change changes what the style profile is built from.
WATCHED = ("status", "audience", "superseded_by_id", "twin_id")
MODES = ("inline", "background", "deferred")
# First key of the PostgreSQL advisory lock taken while a twin's profile is rebuilt (the second is the twin id).
ADVISORY_LOCK_KEY = 0x5157

_modes: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
_deferred: weakref.WeakKeyDictionary[Engine, set[int]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
# (engine id, twin id) → whether another rebuild was asked for while one runs.
_running: dict[tuple[int, int], bool] = {}
_threads: dict[int, list[threading.Thread]] = {}


def set_mode(engine: Engine, mode: str) -> None:
    """How this engine's profile rebuilds run: "inline", "background" or "deferred"."""
    if mode not in MODES:
        raise ValueError(f"profile rebuilds run {', '.join(MODES)}, not {mode!r}")
    with _lock:
        _modes[engine] = mode


def _engine_of(session: Session) -> Engine | None:
    try:
        bind = session.get_bind()
    except Exception:  # noqa: BLE001 - an unbound session has no corpus to rebuild from
        return None
    return bind.engine if isinstance(bind, Connection) else bind


@event.listens_for(Session, "before_flush")
def _note_corpus_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Remember which twins' approved corpus this flush changes (committed later, or forgotten on rollback)."""
    twins: set[int] = session.info.setdefault(PENDING_KEY, set())
    for obj in session.new:
        if isinstance(obj, Source) and obj.status == "approved":
            twins.add(obj.twin_id)
    for obj in session.dirty:
        if isinstance(obj, Source):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in WATCHED):
                twins.add(obj.twin_id)
    for obj in session.deleted:
        if isinstance(obj, Source):
            twins.add(obj.twin_id)


@event.listens_for(Session, "after_commit")
def _rebuild_after_commit(session: Session) -> None:
    twins = session.info.pop(PENDING_KEY, None)
    engine = _engine_of(session) if twins else None
    if not twins or engine is None:
        return
    for twin_id in sorted(t for t in twins if t is not None):
        schedule(engine, twin_id)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def schedule(engine: Engine, twin_id: int) -> None:
    """Rebuild a twin's profile as this engine's mode says (a rebuild already running for it runs once more)."""
    with _lock:
        mode = _modes.get(engine, "inline")
        if mode == "deferred":
            _deferred.setdefault(engine, set()).add(twin_id)
            return
        if mode == "background":
            key = (id(engine), twin_id)
            if key in _running:
                _running[key] = True
                return
            _running[key] = False
            thread = threading.Thread(target=_rebuild_loop, args=(engine, twin_id), daemon=True,
                                      name=f"understudy-profile-{twin_id}")
            threads = _threads.setdefault(id(engine), [])
            threads[:] = [t for t in threads if t.is_alive()]
            threads.append(thread)
            thread.start()
            return
    _rebuild_quietly(engine, twin_id)


def rebuild_pending(engine: Engine) -> list[int]:
    """Rebuild the profiles a deferred engine collected; returns the twin ids."""
    with _lock:
        twins = sorted(_deferred.pop(engine, set()))
    for twin_id in twins:
        _rebuild_quietly(engine, twin_id)
    return twins


def wait_idle(engine: Engine, timeout: float = 60.0) -> None:
    """Wait for this engine's background rebuilds to finish (tests, shutdown)."""
    with _lock:
        threads = list(_threads.get(id(engine), []))
    for thread in threads:
        thread.join(timeout)


def _rebuild_loop(engine: Engine, twin_id: int) -> None:
    key = (id(engine), twin_id)
    while True:
        _rebuild_quietly(engine, twin_id)
        with _lock:
            if _running.get(key):
                _running[key] = False
                continue
            _running.pop(key, None)
            return


def _rebuild_quietly(engine: Engine, twin_id: int) -> None:
    try:
        rebuild_profile(engine, twin_id)
    except Exception:  # noqa: BLE001 - a failed rebuild leaves the previous profile; the next change retries
        log.exception("could not rebuild the style profile of twin %s", twin_id)


def rebuild_profile(engine: Engine, twin_id: int) -> bool:
    """Rebuild one twin's style profile from its approved corpus if that changed; True when it was rebuilt."""
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "postgresql":
            # One rebuild of a twin at a time across every process; the second finds the profile current.
            session.execute(text("SELECT pg_advisory_xact_lock(:key, :twin)"),
                            {"key": ADVISORY_LOCK_KEY, "twin": twin_id})
        twin = session.get(Twin, twin_id)
        if twin is None:
            return False
        state = corpus_fingerprint(session, twin)
        if (twin.persona or {}).get("style_state") == state:
            return False
        profile = build_style_profile(executive_documents(session, twin))
        if engine.dialect.name == "sqlite":
            session.commit()  # end the read snapshot: SQLite cannot turn an old snapshot into a write
        store.save_style_profile(session, twin_id, profile.to_dict(), state)
        session.commit()
        log.info("rebuilt the style profile of twin %s (%s documents)", twin.slug, profile.documents)
        return True
