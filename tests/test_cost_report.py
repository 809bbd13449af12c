"""`m2m-guard cost`: the published arithmetic to the cent, savings, budgets, and every format."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.engine import cost_report
from m2m_guard.model import Usage
from m2m_guard.policy import load_policy
from m2m_guard.reporters.cost import render_csv, render_json, render_text
from tests.rules.clients import m2m, pool_with

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POLICY = "version: 1\nrules: []\n"


def report(clients: list[Any], policy: str = POLICY) -> Any:
    return cost_report(load_policy("p.yaml", policy), clients)


def test_the_published_formula_to_the_cent() -> None:
    # 720 requests a month (one 60-minute token around the clock in a 30-day month) cost 1.62 USD
    line = report([m2m(usage=Usage(720, 30.4))]).pools[0]
    assert line.cost.requests_usd == D("1.62")
    assert line.cost.total_usd == D("7.62")  # 1 client × 6.00 + 720 × 0.00225
    three = report([m2m(ClientName=f"c{i}", usage=Usage(1000, 30.4)) for i in range(3)]).pools[0]
    assert three.cost.total_usd == 3 * D("6.00") + 3000 * D("0.00225") == D("24.75")


def test_projection_is_one_token_per_ttl_and_a_day_is_24_times_cheaper() -> None:
    hourly = report([m2m(AccessTokenValidity=60, TokenValidityUnits={"AccessToken": "minutes"})]).pools[0]
    daily = report([m2m(AccessTokenValidity=1, TokenValidityUnits={"AccessToken": "days"})]).pools[0]
    assert hourly.basis == daily.basis == "projected"
    assert hourly.cost.requests_month == 730  # AWS's 730-hour month
    # 730 / 24 = 30.42 requests, billed as 30: 1.64 against 0.07 on the bill
    assert (daily.cost.requests_month, hourly.cost.requests_usd, daily.cost.requests_usd) == (
        30,
        D("1.64"),
        D("0.07"),
    )


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
    assert line.plan.unused_usd == D("6.00")
    # a 5-minute token fetched fresh 100,000 times a month; caching needs 8,760: the requests
    # line item drops from 225.00 to 19.71
    assert line.plan.caching_requests == 100_000 - 8_760
    assert line.plan.caching_usd == D("205.29") == D("225.00") - D("19.71")


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
    assert orders["m2m_clients"] == 5 and orders["over_budget"] is True and orders["budget_usd"] == "40.00"
    assert orders["requests_basis"] == "observed+projected"
    assert orders["unused_clients"] == ["ReportingClient"]
    # amounts are strings of exact cents, and every column adds up
    assert data["total_monthly_usd"] == str(sum(D(p["monthly_usd"]) for p in data["pools"])) == "268.19"
    for p in data["pools"]:
        parts = [D(p["clients_usd"]), D(p["requests_usd"]), D(p["lambda_usd"] or 0)]
        assert D(p["monthly_usd"]) == sum(parts)
    assert (pools["BillingPool"]["requests_usd"], pools["BillingPool"]["monthly_usd"]) == ("3.29", "21.29")
    assert pools["BillingPool"]["over_budget"] is False


@pytest.mark.usefixtures("in_examples")
def test_csv_markdown_and_text_formats(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--usage", "usage.json", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5 and {r["pool"] for r in rows} >= {"OrdersPool", "BillingPool"}
    assert next(r for r in rows if r["pool"] == "OrdersPool")["over_budget"] == "true"
    _, out = run(capsys, "--usage", "usage.json", "--format", "markdown")
    # the saved describe-user-pool output names eu-west-1_EXAMPLE1's account and region, and
    # BillingPool and eu-west-1_EXAMPLE1 customize M2M tokens: a Lambda column
    assert out.startswith(
        "| Pool | Account | Region | M2M clients | Token requests/month | Basis | Clients | Requests "
        "| Lambda |"
    )
    assert "| `OrdersPool` |  |  | 5 |" in out
    assert "**Total: at least $" in out and "a month for 18 M2M clients.**" in out
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
        # Cognito accepts a custom scope only when a resource server of the pool defines it
        # (CreateResourceServer, botocore's cognito-idp service model)
        idp.create_resource_server(
            UserPoolId=pool,
            Identifier="orders",
            Name="orders",
            Scopes=[{"ScopeName": "read", "ScopeDescription": "read orders"}],
        )
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
    assert line["monthly_usd"] == "15.29"  # 2 × 6.00 + 1,460 × 0.00225 = 3.285 -> 3.29


# --- totals that are lower bounds, plurals -----------------------------------------------------


@pytest.mark.usefixtures("in_examples")
def test_a_total_with_projected_or_unknown_requests_says_at_least_in_every_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In the examples, OrdersPool's requests are partly projected, eu-west-1_EXAMPLE1's observed
    # (and its saved describe-user-pool output says which Lambda trigger each request invokes).
    _, out = run(capsys, "--usage", "usage.json", "--format", "json")
    data = json.loads(out)
    pools = {p["pool"]: p for p in data["pools"]}
    assert pools["OrdersPool"]["monthly_usd_at_least"] is True
    assert pools["eu-west-1_EXAMPLE1"]["monthly_usd_at_least"] is False
    assert data["total_monthly_usd_at_least"] is True
    _, out = run(capsys, "--usage", "usage.json", "--format", "csv")
    rows = {r["pool"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["OrdersPool"]["monthly_usd_at_least"] == "true"
    assert rows["eu-west-1_EXAMPLE1"]["monthly_usd_at_least"] == "false"
    _, out = run(capsys, "--usage", "usage.json", "--format", "markdown")
    assert "| at least $98.17 |" in out and "| $33.36 |" in out
    assert "**Total: at least $268.19 a month for 18 M2M clients.**" in out
    _, out = run(capsys, "--usage", "usage.json")
    assert "Total: at least $268.19 a month for 18 M2M clients." in out
    orders = next(line for line in out.splitlines() if line.startswith("OrdersPool "))
    assert "≥ 30,299" in orders and "at least $98.17" in orders


ONE_CLIENT = """\
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


