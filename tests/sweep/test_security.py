"""The sweep reads and never writes; client secrets never leave the process; fields newer than
the installed botocore are kept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.stub import Stubber

from m2m_guard.sweep import aws
from tests.sweep.support import (
    ACCOUNT,
    Hooks,
    cognito,
    inventory_clients,
    json_error,
    m2m,
    pool,
    response,
    sweep,
    token_auth,
    user_facing,
)


def everything_written(run_outputs: str) -> str:
    """What the user sees and every file the runs left in the working directory."""
    files = "".join(p.read_text(errors="replace") for p in Path(".").rglob("*") if p.is_file())
    return run_outputs + files


def test_client_secrets_never_appear_in_any_output_or_file(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = []
    for region in ("us-east-1", "eu-west-1"):
        idp = cognito(region)
        pool_id = pool(idp, f"pool-{region}")
        for made in (
            m2m(idp, pool_id, f"svc-long-{region}", ttl=(1, "days")),
            m2m(idp, pool_id, f"svc-ok-{region}"),
            token_auth(idp, pool_id, f"token-{region}"),
            user_facing(idp, pool_id, f"web-{region}"),
        ):
            secrets.append(made["ClientSecret"])
    assert len(secrets) == 8 and all(len(s) >= 20 for s in secrets)
    # a failing describe and a failing region put error text on stderr too
    hooks.add(
        "before-send.cognito-identity-provider.DescribeUserPoolClient",
        lambda request, **_: (
            json_error("InternalErrorException", 400) if b"svc-ok-eu" in (request.body or b"") else None
        ),
        "cognito-idp",
    )
    hooks.add(
        "before-send.cognito-identity-provider",
        lambda **_: json_error("AccessDeniedException"),
        "cognito-idp",
        "ap-south-1",
    )

    outputs = ""
    regions = "us-east-1,eu-west-1,ap-south-1"
    for fmt in ("text", "json", "sarif"):
        run = sweep(capsys, "--regions", regions, "--format", fmt, "--export-usage", f"usage-{fmt}.json")
        assert run.code == 2 and run.out
        outputs += run.out + run.err
        run = sweep(capsys, "--regions", regions, "--format", fmt, report=f"report.{fmt}")
        assert run.code == 2
        outputs += run.out + run.err
    assert len(list(Path("m2m-guard-inventory").rglob("*.json"))) == 2
    written = everything_written(outputs)
    leaked = [s for s in secrets if s in written]
    assert leaked == []
    # and the inventory still says which clients have a secret
    assert all(c["GenerateSecret"] is True for c in inventory_clients("us-east-1").values())


def test_fields_the_installed_botocore_does_not_know_are_kept(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito()
    pool_id = pool(idp, "orders")
    client_id = m2m(idp, pool_id, "svc-future")["ClientId"]
    canary = "CANARY-" + "s3cr3t" * 8

    def future(**_: Any) -> Any:
        return response(
            200,
            {
                "UserPoolClient": {
                    "UserPoolId": pool_id,
                    "ClientName": "svc-future",
                    "ClientId": client_id,
                    "ClientSecret": canary,
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["client_credentials"],
                    "AllowedOAuthScopes": ["orders/read"],
                    "AccessTokenValidity": 30,
                    "TokenValidityUnits": {"AccessToken": "minutes"},
                    "FutureField": "x",
                    "FutureSettings": {"Mode": "strict", "Limits": [1, 2]},
                }
            },
        )

    hooks.add("before-send.cognito-identity-provider.DescribeUserPoolClient", future, "cognito-idp")
    run = sweep(capsys, "--regions", "us-east-1", "--format", "json", report="m2m.json")
    assert run.code == 0, run.err
    record = inventory_clients("us-east-1")["svc-future"]
    assert record["FutureField"] == "x"
    assert record["FutureSettings"] == {"Mode": "strict", "Limits": [1, 2]}
    assert record["GenerateSecret"] is True and "ClientSecret" not in record
    assert canary not in everything_written(run.out + run.err)


def test_every_call_of_a_full_sweep_is_on_the_read_only_list(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    orgs = boto3.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    orgs.create_account(Email="member@example.com", AccountName="member")
    idp = cognito("eu-west-1")
    m2m(idp, pool(idp, "orders"), "svc")

    def stub(service: str, region: str | None, client: Any) -> None:
        stubber = Stubber(client)
        if service == "cloudtrail":
            stubber.add_response("lookup_events", {"Events": []})
        elif service == "logs":
            stubber.add_response("start_query", {"queryId": "q"})
            stubber.add_response("get_query_results", {"status": "Complete", "results": []})
        else:
            return
        stubber.activate()

    hooks.on_client.append(stub)
    called: set[tuple[str, str]] = set()
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation_name: str, api_params: Any) -> Any:
        called.add((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    # no --regions: the enabled regions come from EC2
    run = sweep(
        capsys,
        "--role-name",
        "OrganizationAccountAccessRole",
        "--organization",
        "--external-id",
        "ext-id",
        "--cloudtrail-lookup",
        "--cloudtrail-log-group",
        "trail",
        "--format",
        "json",
        report="m2m.json",
    )
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    assert run.code in (0, 1), run.err
    # every service but AWS Config, which only `sweep --config` reads (tests/sweep/test_config.py)
    assert {service for service, _ in called} == set(aws.READ_ONLY_OPERATIONS) - {"config"}
    outside = {(s, op) for s, op in called if op not in aws.READ_ONLY_OPERATIONS[s]}
    assert outside == set()
    # many regions of two accounts were read; only the one with a user pool has an inventory file
    written = sorted(p.as_posix() for p in Path("m2m-guard-inventory").glob("*/*.json"))
    assert written == [f"m2m-guard-inventory/{ACCOUNT}/eu-west-1.json"]


@pytest.mark.parametrize(
    ("service", "method", "params"),
    [
        ("cognito-idp", "create_user_pool", {"PoolName": "x"}),
        ("cognito-idp", "update_user_pool_client", {"UserPoolId": "us-east-1_x", "ClientId": "c"}),
        ("cognito-idp", "delete_user_pool_client", {"UserPoolId": "us-east-1_x", "ClientId": "c"}),
        ("cognito-idp", "admin_create_user", {"UserPoolId": "us-east-1_x", "Username": "u"}),
        ("logs", "stop_query", {"queryId": "q"}),
        ("cloudtrail", "stop_logging", {"Name": "trail"}),
        ("organizations", "create_account", {"Email": "aa@bb.cc", "AccountName": "x"}),
        ("config", "put_evaluations", {"ResultToken": "t"}),
        ("config", "delete_configuration_aggregator", {"ConfigurationAggregatorName": "org"}),
        ("config", "start_config_rules_evaluation", {"ConfigRuleNames": ["r"]}),
    ],
)
def test_a_sweep_client_refuses_writes_before_any_request(
    service: str, method: str, params: dict[str, Any], moto: None
) -> None:
    client = aws.client(boto3.Session(), service, "us-east-1")
    sent: list[Any] = []
    client.meta.events.register_first("before-send", lambda request, **_: sent.append(request))
    with pytest.raises(aws.WriteRefused, match=re.escape(service)):
        getattr(client, method)(**params)
    assert sent == []


def test_iam_policy_lists_exactly_the_operations_the_guard_allows() -> None:
    policy = aws.iam_policy()
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    expected = sorted(
        f"{aws.IAM_PREFIX[service]}:{op}"
        for service, ops in aws.READ_ONLY_OPERATIONS.items()
        for op in ops
        if op != "GetCallerIdentity"  # needs no permission
    )
    assert statement["Action"] == expected
    verbs = re.compile(
        r"^(List|Describe|Get|Lookup|StartQuery$|AssumeRole$|Select(Aggregate)?ResourceConfig$)"
    )
    assert all(verbs.match(action.split(":")[1]) for action in statement["Action"])
    json.dumps(policy)  # ready to paste
