"""Token requests per client: CloudTrail LookupEvents and Logs Insights (moto implements
neither, so botocore's Stubber answers), which source wins, and what a sweep does with the
counts: unused clients, the exported usage file that `scan --usage` reads."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from m2m_guard.cli import main
from m2m_guard.sweep import aws
from m2m_guard.sweep.runner import SweepResult
from m2m_guard.sweep.usage import INSIGHTS_QUERY, UsageCount, logs_insights, lookup_events
from tests.sweep.support import Hooks, cognito, inventory, m2m, pool, sweep, token_auth

NOW = 1_790_000_000.0  # a fixed "now" for the request windows
WINDOW = 30


def token_event(client_id: str, grant: str = "client_credentials") -> dict[str, Any]:
    """A LookupEvents entry shaped like Cognito's Token_POST CloudTrail events."""
    detail = {
        "eventSource": "cognito-idp.amazonaws.com",
        "eventName": "Token_POST",
        "additionalEventData": {
            "responseParameters": {"status": 200.0},
            "requestParameters": {"grant_type": [grant], "client_id": [client_id]},
        },
    }
    return {
        "EventId": str(uuid.uuid4()),
        "EventName": "Token_POST",
        "EventSource": "cognito-idp.amazonaws.com",
        "CloudTrailEvent": json.dumps(detail),
    }


def lookup_params(token: str | None = None) -> dict[str, Any]:
    end = dt.datetime.fromtimestamp(NOW, dt.timezone.utc)
    params = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Token_POST"}],
        "StartTime": end - dt.timedelta(days=WINDOW),
        "EndTime": end,
        "MaxResults": 50,
    }
    if token:
        params["NextToken"] = token
    return params


def made(service: str) -> Any:
    """A client as the sweep makes it (read-only guard, retries); Stubber answers for AWS."""
    return aws.client(boto3.Session(), service, "us-east-1")


# --- LookupEvents ------------------------------------------------------------------------------


def test_lookup_events_counts_client_credentials_token_requests_per_client() -> None:
    trail = made("cloudtrail")
    pages = 0

    def throttle() -> None:
        nonlocal pages
        pages += 1

    with Stubber(trail) as stub:
        stub.add_response(
            "lookup_events",
            {
                "Events": [
                    token_event("client-a"),
                    token_event("client-a"),
                    token_event("client-b"),
                    token_event("web-client", grant="authorization_code"),  # a user's sign-in
                    token_event("web-client", grant="refresh_token"),
                    {"EventId": "x", "EventName": "Token_POST", "CloudTrailEvent": "{not json"},
                ],
                "NextToken": "page-2",
            },
            lookup_params(),
        )
        stub.add_response("lookup_events", {"Events": [token_event("client-a")]}, lookup_params("page-2"))
        count = lookup_events(trail, WINDOW, max_pages=5, throttle=throttle, now=lambda: NOW)
        stub.assert_no_pending_responses()
    assert count.counts == {"client-a": 3, "client-b": 1}
    assert not count.partial and count.error is None
    assert count.calls == pages == 2  # every page waited for its turn (2 requests/s per region)


def test_lookup_events_page_bound_marks_the_count_partial() -> None:
    trail = made("cloudtrail")
    with Stubber(trail) as stub:
        for token in (None, "p2"):
            stub.add_response(
                "lookup_events",
                {"Events": [token_event("client-a")], "NextToken": "p3" if token else "p2"},
                lookup_params(token),
            )
        count = lookup_events(trail, WINDOW, max_pages=2, now=lambda: NOW)
        stub.assert_no_pending_responses()  # stopped at the bound, did not ask for page 3
    assert count.partial and count.calls == 2
    assert count.counts == {"client-a": 2}


def test_lookup_events_error_is_reported_not_raised() -> None:
    trail = made("cloudtrail")
    with Stubber(trail) as stub:
        stub.add_client_error("lookup_events", "AccessDeniedException", http_status_code=400)
        count = lookup_events(trail, WINDOW, max_pages=2, now=lambda: NOW)
    assert count.error is not None and "access denied" in count.error
    assert not count.counts


