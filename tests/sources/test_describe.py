from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.sources import describe, load, parse
from m2m_guard.sources.document import SourceError
from tests.sources.support import as_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "describe"
SINGLE = "describe/single_m2m_client.json"
LISTED = "describe/clients_list.json"
DUMP = "describe/concatenated_dump.json"
SUMMARIES = "describe/list_user_pool_clients.json"


def fixture_text(path: str) -> str:
    return (FIXTURES / Path(path).name).read_text(encoding="utf-8")


def load_text(path: str, text: str) -> list[AppClient]:
    kind, clients = load(parse(path, text))
    assert kind == "describe"
    return clients


def load_fixture(path: str) -> list[AppClient]:
    return load_text(path, fixture_text(path))


def test_single_describe_output_becomes_one_client_without_its_secret() -> None:
    [client] = load_fixture(SINGLE)
    assert as_dict(client) == {
        "record": {
            "UserPoolId": "us-east-1_Qm7NpR2sT",
            "ClientName": "orders-sync",
            "ClientId": "3k9v2m4q8r1t6w0y5z7b2c4d6f",
            "LastModifiedDate": "2025-04-28T14:02:17.532000+00:00",
            "CreationDate": "2024-09-11T08:45:03.118000+00:00",
            "RefreshTokenValidity": 30,
            "AccessTokenValidity": 12,
            "IdTokenValidity": 60,
            "TokenValidityUnits": {
                "AccessToken": "hours",
                "IdToken": "minutes",
                "RefreshToken": "days",
            },
            "SupportedIdentityProviders": ("COGNITO",),
            "AllowedOAuthFlows": ("client_credentials",),
            "AllowedOAuthScopes": ("orders/read", "orders/write"),
            "AllowedOAuthFlowsUserPoolClient": True,
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "EnablePropagateAdditionalUserContextData": False,
            "AuthSessionValidity": 3,
            "GenerateSecret": True,
        },
        "location": Location(SINGLE, 5, client_id="3k9v2m4q8r1t6w0y5z7b2c4d6f"),
        "pool": Pool(key="us-east-1_Qm7NpR2sT", label="us-east-1_Qm7NpR2sT", names=("us-east-1_Qm7NpR2sT",)),
        "field_lines": {
            "UserPoolId": 3,
            "ClientName": 4,
            "ClientId": 5,
            "LastModifiedDate": 7,
            "CreationDate": 8,
            "RefreshTokenValidity": 9,
            "AccessTokenValidity": 10,
            "IdTokenValidity": 11,
            "TokenValidityUnits": 12,
            "SupportedIdentityProviders": 17,
            "AllowedOAuthFlows": 20,
            "AllowedOAuthScopes": 23,
            "AllowedOAuthFlowsUserPoolClient": 27,
            "PreventUserExistenceErrors": 28,
            "EnableTokenRevocation": 29,
            "EnablePropagateAdditionalUserContextData": 30,
            "AuthSessionValidity": 31,
        },
    }
    assert client.access_token_ttl == 12 * 3600
    assert client.location.name == "3k9v2m4q8r1t6w0y5z7b2c4d6f"


def test_list_skips_entries_that_are_not_clients_and_keeps_the_rest() -> None:
    storefront, token_client = load_fixture(LISTED)
    assert storefront.record["ClientName"] == "storefront-web"
    assert storefront.is_m2m is False
    assert storefront.has_secret is False
    # The entry without ClientId between them is skipped, and does not shift the next lines.
    assert token_client.location == Location(LISTED, 55, client_id="1b3d5f7h9j1l3n5p7r9t1v3x5z")
    assert token_client.field_lines["UserPoolId"] == 53
    assert token_client.field_lines["ClientName"] == 54


