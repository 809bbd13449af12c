"""A loaded, validated policy: what the engine evaluates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from m2m_guard.model import MAX_VALID_TTL_SECONDS, AppClient, Pool, Severity
from m2m_guard.pricing import Pricing
from m2m_guard.rules import RuleContext, RuleSpec


def _any_match(names: Iterable[str], patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(name, pattern) for name in names for pattern in patterns)


@dataclass(frozen=True)
class Selector:
    """Globs over client and pool identities; an empty list selects everything."""

    clients: tuple[str, ...] = ()
    pools: tuple[str, ...] = ()

    def selects_pool(self, pool: Pool) -> bool:
        return not self.pools or _any_match((pool.key, pool.label, *pool.names), self.pools)

    def selects_client(self, client: AppClient) -> bool:
        return (not self.clients or _any_match(client.identities, self.clients)) and self.selects_pool(
            client.pool
        )


@dataclass(frozen=True)
class RuleConfig:
    id: str
    spec: RuleSpec
    #: Validated, prepared parameters (the rule reads them from its RuleContext).
    params: dict[str, Any]
    severity: Severity
    selector: Selector
    description: str | None = None


@dataclass(frozen=True)
class Waiver:
    rule: str  # a policy rule id, or a glob over ids
    selector: Selector
    reason: str
    expires: dt.date
    line: int | None = None

    def expired(self, today: dt.date) -> bool:
        return today > self.expires  # valid through the expiry day (UTC)

    def covers_rule(self, rule_id: str) -> bool:
        return fnmatchcase(rule_id, self.rule)

    def describe(self) -> str:
        targets = ", ".join((*self.selector.clients, *self.selector.pools)) or "all clients"
        return f"waiver for {self.rule} ({targets})"


@dataclass(frozen=True)
class Policy:
    #: Display name: the policy file path, or ``built-in default`` for the default pack.
    source: str
    rules: tuple[RuleConfig, ...]
    waivers: tuple[Waiver, ...] = ()
    pricing: Pricing = Pricing()
    #: ``file:line: warning: path: message`` lines: problems that do not make it invalid.
    warnings: tuple[str, ...] = ()

    def ttl_ceiling(self) -> int:
        """The tightest ``max_access_token_ttl`` of the policy, else Cognito's 1-day maximum."""
        maxima = [r.params["max"] for r in self.rules if r.spec.type == "max_access_token_ttl"]
        return min(maxima, default=MAX_VALID_TTL_SECONDS)

    def context(self, rule: RuleConfig) -> RuleContext:
        """What ``rule``'s function is called with: its id and parameters, and this policy's
        prices and TTL ceiling."""
        return RuleContext(rule.id, rule.params, self.pricing, self.ttl_ceiling())