# --- Logs Insights -----------------------------------------------------------------------------


def rows(counts: dict[str, int]) -> list[list[dict[str, str]]]:
    return [
        [{"field": "client_id", "value": k}, {"field": "requests", "value": str(v)}]
        for k, v in counts.items()
    ]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_logs_insights_counts_per_client_after_polling() -> None:
    logs = made("logs")
    clock = Clock()
    with Stubber(logs) as stub:
        stub.add_response(
            "start_query",
            {"queryId": "q-1"},
            {
                "logGroupName": "aws-cloudtrail-logs",
                "startTime": int(NOW) - WINDOW * 86400,
                "endTime": int(NOW),
                "queryString": INSIGHTS_QUERY,
                "limit": 10000,
            },
        )
        stub.add_response("get_query_results", {"status": "Scheduled", "results": []}, {"queryId": "q-1"})
        stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q-1"})
        stub.add_response(
            "get_query_results",
            {"status": "Complete", "results": rows({"client-a": 1200, "client-b": 3})},
            {"queryId": "q-1"},
        )
        count = logs_insights(logs, "aws-cloudtrail-logs", WINDOW, now=clock, sleep=clock.sleep)
        stub.assert_no_pending_responses()
    assert count.counts == {"client-a": 1200, "client-b": 3}
    assert not count.partial and count.error is None and count.calls == 4
    # the query counts client_credentials Token_POST events per client id
    assert 'eventName = "Token_POST"' in INSIGHTS_QUERY and '"client_credentials"' in INSIGHTS_QUERY


def test_logs_insights_row_limit_marks_the_count_partial() -> None:
    logs = made("logs")
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        stub.add_response(
            "get_query_results",
            {"status": "Complete", "results": rows({f"client-{i}": 1 for i in range(10000)})},
            {"queryId": "q-1"},
        )
        count = logs_insights(logs, "trail", WINDOW, now=lambda: NOW)
    assert count.partial and len(count.counts) == 10000


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout"])
def test_logs_insights_failed_query(status: str) -> None:
    logs = made("logs")
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        stub.add_response("get_query_results", {"status": status, "results": []}, {"queryId": "q-1"})
        count = logs_insights(logs, "trail", WINDOW, now=lambda: NOW)
    assert count.error is not None and status in count.error and not count.counts


def test_logs_insights_gives_up_after_its_timeout() -> None:
    logs = made("logs")
    clock = Clock()
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        for _ in range(12):
            stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q-1"})
        count = logs_insights(logs, "trail", WINDOW, now=clock, sleep=clock.sleep, timeout=10)
    assert count.error is not None and "10" in count.error and not count.counts
    assert clock.now - NOW <= 11  # polled about once a second, then stopped


def test_logs_insights_missing_log_group() -> None:
    logs = made("logs")
    with Stubber(logs) as stub:
        stub.add_client_error("start_query", "ResourceNotFoundException", http_status_code=400)
        count = logs_insights(logs, "no-such-group", WINDOW, now=lambda: NOW)
    assert count.error is not None and "ResourceNotFoundException" in count.error


# --- which source wins -------------------------------------------------------------------------


def usage(source: str, counts: dict[str, int], partial: bool = False, error: str | None = None) -> UsageCount:
    count = UsageCount(source, partial=partial, error=error)
    count.counts.update(counts)
    return count


