"""Monthly cost of M2M clients: one computation for budgets, advice and cost reports.

Amazon Cognito bills machine-to-machine use per app client per month and per token request
(https://aws.amazon.com/cognito/pricing/, "Machine-to-machine (M2M) authorization"). The default
price table below is what m2m-guard could establish on DEFAULT_PRICES_CHECKED (README, "Prices"):
AWS's pricing page says there is no free tier for M2M app clients or token requests, but the
figures themselves render from price data that m2m-guard could not read there, so they come from
AWS billing descriptions quoted by third parties and are labelled unconfirmed in every cost
report. Every figure is a policy setting (``pricing:``), because AWS has changed them before and
they vary by region and agreement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from m2m_guard.model import (
    MAX_VALID_TTL_SECONDS,
    MIN_VALID_TTL_SECONDS,
    AppClient,
    Pool,
    Unknown,
    plural,
    token_blockers,
    usd,
)

APP_CLIENT_MONTH_USD = 6.00
TOKEN_REQUEST_USD = 0.00225
#: When the default price table was last checked against AWS's pages, and where.
DEFAULT_PRICES_CHECKED = "2026-11-30"
PRICING_PAGE = "https://aws.amazon.com/cognito/pricing/"
#: The pricing keys a policy can set.
PricingKey = Literal["app_client_month_usd", "token_request_usd", "token_request_tiers"]
PRICING_KEYS: tuple[PricingKey, ...] = ("app_client_month_usd", "token_request_usd", "token_request_tiers")
#: Default figures that AWS's own pages did not confirm, by the policy key that overrides each.
UNCONFIRMED_DEFAULTS: dict[PricingKey, str] = {
    "app_client_month_usd": "USD 6.00 per app client a month",
    "token_request_usd": (
        "USD 0.00225 per token request at any volume (AWS's lower prices above its first tier are unknown "
        "here, so larger request amounts may be high)"
    ),
}
#: AWS prices a month as 730 hours.
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


@dataclass(frozen=True)
class Tier:
    up_to: int | None  # requests per month this tier covers up to; None = no upper bound
    usd: float


@dataclass(frozen=True)
class Pricing:
    app_client_month_usd: float = APP_CLIENT_MONTH_USD
    token_request_usd: float = TOKEN_REQUEST_USD
    #: Graduated tiers; when given they replace ``token_request_usd``.
    token_request_tiers: tuple[Tier, ...] = ()
    #: The policy that set some of the figures (None: m2m-guard's defaults throughout), and the
    #: keys it set; the other figures are the defaults.
    policy: str | None = None
    overrides: tuple[PricingKey, ...] = ()

    def replaced(self) -> tuple[PricingKey, ...]:
        """The pricing keys whose figure is not m2m-guard's default, in PRICING_KEYS order."""
        keys: set[PricingKey] = set(self.overrides)
        if self.policy is None:  # built in code: a figure other than the default is not one
            if self.app_client_month_usd != APP_CLIENT_MONTH_USD:
                keys.add("app_client_month_usd")
            if self.token_request_usd != TOKEN_REQUEST_USD:
                keys.add("token_request_usd")
            if self.token_request_tiers:
                keys.add("token_request_tiers")
        return tuple(k for k in PRICING_KEYS if k in keys)

    def defaults_in_use(self) -> tuple[PricingKey, ...]:
        """The pricing keys whose figure is m2m-guard's default (tiers count with the request price)."""
        keys = set(self.replaced())
        in_use: list[PricingKey] = []
        if "app_client_month_usd" not in keys:
            in_use.append("app_client_month_usd")
        if not {"token_request_usd", "token_request_tiers"} & keys:
            in_use.append("token_request_usd")
        return tuple(in_use)

    def unconfirmed(self) -> tuple[str, ...]:
        """What the default figures in use are, for those AWS's pages did not confirm."""
        return tuple(UNCONFIRMED_DEFAULTS[k] for k in self.defaults_in_use() if k in UNCONFIRMED_DEFAULTS)

    def table(self) -> str:
        """Which price table a report used, in one phrase."""
        defaults = f"m2m-guard's defaults (Amazon Cognito list prices, checked {DEFAULT_PRICES_CHECKED})"
        keys = self.replaced()
        if not keys:
            return defaults
        owner = f"the policy's ({self.policy})" if self.policy else "custom prices"
        if not self.defaults_in_use():
            return owner
        return f"{owner} for {', '.join(keys)}; {defaults} for the rest"

    def requests_usd(self, requests: float) -> float:
        """Price of ``requests`` token requests in one month (graduated tiers if any)."""
        if not self.token_request_tiers:
            return requests * self.token_request_usd
        total, floor = 0.0, 0
        tiers = self.token_request_tiers
        for index, tier in enumerate(tiers):
            last = index == len(tiers) - 1
            # past the last bounded tier, its price carries on
            ceiling = math.inf if tier.up_to is None or last else tier.up_to
            total += max(0.0, min(requests, ceiling) - floor) * tier.usd
            if requests <= ceiling:
                break
            floor = int(ceiling)
        return total


