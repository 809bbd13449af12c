"""From live accounts to app clients, for ``sweep`` and ``cost --live``: check the sweep's
options, sweep, write the redacted inventories, and read the clients back from them (so that
a live finding points at a line of a file, like an IaC finding).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ParamSpec

from m2m_guard import __version__
from m2m_guard.commands import UsageProblem
from m2m_guard.commands._io import read_text, say, write_file
from m2m_guard.files import display_path, project_root, read_input, safe_path
from m2m_guard.model import AppClient, Coverage, Notification, Severity
from m2m_guard.sources import inventory as inventory_source
from m2m_guard.sources import parse
from m2m_guard.sweep import runner
from m2m_guard.sweep.accounts import TargetError, parse_account_list, parse_regions, parse_shard
from m2m_guard.sweep.inventory import is_inventory, relative_path, render
from m2m_guard.usage_file import render_usage

#: The sweep's numeric options: (option, field of LiveOptions, smallest, largest allowed). The
#: upper bounds are far above any useful value (Cognito's read quotas are 15 to 20 requests per
#: second); they keep absurd numbers from reaching the sweep.
NUMERIC_OPTIONS: tuple[tuple[str, str, float, float], ...] = (
    ("--concurrency", "concurrency", 1, 256),
    ("--region-workers", "region_workers", 1, 256),
    ("--max-rps", "max_rps", 0.01, 1000),  # 0.01: one request every 100 seconds
    # ten years: CloudWatch Logs' longest retention, and the longest window a usage file takes
    ("--lookback-days", "lookback_days", 1, 3653),
    ("--max-lookup-pages", "max_lookup_pages", 1, 100_000),
    ("--config-max-age", "config_max_age", 1, 3653),
)
#: ``--config-max-age``: AWS Config items older than this many days are reported as such
#: (m2m_guard/sources/config_items.py). Config records a client when it changes, so age alone
#: is not staleness; 30 days is a month of quiet, the window the usage count also looks at by
#: default, long enough that a note means a client nobody has touched (or a recorder that
#: stopped) rather than every client on every run.
CONFIG_MAX_AGE_DAYS = 30
#: CloudTrail keeps 90 days of management events for LookupEvents ("Viewing events with
#: CloudTrail Event history", AWS CloudTrail User Guide): a longer window would call clients
#: unused on 90 days of events.
LOOKUP_EVENTS_DAYS = 90

#: How to add the AWS SDK, which only the live commands need (scans never call AWS, so the
#: pre-commit hook and CI installs stay small).
AWS_EXTRA_HINT = "pip install 'm2m-guard[aws] @ git+https://github.com/m2m-guard/m2m-guard@v{version}'"


@dataclass(frozen=True)
class LiveOptions:
    """The sweep's options as given (named like their ``--options``), before any check."""

    regions: str | None
    allow_unknown_regions: bool
    role_name: str | None
    accounts: str | None  # ids, comma-separated, or a file of them
    organization: bool
    external_id: str | None
    shard: str | None  # K/N
    endpoint_url: str | None
    concurrency: int
    region_workers: int
    max_rps: float
    lookback_days: int
    cloudtrail_log_group: str | None
    cloudtrail_log_region: str | None
    cloudtrail_lookup: bool
    max_lookup_pages: int
    export_usage: str | None
    inventory_dir: str
    #: AWS Config instead of Cognito: this account's recorder, or an aggregator by name.
    config: bool = False
    config_aggregator: str | None = None
    config_max_age: int = CONFIG_MAX_AGE_DAYS
    #: With AWS Config: describe the (possibly) M2M clients it found, for what it lacks.
    describe_m2m: bool = False


@dataclass(frozen=True)
class LiveRead:
    """What a sweep read, as the engine takes it: the clients read back from the inventories,
    what went wrong, and what was read."""

    clients: list[AppClient]
    notifications: list[Notification]
    read: Coverage


