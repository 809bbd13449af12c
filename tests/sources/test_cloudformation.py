"""CloudFormation source: fixture templates -> normalized app clients, asserted as dicts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.engine import evaluate
from m2m_guard.model import AppClient, Severity, Unknown
from m2m_guard.model.pool_settings import customizes_m2m_tokens
from m2m_guard.policy import load_policy
from m2m_guard.sources import cfn_template, cloudformation
from m2m_guard.sources.document import SourceError, parse
from tests.sources.support import as_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cloudformation"
U = Unknown


def load(name: str, text: str | None = None) -> list[AppClient]:
    doc = parse(name, (FIXTURES / name).read_text(encoding="utf-8") if text is None else text)
    assert cloudformation.matches(doc.data)
    return cloudformation.load(doc)


def pool(key: str, label: str, names: tuple[str, ...], line: int | None, servers: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "names": names, "line": line, "resource_servers": servers}


def pool_ref(name: str) -> U:
    return U(f"Ref to user pool {name}, whose id is known only after deploy")


def undecided(condition: str) -> U:
    return U(f"condition {condition} cannot be decided from parameter defaults")


EXPECTED: dict[str, list[dict[str, Any]]] = {
    "short_form_tags.yaml": [
        {
            "logical_id": "BillingClient",
            "line": 18,
            "record": {
                "UserPoolId": U("Fn::GetAtt Pool.UserPoolId is known only after deploy"),
                "ClientName": "billing-prod",
                "GenerateSecret": True,
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": ("orders-prod/read",),
                "AccessTokenValidity": 15,
                "TokenValidityUnits": {"AccessToken": "minutes"},
            },
            "field_lines": {
                "UserPoolId": 21,
                "ClientName": 22,
                "GenerateSecret": 23,
                "AllowedOAuthFlowsUserPoolClient": 24,
                "AllowedOAuthFlows": 25,
                "AllowedOAuthScopes": 26,
                "AccessTokenValidity": 28,
                "TokenValidityUnits": 29,
            },
            "pool": pool("short_form_tags.yaml#Pool", "Pool", ("Pool", "orders-prod"), 8, ("orders-prod",)),
        }
    ],
    "sub_join_select_if.yaml": [
        {
            "logical_id": "Worker",
            "line": 34,
            "record": {
                "UserPoolId": pool_ref("Pool"),
                "GenerateSecret": True,
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": (
                    "orders.prod.example/read",  # Sub with a resource server Ref
                    "reports/admin",  # Sub, [string, variables] form
                    "orders.prod.example/write",  # Join + Select of a CommaDelimitedList
                    "audit/read",  # Select + Split
                    "reports/export",  # If (true) + FindInMap
                    "${Literal}/read",  # ${!Literal} escape
                    U("Fn::Sub variable ${Reports.Arn} is known only after deploy"),
                ),
                "AccessTokenValidity": 30,
                "TokenValidityUnits": {"AccessToken": "minutes"},
            },
            "field_lines": {
                "UserPoolId": 37,
                "GenerateSecret": 38,
                "AllowedOAuthFlowsUserPoolClient": 39,
                "AllowedOAuthFlows": 40,
                "AllowedOAuthScopes": 41,
                "AccessTokenValidity": 49,
                "TokenValidityUnits": 50,
            },
            "pool": pool(
                "sub_join_select_if.yaml#Pool",
                "Pool",
                ("Pool",),
                20,
                ("orders.prod.example", "reports"),
            ),
        }
    ],
    "parameter_defaults.yaml": [
        {
            "logical_id": "ExternalPoolClient",
            "line": 28,
            "record": {
                "UserPoolId": U("Ref to parameter PoolId, which has no Default"),
                "ClientName": U(
                    "Ref to parameter ClientNameFromSsm, read from SSM Parameter Store at deploy time"
                ),
                "AllowedOAuthFlows": U("Ref to parameter Flows, which has no Default"),
                "AllowedOAuthScopes": ("inventory/read", "inventory/write"),
                "AccessTokenValidity": 2,
            },
            "field_lines": {
                "UserPoolId": 31,
                "ClientName": 32,
                "AllowedOAuthFlows": 33,
                "AllowedOAuthScopes": 34,
                "AccessTokenValidity": 35,
            },
            # The resource server with the same pool expression belongs to the same pool.
            "pool": pool(
                "parameter_defaults.yaml#param:PoolId",
                "parameter PoolId",
                ("PoolId",),
                None,
                ("inventory",),
            ),
        },
        {
            "logical_id": "SharedPoolClient",
            "line": 36,
            "record": {
                "UserPoolId": "eu-west-1_AbC123",
                "ClientName": "shared",
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": ("inventory/read",),
            },
            "field_lines": {
                "UserPoolId": 39,
                "ClientName": 40,
                "AllowedOAuthFlows": 41,
                "AllowedOAuthScopes": 42,
            },
            "pool": pool("eu-west-1_AbC123", "eu-west-1_AbC123", ("eu-west-1_AbC123",), None, None),
        },
        {
            "logical_id": "LiteralPoolClient",
            "line": 43,
            "record": {
                "UserPoolId": "eu-west-1_AbC123",
                "ClientName": "literal",
                "AllowedOAuthFlows": ("client_credentials",),
            },
            "field_lines": {"UserPoolId": 46, "ClientName": 47, "AllowedOAuthFlows": 48},
            "pool": pool("eu-west-1_AbC123", "eu-west-1_AbC123", ("eu-west-1_AbC123",), None, None),
        },
    ],
    # ProdOnlyClient (IsProd false) and ProdPartnerClient (And with a false member) are not
    # created; PartnerClient's condition is undecidable, so it is kept.
    "conditions.yaml": [
        {
            "logical_id": "PartnerClient",
            "line": 45,
            "record": {
                "UserPoolId": pool_ref("Pool"),
                "AllowedOAuthFlows": ("client_credentials",),
                # Its own Condition HasPartner holds wherever it exists: the Fn::If on it
                # take their true branch.
                "AllowedOAuthScopes": ("partner/read", "partner/admin", "partner/audit"),
                "AccessTokenValidity": 1,
                "RefreshTokenValidity": 1,
            },
            "field_lines": {
                "UserPoolId": 49,
                "AllowedOAuthFlows": 50,
                "AllowedOAuthScopes": 51,
                "AccessTokenValidity": 55,
                "RefreshTokenValidity": 56,
            },
            # ProdServer (IsProd false) does not exist; PartnerServer may.
            "pool": pool("conditions.yaml#Pool", "Pool", ("Pool",), 17, ("partner",)),
        }
    ],
    "no_value.yaml": [
        {
            "logical_id": "Client",
            "line": 12,
            "record": {
                "UserPoolId": pool_ref("Pool"),
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": ("orders/write",),
            },
            "field_lines": {
                "UserPoolId": 15,
                "AllowedOAuthFlows": 16,
                "AllowedOAuthScopes": 19,
                "AccessTokenValidity": 22,
                "GenerateSecret": 23,
            },
            "pool": pool("no_value.yaml#Pool", "Pool", ("Pool",), 10, ()),
        }
    ],
    "import_value_pool.yaml": [
        {
            "logical_id": "ImportedPoolClient",
            "line": 14,
            "record": {
                "UserPoolId": U("Fn::ImportValue shared-auth-UserPoolId is known only at deploy time"),
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": ("payments/charge",),
            },
            "field_lines": {"UserPoolId": 17, "AllowedOAuthFlows": 19, "AllowedOAuthScopes": 20},
            "pool": pool(
                "import:shared-auth-UserPoolId",
                "import shared-auth-UserPoolId",
                ("shared-auth-UserPoolId",),
                None,
                ("payments",),
            ),
        },
        {
            "logical_id": "SubImportClient",
            "line": 21,
            "record": {
                "UserPoolId": U("Fn::ImportValue prod-auth-UserPoolId is known only at deploy time"),
                "AllowedOAuthFlows": ("client_credentials",),
            },
            "field_lines": {"UserPoolId": 24, "AllowedOAuthFlows": 26},
            "pool": pool(
                "import:prod-auth-UserPoolId",
                "import prod-auth-UserPoolId",
                ("prod-auth-UserPoolId",),
                None,
                None,
            ),
        },
        {
            "logical_id": "UnknownPoolClient",
            "line": 27,
            "record": {
                "UserPoolId": U("pseudo parameter AWS::Region is known only at deploy time"),
                "AllowedOAuthFlows": ("client_credentials",),
            },
            "field_lines": {"UserPoolId": 30, "AllowedOAuthFlows": 31},
            "pool": pool(
                "import_value_pool.yaml#UnknownPoolClient:pool",
                "unknown user pool (pseudo parameter AWS::Region is known only at deploy time)",
                (),
                None,
                None,
            ),
        },
    ],
    "wrong_property_types.yaml": [
        {
            "logical_id": "ListTtlClient",
            "line": 6,
            "record": {
                "UserPoolId": pool_ref("Pool"),
                "AllowedOAuthFlows": ("client_credentials",),
                "AccessTokenValidity": U("AccessTokenValidity is a list, not a whole number"),
            },
            "field_lines": {"UserPoolId": 9, "AllowedOAuthFlows": 10, "AccessTokenValidity": 11},
            "pool": pool("wrong_property_types.yaml#Pool", "Pool", ("Pool",), 4, ()),
        },
        {
            "logical_id": "StringFlowsClient",
            "line": 12,
            "record": {
                "UserPoolId": pool_ref("Pool"),
                "AllowedOAuthFlows": U("AllowedOAuthFlows is 'client_credentials', not a list"),
                "AllowedOAuthScopes": (
                    "orders/read",
                    U("an element of AllowedOAuthScopes is a mapping, not a string"),
                ),
                "TokenValidityUnits": U("TokenValidityUnits is 'minutes', not a mapping"),
            },
            "field_lines": {
                "UserPoolId": 15,
                "AllowedOAuthFlows": 16,
                "AllowedOAuthScopes": 17,
                "TokenValidityUnits": 18,
            },
            "pool": pool("wrong_property_types.yaml#Pool", "Pool", ("Pool",), 4, ()),
        },
        {
            "logical_id": "NumberPropertiesClient",
            "line": 19,
            # Unknown, not absent: absent would pass the client off as a harmless non-M2M one.
            "record": {
                key: U("Properties is 5, not a mapping")
                for key in (
                    "AllowedOAuthFlows",
                    "ExplicitAuthFlows",
                    "AllowedOAuthScopes",
                    "AllowedOAuthFlowsUserPoolClient",
                    "GenerateSecret",
                    "AccessTokenValidity",
                    "UserPoolId",
                )
            },
            "field_lines": {},
            "pool": pool(
                "wrong_property_types.yaml#NumberPropertiesClient:pool",
                "unknown user pool (Properties is 5, not a mapping)",
                (),
                None,
                None,
            ),
        },
        {
            "logical_id": "BadIntrinsicsClient",
            "line": 22,
            "record": {
                "UserPoolId": U("Ref to something that is not a name"),
                "AllowedOAuthFlows": (U("Fn::Select index 7 is past the end of the list"),),
                "AllowedOAuthScopes": U("Fn::Join needs a list, not a string"),
                "ClientName": U("Fn::GetAZs is not evaluated"),
                "AccessTokenValidity": U("Fn::Sub needs a string or [string, variables]"),
            },
            "field_lines": {
                "UserPoolId": 25,
                "AllowedOAuthFlows": 26,
                "AllowedOAuthScopes": 27,
                "ClientName": 28,
                "AccessTokenValidity": 29,
            },
            "pool": pool(
                "wrong_property_types.yaml#BadIntrinsicsClient:pool",
                "unknown user pool (Ref to something that is not a name)",
                (),
                None,
                None,
            ),
        },
    ],
    "sam_template.yaml": [
        {
            "logical_id": "ReportsClient",
            "line": 36,
            "record": {
                "UserPoolId": pool_ref("ReportsPool"),
                "ClientName": "reports-exporter",
                "GenerateSecret": True,
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": ("reports/read",),
                "AccessTokenValidity": 1,
                "ExplicitAuthFlows": ("ALLOW_REFRESH_TOKEN_AUTH",),
            },
            "field_lines": {
                "UserPoolId": 39,
                "ClientName": 40,
                "GenerateSecret": 41,
                "AllowedOAuthFlowsUserPoolClient": 42,
                "AllowedOAuthFlows": 43,
                "AllowedOAuthScopes": 45,
                "AccessTokenValidity": 47,
                "ExplicitAuthFlows": 48,
            },
            "pool": pool(
                "sam_template.yaml#ReportsPool",
                "ReportsPool",
                ("ReportsPool", "reports-pool"),
                23,
                ("reports",),
            ),
        }
    ],
    # JSON: line numbers come from a text search, json.loads keeps none.
    "cdk_synth.template.json": [
        {
            "logical_id": "UserPoolSyncClient5B0E3C4A",
            "line": 23,
            "record": {
                "UserPoolId": pool_ref("UserPool6BA7E5F2"),
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthScopes": ("ledger/read",),
                "ClientName": "ledger-sync",
                "GenerateSecret": True,
                "AccessTokenValidity": 480,
                "TokenValidityUnits": {"AccessToken": "minutes"},
            },
            "field_lines": {
                "UserPoolId": 26,
                "AllowedOAuthFlows": 29,
                "AllowedOAuthFlowsUserPoolClient": 32,
                "AllowedOAuthScopes": 33,
                "ClientName": 46,
                "GenerateSecret": 47,
                "AccessTokenValidity": 48,
                "TokenValidityUnits": 49,
            },
            "pool": pool(
                "cdk_synth.template.json#UserPool6BA7E5F2",
                "UserPool6BA7E5F2",
                ("UserPool6BA7E5F2", "ledger-users"),
                3,
                ("ledger",),
            ),
        },
        {
            "logical_id": "UserPoolWebClient9A1B2C3D",
            "line": 57,
            "record": {
                "UserPoolId": pool_ref("UserPool6BA7E5F2"),
                "AllowedOAuthFlows": ("code",),
                "AllowedOAuthScopes": ("openid",),
                "CallbackURLs": ("https://example.com/callback",),
            },
            "field_lines": {
                "UserPoolId": 60,
                "AllowedOAuthFlows": 61,
                "AllowedOAuthScopes": 62,
                "CallbackURLs": 63,
            },
            "pool": pool(
                "cdk_synth.template.json#UserPool6BA7E5F2",
                "UserPool6BA7E5F2",
                ("UserPool6BA7E5F2", "ledger-users"),
                3,
                ("ledger",),
            ),
        },
    ],
    "serverless_resources.yml": [
        {
            "logical_id": "OrdersM2MClient",
            "line": 27,
            "record": {
                "ClientName": U("Serverless variable ${self:custom.stage} is set at deploy time"),
                "UserPoolId": pool_ref("OrdersPool"),
                "GenerateSecret": True,
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": ("orders/read", undecided("AllowAdmin")),
                "AccessTokenValidity": U("Serverless variable ${self:custom.ttl} is set at deploy time"),
                "TokenValidityUnits": {"AccessToken": "minutes"},
            },
            "field_lines": {
                "ClientName": 30,
                "UserPoolId": 31,
                "GenerateSecret": 33,
                "AllowedOAuthFlowsUserPoolClient": 34,
                "AllowedOAuthFlows": 35,
                "AllowedOAuthScopes": 37,
                "AccessTokenValidity": 43,
                "TokenValidityUnits": 44,
            },
            # The pool name is a Serverless variable, so only the logical id names the pool.
            "pool": pool(
                "serverless_resources.yml#OrdersPool", "OrdersPool", ("OrdersPool",), 17, ("orders",)
            ),
        }
    ],
    "serverless_resources_list.yml": [
        {
            "logical_id": "BillingClient",
            "line": 10,
            "record": {
                "UserPoolId": pool_ref("BillingPool"),
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": ("billing/read",),
                "AccessTokenValidity": 1,
            },
            "field_lines": {
                "UserPoolId": 13,
                "AllowedOAuthFlows": 14,
                "AllowedOAuthScopes": 15,
                "AccessTokenValidity": 16,
            },
            # The pool is defined in another fragment of the same file.
            "pool": pool("serverless_resources_list.yml#BillingPool", "BillingPool", ("BillingPool",), 7, ()),
        }
    ],
    # Loops are unknown, not endless: the client's own Condition (Ping) is undecidable too.
    "ref_cycles.yaml": [
        {
            "logical_id": "LoopClient",
            "line": 27,
            "record": {
                "UserPoolId": pool_ref("Pool"),
                "AllowedOAuthFlows": ("client_credentials",),
                "AllowedOAuthScopes": (
                    U("Ref cycle through resource server ServerA"),
                    "stable/read",
                ),
                "AccessTokenValidity": undecided("Pong"),
            },
            "field_lines": {
                "UserPoolId": 31,
                "AllowedOAuthFlows": 32,
                "AllowedOAuthScopes": 33,
                "AccessTokenValidity": 36,
            },
            "pool": pool("ref_cycles.yaml#Pool", "Pool", ("Pool",), 7, ("stable",)),
        }
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_clients(name: str) -> None:
    clients = load(name)
    assert [as_dict(c, flat=True) for c in clients] == EXPECTED[name]
    assert all(c.location.path == name for c in clients)


def test_short_and_long_form_tags_give_the_same_client() -> None:
    (short,) = load("short_form_tags.yaml")
    (long,) = load("long_form_tags.yaml")
    assert long.record == short.record
    assert long.pool.names == short.pool.names
    assert long.pool.resource_servers == short.pool.resource_servers
    assert long.location.line == 21
    assert long.field_lines["AllowedOAuthScopes"] == 31


def test_client_secret_in_properties_never_reaches_the_client() -> None:
    (client,) = load("client_secret_in_properties.yaml")
    assert "ClientSecret" not in client.record
    assert "ClientSecret" not in client.field_lines
    assert "s3cr3t-do-not-print" not in repr(client)
    assert client.record["GenerateSecret"] is True
    assert client.is_m2m is True


def test_alias_bomb_in_a_client_is_refused_with_its_line() -> None:
    with pytest.raises(SourceError) as caught:
        load("alias_bomb.yaml")
    assert caught.value.message == "template too complex to evaluate (alias expansion?)"
    assert caught.value.line == 18


def test_alias_bomb_outside_cognito_resources_does_not_matter() -> None:
    text = (FIXTURES / "alias_bomb.yaml").read_text(encoding="utf-8")
    text = text.replace("AllowedOAuthScopes: *l9", "AllowedOAuthScopes: [a/b]")
    text += "  Unrelated:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags: *l9\n"
    (client,) = load("alias_bomb.yaml", text)
    assert client.scopes == ("a/b",)


def test_undecidable_if_with_equal_branches_is_known() -> None:
    (client,) = load("conditions.yaml")
    assert client.scopes[2] == "partner/audit"  # !If [InUsEast1, partner/audit, partner/audit]


def test_properties_chosen_by_fn_if_keep_pool_and_lines() -> None:
    text = """\
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: !If
      - IsProd
      - UserPoolId: !Ref Pool
        AllowedOAuthFlows: [client_credentials]
      - UserPoolId: !Ref Pool
        AllowedOAuthFlows: [code]
