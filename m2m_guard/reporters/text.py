"""Terminal output: findings grouped by file, then run notifications, then a summary line.

    infra/auth.yaml
      12:  error    TTL-MAX  AccessTokenValidity is 24 hours; ... [OrdersClient]
      40:  note     BUDGET   ... (undetermined) [UserPool]
      52:  waived   TTL-MAX  ... [LegacyClient] (waived: partner integration, ticket OPS-123)

    error: infra/bad.yaml:3: invalid YAML: ...

    2 errors, 1 note (1 waived) in 1 file.

Colour (ANSI SGR) only when the caller asks for it (the CLI does on a TTY); without it the
output has no escape sequences at all, and text from inputs is escaped so a crafted file
cannot inject any either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import groupby

from m2m_guard.model import Finding, Notification, RunResult, Severity
from m2m_guard.reporters._common import sorted_findings, sorted_notifications, start_line

_RESET = "\033[0m"
_STYLES = {
    "error": "\033[31m",  # red
    "warning": "\033[33m",  # yellow
    "note": "\033[36m",  # cyan
    "waived": "\033[2m",  # dim
    "path": "\033[1m",  # bold
    "summary": "\033[1m",
}
_LABEL_WIDTH = len("warning")
# C0 controls, DEL and C1 controls: an ESC in a message read from a scanned file would
# otherwise reach the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

Paint = Callable[[str, str], str]


def render(result: RunResult, *, color: bool = False) -> str:
    paint = _painter(color)
    blocks = [_file_block(path, list(group), paint) for path, group in _by_path(result)]
    notes = [_notification_line(n, paint) for n in sorted_notifications(result.notifications)]
    if notes:
        blocks.append("\n".join(notes))
    blocks.append(paint("summary", summary_line(result)))
    return "\n\n".join(blocks) + "\n"


def summary_line(result: RunResult) -> str:
    """``3 errors, 1 warning, 2 notes (1 waived) in 4 files.`` or ``No findings.``"""
    active = [f for f in result.findings if f.suppression is None]
    waived = len(result.findings) - len(active)
    parts = []
    for level in Severity:
        n = sum(1 for f in active if Severity(f.level) is level)
        if n:
            parts.append(_plural(n, level.value))
    line = ", ".join(parts) or "No findings"
    if waived:
        line += f" ({waived} waived)"
    if active:
        line += " in " + _plural(len({f.location.path for f in result.findings}), "file")
    line += "."
    if result.fatal:
        line += " Some inputs could not be checked; see the errors above."
    return line


def _by_path(result: RunResult) -> groupby[str, Finding]:
    return groupby(sorted_findings(result.findings), key=lambda f: f.location.path)


def _file_block(path: str, findings: list[Finding], paint: Paint) -> str:
    line_width = max(len(str(start_line(f.location.line))) for f in findings)
    rule_width = max(len(f.rule_id) for f in findings)
    lines = [paint("path", _clean(path))]
    for f in findings:
        label = "waived" if f.suppression is not None else Severity(f.level).value
        text = f"{_clean(f.message)} [{_clean(f.subject)}]"
        if f.undetermined:
            text += " (undetermined)"
        if f.suppression is not None:
            text += f" (waived: {_clean(f.suppression)})"
        lines.append(
            f"  {start_line(f.location.line):>{line_width}}:  "
            f"{paint(label, label.ljust(_LABEL_WIDTH))}  "
            f"{_clean(f.rule_id).ljust(rule_width)}  {text}"
        )
    return "\n".join(lines)


def _notification_line(n: Notification, paint: Paint) -> str:
    level = Severity(n.level).value
    where = ""
    if n.path:
        where = _clean(n.path) + (f":{n.line}" if n.line is not None else "") + ": "
    return f"{paint(level, level)}: {where}{_clean(n.message)}"


def _painter(color: bool) -> Paint:
    def paint(style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if color else text

    return paint


def _clean(text: str) -> str:
    """One line of printable text: control characters shown as escapes (``\\x1b``, ``\\n``)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
