#!/usr/bin/env python3
"""Live-sweep benchmark: API calls per client, wall time, request rates and how wall time
scales with concurrency, against a moto server on 127.0.0.1 with an injected per-call latency.

It is a benchmark, not a test: it prints figures and ratios and always exits 0. See
bench/README.md ("Sweep benchmark") for what the figures mean.

    python3 bench/sweep.py             # 10,000 clients + a 1,000-client scaling set (~10 min)
    python3 bench/sweep.py --quick     # 400 + 200 clients (~1 min)
    python3 bench/sweep.py --clients 4000 --latency-ms 50
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNT = "123456789012"  # moto's account for the fake credentials
MAIN_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"]
SCALE_REGIONS = ["us-west-2", "eu-central-1", "ap-northeast-1", "ca-central-1"]
#: How a region's clients are spread over its user pools: a few big pools, a tail of small ones.
POOL_SHARES = [0.30, 0.20, 0.15, 0.10, 0.10, 0.05, 0.05, 0.05]
PER_POOL_OPS = {"ListUserPoolClients", "DescribeUserPoolClient", "ListResourceServers"}


# --- environment and data ------------------------------------------------------------------


def fake_environment(scratch: Path) -> None:
    """Fake credentials and no user configuration: nothing can reach AWS."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(scratch / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(scratch / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )


