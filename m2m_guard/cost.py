"""Monthly cost of M2M clients: one computation for budgets, advice and cost reports.

Prices come from :mod:`m2m_guard.pricing` (a policy's ``pricing:``). A pool that customizes M2M
access tokens (a ``V3_0`` pre token generation trigger on a plan that offers it,
:func:`m2m_guard.model.customizes_m2m_tokens`) also pays AWS Lambda for one invocation per token
request: a request price plus the duration in GB-seconds at an assumed memory size and duration.

Money is exact (:class:`decimal.Decimal`) and shown as a bill shows it: a pool's line items
(its M2M clients, its token requests, its Lambda invocations) are each rounded half-up to the
cent, and its total is their sum, so every column of a report adds up; a month's token requests
are whole requests (:func:`~m2m_guard.pricing.whole`) before they are priced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

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
from m2m_guard.pricing import SECONDS_PER_MONTH, ZERO, Pricing, cents, price_text, whole

if TYPE_CHECKING:  # a scan without --usage-from-cur never loads the bill reader (csv, gzip)
    from m2m_guard.usage_cur import BilledUsage, BillLine

#: How a usage's source starts when it comes from the bill (m2m_guard/usage_cur.py).
BILL_SOURCE = "bill "

Basis = Literal["billed", "observed", "projected", "unknown"]


@dataclass(frozen=True)
class ClientCost:
    client: AppClient
    #: Token requests per month, exact; None when neither usage nor the TTL is known.
    requests_month: Decimal | None
    basis: Basis
    reason: str = ""


def projected_requests(ttl_seconds: int) -> Decimal:
    """One token per access-token lifetime, around the clock: a lower bound for a cached client."""
    return Decimal(SECONDS_PER_MONTH) / ttl_seconds if ttl_seconds > 0 else ZERO


#: Days in a month, as usage windows are scaled (README, "Cost report").
DAYS_PER_MONTH = Decimal("30.4")


def observed_requests(requests: int, window_days: float) -> Decimal:
    """``requests`` seen over ``window_days``, scaled to a month (× 30.4 / window days); a
    window as written in the usage file (its shortest repr), never its binary expansion."""
    window = Decimal(repr(window_days)) if isinstance(window_days, float) else Decimal(window_days)
    return Decimal(requests) * DAYS_PER_MONTH / window if window > 0 else ZERO


def client_cost(client: AppClient) -> ClientCost:
    if client.usage is not None:
        usage = client.usage
        basis: Basis = "billed" if usage.source.startswith(BILL_SOURCE) else "observed"
        return ClientCost(client, observed_requests(usage.requests, usage.window_days), basis)
    if token_blockers(client)[0]:
        return ClientCost(client, ZERO, "projected", "it can never issue a token")
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
    def clients_usd(self) -> Decimal:
        """The clients' line item, to the cent."""
        return cents(self.client_count * self.pricing.app_client_month_usd)

    @property
    def requests_month(self) -> int:
        """Known token requests per month, whole as billed (a lower bound when some are
        unknown): the sum of the clients' exact counts, rounded half-up once."""
        return whole(sum((c.requests_month or ZERO for c in self.clients), ZERO))

    @property
    def requests_usd(self) -> Decimal:
        """The token requests' line item, to the cent."""
        return cents(self.pricing.requests_usd(self.requests_month))

    @property
    def lambda_usd(self) -> Decimal:
        """The pre token generation trigger's invocations, one per token request, to the cent;
        0 when the pool does not customize M2M tokens or when that is unknown (see
        ``lambda_unknown``)."""
        invocation = self.pricing.lambda_invocation_usd if self.customizes is True else ZERO
        return cents(self.requests_month * invocation)

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
    def total_usd(self) -> Decimal:
        """The sum of the line items as shown, so that the columns add up."""
        return self.clients_usd + self.requests_usd + self.lambda_usd

    @property
    def unknown(self) -> tuple[ClientCost, ...]:
        return tuple(c for c in self.clients if c.basis == "unknown")

    @property
    def measured(self) -> int:
        """How many clients' requests come from usage (observed or billed)."""
        return sum(1 for c in self.clients if c.basis in ("observed", "billed"))

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
            requests += f" × ${price_text(price.token_request_usd)} = {usd(self.requests_usd)}"
        observed = self.measured
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
                f"{usd(self.pricing.lambda_invocation_usd * 1_000_000)} per million = {usd(self.lambda_usd)}"
            )
        reason = self.lambda_unknown
        return f"; Lambda trigger unknown ({reason})" if reason else ""


