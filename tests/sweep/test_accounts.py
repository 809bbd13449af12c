"""Many accounts: --role-name with --accounts or --organization, --external-id, --shard K/N, and
`m2m-guard merge` of the shards' reports. moto keeps one backend per account and hands out
credentials of the assumed role's account, so clients made in a member account are only found
through the role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest

from m2m_guard.cli import main
from tests.reporters.support import github_problems, schema_errors
from tests.sweep.support import (
    ACCOUNT,
    INVENTORY,
    Hooks,
    cognito,
    inventory_clients,
    m2m,
    pool,
    query_error,
    sweep,
)

MEMBERS = ("111111111111", "222222222222", "333333333333")
ROLE = "M2mGuardAudit"


def session_in(account: str) -> Any:
    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/Setup", RoleSessionName="test-setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


def populate(accounts: tuple[str, ...], regions: tuple[str, ...] = ("us-east-1",)) -> dict[str, str]:
    """In each account and region: a pool with a long-lived and a compliant client.
    Returns ClientName -> ClientId."""
    ids = {}
    for account in accounts:
        session = session_in(account)
        for region in regions:
            idp = cognito(region, session)
            pool_id = pool(idp, f"pool-{account}-{region}")
            for name, ttl in (
                (f"long-{account}-{region}", (8, "hours")),
                (f"ok-{account}-{region}", (30, "minutes")),
            ):
                ids[name] = m2m(idp, pool_id, name, ttl=ttl)["ClientId"]
    return ids


def assume_role_calls(hooks: Hooks) -> list[dict[str, Any]]:
    """Parameters of every AssumeRole call the sweep makes."""
    calls: list[dict[str, Any]] = []

    def record(params: Any = None, **_: Any) -> None:
        calls.append(dict(params))

    hooks.add("before-parameter-build.sts.AssumeRole", record, "sts")
    return calls


def subjects(run: Any) -> set[str]:
    return {f["subject"] for f in run.report["findings"]}


def test_accounts_comma_list_with_external_id(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = populate(MEMBERS[:2])
    calls = assume_role_calls(hooks)
    run = sweep(
        capsys,
        "--role-name",
        ROLE,
        "--accounts",
        f"{MEMBERS[1]}, {MEMBERS[0]}",
        "--external-id",
        "ext-42",
        "--regions",
        "us-east-1",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 1, run.err
    assert sorted(c["RoleArn"] for c in calls) == [f"arn:aws:iam::{a}:role/{ROLE}" for a in MEMBERS[:2]]
    assert all(c["ExternalId"] == "ext-42" for c in calls)
    assert subjects(run) == {ids[f"long-{a}-us-east-1"] for a in MEMBERS[:2]}
    for account in MEMBERS[:2]:
        assert set(inventory_clients("us-east-1", account)) == {
            f"long-{account}-us-east-1",
            f"ok-{account}-us-east-1",
        }
        (finding,) = [f for f in run.report["findings"] if f["subject"] == ids[f"long-{account}-us-east-1"]]
        assert finding["path"] == f"m2m-guard-inventory/{account}/us-east-1.json"
        assert f":{account}:userpool/" in finding["arn"]
    # the caller's own account is not swept when accounts are named
    assert not (INVENTORY / ACCOUNT).exists()


def test_accounts_file_without_external_id(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = populate(MEMBERS[:1])
    calls = assume_role_calls(hooks)
    Path("accounts.txt").write_text(f"# production\n{MEMBERS[0]}  # payments\n\n")
    run = sweep(
        capsys,
        "--role-name",
        ROLE,
        "--accounts",
        "accounts.txt",
        "--regions",
        "us-east-1",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 1, run.err
    assert [c["RoleArn"] for c in calls] == [f"arn:aws:iam::{MEMBERS[0]}:role/{ROLE}"]
    assert "ExternalId" not in calls[0]
    assert subjects(run) == {ids[f"long-{MEMBERS[0]}-us-east-1"]}


def test_bad_account_ids_are_a_usage_error(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    run = sweep(capsys, "--role-name", ROLE, "--accounts", "12345,111111111111", "--regions", "us-east-1")
    assert run.code == 2
    assert "12345" in run.err and not Path(INVENTORY).exists()


def test_an_account_whose_role_cannot_be_assumed(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = populate(MEMBERS[:2])
    locked = MEMBERS[1]

    def deny(request: Any, **_: Any) -> Any:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        if locked in parse_qs(body).get("RoleArn", [""])[0]:
            return query_error("AccessDenied")
        return None

    hooks.add("before-send.sts.AssumeRole", deny, "sts")
    run = sweep(
        capsys,
        "--role-name",
        ROLE,
        "--accounts",
        ",".join(MEMBERS[:2]),
        "--regions",
        "us-east-1",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert locked in line and ROLE in line and "access denied" in line
    (note,) = run.report["notifications"]
    assert note["fatal"] and locked in note["message"]
    assert subjects(run) == {ids[f"long-{MEMBERS[0]}-us-east-1"]}  # the other account is intact
    assert not (INVENTORY / locked).exists()


def organization() -> list[str]:
    orgs = boto3.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    members = []
    for name in ("payments", "search"):
        status = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        members.append(status["AccountId"])
    return members


def test_organization_accounts_are_swept_through_the_role(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    members = organization()
    ids = populate((members[0],))
    calls = assume_role_calls(hooks)
    run = sweep(
        capsys,
        "--role-name",
        "OrganizationAccountAccessRole",
        "--organization",
        "--regions",
        "us-east-1",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 1, run.err
    # every active account, the management account included
    assert sorted(c["RoleArn"].split(":")[4] for c in calls) == sorted([ACCOUNT, *members])
    assert subjects(run) == {ids[f"long-{members[0]}-us-east-1"]}
    assert set(inventory_clients("us-east-1", members[0])) == {
        f"long-{members[0]}-us-east-1",
        f"ok-{members[0]}-us-east-1",
    }
    assert not (INVENTORY / members[1]).exists()  # an account without user pools leaves no file


def normalized(results: list[dict[str, Any]]) -> list[str]:
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "ruleIndex"}, sort_keys=True) for r in results
    )


@pytest.mark.parametrize(
    "scope",
    [
        ("--role-name", ROLE, "--accounts", ",".join(MEMBERS), "--regions", "us-east-1,eu-west-1"),
        ("--regions", "us-east-1,eu-west-1,ap-south-1"),  # one account: its regions are split
    ],
    ids=["accounts", "regions"],
)
def test_shards_merge_into_the_unsharded_report(
    scope: tuple[str, ...], moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--accounts" in scope:
        populate(MEMBERS, ("us-east-1", "eu-west-1"))
    else:
        populate((ACCOUNT,), ("us-east-1", "eu-west-1", "ap-south-1"))
    whole = sweep(capsys, *scope, "--format", "sarif", report="whole.sarif")
    whole_json = sweep(capsys, *scope, "--format", "json", report="whole.json")
    assert whole.code == whole_json.code == 1
    swept: list[set[str]] = []
    for k in (1, 2):
        for fmt in ("sarif", "json"):
            shard = sweep(capsys, *scope, "--shard", f"{k}/2", "--format", fmt, report=f"shard{k}.{fmt}")
            assert shard.code == 1, shard.err
        swept.append(
            {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in json.loads(Path(f"shard{k}.sarif").read_text())["runs"][0]["results"]
            }
        )
    assert swept[0] and swept[1] and not swept[0] & swept[1]  # disjoint, neither empty

    assert main(["merge", "shard1.sarif", "shard2.sarif", "--output", "merged.sarif"]) == 0
    merged = json.loads(Path("merged.sarif").read_text())
    assert len(merged["runs"]) == 1
    assert schema_errors(merged) == [] and github_problems(merged) == []
    run = merged["runs"][0]
    assert run["automationDetails"]["id"] == "m2m-guard/live/"
    assert normalized(run["results"]) == normalized(whole.results())
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        r["id"] for r in whole.report["runs"][0]["tool"]["driver"]["rules"]
    }
    assert run["invocations"][0]["executionSuccessful"] is True
    # what was read adds up to the whole sweep's, accounts and regions counted once
    assert run["properties"] == whole.report["runs"][0]["properties"]

    assert main(["merge", "shard1.json", "shard2.json", "--output", "merged.json"]) == 0
    merged_json = json.loads(Path("merged.json").read_text())
    # merged findings also say which category (iac or live) each came from
    assert {f.pop("category") for f in merged_json["findings"]} == {"live"}
    assert merged_json["findings"] == whole_json.report["findings"]
    assert merged_json["summary"] == whole_json.report["summary"]
    assert merged_json["swept"] == whole_json.report["swept"]
    assert merged_json["category"] == "live"


def test_an_external_id_aws_would_reject_is_explained(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    run = sweep(
        capsys,
        "--role-name",
        ROLE,
        "--accounts",
        MEMBERS[0],
        "--external-id",
        "x",
        "--regions",
        "us-east-1",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert MEMBERS[0] in line and "ExternalId" in line and "min length: 2" in line


def test_assumed_role_credentials_renew_before_they_expire(moto: None, hooks: Hooks) -> None:
    # A large organization's sweep runs for hours; assumed-role credentials last one.
    import datetime as dt

    from m2m_guard.sweep import accounts

    calls = assume_role_calls(hooks)
    session = accounts.assume(boto3.Session(), MEMBERS[0], ROLE, "aws", "ext-42", None)
    assert len(calls) == 1
    sts = session.client("sts")
    assert sts.get_caller_identity()["Account"] == MEMBERS[0]
    assert len(calls) == 1  # fresh: no renewal yet

    credentials = session._session.get_credentials()
    credentials._expiry_time = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2)
    assert sts.get_caller_identity()["Account"] == MEMBERS[0]
    assert len(calls) == 2 and calls[1]["ExternalId"] == "ext-42"
