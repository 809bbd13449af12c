"""Combine reports of several runs (sweep shards, IaC and live) into one: pure functions on
parsed SARIF or JSON reports.

SARIF: one run per category (``automationDetails.id``): runs of the same category are merged
(rules united by id, results concatenated and re-sorted, notifications kept), because GitHub
rejects a file with two runs of one category. JSON: findings and notifications concatenated,
counts recomputed; each finding keeps its category.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any


class MergeError(Exception):
    pass


def kind_of(report: Any) -> str:
    if isinstance(report, dict) and report.get("version") == "2.1.0" and isinstance(report.get("runs"), list):
        return "sarif"
    if isinstance(report, dict) and isinstance(report.get("findings"), list) and "summary" in report:
        return "json"
    raise MergeError("neither an m2m-guard SARIF nor an m2m-guard JSON report")


def _result_key(result: dict[str, Any]) -> tuple[str, int, str, str]:
    location = (result.get("locations") or [{}])[0].get("physicalLocation", {})
    return (
        location.get("artifactLocation", {}).get("uri", ""),
        location.get("region", {}).get("startLine", 0),
        result.get("ruleId", ""),
        str(result.get("partialFingerprints", {})),
    )


def _merge_runs(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged = copy.deepcopy(runs[0])
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    success = True
    for run in runs:
        run_rules = run["tool"]["driver"].get("rules", [])
        for rule in run_rules:
            rules.setdefault(rule["id"], rule)
        for result in run.get("results", []):
            result = dict(result)
            result.pop("ruleIndex", None)  # recomputed below against the merged rule list
            results.append(result)
        for invocation in run.get("invocations", []):
            success = success and invocation.get("executionSuccessful", True)
            notifications.extend(invocation.get("toolExecutionNotifications", []))
    ordered = sorted(rules.values(), key=lambda r: r["id"])
    index = {rule["id"]: i for i, rule in enumerate(ordered)}
    unique: dict[tuple[str, int, str, str], dict[str, Any]] = {}
    for result in sorted(results, key=_result_key):
        if result.get("ruleId") in index:
            result["ruleIndex"] = index[result["ruleId"]]
        unique.setdefault(_result_key(result), result)  # the same shard twice adds nothing
    merged["tool"]["driver"]["rules"] = ordered
    merged["results"] = list(unique.values())
    merged["invocations"] = [{"executionSuccessful": success, "toolExecutionNotifications": notifications}]
    return merged


def merge_sarif(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    by_category: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        for run in report["runs"]:
            category = run.get("automationDetails", {}).get("id", "")
            by_category.setdefault(category, []).append(run)
    merged = copy.deepcopy({k: v for k, v in reports[0].items() if k != "runs"})
    merged["runs"] = [_merge_runs(by_category[c]) for c in sorted(by_category)]
    return merged


def merge_json(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged = copy.deepcopy({k: v for k, v in reports[0].items() if k not in ("findings", "notifications")})
    findings: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    rules: dict[str, dict[str, Any]] = {}
    categories = sorted({str(r.get("category")) for r in reports})
    for report in reports:
        for finding in report["findings"]:
            findings.append({**finding, "category": finding.get("category", report.get("category"))})
        notifications.extend(report.get("notifications", []))
        for rule in report.get("rules", []):
            rules.setdefault(rule["id"], rule)
    findings.sort(
        key=lambda f: (
            f.get("path") or "",
            f.get("line") or 0,
            f.get("rule_id", ""),
            f.get("fingerprint", ""),
        )
    )
    summary = {"error": 0, "warning": 0, "note": 0, "suppressed": 0}
    for finding in findings:
        if finding.get("suppressed"):
            summary["suppressed"] += 1
        elif finding.get("level") in summary:
            summary[finding["level"]] += 1
    merged.update(
        category=categories[0] if len(categories) == 1 else "+".join(categories),
        summary=summary,
        findings=findings,
        notifications=notifications,
        rules=sorted(rules.values(), key=lambda r: r["id"]),
    )
    return merged


def merge(reports: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """(format, merged report); all reports must be of one format."""
    if not reports:
        raise MergeError("nothing to merge")
    kinds = {kind_of(r) for r in reports}
    if len(kinds) > 1:
        raise MergeError("cannot merge SARIF with JSON reports; merge each format separately")
    kind = kinds.pop()
    return kind, merge_sarif(reports) if kind == "sarif" else merge_json(reports)
