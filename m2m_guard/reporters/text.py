"""Terminal output: findings grouped by file, then run notifications, then a summary line.

    infra/auth.yaml:12:  error    TTL-MAX           AccessTokenValidity is 24 hours; ... [OrdersClient]
    infra/auth.yaml:40:  note     3 rules           Cannot check TTL-MAX, TTL-MIN and TTL-RANGE: ... [Svc]
    infra/auth.yaml:52:  waived   TTL-MAX           ... [LegacyClient] (waived: partner integration)

    error: infra/bad.yaml:3: invalid YAML: ...

    Checked 3 M2M clients (1 possibly M2M) in 2 of 14 files: 2 errors, 1 note, 1 waived finding.

Each finding line starts with ``path:line:``, which terminals and editors open, with the path
relative to the working directory (the other formats keep paths relative to the repository
root). One unknown value that keeps several rules from being checked on one client is one
note naming those rules; the summary still counts one finding per rule, as JSON and SARIF do.
Live clients are named with their ClientName, pool, account and region beside the ids.

Colour (ANSI SGR) only when the caller asks for it (the CLI does on a TTY); without it the
output has no escape sequences at all. Text from the inputs goes through
:func:`m2m_guard.reporters.safe.printable` before it is painted, so a crafted file can inject
no escape sequence, line break or bidi control.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from m2m_guard.model import Finding, Notification, RunResult, Severity, plural
from m2m_guard.reporters._common import sorted_findings, sorted_notifications, start_line
from m2m_guard.reporters.safe import printable

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

Paint = Callable[[str, str], str]


@dataclass(frozen=True)
class _Line:
    """One line of the report: a finding, or the notes of every rule one unknown value blocks."""

    finding: Finding
    rule_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        return "waived" if self.finding.suppression is not None else Severity(self.finding.level).value

    @property
    def rule_column(self) -> str:
        return self.rule_ids[0] if len(self.rule_ids) == 1 else f"{len(self.rule_ids)} rules"

    @property
    def message(self) -> str:
        if len(self.rule_ids) == 1:
            return self.finding.message
        return f"Cannot check {_and(self.rule_ids)}: {self.finding.unknown}."


def render(result: RunResult, *, color: bool = False) -> str:
    return "\n".join(lines(result, color=color))


def lines(result: RunResult, *, color: bool = False) -> list[str]:
    """The report as lines without their newlines (the last one empty, for the closing
    newline): ``render`` joins them; the CLI writes them one by one, because a report of a
    quarter of a million findings is tens of megabytes, and joining it is another copy."""
    paint = _painter(color)
    base = result.working_dir
    out: list[str] = []
    for path, group in groupby(sorted_findings(result.findings), key=lambda f: f.location.path):
        out.extend(_file_block(relative_to(path, base), list(group), paint))
        out.append("")
    notes = [_notification_line(n, base, paint) for n in sorted_notifications(result.notifications)]
    if notes:
        out.extend(notes)
        out.append("")
    out.append(paint("summary", summary_line(result)))
    out.append("")  # the closing newline
    return out


def summary_line(result: RunResult) -> str:
    """What was read and checked, then the findings:

    ``Checked 3 M2M clients (1 possibly M2M) in 2 of 14 files: 2 errors, 1 note.`` for a scan,
    ``Swept 1 account, 2 regions (2 of 2 account-regions), 3 user pools, 9 app clients.
    Checked 4 M2M clients: 1 error.`` for a sweep. Waived findings are a count of their own
    (``1 waived finding``), never a part of the last level named.
    """
    seen, tally = result.coverage, result.tally
    checked = plural(seen.m2m_clients, "M2M client")
    if seen.possibly_m2m:
        checked += f" ({seen.possibly_m2m} possibly M2M)"
    if seen.account_regions is not None:
        attempted = seen.account_regions + (seen.account_regions_failed or 0)
        line = (
            f"Swept {plural(seen.accounts or 0, 'account')}, {plural(seen.regions or 0, 'region')} "
            f"({seen.account_regions} of {plural(attempted, 'account-region')}), "
            f"{plural(seen.user_pools or 0, 'user pool')}, {plural(seen.app_clients, 'app client')}. "
            f"Checked {checked}"
        )
    elif seen.files is not None:
        line = f"Checked {checked} in {seen.files_with_m2m or 0} of {plural(seen.files, 'file')}"
    else:
        line = f"Checked {checked}"
    parts = [plural(tally.of(level), level.value) for level in Severity if tally.of(level)]
    if tally.waived:
        parts.append(plural(tally.waived, "waived finding"))
    line += ": " + (", ".join(parts) or "no findings") + "."
    if result.fatal:
        line += " Some inputs could not be checked; see the errors above."
    return line


def relative_to(path: str, base: str) -> str:
    """``path`` as seen from the folder ``base``, both relative to the same root.

    ``relative_to("examples/orders.yaml", "examples")`` -> ``"orders.yaml"``; pure string work,
    so rendering never depends on the process's working directory.
    """
    base_parts = _parts(base)
    if not base_parts:
        return path
    parts = _parts(path)
    common = 0
    while (
        common < min(len(parts), len(base_parts))
        and parts[common] == base_parts[common]
        and parts[common] != ".."
    ):
        common += 1
    return "/".join([".."] * (len(base_parts) - common) + parts[common:]) or "."


def _parts(path: str) -> list[str]:
    return [p for p in posixpath.normpath(path).split("/") if p not in ("", ".")]


def _lines(findings: list[Finding]) -> list[_Line]:
    """Findings in order, with the notes that one unknown value causes on one client merged."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        key: tuple[object, ...] = (id(f),)
        if f.unknown is not None:
            key = (start_line(f.location.line), f.subject, f.unknown, f.level, f.suppression)
        groups.setdefault(key, []).append(f)
    return [_Line(group[0], tuple(dict.fromkeys(f.rule_id for f in group))) for group in groups.values()]


