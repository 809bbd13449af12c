"""One account and region: user pools, their app clients and resource servers.

ListUserPoolClients returns no flows or scopes, so each client needs one DescribeUserPoolClient:
the minimum is one ListUserPools page per 60 pools, one ListUserPoolClients page per 60 clients,
one ListResourceServers page per 50 servers, and one describe per client.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from m2m_guard.sweep.aws import error_text
from m2m_guard.sweep.ratelimit import RegionLimiter

T = TypeVar("T")


@dataclass
class PoolInventory:
    id: str
    name: str
    arn: str
    resource_servers: list[str] = field(default_factory=list)
    #: Describe-shaped client records, ClientSecret already removed.
    clients: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RegionInventory:
    account: str
    region: str
    pools: list[PoolInventory] = field(default_factory=list)
    #: Problems that stopped part of this account-region from being read (each one line).
    errors: list[str] = field(default_factory=list)
    #: Problems that did not (a client deleted between list and describe).
    warnings: list[str] = field(default_factory=list)
    calls: int = 0
    #: False when not even the user pools could be listed.
    readable: bool = True
    #: When the sweep began reading this account-region (ISO 8601, UTC, to the second): what
    #: tells a newer saved inventory from an older one.
    swept_at: str = ""


def _pages(
    call: Callable[..., dict[str, Any]], key: str, limiter: Callable[[], None], **kwargs: Any
) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        limiter()
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _pool_arn(partition: str, region: str, account: str, pool_id: str) -> str:
    return f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool_id}"


def discover_region(
    cognito: Any,
    account: str,
    region: str,
    limiter: RegionLimiter,
    *,
    partition: str = "aws",
    workers: int = 4,
) -> RegionInventory:
    """Everything m2m-guard needs from one account-region. API errors become ``errors``; a pool
    or client deleted while the sweep runs becomes a warning.

    Pools are read side by side, and the describes of all pools are interleaved, so that the
    per-pool limit (5 requests per second) does not cap the account-region at that rate."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out = RegionInventory(account, region, swept_at=now.isoformat().replace("+00:00", "Z"))
    lock = threading.Lock()

    def counted(operation: str, pool: str | None = None) -> Callable[[], None]:
        def acquire() -> None:
            limiter.acquire(operation, pool)
            with lock:
                out.calls += 1

        return acquire

    try:
        pools = list(_pages(cognito.list_user_pools, "UserPools", counted("ListUserPools"), MaxResults=60))
    except Exception as exc:  # a region we cannot read at all: say why, keep the others going
        out.errors.append(f"cannot list user pools: {error_text(exc)}")
        out.readable = False
        return out

    def read_pool(summary: dict[str, Any]) -> tuple[PoolInventory, list[str]]:
        pool_id = summary["Id"]
        arn = _pool_arn(partition, region, account, pool_id)
        inventory = PoolInventory(pool_id, summary.get("Name", ""), arn)
        listed = _pages(
            cognito.list_user_pool_clients,
            "UserPoolClients",
            counted("ListUserPoolClients", pool_id),
            UserPoolId=pool_id,
            MaxResults=60,
        )
        ids = sorted(c["ClientId"] for c in listed)
        servers = _pages(
            cognito.list_resource_servers,
            "ResourceServers",
            counted("ListResourceServers", pool_id),
            UserPoolId=pool_id,
            MaxResults=50,
        )
        inventory.resource_servers = sorted(s["Identifier"] for s in servers)
        return inventory, ids

    def describe(item: tuple[str, str]) -> Any:
        pool_id, client_id = item
        counted("DescribeUserPoolClient", pool_id)()
        return cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)

    ordered = sorted(pools, key=lambda p: p["Id"])
    with ThreadPoolExecutor(max_workers=max(1, workers)) as executor:
        read: list[tuple[PoolInventory, list[str]]] = []
        for summary, result in zip(ordered, _gather(executor, read_pool, ordered), strict=True):
            pool_id = summary["Id"]
            if _not_found(result):  # deleted since it was listed: not an error
                out.warnings.append(f"user pool {pool_id} disappeared during the sweep")
            elif isinstance(result, BaseException):
                out.errors.append(f"user pool {pool_id}: {error_text(result)}")
            else:
                read.append(result)
        # Interleave the pools in proportion to their size, so that they all finish together:
        # walking them one after the other (or round-robin, which leaves the biggest pool for
        # last) would end the region alone on one pool's 5 requests per second.
        items = [
            (inventory.id, client_id)
            for _, _, inventory, client_id in sorted(
                ((k + 0.5) / len(ids), order, inventory, client_id)
                for order, (inventory, ids) in enumerate(read)
                for k, client_id in enumerate(ids)
            )
        ]
        described = dict(zip(items, _gather(executor, describe, items), strict=True))
    for inventory, ids in read:
        for client_id in ids:
            result = described[(inventory.id, client_id)]
            if _not_found(result):  # deleted since it was listed: not an error
                out.warnings.append(
                    f"user pool {inventory.id}: client {client_id} disappeared during the sweep"
                )
                continue
            if isinstance(result, BaseException):
                out.errors.append(f"user pool {inventory.id}: client {client_id}: {error_text(result)}")
                continue
            record = dict(result["UserPoolClient"])
            record.pop("ClientSecret", None)  # already gone; never let one through
            inventory.clients.append(record)
        out.pools.append(inventory)
    return out


def _not_found(result: Any) -> bool:
    response = getattr(result, "response", None) if isinstance(result, BaseException) else None
    return isinstance(response, dict) and response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def _gather(executor: ThreadPoolExecutor, func: Callable[[T], Any], items: list[T]) -> list[Any]:
    """Results in order; an exception is returned in place of its result."""
    futures = [executor.submit(func, item) for item in items]
    results: list[Any] = []
    for future in futures:
        try:
            results.append(future.result())
        except Exception as exc:
            results.append(exc)
    return results
