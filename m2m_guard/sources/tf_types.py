"""A variable's ``type`` constraint applied to its value, as Terraform converts it.

https://developer.hashicorp.com/terraform/language/expressions/type-constraints: primitives
convert (``"5"`` to a number, ``5`` to a string); a ``list``, ``set`` or ``map`` converts each
element; an ``object`` keeps only the attributes its type names, and an attribute marked
``optional(type, default)`` that the value lacks takes its default, else null
(https://developer.hashicorp.com/terraform/language/expressions/type-constraints#optional-object-type-attributes).
So ``var.client.scopes`` of a variable typed ``object({scopes = optional(list(string))})`` is
null, not an error, when the value sets no ``scopes``. A value that does not convert is
:class:`~tf_values.Invalid`, as Terraform rejects it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from m2m_guard.model import Unknown
from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.tf_values import Handle, Invalid, Lazy, TfSet, to_bool, to_num, to_str

#: Evaluates an optional attribute's default (an expression of constants).
Evaluate = Callable[[ast.Expr], Any]

_PRIMITIVES: dict[str, Callable[[Any], Any]] = {"string": to_str, "number": to_num, "bool": to_bool}


def convert(value: Any, kind: ast.Expr, evaluate: Evaluate) -> Any:
    """``value`` converted to the type expression ``kind`` (an expression not understood as a
    type leaves the value as it is)."""
    if value is None or isinstance(value, (Unknown, Handle, Lazy)):
        return value
    if isinstance(kind, ast.Variable):
        primitive = _PRIMITIVES.get(kind.name)
        if primitive is None:  # any
            return value
        if isinstance(value, (list, dict)):
            return Invalid(f"a {kind.name} is required, not a collection")
        return primitive(value)
    if not isinstance(kind, ast.Call) or not kind.args:
        return value
    convert_to = _COLLECTIONS.get(kind.name)
    return convert_to(value, kind.args, evaluate) if convert_to else value


def _list(value: Any, args: tuple[ast.Expr, ...], evaluate: Evaluate) -> Any:
    if not isinstance(value, list):
        return Invalid("a list is required")
    return [convert(item, args[0], evaluate) for item in value]


def _set(value: Any, args: tuple[ast.Expr, ...], evaluate: Evaluate) -> Any:
    items = _list(value, args, evaluate)
    if isinstance(items, Unknown) or any(isinstance(i, (Unknown, list, dict)) for i in items):
        return items
    distinct = list(dict.fromkeys(items))
    same = all(isinstance(i, str) for i in distinct) or all(isinstance(i, (int, float)) for i in distinct)
    return TfSet(sorted(distinct) if same else distinct)


def _map(value: Any, args: tuple[ast.Expr, ...], evaluate: Evaluate) -> Any:
    if not isinstance(value, dict):
        return Invalid("a map is required")
    return {key: convert(item, args[0], evaluate) for key, item in value.items()}


def _tuple(value: Any, args: tuple[ast.Expr, ...], evaluate: Evaluate) -> Any:
    kinds = args[0]
    if not isinstance(value, list) or not isinstance(kinds, ast.TupleExpr):
        return value if not isinstance(value, dict) else Invalid("a tuple is required")
    if len(kinds.items) != len(value):
        return Invalid(f"a tuple of {len(kinds.items)} elements is required")
    return [convert(item, kind, evaluate) for item, kind in zip(value, kinds.items, strict=True)]


def _object(value: Any, args: tuple[ast.Expr, ...], evaluate: Evaluate) -> Any:
    attrs = args[0]
    if not isinstance(value, dict):
        return Invalid("an object is required")
    if not isinstance(attrs, ast.ObjectExpr):
        return value
    result: dict[str, Any] = {}
    for item in attrs.items:
        name = item.key.name if isinstance(item.key, ast.Variable) else None
        if name is None:
            return value  # a type not understood: the value as it is
        kind, default, optional = item.value, None, False
        if isinstance(kind, ast.Call) and kind.name == "optional" and kind.args:
            optional, default = True, kind.args[1] if len(kind.args) > 1 else None
            kind = kind.args[0]
        if name in value:
            result[name] = convert(value[name], kind, evaluate)
        elif optional:
            result[name] = convert(None if default is None else evaluate(default), kind, evaluate)
        else:
            return Invalid(f"attribute {name!r} is required")
    return result


_COLLECTIONS: dict[str, Callable[[Any, tuple[ast.Expr, ...], Evaluate], Any]] = {
    "list": _list,
    "set": _set,
    "map": _map,
    "tuple": _tuple,
    "object": _object,
}
