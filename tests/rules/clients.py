"""Hand-built app clients and rule calls for the rule unit tests.

Clients are built straight from the model, in the shape the sources produce after
normalization (lists become tuples, ``None`` means absent), so rule tests depend on neither a
source nor the engine. Rules are called through the registry with a context prepared the way
the policy and the engine prepare it (``tests/rules/test_registry.py`` checks that they agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m2m_guard.model import ABSENT, AppClient, Location, Pool, Unknown, Usage, Violation
from m2m_guard.pricing import Pricing
from m2m_guard.rules import RULES, ClientRule, PoolView, RuleContext

PATH = "infra/auth.yaml"
#: A pool whose settings are known and customize nothing (no pre token generation trigger), so
#: that budgets price no Lambda invocation; :func:`pool_with` gives it other settings.
POOL = Pool(key=f"{PATH}#UserPool", label="UserPool", names=("UserPool",), settings={})

#: A healthy client_credentials client: the baseline every test changes one thing of.
HEALTHY: Mapping[str, Any] = {
    "ClientName": "svc-orders",
    "ClientId": "1example23456789",
    "AllowedOAuthFlows": ("client_credentials",),
    "AllowedOAuthFlowsUserPoolClient": True,
    "AllowedOAuthScopes": ("orders/read",),
    "GenerateSecret": True,
}


def unknown(reason: str = "Ref to parameter Ttl without a default") -> Unknown:
    return Unknown(reason)


def make_client(
    *,
    usage: Usage | None = None,
    pool: Pool = POOL,
    logical_id: str | None = None,
    **record: Any,
) -> AppClient:
    """An AppClient with exactly ``record`` (lists become tuples; ``None`` drops the key)."""
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in record.items() if v is not None}
    name = fields.get("ClientName")
    return AppClient(
        record=fields,
        location=Location(
            PATH, line=10, logical_id=logical_id or (name if isinstance(name, str) else "Client")
        ),
        pool=pool,
        usage=usage,
    )


def m2m(**changes: Any) -> AppClient:
    """:data:`HEALTHY` with ``changes``; a change to ``ABSENT`` removes the key."""
    extras = {k: changes.pop(k) for k in ("usage", "pool", "logical_id") if k in changes}
    record = {**HEALTHY, **changes}
    return make_client(**extras, **{k: v for k, v in record.items() if v is not ABSENT})


def used(requests: int, window_days: float = 30) -> Usage:
    return Usage(requests=requests, window_days=window_days)


def params(rule_type: str, **raw: Any) -> dict[str, Any]:
    """Parameters as the loader prepares them (``prepare()``)."""
    spec = RULES[rule_type]
    return spec.prepare(dict(raw)) if spec.prepare else dict(raw)


def context(
    rule_type: str,
    rule_id: str = "ID",
    *,
    pricing: Pricing | None = None,
    ttl_ceiling: int = 86400,
    **raw: Any,
) -> RuleContext:
    """What the engine calls a rule with: the rule id and prepared parameters, and the prices."""
    return RuleContext(rule_id, params(rule_type, **raw), pricing or Pricing(), ttl_ceiling)


def client_rule(rule_type: str) -> ClientRule:
    spec = RULES[rule_type]
    assert spec.scope == "client", f"{rule_type} is a {spec.scope} rule"
    return spec.func


def check(rule_type: str, client: AppClient, rule_id: str = "ID", **raw: Any) -> list[Violation]:
    """Run a client rule; raises Undetermined as the rule does."""
    return list(client_rule(rule_type)(client, context(rule_type, rule_id, **raw)))


def pool_view(*clients: AppClient) -> PoolView:
    return PoolView(POOL, tuple(clients))


def pool_with(settings: Mapping[str, Any] | None) -> Pool:
    """:data:`POOL` holding ``settings`` (DescribeUserPool's shape; None: not in the inputs)."""
    return Pool(POOL.key, POOL.label, POOL.names, POOL.location, POOL.resource_servers, POOL.name, settings)


def check_pool_rule(rule_type: str, view: PoolView, rule_id: str = "ID", **raw: Any) -> list[Violation]:
    """Run a pool rule; raises Undetermined as the rule does."""
    spec = RULES[rule_type]
    assert spec.scope == "pool", f"{rule_type} is a {spec.scope} rule"
    return list(spec.func(view, context(rule_type, rule_id, **raw)))


def check_pool(
    view: PoolView,
    rule_id: str = "BUDGET",
    *,
    pricing: Pricing | None = None,
    ttl_ceiling: int = 86400,
    **raw: Any,
) -> list[Violation]:
    spec = RULES["pool_budget"]
    assert spec.scope == "pool"
    return list(
        spec.func(view, context("pool_budget", rule_id, pricing=pricing, ttl_ceiling=ttl_ceiling, **raw))
    )
