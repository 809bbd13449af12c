"""HCL native syntax -> tokens, for the parser (:mod:`hcl_syntax` and the modules it builds on).

One compiled regular expression per lexical mode, matched token by token (no per-character
loop). HCL has three modes: ordinary expressions, the literal text of a quoted string, and the
literal text of a heredoc; ``${`` and ``%{`` in a template switch back to expressions until the
matching ``}``, so a stack of open braces and templates decides the mode, as in HCL's scanner.

A token is ``(kind, text, line, offset)``. Punctuation is its own kind (``"{"``, ``"=="`` ...);
the others are the constants below. Lexical errors do not raise here: they end the list with an
:data:`ERROR` token (text = the message, line = where the construct started), so the parser
reports whichever error comes first in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Token = tuple[str, str, int, int]

NEWLINE = "newline"
IDENT = "identifier"
NUMBER = "number"
OPEN_QUOTE = "open quote"
CLOSE_QUOTE = "close quote"
HEREDOC_BEGIN = "heredoc"
HEREDOC_END = "heredoc end"
LITERAL = "template literal"  # raw text: escapes are the parser's business
INTERP = "${"  # text "${" or "${~"
DIRECTIVE = "%{"  # text "%{" or "%{~"
SEQ_END = "sequence end"  # the "}" or "~}" that closes ${ or %{
EOF = "end of file"
ERROR = "error"

# Identifiers: HCL takes Unicode ID_Start / ID_Continue plus "-". Python's \w is Unicode-aware;
# [^\W\d] is a letter or "_" (HCL allows a leading "_" too).
_IDENT = r"[^\W\d][\w-]*"
_NORMAL = re.compile(
    r"[ \t\r\f\v]*(?:"
    r"(?P<nl>\n)"
    r"|(?P<comment>(?:\#|//)[^\n]*)"
    r"|(?P<block_comment>/\*)"
    rf"|(?P<heredoc><<-?{_IDENT}[ \t]*\n)"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    rf"|(?P<ident>{_IDENT})"
    r"|(?P<close>~?\})"
    r"|(?P<op>\.\.\.|==|!=|<=|>=|&&|\|\||=>|[-+*/%<>=!?:,.({\[\])])"
    r"|(?P<quote>\")"
    r"|(?P<eof>\Z)"
    r"|(?P<other>.)"
    r")",
    re.S,
)
# Literal text runs until a quote, an escape error, a newline, or a ${ / %{ that is not
# doubled ($${ and %%{ are literal).
_QUOTED = re.compile(
    r"(?P<lit>(?:\$\$\{|%%\{|\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[nrt\"\\])|\$(?!\{)|%(?!\{)|[^\"\\$%\n])+)"
    r"|(?P<interp>\$\{~?)"
    r"|(?P<directive>%\{~?)"
    r"|(?P<quote>\")"
    r"|(?P<escape>\\[^\n]?)"
    r"|(?P<end>\n|\Z)"
)
# Heredoc text is cut at each newline, so every line start can be checked for the end marker.
_HEREDOC = re.compile(
    r"(?P<interp>\$\{~?)"
    r"|(?P<directive>%\{~?)"
    r"|(?P<lit>(?:\$\$\{|%%\{|\$(?!\{)|%(?!\{)|[^$%\n])+\n?|\n)"
    r"|(?P<end>\Z)"
)

# Stack frames: an open "{" of an expression, an open ${ or %{, a quoted string, a heredoc.
_BRACE, _SEQUENCE, _QUOTE, _DOC = range(4)

#: A stack frame: (kind, line where it opened, a heredoc's end-marker pattern or None).
_Frame = tuple[int, int, re.Pattern[str] | None]
#: Where scanning goes on (:data:`_DONE` once the list is complete) and the line there.
_Step = tuple[int, int]
#: Handles one match that ends a run of the common tokens: a mode change, an error, the end.
_Handler = Callable[[str, re.Match[str], int, list[_Frame], list[Token]], _Step]
_DONE = -1


def excerpt(text: str, limit: int = 40) -> str:
    """``text`` quoted for an error message, cut at ``limit`` characters so the message stays short."""
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an :data:`EOF` or an :data:`ERROR` token."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # HCL treats CRLF as a newline; one replacement spares every pattern below from caring.
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    out: list[Token] = []
    stack: list[_Frame] = []
    pos, line = 0, 1
    # Each scanner reads one mode's tokens until the mode changes; the stack says which is next.
    while pos != _DONE:
        pos, line = _SCANNERS[stack[-1][0] if stack else _BRACE](text, pos, line, stack, out)
    return out


# --- the three modes: each loop handles the common tokens itself (this is the hot path) and
# hands any other match to its mode's table of handlers, keyed on the pattern's group name.


def _expression(text: str, pos: int, line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    """Expression tokens, up to a string or heredoc opening, a ``}`` or ``~}``, an error or the end."""
    append = out.append
    match = _NORMAL.match
    while True:
        m = match(text, pos)
        assert m is not None  # the alternatives cover every position
        kind = m.lastgroup or ""
        if kind == "nl":
            append((NEWLINE, "\n", line, m.start(kind)))
            line += 1
        elif kind == "ident":
            append((IDENT, m.group(kind), line, m.start(kind)))
        elif kind == "op":
            value = m.group(kind)
            if value == "{":
                stack.append((_BRACE, line, None))
            append((value, value, line, m.start(kind)))
        elif kind == "number":
            append((NUMBER, m.group(kind), line, m.start(kind)))
        elif kind != "comment":
            return _IN_EXPRESSION[kind](text, m, line, stack, out)
        pos = m.end()


def _quoted(text: str, pos: int, line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    """A string's literal text, up to its closing quote, a ``${``/``%{``, an error or the end."""
    append = out.append
    match = _QUOTED.match
    while True:
        m = match(text, pos)
        assert m is not None  # the alternatives cover every position
        kind = m.lastgroup or ""
        if kind != "lit":
            return _IN_QUOTES[kind](text, m, line, stack, out)
        append((LITERAL, m.group(), line, pos))
        pos = m.end()


