"""Read every ``AWS::Cognito::UserPoolClient`` configuration item from AWS Config.

One advanced query (SelectResourceConfig for the recorder of the current account and region,
SelectAggregateResourceConfig for an aggregator's accounts and regions) replaces the Cognito
sweep's one DescribeUserPoolClient per client and its role per account: about one call per 100
clients, from one account.

Facts this relies on, from botocore's model of the config service (2014-11-12) and the AWS
Config API Reference (SelectResourceConfig, SelectAggregateResourceConfig):

- ``Expression`` is the SQL ``SELECT`` (1 to 4,096 characters); ``ConfigurationAggregatorName``
  names the aggregator (pattern ``[\\w\\-]+``, at most 256 characters);
- ``Limit`` is the page size, at most 100 (without it a non-aggregating query returns pages of
  25); ``NextToken`` asks for the next page;
- ``Results`` is a list of strings, each one JSON object with the selected properties, nested as
  they are named (``configuration.ClientId`` is ``{"configuration": {"ClientId": ...}}``).

The query language is a subset of SQL (``SELECT property, ... WHERE ...``; "Query Components
for AWS Config", AWS Config Developer Guide,
https://docs.aws.amazon.com/config/latest/developerguide/query-components.html), over the
properties the published resource schema lists (github.com/awslabs/aws-config-resource-schema).
The query selects the item's identity, capture time and status and its whole ``configuration``;
deleted items are dropped by m2m_guard/sources/config_items.py, where it is visible and tested,
rather than in the WHERE clause.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.sweep import aws

EXPRESSION = (
    "SELECT accountId, awsRegion, arn, resourceId, resourceName, configurationItemCaptureTime, "
    "configurationItemStatus, configuration WHERE resourceType = 'AWS::Cognito::UserPoolClient'"
)
#: The largest page the API allows (botocore model: Limit, max 100).
PAGE_SIZE = 100
#: A bound on pages, far above any organization (100 pages per 10,000 clients): a NextToken
#: that never ends cannot hold the run forever.
MAX_PAGES = 100_000


class ConfigQueryError(RuntimeError):
    """The query could not be run (the message is one line, for the user)."""


@dataclass
class ConfigItems:
    """What the query returned: the items, the calls made, and results that were not JSON objects."""

    items: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    unreadable: int = 0


def select_items(
    session: Any,
    *,
    aggregator: str | None,
    region: str | None = None,
    endpoint_url: str | None = None,
    page_size: int = PAGE_SIZE,
) -> ConfigItems:
    """Every item of the query, page after page, through the guarded (read-only) client."""
    try:
        config = aws.client(session, "config", region, endpoint_url)
    except Exception as exc:  # no region configured, an unknown region name
        raise ConfigQueryError(_error_text(exc, aggregator, region)) from None
    request: dict[str, Any] = {"Expression": EXPRESSION, "Limit": page_size}
    call: Callable[..., dict[str, Any]] = config.select_resource_config
    if aggregator is not None:
        request["ConfigurationAggregatorName"] = aggregator
        call = config.select_aggregate_resource_config
    out = ConfigItems()
    token: str | None = None
    while out.calls < MAX_PAGES:
        try:
            page = call(**request, **({"NextToken": token} if token else {}))
        except Exception as exc:
            raise ConfigQueryError(_error_text(exc, aggregator, config.meta.region_name)) from None
        out.calls += 1
        for text in page.get("Results") or []:
            _add(out, text)
        token = page.get("NextToken")
        if not token:
            break
    return out


def _add(out: ConfigItems, text: Any) -> None:
    try:
        item = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        item = None
    if isinstance(item, dict):
        out.items.append(item)
    else:
        out.unreadable += 1


def _error_text(exc: Exception, aggregator: str | None, region: str | None) -> str:
    """One line; a missing aggregator is named with the region it was looked for in (an
    aggregator lives in one region of its account)."""
    from botocore.exceptions import ClientError, NoRegionError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        if code == "NoSuchConfigurationAggregatorException":
            return (
                f"AWS Config: no configuration aggregator named {aggregator!r} in region {region}; "
                "set AWS_REGION to the aggregator's region"
            )
    if isinstance(exc, NoRegionError):
        return "AWS Config: no AWS region configured; set AWS_REGION (or AWS_DEFAULT_REGION)"
    return f"AWS Config: {aws.error_text(exc)}"
