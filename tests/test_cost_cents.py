"""Every cost report adds up to the cent, in every format, and matches a brute-force bill.

For random price tables (flat or tiered, with Lambda figures, written as decimals in a policy
file), random pools (customizing M2M tokens or not, or unknown) and random clients (TTLs,
unknown TTLs, observed usage over any window, clients that can never get a token), each
format's line items add up to its pool totals, the pool totals to the grand total, and each
figure equals a computation in exact fractions: requests a month summed per pool and billed
whole (half-up), each line item rounded half-up to the cent, the total their sum. The
``pool_budget`` message adds up the same way.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from m2m_guard.engine import cost_report
from m2m_guard.model import Undetermined
from m2m_guard.policy import load_policy
from m2m_guard.pricing import Pricing
from m2m_guard.reporters.cost import RENDERERS
from m2m_guard.rules import PoolView
from tests.rules.clients import check_pool, m2m, pool_with, unknown, used

EXAMPLES = int(os.environ.get("M2M_GUARD_HYPOTHESIS_EXAMPLES", "150"))
PROFILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
V3 = {
    "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": "arn:aws:lambda:::f", "LambdaVersion": "V3_0"}}
}
WINDOWS = (0.5, 1, 7, 28, 30, 30.4, 31, 90, 3653)


def decimals(most: int, places: int) -> st.SearchStrategy[str]:
    """A price as a policy writes it: up to ``places`` decimals, at most ``most``."""
    return st.integers(0, most * 10**places).map(lambda n: _text(Fraction(n, 10**places), places))


def _text(value: Fraction, places: int) -> str:
    whole, part = divmod(value.numerator * 10**places // value.denominator, 10**places)
    return f"{whole}.{part:0{places}d}" if places else str(whole)


@dataclass(frozen=True)
class Client:
    kind: str  # ttl, unknown, usage, blocked
    minutes: int = 60
    requests: int = 0
    window: float = 30


@dataclass(frozen=True)
class Scenario:
    pricing: dict[str, Any]  # written figures, as text
    tiers: tuple[tuple[int | None, str], ...]
    pools: tuple[tuple[str, tuple[Client, ...]], ...]  # (customizes: yes/no/unknown, clients)


clients = st.one_of(
    st.builds(Client, st.just("ttl"), minutes=st.integers(5, 1440)),
    st.builds(Client, st.just("unknown")),
    st.builds(Client, st.just("usage"), requests=st.integers(0, 10**7), window=st.sampled_from(WINDOWS)),
    st.builds(Client, st.just("blocked")),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    pricing: dict[str, Any] = {}
    if draw(st.booleans()):
        pricing["app_client_month_usd"] = draw(decimals(1000, 2))
    if draw(st.booleans()):
        pricing["token_request_usd"] = draw(decimals(1, 6))
    tiers: tuple[tuple[int | None, str], ...] = ()
    if draw(st.booleans()):
        bounds = sorted(draw(st.sets(st.integers(1, 10**6), min_size=0, max_size=3)))
        tiers = tuple((b, draw(decimals(1, 6))) for b in bounds) + ((None, draw(decimals(1, 6))),)
    if draw(st.booleans()):
        pricing["lambda_request_usd"] = draw(decimals(1, 8))
        pricing["lambda_gb_second_usd"] = draw(decimals(1, 10))
        pricing["lambda_memory_mb"] = draw(st.integers(128, 10240))
        pricing["lambda_duration_ms"] = draw(decimals(900_000, 1))
    pools = draw(
        st.lists(
            st.tuples(st.sampled_from(("yes", "no", "unknown")), st.lists(clients, min_size=1, max_size=5)),
            min_size=1,
            max_size=3,
        )
    )
    return Scenario(pricing, tiers, tuple((c, tuple(m)) for c, m in pools))


# --- the brute-force bill ------------------------------------------------------------------------


def half_up(value: Fraction, unit: Fraction) -> Fraction:
    return (value / unit + Fraction(1, 2)).__floor__() * unit


CENT = Fraction(1, 100)


def figure(scenario: Scenario, key: str, default: str) -> Fraction:
    return Fraction(str(scenario.pricing.get(key, default)))


def requests_price(scenario: Scenario, requests: int) -> Fraction:
    if not scenario.tiers:
        return requests * figure(scenario, "token_request_usd", "0.00225")
    total, floor = Fraction(0), 0
    for bound, usd in scenario.tiers:
        top = requests if bound is None else min(requests, bound)
        if top > floor:
            total += (top - floor) * Fraction(usd)
        if bound is None or requests <= bound:
            break
        floor = bound
    return total


def client_requests(client: Client) -> Fraction:
    if client.kind == "ttl":
        return Fraction(730 * 3600, client.minutes * 60)
    if client.kind == "usage":
        return Fraction(client.requests) * Fraction("30.4") / Fraction(repr(client.window))
    return Fraction(0)  # unknown TTL adds none; a client that can never get a token makes none


def expected_pool(scenario: Scenario, customizes: str, members: Sequence[Client]) -> dict[str, Any]:
    billed = int(half_up(sum((client_requests(c) for c in members), Fraction(0)), Fraction(1)))
    clients = half_up(len(members) * figure(scenario, "app_client_month_usd", "6.00"), CENT)
    requests = half_up(requests_price(scenario, billed), CENT)
    invocation = figure(scenario, "lambda_request_usd", "0.0000002") + Fraction(
        scenario.pricing.get("lambda_memory_mb", 128), 1024
    ) * figure(scenario, "lambda_duration_ms", "1") / 1000 * figure(
        scenario, "lambda_gb_second_usd", "0.0000166667"
    )
    lam = half_up(billed * invocation, CENT) if customizes == "yes" else Fraction(0)
    return {"requests": billed, "clients": clients, "requests_usd": requests, "lambda": lam}


# --- building the report from the scenario -------------------------------------------------------


def policy_text(scenario: Scenario) -> str:
    lines = ["version: 1", "pricing:"]
    lines += [f"  {key}: {value}" for key, value in scenario.pricing.items()]
    if scenario.tiers:
        lines.append("  token_request_tiers:")
        for bound, usd in scenario.tiers:
            lines.append(
                f"    - {{usd: {usd}}}" if bound is None else f"    - {{up_to: {bound}, usd: {usd}}}"
            )
    if len(lines) == 2:
        lines.pop()
    return "\n".join([*lines, "rules: []", ""])


def app_client(client: Client, name: str) -> Any:
    if client.kind == "ttl":
        return m2m(
            ClientName=name, AccessTokenValidity=client.minutes, TokenValidityUnits={"AccessToken": "minutes"}
        )
    if client.kind == "unknown":
        return m2m(ClientName=name, AccessTokenValidity=unknown())
    if client.kind == "usage":
        return m2m(ClientName=name, usage=used(client.requests, client.window))
    return m2m(ClientName=name, GenerateSecret=False)


def build(scenario: Scenario) -> tuple[list[Any], Pricing]:
    pricing = load_policy("p.yaml", policy_text(scenario)).pricing
    built = []
    for index, (customizes, members) in enumerate(scenario.pools):
        settings_ = {"yes": V3, "no": {}, "unknown": None}[customizes]
        pool = dataclasses.replace(pool_with(settings_), key=f"pool-{index}", label=f"pool-{index}")
        for n, client in enumerate(members):
            built.append(dataclasses.replace(app_client(client, f"c{index}-{n}"), pool=pool))
    return built, pricing


MONEY = re.compile(r"\$([0-9,]+\.[0-9]{2})")


def money(text: str) -> list[Decimal]:
    return [Decimal(m.replace(",", "")) for m in MONEY.findall(text)]


def to_cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))


def check_table_rows(rows: dict[str, str], expected: dict[str, dict[str, Any]]) -> Decimal:
    """Each pool's row: its amounts are its line items, then its total (the sum of them)."""
    totals = Decimal(0)
    for label, row in rows.items():
        amounts = money(row)
        want = expected[label]
        items = [want["clients"], want["requests_usd"]] + ([want["lambda"]] if want["shows_lambda"] else [])
        assert amounts[: len(items)] == [to_cents(i) for i in items], row
        assert amounts[len(items)] == sum(amounts[: len(items)]), row
        totals += amounts[len(items)]
    return totals


