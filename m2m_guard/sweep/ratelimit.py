"""Client-side rate limits, so a sweep stays inside Cognito's request quotas.

Cognito's quotas are per account and region and cannot be raised for these categories
(https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html): UserPoolRead 15
requests per second (ListUserPools), UserPoolClientRead 15 per second (ListUserPoolClients,
DescribeUserPoolClient), with at most 5 per second per operation on one user pool. Staying below
them leaves room for the account's own traffic and keeps adaptive retries for the rare burst.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts up to ``burst``."""

    def __init__(
        self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


#: Operation -> Cognito quota category.
CATEGORY = {
    "ListUserPools": "UserPoolRead",
    "ListUserPoolClients": "UserPoolClientRead",
    "DescribeUserPoolClient": "UserPoolClientRead",
    "ListResourceServers": "UserPoolResourceServerRead",
}
#: Per-operation limit on a single user pool (requests per second).
PER_POOL_RPS = 5.0


class RegionLimiter:
    """The rate limits of one account and region: one bucket per quota category, and one per
    operation and pool."""

    def __init__(self, rps: float) -> None:
        self.rps = rps
        self._categories: dict[str, TokenBucket] = {}
        self._pools: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, table: dict, key: object, rate: float) -> TokenBucket:  # type: ignore[type-arg]
        with self._lock:
            bucket = table.get(key)
            if bucket is None:
                bucket = table[key] = TokenBucket(rate)
            return bucket

    def acquire(self, operation: str, pool_id: str | None = None) -> None:
        category = CATEGORY.get(operation)
        if category is not None:
            self._bucket(self._categories, category, self.rps).acquire()
        if pool_id is not None:
            self._bucket(self._pools, (operation, pool_id), min(self.rps, PER_POOL_RPS)).acquire()
