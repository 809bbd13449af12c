"""Client secrets in a live sweep: a ``ClientSecretArn`` means a secret; an M2M client that
describe shows without any secret is asked about with ListUserPoolClientSecrets before it is
called unable to get a token; no secret value reaches any output or file.

Where the shapes come from (botocore's cognito-idp service model, 2016-04-18, botocore 1.44.8,
checked by the Stubber): UserPoolClientType.ClientSecretArn ("returns this ARN instead of
ClientSecret for app clients whose secret it manages in Secrets Manager"), ClientSecretArnType's
pattern; ListUserPoolClientSecrets -> ClientSecretDescriptorType {ClientSecretId
"<client-id>--<epoch-create-time>", ClientSecretCreateDate, ClientSecretValue "only returned when
creating a new secret"}; "there are only 2 secrets at any given time" (the operation's
documentation).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from m2m_guard.model import token_blockers
from m2m_guard.sources import inventory as inventory_source
from m2m_guard.sources import parse
from m2m_guard.sweep.discovery import RegionInventory, discover_region
from m2m_guard.sweep.inventory import render
from m2m_guard.sweep.ratelimit import RegionLimiter
from tests.sweep.support import Hooks, cognito, inventory_clients, json_error, m2m, pool, response, sweep
from tests.sweep.test_replicas import CALLER

ACCOUNT = "111122223333"
REGION = "eu-west-1"
POOL_ID = "eu-west-1_Rp4s8TbQ2"
CLIENT_ID = "5m2n8b4v6c1x3z9l7k5j3h1g0f"
CANARY = "CANARYq9" + "Zk4Xw2" * 6  # shaped like a secret: ClientSecretType is [\w+]{24,64}
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret/cognito-idp/{POOL_ID}/{CLIENT_ID}-Xy12"

#: DescribeUserPoolClient's UserPoolClient of an M2M client, without any secret field.
BARE = {
    "UserPoolId": POOL_ID,
    "ClientName": "partner-sync",
    "ClientId": CLIENT_ID,
    "AccessTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes"},
    "AllowedOAuthFlows": ["client_credentials"],
    "AllowedOAuthScopes": ["partners/read"],
    "AllowedOAuthFlowsUserPoolClient": True,
}
#: DescribeUserPool's answer (UserPoolType): an Essentials pool without triggers.
DESCRIBED_POOL = {"UserPool": {"Id": POOL_ID, "Name": "partners", "UserPoolTier": "ESSENTIALS"}}
#: Two secrets during a rotation (ListUserPoolClientSecrets; no values).
TWO_SECRETS = {
    "ClientSecrets": [
        {"ClientSecretId": f"{CLIENT_ID}--1780000000", "ClientSecretCreateDate": dt.datetime(2026, 6, 1)},
        {"ClientSecretId": f"{CLIENT_ID}--1790000000", "ClientSecretCreateDate": dt.datetime(2026, 9, 24)},
    ]
}


def discover(described: dict[str, Any], secrets: dict[str, Any] | str | None) -> RegionInventory:
    """One pool, one client; ``secrets`` is ListUserPoolClientSecrets' answer, an error code, or
    None when that call must not be made (the Stubber fails on an unexpected call)."""
    client = boto3.client("cognito-idp", region_name=REGION)
    with Stubber(client) as stubber:
        stubber.add_response("list_user_pools", {"UserPools": [{"Id": POOL_ID, "Name": "partners"}]})
        listed = [{"ClientId": CLIENT_ID, "UserPoolId": POOL_ID, "ClientName": "partner-sync"}]
        stubber.add_response("list_user_pool_clients", {"UserPoolClients": listed})
        stubber.add_response("list_resource_servers", {"ResourceServers": []})
        stubber.add_response("describe_user_pool", DESCRIBED_POOL, {"UserPoolId": POOL_ID})
        stubber.add_response("describe_user_pool_client", {"UserPoolClient": described})
        if isinstance(secrets, dict):
            stubber.add_response(
                "list_user_pool_client_secrets", secrets, {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID}
            )
        elif isinstance(secrets, str):
            stubber.add_client_error("list_user_pool_client_secrets", secrets, http_status_code=400)
        inventory = discover_region(client, ACCOUNT, REGION, RegionLimiter(1000.0), workers=1)
        stubber.assert_no_pending_responses()
    return inventory


def reloaded(inventory: RegionInventory) -> Any:
    text = render(inventory, lambda _client_id: (None, None), 30)
    [loaded] = inventory_source.load(parse(f"{ACCOUNT}/{REGION}.json", text))
    return loaded, text


def test_a_client_secret_arn_is_a_secret_and_costs_no_extra_call() -> None:
    inventory = discover({**BARE, "ClientSecretArn": SECRET_ARN}, None)
    [record] = inventory.pools[0].clients
    assert record["GenerateSecret"] is True and record["ClientSecretArn"] == SECRET_ARN
    loaded, text = reloaded(inventory)  # the inventory round trip keeps it
    assert json.loads(text)["userPools"][0]["AppClients"][0]["ClientSecretArn"] == SECRET_ARN
    assert loaded.has_secret is True and token_blockers(loaded) == ([], [])


def test_an_inventory_written_before_arns_counted_as_secrets_still_reads_as_having_one() -> None:
    inventory = discover({**BARE, "ClientSecretArn": SECRET_ARN}, None)
    inventory.pools[0].clients[0]["GenerateSecret"] = False  # what earlier versions wrote
    loaded, _ = reloaded(inventory)
    assert loaded.has_secret is True


@pytest.mark.parametrize(("answer", "expected"), [(TWO_SECRETS, True), ({"ClientSecrets": []}, False)])
def test_a_client_shown_without_a_secret_is_asked_about_before_it_is_condemned(
    answer: dict[str, Any], expected: bool
) -> None:
    inventory = discover(dict(BARE), answer)
    [record] = inventory.pools[0].clients
    assert record["GenerateSecret"] is expected and inventory.pools[0].secret_unknown == {}
    loaded, _ = reloaded(inventory)
    blockers, doubts = token_blockers(loaded)
    assert (blockers == []) is expected and doubts == []


@pytest.mark.parametrize("code", ["AccessDeniedException", "InvalidParameterException"])
def test_when_it_cannot_be_asked_whether_it_has_a_secret_is_unknown(code: str) -> None:
    inventory = discover(dict(BARE), code)
    assert inventory.errors == []  # not a failure of the sweep: one verdict is left open
    [why] = inventory.pools[0].secret_unknown.values()
    assert why.startswith("ListUserPoolClientSecrets: ")
    loaded, text = reloaded(inventory)
    assert json.loads(text)["userPools"][0]["SecretUnknown"] == {CLIENT_ID: why}
    blockers, doubts = token_blockers(loaded)
    assert blockers == []
    assert doubts == [f"GenerateSecret is unknown (the sweep could not tell whether it has a secret: {why})"]


def test_user_facing_clients_are_never_asked_about_secrets() -> None:
    public = {**BARE, "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid"]}
    inventory = discover(public, None)
    assert inventory.pools[0].clients[0]["GenerateSecret"] is False


# --- end to end ----------------------------------------------------------------------------------


def test_a_sweep_of_secrets_manager_clients_keeps_the_arn_and_leaks_no_value(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    client_id = m2m(idp, pool_id, "svc-managed")["ClientId"]
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret/cognito-idp/{pool_id}/{client_id}-Q1"

    def managed(**_: Any) -> Any:
        # moto returns ClientSecret; AWS returns ClientSecretArn instead for a managed secret.
        return response(
            200,
            {
                "UserPoolClient": {
                    "UserPoolId": pool_id,
                    "ClientName": "svc-managed",
                    "ClientId": client_id,
                    "ClientSecretArn": arn,
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["client_credentials"],
                    "AllowedOAuthScopes": ["orders/read"],
                    "AccessTokenValidity": 30,
                    "TokenValidityUnits": {"AccessToken": "minutes"},
                    # a field newer than the installed SDK, holding secret values
                    "FutureSecrets": [{"ClientSecretId": f"{client_id}--1", "clientSecretValue": CANARY}],
                }
            },
        )

    hooks.add("before-send.cognito-identity-provider.DescribeUserPoolClient", managed, "cognito-idp")
    outputs = ""
    for fmt in ("text", "json", "sarif"):
        run = sweep(capsys, "--regions", REGION, "--format", fmt, "--export-usage", f"usage-{fmt}.json")
        assert run.code == 0, run.err  # compliant, and not "can never issue a token"
        outputs += run.out + run.err
    record = inventory_clients(REGION)["svc-managed"]
    assert record["ClientSecretArn"] == arn and record["GenerateSecret"] is True
    assert record["FutureSecrets"] == [{"ClientSecretId": f"{client_id}--1"}]
    written = "".join(p.read_text() for p in Path(".").rglob("*") if p.is_file())
    assert CANARY not in outputs + written
    assert "secretsmanager" not in outputs  # reports never show the ARN


def test_a_secret_value_listed_by_mistake_is_dropped_before_anything_sees_it(
    hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    """ListUserPoolClientSecrets "never reveals" ClientSecretValue; if a response ever held it,
    the sweep drops it on arrival (a fake endpoint: moto does not implement the operation)."""

    def cognito_endpoint(request: Any, **_: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
        answers: dict[str, Any] = {
            "ListUserPools": {"UserPools": [{"Id": POOL_ID, "Name": "partners"}]},
            "ListUserPoolClients": {
                "UserPoolClients": [
                    {"ClientId": CLIENT_ID, "UserPoolId": POOL_ID, "ClientName": "partner-sync"}
                ]
            },
            "ListResourceServers": {
                "ResourceServers": [{"UserPoolId": POOL_ID, "Identifier": "partners", "Name": "partners"}]
            },
            "DescribeUserPool": DESCRIBED_POOL,
            "DescribeUserPoolClient": {"UserPoolClient": BARE},
            "ListUserPoolClientSecrets": {
                "ClientSecrets": [
                    {"ClientSecretId": f"{CLIENT_ID}--1780000000", "ClientSecretValue": CANARY},
                ]
            },
        }
        if operation in answers:
            return response(200, answers[operation])
        return json_error("InvalidParameterException")

    hooks.add("before-send", lambda **_: json_error("AccessDeniedException"))  # nothing else answers
    hooks.add("before-send.sts", lambda **_: response(200, CALLER, "text/xml"), "sts")
    hooks.add("before-send.cognito-identity-provider", cognito_endpoint, "cognito-idp")
    run = sweep(capsys, "--regions", REGION, "--format", "json", report="live.json")
    assert run.code == 0, run.err
    record = json.loads(Path("m2m-guard-inventory", ACCOUNT, f"{REGION}.json").read_text())
    assert record["userPools"][0]["AppClients"][0]["GenerateSecret"] is True
    written = "".join(p.read_text() for p in Path(".").rglob("*") if p.is_file())
    assert CANARY not in run.out + run.err + written
