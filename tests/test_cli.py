"""The command line: exit codes, formats, policy discovery and commands, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from m2m_guard import __version__
from m2m_guard.cli import main

GOOD = """\
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Cognito::UserPoolResourceServer
    Properties: {UserPoolId: !Ref Pool, Identifier: orders, Name: orders}
  Svc:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: svc
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [!Sub "${Api}/read"]
      AccessTokenValidity: 30
      TokenValidityUnits: {AccessToken: minutes}
"""
LONG_TTL = GOOD.replace("AccessTokenValidity: 30", "AccessTokenValidity: 24").replace(
    "AccessToken: minutes", "AccessToken: hours"
)
SHORT_TTL = GOOD.replace("AccessTokenValidity: 30", "AccessTokenValidity: 6")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_repo_exits_0(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/auth.yaml", GOOD)
    write(repo, "package.json", '{"name": "app"}')
    code, out, err = run(capsys, "scan")
    assert (code, err) == (0, "")
    assert out == "Checked 1 M2M client in 1 of 2 files: no findings.\n"


@pytest.mark.parametrize(
    ("files", "summary"),
    [
        ({}, "Checked 0 M2M clients in 0 of 0 files: no findings."),
        ({"config/app.yaml": "key: value\n"}, "Checked 0 M2M clients in 0 of 1 file: no findings."),
        (
            {"web.yaml": GOOD.replace("[client_credentials]", "[code]")},
            "Checked 0 M2M clients in 0 of 1 file: no findings.",
        ),
    ],
    ids=["empty folder", "no Cognito resources", "user-facing clients only"],
)
def test_nothing_to_check_says_so(
    repo: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], summary: str
) -> None:
    for name, text in files.items():
        write(repo, name, text)
    code, out, _ = run(capsys, "scan")
    assert (code, out) == (0, summary + "\n")
    code, out, _ = run(capsys, "scan", "--format", "json")
    counts = json.loads(out)["summary"]
    assert (counts["m2m_clients"], counts["files"]) == (0, len(files))


def test_possibly_m2m_clients_are_counted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    maybe = GOOD.replace("Resources:", "Parameters:\n  Flows: {Type: String}\nResources:").replace(
        "AllowedOAuthFlows: [client_credentials]", "AllowedOAuthFlows: [!Ref Flows]"
    )
    write(repo, "a.yaml", GOOD)
    write(repo, "b.yaml", maybe)
    code, out, _ = run(capsys, "scan")
    assert out.splitlines()[-1].startswith("Checked 2 M2M clients (1 possibly M2M) in 2 of 2 files: ")


def test_error_finding_exits_1_with_file_and_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/auth.yaml", LONG_TTL)
    code, out, _ = run(capsys, "scan", ".")
    assert code == 1
    assert "infra/auth.yaml" in out
    assert "16:" in out and "AccessTokenValidity is 1 day; policy M2M-TTL-MAX allows at most 1 hour." in out


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 0), ("warning", 1), ("note", 1), ("never", 0)])
def test_fail_on_threshold(
    repo: Path, capsys: pytest.CaptureFixture[str], fail_on: str, expected: int
) -> None:
    write(repo, "auth.yaml", SHORT_TTL)  # 6 minutes: only the TTL-MIN warning
    code, out, _ = run(capsys, "scan", "--fail-on", fail_on)
    assert code == expected
    assert "M2M-TTL-MIN" in out


def test_never_still_exits_2_on_input_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "auth.yaml", GOOD)
    write(repo, "broken.yaml", "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n   bad: [\n")
    code, out, _ = run(capsys, "scan", "--fail-on", "never")
    assert code == 2
    assert "broken.yaml:4: invalid YAML" in out


def test_input_error_does_not_hide_other_findings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "a.yaml", LONG_TTL)
    write(repo, "b.json", '{"Resources": {"C": {"Type": "AWS::Cognito::UserPoolClient",')
    code, out, err = run(capsys, "scan", "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert [f["rule_id"] for f in report["findings"]] == ["M2M-TTL-MAX"]
    (note,) = report["notifications"]
    assert note["path"] == "b.json" and note["fatal"] is True
    assert "b.json:1: invalid JSON" in err  # also told on stderr when the report is JSON


def test_broken_file_without_cognito_is_ignored(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "auth.yaml", GOOD)
    write(repo, "config/app.yaml", "key: [unclosed\n")
    write(repo, "node_modules/x/t.yaml", LONG_TTL)
    write(repo, ".hidden/t.yaml", LONG_TTL)
    assert run(capsys, "scan")[0] == 0


def test_named_broken_file_is_fatal_even_without_cognito(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "app.yaml", "key: [unclosed\n")
    code, out, _ = run(capsys, "scan", "app.yaml")
    assert code == 2 and "app.yaml:2: invalid YAML" in out


def test_missing_path_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", "nope.yaml")
    assert code == 2 and "nope.yaml: no such file or directory" in out


def test_text_paths_are_relative_to_the_working_directory(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "infra/auth.yaml", LONG_TTL)
    write(repo, "docs/readme.yaml", "x: 1\n")
    monkeypatch.chdir(repo / "docs")
    code, out, _ = run(capsys, "scan", "../infra", "gone.yaml")
    assert code == 2
    assert "\n../infra/auth.yaml:16:  error    M2M-TTL-MAX" in "\n" + out  # opens from docs/
    assert "error: gone.yaml: no such file or directory" in out
    code, out, _ = run(capsys, "scan", "../infra", "gone.yaml", "--format", "json")
    report = json.loads(out)
    assert report["findings"][0]["path"] == "infra/auth.yaml"  # JSON and SARIF: from the root
    assert report["notifications"][0]["path"] == "docs/gone.yaml"


def test_sarif_output_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/auth.yaml", LONG_TTL)
    code, out, err = run(capsys, "scan", "--format", "sarif", "--output", "m2m.sarif")
    assert code == 1 and out == ""
    sarif = json.loads((repo / "m2m.sarif").read_text())
    (result,) = sarif["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "infra/auth.yaml"
    assert location["region"]["startLine"] == 16


def test_paths_are_relative_to_the_git_root(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "infra/auth.yaml", LONG_TTL)
    monkeypatch.chdir(repo / "infra")
    code, out, _ = run(capsys, "scan", ".", "--format", "json")
    assert json.loads(out)["findings"][0]["path"] == "infra/auth.yaml"


def test_policy_discovered_upward(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        repo, ".m2m-guard.yaml", "version: 1\nrules:\n  - {id: MY-TTL, type: max_access_token_ttl, max: 1d}\n"
    )
    write(repo, "sub/auth.yaml", LONG_TTL)
    monkeypatch.chdir(repo / "sub")
    assert run(capsys, "scan")[0] == 0  # 1 day is allowed by the discovered policy
    write(
        repo, ".m2m-guard.yaml", "version: 1\nrules:\n  - {id: MY-TTL, type: max_access_token_ttl, max: 2h}\n"
    )
    code, out, _ = run(capsys, "scan")
    assert code == 1 and "MY-TTL" in out


def test_builtin_pack_by_name(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "auth.yaml", GOOD)  # 30 minutes: fine by default, too long for strict (15m)
    assert run(capsys, "scan")[0] == 0
    code, out, _ = run(capsys, "scan", "--policy", "strict")
    assert code == 1 and "allows at most 15 minutes" in out


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("version: 2\nrules: []\n", "bad.yaml:1: version: must be 1"),
        (
            "version: 1\nrules:\n  - {id: X, type: nope}\n",
            "bad.yaml:3: rules[0].type: unknown rule type 'nope'",
        ),
    ],
)
def test_invalid_policy_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str], policy: str, message: str
) -> None:
    write(repo, "bad.yaml", policy)
    write(repo, "auth.yaml", LONG_TTL)
    code, out, err = run(capsys, "scan", "--policy", "bad.yaml")
    assert code == 2 and out == ""
    assert err.startswith(message)


def test_unknown_policy_name(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--policy", "stricter")
    assert code == 2
    assert err.strip() == "stricter: no such policy file (built-in packs: default, strict)"


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        ("{", "u.json:1: invalid JSON"),
        ('{"window_days": 0, "clients": {}}', "u.json:1: window_days: must be a positive number of days"),
        ('{"window_days": 30, "clients": {"svc": -1}}', "u.json:1: clients['svc']: must be a whole number"),
    ],
)
def test_invalid_usage_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str], usage: str, message: str
) -> None:
    write(repo, "u.json", usage)
    code, _, err = run(capsys, "scan", "--usage", "u.json")
    assert code == 2 and err.startswith(message)


def test_usage_file_flags_unused_client(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "auth.yaml", GOOD)
    write(repo, "usage.json", json.dumps({"window_days": 30, "clients": {"svc": 0}}))
    code, out, _ = run(capsys, "scan", "auth.yaml", "--usage", "usage.json", "--fail-on", "warning")
    assert code == 1
    assert "No token requests in the last 30 days (usage file usage.json)" in out


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--format", "xml"]) == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err
    assert main([]) == 2


def test_policy_validate_and_schema(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "p.yaml", "version: 1\nrules:\n  - {id: A, type: mixed_oauth_flows}\n")
    code, out, _ = run(capsys, "policy", "validate", "p.yaml")
    assert (code, out) == (0, "p.yaml: valid policy, 1 rule, 0 waivers.\n")
    write(repo, "p.yaml", "version: 1\nrules:\n  - {id: A, type: max_access_token_ttl, max: soon}\n")
    code, out, err = run(capsys, "policy", "validate", "p.yaml")
    assert code == 2 and err == "p.yaml:3: rules[0].max: 'soon' is not a duration like 300s, 15m, 1h or 1d\n"
    write(repo, "ok.yaml", "version: 1\nrules: []\n")
    code, out, err = run(capsys, "policy", "validate", "ok.yaml", "p.yaml", "default")
    assert code == 2
    assert out == (
        "ok.yaml: valid policy, 0 rules, 0 waivers.\nbuilt-in default: valid policy, 10 rules, 0 waivers.\n"
    )
    assert err.startswith("p.yaml:3: rules[0].max")
    code, out, _ = run(capsys, "policy", "schema")
    schema = json.loads(out)
    assert code == 0 and "max_access_token_ttl" in schema["$defs"]["rule"]["properties"]["type"]["enum"]


def test_rules_command_lists_every_type(capsys: pytest.CaptureFixture[str]) -> None:
    from m2m_guard.rules import RULES

    code, out, _ = run(capsys, "rules")
    assert code == 0
    entries = out.rstrip("\n").split("\n\n")
    assert [entry.split()[0] for entry in entries] == sorted(RULES)
    for entry in entries:
        spec = RULES[entry.split()[0]]
        # why the rule matters and where it is documented, as a SARIF report gives them
        assert " ".join(entry.split()).count(f"Why: {spec.why}") == 1, entry
        assert entry.endswith(f"Help: {spec.help_uri}"), entry


def test_unexpected_error_exits_3_with_a_crash_log(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import m2m_guard.engine

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(m2m_guard.engine, "evaluate", boom)
    write(repo, "auth.yaml", GOOD)
    code, out, err = run(capsys, "scan")
    assert code == 3
    assert "Traceback" not in err and "internal error: RuntimeError; details in" in err
    log = Path(err.rsplit(" ", 1)[-1].strip())
    assert "RuntimeError: boom" in log.read_text()
    log.unlink()


def test_color_only_when_asked_or_on_a_tty(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "auth.yaml", LONG_TTL)
    assert "\x1b[" not in run(capsys, "scan")[1]
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run(capsys, "scan")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, "scan")[1]


def test_module_entry_point_and_version(repo: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-m", "m2m_guard", "--version"], capture_output=True, text=True, env=env
    )
    assert (out.returncode, out.stdout.strip()) == (0, f"m2m-guard {__version__}")
    write(repo, "auth.yaml", LONG_TTL)
    scan = subprocess.run(
        [sys.executable, "-m", "m2m_guard", "scan"], capture_output=True, text=True, env=env
    )
    assert scan.returncode == 1 and "M2M-TTL-MAX" in scan.stdout


def test_hook_mode_ignores_named_files_that_cannot_hold_clients(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "chart/templates/deploy.yaml", "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n")
    write(repo, ".vscode/settings.json", '{\n  // comment\n  "a": 1\n}\n')
    write(repo, "auth.yaml", LONG_TTL)
    files = ["chart/templates/deploy.yaml", ".vscode/settings.json", "auth.yaml"]
    assert run(capsys, "scan", *files)[0] == 2  # named files must parse...
    code, out, _ = run(capsys, "scan", "--hook", *files)
    assert code == 1 and "M2M-TTL-MAX" in out and "deploy.yaml" not in out  # ...unless pre-commit named them
    write(repo, "broken.yaml", "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n   x: [\n")
    assert run(capsys, "scan", "--hook", "broken.yaml")[0] == 2  # a broken Cognito template still fails


def test_merge_rejects_what_is_not_a_report(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "deep.json", "[" * 100_000 + "]" * 100_000)
    write(repo, "text.json", "not json")
    for name in ("deep.json", "text.json"):
        code, _, err = run(capsys, "merge", name)
        assert code == 2 and err.strip() == f"{name}: not a JSON or SARIF report"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--concurrency", "0"], "--concurrency must be at least 1; got 0"),
        (["--concurrency", "-2"], "--concurrency must be at least 1; got -2"),
        (["--region-workers", "0"], "--region-workers must be at least 1; got 0"),
        (["--max-rps", "0"], "--max-rps must be above 0; got 0"),
        (["--max-rps", "-1.5"], "--max-rps must be above 0; got -1.5"),
        (["--lookback-days", "0"], "--lookback-days must be at least 1; got 0"),
        (
            ["--regions", "eu-west-1,eu-wset-1"],
            "--regions: 'eu-wset-1' is not a region where the installed AWS SDK offers Cognito user pools "
            "(did you mean eu-west-1, us-west-1 or eu-west-3?); for a region newer than the SDK, upgrade "
            "boto3 or add --allow-unknown-regions",
        ),
        (["--regions", "EU-WEST-1"], "--regions: 'EU-WEST-1' is not an AWS region name (did you mean"),
        (["--regions", "ap-newland-9"], "--regions: 'ap-newland-9' is not a region where the installed"),
        (["--regions", " , "], "--regions takes region names"),
        (["--shard", "0/3"], "--shard takes K/N with 1 <= K <= N, e.g. 2/5; got '0/3'"),
        (["--shard", "2"], "--shard takes K/N"),
    ],
)
@pytest.mark.parametrize("command", [["sweep"], ["cost", "--live"]])
def test_sweep_options_are_checked_before_anything_runs(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    no_sweep: None,
    command: list[str],
    argv: list[str],
    message: str,
) -> None:
    code, out, err = run(capsys, *command, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not (repo / "m2m-guard-inventory").exists()


def test_a_region_newer_than_the_sdk_can_be_allowed(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import m2m_guard.sweep.runner as runner

    seen = []

    def record(options: runner.SweepOptions, **_: object) -> runner.SweepResult:
        seen.append(options.regions)
        return runner.SweepResult()

    monkeypatch.setattr(runner, "run_sweep", record)
    run(capsys, "sweep", "--regions", "eu-west-1,ap-newland-9", "--allow-unknown-regions")
    assert seen == [["eu-west-1", "ap-newland-9"]]
    # the escape is for names shaped like a region only
    code, _, err = run(capsys, "sweep", "--regions", "eu_west_1", "--allow-unknown-regions")
    assert code == 2 and err.startswith("--regions: 'eu_west_1' is not an AWS region name")


def test_sarif_beside_the_text_report_from_one_scan(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CI prints the text report in its log and uploads SARIF: one scan, both reports."""
    write(repo, "auth.yaml", LONG_TTL)
    code, out, _ = run(capsys, "scan", "--sarif", "out/m2m.sarif")
    assert code == 1 and "auth.yaml:" in out and "M2M-TTL-MAX" in out
    log = json.loads((repo / "out" / "m2m.sarif").read_text())
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "M2M-TTL-MAX"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "auth.yaml"
    assert log["runs"][0]["automationDetails"] == {"id": "m2m-guard/iac/"}


