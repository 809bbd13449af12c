"""Successful client-credentials token requests per client, from CloudTrail: Logs Insights over a
trail's log group, or LookupEvents.

Cognito publishes no per-client CloudWatch metric for these requests; they are CloudTrail
``Token_POST`` events (https://docs.aws.amazon.com/cognito/latest/developerguide/tracking-cost.html).
What an event holds, from AWS's published examples:

- ``additionalEventData.requestParameters.grant_type[0]`` is ``client_credentials``, and
  ``additionalEventData.responseParameters.status`` the HTTP status of the response (``200``, or
  ``200.0`` in some examples): "Example CloudTrail events for requests to the token endpoint",
  https://docs.aws.amazon.com/cognito/latest/developerguide/understanding-amazon-cognito-entries.html
- the client is ``additionalEventData.clientId`` (how the client authenticated, HTTP Basic
  included), and ``additionalEventData.requestParameters.client_id[0]`` only when the client sent
  ``client_id`` in the request body: the same page's example, and the Logs Insights query of
  "How to monitor, optimize, and secure Amazon Cognito machine-to-machine authorization",
  https://aws.amazon.com/blogs/security/how-to-monitor-optimize-and-secure-amazon-cognito-machine-to-machine-authorization/
- LookupEvents returns each event as a JSON string in ``Events[].CloudTrailEvent``, at most 50 a
  page (botocore's cloudtrail 2013-11-01 service model).

Billing counts successful token responses only, so a failed request is counted apart: a client
whose requests all fail is *failing*, not unused. An event that names no client could belong to
any client of its account and region, so there no client is proved unused by that count.
``GetClientToken`` (``ALLOW_CLIENT_TOKEN_AUTH``) requests are not ``Token_POST`` events and what
CloudTrail records for them is not documented: they are not counted (see
m2m_guard/sweep/inventory.py).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from m2m_guard.model import plural
from m2m_guard.sweep.aws import error_text

if TYPE_CHECKING:
    from m2m_guard.sweep.discovery import RegionInventory

#: The Logs Insights query m2m-guard runs over a CloudTrail log group (the README shows it too).
#: One row per region, client and response status. The client id is the Basic-auth one, else the
#: one in the body; ``coalesce`` returns the first non-null of its fields
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-operations-functions.html),
#: so an event with neither, or without a status, gets ``eventSource`` instead: never a null
#: group key that ``stats`` might leave out, and never a ClientId (pattern ``[\w+]+``) or status.
INSIGHTS_QUERY = "\n".join(
    (
        'filter eventSource = "cognito-idp.amazonaws.com" and eventName = "Token_POST"',
        '| filter additionalEventData.requestParameters.grant_type.0 = "client_credentials"',
        "| fields coalesce(additionalEventData.clientId, additionalEventData.requestParameters.client_id.0,"
        " eventSource) as client_id",
        "| fields coalesce(additionalEventData.responseParameters.status, eventSource) as status",
        "| stats count(*) as requests by awsRegion, client_id, status",
        "| limit 10000",
    )
)
#: What INSIGHTS_QUERY puts in place of a missing client id or status.
NO_VALUE = "cognito-idp.amazonaws.com"
#: StartQuery's result limit; a query that returns this many rows may have left some out.
INSIGHTS_ROWS = 10000
#: LookupEvents returns at most 50 events a page.
LOOKUP_PAGE = 50


@dataclass
class Tally:
    """Client-credentials token requests by outcome."""

    succeeded: int = 0
    failed: int = 0
    #: No readable ``responseParameters.status``: neither success nor failure is known.
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.unknown

    def add(self, status: Any, count: int = 1) -> None:
        code = _status(status)
        if code is None:
            self.unknown += count
        elif 200 <= code < 300:
            self.succeeded += count
        else:
            self.failed += count

    def __iadd__(self, other: Tally) -> Tally:
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.unknown += other.unknown
        return self


class ClientUsage(NamedTuple):
    """What the usage sources say about one client.

    ``requests`` is the number of successful token requests, or None when no source can tell
    (none covers the client, the covering ones stopped early, some events there name no client,
    or all its requests failed: ``failed`` > 0 and no success seen). ``note`` says why it is None.
    """

    requests: int | None
    source: str | None
    failed: int = 0
    note: str | None = None


@dataclass
class UsageCount:
    """Token requests seen by one source over the lookback window, by region and client.

    ``partial`` means the source stopped early (a page bound, a row limit): counts are lower
    bounds and a client not seen has unknown usage rather than none.
    """

    source: str
    #: region -> client id -> outcomes. Client id "" holds the events that name no client;
    #: region "" those that name no region (they apply to every region).
    tallies: dict[str, dict[str, Tally]] = field(default_factory=dict)
    partial: bool = False
    error: str | None = None

    def add(self, region: str, client_id: str, status: Any, count: int = 1) -> None:
        self.tallies.setdefault(region, {}).setdefault(client_id, Tally()).add(status, count)

    def client(self, region: str, client_id: str) -> Tally:
        """The outcomes of one client's requests in ``region`` (events naming no region included)."""
        seen = Tally()
        for where in {region, ""}:
            seen += self.tallies.get(where, {}).get(client_id, Tally())
        return seen

    def unattributed(self, region: str) -> Tally:
        """Requests in ``region`` (or naming none) whose event names no client."""
        return self.client(region, "")

    def successes(self) -> dict[str, int]:
        """Successful requests per client id, all regions together."""
        totals: dict[str, int] = {}
        for clients in self.tallies.values():
            for client_id, tally in clients.items():
                if client_id and tally.succeeded:
                    totals[client_id] = totals.get(client_id, 0) + tally.succeeded
        return totals


