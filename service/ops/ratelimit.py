"""One per-user allowance for asking and rehearsing, shared by the API, the pages and Slack (UNDERSTUDY_RATELIMIT_ASK).

Every route that asks the twin or rehearses with it spends from the same allowance, keyed by the signed-in
user (`user:ID`), so a person cannot get round the API's limit through the no-JavaScript form or Slack. The
counters live in Redis when UNDERSTUDY_REDIS_URL is set (shared by every worker and replica), else in process.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from service.config import Settings
from service.errors import UnderstudyError

log = logging.getLogger(__name__)

SCOPE = "ask"


class RateLimited(UnderstudyError):
    """Too many questions or rehearsals from one person in the current window."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Allowance:
    """What one spend left: whether it was allowed, how many remain, and seconds until the window resets."""

    allowed: bool
    limit: int
    remaining: int
    reset_in: int


class AskLimiter:
    """The per-user limit on asking and rehearsing, over memory or Redis storage."""

    def __init__(self, limit: str, storage_uri: str = "memory://", prefix: str = "understudy"):
        self.item: RateLimitItem = parse(limit)
        self.limit_text = limit
        self.storage_uri = storage_uri
        self.prefix = prefix
        self.strategy = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def spend(self, key: str) -> Allowance:
        """Take one request from `key`'s allowance; a storage failure lets the request through (logged)."""
        try:
            allowed = self.strategy.hit(self.item, self.prefix, SCOPE, key)
            stats = self.strategy.get_window_stats(self.item, self.prefix, SCOPE, key)
        except Exception as exc:  # noqa: BLE001 - a rate-limit store outage must not stop every answer
            log.warning("rate-limit storage unavailable (%s); letting the request through", exc)
            return Allowance(True, self.item.amount, self.item.amount, 0)
        reset_in = max(0, math.ceil(stats.reset_time - time.time()))
        return Allowance(allowed, self.item.amount, max(0, stats.remaining), reset_in)

    def check(self, key: str) -> Allowance:
        """Spend one request from `key`'s allowance, or raise RateLimited when none is left."""
        allowance = self.spend(key)
        if not allowance.allowed:
            raise RateLimited(f"too many requests: at most {self.limit_text} questions and rehearsals per person; "
                              f"wait {max(allowance.reset_in, 1)} s and try again", retry_after=max(allowance.reset_in, 1))
        return allowance


def ask_limiter(settings: Settings) -> AskLimiter:
    """A limiter for these settings (each app and Slack process makes one; Redis storage shares the counts)."""
    return AskLimiter(settings.ratelimit_ask, settings.redis_url or "memory://",
                      settings.ratelimit_key_prefix)


def user_key(user_id: int | None, fallback: str) -> str:
    """The allowance a request spends from: its user's, else `fallback` (a Slack id or a client address)."""
    return f"user:{user_id}" if user_id is not None else fallback
