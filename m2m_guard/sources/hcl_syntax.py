"""HCL native syntax (Terraform ``.tf``) -> :mod:`hcl_ast` tree: a recursive-descent parser.

Written from the HCL native syntax specification
(https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md), standard library only, so every
install of m2m-guard reads ``.tf`` files and nothing it installs clashes with other tools.

:func:`parse` raises :class:`~m2m_guard.sources.document.SourceError` with a one-line message
and the line number; it never lets ``RecursionError`` out: nesting deeper than
:data:`MAX_DEPTH` brackets, blocks or templates is an error of its own.

Where HCL's grammar is stricter than it needs to be for reading, the parser accepts a little
more: an expression may start on the line after ``=``, ``:``, ``?`` or a binary operator (the
expression cannot end there, so nothing is ambiguous), and a block may close on the line of its
last item. Everything Terraform accepts is read the same way.
"""

from __future__ import annotations

import re

from m2m_guard.model import is_secret_key
from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_templates import Directive, Flat, assemble, unescape
from m2m_guard.sources.hcl_tokens import (
    CLOSE_QUOTE,
    DIRECTIVE,
    EOF,
    ERROR,
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
    tokenize,
)

#: Expressions (brackets, braces, parentheses, templates) and blocks open at once. Terraform code
#: rarely nests beyond 15; a level costs the parser at most seven Python frames, so 100 levels fit
#: in Python's default recursion limit of 1000 under any ordinary caller.
MAX_DEPTH = 100

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


def parse(text: str) -> ast.Body:
    """The body of one file; raises SourceError (one line, with the line number)."""
    parser = _Parser(tokenize(text))
    try:
        return parser.file()
    except RecursionError:  # MAX_DEPTH is the real bound; this guards a caller already deep
        raise SourceError("invalid HCL: nested too deeply", parser.line()) from None


