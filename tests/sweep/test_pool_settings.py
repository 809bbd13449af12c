"""A user pool's feature plan and pre token generation trigger in a live sweep: one read-only
DescribeUserPool per pool, only those keys kept in the inventory, read back as ``Pool.settings``;
a failing DescribeUserPool leaves the settings unknown and keeps the pool's clients.

Where the shapes come from:

* botocore's cognito-idp service model (2016-04-18, botocore 1.44.8): DescribeUserPool ->
  UserPoolType.UserPoolTier (LITE | ESSENTIALS | PLUS, "Defaults to ESSENTIALS") and
  UserPoolType.LambdaConfig (LambdaConfigType: PreTokenGeneration, the legacy ARN, and
  PreTokenGenerationConfig, a PreTokenGenerationVersionConfigType of LambdaArn and LambdaVersion
  V1_0 | V2_0 | V3_0, beside the pool's other triggers and KMSKeyID). The Stubber test below
  checks a full response against that model.
* moto 5.2.5 returns both fields from DescribeUserPool as they were given to CreateUserPool
  (``extended_config``), and neither when they were not: the end-to-end tests use moto, with
  botocore ``before-send`` hooks (tests/sweep/support.py) for the failures moto cannot make.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from m2m_guard.model import Pool, Unknown, customizes_m2m_tokens
from m2m_guard.sources import inventory as inventory_source
from m2m_guard.sources import parse
from m2m_guard.sweep import aws
from m2m_guard.sweep.discovery import discover_region, kept_settings
from m2m_guard.sweep.inventory import render
from m2m_guard.sweep.ratelimit import RegionLimiter
from tests.sweep.support import (
    ACCOUNT,
    INVENTORY,
    Hooks,
    cognito,
    inventory,
    json_error,
    m2m,
    request_json,
    sweep,
)
from tests.sweep.test_discovery import record_calls

REGION = "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:claims"
CANARY = "CANARY-external-id-" + "x7" * 8  # a pool setting that must not reach the inventory


def lambda_config(version: str | None = None, legacy: bool = False) -> dict[str, Any]:
    """A LambdaConfig with other triggers and a KMS key beside the pre token generation one."""
    config: dict[str, Any] = {
        "PreSignUp": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:signup",
        "KMSKeyID": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "CustomSMSSender": {
            "LambdaVersion": "V1_0",
            "LambdaArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sms",
        },
    }
    if version:
        config["PreTokenGenerationConfig"] = {"LambdaArn": FUNCTION, "LambdaVersion": version}
    if legacy or version:  # AWS returns the legacy ARN beside the config, with the same value
        config["PreTokenGeneration"] = FUNCTION
    return config


def configured_pool(client: Any, name: str, **settings: Any) -> str:
    """A pool created with ``settings`` (UserPoolTier, LambdaConfig), an SMS configuration
    whose ExternalId is the canary, and the ``orders`` resource server."""
    pool_id = str(
        client.create_user_pool(
            PoolName=name,
            SmsConfiguration={"SnsCallerArn": f"arn:aws:iam::{ACCOUNT}:role/sms", "ExternalId": CANARY},
            **settings,
        )["UserPool"]["Id"]
    )
    client.create_resource_server(
        UserPoolId=pool_id,
        Identifier="orders",
        Name="orders",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}],
    )
    return pool_id


def reloaded_pools(region: str = REGION) -> dict[str, Pool]:
    """Pool name -> Pool, as `m2m-guard scan` reads the saved inventory back."""
    path = INVENTORY / ACCOUNT / f"{region}.json"
    clients = inventory_source.load(parse(str(path), path.read_text()))
    return {str(c.pool.name): c.pool for c in clients}


def pool_entries(region: str = REGION) -> dict[str, dict[str, Any]]:
    return {p["Name"]: p for p in inventory(region)["userPools"]}


def test_settings_reach_the_inventory_and_come_back_as_pool_settings(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito(REGION)
    ids = {
        "custom": configured_pool(idp, "custom", UserPoolTier="PLUS", LambdaConfig=lambda_config("V3_0")),
        "v2-lite": configured_pool(idp, "v2-lite", UserPoolTier="LITE", LambdaConfig=lambda_config("V2_0")),
        "legacy": configured_pool(idp, "legacy", LambdaConfig=lambda_config(legacy=True)),
        "plain": configured_pool(idp, "plain"),
    }
    secrets = [m2m(idp, pool_id, f"svc-{name}")["ClientSecret"] for name, pool_id in ids.items()]
    calls = record_calls(hooks)
    run = sweep(capsys, "--regions", REGION, "--format", "json", report="m2m.json")
    assert run.code == 0, run.err
    assert calls[(REGION, "DescribeUserPool")] == 4  # once per pool

    trigger = {
        "PreTokenGenerationConfig": {"LambdaArn": FUNCTION, "LambdaVersion": "V3_0"},
        "PreTokenGeneration": FUNCTION,
    }
    expected = {
        "custom": {"UserPoolTier": "PLUS", "LambdaConfig": trigger},
        "v2-lite": {
            "UserPoolTier": "LITE",
            "LambdaConfig": trigger
            | {"PreTokenGenerationConfig": {"LambdaArn": FUNCTION, "LambdaVersion": "V2_0"}},
        },
        "legacy": {"LambdaConfig": {"PreTokenGeneration": FUNCTION}},  # no UserPoolTier: the API default
        "plain": {},
    }
    entries = pool_entries()
    assert {name: entry["Settings"] for name, entry in entries.items()} == expected
    assert all("SettingsUnknown" not in entry for entry in entries.values())
    assert inventory(REGION).get("errors") is None

    pools = reloaded_pools()
    assert {name: dict(p.settings or {}) for name, p in pools.items()} == expected
    assert {name: customizes_m2m_tokens(p) for name, p in pools.items()} == {
        "custom": True,
        "v2-lite": False,
        "legacy": False,
        "plain": False,
    }
    # Nothing else of the pools' configuration, and no client secret, is written anywhere.
    written = run.out + run.err + "".join(p.read_text() for p in Path(".").rglob("*") if p.is_file())
    for absent in (CANARY, "signup", "KMSKeyID", "CustomSMSSender", "SmsConfiguration", *secrets):
        assert absent not in written


def test_the_guard_allows_describe_user_pool_and_still_refuses_writes(moto: None) -> None:
    pool_id = configured_pool(
        cognito(REGION), "custom", UserPoolTier="PLUS", LambdaConfig=lambda_config("V3_0")
    )
    client = aws.client(boto3.Session(), "cognito-idp", REGION)
    sent: list[str] = []
    client.meta.events.register_first("before-send", lambda request, **_: sent.append(request.url))
    described = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["UserPoolTier"] == "PLUS" and len(sent) == 1
    for method in ("update_user_pool", "delete_user_pool"):
        with pytest.raises(aws.WriteRefused, match=f"cognito-idp:{method.title().replace('_', '')}"):
            getattr(client, method)(UserPoolId=pool_id)
    assert len(sent) == 1  # refused before anything was sent
    actions = aws.iam_policy()["Statement"][0]["Action"]
    assert "cognito-idp:DescribeUserPool" in actions
    assert not {a for a in actions if a.startswith(("cognito-idp:Update", "cognito-idp:Delete"))}


def test_a_failing_describe_user_pool_keeps_the_clients_and_leaves_the_settings_unknown(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito(REGION)
    denied = configured_pool(idp, "denied", UserPoolTier="PLUS", LambdaConfig=lambda_config("V3_0"))
    throttled = configured_pool(idp, "throttled")
    fine = configured_pool(idp, "fine", UserPoolTier="PLUS", LambdaConfig=lambda_config("V3_0"))
    for name, pool_id in (("denied", denied), ("throttled", throttled), ("fine", fine)):
        m2m(idp, pool_id, f"svc-{name}")
    attempts = {"throttled": 0}

    def describe_user_pool(request: Any, **_: Any) -> Any:
        pool_id = request_json(request).get("UserPoolId")
        if pool_id == denied:
            return json_error("AccessDeniedException")
        if pool_id == throttled:
            attempts["throttled"] += 1
            return json_error("TooManyRequestsException")
        return None  # moto answers

    hooks.add("before-send.cognito-identity-provider.DescribeUserPool", describe_user_pool, "cognito-idp")
    run = sweep(capsys, "--regions", REGION, "--format", "json", report="m2m.json")
    assert run.code == 2  # part of the account-region could not be read: never a silent default
    assert attempts["throttled"] == aws.MAX_ATTEMPTS  # retried, then given up

    reasons = {
        "denied": "access denied (DescribeUserPool); grant the read-only policy in the README",
        "throttled": "throttled beyond retries (DescribeUserPool); lower --concurrency or --max-rps",
    }
    unknown = "its feature plan and pre token generation trigger are unknown"
    lines = {
        name: f"user pool {pool_id}: {reasons[name]}; {unknown}"
        for name, pool_id in (("denied", denied), ("throttled", throttled))
    }
    # reported like any part of an account-region that could not be read: stderr, report, file
    assert sorted(run.err.splitlines()) == sorted(
        f"error: account {ACCOUNT}, region {REGION}: {line}" for line in lines.values()
    )
    fatal = [n["message"] for n in run.report["notifications"] if n["fatal"]]
    assert sorted(fatal) == sorted(f"account {ACCOUNT}, region {REGION}: {line}" for line in lines.values())
    assert sorted(inventory(REGION)["errors"]) == sorted(lines.values())
    # the clients of every pool are kept
    entries = pool_entries()
    assert {name: [c["ClientName"] for c in e["AppClients"]] for name, e in entries.items()} == {
        name: [f"svc-{name}"] for name in ("denied", "fine", "throttled")
    }
    assert {name: e.get("SettingsUnknown") for name, e in entries.items()} == {
        "denied": reasons["denied"],
        "throttled": reasons["throttled"],
        "fine": None,
    }
    assert "Settings" not in entries["denied"] and entries["fine"]["Settings"]["UserPoolTier"] == "PLUS"

    pools = reloaded_pools()
    for name in ("denied", "throttled"):
        verdict = customizes_m2m_tokens(pools[name])
        assert verdict == Unknown(f"the sweep could not read the pool's settings: {reasons[name]}")
        assert pools[name].settings == {"UserPoolTier": verdict, "LambdaConfig": verdict}
    assert customizes_m2m_tokens(pools["fine"]) is True


def test_a_pool_deleted_before_its_describe_is_a_warning(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito(REGION)
    gone = configured_pool(idp, "gone")
    m2m(idp, gone, "svc-gone")
    m2m(idp, configured_pool(idp, "kept"), "svc-kept")

    def vanish(request: Any, **_: Any) -> Any:
        return (
            json_error("ResourceNotFoundException")
            if request_json(request).get("UserPoolId") == gone
            else None
        )

    hooks.add("before-send.cognito-identity-provider.DescribeUserPool", vanish, "cognito-idp")
    run = sweep(capsys, "--regions", REGION, "--format", "json", report="m2m.json")
    assert run.code == 0, run.err
    (note,) = run.report["notifications"]
    assert not note["fatal"] and gone in note["message"] and "disappeared" in note["message"]
    assert list(pool_entries()) == ["kept"]


# --- what is kept of a response, checked against botocore's model -------------------------------

POOL_ID = "eu-west-1_Rp4s8TbQ2"

#: DescribeUserPool's UserPool with more of UserPoolType than m2m-guard reads (the Stubber
#: validates it against the model): nothing but UserPoolTier and the trigger may be kept.
FULL = {
    "Id": POOL_ID,
    "Name": "partners",
    "Arn": f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/{POOL_ID}",
    "UserPoolTier": "ESSENTIALS",
    "DeletionProtection": "ACTIVE",
    "MfaConfiguration": "OFF",
    "EstimatedNumberOfUsers": 12,
    "SmsConfiguration": {"SnsCallerArn": f"arn:aws:iam::{ACCOUNT}:role/sms", "ExternalId": CANARY},
    "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
    "UserPoolAddOns": {"AdvancedSecurityMode": "OFF"},
    "LambdaConfig": {
        **lambda_config("V3_0"),
        "CustomEmailSender": {
            "LambdaVersion": "V1_0",
            "LambdaArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:mail",
        },
    },
}


def test_only_the_feature_plan_and_the_trigger_are_kept_of_a_full_response() -> None:
    client = boto3.client("cognito-idp", region_name="eu-west-1")
    with Stubber(client) as stubber:
        stubber.add_response("list_user_pools", {"UserPools": [{"Id": POOL_ID, "Name": "partners"}]})
        stubber.add_response("list_user_pool_clients", {"UserPoolClients": []})
        stubber.add_response("list_resource_servers", {"ResourceServers": []})
        stubber.add_response("describe_user_pool", {"UserPool": FULL}, {"UserPoolId": POOL_ID})
        swept = discover_region(client, ACCOUNT, "eu-west-1", RegionLimiter(1000.0), workers=1)
        stubber.assert_no_pending_responses()
    assert swept.errors == []
    expected = {
        "UserPoolTier": "ESSENTIALS",
        "LambdaConfig": {
            "PreTokenGenerationConfig": {"LambdaArn": FUNCTION, "LambdaVersion": "V3_0"},
            "PreTokenGeneration": FUNCTION,
        },
    }
    assert swept.pools[0].settings == expected == kept_settings(FULL)
    text = render(swept, lambda _client_id: (None, None), 30)
    assert json.loads(text)["userPools"][0]["Settings"] == expected
    assert CANARY not in text and "mail" not in text and "KMSKeyID" not in text


@pytest.mark.parametrize(
    ("user_pool", "kept"),
    [
        ({}, {}),
        ({"LambdaConfig": {}}, {}),
        ({"LambdaConfig": {"PreSignUp": FUNCTION}}, {}),
        (
            {"UserPoolTier": "LITE", "LambdaConfig": {"PreTokenGeneration": FUNCTION}},
            {"UserPoolTier": "LITE", "LambdaConfig": {"PreTokenGeneration": FUNCTION}},
        ),
        (
            {
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {"LambdaArn": FUNCTION, "LambdaVersion": "V9_0", "Future": 1}
                }
            },
            {"LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": FUNCTION, "LambdaVersion": "V9_0"}}},
        ),
    ],
)
def test_kept_settings(user_pool: dict[str, Any], kept: dict[str, Any]) -> None:
    assert kept_settings(user_pool) == kept


# --- inventories as files -------------------------------------------------------------------


def saved(pool_entry: dict[str, Any]) -> Pool:
    """The pool of the one client of an inventory holding ``pool_entry``'s extra members."""
    document = {
        "m2mGuardInventory": 1,
        "account": ACCOUNT,
        "region": "eu-west-1",
        "usage": {"countVersion": 2, "windowDays": 30, "sources": [], "tokenRequests": {}},
        "userPools": [
            {
                "Id": POOL_ID,
                "Name": "partners",
                "Arn": FULL["Arn"],
                "ResourceServers": ["partners"],
                **pool_entry,
                "AppClients": [
                    {
                        "UserPoolId": POOL_ID,
                        "ClientName": "svc",
                        "ClientId": "1example23456789",
                        "AllowedOAuthFlows": ["client_credentials"],
                        "AllowedOAuthFlowsUserPoolClient": True,
                        "AllowedOAuthScopes": ["partners/read"],
                        "GenerateSecret": True,
                    }
                ],
            }
        ],
    }
    [client] = inventory_source.load(parse(f"{ACCOUNT}/eu-west-1.json", json.dumps(document, indent=2)))
    return client.pool


