"""``sweep --config`` / ``--config-aggregator`` (and the same on ``cost --live``): the app
clients AWS Config has recorded, instead of a Cognito sweep.

One advanced query (m2m_guard/sweep/config_query.py) from the current credentials and region:
no Cognito call, no role per account. The items become clients of the same model
(m2m_guard/sources/config_items.py) and take the same path to the report as swept ones. No
inventory is written: AWS Config is itself the record, and the same query reads it again; the
findings point at ``aws-config/<account>/<region>`` with each client's ARN as logical location,
as a Cognito sweep's findings do (same fingerprints).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from m2m_guard.commands import UsageProblem
from m2m_guard.commands.live import LiveOptions, LiveRead, check_numbers, check_outputs
from m2m_guard.model import Coverage, Notification, Severity
from m2m_guard.sources.config_items import RESOURCE_TYPE, load_items

#: Options of the Cognito sweep that mean nothing to a query of AWS Config: (field, option).
COGNITO_ONLY: tuple[tuple[str, str], ...] = (
    ("regions", "--regions"),
    ("role_name", "--role-name"),
    ("accounts", "--accounts"),
    ("organization", "--organization"),
    ("external_id", "--external-id"),
    ("shard", "--shard"),
    ("cloudtrail_log_group", "--cloudtrail-log-group"),
    ("cloudtrail_log_region", "--cloudtrail-log-region"),
    ("cloudtrail_lookup", "--cloudtrail-lookup"),
    ("export_usage", "--export-usage"),
)


def check(live: LiveOptions, reports: Sequence[tuple[str, str | None]]) -> None:
    """The options, before the query: one line and exit 2 for each mistake."""
    mode = "--config-aggregator" if live.config_aggregator is not None else "--config"
    if live.config and live.config_aggregator is not None:
        raise UsageProblem("use either --config or --config-aggregator NAME, not both")
    for name, option in COGNITO_ONLY:
        if getattr(live, name):
            raise UsageProblem(
                f"{option} is an option of the Cognito sweep; {mode} reads what AWS Config recorded"
            )
    check_numbers(live)
    check_outputs(live, reports)


def config_clients(live: LiveOptions, reports: Sequence[tuple[str, str | None]]) -> LiveRead:
    """Query AWS Config and map its items; a query that fails is a fatal notification (the
    report is still written, and the exit code is 2), like an account a sweep cannot read."""
    check(live, reports)
    import boto3

    from m2m_guard.sweep.config_query import ConfigQueryError, select_items

    try:
        session = boto3.Session()
        found = select_items(session, aggregator=live.config_aggregator, endpoint_url=live.endpoint_url)
    except ConfigQueryError as exc:
        return LiveRead([], [Notification(str(exc), fatal=True)], Coverage(account_regions_failed=1))
    now = dt.datetime.now(dt.timezone.utc)
    mapped = load_items(found.items, now=now, max_age_days=live.config_max_age)
    notes = list(mapped.notifications)
    if found.unreadable:
        notes.append(
            Notification(
                f"AWS Config: {found.unreadable:,} query results are not JSON objects; "
                "those clients are not checked",
                fatal=True,
            )
        )
    if not found.items:
        notes.append(
            Notification(
                f"AWS Config returned no {RESOURCE_TYPE} item: is the configuration recorder recording that "
                "resource type (and, with --config-aggregator, does the aggregator cover the accounts)?",
                Severity.WARNING,
            )
        )
    accounts = tuple(sorted({account for account, _ in mapped.account_regions}))
    regions = tuple(sorted({region for _, region in mapped.account_regions}))
    read = Coverage(
        accounts=len(accounts),
        regions=len(regions),
        account_regions=len(mapped.account_regions),
        account_regions_failed=0,
        user_pools=len({client.pool.key for client in mapped.clients}),
        account_ids=accounts,
        region_names=regions,
    )
    return LiveRead(mapped.clients, notes, read)
