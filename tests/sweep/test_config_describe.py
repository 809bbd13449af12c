"""``sweep --config-aggregator NAME --describe-m2m``: the M2M clients AWS Config found are
described in their account and region (the current credentials in this account, ``--role-name``
elsewhere), so that whether they have a secret becomes known.

Cognito and STS are moto's (moto supports AssumeRole into any account id, and keeps one
Cognito backend per account); the Config query goes through botocore's Stubber as in
tests/sweep/test_config.py. Each Config item is built from the very client moto describes,
without the secret, as Config records it (AWS Config's resource schema for
AWS::Cognito::UserPoolClient has no GenerateSecret, ClientSecret or ClientSecretArn).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from m2m_guard.sweep.config_describe import describe_m2m
from tests.sweep.support import ACCOUNT, Hooks, Run, cognito, m2m, pool, response, sweep, user_facing
from tests.sweep.test_accounts import session_in
from tests.sweep.test_config import FRESH, REGION, ConfigStub, aggregate

OTHER = "444455556666"
ROLE = "M2mGuardAudit"


@pytest.fixture
def config_stub(hooks: Hooks) -> ConfigStub:
    stub = ConfigStub()
    hooks.on_client.append(stub.attach)
    return stub


def recorded(idp: Any, pool_id: str, client_id: str, account: str = ACCOUNT) -> dict[str, Any]:
    """The Config item of a client moto holds: its describe, without any secret field."""
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    configuration = {
        k: v for k, v in described.items() if k not in ("ClientSecret", "GenerateSecret", "ClientSecretArn")
    }
    return {
        "accountId": account,
        "awsRegion": REGION,
        "resourceId": client_id,
        "configurationItemCaptureTime": FRESH,
        "configurationItemStatus": "OK",
        "configuration": json.loads(json.dumps(configuration, default=str)),
    }


def no_secret_client(idp: Any, pool_id: str, name: str) -> dict[str, Any]:
    created: dict[str, Any] = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=False,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["orders/read"],
        AccessTokenValidity=30,
        TokenValidityUnits={"AccessToken": "minutes"},
    )["UserPoolClient"]
    return created


def no_client_secrets(hooks: Hooks) -> None:
    """ListUserPoolClientSecrets, which moto lacks: no secret at all (a ``before-call`` answer
    replaces the request)."""
    hooks.add(
        "before-call.cognito-identity-provider.ListUserPoolClientSecrets",
        lambda **_: (response(200, {"ClientSecrets": []}), {"ClientSecrets": []}),
        "cognito-idp",
    )


def unused(run: Run) -> dict[str, dict[str, Any]]:
    """ClientId -> the M2M-UNUSED finding (a verdict or a note)."""
    return {f["subject"]: f for f in run.report["findings"] if f["rule_id"] == "M2M-UNUSED"}


def test_describing_makes_the_secret_known_and_gives_verdicts(
    capsys: pytest.CaptureFixture[str], moto: None, hooks: Hooks, config_stub: ConfigStub
) -> None:
    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    with_secret = m2m(idp, pool_id, "with-secret")
    bare = no_secret_client(idp, pool_id, "bare")
    human = user_facing(idp, pool_id, "web")
    items = [recorded(idp, pool_id, c["ClientId"]) for c in (with_secret, bare, human)]
    no_client_secrets(hooks)
    calls: list[str] = []
    hooks.add("before-parameter-build.cognito-identity-provider", lambda model, **_: calls.append(model.name))
    for _ in range(2):
        config_stub.page("select_aggregate_resource_config", items, None, aggregate())
    plain = sweep(capsys, "--config-aggregator", "org", "--format", "json", report="plain.json")
    assert plain.code == 0, plain.err
    assert {name for name, f in unused(plain).items() if f.get("undetermined")} == {
        with_secret["ClientId"],
        bare["ClientId"],
    }
    assert calls == []
    read = sweep(
        capsys, "--config-aggregator", "org", "--describe-m2m", "--format", "json", report="read.json"
    )
    found = unused(read)
    assert with_secret["ClientId"] not in found  # a secret, scopes, the OAuth switch: nothing to say
    verdict = found[bare["ClientId"]]
    assert not verdict.get("undetermined") and "no client secret" in verdict["message"], (
        verdict["message"],
        read.err,
    )
    # one describe per (possibly) M2M client, the user-facing one not; one secret check
    assert sorted(calls) == ["DescribeUserPoolClient"] * 2 + ["ListUserPoolClientSecrets"]
    assert with_secret["ClientSecret"] not in read.out + read.err + json.dumps(read.report)


def test_another_accounts_clients_are_described_through_the_role(
    capsys: pytest.CaptureFixture[str], moto: None, hooks: Hooks, config_stub: ConfigStub
) -> None:
    mine, theirs = cognito(REGION), cognito(REGION, session_in(OTHER))
    here, there = pool(mine, "here"), pool(theirs, "there")
    local, remote = m2m(mine, here, "local"), m2m(theirs, there, "remote")
    items = [recorded(mine, here, local["ClientId"]), recorded(theirs, there, remote["ClientId"], OTHER)]
    assumed: list[str] = []
    hooks.add("before-parameter-build.sts.AssumeRole", lambda params, **_: assumed.append(params["RoleArn"]))
    config_stub.page("select_aggregate_resource_config", items, None, aggregate())
    args = ("--config-aggregator", "org", "--describe-m2m", "--role-name", ROLE, "--external-id", "x-12345")
    run = sweep(capsys, *args, "--format", "json", report="r.json")
    assert run.code == 0, run.err
    assert assumed == [f"arn:aws:iam::{OTHER}:role/{ROLE}"]  # the current credentials here
    assert not any(f.get("undetermined") for f in unused(run).values())
    assert remote["ClientSecret"] not in run.out + run.err + json.dumps(run.report)


def test_failures_keep_configs_values_with_a_warning(
    capsys: pytest.CaptureFixture[str], moto: None, hooks: Hooks, config_stub: ConfigStub
) -> None:
    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    kept = m2m(idp, pool_id, "kept")
    gone = m2m(idp, pool_id, "gone")
    items = [recorded(idp, pool_id, c["ClientId"]) for c in (kept, gone)]
    elsewhere = dict(items[0], accountId=OTHER)  # no --role-name: not described
    idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=gone["ClientId"])
    config_stub.page("select_aggregate_resource_config", [*items, elsewhere], None, aggregate())
    run = sweep(capsys, "--config-aggregator", "org", "--describe-m2m", "--format", "sarif", report="r.sarif")
    assert run.code == 0, run.err  # a partial failure is a warning
    notes = {n["message"]["text"]: n["level"] for n in run.notifications()}
    (other,) = [text for text in notes if text.startswith(f"account {OTHER}:")]
    assert "1 M2M client not described (another account, and no --role-name" in other
    assert notes[other] == "warning"
    (deleted,) = [text for text in notes if gone["ClientId"] in text]
    assert "no longer exists (ResourceNotFoundException)" in deleted and notes[deleted] == "warning"
    assert all(gone["ClientId"] not in json.dumps(r) for r in run.results())


def test_old_items_described_afresh_are_not_warned_about(
    capsys: pytest.CaptureFixture[str], moto: None, hooks: Hooks, config_stub: ConfigStub
) -> None:
    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    old = "2020-01-01T00:00:00.000Z"
    clients = (m2m(idp, pool_id, "batch"), user_facing(idp, pool_id, "web"))
    items = [dict(recorded(idp, pool_id, c["ClientId"]), configurationItemCaptureTime=old) for c in clients]
    for _ in range(2):
        config_stub.page("select_aggregate_resource_config", items, None, aggregate())

    def stale(*options: str) -> list[str]:
        run = sweep(capsys, "--config-aggregator", "org", *options, "--format", "sarif", report="r.sarif")
        return [
            n["message"]["text"]
            for n in run.notifications()
            if "more than 30 days ago" in n["message"]["text"]
        ]

    (plain,) = stale()
    assert "recorded 2 app clients more than 30 days ago" in plain
    # the M2M client is described (today's values); the user-facing one is still as recorded
    (described,) = stale("--describe-m2m")
    assert "recorded 1 app client more than 30 days ago" in described


def test_nothing_described_is_an_error(
    capsys: pytest.CaptureFixture[str], moto: None, hooks: Hooks, config_stub: ConfigStub
) -> None:
    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    client = m2m(idp, pool_id, "denied")
    hooks.add(
        "before-send.cognito-identity-provider.DescribeUserPoolClient",
        lambda **_: response(400, {"__type": "AccessDeniedException", "message": "no"}),
    )
    config_stub.page(
        "select_aggregate_resource_config", [recorded(idp, pool_id, client["ClientId"])], None, aggregate()
    )
    run = sweep(capsys, "--config-aggregator", "org", "--describe-m2m", "--format", "json", report="r.json")
    assert run.code == 2
    assert (
        f"account {ACCOUNT}, region {REGION}: 1 M2M client not described (DescribeUserPoolClient: " in run.err
    )
    assert "access denied" in run.err and "Traceback" not in run.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--describe-m2m"], "--describe-m2m applies to --config and --config-aggregator"),
        (
            ["--config", "--role-name", ROLE],
            "--role-name is an option of the Cognito sweep (and of --describe-m2m)",
        ),
        (["--config", "--describe-m2m", "--external-id", "x-12345"], "--external-id goes with --role-name"),
        (["--config", "--describe-m2m", "--accounts", OTHER], "--accounts is an option of the Cognito sweep"),
    ],
)
def test_option_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str], config_stub: ConfigStub, argv: list[str], message: str
) -> None:
    run = sweep(capsys, *argv)
    assert run.code == 2
    assert message in run.err and len(run.err.strip().splitlines()) == 1
    assert config_stub.stubs == []


def test_fingerprints_do_not_change_when_described(
    capsys: pytest.CaptureFixture[str], moto: None, config_stub: ConfigStub
) -> None:
    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    client = m2m(idp, pool_id, "long-lived", ttl=(24, "hours"))
    item = recorded(idp, pool_id, client["ClientId"])
    for _ in range(2):
        config_stub.page("select_aggregate_resource_config", [item], None, aggregate())
    runs = [
        sweep(capsys, "--config-aggregator", "org", *extra, "--format", "sarif", report=f"{n}.sarif")
        for n, extra in enumerate(((), ("--describe-m2m",)))
    ]

    def verdicts(run: Run) -> dict[str, Any]:
        return {
            r["ruleId"]: (r["partialFingerprints"], r["locations"][0]["logicalLocations"])
            for r in run.results()
            if not r.get("properties", {}).get("undetermined")
        }

    plain, described = (verdicts(run) for run in runs)
    assert plain and plain == {k: v for k, v in described.items() if k in plain}


def test_calls_are_counted(moto: None) -> None:
    import boto3

    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    ids = [m2m(idp, pool_id, f"c{i}")["ClientId"] for i in range(3)]
    done = describe_m2m(
        boto3.Session(region_name=REGION),
        [(ACCOUNT, REGION, pool_id, i) for i in ids],
        role_name=None,
        external_id=None,
        max_rps=1000,
    )
    assert (done.describe_calls, done.assume_calls, len(done.records)) == (3, 0, 3)
    assert all(
        record["GenerateSecret"] is True and "ClientSecret" not in record
        for record, _ in done.records.values()
    )
