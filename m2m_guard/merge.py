"""Combine reports of several runs (sweep shards, IaC and live) into one: pure functions on
the text of SARIF or JSON reports.

SARIF: one run per category (``automationDetails.id``): runs of the same category are merged
(rules united by id, results concatenated and re-sorted, notifications kept), because GitHub
rejects a file with two runs of one category. JSON: findings and notifications concatenated,
counts recomputed; each finding keeps its category.

The summary counts (JSON ``summary``, SARIF run ``properties.summary``): findings by level are
recounted from the merged findings; what was read (files, clients, account-regions, pools) is
added up, shards reading disjoint parts; accounts and regions are counted from the union of the
reports' ``swept`` lists, since a region recurs in every account and an account in every region
shard.

Reports come from files anyone may have edited, so each is checked before anything is merged
(m2m_guard/merge_shapes.py); one that cannot be merged gets one line, :class:`MergeError`. The
same report given twice is read once, and a finding or notification that two reports share is
kept once. A location that code scanning cannot resolve against the repository (an absolute URI
or path, or one that leaves the repository with ``..``) is kept and reported: one warning per
report and location, in the merged report and in :attr:`Merged.warnings`.
"""

from __future__ import annotations

import copy
import itertools
import json
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from m2m_guard.merge_shapes import MergeError, load

__all__ = ["MergeError", "Merged", "merge", "merge_json", "merge_sarif", "outside"]


@dataclass(frozen=True)
class Merged:
    kind: str  # "sarif" or "json"
    document: dict[str, Any]
    #: One line per location outside the repository and per report given twice, for stderr.
    warnings: tuple[str, ...] = field(default=())


# --- locations ----------------------------------------------------------------------------------


def outside(location: str, *, uri: bool = True) -> str | None:
    """Why ``location`` (a SARIF ``uri``, else a JSON report's ``path``) does not resolve to a
    file in the repository, or None: absolute (a scheme, a host, a leading slash, a drive
    letter), or leaving it (``..`` after normalizing, ``%2e%2e`` and backslashes included)."""
    path = location.replace("\\", "/")
    if uri:
        parts = urlsplit(path)
        if parts.scheme or parts.netloc:
            return "is absolute"
        path = unquote(parts.path).replace("\\", "/")
    if path.startswith("/") or (len(path) > 2 and path[0].isalpha() and path[1:3] == ":/"):
        return "is absolute"
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return "leaves the repository"
    return None


def _sarif_uris(run: dict[str, Any]) -> Iterator[str]:
    def of(locations: list[dict[str, Any]]) -> Iterator[str]:
        for location in locations:
            uri = location.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            if uri is not None:
                yield uri

    for result in run.get("results", []):
        yield from of(result.get("locations", []))
    for invocation in run.get("invocations", []):
        for notification in invocation.get("toolExecutionNotifications", []):
            yield from of(notification.get("locations", []))


def _json_paths(report: dict[str, Any]) -> Iterator[str]:
    for item in [*report["findings"], *report.get("notifications", [])]:
        if item.get("path") is not None:
            yield item["path"]


def _location_warnings(name: str, locations: Iterator[str], what: str) -> list[str]:
    uri = what == "location"
    found = dict.fromkeys((at, why) for at in locations if (why := outside(at, uri=uri)) is not None)
    return [f"{name}: {what} '{at}' {why}; it points at no file of the repository" for at, why in found]


# --- merging ------------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _unique(items: Sequence[Any]) -> list[Any]:
    """``items`` without repeats (equal as JSON), in order."""
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(_canonical(item), item)
    return list(seen.values())


