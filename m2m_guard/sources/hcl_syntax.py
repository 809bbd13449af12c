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

The parser is in layers, one module each: :mod:`hcl_tokens` (text -> tokens), :mod:`hcl_cursor`
(token access), :mod:`hcl_expressions` (expressions and templates, with :mod:`hcl_templates`
for template text) and this module (files, bodies, blocks).
"""

from __future__ import annotations

from m2m_guard.model import is_secret_key
from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_cursor import MAX_DEPTH
from m2m_guard.sources.hcl_expressions import ExpressionParser
from m2m_guard.sources.hcl_templates import unescape
from m2m_guard.sources.hcl_tokens import (
    CLOSE_QUOTE,
    DIRECTIVE,
    EOF,
    IDENT,
    INTERP,
    LITERAL,
    NEWLINE,
    OPEN_QUOTE,
    Token,
    tokenize,
)

__all__ = ["MAX_DEPTH", "parse"]


def parse(text: str) -> ast.Body:
    """The body of one file; raises SourceError (one line, with the line number)."""
    parser = _Parser(tokenize(text))
    try:
        return parser.file()
    except RecursionError:  # MAX_DEPTH is the real bound; this guards a caller already deep
        raise SourceError("invalid HCL: nested too deeply", parser.line()) from None


class _Parser(ExpressionParser):
    """The structure of a file: attributes and blocks, nested; the expressions are inherited."""

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
