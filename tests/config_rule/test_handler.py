"""The AWS Config rule's Lambda handler, on events shaped like AWS's documented examples
(tests/config_rule/support.py cites them), with every AWS call through botocore's Stubber."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from m2m_guard.config_rule import handler
from m2m_guard.config_rule.aws import Clients
from m2m_guard.config_rule.handler import PERMISSIONS, RuleSetupError, handle
from m2m_guard.config_rule.verdicts import ANNOTATION_MAX, NOT_M2M
from tests.config_rule.support import (
    ACCOUNT,
    CAPTURED,
    CLIENT_TYPE,
    NOTIFIED,
    POOL,
    REGION,
    Stubbed,
    body,
    change_event,
    configuration,
    oversized_event,
    query_result,
    scheduled_event,
)

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
OK: dict[str, Any] = {"FailedEvaluations": []}
BUDGET_POLICY = """\
version: 1
rules:
  - id: TTL
    type: max_access_token_ttl
    max: 1h
  - id: BUDGET
    type: pool_budget
    monthly_usd: 200
"""
WAIVED_POLICY = """\
version: 1
rules:
  - id: TTL
    type: max_access_token_ttl
    max: 1h
waivers:
  - rule: TTL
    clients: ["svc-legacy"]
    reason: Legacy batch job, replaced in Q1 (TICKET-42).
    expires: 2099-12-31
