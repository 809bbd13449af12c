"""The README's examples work when copied: policies validate, the usage file parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from m2m_guard.policy import load_policy
from m2m_guard.rules import RULES
from m2m_guard.usage_file import parse_usage

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)
POLICIES = [body for lang, body in BLOCKS if lang == "yaml" and body.startswith("version: 1")]


@pytest.mark.parametrize("body", POLICIES, ids=[f"policy{i}" for i in range(len(POLICIES))])
def test_readme_policies_validate(body: str) -> None:
    assert load_policy("README.md", body).rules


def test_readme_shows_every_rule_type() -> None:
    shown = {rule.spec.type for body in POLICIES for rule in load_policy("README.md", body).rules}
    assert shown == set(RULES)


def test_readme_usage_file_parses() -> None:
    (body,) = [body for lang, body in BLOCKS if lang == "json" and "window_days" in body]
    usage = parse_usage("README.md", body)
    assert usage.window_days == 30 and usage.counts["svc-reporting"] == 0


def test_readme_names_the_built_in_packs() -> None:
    for pack in (ROOT / "policies").glob("*.yaml"):
        assert f"[`{pack.stem}`](policies/{pack.name})" in README


def test_readme_iam_policy_is_what_the_sweep_allows() -> None:
    from m2m_guard.sweep.aws import iam_policy

    (body,) = [body for lang, body in BLOCKS if lang == "json" and "Statement" in body]
    assert json.loads(body) == iam_policy()


def test_readme_workflows_are_valid_yaml() -> None:
    import yaml

    workflows = [body for lang, body in BLOCKS if lang == "yaml" and ("jobs:" in body or "script:" in body)]
    assert len(workflows) >= 3
    for body in workflows:
        assert isinstance(yaml.safe_load(body), dict)


def test_readme_bad_policy_output_is_real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from m2m_guard.cli import main

    (policy,) = [body for lang, body in BLOCKS if lang == "yaml" and body.startswith("# bad.yaml\n")]
    (shown,) = [body for lang, body in BLOCKS if lang == "text" and "policy validate bad.yaml" in body]
    command, *expected = shown.splitlines()
    assert command == "$ m2m-guard policy validate bad.yaml"
    (tmp_path / "bad.yaml").write_text(policy)
    monkeypatch.chdir(tmp_path)
    code = main(["policy", "validate", "bad.yaml"])
    out, err = capsys.readouterr()
    assert (code, out, err.splitlines()) == (2, "", expected)
