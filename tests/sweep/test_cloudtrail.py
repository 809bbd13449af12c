"""Token requests per client: CloudTrail LookupEvents and Logs Insights, which source wins, and
what a sweep does with the counts: unused and failing clients, partial usage, the inventory and
the exported usage file that `scan --usage` reads.

moto implements neither LookupEvents nor Logs Insights queries, so botocore's Stubber answers
(it checks each request and response against the SDK's service model), and one test talks to a
local fake CloudTrail endpoint over HTTP. Event payloads follow AWS's published examples; each
fixture says which one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from m2m_guard.cli import main
from m2m_guard.sweep import aws
from m2m_guard.sweep.cloudtrail import (
    INSIGHTS_QUERY,
    NO_VALUE,
    ClientUsage,
    UsageCount,
    client_usage,
    logs_insights,
    lookup_events,
    token_request,
)
from m2m_guard.sweep.runner import SweepResult
from tests.sweep.support import ACCOUNT, Hooks, cognito, inventory, m2m, pool, sweep, token_auth

NOW = 1_790_000_000.0  # a fixed "now" for the request windows
WINDOW = 30
README = Path(__file__).resolve().parents[2] / "README.md"

# --- events as AWS documents them ------------------------------------------------------------


def body_auth_event(client_id: str, status: Any = 200, grant: str = "client_credentials") -> dict[str, Any]:
    """A client that sends ``client_id`` in the request body.

    Shape: the `client_credentials` Token_POST example in "Example CloudTrail events for requests
    to the token endpoint", Amazon Cognito Developer Guide,
    https://docs.aws.amazon.com/cognito/latest/developerguide/understanding-amazon-cognito-entries.html
    (the authorization-code and refresh-token examples there differ only in ``grant_type`` and
    the hidden ``code`` / ``refresh_token``).
    """
    params: dict[str, Any] = {"grant_type": [grant], "client_id": [client_id]}
    if grant == "refresh_token":
        params["refresh_token"] = ["HIDDEN_DUE_TO_SECURITY_REASONS"]
    return {
        "eventVersion": "1.08",
        "userIdentity": {"accountId": ACCOUNT},
        "eventTime": "2022-05-12T21:07:05Z",
        "eventSource": "cognito-idp.amazonaws.com",
        "eventName": "Token_POST",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.1",
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)...",
        "requestParameters": None,
        "responseElements": None,
        "additionalEventData": {
            "responseParameters": {"status": status},
            "requestParameters": params,
            "userPoolDomain": "mydomain.auth.us-east-1.amazoncognito.com",
            "userPoolId": "us-east-1_EXAMPLE",
        },
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "serviceEventDetails": {"serviceAccountId": "111122223333"},
        "eventCategory": "Management",
    }


def basic_auth_event(client_id: str, status: Any = 200) -> dict[str, Any]:
    """A client that authenticates with HTTP Basic (``Authorization: Basic``), the usual way.

    ``requestParameters`` then holds ``grant_type`` only and the client is
    ``additionalEventData.clientId``, next to ``userPoolId``: the event shown in "How to monitor,
    optimize, and secure Amazon Cognito machine-to-machine authorization" (AWS Security Blog,
    Figure 5 and its Logs Insights query, which reads ``additionalEventData.clientId`` and
    ``additionalEventData.responseParameters.status``),
    https://aws.amazon.com/blogs/security/how-to-monitor-optimize-and-secure-amazon-cognito-machine-to-machine-authorization/
    Every other field as in the developer guide's example (:func:`body_auth_event`).
    """
    event = body_auth_event(client_id, status)
    event["additionalEventData"]["requestParameters"] = {"grant_type": ["client_credentials"]}
    event["additionalEventData"]["clientId"] = client_id
    return event


def failed_event(client_id: str, status: int = 400) -> dict[str, Any]:
    """A rejected request (a wrong secret, a scope the client may not ask for). AWS publishes no
    example of a failed token request: the Basic-auth shape with the error status the token
    endpoint answers with (HTTP 400 and an ``error`` such as ``invalid_client``, "The token issuer
    endpoint", https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html)."""
    return basic_auth_event(client_id, status)


def anonymous_event(status: Any = 200) -> dict[str, Any]:
    """A client-credentials event that names no client: neither ``clientId`` nor a body
    ``client_id``. Not in AWS's examples; what m2m-guard must not read as "nobody used it"."""
    event = body_auth_event("x", status)
    event["additionalEventData"]["requestParameters"] = {"grant_type": ["client_credentials"]}
    return event


def entry(detail: dict[str, Any] | str) -> dict[str, Any]:
    """One LookupEvents ``Events[]`` item: the event itself is the JSON string ``CloudTrailEvent``
    (botocore's cloudtrail 2013-11-01 service model, LookupEvents output)."""
    return {
        "EventId": str(uuid.uuid4()),
        "EventName": "Token_POST",
        "ReadOnly": "false",
        "EventTime": dt.datetime(2026, 11, 20, 5, 17, tzinfo=dt.timezone.utc),
        "EventSource": "cognito-idp.amazonaws.com",
        "Resources": [],
        "CloudTrailEvent": detail if isinstance(detail, str) else json.dumps(detail),
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


# --- reading one event -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(body_auth_event("1example23456789"), ("1example23456789", 200), id="body-auth"),
        pytest.param(basic_auth_event("1example23456789"), ("1example23456789", 200), id="basic-auth"),
        pytest.param(
            body_auth_event("1example23456789", 200.0), ("1example23456789", 200.0), id="status-float"
        ),
        pytest.param(failed_event("1example23456789"), ("1example23456789", 400), id="failed"),
        pytest.param(anonymous_event(), ("", 200), id="names-no-client"),
        pytest.param(body_auth_event("web", grant="authorization_code"), None, id="user-sign-in"),
        pytest.param(body_auth_event("web", grant="refresh_token"), None, id="user-refresh"),
        pytest.param({**body_auth_event("a"), "eventName": "Login_GET"}, None, id="other-event"),
        pytest.param({**body_auth_event("a"), "eventSource": "sts.amazonaws.com"}, None, id="other-service"),
        pytest.param([], None, id="not-an-object"),
    ],
)
def test_token_request_reads_the_client_from_basic_auth_or_the_body(
    event: Any, expected: tuple[str, Any] | None
) -> None:
    assert token_request(event) == expected


