"""The sweep: accounts × regions, read concurrently within Cognito's quotas, plus usage."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.model import plural
from m2m_guard.sweep import accounts, aws
from m2m_guard.sweep.cloudtrail import (
    ClientUsage,
    UsageCount,
    client_usage,
    failing_notes,
    logs_insights,
    lookup_events,
    usage_notes,
)
from m2m_guard.sweep.discovery import RegionInventory, discover_region
from m2m_guard.sweep.ratelimit import RegionLimiter, TokenBucket

#: CloudTrail LookupEvents allows 2 requests per second per account and region.
LOOKUP_RPS = 2.0

#: One account-region to sweep.
Work = tuple[accounts.Target, str]


@dataclass
class SweepOptions:
    regions: list[str] | None = None
    role_name: str | None = None
    accounts: list[str] = field(default_factory=list)
    organization: bool = False
    external_id: str | None = None
    shard: tuple[int, int] | None = None
    concurrency: int = 8
    region_workers: int = 4
    max_rps: float = 10.0
    lookback_days: int = 30
    log_group: str | None = None
    log_region: str | None = None
    lookup: bool = False
    max_lookup_pages: int = 20
    endpoint_url: str | None = None


@dataclass
class Problem:
    message: str
    fatal: bool


@dataclass(frozen=True)
class SweepCounts:
    """What a sweep read: accounts and regions with an account-region read, the account-regions
    read and not read, and the user pools in those read (their clients are counted as read
    back from the inventory)."""

    accounts: int
    regions: int
    account_regions: int
    account_regions_failed: int
    user_pools: int
    #: The accounts and regions counted, sorted: shards of one sweep merge into exact counts.
    account_ids: tuple[str, ...] = ()
    region_names: tuple[str, ...] = ()


@dataclass
class SweepResult:
    inventories: list[RegionInventory] = field(default_factory=list)
    #: (account, region or None for account-wide sources) -> usage counts
    usage: dict[tuple[str, str | None], UsageCount] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> SweepCounts:
        read = [inventory for inventory in self.inventories if inventory.readable]
        return SweepCounts(
            accounts=len({inventory.account for inventory in read}),
            regions=len({inventory.region for inventory in read}),
            account_regions=len(read),
            account_regions_failed=len(self.inventories) - len(read),
            user_pools=sum(len(inventory.pools) for inventory in read),
            account_ids=tuple(sorted({inventory.account for inventory in read})),
            region_names=tuple(sorted({inventory.region for inventory in read})),
        )

    def usage_for(self, account: str, region: str, client_id: str) -> ClientUsage:
        """Successful token requests of one client, and the source, preferring Logs Insights over
        LookupEvents (see m2m_guard/sweep/cloudtrail.py).

        ``requests`` is None when no source covers the client, or the covering ones cannot prove
        a client unused (they stopped early, or some events name no client) and never saw it
        succeed, or all its requests failed.
        """
        sources = (self.usage.get((account, None)), self.usage.get((account, region)))
        return client_usage(sources, region, client_id)

    def used_clients(self) -> dict[str, int]:
        """Successful token requests by client id, for every client the account-wide sources
        (Logs Insights over a trail's log group) saw, swept or not: an organization trail in a
        logging account names the clients of every account. Only clients seen succeeding: that
        a client no swept account holds made no request cannot be told from here."""
        used: dict[str, int] = {}
        for (_, scope), count in self.usage.items():
            if scope is not None or count.error:
                continue
            for clients in count.tallies.values():
                for client_id, tally in clients.items():
                    if client_id and tally.succeeded:
                        used[client_id] = used.get(client_id, 0) + tally.succeeded
        return used


def _targets(base: Any, options: SweepOptions, out: SweepResult) -> list[accounts.Target]:
    try:
        account, partition = accounts.caller(base, options.endpoint_url)
    except Exception as exc:
        out.problems.append(Problem(f"cannot identify the current credentials: {aws.error_text(exc)}", True))
        return []
    if not options.role_name:
        return [accounts.Target(account, base, partition)]
    ids = list(options.accounts)
    if options.organization:
        try:
            ids = accounts.organization_accounts(base, options.endpoint_url)
        except Exception as exc:
            out.problems.append(
                Problem(f"cannot list the organization's accounts: {aws.error_text(exc)}", True)
            )
            return []
    if options.shard:
        ids = accounts.shard(sorted(ids), *options.shard)
    targets = []
    for account_id in ids:
        try:
            session = accounts.assume(
                base, account_id, options.role_name, partition, options.external_id, options.endpoint_url
            )
        except Exception as exc:
            out.problems.append(
                Problem(
                    f"account {account_id}: cannot assume role {options.role_name}: {aws.error_text(exc)}",
                    True,
                )
            )
            continue
        targets.append(accounts.Target(account_id, session, partition))
    return targets


def _regions(target: accounts.Target, options: SweepOptions, out: SweepResult) -> list[str]:
    if options.regions:
        return list(dict.fromkeys(options.regions))  # a region named twice is swept once
    try:
        plan = accounts.region_plan(target.session, options.endpoint_url, target.partition)
    except Exception as exc:
        out.problems.append(
            Problem(
                f"account {target.account}: cannot list enabled regions ({aws.error_text(exc)}); "
                "sweeping every region that offers Cognito",
                False,
            )
        )
        return sorted(accounts.cognito_regions(target.partition))
    # An enabled region the SDK cannot sweep is said once, not once per account.
    for note in plan.notes():
        if all(problem.message != note for problem in out.problems):
            out.problems.append(Problem(note, False))
    return plan.sweep


def _work(targets: list[accounts.Target], options: SweepOptions, out: SweepResult) -> list[Work]:
    """The account-regions to sweep, this shard's only."""
    work = [(t, r) for t in targets for r in _regions(t, options, out)]
    if options.shard and not options.role_name:
        work = accounts.shard(work, *options.shard)  # one account: split its regions instead
    return work


def _sweep_region(
    target: accounts.Target, region: str, options: SweepOptions
) -> tuple[RegionInventory, UsageCount | None]:
    """One account-region, in a worker thread: its user pools and clients, and its token requests
    when asked for. Each gets its own limiters, since Cognito's and CloudTrail's quotas hold per
    account and region."""
    cognito = aws.client(target.session, "cognito-idp", region, options.endpoint_url)
    inventory = discover_region(
        cognito,
        target.account,
        region,
        RegionLimiter(options.max_rps),
        partition=target.partition,
        workers=options.region_workers,
    )
    lookup = None
    if options.lookup and inventory.readable:
        trail = aws.client(target.session, "cloudtrail", region, options.endpoint_url)
        lookup = lookup_events(
            trail,
            options.lookback_days,
            max_pages=options.max_lookup_pages,
            throttle=TokenBucket(LOOKUP_RPS).acquire,
        )
    return inventory, lookup


def _outcome(
    future: Future[tuple[RegionInventory, UsageCount | None]], target: accounts.Target, region: str
) -> tuple[RegionInventory, UsageCount | None]:
    """What one worker read; a region it could not start on (e.g. no client could be created for
    it) becomes an unread inventory: not counted as read, and no inventory file is written."""
    try:
        return future.result()
    except Exception as exc:
        return RegionInventory(target.account, region, errors=[aws.error_text(exc)], readable=False), None


def _progress_line(done: int, total: int, work: Work, inventory: RegionInventory) -> str:
    target, region = work
    clients = sum(len(p.clients) for p in inventory.pools)
    return (
        f"[{done}/{total}] {target.account} {region}: "
        f"{plural(len(inventory.pools), 'pool')}, {plural(clients, 'client')}"
    )


def _sweep_all(
    work: list[Work], options: SweepOptions, out: SweepResult, progress: Callable[[str], None] | None
) -> None:
    """Sweep ``work``, ``options.concurrency`` account-regions at a time, collecting each one's
    results in this thread as it completes."""
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as executor:
        futures = {executor.submit(_sweep_region, t, r, options): (t, r) for t, r in work}
        for done, future in enumerate(as_completed(futures), 1):
            target, region = futures[future]
            inventory, lookup = _outcome(future, target, region)
            out.inventories.append(inventory)
            if lookup is not None:
                out.usage[(target.account, region)] = lookup
            if progress:
                progress(_progress_line(done, len(work), (target, region), inventory))


def _count_log_group(
    base: Any, targets: list[accounts.Target], log_group: str, options: SweepOptions, out: SweepResult
) -> None:
    """Token requests counted with Logs Insights over ``log_group``, once per account: one query
    covers every region the trail logs."""
    log_region = options.log_region or base.region_name or "us-east-1"
    for target in targets:
        logs = aws.client(target.session, "logs", log_region, options.endpoint_url)
        out.usage[(target.account, None)] = logs_insights(logs, log_group, options.lookback_days)


def _region_problems(inventory: RegionInventory, out: SweepResult, lookback_days: int) -> Iterator[Problem]:
    """What went wrong in one account-region: what could not be read (fatal), warnings, and the
    M2M clients whose token requests all failed."""
    where = f"account {inventory.account}, region {inventory.region}"
    yield from (Problem(f"{where}: {error}", True) for error in inventory.errors)
    yield from (Problem(f"{where}: {warning}", False) for warning in inventory.warnings)
    if out.usage and inventory.readable:
        usage_of = functools.partial(out.usage_for, inventory.account, inventory.region)
        yield from (Problem(note, False) for note in failing_notes(inventory, usage_of, lookback_days))


def _collect_problems(out: SweepResult, lookback_days: int) -> None:
    """The usage sources' notes, then each account-region's problems, in account and region order
    (workers finish in any order)."""
    for (account, scope), count in sorted(out.usage.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        out.problems.extend(Problem(note, False) for note in usage_notes(account, scope, count))
    out.inventories.sort(key=lambda inv: (inv.account, inv.region))
    for inventory in out.inventories:
        out.problems.extend(_region_problems(inventory, out, lookback_days))


def _nothing_swept(targets: list[accounts.Target], work: list[Work]) -> Problem:
    """Nothing read and nothing failed: an empty report must not pass for a clean sweep."""
    nothing = "no account" if not targets else "no region" if not work else "no account-region"
    return Problem(
        f"nothing was swept: {nothing} to sweep (check the account, region and shard options)", True
    )


def run_sweep(
    options: SweepOptions,
    session_factory: Callable[[], Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SweepResult:
    """Sweep the accounts and regions ``options`` select; what could not be swept becomes a
    problem in the result (a fatal one when part of the inventory is missing), never only a log
    line."""
    if session_factory is None:
        session_factory = aws.session
    out = SweepResult()
    base = session_factory()
    targets = _targets(base, options, out)
    work = _work(targets, options, out)
    _sweep_all(work, options, out, progress)
    if options.log_group:
        _count_log_group(base, targets, options.log_group, options, out)
    _collect_problems(out, options.lookback_days)
    if not any(inventory.readable for inventory in out.inventories) and not any(
        problem.fatal for problem in out.problems
    ):
        out.problems.append(_nothing_swept(targets, work))
    return out
