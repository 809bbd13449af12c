from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

import pytest

from m2m_guard.engine import evaluate
from m2m_guard.model import Notification, RuleInfo, RunResult, Severity
from m2m_guard.policy import load_policy
from m2m_guard.reporters import json_report, sarif
from m2m_guard.rules import RULES as RULE_TYPES
from tests.reporters.support import (
    AUTH,
    CASES,
    INVENTORY,
    POOL_ARN,
    RULES,
    SCHEMA_PATH,
    TTL_MAX,
    empty_result,
    finding,
    github_problems,
    iac_result,
    live_result,
    schema_errors,
)

DEGENERATE = RunResult(rules=(), findings=())


def render(result: RunResult) -> dict[str, Any]:
    out = sarif.render(result)
    assert out.endswith("\n")
    log: dict[str, Any] = json.loads(out)
    return log


def run_of(result: RunResult) -> dict[str, Any]:
    run: dict[str, Any] = render(result)["runs"][0]
    return run


def results_by_subject(result: RunResult) -> dict[str, dict[str, Any]]:
    return {
        r["locations"][0]["logicalLocations"][0]["name"] + " " + r["ruleId"]: r
        for r in run_of(result)["results"]
    }


# --- the vendored schema is the real gate ---------------------------------------------------


def test_vendored_schema_is_the_oasis_errata01_file() -> None:
    # Same bytes as shared/schemas (SOURCES.md); an edited copy would weaken every test here.
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest()
    assert digest == "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def test_schema_rejects_what_github_rejects() -> None:
    # Proves the validator is not a no-op: a region with only a column and a suppression
    # spelled with the pre-errata "state" are both invalid.
    log = render(iac_result())
    result = log["runs"][0]["results"][0]
    result["locations"][0]["physicalLocation"]["region"] = {"startColumn": 3}
    result["suppressions"] = [{"kind": "external", "state": "accepted"}]
    assert len(schema_errors(log)) >= 1
    assert github_problems(log)


# --- every output is valid and uploadable -------------------------------------------------


@pytest.mark.parametrize("name", [*CASES, "degenerate"])
def test_output_validates_against_the_official_schema(name: str) -> None:
    result = DEGENERATE if name == "degenerate" else CASES[name]()
    assert schema_errors(render(result)) == []


@pytest.mark.parametrize("name", [*CASES, "degenerate"])
def test_output_meets_github_code_scanning_constraints(name: str) -> None:
    result = DEGENERATE if name == "degenerate" else CASES[name]()
    assert github_problems(render(result)) == []


def test_one_run_with_tool_identity_and_no_timestamps() -> None:
    log = render(iac_result())
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "m2m-guard"
    assert driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/m2m-guard/m2m-guard#readme"
    assert "Utc" not in sarif.render(iac_result())  # no startTimeUtc / endTimeUtc


def test_base_id_is_described_without_an_absolute_uri() -> None:
    # SARIF 3.14.14: the absolute uri may be omitted for deterministic, private output.
    bases = run_of(iac_result())["originalUriBaseIds"]
    assert set(bases) == {"%SRCROOT%"}
    assert "uri" not in bases["%SRCROOT%"]
    assert bases["%SRCROOT%"]["description"]["text"]


# --- rules ----------------------------------------------------------------------------------


def test_one_rule_descriptor_per_policy_rule_in_policy_order() -> None:
    rules = run_of(iac_result())["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in RULES]


def test_rule_descriptor_carries_what_code_scanning_shows() -> None:
    rule = run_of(iac_result())["tool"]["driver"]["rules"][0]
    assert rule["id"] == "TTL-MAX"
    assert rule["name"] == "MaxAccessTokenTtl"
    assert rule["shortDescription"]["text"] == TTL_MAX.summary
    assert rule["fullDescription"]["text"] == TTL_MAX.description
    assert rule["help"]["markdown"] == TTL_MAX.help_markdown
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"] == {
        "tags": ["security", "cognito", "oauth2", "token-lifetime"],
        "security-severity": "7.5",
        "precision": "high",
    }