Basis = Literal["observed", "projected", "unknown"]


@dataclass(frozen=True)
class ClientCost:
    client: AppClient
    #: Token requests per month; None when neither usage nor the TTL is known.
    requests_month: float | None
    basis: Basis
    reason: str = ""


def projected_requests(ttl_seconds: int) -> float:
    """One token per access-token lifetime, around the clock: a lower bound for a cached client."""
    return SECONDS_PER_MONTH / ttl_seconds if ttl_seconds > 0 else 0.0


def client_cost(client: AppClient) -> ClientCost:
    if client.usage is not None:
        return ClientCost(client, client.usage.requests_per_month, "observed")
    if token_blockers(client)[0]:
        return ClientCost(client, 0.0, "projected", "it can never issue a token")
    ttl = client.access_token_ttl
    if isinstance(ttl, Unknown):
        return ClientCost(client, None, "unknown", ttl.reason)
    return ClientCost(client, projected_requests(ttl), "projected")


@dataclass(frozen=True)
class PoolCost:
    clients: tuple[ClientCost, ...]
    pricing: Pricing

    @property
    def client_count(self) -> int:
        return len(self.clients)

    @property
    def clients_usd(self) -> float:
        return self.client_count * self.pricing.app_client_month_usd

    @property
    def requests_month(self) -> float:
        """Known requests per month (a lower bound when some are unknown)."""
        return sum(c.requests_month or 0.0 for c in self.clients)

    @property
    def requests_usd(self) -> float:
        return self.pricing.requests_usd(self.requests_month)

    @property
    def total_usd(self) -> float:
        return self.clients_usd + self.requests_usd

    @property
    def unknown(self) -> tuple[ClientCost, ...]:
        return tuple(c for c in self.clients if c.basis == "unknown")

    @property
    def projected(self) -> bool:
        return any(c.basis == "projected" for c in self.clients)

    @property
    def at_least(self) -> bool:
        """The requests, so the total, are a lower bound: some are projected at one token per
        TTL (a client that does not cache asks for more) or unknown (counted as none)."""
        return self.projected or bool(self.unknown)

    def breakdown(self) -> str:
        price = self.pricing
        requests = plural(self.requests_month, "token request", grouped=True)
        if price.token_request_tiers:
            requests += f" = {usd(self.requests_usd)} (tiered)"
        else:
            requests += f" × ${price.token_request_usd:g} = {usd(self.requests_usd)}"
        observed = sum(1 for c in self.clients if c.basis == "observed")
        projected = sum(1 for c in self.clients if c.basis == "projected")
        if projected and not observed:
            requests += " (projected at one token per TTL, a lower bound)"
        elif projected:
            requests += (
                f" (observed for {plural(observed, 'client')}, projected at one "
                f"token per TTL for {projected})"
            )
        return (
            f"{plural(self.client_count, 'M2M client')} × "
            f"{usd(price.app_client_month_usd)} = {usd(self.clients_usd)}; {requests}"
        )


def pool_cost(clients: Iterable[AppClient], pricing: Pricing) -> PoolCost:
    return PoolCost(tuple(client_cost(c) for c in clients), pricing)


def ttl_for_budget(cost: PoolCost, budget: float) -> int | None:
    """The shortest whole-minute TTL at which the pool's cost fits ``budget``.

    Only clients whose requests are projected from their TTL respond to a TTL change; observed
    usage and client fees stay. All requests are priced together (one tier ladder). None when
    no TTL from Cognito's 5-minute minimum to its 1-day maximum is enough.
    """
    projected = sum(1 for c in cost.clients if c.basis == "projected")
    if not projected:
        return None
    observed = sum(c.requests_month or 0.0 for c in cost.clients if c.basis == "observed")

    def fits(minutes: int) -> bool:
        requests = observed + projected * projected_requests(minutes * 60)
        return cost.clients_usd + cost.pricing.requests_usd(requests) <= budget

    low, high = MIN_VALID_TTL_SECONDS // 60, MAX_VALID_TTL_SECONDS // 60
    if not fits(high):
        return None
    while low < high:  # requests fall as the TTL grows, so bisect on minutes
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid + 1
    return low * 60


