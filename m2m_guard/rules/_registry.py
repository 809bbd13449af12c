"""The rule registry: each rule type is a pure function registered with its metadata."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from m2m_guard.model import AppClient, Pool, Violation

Params = Mapping[str, Any]


class PolicyError(Exception):
    """A semantic problem with a rule's parameters; ``path`` is relative to the rule entry."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class PoolView:
    """What a pool-level rule sees: the pool, its selected M2M clients, and policy context."""

    pool: Pool
    clients: tuple[AppClient, ...]
    pricing: Any  # m2m_guard.cost.Pricing
    #: The tightest max_access_token_ttl of the policy (seconds), for advice that must not
    #: recommend a TTL the policy itself forbids.
    ttl_ceiling: int


@dataclass(frozen=True)
class RuleSpec:
    type: str
    func: Callable[..., Iterator[Violation]]
    summary: str
    description: str
    params: dict[str, Any]
    help: str
    scope: Literal["client", "pool"] = "client"
    security_severity: str = "5.0"
    tags: tuple[str, ...] = ()
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def example(self) -> str:
        """The YAML policy example in the function's docstring (after ``Example::``)."""
        doc = self.func.__doc__ or ""
        _, _, example = doc.partition("Example::")
        lines = [line for line in example.splitlines() if line.strip()]
        indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
        return "\n".join(line[indent:] for line in lines) + "\n"


RULES: dict[str, RuleSpec] = {}


def rule(
    type_name: str,
    *,
    summary: str,
    help: str,
    params: dict[str, Any] | None = None,
    scope: Literal["client", "pool"] = "client",
    security_severity: str = "5.0",
    tags: tuple[str, ...] = (),
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Iterator[Violation]]], Callable[..., Iterator[Violation]]]:
    """Register a rule type. ``params`` is the JSON Schema of its parameters."""

    def register(func: Callable[..., Iterator[Violation]]) -> Callable[..., Iterator[Violation]]:
        if type_name in RULES:
            raise ValueError(f"rule type {type_name!r} registered twice")
        doc = (func.__doc__ or "").partition("Example::")[0]
        RULES[type_name] = RuleSpec(
            type=type_name,
            func=func,
            summary=summary,
            description=" ".join(doc.replace("``", "`").split()) or summary,
            params=params or {"type": "object", "additionalProperties": False, "properties": {}},
            help=help,
            scope=scope,
            security_severity=security_severity,
            tags=tags,
            prepare=prepare,
            defaults=defaults or {},
        )
        return func

    return register
