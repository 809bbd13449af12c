"""Numbers from the command line, the policy and the usage file: non-finite or absurd ones are
refused with one line and exit code 2, before anything runs; none crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from m2m_guard.cli import main

CLIENT_TEMPLATE = """Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      ClientName: svc-orders
      UserPoolId: !Ref Pool
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
"""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-rps", "nan"], "--max-rps must be a number; got nan"),
        (["--max-rps", "0"], "--max-rps must be above 0; got 0"),
        (["--max-rps=-inf"], "--max-rps must be above 0; got -inf"),
        (["--max-rps", "inf"], "--max-rps must be at most 1,000; got inf"),
        (["--max-rps", "1e400"], "--max-rps must be at most 1,000; got inf"),
        (["--max-rps", "1e-300"], "--max-rps must be at least 0.01; got 1e-300"),
        (["--concurrency", "0"], "--concurrency must be at least 1; got 0"),
        (["--concurrency", "257"], "--concurrency must be at most 256; got 257"),
        (["--region-workers", "0"], "--region-workers must be at least 1; got 0"),
        (["--lookback-days", "0"], "--lookback-days must be at least 1; got 0"),
        (["--lookback-days", "3654"], "--lookback-days must be at most 3,653; got 3654"),
        (
            ["--lookback-days", "9" * 4000],
            "--lookback-days must be at most 3,653; got a number of 4000 digits",
        ),
        (
            ["--lookback-days", "91", "--cloudtrail-lookup"],
            "--lookback-days must be at most 90 with --cloudtrail-lookup (CloudTrail's LookupEvents keeps "
            "90 days of events); got 91",
        ),
        (["--max-lookup-pages", "0"], "--max-lookup-pages must be at least 1; got 0"),
        (["--max-lookup-pages", "100001"], "--max-lookup-pages must be at most 100,000; got 100001"),
    ],
)
@pytest.mark.parametrize("command", [["sweep"], ["cost", "--live"]])
def test_sweep_numbers_are_checked_before_anything_runs(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    no_sweep: None,
    command: list[str],
    argv: list[str],
    message: str,
) -> None:
    code = main([*command, *argv])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", message + "\n")


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--lookback-days", "90", "--cloudtrail-lookup"], "lookback_days"),
        (["--lookback-days", "3653", "--cloudtrail-log-group", "trail"], "lookback_days"),
        (["--max-rps", "0.01"], "max_rps"),
        (["--max-rps", "1000"], "max_rps"),
        (["--concurrency", "256", "--region-workers", "256"], "concurrency"),
        (["--max-lookup-pages", "100000"], "max_lookup_pages"),
    ],
)
def test_sweep_numbers_at_the_bounds_are_accepted(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    field: str,
) -> None:
    import m2m_guard.sweep.runner as runner

    seen: list[object] = []

    def record(options: runner.SweepOptions, **_: object) -> None:
        seen.append(getattr(options, field))
        raise KeyboardInterrupt  # stop here: the options were accepted

    monkeypatch.setattr(runner, "run_sweep", record)
    assert main(["sweep", *argv]) == 130
    assert seen == [float(argv[1])]


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        ({"window_days": float("nan")}, "window_days: must be a positive number of days"),
        ({"window_days": 1e-320}, "window_days: must be a positive number of days"),
        ({"svc-orders": 10**400}, "clients['svc-orders']: must be a whole number of requests"),
    ],
)
@pytest.mark.parametrize("command", ["scan", "cost"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_absurd_usage_numbers_are_refused_never_priced(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    usage: dict[str, object],
    message: str,
    command: str,
    fmt: str,
) -> None:
    # they used to disable the budget silently (NaN), price it at Infinity (1e-320) or crash
    (repo / "auth.yaml").write_text(CLIENT_TEMPLATE)
    data = {
        "window_days": usage.get("window_days", 30),
        "clients": {"svc-orders": usage.get("svc-orders", 5)},
    }
    (repo / "u.json").write_text(json.dumps(data))
    code = main([command, "--usage", "u.json", "--format", fmt])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith(f"u.json:1: {message}") and err.count("\n") == 1, err


def test_a_policy_with_absurd_numbers_fails_validation_in_one_line_each(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "p.yaml").write_text(
        "version: 1\npricing:\n  app_client_month_usd: .nan\nrules:\n"
        "  - {id: B, type: pool_budget, monthly_usd: .inf}\n"
        "  - {id: T, type: max_access_token_ttl, max: " + "1" * 5000 + "h}\n"
    )
    for argv in (["policy", "validate", "p.yaml"], ["scan", "--policy", "p.yaml"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2, err
        lines = (out + err).strip().splitlines()
        assert [line.split(": ")[0] for line in lines] == ["p.yaml:3", "p.yaml:5", "p.yaml:6"], lines
