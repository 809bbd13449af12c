"""Many accounts: --role-name with --accounts or --organization, --external-id, --shard K/N, and
`m2m-guard merge` of the shards' reports. moto keeps one backend per account and hands out
credentials of the assumed role's account, so clients made in a member account are only found
through the role."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest

from m2m_guard.cli import main
from tests.reporters.support import github_problems, schema_errors
from tests.sweep.support import (
    ACCOUNT,
    FAST,
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


# --- regions ----------------------------------------------------------------------------------


def test_a_region_named_twice_is_read_once(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    from m2m_guard.sweep.accounts import parse_regions

    assert parse_regions(" eu-west-1,us-east-1, eu-west-1,,us-east-1 ") == ["eu-west-1", "us-east-1"]
    idp = cognito("us-east-1")
    m2m(idp, pool(idp, "orders"), "svc-orders")
    run = sweep(capsys, "--regions", "us-east-1,us-east-1, us-east-1", "--format", "json", report="m2m.json")
    summary = run.report["summary"]
    assert (summary["regions"], summary["account_regions"], summary["m2m_clients"]) == (1, 1, 1)
    # nor priced twice: one client at the default USD 6.00 a month, projected requests aside
    assert main(["cost", "--live", *FAST, "--regions", "us-east-1,us-east-1", "--format", "json"]) == 0
    (line,) = json.loads(capsys.readouterr().out)["pools"]
    assert (line["m2m_clients"], line["clients_usd"]) == (1, "6.00")


def test_the_options_of_a_sweep_are_deduplicated_too() -> None:
    from m2m_guard.sweep import accounts, runner

    options = runner.SweepOptions(regions=["eu-west-1", "eu-west-1"])
    target = accounts.Target(ACCOUNT, session=None)
    assert runner._regions(target, options, runner.SweepResult()) == ["eu-west-1"]


class StubbedSession:
    """A boto3 session whose EC2 client answers DescribeRegions from a botocore Stubber, which
    checks request and response against the EC2 service model."""

    region_name = "us-east-1"

    def __init__(self, enabled: list[str]) -> None:
        self.enabled = enabled

    def client(self, service: str, **kwargs: Any) -> Any:
        from botocore.stub import Stubber

        made = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ).client(service, **kwargs)
        stubber = Stubber(made)
        # Shape of DescribeRegions: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
        regions = [
            {"RegionName": r, "Endpoint": f"ec2.{r}.amazonaws.com", "OptInStatus": "opt-in-not-required"}
            for r in self.enabled
        ]
        stubber.add_response("describe_regions", {"Regions": regions}, {"AllRegions": False})
        stubber.activate()
        return made


def test_enabled_regions_the_sdk_cannot_sweep_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from m2m_guard.sweep import accounts

    known = accounts.sdk_regions()
    monkeypatch.setattr(accounts, "cognito_regions", lambda partition=None: frozenset({"us-east-1"}))
    # cn-north-1 belongs to another partition than the account's (moto lists such regions, AWS
    # does not): left out without a word
    session = StubbedSession(["us-east-1", "eu-north-1", "ap-newland-9", "cn-north-1"])
    plan = accounts.region_plan(session, None, "aws")
    assert "eu-north-1" in known["aws"] and "cn-north-1" in known["aws-cn"]
    assert (plan.sweep, plan.unknown, plan.without_cognito) == (
        ["us-east-1"],
        ["ap-newland-9"],
        ["eu-north-1"],
    )
    version = accounts.sdk_version()
    assert plan.notes() == [
        f"region ap-newland-9 is enabled but unknown to the installed AWS SDK ({version}), so it was not "
        "swept; to sweep it, upgrade boto3, or name it with --regions and --allow-unknown-regions",
        f"region eu-north-1 is enabled but the installed AWS SDK ({version}) lists no Cognito user pools "
        "there, so it was not swept; if Cognito is offered there now, upgrade boto3, or name it with "
        "--regions and --allow-unknown-regions",
    ]


def test_an_enabled_region_the_sdk_cannot_sweep_is_a_warning_said_once(
    moto: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from m2m_guard.sweep import accounts, runner

    plan = accounts.RegionPlan(sweep=["us-east-1"], unknown=["ap-newland-9"], without_cognito=[])
    monkeypatch.setattr(accounts, "region_plan", lambda *_, **__: plan)
    idp = cognito("us-east-1")
    m2m(idp, pool(idp, "orders"), "svc-orders")
    run = sweep(capsys, "--format", "json", report="m2m.json")
    assert run.code == 0, run.err  # a warning, not a failure: the regions it could read were read
    (note,) = plan.notes()
    assert run.err.count("ap-newland-9") == 1 and note in run.err
    assert [(n["level"], n["message"]) for n in run.report["notifications"]] == [("warning", note)]
    assert run.report["summary"]["m2m_clients"] == 1
    # many accounts: still one warning per region
    out = runner.SweepResult()
    for account in MEMBERS:
        target = accounts.Target(account, boto3.Session(region_name="us-east-1"))
        assert runner._regions(target, runner.SweepOptions(), out) == ["us-east-1"]
    assert [p.message for p in out.problems] == [note]


def test_every_region_that_offers_cognito_today_is_known_to_the_sdk() -> None:
    from m2m_guard.sweep.accounts import cognito_regions

    # The regions botocore 1.42.60 (the aws extra's floor) lists for cognito-idp in
    # botocore/data/endpoints.json; ap-east-2 and ap-southeast-6 first appear in that release,
    # eusc-de-east-1 in 1.42.29, mx-central-1 in 1.39.10, ap-southeast-7 in 1.39.11.
    today = {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
        "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
        "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
        "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "us-gov-east-1", "us-gov-west-1", "eusc-de-east-1",
    }  # fmt: skip
    assert today <= cognito_regions()
    assert cognito_regions("aws-us-gov") == {"us-gov-east-1", "us-gov-west-1"}


def test_the_aws_extra_asks_for_that_sdk() -> None:
    """boto3 X.Y.Z requires botocore X.Y.Z or later (its wheel metadata), so the floor of boto3 is
    the floor of botocore: 1.42.60 for the regions above, 1.43.19 for ListUserPoolReplicas."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    (line,) = re.findall(r'^aws = \["([^"]+)"\]$', pyproject, re.M)  # tomllib is Python 3.11+
    boto3 = Requirement(line)
    assert boto3.name == "boto3"
    floor = min(Version(s.version) for s in boto3.specifier if s.operator == ">=")
    assert floor >= Version("1.43.19")