def test_an_observed_total_is_exact_and_one_client_is_singular(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "auth.yaml").write_text(ONE_CLIENT)
    (repo / "usage.json").write_text('{"window_days": 30.4, "clients": {"svc": 1}}')
    code, out = run(capsys, "auth.yaml", "--usage", "usage.json")
    assert code == 0
    assert "Total: $6.00 a month for 1 M2M client.\n" in out and "at least" not in out.split("Prices:")[0]
    data = json.loads(run(capsys, "auth.yaml", "--usage", "usage.json", "--format", "json")[1])
    assert data["total_monthly_usd_at_least"] is False and data["pools"][0]["monthly_usd_at_least"] is False
    _, out = run(capsys, "auth.yaml")  # projected: a lower bound
    assert "Total: at least $7.64 a month for 1 M2M client.\n" in out


def test_a_client_that_may_be_m2m_is_named_in_the_singular(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    maybe = ONE_CLIENT.split("  Svc:\n")[1].replace("ClientName: svc", "ClientName: maybe")
    flows_unknown = maybe.replace("[client_credentials]", "!Ref Flows")  # a parameter without default
    template = (
        "Parameters:\n  Flows: {Type: CommaDelimitedList}\n" + ONE_CLIENT + "  Maybe:\n" + flows_unknown
    )
    (repo / "auth.yaml").write_text(template)
    _, out = run(capsys, "auth.yaml")
    assert "Total: at least $7.64 a month for 1 M2M client." in out
    assert "  - Pool: 1 client may be M2M (flows unknown) and is not counted\n" in out, out


# --- sweep options need --live -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--regions", "eu-west-1"], "--regions"),
        (["--organization"], "--organization"),
        (["--role-name", "audit"], "--role-name"),
        (["--cloudtrail-lookup"], "--cloudtrail-lookup"),
        (["--concurrency", "2"], "--concurrency"),
        (["--inventory-dir", "inv"], "--inventory-dir"),
    ],
)
def test_sweep_options_without_live_are_an_error(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    (repo / "auth.yaml").write_text(ONE_CLIENT)
    code = main(["cost", *argv])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"cost: {option} is a sweep option; add --live to price the live accounts\n"


# --- the policy is found from the scanned files ----------------------------------------------

BUDGET_POLICY = "version: 1\nrules:\n  - {{id: {id}, type: pool_budget, monthly_usd: {usd}}}\n"


def test_examples_cost_from_the_repository_root_uses_the_examples_policy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    code, out = run(capsys, "examples", "--usage", "examples/usage.json", "--format", "json")
    assert code == 0
    assert {p["pool"]: p["budget_usd"] for p in json.loads(out)["pools"]}["OrdersPool"] == "40.00"


def test_scan_and_cost_find_the_policy_upward_from_the_paths(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".m2m-guard.yaml").write_text(BUDGET_POLICY.format(id="ROOT", usd=1))
    for team in ("a", "b"):
        (repo / team).mkdir()
        (repo / team / "auth.yaml").write_text(ONE_CLIENT)
    (repo / "a" / ".m2m-guard.yaml").write_text(BUDGET_POLICY.format(id="TEAM-A", usd=100))

    def cost_budget(*paths: str) -> Any:
        return json.loads(run(capsys, *paths, "--format", "json")[1])["pools"][0]["budget_usd"]

    def scan_rules(*paths: str) -> list[str]:
        main(["scan", *paths, "--format", "json"])
        return [r["id"] for r in json.loads(capsys.readouterr().out)["rules"]]

    # a folder or a file: the policy nearest to it, wherever the command runs from
    assert cost_budget("a") == cost_budget("a/auth.yaml") == "100.00"
    assert scan_rules("a") == scan_rules("a/auth.yaml") == ["TEAM-A"]
    # paths in several folders: the policy of the folder holding them all
    assert cost_budget("a/auth.yaml", "b") == "1.00" and scan_rules("a", "b/auth.yaml") == ["ROOT"]
    # no path: from the working directory, as before
    assert cost_budget() == "1.00" and scan_rules() == ["ROOT"]
    # pre-commit runs the hook from the repository root: every batch uses the root policy
    main(["scan", "--hook", "a/auth.yaml", "--format", "json"])
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["rules"]] == ["ROOT"]


