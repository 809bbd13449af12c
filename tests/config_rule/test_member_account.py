"""The organization rule: events of a member account evaluated with that account's role.

AWS Config invokes the function of an organization rule (deploy/org-config-rule.yaml) from
every member account; AWS documents that such a rule needs "an IAM role in the managed account
that can be assumed by the Lambda function" (PutOrganizationConfigRule,
https://docs.aws.amazon.com/config/latest/APIReference/API_PutOrganizationConfigRule.html).
The handler assumes ``arn:<partition>:iam::<accountId>:role/<executionRoleName>`` for the
Config calls of an event whose ``accountId`` is not the function's own; the policy is still
read with the function's own role. Every call goes through botocore's Stubber
(tests/config_rule/support.py), which validates AssumeRole's request and response too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from m2m_guard.config_rule import handler
from m2m_guard.config_rule.aws import PERMISSIONS, ROLE_PARAMETER, ROLE_SECONDS, SESSION_NAME, MemberSession
from m2m_guard.config_rule.handler import RuleSetupError, handle
from tests.config_rule.support import (
    ACCOUNT,
    REGION,
    Refuse,
    Stubbed,
    change_event,
    configuration,
    oversized_event,
    query_result,
    scheduled_event,
)

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
OK: dict[str, Any] = {"FailedEvaluations": []}
MEMBER = "210987654321"
ROLE = "m2m-guard-config-rule-member"
#: The function runs in the management (or delegated administrator) account.
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:m2m-guard-config-rule"
ASSUMED_KEY = "ASIAMEMBERACCOUNTKEY"
ASSUME_REQUEST = {
    "RoleArn": f"arn:aws:iam::{MEMBER}:role/{ROLE}",
    "RoleSessionName": SESSION_NAME,
    "DurationSeconds": ROLE_SECONDS,
}
ASSUMED: dict[str, Any] = {
    "Credentials": {
        "AccessKeyId": ASSUMED_KEY,
        "SecretAccessKey": "member-secret-access-key",
        "SessionToken": "member-session-token",
        "Expiration": NOW + dt.timedelta(minutes=15),
    }
}
POLICY = "version: 1\nrules:\n  - id: TTL\n    type: max_access_token_ttl\n    max: 1h\n"


@pytest.fixture
def aws() -> Iterator[Stubbed]:
    stubbed = Stubbed()
    yield stubbed
    stubbed.done()
    # the handler calls nothing but what PERMISSIONS grants
    assert set(stubbed.operations()) <= set(PERMISSIONS), stubbed.operations()


def in_account(event: dict[str, Any], account: str, **parameters: str) -> dict[str, Any]:
    """``event`` as AWS Config sends it for ``account``'s rule, with these rule parameters."""
    out: dict[str, Any] = json.loads(json.dumps(event).replace(ACCOUNT, account))
    out["ruleParameters"] = json.dumps(parameters)
    return out


def keys(aws: Stubbed, service: str) -> list[str | None]:
    """The access key ids the clients of ``service`` were made with (None: the session's)."""
    return [key for made, key in aws.made if made == service]


def test_member_event_assumes_the_role_for_its_config_calls(aws: Stubbed) -> None:
    aws.expect("sts", ("assume_role", ASSUMED, ASSUME_REQUEST))
    aws.expect("config", ("put_evaluations", OK, None))
    event = in_account(change_event(configuration("1member", ttl_hours=24)), MEMBER, executionRoleName=ROLE)
    counts = handle(event, aws, now=NOW, function_arn=FUNCTION)
    assert counts == {"NON_COMPLIANT": 1}
    assert aws.operations() == ["sts:AssumeRole", "config:PutEvaluations"]
    assert keys(aws, "sts") == [None]  # the function's own role assumes
    assert keys(aws, "config") == [ASSUMED_KEY]  # PutEvaluations runs as the member role
    assert aws.calls[1][1]["ResultToken"] == "myResultToken"


def test_member_periodic_run_reads_and_reports_as_the_member_role(aws: Stubbed) -> None:
    """SelectResourceConfig and PutEvaluations with one AssumeRole; the SSM policy read stays
    with the function's own role."""
    aws.expect("ssm", ("get_parameter", {"Parameter": {"Value": POLICY}}, None))
    aws.expect("sts", ("assume_role", ASSUMED, ASSUME_REQUEST))
    aws.expect("config", ("select_resource_config", {"Results": [query_result(configuration("1p"))]}, None))
    aws.expect("config", ("put_evaluations", OK, None))
    event = in_account(scheduled_event(), MEMBER, policy="ssm:/m2m-guard/policy", executionRoleName=ROLE)
    assert handle(event, aws, now=NOW, function_arn=FUNCTION) == {"COMPLIANT": 1}
    assert aws.operations() == [
        "ssm:GetParameter",
        "sts:AssumeRole",
        "config:SelectResourceConfig",
        "config:PutEvaluations",
    ]
    assert keys(aws, "ssm") == [None]
    assert keys(aws, "config") == [ASSUMED_KEY, ASSUMED_KEY]


