"""Per-pool monthly budget."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from m2m_guard.cost import PoolCost, client_label, lambda_price, pool_cost, savings_plan
from m2m_guard.model import Undetermined, Violation, human_duration, plural, usd
from m2m_guard.pricing import amount, cents
from m2m_guard.rules._registry import PoolView, RuleContext, pool_rule


def advice(cost: PoolCost, budget: Decimal, ttl_ceiling: int) -> list[str]:
    """The savings plan as sentences: remove unused clients, raise the TTL, cache tokens."""
    plan = savings_plan(cost, budget, ttl_ceiling)
    steps: list[str] = []
    if plan.unused:
        names = ", ".join(client_label(c) for c in plan.unused[:5])
        steps.append(
            f"remove {plural(len(plan.unused), 'unused client')} ({names}; saves {usd(plan.unused_usd)})"
        )
    if plan.ttl_seconds is not None:
        steps.append(f"raise the access-token TTL to {human_duration(plan.ttl_seconds)} (enough on its own)")
    if plan.caching_requests >= 1:
        fewer = plural(plan.caching_requests, "fewer request", grouped=True)
        steps.append(f"cache tokens until they expire ({fewer} a month, saves {usd(plan.caching_usd)})")
    return steps


@pool_rule(
    "pool_budget",
    summary="Each user pool's monthly M2M spend stays within budget.",
    why=(
        "Cognito bills M2M use per app client per month and per token request, so a pool's bill "
        "grows with every client added and every token fetched."
    ),
    help=(
        "Bring the pool's monthly cost (M2M clients × client price + token requests × request "
        "price, plus a Lambda invocation per request when a pre token generation trigger "
        "customizes M2M tokens) under `monthly_usd`: delete unused clients, raise the "
        "access-token lifetime so callers fetch fewer tokens, and cache tokens until they expire."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["monthly_usd"],
        # a billion dollars a month: far beyond any pool's M2M bill, it only catches absurd figures
        "properties": {"monthly_usd": {"type": "number", "minimum": 0, "maximum": 1_000_000_000}},
    },
    security_severity="3.5",
    tags=("cost",),
)
def pool_budget(view: PoolView, ctx: RuleContext) -> Iterator[Violation]:
    """The pool's monthly cost stays within ``monthly_usd``: observed token requests from the
    usage data, else one token per access-token lifetime per client (730 h / TTL, a lower bound),
    each with a Lambda invocation when the pool customizes M2M access tokens.

    Example::

        - id: BUDGET
          type: pool_budget
          monthly_usd: 50
          severity: error
    """
    budget = amount(ctx.params["monthly_usd"])
    cost = pool_cost(view.clients, ctx.pricing)
    summary = f"{view.pool.label} costs {{}} {usd(cost.total_usd)} a month ({cost.breakdown()})"
    if cost.total_usd > budget:
        steps = advice(cost, budget, ctx.ttl_ceiling)
        fix = f" To cut it: {'; '.join(steps)}." if steps else ""
        at_least = "at least" if cost.at_least else "about"
        yield Violation(
            summary.format(at_least) + f", over the {usd(budget)} budget of policy {ctx.rule_id}." + fix
        )
    elif cost.unknown:
        first = cost.unknown[0]
        raise Undetermined(
            summary.format("at least") + f", within the {usd(budget)} budget, but the requests of "
            f"{plural(len(cost.unknown), 'client')} are unknown "
            f"({first.client.location.name}: {first.reason})"
        )
    elif cost.lambda_unknown and cost.total_usd + _lambda_at_most(cost) > budget:
        raise Undetermined(
            # the breakdown in the summary already says why the trigger is unknown
            summary.format("at least") + f", within the {usd(budget)} budget unless each token "
            "request also invokes a Lambda trigger"
        )


def _lambda_at_most(cost: PoolCost) -> Decimal:
    """The Lambda part of a pool whose customization is unknown, if every request invoked it,
    to the cent as its line item would show."""
    return cents(cost.requests_month * lambda_price(cost, assume=True))