# --- saved sweeps: each client once, the newest inventory wins; names beside the ids ----------

ACCOUNT = "111111111111"
POOL_ID = "eu-west-1_Orders1"


def describe(name: str, client_id: str, hours: int = 1, region: str = "eu-west-1") -> dict[str, Any]:
    """A client as DescribeUserPoolClient returns it (AWS API Reference, UserPoolClientType),
    the secret already replaced by GenerateSecret as the sweep does."""
    return {
        "UserPoolId": f"{region}_Orders1",
        "ClientName": name,
        "ClientId": client_id,
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["orders/read"],
        "AccessTokenValidity": hours,
        "TokenValidityUnits": {"AccessToken": "hours"},
        "LastModifiedDate": "2026-10-01 09:00:00+00:00",
        "CreationDate": "2026-10-01 09:00:00+00:00",
    }


def saved_sweep(
    folder: str,
    swept_at: str,
    clients: list[dict[str, Any]],
    region: str = "eu-west-1",
    requests: dict[str, int] | None = None,
) -> None:
    """An inventory file as `m2m-guard sweep` writes it (its own renderer)."""
    from m2m_guard.sweep.discovery import PoolInventory, RegionInventory
    from m2m_guard.sweep.inventory import relative_path, render

    pool_id = f"{region}_Orders1"
    arn = f"arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{pool_id}"
    pool = PoolInventory(pool_id, "orders", arn, ["orders"], clients)
    inventory = RegionInventory(ACCOUNT, region, [pool], swept_at=swept_at)
    counts = requests or {}

    def usage_for(client_id: str) -> tuple[int | None, str | None]:
        return (counts[client_id], "CloudTrail LookupEvents") if client_id in counts else (None, None)

    path = Path(folder) / relative_path(inventory)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(inventory, usage_for, 30))


