from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from m2m_guard.model import Coverage, Finding, Notification, RuleInfo, RunResult, Severity
from m2m_guard.reporters import text
from tests.reporters.support import (
    AUTH,
    BUDGET,
    INVENTORY,
    POOL_ARN,
    RULES,
    SCOPES_FORBIDDEN,
    TTL_MAX,
    UNUSED,
    empty_result,
    finding,
    iac_result,
    live_result,
)

ESC = "\x1b"


def test_findings_grouped_by_file_then_notifications_then_summary() -> None:
    assert text.render(iac_result()) == (
        "infra/auth.yaml:12:  error    TTL-MAX           AccessTokenValidity is 24 hours; policy TTL-MAX"
        " allows at most 1 hour. [OrdersClient]\n"
        "infra/auth.yaml:14:  error    SCOPES-FORBIDDEN  AllowedOAuthScopes has orders/admin, which matches"
        " forbidden pattern */admin. [OrdersClient]\n"
        "infra/auth.yaml:40:  waived   TTL-MAX           AccessTokenValidity is 1 day; policy TTL-MAX allows"
        " at most 1 hour. [LegacyClient] (waived: partner integration, ticket OPS-123)\n"
        "\n"
        "infra/orders stack.yaml:3:  warning  BUDGET   Projected spend is USD 62.40/month (lower bound);"
        " budget is USD 50: remove 2 unused clients. [UserPool]\n"
        "infra/orders stack.yaml:7:  note     TTL-MAX  AccessTokenValidity is unknown (Ref to parameter"
        " TokenHours without a default). [ReportsClient] (undetermined)\n"
        "\n"
        "warning: Waiver for rule UNUSED (clients batch-*) expired on 2026-01-31.\n"
        "error: infra/bad.yaml:3: invalid YAML: mapping values are not allowed here\n"
        "\n"
        "Checked 4 M2M clients (1 possibly M2M) in 2 of 14 files: 2 errors, 1 warning, 1 note,"
        " 1 waived finding. Some inputs could not be checked; see the errors above.\n"
    )


def test_every_finding_line_starts_with_path_and_line_then_aligns() -> None:
    result = RunResult(
        rules=RULES,
        findings=(
            finding(TTL_MAX, AUTH, 7, "A", "Too long."),
            finding(TTL_MAX, AUTH, 120, "B", "Too long."),
        ),
    )
    lines = text.render(result).splitlines()
    assert lines[0] == "infra/auth.yaml:7:    error    TTL-MAX  Too long. [A]"
    assert lines[1] == "infra/auth.yaml:120:  error    TTL-MAX  Too long. [B]"


@pytest.mark.parametrize(
    ("working_dir", "auth", "bad"),
    [
        (".", "infra/auth.yaml", "infra/bad.yaml"),
        ("infra", "auth.yaml", "bad.yaml"),
        ("infra/modules/x", "../../auth.yaml", "../../bad.yaml"),
        ("docs", "../infra/auth.yaml", "../infra/bad.yaml"),
    ],
)
def test_paths_are_relative_to_the_working_directory(working_dir: str, auth: str, bad: str) -> None:
    out = text.render(dataclasses.replace(iac_result(), working_dir=working_dir))
    assert f"\n{auth}:14:  error    SCOPES-FORBIDDEN" in "\n" + out
    assert f"\nerror: {bad}:3: invalid YAML" in out


def test_relative_to() -> None:
    assert text.relative_to("a/b/c.yaml", "a") == "b/c.yaml"
    assert text.relative_to("a/b/c.yaml", "a/b/c") == "../c.yaml"
    assert text.relative_to("a/c.yaml", "ab") == "../a/c.yaml"  # a prefix of a name is not a folder
    assert text.relative_to("../out/c.yaml", "a") == "../../out/c.yaml"
    assert text.relative_to("c.yaml", ".") == "c.yaml"


def _blocked(subject: str, rule: RuleInfo, **kwargs: Any) -> Finding:
    reason = "AccessTokenValidity is unknown (known after apply)"
    return finding(
        rule,
        AUTH,
        9,
        subject,
        f"Cannot check {rule.id}: {reason}.",
        level=Severity.NOTE,
        undetermined=True,
        unknown=reason,
        **kwargs,
    )


def test_one_unknown_value_blocking_several_rules_is_one_note() -> None:
    result = RunResult(
        rules=RULES,
        findings=(
            _blocked("Svc", TTL_MAX),
            _blocked("Svc", BUDGET),
            _blocked("Svc", UNUSED),
            _blocked("Other", TTL_MAX),  # another client: its own note
            _blocked("Svc", SCOPES_FORBIDDEN, suppression="accepted"),  # waived: its own line
        ),
    )
    lines = text.render(result).splitlines()
    assert lines[:3] == [
        "infra/auth.yaml:9:  note     3 rules           Cannot check BUDGET, TTL-MAX and UNUSED:"
        " AccessTokenValidity is unknown (known after apply). [Svc]",
        "infra/auth.yaml:9:  waived   SCOPES-FORBIDDEN  Cannot check SCOPES-FORBIDDEN:"
        " AccessTokenValidity is unknown (known after apply). [Svc] (waived: accepted)",
        "infra/auth.yaml:9:  note     TTL-MAX           Cannot check TTL-MAX:"
        " AccessTokenValidity is unknown (known after apply). [Other]",
    ]
    # The counts stay one per rule, as in JSON and SARIF.
    assert lines[-1] == "Checked 0 M2M clients: 4 notes, 1 waived finding."