def _status(value: Any) -> int | None:
    """An HTTP status from CloudTrail (200, 200.0) or from Logs Insights ("200", "200.0")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return int(value)
    return None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def token_request(event: Any) -> tuple[str, Any] | None:
    """(client id, response status) of a client-credentials ``Token_POST`` CloudTrail event, else
    None. The client id is "" when the event names none."""
    if not isinstance(event, dict) or event.get("eventName", "Token_POST") != "Token_POST":
        return None
    if event.get("eventSource", "cognito-idp.amazonaws.com") != "cognito-idp.amazonaws.com":
        return None
    data = event.get("additionalEventData")
    data = data if isinstance(data, dict) else {}
    params = data.get("requestParameters")
    params = params if isinstance(params, dict) else {}
    if _first(params.get("grant_type")) != "client_credentials":
        return None
    response = data.get("responseParameters")
    status = response.get("status") if isinstance(response, dict) else None
    for client_id in (data.get("clientId"), _first(params.get("client_id"))):
        if isinstance(client_id, str) and client_id:
            return client_id, status
    return "", status


def logs_insights(
    logs: Any,
    log_group: str,
    lookback_days: int,
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 300.0,
) -> UsageCount:
    """Run INSIGHTS_QUERY over ``log_group`` (every region the trail logs, one account)."""
    result = UsageCount(f"CloudTrail log group {log_group} (Logs Insights)")
    end = int(now())
    try:
        query = logs.start_query(
            logGroupName=log_group,
            startTime=end - lookback_days * 86400,
            endTime=end,
            queryString=INSIGHTS_QUERY,
            limit=INSIGHTS_ROWS,
        )
        deadline = now() + timeout
        while True:
            response = logs.get_query_results(queryId=query["queryId"])
            status = response.get("status")
            if status == "Complete":
                break
            if status in ("Failed", "Cancelled", "Timeout", "Unknown"):
                result.error = f"Logs Insights query ended with status {status}"
                return result
            if now() > deadline:
                result.error = f"Logs Insights query did not complete within {timeout:g} s (status {status})"
                return result
            sleep(1.0)
    except Exception as exc:
        result.error = error_text(exc)
        return result
    rows = response.get("results") or []
    for row in rows:
        # A field whose value is null (no client id, no status) may be left out of the row.
        fields = {f.get("field"): f.get("value") for f in row if isinstance(f, dict)}
        count = str(fields.get("requests") or "")
        if not count.isdigit():
            # A row that cannot be read could be any client's requests.
            result.partial = True
            continue
        region, client_id = fields.get("awsRegion") or "", fields.get("client_id") or ""
        client_id = "" if client_id == NO_VALUE else client_id
        result.add(region, client_id, fields.get("status"), int(count))
    if len(rows) >= INSIGHTS_ROWS:
        result.partial = True  # the query's row limit: some clients may be missing
    return result


def lookup_events(
    cloudtrail: Any,
    lookback_days: int,
    *,
    max_pages: int,
    throttle: Callable[[], None] = lambda: None,
    now: Callable[[], float] = time.time,
) -> UsageCount:
    """Count Token_POST events in the client's region with LookupEvents: at most ``max_pages``
    pages of 50 events (LookupEvents allows 2 requests per second per account and region)."""
    import datetime as dt

    result = UsageCount("CloudTrail LookupEvents")
    region = str(getattr(cloudtrail.meta, "region_name", "") or "")
    end = dt.datetime.fromtimestamp(now(), dt.timezone.utc)
    kwargs: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Token_POST"}],
        "StartTime": end - dt.timedelta(days=lookback_days),
        "EndTime": end,
        "MaxResults": LOOKUP_PAGE,
    }
    try:
        for _ in range(max_pages):
            throttle()
            page = cloudtrail.lookup_events(**kwargs)
            for event in page.get("Events", []):
                try:
                    detail = json.loads(event.get("CloudTrailEvent") or "")
                except ValueError:
                    # Unreadable: it might be any client's token request.
                    result.add(region, "", None)
                    continue
                request = token_request(detail)
                if request is not None:
                    result.add(region, *request)
            token = page.get("NextToken")
            if not token:
                return result
            kwargs["NextToken"] = token
        result.partial = True  # more pages than the bound: counts are lower bounds
    except Exception as exc:
        result.error = error_text(exc)
    return result


def client_usage(counts: Iterable[UsageCount | None], region: str, client_id: str) -> ClientUsage:
    """One client's usage from ``counts``, the first source that can tell winning."""
    failed, notes = 0, []
    for count in counts:
        if count is None or count.error:
            continue
        seen = count.client(region, client_id)
        if seen.succeeded:
            return ClientUsage(seen.succeeded, count.source, seen.failed)
        failed = max(failed, seen.failed)
        unattributed = count.unattributed(region).total
        if count.partial:
            notes.append(f"{count.source} stopped early")
        elif unattributed:
            notes.append(
                f"{_requests(unattributed)} in {count.source} {_verb(unattributed, 'name')} no client"
            )
        elif seen.unknown:
            notes.append(
                f"{_requests(seen.unknown)} in {count.source} {_verb(seen.unknown, 'have')} no status"
            )
        elif seen.failed:
            return ClientUsage(None, count.source, seen.failed, "every token request failed")
        else:
            return ClientUsage(0, count.source)
    return ClientUsage(None, None, failed, "; ".join(notes) or None)


