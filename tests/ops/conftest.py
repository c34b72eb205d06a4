"""The web app fixtures of tests/api (a seeded twin, one user per role), and a Redis for the job queue."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from service.config import Settings
from tests.api.conftest import app, app_settings, client, make_app, world  # noqa: F401  (shared fixtures)

REDIS_URL = os.environ.get("UNDERSTUDY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url(app_settings: Settings) -> Iterator[str]:  # noqa: F811  (the fixture imported above)
    """A reachable Redis (database 15), or skip; afterwards the rate-limit counters of this test's apps (their own
    key prefix, app_settings) are deleted, as `queue_name` deletes its queue."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield REDIS_URL
    delete_keys(connection, f"*{app_settings.ratelimit_key_prefix}*")


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A queue of this test's own, deleted afterwards."""
    import redis

    name = f"understudy-test-{uuid.uuid4().hex[:10]}"
    yield name
    delete_keys(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2), f"rq:*{name}*")


def delete_keys(connection: Any, pattern: str) -> None:
    """Delete a test's keys (a Redis that went away meanwhile has nothing left to clean) and close the connection."""
    import redis

    try:
        keys = list(connection.scan_iter(pattern))
        if keys:
            connection.delete(*keys)
    except redis.RedisError:
        pass
    finally:
        connection.close()
