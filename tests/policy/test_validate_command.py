"""`m2m-guard policy validate`, policy warnings in `scan`, and the help of the policy commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from m2m_guard.cli import main
from m2m_guard.policy import discover

CLEAN = """\
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Svc:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: svc
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
"""
STALE_WAIVER = """\
version: 1
rules:
  - {id: MIXED-FLOWS, type: mixed_oauth_flows}
waivers:
  - {rule: MIXED-FLOW, reason: r, expires: 2027-03-31}
"""
WARNING = (
    "p.yaml:5: warning: waivers[0].rule: 'MIXED-FLOW' matches no rule id of this policy "
    "(did you mean 'MIXED-FLOWS'?)"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_without_a_file_validates_the_discovered_policy(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".m2m-guard.yaml").write_text("version: 1\nrules:\n  - {id: A, type: mixed_oauth_flows}\n")
    (repo / "infra").mkdir()
    monkeypatch.chdir(repo / "infra")
    assert run(capsys, "policy", "validate") == (
        0,
        "Validating ../.m2m-guard.yaml, the policy `m2m-guard scan` uses here (nearest .m2m-guard.yaml).\n"
        "../.m2m-guard.yaml: valid policy, 1 rule, 0 waivers.\n",
        "",
    )


def test_without_a_file_reports_the_errors_of_the_discovered_policy(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".m2m-guard.yaml").write_text(
        "version: 1\nrules:\n  - {id: A, type: max_access_token_ttl, max: 90}\n"
    )
    assert run(capsys, "policy", "validate") == (
        2,
        "Validating .m2m-guard.yaml, the policy `m2m-guard scan` uses here (nearest .m2m-guard.yaml).\n",
        ".m2m-guard.yaml:3: rules[0].max: 90 has no unit; did you mean 90m (90 minutes)?\n",
    )


def test_without_a_file_or_a_policy_validates_the_default_pack(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if discover(repo) is not None:
        pytest.skip("a .m2m-guard.yaml above the temporary directory")
    code, out, err = run(capsys, "policy", "validate")
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert first == (
        "Validating the built-in default pack, the policy `m2m-guard scan` uses here "
        "(no .m2m-guard.yaml in this directory or its parents)."
    )
    assert second.startswith("built-in default: valid policy, ")


def test_warnings_do_not_fail_validate(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "p.yaml").write_text(STALE_WAIVER)
    assert run(capsys, "policy", "validate", "p.yaml") == (
        0,
        "p.yaml: valid policy, 1 rule, 1 waiver, 1 warning.\n",
        WARNING + "\n",
    )


def test_warnings_print_with_the_errors_sorted_by_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "p.yaml").write_text(
        STALE_WAIVER.replace("version: 1", "version: 1\nextra: 1").replace("5:", "6:")
    )
    code, out, err = run(capsys, "policy", "validate", "p.yaml")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "p.yaml:2: extra: unknown key 'extra' (allowed: pricing, rules, version, waivers)",
        WARNING.replace("p.yaml:5:", "p.yaml:6:"),
    ]


def test_scan_prints_policy_warnings_and_does_not_fail(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "p.yaml").write_text(STALE_WAIVER)
    (repo / "auth.yaml").write_text(CLEAN)
    code, out, err = run(capsys, "scan", "auth.yaml", "--policy", "p.yaml", "--format", "json")
    assert code == 0
    assert WARNING in err.splitlines()
    assert "warning: waivers" not in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--help"], ".tf files"),
        (["rules", "--help"], "List every rule type a policy can use"),
        (["checkov-dir", "--help"], "--external-checks-dir"),
        (["policy", "--help"], "`validate` checks them"),
        (["policy", "schema", "--help"], "JSON Schema of policy files"),
        (["policy", "validate", "--help"], "Without FILE, check the policy `m2m-guard scan`"),
    ],
)
def test_help_describes_the_command(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert words in " ".join(out.split())
