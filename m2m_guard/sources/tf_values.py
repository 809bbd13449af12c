"""Terraform values as the HCL evaluator holds them, and Terraform's conversions between them.

Values are Python values: ``str``, ``int``/``float``, ``bool``, ``None`` (null), ``list`` (a
list or tuple; :class:`TfSet` for a set), ``dict`` (a map or object), an
:class:`~m2m_guard.model.Unknown` (with :class:`Invalid` for an expression Terraform itself
rejects, which ``try`` and ``can`` tell apart from a value not known yet), a :class:`Handle` (a
value known after apply that still identifies something, such as a user pool's id) or a
:class:`Lazy` (a resource instance whose attributes are evaluated when asked for).

Conversions follow Terraform's type conversion rules
(https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types):
a number or a bool converts to a string, a string of decimal digits to a number, ``"true"`` and
``"false"`` to bools; nothing else converts.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from m2m_guard.model import Unknown

#: One step of a reference after its root: ("attr", name) | ("index", value).
Step = tuple[str, Any]

#: A number as Terraform's string-to-number conversion accepts it.
_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True, slots=True)
class Invalid(Unknown):
    """An expression Terraform rejects (a missing key, a type error, a function's error):
    unknown to every reader, but ``try`` moves on to its next argument and ``can`` is false."""


class TfSet(list[Any]):
    """A set: a list of distinct elements, in Terraform's order (strings lexicographically)."""


class Handle(ABC):
    """A value known only after apply that still identifies what it refers to."""

    @property
    @abstractmethod
    def unknown(self) -> Unknown: ...


class Lazy(ABC):
    """A value whose attributes are evaluated when a reference asks for them (a resource)."""

    @abstractmethod
    def attr(self, name: str, text: str) -> Any: ...

    @property
    @abstractmethod
    def unknown(self) -> Unknown:
        """What the whole value is, when used as a whole (it is never fully known)."""


def apply(value: Any, steps: list[Step], text: str) -> Any:
    """``value`` followed by ``steps`` (``text`` names the reference in reasons)."""
    for kind, arg in steps:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Handle):
            return Unknown(f"{text} is known after apply")
        if isinstance(arg, Unknown):
            return arg
        if isinstance(value, Lazy):
            if kind != "attr":
                return Invalid(f"{text}: a resource instance has no index")
            value = value.attr(arg, text)
            continue
        value = _step(value, kind, arg, text)
    return value


def _step(value: Any, kind: str, arg: Any, text: str) -> Any:
    if value is None:
        return Invalid(f"{text}: attempt to get an attribute or element of null")
    if isinstance(value, dict):
        key = to_str(arg) if kind == "index" else arg
        if isinstance(key, str) and key in value:
            return value[key]
        return Invalid(f"{text}: no such key or attribute")
    if isinstance(value, list) and kind == "index" and not isinstance(value, TfSet):
        index = to_num(arg)
        if type(index) is int and 0 <= index < len(value):
            return value[index]
        return Invalid(f"{text}: index out of range")
    return Invalid(f"{text}: cannot be indexed")


def render(root: str, steps: list[Step]) -> str:
    """A reference as written, for reasons: ``var.pools["eu"]``."""
    return root + "".join(step_text(kind, arg) for kind, arg in steps)


def step_text(kind: str, arg: Any) -> str:
    if kind == "attr":
        return f".{arg}"
    return instance_key(arg) if isinstance(arg, (int, str)) and not isinstance(arg, bool) else "[...]"


def instance_key(key: int | str) -> str:
    """An instance key as Terraform writes it in addresses: ``[0]``, ``["reader"]``."""
    if isinstance(key, int):
        return f"[{key}]"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'["{escaped}"]'


def unknown_of(value: Any, fallback: str) -> Unknown:
    """``value`` if it is unknown (a handle's own reason), else ``Unknown(fallback)``."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (Handle, Lazy)):
        return value.unknown
    return Unknown(fallback)


def first_unknown(value: Any) -> Unknown | None:
    """The first unknown part of a value (itself, or any element, at any depth), else None."""
    if isinstance(value, (Unknown, Handle, Lazy)):
        return unknown_of(value, "")
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = first_unknown(item)
        if found is not None:
            return found
    return None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value: float) -> int | float:
    """A whole float as an int: Terraform has one number type."""
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**63 else value


def to_str(value: Any) -> Any:
    """A primitive converted to a string (null stays null); anything else is Invalid."""
    if isinstance(value, str) or value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(number(value)) if value.is_integer() else repr(value)
    if isinstance(value, (Handle, Lazy)):
        return value.unknown
    return Invalid(f"a {type_name(value)} is not a string")


def to_num(value: Any) -> Any:
    """A number, or a string of one converted (null stays null); anything else is Invalid."""
    if is_number(value) or value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        try:
            return number(int(value)) if value.lstrip("-").isdigit() else number(float(value))
        except (ValueError, OverflowError):
            return Unknown(f"the number {value[:20]!r} is not evaluated")
    if isinstance(value, (Handle, Lazy)):
        return value.unknown
    return Invalid(f"{_shown(value)} is not a number")


def to_bool(value: Any) -> Any:
    """A bool, or ``"true"`` / ``"false"`` converted (null stays null); else Invalid."""
    if isinstance(value, bool) or value is None or isinstance(value, Unknown):
        return value
    if value in ("true", "false"):
        return value == "true"
    return (
        unknown_of(value, "")
        if isinstance(value, (Handle, Lazy))
        else Invalid(f"{_shown(value)} is not a bool")
    )


def to_string(value: Any) -> Any:
    """A value inside a string template, as Terraform converts it (null is an error there)."""
    if value is None:
        return Invalid("null in a string template")
    if isinstance(value, (list, dict)):
        return Invalid(f"a {type_name(value)} in a string template")
    return to_str(value)


def type_name(value: Any) -> str:
    if isinstance(value, TfSet):
        return "set"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    return "number" if is_number(value) else "null" if value is None else "value"


def _shown(value: Any) -> str:
    return repr(value[:40]) if isinstance(value, str) else f"a {type_name(value)}"


def plain(value: Any) -> Any:
    """A model value: handles become Unknown, sets lists (nothing else leaves the source)."""
    if isinstance(value, (Handle, Lazy)):
        return value.unknown
    if isinstance(value, Invalid):
        return Unknown(value.reason)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
