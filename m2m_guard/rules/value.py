"""The generic ``condition`` rule: key / operator / value over the client record."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from m2m_guard.model import ABSENT, AppClient, Undetermined, Unknown, Violation
from m2m_guard.rules._registry import Params, PolicyError, rule


def _contains(actual: Any, expected: Any) -> bool:
    return isinstance(actual, (tuple, list, str)) and expected in actual


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        numeric = (int, float)
        if isinstance(actual, bool) or not isinstance(actual, numeric):
            return False
        return op(actual, expected)

    return check


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
    "matches": lambda a, e: isinstance(a, str) and re.fullmatch(e, a) is not None,
    "present": lambda a, e: a is not None,
    "absent": lambda a, e: a is None,
}
_NO_VALUE = ("present", "absent")


def _prepare(params: dict[str, Any]) -> dict[str, Any]:
    op = params["op"]
    if op not in _NO_VALUE and "value" not in params:
        raise PolicyError(f"operator {op!r} needs a value", ("value",))
    if op in ("in", "not_in") and not isinstance(params.get("value"), list):
        raise PolicyError(f"operator {op!r} needs a list value", ("value",))
    if op in ("lt", "le", "gt", "ge") and (
        isinstance(params.get("value"), bool) or not isinstance(params.get("value"), (int, float))
    ):
        raise PolicyError(f"operator {op!r} needs a number", ("value",))
    if op == "matches":
        try:
            re.compile(params["value"])
        except (re.error, TypeError) as exc:
            raise PolicyError(f"invalid regular expression: {exc}", ("value",)) from None
    return params


def _plain(value: Any) -> Any:
    """Record values as a policy author writes them: tuples become lists."""
    return list(value) if isinstance(value, tuple) else value


@rule(
    "condition",
    summary="A custom requirement on a field of the app client.",
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
def condition(client: AppClient, p: Params) -> Iterator[Violation]:
    """Every M2M client satisfies ``key op value``; ``key`` is a DescribeUserPoolClient field
    (a dotted path for nested ones, e.g. ``TokenValidityUnits.AccessToken``). An absent field
    compares as null; use ``present`` / ``absent`` to require or forbid it. Operators:
    equals, not_equals, in, not_in, contains, not_contains, lt, le, gt, ge, matches (a Python
    regular expression over the whole value), present, absent.

    Example::

        - id: TOKEN-REVOCATION
          type: condition
          key: EnableTokenRevocation
          op: not_equals
          value: false
          message: Token revocation must stay enabled.
          severity: warning
    """
    key, op = p["key"], p["op"]
    actual = client.get(key)
    if isinstance(actual, Unknown):
        raise Undetermined(f"{key} is {actual}")
    doubt = _first_unknown(actual)
    # a known element can still decide (contains) / not_contains, as for forbidden scopes
    if doubt is not None and not (op in ("contains", "not_contains") and p.get("value") in actual):
        raise Undetermined(f"a part of {key} is {doubt}")
    actual = None if actual is ABSENT else _plain(actual)
    if not OPERATORS[op](actual, p.get("value")):
        shown = "absent" if actual is None else _show(actual)
        expected = "" if op in _NO_VALUE else f" {_show(p.get('value'))}"
        detail = p.get("message") or f"Expected {key} {op.replace('_', ' ')}{expected}."
        yield Violation(f"{detail} ({key} is {shown}; policy {p['rule']}.)", key.split(".")[0])


def _first_unknown(value: Any) -> Unknown | None:
    # Keys the normalizer does not know keep their lists as lists (``SupportedIdentityProviders2:
    # [!Ref P]``, a Terraform attribute it does not map): an unknown inside one counts too.
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    for item in items:
        found = item if isinstance(item, Unknown) else _first_unknown(item)
        if found is not None:
            return found
    return None


def _show(value: Any) -> str:
    """A value as the policy author would write it (JSON spelling: true, null, ["a"])."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
