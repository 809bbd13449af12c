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

Reports come from files anyone may have edited, so each is checked before anything is merged:
valid JSON without ``NaN`` or ``Infinity``, nested at most :data:`MAX_DEPTH` levels, and of the
shape m2m-guard writes wherever merging reads it (:data:`SARIF_SHAPE`, :data:`JSON_SHAPE`). A
report that is not gets one line, :class:`MergeError`, naming the place (``runs[0].tool:
missing``). The same report given twice is read once, and a finding or notification that two
reports share is kept once. A location that code scanning cannot resolve against the repository
(an absolute URI or path, or one that leaves the repository with ``..``) is kept and reported:
one warning per report and location, in the merged report and in :attr:`Merged.warnings`.
"""

from __future__ import annotations

import copy
import json
import math
import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

#: Deeper than any report m2m-guard writes (about 8), shallow enough that copying and writing
#: the document can never exhaust Python's recursion limit.
MAX_DEPTH = 64


class MergeError(Exception):
    """A report that cannot be merged; the message is one line."""


@dataclass(frozen=True)
class Merged:
    kind: str  # "sarif" or "json"
    document: dict[str, Any]
    #: One line per location outside the repository and per report given twice, for stderr.
    warnings: tuple[str, ...] = field(default=())


# --- parsing and checking -----------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise MergeError(f"not valid JSON: {name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MergeError(f"not valid JSON: the number {text[:20]} is out of range")
    return number


def parse(text: str) -> Any:
    """The JSON document in ``text``; MergeError for what is not JSON, for ``NaN``, ``Infinity``
    and numbers too large for a float, and for nesting deeper than :data:`MAX_DEPTH`."""
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except (ValueError, RecursionError):  # JSONDecodeError; an integer of over 4,300 digits
        raise MergeError("not a JSON or SARIF report") from None
    if _depth(document) > MAX_DEPTH:
        raise MergeError(f"not an m2m-guard report: nested deeper than {MAX_DEPTH} levels")
    return document


def _depth(document: Any) -> int:
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


# Shapes: what merging reads, checked before merging so that no wrong type reaches it. A dict
# is an object whose listed keys, when present, have the given shape ("!" marks a key that must
# be present); [shape] an array of that shape; a tuple a choice; dict or list any object or array.
_LOCATION = {"physicalLocation": {"artifactLocation": {"uri": str}, "region": {"startLine": int}}}
_SWEPT = {"accounts": [str], "regions": [str]}
SARIF_RUN: dict[str, Any] = {
    "!tool": {"!driver": {"rules": [{"!id": str}]}},
    "automationDetails": {"id": str},
    "results": [
        {
            "ruleId": str,
            "level": str,
            "locations": [_LOCATION],
            "partialFingerprints": dict,
            "suppressions": list,
        }
    ],
    "invocations": [
        {
            "executionSuccessful": bool,
            "toolExecutionNotifications": [
                {"level": str, "message": {"text": str}, "locations": [_LOCATION]}
            ],
        }
    ],
    "properties": {"summary": dict, "swept": _SWEPT},
}
SARIF_SHAPE: dict[str, Any] = {"!version": str, "!runs": [SARIF_RUN]}
JSON_SHAPE: dict[str, Any] = {
    "!findings": [
        {
            "rule_id": str,
            "level": str,
            "path": (str, None),
            "line": (int, None),
            "fingerprint": str,
            "suppressed": bool,
            "category": (str, None),  # merge writes null for a report that named none
        }
    ],
    "!summary": dict,
    "notifications": [{"level": str, "message": str, "path": (str, None), "line": (int, None)}],
    "rules": [{"!id": str}],
    "category": str,
    "swept": (_SWEPT, None),
}
_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "an object", list: "an array"}


def _conforms(value: Any, shape: Any) -> bool:
    if isinstance(shape, tuple):
        return any(_conforms(value, choice) for choice in shape)
    if shape is None:
        return value is None
    if shape is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(shape, type):
        return isinstance(value, shape)
    return isinstance(value, dict if isinstance(shape, dict) else list)


def _expected(shape: Any) -> str:
    if isinstance(shape, tuple):
        return " or ".join(_expected(choice) for choice in shape)
    if shape is None:
        return "null"
    return _NAMES[shape] if isinstance(shape, type) else _NAMES[type(shape)]


def check(value: Any, shape: Any, where: str = "") -> None:
    """MergeError naming the first place where ``value`` does not have ``shape``."""
    if not _conforms(value, shape):
        raise MergeError(f"{where or 'the report'}: not {_expected(shape)}")
    if isinstance(shape, tuple):
        shape = next(choice for choice in shape if _conforms(value, choice))
    if isinstance(shape, list) and shape:
        for i, item in enumerate(value):
            check(item, shape[0], f"{where}[{i}]")
    elif isinstance(shape, dict):
        for key, inner in shape.items():
            name = key.lstrip("!")
            path = f"{where}.{name}" if where else name
            if name in value:
                check(value[name], inner, path)
            elif key.startswith("!"):
                raise MergeError(f"{path}: missing")


def kind_of(report: Any) -> str:
    if isinstance(report, dict) and report.get("version") == "2.1.0" and "runs" in report:
        return "sarif"
    if isinstance(report, dict) and "findings" in report and "summary" in report:
        return "json"
    raise MergeError("neither an m2m-guard SARIF nor an m2m-guard JSON report")


def load(text: str) -> tuple[str, dict[str, Any]]:
    """(kind, report) from the text of one report, checked; MergeError (one line) if it is not one."""
    report = parse(text)
    kind = kind_of(report)
    try:
        check(report, SARIF_SHAPE if kind == "sarif" else JSON_SHAPE)
    except MergeError as exc:
        raise MergeError(f"not an m2m-guard {'SARIF' if kind == 'sarif' else 'JSON'} report: {exc}") from None
    return kind, report


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


def _level_counts(results: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(_LEVEL_COUNTS, 0)
    for result in results:
        if result.get("suppressions"):
            counts["suppressed"] += 1
        elif result.get("level", "warning") in counts:
            counts[result.get("level", "warning")] += 1
    return counts


def _merge_runs(runs: Sequence[dict[str, Any]], warnings: Sequence[str]) -> dict[str, Any]:
    merged = copy.deepcopy(runs[0])
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    success = True
    for run in runs:
        for rule in run["tool"]["driver"].get("rules", []):
            rules.setdefault(rule["id"], rule)
        for result in run.get("results", []):
            result = dict(result)
            result.pop("ruleIndex", None)  # recomputed below against the merged rule list
            results.append(result)
        for invocation in run.get("invocations", []):
            success = success and invocation.get("executionSuccessful", True)
            notifications.extend(invocation.get("toolExecutionNotifications", []))
    notifications += [{"level": "warning", "message": {"text": text}} for text in warnings]
    ordered = sorted(rules.values(), key=lambda r: r["id"])
    index = {rule["id"]: i for i, rule in enumerate(ordered)}
    unique: dict[tuple[str, int, str, str], dict[str, Any]] = {}
    for result in sorted(results, key=_result_key):
        if result.get("ruleId") in index:
            result["ruleIndex"] = index[result["ruleId"]]
        unique.setdefault(_result_key(result), result)  # the same shard twice adds nothing
    merged["tool"]["driver"]["rules"] = ordered
    merged["results"] = list(unique.values())
    merged["invocations"] = [
        {"executionSuccessful": success, "toolExecutionNotifications": _unique(notifications)}
    ]
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


def merge_sarif(reports: Sequence[tuple[str, dict[str, Any]]]) -> Merged:
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


def merge_json(reports: Sequence[tuple[str, dict[str, Any]]]) -> Merged:
    merged = copy.deepcopy({k: v for k, v in reports[0][1].items() if k not in ("findings", "notifications")})
    findings: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    rules: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    categories = sorted({r["category"] for _, r in reports if "category" in r})
    for name, report in reports:
        for finding in report["findings"]:
            findings.append({**finding, "category": finding.get("category", report.get("category"))})
        notifications.extend(report.get("notifications", []))
        for rule in report.get("rules", []):
            rules.setdefault(rule["id"], rule)
        warnings += _location_warnings(name, _json_paths(report), "path")
    notifications += [
        {"level": "warning", "message": text, "path": None, "line": None, "fatal": False} for text in warnings
    ]
    findings.sort(
        key=lambda f: (
            f.get("path") or "",
            f.get("line") or 0,
            f.get("rule_id", ""),
            f.get("fingerprint") or _canonical(f),
        )
    )
    findings = _unique(findings)
    summary: dict[str, int | None] = dict.fromkeys(_LEVEL_COUNTS, 0)
    for finding in findings:
        if finding.get("suppressed"):
            summary["suppressed"] = (summary["suppressed"] or 0) + 1
        elif finding.get("level") in summary:
            summary[finding["level"]] = (summary[finding["level"]] or 0) + 1
    counts, swept = _read_counts([r.get("summary") for _, r in reports], [r.get("swept") for _, r in reports])
    summary.update(counts)
    if any("swept" in r for _, r in reports):
        merged["swept"] = swept
    if categories:
        merged["category"] = "+".join(categories)
    merged.update(
        summary=summary,
        findings=findings,
        notifications=_unique(notifications),
        rules=sorted(rules.values(), key=lambda r: r["id"]),
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
