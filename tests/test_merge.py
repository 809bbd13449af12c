"""`m2m-guard merge`: reports anyone may have edited, merged or refused in one line, never a crash."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.merge import MergeError, merge, outside
from m2m_guard.merge_shapes import MAX_DEPTH
from m2m_guard.reporters import json_report, sarif
from m2m_guard.reporters.safe import UNSAFE
from tests.reporters.support import (
    HOSTILE,
    github_problems,
    hostile_result,
    iac_result,
    live_result,
    schema_errors,
)

SARIF = sarif.sarif_log(iac_result())
JSON = json_report.report(iac_result())


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, document: Any) -> str:
    (folder / name).write_text(document if isinstance(document, str) else json.dumps(document))
    return name


def run(capsys: pytest.CaptureFixture[str], *files: str) -> tuple[int, str, str]:
    code = main(["merge", *files])
    out, err = capsys.readouterr()
    return code, out, err


def edited(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``document`` with the value at ``path`` (``runs.0.tool``) replaced, or removed if ...."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    at: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[at]
    else:
        node[at] = value
    return document


def sarif_with_start_line(value: Any) -> dict[str, Any]:
    return edited(SARIF, "runs.0.results.1.locations.0.physicalLocation.region.startLine", value)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "neither an m2m-guard SARIF nor an m2m-guard JSON report"),
        (edited(SARIF, "runs.0", "run"), "not an m2m-guard SARIF report: runs[0]: not an object"),
        (edited(SARIF, "runs", {}), "not an m2m-guard SARIF report: runs: not an array"),
        (edited(SARIF, "runs.0.tool", ...), "not an m2m-guard SARIF report: runs[0].tool: missing"),
        (edited(SARIF, "runs.0.tool.driver", 3), "runs[0].tool.driver: not an object"),
        (
            edited(SARIF, "runs.0.tool.driver.rules.1", "TTL-MAX"),
            "runs[0].tool.driver.rules[1]: not an object",
        ),
        (edited(SARIF, "runs.0.tool.driver.rules.0.id", 7), "runs[0].tool.driver.rules[0].id: not a string"),
        (
            edited(SARIF, "runs.0.results.0.locations.0", None),
            "runs[0].results[0].locations[0]: not an object",
        ),
        (edited(SARIF, "runs.0.results.2", []), "runs[0].results[2]: not an object"),
        (
            sarif_with_start_line("12"),
            "runs[0].results[1].locations[0].physicalLocation.region.startLine: not an integer",
        ),
        (sarif_with_start_line(True), "region.startLine: not an integer"),
        (
            edited(SARIF, "runs.0.invocations.0.toolExecutionNotifications.0", "oops"),
            "runs[0].invocations[0].toolExecutionNotifications[0]: not an object",
        ),
        (edited(SARIF, "runs.0.automationDetails.id", ["a"]), "runs[0].automationDetails.id: not a string"),
        (
            edited(SARIF, "runs.0.properties.swept", {"accounts": 3}),
            "properties.swept.accounts: not an array",
        ),
        (edited(JSON, "findings.0", "finding"), "not an m2m-guard JSON report: findings[0]: not an object"),
        (edited(JSON, "findings.1.line", "7"), "findings[1].line: not an integer or null"),
        (edited(JSON, "notifications.0", 1), "notifications[0]: not an object"),
        (edited(JSON, "summary", []), "summary: not an object"),
        (edited(JSON, "rules.0", {"type": "x"}), "rules[0].id: missing"),
        ('{"version": "2.1.0", "runs": [{"x": NaN}]}', "not valid JSON: NaN is not a JSON number"),
        (
            '{"version": "2.1.0", "runs": [{"x": -Infinity}]}',
            "not valid JSON: -Infinity is not a JSON number",
        ),
        ('{"version": "2.1.0", "runs": [{"x": 1e999}]}', "not valid JSON: the number 1e999 is out of range"),
        ('{"version": "2.1.0", "findings": []}', "neither an m2m-guard SARIF nor an m2m-guard JSON report"),
        ("not json", "not a JSON or SARIF report"),
    ],
)
def test_a_malformed_report_is_one_line_naming_the_file_and_exit_2(
    folder: Path, capsys: pytest.CaptureFixture[str], document: Any, message: str
) -> None:
    good = write(folder, "good.sarif", SARIF if "JSON report" not in message else JSON)
    bad = write(folder, "bad report.json", document)
    code, out, err = run(capsys, good, bad)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("bad report.json: ") and message in err, err


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 5_000, 100_000])
def test_deep_nesting_is_refused_not_a_crash(
    folder: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    write(
        folder,
        "deep.sarif",
        json.dumps(edited(SARIF, "runs.0.properties.x", 0)).replace("0}", nested + "}", 1),
    )
    code, out, err = run(capsys, "deep.sarif")
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("deep.sarif: not a")


def test_nesting_up_to_the_limit_is_merged(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep: Any = 0
    for _ in range(MAX_DEPTH - 4):  # under runs[0].properties.x
        deep = [deep]
    write(folder, "deep.sarif", edited(SARIF, "runs.0.properties.x", deep))
    code, out, _ = run(capsys, "deep.sarif")
    assert code == 0 and json.loads(out)["runs"][0]["properties"]["x"] == deep


def test_sarif_and_json_together_name_both_files(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, write(folder, "a.sarif", SARIF), write(folder, "b.json", JSON))
    assert code == 2 and err == (
        "cannot merge SARIF (a.sarif) with JSON reports (b.json); merge each format separately\n"
    )


@pytest.mark.parametrize("document", [SARIF, JSON], ids=["sarif", "json"])
def test_the_same_report_twice_is_read_once(
    folder: Path, capsys: pytest.CaptureFixture[str], document: dict[str, Any]
) -> None:
    write(folder, "a.json", document)
    write(folder, "copy.json", document)
    code, once, _ = run(capsys, "a.json")
    assert code == 0
    code, twice, err = run(capsys, "a.json", "copy.json", "a.json")
    assert code == 0 and twice == once
    assert err == (
        "warning: copy.json: the same report as a.json; read once\n"
        "warning: a.json: the same report as a.json; read once\n"
    )


def test_findings_and_notifications_two_reports_share_are_kept_once(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a second shard that reports the same expired waiver and one finding of the first again
    other = edited(SARIF, "runs.0.results", SARIF["runs"][0]["results"][:1])
    other = edited(other, "runs.0.properties.summary.files", 1)
    write(folder, "a.sarif", SARIF)
    write(folder, "b.sarif", other)
    code, out, _ = run(capsys, "a.sarif", "b.sarif")
    assert code == 0
    (merged,) = json.loads(out)["runs"]
    assert len(merged["results"]) == len(SARIF["runs"][0]["results"])
    notes = merged["invocations"][0]["toolExecutionNotifications"]
    assert notes == SARIF["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    json_other = edited(JSON, "findings", JSON["findings"][:2])
    json_other = edited(json_other, "summary.files", 1)
    write(folder, "a.json", JSON)
    write(folder, "b.json", json_other)
    code, out, _ = run(capsys, "a.json", "b.json")
    data = json.loads(out)
    assert len(data["findings"]) == len(JSON["findings"]) and data["notifications"] == JSON["notifications"]
    assert data["summary"]["error"] == JSON["summary"]["error"]


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("file:///etc/passwd", "is absolute"),
        ("https://evil.example/x.yaml", "is absolute"),
        ("//host/share/x.yaml", "is absolute"),
        ("/etc/passwd", "is absolute"),
        ("C:/Users/x.yaml", "is absolute"),
        ("../outside.yaml", "leaves the repository"),
        ("infra/../../outside.yaml", "leaves the repository"),
        ("%2e%2e/outside.yaml", "leaves the repository"),
        ("..%5Coutside.yaml", "leaves the repository"),
        ("..", "leaves the repository"),
    ],
)
def test_locations_outside_the_repository_are_reported(
    folder: Path, capsys: pytest.CaptureFixture[str], uri: str, why: str
) -> None:
    write(folder, "a.sarif", SARIF)
    bad = edited(SARIF, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri", uri)
    notification = "runs.0.invocations.0.toolExecutionNotifications.1"  # the one with a path
    bad = edited(bad, f"{notification}.locations.0.physicalLocation.artifactLocation.uri", uri)
    write(folder, "b.sarif", edited(bad, "runs.0.properties.summary.files", 1))
    code, out, err = run(capsys, "a.sarif", "b.sarif")
    assert code == 0
    line = f"b.sarif: location '{uri}' {why}; it points at no file of the repository"
    assert err == f"warning: {line}\n"  # one line per report and location, however often it recurs
    (merged,) = json.loads(out)["runs"]
    notes = merged["invocations"][0]["toolExecutionNotifications"]
    assert {"level": "warning", "message": {"text": line}} in notes
    assert uri in {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in merged["results"]
    }


def test_json_paths_outside_the_repository_are_reported(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(folder, "a.json", edited(JSON, "findings.0.path", "../../etc/x.yaml"))
    code, out, err = run(capsys, "a.json")
    line = "a.json: path '../../etc/x.yaml' leaves the repository; it points at no file of the repository"
    assert code == 0 and err == f"warning: {line}\n"
    assert {"level": "warning", "message": line, "path": None, "line": None, "fatal": False} in json.loads(
        out
    )["notifications"]


@pytest.mark.parametrize(
    ("location", "uri", "why"),
    [
        ("infra/auth.yaml", True, None),
        ("infra/orders%20stack.yaml", True, None),
        ("a/../b.yaml", True, None),
        ("m2m-guard-inventory/123456789012/eu-west-1.json", True, None),
        ("a:b.yaml", False, None),  # a JSON path is a path, not a URI
        ("a:b.yaml", True, "is absolute"),  # a URI scheme (m2m-guard writes %3A)
        ("C:\\x.yaml", False, "is absolute"),
        ("..\\x.yaml", False, "leaves the repository"),
    ],
)
def test_outside(location: str, uri: bool, why: str | None) -> None:
    assert outside(location, uri=uri) == why


def test_merged_reports_of_hostile_names_stay_printable_and_valid(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a report edited by hand to hold raw control characters, as m2m-guard never writes them
    raw = edited(SARIF, "runs.0.results.0.message.text", HOSTILE.replace("\udcff", ""))
    raw = edited(raw, "runs.0.tool.driver.rules.0.help.markdown", "## Fix\n\n\x1b[2J\u202e")
    write(folder, "raw.sarif", raw)
    write(folder, "hostile.sarif", sarif.sarif_log(hostile_result()))
    write(folder, "live.sarif", sarif.sarif_log(live_result()))
    code, out, _ = run(capsys, "raw.sarif", "hostile.sarif", "live.sarif")
    assert code == 0
    log = json.loads(out)
    assert schema_errors(log) == []
    assert [p for p in github_problems(log) if "exactly one run" not in p] == []
    # escaped for people, not only for JSON: no "\u001b" that a reader decodes into an ESC
    assert UNSAFE.search(out.replace("\n", "")) is None and "\\u001b" not in out
    help_text = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "TTL-MAX")["help"]
    assert help_text["markdown"] == "## Fix\n\n\\x1b[2J\\u202e"


def test_merge_as_a_function() -> None:
    text = json.dumps(SARIF)
    merged = merge([("a.sarif", text), ("b.sarif", text)])
    assert merged.kind == "sarif" and merged.warnings == ("b.sarif: the same report as a.sarif; read once",)
    with pytest.raises(
        MergeError, match=r"^x\.sarif: not an m2m-guard SARIF report: runs\[0\]: not an object$"
    ):
        merge([("x.sarif", '{"version": "2.1.0", "runs": [1]}')])
    with pytest.raises(MergeError, match="nothing to merge"):
        merge([])