def live_clients(command: str, live: LiveOptions, reports: Sequence[tuple[str, str | None]]) -> LiveRead:
    """Sweep, write the redacted inventories, and read them back. ``command`` names the command
    in the message that the AWS SDK is missing; ``reports`` are the (option, file) the command
    will write, checked before the sweep starts."""
    _require_aws(command)
    if live.config or live.config_aggregator is not None:
        from m2m_guard.commands.config_live import config_clients

        return config_clients(live, reports)
    for given, option in (
        (live.config_max_age != CONFIG_MAX_AGE_DAYS, "--config-max-age"),
        (live.describe_m2m, "--describe-m2m"),
    ):
        if given:
            raise UsageProblem(f"{option} applies to --config and --config-aggregator")
    options = sweep_options(live, reports)
    swept = runner.run_sweep(options, progress=say if sys.stderr.isatty() else None)
    notifications = [
        Notification(p.message, Severity.ERROR if p.fatal else Severity.WARNING, fatal=p.fatal)
        for p in swept.problems
    ]
    # From here on the sweep is done: a file that cannot be written is one more error in the
    # report (exit 2), never the loss of the report itself.
    clients = _inventory_clients(Path(live.inventory_dir), swept, options.lookback_days, notifications)
    if live.export_usage:
        text = render_usage(clients, options.lookback_days, swept.used_clients())
        _noting(notifications, write_file, Path(live.export_usage), text, "usage file")
    read = Coverage(**dataclasses.asdict(swept.counts()))  # the same fields, by name
    return LiveRead(clients, notifications, read)


def _require_aws(command: str) -> None:
    if importlib.util.find_spec("boto3") is None:
        hint = AWS_EXTRA_HINT.format(version=__version__)
        raise UsageProblem(f"{command} needs the AWS SDK (boto3), which is not installed: {hint}")


# -- the options -------------------------------------------------------------------------


def sweep_options(live: LiveOptions, reports: Sequence[tuple[str, str | None]] = ()) -> runner.SweepOptions:
    """The sweep's options checked, in one place, before anything is read or swept."""
    check_numbers(live)
    if (live.accounts or live.organization) and not live.role_name:
        raise UsageProblem(
            "--accounts and --organization need --role-name (the role to assume in each account)"
        )
    if live.accounts and live.organization:
        raise UsageProblem("use either --accounts or --organization, not both")
    try:
        accounts = _accounts(live.accounts)
        shard = parse_shard(live.shard) if live.shard else None
        regions = (
            parse_regions(live.regions, live.allow_unknown_regions) if live.regions is not None else None
        )
    except TargetError as exc:
        raise UsageProblem(str(exc)) from None
    log_region = _log_region(live)
    check_outputs(live, reports)
    return runner.SweepOptions(
        regions=regions,
        role_name=live.role_name,
        accounts=accounts,
        organization=live.organization,
        external_id=live.external_id,
        shard=shard,
        concurrency=live.concurrency,
        region_workers=live.region_workers,
        max_rps=live.max_rps,
        lookback_days=live.lookback_days,
        log_group=live.cloudtrail_log_group,
        log_region=log_region,
        lookup=live.cloudtrail_lookup,
        max_lookup_pages=live.max_lookup_pages,
        endpoint_url=live.endpoint_url,
    )


def _number(value: float) -> str:
    return f"a number of {len(str(value))} digits" if type(value) is int and value >= 10**16 else f"{value:g}"


def check_numbers(live: LiveOptions) -> None:
    """Every numeric sweep option (argparse has made them numbers: ``nan`` and ``inf`` are
    floats to it)."""
    for option, name, least, most in NUMERIC_OPTIONS:
        value = getattr(live, name)
        if value != value:  # NaN compares false with everything
            raise UsageProblem(f"{option} must be a number; got {value}")
        if value < least:
            wanted = "above 0" if value <= 0 and least < 1 else f"at least {least:g}"
            raise UsageProblem(f"{option} must be {wanted}; got {_number(value)}")
        if value > most:
            raise UsageProblem(f"{option} must be at most {most:,}; got {_number(value)}")
    if live.cloudtrail_lookup and live.lookback_days > LOOKUP_EVENTS_DAYS:
        raise UsageProblem(
            f"--lookback-days must be at most {LOOKUP_EVENTS_DAYS} with --cloudtrail-lookup (CloudTrail's "
            f"LookupEvents keeps {LOOKUP_EVENTS_DAYS} days of events); got {live.lookback_days}"
        )


