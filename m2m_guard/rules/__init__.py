"""The rule registry. Rule modules are imported by name: importing one registers its rules."""

from __future__ import annotations

from m2m_guard.rules import budget, flows, scopes, tokens, unused, value  # noqa: F401
from m2m_guard.rules._registry import RULES, Params, PolicyError, PoolView, RuleSpec, rule

__all__ = ["RULES", "Params", "PolicyError", "PoolView", "RuleSpec", "rule"]
