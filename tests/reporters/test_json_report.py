from __future__ import annotations

import json
from typing import Any

from m2m_guard.model import RunResult
from m2m_guard.reporters import json_report, sarif
from tests.reporters.support import POOL_ARN, empty_result, fingerprint, iac_result, live_result


def report(result: RunResult) -> dict[str, Any]:
    out = json_report.render(result)
    assert out.endswith("\n")
    data: dict[str, Any] = json.loads(out)
    return data


def test_top_level_shape() -> None:
    data = report(iac_result())
    assert set(data) == {
        "version",
        "tool",
        "category",
        "summary",
        "swept",
        "findings",
        "notifications",
        "rules",
    }
    assert data["version"] == 1
    assert data["tool"] == {"name": "m2m-guard", "version": "0.1.0"}
    assert data["category"] == "iac"
    assert data["swept"] is None
    assert report(live_result())["category"] == "live"


def test_summary_counts_active_findings_by_level_and_waived_apart() -> None:
    # 2 errors + 1 warning + 1 undetermined note active; the waived error counts only once,
    # as suppressed, so dashboards do not show it as an open error.
    summary = report(iac_result())["summary"]
    assert {k: summary[k] for k in ("error", "warning", "note", "suppressed")} == {
        "error": 2,
        "warning": 1,
        "note": 1,
        "suppressed": 1,
    }
    summary = report(empty_result())["summary"]
    assert {k: summary[k] for k in ("error", "warning", "note", "suppressed")} == {
        "error": 0,
        "warning": 0,
        "note": 0,
        "suppressed": 0,
    }


def test_summary_says_what_a_scan_read_and_checked() -> None:
    # A clean report must not pass for a clean bill when nothing was checked: the counts of
    # the text report's last line, with null for what a scan does not read.
    assert report(iac_result())["summary"] == {
        "error": 2,
        "warning": 1,
        "note": 1,
        "suppressed": 1,
        "app_clients": 5,
        "m2m_clients": 4,
        "possibly_m2m_clients": 1,
        "files": 14,
        "files_with_m2m_clients": 2,
        "accounts": None,
        "regions": None,
        "account_regions": None,
        "account_regions_failed": None,
        "user_pools": None,
    }


def test_summary_says_what_a_sweep_read() -> None:
    summary = report(live_result())["summary"]
    assert {k: v for k, v in summary.items() if k not in ("error", "warning", "note", "suppressed")} == {
        "app_clients": 9,
        "m2m_clients": 4,
        "possibly_m2m_clients": 0,
        "files": None,
        "files_with_m2m_clients": None,
        "accounts": 2,
        "regions": 3,
        "account_regions": 4,
        "account_regions_failed": 1,
        "user_pools": 3,
    }


def test_finding_fields() -> None:
    found = {(f["subject"], f["rule_id"]): f for f in report(iac_result())["findings"]}
    scopes = found["OrdersClient", "SCOPES-FORBIDDEN"]
    assert scopes == {
        "rule_id": "SCOPES-FORBIDDEN",
        "rule_type": "forbidden_scopes",
        "level": "error",
        "message": "AllowedOAuthScopes has orders/admin, which matches forbidden pattern */admin.",
        "path": "infra/auth.yaml",
        "line": 14,
        "subject": "OrdersClient",
        "arn": None,
        "field": "AllowedOAuthScopes",
        "fingerprint": fingerprint("SCOPES-FORBIDDEN", "OrdersClient", "AllowedOAuthScopes"),
        "undetermined": False,
        "suppressed": False,
        "justification": None,
    }
    legacy = found["LegacyClient", "TTL-MAX"]
    assert (legacy["suppressed"], legacy["justification"]) == (
        True,
        "partner integration, ticket OPS-123",
    )
    reports = found["ReportsClient", "TTL-MAX"]
    assert (reports["level"], reports["undetermined"]) == ("note", True)
    assert found["UserPool", "BUDGET"]["field"] is None


def test_paths_stay_as_displayed_not_percent_encoded() -> None:
    paths = [f["path"] for f in report(iac_result())["findings"]]
    assert "infra/orders stack.yaml" in paths


def test_sweep_lists_the_accounts_and_regions_it_read() -> None:
    assert report(live_result())["swept"] == {
        "accounts": ["123456789012", "210987654321"],
        "regions": ["eu-west-1", "us-east-1", "us-west-2"],
    }


def test_live_findings_carry_the_arn() -> None:
    assert {f["arn"] for f in report(live_result())["findings"]} == {
        f"{POOL_ARN}/client/1a2b3c4d5e6f7g8h9i0j1k2l3m",
        f"{POOL_ARN}/client/4j5k6l7m8n9o0p1q2r3s4t5u6v",
    }


def test_findings_in_the_same_order_as_sarif_results() -> None:
    findings = report(iac_result())["findings"]
    results = json.loads(sarif.render(iac_result()))["runs"][0]["results"]
    assert [f["fingerprint"] for f in findings] == [r["partialFingerprints"]["m2mGuard/v1"] for r in results]


def test_notifications_and_rules() -> None:
    data = report(iac_result())
    assert data["notifications"] == [
        {
            "level": "warning",
            "message": "Waiver for rule UNUSED (clients batch-*) expired on 2026-01-31.",
            "path": None,
            "line": None,
            "fatal": False,
        },
        {
            "level": "error",
            "message": "invalid YAML: mapping values are not allowed here",
            "path": "infra/bad.yaml",
            "line": 3,
            "fatal": True,
        },
    ]
    assert data["rules"][0] == {
        "id": "TTL-MAX",
        "type": "max_access_token_ttl",
        "summary": "M2M access tokens must be short-lived.",
        "level": "error",
    }
    assert [r["id"] for r in data["rules"]] == ["TTL-MAX", "SCOPES-FORBIDDEN", "BUDGET", "UNUSED"]


def test_empty_result_has_empty_lists() -> None:
    data = report(empty_result())
    assert (data["findings"], data["notifications"]) == ([], [])
