"""``sweep --config`` / ``--config-aggregator`` and ``cost --live --config``: AWS Config's
advanced query instead of a Cognito sweep.

The Config calls go through botocore's Stubber, which checks each request's parameters against
the config service model (Limit at most 100, the aggregator name's pattern) and each canned
response against its output shape (``Results`` a list of strings). The items are shaped as in
tests/sources/test_config_items.py (AWS Config's resource schema for
AWS::Cognito::UserPoolClient); the fingerprint test builds the item from the very client moto
describes, as Config would record it (its DescribeUserPoolClient fields, no secret).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from m2m_guard.sweep import aws
from m2m_guard.sweep.config_query import EXPRESSION, PAGE_SIZE, ConfigQueryError, select_items
from tests.sweep.support import ACCOUNT, Hooks, cognito, m2m, pool, sweep

REGION = "us-east-1"
FRESH = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def item(client_id: str, pool_id: str = "us-east-1_Cfg1", *, ttl: int = 2, **extra: Any) -> dict[str, Any]:
    configuration = {
        "ClientId": client_id,
        "ClientName": f"svc-{client_id}",
        "UserPoolId": pool_id,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["orders/read"],
        "AccessTokenValidity": ttl,
        "TokenValidityUnits": {"AccessToken": "hours"},
    }
    return {
        "accountId": extra.pop("account", ACCOUNT),
        "awsRegion": extra.pop("region", REGION),
        "resourceId": client_id,
        "configurationItemCaptureTime": FRESH,
        "configurationItemStatus": "OK",
        "configuration": configuration,
        **extra,
    }


@dataclass
class ConfigStub:
    """Canned Config responses, served by a Stubber on every config client the sweep makes."""

    calls: list[tuple[str, dict[str, Any] | str, dict[str, Any]]] = field(default_factory=list)
    stubs: list[Stubber] = field(default_factory=list)

    def page(
        self, method: str, items: list[dict[str, Any]], token: str | None, expected: dict[str, Any]
    ) -> None:
        body: dict[str, Any] = {"Results": [json.dumps(i) for i in items], "QueryInfo": {"SelectFields": []}}
        self.calls.append((method, body | ({"NextToken": token} if token else {}), expected))

    def error(self, method: str, code: str, expected: dict[str, Any]) -> None:
        self.calls.append((method, code, expected))

    def attach(self, service: str, _region: str | None, client: Any) -> None:
        if service != "config":
            return
        stub = Stubber(client)
        for method, body, expected in self.calls:
            if isinstance(body, str):
                stub.add_client_error(
                    method, service_error_code=body, http_status_code=400, expected_params=expected
                )
            else:
                stub.add_response(method, body, expected)
        stub.activate()
        self.stubs.append(stub)


@pytest.fixture
def config_stub(hooks: Hooks) -> ConfigStub:
    stub = ConfigStub()
    hooks.on_client.append(stub.attach)
    return stub


def aggregate(token: str | None = None) -> dict[str, Any]:
    request = {"Expression": EXPRESSION, "ConfigurationAggregatorName": "org", "Limit": PAGE_SIZE}
    return request | ({"NextToken": token} if token else {})


def test_an_aggregator_is_read_page_by_page_and_checked(
    capsys: pytest.CaptureFixture[str], config_stub: ConfigStub
) -> None:
    config_stub.page("select_aggregate_resource_config", [item("a"), item("b", ttl=24)], "t1", aggregate())
    deleted = item("c", configurationItemStatus="ResourceDeleted")
    other = item("d", "eu-west-1_Cfg2", region="eu-west-1", account="444455556666")
    config_stub.page("select_aggregate_resource_config", [deleted, other], None, aggregate("t1"))
    run = sweep(capsys, "--config-aggregator", "org", "--format", "json", report="r.json")
    (stub,) = config_stub.stubs
    stub.assert_no_pending_responses()
    assert run.code == 1, run.err  # a 24-hour token is an error in the default policy
    subjects = {(f["rule_id"], f["subject"]) for f in run.report["findings"] if not f.get("undetermined")}
    assert any(subject == "b" for _, subject in subjects)
    assert all(subject != "c" for _, subject in subjects)
    summary = run.report["summary"]
    assert (summary["app_clients"], summary["accounts"], summary["account_regions"]) == (2 + 1, 2, 2)
    assert run.report["swept"] == {"accounts": [ACCOUNT, "444455556666"], "regions": ["eu-west-1", REGION]}
    assert not Path("m2m-guard-inventory").exists()  # Config is the record: no inventory written


def test_this_accounts_recorder_with_config(
    capsys: pytest.CaptureFixture[str], config_stub: ConfigStub
) -> None:
    expected = {"Expression": EXPRESSION, "Limit": PAGE_SIZE}
    config_stub.page("select_resource_config", [item("a", ttl=1)], None, expected)
    run = sweep(capsys, "--config", "--format", "json", report="r.json")
    config_stub.stubs[0].assert_no_pending_responses()
    assert run.code == 0, run.err
    assert run.report["summary"]["app_clients"] == 1


def test_aws_region_names_the_region_when_the_sdk_has_none(
    capsys: pytest.CaptureFixture[str], config_stub: ConfigStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI credential steps set AWS_REGION, which boto3 alone does not read; the AWS SDKs and
    # Tools reference (feature-region.html) names it as the region's environment variable
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    expected = {"Expression": EXPRESSION, "Limit": PAGE_SIZE}
    config_stub.page("select_resource_config", [item("a", ttl=1)], None, expected)
    run = sweep(capsys, "--config", "--format", "json", report="r.json")
    assert run.code == 0, run.err
    assert [stub.client.meta.region_name for stub in config_stub.stubs] == ["eu-central-1"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")  # the SDK's own setting comes first
    assert aws.session().region_name == "us-west-2"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AccessDeniedException", "AWS Config: access denied (SelectAggregateResourceConfig); grant the"),
        ("NoSuchConfigurationAggregatorException", "AWS Config: no configuration aggregator named 'org' in"),
    ],
)
def test_a_failed_query_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], config_stub: ConfigStub, code: str, expected: str
) -> None:
    config_stub.error("select_aggregate_resource_config", code, aggregate())
    run = sweep(capsys, "--config-aggregator", "org", "--format", "sarif", report="r.sarif")
    assert run.code == 2
    assert "Traceback" not in run.err
    (line,) = [line for line in run.err.splitlines() if "AWS Config" in line]
    assert expected in line
    (note,) = run.notifications()
    assert note["level"] == "error" and expected in note["message"]["text"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--config", "--config-aggregator", "org"], "use either --config or --config-aggregator NAME"),
        (["--config", "--role-name", "audit"], "--role-name is an option of the Cognito sweep"),
        (["--config-aggregator", "org", "--cloudtrail-lookup"], "--cloudtrail-lookup is an option of"),
        (["--config", "--config-max-age", "0"], "--config-max-age must be at least 1; got 0"),
        (["--config-max-age", "7"], "--config-max-age applies to --config and --config-aggregator"),
    ],
)
def test_option_mistakes_are_one_line_before_any_call(
    capsys: pytest.CaptureFixture[str], config_stub: ConfigStub, argv: list[str], message: str
) -> None:
    run = sweep(capsys, *argv)
    assert run.code == 2
    assert message in run.err and len(run.err.strip().splitlines()) == 1
    assert config_stub.stubs == []


def test_cost_live_takes_the_same_options(
    capsys: pytest.CaptureFixture[str], config_stub: ConfigStub
) -> None:
    from m2m_guard.cli import main

    config_stub.page("select_aggregate_resource_config", [item("a"), item("b")], None, aggregate())
    code = main(["cost", "--live", "--config-aggregator", "org", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "us-east-1_Cfg1" in out
    assert main(["cost", "--config-aggregator", "org"]) == 2
    assert "add --live" in capsys.readouterr().err


def test_the_query_is_paginated_and_only_reads(config_stub: ConfigStub) -> None:
    pages = [[item(f"c{p}-{i}") for i in range(3)] for p in range(3)]
    config_stub.page("select_resource_config", pages[0], "t1", {"Expression": EXPRESSION, "Limit": 3})
    expected = {"Expression": EXPRESSION, "Limit": 3}
    config_stub.page("select_resource_config", pages[1], "t2", expected | {"NextToken": "t1"})
    config_stub.page("select_resource_config", pages[2] + ["not json"], None, expected | {"NextToken": "t2"})  # type: ignore[list-item]
    got = select_items(boto3.Session(), aggregator=None, page_size=3)
    assert (got.calls, len(got.items), got.unreadable) == (3, 9, 1)
    assert aws.READ_ONLY_OPERATIONS["config"] == {"SelectResourceConfig", "SelectAggregateResourceConfig"}


def test_no_region_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ConfigQueryError, match="no AWS region configured; set AWS_REGION"):
        select_items(boto3.Session(), aggregator="org")


def test_findings_match_the_cognito_sweeps_for_the_same_client(
    capsys: pytest.CaptureFixture[str], moto: None, config_stub: ConfigStub
) -> None:
    """The same client read by a Cognito sweep and from Config: same rule, same fingerprint,
    same logical location."""
    idp = cognito(REGION)
    pool_id = pool(idp, "orders")
    created = m2m(idp, pool_id, "long-lived", ttl=(24, "hours"))
    swept = sweep(capsys, "--regions", REGION, "--format", "sarif", report="cognito.sarif")
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"])[
        "UserPoolClient"
    ]
    configuration = {k: v for k, v in described.items() if k not in ("ClientSecret", "GenerateSecret")}
    recorded = {
        "accountId": ACCOUNT,
        "awsRegion": REGION,
        "resourceId": created["ClientId"],
        "configurationItemCaptureTime": FRESH,
        "configurationItemStatus": "OK",
        "configuration": json.loads(json.dumps(configuration, default=str)),
    }
    config_stub.page("select_aggregate_resource_config", [recorded], None, aggregate())
    read = sweep(capsys, "--config-aggregator", "org", "--format", "sarif", report="config.sarif")

    def by_rule(run: Any) -> dict[str, tuple[str, Any]]:
        return {
            r["ruleId"]: (r["partialFingerprints"], r["locations"][0]["logicalLocations"])
            for r in run.results()
            if not r.get("properties", {}).get("undetermined")
        }

    cognito_results, config_results = by_rule(swept), by_rule(read)
    assert config_results, read.err
    shared = set(cognito_results) & set(config_results)
    assert shared == set(config_results)  # every verdict from Config is one the sweep gives too
    for rule_id in shared:
        assert config_results[rule_id] == cognito_results[rule_id], rule_id