"""


@pytest.fixture
def aws() -> Iterator[Stubbed]:
    stubbed = Stubbed()
    yield stubbed
    stubbed.done()
    # the handler calls nothing but what PERMISSIONS grants
    assert set(stubbed.operations()) <= set(PERMISSIONS), stubbed.operations()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def only(aws: Stubbed) -> dict[str, Any]:
    (evaluation,) = aws.evaluations()
    return evaluation


def test_permissions_are_the_agreed_list() -> None:
    assert PERMISSIONS == (
        "config:GetResourceConfigHistory",
        "config:PutEvaluations",
        "config:SelectResourceConfig",
        "s3:GetObject",
        "ssm:GetParameter",
        "sts:AssumeRole",
    )


def test_compliant_client_names_what_config_cannot_tell(aws: Stubbed) -> None:
    aws.expect("config", ("put_evaluations", OK, None))
    counts = handle(change_event(configuration("1compliant")), aws, now=NOW)
    assert counts == {"COMPLIANT": 1}
    assert only(aws) == {
        "ComplianceResourceType": CLIENT_TYPE,
        "ComplianceResourceId": "1compliant",
        "ComplianceType": "COMPLIANT",
        "OrderingTimestamp": at(CAPTURED),
        "Annotation": "Not checked (unknown in AWS Config): M2M-UNDEFINED-SCOPES, M2M-UNUSED.",
    }
    assert aws.operations() == ["config:PutEvaluations"]
    assert dict(aws.calls[0][1])["ResultToken"] == "myResultToken"


def test_failing_client_is_non_compliant_with_the_rule_ids(aws: Stubbed) -> None:
    config = configuration("1failing", ttl_hours=24, AllowedOAuthFlows=["client_credentials", "code"])
    aws.expect("config", ("put_evaluations", OK, None))
    handle(change_event(config), aws, now=NOW)
    evaluation = only(aws)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("Fails: M2M-MIXED-FLOWS, M2M-TTL-MAX.")


def test_client_that_is_not_m2m_is_not_applicable(aws: Stubbed) -> None:
    config = configuration("1webapp", AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"])
    aws.expect("config", ("put_evaluations", OK, None))
    handle(change_event(config), aws, now=NOW)
    assert only(aws)["ComplianceType"] == "NOT_APPLICABLE"
    assert only(aws)["Annotation"] == NOT_M2M


@pytest.mark.parametrize(
    ("kwargs", "annotation"),
    [
        ({"status": "ResourceDeleted"}, "The app client was deleted."),
        ({"status": "ResourceDeletedNotRecorded"}, "The app client was deleted."),
        ({"left_scope": True}, "Left the rule's scope."),
    ],
)
def test_deleted_or_out_of_scope_is_not_applicable(
    aws: Stubbed, kwargs: dict[str, Any], annotation: str
) -> None:
    aws.expect("config", ("put_evaluations", OK, None))
    handle(change_event(configuration("1gone", ttl_hours=24), **kwargs), aws, now=NOW)
    assert only(aws)["ComplianceType"] == "NOT_APPLICABLE"
    assert only(aws)["Annotation"] == annotation


def test_waived_finding_is_compliant_with_the_waiver(aws: Stubbed) -> None:
    aws.expect(
        "s3",
        ("get_object", {"Body": body(WAIVED_POLICY)}, {"Bucket": "policies", "Key": "m2m/guard.yaml"}),
    )
    aws.expect("config", ("put_evaluations", OK, None))
    config = configuration("1legacy", ttl_hours=24, ClientName="svc-legacy")
    handle(change_event(config, policy="s3://policies/m2m/guard.yaml"), aws, now=NOW)
    assert only(aws)["ComplianceType"] == "COMPLIANT"
    assert only(aws)["Annotation"] == "Waived (Legacy batch job, replaced in Q1 (TICKET-42).): TTL."


def test_oversized_change_reads_the_latest_item(aws: Stubbed) -> None:
    history_item = {
        "version": "1.3",
        "accountId": ACCOUNT,
        "configurationItemCaptureTime": at(CAPTURED),
        "configurationItemStatus": "OK",
        "arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{POOL}/client/1big",
        "resourceType": CLIENT_TYPE,
        "resourceId": "1big",
        "awsRegion": REGION,
        # GetResourceConfigHistory gives the configuration as a JSON string
        "configuration": json.dumps(configuration("1big", ttl_hours=24)),
    }
    request = {"resourceType": CLIENT_TYPE, "resourceId": "1big", "limit": 1}
    aws.expect(
        "config",
        ("get_resource_config_history", {"configurationItems": [history_item]}, request),
        ("put_evaluations", OK, None),
    )
    handle(oversized_event("1big"), aws, now=NOW)
    evaluation = only(aws)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["OrderingTimestamp"] == at(CAPTURED)
    assert aws.operations() == ["config:GetResourceConfigHistory", "config:PutEvaluations"]


def test_oversized_deletion_needs_no_history(aws: Stubbed) -> None:
    aws.expect("config", ("put_evaluations", OK, None))
    handle(oversized_event("1big", status="ResourceDeleted"), aws, now=NOW)
    assert only(aws)["ComplianceType"] == "NOT_APPLICABLE"
    assert aws.operations() == ["config:PutEvaluations"]


def test_periodic_run_evaluates_every_client_and_each_pool(aws: Stubbed) -> None:
    """150 clients in two pools: SelectResourceConfig pages of 100, PutEvaluations batches of
    100; the pool budget is reported on the pool, the client rules on each client."""
    results = [
        query_result(configuration(f"1c{i:03d}", POOL if i < 140 else "us-east-1_Two")) for i in range(150)
    ]
    results[0] = query_result(configuration("1c000", ttl_hours=24))
    results[1] = query_result(configuration("1c001"), status="ResourceDeleted")
    results[2] = query_result(configuration("1c002", AllowedOAuthFlows=["code"]))
    query = handler_query()
    aws.expect(
        "config",
        ("select_resource_config", {"Results": results[:100], "NextToken": "page2"}, query),
        ("select_resource_config", {"Results": results[100:]}, {**query, "NextToken": "page2"}),
    )
    aws.expect("ssm", ("get_parameter", {"Parameter": {"Value": BUDGET_POLICY}}, None))
    aws.expect("config", ("put_evaluations", OK, None), ("put_evaluations", OK, None))
    counts = handle(scheduled_event(policy="ssm:/m2m-guard/policy"), aws, now=NOW)
    evaluations = {(e["ComplianceResourceType"], e["ComplianceResourceId"]): e for e in aws.evaluations()}
    assert len(evaluations) == 152 and sum(counts.values()) == 152
    assert [len(p["Evaluations"]) for n, p in aws.calls if n == "config:PutEvaluations"] == [100, 52]
    assert {e["OrderingTimestamp"] for e in evaluations.values()} == {at(NOTIFIED)}
    assert evaluations[(CLIENT_TYPE, "1c000")]["Annotation"] == "Fails: TTL."
    assert evaluations[(CLIENT_TYPE, "1c001")]["ComplianceType"] == "NOT_APPLICABLE"
    assert evaluations[(CLIENT_TYPE, "1c002")]["ComplianceType"] == "NOT_APPLICABLE"
    assert evaluations[(CLIENT_TYPE, "1c003")]["ComplianceType"] == "COMPLIANT"
    big, small = (
        evaluations[("AWS::Cognito::UserPool", POOL)],
        evaluations[("AWS::Cognito::UserPool", "us-east-1_Two")],
    )
    assert big["ComplianceType"] == "NON_COMPLIANT" and big["Annotation"] == "Fails: BUDGET."
    assert small["ComplianceType"] == "COMPLIANT"
    get = [p for n, p in aws.calls if n == "ssm:GetParameter"]
    assert get == [{"Name": "/m2m-guard/policy", "WithDecryption": True}]


def handler_query() -> dict[str, Any]:
    from m2m_guard.sweep.config_query import EXPRESSION, PAGE_SIZE

    return {"Expression": EXPRESSION, "Limit": PAGE_SIZE}


def test_change_events_leave_pool_rules_to_the_periodic_run(aws: Stubbed) -> None:
    aws.expect("ssm", ("get_parameter", {"Parameter": {"Value": BUDGET_POLICY}}, None))
    aws.expect("config", ("put_evaluations", OK, None))
    handle(change_event(configuration("1one"), policy="ssm:/m2m-guard/policy"), aws, now=NOW)
    assert only(aws)["ComplianceType"] == "COMPLIANT"
    assert "Annotation" not in only(aws)


def test_item_of_another_type_reports_nothing(aws: Stubbed) -> None:
    event = change_event(configuration("1x"))
    invoking = json.loads(event["invokingEvent"])
    invoking["configurationItem"]["resourceType"] = "AWS::Cognito::UserPool"
    event["invokingEvent"] = json.dumps(invoking)
    assert handle(event, aws, now=NOW) == {}
    assert aws.operations() == []


def test_test_mode_token_sets_test_mode(aws: Stubbed) -> None:
    aws.expect("config", ("put_evaluations", OK, None))
    event = change_event(configuration("1t"))
    event["resultToken"] = "TESTMODE"
    handle(event, aws, now=NOW)
    assert aws.calls[0][1]["TestMode"] is True


@pytest.mark.parametrize(
    ("policy", "expect", "message"),
    [
        ("nosuchpack", None, "rule parameter policy: 'nosuchpack' is no built-in pack (default, strict), "),
        ("s3://bucket-only", None, "is not of the form s3://bucket/key"),
        (
            "ssm:/bad",
            ("ssm", "get_parameter", {"Parameter": {"Value": "version: 2\nrules: []\n"}}),
            "invalid policy: ",
        ),
        ("s3://b/k", ("s3", "get_object", {"Body": body("\xff")}), "invalid policy"),
    ],
)
def test_policy_problems_raise_one_line(aws: Stubbed, policy: str, expect: Any, message: str) -> None:
    if expect is not None:
        aws.expect(expect[0], (expect[1], expect[2], None))
    with pytest.raises(RuleSetupError) as caught:
        handle(change_event(configuration("1p"), policy=policy), aws, now=NOW)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert "config:PutEvaluations" not in aws.operations()


def test_policy_read_refused_names_the_code_not_the_body(aws: Stubbed) -> None:
    aws.plans.append(("s3", []))
    stubbed_client = aws.client("s3")
    aws.stubbers[-1].add_client_error("get_object", "AccessDenied", "secret-looking body", 403)
    aws.client = lambda service, **_: stubbed_client  # type: ignore[method-assign]
    with pytest.raises(RuleSetupError, match=r"^cannot read policy s3://b/k: AccessDenied \(GetObject\)$"):
        handle(change_event(configuration("1p"), policy="s3://b/k"), aws, now=NOW)


def test_unknown_message_type_and_missing_token_raise(aws: Stubbed) -> None:
    event = scheduled_event()
    event["invokingEvent"] = json.dumps({"messageType": "ConfigurationSnapshotDeliveryCompleted"})
    with pytest.raises(RuleSetupError, match="unsupported messageType"):
        handle(event, aws, now=NOW)
    event = change_event(configuration("1n"))
    del event["resultToken"]
    with pytest.raises(RuleSetupError, match="no resultToken"):
        handle(event, aws, now=NOW)


def test_refused_evaluations_fail_the_invocation(aws: Stubbed) -> None:
    failed = {
        "FailedEvaluations": [
            {
                "ComplianceResourceType": CLIENT_TYPE,
                "ComplianceResourceId": "1f",
                "ComplianceType": "COMPLIANT",
                "OrderingTimestamp": NOW,
            }
        ]
    }
    aws.expect("config", ("put_evaluations", failed, None))
    with pytest.raises(RuleSetupError, match="^AWS Config refused 1 of 1 evaluations$"):
        handle(change_event(configuration("1f")), aws, now=NOW)


def test_guard_refuses_every_other_operation() -> None:
    clients = Clients(
        boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    )
    config = clients("config")
    with pytest.raises(RuleSetupError, match="refused to call config:DeleteEvaluationResults"):
        config.delete_evaluation_results(ConfigRuleName="m2m-guard")
    with pytest.raises(RuleSetupError, match="refused to call s3:PutObject"):
        clients("s3").put_object(Bucket="b", Key="k", Body=b"")


def test_annotations_stay_within_the_limit(aws: Stubbed) -> None:
    rules = "".join(
        f"  - id: A-VERY-LONG-POLICY-RULE-IDENTIFIER-{i:02d}\n    type: max_access_token_ttl\n    max: 5m\n"
        for i in range(12)
    )
    aws.expect("ssm", ("get_parameter", {"Parameter": {"Value": f"version: 1\nrules:\n{rules}"}}, None))
    aws.expect("config", ("put_evaluations", OK, None))
    handle(change_event(configuration("1long"), policy="ssm:/p"), aws, now=NOW)
    text = only(aws)["Annotation"]
    assert len(text) <= ANNOTATION_MAX and text.endswith(" more.")


def test_lambda_handler_uses_a_boto3_session(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake(
        event: Any, session: Any, *, now: dt.datetime, function_arn: str | None = None
    ) -> dict[str, int]:
        seen.update(session=session, now=now)
        return {}

    monkeypatch.setattr(handler, "handle", fake)
    assert handler.lambda_handler(scheduled_event(), None) == {}
    assert isinstance(seen["session"], boto3.Session) and seen["now"].tzinfo is not None


def test_import_is_light() -> None:
    code = (
        "import sys, m2m_guard.config_rule.handler;"
        "print(sorted(m for m in ('boto3','botocore','checkov','jsonschema') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_recorded_secret_is_never_logged_or_reported(
    aws: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    aws.expect("config", ("put_evaluations", OK, None))
    config = configuration("1secret", ttl_hours=24, ClientSecret="s3cr3t-value-never-shown")
    handle(change_event(config), aws, now=NOW)
    assert only(aws)["ComplianceType"] == "NON_COMPLIANT"
    assert "s3cr3t" not in caplog.text and "s3cr3t" not in json.dumps(only(aws), default=str)
    assert "COMPLIANT" in caplog.text  # the one summary line: counts only
