"""HCL native syntax -> tokens, for :mod:`hcl_syntax`.

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


def _short(text: str, limit: int = 40) -> str:
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an :data:`EOF` or an :data:`ERROR` token."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # HCL treats CRLF as a newline; one replacement spares every pattern below from caring.
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    out: list[Token] = []
    append = out.append
    # (frame kind, line where it opened, heredoc end-marker pattern or None)
    stack: list[tuple[int, int, re.Pattern[str] | None]] = []
    pos = 0
    line = 1
    normal_match = _NORMAL.match
    quoted_match = _QUOTED.match
    heredoc_match = _HEREDOC.match
    while True:
        frame = stack[-1][0] if stack else _BRACE
        if frame == _QUOTE:
            m = quoted_match(text, pos)
            assert m is not None  # the alternatives cover every position
            kind = m.lastgroup
            start = pos
            pos = m.end()
            if kind == "lit":
                append((LITERAL, m.group(), line, start))
            elif kind == "quote":
                stack.pop()
                append((CLOSE_QUOTE, '"', line, start))
            elif kind == "interp":
                stack.append((_SEQUENCE, line, None))
                append((INTERP, m.group(), line, start))
            elif kind == "directive":
                stack.append((_SEQUENCE, line, None))
                append((DIRECTIVE, m.group(), line, start))
            elif kind == "escape":
                append(
                    (
                        ERROR,
                        f"invalid HCL: invalid escape sequence {_short(m.group())} in a string",
                        line,
                        start,
                    )
                )
                return out
            else:
                append((ERROR, "invalid HCL: unterminated string", stack[-1][1], start))
                return out
            continue
        if frame == _DOC:
            ending = stack[-1][2]
            if ending is not None and (pos == 0 or text[pos - 1] == "\n"):
                m = ending.match(text, pos)
                if m is not None:
                    stack.pop()
                    append((HEREDOC_END, m.group().strip(), line, pos))
                    pos = m.end()
                    continue
            m = heredoc_match(text, pos)
            assert m is not None
            kind = m.lastgroup
            start = pos
            pos = m.end()
            if kind == "lit":
                append((LITERAL, m.group(), line, start))
                line += 1 if text[pos - 1] == "\n" else 0
            elif kind == "interp":
                stack.append((_SEQUENCE, line, None))
                append((INTERP, m.group(), line, start))
            elif kind == "directive":
                stack.append((_SEQUENCE, line, None))
                append((DIRECTIVE, m.group(), line, start))
            else:
                append((ERROR, "invalid HCL: unterminated heredoc", stack[-1][1], start))
                return out
            continue
        m = normal_match(text, pos)
        assert m is not None
        kind = m.lastgroup
        start = m.start(kind or 0)
        pos = m.end()
        if kind == "nl":
            append((NEWLINE, "\n", line, start))
            line += 1
        elif kind == "ident":
            append((IDENT, m.group(kind), line, start))
        elif kind == "op":
            value = m.group(kind)
            if value == "{":
                stack.append((_BRACE, line, None))
            append((value, value, line, start))
        elif kind == "number":
            append((NUMBER, m.group(kind), line, start))
        elif kind == "quote":
            stack.append((_QUOTE, line, None))
            append((OPEN_QUOTE, '"', line, start))
        elif kind == "close":
            value = m.group(kind)
            if stack and stack[-1][0] == _SEQUENCE:
                stack.pop()
                append((SEQ_END, value, line, start))
            elif value.startswith("~"):
                append(("~", "~", line, start))  # a strip marker only closes ${ or %{
                pos = start + 1
            else:
                if stack:
                    stack.pop()
                append(("}", "}", line, start))
        elif kind == "comment":
            pass
        elif kind == "block_comment":
            end = text.find("*/", pos)
            if end < 0:
                append((ERROR, "invalid HCL: unterminated comment", line, start))
                return out
            pos = end + 2
            line += text.count("\n", start, pos)
        elif kind == "heredoc":
            opener = m.group(kind)
            marker = opener.lstrip("<-").rstrip()
            # The end marker stands alone on its line, indentation allowed.
            ending = re.compile(rf"[ \t]*{re.escape(marker)}[ \t]*(?=\n|\Z)")
            stack.append((_DOC, line, ending))
            append((HEREDOC_BEGIN, opener.rstrip(), line, start))
            line += 1
        elif kind == "eof":
            for frame_kind, opened, _ in reversed(stack):
                if frame_kind == _SEQUENCE:
                    append((ERROR, "invalid HCL: unterminated template sequence", opened, start))
                    return out
            append((EOF, "", line, start))
            return out
        else:
            char = m.group(kind or 0)
            append((ERROR, f"invalid HCL: unexpected {char!r}", line, start))
            return out
