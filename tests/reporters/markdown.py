"""Just enough of GitHub's markdown parser to check that names cannot change a document's shape.

Tables follow cmark-gfm's table extension (a row splits at each ``|`` that does not follow a
backslash; the backslash before a pipe is then dropped); code spans follow CommonMark 0.31
"Code spans" (a backtick string closes only at the next backtick string of the same length;
outside code spans a backslash escapes ASCII punctuation).
"""

from __future__ import annotations

import string

#: What a code span becomes in a skeleton.
CODE = "\N{WHITE SQUARE WITH UPPER LEFT QUADRANT}"
_PUNCTUATION = frozenset(string.punctuation)


def table_cells(row: str) -> list[str]:
    """The cells of a table row, pipes unescaped and spaces trimmed, as cmark-gfm reads them."""
    cells, current = [], ""
    for i, char in enumerate(row):
        if char == "|" and (i == 0 or row[i - 1] != "\\"):
            cells.append(current)
            current = ""
        else:
            current += char
    cells.append(current)
    if row.startswith("|"):
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return [cell.replace("\\|", "|").strip() for cell in cells]


def code_spans(text: str) -> tuple[list[str], str]:
    """(the contents of the code spans in ``text``, ``text`` with each span replaced by CODE)."""
    spans: list[str] = []
    outside: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCTUATION:
            outside.append(text[i : i + 2])
            i += 2
            continue
        if char != "`":
            outside.append(char)
            i += 1
            continue
        opening = _run_end(text, i)
        length = opening - i
        close = opening
        while close < len(text):
            if text[close] != "`":
                close += 1
                continue
            end = _run_end(text, close)
            if end - close == length:
                break
            close = end
        else:  # no closing run: the backticks are text
            outside.append(text[i:opening])
            i = opening
            continue
        content = text[opening:close].replace("\n", " ")
        if len(content) > 1 and content[0] == content[-1] == " " and content.strip(" "):
            content = content[1:-1]
        spans.append(content)
        outside.append(CODE)
        i = close + length
    return spans, "".join(outside)


def _run_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] == "`":
        end += 1
    return end


def skeleton(markdown: str) -> tuple[list[str], list[str]]:
    """(the document line by line with code spans replaced by CODE and table cells joined by
    `` | ``, the code spans' contents in order)."""
    lines: list[str] = []
    spans: list[str] = []
    for line in markdown.split("\n"):
        if line.startswith("|"):
            parts = []
            for cell in table_cells(line):
                found, shape = code_spans(cell)
                spans += found
                parts.append(shape)
            lines.append("| " + " | ".join(parts) + " |")
        else:
            found, shape = code_spans(line)
            spans += found
            lines.append(shape)
    return lines, spans