def test_help_from_the_engine_says_why_the_rule_matters() -> None:
    policy = load_policy(
        "p.yaml", "version: 1\nrules:\n  - {id: TTL-MAX, type: max_access_token_ttl, max: 1h}\n"
    )
    [rule] = run_of(evaluate(policy, [], today=dt.date(2026, 11, 21)))["tool"]["driver"]["rules"]
    spec = RULE_TYPES["max_access_token_ttl"]
    assert rule["help"]["markdown"] == spec.help_markdown
    assert rule["help"]["markdown"].startswith(f"**Why it matters:** {spec.why}\n\n**Fix:** {spec.help}\n\n")
    assert rule["help"]["text"].startswith(f"Why it matters: {spec.why}\n\n")
    assert rule["help"]["text"].endswith(f"Rule reference ({spec.help_uri})")
    assert rule["helpUri"] == spec.help_uri


def test_help_text_is_the_markdown_without_markup() -> None:
    text = run_of(iac_result())["tool"]["driver"]["rules"][0]["help"]["text"]
    assert text.startswith("Fix\n\nSet AccessTokenValidity to at most the policy's max ")
    assert "**" not in text and "`" not in text and "](" not in text
    assert "token validity (https://docs.aws.amazon.com/cognito/" in text


def test_scope_globs_in_help_survive_markup_stripping() -> None:
    help_ = run_of(iac_result())["tool"]["driver"]["rules"][1]["help"]
    assert help_["text"] == "Remove */admin and */*:write from AllowedOAuthScopes."


def test_tags_are_deduplicated_and_capped_at_ten() -> None:
    # GitHub displays 10 tags per rule and GitLab keeps 10 (sarif-limits.md).
    many = dataclasses.replace(TTL_MAX, tags=("cognito", *(f"t{i}" for i in range(15))))
    tags = sarif.rule_tags(many)
    assert tags[:3] == ["security", "cognito", "t0"]
    assert len(tags) == 10 and len(set(tags)) == 10


def test_finding_for_a_rule_missing_from_the_result_still_uploads() -> None:
    stray = finding(TTL_MAX, AUTH, 3, "X", "Something.")
    stray = dataclasses.replace(stray, rule_id="OLD-ID")
    log = render(RunResult(rules=RULES, findings=(stray,)))
    assert github_problems(log) == [] and schema_errors(log) == []
    assert log["runs"][0]["tool"]["driver"]["rules"][-1]["id"] == "OLD-ID"


# --- results --------------------------------------------------------------------------------


def test_result_points_at_file_line_and_resource() -> None:
    result = results_by_subject(iac_result())["OrdersClient TTL-MAX"]
    assert result["level"] == "error"
    assert result["ruleIndex"] == 0
    assert result["message"]["text"].startswith("AccessTokenValidity is 24 hours;")
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "infra/auth.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12},
            },
            "logicalLocations": [{"name": "OrdersClient", "kind": "resource"}],
        }
    ]
    assert result["properties"] == {"field": "AccessTokenValidity"}
    assert "suppressions" not in result


def test_result_fingerprint_is_the_findings_identity_only() -> None:
    result = results_by_subject(iac_result())["OrdersClient TTL-MAX"]
    expected = next(f.fingerprint for f in iac_result().findings if f.subject == "OrdersClient")
    assert result["partialFingerprints"] == {"m2mGuard/v1": expected}


def test_fingerprints_do_not_change_when_only_lines_move() -> None:
    # An edit above a resource must not close its alert and open a new one.
    before = iac_result()
    moved = dataclasses.replace(
        before,
        findings=tuple(
            dataclasses.replace(f, location=dataclasses.replace(f.location, line=(f.location.line or 1) + 25))
            for f in before.findings
        ),
    )

    def prints(result: RunResult) -> dict[str, Any]:
        return {k: r["partialFingerprints"] for k, r in results_by_subject(result).items()}

    def lines(result: RunResult) -> set[int]:
        return {
            r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run_of(result)["results"]
        }

    assert prints(moved) == prints(before)
    assert lines(moved).isdisjoint(lines(before))


def test_waived_finding_is_a_suppressed_result_with_its_justification() -> None:
    result = results_by_subject(iac_result())["LegacyClient TTL-MAX"]
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "partner integration, ticket OPS-123",
        }
    ]


def test_undetermined_finding_is_a_note_marked_undetermined() -> None:
    result = results_by_subject(iac_result())["ReportsClient TTL-MAX"]
    assert result["level"] == "note"
    assert result["properties"] == {"field": "AccessTokenValidity", "undetermined": True}


def test_finding_without_field_has_no_properties() -> None:
    assert "properties" not in results_by_subject(iac_result())["UserPool BUDGET"]