def _heredoc(text: str, pos: int, line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    """A heredoc's text line by line, up to its end marker, a ``${``/``%{``, an error or the end."""
    append = out.append
    match = _HEREDOC.match
    ending = stack[-1][2]
    assert ending is not None  # every heredoc frame has its end marker
    while True:
        if pos == 0 or text[pos - 1] == "\n":
            end = ending.match(text, pos)
            if end is not None:
                stack.pop()
                append((HEREDOC_END, end.group().strip(), line, pos))
                return end.end(), line
        m = match(text, pos)
        assert m is not None  # the alternatives cover every position
        kind = m.lastgroup or ""
        if kind != "lit":
            return _IN_HEREDOC[kind](text, m, line, stack, out)
        append((LITERAL, m.group(), line, pos))
        pos = m.end()
        if text[pos - 1] == "\n":
            line += 1


_SCANNERS = (_expression, _expression, _quoted, _heredoc)  # indexed by frame kind


# --- handlers --------------------------------------------------------------------------------------


def _open_quote(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    stack.append((_QUOTE, line, None))
    out.append((OPEN_QUOTE, '"', line, m.start("quote")))
    return m.end(), line


def _close_quote(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    stack.pop()
    out.append((CLOSE_QUOTE, '"', line, m.start()))
    return m.end(), line


def _open_heredoc(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    opener = m.group("heredoc")
    marker = opener.lstrip("<-").rstrip()
    # The end marker stands alone on its line, indentation allowed.
    ending = re.compile(rf"[ \t]*{re.escape(marker)}[ \t]*(?=\n|\Z)")
    stack.append((_DOC, line, ending))
    out.append((HEREDOC_BEGIN, opener.rstrip(), line, m.start("heredoc")))
    return m.end(), line + 1


def _open_sequence(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    """``${`` or ``%{`` (either may carry a ``~``) in a string or a heredoc."""
    stack.append((_SEQUENCE, line, None))
    out.append((INTERP if m.lastgroup == "interp" else DIRECTIVE, m.group(), line, m.start()))
    return m.end(), line


def _close(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    """``}`` or ``~}``: ends a ``${``/``%{`` sequence if one is open, else an expression's ``{``."""
    value = m.group("close")
    start = m.start("close")
    if stack and stack[-1][0] == _SEQUENCE:
        stack.pop()
        out.append((SEQ_END, value, line, start))
        return m.end(), line
    if value.startswith("~"):
        out.append(("~", "~", line, start))  # a strip marker only closes ${ or %{
        return start + 1, line
    if stack:
        stack.pop()
    out.append(("}", "}", line, start))
    return m.end(), line


def _block_comment(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    start = m.start("block_comment")
    end = text.find("*/", m.end())
    if end < 0:
        out.append((ERROR, "invalid HCL: unterminated comment", line, start))
        return _DONE, line
    return end + 2, line + text.count("\n", start, end + 2)


def _end_of_text(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    start = m.start("eof")
    for frame_kind, opened, _ in reversed(stack):
        if frame_kind == _SEQUENCE:
            out.append((ERROR, "invalid HCL: unterminated template sequence", opened, start))
            return _DONE, line
    out.append((EOF, "", line, start))
    return _DONE, line


def _unexpected(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    out.append((ERROR, f"invalid HCL: unexpected {m.group('other')!r}", line, m.start("other")))
    return _DONE, line


def _bad_escape(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
    message = f"invalid HCL: invalid escape sequence {excerpt(m.group())} in a string"
    out.append((ERROR, message, line, m.start()))
    return _DONE, line


def _unterminated(what: str) -> _Handler:
    """The handler for the end of a line or of the text inside a string or a heredoc."""
    message = f"invalid HCL: unterminated {what}"

    def handler(text: str, m: re.Match[str], line: int, stack: list[_Frame], out: list[Token]) -> _Step:
        out.append((ERROR, message, stack[-1][1], m.start()))
        return _DONE, line

    return handler


_IN_EXPRESSION: dict[str, _Handler] = {
    "quote": _open_quote,
    "close": _close,
    "block_comment": _block_comment,
    "heredoc": _open_heredoc,
    "eof": _end_of_text,
    "other": _unexpected,
}
_IN_QUOTES: dict[str, _Handler] = {
    "quote": _close_quote,
    "interp": _open_sequence,
    "directive": _open_sequence,
    "escape": _bad_escape,
    "end": _unterminated("string"),
}
_IN_HEREDOC: dict[str, _Handler] = {
    "interp": _open_sequence,
    "directive": _open_sequence,
    "end": _unterminated("heredoc"),
}