def test_basic_auth_client_id_wins_over_the_body() -> None:
    event = basic_auth_event("basic-client")
    event["additionalEventData"]["requestParameters"]["client_id"] = ["body-client"]
    assert token_request(event) == ("basic-client", 200)


# --- LookupEvents ------------------------------------------------------------------------------


def test_lookup_events_counts_successful_requests_per_client_whichever_way_it_authenticates() -> None:
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
                    entry(basic_auth_event("client-a")),
                    entry(body_auth_event("client-a", 200.0)),
                    entry(basic_auth_event("client-b")),
                    entry(failed_event("client-b")),
                    entry(failed_event("client-c", 401)),
                    entry(body_auth_event("web-client", grant="authorization_code")),  # a user's sign-in
                    entry(body_auth_event("web-client", grant="refresh_token")),
                ],
                "NextToken": "page-2",
            },
            lookup_params(),
        )
        stub.add_response(
            "lookup_events", {"Events": [entry(basic_auth_event("client-a"))]}, lookup_params("page-2")
        )
        count = lookup_events(trail, WINDOW, max_pages=5, throttle=throttle, now=lambda: NOW)
        stub.assert_no_pending_responses()
    assert count.successes() == {"client-a": 3, "client-b": 1}
    assert count.client("us-east-1", "client-b").failed == 1
    assert (
        count.client("us-east-1", "client-c").failed == 1
        and not count.client("us-east-1", "client-c").succeeded
    )
    assert count.unattributed("us-east-1").total == 0
    assert not count.partial and count.error is None
    assert pages == 2  # every page waited for its turn (2 requests/s per region)