def pool_cost(clients: Iterable[AppClient], pricing: Pricing) -> PoolCost:
    """The cost of ``clients``, all of one pool (whose settings say whether a Lambda function
    runs on each token request)."""
    members = tuple(clients)
    customizes: bool | Unknown = customizes_m2m_tokens(members[0].pool) if members else False
    return PoolCost(tuple(client_cost(c) for c in members), pricing, customizes)


def lambda_price(cost: PoolCost, *, assume: bool) -> Decimal:
    """What one token request adds in Lambda invocations: the invocation price when the pool
    customizes M2M tokens, or (with ``assume``) when that is unknown; else nothing."""
    if cost.customizes is True or (assume and isinstance(cost.customizes, Unknown)):
        return cost.pricing.lambda_invocation_usd
    return ZERO


def shown_total(cost: PoolCost, requests: Decimal | int, invocation: Decimal) -> Decimal:
    """The pool's total as a report would show it with ``requests`` a month, each with an
    invocation at ``invocation``: its line items rounded to the cent, then added."""
    billed = whole(requests)
    return cost.clients_usd + cents(cost.pricing.requests_usd(billed)) + cents(billed * invocation)


def ttl_for_budget(cost: PoolCost, budget: Decimal) -> int | None:
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
    observed = sum((c.requests_month or ZERO for c in cost.clients if c.basis != "projected"), ZERO)
    invocation = lambda_price(cost, assume=True)

    def fits(minutes: int) -> bool:
        return (
            shown_total(cost, observed + projected * projected_requests(minutes * 60), invocation) <= budget
        )

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
    unused_usd: Decimal = ZERO
    ttl_seconds: int | None = None
    caching_requests: int = 0
    caching_usd: Decimal = ZERO

    @property
    def empty(self) -> bool:
        return not self.unused and self.ttl_seconds is None and self.caching_requests < 1


def is_unused(client: AppClient) -> bool:
    return (client.usage is not None and client.usage.requests == 0) or bool(token_blockers(client)[0])


def savings_plan(cost: PoolCost, budget: Decimal | None, ttl_ceiling: int) -> SavingsPlan:
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
    excess = ZERO
    for c in cost.clients:
        ttl_now = c.client.access_token_ttl
        measured = c.basis in ("observed", "billed")
        if measured and isinstance(ttl_now, int) and ttl_now > 0 and c.requests_month:
            excess += max(ZERO, c.requests_month - projected_requests(ttl_now))
    exact = sum((c.requests_month or ZERO for c in cost.clients), ZERO)
    invocation = lambda_price(cost, assume=False)
    return SavingsPlan(
        unused=unused,
        unused_usd=cents(len(unused) * cost.pricing.app_client_month_usd),
        ttl_seconds=ttl,
        caching_requests=cost.requests_month - whole(exact - excess),
        # what the requests and invocations line items would drop by: priced at the margin, so
        # tiers count right, and each avoided request avoids its invocation
        caching_usd=shown_total(cost, exact, invocation) - shown_total(cost, exact - excess, invocation),
    )


@dataclass(frozen=True)
class PoolLine:
    """One row of a cost report: a pool, what its M2M clients cost a month, and the savings."""

    pool: Pool
    cost: PoolCost
    plan: SavingsPlan
    budget_usd: Decimal | None = None
    #: clients that may be M2M (a flow is unknown): not counted, but worth a look
    uncertain: int = 0

    @property
    def basis(self) -> str:
        """Where the request counts come from: ``observed``, ``projected``, ``unknown``, or
        several joined with ``+``."""
        return "+".join(sorted({c.basis for c in self.cost.clients})) or "none"

    @property
    def over_budget(self) -> bool:
        budget = self.budget_usd
        return budget is not None and not budget.is_nan() and self.cost.total_usd > budget

    @property
    def place(self) -> LivePlace | None:
        return live_place(self.pool)