"""
    (client,) = load("properties_if.yaml", text)
    assert client.oauth_flows == ("client_credentials",)
    assert client.pool.key == "properties_if.yaml#Pool"
    assert client.field_lines == {"UserPoolId": 12, "AllowedOAuthFlows": 13}


def test_user_pool_chosen_by_fn_if() -> None:
    text = """\
Parameters:
  Shared: {Type: String, Default: "no"}
Conditions:
  UseShared: !Equals [!Ref Shared, "yes"]
Resources:
  OwnPool:
    Type: AWS::Cognito::UserPool
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !If [UseShared, !ImportValue shared-pool, !Ref OwnPool]
      AllowedOAuthFlows: [client_credentials]
"""
    (client,) = load("pool_if.yaml", text)
    assert client.pool.key == "pool_if.yaml#OwnPool"


def test_dynamic_references_are_unknown() -> None:
    text = """\
Resources:
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: us-east-1_Abc
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: ["{{resolve:ssm:/m2m/scope}}"]
"""
    (client,) = load("dynamic.yaml", text)
    assert client.scopes == (U("dynamic reference {{resolve:ssm:/m2m/scope}} is resolved at deploy time"),)


def test_client_without_properties_is_returned_with_an_unknown_pool() -> None:
    text = "Resources:\n  Bare:\n    Type: AWS::Cognito::UserPoolClient\n"
    (client,) = load("bare.yaml", text)
    assert client.record == {}
    assert client.pool.label == "unknown user pool (UserPoolId is not set)"


@pytest.mark.parametrize(
    "properties",
    [
        "[]",
        "null",
        "!Ref AWS::NoValue",
        "!Sub x",
        "{Ref: [1]}",
        "{UserPoolId: {Fn::If: [1, 2]}, AllowedOAuthFlows: {Fn::Join: null}}",
        "{UserPoolId: {Fn::FindInMap: [M, {Ref: X}, k]}, ClientName: {Fn::Select: [a, b]}}",
        "{AllowedOAuthScopes: [{Fn::Split: ['', x]}, {Fn::Sub: ['${A}', []]}, {Ref: AWS::URLSuffix}]}",
        "{AccessTokenValidity: {Fn::If: [Missing, 1, 2]}, 7: {Condition: x}, TokenValidityUnits: [1]}",
    ],
)
def test_malformed_properties_never_raise(properties: str) -> None:
    text = f"Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n    Properties: {properties}\n"
    (client,) = load("malformed.yaml", text)
    # Whatever the shape, the rules can ask their questions without an exception.
    assert client.is_m2m in (True, False) or isinstance(client.is_m2m, Unknown)
    assert isinstance(client.access_token_ttl, (int, Unknown))
    assert client.location.logical_id == "C"


def generated_template(count: int) -> str:
    resources: dict[str, Any] = {
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolName": "big"}},
        "Api": {
            "Type": "AWS::Cognito::UserPoolResourceServer",
            "Properties": {"UserPoolId": {"Ref": "Pool"}, "Identifier": "api", "Name": "api"},
        },
    }
    for i in range(count):
        resources[f"Queue{i}"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"q{i}"}}
        resources[f"Client{i}"] = {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "Pool"},
                "ClientName": f"svc-{i}",
                "AllowedOAuthFlows": ["client_credentials"],
                "AllowedOAuthScopes": [{"Fn::Sub": "${Api}/read"}],
                "AccessTokenValidity": i % 24 + 1,
            },
        }
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, indent=1)


def test_five_thousand_clients_in_one_json_template() -> None:
    text = generated_template(5000)
    clients = load("big.template.json", text)
    assert len(clients) == 5000
    assert [c.record["ClientName"] for c in clients[:2]] == ["svc-0", "svc-1"]
    assert {c.pool.key for c in clients} == {"big.template.json#Pool"}
    assert clients[0].pool.resource_servers == ("api",)
    last = clients[-1]
    assert last.scopes == ("api/read",) and last.record["AccessTokenValidity"] == 4999 % 24 + 1
    lines = text.splitlines()
    assert last.location.line is not None
    assert lines[last.location.line - 1].strip() == '"Client4999": {'
    assert '"AccessTokenValidity"' in lines[last.field_lines["AccessTokenValidity"] - 1]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"AWSTemplateFormatVersion": "2010-09-09"}, True),
        ({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}, True),
        ({"Resources": {"Draft": None, "Topic": {"Type": "AWS::SNS::Topic"}}}, True),
        ({"service": "x", "resources": {"Resources": {"P": {"Type": "AWS::Cognito::UserPool"}}}}, True),
        ({"resources": ["${file(r.yml)}", {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}]}, True),
        ({"Resources": {"cpu": "2", "memory": "4Gi"}}, False),  # not CloudFormation
        ({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}}, False),
        ({"resources": {"limits": {"cpu": 1}}}, False),
        ([{"Resources": {}}], False),
        ("AWSTemplateFormatVersion", False),
    ],
)
def test_matches(data: Any, expected: bool) -> None:
    assert cloudformation.matches(data) is expected


def test_deploy_time_values_built_by_sub_or_join_stay_unknown() -> None:
    text = """\
