"""Policies: loading, validation, the generated schema, discovery."""

from m2m_guard.policy.loader import (
    DEFAULT_PACK,
    NoSuchPolicy,
    PolicySource,
    builtin_packs,
    discover,
    find_policy,
    load_policy,
)
from m2m_guard.policy.model import Policy, RuleConfig, Selector, Waiver
from m2m_guard.policy.report import PolicyLoadError
from m2m_guard.policy.schema import build_schema

__all__ = [
    "DEFAULT_PACK",
    "NoSuchPolicy",
    "Policy",
    "PolicyLoadError",
    "PolicySource",
    "RuleConfig",
    "Selector",
    "Waiver",
    "build_schema",
    "builtin_packs",
    "discover",
    "find_policy",
    "load_policy",
]
