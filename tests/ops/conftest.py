"""The web app fixtures of tests/api (a seeded twin, one user per role), and a Redis for the job queue."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.api.conftest import app, app_settings, client, make_app, world  # noqa: F401  (shared fixtures)

REDIS_URL = os.environ.get("UNDERSTUDY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A reachable Redis (database 15, flushed of this test's keys by a per-test queue name), or skip."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield REDIS_URL
    connection.close()


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A queue of this test's own, deleted afterwards."""
    import redis

    name = f"understudy-test-{uuid.uuid4().hex[:10]}"
    yield name
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        keys = list(connection.scan_iter(f"rq:*{name}*"))
        if keys:
            connection.delete(*keys)
    except redis.RedisError:
        pass
    finally:
        connection.close()