Parameters:
  Stage: {Type: String, Default: prod}
Resources:
  C:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: us-east-1_Example
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes:
        - !Sub "{{resolve:ssm:/${Stage}/scope}}"
        - !Join ["", ["{{resolve:ssm:/", !Ref Stage, "/other}}"]]
        - !Select ["²", [a, b]]
"""
    (client,) = cloudformation.load(parse("t.yaml", text))
    scopes = client.record["AllowedOAuthScopes"]
    assert all(isinstance(s, Unknown) for s in scopes)
    assert "dynamic reference" in scopes[0].reason and "dynamic reference" in scopes[1].reason
    assert "not a number" in scopes[2].reason


def test_json_logical_id_written_with_escapes_loads_without_lines() -> None:
    # json.dumps writes "\u00e9" for a non-ASCII id; the line search does not find it, and an
    # empty search result used to raise ValueError (zip strict) instead of losing the lines.
    text = json.dumps({"Resources": {"Cli\u00e9nt": {"Type": "AWS::Cognito::UserPoolClient"}}})
    (client,) = load("escaped.json", text)
    assert client.location.logical_id == "Cli\u00e9nt" and client.location.line is None


def test_numbers_too_long_for_int_are_unknown_not_crashes() -> None:
    digits = "9" * 5000
    text = f"""\
