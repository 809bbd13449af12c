"""``m2m-guard drift``: CloudFormation and Terraform against inventories from a moto sweep.

The code is CloudFormation (``AWS::Cognito::UserPool``, ``UserPoolClient``, ``UserPoolResourceServer``
as the CloudFormation template reference names their properties) and Terraform (the AWS
provider's ``aws_cognito_user_pool`` and ``aws_cognito_user_pool_client``). The live side is what
``m2m-guard sweep`` reads from moto's Cognito (its DescribeUserPoolClient responses, secrets
dropped) and writes as inventories, or AWS Config items in the shape of
tests/sweep/test_config.py (AWS Config's resource schema for AWS::Cognito::UserPoolClient).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from tests.reporters.support import github_problems, schema_errors
from tests.sweep.support import ACCOUNT, FAST, Hooks, cognito, m2m, pool, sweep, user_facing

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  OrdersPool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: orders
  SyncClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref OrdersPool
      ClientName: svc-sync
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: 30
      TokenValidityUnits: {AccessToken: minutes}
  ReportingClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref OrdersPool
      ClientName: svc-reporting
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: 1
  BatchClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref OrdersPool
      ClientName: svc-batch
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
"""


def live_orders(region: str = "us-east-1", *, batch: bool = False) -> dict[str, Any]:
    """The live side of TEMPLATE: svc-sync as the code says, svc-reporting changed by hand (12 h,
    orders/write added), a shadow client, a user-facing client; and a pool the code does not
    define, with an M2M client. Returns the create responses (secrets included) by name."""
    idp = cognito(region)
    orders = pool(idp, "orders")
    made = {
        "svc-sync": m2m(idp, orders, "svc-sync"),
        "svc-reporting": m2m(
            idp, orders, "svc-reporting", scopes=("orders/read", "orders/write"), ttl=(12, "hours")
        ),
        "hand-made": m2m(idp, orders, "hand-made", ttl=(1, "hours")),
        "web": user_facing(idp, orders, "web"),
    }
    if batch:
        made["svc-batch"] = m2m(idp, orders, "svc-batch", ttl=(1, "hours"))
    legacy = pool(idp, "legacy")
    made["legacy-m2m"] = m2m(idp, legacy, "legacy-m2m")
    return made


def saved_sweep(capsys: pytest.CaptureFixture[str], *regions: str) -> None:
    run = sweep(
        capsys, "--regions", ",".join(regions or ("us-east-1",)), "--format", "json", report="sweep.json"
    )
    assert run.code in (0, 1), run.err


