"""Client-side rate limits, so a sweep stays inside Cognito's request quotas.

Cognito groups its user-pool API operations into quota categories, each with a rate per account
and region that cannot be raised for the categories a sweep uses, and limits some categories
further to 5 requests per second per operation on one user pool ("Quotas in Amazon Cognito",
https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html, table "Amazon Cognito user
pools API operation categories and request rate quotas"; the Service Quotas console names them
"Rate of UserPoolResourceRead requests per account" and "... per user pool"). The sweep keeps
each category at most at its AWS rate and at most at ``--max-rps``, whichever is lower, so the
account's own traffic keeps its share and adaptive retries stay for the rare burst.
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


#: Operation -> Cognito quota category, named as AWS names them. The two marked "not listed"
#: are newer than the quota table m2m-guard could check: they sit in the category whose
#: description fits them ("Operations that read your user pools", "... retrieve information
#: about your user pool clients") until AWS lists them. The table lists DescribeUserPool with
#: ListUserPools in UserPoolRead, a category without the per-pool limit (checked 2026-11-30).
CATEGORY = {
    "ListUserPools": "UserPoolRead",
    "DescribeUserPool": "UserPoolRead",
    "ListUserPoolReplicas": "UserPoolRead",  # not listed
    "ListUserPoolClients": "UserPoolClientRead",
    "DescribeUserPoolClient": "UserPoolClientRead",
    "ListUserPoolClientSecrets": "UserPoolClientRead",  # not listed
    "ListResourceServers": "UserPoolResourceRead",
}
#: Requests per second AWS allows in each category, per account and region (default quotas,
#: not adjustable).
CATEGORY_RPS = {
    "UserPoolRead": 15.0,
    "UserPoolClientRead": 15.0,
    "UserPoolResourceRead": 20.0,
}
#: Categories whose operations AWS also limits on a single user pool (the quota table's
#: footnote: "Any individual operation in this category has a constraint that prevents the
#: operation from being called at a rate higher than 5 RPS for a single user pool").
PER_POOL_CATEGORIES = frozenset({"UserPoolClientRead", "UserPoolResourceRead"})
#: Per-operation limit on a single user pool (requests per second).
PER_POOL_RPS = 5.0


def category_rate(category: str, max_rps: float) -> float:
    """The client-side rate of a category: AWS's quota, capped by ``--max-rps``."""
    return min(max_rps, CATEGORY_RPS.get(category, max_rps))


class RegionLimiter:
    """The rate limits of one account and region: one bucket per quota category, and one per
    operation and pool where AWS limits the category per pool. A request takes a token from
    both at once."""

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
        # An operation missing from the table is a category of its own at --max-rps, and is
        # held to the per-pool limit: unlisted means unknown, not unlimited.
        category = CATEGORY.get(operation)
        rate = category_rate(category, self.rps) if category else self.rps
        with self._lock:
            buckets = [self._bucket(self._categories, category or operation, rate)]
            if pool_id is not None and (category is None or category in PER_POOL_CATEGORIES):
                buckets.append(self._bucket(self._pools, (operation, pool_id), min(rate, PER_POOL_RPS)))
        acquire_all(tuple(buckets), self._lock, self._clock, self._sleep)
