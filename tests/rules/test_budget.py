"""pool_budget: M2M clients × client price + token requests × request price, per pool."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D
from typing import Any

import pytest

from m2m_guard.cost import pool_cost
from m2m_guard.model import Undetermined
from m2m_guard.pricing import Pricing, Tier
from m2m_guard.rules import PoolView
from tests.rules.clients import check_pool, m2m, pool_view, pool_with, unknown, used

PROJECTED = "(projected at one token per TTL, a lower bound)"


def named(name: str, **changes: Any) -> Any:
    return m2m(ClientName=name, ClientId=f"id-{name}", **changes)


def ttl(minutes: int) -> dict[str, Any]:
    return {"AccessTokenValidity": minutes, "TokenValidityUnits": {"AccessToken": "minutes"}}


# --- the arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clients", "pricing", "total"),
    [
        # one client at the default 60-minute TTL: 730 h a month -> 730 requests, 1.6425 -> 1.64
        pytest.param([named("a")], Pricing(), "7.64", id="one-client-60-min"),
        pytest.param([named("a", **ttl(5))], Pricing(), "25.71", id="5-minute-ttl"),  # 8,760 × 0.00225
        # 730 / 24 = 30.42 requests, billed whole: 30 × 0.00225 = 0.0675 -> 0.07
        pytest.param([named("a", **ttl(1440))], Pricing(), "6.07", id="1-day-ttl"),
        # observed usage is scaled to a month: 1,000 × 30.4 / 7 = 4,342.86 -> 4,343 -> 9.77175
        pytest.param([named("a", usage=used(1000, 7))], Pricing(), "15.77", id="observed-7-days"),
        pytest.param([named("a", usage=used(0, 30))], Pricing(), "6.00", id="observed-zero"),
        pytest.param(
            [named(f"c{i}", usage=used(25_000, 30.4)) for i in range(4)],
            Pricing(),
            "249.00",  # 4 × 6.00 + 100,000 × 0.00225
            id="four-clients-observed",
        ),
        pytest.param(
            [named("a"), named("b")],
            Pricing(app_client_month_usd=D(0), token_request_usd=D("0.001")),
            "1.46",  # 2 × 730 × 0.001
            id="no-client-fee-region",
        ),
        # graduated tiers: first 1,000 at 0.01, the rest at 0.001
        pytest.param(
            [named("a", usage=used(3000, 30.4))],
            Pricing(token_request_tiers=(Tier(1000, D("0.01")), Tier(None, D("0.001")))),
            "18.00",  # 6.00 + 1,000 × 0.01 + 2,000 × 0.001
            id="tiered",
        ),
    ],
)
def test_pool_cost_follows_the_design_arithmetic(clients: list[Any], pricing: Pricing, total: str) -> None:
    cost = pool_cost(clients, pricing)
    assert cost.total_usd == D(total)
    # the rule agrees: within a budget of exactly the total, over it a cent below
    assert check_pool(pool_view(*clients), pricing=pricing, monthly_usd=float(total)) == []
    assert len(check_pool(pool_view(*clients), pricing=pricing, monthly_usd=float(D(total) - D("0.01")))) == 1


def test_one_client_at_60_minutes_projects_730_requests() -> None:
    cost = pool_cost([named("a")], Pricing())
    assert cost.requests_month == 730
    assert cost.requests_usd == D("1.64")  # 1.6425 on the bill
    assert cost.total_usd == D("7.64")


# --- over budget: breakdown and advice -----------------------------------------------------


def test_over_budget_message_shows_breakdown_and_ttl_advice() -> None:
    [violation] = check_pool(pool_view(named("svc-a")), monthly_usd=7)
    # 6.00 + 2,628,000 s / TTL × 0.00225 <= 7.00  <=>  TTL >= 5,913 s: 99 whole minutes
    assert violation.message.startswith(
        "UserPool costs at least $7.64 a month (1 M2M client × $6.00 = $6.00; "
        f"730 token requests × $0.00225 = $1.64 {PROJECTED}), over the $7.00 budget of policy BUDGET. "
    )
    assert "raise the access-token TTL to 99 minutes" in violation.message
    assert "unused" not in violation.message and "cache" not in violation.message
    assert violation.field is None


@pytest.mark.parametrize(
    ("ceiling", "advised"),
    [
        pytest.param(86400, True, id="cognito-maximum"),
        pytest.param(99 * 60, True, id="ceiling-equals-advice"),
        pytest.param(98 * 60, False, id="ceiling-below-advice"),
        pytest.param(3600, False, id="ttl-max-1h"),
    ],
)
def test_ttl_advice_never_exceeds_the_policy_ceiling(ceiling: int, advised: bool) -> None:
    [violation] = check_pool(pool_view(named("svc-a")), ttl_ceiling=ceiling, monthly_usd=7)
    assert ("raise the access-token TTL to 99 minutes" in violation.message) is advised
    assert ("access-token TTL to" in violation.message) is advised  # no other TTL offered instead
    # with no remedy left, the message ends with the verdict
    assert violation.message.endswith("over the $7.00 budget of policy BUDGET.") is not advised


def test_advice_names_unused_clients_and_the_saving() -> None:
    clients = [named(f"svc-{i}", **ttl(720)) for i in range(2, 10)]
    clients += [
        named("svc-1", AllowedOAuthScopes=(), **ttl(720)),
        named("svc-0", GenerateSecret=False, **ttl(720)),
    ]
    [violation] = check_pool(pool_view(*clients), monthly_usd=50)
    # 10 × 6.00 + 8 × 60.83 = 486.67, billed as 487 requests × 0.00225 = 1.09575 -> 1.10 (the
    # 2 clients that can never get a token make no requests); client fees alone exceed 50: no
    # TTL fixes it
    assert violation.message.startswith(
        "UserPool costs at least $61.10 a month (10 M2M clients × $6.00 = $60.00; "
        f"487 token requests × $0.00225 = $1.10 {PROJECTED}), over the $50.00 budget of policy BUDGET. "
    )
    assert violation.message.endswith("remove 2 unused clients (svc-0, svc-1; saves $12.00).")
    assert "TTL to" not in violation.message


def test_advice_lists_at_most_five_unused_names() -> None:
    clients = [named(f"svc-{i}", GenerateSecret=False) for i in range(7)]
    [violation] = check_pool(pool_view(*clients), monthly_usd=10)
    assert "remove 7 unused clients (svc-0, svc-1, svc-2, svc-3, svc-4; saves $42.00)" in violation.message


def test_advice_offers_each_remedy() -> None:
    clients = [named("svc-idle", usage=used(0, 30)), named("svc-a", **ttl(5)), named("svc-b", **ttl(5))]
    [violation] = check_pool(pool_view(*clients), monthly_usd=20)
    # 3 × 6.00 + 2 × 8,760 × 0.00225 = 57.42; 2 × 2,628,000 / TTL × 0.00225 <= 2.00 at 99 minutes
    assert violation.message.startswith(
        "UserPool costs at least $57.42 a month (3 M2M clients × $6.00 = $18.00; "
        "17,520 token requests × $0.00225 = $39.42 (observed for 1 client, projected at one token "
        "per TTL for 2)), over the $20.00 budget of policy BUDGET. "
    )
    assert "remove 1 unused client (svc-idle; saves $6.00)" in violation.message
    assert "raise the access-token TTL to 99 minutes" in violation.message


def test_observed_usage_is_scaled_and_caching_advised() -> None:
    # 1,000 requests in 7 days -> 4,342.86 a month; a 60-minute token needs only 730
    [violation] = check_pool(pool_view(named("svc-a", usage=used(1000, 7))), monthly_usd=10)
    assert violation.message.startswith(
        "UserPool costs about $15.77 a month (1 M2M client × $6.00 = $6.00; "
        "4,343 token requests × $0.00225 = $9.77), over the $10.00 budget of policy BUDGET. "
    )
    assert violation.message.endswith(
        "cache tokens until they expire (3,613 fewer requests a month, saves $8.13)."
    )
    assert "unused" not in violation.message and "TTL to" not in violation.message


def test_tiered_breakdown() -> None:
    pricing = Pricing(token_request_tiers=(Tier(1000, D("0.01")), Tier(None, D("0.001"))))
    [violation] = check_pool(
        pool_view(named("svc-a", usage=used(1000, 30.4))), pricing=pricing, monthly_usd=15
    )
    assert "(1 M2M client × $6.00 = $6.00; 1,000 token requests = $10.00 (tiered))" in violation.message


# --- unknown TTL or usage ------------------------------------------------------------------


def test_unknown_ttl_makes_a_within_budget_verdict_undetermined() -> None:
    clients = [
        named("svc-a"),
        named("svc-b", AccessTokenValidity=unknown("Ref to parameter Ttl without a default")),
    ]
    with pytest.raises(Undetermined) as caught:
        check_pool(pool_view(*clients), monthly_usd=50)
    assert caught.value.reason.startswith(
        "UserPool costs at least $13.64 a month (2 M2M clients × $6.00 = $12.00; "
        f"730 token requests × $0.00225 = $1.64 {PROJECTED}), within the $50.00 budget, "
        "but the requests of 1 client are unknown (svc-b: "
    )
    assert "Ref to parameter Ttl without a default" in caught.value.reason


def test_unknown_ttl_with_a_lower_bound_already_over_budget_is_a_violation() -> None:
    clients = [named("svc-a"), named("svc-b", AccessTokenValidity=unknown())]
    [violation] = check_pool(pool_view(*clients), monthly_usd=10)
    assert violation.message.startswith("UserPool costs at least $13.64 a month")
    assert "over the $10.00 budget of policy BUDGET." in violation.message


def test_observed_usage_makes_an_unknown_ttl_irrelevant() -> None:
    client = named("svc-a", AccessTokenValidity=unknown(), usage=used(100, 30.4))
    assert check_pool(pool_view(client), monthly_usd=50) == []


# --- the Lambda invocations of a pool that customizes M2M access tokens ------------------------

V3 = {
    "LambdaConfig": {
        "PreTokenGenerationConfig": {
            "LambdaArn": "arn:aws:lambda:eu-west-1:1:function:f",
            "LambdaVersion": "V3_0",
        }
    }
}
#: USD 0.001 a Lambda invocation, so that it shows at cents.
DEAR_LAMBDA = Pricing(lambda_request_usd=D("0.001"), lambda_gb_second_usd=D(0))


def pool_of(settings: Any, *clients: Any) -> PoolView:
    pool = pool_with(settings)
    return PoolView(pool, tuple(dataclasses.replace(c, pool=pool) for c in clients))


def test_a_customizing_pool_pays_its_invocations() -> None:
    view = pool_of(V3, named("a", usage=used(10_000, 30.4)))
    # 6.00 + 10,000 × 0.00225 = 28.50 without the trigger; + 10.00 with it
    assert check_pool(view, pricing=DEAR_LAMBDA, monthly_usd=30) != []
    [violation] = check_pool(view, pricing=DEAR_LAMBDA, monthly_usd=30)
    assert violation.message.startswith(
        "UserPool costs about $38.50 a month (1 M2M client × $6.00 = $6.00; 10,000 token requests × "
        "$0.00225 = $22.50; 10,000 Lambda invocations of the pre token generation trigger × "
        "$1,000.00 per million = $10.00), over the $30.00 budget of policy BUDGET."
    )
    assert (
        check_pool(pool_of({}, named("a", usage=used(10_000, 30.4))), pricing=DEAR_LAMBDA, monthly_usd=30)
        == []
    )


def test_unknown_customization_passes_a_budget_it_fits_either_way() -> None:
    view = pool_of(None, named("a", usage=used(10_000, 30.4)))
    assert check_pool(view, pricing=DEAR_LAMBDA, monthly_usd=40) == []


def test_unknown_customization_that_could_break_the_budget_is_undetermined() -> None:
    view = pool_of(None, named("a", usage=used(10_000, 30.4)))
    with pytest.raises(Undetermined) as caught:
        check_pool(view, pricing=DEAR_LAMBDA, monthly_usd=30)
    assert caught.value.reason == (
        "UserPool costs at least $28.50 a month (1 M2M client × $6.00 = $6.00; 10,000 token requests "
        "× $0.00225 = $22.50; Lambda trigger unknown (the settings of UserPool are not in the scanned "
        "inputs)), within the $30.00 budget unless each token request also invokes a Lambda trigger"
    )


def test_unknown_customization_over_budget_anyway_says_at_least() -> None:
    view = pool_of(None, named("a", usage=used(10_000, 30.4)))
    [violation] = check_pool(view, pricing=DEAR_LAMBDA, monthly_usd=20)
    assert violation.message.startswith("UserPool costs at least $28.50 a month")
    assert (
        "Lambda trigger unknown (the settings of UserPool are not in the scanned inputs)" in violation.message
    )
