from __future__ import annotations

import dataclasses

from m2m_guard.model import Notification, RunResult, Severity
from m2m_guard.reporters import text
from tests.reporters.support import (
    AUTH,
    RULES,
    TTL_MAX,
    empty_result,
    finding,
    iac_result,
    live_result,
)

ESC = "\x1b"


def test_findings_grouped_by_file_then_notifications_then_summary() -> None:
    assert text.render(iac_result()) == (
        "infra/auth.yaml\n"
        "  12:  error    TTL-MAX           AccessTokenValidity is 24 hours; policy TTL-MAX"
        " allows at most 1 hour. [OrdersClient]\n"
        "  14:  error    SCOPES-FORBIDDEN  AllowedOAuthScopes has orders/admin, which matches"
        " forbidden pattern */admin. [OrdersClient]\n"
        "  40:  waived   TTL-MAX           AccessTokenValidity is 1 day; policy TTL-MAX allows"
        " at most 1 hour. [LegacyClient] (waived: partner integration, ticket OPS-123)\n"
        "\n"
        "infra/orders stack.yaml\n"
        "  3:  warning  BUDGET   Projected spend is USD 62.40/month (lower bound); budget is"
        " USD 50: remove 2 unused clients. [UserPool]\n"
        "  7:  note     TTL-MAX  AccessTokenValidity is unknown (Ref to parameter TokenHours"
        " without a default). [ReportsClient] (undetermined)\n"
        "\n"
        "warning: Waiver for rule UNUSED (clients batch-*) expired on 2026-01-31.\n"
        "error: infra/bad.yaml:3: invalid YAML: mapping values are not allowed here\n"
        "\n"
        "2 errors, 1 warning, 1 note (1 waived) in 2 files."
        " Some inputs could not be checked; see the errors above.\n"
    )


def test_line_numbers_are_right_aligned_within_a_file() -> None:
    result = RunResult(
        rules=RULES,
        findings=(
            finding(TTL_MAX, AUTH, 7, "A", "Too long."),
            finding(TTL_MAX, AUTH, 120, "B", "Too long."),
        ),
    )
    lines = text.render(result).splitlines()
    assert lines[1].startswith("    7:  error")
    assert lines[2].startswith("  120:  error")


def test_clean_run_says_no_findings() -> None:
    assert text.render(empty_result()) == "No findings.\n"


def test_summary_counts_singular_and_plural() -> None:
    assert text.summary_line(live_result()) == "1 error, 1 warning in 1 file."


def test_summary_when_everything_is_waived() -> None:
    waived = finding(TTL_MAX, AUTH, 3, "C", "Too long.", suppression="ok until Q3")
    result = RunResult(rules=RULES, findings=(waived, dataclasses.replace(waived, subject="D")))
    assert text.summary_line(result) == "No findings (2 waived)."


def test_notification_with_path_but_no_line() -> None:
    result = RunResult(
        rules=(),
        findings=(),
        notifications=(Notification("not UTF-8 text", path="infra/x.yaml", fatal=True),),
    )
    assert text.render(result) == (
        "error: infra/x.yaml: not UTF-8 text\n"
        "\n"
        "No findings. Some inputs could not be checked; see the errors above.\n"
    )


def test_no_escape_codes_without_color() -> None:
    assert ESC not in text.render(iac_result())
    assert ESC not in text.render(iac_result(), color=False)


def test_color_marks_levels_and_paths() -> None:
    out = text.render(iac_result(), color=True)
    assert "\x1b[1minfra/auth.yaml\x1b[0m" in out  # bold path
    assert "\x1b[31merror  " in out  # red error
    assert "\x1b[33mwarning\x1b[0m" in out  # yellow warning
    assert "\x1b[36mnote   " in out  # cyan note
    assert "\x1b[2mwaived " in out  # dim waived


def test_escape_sequences_from_inputs_are_neutralised() -> None:
    # A scanned file controls messages and paths; it must not be able to drive the terminal.
    hostile = finding(TTL_MAX, "infra/\x1b[2Jevil.yaml", 1, "C\x1b]0;title\x07", "line one\nline two\x1b[31m")
    note = Notification("bad \x1b[5m input", level=Severity.WARNING)
    out = text.render(RunResult(rules=RULES, findings=(hostile,), notifications=(note,)))
    assert ESC not in out and "\x07" not in out
    assert "line one\\nline two\\x1b[31m" in out
    # A newline in a message does not start a line of its own: path, finding, blank,
    # notification, blank, summary.
    assert len(out.splitlines()) == 6