def test_client_token_auth_client_is_m2m_without_oauth_flows() -> None:
    token_client = load_fixture(LISTED)[1]
    assert "AllowedOAuthFlows" not in token_client.record
    assert token_client.record["ExplicitAuthFlows"] == (
        "ALLOW_CLIENT_TOKEN_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    )
    assert token_client.is_m2m is True
    assert token_client.has_secret is True
    assert token_client.access_token_ttl == 15 * 60


def test_concatenated_dump_yields_every_document_at_its_own_lines() -> None:
    clients = load_fixture(DUMP)
    assert [(c.record["ClientName"], c.location.line) for c in clients] == [
        ("payments-settlement", 5),
        ("payments-dashboard", 38),
        ("payments-legacy-batch", 77),
    ]
    assert [c.is_m2m for c in clients] == [True, False, True]
    assert {c.pool.key for c in clients} == {"ap-southeast-2_Vb6Nm3Kq9"}
    # No validity set: Cognito's default of 60 minutes.
    assert clients[2].access_token_ttl == 3600
    assert clients[0].access_token_ttl == 86400


@pytest.mark.parametrize("path", [SINGLE, LISTED, DUMP])
def test_field_lines_point_at_the_clients_own_keys(path: str) -> None:
    text = fixture_text(path)
    lines = text.splitlines()
    for client in load_text(path, text):
        assert json.dumps(client.record["ClientId"]) in lines[(client.location.line or 0) - 1]
        for key, line in client.field_lines.items():
            assert lines[line - 1].strip().startswith(f'"{key}":')
            assert abs(line - (client.location.line or 0)) < 40


@pytest.mark.parametrize("path", [SINGLE, LISTED, DUMP])
def test_client_secret_never_appears_in_loaded_clients(path: str) -> None:
    text = fixture_text(path)
    assert "CANARY-describe-" in text
    clients = load_text(path, text)
    everything = repr([(as_dict(c), c.identities, c.name) for c in clients])
    assert "CANARY" not in everything
    assert "ClientSecret" not in everything


@pytest.mark.parametrize(
    ("secret", "expected"),
    [("***", True), ("", False), (None, False)],
)
def test_generate_secret_is_whether_describe_returned_a_secret(secret: str | None, expected: bool) -> None:
    client = {
        "ClientId": "abc",
        "UserPoolId": "us-east-1_X",
        "AllowedOAuthFlows": ["client_credentials"],
    }
    if secret is not None:
        client["ClientSecret"] = secret
    [loaded] = load_text("c.json", json.dumps({"UserPoolClient": client}))
    assert loaded.record["GenerateSecret"] is expected


def test_yaml_output_uses_the_yaml_key_lines() -> None:
    text = (
        "UserPoolClient:\n"
        "  UserPoolId: us-east-1_Qm7NpR2sT\n"
        "  ClientName: nightly-export\n"
        "  ClientId: 5n7p9r1t3v5x7z9b1d3f5h7j9l\n"
        "  ClientSecret: CANARY-yaml-secret\n"
        "  AllowedOAuthFlows:\n"
        "  - client_credentials\n"
        "  AllowedOAuthScopes:\n"
        "  - exports/write\n"
        "  AccessTokenValidity: 90\n"
        "  TokenValidityUnits:\n"
        "    AccessToken: minutes\n"
    )
    [client] = load_text("client.yaml", text)
    assert client.location == Location("client.yaml", 4, client_id="5n7p9r1t3v5x7z9b1d3f5h7j9l")
    assert client.field_lines == {
        "UserPoolId": 2,
        "ClientName": 3,
        "ClientId": 4,
        "AllowedOAuthFlows": 6,
        "AllowedOAuthScopes": 8,
        "AccessTokenValidity": 10,
        "TokenValidityUnits": 11,
    }
    assert client.access_token_ttl == 90 * 60
    assert client.has_secret is True
    assert "CANARY" not in repr(as_dict(client))


def test_list_user_pool_clients_output_is_an_error_that_says_what_to_save() -> None:
    with pytest.raises(SourceError) as raised:
        load(parse(SUMMARIES, fixture_text(SUMMARIES)))
    assert raised.value.message == (
        "list-user-pool-clients output has no client settings; "
        "save describe-user-pool-client output for each client instead"
    )


def test_user_pool_clients_list_loads_described_entries_and_skips_summaries() -> None:
    data = {
        "UserPoolClients": [
            {"ClientId": "a1", "UserPoolId": "us-east-1_X", "ClientName": "summary-only"},
            {
                "ClientId": "b2",
                "UserPoolId": "us-east-1_X",
                "ClientName": "described",
                "AllowedOAuthFlows": ["client_credentials"],
                "AccessTokenValidity": 2,
            },
        ]
    }
    [client] = load_text("clients.json", json.dumps(data, indent=4))
    assert client.record["ClientName"] == "described"
    assert client.access_token_ttl == 2 * 3600
    assert client.location.line == 9


def test_shape_without_any_usable_client_is_a_one_line_error() -> None:
    data = [{"UserPoolClient": {"ClientName": "no-id"}}, {"UserPoolClient": {"ClientId": 7}}]
    with pytest.raises(SourceError) as raised:
        load(parse("dump.json", json.dumps(data)))
    assert raised.value.message == "no app client with a ClientId in describe-user-pool-client output"
    assert "\n" not in raised.value.message


def test_missing_pool_id_gives_the_client_its_own_unknown_pool() -> None:
    data = {"UserPoolClient": {"ClientId": "c3", "ClientName": "orphan", "AllowedOAuthFlows": ["code"]}}
    [client] = load_text("orphan.json", json.dumps(data))
    assert client.pool == Pool(key="orphan.json#c3:pool", label="unknown user pool (UserPoolId missing)")


def test_wrong_types_become_unknown_instead_of_raising() -> None:
    data = {
        "UserPoolClient": {
            "ClientId": "c4",
            "UserPoolId": "us-east-1_X",
            "AllowedOAuthFlows": "client_credentials",
            "AccessTokenValidity": "sixty",
            "TokenValidityUnits": ["minutes"],
        }
    }
    [client] = load_text("odd.json", json.dumps(data))
    assert client.record["AllowedOAuthFlows"] == Unknown(
        "AllowedOAuthFlows is 'client_credentials', not a list"
    )
    assert client.record["AccessTokenValidity"] == Unknown(
        "AccessTokenValidity is 'sixty', not a whole number"
    )
    assert client.record["TokenValidityUnits"] == Unknown("TokenValidityUnits is a list, not a mapping")
    assert isinstance(client.is_m2m, Unknown)
    assert isinstance(client.access_token_ttl, Unknown)


def test_the_same_client_dumped_twice_gets_two_locations() -> None:
    body = fixture_text(SINGLE)
    clients = load_text("twice.json", body + body)
    first, second = (c.location.line for c in clients)
    assert (first, second) == (5, 5 + body.count("\n"))


def test_a_large_dump_is_located_client_by_client() -> None:
    docs = [
        {
            "UserPoolClient": {
                "UserPoolId": "us-east-1_X",
                "ClientName": f"c{i}",
                "ClientId": f"id{i:05d}",
                "AllowedOAuthFlows": ["client_credentials"],
            }
        }
        for i in range(3000)
    ]
    text = "\n".join(json.dumps(d, indent=4) for d in docs)
    clients = load_text("big.json", text)
    assert len(clients) == 3000
    lines = text.splitlines()
    for client in clients[::250]:
        assert client.record["ClientId"] in lines[(client.location.line or 0) - 1]
        assert client.record["ClientName"] in lines[client.field_lines["ClientName"] - 1]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"UserPoolClient": {"ClientId": "x", "UserPoolId": "y"}}, True),
        ([{"UserPoolClient": {"ClientId": "x"}}, "noise"], True),
        ({"ClientId": "x", "UserPoolId": "y", "AllowedOAuthFlows": ["code"]}, True),
        ({"ClientId": "x", "UserPoolId": "y", "ClientName": "n"}, True),
        ({"UserPoolClients": [{"ClientId": "x", "UserPoolId": "y"}]}, True),
        # amazon-cognito-identity-js poolData in an app config: not describe output.
        ({"UserPoolId": "us-east-1_X", "ClientId": "x"}, False),
        ({"UserPoolClients": []}, False),
        ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, False),
        ({"format_version": "1.2", "planned_values": {}}, False),
        (["UserPoolClient"], False),
        ("UserPoolClient", False),
    ],
)
def test_matches_describe_shapes_only(data: Any, expected: bool) -> None:
    assert describe.matches(data) is expected


