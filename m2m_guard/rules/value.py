"""The generic ``condition`` rule: key / operator / value over the client record."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from m2m_guard.model import ABSENT, AppClient, Undetermined, Unknown, Violation, folded_key, is_secret_key
from m2m_guard.rules._registry import PolicyError, RuleContext, rule


def _contains(actual: Any, expected: Any) -> bool:
    return isinstance(actual, (tuple, list, str)) and expected in actual


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        numeric = (int, float)
        if isinstance(actual, bool) or not isinstance(actual, numeric):
            return False
        return op(actual, expected)

    return check


#: How long one ``matches`` may run, and how many such timeouts a pattern gets before it is
#: not tried again in the run: a catastrophic pattern (``(x+x+)+y`` over a long value) costs a
#: scan at most a second, and the clients it could not check get a note.
MATCH_SECONDS = 0.1
MAX_TIMEOUTS = 10


class Pattern:
    """A ``matches`` pattern, compiled with the ``regex`` library (Python's ``re`` syntax; ``re``
    cannot stop a match that backtracks for hours) so that each match is bounded in time."""

    def __init__(self, source: str) -> None:
        import regex  # only policies with a `matches` rule pay for the import

        self.source = source
        self._compiled = regex.compile(source)
        self._timeouts = 0
        self._lock = threading.Lock()

    def fullmatch(self, value: str) -> bool:
        """Whether the whole value matches; Undetermined when the pattern ran out of time."""
        if self._timeouts >= MAX_TIMEOUTS:
            raise Undetermined(f"the pattern {self.source!r} {self._too_slow()}; it was not tried again")
        try:
            return self._compiled.fullmatch(value, timeout=MATCH_SECONDS) is not None
        except TimeoutError:
            with self._lock:
                self._timeouts += 1
            raise Undetermined(f"the pattern {self.source!r} {self._too_slow()}") from None

    @staticmethod
    def _too_slow() -> str:
        return f"took longer than {MATCH_SECONDS:g} s on this value (simplify it)"


def _matches(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, str):
        return False
    pattern = expected if isinstance(expected, Pattern) else Pattern(str(expected))
    return pattern.fullmatch(actual)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, e: a == e,
    "not_equals": lambda a, e: a != e,
    "in": lambda a, e: a in e,
    "not_in": lambda a, e: a not in e,
    "contains": _contains,
    "not_contains": lambda a, e: not _contains(a, e),
    "lt": _compare(lambda a, e: a < e),
    "le": _compare(lambda a, e: a <= e),
    "gt": _compare(lambda a, e: a > e),
    "ge": _compare(lambda a, e: a >= e),
    "matches": _matches,
    "present": lambda a, e: a is not None,
    "absent": lambda a, e: a is None,
}
_NO_VALUE = ("present", "absent")


def _hidden(key: object) -> bool:
    """Keys whose value no message shows, in any spelling: a client secret's value (the sources
    drop those keys as they read a file; this is the second lock), and ``ClientSecretArn``, which
    names the account and the secret to ask for (README, "What is read")."""
    return is_secret_key(key) or isinstance(key, str) and folded_key(key) == "clientsecretarn"


def _prepare(params: dict[str, Any]) -> dict[str, Any]:
    op = params["op"]
    secret = next((part for part in params["key"].split(".") if is_secret_key(part)), None)
    if secret is not None:
        raise PolicyError(
            f"{secret} is never read: m2m-guard drops client secrets as it reads a file (to ask "
            "whether a client has one, use GenerateSecret or ClientSecretArn with present or absent)",
            ("key",),
        )
    if op not in _NO_VALUE and "value" not in params:
        raise PolicyError(f"operator {op!r} needs a value", ("value",))
    if op in ("in", "not_in") and not isinstance(params.get("value"), list):
        raise PolicyError(f"operator {op!r} needs a list value", ("value",))
    if op in ("lt", "le", "gt", "ge") and (
        isinstance(params.get("value"), bool) or not isinstance(params.get("value"), (int, float))
    ):
        raise PolicyError(f"operator {op!r} needs a number", ("value",))
    if op == "matches":
        if not isinstance(params.get("value"), str):
            raise PolicyError("operator 'matches' needs a regular expression (a string)", ("value",))
        import regex

        try:
            return {**params, "pattern": Pattern(params["value"])}
        except (regex.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise PolicyError(f"invalid regular expression: {exc}", ("value",)) from None
    return params


def _plain(value: Any) -> Any:
    """Record values as a policy author writes them: tuples become lists."""
    return list(value) if isinstance(value, tuple) else value


@rule(
    "condition",
    summary="A custom requirement on a field of the app client.",
    why=(
        "It turns a team's own requirement on any app-client setting into a check that runs in "
        "review and in sweeps, like the built-in rules."
    ),
    help="Change the app client so that the condition of the policy rule holds.",
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["key", "op"],
        "properties": {
            "key": {"type": "string", "minLength": 1},
            "op": {"enum": sorted(OPERATORS)},
            "value": {},
            "message": {"type": "string", "minLength": 1},
        },
    },
    prepare=_prepare,
    security_severity="5.0",
    tags=("custom",),
)
def condition(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """Every M2M client satisfies ``key op value``; ``key`` is a DescribeUserPoolClient field
    (a dotted path for nested ones, e.g. ``TokenValidityUnits.AccessToken``). An absent field
    compares as null; use ``present`` / ``absent`` to require or forbid it. Operators:
    equals, not_equals, in, not_in, contains, not_contains, lt, le, gt, ge, matches (a Python
    regular expression over the whole value; each match may run 0.1 s), present, absent. Client
    secrets are never read, so no condition can name one.

    Example::

        - id: TOKEN-REVOCATION
          type: condition
          key: EnableTokenRevocation
          op: not_equals
          value: false
          message: Token revocation must stay enabled.
          severity: warning
    """
    params = ctx.params
    key, op = params["key"], params["op"]
    actual = client.get(key)
    if isinstance(actual, Unknown):
        raise Undetermined(f"{key} is {actual}")
    doubt = _first_unknown(actual)
    # a known element can still decide (contains) / not_contains, as for forbidden scopes
    if doubt is not None and not (op in ("contains", "not_contains") and params.get("value") in actual):
        raise Undetermined(f"a part of {key} is {doubt}")
    actual = None if actual is ABSENT else _plain(actual)
    if not OPERATORS[op](actual, params.get("pattern", params.get("value"))):
        shown = "absent" if actual is None else "not shown" if _hidden(key.split(".")[-1]) else _show(actual)
        expected = "" if op in _NO_VALUE else f" {_show(params.get('value'))}"
        detail = params.get("message") or f"Expected {key} {op.replace('_', ' ')}{expected}."
        yield Violation(f"{detail} ({key} is {shown}; policy {ctx.rule_id}.)", key.split(".")[0])


def _first_unknown(value: Any) -> Unknown | None:
    # Keys the normalizer does not know keep their lists as lists (``SupportedIdentityProviders2:
    # [!Ref P]``, a Terraform attribute it does not map): an unknown inside one counts too.
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    for item in items:
        found = item if isinstance(item, Unknown) else _first_unknown(item)
        if found is not None:
            return found
    return None


def _without_hidden(value: Any) -> Any:
    """``value`` with the values of secret keys (and ``ClientSecretArn``) replaced, at any depth."""
    if isinstance(value, dict):
        return {k: "(not shown)" if _hidden(k) else _without_hidden(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_hidden(v) for v in value]
    return value


def _show(value: Any) -> str:
    """A value as the policy author would write it (JSON spelling: true, null, ["a"])."""
    value = _without_hidden(value)
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