def test_lookup_events_keeps_events_that_name_no_client_apart() -> None:
    trail = made("cloudtrail")
    with Stubber(trail) as stub:
        stub.add_response(
            "lookup_events",
            {"Events": [entry(anonymous_event()), entry(anonymous_event(400)), entry("{not json")]},
            lookup_params(),
        )
        count = lookup_events(trail, WINDOW, max_pages=5, now=lambda: NOW)
    missing = count.unattributed("us-east-1")
    assert (missing.succeeded, missing.failed, missing.unknown) == (1, 1, 1)  # unreadable: could be anyone
    assert count.successes() == {}


def test_lookup_events_page_bound_marks_the_count_partial() -> None:
    trail = made("cloudtrail")
    with Stubber(trail) as stub:
        for token in (None, "p2"):
            stub.add_response(
                "lookup_events",
                {"Events": [entry(basic_auth_event("client-a"))], "NextToken": "p3" if token else "p2"},
                lookup_params(token),
            )
        count = lookup_events(trail, WINDOW, max_pages=2, now=lambda: NOW)
        stub.assert_no_pending_responses()  # stopped at the bound, did not ask for page 3
    assert count.partial
    assert count.successes() == {"client-a": 2}


def test_lookup_events_error_is_reported_not_raised() -> None:
    trail = made("cloudtrail")
    with Stubber(trail) as stub:
        stub.add_client_error("lookup_events", "AccessDeniedException", http_status_code=400)
        count = lookup_events(trail, WINDOW, max_pages=2, now=lambda: NOW)
    assert count.error is not None and "access denied" in count.error
    assert not count.tallies


class _FakeCloudTrail(BaseHTTPRequestHandler):
    """LookupEvents over the AWS JSON 1.1 protocol, two pages; records what it was asked."""

    pages: dict[str | None, dict[str, Any]] = {}
    asked: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).asked.append({"target": self.headers["X-Amz-Target"], **body})
        data = json.dumps(type(self).pages[body.get("NextToken")]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def fake_cloudtrail(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_FakeCloudTrail]]:
    server = HTTPServer(("127.0.0.1", 0), _FakeCloudTrail)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", f"http://127.0.0.1:{server.server_address[1]}")
    _FakeCloudTrail.asked = []
    try:
        yield _FakeCloudTrail
    finally:
        server.shutdown()
        server.server_close()


def test_lookup_events_over_the_wire(fake_cloudtrail: type[_FakeCloudTrail]) -> None:
    """The same parsing on a real HTTP response: EventTime as epoch seconds, CloudTrailEvent as a
    string inside the JSON body, NextToken followed."""

    def wire(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "EventTime": item["EventTime"].timestamp()}

    fake_cloudtrail.pages = {
        None: {"Events": [wire(entry(basic_auth_event("client-a")))], "NextToken": "t2"},
        "t2": {"Events": [wire(entry(body_auth_event("client-b"))), wire(entry(failed_event("client-a")))]},
    }
    count = lookup_events(made("cloudtrail"), WINDOW, max_pages=5, now=lambda: NOW)
    assert count.error is None, count.error
    assert count.successes() == {"client-a": 1, "client-b": 1}
    assert count.client("us-east-1", "client-a").failed == 1
    target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"  # the model's targetPrefix
    assert [a["target"] for a in fake_cloudtrail.asked] == [target] * 2
    first = fake_cloudtrail.asked[0]
    assert first["LookupAttributes"] == [{"AttributeKey": "EventName", "AttributeValue": "Token_POST"}]
    assert first["MaxResults"] == 50 and first["EndTime"] - first["StartTime"] == WINDOW * 86400
    assert fake_cloudtrail.asked[1]["NextToken"] == "t2"


# --- Logs Insights -----------------------------------------------------------------------------