def _requests(count: int) -> str:
    return plural(count, "client-credentials token request")


def _verb(count: int, plural: str) -> str:
    return plural if count != 1 else {"have": "has"}.get(plural, plural + "s")


def _is_m2m(client: dict[str, Any]) -> bool:
    oauth, explicit = client.get("AllowedOAuthFlows") or (), client.get("ExplicitAuthFlows") or ()
    return "client_credentials" in oauth or "ALLOW_CLIENT_TOKEN_AUTH" in explicit


def usage_notes(account: str, scope: str | None, count: UsageCount) -> list[str]:
    """Why ``count`` (made for ``account`` and region ``scope``, None: every region) proves less
    than it seems; each note one line."""
    where = f"account {account}" + (f", region {scope}" if scope else "")
    if count.error:
        return [f"{where}: usage from {count.source} unavailable: {count.error}"]
    notes = []
    if count.partial:
        notes.append(f"{where}: {count.source} stopped early; counts are lower bounds")
    for region in sorted(count.tallies):
        missing = count.tallies[region].get("")
        if missing is None:
            continue
        place = f"account {account}, " + (f"region {region}" if region else "events without a region")
        notes.append(
            f"{place}: {_requests(missing.total)} in {count.source} {_verb(missing.total, 'name')} no client "
            f"({missing.succeeded} succeeded); no client there is called unused from that count"
        )
    return notes


def failing_notes(
    inventory: RegionInventory, usage_for: Callable[[str], ClientUsage], lookback_days: int
) -> list[str]:
    """One line per M2M client of ``inventory`` whose token requests all failed."""
    notes = []
    for pool in inventory.pools:
        for client in sorted(pool.clients, key=lambda c: str(c.get("ClientId"))):
            usage = usage_for(str(client.get("ClientId")))
            if usage.requests is None and usage.failed and usage.source and _is_m2m(client):
                notes.append(
                    f"account {inventory.account}, region {inventory.region}: client "
                    f"{client.get('ClientName')} ({client.get('ClientId')}) in user pool {pool.id}: "
                    f"all {_requests(usage.failed)} in the last {lookback_days} days failed "
                    f"({usage.source}); it is in use but gets no token: check its secret, scopes "
                    "and OAuth settings (it is not reported unused)"
                )
    return notes
