"""The AWS Config custom Lambda rule: ``lambda_handler(event, context)``.

Events are those AWS Config publishes to a custom Lambda rule ("Example Events for AWS Config
Rules", AWS Config Developer Guide,
https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html):
``invokingEvent`` (a JSON string) with ``messageType``, ``ruleParameters`` (a JSON string),
``resultToken`` and ``eventLeftScope``.

- ``ConfigurationItemChangeNotification``: the ``configurationItem`` of one app client.
- ``OversizedConfigurationItemChangeNotification``: only a ``configurationItemSummary``; the item
  is read with GetResourceConfigHistory (``limit`` 1: the latest).
- ``ScheduledNotification`` (periodic): every ``AWS::Cognito::UserPoolClient`` the recorder of
  this account and region holds, read with SelectResourceConfig
  (m2m_guard/sweep/config_query.py), and the pool-level rules over each pool's clients.

Each client is mapped by m2m_guard/sources/config_items.py and evaluated by the one engine
(m2m_guard/engine.py); m2m_guard/config_rule/verdicts.py turns its findings into a compliance
type and annotation, reported with PutEvaluations in batches of at most 100 (botocore model of
the config service: ``Evaluations``, max 100).

What is reported where:

- An app client (``AWS::Cognito::UserPoolClient``, ``ComplianceResourceId`` the item's
  ``resourceId``): the client rules of the policy, on every change and every periodic run, so
  that a client's evaluation does not depend on what triggered it. NOT_APPLICABLE when it is
  not M2M, was deleted (``configurationItemStatus`` ResourceDeleted or
  ResourceDeletedNotRecorded) or left the rule's scope (``eventLeftScope``).
- A user pool (``AWS::Cognito::UserPool``, ``ComplianceResourceId`` the pool id, the type's
  primary identifier in AWS's CloudFormation resource schema): the
  pool-level rules (``pool_budget``), in the periodic run only, since they need all of the
  pool's clients. Reporting them on the pool, not on its clients, keeps a change to one client
  from overwriting the pool's verdict until the next periodic run. A pool without an M2M client
  is NOT_APPLICABLE. Nothing is reported on pools when the policy has no pool-level rule.
- An item of another resource type (a rule scoped wider) gets no evaluation, and no
  PutEvaluations call is made when there is nothing to report.
- ``OrderingTimestamp``: the item's ``configurationItemCaptureTime`` for a change, the
  notification's ``notificationCreationTime`` for a periodic run (botocore model:
  Evaluation.OrderingTimestamp).

Organization rules (deploy/org-config-rule.yaml): AWS Config invokes the one function in the
management (or delegated administrator) account for the rule of every member account, and AWS
documents that a custom Lambda rule in an organization needs "an IAM role in the managed account
that can be assumed by the Lambda function" (PutOrganizationConfigRule,
https://docs.aws.amazon.com/config/latest/APIReference/API_PutOrganizationConfigRule.html). So
when the rule's input parameter ``executionRoleName`` names a role and the event's
``accountId`` is not the function's own account (from the context's ``invoked_function_arn``),
the Config clients (and only they: the policy is read from S3 or SSM with the function's own
role) use that role in the event's account, assumed with STS AssumeRole
(``arn:<partition>:iam::<accountId>:role/<executionRoleName>``, once per invocation, on the first
Config call). An event of another account without the parameter is refused: its evaluations
would be made, and reported, with the wrong account's credentials.

The handler calls only the operations of :data:`OPERATIONS` (every client it makes refuses the
rest before signing), all reads except PutEvaluations; :data:`PERMISSIONS` is the IAM action list
the deployment templates grant. A ``resultToken`` of ``TESTMODE`` sets PutEvaluations'
``TestMode`` (validated, not recorded). Errors (a policy that cannot be read or is invalid, a
refused call) are raised with a one-line message; nothing logged quotes an item or a secret.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from m2m_guard.config_rule.aws import (
    OPERATIONS,
    PERMISSIONS,
    ROLE_PARAMETER,
    Clients,
    config_session_for,
    error_code,
)
from m2m_guard.config_rule.policy_source import RuleSetupError, load_rule_policy
from m2m_guard.config_rule.verdicts import NOT_APPLICABLE, NOT_M2M, Verdict, verdict
from m2m_guard.engine import evaluate
from m2m_guard.model import AppClient, Finding
from m2m_guard.policy import Policy
from m2m_guard.sources.config_items import DELETED, RESOURCE_TYPE, to_client

__all__ = ["OPERATIONS", "PERMISSIONS", "ROLE_PARAMETER", "RuleSetupError", "handle", "lambda_handler"]

POOL_TYPE = "AWS::Cognito::UserPool"
#: botocore model of the config service: PutEvaluations ``Evaluations``, max 100.
BATCH = 100
CHANGE = "ConfigurationItemChangeNotification"
OVERSIZED = "OversizedConfigurationItemChangeNotification"
SCHEDULED = "ScheduledNotification"
TEST_TOKEN = "TESTMODE"
LEFT_SCOPE = "Left the rule's scope."
DELETED_CLIENT = "The app client was deleted."
log = logging.getLogger(__name__)
Evaluation = dict[str, Any]


def lambda_handler(event: Mapping[str, Any], context: object) -> dict[str, int]:
    """AWS Lambda's entry point: evaluate, report, and return the count of each verdict."""
    import boto3

    logging.getLogger("m2m_guard").setLevel(logging.INFO)
    arn = getattr(context, "invoked_function_arn", None)
    return handle(
        event,
        boto3.Session(),
        now=dt.datetime.now(dt.timezone.utc),
        function_arn=arn if isinstance(arn, str) else None,
    )


