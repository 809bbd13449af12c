"""Monthly cost arithmetic: prices, projections, per-pool totals, the TTL that fits a budget."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D
from typing import Any

import pytest

from m2m_guard.cost import client_cost, pool_cost, projected_requests, savings_plan, ttl_for_budget
from m2m_guard.model import Unknown, plural, usd
from m2m_guard.policy import PolicyLoadError, load_policy
from m2m_guard.pricing import DEFAULT_PRICES_CHECKED, HOURS_PER_MONTH, LAMBDA_PRICES_CHECKED, Pricing, Tier
from tests.rules.clients import m2m, pool_with, unknown, used

#: 1,000 requests at 0.01, the next 9,000 at 0.005, everything above at 0.001.
TIERS = Pricing(token_request_tiers=(Tier(1000, D("0.01")), Tier(10_000, D("0.005")), Tier(None, D("0.001"))))


def ttl(minutes: int, **changes: Any) -> Any:
    return m2m(AccessTokenValidity=minutes, TokenValidityUnits={"AccessToken": "minutes"}, **changes)


@pytest.mark.parametrize(
    ("pricing", "requests", "expected"),
    [
        pytest.param(Pricing(), 0, "0", id="flat-zero"),
        pytest.param(Pricing(), 1000, "2.25", id="flat-list-price-per-1000"),
        pytest.param(Pricing(), 730, "1.6425", id="flat-730"),
        pytest.param(Pricing(), 1460, "3.285", id="flat-exact-half-cent"),
        pytest.param(Pricing(token_request_usd=D("0.001")), 2501, "2.501", id="flat-custom"),
        pytest.param(TIERS, 500, "5", id="tier-1-partial"),
        pytest.param(TIERS, 1000, "10", id="tier-1-exact-bound"),
        pytest.param(TIERS, 1001, "10.005", id="one-into-tier-2"),
        pytest.param(TIERS, 10_000, "55", id="tier-2-exact-bound"),
        pytest.param(TIERS, 15_000, "60", id="into-last-tier"),
        pytest.param(
            Pricing(token_request_usd=D(99), token_request_tiers=(Tier(None, D("0.002")),)),
            1000,
            "2",
            id="tiers-replace-flat-price",
        ),
    ],
)
def test_requests_usd_is_exact(pricing: Pricing, requests: int, expected: str) -> None:
    assert pricing.requests_usd(requests) == D(expected)


DEFAULTS = f"m2m-guard's defaults (Amazon Cognito list prices, checked {DEFAULT_PRICES_CHECKED})"
#: What m2m-guard could not confirm on AWS's pages: the pricing page (aws.amazon.com/cognito/pricing,
#: de and ja versions as stored) says only that M2M app clients and token requests have no free
#: tier; USD 6.00 a client a month and USD 2.25 per 1,000 requests come from AWS billing
#: descriptions quoted by third parties (README, "Prices").
UNCONFIRMED_CLIENT = "USD 6.00 per app client a month"
UNCONFIRMED_REQUESTS = (
    "USD 0.00225 per token request at any volume (AWS's lower prices above its first tier are unknown "
    "here, so larger request amounts may be high)"
)


@pytest.mark.parametrize(
    ("pricing", "table", "unconfirmed"),
    [
        pytest.param("", DEFAULTS, (UNCONFIRMED_CLIENT, UNCONFIRMED_REQUESTS), id="no-pricing"),
        pytest.param("pricing: {}\n", DEFAULTS, (UNCONFIRMED_CLIENT, UNCONFIRMED_REQUESTS), id="empty"),
        pytest.param(
            "pricing: {app_client_month_usd: 6.0, token_request_usd: 0.00225}\n",
            "the policy's (team.yaml)",
            (),
            id="the-policy-sets-both-even-at-the-default-figures",
        ),
        pytest.param(
            "pricing: {app_client_month_usd: 5.5}\n",
            f"the policy's (team.yaml) for app_client_month_usd; {DEFAULTS} for the rest",
            (UNCONFIRMED_REQUESTS,),
            id="client-price-only",
        ),
        pytest.param(
            "pricing: {token_request_tiers: [{up_to: 250000, usd: 0.00225}, {usd: 0.0018}]}\n",
            f"the policy's (team.yaml) for token_request_tiers; {DEFAULTS} for the rest",
            (UNCONFIRMED_CLIENT,),
            id="tiers-only",
        ),
    ],
)
def test_the_price_table_says_whose_figures_are_used(
    pricing: str, table: str, unconfirmed: tuple[str, ...]
) -> None:
    loaded = load_policy("team.yaml", "version: 1\n" + pricing + "rules: []\n").pricing
    assert loaded.table() == table
    assert loaded.unconfirmed() == unconfirmed


def test_prices_built_in_code_are_not_called_the_defaults() -> None:
    assert Pricing().table() == DEFAULTS and Pricing().replaced() == ()
    custom = Pricing(token_request_usd=D("0.002"))
    assert custom.replaced() == ("token_request_usd",)
    assert custom.table() == f"custom prices for token_request_usd; {DEFAULTS} for the rest"
    assert TIERS.replaced() == ("token_request_tiers",) and TIERS.unconfirmed() == (UNCONFIRMED_CLIENT,)


def test_list_prices_are_the_design_defaults() -> None:
    price = Pricing()
    assert (price.app_client_month_usd, price.token_request_usd, price.token_request_tiers) == (
        D("6.00"),
        D("0.00225"),
        (),
    )
    assert HOURS_PER_MONTH == 730


@pytest.mark.parametrize(
    ("ttl_seconds", "requests"),
    [
        pytest.param(3600, D(730), id="1-hour"),
        pytest.param(300, D(8760), id="5-minutes"),
        pytest.param(900, D(2920), id="15-minutes"),
        pytest.param(86400, D(730) / 24, id="1-day"),
        pytest.param(0, D(0), id="zero-ttl-no-division"),
    ],
)
def test_projected_requests_one_token_per_lifetime_over_730_hours(ttl_seconds: int, requests: D) -> None:
    assert projected_requests(ttl_seconds) == requests


@pytest.mark.parametrize(
    ("client", "requests", "basis"),
    [
        pytest.param(m2m(), 730, "projected", id="default-ttl"),
        pytest.param(ttl(15), 2920, "projected", id="15-minutes"),
        pytest.param(m2m(usage=used(100, 10)), 304, "observed", id="observed-scaled-30.4-days"),
        pytest.param(m2m(usage=used(500, 30.4)), 500, "observed", id="observed-month"),
        pytest.param(
            m2m(AccessTokenValidity=unknown(), usage=used(7, 30.4)),
            7,
            "observed",
            id="observed-beats-unknown",
        ),
        pytest.param(m2m(AccessTokenValidity=unknown()), None, "unknown", id="unknown-ttl"),
        pytest.param(m2m(GenerateSecret=False), 0, "projected", id="can-never-get-a-token"),
    ],
)
def test_client_cost_basis(client: Any, requests: int | None, basis: str) -> None:
    cost = client_cost(client)
    assert cost.basis == basis
    assert cost.requests_month == (None if requests is None else D(requests))
    if basis == "unknown":
        assert "AccessTokenValidity is unknown" in cost.reason


def test_pool_cost_adds_clients_and_requests() -> None:
    cost = pool_cost(
        [m2m(), ttl(5), m2m(usage=used(1000, 30.4)), m2m(AccessTokenValidity=unknown())], Pricing()
    )
    assert cost.client_count == 4
    assert cost.clients_usd == D("24.00")
    assert cost.requests_month == 730 + 8760 + 1000  # the unknown one adds nothing
    # 10,490 × 0.00225 = 23.6025, shown as 23.60; the total is what the columns show
    assert (cost.requests_usd, cost.total_usd) == (D("23.60"), D("47.60"))
    assert cost.projected is True
    assert len(cost.unknown) == 1


def test_pool_cost_prices_tiers_on_the_pool_total() -> None:
    cost = pool_cost([m2m(usage=used(800, 30.4)), m2m(usage=used(800, 30.4))], TIERS)
    assert cost.requests_usd == D("13.00")  # 1,000 × 0.01 + 600 × 0.005


def test_line_items_round_half_up_and_the_total_is_their_sum() -> None:
    # the examples' BillingPool: 3 clients, 1,460 projected requests: 3.285 is 3.29 on a bill
    cost = pool_cost([m2m(), m2m(), m2m(GenerateSecret=False)], Pricing())
    assert (cost.requests_month, cost.clients_usd, cost.requests_usd) == (1460, D("18.00"), D("3.29"))
    assert cost.total_usd == D("21.29") == cost.clients_usd + cost.requests_usd


def test_requests_are_whole_before_they_are_priced() -> None:
    # three clients at 1 day: 3 × 30.41666... = 91.25 requests, billed as 91
    cost = pool_cost([ttl(1440), ttl(1440), ttl(1440)], Pricing(token_request_usd=D("0.5")))
    assert cost.requests_month == 91 and cost.requests_usd == D("45.50")


@pytest.mark.parametrize(
    ("amount", "text"),
    [(7.6425, "$7.64"), (1234.5, "$1,234.50"), (0, "$0.00"), (D("3.285"), "$3.29"), (D("0.005"), "$0.01")],
)
def test_usd(amount: float | D, text: str) -> None:
    assert usd(amount) == text


# --- ttl_for_budget ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clients", "budget", "minutes"),
    [
        # 6.00 + 2,628,000 / TTL × 0.00225 <= 7.00  <=>  TTL >= 5,913 s -> 99 minutes
        pytest.param([m2m()], D(7), 99, id="one-client"),
        # 6.00 + 2,628,000 / TTL × 0.00225 <= 10.00  <=>  TTL >= 1,478.25 s -> 25 minutes
        pytest.param([ttl(5)], D(10), 25, id="from-5-minutes"),
        # two projected clients share the room: 2 × 2,628,000 / TTL × 0.00225 <= 2.00 -> 99 minutes
        pytest.param([ttl(5), ttl(5), m2m(usage=used(0, 30))], D(20), 99, id="observed-client-fee-stays"),
        # observed requests stay: 6 + 6 fixed, room 3.00 for 1,000 + P requests: 1,334 requests
        # show as 3.00 (3.0015), 1,337 as 3.01 -> P = 334 at 131 minutes, 337 at 130
        pytest.param([m2m(), m2m(usage=used(1000, 30.4))], D(15), 131, id="observed-requests-stay"),
    ],
)
def test_ttl_for_budget_is_the_shortest_whole_minute_that_fits(
    clients: list[Any], budget: D, minutes: int
) -> None:
    cost = pool_cost(clients, Pricing())
    seconds = ttl_for_budget(cost, budget)
    assert seconds == minutes * 60
    fits = pool_cost([ttl(minutes) if c.usage is None else c for c in clients], Pricing())
    fails = pool_cost([ttl(minutes - 1) if c.usage is None else c for c in clients], Pricing())
    assert fits.total_usd <= budget < fails.total_usd


@pytest.mark.parametrize(
    ("clients", "budget"),
    [
        pytest.param([m2m(usage=used(10_000, 30))], D(10), id="nothing-projected"),
        pytest.param([m2m(), m2m()], D(12), id="client-fees-fill-the-budget"),
        pytest.param([m2m(), m2m()], D(11), id="client-fees-exceed-the-budget"),
        # even one token a day costs 30 × 0.00225 = 0.0675, shown 0.07: not within 6.05
        pytest.param([m2m()], D("6.05"), id="not-even-at-1-day"),
    ],
)
def test_ttl_for_budget_none_when_no_ttl_helps(clients: list[Any], budget: D) -> None:
    assert ttl_for_budget(pool_cost(clients, Pricing()), budget) is None


def test_ttl_for_budget_prices_as_the_report_shows() -> None:
    # 6.07 holds 33 requests a month (0.07425, shown 0.07), not 34 (0.0765, shown 0.08): 33 is
    # 2,628,000 s / TTL rounded, so 1,308 minutes (33.49) fits and 1,307 (33.51) does not
    assert ttl_for_budget(pool_cost([m2m()], Pricing()), D("6.07")) == 1308 * 60
    # even one token a day (30 requests, 0.07) is over 6.06, and no TTL beyond a day is allowed
    assert ttl_for_budget(pool_cost([m2m()], Pricing()), D("6.06")) is None


def test_ttl_for_budget_with_tiers() -> None:
    # one projected client, 2.00 for requests: 1,000 × 0.01 is already over, so stay in tier 1:
    # 2,628,000 / TTL × 0.01 <= 2.00  <=>  TTL >= 13,140 s -> 219 minutes
    assert ttl_for_budget(pool_cost([m2m()], TIERS), D(8)) == 219 * 60


def test_ttl_for_budget_with_tiers_and_observed_usage_prices_the_total() -> None:
    pricing = Pricing(token_request_tiers=(Tier(1000, D("0.01")), Tier(None, D("0.0001"))))
    observed = m2m(usage=used(1000, 30.4))  # fills tier 1: 10.00
    cost = pool_cost([observed, ttl(5)], pricing)
    # 12.00 fees + 10.00 + P × 0.0001 <= 22.50  <=>  P <= 5,000  <=>  TTL >= 525.6 s -> 9 minutes
    assert ttl_for_budget(cost, D("22.5")) == 9 * 60


@pytest.mark.parametrize(
    ("clients", "at_least"),
    [
        pytest.param([m2m(usage=used(100, 30.4))], False, id="observed-is-exact"),
        pytest.param([m2m(usage=used(100, 30.4)), m2m()], True, id="projected-is-a-lower-bound"),
        pytest.param([m2m(AccessTokenValidity=unknown())], True, id="unknown-counts-as-none"),
    ],
)
def test_pool_total_is_at_least_when_requests_are_projected_or_unknown(
    clients: list[Any], at_least: bool
) -> None:
    assert pool_cost(clients, Pricing()).at_least is at_least


@pytest.mark.parametrize(
    ("amount", "text"),
    [(1, "1 token request"), (1.4, "1 token request"), (0, "0 token requests"), (1.6, "2 token requests")],
)
def test_count_says_one_in_the_singular(amount: float, text: str) -> None:
    assert plural(amount, "token request", grouped=True) == text


def test_breakdown_of_one_client_is_singular() -> None:
    cost = pool_cost([m2m(usage=used(1, 30.4))], Pricing())
    assert cost.breakdown() == "1 M2M client × $6.00 = $6.00; 1 token request × $0.00225 = $0.00"


# --- a pool that customizes M2M access tokens pays a Lambda invocation per token request -------

V3 = {
    "LambdaConfig": {
        "PreTokenGenerationConfig": {
            "LambdaArn": "arn:aws:lambda:eu-west-1:1:function:f",
            "LambdaVersion": "V3_0",
        }
    }
}
#: Lambda prices large enough to see: USD 0.001 a request, nothing for duration.
DEAR_LAMBDA = Pricing(lambda_request_usd=D("0.001"), lambda_gb_second_usd=D(0))


def in_pool(settings: dict[str, Any] | None, *clients: Any) -> list[Any]:
    pool = pool_with(settings)
    return [dataclasses.replace(c, pool=pool) for c in clients]


def test_the_default_invocation_is_a_request_and_1_ms_at_128_mb() -> None:
    # USD 0.20 per million requests; 128 MB = 0.125 GB for 0.001 s at USD 0.0000166667 a GB-second
    assert Pricing().lambda_invocation_usd == D("0.0000002") + D("0.125") * D("0.001") * D("0.0000166667")
    custom = Pricing(lambda_memory_mb=512, lambda_duration_ms=D(1000))
    assert custom.lambda_invocation_usd == D("0.0000002") + D("0.5") * D("0.0000166667")


def test_a_customizing_pool_adds_an_invocation_per_request() -> None:
    cost = pool_cost(in_pool(V3, m2m(usage=used(1000, 30.4)), m2m()), DEAR_LAMBDA)
    assert cost.customizes is True and cost.lambda_unknown is None
    assert cost.lambda_usd == D("1.73")
    # 1,730 × 0.00225 = 3.8925, shown 3.89
    assert cost.total_usd == D("12.00") + D("3.89") + D("1.73")
    assert cost.breakdown().endswith(
        "; 1,730 Lambda invocations of the pre token generation trigger × $1,000.00 per million = $1.73"
    )


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({}, id="no-trigger"),
        pytest.param(
            {"LambdaConfig": {"PreTokenGeneration": "arn:aws:lambda:eu-west-1:1:function:f"}}, id="v1"
        ),
        pytest.param(
            {**V3, "UserPoolTier": "ESSENTIALS"}
            | {"LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": "a", "LambdaVersion": "V2_0"}}},
            id="v2",
        ),
    ],
)
def test_a_pool_without_a_v3_trigger_costs_exactly_what_it_did(settings: dict[str, Any]) -> None:
    clients = in_pool(settings, m2m(usage=used(1000, 30.4)), ttl(5))
    cost = pool_cost(clients, DEAR_LAMBDA)
    assert cost.customizes is False and cost.lambda_usd == 0 and cost.lambda_unknown is None
    assert cost.total_usd == cost.clients_usd + cost.requests_usd
    assert "Lambda" not in cost.breakdown()


def test_unknown_customization_is_reported_never_zero() -> None:
    cost = pool_cost(in_pool(None, m2m(usage=used(1000, 30.4))), DEAR_LAMBDA)
    assert isinstance(cost.customizes, Unknown)
    assert cost.lambda_unknown == "the settings of UserPool are not in the scanned inputs"
    assert cost.at_least is True  # observed requests, but their invocations are unknown
    assert cost.total_usd == cost.clients_usd + cost.requests_usd
    assert cost.breakdown().endswith(
        "; Lambda trigger unknown (the settings of UserPool are not in the scanned inputs)"
    )


def test_unknown_customization_of_a_pool_without_requests_costs_nothing() -> None:
    cost = pool_cost(in_pool(None, m2m(usage=used(0, 30))), DEAR_LAMBDA)
    assert cost.lambda_unknown is None and cost.at_least is False


def test_the_ttl_for_a_budget_counts_the_invocations() -> None:
    # one client: 6.00 a month plus 730 h / TTL requests at 0.00225 (+ 0.001 with the trigger)
    budget = D("6.00") + 100 * D("0.00225")
    plain = ttl_for_budget(pool_cost(in_pool({}, m2m()), DEAR_LAMBDA), budget)
    dear = ttl_for_budget(pool_cost(in_pool(V3, m2m()), DEAR_LAMBDA), budget)
    # unknown: a TTL that is enough must be enough with the invocations too
    doubt = ttl_for_budget(pool_cost(in_pool(None, m2m()), DEAR_LAMBDA), budget)
    assert plain is not None and dear is not None
    assert plain < dear == doubt
    requests = projected_requests(dear)
    assert D("6.00") + requests * (D("0.00225") + D("0.001")) <= budget


def test_caching_saves_the_invocations_too() -> None:
    client = m2m(usage=used(10_000, 30.4))  # 60-minute tokens: 730 needed, 9,270 too many
    plain = savings_plan(pool_cost(in_pool({}, client), DEAR_LAMBDA), None, 86400)
    dear = savings_plan(pool_cost(in_pool(V3, client), DEAR_LAMBDA), None, 86400)
    assert plain.caching_requests == dear.caching_requests == 9270
    # 9,270 × 0.00225 = 20.8575, the requests line item drops from 22.50 to 1.64: 20.86
    assert plain.caching_usd == D("20.86")
    assert dear.caching_usd == plain.caching_usd + D("9.27")


def test_lambda_prices_come_from_the_policy() -> None:
    policy = load_policy(
        "p.yaml",
        "version: 1\npricing:\n  lambda_request_usd: 0.0000004\n  lambda_gb_second_usd: 0.00002\n"
        "  lambda_memory_mb: 256\n  lambda_duration_ms: 50\nrules: []\n",
    )
    pricing = policy.pricing
    assert (pricing.lambda_request_usd, pricing.lambda_gb_second_usd) == (D("0.0000004"), D("0.00002"))
    assert (pricing.lambda_memory_mb, pricing.lambda_duration_ms) == (256, D(50))
    assert pricing.replaced() == (
        "lambda_request_usd",
        "lambda_gb_second_usd",
        "lambda_memory_mb",
        "lambda_duration_ms",
    )
    # a report without a customizing pool names the Cognito prices only
    assert pricing.table() == DEFAULTS
    assert (
        pricing.table(lambda_used=True)
        == "the policy's (p.yaml) for lambda_request_usd, lambda_gb_second_usd, lambda_memory_mb, "
        + "lambda_duration_ms; "
        + DEFAULTS[:-1]
        + f"; AWS Lambda list prices, checked {LAMBDA_PRICES_CHECKED}) for the rest"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lambda_memory_mb: 64", "pricing.lambda_memory_mb: must be at least 128"),
        ("lambda_duration_ms: -1", "pricing.lambda_duration_ms: must not be negative"),
        (
            "lambda_request_usd: 2",
            "pricing.lambda_request_usd: 2 is more than m2m-guard accepts here (at most 1)",
        ),
    ],
)
def test_lambda_prices_are_checked_for_sense(text: str, message: str) -> None:
    with pytest.raises(PolicyLoadError) as caught:
        load_policy("p.yaml", f"version: 1\npricing:\n  {text}\nrules: []\n")
    assert caught.value.lines == [f"p.yaml:3: {message}"]