def row(requests: int, client_id: str | None, status: str | None = "200", region: str = "us-east-1") -> Any:
    """One GetQueryResults row of INSIGHTS_QUERY (``results[][]`` of ``field``/``value`` pairs,
    botocore's logs 2014-03-28 model). A missing client id or status is ``eventSource`` (NO_VALUE)
    in the query's rows; None here leaves the field out, as a null group value might be."""
    cells = {"awsRegion": region, "client_id": client_id, "status": status, "requests": str(requests)}
    return [{"field": k, "value": v} for k, v in cells.items() if v is not None]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_logs_insights_counts_per_region_client_and_outcome_after_polling() -> None:
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
        results = [
            row(1200, "client-a"),
            row(3, "client-a", "200.0"),
            row(7, "client-a", "400"),
            row(5, "client-b", "401"),
            row(2, "client-c", NO_VALUE),  # no status: outcome unknown
            row(1, "client-c", None),  # the same, had Logs Insights left a null out of the row
            row(9, NO_VALUE, "200", region="eu-west-1"),  # names no client
            row(4, None, "400", region="eu-west-1"),  # the same, left out
        ]
        stub.add_response("get_query_results", {"status": "Complete", "results": results}, {"queryId": "q-1"})
        count = logs_insights(logs, "aws-cloudtrail-logs", WINDOW, now=clock, sleep=clock.sleep)
        stub.assert_no_pending_responses()
    assert count.successes() == {"client-a": 1203}
    assert count.client("us-east-1", "client-a").failed == 7
    assert count.client("us-east-1", "client-b").failed == 5
    assert count.client("us-east-1", "client-c").unknown == 3
    missing = count.unattributed("eu-west-1")
    assert (missing.succeeded, missing.failed) == (9, 4) and count.unattributed("us-east-1").total == 0
    assert not count.partial and count.error is None


def test_the_query_reads_both_client_fields_and_the_status() -> None:
    assert 'eventName = "Token_POST"' in INSIGHTS_QUERY and '"client_credentials"' in INSIGHTS_QUERY
    assert (
        "coalesce(additionalEventData.clientId, additionalEventData.requestParameters.client_id.0,"
        " eventSource) as client_id" in INSIGHTS_QUERY
    )
    assert "coalesce(additionalEventData.responseParameters.status, eventSource) as status" in INSIGHTS_QUERY
    assert NO_VALUE in INSIGHTS_QUERY  # eventSource's only value, by the first filter
    assert "by awsRegion, client_id, status" in INSIGHTS_QUERY


def test_the_readme_shows_the_query_the_code_runs() -> None:
    text = README.read_text()
    section = text[text.index("## Live sweep") :]
    match = re.search(r"--cloudtrail-log-group NAME.*?```text\n(.*?)```", section, re.S)
    assert match, "the README's Live sweep section shows the Logs Insights query"
    shown = "\n".join(line.strip() for line in match.group(1).strip().splitlines())
    assert shown == INSIGHTS_QUERY


def test_logs_insights_row_limit_marks_the_count_partial() -> None:
    logs = made("logs")
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        stub.add_response(
            "get_query_results",
            {"status": "Complete", "results": [row(1, f"client-{i}") for i in range(10000)]},
            {"queryId": "q-1"},
        )
        count = logs_insights(logs, "trail", WINDOW, now=lambda: NOW)
    assert count.partial and len(count.successes()) == 10000


def test_logs_insights_unreadable_row_marks_the_count_partial() -> None:
    logs = made("logs")
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        broken = [{"field": "client_id", "value": "client-a"}, {"field": "requests", "value": "many"}]
        stub.add_response(
            "get_query_results", {"status": "Complete", "results": [broken]}, {"queryId": "q-1"}
        )
        count = logs_insights(logs, "trail", WINDOW, now=lambda: NOW)
    assert count.partial and not count.successes()


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout"])
def test_logs_insights_failed_query(status: str) -> None:
    logs = made("logs")
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        stub.add_response("get_query_results", {"status": status, "results": []}, {"queryId": "q-1"})
        count = logs_insights(logs, "trail", WINDOW, now=lambda: NOW)
    assert count.error is not None and status in count.error and not count.tallies


