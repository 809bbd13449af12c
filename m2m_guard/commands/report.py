"""From one evaluated result to the reports a scan or sweep writes, and the exit code."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard.commands import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from m2m_guard.commands._io import emit, say, write_file

if TYPE_CHECKING:
    from m2m_guard.model import RunResult


@dataclass(frozen=True)
class ReportOptions:
    """Where and how a scan or sweep reports (``--format``, ``--output``, ``--fail-on``,
    ``--sarif``, ``--category``)."""

    format: str
    output: str | None
    fail_on: str
    sarif: str | None
    category: str | None


def report(options: ReportOptions, result: RunResult) -> int:
    """Write the report (and the SARIF copy), tell the terminal about notifications the report
    went elsewhere with, and give the exit code."""
    from m2m_guard.reporters import LINES, REPORTERS

    if options.category:
        # GitHub takes a run's category from automationDetails.id up to its last "/"
        category = options.category if options.category.endswith("/") else f"{options.category}/"
        result = dataclasses.replace(result, automation_id=category)
    by_lines = LINES.get(options.format)
    text = (by_lines or REPORTERS[options.format])(result, color=_use_color(options))
    emit(text, options.output)
    if options.sarif:
        # one evaluation, two reports: a log for people and SARIF for code scanning
        write_file(Path(options.sarif), REPORTERS["sarif"](result), "SARIF report")
    if options.format != "text" or options.output:
        # Reports on stdout or in a file still tell the person at the terminal what went wrong.
        for note in result.notifications:
            say(f"{note.level.value}: {note}")
    return exit_code(result, options.fail_on)


def exit_code(result: RunResult, fail_on: str) -> int:
    """2 if an input could not be read, else 1 if a finding is at or above ``fail_on`` (a level,
    or ``never``), else 0."""
    if result.fatal:
        return EXIT_ERROR
    from m2m_guard.model import Severity

    worst = result.worst_level()
    if fail_on == "never" or worst is None:
        return EXIT_OK
    return EXIT_FINDINGS if worst.rank >= Severity(fail_on).rank else EXIT_OK


def _use_color(options: ReportOptions) -> bool:
    if options.format != "text" or options.output or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()