def test_several_saved_sweeps_of_an_account_count_each_client_once_the_newest_wins(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept, gone, new = "1keptclient000000000000000", "2goneclient000000000000000", "3newclient0000000000000000"
    saved_sweep(
        "inv-2026-11-01",
        "2026-11-01T05:17:00Z",
        [describe("svc-kept", kept), describe("svc-gone", gone, hours=24)],
        requests={kept: 100},
    )
    east = [describe("svc-east", "4east", region="us-east-1")]
    saved_sweep("inv-2026-11-01", "2026-11-01T05:17:00Z", east, region="us-east-1")
    saved_sweep(
        "inv-2026-11-02", "2026-11-02T05:17:00Z", [describe("svc-kept", kept), describe("svc-new", new)]
    )
    # whatever the order on the command line, the newer sweep of eu-west-1 counts, whole
    for paths in (["inv-2026-11-01", "inv-2026-11-02"], ["inv-2026-11-02", "inv-2026-11-01"]):
        code = main(["cost", *paths, "--format", "json"])
        out, err = capsys.readouterr()
        assert code == 0
        pools = {p["pool"]: p for p in json.loads(out)["pools"]}
        assert pools[POOL_ID]["m2m_clients"] == 2  # svc-kept once, svc-new; svc-gone was deleted
        assert pools[POOL_ID]["requests_basis"] == "projected"  # the newer sweep counted no usage
        assert pools["us-east-1_Orders1"]["m2m_clients"] == 1  # only the older sweep read us-east-1
        replaced, *aged = err.splitlines()
        assert replaced == (
            f"note: inv-2026-11-01/{ACCOUNT}/eu-west-1.json: not counted: inv-2026-11-02/{ACCOUNT}/"
            f"eu-west-1.json is a newer inventory of account {ACCOUNT}, region eu-west-1 "
            "(swept 2026-11-02T05:17:00Z)"
        )
        # the counted ones are more than a day old by now: a warning each, not an error
        assert sorted(line.split(": ")[1] for line in aged) == [
            f"inv-2026-11-01/{ACCOUNT}/us-east-1.json",
            f"inv-2026-11-02/{ACCOUNT}/eu-west-1.json",
        ]
        assert all(line.startswith("warning: ") and "saved sweep is " in line for line in aged)

    # scan agrees: the deleted client's 24-hour TTL is reported from the old sweep alone only
    def subjects(*paths: str) -> set[str]:
        main(["scan", *paths, "--format", "json"])
        return {f["subject"] for f in json.loads(capsys.readouterr().out)["findings"]}

    assert gone in subjects("inv-2026-11-01")
    assert gone not in subjects("inv-2026-11-01", "inv-2026-11-02")


def test_saved_sweeps_without_a_time_the_later_on_the_command_line_wins(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved_sweep("first", "", [describe("svc-a", "1a"), describe("svc-b", "1b")])
    saved_sweep("second", "", [describe("svc-a", "1a")])
    count = {}
    for paths in (("first", "second"), ("second", "first")):
        main(["cost", *paths, "--format", "json"])
        count[paths] = json.loads(capsys.readouterr().out)["pools"][0]["m2m_clients"]
    assert count == {("first", "second"): 1, ("second", "first"): 2}


def test_swept_pools_and_clients_show_names_account_and_region(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idle = "5idleclient000000000000000"
    saved_sweep("inv", "2026-11-02T05:17:00Z", [describe("svc-idle", idle)], requests={idle: 0})
    _, out = run(capsys, "inv")
    head, _, row = out.splitlines()[:3]
    assert head.split()[:3] == ["Pool", "Account", "Region"]
    assert row.startswith(f"orders ({POOL_ID})  {ACCOUNT}  eu-west-1  ")
    assert f"  - orders ({POOL_ID}): delete 1 unused client (svc-idle ({idle})): saves $6.00" in out
    _, out = run(capsys, "inv", "--format", "markdown")
    assert f"| `orders ({POOL_ID})` | `{ACCOUNT}` | `eu-west-1` | 1 |" in out  # names in code spans
    (line,) = json.loads(run(capsys, "inv", "--format", "json")[1])["pools"]
    assert (line["pool"], line["pool_name"], line["account"], line["region"]) == (
        POOL_ID,
        "orders",
        ACCOUNT,
        "eu-west-1",
    )
    assert line["unused_clients"] == [f"svc-idle ({idle})"]
    (cells,) = csv.DictReader(io.StringIO(run(capsys, "inv", "--format", "csv")[1]))
    assert (cells["pool"], cells["pool_name"], cells["account"], cells["region"]) == (
        POOL_ID,
        "orders",
        ACCOUNT,
        "eu-west-1",
    )


def test_policy_warnings_are_said_by_cost_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 1\nrules:\n  - {id: TTL-MAX, type: max_access_token_ttl, max: 1h}\nwaivers:\n"
        "  - {rule: TTL-MAXX, reason: typo, expires: 2999-01-01}\n"
    )
    monkeypatch.chdir(tmp_path)
    code = main(["cost", "--policy", "p.yaml", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 0 and "warning" in err and "'TTL-MAXX' matches no rule id" in err


# The defaults' figures are labelled unconfirmed in every format (README, "Prices": AWS's pricing
# page renders them from price data m2m-guard could not read; it confirms only that M2M has no
# free tier); a policy that sets every figure is named instead.
@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "csv"])
def test_every_format_says_which_price_table_was_used(
    repo: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    (repo / "auth.yaml").write_text(ONE_CLIENT)
    (repo / "own.yaml").write_text(
        "version: 1\npricing: {app_client_month_usd: 5.0, token_request_usd: 0.002}\nrules: []\n"
    )
    (repo / "half.yaml").write_text("version: 1\npricing: {app_client_month_usd: 5.0}\nrules: []\n")
    (repo / "none.yaml").write_text("version: 1\nrules: []\n")
    checked = "m2m-guard's defaults (Amazon Cognito list prices, checked 2026-11-30)"
    unconfirmed = "USD 6.00 per app client a month"
    seen = {}
    for policy in ("none", "half", "own"):
        code, out = run(capsys, "auth.yaml", "--policy", f"{policy}.yaml", "--format", fmt)
        assert code == 0
        seen[policy] = out
    assert checked in seen["none"] and unconfirmed in seen["none"] and "USD 0.00225" in seen["none"]
    # markdown shows the policy's file name, like every name from the inputs, in a code span
    half, own = ("`half.yaml`", "`own.yaml`") if fmt == "markdown" else ("half.yaml", "own.yaml")
    assert f"the policy's ({half}) for app_client_month_usd; " + checked in seen["half"]
    assert unconfirmed not in seen["half"] and "USD 0.00225 per token request at any volume" in seen["half"]
    assert f"the policy's ({own})" in seen["own"]
    assert unconfirmed not in seen["own"] and "at any volume" not in seen["own"]
    assert checked not in seen["own"]
    if fmt == "json":
        pricing = json.loads(seen["none"])["pricing"]
        assert (pricing["table"], pricing["policy"], pricing["defaults_checked"]) == (
            "default",
            None,
            "2026-11-30",
        )
        assert pricing["defaults_source"] == "https://aws.amazon.com/cognito/pricing/"
        assert len(pricing["unconfirmed"]) == 2
        own = json.loads(seen["own"])["pricing"]
        assert (own["table"], own["policy"], own["replaced"], own["unconfirmed"]) == (
            "policy",
            "own.yaml",
            ["app_client_month_usd", "token_request_usd"],
            [],
        )
        assert own["defaults_checked"] is None
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(seen["half"])))
        assert rows[0]["price_table"].startswith("the policy's (half.yaml) for app_client_month_usd; ")


def test_pool_budget_findings_price_like_cost(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "auth.yaml").write_text(ONE_CLIENT)
    (repo / "p.yaml").write_text(
        "version: 1\npricing: {app_client_month_usd: 9.0}\n"
        "rules:\n  - {id: B, type: pool_budget, monthly_usd: 1}\n"
    )
    _, out = run(capsys, "auth.yaml", "--policy", "p.yaml", "--format", "json")
    total = json.loads(out)["pools"][0]["monthly_usd"]
    assert main(["scan", "auth.yaml", "--policy", "p.yaml", "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert f"${D(total):,.2f}" in finding["message"] and "$9.00" in finding["message"]


# --- Lambda invocations of pools that customize M2M access tokens -------------------------------


def _in(settings: dict[str, Any] | None, name: str, requests: int) -> Any:
    pool = dataclasses.replace(pool_with(settings), key=f"pool-{name}", label=f"pool-{name}")
    return dataclasses.replace(m2m(ClientName=name, usage=Usage(requests, 30.4)), pool=pool)


V3 = {
    "LambdaConfig": {
        "PreTokenGenerationConfig": {
            "LambdaArn": "arn:aws:lambda:eu-west-1:1:function:f",
            "LambdaVersion": "V3_0",
        }
    }
}
LAMBDA_POLICY = "version: 1\npricing:\n  lambda_memory_mb: 1024\n  lambda_duration_ms: 1000\nrules: []\n"


def test_every_format_prices_the_invocations_or_says_they_are_unknown() -> None:
    clients = [_in(V3, "custom", 1_000_000), _in({}, "plain", 1000), _in(None, "doubt", 1000)]
    costs = report(clients, LAMBDA_POLICY)
    # 1 GB for 1 s: USD 0.0000166667 + 0.0000002 a request
    data = json.loads(render_json(costs))
    pools = {p["pool"]: p for p in data["pools"]}
    assert pools["pool-custom"]["lambda_usd"] == "16.87"  # 1,000,000 × 0.0000168667 = 16.8667
    assert pools["pool-custom"]["monthly_usd"] == "2272.87"  # 6.00 + 2,250.00 + 16.87
    assert pools["pool-custom"]["customizes_m2m_tokens"] is True
    assert (pools["pool-plain"]["lambda_usd"], pools["pool-plain"]["customizes_m2m_tokens"]) == (
        "0.00",
        False,
    )
    assert pools["pool-plain"]["monthly_usd_at_least"] is False
    doubt = pools["pool-doubt"]
    assert (doubt["lambda_usd"], doubt["customizes_m2m_tokens"], doubt["monthly_usd_at_least"]) == (
        None,
        None,
        True,
    )
    assert doubt["lambda_unknown"] == "the settings of pool-doubt are not in the scanned inputs"
    assert data["pricing"]["lambda_memory_mb"] == 1024 and data["pricing"]["lambda_defaults_checked"]
    text = render_text(costs)
    assert "Lambda" in text.splitlines()[0] and "$16.87" in text
    assert "pool-doubt: whether each token request also invokes a Lambda trigger is unknown" in text
    assert "$0.20 per million requests + $0.0000166667 per GB-second at 1024 MB for 1000 ms" in text
    rows = {r["pool"]: r for r in csv.DictReader(io.StringIO(render_csv(costs)))}
    assert (rows["pool-custom"]["lambda_usd"], rows["pool-doubt"]["lambda_usd"]) == ("16.87", "")


def test_a_report_without_customizing_pools_looks_as_before() -> None:
    costs = report([_in({}, "plain", 1000)], LAMBDA_POLICY)
    text = render_text(costs)
    assert "Lambda" not in text
    # the policy's Lambda figures priced nothing here, so the table is still the default one
    pricing = json.loads(render_json(costs))["pricing"]
    assert (pricing["table"], pricing["replaced"], pricing["lambda_defaults_checked"]) == (
        "default",
        [],
        None,
    )
    assert "Prices: m2m-guard's defaults (Amazon Cognito list prices, checked 2026-11-30): " in text
