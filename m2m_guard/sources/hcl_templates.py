"""HCL template text: escapes, ``<<-`` indentation, ``~`` strip markers, directive nesting.

:mod:`hcl_expressions` reads a template as a flat list (literal text as written, interpolations, and
``%{...}`` markers); :func:`assemble` turns that list into the parts of an
:class:`~m2m_guard.sources.hcl_ast.Template`, in the order HCL applies the rules: heredoc
indentation first, then strip markers, then escapes, then ``%{if}``/``%{for}`` nesting.
"""

from __future__ import annotations

import re

from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError

_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)|\$\$\{|%%\{")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_WHITESPACE = " \t\n\r\f\v"


def unescape(text: str) -> str:
    """A quoted string's text with its escapes (``\\n``, ``\\u00e9``, ``$${``, ``%%{``) applied."""

    def one(match: re.Match[str]) -> str:
        whole = match.group()
        if whole in ("$${", "%%{"):
            return whole[1:]
        code = match.group(1)
        if len(code) > 1:
            value = int(code[1:], 16)
            return chr(value) if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else "\ufffd"
        return _SIMPLE_ESCAPES.get(code, whole)

    return _ESCAPE.sub(one, text) if ("\\" in text or "{" in text) else text


def _unescape_heredoc(text: str) -> str:
    # Heredocs have no backslash escapes; only the doubled template introducers.
    return text.replace("$${", "${").replace("%%{", "%{") if "{" in text else text


def assemble(
    flat: Flat, strips: list[tuple[bool, bool]], heredoc: bool, flush: bool
) -> tuple[ast.TemplatePart, ...]:
    """The parts of a template; ``strips`` holds each flat item's (strip before, strip after)."""
    if flush:
        _flush(flat)
    _strip(flat, strips)
    escape = _unescape_heredoc if heredoc else unescape
    return _nest([escape(part) if isinstance(part, str) else part for part in flat])


class Directive:
    """A ``%{ ... }`` marker before the markers are matched up into nodes."""

    __slots__ = ("name", "line", "expr", "key", "value")

    def __init__(
        self,
        name: str,
        line: int,
        expr: ast.Expr | None = None,  # the condition of "if", the collection of "for"
        key: str | None = None,
        value: str = "",
    ) -> None:
        self.name = name
        self.line = line
        self.expr = expr
        self.key = key
        self.value = value


#: A template as read: literal text, interpolations and directive markers, in order.
Flat = list[str | ast.Interpolation | Directive]


def _flush(flat: Flat) -> None:
    """``<<-``: remove the indentation of the least-indented line from every line.

    Lines of whitespace only do not count; a line that starts with a sequence has none.
    """
    starts: list[int] = []  # indexes of literals that start a line
    least: int | None = None
    at_start = True
    for i, part in enumerate(flat):
        if at_start:
            if isinstance(part, str):
                body = part.lstrip(" \t")
                if body != "\n":
                    starts.append(i)
                    indent = len(part) - len(body)
                    least = indent if least is None else min(least, indent)
            else:
                least = 0
        at_start = isinstance(part, str) and part.endswith("\n")
    if least:
        for i in starts:
            text = flat[i]
            assert isinstance(text, str)
            flat[i] = text[least:]


def _strip(flat: Flat, strips: list[tuple[bool, bool]]) -> None:
    """``~`` markers remove the whitespace (newlines included) on that side of a sequence."""
    for i, (before, after) in enumerate(strips):
        if before and i > 0 and isinstance(flat[i - 1], str):
            flat[i - 1] = str(flat[i - 1]).rstrip(_WHITESPACE)
        if after and i + 1 < len(flat) and isinstance(flat[i + 1], str):
            flat[i + 1] = str(flat[i + 1]).lstrip(_WHITESPACE)


#: An open ``%{if}`` or ``%{for}``: its marker, the parts before it, and the parts of an ``if``'s
#: "then" once its ``%{else}`` has been seen (None before).
_Open = tuple[Directive, list[ast.TemplatePart], list[ast.TemplatePart] | None]


def _nest(flat: Flat) -> tuple[ast.TemplatePart, ...]:
    """Match ``%{if}``/``%{else}``/``%{endif}`` and ``%{for}``/``%{endfor}`` into nodes."""
    stack: list[_Open] = []
    parts: list[ast.TemplatePart] = []  # the parts of the innermost open directive
    for item in flat:
        if isinstance(item, str):
            _add_text(parts, item)
        elif isinstance(item, ast.Interpolation):
            parts.append(item)
        else:
            parts = _MARKERS[item.name](item, stack, parts)
    if stack:
        opened = stack[-1][0]
        closer = "endif" if opened.name == "if" else "endfor"
        raise SourceError(f"invalid HCL: %{{{opened.name}}} without %{{{closer}}}", opened.line)
    return tuple(parts)


def _add_text(parts: list[ast.TemplatePart], text: str) -> None:
    if not text:
        return
    last = parts[-1] if parts else None
    if isinstance(last, str):  # text either side of a directive that was stripped away
        parts[-1] = last + text
    else:
        parts.append(text)


# Each marker handler takes the marker, the open directives and the current parts, and returns
# the list that the parts after the marker go to.


def _open(item: Directive, stack: list[_Open], parts: list[ast.TemplatePart]) -> list[ast.TemplatePart]:
    stack.append((item, parts, None))
    return []


def _else(item: Directive, stack: list[_Open], parts: list[ast.TemplatePart]) -> list[ast.TemplatePart]:
    if not stack or stack[-1][0].name != "if" or stack[-1][2] is not None:
        raise SourceError("invalid HCL: %{else} without a matching %{if}", item.line)
    opened, outer, _ = stack.pop()
    stack.append((opened, outer, parts))
    return []


def _close(item: Directive, stack: list[_Open], parts: list[ast.TemplatePart]) -> list[ast.TemplatePart]:
    wanted = "if" if item.name == "endif" else "for"
    if not stack or stack[-1][0].name != wanted:
        raise SourceError(f"invalid HCL: %{{{item.name}}} without a matching %{{{wanted}}}", item.line)
    opened, outer, then = stack.pop()
    outer.append(_node(opened, then, parts))
    return outer


def _node(
    opened: Directive, then: list[ast.TemplatePart] | None, parts: list[ast.TemplatePart]
) -> ast.TemplatePart:
    """The node of a closed directive; ``then`` is an ``if``'s parts before its ``%{else}``."""
    assert opened.expr is not None  # "if" and "for" markers always carry their expression
    if opened.name == "if":
        if then is None:
            return ast.TemplateIf(opened.expr, tuple(parts), (), opened.line)
        return ast.TemplateIf(opened.expr, tuple(then), tuple(parts), opened.line)
    return ast.TemplateFor(opened.key, opened.value, opened.expr, tuple(parts), opened.line)


_MARKERS = {"if": _open, "for": _open, "else": _else, "endif": _close, "endfor": _close}
