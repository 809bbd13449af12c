"""Terraform expressions (:mod:`hcl_ast` nodes) -> values, as far as the configuration decides.

One handler per node type in :data:`HANDLERS`, one per binary operator in :data:`OPERATORS`;
each returns the value or an :class:`~m2m_guard.model.Unknown` saying why not, never a guess.
Names (``var.x``, ``local.x``, ``module.x.y``, resource attributes) are the module's business
(:mod:`tf_scope`): the evaluator hands every reference to a :class:`Names` (the module instance
it runs in).

Values are Python values: ``str``, ``int``/``float``, ``bool``, ``None`` (null), ``list``,
``dict``, :class:`Unknown`, or a :class:`Handle` (a value known after apply that still
identifies something, such as a user pool's id; :func:`plain` turns it into an Unknown).
"""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol

from m2m_guard.model import Unknown
from m2m_guard.sources import hcl_ast as ast

#: One step of a reference after its root: ("attr", name) | ("index", value) | ("splat", None).
Step = tuple[str, Any]


class Handle(ABC):
    """A value known only after apply that still identifies what it refers to."""

    @property
    @abstractmethod
    def unknown(self) -> Unknown: ...


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


def evaluate(node: ast.Expr, names: Names, rep: str | None) -> Any:
    """The value of ``node``; ``rep`` is the enclosing block's ``count``/``for_each``, if any."""
    try:
        return Evaluator(names, rep).eval(node)
    except RecursionError:
        return Unknown("expression nested too deeply")
    except NotEvaluated:
        return Unknown("expression not evaluated")


class Evaluator:
    def __init__(self, names: Names, rep: str | None) -> None:
        self.names = names
        self.rep = rep

    def eval(self, node: ast.Expr) -> Any:
        return HANDLERS[type(node)](self, node)

    def traversal(self, node: ast.Expr) -> Any:
        """``root.a[0].b``: the steps are collected, then the root resolves them."""
        steps: list[Step] = []
        while True:
            if isinstance(node, ast.GetAttr):
                steps.append(("attr", node.name))
                node = node.target
            elif isinstance(node, ast.Index):
                steps.append(("index", self.eval(node.key)))
                node = node.target
            elif isinstance(node, ast.Splat):
                # What follows a splat is not evaluated: the splat makes the whole unknown.
                steps.append(("splat", None))
                node = node.source
            else:
                break
        steps.reverse()
        if isinstance(node, ast.Variable):
            return self.names.reference(node.name, steps, self.rep)
        return apply(self.eval(node), steps, "an expression")


def _number(e: Evaluator, node: ast.Number) -> Any:
    try:
        return int(node.text) if node.text.isdigit() else float(node.text)
    except ValueError:  # more digits than int() converts
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
            return value  # unknown: a string or a list of any length, so the list is unknown too
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
            key = to_string(e.eval(item.key))
        if isinstance(key, Unknown):
            return key
        result[key] = e.eval(item.value)
    return result


def _traversal(e: Evaluator, node: ast.Expr) -> Any:
    return e.traversal(node)


def _call(e: Evaluator, node: ast.Call) -> Any:
    return Unknown(f"{node.name}() is not evaluated")


def _for(e: Evaluator, node: ast.ForExpr) -> Any:
    return Unknown("for expressions are not evaluated")


def _splat_item(e: Evaluator, node: ast.SplatItem) -> Any:
    return Unknown("splat expressions are not evaluated")


def _conditional(e: Evaluator, node: ast.Conditional) -> Any:
    condition = e.eval(node.condition)
    if isinstance(condition, bool):
        return e.eval(node.then if condition else node.otherwise)
    return unknown_of(condition, "a condition is not a boolean")


def _binary(e: Evaluator, node: ast.Binary) -> Any:
    left = e.eval(node.left)
    # false && x and true || x need no x (and x may be unknown).
    if node.op == "&&" and left is False or node.op == "||" and left is True:
        return left
    return binary(node.op, left, e.eval(node.right))


