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
    """At most ``rate`` acquisitions per second on average, bursts up to ``burst``.

    The default burst of 1 spaces acquisitions at least ``1 / rate`` seconds apart, so that no
    one-second window ever holds more than ``rate`` of them: a larger burst would let the first
    second of a sweep (or of any lull) send up to ``burst + rate`` requests, above the quota.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, burst) if burst is not None else 1.0
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self, now: float) -> float:
        """Seconds until a token is available (0 when one is); the caller holds the lock."""
        self._tokens = min(self.capacity, self._tokens + max(0.0, now - self._last) * self.rate)
        self._last = now
        # A token short by a rounding error is a token: a wait below the clock's resolution
        # would never end on a clock that only moves when slept on.
        return 0.0 if self._tokens >= 1 - 1e-9 else (1 - self._tokens) / self.rate

    def acquire(self) -> None:
        acquire_all((self,), self._lock, self._clock, self._sleep)


def acquire_all(
    buckets: tuple[TokenBucket, ...],
    lock: threading.Lock,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    """Take one token from each bucket at the same instant, waiting until all have one.

    Taking them one after the other would let a request hold a token of the first bucket while
    it waits for the second, and then go out together with requests that took theirs later:
    the rate seen by the server would exceed the first bucket's."""
    while True:
        with lock:
            now = clock()
            wait = max(bucket._refill(now) for bucket in buckets)
            if wait <= 0:
                for bucket in buckets:
                    bucket._tokens -= 1
                return
        sleep(wait)


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
    operation and pool. A request takes a token from both at once."""

    def __init__(
        self,
        rps: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rps = rps
        self._clock = clock
        self._sleep = sleep
        self._categories: dict[str, TokenBucket] = {}
        self._pools: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, table: dict, key: object, rate: float) -> TokenBucket:  # type: ignore[type-arg]
        bucket = table.get(key)
        if bucket is None:
            bucket = table[key] = TokenBucket(rate, clock=self._clock, sleep=self._sleep)
        return bucket

    def acquire(self, operation: str, pool_id: str | None = None) -> None:
        with self._lock:
            buckets = []
            category = CATEGORY.get(operation)
            if category is not None:
                buckets.append(self._bucket(self._categories, category, self.rps))
            if pool_id is not None:
                buckets.append(self._bucket(self._pools, (operation, pool_id), min(self.rps, PER_POOL_RPS)))
        if buckets:
            acquire_all(tuple(buckets), self._lock, self._clock, self._sleep)
