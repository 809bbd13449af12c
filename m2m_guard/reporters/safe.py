"""Text from the inputs made safe to show: the one place every report and every stderr line
passes names, paths and messages through.

Pull requests control file names, logical ids, Terraform ``for_each`` keys, client names and
whole files, and reports end up in terminals, pull-request comments and spreadsheets. So:

* :func:`printable` (terminals, text reports, stderr, and every string of a JSON or SARIF
  document through :func:`scrub`): C0 and C1 control characters, DEL, Unicode bidi controls
  (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069; "Trojan Source", CVE-2021-42574),
  the line and paragraph separators U+2028/U+2029 and lone surrogates (file names that are not
  UTF-8) are written as visible escapes: ``\\x1b``, ``\\n``, ``\\u202e``. An ESC never reaches
  the reader, so neither does an ANSI CSI or OSC sequence (colours, cursor moves, hyperlinks,
  window titles). A backslash in a name stays as it is.
* :func:`markdown_code` puts a name in a code span that nothing in the name can end, so it
  can open no HTML, link, image or mention; :func:`markdown_cell` also escapes the pipes that
  would split a table row.
* :func:`csv_text` prefixes a quote to a cell that starts like a spreadsheet formula.
* :func:`scrub` makes a JSON document safe to print and valid JSON (RFC 8259): strings as by
  :func:`printable`, numbers that are not finite as ``null``, exact decimals (money) as
  strings of their digits (``"21.29"``), which no JSON reader rounds.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any, TypeVar

_Number = TypeVar("_Number", float, Decimal)

#: What never reaches a reader raw. U+009B and U+009D (the one-character CSI and OSC) are C1.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_BUT_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Cells a spreadsheet would evaluate (OWASP "CSV Injection"): =, +, -, @, tab, carriage return.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Keys of SARIF objects whose text is markdown or its plain-text rendering: the newlines of
#: m2m-guard's rule help stay (``reportingDescriptor.help``); everything else is one line.
_MULTILINE = frozenset({"help"})


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` as one line with nothing a terminal would act on: an ESC becomes the four
    characters ``\\x1b``, a newline ``\\n``, U+202E ``\\u202e``."""
    return text if UNSAFE.search(text) is None else UNSAFE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Like :func:`printable`, but newlines stay: for text that is several lines on purpose."""
    return text if _UNSAFE_BUT_NEWLINE.search(text) is None else _UNSAFE_BUT_NEWLINE.sub(_escape, text)


def markdown_code(text: str) -> str:
    """``text`` as a CommonMark code span: shown verbatim, never markup.

    The delimiter is one backtick longer than the longest run inside, so no backtick in the
    name closes the span (CommonMark 0.31, "Code spans"), and the name is one line, so no
    blank line ends the paragraph. Inside a code span ``<img ...>``, ``[x](y)``, ``&amp;``,
    ``@team`` and ``#1`` are text. A space pads a name that starts or ends with a backtick,
    or with spaces at both ends; the renderer strips exactly that one space again.
    """
    text = printable(text)
    if not text:
        return "` `"  # an empty span would be two literal backticks
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = text[0] == "`" or text[-1] == "`" or (text[0] == " " and text[-1] == " " and text.strip() != "")
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


def markdown_cell(cell: str) -> str:
    """A table cell's markdown with every ``|`` escaped, so that it stays one cell.

    GFM ends a cell at each pipe not right after a backslash, inside code spans too, and then
    drops the backslash right before each pipe (cmark-gfm's table extension,
    ``unescape_pipes``), so the code span shows the name as it is.
    """
    return cell.replace("|", "\\|")


def csv_text(text: str) -> str:
    """A CSV text cell: printable, and with a ``'`` in front when it starts like a formula.

    Only text is prefixed: counts and amounts m2m-guard computes are written as numbers
    (the caller passes them as ``int``/``float``), so a spreadsheet still sums them.
    """
    text = printable(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def finite(number: _Number) -> _Number | None:
    """``number``, or None when it is NaN or infinite (JSON has no such numbers)."""
    if isinstance(number, Decimal):
        return number if number.is_finite() else None
    return number if math.isfinite(number) else None


def scrub(value: Any, *, lines: bool = False) -> Any:
    """A JSON document (dicts, lists, str, numbers, bool, None) safe to print and to parse:
    keys and strings through :func:`printable` (:func:`printable_lines` inside a ``help``
    object), floats that are not finite as None."""
    if isinstance(value, str):
        return printable_lines(value) if lines else printable(value)
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if isinstance(value, dict):
        return {
            printable(str(key)): scrub(item, lines=lines or key in _MULTILINE) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub(item, lines=lines) for item in value]
    return value


def dump_json(document: Any, *, sort_keys: bool = True) -> str:
    """The JSON text of ``document`` after :func:`scrub`, ending in a newline.

    ``allow_nan=False``: should a non-finite number get past :func:`scrub`, rendering fails
    loudly rather than writing ``NaN``, which JSON parsers reject.
    """
    return (
        json.dumps(scrub(document), indent=2, ensure_ascii=False, sort_keys=sort_keys, allow_nan=False) + "\n"
    )