def test_logs_insights_gives_up_after_its_timeout() -> None:
    logs = made("logs")
    clock = Clock()
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        for _ in range(12):
            stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q-1"})
        count = logs_insights(logs, "trail", WINDOW, now=clock, sleep=clock.sleep, timeout=10)
    assert count.error is not None and "10" in count.error and not count.tallies
    assert clock.now - NOW <= 11  # polled about once a second, then stopped


def test_logs_insights_missing_log_group() -> None:
    logs = made("logs")
    with Stubber(logs) as stub:
        stub.add_client_error("start_query", "ResourceNotFoundException", http_status_code=400)
        count = logs_insights(logs, "no-such-group", WINDOW, now=lambda: NOW)
    assert count.error is not None and "ResourceNotFoundException" in count.error


# --- one client's verdict ------------------------------------------------------------------


def usage(
    source: str, rows: list[tuple[str, str, Any, int]], partial: bool = False, error: str | None = None
) -> UsageCount:
    """A count from (region, client id, status, requests) rows."""
    count = UsageCount(source, partial=partial, error=error)
    for region, client_id, status, requests in rows:
        count.add(region, client_id, status, requests)
    return count


R = "us-east-1"


@pytest.mark.parametrize(
    ("rows", "partial", "expected"),
    [
        pytest.param([(R, "a", 200, 5)], False, ClientUsage(5, "s"), id="used"),
        pytest.param([(R, "b", 200, 5)], False, ClientUsage(0, "s"), id="complete-zero-is-zero"),
        pytest.param([(R, "a", 200, 2), (R, "a", 400, 3)], False, ClientUsage(2, "s", 3), id="some-failed"),
        pytest.param(
            [(R, "a", 400, 3), (R, "a", 401, 1)],
            False,
            ClientUsage(None, "s", 4, "every token request failed"),
            id="all-failed-is-not-unused",
        ),
        pytest.param(
            [(R, "b", 200, 5), (R, "", 200, 2)],
            False,
            ClientUsage(None, None, 0, "2 client-credentials token requests in s name no client"),
            id="unattributed-makes-it-unknown",
        ),
        pytest.param(
            [(R, "a", 200, 1), (R, "", 200, 2)], False, ClientUsage(1, "s"), id="unattributed-seen-is-seen"
        ),
        pytest.param(
            [(R, "a", 400, 1), (R, "", 200, 2)],
            False,
            ClientUsage(None, None, 1, "2 client-credentials token requests in s name no client"),
            id="unattributed-hides-a-failing-clients-successes",
        ),
        pytest.param(
            [("eu-west-1", "", 200, 2), ("eu-west-1", "a", 200, 9)],
            False,
            ClientUsage(0, "s"),
            id="other-region-unattributed-or-same-id-does-not-count",
        ),
        pytest.param(
            [("", "", 200, 1)],
            False,
            ClientUsage(None, None, 0, "1 client-credentials token request in s names no client"),
            id="no-region-applies-everywhere",
        ),
        pytest.param(
            [(R, "a", None, 4)],
            False,
            ClientUsage(None, None, 0, "4 client-credentials token requests in s have no status"),
            id="status-unknown",
        ),
        pytest.param(
            [(R, "b", 200, 5)], True, ClientUsage(None, None, 0, "s stopped early"), id="partial-zero"
        ),
        pytest.param([(R, "a", 200, 5)], True, ClientUsage(5, "s"), id="partial-seen-is-seen"),
    ],
)
def test_client_usage_from_one_source(
    rows: list[tuple[str, str, Any, int]], partial: bool, expected: ClientUsage
) -> None:
    assert client_usage([usage("s", rows, partial)], R, "a") == expected