@pytest.mark.parametrize(
    ("given", "expected"), [("m2m-guard/orders/", "m2m-guard/orders/"), ("infra", "infra/")]
)
def test_category_names_the_sarif_run(
    repo: Path, capsys: pytest.CaptureFixture[str], given: str, expected: str
) -> None:
    write(repo, "auth.yaml", GOOD)
    code, out, _ = run(capsys, "scan", "--format", "sarif", "--category", given)
    assert code == 0
    assert json.loads(out)["runs"][0]["automationDetails"] == {"id": expected}


@pytest.mark.parametrize("bad", ["", "/", "a b", "x\x1b[2J"])
def test_category_must_be_a_name(repo: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    code, _, err = run(capsys, "scan", "--category", bad)
    assert code == 2 and "not a category name" in err


def test_policy_given_from_a_subfolder_is_named_from_the_repository_root(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An expired waiver points at the policy file: in SARIF relative to the repository root
    (where code scanning looks), in text relative to where the user stands."""
    write(
        repo,
        "policies/ci.yaml",
        "version: 1\nrules: []\nwaivers:\n  - {rule: X, reason: old ticket, expires: 2020-01-31}\n",
    )
    write(repo, "infra/auth.yaml", GOOD)
    monkeypatch.chdir(repo / "infra")
    code, out, _ = run(capsys, "scan", "--policy", "../policies/ci.yaml", "--format", "json")
    (note,) = json.loads(out)["notifications"]
    assert code == 0 and note["path"] == "policies/ci.yaml" and note["line"] == 4
    code, out, _ = run(capsys, "scan", "--policy", "../policies/ci.yaml")
    assert "../policies/ci.yaml:4:" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cloudtrail-log-region", "eu-wset-1"], "--cloudtrail-log-region: 'eu-wset-1' is not a region"),
        (
            ["--cloudtrail-log-region", "eu_west_1"],
            "--cloudtrail-log-region: 'eu_west_1' is not an AWS region name",
        ),
        (["--cloudtrail-log-region", "eu-west-1,us-east-1"], "--cloudtrail-log-region takes one region name"),
        (["--inventory-dir", "a-file"], "--inventory-dir a-file: is not a folder"),
        (["--export-usage", "a-folder"], "--export-usage a-folder: is a folder; give a file name"),
        (["--output", "a-folder"], "--output a-folder: is a folder; give a file name"),
    ],
)
@pytest.mark.parametrize("command", [["sweep"], ["cost", "--live"]])
def test_where_a_sweep_writes_is_checked_before_it_starts(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    no_sweep: None,
    command: list[str],
    argv: list[str],
    message: str,
) -> None:
    write(repo, "a-file", "not a folder\n")
    (repo / "a-folder").mkdir()
    code, out, err = run(capsys, *command, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1, err


def test_a_valid_cloudtrail_log_region_reaches_the_sweep(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import m2m_guard.sweep.runner as runner

    seen = []

    def record(options: runner.SweepOptions, **_: object) -> runner.SweepResult:
        seen.append(options.log_region)
        return runner.SweepResult()

    monkeypatch.setattr(runner, "run_sweep", record)
    run(capsys, "sweep", "--cloudtrail-log-group", "trail", "--cloudtrail-log-region", " eu-west-1 ")
    assert seen == ["eu-west-1"]


@pytest.mark.parametrize("option", ["--output", "--sarif"])
def test_a_report_replaces_a_planted_symlink_instead_of_writing_through_it(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    """A repository can commit `m2m.sarif -> ~/.bashrc`; the report replaces the link."""
    victim = tmp_path_factory.mktemp("outside") / "victim"
    victim.write_text("precious\n")
    write(repo, "auth.yaml", LONG_TTL)
    (repo / "out").mkdir()
    (repo / "out" / "m2m.sarif").symlink_to(victim)
    code, _, err = run(capsys, "scan", "--format", "sarif", option, "out/m2m.sarif")
    assert code == 1, err
    assert victim.read_text() == "precious\n"
    report = repo / "out" / "m2m.sarif"
    assert not report.is_symlink() and json.loads(report.read_text())["version"] == "2.1.0"
    assert sorted(p.name for p in (repo / "out").iterdir()) == ["m2m.sarif"]  # no temporary file left


def test_a_report_into_a_folder_is_one_line_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "auth.yaml", GOOD)
    (repo / "out").mkdir()
    code, _, err = run(capsys, "scan", "--output", "out")
    assert code == 2
    assert err == "out: cannot write report: is a folder\n"


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_report_to_a_device_is_written_to_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "auth.yaml", LONG_TTL)
    code, out, err = run(capsys, "scan", "--format", "sarif", "--output", os.devnull)
    assert (code, out) == (1, "")
    assert Path(os.devnull).exists() and not Path(os.devnull).is_file()  # still the device


def test_version_and_help_load_no_command_module() -> None:
    """The CLI imports the one command it runs, when it runs it: start-up stays light."""
    code = (
        "import sys; from m2m_guard.cli import main; main(['--version']); main(['scan', '--help']);"
        "print(sorted(m for m in sys.modules if m.startswith('m2m_guard.commands')), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "['m2m_guard.commands']"


def test_version_loads_neither_the_reporters_nor_the_model() -> None:
    code = (
        "import sys; from m2m_guard.cli import main; main(['--version']);"
        "print(sorted(m for m in sys.modules if m.startswith('m2m_guard')), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (out.stdout, out.stderr.strip()) == (
        f"m2m-guard {__version__}\n",
        "['m2m_guard', 'm2m_guard.cli', 'm2m_guard.commands']",
    )


def test_version_anywhere_argparse_accepts_it_says_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    # the quick path (first argument) and argparse's version action print the same line
    for argv in (["--version"], ["--vers"], ["--version", "scan"]):
        assert main(argv) == 0
        assert capsys.readouterr().out == f"m2m-guard {__version__}\n"


def test_a_command_runs_from_typed_options(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from m2m_guard.commands import scan
    from m2m_guard.commands.report import ReportOptions

    write(repo, "auth.yaml", LONG_TTL)
    options = ReportOptions(format="json", output=None, fail_on="error", sarif=None, category=None)
    assert scan.run(["auth.yaml"], policy=None, usage=None, hook=False, options=options) == 1
    assert [f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["M2M-TTL-MAX"]


def test_cost_formats_are_the_cost_renderers(capsys: pytest.CaptureFixture[str]) -> None:
    """`cost --format` names its choices without importing the cost renderers (which would load
    the cost model at every start-up); the two must agree."""
    from m2m_guard.reporters.cost import RENDERERS

    code, out, _ = run(capsys, "cost", "--help")
    assert code == 0 and f"--format {{{','.join(RENDERERS)}}}" in out