def handle(
    event: Mapping[str, Any], session: Any, *, now: dt.datetime, function_arn: str | None = None
) -> dict[str, int]:
    """Evaluate what ``event`` asks for with the policy its parameters name; PutEvaluations.

    ``function_arn`` is the invoked function's ARN (Lambda context ``invoked_function_arn``):
    the function's own account, against which the event's ``accountId`` is compared."""
    parameters = _parameters(event.get("ruleParameters"))
    clients = Clients(session)
    config_session = config_session_for(event, parameters, session, function_arn)
    config_clients = Clients(config_session) if config_session is not session else clients
    policy = load_rule_policy(parameters.get("policy"), clients)
    invoking = _json_object(event.get("invokingEvent"), "invokingEvent")
    kind = invoking.get("messageType")
    if kind == SCHEDULED:
        evaluations = periodic(policy, config_session, _time(invoking.get("notificationCreationTime")) or now)
    elif kind in (CHANGE, OVERSIZED):
        evaluations = on_change(policy, event, invoking, config_clients, now)
    else:
        raise RuleSetupError(f"unsupported messageType {str(kind)[:80]!r}")
    token = event.get("resultToken")
    if not isinstance(token, str) or not token:
        raise RuleSetupError("the event has no resultToken")
    if evaluations:
        put_evaluations(config_clients("config"), token, evaluations)
    counts = dict(Counter(e["ComplianceType"] for e in evaluations))
    log.info("m2m-guard %s with %s: %s", kind, policy.source, json.dumps(counts, sort_keys=True))
    return counts


def _json_object(value: object, what: str) -> dict[str, Any]:
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise RuleSetupError(f"the event's {what} is not a JSON object")
    return data


def _parameters(value: object) -> dict[str, Any]:
    """``ruleParameters``: a JSON object in a string (absent or empty: no parameters)."""
    if value is None or value == "" or value == {}:
        return {}
    return _json_object(value, "ruleParameters")