def _result_key(result: dict[str, Any]) -> tuple[str, int, str, str]:
    location = (result.get("locations") or [{}])[0].get("physicalLocation", {})
    fingerprints = result.get("partialFingerprints")
    return (
        location.get("artifactLocation", {}).get("uri", ""),
        location.get("region", {}).get("startLine", 0),
        result.get("ruleId", ""),
        # without fingerprints, only the same result is the same result
        _canonical(fingerprints) if fingerprints else _canonical(result),
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


def _level_counts(levels: Iterable[tuple[bool, Any]]) -> dict[str, int]:
    """Findings by level from (suppressed, level) pairs: recounted from the merged findings, so
    that a finding two reports share counts once."""
    counts = dict.fromkeys(_LEVEL_COUNTS, 0)
    for suppressed, level in levels:
        if suppressed:
            counts["suppressed"] += 1
        elif level in counts:
            counts[level] += 1
    return counts


def _united_rules(rule_lists: Iterable[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The rules of every report, the first of each id, sorted by id."""
    rules: dict[str, dict[str, Any]] = {}
    for rule in itertools.chain.from_iterable(rule_lists):
        rules.setdefault(rule["id"], rule)
    return sorted(rules.values(), key=lambda r: r["id"])


def _sarif_results(runs: Sequence[dict[str, Any]], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs' results, sorted, each kept once (the same shard twice adds nothing), their
    ``ruleIndex`` recomputed against the merged rule list."""
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [
        {k: v for k, v in r.items() if k != "ruleIndex"} for run in runs for r in run.get("results", [])
    ]
    unique: dict[tuple[str, int, str, str], dict[str, Any]] = {}
    for result in sorted(results, key=_result_key):
        if result.get("ruleId") in index:
            result["ruleIndex"] = index[result["ruleId"]]
        unique.setdefault(_result_key(result), result)
    return list(unique.values())


def _sarif_invocation(runs: Sequence[dict[str, Any]], warnings: Sequence[str]) -> dict[str, Any]:
    """The merged run's one invocation: successful only if every run's was, with their
    notifications and the merge's own warnings, each once."""
    invocations = [invocation for run in runs for invocation in run.get("invocations", [])]
    notifications = [n for i in invocations for n in i.get("toolExecutionNotifications", [])]
    notifications += [{"level": "warning", "message": {"text": text}} for text in warnings]
    return {
        "executionSuccessful": all(i.get("executionSuccessful", True) for i in invocations),
        "toolExecutionNotifications": _unique(notifications),
    }


def _summarize_run(merged: dict[str, Any], runs: Sequence[dict[str, Any]]) -> None:
    """Recount the merged run's ``properties.summary`` and unite its ``swept`` lists; a run
    without a summary gets none."""
    properties = [run.get("properties") or {} for run in runs]
    if not any("summary" in p for p in properties):
        return
    counts, swept = _read_counts([p.get("summary") for p in properties], [p.get("swept") for p in properties])
    levels = _level_counts(
        (bool(r.get("suppressions")), r.get("level", "warning")) for r in merged["results"]
    )
    merged.setdefault("properties", {})["summary"] = {
        **{k: v for k, v in counts.items() if v is not None},
        **levels,
    }
    if swept is not None:
        merged["properties"]["swept"] = swept


def _merge_runs(runs: Sequence[dict[str, Any]], warnings: Sequence[str]) -> dict[str, Any]:
    """The runs of one category as one run; what merging does not recompute is the first run's."""
    merged = copy.deepcopy(runs[0])
    rules = _united_rules(run["tool"]["driver"].get("rules", []) for run in runs)
    merged["tool"]["driver"]["rules"] = rules
    merged["results"] = _sarif_results(runs, rules)
    merged["invocations"] = [_sarif_invocation(runs, warnings)]
    _summarize_run(merged, runs)
    return merged


def merge_sarif(reports: Sequence[tuple[str, dict[str, Any]]]) -> Merged:
    """One run per category, in category order; the first report's other members kept."""
    by_category: dict[str, list[dict[str, Any]]] = {}
    warnings: dict[str, list[str]] = {}
    for name, report in reports:
        for run in report["runs"]:
            category = run.get("automationDetails", {}).get("id", "")
            by_category.setdefault(category, []).append(run)
            found = _location_warnings(name, _sarif_uris(run), "location")
            warnings.setdefault(category, []).extend(found)
    merged = copy.deepcopy({k: v for k, v in reports[0][1].items() if k != "runs"})
    merged["runs"] = [_merge_runs(by_category[c], warnings[c]) for c in sorted(by_category)]
    return Merged("sarif", merged, tuple(w for c in sorted(warnings) for w in warnings[c]))


def _finding_key(finding: dict[str, Any]) -> tuple[str, int, str, str]:
    """The order of :func:`_result_key`, for a JSON report's findings."""
    fingerprint = finding.get("fingerprint") or _canonical(finding)
    return (finding.get("path") or "", finding.get("line") or 0, finding.get("rule_id", ""), fingerprint)


def _json_findings(reports: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every report's findings, sorted, each kept once; a finding that names no category takes
    its report's, so that the merged report still tells which run found it."""
    findings = [
        {**f, "category": f.get("category", r.get("category"))} for _, r in reports for f in r["findings"]
    ]
    return _unique(sorted(findings, key=_finding_key))


def merge_json(reports: Sequence[tuple[str, dict[str, Any]]]) -> Merged:
    """One report; the first report's other members kept, the reports' categories joined with
    ``+``."""
    merged = copy.deepcopy({k: v for k, v in reports[0][1].items() if k not in ("findings", "notifications")})
    findings = _json_findings(reports)
    warnings = [w for name, r in reports for w in _location_warnings(name, _json_paths(r), "path")]
    notifications = [n for _, r in reports for n in r.get("notifications", [])]
    notifications += [
        {"level": "warning", "message": text, "path": None, "line": None, "fatal": False} for text in warnings
    ]
    counts, swept = _read_counts([r.get("summary") for _, r in reports], [r.get("swept") for _, r in reports])
    if any("swept" in r for _, r in reports):
        merged["swept"] = swept
    categories = sorted({r["category"] for _, r in reports if "category" in r})
    if categories:
        merged["category"] = "+".join(categories)
    merged.update(
        summary={**_level_counts((bool(f.get("suppressed")), f.get("level")) for f in findings), **counts},
        findings=findings,
        notifications=_unique(notifications),
        rules=_united_rules(r.get("rules", []) for _, r in reports),
    )
    return Merged("json", merged, tuple(warnings))


def merge(texts: Sequence[tuple[str, str]]) -> Merged:
    """Merge the reports ``texts`` ((name, text) pairs), all of one format. MergeError, one line
    starting with the report's name, when one is not a report or the formats differ."""
    if not texts:
        raise MergeError("nothing to merge")
    reports: list[tuple[str, dict[str, Any]]] = []
    kinds: dict[str, str] = {}
    first: dict[str, str] = {}  # canonical text -> the name it was first read as
    twice: list[str] = []
    for name, text in texts:
        try:
            kind, report = load(text)
        except MergeError as exc:
            raise MergeError(f"{name}: {exc}") from None
        kinds.setdefault(kind, name)
        key = _canonical(report)
        if key in first:
            twice.append(f"{name}: the same report as {first[key]}; read once")
            continue
        first[key] = name
        reports.append((name, report))
    if len(kinds) > 1:
        raise MergeError(
            f"cannot merge SARIF ({kinds['sarif']}) with JSON reports ({kinds['json']}); "
            "merge each format separately"
        )
    merged = merge_sarif(reports) if "sarif" in kinds else merge_json(reports)
    return Merged(merged.kind, merged.document, (*twice, *merged.warnings))