@dataclass(frozen=True)
class SavingsPlan:
    """What would cut a pool's monthly cost, each item on its own.

    ``unused``: billed clients that made no token request or can never get one, and what
    deleting them saves. ``ttl_seconds``: the shortest TTL that brings the pool under budget by
    itself (None without a budget, when the pool is within it, when no TTL up to the policy's
    own maximum is enough, or when it would not raise any client's TTL). ``caching``: requests a
    month above one token per TTL at the observed rate, and what fetching a token only when the
    cached one expires would save.
    """

    unused: tuple[AppClient, ...] = ()
    unused_usd: float = 0.0
    ttl_seconds: int | None = None
    caching_requests: float = 0.0
    caching_usd: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.unused and self.ttl_seconds is None and self.caching_requests < 1


def is_unused(client: AppClient) -> bool:
    return (client.usage is not None and client.usage.requests == 0) or bool(token_blockers(client)[0])


def savings_plan(cost: PoolCost, budget: float | None, ttl_ceiling: int) -> SavingsPlan:
    unused = tuple(
        sorted((c.client for c in cost.clients if is_unused(c.client)), key=lambda c: c.location.name)
    )
    ttl = None
    if budget is not None and cost.total_usd > budget:
        candidate = ttl_for_budget(cost, budget)
        current = [c.client.access_token_ttl for c in cost.clients if c.basis == "projected"]
        shortest = min((t for t in current if isinstance(t, int)), default=0)
        if candidate is not None and shortest < candidate <= ttl_ceiling:
            ttl = candidate
    excess = 0.0
    for c in cost.clients:
        ttl_now = c.client.access_token_ttl
        if c.basis == "observed" and isinstance(ttl_now, int) and ttl_now > 0 and c.requests_month:
            excess += max(0.0, c.requests_month - projected_requests(ttl_now))
    total = cost.requests_month
    return SavingsPlan(
        unused=unused,
        unused_usd=len(unused) * cost.pricing.app_client_month_usd,
        ttl_seconds=ttl,
        caching_requests=excess,
        # priced at the margin, so tiers count right
        caching_usd=cost.pricing.requests_usd(total) - cost.pricing.requests_usd(total - excess),
    )


@dataclass(frozen=True)
class PoolLine:
    """One row of a cost report: a pool, what its M2M clients cost a month, and the savings."""

    pool: Pool
    cost: PoolCost
    plan: SavingsPlan
    budget_usd: float | None = None
    #: clients that may be M2M (a flow is unknown): not counted, but worth a look
    uncertain: int = 0

    @property
    def basis(self) -> str:
        """Where the request counts come from: ``observed``, ``projected``, ``unknown``, or
        several joined with ``+``."""
        return "+".join(sorted({c.basis for c in self.cost.clients})) or "none"

    @property
    def over_budget(self) -> bool:
        return self.budget_usd is not None and self.cost.total_usd > self.budget_usd

    @property
    def place(self) -> LivePlace | None:
        return live_place(self.pool)


@dataclass(frozen=True)
class CostReport:
    pools: tuple[PoolLine, ...]
    pricing: Pricing

    @property
    def total_usd(self) -> float:
        return sum(line.cost.total_usd for line in self.pools)

    @property
    def at_least(self) -> bool:
        return any(line.cost.at_least for line in self.pools)


@dataclass(frozen=True)
class LivePlace:
    """Where a swept pool lives, for people: its ids alone say little."""

    name: str | None
    account: str
    region: str


def live_place(pool: Pool) -> LivePlace | None:
    """The pool name, account and region of a pool read from a sweep's inventory (whose pools,
    alone of all sources, carry an ARN: ``arn:PARTITION:cognito-idp:REGION:ACCOUNT:userpool/ID``)."""
    arn = pool.location.arn if pool.location else None
    parts = arn.split(":", 5) if arn else []
    if len(parts) != 6 or not parts[5].startswith("userpool/"):
        return None
    name = next((n for n in pool.names if n not in (pool.key, pool.label, arn)), None)
    return LivePlace(name, account=parts[4], region=parts[3])


def client_label(client: AppClient) -> str:
    """How a report names a client: its logical id or address in IaC; ``ClientName (ClientId)``
    for a swept client, whose ClientId alone means nothing to a person."""
    name = client.record.get("ClientName")
    if client.location.arn and client.location.client_id and isinstance(name, str) and name:
        return f"{name} ({client.location.client_id})"
    return client.location.name
