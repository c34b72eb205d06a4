"""Readiness: the database answers and is migrated to head; Redis answers when one is configured."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text

log = logging.getLogger(__name__)

_REDIS_CLIENTS: dict[str, Any] = {}
_REDIS_LOCK = threading.Lock()


@dataclass
class Readiness:
    """Whether this process should get traffic, and what each check found."""

    checks: dict[str, str] = field(default_factory=dict)
    ready: bool = True

    def fail(self, name: str, finding: str) -> None:
        self.checks[name] = finding
        self.ready = False

    def to_dict(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "unavailable", **self.checks}


def redis_client(url: str) -> Any:
    """A Redis client for this URL, shared per process (it pools its connections)."""
    import redis

    with _REDIS_LOCK:
        client = _REDIS_CLIENTS.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            _REDIS_CLIENTS[url] = client
        return client


def _current_revision(conn: Connection) -> str | None:
    """The revision in alembic_version, or None when the table is absent (read directly: probes stay quiet)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_readiness(engine: Engine, *, head: str, redis_url: str = "") -> Readiness:
    """Database reachable and at the migration head; Redis reachable when configured."""
    result = Readiness()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = _current_revision(conn)
    except Exception as exc:  # noqa: BLE001 - any driver failure means not ready
        log.warning("readiness: database unreachable: %s", exc)
        result.fail("database", "unreachable")
        result.checks["migrations"] = "unknown"
    else:
        result.checks["database"] = "ok"
        if current == head:
            result.checks["migrations"] = "head"
        elif current is None:
            result.fail("migrations", f"database empty: run `understudy init` (head {head})")
        else:
            result.fail("migrations", f"at {current}, head is {head}: run `understudy init`")
    if redis_url:
        try:
            redis_client(redis_url).ping()
        except Exception as exc:  # noqa: BLE001 - any client failure means not ready
            log.warning("readiness: redis unreachable: %s", exc)
            result.fail("redis", "unreachable")
        else:
            result.checks["redis"] = "ok"
    else:
        result.checks["redis"] = "not configured"
    return result
