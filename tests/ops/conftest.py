"""The web app fixtures of tests/api (a seeded twin, one user per role), and a Redis for the job queue."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

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
    try:
        keys = list(connection.scan_iter(f"*{app_settings.ratelimit_key_prefix}*"))
        if keys:
            connection.delete(*keys)
    except redis.RedisError:
        pass
    finally:
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
