"""Terraform's built-in functions that modules use for app clients, with Terraform's semantics.

:data:`FUNCTIONS` maps a function name to its evaluation over evaluated arguments; ``try`` and
``can``, which evaluate their arguments themselves, are in :mod:`terraform_expr`. Each function
follows its page in the Terraform documentation
(https://developer.hashicorp.com/terraform/language/functions/NAME): null handling, type
conversion, and the errors Terraform raises, which are :class:`~tf_values.Invalid` (so ``try``
moves past them). An argument not known yet makes the result unknown, except where the function
needs only the part that is known (``length`` of a list of unknown elements, ``concat``,
``lookup`` of a known key). Any other function is not evaluated: its result is unknown with its
name in the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from m2m_guard.model import Unknown
from m2m_guard.sources.tf_values import (
    Handle,
    Invalid,
    Lazy,
    TfSet,
    first_unknown,
    is_number,
    number,
    to_bool,
    to_num,
    to_str,
    type_name,
    unknown_of,
)

Function = Callable[[str, list[Any]], Any]

#: Function name -> its evaluation, given its name (for reasons) and its evaluated arguments.
FUNCTIONS: dict[str, Function] = {}


class _Error(Exception):
    """Terraform rejects the call; the message becomes an :class:`Invalid` reason."""


class _Pending(Exception):
    """An argument is not known yet: the result is this unknown."""

    def __init__(self, unknown: Unknown) -> None:
        self.unknown = unknown


Body = Callable[..., Any]


def function(
    name: str, arity: int | tuple[int, int | None], deep: bool | None = True
) -> Callable[[Body], Body]:
    """Register ``body(*args)`` under ``name``; ``arity``: the number of arguments, or (least,
    most) with None for any number. ``deep``: every argument must be fully known (False: only the
    arguments themselves; None: the body sees unknown arguments)."""
    least, most = (arity, arity) if isinstance(arity, int) else arity

    def register(body: Body) -> Body:
        def call(fname: str, args: list[Any]) -> Any:
            if len(args) < least or most is not None and len(args) > most:
                return Invalid(f"{fname}() takes {_arity(least, most)} arguments, not {len(args)}")
            for arg in args if deep is not None else ():
                pending = first_unknown(arg) if deep else _shallow(arg)
                if pending is not None:
                    return pending
            try:
                return body(*args)
            except _Error as exc:
                return Invalid(f"{fname}(): {exc}")
            except _Pending as exc:
                return exc.unknown

        FUNCTIONS[name] = call
        return body

    return register


def _arity(least: int, most: int | None) -> str:
    return str(least) if least == most else f"at least {least}" if most is None else f"{least} to {most}"


def _shallow(value: Any) -> Unknown | None:
    return unknown_of(value, "") if isinstance(value, (Unknown, Handle, Lazy)) else None


def _list(value: Any, what: str = "a list") -> list[Any]:
    if not isinstance(value, list):
        raise _Error(f"{what} is required, not a {type_name(value)}")
    return value


def _map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Error(f"a map or object is required, not a {type_name(value)}")
    return value


def _str(value: Any, what: str = "a string") -> str:
    converted = to_str(value)
    if isinstance(converted, Unknown):
        raise _Pending(converted) if not isinstance(converted, Invalid) else _Error(converted.reason)
    if converted is None:
        raise _Error(f"{what} is required, not null")
    return str(converted)


def _num(value: Any) -> int | float:
    converted = to_num(value)
    if not is_number(converted):
        raise _Error(converted.reason if isinstance(converted, Unknown) else "a number is required, not null")
    return converted  # type: ignore[no-any-return]


def _need_known(value: Any) -> Any:
    found = first_unknown(value)
    if found is not None:
        raise _Pending(found)
    return value


def _unify(values: list[Any]) -> list[Any]:
    """Primitives converted to one type, as Terraform unifies a function's arguments: all strings
    if any is a string (and the others convert), else the values as they are."""
    if any(isinstance(v, str) for v in values) and all(
        v is None or not isinstance(v, (list, dict)) for v in values
    ):
        return [None if v is None else _str(v) for v in values]
    return values


# --- collections -------------------------------------------------------------------------------


@function("coalesce", (1, None), deep=None)
def _coalesce(*args: Any) -> Any:
    """The first argument that is neither null nor an empty string; an error if there is none."""
    strings = any(isinstance(value, str) for value in args)
    for value in args:
        if isinstance(value, (Handle, Unknown, Lazy)):
            return value  # (a pool id known after apply is neither null nor empty)
        if value is not None and value != "":
            # all arguments take one type: a number or bool among strings becomes a string
            return _str(value) if strings and not isinstance(value, (list, dict)) else value
    raise _Error("no non-null, non-empty-string arguments")


@function("coalescelist", (1, None), deep=False)
def _coalescelist(*args: Any) -> Any:
    """The first non-empty list (an error if none is)."""
    for value in args:
        if _list(value, "a list argument"):
            return value
    raise _Error("no non-empty list arguments")


@function("concat", (1, None), deep=False)
def _concat(*args: Any) -> Any:
    return [item for arg in args for item in _list(arg)]


@function("compact", 1)
def _compact(items: Any) -> Any:
    """The list without its null and empty-string elements (the rest made strings)."""
    return [_str(item) for item in _list(items) if item is not None and item != ""]


@function("distinct", 1)
def _distinct(items: Any) -> Any:
    found: list[Any] = []
    for item in _list(items):
        if not any(_same(item, f) for f in found):
            found.append(item)
    return found


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or is_number(a) and is_number(b) and a == b


@function("flatten", 1)
def _flatten(items: Any) -> Any:
    return list(_flat(_list(items)))


def _flat(items: list[Any]) -> Any:
    for item in items:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


@function("sort", 1)
def _sort(items: Any) -> Any:
    """The elements as strings, in lexicographic (code point) order; null elements are an error."""
    strings = [_str(item, "a string element") for item in _list(items)]
    return sorted(strings)


@function("lookup", (2, 3), deep=False)
def _lookup(table: Any, key: Any, *default: Any) -> Any:
    name = _str(key, "a key")
    table = _map(table)
    if name in table:
        return table[name]
    if default:
        return default[0]
    raise _Error(f"the key {name!r} is not in the map, and there is no default")


@function("merge", (0, None), deep=False)
def _merge(*args: Any) -> Any:
    """Later arguments' keys win; null arguments are skipped."""
    merged: dict[str, Any] = {}
    for arg in args:
        if arg is not None:
            merged.update(_map(arg))
    return merged


