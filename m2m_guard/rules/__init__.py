"""The rule registry. Rule modules are imported by name: importing one registers its rules."""

from __future__ import annotations

from m2m_guard.rules import budget, customization, drift, flows, scopes, tokens, unused, value  # noqa: F401
from m2m_guard.rules._registry import (
    RULES,
    ClientRule,
    ClientRuleSpec,
    DriftRule,
    DriftRuleSpec,
    Params,
    PolicyError,
    PoolRule,
    PoolRuleSpec,
    PoolView,
    RuleContext,
    RuleSpec,
    drift_rule,
    pool_rule,
    rule,
)

__all__ = [
    "RULES",
    "ClientRule",
    "ClientRuleSpec",
    "DriftRule",
    "DriftRuleSpec",
    "Params",
    "PolicyError",
    "PoolRule",
    "PoolRuleSpec",
    "PoolView",
    "RuleContext",
    "RuleSpec",
    "drift_rule",
    "pool_rule",
    "rule",
]