def test_usage_for_prefers_logs_insights_and_never_trusts_a_partial_zero() -> None:
    result = SweepResult()
    result.usage[("111111111111", None)] = usage("insights", [(R, "a", 200, 5)])
    result.usage[("111111111111", R)] = usage("lookup", [(R, "a", 200, 2), (R, "b", 200, 7)])
    assert result.usage_for("111111111111", R, "a")[:2] == (5, "insights")
    assert result.usage_for("111111111111", R, "b")[:2] == (0, "insights")  # complete: zero is zero

    result.usage[("111111111111", None)] = usage("insights", [(R, "a", 200, 5)], partial=True)
    assert result.usage_for("111111111111", R, "a")[:2] == (5, "insights")  # seen is seen
    assert result.usage_for("111111111111", R, "b")[:2] == (7, "lookup")  # falls back
    assert result.usage_for("111111111111", R, "c")[:2] == (0, "lookup")

    result.usage[("111111111111", R)] = usage("lookup", [(R, "a", 200, 2)], partial=True)
    assert result.usage_for("111111111111", R, "c") == ClientUsage(
        None, None, 0, "insights stopped early; lookup stopped early"
    )  # nobody can tell
    assert result.usage_for("111111111111", R, "a")[:2] == (5, "insights")

    result.usage[("111111111111", None)] = usage("insights", [], error="access denied")
    result.usage[("111111111111", R)] = usage("lookup", [(R, "a", 200, 2)])
    assert result.usage_for("111111111111", R, "a")[:2] == (2, "lookup")
    assert result.usage_for("111111111111", R, "z")[:2] == (0, "lookup")
    # another region or account has no source at all
    assert result.usage_for("111111111111", "eu-west-1", "a")[:2] == (None, None)
    assert result.usage_for("222222222222", R, "a")[:2] == (None, None)


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
    names = ("svc-basic", "svc-body", "svc-idle", "svc-failing")
    ids = {name: m2m(idp, pool_id, name)["ClientId"] for name in names}
    ids["token-api"] = token_auth(idp, pool_id, "token-api", ttl=(30, "minutes"))["ClientId"]
    return ids


def unused(run: Any) -> set[str]:
    return {f["subject"] for f in run.report["findings"] if f["rule_type"] == "unused_client_credentials"}


def events(ids: dict[str, str]) -> list[dict[str, Any]]:
    """Basic auth for one client, the body for another, failures only for a third."""
    return (
        [entry(basic_auth_event(ids["svc-basic"])) for _ in range(4)]
        + [entry(body_auth_event(ids["svc-body"])), entry(failed_event(ids["svc-body"]))]
        + [entry(failed_event(ids["svc-failing"])) for _ in range(3)]
    )