def _file_block(path: str, findings: list[Finding], paint: Paint) -> list[str]:
    lines = _lines(findings)
    wheres = [f"{printable(path)}:{start_line(line.finding.location.line)}:" for line in lines]
    where_width = max(len(w) for w in wheres)
    rule_width = max(len(printable(line.rule_column)) for line in lines)
    out = []
    for where, line in zip(wheres, lines, strict=True):
        f = line.finding
        text = f"{printable(line.message)} [{printable(_subject(f))}]"
        if f.undetermined and f.unknown is None:  # "Cannot check ..." says so already
            text += " (undetermined)"
        if f.suppression is not None:
            text += f" (waived: {printable(f.suppression)})"
        out.append(
            f"{paint('path', where)}{' ' * (where_width - len(where))}  "
            f"{paint(line.label, line.label.ljust(_LABEL_WIDTH))}  "
            f"{printable(line.rule_column).ljust(rule_width)}  {text}"
        )
    return out


def _subject(f: Finding) -> str:
    """The logical name; for a client known by its ClientId, its ClientName beside it; for a
    live client or pool, its pool, account and region too."""
    name = f.subject
    if f.client_name and f.location.client_id == f.subject and f.client_name != f.subject:
        name = f"{f.client_name} ({f.subject})"
    live = f.location.live
    if live is None:
        return name
    pool = f"{f.pool_name} ({live.pool_id})" if f.pool_name else live.pool_id
    where = f"{name} in pool {pool}" if live.client_id else f"pool {pool}"
    return f"{where}, account {live.account}, {live.region}"


def _notification_line(n: Notification, base: str, paint: Paint) -> str:
    level = Severity(n.level).value
    where = ""
    if n.path:
        where = printable(relative_to(n.path, base)) + (f":{n.line}" if n.line is not None else "") + ": "
    return f"{paint(level, level)}: {where}{printable(n.message)}"


def _and(items: tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _painter(color: bool) -> Paint:
    def paint(style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if color else text

    return paint
