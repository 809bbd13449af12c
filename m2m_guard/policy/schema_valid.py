"""Whether a policy passes the JSON Schema, decided without jsonschema when that is certain.

A policy is validated on every run, and is valid on almost every run; importing jsonschema
(with ``referencing`` and its format checkers) costs more than the rest of a small scan. So the
schema step first asks :func:`certainly_valid`, which reads the schema that
:func:`~m2m_guard.policy.schema.build_schema` builds (the same dict jsonschema would get, so it
is never out of date) and checks the keywords that schema uses, as jsonschema 4 implements them
for draft 2020-12. Only a "yes" is used: on anything else, :mod:`.schema_check` runs jsonschema,
which finds and words every error exactly as before. A keyword, a ``$ref`` or a Python value
this module does not know makes it unsure, which is a "no": a new keyword in the schema costs
speed (a test names it), never a missed error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: Keywords that only annotate: they never make an instance invalid.
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description"})
#: The Python values a parsed policy holds; anything else (a date, a Decimal) is left to jsonschema.
_PLAIN = (dict, list, str, bool, int, float, type(None))


class _Unsure(Exception):
    """A keyword, reference or value this module does not judge: jsonschema decides."""


def certainly_valid(instance: Any, schema: dict[str, Any]) -> bool:
    """True when ``instance`` is valid under ``schema`` for sure; False when it is not, or when
    this module cannot tell (then jsonschema must judge)."""
    try:
        return verdict(instance, schema) is True
    except RecursionError:
        return False


def verdict(instance: Any, schema: dict[str, Any]) -> bool | None:
    """True (valid), False (invalid: jsonschema reports at least one error), or None (not judged)."""
    try:
        return _valid(instance, schema, schema)
    except _Unsure:
        return None


def _valid(instance: Any, schema: Any, root: dict[str, Any]) -> bool:
    if schema is True or schema is False:
        return bool(schema)
    if not isinstance(schema, dict):
        raise _Unsure
    if not isinstance(instance, _PLAIN):
        raise _Unsure
    for keyword, expected in schema.items():
        check = _KEYWORDS.get(keyword)
        if check is None:
            if keyword in ANNOTATIONS or keyword in _WITH_IF:
                continue
            raise _Unsure
        if not check(instance, expected, schema, root):
            return False
    return True


# -- the keywords, each as jsonschema's draft 2020-12 validator applies it ------------------


def _is_type(instance: Any, name: str) -> bool:
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if name == "number":
        return isinstance(instance, (int, float)) and not isinstance(instance, bool)
    if name == "integer":
        if isinstance(instance, float):
            return instance.is_integer()
        return isinstance(instance, int) and not isinstance(instance, bool)
    raise _Unsure


def _type(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    if not isinstance(names, list):
        raise _Unsure
    return any(_is_type(instance, name) for name in names)


def _equal(instance: Any, expected: Any) -> bool:
    """jsonschema's ``equal``, for the scalars a schema compares with (true is not 1, 1 is 1.0)."""
    if isinstance(expected, (list, dict)):
        raise _Unsure
    if isinstance(instance, (list, dict)):
        return False
    if isinstance(expected, str) or isinstance(instance, str):
        return bool(instance == expected)
    if isinstance(expected, bool) or isinstance(instance, bool):
        return instance is expected
    if expected is None or instance is None:
        return instance is expected
    if isinstance(expected, (int, float)):
        return bool(instance == expected)
    raise _Unsure


def _const(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return _equal(instance, expected)


def _enum(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(expected, list):
        raise _Unsure
    return any(_equal(instance, each) for each in expected)


def _pattern(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, str) or re.search(expected, instance) is not None


def _number_ok(instance: Any, test: Callable[[float], bool]) -> bool:
    if isinstance(instance, bool) or not isinstance(instance, (int, float)):
        return True  # not a number: the keyword does not apply
    return test(instance)


def _minimum(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return _number_ok(instance, lambda n: not n < expected)


def _maximum(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return _number_ok(instance, lambda n: not n > expected)


def _min_length(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, str) or len(instance) >= expected


def _min_items(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, list) or len(instance) >= expected


def _unique(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if expected is False or not isinstance(instance, list):
        return True
    if expected is not True or not all(isinstance(item, str) for item in instance):
        raise _Unsure  # jsonschema's uniq sorts mixed values in ways not worth copying
    return len(set(instance)) == len(instance)


def _required(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, dict) or all(key in instance for key in expected)


def _properties(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(_valid(instance[key], sub, root) for key, sub in expected.items() if key in instance)


def _additional(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        raise _Unsure
    known = schema.get("properties", {})
    extras = [key for key in instance if key not in known]
    return all(_valid(instance[key], expected, root) for key in extras)


def _items(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(instance, list):
        return True
    if "prefixItems" in schema:
        raise _Unsure
    return all(_valid(item, expected, root) for item in instance)


def _ref(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(expected, str) or not expected.startswith("#/"):
        raise _Unsure  # only references inside the schema itself
    target: Any = root
    for part in expected[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            raise _Unsure
        target = target[part]
    return _valid(instance, target, root)


def _all_of(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return all(_valid(instance, sub, root) for sub in expected)


def _if(instance: Any, expected: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    branch = "then" if _valid(instance, expected, root) else "else"
    return branch not in schema or _valid(instance, schema[branch], root)


#: Read by ``if`` (skipped on their own, as jsonschema does).
_WITH_IF = frozenset({"then", "else"})

_KEYWORDS: dict[str, Callable[[Any, Any, dict[str, Any], dict[str, Any]], bool]] = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "pattern": _pattern,
    "minimum": _minimum,
    "maximum": _maximum,
    "minLength": _min_length,
    "minItems": _min_items,
    "uniqueItems": _unique,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": _items,
    "$ref": _ref,
    "allOf": _all_of,
    "if": _if,
}
#: Every keyword this module judges (a test checks the generated schema uses no other).
KEYWORDS = frozenset(_KEYWORDS) | _WITH_IF | ANNOTATIONS
