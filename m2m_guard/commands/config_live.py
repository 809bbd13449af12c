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
from typing import Any

from m2m_guard.commands import UsageProblem
from m2m_guard.commands.live import LiveOptions, LiveRead, check_numbers, check_outputs
from m2m_guard.model import AppClient, Coverage, Notification, Severity, plural
from m2m_guard.sources.config_items import (
    RESOURCE_TYPE,
    ClientKey,
    client_key,
    load_items,
    location_path,
    stale_notes,
    with_described,
)

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

#: The Cognito sweep's options that ``--describe-m2m`` takes too: the role in other accounts.
DESCRIBE_OPTIONS = frozenset({"role_name", "external_id"})


def check(live: LiveOptions, reports: Sequence[tuple[str, str | None]]) -> None:
    """The options, before the query: one line and exit 2 for each mistake."""
    mode = "--config-aggregator" if live.config_aggregator is not None else "--config"
    if live.config and live.config_aggregator is not None:
        raise UsageProblem("use either --config or --config-aggregator NAME, not both")
    for name, option in COGNITO_ONLY:
        if name in DESCRIBE_OPTIONS and live.describe_m2m:
            continue
        if getattr(live, name):
            also = " (and of --describe-m2m)" if name in DESCRIBE_OPTIONS else ""
            raise UsageProblem(
                f"{option} is an option of the Cognito sweep{also}; {mode} reads what AWS Config recorded"
            )
    if live.external_id and not live.role_name:
        raise UsageProblem("--external-id goes with --role-name (the role to assume in other accounts)")
    check_numbers(live)
    check_outputs(live, reports)


def config_clients(live: LiveOptions, reports: Sequence[tuple[str, str | None]]) -> LiveRead:
    """Query AWS Config and map its items; a query that fails is a fatal notification (the
    report is still written, and the exit code is 2), like an account a sweep cannot read."""
    check(live, reports)
    from m2m_guard.sweep import aws
    from m2m_guard.sweep.config_query import ConfigQueryError, select_items

    try:
        session = aws.session()
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
    clients, fresh = mapped.clients, set[ClientKey]()
    if live.describe_m2m:
        clients, fresh = describe(session, live, clients, notes)
    notes.extend(stale_notes(mapped, fresh))
    accounts = tuple(sorted({account for account, _ in mapped.account_regions}))
    regions = tuple(sorted({region for _, region in mapped.account_regions}))
    read = Coverage(
        accounts=len(accounts),
        regions=len(regions),
        account_regions=len(mapped.account_regions),
        account_regions_failed=0,
        user_pools=len({client.pool.key for client in clients}),
        account_ids=accounts,
        region_names=regions,
    )
    return LiveRead(clients, notes, read)


def describe(
    session: Any, live: LiveOptions, clients: list[AppClient], notes: list[Notification]
) -> tuple[list[AppClient], set[ClientKey]]:
    """``--describe-m2m``: the clients with what DescribeUserPoolClient says of the (possibly)
    M2M ones (m2m_guard/sweep/config_describe.py), those deleted since Config recorded them left
    out; and the keys of those described. A client that could not be described keeps Config's
    values, with one warning per account (or account-region) naming the failure. When not one
    of them could be described, that is an error (exit 2): the option asked for did nothing,
    which means a role or a permission is missing everywhere, and a CI run must not pass on as
    if it had worked; a partial failure stays a warning, since every client is still checked
    (as Config recorded it)."""
    from m2m_guard.sweep.config_describe import describe_m2m

    wanted = {client_key(client): client for client in clients if client.is_m2m is not False}
    done = describe_m2m(
        session,
        sorted(wanted),
        role_name=live.role_name,
        external_id=live.external_id,
        endpoint_url=live.endpoint_url,
        max_rps=live.max_rps,
        concurrency=live.concurrency,
        region_workers=live.region_workers,
    )
    nothing = bool(wanted) and not done.records and not done.deleted
    for (account, region), (why, count) in sorted(
        done.failures.items(), key=lambda f: (f[0][0], f[0][1] or "")
    ):
        where = f"account {account}" + (f", region {region}" if region else "")
        notes.append(
            Notification(
                f"{where}: {plural(count, 'M2M client', grouped=True)} not described ({why}); "
                "checked as AWS Config recorded them",
                Severity.ERROR if nothing else Severity.WARNING,
                fatal=nothing,
                path=location_path("aws-config", account, region) if region else None,
            )
        )
    for account, region, pool_id, client_id in done.deleted:
        notes.append(
            Notification(
                f"account {account}, region {region}: user pool {pool_id}: client {client_id} no longer "
                "exists (ResourceNotFoundException); AWS Config recorded it before it was deleted: left out",
                Severity.WARNING,
                path=location_path("aws-config", account, region),
            )
        )
    gone = set(done.deleted)
    out: list[AppClient] = []
    for client in clients:
        key = client_key(client)
        if key in gone:
            continue
        found = done.records.get(key)
        out.append(with_described(client, *found) if found else client)
    return out, set(done.records)
