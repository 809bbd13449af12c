"""AWS Config items of AWS::Cognito::UserPoolClient -> app clients (m2m_guard/sources/config_items.py).

Where the item shapes come from: the item's own properties (``accountId``, ``awsRegion``,
``resourceId``, ``configurationItemCaptureTime``, ``configurationItemStatus``) and the
``configuration.*`` properties, with their names, casing and types, are those of AWS Config's
resource schema for the type (github.com/awslabs/aws-config-resource-schema, commit adf5513,
``config/properties/resource-types/AWS::Cognito::UserPoolClient.properties.json``); list-valued
properties (typed "string" there, the type of their elements) are JSON arrays, as in
DescribeUserPoolClient; an advanced query returns each item as a JSON object whose nesting
follows the dotted names (``configuration.TokenValidityUnits.AccessToken``). The statuses are
the ConfigurationItem ones of the AWS Config API Reference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from m2m_guard.model import Unknown
from m2m_guard.sources.config_items import SECRET_UNKNOWN, client_key, load_items, stale_notes, to_client

ACCOUNT = "111122223333"
REGION = "eu-west-1"
POOL_ID = "eu-west-1_Cf9Qm2Lp7"
NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.timezone.utc)


def item(client_id: str = "4f7k2m9q1r3t5v7x9z1b3d5f7h", **overrides: Any) -> dict[str, Any]:
    """One item as a Select returns it (see the module docstring)."""
    configuration = {
        "ClientId": client_id,
        "ClientName": "orders-batch",
        "UserPoolId": POOL_ID,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["orders/read"],
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        "AccessTokenValidity": 2,
        "IdTokenValidity": 60,
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "minutes", "RefreshToken": "days"},
        "EnableTokenRevocation": True,
        "PreventUserExistenceErrors": "ENABLED",
        "SupportedIdentityProviders": ["COGNITO"],
    }
    configuration.update(overrides.pop("configuration", {}))
    return {
        "accountId": ACCOUNT,
        "awsRegion": REGION,
        "resourceId": client_id,
        "resourceName": "orders-batch",
        "configurationItemCaptureTime": "2026-11-28T09:15:02.154Z",
        "configurationItemStatus": "OK",
        "configuration": configuration,
        **overrides,
    }


def test_an_item_maps_to_the_describe_shaped_record_of_the_sweep() -> None:
    client = to_client(item())
    assert not isinstance(client, str)
    record = dict(client.record)
    assert record.pop("GenerateSecret") == Unknown(SECRET_UNKNOWN)
    assert record == {
        "ClientId": "4f7k2m9q1r3t5v7x9z1b3d5f7h",
        "ClientName": "orders-batch",
        "UserPoolId": POOL_ID,
        "AllowedOAuthFlows": ("client_credentials",),
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ("orders/read",),
        "ExplicitAuthFlows": ("ALLOW_REFRESH_TOKEN_AUTH",),
        "AccessTokenValidity": 2,
        "IdTokenValidity": 60,
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "minutes", "RefreshToken": "days"},
        "EnableTokenRevocation": True,
        "PreventUserExistenceErrors": "ENABLED",
        "SupportedIdentityProviders": ("COGNITO",),
    }
    assert client.access_token_ttl == 7200
    assert client.is_m2m is True
    pool_arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{POOL_ID}"
    assert client.location.arn == f"{pool_arn}/client/4f7k2m9q1r3t5v7x9z1b3d5f7h"
    assert client.location.name == "4f7k2m9q1r3t5v7x9z1b3d5f7h"
    assert client.location.path == f"aws-config/{ACCOUNT}/{REGION}"
    assert client.pool.key == POOL_ID and client.pool.location is not None
    assert client.pool.location.arn == pool_arn
    # Config records nothing of the pool: unknown, never a default
    assert client.pool.settings is None and client.pool.resource_servers is None


def test_a_secret_field_an_item_does_carry_is_used_and_a_secret_value_is_dropped() -> None:
    client = to_client(item(configuration={"GenerateSecret": True, "ClientSecret": "CANARYsecretvalue"}))
    assert not isinstance(client, str)
    assert client.record["GenerateSecret"] is True
    assert "CANARY" not in repr(client.record)


def test_ids_come_from_a_pool_and_client_resource_id_when_configuration_lacks_them() -> None:
    bare = item(resourceId=f"{POOL_ID}|abc123", arn="arn:aws-cn:cognito-idp:cn-north-1:1:x")
    del bare["configuration"]["ClientId"], bare["configuration"]["UserPoolId"]
    bare["awsRegion"] = "cn-north-1"
    client = to_client(bare)
    assert not isinstance(client, str)
    assert (
        client.location.arn == f"arn:aws-cn:cognito-idp:cn-north-1:{ACCOUNT}:userpool/{POOL_ID}/client/abc123"
    )


def test_an_item_without_ids_is_reported_not_guessed() -> None:
    bare = item(resourceId="opaque")
    del bare["configuration"]["UserPoolId"]
    got = load_items([bare], now=NOW, max_age_days=30)
    assert got.clients == []
    (note,) = got.notifications
    assert note.fatal and "names no account, region, user pool or client id" in note.message


@pytest.mark.parametrize("status", ["ResourceDeleted", "ResourceDeletedNotRecorded"])
def test_deleted_items_are_left_out(status: str) -> None:
    got = load_items([item("live"), item("gone", configurationItemStatus=status)], now=NOW, max_age_days=30)
    assert [c.location.client_id for c in got.clients] == ["live"]
    assert got.deleted == 1 and got.notifications == []


def test_old_items_are_kept_and_one_warning_per_account_region_says_so() -> None:
    old = "2026-09-01T00:00:00.000Z"
    items = [
        item("a", configurationItemCaptureTime=old),
        item("b", configurationItemCaptureTime="2026-08-15T00:00:00Z"),
        item("c"),  # two days old: fresh
        item("d", awsRegion="us-east-1", configurationItemCaptureTime=old),
    ]
    got = load_items(items, now=NOW, max_age_days=30)
    assert len(got.clients) == 4 and got.notifications == []
    notes = stale_notes(got)
    assert [(n.path, n.fatal) for n in notes] == [
        (f"aws-config/{ACCOUNT}/{REGION}", False),
        (f"aws-config/{ACCOUNT}/us-east-1", False),
    ]
    assert "recorded 2 app clients more than 30 days ago (oldest 2026-08-15T00:00:00Z)" in notes[0].message
    assert got.account_regions == ((ACCOUNT, REGION), (ACCOUNT, "us-east-1"))
    assert stale_notes(load_items(items, now=NOW, max_age_days=200)) == []


def test_clients_described_afresh_are_not_counted_as_old() -> None:
    old = "2026-09-01T00:00:00.000Z"
    got = load_items(
        [item("a", configurationItemCaptureTime=old), item("b", configurationItemCaptureTime=old)],
        now=NOW,
        max_age_days=30,
    )
    first, second = (client_key(c) for c in got.clients)
    (note,) = stale_notes(got, fresh=[first])
    assert "recorded 1 app client more than 30 days ago" in note.message
    assert stale_notes(got, fresh=[first, second]) == []


def test_an_unknown_secret_gives_notes_not_verdicts() -> None:
    from m2m_guard import engine
    from m2m_guard.policy import load_policy
    from m2m_guard.policy.loader import builtin_packs

    client = to_client(item())
    assert not isinstance(client, str)
    result = engine.evaluate(
        load_policy("default.yaml", builtin_packs()["default"].read_text()), [client], today=NOW.date()
    )
    secret_findings = [f for f in result.findings if f.unknown and "secret" in f.unknown]
    assert secret_findings, [(f.rule_id, f.unknown) for f in result.findings]
    assert all(f.undetermined for f in secret_findings)
    assert all(SECRET_UNKNOWN in (f.unknown or "") for f in secret_findings)
