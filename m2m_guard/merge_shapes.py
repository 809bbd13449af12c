"""What ``m2m-guard merge`` accepts as a report, checked before anything is merged.

Reports come from files anyone may have edited: each must be valid JSON without ``NaN`` or
``Infinity``, nested at most :data:`MAX_DEPTH` levels, and of the shape m2m-guard writes
wherever merging reads it (:data:`SARIF_SHAPE`, :data:`JSON_SHAPE`), so that no wrong type
reaches m2m_guard/merge.py. A report that is not gets one line, :class:`MergeError`, naming the
place (``runs[0].tool: missing``).
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Deeper than any report m2m-guard writes (about 8), shallow enough that copying and writing
#: the document can never exhaust Python's recursion limit.
MAX_DEPTH = 64


class MergeError(Exception):
    """A report that cannot be merged; the message is one line."""


def _reject_constant(name: str) -> Any:
    raise MergeError(f"not valid JSON: {name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MergeError(f"not valid JSON: the number {text[:20]} is out of range")
    return number


def parse(text: str) -> Any:
    """The JSON document in ``text``; MergeError for what is not JSON, for ``NaN``, ``Infinity``
    and numbers too large for a float, and for nesting deeper than :data:`MAX_DEPTH`."""
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except (ValueError, RecursionError):  # JSONDecodeError; an integer of over 4,300 digits
        raise MergeError("not a JSON or SARIF report") from None
    if _depth(document) > MAX_DEPTH:
        raise MergeError(f"not an m2m-guard report: nested deeper than {MAX_DEPTH} levels")
    return document


def _depth(document: Any) -> int:
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


# Shapes: what merging reads, checked before merging so that no wrong type reaches it. A dict
# is an object whose listed keys, when present, have the given shape ("!" marks a key that must
# be present); [shape] an array of that shape; a tuple a choice; dict or list any object or array.
_LOCATION = {"physicalLocation": {"artifactLocation": {"uri": str}, "region": {"startLine": int}}}
_SWEPT = {"accounts": [str], "regions": [str]}
SARIF_RUN: dict[str, Any] = {
    "!tool": {"!driver": {"rules": [{"!id": str}]}},
    "automationDetails": {"id": str},
    "results": [
        {
            "ruleId": str,
            "level": str,
            "locations": [_LOCATION],
            "partialFingerprints": dict,
            "suppressions": list,
        }
    ],
    "invocations": [
        {
            "executionSuccessful": bool,
            "toolExecutionNotifications": [
                {"level": str, "message": {"text": str}, "locations": [_LOCATION]}
            ],
        }
    ],
    "properties": {"summary": dict, "swept": _SWEPT},
}
SARIF_SHAPE: dict[str, Any] = {"!version": str, "!runs": [SARIF_RUN]}
JSON_SHAPE: dict[str, Any] = {
    "!findings": [
        {
            "rule_id": str,
            "level": str,
            "path": (str, None),
            "line": (int, None),
            "fingerprint": str,
            "suppressed": bool,
            "category": (str, None),  # merge writes null for a report that named none
        }
    ],
    "!summary": dict,
    "notifications": [{"level": str, "message": str, "path": (str, None), "line": (int, None)}],
    "rules": [{"!id": str}],
    "category": str,
    "swept": (_SWEPT, None),
}
_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "an object", list: "an array"}


def _conforms(value: Any, shape: Any) -> bool:
    if isinstance(shape, tuple):
        return any(_conforms(value, choice) for choice in shape)
    if shape is None:
        return value is None
    if shape is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(shape, type):
        return isinstance(value, shape)
    return isinstance(value, dict if isinstance(shape, dict) else list)


def _expected(shape: Any) -> str:
    if isinstance(shape, tuple):
        return " or ".join(_expected(choice) for choice in shape)
    if shape is None:
        return "null"
    return _NAMES[shape] if isinstance(shape, type) else _NAMES[type(shape)]


def check(value: Any, shape: Any, where: str = "") -> None:
    """MergeError naming the first place where ``value`` does not have ``shape``."""
    if not _conforms(value, shape):
        raise MergeError(f"{where or 'the report'}: not {_expected(shape)}")
    if isinstance(shape, tuple):
        shape = next(choice for choice in shape if _conforms(value, choice))
    if isinstance(shape, list) and shape:
        for i, item in enumerate(value):
            check(item, shape[0], f"{where}[{i}]")
    elif isinstance(shape, dict):
        for key, inner in shape.items():
            name = key.lstrip("!")
            path = f"{where}.{name}" if where else name
            if name in value:
                check(value[name], inner, path)
            elif key.startswith("!"):
                raise MergeError(f"{path}: missing")


def kind_of(report: Any) -> str:
    if isinstance(report, dict) and report.get("version") == "2.1.0" and "runs" in report:
        return "sarif"
    if isinstance(report, dict) and "findings" in report and "summary" in report:
        return "json"
    raise MergeError("neither an m2m-guard SARIF nor an m2m-guard JSON report")


def load(text: str) -> tuple[str, dict[str, Any]]:
    """(kind, report) from the text of one report, checked; MergeError (one line) if it is not one."""
    report = parse(text)
    kind = kind_of(report)
    try:
        check(report, SARIF_SHAPE if kind == "sarif" else JSON_SHAPE)
    except MergeError as exc:
        raise MergeError(f"not an m2m-guard {'SARIF' if kind == 'sarif' else 'JSON'} report: {exc}") from None
    return kind, report
