"""Token access for the HCL parser: lookahead under HCL's newline rule, errors and nesting depth.

:class:`Cursor` is the base of the parser classes (:mod:`hcl_expressions`, :mod:`hcl_syntax`),
so every grammar rule reads tokens, reports an unexpected one and counts nesting the same way.
"""

from __future__ import annotations

from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_tokens import EOF, ERROR, NEWLINE, SEQ_END, Token, excerpt

#: Expressions (brackets, braces, parentheses, templates) and blocks open at once. Terraform code
#: rarely nests beyond 15; a level costs the parser at most seven Python frames, so 100 levels fit
#: in Python's default recursion limit of 1000 under any ordinary caller.
MAX_DEPTH = 100


class Cursor:
    """A position in a token list; the token list ends with an EOF or an ERROR token."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        # Whether newlines are skipped: inside (), [], ${} and for expressions, as in HCL;
        # block bodies and object constructors use them as separators.
        self.skip_newlines = False

    def peek(self) -> Token:
        tokens = self.tokens
        token = tokens[self.pos]
        if self.skip_newlines:
            while token[0] == NEWLINE:
                self.pos += 1
                token = tokens[self.pos]
        if token[0] == ERROR:  # a lexical error is reported when the parser reaches it
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
        return SourceError(f"invalid HCL: unexpected {excerpt(text)}", line)

    def enter(self) -> None:
        """One level deeper; the caller decrements :attr:`depth` when the construct is done."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SourceError(f"invalid HCL: nested more than {MAX_DEPTH} levels deep", self.line())