def cache_pool_signing_key() -> None:
    """moto imports the same RSA key for every user pool (~0.3 s each); import it once."""
    from joserfc import jwk

    original = jwk.RSAKey.import_key
    cache: dict[str, Any] = {}

    def import_key(value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return original(value, *args, **kwargs)
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in cache:
            cache[key] = original(value)
        return cache[key]

    jwk.RSAKey.import_key = staticmethod(import_key)  # type: ignore[method-assign]


def split(total: int, shares: list[float]) -> list[int]:
    counts = [int(total * s) for s in shares]
    counts[0] += total - sum(counts)
    return counts


@dataclass
class Population:
    regions: list[str]
    clients: int = 0
    #: region -> [clients per pool]
    pools: dict[str, list[int]] = field(default_factory=dict)

    def minimum_calls(self) -> int:
        """ListUserPools pages + per pool (ListUserPoolClients pages + one ListResourceServers
        page + one DescribeUserPool) + one describe per client + GetCallerIdentity."""
        calls = 1
        for sizes in self.pools.values():
            calls += max(1, math.ceil(len(sizes) / 60))
            calls += sum(max(1, math.ceil(n / 60)) + 2 + n for n in sizes)
        return calls


def populate(regions: list[str], clients: int, rng: random.Random) -> Population:
    """Clients straight into moto's backend (the server in this process serves the same state):
    85% compliant client_credentials clients, 5% with a day-long token, 10% hosted-UI clients."""
    from moto.cognitoidp.models import cognitoidp_backends

    out = Population(regions, clients)
    per_region = split(clients, [1 / len(regions)] * len(regions))
    for region, n in zip(regions, per_region, strict=True):
        backend = cognitoidp_backends[ACCOUNT][region]
        sizes = split(n, POOL_SHARES)
        out.pools[region] = sizes
        for p, size in enumerate(sizes):
            pool = backend.create_user_pool(f"bench-{region}-{p}", {})
            backend.create_resource_server(
                pool.id, f"api-{p}", f"api-{p}", [{"ScopeName": "read", "ScopeDescription": "r"}]
            )
            for c in range(size):
                roll = rng.random()
                if roll < 0.10:
                    config: dict[str, Any] = {
                        "ClientName": f"web-{p}-{c}",
                        "AllowedOAuthFlowsUserPoolClient": True,
                        "AllowedOAuthFlows": ["code"],
                        "AllowedOAuthScopes": ["openid", "email"],
                        "CallbackURLs": ["https://app.example.com/cb"],
                    }
                else:
                    config = {
                        "ClientName": f"svc-{p}-{c}",
                        "AllowedOAuthFlowsUserPoolClient": True,
                        "AllowedOAuthFlows": ["client_credentials"],
                        "AllowedOAuthScopes": [f"api-{p}/read"],
                        "AccessTokenValidity": 24 if roll < 0.15 else 60,
                        "TokenValidityUnits": {"AccessToken": "hours" if roll < 0.15 else "minutes"},
                    }
                backend.create_user_pool_client(pool.id, True, config)
    return out


# --- measuring what the server sees ----------------------------------------------------------


class Recorder:
    """Handlers on every client the sweep makes. ``before-call`` (right after the sweep's rate
    limiter let the request go) records when each request is paced; ``before-send`` sleeps
    ``latency`` seconds (the network and service time of one request) and then records when it
    arrives. Retries pass ``before-send`` again but not ``before-call``."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.calls: list[tuple[float, str, str, str | None]] = []  # (time, region, operation, pool)
        self.sends: list[tuple[float, str, str, str | None]] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.calls, self.sends = [], []

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from m2m_guard.sweep import aws

        original = aws.client

        def client(session: Any, service: str, region: str | None, endpoint_url: str | None = None) -> Any:
            made = original(session, service, region, endpoint_url)

            def on_call(model: Any = None, params: Any = None, **_: Any) -> None:
                now = time.monotonic()
                pool = None
                if model.name in PER_POOL_OPS:
                    with contextlib.suppress(ValueError, AttributeError, TypeError):
                        pool = json.loads(params["body"]).get("UserPoolId")
                with self._lock:
                    self.calls.append((now, str(region), model.name, pool))

            def on_send(request: Any = None, event_name: str = "", **_: Any) -> None:
                if self.latency:
                    time.sleep(self.latency)
                operation = event_name.rsplit(".", 1)[-1]
                pool = None
                if operation in PER_POOL_OPS:
                    with contextlib.suppress(ValueError, AttributeError):
                        pool = json.loads(request.body).get("UserPoolId")
                with self._lock:
                    self.sends.append((time.monotonic(), str(region), operation, pool))

            made.meta.events.register("before-call", on_call)
            made.meta.events.register("before-send", on_send)
            return made

        aws.client = client
        try:
            yield
        finally:
            aws.client = original


def peak_rate(times: list[float], n: int) -> float:
    """Requests per second over the tightest run of ``n`` consecutive intervals: ``n`` divided
    by the shortest time in which ``n + 1`` requests arrived. A limiter that spaces requests
    exactly ``1 / n`` s apart scores ``n`` (plus arrival jitter), whereas a sliding one-second
    window would count ``n + 1`` whenever a sub-millisecond jitter shortens that span."""
    times = sorted(times)
    if len(times) <= n:  # too few for n intervals: count them in the busiest second
        return float(peak_in_one_second(times))
    span = min(b - a for a, b in zip(times, times[n:], strict=False))
    return n / span if span > 0 else float("inf")


def peak_in_one_second(times: list[float]) -> int:
    """Most requests in any half-open one-second window."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class Rates:
    #: (region, category) -> most requests in any sliding one-second window
    peak: dict[tuple[str, str], int]
    #: (region, category) -> peak_rate() over max_rps intervals
    rate: dict[tuple[str, str], float]
    #: region -> mean UserPoolClientRead requests per second while the region was being read
    mean: dict[str, float]
    #: highest peak_rate() over PER_POOL_RPS intervals of any (region, operation, pool)
    per_pool_rate: float


def rates(sends: list[tuple[float, str, str, str | None]], max_rps: float, per_pool_rps: float) -> Rates:
    from m2m_guard.sweep.ratelimit import CATEGORY

    by_category: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_pool: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for t, region, operation, pool in sends:
        category = CATEGORY.get(operation)
        if category:
            by_category[(region, category)].append(t)
        if pool:
            by_pool[(region, operation, pool)].append(t)
    n = max(1, min(int(max_rps), 100))
    peak = {key: peak_in_one_second(ts) for key, ts in by_category.items()}
    rate = {key: peak_rate(ts, n) for key, ts in by_category.items()}
    mean = {}
    for (region, category), ts in by_category.items():
        if category == "UserPoolClientRead" and len(ts) > 1:
            mean[region] = (len(ts) - 1) / (max(ts) - min(ts))
    k = max(1, min(int(per_pool_rps), 100))
    per_pool = max((peak_rate(ts, k) for ts in by_pool.values()), default=0.0)
    return Rates(peak, rate, mean, per_pool)


# --- runs ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    label: str
    concurrency: int
    workers: int
    max_rps: float
    wall: float
    clients: int
    calls: int
    sends: int
    errors: int
    rates: Rates  # as paced: when the limiter let each request go (before-call)
    arrived: Rates  # as the server saw them, after the latency and any scheduling jitter
    bound: float  # the quota-bound lower limit of the wall time, seconds


def lower_bound(population: Population, concurrency: int, max_rps: float, per_pool_rps: float) -> float:
    """Least wall time the limits allow: per region, its UserPoolClientRead calls at max_rps
    and its largest pool's describes at the per-pool rate; regions spread over the workers."""
    region_times = []
    for sizes in population.pools.values():
        client_reads = sum(n + max(1, math.ceil(n / 60)) for n in sizes)
        region_times.append(max(client_reads / max_rps, max(sizes) / min(max_rps, per_pool_rps)))
    workers = min(concurrency, len(region_times))
    return max(max(region_times), sum(region_times) / workers)


def sweep_once(
    label: str,
    population: Population,
    recorder: Recorder,
    endpoint: str,
    concurrency: int,
    workers: int,
    max_rps: float,
    unlimited: bool = False,
) -> Outcome:
    from m2m_guard.sweep import ratelimit
    from m2m_guard.sweep.runner import SweepOptions, run_sweep

    per_pool = ratelimit.PER_POOL_RPS
    if unlimited:
        ratelimit.PER_POOL_RPS = 1e9
    recorder.reset()
    options = SweepOptions(
        regions=population.regions,
        concurrency=concurrency,
        region_workers=workers,
        max_rps=max_rps,
        endpoint_url=endpoint,
    )
    try:
        start = time.perf_counter()
        result = run_sweep(options)
        wall = time.perf_counter() - start
    finally:
        ratelimit.PER_POOL_RPS = per_pool
    found = sum(len(p.clients) for inv in result.inventories for p in inv.pools)
    errors = sum(len(inv.errors) for inv in result.inventories)
    bound = lower_bound(population, concurrency, max_rps, 1e9 if unlimited else per_pool)
    return Outcome(
        label,
        concurrency,
        workers,
        max_rps,
        wall,
        found,
        len(recorder.calls),
        len(recorder.sends),
        errors,
        rates(recorder.calls, max_rps, 1e9 if unlimited else per_pool),
        rates(recorder.sends, max_rps, 1e9 if unlimited else per_pool),
        bound,
    )


def cli_once(
    population: Population, recorder: Recorder, endpoint: str, work: Path
) -> tuple[float, float, int, int]:
    """``m2m-guard sweep`` with its default pace, SARIF to a file: (total s, sweep s, results,
    SARIF bytes)."""
    from m2m_guard.cli import main
    from m2m_guard.sweep import runner

    original = runner.run_sweep
    timing: dict[str, float] = {}

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timing["sweep"] = time.perf_counter() - start

    recorder.reset()
    runner.run_sweep = timed
    cwd = Path.cwd()
    os.chdir(work)
    try:
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            code = main(
                [
                    "sweep",
                    "--regions",
                    ",".join(population.regions),
                    "--endpoint-url",
                    endpoint,
                    "--format",
                    "sarif",
                    "--output",
                    "live.sarif",
                    "--fail-on",
                    "never",
                ]
            )
        total = time.perf_counter() - start
    finally:
        os.chdir(cwd)
        runner.run_sweep = original
    sarif = work / "live.sarif"
    results = len(json.loads(sarif.read_text())["runs"][0]["results"]) if code == 0 else -1
    return total, timing.get("sweep", float("nan")), results, sarif.stat().st_size


# --- report --------------------------------------------------------------------------------------


def verdict(rate: float, limit: float) -> str:
    """Within the limit, allowing 1% for arrival jitter (the limiter itself is exact)."""
    return "ok" if limit >= 1e6 or rate <= limit * 1.01 else "OVER"


def print_outcomes(
    title: str, outcomes: list[Outcome], baseline: Outcome | None, population: Population
) -> None:
    print(f"\n{title}")
    print(
        f"  {'setting':<36} {'wall s':>7} {'bound s':>7} {'speedup':>7} {'clients':>7} {'calls':>6} "
        f"{'calls/cl':>8} {'retries':>7}  peak req/s in one region, paced (arrived): "
        "ClientRead, PoolRead; one pool"
    )
    for o in outcomes:

        def top(rates: Rates, category: str) -> float:
            return max((v for (_, c), v in rates.rate.items() if c == category), default=0.0)

        client_read, pool_read = top(o.rates, "UserPoolClientRead"), top(o.rates, "UserPoolRead")
        limit = (
            "no limit"
            if o.max_rps >= 1e6
            else f"limit {o.max_rps:g}: {verdict(max(client_read, pool_read), o.max_rps)}"
        )
        speedup = f"{baseline.wall / o.wall:6.2f}x" if baseline else "      -"
        bound = f"{o.bound:7.1f}" if o.max_rps < 1e6 else f"{'-':>7}"
        print(
            f"  {o.label:<36} {o.wall:7.1f} {bound} {speedup:>7} {o.clients:7d} {o.calls:6d} "
            f"{o.calls / max(1, o.clients):8.3f} {o.sends - o.calls:7d}  "
            f"{client_read:6.2f} ({top(o.arrived, 'UserPoolClientRead'):6.2f}), {pool_read:4.2f}; "
            f"{o.rates.per_pool_rate:5.2f} ({o.arrived.per_pool_rate:5.2f})  {limit}"
        )
        if o.errors or o.clients != population.clients:
            print(f"    !! {o.errors} errors, {o.clients} of {population.clients} clients found")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clients", type=int, help="clients in the main set (default 10000; 400 with --quick)"
    )
    parser.add_argument(
        "--scale-clients", type=int, help="clients in the scaling set (default 1000; 120 with --quick)"
    )
    parser.add_argument("--latency-ms", type=float, default=30.0, help="per-request latency (default 30)")
    parser.add_argument(
        "--max-rps", type=float, default=10.0, help="--max-rps of the scaling runs (default 10)"
    )
    parser.add_argument("--quick", action="store_true", help="small sets, about a minute")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    main_clients = args.clients or (400 if args.quick else 10_000)
    scale_clients = args.scale_clients or (120 if args.quick else 1_000)

    scratch = Path(tempfile.mkdtemp(prefix="m2m-sweep-bench-"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
    fake_environment(scratch)
    cache_pool_signing_key()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        rng = random.Random(args.seed)
        start = time.perf_counter()
        main_set = populate(MAIN_REGIONS, main_clients, rng)
        scale_set = populate(SCALE_REGIONS, scale_clients, rng)
        populate_s = time.perf_counter() - start
        recorder = Recorder(args.latency_ms / 1000)
        print(
            f"moto server {endpoint}; populated {main_clients:,} + {scale_clients:,} clients in "
            f"{populate_s:.1f} s; {len(MAIN_REGIONS)} regions per set, {len(POOL_SHARES)} pools per "
            f"region (shares {', '.join(f'{s:.0%}' for s in POOL_SHARES)}); "
            f"latency {args.latency_ms:g} ms per request (client side, before-send)"
        )
        from m2m_guard.sweep import ratelimit

        print(
            "Cognito-side limits modelled by the sweep: --max-rps per category, "
            f"{ratelimit.PER_POOL_RPS:g}/s per operation per pool"
        )

        with recorder.installed():
            # 1. The main set, as a user runs it: the CLI with its defaults, SARIF out.
            work = scratch / "cli"
            work.mkdir()
            total, swept, results, size = cli_once(main_set, recorder, endpoint, work)
            paced = rates(recorder.calls, 10.0, ratelimit.PER_POOL_RPS)
            arrived = rates(recorder.sends, 10.0, ratelimit.PER_POOL_RPS)
            calls, sends = len(recorder.calls), len(recorder.sends)
            print(
                f"\nMain set: `m2m-guard sweep` with its default pace (--concurrency 8 --region-workers 4 "
                f"--max-rps 10), {main_clients:,} clients, SARIF out"
            )
            print(
                f"  wall {total:.1f} s: sweep {swept:.1f} s, "
                f"evaluation + SARIF + inventory files {total - swept:.1f} s"
            )
            minimum = main_set.minimum_calls()
            print(
                f"  API calls {calls:,} = {calls / main_clients:.3f} per client; minimum {minimum:,} = "
                f"{minimum / main_clients:.3f} (one describe per client and per pool + list pages + "
                "GetCallerIdentity); "
                f"retries {sends - calls}"
            )
            bound = lower_bound(main_set, 8, 10.0, ratelimit.PER_POOL_RPS)
            print(f"  least time the limits allow {bound:.1f} s; the sweep took {swept / bound:.2f}x that")
            print(f"  {results:,} SARIF results, {size / 1e6:.2f} MB")
            print(
                "  peak req/s per category, paced by the sweep (as arrived at the server) "
                "[most in any 1-s window]:"
            )
            for region in main_set.regions:
                cats = sorted(c for (r, c) in paced.rate if r == region)
                print(
                    f"  {region:<15} "
                    + ", ".join(
                        f"{c} {paced.rate[(region, c)]:.2f} ({arrived.rate[(region, c)]:.2f}) "
                        f"[{arrived.peak[(region, c)]}]"
                        for c in cats
                    )
                    + f"; mean ClientRead {paced.mean.get(region, 0):.2f}/s"
                    + f" ({verdict(max(paced.rate[(region, c)] for c in cats), 10.0)})"
                )
            print(
                f"  peak req/s per operation per pool: {paced.per_pool_rate:.2f} "
                f"({arrived.per_pool_rate:.2f}) "
                f"(limit {ratelimit.PER_POOL_RPS:g}: {verdict(paced.per_pool_rate, ratelimit.PER_POOL_RPS)})"
            )

            # 2. Scaling within the quotas: account-regions in parallel (--concurrency).
            scaling = [
                sweep_once(
                    f"--concurrency {c} --region-workers {w}",
                    scale_set,
                    recorder,
                    endpoint,
                    c,
                    w,
                    args.max_rps,
                )
                for c, w in ((1, 1), (1, 4), (2, 4), (4, 4), (8, 4))
            ]
            print_outcomes(
                f"Scaling within the quotas: {scale_clients:,} clients, --max-rps {args.max_rps:g} "
                "('bound' = least time the limits allow)",
                scaling,
                scaling[0],
                scale_set,
            )
            # 3. Without client-side limits (not a setting to use): what latency alone allows.
            unlimited = [
                sweep_once(
                    f"no limits, -c 4 --region-workers {w}", scale_set, recorder, endpoint, 4, w, 1e9, True
                )
                for w in (1, 4, 16)
            ]
            print_outcomes(
                "Without client-side limits (above Cognito's quotas; shows the worker pools scale)",
                unlimited,
                unlimited[0],
                scale_set,
            )
        c1 = scaling[0].wall
        print("\nScaling summary (within the quotas): wall time against --concurrency 1 --region-workers 1")
        for o in scaling:
            print(
                f"  {o.label:<36} {o.wall:7.1f} s  {c1 / o.wall:5.2f}x faster; "
                f"{o.wall / o.bound:4.2f}x the least time the limits allow"
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a benchmark reports, it does not fail the build
        import traceback

        traceback.print_exc()
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(0)