def test_an_inventory_written_before_settings_were_read_has_none() -> None:
    pool_read = saved({})
    assert pool_read.settings is None
    assert customizes_m2m_tokens(pool_read) == Unknown(
        "the settings of eu-west-1_Rp4s8TbQ2 are not in the scanned inputs"
    )


def unknown_at(path: str, reason: str) -> dict[str, Any]:
    """Settings holding ``Unknown(reason)`` at dotted ``path``."""
    *outer, last = path.split(".")
    settings: dict[str, Any] = {last: Unknown(reason)}
    for key in reversed(outer):
        settings = {key: settings}
    return settings


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"SettingsUnknown": "access denied (DescribeUserPool)"},
            dict.fromkeys(
                ("UserPoolTier", "LambdaConfig"),
                Unknown("the sweep could not read the pool's settings: access denied (DescribeUserPool)"),
            ),
        ),
        (
            {"Settings": "PLUS"},
            dict.fromkeys(
                ("UserPoolTier", "LambdaConfig"),
                Unknown('the inventory\'s Settings is "PLUS", not an object'),
            ),
        ),
        (
            {"Settings": {"LambdaConfig": ["x"]}},
            unknown_at("LambdaConfig", "LambdaConfig is a list, not a mapping"),
        ),
        (
            {"Settings": {"LambdaConfig": {"PreTokenGenerationConfig": "V3_0"}}},
            unknown_at(
                "LambdaConfig.PreTokenGenerationConfig",
                "LambdaConfig.PreTokenGenerationConfig is 'V3_0', not a mapping",
            ),
        ),
        (
            {"Settings": {"LambdaConfig": {"PreTokenGeneration": ["arn"]}}},
            unknown_at(
                "LambdaConfig.PreTokenGeneration", "LambdaConfig.PreTokenGeneration is a list, not a string"
            ),
        ),
    ],
)
def test_settings_a_file_cannot_give_are_unknown_never_absent(
    entry: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert saved(entry).settings == expected


def test_settings_keys_m2m_guard_does_not_read_are_left_out() -> None:
    settings = saved(
        {"Settings": {"UserPoolTier": "PLUS", "SmsConfiguration": {"ExternalId": CANARY}}}
    ).settings
    assert settings == {"UserPoolTier": "PLUS"}


def test_settings_an_older_sdk_would_drop_are_kept_from_the_raw_response() -> None:
    class Raw:
        content = json.dumps({"UserPool": FULL}).encode()

    parsed: dict[str, Any] = {"UserPool": {"Id": POOL_ID, "LambdaConfig": {"PreSignUp": FUNCTION}}}
    aws._keep_raw_settings(http_response=Raw(), parsed=parsed)
    assert kept_settings(parsed["UserPool"]) == {
        "UserPoolTier": "ESSENTIALS",
        "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": FUNCTION, "LambdaVersion": "V3_0"}},
    }
    # what the SDK parsed stands
    parsed = {"UserPool": {"Id": POOL_ID, "UserPoolTier": "LITE"}}
    aws._keep_raw_settings(http_response=Raw(), parsed=parsed)
    assert parsed["UserPool"]["UserPoolTier"] == "LITE"
