"""Combine reports of several runs (sweep shards, IaC and live) into one: pure functions on
parsed SARIF or JSON reports.

SARIF: one run per category (``automationDetails.id``): runs of the same category are merged
(rules united by id, results concatenated and re-sorted, notifications kept), because GitHub
rejects a file with two runs of one category. JSON: findings and notifications concatenated,
counts recomputed; each finding keeps its category.

The summary counts (JSON ``summary``, SARIF run ``properties.summary``): findings by level are
recounted from the merged findings; what was read (files, clients, account-regions, pools) is
added up, shards reading disjoint parts; accounts and regions are counted from the union of the
reports' ``swept`` lists, since a region recurs in every account and an account in every region
shard.
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


_LEVEL_COUNTS = ("error", "warning", "note", "suppressed")


def _read_counts(
    summaries: Sequence[Any], swept: Sequence[Any]
) -> tuple[dict[str, int | None], dict[str, list[str]] | None]:
    """The merged summary's counts of what was read, and the merged ``swept`` lists."""
    counts: dict[str, int | None] = {}
    for summary in summaries:
        for key, value in (summary if isinstance(summary, dict) else {}).items():
            if key in _LEVEL_COUNTS:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                counts[key] = (counts.get(key) or 0) + value
            else:
                counts.setdefault(key, None)
    lists = [s for s in swept if isinstance(s, dict)]
    if not lists:
        return counts, None
    united = {
        key: sorted({str(item) for s in lists for item in s.get(key) or []})
        for key in ("accounts", "regions")
    }
    counts.update(accounts=len(united["accounts"]), regions=len(united["regions"]))
    return counts, united


def _level_counts(results: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(_LEVEL_COUNTS, 0)
    for result in results:
        if result.get("suppressions"):
            counts["suppressed"] += 1
        elif result.get("level", "warning") in counts:
            counts[result.get("level", "warning")] += 1
    return counts


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
    properties = [run.get("properties") or {} for run in runs]
    if any("summary" in p for p in properties):
        counts, swept = _read_counts(
            [p.get("summary") for p in properties], [p.get("swept") for p in properties]
        )
        merged.setdefault("properties", {})["summary"] = {
            **{k: v for k, v in counts.items() if v is not None},
            **_level_counts(merged["results"]),
        }
        if swept is not None:
            merged["properties"]["swept"] = swept
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
    summary: dict[str, int | None] = dict.fromkeys(_LEVEL_COUNTS, 0)
    for finding in findings:
        if finding.get("suppressed"):
            summary["suppressed"] = (summary["suppressed"] or 0) + 1
        elif finding.get("level") in summary:
            summary[finding["level"]] = (summary[finding["level"]] or 0) + 1
    counts, swept = _read_counts([r.get("summary") for r in reports], [r.get("swept") for r in reports])
    summary.update(counts)
    if any("swept" in r for r in reports):
        merged["swept"] = swept
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
