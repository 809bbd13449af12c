"""The wording of counts, durations, money and values in every message and report."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal


def plural(count: float, word: str, *, grouped: bool = False) -> str:
    """``plural(1, "client")`` -> ``"1 client"``, ``plural(2, "client")`` -> ``"2 clients"``;
    ``grouped`` rounds to a whole number with thousands separators, plural as said
    (``plural(1234.4, "token request", grouped=True)`` -> ``"1,234 token requests"``)."""
    if grouped:
        text = f"{count:,.0f}"
        return f"{text} {word}" + ("" if text == "1" else "s")
    return f"{count} {word}" + ("" if count == 1 else "s")


def human_duration(seconds: int) -> str:
    """``3600`` -> ``"1 hour"``, ``5400`` -> ``"90 minutes"``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return plural(seconds // size, unit)
    return plural(seconds, "second")


def usd(amount: float | Decimal) -> str:
    """``1234.5`` -> ``"$1,234.50"``; a decimal rounded half-up to the cent, as bills round
    (``Decimal("3.285")`` -> ``"$3.29"``)."""
    if isinstance(amount, Decimal) and amount.is_finite():
        amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${amount:,.2f}"


#: How an error message shows a value, by the input it came from (see :func:`describe_value`).
Notation = Literal["json", "yaml", "python", "cfn", "kind"]


def describe_value(value: Any, notation: Notation) -> str:
    """A value for an error message: a container by its kind, a scalar in the notation of the
    input it came from, so that the message quotes what its author wrote.

    - ``json`` (usage files): ``an object``, ``a list``, short JSON text;
    - ``yaml`` (policies): ``a mapping``, ``a list``, ``empty``, ``true``, a short ``repr``;
    - ``python`` (normalized source values): ``a boolean``, a short number's or string's
      ``repr``, else the Python type;
    - ``cfn`` (CloudFormation values): ``true``, a number as written, ``a string``, ``null``;
    - ``kind`` (Terraform plan values): the kind only (``a boolean``, ``a number``, ``a string``).
    """
    if isinstance(value, Mapping):
        return "an object" if notation == "json" else "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return _SCALARS[notation](value)


def _json_scalar(value: Any) -> str:
    if type(value) is int and value.bit_length() > 64:
        return f"a number of {len(str(value))} digits"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:36] + '..."'


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + "...'"


def _python_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    short = isinstance(value, (int, float, str)) and len(repr(value)) < 40
    return repr(value) if short else type(value).__name__


def _cfn_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else type(value).__name__


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else type(value).__name__


_SCALARS: dict[str, Callable[[Any], str]] = {
    "json": _json_scalar,
    "yaml": _yaml_scalar,
    "python": _python_scalar,
    "cfn": _cfn_scalar,
    "kind": _kind,
}