def drift(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """``m2m-guard drift ARGV --format sarif``: the exit code, the parsed log and stderr."""
    code = main(["drift", *argv, "--format", "sarif", "--output", "drift.sarif"])
    _, err = capsys.readouterr()
    log = json.loads(Path("drift.sarif").read_text()) if Path("drift.sarif").exists() else None
    return code, log, err


def results(log: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = log["runs"][0]["results"]
    return found


def where(result: dict[str, Any]) -> tuple[str, int]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def line_of(path: str, needle: str) -> int:
    lines = Path(path).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def write(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


@pytest.mark.usefixtures("moto")
def test_shadow_missing_and_drifted_clients_of_a_saved_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    made = live_orders()
    saved_sweep(capsys)
    write("infra/auth.yaml", TEMPLATE)
    code, log, err = drift(capsys, "infra", "--inventory", "m2m-guard-inventory")
    assert code == 1, err
    assert schema_errors(log) == [] and github_problems(log) == []
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "m2m-guard/drift/"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["SHADOW", "MISSING", "DRIFT"]
    got = {
        (r["ruleId"], r["properties"].get("field") if "properties" in r else None): r for r in results(log)
    }
    assert set(got) == {
        ("SHADOW", None),
        ("MISSING", None),
        ("DRIFT", "AccessTokenValidity"),
        ("DRIFT", "AllowedOAuthScopes"),
    }
    # drifted: both values, at the line of the property in the code
    ttl = got[("DRIFT", "AccessTokenValidity")]
    assert "is 1 hour in the code and 12 hours live (user pool orders (" in ttl["message"]["text"]
    assert where(ttl) == ("infra/auth.yaml", line_of("infra/auth.yaml", "AccessTokenValidity: 1"))
    scopes = got[("DRIFT", "AllowedOAuthScopes")]["message"]["text"]
    assert "is orders/read in the code and orders/read, orders/write live" in scopes
    # missing: at the client's resource in the code
    missing = got[("MISSING", None)]
    assert where(missing) == ("infra/auth.yaml", line_of("infra/auth.yaml", "BatchClient:"))
    assert "has no app client named svc-batch" in missing["message"]["text"]
    # shadow: at the live client's line in the inventory, with its monthly cost
    shadow = got[("SHADOW", None)]
    inventory = f"m2m-guard-inventory/{ACCOUNT}/us-east-1.json"
    client_id = made["hand-made"]["ClientId"]
    assert where(shadow) == (inventory, line_of(inventory, f'"ClientId": "{client_id}"'))
    text = shadow["message"]["text"]
    assert f"live M2M client hand-made ({client_id})" in text
    assert "the scanned code defines its user pool (OrdersPool (infra/auth.yaml))" in text
    # $6.00 a month plus 730 tokens (one per hour) at $0.00225: $1.64
    assert "it costs at least $7.64 a month" in text
    # the pool no code defines is not reported client by client, but said so
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any(
        "Not compared: 1 live M2M client in 1 user pool that no scanned code defines" in n and "legacy" in n
        for n in notes
    )
    assert "legacy-m2m" not in json.dumps(results(log))
    # nothing of a client secret anywhere
    report = Path("drift.sarif").read_text()
    assert all(c["ClientSecret"] not in report for c in made.values() if "ClientSecret" in c)


@pytest.mark.usefixtures("moto")
def test_one_template_deployed_to_two_regions_is_compared_with_each(
    capsys: pytest.CaptureFixture[str],
) -> None:
    live_orders("us-east-1")
    live_orders("eu-west-1", batch=True)
    saved_sweep(capsys, "us-east-1", "eu-west-1")
    write("infra/auth.yaml", TEMPLATE)
    code, log, err = drift(capsys, "infra", "--inventory", "m2m-guard-inventory")
    assert code == 1, err
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for result in results(log):
        by_rule.setdefault(result["ruleId"], []).append(result)
    # svc-batch is missing in us-east-1 only; svc-reporting drifted in both regions
    [missing] = by_rule["MISSING"]
    assert "us-east-1" in missing["message"]["text"]
    ttl = [r for r in by_rule["DRIFT"] if r["properties"]["field"] == "AccessTokenValidity"]
    assert sorted(r["message"]["text"].rsplit(", ", 1)[1] for r in ttl) == ["eu-west-1).", "us-east-1)."]
    assert len({r["partialFingerprints"]["m2mGuard/v1"] for r in ttl}) == 2  # one alert per region
    assert len(by_rule["SHADOW"]) == 2  # hand-made in each region
    summary = log["runs"][0]["properties"]["summary"]
    assert (summary["account_regions"], summary["regions"]) == (2, 2)


UNMATCHED = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  PoolName: {Type: String}
  ClientName: {Type: String}
Resources:
  NamedByParameter:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: !Ref PoolName
  ParamPoolClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref NamedByParameter
      ClientName: svc-param
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      GenerateSecret: true
  ImportedPoolClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !ImportValue shared-orders-pool-id
      ClientName: svc-imported
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      GenerateSecret: true
  OrdersPool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: orders
  UnnamedClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref OrdersPool
      ClientName: !Ref ClientName
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      GenerateSecret: true
"""


@pytest.mark.usefixtures("moto")
def test_what_cannot_be_matched_is_a_note_that_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    idp = cognito()
    orders = pool(idp, "orders")
    m2m(idp, orders, "hand-made")
    saved_sweep(capsys)
    write("infra/unmatched.yaml", UNMATCHED)
    code, log, err = drift(capsys, "infra", "--inventory", "m2m-guard-inventory")
    assert code == 0, err  # notes only
    notes = {(r["ruleId"], where(r)[1]): r["message"]["text"] for r in results(log)}
    assert {level for level in (r["level"] for r in results(log))} == {"note"}
    line = line_of("infra/unmatched.yaml", "ParamPoolClient:")
    assert notes[("MISSING", line)] == (
        "Cannot check MISSING: the name of its user pool NamedByParameter is unknown (Ref to parameter "
        "PoolName, which has no Default), so it cannot be matched with a live pool."
    )
    assert ("DRIFT", line) in notes
    imported = notes[("MISSING", line_of("infra/unmatched.yaml", "ImportedPoolClient:"))]
    assert "CloudFormation export shared-orders-pool-id (Fn::ImportValue)" in imported
    assert "no exports or stack outputs" in imported
    unnamed = notes[("MISSING", line_of("infra/unmatched.yaml", "ClientName: !Ref ClientName"))]
    assert "its ClientName is unknown (Ref to parameter ClientName, which has no Default)" in unnamed
    # the live client of the pool whose code client has no known name: may be that client
    [shadow] = [r for r in results(log) if r["ruleId"] == "SHADOW"]
    assert shadow["level"] == "note" and "cannot be matched by name" in shadow["message"]["text"]


POLICY = """\
version: 1
rules:
  - id: SHADOW
    type: shadow_clients
    managed_pools: ["legacy"]
    severity: error
  - id: MISSING
    type: missing_clients
    severity: error
  - id: DRIFT
    type: drifted_clients
    compare: [scopes]
    severity: warning
waivers:
  - rule: SHADOW
    clients: ["hand-made"]
    reason: "Made for the load test, ticket OPS-9."
    expires: 2099-12-31
"""


@pytest.mark.usefixtures("moto")
def test_managed_pools_waivers_and_severities_come_from_the_policy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    live_orders()
    saved_sweep(capsys)
    write("infra/auth.yaml", TEMPLATE)
    write("policy.yaml", POLICY)
    code, log, err = drift(capsys, "infra", "--inventory", "m2m-guard-inventory", "--policy", "policy.yaml")
    assert code == 1, err
    got = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r for r in results(log)}
    shadows = {name: r for (rule, name), r in got.items() if rule == "SHADOW"}
    # legacy is managed by the glob now: its M2M client is a shadow client
    legacy = next(r for r in shadows.values() if "legacy-m2m" in r["message"]["text"])
    assert (
        legacy["level"] == "error"
        and "managed_pools lists its user pool (legacy)" in legacy["message"]["text"]
    )
    # the waived one is reported as waived, and does not fail the run on its own
    waived = next(r for r in shadows.values() if "hand-made" in r["message"]["text"])
    assert waived["suppressions"][0]["justification"] == "Made for the load test, ticket OPS-9."
    # compare: [scopes] leaves the TTL alone; the rule's severity is the policy's
    drifted = [r for r in results(log) if r["ruleId"] == "DRIFT"]
    assert [(r["level"], r["properties"]["field"]) for r in drifted] == [("warning", "AllowedOAuthScopes")]
    assert got[("MISSING", "BatchClient")]["level"] == "error"
    # with the legacy pool managed, nothing is left uncompared
    notes = [n["message"]["text"] for n in log["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert not any("not compared" in n for n in notes)


TERRAFORM = """\
resource "aws_cognito_user_pool" "orders" {
  name = "orders"
}

resource "aws_cognito_user_pool_client" "sync" {
  name                                 = "svc-sync"
  user_pool_id                         = aws_cognito_user_pool.orders.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read", "orders/write"]
  access_token_validity                = 30
  token_validity_units {
    access_token = "minutes"
  }
}
"""


@pytest.mark.usefixtures("moto")
def test_terraform_pools_match_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    idp = cognito()
    orders = pool(idp, "orders")
    m2m(idp, orders, "svc-sync")
    saved_sweep(capsys)
    write("tf/main.tf", TERRAFORM)
    code, log, err = drift(capsys, "tf", "--inventory", "m2m-guard-inventory", "--fail-on", "never")
    assert code == 0, err
    [result] = results(log)
    assert result["ruleId"] == "DRIFT" and result["level"] == "error"
    assert where(result) == ("tf/main.tf", line_of("tf/main.tf", "allowed_oauth_scopes"))
    assert result["locations"][0]["logicalLocations"][0]["name"] == "aws_cognito_user_pool_client.sync"
    assert "orders/read, orders/write in the code and orders/read live" in result["message"]["text"]


@pytest.mark.usefixtures("moto")
def test_live_sweep_gives_what_the_saved_one_gives(capsys: pytest.CaptureFixture[str]) -> None:
    live_orders()
    write("infra/auth.yaml", TEMPLATE)
    code, log, err = drift(capsys, "infra", "--live", "--regions", "us-east-1", *FAST)
    assert code == 1, err
    live = sorted((r["ruleId"], r["partialFingerprints"]["m2mGuard/v1"]) for r in results(log))
    Path("drift.sarif").unlink()
    code, saved, err = drift(capsys, "infra", "--inventory", "m2m-guard-inventory")
    assert code == 1, err
    assert sorted((r["ruleId"], r["partialFingerprints"]["m2mGuard/v1"]) for r in results(saved)) == live


HOSTILE = "evil\x1b]8;;https://x.invalid\x07\u202e-client\n"


@pytest.mark.usefixtures("moto")
def test_hostile_names_are_escaped_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    idp = cognito()
    orders = pool(idp, "orders")
    m2m(idp, orders, HOSTILE)
    m2m(idp, pool(idp, "pool\x1b[2J"), "other")
    saved_sweep(capsys)
    write("infra/auth.yaml", TEMPLATE)
    for fmt in ("text", "json", "sarif"):
        code = main(["drift", "infra", "--inventory", "m2m-guard-inventory", "--format", fmt])
        out, err = capsys.readouterr()
        assert code == 1, err
        for raw in ("\x1b", "\x07", "\u202e"):
            assert raw not in out and raw not in err
        assert "\\x1b]8;;https://x.invalid\\x07\\u202e-client\\n" in out.replace("\\\\", "\\")
        assert "pool\\x1b[2J" in out.replace("\\\\", "\\")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "drift compares the code with live accounts: give --inventory DIR"),
        (["--inventory", "inv", "--live"], "use either --inventory or --live, not both"),
        (["--inventory", "inv", "--regions", "us-east-1"], "drift: --regions is a sweep option; add --live"),
        (["--inventory", "empty"], "--inventory empty: no m2m-guard inventory there"),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    Path("empty").mkdir()
    write("inv/x.json", "{}")
    code = main(["drift", ".", *argv])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_aws_config_matches_pools_by_id_and_says_it_cannot_by_name(
    capsys: pytest.CaptureFixture[str], hooks: Hooks
) -> None:
    from tests.sweep.test_config import ConfigStub, aggregate, item

    stub = ConfigStub()
    hooks.on_client.append(stub.attach)
    stub.page(
        "select_aggregate_resource_config",
        [item("a", "us-east-1_Cfg1", ttl=2), item("b", "us-east-1_Cfg1", ttl=1), item("c", "us-east-1_Cfg1")],
        None,
        aggregate(),
    )
    write(
        "infra/by-id.yaml",
        TEMPLATE.replace("!Ref OrdersPool", "us-east-1_Cfg1")
        .replace("svc-sync", "svc-a")
        .replace("svc-reporting", "svc-b"),
    )
    # the code adds clients to the pool by id: managed only once managed_pools names it
    write(
        "policy.yaml",
        "version: 1\nrules:\n"
        "  - {id: SHADOW, type: shadow_clients, managed_pools: [us-east-1_Cfg*]}\n"
        "  - {id: MISSING, type: missing_clients, severity: warning}\n"
        "  - {id: DRIFT, type: drifted_clients}\n",
    )
    argv = ("infra/by-id.yaml", "--live", "--config-aggregator", "org", "--policy", "policy.yaml")
    code, log, err = drift(capsys, *argv)
    assert code == 1, err
    got = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r for r in results(log)}
    # a shadow client read from AWS Config points at its account and region there
    shadow = got[("SHADOW", "c")]
    assert where(shadow) == (f"aws-config/{ACCOUNT}/us-east-1", 1)
    assert shadow["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("/client/c")
    # a: 2 hours live, 30 minutes in the code; b: one hour both; the secret is unknown to Config
    assert "is 30 minutes in the code and 2 hours live" in got[("DRIFT", "SyncClient")]["message"]["text"]
    assert got[("MISSING", "BatchClient")]["level"] == "warning"
    secret_notes = [r for r in results(log) if r["level"] == "note" and "secret" in r["message"]["text"]]
    assert secret_notes and all("AWS Config does not record" in r["message"]["text"] for r in secret_notes)
    Path("drift.sarif").unlink()
    stub.calls.clear()
    stub.page("select_aggregate_resource_config", [item("a", "us-east-1_Cfg1")], None, aggregate())
    write("named/auth.yaml", TEMPLATE)
    code, log, err = drift(capsys, "named", "--live", "--config-aggregator", "org")
    assert code == 0, err
    texts = {r["message"]["text"] for r in results(log)}
    assert any("AWS Config, whose items name no user pool" in t for t in texts)
