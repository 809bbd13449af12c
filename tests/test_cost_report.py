"""`m2m-guard cost`: the published arithmetic to the cent, savings, budgets, and every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.engine import cost_report
from m2m_guard.model import Usage
from m2m_guard.policy import load_policy
from tests.rules.clients import m2m

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POLICY = "version: 1\nrules: []\n"


def report(clients: list[Any], policy: str = POLICY) -> Any:
    return cost_report(load_policy("p.yaml", policy), clients)


def test_the_published_formula_to_the_cent() -> None:
    # 720 requests a month (one 60-minute token around the clock in a 30-day month) cost 1.62 USD
    line = report([m2m(usage=Usage(720, 30.4))]).pools[0]
    assert round(line.cost.requests_usd, 2) == 1.62
    assert round(line.cost.total_usd, 2) == 7.62  # 1 client × 6.00 + 720 × 0.00225
    three = report([m2m(ClientName=f"c{i}", usage=Usage(1000, 30.4)) for i in range(3)]).pools[0]
    assert round(three.cost.total_usd, 2) == round(3 * 6.00 + 3000 * 0.00225, 2) == 24.75


def test_projection_is_one_token_per_ttl_and_a_day_is_24_times_cheaper() -> None:
    hourly = report([m2m(AccessTokenValidity=60, TokenValidityUnits={"AccessToken": "minutes"})]).pools[0]
    daily = report([m2m(AccessTokenValidity=1, TokenValidityUnits={"AccessToken": "days"})]).pools[0]
    assert hourly.basis == daily.basis == "projected"
    assert hourly.cost.requests_month == pytest.approx(730)  # AWS's 730-hour month
    assert hourly.cost.requests_usd / daily.cost.requests_usd == pytest.approx(24)


def test_budget_and_savings_plan() -> None:
    policy = (
        "version: 1\nrules:\n"
        "  - {id: B, type: pool_budget, monthly_usd: 10}\n"
        "  - {id: T, type: max_access_token_ttl, max: 1h}\n"
    )
    clients = [
        m2m(
            ClientName="busy",
            AccessTokenValidity=5,
            TokenValidityUnits={"AccessToken": "minutes"},
            usage=Usage(100_000, 30.4),
        ),
        m2m(ClientName="idle", usage=Usage(0, 30)),
    ]
    (line,) = report(clients, policy).pools
    assert line.budget_usd == 10 and line.over_budget
    assert [c.record["ClientName"] for c in line.plan.unused] == ["idle"]
    assert line.plan.unused_usd == 6.00
    # a 5-minute token fetched fresh 100,000 times a month; caching needs 8,760
    assert line.plan.caching_requests == pytest.approx(100_000 - 8_760)
    assert line.plan.caching_usd == pytest.approx((100_000 - 8_760) * 0.00225)


def test_ttl_advice_never_exceeds_the_policys_maximum() -> None:
    budget = "  - {id: B, type: pool_budget, monthly_usd: 7}\n"
    short = m2m(AccessTokenValidity=5, TokenValidityUnits={"AccessToken": "minutes"})
    (free,) = report([short], "version: 1\nrules:\n" + budget).pools
    assert free.plan.ttl_seconds is not None and free.plan.ttl_seconds > 300
    capped = "version: 1\nrules:\n" + budget + "  - {id: T, type: max_access_token_ttl, max: 10m}\n"
    (line,) = report([short], capped).pools
    assert free.plan.ttl_seconds > 600 and line.plan.ttl_seconds is None


def test_only_m2m_clients_count() -> None:
    web = m2m(ClientName="web", AllowedOAuthFlows=("code",))
    (line,) = report([m2m(), web]).pools
    assert line.cost.client_count == 1


@pytest.fixture
def in_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["cost", *argv])
    return code, capsys.readouterr().out


@pytest.mark.usefixtures("in_examples")
def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--usage", "usage.json", "--format", "json")
    assert code == 0
    data = json.loads(out)
    pools = {p["pool"]: p for p in data["pools"]}
    orders = pools["OrdersPool"]
    assert orders["m2m_clients"] == 5 and orders["over_budget"] is True and orders["budget_usd"] == 40
    assert orders["requests_basis"] == "observed+projected"
    assert orders["unused_clients"] == ["ReportingClient"]
    assert data["total_monthly_usd"] == pytest.approx(sum(p["monthly_usd"] for p in data["pools"]), abs=0.02)
    assert pools["BillingPool"]["over_budget"] is False


@pytest.mark.usefixtures("in_examples")
def test_csv_markdown_and_text_formats(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--usage", "usage.json", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 and {r["pool"] for r in rows} >= {"OrdersPool", "BillingPool"}
    assert next(r for r in rows if r["pool"] == "OrdersPool")["over_budget"] == "true"
    _, out = run(capsys, "--usage", "usage.json", "--format", "markdown")
    assert out.startswith("| Pool | M2M clients |") and "| `OrdersPool` | 5 |" in out
    assert "**Total: $" in out
    _, out = run(capsys, "--usage", "usage.json")
    assert "Savings:" in out and "OrdersPool: delete 1 unused client (ReportingClient): saves $6.00" in out


def test_input_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n   x: [\n")
    code = main(["cost", "bad.yaml"])
    captured = capsys.readouterr()
    assert code == 2 and "bad.yaml:4: invalid YAML" in captured.err
    assert captured.out == "No M2M app clients found.\n"


def test_live_cost_from_moto(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moto = pytest.importorskip("moto")
    import boto3

    monkeypatch.chdir(tmp_path)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        idp = boto3.client("cognito-idp", region_name="us-east-1")
        pool = idp.create_user_pool(PoolName="orders")["UserPool"]["Id"]
        for name in ("a", "b"):
            idp.create_user_pool_client(
                UserPoolId=pool,
                ClientName=name,
                GenerateSecret=True,
                AllowedOAuthFlows=["client_credentials"],
                AllowedOAuthScopes=["orders/read"],
                AllowedOAuthFlowsUserPoolClient=True,
            )
        code, out = run(capsys, "--live", "--regions", "us-east-1", "--format", "json")
    assert code == 0
    (line,) = json.loads(out)["pools"]
    assert line["pool"] == pool and line["m2m_clients"] == 2
    assert line["monthly_usd"] == pytest.approx(2 * 6.00 + 2 * 730 * 0.00225, abs=0.01)
