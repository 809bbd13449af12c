"""Token requests per client from CloudTrail: Logs Insights over a trail's log group, or
LookupEvents.

Cognito publishes no per-client CloudWatch metric for client-credentials token requests; the
count comes from CloudTrail's ``Token_POST`` events with ``grant_type=client_credentials``
(https://docs.aws.amazon.com/cognito/latest/developerguide/tracking-cost.html).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.sweep.aws import error_text

#: The Logs Insights query m2m-guard runs over a CloudTrail log group.
INSIGHTS_QUERY = """\
filter eventSource = "cognito-idp.amazonaws.com" and eventName = "Token_POST"
| filter additionalEventData.requestParameters.grant_type.0 = "client_credentials"
| stats count(*) as requests by additionalEventData.requestParameters.client_id.0 as client_id
| limit 10000"""


@dataclass
class UsageCount:
    """Token requests per ClientId seen by one source over the lookback window.

    ``partial`` means the source stopped early (a page bound, a time-out): counts are lower
    bounds and a client not seen has unknown usage rather than none.
    """

    source: str
    counts: Counter[str] = field(default_factory=Counter)
    partial: bool = False
    error: str | None = None
    calls: int = 0


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _token_request(event: dict[str, Any]) -> str | None:
    """The client id of a client-credentials Token_POST CloudTrail event, else None."""
    params = (event.get("additionalEventData") or {}).get("requestParameters") or {}
    if _first(params.get("grant_type")) != "client_credentials":
        return None
    client_id = _first(params.get("client_id"))
    return client_id if isinstance(client_id, str) else None


def logs_insights(
    logs: Any,
    log_group: str,
    lookback_days: int,
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 300.0,
) -> UsageCount:
    result = UsageCount(f"CloudTrail log group {log_group} (Logs Insights)")
    end = int(now())
    try:
        query = logs.start_query(
            logGroupName=log_group,
            startTime=end - lookback_days * 86400,
            endTime=end,
            queryString=INSIGHTS_QUERY,
            limit=10000,
        )
        result.calls += 1
        deadline = now() + timeout
        while True:
            response = logs.get_query_results(queryId=query["queryId"])
            result.calls += 1
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
    for row in response.get("results", []):
        fields = {f.get("field"): f.get("value") for f in row}
        client_id, count = fields.get("client_id"), fields.get("requests")
        if client_id and count and str(count).isdigit():
            result.counts[client_id] += int(count)
    if len(response.get("results", [])) >= 10000:
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
    """Count Token_POST events with LookupEvents: at most ``max_pages`` pages of 50 events
    (LookupEvents allows 2 requests per second per account and region)."""
    import datetime as dt

    result = UsageCount("CloudTrail LookupEvents")
    end = dt.datetime.fromtimestamp(now(), dt.timezone.utc)
    kwargs: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Token_POST"}],
        "StartTime": end - dt.timedelta(days=lookback_days),
        "EndTime": end,
        "MaxResults": 50,
    }
    try:
        for _ in range(max_pages):
            throttle()
            page = cloudtrail.lookup_events(**kwargs)
            result.calls += 1
            for event in page.get("Events", []):
                try:
                    detail = json.loads(event.get("CloudTrailEvent") or "{}")
                except ValueError:
                    continue
                client_id = _token_request(detail)
                if client_id:
                    result.counts[client_id] += 1
            token = page.get("NextToken")
            if not token:
                return result
            kwargs["NextToken"] = token
        result.partial = True  # more pages than the bound: counts are lower bounds
    except Exception as exc:
        result.error = error_text(exc)
    return result
