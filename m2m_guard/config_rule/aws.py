"""The AWS side of the Config rule: guarded clients, and the member account's role.

Every client the rule makes refuses, before the request is signed, any operation outside
:data:`OPERATIONS`; the templates in deploy/ grant exactly :data:`PERMISSIONS`. An organization
rule's function runs in the management (or delegated administrator) account and assumes a role
in each member account for its Config calls: "You also need to create an IAM role in the
managed account that can be assumed by the Lambda function" (PutOrganizationConfigRule,
https://docs.aws.amazon.com/config/latest/APIReference/API_PutOrganizationConfigRule.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from m2m_guard.config_rule.policy_source import RuleSetupError

#: Service -> the only operations the handler calls. All read, except config:PutEvaluations.
OPERATIONS: dict[str, frozenset[str]] = {
    "config": frozenset({"PutEvaluations", "GetResourceConfigHistory", "SelectResourceConfig"}),
    "s3": frozenset({"GetObject"}),
    "ssm": frozenset({"GetParameter"}),
    # the member account's role of an organization rule (executionRoleName)
    "sts": frozenset({"AssumeRole"}),
}
#: The IAM actions of the rule's Lambda role (the templates copy this list).
PERMISSIONS: tuple[str, ...] = tuple(sorted(f"{s}:{op}" for s, ops in OPERATIONS.items() for op in ops))
#: The rule input parameter naming the role to assume in a member account (organization rule).
ROLE_PARAMETER = "executionRoleName"
#: AssumeRole's RoleSessionName (botocore model of sts: 2 to 64 of ``[\w+=,.@-]``).
SESSION_NAME = "m2m-guard-config-rule"
#: AssumeRole's DurationSeconds: the least STS allows (botocore model of sts:
#: roleDurationSecondsType, min 900), more than the function's timeout (300 s in deploy/).
ROLE_SECONDS = 900
#: An IAM role name (IAM CreateRole RoleName: ``[\w+=,.@-]+``, at most 64 characters), no path.
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_ACCOUNT = re.compile(r"[0-9]{12}")
#: A Lambda function ARN: arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
_FUNCTION_ARN = re.compile(r"arn:(aws[a-z-]*):lambda:[a-z0-9-]+:([0-9]{12}):function:.+")


class Clients:
    """One guarded boto3 client per service: any operation outside OPERATIONS is refused."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.made: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self.made:
            from botocore.config import Config

            config = Config(
                retries={"mode": "standard", "total_max_attempts": 5}, user_agent_extra="m2m-guard"
            )
            client = self.session.client(service, config=config)
            client.meta.events.register("before-call", guard)
            self.made[service] = client
        return self.made[service]


def guard(model: Any = None, **_: Any) -> None:
    service = model.service_model.service_name
    if model.name not in OPERATIONS.get(service, frozenset()):
        raise RuleSetupError(f"the m2m-guard Config rule refused to call {service}:{model.name}")


def config_session_for(
    event: Mapping[str, Any], parameters: Mapping[str, Any], session: Any, function_arn: str | None
) -> Any:
    """The session the Config clients are made from: the function's own ``session``, or, for
    an event of another account with ``executionRoleName`` set, a :class:`MemberSession` of
    that role. Without ``function_arn`` (the own account unknown), the own session."""
    role = parameters.get(ROLE_PARAMETER)
    if role is not None and role != "" and (not isinstance(role, str) or not _ROLE_NAME.fullmatch(role)):
        raise RuleSetupError(f"rule parameter {ROLE_PARAMETER} must be an IAM role name (no path)")
    own = _FUNCTION_ARN.fullmatch(function_arn or "")
    account = event.get("accountId")
    if own is None or account is None or account == own.group(2):
        return session
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise RuleSetupError("the event's accountId is not a 12-digit account ID")
    if not role:
        raise RuleSetupError(
            f"the event is for account {account}, not the function's account {own.group(2)}: "
            f"set the rule input parameter {ROLE_PARAMETER} to a role in that account"
        )
    return MemberSession(session, own.group(1), account, role)


class MemberSession:
    """Config clients in member ``account``, made with the temporary credentials of its role
    ``role`` (STS AssumeRole with the function's own session, on the first client). Only
    ``config`` clients: anything else is refused, so nothing but Config runs as the member role."""

    def __init__(self, session: Any, partition: str, account: str, role: str) -> None:
        self.session = session
        self.account = account
        self.role = role
        self.role_arn = f"arn:{partition}:iam::{account}:role/{role}"
        self._credentials: dict[str, str] | None = None

    def client(self, service: str, **kwargs: Any) -> Any:
        if service != "config":
            raise RuleSetupError(f"the m2m-guard Config rule makes no {service} client with a member role")
        return self.session.client(service, **kwargs, **self.credentials())

    def credentials(self) -> dict[str, str]:
        """The role's credentials as boto3 client arguments (AssumeRole once)."""
        if self._credentials is None:
            try:
                self._credentials = assume_role(self.session, self.role_arn)
            except Exception as exc:
                raise RuleSetupError(
                    f"cannot assume role {self.role} in account {self.account}: {error_code(exc)}"
                ) from None
        return self._credentials


def assume_role(session: Any, role_arn: str) -> dict[str, str]:
    """STS AssumeRole (session :data:`SESSION_NAME`, :data:`ROLE_SECONDS`) through the guarded
    client: the credentials as boto3 client arguments. Its errors propagate; the caller turns
    them into a one-line message with the error code only (never the response or a credential)."""
    found = Clients(session)("sts").assume_role(
        RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=ROLE_SECONDS
    )["Credentials"]
    return {
        "aws_access_key_id": str(found["AccessKeyId"]),
        "aws_secret_access_key": str(found["SecretAccessKey"]),
        "aws_session_token": str(found["SessionToken"]),
    }


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", "Error"))
    return type(exc).__name__
