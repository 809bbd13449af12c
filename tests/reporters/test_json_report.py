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
        "findings",
        "notifications",
        "rules",
    }
    assert data["version"] == 1
    assert data["tool"] == {"name": "m2m-guard", "version": "0.1.0"}
    assert data["category"] == "iac"
    assert report(live_result())["category"] == "live"


def test_summary_counts_active_findings_by_level_and_waived_apart() -> None:
    # 2 errors + 1 warning + 1 undetermined note active; the waived error counts only once,
    # as suppressed, so dashboards do not show it as an open error.
    assert report(iac_result())["summary"] == {"error": 2, "warning": 1, "note": 1, "suppressed": 1}
    assert report(empty_result())["summary"] == {
        "error": 0,
        "warning": 0,
        "note": 0,
        "suppressed": 0,
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


def test_live_findings_carry_the_arn() -> None:
    assert {f["arn"] for f in report(live_result())["findings"]} == {POOL_ARN}


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