def test_usage_for_prefers_logs_insights_and_never_trusts_a_partial_zero() -> None:
    result = SweepResult()
    result.usage[("111111111111", None)] = usage("insights", {"a": 5})
    result.usage[("111111111111", "us-east-1")] = usage("lookup", {"a": 2, "b": 7})
    assert result.usage_for("111111111111", "us-east-1", "a") == (5, "insights")
    assert result.usage_for("111111111111", "us-east-1", "b") == (0, "insights")  # complete: zero is zero

    result.usage[("111111111111", None)] = usage("insights", {"a": 5}, partial=True)
    assert result.usage_for("111111111111", "us-east-1", "a") == (5, "insights")  # seen is seen
    assert result.usage_for("111111111111", "us-east-1", "b") == (7, "lookup")  # falls back
    assert result.usage_for("111111111111", "us-east-1", "c") == (0, "lookup")

    result.usage[("111111111111", "us-east-1")] = usage("lookup", {"a": 2}, partial=True)
    assert result.usage_for("111111111111", "us-east-1", "c") == (None, None)  # nobody can tell
    assert result.usage_for("111111111111", "us-east-1", "a") == (5, "insights")

    result.usage[("111111111111", None)] = usage("insights", {}, error="access denied")
    result.usage[("111111111111", "us-east-1")] = usage("lookup", {"a": 2})
    assert result.usage_for("111111111111", "us-east-1", "a") == (2, "lookup")
    assert result.usage_for("111111111111", "us-east-1", "z") == (0, "lookup")
    # another region or account has no source at all
    assert result.usage_for("111111111111", "eu-west-1", "a") == (None, None)
    assert result.usage_for("222222222222", "us-east-1", "a") == (None, None)


# --- end to end --------------------------------------------------------------------------------


def stub_service(hooks: Hooks, service: str, responses: list[tuple[str, dict[str, Any]]]) -> list[Stubber]:
    """Every ``service`` client the sweep makes answers with ``responses`` (in order)."""
    stubbers: list[Stubber] = []

    def on_client(made_service: str, region: str | None, client: Any) -> None:
        if made_service != service:
            return
        stubber = Stubber(client)
        for operation, body in responses:
            stubber.add_response(operation, body)
        stubber.activate()
        stubbers.append(stubber)

    hooks.on_client.append(on_client)
    return stubbers


def clients() -> dict[str, str]:
    idp = cognito()
    pool_id = pool(idp, "orders")
    ids = {name: m2m(idp, pool_id, name)["ClientId"] for name in ("svc-busy", "svc-idle", "svc-rare")}
    ids["token-api"] = token_auth(idp, pool_id, "token-api", ttl=(30, "minutes"))["ClientId"]
    return ids


def unused(run: Any) -> set[str]:
    return {f["subject"] for f in run.report["findings"] if f["rule_type"] == "unused_client_credentials"}


