"""The JSON Schema step: validate a policy against the generated schema and word each error.

Messages use no schema jargon and show no patterns: a duration without a unit gets the units
that would make it a lifetime Cognito accepts, a misspelt key its likely meaning. Every
keyword the generated schema uses is worded (a test checks :data:`WORDED_KEYWORDS`).

jsonschema runs only when :func:`~m2m_guard.policy.schema_valid.certainly_valid` cannot say
that the policy is valid: a valid policy, the common case, costs no jsonschema import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from m2m_guard.model import MAX_VALID_TTL_SECONDS, MIN_VALID_TTL_SECONDS, plural
from m2m_guard.policy.report import KeyPath, Report, closest, shown, unknown_key
from m2m_guard.policy.schema import DATE_PATTERN, DURATION_PATTERN, ID_PATTERN, build_schema
from m2m_guard.policy.schema_valid import certainly_valid

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping",
    "boolean": "true or false",
}
_UNITS = (("s", 1, "second"), ("m", 60, "minute"), ("h", 3600, "hour"), ("d", 86400, "day"))
_DURATION_HINT = "a duration like 300s, 15m, 1h or 1d"

WORDED_KEYWORDS = frozenset(
    {
        "additionalProperties",
        "required",
        "type",
        "pattern",
        "enum",
        "const",
        "minLength",
        "minItems",
        "minimum",
        "maximum",
    }
)


def _duration_message(value: Any) -> str:
    """A duration that is not one; a bare number gets the units that make it a sensible TTL."""
    if value is None:
        return f"is empty; write {_DURATION_HINT}"
    if type(value) is int:
        digits = str(value) if 0 <= value < 10**9 else ""
    else:
        digits = value if isinstance(value, str) else ""
    if not re.fullmatch(r"[0-9]{1,9}", digits):
        return f"{shown(value)} is not {_DURATION_HINT}"
    n = int(digits)
    # only the readings Cognito accepts as an access-token lifetime: 5 minutes to 1 day
    fits = [
        f"{n}{unit} ({plural(n, word)})"
        for unit, size, word in _UNITS
        if MIN_VALID_TTL_SECONDS <= n * size <= MAX_VALID_TTL_SECONDS
    ]
    if fits:
        return f"{shown(value)} has no unit; did you mean {' or '.join(fits)}?"
    return f"{shown(value)} has no unit; write {_DURATION_HINT} (access tokens live 5 minutes to 1 day)"


def _pattern_message(instance: Any, pattern: str) -> str | None:
    """The failure of a value the schema gives a pattern (even when it failed on its type)."""
    if pattern == DURATION_PATTERN:
        return _duration_message(instance)
    if pattern == DATE_PATTERN:
        if instance is None:
            return "is empty; write a date like 2027-03-31"
        return f"{shown(instance)} is not a date like 2027-03-31"
    return None


def _choice_message(kind: str, instance: Any, expected: Any) -> str:
    options = list(expected) if kind == "enum" else [expected]
    message = f"{shown(instance)} is not one of {', '.join(repr(o) for o in options)}"
    likely = (
        closest(instance, [o for o in options if isinstance(o, str)]) if isinstance(instance, str) else None
    )
    return f"{message} (did you mean {likely!r}?)" if likely else message


def _keyword_message(kind: str, instance: Any, expected: Any) -> str:
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return f"must be {wanted}, not {shown(instance)}"
    if kind in ("enum", "const"):
        return _choice_message(kind, instance, expected)
    if kind in ("minLength", "minItems"):
        return "must not be empty"
    if kind == "minimum":
        return "must not be negative" if expected == 0 else f"must be at least {expected}"
    if kind == "maximum":
        return f"{shown(instance)} is more than m2m-guard accepts here (at most {expected:,})"
    # every keyword the generated schema uses is worded above (a test checks the list)
    return f"{shown(instance)} is not allowed here"


def _value_message(kind: str, instance: Any, schema: dict[str, Any], expected: Any) -> str:
    pattern = schema.get("pattern")
    worded = _pattern_message(instance, pattern) if isinstance(pattern, str) else None
    if worded is not None:
        return worded
    if kind == "pattern" and pattern == ID_PATTERN:
        return (
            f"{shown(instance)} is not a valid id (letters, digits, _, . and -, "
            "starting with a letter or digit)"
        )
    return _keyword_message(kind, instance, expected)


_Message = tuple[KeyPath, str, KeyPath, KeyPath | None]


def _schema_messages(error: Any) -> Iterator[_Message]:
    """(path shown, message, path of the key at fault, missing key it explains) per problem."""
    path: KeyPath = tuple(error.absolute_path)
    kind, instance = error.validator, error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        # YAML keys need not be strings (``1:``, ``null:``); str() orders any mix of them
        for key in sorted((k for k in instance if k not in allowed), key=str):
            likely = closest(key, allowed)
            # `maxx: 1h` explains why `max` is missing: one message, not two
            explains = (*path, likely) if likely is not None and likely not in instance else None
            yield (*path, key), unknown_key(key, allowed), (*path, key), explains
    elif kind == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield path, f"{key!r} is required", (*path, key), None
    else:
        yield path, _value_message(kind, instance, error.schema, error.validator_value), path, None


def check_schema(data: Any, report: Report) -> None:
    schema = build_schema()
    if certainly_valid(data, schema):
        return  # the common case: nothing to word, and no jsonschema to import (see schema_valid)
    import jsonschema  # kept off the import path of `m2m-guard --version`

    validator = jsonschema.Draft202012Validator(schema)
    messages: list[_Message] = []
    for error in validator.iter_errors(data):
        # if/then dispatch reports the specific failure; the umbrella errors add nothing
        errors = error.context if error.validator in ("if", "allOf") and error.context else [error]
        for each in errors:
            messages.extend(_schema_messages(each))
    for *_, explains in messages:
        if explains is not None:
            report.claim(explains)
    for path, message, at_fault, _ in messages:
        if not report.claimed(at_fault):
            report.error(path, message)
