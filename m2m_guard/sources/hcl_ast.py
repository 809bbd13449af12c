"""The syntax tree of an HCL native-syntax file (Terraform ``.tf``), as :mod:`hcl_syntax` builds it.

Frozen dataclasses, one per construct of the HCL native syntax specification
(https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md); every node carries the 1-based
line where it starts. Nothing here evaluates: that is the business of the Terraform source.
Numbers keep their text (HCL numbers have arbitrary precision; converting is the evaluator's
choice), and template literal parts are plain strings with escapes already applied.

Equality and hashing compare whole subtrees (recursively); code that keys a mapping by a node
should use ``id(node)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    line: int


@dataclass(frozen=True, slots=True)
class Body:
    """The attributes and blocks of a file or of a block, in source order."""

    items: tuple[Attribute | Block, ...]


# --- expressions -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    text: str  # as written: digits, optional fraction and exponent
    line: int


@dataclass(frozen=True, slots=True)
class Literal:
    """``true``, ``false`` or ``null``."""

    value: bool | None
    line: int


@dataclass(frozen=True, slots=True)
class Interpolation:
    """``${ expr }`` inside a template; ``strip_*``: a ``~`` marker on that side (already applied)."""

    expr: Expr
    line: int
    strip_left: bool = False
    strip_right: bool = False


@dataclass(frozen=True, slots=True)
class TemplateIf:
    """``%{ if cond }...%{ else }...%{ endif }``."""

    condition: Expr
    then: tuple[TemplatePart, ...]
    otherwise: tuple[TemplatePart, ...]
    line: int


@dataclass(frozen=True, slots=True)
class TemplateFor:
    """``%{ for key, value in collection }...%{ endfor }`` (``key`` is None without a comma)."""

    key: str | None
    value: str
    collection: Expr
    body: tuple[TemplatePart, ...]
    line: int


#: A template is a sequence of literal text (escapes and strip markers applied) and sequences.
TemplatePart = str | Interpolation | TemplateIf | TemplateFor


@dataclass(frozen=True, slots=True)
class Template:
    """A quoted string ``"..."``, or the content of a heredoc."""

    parts: tuple[TemplatePart, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Heredoc:
    """``<<MARKER`` or, with ``flush``, ``<<-MARKER`` (indentation already removed)."""

    marker: str
    flush: bool
    template: Template
    line: int


@dataclass(frozen=True, slots=True)
class TupleExpr:
    items: tuple[Expr, ...]
    line: int


@dataclass(frozen=True, slots=True)
class ObjectItem:
    """One ``key = value`` (or ``key: value``) of an object.

    ``bare``: the key was a lone identifier (``{ name = 1 }``), which names the key itself; then
    ``key`` is a :class:`Variable` holding that name. Otherwise the key is an expression to
    evaluate: a string template, or a parenthesised expression (:class:`Parens`).
    """

    key: Expr
    value: Expr
    bare: bool
    line: int


@dataclass(frozen=True, slots=True)
class ObjectExpr:
    items: tuple[ObjectItem, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Variable:
    """A root name: ``var``, ``local``, ``aws_cognito_user_pool``, ``each``, a ``for`` variable."""

    name: str
    line: int


@dataclass(frozen=True, slots=True)
class GetAttr:
    """``target.name``."""

    target: Expr
    name: str
    line: int


@dataclass(frozen=True, slots=True)
class Index:
    """``target[key]``; ``legacy``: written ``target.0`` (HCL 1 style, key is a Number)."""

    target: Expr
    key: Expr
    line: int
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class SplatItem:
    """Inside :attr:`Splat.each`: the element the traversal is applied to."""

    line: int


@dataclass(frozen=True, slots=True)
class Splat:
    """``source.*.a.b`` (attribute splat) or ``source[*].a[0]`` (``full``).

    ``each`` is the traversal that follows the splat, applied to every element of ``source``;
    it is built on a :class:`SplatItem` (``source[*]`` alone has ``each = SplatItem``).
    """

    source: Expr
    each: Expr
    full: bool
    line: int


@dataclass(frozen=True, slots=True)
class Call:
    """``name(args)``; ``name`` may be provider-namespaced (``provider::aws::arn_parse``).

    ``expand``: the last argument was followed by ``...`` (its elements are the arguments).
    """

    name: str
    args: tuple[Expr, ...]
    expand: bool
    line: int


@dataclass(frozen=True, slots=True)
class Conditional:
    condition: Expr
    then: Expr
    otherwise: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # || && == != < > <= >= + - * / %
    left: Expr
    right: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # ! or -
    operand: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Parens:
    expr: Expr
    line: int


@dataclass(frozen=True, slots=True)
class ForExpr:
    """``[for k, v in coll : value if cond]`` or ``{for k, v in coll : key => value... if cond}``.

    ``key`` is None for the tuple form; ``group`` is the object form's ``...``.
    """

    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None
    value: Expr
    condition: Expr | None
    group: bool
    line: int


Expr = (
    Number
    | Literal
    | Template
    | Heredoc
    | TupleExpr
    | ObjectExpr
    | Variable
    | GetAttr
    | Index
    | SplatItem
    | Splat
    | Call
    | Conditional
    | Binary
    | Unary
    | Parens
    | ForExpr
)