Resources:
  C:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      AccessTokenValidity: "{digits}"
      RefreshTokenValidity: "²"
      AllowedOAuthScopes: [!Select ["{digits}", [a/b]]]
"""
    (client,) = load("long.yaml", text)
    assert client.record["AccessTokenValidity"] == Unknown("AccessTokenValidity is a number of 5000 digits")
    refresh = client.record["RefreshTokenValidity"]
    assert refresh == Unknown("RefreshTokenValidity is '²', not a whole number")
    (scope,) = client.scopes
    assert isinstance(scope, Unknown) and "past the end of the list" in scope.reason


# --- Fn::If on undecidable conditions, and clients that may not exist ---------------------------


def fn_if_clients() -> dict[str, AppClient]:
    return {c.location.logical_id or "": c for c in load("fn_if_branches.yaml")}


def test_fn_if_whose_every_branch_decides_m2m_alike_gives_a_certain_verdict() -> None:
    clients = fn_if_clients()
    web = clients["WebClient"]
    # [code, !If [UsePostman, implicit, !Ref AWS::NoValue]]: never M2M.
    assert web.oauth_flows == ("code", undecided("UsePostman"))
    assert (web.m2m_decided, web.is_m2m) == (False, False)
    service = clients["ServiceClient"]
    # client_credentials in one branch, ALLOW_CLIENT_TOKEN_AUTH in the other: always M2M, though
    # each property alone is unknown.
    assert service.oauth_flows == undecided("UsePostman")
    assert (service.m2m_decided, service.is_m2m) == (True, True)


def test_fn_if_whose_branches_disagree_or_are_too_many_stays_unknown() -> None:
    clients = fn_if_clients()
    assert clients["EitherClient"].m2m_decided is None
    assert clients["EitherClient"].is_m2m == undecided("UsePostman")
    # 7 conditions are 128 combinations, over the bound: unknown, not tried.
    assert clients["ManyClient"].m2m_decided is None
    assert clients["ManyClient"].is_m2m == undecided("C1")


def test_client_whose_condition_is_undecidable_may_not_exist() -> None:
    clients = fn_if_clients()
    postman = clients["PostmanClient"]
    assert postman.may_not_exist == undecided("UsePostman")
    assert (postman.m2m_flows, postman.is_m2m) == (True, undecided("UsePostman"))
    assert postman.record["AccessTokenValidity"] == 24  # its own condition holds where it exists
    assert all(c.may_not_exist is None for name, c in clients.items() if name != "PostmanClient")


def test_fn_if_verdicts_and_notes_on_the_property_line() -> None:
    policy = load_policy("p.yaml", "version: 1\nrules:\n  - {id: TTL, type: max_access_token_ttl, max: 1h}\n")
    result = evaluate(policy, load("fn_if_branches.yaml"), today=dt.date(2026, 11, 30))
    by_client = {(f.subject, f.rule_id): f for f in result.findings}
    assert sorted(by_client) == [("PostmanClient", "TTL"), ("ServiceClient", "TTL")]
    # A certain M2M client with an unknown TTL: the note points at AccessTokenValidity.
    service = by_client["ServiceClient", "TTL"]
    assert (service.level, service.location.line) == (Severity.NOTE, 38)
    assert service.message == (
        "Cannot check TTL: AccessTokenValidity is unknown (Ref to parameter Ttl, which has no Default)."
    )
    # A client that may not exist: 24 hours is a note, never an error.
    postman = by_client["PostmanClient", "TTL"]
    assert (postman.level, postman.undetermined, postman.location.line) == (Severity.NOTE, True, 69)
    assert postman.message.endswith(
        "(Applies if the client exists, which is unknown (condition UsePostman cannot be decided from "
        "parameter defaults).)"
    )
    assert (result.coverage.m2m_clients, result.coverage.possibly_m2m) == (4, 3)


def test_fn_if_combinations_are_bounded_in_work_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cfn_template, "BRANCH_STEPS", 1)
    web = fn_if_clients()["WebClient"]
    assert (web.m2m_decided, web.is_m2m) == (None, undecided("UsePostman"))


# -- pool settings ------------------------------------------------------------------------------
# UserPoolTier and LambdaConfig of AWS::Cognito::UserPool, named as the CloudFormation template
# reference names them (aws-resource-cognito-userpool, aws-properties-cognito-userpool-lambdaconfig
# and -pretokengenerationconfig), which are DescribeUserPool's names too.

POOL_SETTINGS: dict[str, dict[str, Any] | None] = {
    # Plus plan, a V3_0 trigger whose function is an Fn::GetAtt; PreSignUp is not copied.
    "OrdersClient": {
        "UserPoolTier": "PLUS",
        "LambdaConfig": {
            "PreTokenGenerationConfig": {
                "LambdaArn": U("Fn::GetAtt TokenFunction.Arn is known only after deploy"),
                "LambdaVersion": "V3_0",
            }
        },
    },
    # The plan from a parameter default; a legacy trigger ARN built with a pseudo parameter.
    "LegacyClient": {
        "UserPoolTier": "LITE",
        "LambdaConfig": {
            "PreTokenGeneration": U("pseudo parameter AWS::Region is known only at deploy time")
        },
    },
    # No plan: absent (the API default); LambdaConfig under an undecidable condition.
    "RegionalClient": {"LambdaConfig": undecided("InUsEast1")},
    # A pool resource without Properties: nothing set.
    "BareClient": {},
    # A pool imported from another stack: its settings are not in this template.
    "ImportedClient": None,
}


@pytest.mark.parametrize("client_name", sorted(POOL_SETTINGS))
def test_pool_settings_of_the_pools_a_template_defines(client_name: str) -> None:
    clients = {c.location.logical_id: c for c in load("pool_settings.yaml")}
    pool = clients[client_name].pool
    assert pool.settings == POOL_SETTINGS[client_name]


def test_pool_settings_decide_m2m_token_customization() -> None:
    clients = {c.location.logical_id: c for c in load("pool_settings.yaml")}
    verdicts = {name: customizes_m2m_tokens(c.pool) for name, c in clients.items()}
    assert verdicts == {
        # an unknown ARN still names a V3_0 trigger on a plan that offers it
        "OrdersClient": True,
        # set the legacy way, whatever its function: a V1_0 trigger, which M2M tokens never see
        "LegacyClient": False,
        "RegionalClient": undecided("InUsEast1"),
        "BareClient": False,
        "ImportedClient": U("the settings of import platform-auth-UserPoolId are not in the scanned inputs"),
    }


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        # Properties chosen by an undecidable Fn::If: every setting unknown, never absent
        (
            "!If [InUsEast1, {UserPoolTier: PLUS}, {}]",
            {"UserPoolTier": undecided("InUsEast1"), "LambdaConfig": undecided("InUsEast1")},
        ),
        (
            "[]",
            {
                "UserPoolTier": U("Properties is a list, not a mapping"),
                "LambdaConfig": U("Properties is a list, not a mapping"),
            },
        ),
        ("{UserPoolTier: !Ref AWS::NoValue, LambdaConfig: !Ref AWS::NoValue}", {}),
        (
            "{UserPoolTier: [PLUS], LambdaConfig: {PreTokenGenerationConfig: [V3_0]}}",
            {
                "UserPoolTier": U("UserPoolTier is a list, not a string"),
                "LambdaConfig": {
                    "PreTokenGenerationConfig": U(
                        "LambdaConfig.PreTokenGenerationConfig is a list, not a mapping"
                    )
                },
            },
        ),
        (
            "{LambdaConfig: {PreTokenGenerationConfig: {LambdaArn: !Ref Fn, LambdaVersion: !Ref Version}}}",
            {
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {
                        "LambdaArn": U("Ref to AWS::Lambda::Function Fn, known only after deploy"),
                        "LambdaVersion": U("Ref to parameter Version, which has no Default"),
                    }
                }
            },
        ),
    ],
)
def test_pool_settings_from_odd_properties(properties: str, expected: dict[str, Any]) -> None:
    text = f"""\
Parameters:
  Version: {{Type: String}}
Conditions:
  InUsEast1: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Fn: {{Type: AWS::Lambda::Function}}
  Pool:
    Type: AWS::Cognito::UserPool
    Properties: {properties}
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {{UserPoolId: !Ref Pool, AllowedOAuthFlows: [client_credentials]}}
"""
    (client,) = load("odd_pool.yaml", text)
    assert client.pool.settings == expected