def test_path_with_spaces_is_percent_encoded() -> None:
    result = results_by_subject(iac_result())["UserPool BUDGET"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "infra/orders%20stack.yaml"


def test_non_ascii_path_is_percent_encoded_utf8() -> None:
    f = finding(TTL_MAX, "infra/équipe/auth.yaml", 2, "C", "Too long.")
    log = render(RunResult(rules=RULES, findings=(f,)))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "infra/%C3%A9quipe/auth.yaml"


def test_unknown_line_is_reported_on_line_one() -> None:
    f = finding(TTL_MAX, "plan.json", None, "aws_cognito_user_pool_client.orders", "Too long.")
    result = run_of(RunResult(rules=RULES, findings=(f,)))["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


def test_long_message_is_cut_to_github_and_gitlab_limit() -> None:
    f = finding(TTL_MAX, AUTH, 2, "C", "x" * 5000)
    text = run_of(RunResult(rules=RULES, findings=(f,)))["results"][0]["message"]["text"]
    assert len(text) == 1024 and text.endswith("…")


def test_results_sorted_by_uri_line_and_rule() -> None:
    keys = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in run_of(iac_result())["results"]
    ]
    assert keys == sorted(keys)
    assert [k[1] for k in keys] == [12, 14, 40, 3, 7]


# --- categories and live results ------------------------------------------------------------


def test_automation_id_separates_iac_scans_from_live_sweeps() -> None:
    # GitHub's category is everything before the last "/": distinct categories keep a sweep
    # upload from closing the IaC scan's alerts (upload-sarif-file.md, "category").
    assert run_of(iac_result())["automationDetails"] == {"id": "m2m-guard/iac/"}
    assert run_of(live_result())["automationDetails"] == {"id": "m2m-guard/live/"}


def test_live_result_names_client_and_arn_and_points_at_inventory() -> None:
    result = results_by_subject(live_result())["1a2b3c4d5e6f7g8h9i0j1k2l3m TTL-MAX"]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == INVENTORY
    assert location["logicalLocations"] == [
        {
            "name": "1a2b3c4d5e6f7g8h9i0j1k2l3m",
            "kind": "resource",
            "fullyQualifiedName": f"{POOL_ARN}/client/1a2b3c4d5e6f7g8h9i0j1k2l3m",
        }
    ]


def test_run_properties_carry_the_json_summary_counts() -> None:
    for case in (iac_result, live_result, empty_result):
        counts = json.loads(json_report.render(case()))["summary"]
        expected = {k: v for k, v in counts.items() if v is not None}
        assert run_of(case())["properties"]["summary"] == expected
    assert "swept" not in run_of(iac_result())["properties"]
    assert (
        run_of(live_result())["properties"]["swept"] == json.loads(json_report.render(live_result()))["swept"]
    )
    assert run_of(live_result())["properties"]["summary"]["account_regions"] == 4
    assert "files" not in run_of(live_result())["properties"]["summary"]


# --- invocations and notifications ----------------------------------------------------------


def test_fatal_notification_marks_execution_unsuccessful() -> None:
    (invocation,) = run_of(iac_result())["invocations"]
    assert invocation["executionSuccessful"] is False
    (live,) = run_of(live_result())["invocations"]
    assert live["executionSuccessful"] is True


def test_notifications_carry_level_message_and_location_when_known() -> None:
    (invocation,) = run_of(iac_result())["invocations"]
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {"text": "Waiver for rule UNUSED (clients batch-*) expired on 2026-01-31."},
        },
        {
            "level": "error",
            "message": {"text": "invalid YAML: mapping values are not allowed here"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "infra/bad.yaml", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 3},
                    }
                }
            ],
        },
    ]


def test_notification_with_path_but_no_line_has_no_region() -> None:
    result = RunResult(rules=(), findings=(), notifications=(Notification("binary file", path="a b.json"),))
    (note,) = run_of(result)["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "a%20b.json", "uriBaseId": "%SRCROOT%"}}}
    ]


def test_rule_levels_come_from_the_policy() -> None:
    note_rule = RuleInfo("N", "condition", "S.", "D.", "H.", Severity.NOTE, "1.0")
    rules = run_of(RunResult(rules=(note_rule,), findings=()))["tool"]["driver"]["rules"]
    assert rules[0]["defaultConfiguration"] == {"level": "note"}
    assert rules[0]["name"] == "Condition"
