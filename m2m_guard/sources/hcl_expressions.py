"""HCL expressions and templates -> :mod:`hcl_ast` nodes, for the parser in :mod:`hcl_syntax`.

Precedence climbing for the binary operators (HCL spec, "Operations"), then unary operators,
then a term and its traversals (``.name``, ``[key]``, splats). A template (a quoted string or a
heredoc) is read here as a flat list of literals, interpolations and directive markers, which
:func:`~m2m_guard.sources.hcl_templates.assemble` turns into nodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_cursor import Cursor
from m2m_guard.sources.hcl_templates import Directive, Flat, assemble
from m2m_guard.sources.hcl_tokens import (
    CLOSE_QUOTE,
    DIRECTIVE,
    HEREDOC_BEGIN,
    HEREDOC_END,
    IDENT,
    INTERP,
    LITERAL,
    NEWLINE,
    NUMBER,
    OPEN_QUOTE,
    SEQ_END,
    Token,
    excerpt,
)

# Binary operators by precedence (HCL spec, "Operations"); all are left-associative.
_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    ">": 4,
    "<=": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}
_KEYWORDS = {"true": True, "false": False, "null": None}
_LEGACY_INDEX = re.compile(r"[0-9]+(?:\.[0-9]+)*")


class ExpressionParser(Cursor):
    """The expression grammar; templates are here too, as ``${...}`` holds expressions."""

    def expression(self) -> ast.Expr:
        self.enter()
        expr = self.binary(1)
        token = self.peek()
        if token[0] == "?":
            self.pos += 1
            self.skip_lines()
            then = self.expression()
            self.expect(":")
            self.skip_lines()
            otherwise = self.expression()
            expr = ast.Conditional(expr, then, otherwise, expr.line)
        self.depth -= 1
        return expr

    def binary(self, level: int) -> ast.Expr:
        left = self.unary()
        while True:
            op = self.peek()[0]
            precedence = _PRECEDENCE.get(op)
            if precedence is None or precedence < level:
                return left
            self.pos += 1
            self.skip_lines()
            right = self.binary(precedence + 1)
            left = ast.Binary(op, left, right, left.line)

    def unary(self) -> ast.Expr:
        ops: list[Token] = []
        while self.peek()[0] in ("-", "!"):
            ops.append(self.advance())
            self.skip_lines()
        # The term, chosen by its first token; called from here, not from a method of its own,
        # so that a level of nesting costs no more Python frames (see MAX_DEPTH).
        token = self.peek()
        read = _TERMS.get(token[0])
        if read is None:
            raise self.unexpected(token)
        self.pos += 1
        expr = self.postfix(read(self, token))
        for op in reversed(ops):  # a loop, not recursion: "!!!!...x" stays flat on the stack
            expr = ast.Unary(op[0], expr, op[2])
        return expr

    def postfix(self, expr: ast.Expr) -> ast.Expr:
        while True:
            token = self.peek()
            if token[0] == ".":
                step = self.peek_after()
                if step[0] == "*":
                    self.pos += 1
                    self.expect("*")
                    expr = self.splat(expr, False, token[2])
                else:
                    expr = self.dot(expr)
            elif token[0] == "[":
                if self.peek_after()[0] == "*":
                    self.pos += 1
                    self.expect("*")
                    self.expect("]")
                    expr = self.splat(expr, True, token[2])
                else:
                    expr = self.index(expr)
            else:
                return expr

    def dot(self, target: ast.Expr) -> ast.Expr:
        """``.name`` or the legacy index ``.0`` (``.0.1`` arrives as one number token)."""
        dot = self.expect(".")
        token = self.peek()
        if token[0] == IDENT:
            self.pos += 1
            return ast.GetAttr(target, token[1], dot[2])
        if token[0] == NUMBER and _LEGACY_INDEX.fullmatch(token[1]):
            self.pos += 1
            for digits in token[1].split("."):
                target = ast.Index(target, ast.Number(digits, token[2]), dot[2], legacy=True)
            return target
        raise self.unexpected(token)

    def index(self, target: ast.Expr) -> ast.Expr:
        start = self.expect("[")
        saved, self.skip_newlines = self.skip_newlines, True
        key = self.expression()
        self.expect("]")
        self.skip_newlines = saved
        return ast.Index(target, key, start[2])

    def splat(self, source: ast.Expr, full: bool, line: int) -> ast.Splat:
        # The traversal after a splat applies to each element: attributes (and legacy indexes)
        # after ".*", attributes and indexes after "[*]". Another splat starts a new one.
        each: ast.Expr = ast.SplatItem(line)
        while True:
            token = self.peek()
            if token[0] == "." and self.peek_after()[0] != "*":
                each = self.dot(each)
            elif full and token[0] == "[" and self.peek_after()[0] != "*":
                each = self.index(each)
            else:
                return ast.Splat(source, each, full, line)

    # The terms (the operands of operations), by their first token in :data:`_TERMS`: each reads
    # the rest of a term whose first token (given) :meth:`unary` has consumed.

    def number(self, token: Token) -> ast.Expr:
        return ast.Number(token[1], token[2])

    def name(self, token: Token) -> ast.Expr:
        """``true``, ``false``, ``null``, a variable, or a function call."""
        text, line = token[1], token[2]
        if text in _KEYWORDS:
            return ast.Literal(_KEYWORDS[text], line)
        qualified = self.namespaced(text)
        if qualified != text or self.peek()[0] == "(":
            return self.call(qualified, line)
        return ast.Variable(text, line)

    def parens(self, start: Token) -> ast.Expr:
        saved, self.skip_newlines = self.skip_newlines, True
        inner = self.expression()
        self.expect(")")
        self.skip_newlines = saved
        return ast.Parens(inner, start[2])

    def string(self, start: Token) -> ast.Expr:
        line = start[2]
        return ast.Template(self.template(CLOSE_QUOTE, line), line)

    def heredoc(self, start: Token) -> ast.Expr:
        text, line = start[1], start[2]
        flush = text.startswith("<<-")
        parts = self.template(HEREDOC_END, line, heredoc=True, flush=flush)
        return ast.Heredoc(text.lstrip("<-"), flush, ast.Template(parts, line), line)

    def namespaced(self, name: str) -> str:
        """``provider::aws::arn_parse``: a provider function's name, ``::`` written without spaces."""
        tokens = self.tokens
        while tokens[self.pos][0] == ":":
            first, second = tokens[self.pos], tokens[self.pos + 1]
            if second[0] != ":" or second[3] != first[3] + 1:
                break
            after = tokens[self.pos + 2]
            if after[0] != IDENT or after[3] != second[3] + 1:
                break
            name = f"{name}::{after[1]}"
            self.pos += 3
        return name

    def call(self, name: str, line: int) -> ast.Call:
        self.expect("(")
        saved, self.skip_newlines = self.skip_newlines, True
        args: list[ast.Expr] = []
        expand = False
        while self.peek()[0] != ")":
            args.append(self.expression())
            if self.peek()[0] == "...":
                self.pos += 1
                expand = True
                if self.peek()[0] == ",":
                    self.pos += 1
                break
            if self.peek()[0] != ",":
                break
            self.pos += 1
        self.expect(")")
        self.skip_newlines = saved
        return ast.Call(name, tuple(args), expand, line)

    def starts_for(self) -> bool:
        token = self.peek()
        return token[0] == IDENT and token[1] == "for" and self.peek_after()[0] == IDENT

    def tuple_expr(self, start: Token) -> ast.Expr:
        saved, self.skip_newlines = self.skip_newlines, True
        result: ast.Expr
        if self.starts_for():
            result = self.for_expr(start[2], "]")
        else:
            items: list[ast.Expr] = []
            while self.peek()[0] != "]":
                items.append(self.expression())
                if self.peek()[0] != ",":
                    break
                self.pos += 1
            self.expect("]")
            result = ast.TupleExpr(tuple(items), start[2])
        self.skip_newlines = saved
        return result

    def object_expr(self, start: Token) -> ast.Expr:
        saved, self.skip_newlines = self.skip_newlines, True
        if self.starts_for():
            result: ast.Expr = self.for_expr(start[2], "}")
            self.skip_newlines = saved
            return result
        self.skip_newlines = False  # newlines separate the items
        items: list[ast.ObjectItem] = []
        while True:
            self.skip_lines()
            token = self.peek()
            if token[0] == "}":
                break
            bare = token[0] == IDENT and self.peek_after()[0] in ("=", ":")
            if bare:
                self.pos += 1
                key: ast.Expr = ast.Variable(token[1], token[2])
            else:
                key = self.expression()
            separator = self.peek()
            if separator[0] not in ("=", ":"):
                raise self.unexpected(separator)
            self.pos += 1
            self.skip_lines()
            items.append(ast.ObjectItem(key, self.expression(), bare, token[2]))
            after = self.peek()
            if after[0] == ",":
                self.pos += 1
            elif after[0] not in (NEWLINE, "}"):
                raise self.unexpected(after)
        self.expect("}")
        self.skip_newlines = saved
        return ast.ObjectExpr(tuple(items), start[2])

    def loop_variables(self) -> tuple[str | None, str]:
        """``k, v in`` or ``v in`` after ``for`` (an expression's or a ``%{for}``'s): (k or None, v)."""
        first = self.expect(IDENT)[1]
        key: str | None = None
        value = first
        if self.peek()[0] == ",":
            self.pos += 1
            key, value = first, self.expect(IDENT)[1]
        keyword = self.expect(IDENT)
        if keyword[1] != "in":
            raise self.unexpected(keyword)
        return key, value

    def for_expr(self, line: int, close: str) -> ast.ForExpr:
        self.expect(IDENT)  # "for"
        key_var, value_var = self.loop_variables()
        collection = self.expression()
        self.expect(":")
        key: ast.Expr | None = None
        group = False
        value = self.expression()
        if close == "}":
            self.expect("=>")
            key, value = value, self.expression()
            if self.peek()[0] == "...":
                self.pos += 1
                group = True
        condition: ast.Expr | None = None
        token = self.peek()
        if token[0] == IDENT and token[1] == "if":
            self.pos += 1
            condition = self.expression()
        self.expect(close)
        return ast.ForExpr(key_var, value_var, collection, key, value, condition, group, line)

    # --- templates -------------------------------------------------------------------------------

    def template(
        self, end: str, line: int, heredoc: bool = False, flush: bool = False
    ) -> tuple[ast.TemplatePart, ...]:
        """The parts up to ``end``: literals, interpolations and directives, nested as nodes."""
        saved, self.skip_newlines = self.skip_newlines, False
        # First a flat list: raw literal text, interpolations, and directive markers.
        flat: Flat = []
        strips: list[tuple[bool, bool]] = []  # (strip before, strip after) of each sequence
        while True:
            token = self.peek()
            kind = token[0]
            if kind == LITERAL:
                self.pos += 1
                flat.append(token[1])
                strips.append((False, False))
            elif kind in (INTERP, DIRECTIVE):
                self.pos += 1
                self.skip_newlines = True
                item = self.interpolation(token) if kind == INTERP else self.directive(token)
                close = self.expect(SEQ_END)
                self.skip_newlines = False
                strips.append((token[1].endswith("~"), close[1].startswith("~")))
                flat.append(item)
            elif kind == end:
                self.pos += 1
                break
            else:
                raise self.unexpected(token)
        parts = assemble(flat, strips, heredoc=heredoc, flush=flush)
        self.skip_newlines = saved
        return parts

    def interpolation(self, start: Token) -> ast.Interpolation:
        expr = self.expression()
        closing = self.peek()
        return ast.Interpolation(
            expr, start[2], strip_left=start[1].endswith("~"), strip_right=closing[1].startswith("~")
        )

    def directive(self, start: Token) -> Directive:
        word = self.expect(IDENT)
        name = word[1]
        if name == "if":
            return Directive("if", start[2], expr=self.expression())
        if name == "for":
            key, value = self.loop_variables()
            return Directive("for", start[2], expr=self.expression(), key=key, value=value)
        if name in ("else", "endif", "endfor"):
            return Directive(name, start[2])
        raise SourceError(f"invalid HCL: unknown template directive {excerpt(name)}", word[2])


#: The terms by their first token; anything else cannot start an operand.
_TERMS: dict[str, Callable[[ExpressionParser, Token], ast.Expr]] = {
    IDENT: ExpressionParser.name,
    NUMBER: ExpressionParser.number,
    OPEN_QUOTE: ExpressionParser.string,
    "(": ExpressionParser.parens,
    "[": ExpressionParser.tuple_expr,
    "{": ExpressionParser.object_expr,
    HEREDOC_BEGIN: ExpressionParser.heredoc,
}
