"""Per-pool monthly budget."""

from __future__ import annotations

from collections.abc import Iterator

from m2m_guard.cost import PoolCost, pool_cost, ttl_for_budget, usd
from m2m_guard.model import AppClient, Undetermined, Violation, human_duration, token_blockers
from m2m_guard.rules._registry import Params, PoolView, rule


def _unused(clients: tuple[AppClient, ...]) -> list[AppClient]:
    return [
        c
        for c in clients
        if (c.usage is not None and c.usage.requests == 0) or token_blockers(c)[0]
    ]


def advice(view: PoolView, cost: PoolCost, budget: float) -> list[str]:
    """What would bring the pool under ``budget``: remove unused clients, raise the TTL, cache."""
    steps: list[str] = []
    unused = _unused(view.clients)
    if unused:
        names = ", ".join(sorted(c.location.name for c in unused)[:5])
        saving = len(unused) * view.pricing.app_client_month_usd
        steps.append(f"remove {len(unused)} unused client{'s' if len(unused) != 1 else ''} "
                     f"({names}; saves {usd(saving)})")
    ttl = ttl_for_budget(cost, budget)
    current = [c.client.access_token_ttl for c in cost.clients if c.basis == "projected"]
    shortest = min((t for t in current if isinstance(t, int)), default=0)
    if ttl is not None and shortest < ttl <= view.ttl_ceiling:
        steps.append(f"raise the access-token TTL to {human_duration(ttl)} (enough on its own)")
    observed = [c for c in cost.clients if c.basis == "observed"]
    excess = 0.0
    for c in observed:
        ttl_now = c.client.access_token_ttl
        if isinstance(ttl_now, int) and ttl_now > 0 and c.requests_month:
            excess += max(0.0, c.requests_month - 730 * 3600 / ttl_now)
    if excess >= 1:
        steps.append(
            f"cache tokens until they expire ({excess:,.0f} fewer requests a month, "
            f"saves {usd(view.pricing.requests_usd(excess))})"
        )
    return steps


@rule(
    "pool_budget",
    summary="Each user pool's monthly M2M spend stays within budget.",
    help=(
        "Bring the pool's monthly cost (M2M clients × client price + token requests × request "
        "price) under `monthly_usd`: delete unused clients, raise the access-token lifetime so "
        "callers fetch fewer tokens, and cache tokens until they expire."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["monthly_usd"],
        "properties": {"monthly_usd": {"type": "number", "minimum": 0}},
    },
    scope="pool",
    security_severity="3.5",
    tags=("cost",),
)
def pool_budget(view: PoolView, p: Params) -> Iterator[Violation]:
    """The pool's monthly cost stays within ``monthly_usd``: observed token requests from the
    usage data, else one token per access-token lifetime per client (730 h / TTL, a lower bound).

    Example::

        - id: BUDGET
          type: pool_budget
          monthly_usd: 50
          severity: error
    """
    budget = float(p["monthly_usd"])
    cost = pool_cost(view.clients, view.pricing)
    summary = f"{view.pool.label} costs {{}} {usd(cost.total_usd)} a month ({cost.breakdown()})"
    if cost.total_usd > budget:
        steps = advice(view, cost, budget)
        fix = f" To cut it: {'; '.join(steps)}." if steps else ""
        at_least = "at least" if cost.unknown or cost.projected else "about"
        yield Violation(
            summary.format(at_least) + f", over the {usd(budget)} budget of policy {p['rule']}."
            + fix
        )
    elif cost.unknown:
        first = cost.unknown[0]
        raise Undetermined(
            summary.format("at least") + f", within the {usd(budget)} budget, but the requests of "
            f"{len(cost.unknown)} client(s) are unknown ({first.client.location.name}: {first.reason})"
        )