def _time(value: object) -> dt.datetime | None:
    """An event's ISO time (``2016-02-17T01:36:34.043Z``) or an SDK datetime, in UTC."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _evaluation(kind: str, resource_id: str, result: Verdict, when: dt.datetime) -> Evaluation:
    out: Evaluation = {
        "ComplianceResourceType": kind,
        "ComplianceResourceId": resource_id,
        "ComplianceType": result.compliance,
        "OrderingTimestamp": when,
    }
    if result.annotation:
        out["Annotation"] = result.annotation
    return out


# --- configuration change -------------------------------------------------------------------


def on_change(
    policy: Policy,
    event: Mapping[str, Any],
    invoking: Mapping[str, Any],
    clients: Callable[[str], Any],
    now: dt.datetime,
) -> list[Evaluation]:
    """One client's evaluation (none for an item of another resource type)."""
    oversized = invoking.get("messageType") == OVERSIZED
    key = "configurationItemSummary" if oversized else "configurationItem"
    item = invoking.get(key)
    if not isinstance(item, dict):
        raise RuleSetupError(f"the invokingEvent has no {key}")
    resource_id = item.get("resourceId")
    if item.get("resourceType") != RESOURCE_TYPE or not isinstance(resource_id, str) or not resource_id:
        return []
    when = (
        _time(item.get("configurationItemCaptureTime"))
        or _time(invoking.get("notificationCreationTime"))
        or now
    )
    if event.get("eventLeftScope") is True:
        return [_evaluation(RESOURCE_TYPE, resource_id, Verdict(NOT_APPLICABLE, LEFT_SCOPE), when)]
    if item.get("configurationItemStatus") in DELETED:
        return [_evaluation(RESOURCE_TYPE, resource_id, Verdict(NOT_APPLICABLE, DELETED_CLIENT), when)]
    if oversized:
        item = _latest_item(clients("config"), resource_id)
    client = to_client(query_shaped(item))
    if isinstance(client, str):
        raise RuleSetupError(client)
    client_rules = dataclasses.replace(
        policy, rules=tuple(r for r in policy.rules if r.spec.scope == "client")
    )
    result = evaluate(client_rules, [client], today=now.date(), category="live")
    return [_evaluation(RESOURCE_TYPE, resource_id, client_verdict(client, result.findings), when)]


def _latest_item(config: Any, resource_id: str) -> dict[str, Any]:
    """The latest configuration item of an oversized notification's client."""
    try:
        page = config.get_resource_config_history(resourceType=RESOURCE_TYPE, resourceId=resource_id, limit=1)
    except Exception as exc:
        raise RuleSetupError(
            f"GetResourceConfigHistory for app client {resource_id}: {error_code(exc)}"
        ) from None
    items = page.get("configurationItems") or []
    if not items or not isinstance(items[0], dict):
        raise RuleSetupError(f"AWS Config holds no configuration item for app client {resource_id}")
    return dict(items[0])


def query_shaped(item: Mapping[str, Any]) -> dict[str, Any]:
    """An event's item (``awsAccountId``, ``ARN``) or GetResourceConfigHistory's (``accountId``,
    ``arn``, ``configuration`` a JSON string) in the shape of an advanced query's result, which
    m2m_guard/sources/config_items.py maps."""
    configuration = item.get("configuration")
    if isinstance(configuration, str):
        try:
            configuration = json.loads(configuration)
        except ValueError:
            configuration = None
    return {
        "accountId": item.get("accountId") or item.get("awsAccountId"),
        "awsRegion": item.get("awsRegion"),
        "arn": item.get("arn") or item.get("ARN"),
        "resourceId": item.get("resourceId"),
        "configurationItemStatus": item.get("configurationItemStatus"),
        "configuration": configuration if isinstance(configuration, dict) else {},
    }


def client_verdict(client: AppClient, findings: Iterable[Finding]) -> Verdict:
    """NOT_APPLICABLE for a client that is not M2M, else the verdict on its findings."""
    if client.is_m2m is False:
        return Verdict(NOT_APPLICABLE, NOT_M2M)
    return verdict(list(findings))


def _by_arn(findings: Iterable[Finding]) -> dict[str | None, list[Finding]]:
    """Findings grouped by the ARN they point at (a client's, or a pool's)."""
    groups: dict[str | None, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.location.arn, []).append(finding)
    return groups