def test_sweep_with_lookup_events_counts_basic_auth_and_flags_only_the_idle_client(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = clients()
    stubbers = stub_service(hooks, "cloudtrail", [("lookup_events", {"Events": events(ids)})])
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
    # a Basic-auth client is used; zero successful requests in a complete count: unused
    assert unused(run) == {ids["svc-idle"]}
    (finding,) = [f for f in run.report["findings"] if f["subject"] == ids["svc-idle"]]
    assert "CloudTrail LookupEvents" in finding["message"]
    # GetClientToken calls are not Token_POST events: no Token_POST proves nothing about them
    assert ids["token-api"] not in unused(run)
    # a client whose requests all fail is in use: a note, never "unused"
    (note,) = run.report["notifications"]
    assert note["level"] == "warning" and not note["fatal"]
    assert f"client svc-failing ({ids['svc-failing']})" in note["message"]
    assert "all 3 client-credentials token requests in the last 30 days failed" in note["message"]
    assert "not reported unused" in note["message"]

    usage_block = inventory("us-east-1")["usage"]
    assert usage_block["countVersion"] == 2
    assert usage_block["tokenRequests"] == {ids["svc-basic"]: 4, ids["svc-body"]: 1, ids["svc-idle"]: 0}
    assert usage_block["failedTokenRequests"] == {ids["svc-body"]: 1, ids["svc-failing"]: 3}
    assert usage_block["notes"] == ["GetClientToken requests are not counted", "every token request failed"]

    exported = json.loads(Path("usage.json").read_text())
    assert exported == {
        "window_days": 30,
        "clients": {
            ids["svc-basic"]: 4,
            ids["svc-body"]: 1,
            ids["svc-idle"]: 0,
            "svc-basic": 4,
            "svc-body": 1,
            "svc-idle": 0,
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
    # the saved sweep, evaluated again offline, says the same
    assert main(["scan", "m2m-guard-inventory", "--format", "json", "--output", "again.json"]) == 0
    again = json.loads(Path("again.json").read_text())
    assert {f["subject"] for f in again["findings"] if f["rule_type"] == "unused_client_credentials"} == {
        ids["svc-idle"]
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
    for logical, name in (
        ("Basic", "svc-basic"),
        ("Idle", "svc-idle"),
        ("Failing", "svc-failing"),
        ("New", "svc-new"),
    )
)


def test_an_event_naming_no_client_makes_the_region_partial(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = clients()
    page = {"Events": [entry(basic_auth_event(ids["svc-basic"])), entry(anonymous_event())]}
    stub_service(hooks, "cloudtrail", [("lookup_events", page)])
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
    assert unused(run) == set()  # svc-idle might be the one that made the anonymous request
    (note,) = run.report["notifications"]
    assert note["level"] == "warning" and not note["fatal"]
    assert note["message"] == (
        f"account {ACCOUNT}, region us-east-1: 1 client-credentials token request in CloudTrail "
        "LookupEvents names no client (1 succeeded); no client there is called unused from that count"
    )
    usage_block = inventory("us-east-1")["usage"]
    assert usage_block["tokenRequests"] == {ids["svc-basic"]: 1}  # seen is seen; the rest unknown
    assert usage_block["notes"] == [
        "1 client-credentials token request in CloudTrail LookupEvents names no client"
    ]
    assert json.loads(Path("usage.json").read_text())["clients"] == {ids["svc-basic"]: 1, "svc-basic": 1}


def test_partial_lookup_never_calls_a_client_unused(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = clients()
    page = {"Events": [entry(basic_auth_event(ids["svc-basic"]))], "NextToken": "more"}
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
    assert json.loads(Path("usage.json").read_text())["clients"] == {ids["svc-basic"]: 1, "svc-basic": 1}


def test_sweep_with_logs_insights(moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]) -> None:
    ids = clients()
    results = [
        row(90_000, ids["svc-basic"]),
        row(12, ids["svc-failing"], "400"),
        row(5, NO_VALUE, "200", region="eu-west-1"),  # another region's anonymous request
    ]
    stub_service(
        hooks,
        "logs",
        [
            ("start_query", {"queryId": "q-1"}),
            ("get_query_results", {"status": "Complete", "results": results}),
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
    assert unused(run) == {ids["svc-idle"], ids["svc-body"]}
    assert inventory("us-east-1")["usage"]["sources"] == ["CloudTrail log group org-trail (Logs Insights)"]
    messages = sorted(n["message"] for n in run.report["notifications"])
    assert len(messages) == 2
    assert messages[0].startswith(f"account {ACCOUNT}, region eu-west-1: 5 client-credentials token requests")
    assert "client svc-failing" in messages[1] and "all 12 client-credentials token requests" in messages[1]


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
    stub_service(hooks, "cloudtrail", [("lookup_events", {"Events": [entry(basic_auth_event(a))]})])
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
    page = {"Events": [entry(basic_auth_event(seen))], "NextToken": "more"}
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


# --- inventories saved by earlier versions -----------------------------------------------------


def saved_inventory(usage: dict[str, Any]) -> None:
    """An inventory file of one idle client, ``usage`` block as given."""
    client = {
        "ClientId": "1example23456789",
        "ClientName": "svc-idle",
        "UserPoolId": "us-east-1_EXAMPLE",
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["orders/read"],
        "GenerateSecret": True,
        "AccessTokenValidity": 30,
        "TokenValidityUnits": {"AccessToken": "minutes"},
    }
    document = {
        "m2mGuardInventory": 1,
        "account": ACCOUNT,
        "region": "us-east-1",
        "usage": usage,
        "userPools": [
            {
                "Id": "us-east-1_EXAMPLE",
                "Name": "orders",
                "Arn": f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_EXAMPLE",
                "ResourceServers": ["orders"],
                "AppClients": [client],
            }
        ],
    }
    path = Path("inv") / ACCOUNT / "us-east-1.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(document, indent=2))


@pytest.mark.parametrize(
    ("usage_block", "is_unused"),
    [
        pytest.param(
            {
                "windowDays": 30,
                "sources": ["CloudTrail LookupEvents"],
                "tokenRequests": {"1example23456789": 0},
            },
            False,
            id="older-count-zero-proves-nothing",
        ),
        pytest.param(
            {
                "countVersion": 2,
                "windowDays": 30,
                "sources": ["CloudTrail LookupEvents"],
                "tokenRequests": {"1example23456789": 0},
            },
            True,
            id="current-count-zero",
        ),
    ],
)
def test_zeros_of_inventories_counted_from_the_body_only_are_not_trusted(
    usage_block: dict[str, Any], is_unused: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    saved_inventory(usage_block)
    assert main(["scan", "inv", "--format", "json", "--output", "again.json"]) == 0
    report = json.loads(Path("again.json").read_text())
    found = {f["subject"] for f in report["findings"] if f["rule_type"] == "unused_client_credentials"}
    assert found == ({"1example23456789"} if is_unused else set())


def test_export_carries_the_clients_of_other_accounts_that_the_trail_shows(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    """An organization trail's log group, read from the logging account, names the clients of
    every account: their successful requests are exported for the other accounts' sweeps (as
    ``--usage``); a client of another account that made no request is not in the file (nothing
    here proves it exists), so its usage stays unknown there."""
    ids = clients()
    elsewhere = "7otheraccount0client0id0example"  # a ClientId of another account ([\w+]+)
    rows = [row(4, ids["svc-basic"]), row(9, elsewhere), row(2, elsewhere, "400")]
    stub_service(
        hooks,
        "logs",
        [
            ("start_query", {"queryId": "q-1"}),
            ("get_query_results", {"status": "Complete", "results": rows}),
        ],
    )
    run = sweep(
        capsys,
        "--regions",
        "us-east-1",
        "--cloudtrail-log-group",
        "aws-cloudtrail-logs",
        "--export-usage",
        "usage.json",
        "--format",
        "json",
        report="m2m.json",
    )
    assert run.code == 0, run.err
    exported = json.loads(Path("usage.json").read_text())["clients"]
    assert exported[elsewhere] == 9  # successful requests only
    assert exported[ids["svc-basic"]] == 4 and exported[ids["svc-idle"]] == 0


@pytest.mark.parametrize(
    "usage_block",
    [
        {"countVersion": 2, "windowDays": 30, "tokenRequests": {"1example23456789": 10**400}},
        {"countVersion": 2, "windowDays": float("nan"), "tokenRequests": {"1example23456789": 0}},
        {"countVersion": 2, "windowDays": 1e-320, "tokenRequests": {"1example23456789": 5}},
        {"countVersion": 2, "windowDays": 30, "tokenRequests": {"1example23456789": -3}},
    ],
    ids=["huge-count", "nan-window", "tiny-window", "negative-count"],
)
def test_numbers_out_of_bounds_in_a_saved_sweep_are_unknown_usage(
    usage_block: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A saved sweep is a file like any other: its numbers are checked like a usage file's, and
    one out of bounds is unknown usage (never unused, never priced, never a crash)."""
    saved_inventory(usage_block)
    assert main(["scan", "inv", "--format", "json", "--output", "again.json"]) == 0
    report = json.loads(Path("again.json").read_text())
    assert not [f for f in report["findings"] if f["rule_type"] == "unused_client_credentials"]
    assert main(["cost", "inv", "--format", "json", "--output", "cost.json"]) == 0
    text = Path("cost.json").read_text()
    assert "Infinity" not in text and "NaN" not in text
    (pool,) = json.loads(text)["pools"]
    assert pool["requests_basis"] != "observed"