def test_clean_scan_says_what_was_checked() -> None:
    assert text.render(empty_result()) == "Checked 2 M2M clients in 1 of 3 files: no findings.\n"


def test_nothing_to_check_is_not_a_clean_bill() -> None:
    nothing = RunResult(rules=RULES, findings=(), coverage=Coverage(files=0, files_with_m2m=0))
    assert text.summary_line(nothing) == "Checked 0 M2M clients in 0 of 0 files: no findings."
    no_cognito = RunResult(rules=RULES, findings=(), coverage=Coverage(files=14, files_with_m2m=0))
    assert text.summary_line(no_cognito) == "Checked 0 M2M clients in 0 of 14 files: no findings."


def test_summary_counts_singular_and_plural() -> None:
    one = RunResult(
        rules=RULES,
        findings=(finding(TTL_MAX, AUTH, 3, "C", "Too long."),),
        coverage=Coverage(app_clients=1, m2m_clients=1, possibly_m2m=1, files=1, files_with_m2m=1),
    )
    assert text.summary_line(one) == "Checked 1 M2M client (1 possibly M2M) in 1 of 1 file: 1 error."


def test_a_waived_finding_is_not_read_as_a_waived_note() -> None:
    # "1 note (1 waived)" read as if the note was waived; the waived count stands on its own.
    line = text.summary_line(iac_result())
    assert "1 note, 1 waived finding." in line and "(1 waived)" not in line


def test_summary_when_everything_is_waived() -> None:
    waived = finding(TTL_MAX, AUTH, 3, "C", "Too long.", suppression="ok until Q3")
    result = RunResult(
        rules=RULES,
        findings=(waived, dataclasses.replace(waived, subject="D")),
        coverage=Coverage(app_clients=2, m2m_clients=2, files=1, files_with_m2m=1),
    )
    assert text.summary_line(result) == "Checked 2 M2M clients in 1 of 1 file: 2 waived findings."


def test_sweep_summary_says_what_was_swept() -> None:
    assert text.summary_line(live_result()) == (
        "Swept 2 accounts, 3 regions (4 of 5 account-regions), 3 user pools, 9 app clients."
        " Checked 4 M2M clients: 1 error, 1 warning."
    )
    nothing = RunResult(
        rules=RULES,
        findings=(),
        category="live",
        coverage=Coverage(accounts=0, regions=0, account_regions=0, account_regions_failed=0, user_pools=0),
    )
    assert text.summary_line(nothing) == (
        "Swept 0 accounts, 0 regions (0 of 0 account-regions), 0 user pools, 0 app clients."
        " Checked 0 M2M clients: no findings."
    )


def test_live_findings_name_client_pool_account_and_region() -> None:
    out = text.render(live_result())
    assert (
        "m2m-guard-inventory/123456789012/eu-west-1.json:5:   error    TTL-MAX  AccessTokenValidity is"
        " 12 hours; policy TTL-MAX allows at most 1 hour. [orders-sync (1a2b3c4d5e6f7g8h9i0j1k2l3m)"
        " in pool partners (eu-west-1_Ab12Cd34E), account 123456789012, eu-west-1]\n"
    ) in out
    pool = finding(
        BUDGET, INVENTORY, 3, "eu-west-1_Ab12Cd34E", "Over budget.", arn=POOL_ARN, pool_name="partners"
    )
    out = text.render(RunResult(rules=RULES, findings=(pool,)))
    assert "[pool partners (eu-west-1_Ab12Cd34E), account 123456789012, eu-west-1]" in out


def test_described_client_shows_its_name_beside_its_id() -> None:
    described = finding(TTL_MAX, "saved/c.json", 4, "4abc", "Too long.", client_id="4abc", client_name="svc")
    assert "[svc (4abc)]" in text.render(RunResult(rules=RULES, findings=(described,)))


def test_notification_with_path_but_no_line() -> None:
    result = RunResult(
        rules=(),
        findings=(),
        notifications=(Notification("not UTF-8 text", path="infra/x.yaml", fatal=True),),
    )
    assert text.render(result) == (
        "error: infra/x.yaml: not UTF-8 text\n"
        "\n"
        "Checked 0 M2M clients: no findings. Some inputs could not be checked; see the errors above.\n"
    )


def test_no_escape_codes_without_color() -> None:
    assert ESC not in text.render(iac_result())
    assert ESC not in text.render(iac_result(), color=False)


def test_color_marks_levels_and_paths() -> None:
    out = text.render(iac_result(), color=True)
    assert "\x1b[1minfra/auth.yaml:12:\x1b[0m" in out  # bold path and line
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
    # A newline in a message does not start a line of its own: finding, blank, notification,
    # blank, summary.
    assert len(out.splitlines()) == 5