@function("keys", 1, deep=False)
def _keys(table: Any) -> Any:
    return sorted(_map(table))


@function("values", 1, deep=False)
def _values(table: Any) -> Any:
    table = _map(table)
    return [table[key] for key in sorted(table)]


@function("element", 2, deep=False)
def _element(items: Any, index: Any) -> Any:
    """``list[index % length]``, wrapping around in both directions (-1 is the last element);
    an empty list is an error."""
    items, position = _list(items), _num(_need_known(index))
    if not items:
        raise _Error("cannot use element function with an empty list")
    if not float(position).is_integer():
        raise _Error("the index must be a whole number")
    return items[int(position) % len(items)]


@function("length", 1, deep=False)
def _length(value: Any) -> Any:
    """Elements of a list, set or map; characters of a string."""
    if isinstance(value, (list, dict)):
        return len(value)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return len(_str(value))
    raise _Error(f"a collection or a string is required, not a {type_name(value)}")


@function("contains", 2)
def _contains(items: Any, value: Any) -> Any:
    return any(_same(item, value) for item in _list(items))


# --- strings --------------------------------------------------------------------------------------


@function("join", (2, None))
def _join(separator: Any, *lists: Any) -> Any:
    sep = _str(separator, "a separator")
    return sep.join(_str(item, "a string element") for items in lists for item in _list(items))


@function("split", 2)
def _split(separator: Any, text: Any) -> Any:
    """Go's strings.Split: an empty string gives one empty element, an empty separator splits
    into characters."""
    sep, whole = _str(separator, "a separator"), _str(text)
    return list(whole) if sep == "" else whole.split(sep)