def _short(text: str, limit: int = 40) -> str:
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        # Whether newlines are skipped: inside (), [], ${} and for expressions, as in HCL;
        # block bodies and object constructors use them as separators.
        self.skip_newlines = False

    # --- token access --------------------------------------------------------------------------

    def peek(self) -> Token:
        tokens = self.tokens
        token = tokens[self.pos]
        if self.skip_newlines:
            while token[0] == NEWLINE:
                self.pos += 1
                token = tokens[self.pos]
        if token[0] == ERROR:
            raise SourceError(token[1], token[2])
        return token

    def peek_after(self) -> Token:
        """The token after :meth:`peek`'s, under the same newline rule."""
        if self.peek()[0] == EOF:
            return self.tokens[self.pos]
        index = self.pos + 1
        while self.skip_newlines and self.tokens[index][0] == NEWLINE:
            index += 1
        return self.tokens[index]

    def advance(self) -> Token:
        token = self.peek()
        if token[0] != EOF:
            self.pos += 1
        return token

    def skip_lines(self) -> None:
        while self.tokens[self.pos][0] == NEWLINE:
            self.pos += 1

    def expect(self, kind: str) -> Token:
        token = self.peek()
        if token[0] != kind:
            raise self.unexpected(token)
        self.pos += 1
        return token

    def line(self) -> int | None:
        return self.tokens[min(self.pos, len(self.tokens) - 1)][2]

    def unexpected(self, token: Token) -> SourceError:
        kind, text, line, _ = token
        if kind == EOF:
            return SourceError("invalid HCL: unexpected end of file", line)
        if kind == NEWLINE:
            return SourceError("invalid HCL: unexpected end of line", line)
        if kind == SEQ_END:
            text = text.strip()
        return SourceError(f"invalid HCL: unexpected {_short(text)}", line)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SourceError(f"invalid HCL: nested more than {MAX_DEPTH} levels deep", self.line())

    # --- structure -----------------------------------------------------------------------------

    def file(self) -> ast.Body:
        body = self.body(EOF)
        self.expect(EOF)
        return body

    def body(self, end: str) -> ast.Body:
        items: list[ast.Attribute | ast.Block] = []
        saved, self.skip_newlines = self.skip_newlines, False
        while True:
            self.skip_lines()
            token = self.peek()
            if token[0] == end:
                break
            if token[0] != IDENT:
                raise self.unexpected(token)
            self.pos += 1
            following = self.peek()
            if following[0] == "=":
                self.pos += 1
                self.skip_lines()
                items.append(self.attribute(token, end))
                continue
            if following[0] in (IDENT, OPEN_QUOTE, "{"):
                items.append(self.block(token))
            else:
                raise self.unexpected(following)
            self.end_item(end)
        self.skip_newlines = saved
        return ast.Body(tuple(items))

    def end_item(self, end: str) -> None:
        # An item ends its line (a one-line block's item ends at its "}").
        after = self.peek()
        if after[0] not in (NEWLINE, end, "}"):
            raise self.unexpected(after)

    def attribute(self, name: Token, end: str) -> ast.Attribute:
        try:
            attribute = ast.Attribute(name[1], self.expression(), name[2])
            self.end_item(end)
        except SourceError as exc:
            if not is_secret_key(name[1]):
                raise
            # the message would quote the value: never a client secret's
            raise SourceError(
                f"invalid HCL: the value of {name[1]} (not shown) cannot be read", exc.line
            ) from None
        return attribute

    def block(self, name: Token) -> ast.Block:
        labels: list[str] = []
        while True:
            token = self.peek()
            if token[0] == IDENT:
                self.pos += 1
                labels.append(token[1])
            elif token[0] == OPEN_QUOTE:
                labels.append(self.label())
            else:
                break
        self.expect("{")
        self.enter()
        body = self.body("}")
        self.expect("}")
        self.depth -= 1
        return ast.Block(name[1], tuple(labels), body, name[2])

    def label(self) -> str:
        start = self.expect(OPEN_QUOTE)
        parts: list[str] = []
        while True:
            token = self.peek()
            if token[0] == LITERAL:
                self.pos += 1
                parts.append(unescape(token[1]))
            elif token[0] == CLOSE_QUOTE:
                self.pos += 1
                return "".join(parts)
            elif token[0] in (INTERP, DIRECTIVE):
                raise SourceError("invalid HCL: a block label cannot contain a template sequence", start[2])
            else:
                raise self.unexpected(token)

    # --- expressions -----------------------------------------------------------------------------

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
        expr = self.postfix(self.term())
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

    def term(self) -> ast.Expr:
        token = self.peek()
        kind, text, line, _ = token
        if kind == NUMBER:
            self.pos += 1
            return ast.Number(text, line)
        if kind == IDENT:
            self.pos += 1
            if text in _KEYWORDS:
                return ast.Literal(_KEYWORDS[text], line)
            name = self.namespaced(text)
            if name != text or self.peek()[0] == "(":
                return self.call(name, line)
            return ast.Variable(text, line)
        if kind == "(":
            self.pos += 1
            saved, self.skip_newlines = self.skip_newlines, True
            inner = self.expression()
            self.expect(")")
            self.skip_newlines = saved
            return ast.Parens(inner, line)
        if kind == "[":
            return self.tuple_expr()
        if kind == "{":
            return self.object_expr()
        if kind == OPEN_QUOTE:
            self.pos += 1
            return ast.Template(self.template(CLOSE_QUOTE, line), line)
        if kind == HEREDOC_BEGIN:
            self.pos += 1
            flush = text.startswith("<<-")
            parts = self.template(HEREDOC_END, line, heredoc=True, flush=flush)
            return ast.Heredoc(text.lstrip("<-"), flush, ast.Template(parts, line), line)
        raise self.unexpected(token)

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

    def tuple_expr(self) -> ast.Expr:
        start = self.expect("[")
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

    def object_expr(self) -> ast.Expr:
        start = self.expect("{")
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

    def for_expr(self, line: int, close: str) -> ast.ForExpr:
        self.expect(IDENT)  # "for"
        first = self.expect(IDENT)[1]
        key_var: str | None = None
        value_var = first
        if self.peek()[0] == ",":
            self.pos += 1
            key_var, value_var = first, self.expect(IDENT)[1]
        keyword = self.expect(IDENT)
        if keyword[1] != "in":
            raise self.unexpected(keyword)
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
            first = self.expect(IDENT)[1]
            key: str | None = None
            value = first
            if self.peek()[0] == ",":
                self.pos += 1
                key, value = first, self.expect(IDENT)[1]
            keyword = self.expect(IDENT)
            if keyword[1] != "in":
                raise self.unexpected(keyword)
            return Directive("for", start[2], expr=self.expression(), key=key, value=value)
        if name in ("else", "endif", "endfor"):
            return Directive(name, start[2])
        raise SourceError(f"invalid HCL: unknown template directive {_short(name)}", word[2])
