"""The rule registry: each rule type is a pure function registered with its metadata.

A rule is one of two kinds, and its function's type says which: a client rule sees one M2M
client at a time, a pool rule one user pool with its M2M clients. Both get the same
:class:`RuleContext`, so every rule learns its policy rule id, its parameters and the policy's
prices the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from m2m_guard.model import MAX_VALID_TTL_SECONDS, AppClient, Pool, Undetermined, Violation
from m2m_guard.model.drift import DriftCase
from m2m_guard.pricing import Pricing

#: A rule's validated parameters, as its JSON Schema (``params=``) and ``prepare`` leave them.
Params = Mapping[str, Any]
#: The JSON Schema of a rule's parameters.
ParamsSchema = dict[str, Any]
#: A rule's semantic check of its parameters, returning them ready for use.
Prepare = Callable[[dict[str, Any]], dict[str, Any]]

#: Where each rule type is documented: a README anchor per type (a test checks they exist).
README_URI = "https://github.com/m2m-guard/m2m-guard"
NO_PARAMS: ParamsSchema = {"type": "object", "additionalProperties": False, "properties": {}}


class PolicyError(Exception):
    """A semantic problem with a rule's parameters; ``path`` is relative to the rule entry."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class RuleContext:
    """What a rule knows besides the client or pool it checks: the policy rule it runs for
    (its id, for messages, and its validated parameters) and the policy-wide settings that
    cost advice needs."""

    rule_id: str
    params: Params
    pricing: Pricing = Pricing()
    #: The tightest max_access_token_ttl of the policy (seconds), for advice that must not
    #: recommend a TTL the policy itself forbids.
    ttl_ceiling: int = MAX_VALID_TTL_SECONDS


@dataclass(frozen=True)
class PoolView:
    """What a pool rule sees: the pool and its selected M2M clients."""

    pool: Pool
    clients: tuple[AppClient, ...]


ClientRule = Callable[[AppClient, RuleContext], Iterator[Violation]]
PoolRule = Callable[[PoolView, RuleContext], Iterator[Violation]]
#: A drift rule judges one case of ``m2m-guard drift`` (code against live accounts); it yields
#: an Undetermined for each comparison an unknown value keeps it from making, and goes on.
DriftRule = Callable[[DriftCase, RuleContext], Iterator[Violation | Undetermined]]


@dataclass(frozen=True, kw_only=True)
class _Spec:
    """The metadata every rule type carries, whatever its kind."""

    type: str
    summary: str
    #: One line on why the rule matters for Cognito M2M clients (SARIF help, README).
    why: str
    #: What to change to fix a finding (markdown).
    help: str
    #: The docstring before its example: what exactly the rule checks.
    description: str
    #: The YAML policy entry of the docstring (after ``Example::``).
    example: str
    params: ParamsSchema
    security_severity: str = "5.0"
    tags: tuple[str, ...] = ()
    prepare: Prepare | None = None

    @property
    def help_uri(self) -> str:
        """The rule type's section of the README."""
        return f"{README_URI}#rule-{self.type}"

    @property
    def help_markdown(self) -> str:
        """Why it matters, the fix, an example and the reference: nothing from a policy or an
        input goes in, so the text needs no escaping."""
        return (
            f"**Why it matters:** {self.why}\n\n**Fix:** {self.help}\n\n"
            f"Example:\n\n```yaml\n{self.example}```\n\n[Rule reference]({self.help_uri})\n"
        )


@dataclass(frozen=True, kw_only=True)
class ClientRuleSpec(_Spec):
    func: ClientRule
    scope: Literal["client"] = "client"


@dataclass(frozen=True, kw_only=True)
class PoolRuleSpec(_Spec):
    func: PoolRule
    scope: Literal["pool"] = "pool"


@dataclass(frozen=True, kw_only=True)
class DriftRuleSpec(_Spec):
    """Evaluated by ``m2m-guard drift`` only (m2m_guard/drift/), never by scan or sweep."""

    func: DriftRule
    scope: Literal["drift"] = "drift"


#: A registered rule type; ``scope`` tells the kinds apart (and narrows ``func``).
RuleSpec = ClientRuleSpec | PoolRuleSpec | DriftRuleSpec

RULES: dict[str, RuleSpec] = {}


def _description(doc: str | None, summary: str) -> str:
    text = (doc or "").partition("Example::")[0]
    return " ".join(text.replace("``", "`").split()) or summary


def _example(doc: str | None) -> str:
    _, _, example = (doc or "").partition("Example::")
    lines = [line for line in example.splitlines() if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    return "\n".join(line[indent:] for line in lines) + "\n"


def _add(spec: RuleSpec) -> None:
    if spec.type in RULES:
        raise ValueError(f"rule type {spec.type!r} registered twice")
    RULES[spec.type] = spec


@dataclass(frozen=True)
class _Details:
    """What ``@rule``, ``@pool_rule`` and ``@drift_rule`` are told about a rule type, besides its
    function."""

    type: str
    summary: str
    why: str
    help: str
    params: ParamsSchema | None
    security_severity: str
    tags: tuple[str, ...]
    prepare: Prepare | None

    def spec_fields(self, doc: str | None) -> dict[str, Any]:
        """The fields of a spec, with the description and example read from ``doc``."""
        return {
            "type": self.type,
            "summary": self.summary,
            "why": self.why,
            "help": self.help,
            "description": _description(doc, self.summary),
            "example": _example(doc),
            "params": self.params or NO_PARAMS,
            "security_severity": self.security_severity,
            "tags": self.tags,
            "prepare": self.prepare,
        }


_Func = TypeVar("_Func", ClientRule, PoolRule, DriftRule)


def _registrar(spec: Callable[..., RuleSpec], details: _Details) -> Callable[[_Func], _Func]:
    """The decorator that registers a rule function as a rule type of ``spec``'s kind."""

    def register(func: _Func) -> _Func:
        _add(spec(func=func, **details.spec_fields(func.__doc__)))
        return func

    return register


def rule(
    type_name: str,
    *,
    summary: str,
    why: str,
    help: str,
    params: ParamsSchema | None = None,
    security_severity: str = "5.0",
    tags: tuple[str, ...] = (),
    prepare: Prepare | None = None,
) -> Callable[[ClientRule], ClientRule]:
    """Register a client rule type. ``params`` is the JSON Schema of its parameters."""
    details = _Details(type_name, summary, why, help, params, security_severity, tags, prepare)
    return _registrar(ClientRuleSpec, details)


def pool_rule(
    type_name: str,
    *,
    summary: str,
    why: str,
    help: str,
    params: ParamsSchema | None = None,
    security_severity: str = "5.0",
    tags: tuple[str, ...] = (),
    prepare: Prepare | None = None,
) -> Callable[[PoolRule], PoolRule]:
    """Register a pool rule type, evaluated once per user pool on its selected M2M clients."""
    details = _Details(type_name, summary, why, help, params, security_severity, tags, prepare)
    return _registrar(PoolRuleSpec, details)


def drift_rule(
    type_name: str,
    *,
    summary: str,
    why: str,
    help: str,
    params: ParamsSchema | None = None,
    security_severity: str = "5.0",
    tags: tuple[str, ...] = (),
    prepare: Prepare | None = None,
) -> Callable[[DriftRule], DriftRule]:
    """Register a drift rule type, evaluated by ``m2m-guard drift`` on each case of matching
    the code's clients with the live ones."""
    details = _Details(type_name, summary, why, help, params, security_severity, tags, prepare)
    return _registrar(DriftRuleSpec, details)
