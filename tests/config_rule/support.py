"""Events and a stubbed session for the AWS Config rule's tests.

The events are shaped like AWS's documented examples ("Example Events for AWS Config Rules",
AWS Config Developer Guide,
https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html):
the event holds ``invokingEvent`` and ``ruleParameters`` as JSON strings, ``resultToken``,
``eventLeftScope``, ``executionRoleArn``, ``configRuleArn``, ``configRuleName``,
``configRuleId``, ``accountId`` and ``version``; a change's ``configurationItem`` names the
account ``awsAccountId`` and the ARN ``ARN``; an oversized change has a
``configurationItemSummary`` instead (the same fields without ``configuration``); a periodic
one only ``awsAccountId``, ``notificationCreationTime``, ``messageType`` and ``recordVersion``.
The configuration is an AppClient's as AWS Config's resource schema for
AWS::Cognito::UserPoolClient records it (DescribeUserPoolClient's names, no secret).

Every AWS call goes through botocore's Stubber, which validates each request against the
service model and each canned response against the output shape; no request leaves the process.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.response import StreamingBody
from botocore.stub import Stubber

ACCOUNT = "123456789012"
REGION = "us-east-1"
POOL = "us-east-1_Cfg1"
CAPTURED = "2026-11-20T01:36:34.043Z"
NOTIFIED = "2026-11-21T18:50:18.215Z"
CLIENT_TYPE = "AWS::Cognito::UserPoolClient"


def configuration(client_id: str, pool_id: str = POOL, *, ttl_hours: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ClientId": client_id,
        "ClientName": f"svc-{client_id}",
        "UserPoolId": pool_id,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["orders/read"],
        "AccessTokenValidity": ttl_hours,
        "TokenValidityUnits": {"AccessToken": "hours"},
        **extra,
    }


def event_item(config: dict[str, Any], *, status: str = "OK") -> dict[str, Any]:
    """A ``configurationItem`` as the documented change event holds it."""
    client_id = config["ClientId"]
    return {
        "configurationItemCaptureTime": CAPTURED,
        "awsAccountId": ACCOUNT,
        "configurationItemStatus": status,
        "resourceId": client_id,
        "ARN": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{config['UserPoolId']}/client/{client_id}",
        "awsRegion": REGION,
        "availabilityZone": "Not Applicable",
        "resourceType": CLIENT_TYPE,
        "tags": {},
        "relationships": [],
        "configuration": config,
    }


def event(invoking: dict[str, Any], *, policy: str | None = None, left_scope: bool = False) -> dict[str, Any]:
    """The event around an invoking event, as in the documented examples."""
    return {
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": json.dumps({"policy": policy} if policy is not None else {}),
        "resultToken": "myResultToken",
        "eventLeftScope": left_scope,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/config-role",
        "configRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-0123456",
        "configRuleName": "m2m-guard",
        "configRuleId": "config-rule-0123456",
        "accountId": ACCOUNT,
        "version": "1.0",
    }


def change_event(config: dict[str, Any], *, status: str = "OK", **kwargs: Any) -> dict[str, Any]:
    invoking = {
        "configurationItem": event_item(config, status=status),
        "notificationCreationTime": NOTIFIED,
        "messageType": "ConfigurationItemChangeNotification",
        "recordVersion": "1.3",
    }
    return event(invoking, **kwargs)


def oversized_event(client_id: str, *, status: str = "OK", **kwargs: Any) -> dict[str, Any]:
    summary = event_item(configuration(client_id), status=status)
    del summary["configuration"], summary["tags"], summary["relationships"]
    summary.update(changeType="UPDATE", configurationItemVersion="1.3", configurationStateId=0)
    invoking = {
        "configurationItemSummary": summary,
        "messageType": "OversizedConfigurationItemChangeNotification",
        "notificationCreationTime": NOTIFIED,
        "recordVersion": "1.0",
    }
    return event(invoking, **kwargs)


def scheduled_event(**kwargs: Any) -> dict[str, Any]:
    invoking = {
        "awsAccountId": ACCOUNT,
        "notificationCreationTime": NOTIFIED,
        "messageType": "ScheduledNotification",
        "recordVersion": "1.0",
    }
    return event(invoking, **kwargs)


def query_result(config: dict[str, Any], *, status: str = "OK") -> str:
    """One ``Results`` string of SelectResourceConfig for the sweep's query (config_query)."""
    return json.dumps(
        {
            "accountId": ACCOUNT,
            "awsRegion": REGION,
            "resourceId": config["ClientId"],
            "configurationItemCaptureTime": CAPTURED,
            "configurationItemStatus": status,
            "configuration": config,
        }
    )


def body(text: str) -> StreamingBody:
    data = text.encode()
    return StreamingBody(io.BytesIO(data), len(data))


@dataclass(frozen=True)
class Refuse:
    """A planned response that is an AWS error (botocore's Stubber ``add_client_error``)."""

    code: str
    message: str = ""
    status: int = 403


Response = dict[str, Any] | Refuse


@dataclass
class Stubbed:
    """A session whose clients are stubbed: ``expect`` queues a response for the next client
    of a service; every client records the operations it is asked for (with their parameters)."""

    plans: list[tuple[str, list[tuple[str, Response, dict[str, Any] | None]]]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Each client made: its service and the access key id it was given (None: the session's).
    made: list[tuple[str, str | None]] = field(default_factory=list)
    stubbers: list[Stubber] = field(default_factory=list)

    def expect(self, service: str, *responses: tuple[str, Response, dict[str, Any] | None]) -> None:
        """The responses of the next client made for ``service``."""
        self.plans.append((service, list(responses)))

    def client(self, service: str, **kwargs: Any) -> Any:
        self.made.append((service, kwargs.get("aws_access_key_id")))
        made = boto3.client(
            service,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url="http://127.0.0.1:9",  # nothing listens: a call the Stubber misses fails here
        )
        made.meta.events.register("before-parameter-build", self._record)
        stubber = Stubber(made)
        index = next((i for i, (s, _) in enumerate(self.plans) if s == service), None)
        if index is not None:
            for operation, response, params in self.plans.pop(index)[1]:
                if isinstance(response, Refuse):
                    stubber.add_client_error(
                        operation, response.code, response.message, response.status, expected_params=params
                    )
                else:
                    stubber.add_response(operation, response, params)
        stubber.activate()
        self.stubbers.append(stubber)
        return made

    def _record(self, model: Any = None, params: Any = None, **_: Any) -> None:
        self.calls.append((f"{model.service_model.service_name}:{model.name}", dict(params or {})))

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    def evaluations(self) -> Iterator[dict[str, Any]]:
        for name, params in self.calls:
            if name == "config:PutEvaluations":
                yield from params["Evaluations"]

    def done(self) -> None:
        assert not self.plans, f"clients never made: {[s for s, _ in self.plans]}"
        for stubber in self.stubbers:
            stubber.assert_no_pending_responses()