@function("lower", 1)
def _lower(text: Any) -> Any:
    return _str(text).lower()


@function("upper", 1)
def _upper(text: Any) -> Any:
    return _str(text).upper()


@function("trimspace", 1)
def _trimspace(text: Any) -> Any:
    return _str(text).strip()


@function("replace", 3)
def _replace(text: Any, substring: Any, replacement: Any) -> Any:
    whole, old, new = _str(text), _str(substring), _str(replacement)
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        # a regular expression in RE2 syntax, with $1 references: not evaluated
        raise _Pending(Unknown("replace() with a regular expression is not evaluated"))
    return whole.replace(old, new)


_VERB = re.compile(r"%(?:(%)|(\[\d+\])?([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z]))")


@function("format", (1, None))
def _format(spec: Any, *args: Any) -> Any:
    """The verbs modules use: %s, %d, %v, %q, %f (with width and precision) and %%."""
    text, values, position = _str(spec, "a format"), list(args), 0
    out: list[str] = []
    last = 0
    for match in _VERB.finditer(text):
        out.append(text[last : match.start()])
        last = match.end()
        if match.group(1):
            out.append("%")
            continue
        if match.group(2):
            position = int(match.group(2)[1:-1]) - 1
        if position >= len(values):
            raise _Error("too few arguments for the format")
        out.append(_verb(match, values[position]))
        position += 1
    out.append(text[last:])
    return "".join(out)


def _verb(match: re.Match[str], value: Any) -> str:
    flags, width, precision, verb = match.group(3), match.group(4), match.group(5), match.group(6)
    if verb in ("s", "v") and not isinstance(value, (list, dict)):
        shown = _str(value) if value is not None else "null"
    elif verb == "q":
        shown = '"' + _str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif verb == "d":
        whole = _num(value)
        if not float(whole).is_integer():
            raise _Error("%d needs a whole number")
        shown = str(int(whole))
    elif verb == "f":
        shown = f"{float(_num(value)):.{int(precision) if precision else 6}f}"
    else:
        raise _Pending(Unknown(f"format() verb %{verb} is not evaluated"))
    size = int(width) if width else 0
    return (
        shown.ljust(size)
        if "-" in flags
        else shown.rjust(size, "0" if "0" in flags and verb in "df" else " ")
    )


# --- numbers --------------------------------------------------------------------------------------


@function("min", (1, None))
def _min(*args: Any) -> Any:
    return number(min(_num(a) for a in args))


@function("max", (1, None))
def _max(*args: Any) -> Any:
    return number(max(_num(a) for a in args))


# --- conversions ----------------------------------------------------------------------------------


@function("tolist", 1, deep=False)
def _tolist(value: Any) -> Any:
    if value is None:
        return None
    return list(_unify(_list(value, "a list or set")))


@function("toset", 1, deep=False)
def _toset(value: Any) -> Any:
    """Distinct elements; strings in lexicographic order, numbers in numeric order (the order
    Terraform gives a set of primitives)."""
    if value is None:
        return None
    items = _unify(_list(value, "a list or set"))
    _need_known(items)
    distinct = _distinct(items)
    if all(isinstance(i, str) for i in distinct) or all(is_number(i) for i in distinct):
        distinct = sorted(distinct)
    return TfSet(distinct)


@function("tomap", 1, deep=False)
def _tomap(value: Any) -> Any:
    if value is None:
        return None
    table = _map(value)
    converted = _unify(list(table.values()))
    return dict(zip(table, converted, strict=True))


@function("tonumber", 1)
def _tonumber(value: Any) -> Any:
    converted = to_num(value)
    if isinstance(converted, Invalid):
        raise _Error(converted.reason)
    return converted


@function("tostring", 1)
def _tostring(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        raise _Error(f"a {type_name(value)} cannot be converted to a string")
    return to_str(value)


@function("tobool", 1)
def _tobool(value: Any) -> Any:
    converted = to_bool(value)
    if isinstance(converted, Invalid):
        raise _Error(converted.reason)
    return converted
