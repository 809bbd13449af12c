"""SARIF snapshots: the exact bytes users upload, reviewed as diffs.

``pytest --update-snapshots`` rewrites ``tests/expected/reporters/*.sarif``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from m2m_guard.reporters import sarif
from tests.reporters.support import CASES, github_problems, schema_errors

EXPECTED = Path(__file__).resolve().parent.parent / "expected" / "reporters"


@pytest.mark.parametrize("case", sorted(CASES))
def test_sarif_matches_snapshot(case: str, update_snapshots: bool) -> None:
    path = EXPECTED / f"{case}.sarif"
    actual = sarif.render(CASES[case]())
    if update_snapshots:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run pytest --update-snapshots"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_snapshot_is_valid_and_uploadable(case: str) -> None:
    # Checks the committed file itself, so a hand-edited snapshot cannot drift out of spec.
    log = json.loads((EXPECTED / f"{case}.sarif").read_text(encoding="utf-8"))
    assert schema_errors(log) == []
    assert github_problems(log) == []