# --- periodic ------------------------------------------------------------------------------


def periodic(policy: Policy, session: Any, when: dt.datetime) -> list[Evaluation]:
    """Every recorded client of this account and region, and every pool for pool-level rules."""
    from m2m_guard.sweep.config_query import ConfigQueryError, select_items

    try:
        found = select_items(session, aggregator=None)
    except ConfigQueryError as exc:
        raise RuleSetupError(str(exc)) from None
    deleted, clients, skipped = _recorded(found.items)
    if skipped + found.unreadable:
        count = skipped + found.unreadable
        log.warning("m2m-guard: %d AWS Config results name no account, region or ids; not evaluated", count)
    out: dict[tuple[str, str], Evaluation] = {
        (RESOURCE_TYPE, rid): _evaluation(RESOURCE_TYPE, rid, Verdict(NOT_APPLICABLE, DELETED_CLIENT), when)
        for rid in deleted
    }
    result = evaluate(policy, [c for _, c in clients], today=when.date(), category="live")
    pool_ids = {r.id for r in policy.rules if r.spec.scope == "pool"}
    by_arn = _by_arn(f for f in result.findings if f.rule_id not in pool_ids)
    for rid, client in clients:
        own = by_arn.get(client.location.arn, [])
        out[(RESOURCE_TYPE, rid)] = _evaluation(RESOURCE_TYPE, rid, client_verdict(client, own), when)
    if pool_ids:
        pool_findings = [f for f in result.findings if f.rule_id in pool_ids]
        for pool_id, pool_result in pool_verdicts([c for _, c in clients], pool_findings).items():
            out[(POOL_TYPE, pool_id)] = _evaluation(POOL_TYPE, pool_id, pool_result, when)
    return list(out.values())


def _recorded(items: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[tuple[str, AppClient]], int]:
    """The query's items: resource ids of deleted clients, live clients with their resource id,
    and how many items could not be mapped (no resource id, account, region or client id)."""
    deleted: list[str] = []
    clients: list[tuple[str, AppClient]] = []
    skipped = 0
    for item in items:
        rid = item.get("resourceId")
        if not isinstance(rid, str) or not rid:
            skipped += 1
        elif item.get("configurationItemStatus") in DELETED:
            deleted.append(rid)
        else:
            client = to_client(item)
            if isinstance(client, AppClient):
                clients.append((rid, client))
            else:
                skipped += 1
    return deleted, clients, skipped


def pool_verdicts(clients: Sequence[AppClient], findings: Sequence[Finding]) -> dict[str, Verdict]:
    """Pool id -> the verdict of the pool-level rules (NOT_APPLICABLE without an M2M client)."""
    m2m = {c.pool.key for c in clients if c.is_m2m is True}
    groups: dict[str | None, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.location.pool_id, []).append(finding)
    out: dict[str, Verdict] = {}
    for key in sorted({c.pool.key for c in clients}):
        if key not in m2m:
            out[key] = Verdict(NOT_APPLICABLE, "No M2M app client in this user pool.")
        else:
            out[key] = verdict(groups.get(key, []))
    return out


# --- PutEvaluations ------------------------------------------------------------------------


def put_evaluations(config: Any, token: str, evaluations: Sequence[Evaluation]) -> int:
    """Report ``evaluations`` in batches of :data:`BATCH`; the number of calls (none when there
    is nothing to report: an item of another resource type, a periodic run without clients)."""
    test = {"TestMode": True} if token == TEST_TOKEN else {}
    failed = calls = 0
    for start in range(0, len(evaluations), BATCH):
        batch = list(evaluations[start : start + BATCH])
        try:
            response = config.put_evaluations(Evaluations=batch, ResultToken=token, **test)
        except Exception as exc:
            raise RuleSetupError(f"PutEvaluations: {error_code(exc)}") from None
        calls += 1
        failed += len(response.get("FailedEvaluations") or [])
    if failed:
        raise RuleSetupError(f"AWS Config refused {failed} of {len(evaluations)} evaluations")
    return calls
