"""boto3 plumbing for the sweep: clients with adaptive retries, a read-only guard, error text.

The guard is enforced, not just documented: every client the sweep creates refuses, before the
request is signed, any operation outside :data:`READ_ONLY_OPERATIONS`. That list is also the IAM
policy the README ships, and a test checks the two agree.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from m2m_guard.model import is_secret_key

#: Service -> the only operations a sweep may call. All of them read.
READ_ONLY_OPERATIONS: dict[str, frozenset[str]] = {
    "sts": frozenset({"GetCallerIdentity", "AssumeRole"}),
    "organizations": frozenset({"ListAccounts"}),
    "ec2": frozenset({"DescribeRegions"}),
    # DescribeUserPool: once per pool read, for its feature plan and pre token generation
    # trigger (m2m_guard/sweep/discovery.py keeps nothing else of it).
    # ListUserPoolReplicas: only for pools that are replicated (ListUserPools says so), to tell a
    # secondary replica from the primary. ListUserPoolClientSecrets: only for an M2M client whose
    # describe shows no secret at all, to confirm that before calling it unusable. Neither
    # returns a secret value.
    "cognito-idp": frozenset(
        {
            "ListUserPools",
            "DescribeUserPool",
            "ListUserPoolClients",
            "DescribeUserPoolClient",
            "ListResourceServers",
            "ListUserPoolReplicas",
            "ListUserPoolClientSecrets",
        }
    ),
    "logs": frozenset({"StartQuery", "GetQueryResults"}),
    "cloudtrail": frozenset({"LookupEvents"}),
    # `sweep --config` / `--config-aggregator`: AWS Config's advanced query, read only
    # (m2m_guard/sweep/config_query.py).
    "config": frozenset({"SelectResourceConfig", "SelectAggregateResourceConfig"}),
}
#: Reading a Cost and Usage Report export from S3 (``--usage-from-cur s3://...``,
#: m2m_guard/sweep/bill_s3.py): no sweep permission, so not in the sweep's IAM policy; it needs
#: s3:ListBucket and s3:GetObject on the export's bucket (README, "Cost report").
BILL_READ_OPERATIONS: dict[str, frozenset[str]] = {"s3": frozenset({"ListObjectsV2", "GetObject"})}
#: IAM action prefix of each service.
IAM_PREFIX = {
    "sts": "sts",
    "organizations": "organizations",
    "ec2": "ec2",
    "cognito-idp": "cognito-idp",
    "logs": "logs",
    "cloudtrail": "cloudtrail",
    "config": "config",
}


class WriteRefused(RuntimeError):
    """Raised before a request outside the read-only list leaves the process."""


def iam_policy() -> dict[str, Any]:
    """The minimal IAM policy a sweep needs (GetCallerIdentity needs no permission)."""
    actions = sorted(
        f"{IAM_PREFIX[service]}:{op}"
        for service, ops in READ_ONLY_OPERATIONS.items()
        for op in ops
        if op != "GetCallerIdentity"
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "M2mGuardSweepReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}
        ],
    }


def _guard(model: Any = None, **_: Any) -> None:
    service = model.service_model.service_name
    allowed = READ_ONLY_OPERATIONS.get(service) or BILL_READ_OPERATIONS.get(service, frozenset())
    if model.name not in allowed:
        raise WriteRefused(f"m2m-guard sweeps are read-only; refused to call {service}:{model.name}")


def without_secrets(value: Any) -> tuple[Any, bool]:
    """``value`` with every secret-valued key removed at any depth, and whether a non-empty
    one was there."""
    found = False

    def strip(item: Any, depth: int) -> Any:
        nonlocal found
        if isinstance(item, dict):
            kept = {}
            for key, inner in item.items():
                if is_secret_key(key):
                    found = found or bool(inner)
                elif depth < 32:
                    kept[key] = strip(inner, depth + 1)
            return kept
        if isinstance(item, list):
            return [strip(inner, depth + 1) for inner in item] if depth < 32 else []
        return item

    return strip(value, 0), found


def has_secret(record: dict[str, Any]) -> bool:
    """Whether a (secret-free) describe record shows a client secret: GenerateSecret, or a
    ClientSecretArn, which Cognito returns instead of ClientSecret when it keeps the secret in
    Secrets Manager (botocore cognito-idp model, UserPoolClientType.ClientSecretArn)."""
    arn = record.get("ClientSecretArn")
    return record.get("GenerateSecret") is True or (isinstance(arn, str) and bool(arn.strip()))


def _raw_body(http_response: Any) -> dict[str, Any]:
    try:
        raw = json.loads(http_response.content or b"{}")
    except (ValueError, AttributeError, TypeError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _keep_raw_fields(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
    """Fields the installed botocore model does not know yet are dropped by its parser: take
    them from the raw response. The client secret is removed here, before any m2m-guard code
    sees the response, and only the fact that a secret exists is kept (GenerateSecret)."""
    client = parsed.get("UserPoolClient") if isinstance(parsed, dict) else None
    if not isinstance(client, dict):
        return
    raw = _raw_body(http_response).get("UserPoolClient")
    for key, value in (raw if isinstance(raw, dict) else {}).items():
        client.setdefault(key, value)
    kept, secret = without_secrets(client)
    client.clear()
    client.update(kept)
    client["GenerateSecret"] = secret or has_secret(client)


def _keep_raw_pool_fields(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
    """ListUserPools: keep ``ReplicaRegions`` (and any other field) that an older botocore
    model would drop, so that replicated pools are recognised with any SDK."""
    pools = parsed.get("UserPools") if isinstance(parsed, dict) else None
    raw = _raw_body(http_response).get("UserPools")
    if not isinstance(pools, list) or not isinstance(raw, list):
        return
    by_id = {p.get("Id"): p for p in raw if isinstance(p, dict)}
    for summary in pools:
        if isinstance(summary, dict):
            for key, value in (by_id.get(summary.get("Id")) or {}).items():
                summary.setdefault(key, value)


def _keep_raw_settings(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
    """DescribeUserPool: keep ``UserPoolTier`` and ``LambdaConfig.PreTokenGenerationConfig``
    when an older botocore model drops them, so that a feature plan the SDK cannot parse is
    never taken for the API default (m2m_guard/sweep/discovery.py keeps no other key)."""
    pool = parsed.get("UserPool") if isinstance(parsed, dict) else None
    raw = _raw_body(http_response).get("UserPool")
    if not isinstance(pool, dict) or not isinstance(raw, dict):
        return
    if "UserPoolTier" in raw:
        pool.setdefault("UserPoolTier", raw["UserPoolTier"])
    raw_lambdas = raw.get("LambdaConfig")
    if isinstance(raw_lambdas, dict) and "PreTokenGenerationConfig" in raw_lambdas:
        lambdas = pool.setdefault("LambdaConfig", {})
        if isinstance(lambdas, dict):
            lambdas.setdefault("PreTokenGenerationConfig", raw_lambdas["PreTokenGenerationConfig"])


def _drop_secret_values(parsed: Any = None, **_: Any) -> None:
    """ListUserPoolClientSecrets never returns ClientSecretValue (botocore model); should it
    ever, the value is removed before anything else sees the response."""
    if isinstance(parsed, dict):
        kept, _found = without_secrets(parsed)
        parsed.clear()
        parsed.update(kept)


#: Attempts per request (botocore adaptive retry mode), the first one included. Throttling
#: that outlasts them fails the account-region, which is then reported.
MAX_ATTEMPTS = 8

_CLIENT_LOCK = threading.Lock()  # boto3 sessions are not thread-safe when creating clients


def session() -> Any:
    """The default boto3 session of the current credentials. Its region is the SDK's
    (``AWS_DEFAULT_REGION``, the profile's ``region``); when that gives none, ``AWS_REGION``,
    which the AWS SDKs and Tools reference names as the region's environment variable
    (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html) and CI credential
    steps set, but boto3 does not read."""
    import boto3

    made = boto3.Session()
    region = os.environ.get("AWS_REGION")
    if made.region_name is None and region:
        made = boto3.Session(region_name=region)
    return made


def client(session: Any, service: str, region: str | None, endpoint_url: str | None = None) -> Any:
    from botocore.config import Config

    config = Config(
        retries={"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=10,
        read_timeout=30,
        max_pool_connections=32,
        user_agent_extra="m2m-guard",
    )
    with _CLIENT_LOCK:
        made = session.client(service, region_name=region, config=config, endpoint_url=endpoint_url)
    made.meta.events.register("before-call", _guard)
    if service == "cognito-idp":
        events = made.meta.events
        events.register("after-call.cognito-identity-provider.DescribeUserPoolClient", _keep_raw_fields)
        events.register("after-call.cognito-identity-provider.ListUserPools", _keep_raw_pool_fields)
        events.register("after-call.cognito-identity-provider.DescribeUserPool", _keep_raw_settings)
        events.register("after-call.cognito-identity-provider.ListUserPoolClientSecrets", _drop_secret_values)
    return made


def error_text(exc: BaseException) -> str:
    """One line saying what went wrong, in the user's terms. Never includes response bodies."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ParamValidationError,
    )

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Error")
        op = exc.operation_name
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return f"access denied ({op}); grant the read-only policy in the README"
        if code in ("UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"):
            return f"credentials not accepted ({op}); is the region enabled for this account?"
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return f"credentials expired ({op})"
        if code in ("ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded"):
            return f"throttled beyond retries ({op}); lower --concurrency or --max-rps"
        return f"{code} ({op})"
    if isinstance(exc, NoCredentialsError):
        return (
            "no AWS credentials found; set AWS_PROFILE to a profile of ~/.aws/config, "
            "or run `aws configure` (or `aws sso login`)"
        )
    if isinstance(exc, NoRegionError):
        return "no AWS region configured; pass --regions"
    if isinstance(exc, ParamValidationError):  # our own parameters (an --external-id too short)
        detail = "; ".join(line.strip() for line in str(exc).splitlines()[1:] if line.strip())
        return f"invalid parameter: {detail or 'rejected by botocore'}"
    if isinstance(exc, EndpointConnectionError):
        return "cannot reach the AWS endpoint"
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__
    if isinstance(exc, WriteRefused):
        return str(exc)
    return type(exc).__name__
