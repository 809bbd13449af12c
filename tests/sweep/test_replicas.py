"""Replicated user pools (multi-Region replication): a pool and its replicas are read, counted and
billed once, in the primary's region, and findings point at the primary.

Where the shapes come from:

* Amazon Cognito Developer Guide, "Multi-Region replication for user pools": the replicas are
  "separate user pools with a shared user pool ID"; the secondary inherits the primary's settings
  (app clients included: applications keep their clients on failover).
* botocore's cognito-idp service model (2016-04-18, botocore 1.44.8):
  UserPoolDescriptionType.ReplicaRegions (ListUserPools: "Regions where replicas of this user
  pool exist"), ListUserPoolReplicas -> UserPoolReplicaType {RegionName, Role PRIMARY|SECONDARY,
  Status CREATING|ACTIVE|INACTIVE|DELETING, UserPoolArn}; DescribeUserPool -> UserPoolType
  (the primary is described like any pool; a secondary is not).
* The API reference's response syntax for ListUserPoolReplicas (the same four fields).

Whether ListUserPools in the secondary's region also shows ``ReplicaRegions`` is not documented:
both shapes are tested, and the pool ID (named after the region it was created in, the
primary's) marks the replica either way. The Stubber checks every request and response against
the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from m2m_guard.sweep.discovery import RegionInventory, discover_region
from m2m_guard.sweep.inventory import render
from m2m_guard.sweep.ratelimit import RegionLimiter
from tests.sweep.support import Hooks, json_error, request_json, response, sweep

ACCOUNT = "111122223333"
POOL_ID = "eu-west-1_Rp4s8TbQ2"  # created in eu-west-1: the primary's region
PRIMARY, SECONDARY = "eu-west-1", "us-east-1"
CLIENT_ID = "5m2n8b4v6c1x3z9l7k5j3h1g0f"


def arn(region: str) -> str:
    return f"arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{POOL_ID}"


#: ListUserPoolReplicas, the same from either region (UserPoolReplicaType).
REPLICAS = {
    "UserPoolReplicas": [
        {"RegionName": PRIMARY, "Role": "PRIMARY", "Status": "ACTIVE", "UserPoolArn": arn(PRIMARY)},
        {"RegionName": SECONDARY, "Role": "SECONDARY", "Status": "ACTIVE", "UserPoolArn": arn(SECONDARY)},
    ]
}


def pool_summary(replica_regions: list[str] | None) -> dict[str, Any]:
    """A ListUserPools entry (UserPoolDescriptionType)."""
    summary: dict[str, Any] = {"Id": POOL_ID, "Name": "partners", "Status": "Enabled"}
    if replica_regions is not None:
        summary["ReplicaRegions"] = replica_regions
    return summary


#: DescribeUserPoolClient's UserPoolClient for the pool's one M2M client: its secret is kept in
#: Secrets Manager (UserPoolClientType.ClientSecretArn), and its token lives a day (a finding).
DESCRIBED = {
    "UserPoolId": POOL_ID,
    "ClientName": "partner-sync",
    "ClientId": CLIENT_ID,
    "ClientSecretArn": f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret/cognito-idp/{CLIENT_ID}-Xy12",
    "AccessTokenValidity": 1,
    "TokenValidityUnits": {"AccessToken": "days"},
    "AllowedOAuthFlows": ["client_credentials"],
    "AllowedOAuthScopes": ["partners/read"],
    "AllowedOAuthFlowsUserPoolClient": True,
}


#: DescribeUserPool's answer for the primary (UserPoolType): an Essentials pool, no triggers.
DESCRIBED_POOL = {"UserPool": {"Id": POOL_ID, "Name": "partners", "UserPoolTier": "ESSENTIALS"}}


def discover(region: str, stub: list[tuple[str, dict[str, Any], dict[str, Any] | None]]) -> RegionInventory:
    cognito = boto3.client("cognito-idp", region_name=region)
    with Stubber(cognito) as stubber:
        for method, answer, params in stub:
            stubber.add_response(method, answer, params)
        inventory = discover_region(cognito, ACCOUNT, region, RegionLimiter(1000.0), workers=1)
        stubber.assert_no_pending_responses()
    return inventory


def primary_calls(
    replica_regions: list[str] | None,
) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    return [
        ("list_user_pools", {"UserPools": [pool_summary(replica_regions)]}, {"MaxResults": 60}),
        ("list_user_pool_replicas", REPLICAS, {"UserPoolId": POOL_ID}),
        (
            "list_user_pool_clients",
            {
                "UserPoolClients": [
                    {"ClientId": CLIENT_ID, "UserPoolId": POOL_ID, "ClientName": "partner-sync"}
                ]
            },
            {"UserPoolId": POOL_ID, "MaxResults": 60},
        ),
        (
            "list_resource_servers",
            {"ResourceServers": [{"UserPoolId": POOL_ID, "Identifier": "partners", "Name": "partners"}]},
            {"UserPoolId": POOL_ID, "MaxResults": 50},
        ),
        ("describe_user_pool", DESCRIBED_POOL, {"UserPoolId": POOL_ID}),
        (
            "describe_user_pool_client",
            {"UserPoolClient": DESCRIBED},
            {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID},
        ),
    ]


def test_the_primary_is_read_as_usual_and_lists_its_replicas() -> None:
    inventory = discover(PRIMARY, primary_calls([SECONDARY]))
    assert inventory.errors == [] and inventory.warnings == [] and inventory.secondaries == []
    [pool] = inventory.pools
    assert pool.arn == arn(PRIMARY)
    assert [(r["RegionName"], r["Role"]) for r in pool.replicas] == [
        (PRIMARY, "PRIMARY"),
        (SECONDARY, "SECONDARY"),
    ]
    [record] = pool.clients
    assert record["ClientSecretArn"].startswith("arn:aws:secretsmanager:")
    assert record["GenerateSecret"] is True  # the ARN means a secret; no ListUserPoolClientSecrets call


@pytest.mark.parametrize("replica_regions", [[PRIMARY], None], ids=["replica-regions-shown", "id-only"])
def test_a_secondary_replica_is_not_read_and_says_where_its_primary_is(
    replica_regions: list[str] | None,
) -> None:
    # No ListUserPoolClients, ListResourceServers or describe: the Stubber fails on any of them.
    inventory = discover(
        SECONDARY,
        [
            ("list_user_pools", {"UserPools": [pool_summary(replica_regions)]}, {"MaxResults": 60}),
            ("list_user_pool_replicas", REPLICAS, {"UserPoolId": POOL_ID}),
        ],
    )
    assert inventory.pools == [] and inventory.errors == []
    [replica] = inventory.secondaries
    assert (replica.id, replica.primary_region, replica.arn, replica.status) == (
        POOL_ID,
        PRIMARY,
        arn(SECONDARY),
        "ACTIVE",
    )
    assert inventory.warnings == [
        f"user pool {POOL_ID} here is a secondary replica of the one in {PRIMARY}: "
        "its app clients are checked, counted and billed there only"
    ]


def test_an_unreplicated_pool_costs_no_extra_call() -> None:
    pool_id = "us-east-1_Pl41nP00l"
    inventory = discover(
        "us-east-1",
        [
            (
                "list_user_pools",
                {"UserPools": [{"Id": pool_id, "Name": "plain", "ReplicaRegions": []}]},
                None,
            ),
            ("list_user_pool_clients", {"UserPoolClients": []}, None),
            ("list_resource_servers", {"ResourceServers": []}, None),
            ("describe_user_pool", {"UserPool": {"Id": pool_id}}, None),
        ],
    )
    assert [p.id for p in inventory.pools] == [pool_id] and inventory.pools[0].replicas == []
    assert inventory.errors == []


@pytest.mark.parametrize(("region", "primary"), [(PRIMARY, True), (SECONDARY, False)])
def test_without_list_user_pool_replicas_the_pool_id_tells_the_primary(region: str, primary: bool) -> None:
    cognito = boto3.client("cognito-idp", region_name=region)
    with Stubber(cognito) as stubber:
        stubber.add_response("list_user_pools", {"UserPools": [pool_summary([SECONDARY])]})
        stubber.add_client_error("list_user_pool_replicas", "AccessDeniedException", http_status_code=400)
        if primary:
            stubber.add_response("list_user_pool_clients", {"UserPoolClients": []})
            stubber.add_response("list_resource_servers", {"ResourceServers": []})
            stubber.add_response("describe_user_pool", DESCRIBED_POOL)
        inventory = discover_region(cognito, ACCOUNT, region, RegionLimiter(1000.0), workers=1)
        stubber.assert_no_pending_responses()
    assert inventory.errors == []
    taken = "primary" if primary else "secondary replica"
    assert inventory.warnings[0] == (
        f"user pool {POOL_ID} is replicated and ListUserPoolReplicas failed "
        f"(access denied (ListUserPoolReplicas); grant the read-only policy in the README); "
        f"taken for the {taken} from its ID"
    )
    assert [p.id for p in inventory.pools] == ([POOL_ID] if primary else [])
    assert [s.id for s in inventory.secondaries] == ([] if primary else [POOL_ID])
    if primary:  # its replicas are known only by region: their usage counts stay unknown below
        assert {r["RegionName"] for r in inventory.pools[0].replicas} == {PRIMARY, SECONDARY}


def test_a_replica_list_without_this_region_is_an_error_not_a_guess() -> None:
    inventory = discover(
        PRIMARY,
        [
            ("list_user_pools", {"UserPools": [pool_summary([SECONDARY])]}, None),
            ("list_user_pool_replicas", {"UserPoolReplicas": [REPLICAS["UserPoolReplicas"][1]]}, None),
        ],
    )
    assert inventory.pools == [] and inventory.secondaries == []
    assert inventory.errors == [
        f"user pool {POOL_ID} is replicated, but ListUserPoolReplicas gives no role for {PRIMARY}"
    ]


# --- usage: a replica can serve the primary's clients -------------------------------------------


def test_a_zero_count_for_a_replicated_pool_is_unknown_usage() -> None:
    from m2m_guard.sources import inventory as inventory_source
    from m2m_guard.sources import parse

    inventory = discover(PRIMARY, primary_calls([SECONDARY]))
    text = render(inventory, lambda _client_id: (0, "CloudTrail LookupEvents"), 30)
    document = json.loads(text)
    assert document["usage"]["tokenRequests"] == {}
    assert document["userPools"][0]["Replicas"][1]["Role"] == "SECONDARY"
    [client] = inventory_source.load(parse(f"{ACCOUNT}/{PRIMARY}.json", text))
    assert client.usage is None and client.has_secret is True
    # a count above zero stands (a lower bound: the replica's requests are not added)
    text = render(inventory, lambda _client_id: (12, "CloudTrail LookupEvents"), 30)
    [client] = inventory_source.load(parse(f"{ACCOUNT}/{PRIMARY}.json", text))
    assert client.usage is not None and client.usage.requests == 12


# --- end to end: two regions answering like AWS ---------------------------------------------------
#
# moto runs every before-send handler and raises for operations it lacks (ListUserPoolReplicas),
# so this sweep runs against a small fake of the endpoints instead: STS and Cognito in two
# regions, and a refusal for anything else, so that nothing can reach the network.

#: STS GetCallerIdentity, in the query protocol's XML (API reference, GetCallerIdentity example).
CALLER = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult>"
    f"<Arn>arn:aws:iam::{ACCOUNT}:user/auditor</Arn><UserId>AIDAEXAMPLEUSERID1234</UserId>"
    f"<Account>{ACCOUNT}</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
)


def fake_cognito(region: str, seen: list[tuple[str, str]]) -> Any:
    """A ``before-send`` handler answering as the Cognito endpoint of ``region`` would, for one
    replicated pool (primary in eu-west-1, secondary in us-east-1). Any other call fails."""

    def answer(request: Any, **_: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
        seen.append((region, operation))
        body = request_json(request)
        if operation == "ListUserPools":
            return response(
                200, {"UserPools": [pool_summary([SECONDARY] if region == PRIMARY else [PRIMARY])]}
            )
        if operation == "ListUserPoolReplicas" and body.get("UserPoolId") == POOL_ID:
            return response(200, REPLICAS)
        if region == PRIMARY and operation == "ListUserPoolClients":
            listed = [{"ClientId": CLIENT_ID, "UserPoolId": POOL_ID, "ClientName": "partner-sync"}]
            return response(200, {"UserPoolClients": listed})
        if region == PRIMARY and operation == "ListResourceServers":
            servers = [{"UserPoolId": POOL_ID, "Identifier": "partners", "Name": "partners"}]
            return response(200, {"ResourceServers": servers})
        if region == PRIMARY and operation == "DescribeUserPool":
            return response(200, DESCRIBED_POOL)
        if region == PRIMARY and operation == "DescribeUserPoolClient":
            return response(200, {"UserPoolClient": DESCRIBED})
        return json_error("InvalidParameterException")

    return answer


def test_a_sweep_of_both_regions_reports_and_bills_the_pool_once_at_the_primary(
    hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, str]] = []
    hooks.add("before-send", lambda **_: json_error("AccessDeniedException"))  # nothing else answers
    hooks.add("before-send.sts", lambda **_: response(200, CALLER, "text/xml"), "sts")
    for region in (PRIMARY, SECONDARY):
        hooks.add("before-send.cognito-identity-provider", fake_cognito(region, seen), "cognito-idp", region)
    run = sweep(capsys, "--regions", f"{PRIMARY},{SECONDARY}", "--format", "sarif", report="live.sarif")
    assert run.code == 1, run.err  # the day-long token is an error; nothing failed
    results = run.results()
    assert results
    for result in results:  # each finding points at the primary's inventory and names its ARN
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"].endswith(f"{ACCOUNT}/{PRIMARY}.json")
        assert f"{arn(PRIMARY)}/client/{CLIENT_ID}" in json.dumps(location["logicalLocations"])
        assert "secret" not in result["message"]["text"]  # its ClientSecretArn means a secret
    assert len({r["ruleId"] for r in results}) == len(results)  # one client, reported once per rule
    # the secondary's region was asked for its pools and the replica's role, nothing more
    assert sorted(op for region, op in seen if region == SECONDARY) == [
        "ListUserPoolReplicas",
        "ListUserPools",
    ]
    assert not Path("m2m-guard-inventory", ACCOUNT, f"{SECONDARY}.json").exists()
    primary_file = json.loads(Path("m2m-guard-inventory", ACCOUNT, f"{PRIMARY}.json").read_text())
    assert [p["Id"] for p in primary_file["userPools"]] == [POOL_ID]
    assert [r["RegionName"] for r in primary_file["userPools"][0]["Replicas"]] == [PRIMARY, SECONDARY]
    notes = [n["message"]["text"] for n in run.notifications()]
    assert any(f"secondary replica of the one in {PRIMARY}" in n for n in notes)
    counts = json.dumps(run.report)
    assert '"user_pools": 1,' in counts or '"user_pools": 1}' in counts  # not 2
    assert '"m2m_clients": 1' in counts


def test_a_pool_whose_replica_list_is_empty_is_an_ordinary_pool() -> None:
    # Listed with ReplicaRegions, but its replica was deleted since: ListUserPoolReplicas is empty.
    inventory = discover(
        PRIMARY,
        [
            ("list_user_pools", {"UserPools": [pool_summary([SECONDARY])]}, None),
            ("list_user_pool_replicas", {"UserPoolReplicas": []}, None),
            ("list_user_pool_clients", {"UserPoolClients": []}, None),
            ("list_resource_servers", {"ResourceServers": []}, None),
            ("describe_user_pool", DESCRIBED_POOL, None),
        ],
    )
    assert [p.id for p in inventory.pools] == [POOL_ID] and inventory.pools[0].replicas == []
    assert inventory.errors == inventory.warnings == []


@pytest.mark.parametrize(
    ("pool_id", "region"),
    [
        ("eu-west-1_Rp4s8TbQ2", "eu-west-1"),
        ("us-gov-west-1_AbC", "us-gov-west-1"),
        ("eusc-de-east-1_AbC", "eusc-de-east-1"),
        ("ap-southeast-7_x", "ap-southeast-7"),
        ("local_AbC", None),
        ("nounderscore", None),
    ],
)
def test_the_region_a_pool_id_names(pool_id: str, region: str | None) -> None:
    from m2m_guard.sweep.discovery import _id_region

    assert _id_region(pool_id) == region


def test_replica_regions_are_kept_from_the_raw_response_when_the_sdk_drops_them() -> None:
    from m2m_guard.sweep.aws import _keep_raw_pool_fields

    class Raw:
        content = json.dumps({"UserPools": [pool_summary([SECONDARY])]}).encode()

    parsed: dict[str, Any] = {"UserPools": [{"Id": POOL_ID, "Name": "partners"}]}  # as an older SDK parses it
    _keep_raw_pool_fields(http_response=Raw(), parsed=parsed)
    assert parsed["UserPools"][0]["ReplicaRegions"] == [SECONDARY]