@dataclass(frozen=True)
class CostReport:
    pools: tuple[PoolLine, ...]
    pricing: Pricing
    #: The bill beside the estimate (``cost --usage-from-cur``); None without a bill.
    reconciliation: Reconciliation | None = None

    @property
    def total_usd(self) -> Decimal:
        """The sum of the pools' totals as shown."""
        return sum((line.cost.total_usd for line in self.pools), ZERO)

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


# -- the bill beside the estimate -----------------------------------------------------------------


@dataclass(frozen=True)
class BilledPool:
    """A pool's estimate (projected, or observed from a usage file or CloudTrail) beside what
    its line items of the bill cost; ``billed_usd`` is None when no line item names the pool
    or one of its clients."""

    line: PoolLine
    billed_usd: Decimal | None
    billed_requests: int | None

    @property
    def estimate_usd(self) -> Decimal:
        return cognito_usd(self.line.cost)

    @property
    def estimate_at_least(self) -> bool:
        return cognito_at_least(self.line.cost)

    @property
    def difference_usd(self) -> Decimal | None:
        """Billed minus estimated."""
        return None if self.billed_usd is None else self.billed_usd - self.estimate_usd


def cognito_usd(cost: PoolCost) -> Decimal:
    """What Cognito bills of a pool's cost: its clients and token requests (a pre token
    generation trigger's invocations are on AWS Lambda's bill)."""
    return cost.clients_usd + cost.requests_usd


def cognito_at_least(cost: PoolCost) -> bool:
    """Whether :func:`cognito_usd` is a lower bound (requests projected or unknown)."""
    return cost.projected or bool(cost.unknown)


@dataclass(frozen=True)
class BilledPlace:
    """The M2M line items of one account (and region, when the export says) that name no
    scanned pool or client, beside the estimate of the swept pools there that got none."""

    account: str
    region: str | None
    billed_usd: Decimal
    billed_requests: int
    estimate_usd: Decimal
    estimate_at_least: bool
    pools: int

    @property
    def difference_usd(self) -> Decimal:
        return self.billed_usd - self.estimate_usd


@dataclass(frozen=True)
class Reconciliation:
    period: str
    source: str
    pools: tuple[BilledPool, ...]
    places: tuple[BilledPlace, ...]
    other_periods: tuple[str, ...] = ()

    @property
    def billed_usd(self) -> Decimal:
        """Every M2M line item of the billing period, as the rows show them."""
        return sum((p.billed_usd or ZERO for p in self.pools), ZERO) + sum(
            (p.billed_usd for p in self.places), ZERO
        )


def _billed(lines: list[BillLine]) -> tuple[Decimal, int]:
    cost = cents(sum((line.cost for line in lines), ZERO))
    requests = whole(sum((line.amount for line in lines if line.kind == "requests"), ZERO))
    return cost, requests


def reconcile(estimate: CostReport, bill: BilledUsage) -> Reconciliation:
    """Each pool of ``estimate`` beside its line items of ``bill``; the line items no pool
    claims, per account and region, beside the swept pools there without line items."""
    claimed: set[int] = set()
    pools = []
    for line in estimate.pools:
        found = bill.pool_lines(line.pool, (c.client for c in line.cost.clients))
        claimed.update(id(item) for item in found)
        billed = _billed(found) if found else None
        pools.append(BilledPool(line, *(billed or (None, None))))
    rest: dict[tuple[str, str | None], list[BillLine]] = {}
    for item in bill.lines:
        if id(item) not in claimed:
            rest.setdefault((item.account, item.region), []).append(item)
    places = []
    for (account, region), items in sorted(rest.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        there = [
            p.line
            for p in pools
            if p.billed_usd is None
            and p.line.place is not None
            and p.line.place.account == account
            and (region is None or p.line.place.region == region)
        ]
        cost, requests = _billed(items)
        places.append(
            BilledPlace(
                account,
                region,
                cost,
                requests,
                sum((cognito_usd(p.cost) for p in there), ZERO),
                any(cognito_at_least(p.cost) for p in there),
                len(there),
            )
        )
    return Reconciliation(bill.period, bill.source, tuple(pools), tuple(places), bill.other_periods)
