"""Each fixture next to the report that m2m-guard gives for it.

``tests/fixtures/<source>/<case>`` (a file, or a folder of ``.tf`` files) is scanned with
``m2m-guard scan --format sarif`` and the fixed policy ``tests/fixtures/policies/snapshots.yaml``;
the log is compared with ``tests/expected/<source>/<case>.sarif``, where ``<case>`` is the
fixture's name up to its first dot. A reviewer reads the two side by side, and a change to a
reader or a rule shows up as a diff of the reports it changes. ``pytest --update-snapshots``
rewrites the snapshots (and removes those whose fixture is gone).

The scan runs in a scratch git work tree holding copies of the fixture and the policy at their
paths in the repository, so the report names them as the repository does on any machine. What
a snapshot leaves out of the log is decided in :func:`normalized`, and nowhere else.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.policy import load_policy
from m2m_guard.rules import RULES
from tests.reporters.support import github_problems, schema_errors

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
EXPECTED = ROOT / "tests" / "expected"
POLICY = "tests/fixtures/policies/snapshots.yaml"

#: The fixture folders whose every entry is a case: a template, a plan, a folder of .tf files, a
#: saved describe output. A new source's fixture folder is added here, which
#: test_every_fixture_folder_is_a_source_or_a_policy enforces.
SOURCES = ("cloudformation", "terraform", "hcl", "describe")
#: Fixture folders that hold no inputs to scan.
NOT_SOURCES = frozenset({"policies"})
#: Cases that have no snapshot, and why.
SKIPPED = {
    "cloudformation/alias_bomb.yaml": (
        "a YAML alias bomb: it ends in the error 'template too complex to evaluate' that "
        "tests/sources/test_cloudformation.py asserts, and its time and memory are bounded "
        "under the memory cap of tests/test_robustness.py"
    ),
}


def case_name(entry: str) -> str:
    """``short_form_tags.yaml`` -> ``short_form_tags``, ``cdk_synth.template.json`` ->
    ``cdk_synth``, ``after_unknown.plan.json`` -> ``after_unknown``: the snapshot's name."""
    return entry.split(".", 1)[0]


def fixture_cases() -> list[str]:
    """Every ``<source>/<entry>`` under tests/fixtures (hidden entries aside), the skipped
    ones included."""
    return [
        f"{source}/{entry.name}"
        for source in SOURCES
        for entry in sorted((FIXTURES / source).iterdir())
        if not entry.name.startswith(".")
    ]


CASES = [case for case in fixture_cases() if case not in SKIPPED]
#: Every case as a test, the skipped ones shown as skipped with their reason.
PARAMS = [
    pytest.param(case, marks=pytest.mark.skip(reason=SKIPPED[case])) if case in SKIPPED else case
    for case in fixture_cases()
]


def snapshot_path(case: str) -> Path:
    source, entry = case.split("/", 1)
    return EXPECTED / source / f"{case_name(entry)}.sarif"


def normalized(log: dict[str, Any]) -> dict[str, Any]:
    """The SARIF log as a snapshot keeps it: everything the fixture decides, nothing else.

    - ``tool.driver.semanticVersion`` is dropped: it changes with each release, not with the
      fixture.
    - Each of ``tool.driver.rules`` keeps only its ``id``, in order, so that every result's
      ``ruleIndex`` still names a rule. The rules' descriptions and help come from the policy
      and the rule registry, not from the fixture: they would be the same several hundred lines
      in every snapshot, and a change to a help text would rewrite them all. The full rule
      metadata is in the snapshot of the examples (tests/expected/examples/scan.sarif) and of
      the reporter (tests/expected/reporters/).

    Nothing else needs it: the log holds no time, no host and no absolute path (checked on the
    whole log by :func:`tests.reporters.support.github_problems`), and its paths are relative
    to the scratch work tree, which mirrors the repository.
    """
    log = copy.deepcopy(log)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    driver.pop("semanticVersion")
    driver["rules"] = [{"id": rule["id"]} for rule in driver["rules"]]
    return log


def render(log: dict[str, Any]) -> str:
    """As the SARIF reporter writes JSON: sorted keys, two-space indent, UTF-8, final newline."""
    return json.dumps(log, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def expected_exit_code(log: dict[str, Any]) -> int:
    """What ``scan`` must exit with for this log at the default ``--fail-on error``: 2 when the
    scan could not read an input, 1 when an error was found and not waived, else 0."""
    (run,) = log["runs"]
    if not all(invocation["executionSuccessful"] for invocation in run["invocations"]):
        return 2
    errors = [r for r in run["results"] if r["level"] == "error" and not r.get("suppressions")]
    return 1 if errors else 0


def copy_case(case: str, repo: Path) -> None:
    """The fixture and the policy, copied to their repository paths under ``repo``."""
    for relative in (f"tests/fixtures/{case}", POLICY):
        source, target = ROOT / relative, repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)


def scan(case: str, repo: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``m2m-guard scan --format sarif`` of ``case``, checked for what every scan promises: a
    schema-valid log GitHub accepts, and an exit code that agrees with it."""
    copy_case(case, repo)
    code = main(["scan", "--policy", POLICY, "--format", "sarif", f"tests/fixtures/{case}"])
    out, _ = capsys.readouterr()
    log: dict[str, Any] = json.loads(out)
    assert schema_errors(log) == []
    assert github_problems(log) == []
    assert code == expected_exit_code(log)
    return log


@pytest.mark.parametrize("case", PARAMS)
def test_report_matches_snapshot(
    case: str, repo: Path, capsys: pytest.CaptureFixture[str], update_snapshots: bool
) -> None:
    actual = render(normalized(scan(case, repo, capsys)))
    path = snapshot_path(case)
    if update_snapshots:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run pytest --update-snapshots"
    stored = path.read_text(encoding="utf-8")
    # the committed file itself, so that a hand-edited snapshot cannot drift out of the schema
    assert schema_errors(json.loads(stored)) == []
    assert actual == stored


def test_every_snapshot_has_its_fixture(update_snapshots: bool) -> None:
    """A snapshot whose fixture was renamed or removed would be reviewed as if it still
    showed something: ``--update-snapshots`` removes it, a plain run names it."""
    wanted = {snapshot_path(case) for case in CASES}
    stale = sorted(p for source in SOURCES for p in (EXPECTED / source).glob("*") if p not in wanted)
    if update_snapshots:
        for path in stale:
            path.unlink()
        stale = []
    assert [str(p.relative_to(ROOT)) for p in stale] == []


def test_case_names_are_unique() -> None:
    """Two fixtures of one source that differ only after the first dot (``x.yaml`` and
    ``x.json``) would share a snapshot."""
    names = [snapshot_path(case) for case in CASES]
    assert len(set(names)) == len(names)


def test_every_fixture_folder_is_a_source_or_a_policy() -> None:
    """A new source's fixtures get snapshots only once its folder is in ``SOURCES``."""
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders == set(SOURCES) | NOT_SOURCES


def test_skipped_cases_exist() -> None:
    """A skip outlives its fixture silently otherwise."""
    assert set(SKIPPED) <= set(fixture_cases())


def test_policy_fixture_uses_every_rule_type() -> None:
    """The snapshots exercise every rule type only while the policy names each one."""
    policy = load_policy(POLICY, (ROOT / POLICY).read_text(encoding="utf-8"))
    assert {rule.spec.type for rule in policy.rules} == set(RULES)