def _unary(e: Evaluator, node: ast.Unary) -> Any:
    value = e.eval(node.operand)
    if isinstance(value, (Unknown, Handle)):
        return unknown_of(value, "")
    if node.op == "-" and is_number(value):
        return -value
    if node.op == "!" and isinstance(value, bool):
        return not value
    return Unknown(f"{node.op} is not evaluated on this value")


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
    ast.Splat: _traversal,
    ast.SplatItem: _splat_item,
    ast.Call: _call,
    ast.ForExpr: _for,
    ast.Conditional: _conditional,
    ast.Binary: _binary,
    ast.Unary: _unary,
    ast.Parens: _parens,
}


# --- values ---------------------------------------------------------------------------------------


def apply(value: Any, steps: list[Step], text: str) -> Any:
    """``value`` followed by ``steps`` (``text`` names the reference in reasons)."""
    for kind, arg in steps:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Handle):
            return Unknown(f"{text} is known after apply")
        if kind == "splat":
            return Unknown(f"{text}: splat expressions are not evaluated")
        if isinstance(arg, Unknown):
            return arg
        keyed = isinstance(value, dict) and isinstance(arg, str) and arg in value
        listed = isinstance(value, list) and type(arg) is int and 0 <= arg < len(value)
        if not (keyed or listed and kind == "index"):
            return Unknown(f"{text} is not evaluated")
        value = value[arg]
    return value


def render(root: str, steps: list[Step]) -> str:
    """A reference as written, for reasons: ``var.pools["eu"]``."""
    out = [root]
    for kind, arg in steps:
        if kind == "attr":
            out.append(f".{arg}")
        elif kind == "splat":
            out.append("[*]")
            break  # what follows a splat is not evaluated
        elif isinstance(arg, int) and not isinstance(arg, bool):
            out.append(f"[{arg}]")
        elif isinstance(arg, str):
            out.append(f'["{arg}"]')
        else:
            out.append("[...]")
    return "".join(out)


def unknown_of(value: Any, fallback: str) -> Unknown:
    """``value`` if it is unknown (a handle's own reason), else ``Unknown(fallback)``."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Handle):
        return value.unknown
    return Unknown(fallback)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_string(value: Any) -> Any:
    """A value inside a string template, as Terraform converts it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        return Unknown("null in a string template")
    return unknown_of(value, "a list or object in a string template")


def binary(op: str, left: Any, right: Any) -> Any:
    """``left op right`` on evaluated operands (an unknown operand makes the result unknown)."""
    for value in (left, right):
        if isinstance(value, (Unknown, Handle)):
            return unknown_of(value, "")
    return OPERATORS.get(op, _unsupported)(op, left, right)


def _equality(op: str, left: Any, right: Any) -> Any:
    same = type(left) is type(right) or is_number(left) and is_number(right)
    equal = same and left == right
    return equal if op == "==" else not equal


def _logic(op: str, left: Any, right: Any) -> Any:
    if isinstance(left, bool) and isinstance(right, bool):
        return (left and right) if op == "&&" else (left or right)
    return Unknown(f"{op} needs booleans")


def _numeric(function: Callable[[Any, Any], Any]) -> Callable[[str, Any, Any], Any]:
    """An operator on two numbers; Python's overflow makes the whole expression unknown."""

    def on_numbers(op: str, left: Any, right: Any) -> Any:
        if not (is_number(left) and is_number(right)):
            return Unknown(f"{op} needs numbers")
        if op in ("/", "%") and right == 0:
            return Unknown(f"division by zero ({op})")
        try:
            return function(left, right)
        except OverflowError:  # an int too large for a float
            raise NotEvaluated from None

    return on_numbers


def _divide(left: Any, right: Any) -> Any:
    result = left / right
    return int(result) if result.is_integer() else result


def _unsupported(op: str, left: Any, right: Any) -> Any:
    if not (is_number(left) and is_number(right)):
        return Unknown(f"{op} needs numbers")
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


def plain(value: Any) -> Any:
    """A model value: handles become Unknown (nothing else leaves the Terraform source)."""
    if isinstance(value, Handle):
        return value.unknown
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