#: DescribeUserPoolClient output for a client whose secret Cognito keeps in AWS Secrets Manager:
#: ``ClientSecretArn`` instead of ``ClientSecret``. Shape: botocore's cognito-idp service model
#: (2016-04-18, botocore 1.44.8), UserPoolClientType.ClientSecretArn ("returns this ARN instead of
#: ClientSecret for app clients whose secret it manages in Secrets Manager"), its value matching
#: ClientSecretArnType's pattern ``arn:aws:secretsmanager:<region>:<account>:secret/<name>``.
SECRETS_MANAGER_CLIENT = {
    "UserPoolClient": {
        "UserPoolId": "eu-west-1_Rp4s8TbQ2",
        "ClientName": "billing-export",
        "ClientId": "5m2n8b4v6c1x3z9l7k5j3h1g0f",
        "ClientSecretArn": (
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret/"
            "cognito-idp/eu-west-1_Rp4s8TbQ2/5m2n8b4v6c1x3z9l7k5j3h1g0f-AbC123"
        ),
        "LastModifiedDate": "2026-06-03T09:12:44.101000+00:00",
        "CreationDate": "2026-06-03T09:12:44.101000+00:00",
        "AccessTokenValidity": 60,
        "TokenValidityUnits": {"AccessToken": "minutes"},
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["billing/export"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "ClientType": "REGULAR",
    }
}


def test_client_secret_arn_means_the_client_has_a_secret() -> None:
    from m2m_guard.model import token_blockers

    [client] = load_text("c.json", json.dumps(SECRETS_MANAGER_CLIENT, indent=2))
    # The ARN is kept (it is where the secret lives, not the secret) and means a secret.
    assert client.record["ClientSecretArn"].startswith("arn:aws:secretsmanager:eu-west-1:")
    assert client.record["GenerateSecret"] is False  # describe output never has GenerateSecret
    assert client.has_secret is True
    assert token_blockers(client) == ([], [])
    assert client.field_lines["ClientSecretArn"] == 6


def test_without_a_secret_or_its_arn_the_client_can_never_get_a_token() -> None:
    from m2m_guard.model import token_blockers

    raw = {k: v for k, v in SECRETS_MANAGER_CLIENT["UserPoolClient"].items() if k != "ClientSecretArn"}
    [client] = load_text("c.json", json.dumps({"UserPoolClient": raw}))
    assert client.has_secret is False
    assert token_blockers(client) == ([("GenerateSecret", "it has no client secret")], [])


@pytest.mark.parametrize(
    "key",
    [
        "ClientSecret",
        "clientSecret",
        "client_secret",
        "CLIENT-SECRET",
        "ClientSecretValue",
        "clientSecretValue",
    ],
)
def test_secret_values_are_dropped_in_any_casing_and_at_any_depth(key: str) -> None:
    canary = "CANARY-" + "q7" * 16
    raw = dict(SECRETS_MANAGER_CLIENT["UserPoolClient"])
    raw[key] = canary
    # a future field holding secret descriptors (AddUserPoolClientSecret's ClientSecretDescriptor)
    raw["FutureSecrets"] = {"Current": [{"ClientSecretId": "x--1", key: canary}], "Note": {key: canary}}
    [client] = load_text("c.json", json.dumps({"UserPoolClient": raw}))
    assert canary not in repr(as_dict(client))
    assert client.record["FutureSecrets"] == {"Current": [{"ClientSecretId": "x--1"}], "Note": {}}
    assert client.has_secret is True
