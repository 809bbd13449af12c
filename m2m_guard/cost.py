"""Monthly cost of M2M clients: one computation for budgets, advice and cost reports.

Prices come from :mod:`m2m_guard.pricing` (a policy's ``pricing:``). A pool that customizes M2M
access tokens (a ``V3_0`` pre token generation trigger on a plan that offers it,
:func:`m2m_guard.model.customizes_m2m_tokens`) also pays AWS Lambda for one invocation per token
request: a request price plus the duration in GB-seconds at an assumed memory size and duration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from m2m_guard.model import (
    MAX_VALID_TTL_SECONDS,
    MIN_VALID_TTL_SECONDS,
    AppClient,
    Pool,
    Unknown,
    customizes_m2m_tokens,
    plural,
    token_blockers,
    usd,
)
from m2m_guard.pricing import SECONDS_PER_MONTH, Pricing

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
    #: Whether each token request also invokes a Lambda function (the pool customizes M2M
    #: access tokens); unknown when the pool's settings are not known.
    customizes: bool | Unknown = False

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
    def lambda_usd(self) -> float:
        """The pre token generation trigger's invocations, one per token request; 0 when the
        pool does not customize M2M tokens or when that is unknown (see ``lambda_unknown``)."""
        if self.customizes is not True:
            return 0.0
        return self.requests_month * self.pricing.lambda_invocation_usd

    @property
    def lambda_unknown(self) -> str | None:
        """Why the Lambda part is unknown, when it may be more than nothing: whether the pool
        customizes M2M tokens is unknown, and some of its clients request tokens (or may)."""
        if not isinstance(self.customizes, Unknown):
            return None
        if self.requests_month > 0 or self.unknown:
            return self.customizes.reason
        return None

    @property
    def total_usd(self) -> float:
        total = self.clients_usd + self.requests_usd
        # added only when there is one, so that every other total stays the same float
        return total + self.lambda_usd if self.customizes is True else total

    @property
    def unknown(self) -> tuple[ClientCost, ...]:
        return tuple(c for c in self.clients if c.basis == "unknown")

    @property
    def projected(self) -> bool:
        return any(c.basis == "projected" for c in self.clients)

    @property
    def at_least(self) -> bool:
        """The requests, so the total, are a lower bound: some are projected at one token per
        TTL (a client that does not cache asks for more) or unknown (counted as none); or the
        Lambda invocations they may cause are unknown (counted as none)."""
        return self.projected or bool(self.unknown) or self.lambda_unknown is not None

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
        clients = f"{plural(self.client_count, 'M2M client')} × {usd(price.app_client_month_usd)}"
        return f"{clients} = {usd(self.clients_usd)}; {requests}{self._lambda_breakdown()}"

    def _lambda_breakdown(self) -> str:
        if self.customizes is True:
            invocations = plural(self.requests_month, "Lambda invocation", grouped=True)
            return (
                f"; {invocations} of the pre token generation trigger × "
                f"${self.pricing.lambda_invocation_usd * 1e6:,.2f} per million = {usd(self.lambda_usd)}"
            )
        reason = self.lambda_unknown
        return f"; Lambda trigger unknown ({reason})" if reason else ""


def pool_cost(clients: Iterable[AppClient], pricing: Pricing) -> PoolCost:
    """The cost of ``clients``, all of one pool (whose settings say whether a Lambda function
    runs on each token request)."""
    members = tuple(clients)
    customizes: bool | Unknown = customizes_m2m_tokens(members[0].pool) if members else False
    return PoolCost(tuple(client_cost(c) for c in members), pricing, customizes)


def lambda_price(cost: PoolCost, *, assume: bool) -> float:
    """What one token request adds in Lambda invocations: the invocation price when the pool
    customizes M2M tokens, or (with ``assume``) when that is unknown; else nothing."""
    if cost.customizes is True or (assume and isinstance(cost.customizes, Unknown)):
        return cost.pricing.lambda_invocation_usd
    return 0.0


def ttl_for_budget(cost: PoolCost, budget: float) -> int | None:
    """The shortest whole-minute TTL at which the pool's cost fits ``budget``.

    Only clients whose requests are projected from their TTL respond to a TTL change; observed
    usage and client fees stay. All requests are priced together (one tier ladder), each with
    its Lambda invocation when the pool customizes M2M tokens or may (a TTL that is enough must
    be enough either way). None when no TTL from Cognito's 5-minute minimum to its 1-day
    maximum is enough.
    """
    projected = sum(1 for c in cost.clients if c.basis == "projected")
    if not projected:
        return None
    observed = sum(c.requests_month or 0.0 for c in cost.clients if c.basis == "observed")
    invocation = lambda_price(cost, assume=True)

    def fits(minutes: int) -> bool:
        requests = observed + projected * projected_requests(minutes * 60)
        return cost.clients_usd + cost.pricing.requests_usd(requests) + requests * invocation <= budget

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
        # priced at the margin, so tiers count right; each avoided request avoids its invocation
        caching_usd=cost.pricing.requests_usd(total)
        - cost.pricing.requests_usd(total - excess)
        + excess * lambda_price(cost, assume=False),
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