@PROFILE
@given(scenarios())
def test_every_format_adds_up_to_the_cent_and_matches_the_bill(scenario: Scenario) -> None:
    built, pricing = build(scenario)
    policy = load_policy("p.yaml", policy_text(scenario))
    report = cost_report(policy, built)
    expected = {}
    for index, (customizes, members) in enumerate(scenario.pools):
        want = expected_pool(scenario, customizes, members)
        want["shows_lambda"] = customizes == "yes"
        want["unknown_lambda"] = customizes == "unknown"
        expected[f"pool-{index}"] = want
    grand = Decimal(0)

    # json: amounts are strings of exact cents
    data = json.loads(RENDERERS["json"](report))
    for pool in data["pools"]:
        want = expected[pool["pool"]]
        assert pool["token_requests_month"] == want["requests"]
        assert Fraction(pool["clients_usd"]) == want["clients"]
        assert Fraction(pool["requests_usd"]) == want["requests_usd"]
        lam = pool["lambda_usd"]
        lambda_unknown = want["unknown_lambda"] and (want["requests"] > 0 or pool["unknown_requests_clients"])
        assert (lam is None) if lambda_unknown else Fraction(lam) == want["lambda"]
        parts = [Decimal(pool["clients_usd"]), Decimal(pool["requests_usd"]), Decimal(lam or 0)]
        assert Decimal(pool["monthly_usd"]) == sum(parts)
        grand += Decimal(pool["monthly_usd"])
    assert Decimal(data["total_monthly_usd"]) == grand

    # csv: the same digits, bare
    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](report))))
    assert sum(Decimal(r["monthly_usd"]) for r in rows) == grand
    for row in rows:
        parts = [Decimal(row["clients_usd"]), Decimal(row["requests_usd"]), Decimal(row["lambda_usd"] or 0)]
        assert Decimal(row["monthly_usd"]) == sum(parts)

    # text and markdown: each row's amounts add up, the grand total is the sum of the rows
    for fmt, split in (("text", "  "), ("markdown", " | ")):
        out = RENDERERS[fmt](report)
        table = {
            line.split(split)[0].strip("|` "): line
            for line in out.splitlines()
            if line.lstrip("|` ").startswith("pool-")
        }
        assert set(table) == set(expected)
        assert check_table_rows(table, expected) == grand
        [total_line] = [line for line in out.splitlines() if "Total:" in line]
        assert money(total_line) == [grand]

    # pool_budget: the message's line items add up to its total
    for line in report.pools:
        view = PoolView(line.pool, tuple(c.client for c in line.cost.clients))
        try:
            violations = check_pool(view, pricing=pricing, monthly_usd=0)
        except Undetermined:  # nothing to pay, but some requests unknown: a note, no figures
            continue
        for violation in violations:
            headline, _, breakdown = violation.message.partition(" a month (")
            [total] = money(headline)
            items = [Decimal(m.replace(",", "")) for m in re.findall(r"= \$([0-9,]+\.[0-9]{2})", breakdown)]
            assert total == sum(items) == line.cost.total_usd