def test_member_oversized_change_reads_history_as_the_member_role(aws: Stubbed) -> None:
    history = {
        "configurationItems": [
            {
                "accountId": MEMBER,
                "configurationItemStatus": "OK",
                "resourceType": "AWS::Cognito::UserPoolClient",
                "resourceId": "1big",
                "awsRegion": REGION,
                "configuration": json.dumps(configuration("1big")),
            }
        ]
    }
    aws.expect("sts", ("assume_role", ASSUMED, ASSUME_REQUEST))
    aws.expect("config", ("get_resource_config_history", history, None), ("put_evaluations", OK, None))
    event = in_account(oversized_event("1big"), MEMBER, executionRoleName=ROLE)
    assert handle(event, aws, now=NOW, function_arn=FUNCTION) == {"COMPLIANT": 1}
    assert aws.operations().count("sts:AssumeRole") == 1
    assert keys(aws, "config") == [ASSUMED_KEY]


@pytest.mark.parametrize("function_arn", [FUNCTION, None], ids=["own-account", "no-context"])
def test_own_account_events_do_not_assume(aws: Stubbed, function_arn: str | None) -> None:
    aws.expect("config", ("put_evaluations", OK, None))
    event = in_account(change_event(configuration("1own")), ACCOUNT, executionRoleName=ROLE)
    handle(event, aws, now=NOW, function_arn=function_arn)
    assert aws.operations() == ["config:PutEvaluations"]
    assert keys(aws, "config") == [None] and keys(aws, "sts") == []


def test_nothing_to_report_assumes_nothing(aws: Stubbed) -> None:
    event = change_event(configuration("1x"))
    invoking = json.loads(event["invokingEvent"])
    invoking["configurationItem"]["resourceType"] = "AWS::Cognito::UserPool"
    event["invokingEvent"] = json.dumps(invoking)
    assert (
        handle(in_account(event, MEMBER, executionRoleName=ROLE), aws, now=NOW, function_arn=FUNCTION) == {}
    )
    assert aws.operations() == []


def test_assume_role_refused_is_one_line_naming_account_and_role(
    aws: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    aws.expect("sts", ("assume_role", Refuse("AccessDenied", "not authorized; token=SECRET-LOOKING"), None))
    event = in_account(change_event(configuration("1denied")), MEMBER, executionRoleName=ROLE)
    with pytest.raises(RuleSetupError) as caught:
        handle(event, aws, now=NOW, function_arn=FUNCTION)
    message = str(caught.value)
    assert message == f"cannot assume role {ROLE} in account {MEMBER}: AccessDenied"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "SECRET-LOOKING" not in caplog.text
    assert "config:PutEvaluations" not in aws.operations() and keys(aws, "config") == []


def test_member_event_without_the_role_parameter_is_refused(aws: Stubbed) -> None:
    event = in_account(change_event(configuration("1m")), MEMBER)
    with pytest.raises(
        RuleSetupError, match=f"^the event is for account {MEMBER}, not the function's account"
    ):
        handle(event, aws, now=NOW, function_arn=FUNCTION)
    assert aws.operations() == []


@pytest.mark.parametrize("role", ["path/role", "x" * 65, "bad name", 7])
def test_role_parameter_must_be_a_role_name(aws: Stubbed, role: object) -> None:
    event = in_account(change_event(configuration("1m")), MEMBER)
    event["ruleParameters"] = json.dumps({ROLE_PARAMETER: role})
    with pytest.raises(RuleSetupError, match=f"^rule parameter {ROLE_PARAMETER} must be an IAM role name"):
        handle(event, aws, now=NOW, function_arn=FUNCTION)


def test_member_session_makes_only_config_clients(aws: Stubbed) -> None:
    session = MemberSession(aws, "aws", MEMBER, ROLE)
    assert session.role_arn == f"arn:aws:iam::{MEMBER}:role/{ROLE}"
    for service in ("s3", "ssm", "sts"):
        with pytest.raises(RuleSetupError, match=f"makes no {service} client with a member role"):
            session.client(service)
    assert aws.operations() == []


def test_partition_comes_from_the_function_arn(aws: Stubbed) -> None:
    request = {**ASSUME_REQUEST, "RoleArn": f"arn:aws-us-gov:iam::{MEMBER}:role/{ROLE}"}
    aws.expect("sts", ("assume_role", ASSUMED, request))
    aws.expect("config", ("put_evaluations", OK, None))
    event = in_account(change_event(configuration("1gov")), MEMBER, executionRoleName=ROLE)
    gov = f"arn:aws-us-gov:lambda:us-gov-west-1:{ACCOUNT}:function:m2m-guard-config-rule"
    handle(event, aws, now=NOW, function_arn=gov)


def test_lambda_handler_passes_the_invoked_function_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake(
        event: Any, session: Any, *, now: dt.datetime, function_arn: str | None = None
    ) -> dict[str, int]:
        seen.update(function_arn=function_arn)
        return {}

    class Context:
        invoked_function_arn = FUNCTION

    monkeypatch.setattr(handler, "handle", fake)
    assert handler.lambda_handler(scheduled_event(), Context()) == {}
    assert seen["function_arn"] == FUNCTION