def test_sweep_with_lookup_events_flags_the_idle_client_and_exports_usage(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = clients()
    events = [token_event(ids["svc-busy"]) for _ in range(4)] + [token_event(ids["svc-rare"])]
    stubbers = stub_service(hooks, "cloudtrail", [("lookup_events", {"Events": events})])
    run = sweep(
        capsys,
        "--regions",
        "us-east-1",
        "--cloudtrail-lookup",
        "--export-usage",
        "usage.json",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 0, run.err  # the unused rule is a warning
    assert len(stubbers) == 1
    stubbers[0].assert_no_pending_responses()
    # zero requests in a complete count: billed and unused
    assert unused(run) == {ids["svc-idle"]}
    (finding,) = [f for f in run.report["findings"] if f["subject"] == ids["svc-idle"]]
    assert "CloudTrail LookupEvents" in finding["message"]
    # GetClientToken calls are not Token_POST events: no Token_POST proves nothing about them
    assert ids["token-api"] not in unused(run)
    assert inventory("us-east-1")["usage"]["tokenRequests"] == {
        ids["svc-busy"]: 4,
        ids["svc-idle"]: 0,
        ids["svc-rare"]: 1,
    }

    exported = json.loads(Path("usage.json").read_text())
    assert exported == {
        "window_days": 30,
        "clients": {
            ids["svc-busy"]: 4,
            ids["svc-idle"]: 0,
            ids["svc-rare"]: 1,
            "svc-busy": 4,
            "svc-idle": 0,
            "svc-rare": 1,
        },
    }
    # an IaC scan in CI flags the same client by name with the exported usage file
    Path("template.yaml").write_text(IAC)
    assert (
        main(["scan", "template.yaml", "--usage", "usage.json", "--format", "json", "--output", "iac.json"])
        == 0
    )
    iac = json.loads(Path("iac.json").read_text())
    assert {f["subject"] for f in iac["findings"] if f["rule_type"] == "unused_client_credentials"} == {
        "Idle"
    }


IAC = """\
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Cognito::UserPoolResourceServer
    Properties: {UserPoolId: !Ref Pool, Identifier: orders, Name: orders}
""" + "".join(
    f"""\
  {logical}:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: {name}
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: 30
      TokenValidityUnits: {{AccessToken: minutes}}
"""
    for logical, name in (("Busy", "svc-busy"), ("Idle", "svc-idle"), ("New", "svc-new"))
)


def test_partial_lookup_never_calls_a_client_unused(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = clients()
    page = {"Events": [token_event(ids["svc-busy"])], "NextToken": "more"}
    stub_service(hooks, "cloudtrail", [("lookup_events", page)])
    run = sweep(
        capsys,
        "--regions",
        "us-east-1",
        "--cloudtrail-lookup",
        "--max-lookup-pages",
        "1",
        "--export-usage",
        "usage.json",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 0, run.err
    assert unused(run) == set()
    (note,) = run.report["notifications"]
    assert note["level"] == "warning" and not note["fatal"] and "lower bounds" in note["message"]
    # only what was seen is exported; the others stay unknown
    assert json.loads(Path("usage.json").read_text())["clients"] == {ids["svc-busy"]: 1, "svc-busy": 1}


def test_sweep_with_logs_insights(moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]) -> None:
    ids = clients()
    stub_service(
        hooks,
        "logs",
        [
            ("start_query", {"queryId": "q-1"}),
            ("get_query_results", {"status": "Complete", "results": rows({ids["svc-busy"]: 90_000})}),
        ],
    )
    run = sweep(
        capsys,
        "--regions",
        "us-east-1",
        "--cloudtrail-log-group",
        "org-trail",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 0, run.err
    assert unused(run) == {ids["svc-idle"], ids["svc-rare"]}
    assert inventory("us-east-1")["usage"]["sources"] == ["CloudTrail log group org-trail (Logs Insights)"]


def test_unavailable_usage_is_a_warning_and_proves_nothing(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    clients()

    def on_client(service: str, region: str | None, client: Any) -> None:
        if service == "cloudtrail":
            stubber = Stubber(client)
            stubber.add_client_error("lookup_events", "AccessDeniedException", http_status_code=400)
            stubber.activate()

    hooks.on_client.append(on_client)
    run = sweep(
        capsys, "--regions", "us-east-1", "--cloudtrail-lookup", "--format", "json", report="m2m.json"
    )
    assert run.code == 0, run.err
    assert unused(run) == set()
    (note,) = run.report["notifications"]
    assert (
        note["level"] == "warning" and "unavailable" in note["message"] and "access denied" in note["message"]
    )


def test_names_shared_by_two_clients_are_not_exported(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito()
    first, second = pool(idp, "one"), pool(idp, "two")
    a = m2m(idp, first, "svc-shared")["ClientId"]
    b = m2m(idp, second, "svc-shared")["ClientId"]
    stub_service(hooks, "cloudtrail", [("lookup_events", {"Events": [token_event(a)]})])
    run = sweep(
        capsys,
        "--regions",
        "us-east-1",
        "--cloudtrail-lookup",
        "--export-usage",
        "usage.json",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 0, run.err
    assert json.loads(Path("usage.json").read_text())["clients"] == {a: 1, b: 0}


def test_a_name_is_not_exported_when_another_client_with_that_name_has_unknown_usage(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito()
    first, second = pool(idp, "one"), pool(idp, "two")
    seen = m2m(idp, first, "svc-shared")["ClientId"]
    m2m(idp, second, "svc-shared")  # not seen by a partial count: unknown usage
    page = {"Events": [token_event(seen)], "NextToken": "more"}
    stub_service(hooks, "cloudtrail", [("lookup_events", page)])
    sweep(
        capsys,
        "--regions",
        "us-east-1",
        "--cloudtrail-lookup",
        "--max-lookup-pages",
        "1",
        "--export-usage",
        "usage.json",
        "--format",
        "json",
        report="m2m.json",
    )
    assert "svc-shared" not in json.loads(Path("usage.json").read_text())["clients"]
