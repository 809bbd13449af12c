"""The client-side limits that keep a sweep inside Cognito's quotas, on an injected clock."""

from __future__ import annotations

import pytest

from m2m_guard.sweep import ratelimit
from m2m_guard.sweep.ratelimit import RegionLimiter, TokenBucket


class Clock:
    """A fake monotonic clock; sleeping advances it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds
        self.slept += seconds


def busiest_second(times: list[float]) -> int:
    """Most acquisitions in any half-open one-second window."""
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1 - 1e-9) for start in times)


def test_bucket_never_exceeds_its_rate_in_any_second() -> None:
    clock = Clock()
    bucket = TokenBucket(10, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(35):
        bucket.acquire()
        times.append(clock.now)
    assert busiest_second(times) == 10
    assert times[-1] - times[0] == pytest.approx(3.4)  # 35 requests at 10/s
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) == pytest.approx(0.1)


def test_an_idle_bucket_does_not_burst_above_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(5, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    clock.now += 60  # a minute of quiet
    times = []
    for _ in range(10):
        bucket.acquire()
        times.append(clock.now)
    assert busiest_second(times) == 5


def test_an_explicit_burst_is_honoured() -> None:
    clock = Clock()
    bucket = TokenBucket(2, burst=4, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        bucket.acquire()
    assert clock.slept == 0
    bucket.acquire()
    assert clock.slept == pytest.approx(0.5)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)


@pytest.fixture
def cognito_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "PER_POOL_RPS", 5.0)  # Cognito's per-pool, per-operation limit


def acquire_round_robin(
    limiter: RegionLimiter, clock: Clock, pools: list[str], n: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {p: [] for p in pools}
    for i in range(n):
        pool = pools[i % len(pools)]
        limiter.acquire("DescribeUserPoolClient", pool)
        times[pool].append(clock.now)
    return times


def test_one_pool_is_held_to_the_per_pool_limit(cognito_limits: None) -> None:
    clock = Clock()
    limiter = RegionLimiter(10, clock=clock, sleep=clock.sleep)
    times = acquire_round_robin(limiter, clock, ["pool-a"], 20)
    assert busiest_second(times["pool-a"]) == 5


def test_pools_share_the_account_region_limit(cognito_limits: None) -> None:
    clock = Clock()
    limiter = RegionLimiter(10, clock=clock, sleep=clock.sleep)
    times = acquire_round_robin(limiter, clock, ["pool-a", "pool-b", "pool-c"], 60)
    everything = [t for ts in times.values() for t in ts]
    # several pools together reach the category limit, never more; each pool stays within 5/s
    assert busiest_second(everything) == 10
    assert all(busiest_second(ts) <= 5 for ts in times.values())
    assert max(everything) - min(everything) == pytest.approx(5.9)


def test_max_rps_below_the_per_pool_limit_wins(cognito_limits: None) -> None:
    clock = Clock()
    limiter = RegionLimiter(2, clock=clock, sleep=clock.sleep)
    times = acquire_round_robin(limiter, clock, ["pool-a", "pool-b"], 12)
    assert busiest_second([t for ts in times.values() for t in ts]) == 2


def test_categories_are_limited_separately(cognito_limits: None) -> None:
    clock = Clock()
    limiter = RegionLimiter(10, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(10):
        limiter.acquire("ListUserPools")
        limiter.acquire("ListUserPoolClients", "pool-a")
        limiter.acquire("ListUserPoolClients", "pool-b")
    # UserPoolRead (10 at 10/s) and UserPoolClientRead (20 at 10/s) did not wait on each other
    assert clock.now - start == pytest.approx(1.9)


# --- Cognito's quota categories -------------------------------------------------------------
# "Amazon Cognito user pools API operation categories and request rate quotas"
# (https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html): UserPoolRead 15 RPS,
# UserPoolClientRead 15 RPS, UserPoolResourceRead 20 RPS per account and region, none adjustable;
# footnote 1 holds each operation of UserPoolClientRead and UserPoolResourceRead to 5 RPS on one
# user pool. Service Quotas: "Rate of UserPoolResourceRead requests per account" (20) and "...
# per user pool" (5).


@pytest.mark.parametrize(
    ("operation", "category"),
    [
        ("ListUserPools", "UserPoolRead"),
        ("DescribeUserPool", "UserPoolRead"),
        ("ListUserPoolClients", "UserPoolClientRead"),
        ("DescribeUserPoolClient", "UserPoolClientRead"),
        ("ListResourceServers", "UserPoolResourceRead"),
        ("ListUserPoolClientSecrets", "UserPoolClientRead"),  # not in AWS's table yet
        ("ListUserPoolReplicas", "UserPoolRead"),  # not in AWS's table yet
    ],
)
def test_operations_are_in_the_categories_aws_names(operation: str, category: str) -> None:
    assert ratelimit.CATEGORY[operation] == category


def test_category_rates_are_awss_capped_by_max_rps() -> None:
    assert ratelimit.CATEGORY_RPS == {
        "UserPoolRead": 15,
        "UserPoolClientRead": 15,
        "UserPoolResourceRead": 20,
    }
    assert ratelimit.category_rate("UserPoolResourceRead", 100) == 20
    assert ratelimit.category_rate("UserPoolClientRead", 100) == 15
    assert ratelimit.category_rate("UserPoolResourceRead", 10) == 10  # --max-rps stays a cap


def sweep_rate(limiter: RegionLimiter, clock: Clock, operation: str, pools: list[str], n: int) -> list[float]:
    times = []
    for i in range(n):
        limiter.acquire(operation, pools[i % len(pools)] if pools else None)
        times.append(clock.now)
    return times


@pytest.mark.parametrize(
    ("operation", "pools", "expected"),
    [
        pytest.param("ListResourceServers", [f"pool-{i}" for i in range(8)], 20, id="resource-read-20"),
        pytest.param("DescribeUserPoolClient", [f"pool-{i}" for i in range(8)], 15, id="client-read-15"),
        pytest.param("ListUserPools", [], 15, id="pool-read-15"),
        pytest.param("ListResourceServers", ["pool-a"], 5, id="resource-read-5-on-one-pool"),
        pytest.param("ListUserPoolClientSecrets", ["pool-a"], 5, id="client-read-5-on-one-pool"),
        # UserPoolRead has no per-pool limit in AWS's table
        pytest.param("DescribeUserPool", ["pool-a"], 15, id="pool-read-no-per-pool-limit"),
        # an operation m2m-guard has no category for: --max-rps, and the per-pool limit
        pytest.param("DescribeSomethingNew", ["pool-a"], 5, id="unlisted-held-per-pool"),
        pytest.param("DescribeSomethingNew", [], 100, id="unlisted-at-max-rps"),
    ],
)
def test_with_a_high_max_rps_each_category_runs_at_awss_rate(
    cognito_limits: None, operation: str, pools: list[str], expected: int
) -> None:
    clock = Clock()
    limiter = RegionLimiter(100, clock=clock, sleep=clock.sleep)
    assert busiest_second(sweep_rate(limiter, clock, operation, pools, 3 * expected)) == expected


def test_resource_servers_do_not_wait_for_app_clients(cognito_limits: None) -> None:
    clock = Clock()
    limiter = RegionLimiter(100, clock=clock, sleep=clock.sleep)
    start = clock.now
    for i in range(20):
        limiter.acquire("ListResourceServers", f"pool-{i}")
        if i < 15:
            limiter.acquire("DescribeUserPoolClient", f"pool-{i}")
    # 20 at 20/s and 15 at 15/s in separate buckets: about a second, not the 1.9 s of one bucket
    assert clock.now - start < 1.2