def _accounts(given: str | None) -> list[str]:
    """``--accounts``: a file of account ids, else the ids themselves."""
    if not given:
        return []
    return parse_account_list(read_text(given, "account list") if Path(given).is_file() else given)


def _log_region(live: LiveOptions) -> str | None:
    """``--cloudtrail-log-region``, checked like ``--regions`` so that a misspelt region fails
    now, not after the sweep."""
    if live.cloudtrail_log_region is None:
        return None
    try:
        log_regions = parse_regions(live.cloudtrail_log_region, live.allow_unknown_regions)
    except TargetError as exc:
        raise UsageProblem(str(exc).replace("--regions", "--cloudtrail-log-region", 1)) from None
    if len(log_regions) != 1:
        raise UsageProblem("--cloudtrail-log-region takes one region name, e.g. eu-west-1")
    return log_regions[0]


def check_outputs(live: LiveOptions, reports: Sequence[tuple[str, str | None]]) -> None:
    """Where a sweep will write, checked before it starts: an hour of sweeping must not end in
    "is a folder"."""
    for option, value in (*reports, ("--export-usage", live.export_usage)):
        if value is not None and Path(value).is_dir() and not Path(value).is_symlink():
            raise UsageProblem(f"{option} {value}: is a folder; give a file name")
    if Path(live.inventory_dir).exists() and not Path(live.inventory_dir).is_dir():
        raise UsageProblem(f"--inventory-dir {live.inventory_dir}: is not a folder")


# -- the inventories ---------------------------------------------------------------------


def _inventory_clients(
    folder: Path, swept: runner.SweepResult, window_days: int, notifications: list[Notification]
) -> list[AppClient]:
    """Write each account-region's inventory under ``folder`` and read its clients back from the
    text, written or not: their findings still count. A file that cannot be written or removed
    is added to ``notifications``."""
    root = project_root(Path.cwd()).resolve()
    clients: list[AppClient] = []
    for inventory in swept.inventories:
        path = folder / relative_path(inventory)
        if not inventory.readable or not inventory.pools:
            # Nothing read, or nothing to point at: no file. One left by an earlier sweep
            # would now be stale, and a later scan would trust it.
            _noting(notifications, _remove_stale_inventory, path)
            continue
        text = render(inventory, partial(swept.usage_for, inventory.account, inventory.region), window_days)
        _noting(notifications, _write_inventory, path, text)
        clients.extend(inventory_source.load(parse(display_path(path.resolve(), root), text)))
    return clients


def _remove_stale_inventory(path: Path) -> None:
    """Remove an inventory an earlier sweep wrote at ``path`` (a regular file that says it is
    one; anything else there is left alone)."""
    try:
        if stat.S_ISREG(path.lstat().st_mode) and is_inventory(read_input(path, limit=200)):
            path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot remove the stale inventory: {exc.strerror or exc}") from None


def _write_inventory(path: Path, text: str) -> None:
    """``<inventory dir>/<account>/<region>.json``: the account folder is m2m-guard's own, so a
    symlink found in its place (planted in a checked-out repository) is refused, not followed."""
    if path.parent.is_symlink():
        raise UsageProblem(f"{path.parent}: cannot write inventory: a symbolic link, not followed")
    write_file(path, text, "inventory")


P = ParamSpec("P")


def _noting(
    notifications: list[Notification], action: Callable[P, None], *args: P.args, **kwargs: P.kwargs
) -> None:
    """Run ``action``; a problem it raises becomes a fatal notification (its message holds paths
    from the command line, made valid text)."""
    try:
        action(*args, **kwargs)
    except UsageProblem as exc:
        notifications.append(Notification(safe_path(str(exc)), fatal=True))
