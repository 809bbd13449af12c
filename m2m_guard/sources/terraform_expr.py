"""Terraform expressions (:mod:`hcl_ast` nodes) -> values, as far as the configuration decides.

One handler per node type in :data:`HANDLERS`, one per binary operator in :data:`OPERATORS`,
one per function in :data:`tf_functions.FUNCTIONS` (``try`` and ``can``, which evaluate their
arguments themselves, in :data:`LAZY_FUNCTIONS`); each returns the value or an
:class:`~m2m_guard.model.Unknown` saying why not, never a guess. Values and conversions are
:mod:`tf_values`'. Names (``var.x``, ``local.x``, ``module.x.y``, resource attributes) are the
module's business (:mod:`tf_scope`): the evaluator hands every reference to a :class:`Names`
(the module instance it runs in), except the names it binds itself: a ``for`` expression's
symbols, and ``each`` / ``count`` of the resource instance being evaluated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from m2m_guard.model import Unknown
from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.tf_functions import FUNCTIONS
from m2m_guard.sources.tf_values import (
    Handle,
    Invalid,
    Lazy,
    Step,
    TfSet,
    apply,
    first_unknown,
    is_number,
    number,
    plain,
    render,
    to_bool,
    to_num,
    to_str,
    to_string,
    unknown_of,
)

__all__ = ["Handle", "Invalid", "Lazy", "Step", "apply", "evaluate", "plain", "render", "unknown_of"]


class Names(Protocol):
    """What an expression may ask of the module instance it is evaluated in."""

    def reference(self, root: str, steps: list[Step], rep: str | None) -> Any: ...


class NotEvaluated(Exception):
    """Python refuses a value the configuration holds: a number literal of 5,000 digits (int()
    has a limit), an overflowing division. The whole expression is then unknown.

    With RecursionError (an expression nested too deeply), the only exception evaluation turns
    into an :class:`Unknown`: anything else raised while evaluating is a bug of m2m-guard's
    own, and must not pass for an expression it does not evaluate.
    """


def evaluate(node: ast.Expr, names: Names, rep: str | None, bound: Mapping[str, Any] | None = None) -> Any:
    """The value of ``node``; ``rep`` is the enclosing block's ``count``/``for_each``, if any,
    and ``bound`` the names of its instance (``each``, ``count``) when it is expanded."""
    try:
        return Evaluator(names, rep, dict(bound or {})).eval(node)
    except RecursionError:
        return Unknown("expression nested too deeply")
    except NotEvaluated:
        return Unknown("expression not evaluated")


class Evaluator:
    def __init__(self, names: Names, rep: str | None, bound: dict[str, Any], item: Any = None) -> None:
        self.names = names
        self.rep = rep
        self.bound = bound  # for symbols, each, count
        self.item = item  # the element a splat applies its traversal to

    def eval(self, node: ast.Expr) -> Any:
        return HANDLERS[type(node)](self, node)

    def bind(self, names: dict[str, Any]) -> Evaluator:
        return Evaluator(self.names, self.rep, {**self.bound, **names}, self.item)

    def traversal(self, node: ast.Expr) -> Any:
        """``root.a[0].b``: the steps are collected, then the root resolves them."""
        steps: list[Step] = []
        while isinstance(node, (ast.GetAttr, ast.Index)):
            steps.append(
                ("attr", node.name) if isinstance(node, ast.GetAttr) else ("index", self.eval(node.key))
            )
            node = node.target
        steps.reverse()
        if isinstance(node, ast.Variable):
            if node.name in self.bound:
                return apply(self.bound[node.name], steps, render(node.name, steps))
            return self.names.reference(node.name, steps, self.rep)
        return apply(self.eval(node), steps, "an expression")


def _number(e: Evaluator, node: ast.Number) -> Any:
    try:
        return int(node.text) if node.text.isdigit() else number(float(node.text))
    except (ValueError, OverflowError):  # more digits than int() converts
        raise NotEvaluated from None


def _literal(e: Evaluator, node: ast.Literal) -> Any:
    return node.value


def _template(e: Evaluator, node: ast.Template) -> Any:
    parts = node.parts
    if len(parts) == 1 and isinstance(parts[0], ast.Interpolation):
        return e.eval(parts[0].expr)  # "${x}" is x itself, whatever its type
    pieces: list[str] = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        if not isinstance(part, ast.Interpolation):
            return Unknown("template directives are not evaluated")
        text = to_string(e.eval(part.expr))
        if isinstance(text, Unknown):
            return text
        pieces.append(text)
    return "".join(pieces)


def _heredoc(e: Evaluator, node: ast.Heredoc) -> Any:
    return _template(e, node.template)


def _tuple(e: Evaluator, node: ast.TupleExpr) -> Any:
    if len(node.items) == 1 and _interpolation_only(node.items[0]):
        # Terraform 0.11 wrote a list-valued expression as ["${var.flows}"] and read it as the
        # list itself (https://github.com/hashicorp/terraform/issues/19140); a list of one list
        # is a type error for every list argument m2m-guard reads.
        value = e.eval(node.items[0])
        if isinstance(value, (list, Unknown)):
            return list(value) if isinstance(value, list) else value  # unknown: of any length
        return [value]
    return [e.eval(item) for item in node.items]


def _interpolation_only(node: ast.Expr) -> bool:
    """``"${expr}"``: a string template that is one interpolation and nothing else."""
    if not isinstance(node, ast.Template) or len(node.parts) != 1:
        return False
    return isinstance(node.parts[0], ast.Interpolation)


def _object(e: Evaluator, node: ast.ObjectExpr) -> Any:
    result: dict[str, Any] = {}
    for item in node.items:
        # { name = 1 } names the key; { (var.k) = 1 } or { "k" = 1 } evaluates it
        if item.bare and isinstance(item.key, ast.Variable):
            key: Any = item.key.name
        else:
            key = _key(e.eval(item.key))
        if isinstance(key, Unknown):
            return key
        result[key] = e.eval(item.value)
    return result


def _key(value: Any) -> Any:
    """An object key: a string, or a primitive converted to one (null is an error)."""
    key = to_str(value)
    return Invalid("an object key is null") if key is None else key


def _traversal(e: Evaluator, node: ast.Expr) -> Any:
    return e.traversal(node)


def _call(e: Evaluator, node: ast.Call) -> Any:
    lazy = LAZY_FUNCTIONS.get(node.name)
    if lazy is not None and not node.expand:
        return lazy(e, node.args)
    function = FUNCTIONS.get(node.name)
    args = [e.eval(arg) for arg in node.args]
    if function is None:
        lacking = first_unknown(args)  # says why it could not be evaluated anyway
        return Unknown(f"{node.name}() is not evaluated" + (f" ({lacking.reason})" if lacking else ""))
    if node.expand:  # f(a, list...): the list's elements are the last arguments
        last = args.pop() if args else None
        if isinstance(last, (Unknown, Handle, Lazy)):
            return unknown_of(last, "")
        if not isinstance(last, list):
            return Invalid(f"{node.name}(): ... needs a list")
        args.extend(last)
    return function(node.name, args)


def _try(e: Evaluator, args: tuple[ast.Expr, ...]) -> Any:
    """``try(a, b, ...)``: the first argument Terraform evaluates without an error; an argument
    not known yet makes the result unknown, as in Terraform
    (https://developer.hashicorp.com/terraform/language/functions/try)."""
    if not args:
        return Invalid("try() needs at least one argument")
    for arg in args:
        value = e.eval(arg)
        if not isinstance(value, Invalid):
            return value
    return Invalid("try(): no argument could be evaluated")


def _can(e: Evaluator, args: tuple[ast.Expr, ...]) -> Any:
    """``can(x)``: whether x evaluates without an error (unknown while x is not known)."""
    if len(args) != 1:
        return Invalid("can() takes one argument")
    value = e.eval(args[0])
    if isinstance(value, Invalid):
        return False
    return unknown_of(value, "") if isinstance(value, (Unknown, Handle)) else True


#: Functions that evaluate their own arguments (an error in one is their business).
LAZY_FUNCTIONS: dict[str, Callable[[Evaluator, tuple[ast.Expr, ...]], Any]] = {"try": _try, "can": _can}


def _for(e: Evaluator, node: ast.ForExpr) -> Any:
    """``[for k, v in coll : value if cond]`` and ``{for k, v in coll : key => value... if cond}``
    (https://developer.hashicorp.com/terraform/language/expressions/for): a list's keys are its
    indexes, a set's its elements, a map's or object's its keys, visited in lexicographic order."""
    collection = e.eval(node.collection)
    if isinstance(collection, (Unknown, Handle, Lazy)):
        return unknown_of(collection, "")
    pairs = _pairs(collection)
    if pairs is None:
        return Invalid(f"a for expression cannot iterate over a {'null' if collection is None else 'value'}")
    items: list[Any] = []
    grouped: dict[str, Any] = {}
    for key, value in pairs:
        inner = e.bind({node.value_var: value} | ({node.key_var: key} if node.key_var else {}))
        if node.condition is not None:
            keep = to_bool(inner.eval(node.condition))
            if not isinstance(keep, bool):
                return unknown_of(keep, "") if keep is not None else Invalid("a for condition is null")
            if not keep:
                continue
        if node.key is None:
            items.append(inner.eval(node.value))
            continue
        name = _key(inner.eval(node.key))
        if isinstance(name, Unknown):
            return name
        if node.group:
            grouped.setdefault(name, []).append(inner.eval(node.value))
        elif name in grouped:
            return Invalid(f"duplicate key {name!r} in a for expression (use ... to group)")
        else:
            grouped[name] = inner.eval(node.value)
    return items if node.key is None else grouped


def _pairs(collection: Any) -> list[tuple[Any, Any]] | None:
    if isinstance(collection, TfSet):
        return [(item, item) for item in collection]
    if isinstance(collection, list):
        return list(enumerate(collection))
    if isinstance(collection, dict):
        return [(key, collection[key]) for key in sorted(collection)]
    return None


def _splat(e: Evaluator, node: ast.Splat) -> Any:
    """``source[*].a``: the traversal applied to every element; a value that is not a list is a
    list of itself, and null an empty list
    (https://developer.hashicorp.com/terraform/language/expressions/splat)."""
    source = e.eval(node.source)
    if isinstance(source, (Unknown, Handle)):
        return unknown_of(source, "")
    if source is None:
        return []
    items = source if isinstance(source, list) else [source]
    return [Evaluator(e.names, e.rep, e.bound, item).eval(node.each) for item in items]


def _splat_item(e: Evaluator, node: ast.SplatItem) -> Any:
    return e.item


def _conditional(e: Evaluator, node: ast.Conditional) -> Any:
    condition = to_bool(e.eval(node.condition))
    if isinstance(condition, bool):
        return e.eval(node.then if condition else node.otherwise)
    if condition is None:
        return Invalid("a condition is null")
    return unknown_of(condition, "a condition is not a boolean")


def _binary(e: Evaluator, node: ast.Binary) -> Any:
    left = e.eval(node.left)
    # false && x and true || x need no x (and x may be unknown).
    if node.op == "&&" and left is False or node.op == "||" and left is True:
        return left
    return binary(node.op, left, e.eval(node.right))


def _unary(e: Evaluator, node: ast.Unary) -> Any:
    value = e.eval(node.operand)
    if isinstance(value, (Unknown, Handle, Lazy)):
        return unknown_of(value, "")
    converted = to_num(value) if node.op == "-" else to_bool(value)
    if node.op == "-" and is_number(converted):
        return -converted
    if node.op == "!" and isinstance(converted, bool):
        return not converted
    return (
        unknown_of(converted, "") if isinstance(converted, Unknown) else Invalid(f"{node.op} on a null value")
    )


def _parens(e: Evaluator, node: ast.Parens) -> Any:
    return e.eval(node.expr)


HANDLERS: dict[type[Any], Callable[[Evaluator, Any], Any]] = {
    ast.Number: _number,
    ast.Literal: _literal,
    ast.Template: _template,
    ast.Heredoc: _heredoc,
    ast.TupleExpr: _tuple,
    ast.ObjectExpr: _object,
    ast.Variable: _traversal,
    ast.GetAttr: _traversal,
    ast.Index: _traversal,
    ast.Splat: _splat,
    ast.SplatItem: _splat_item,
    ast.Call: _call,
    ast.ForExpr: _for,
    ast.Conditional: _conditional,
    ast.Binary: _binary,
    ast.Unary: _unary,
    ast.Parens: _parens,
}


# --- operators ------------------------------------------------------------------------------------


def binary(op: str, left: Any, right: Any) -> Any:
    """``left op right`` on evaluated operands (an unknown operand makes the result unknown)."""
    for value in (left, right):
        if isinstance(value, (Unknown, Handle, Lazy)):
            return unknown_of(value, "")
    return OPERATORS.get(op, _unsupported)(op, left, right)


def _equality(op: str, left: Any, right: Any) -> Any:
    # no conversion: "1" == 1 is false in Terraform
    same = type(left) is type(right) or is_number(left) and is_number(right)
    equal = same and left == right
    return equal if op == "==" else not equal


def _logic(op: str, left: Any, right: Any) -> Any:
    left, right = to_bool(left), to_bool(right)
    if isinstance(left, bool) and isinstance(right, bool):
        return (left and right) if op == "&&" else (left or right)
    return _failed(left, right, f"{op} needs booleans")


def _numeric(function: Callable[[Any, Any], Any]) -> Callable[[str, Any, Any], Any]:
    """An operator on two numbers (strings of digits convert); Python's overflow makes the
    whole expression unknown."""

    def on_numbers(op: str, left: Any, right: Any) -> Any:
        left, right = to_num(left), to_num(right)
        if not (is_number(left) and is_number(right)):
            return _failed(left, right, f"{op} needs numbers")
        if op in ("/", "%") and right == 0:
            return Invalid(f"division by zero ({op})")
        try:
            return number(function(left, right))
        except OverflowError:  # an int too large for a float
            raise NotEvaluated from None

    return on_numbers


def _failed(left: Any, right: Any, reason: str) -> Unknown:
    """The reason a conversion of an operand gave, else ``reason`` (both are Terraform errors)."""
    for value in (left, right):
        if isinstance(value, Unknown):
            return value
    return Invalid(reason)


def _divide(left: Any, right: Any) -> Any:
    result = left / right
    return int(result) if result.is_integer() else result


def _unsupported(op: str, left: Any, right: Any) -> Any:
    if not (is_number(left) and is_number(right)):
        return Invalid(f"{op} needs numbers")
    return Unknown(f"operator {op} is not evaluated")


#: Binary operator -> its evaluation, given the operator and both (known) operands.
OPERATORS: dict[str, Callable[[str, Any, Any], Any]] = {
    "==": _equality,
    "!=": _equality,
    "&&": _logic,
    "||": _logic,
    "<": _numeric(operator.lt),
    ">": _numeric(operator.gt),
    "<=": _numeric(operator.le),
    ">=": _numeric(operator.ge),
    "+": _numeric(operator.add),
    "-": _numeric(operator.sub),
    "*": _numeric(operator.mul),
    "/": _numeric(_divide),
    "%": _numeric(operator.mod),
}
