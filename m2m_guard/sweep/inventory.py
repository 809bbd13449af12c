"""The redacted inventory a sweep writes: one JSON file per account and region.

Live findings point at the client's line in it, so they can be uploaded to code scanning like
IaC findings, and ``m2m-guard scan`` can evaluate a saved sweep again later. It holds what
DescribeUserPoolClient returned, minus ``ClientSecret`` (only ``GenerateSecret`` says whether a
secret exists; ``ClientSecretArn``, where Cognito keeps a secret in Secrets Manager, is kept;
``SecretUnknown`` names the M2M clients for which that could not be told), plus the user pools'
resource servers and settings, the token requests counted, and when the account-region was read
(``sweptAt``: of several saved inventories of one account-region, the newest counts; see
m2m_guard/sources/inventory.py), and ``errors``, what could not be read there when the sweep
read only part of it. A region without user pools, or whose user pools could not be listed at
all, has no file: the sweep removes the one an earlier sweep left, which a later ``scan`` would
otherwise trust.
A replicated pool is written in its primary's region, with ``Replicas``; a secondary replica is
only listed (``secondaryReplicas``), its app clients being the primary's.

Each pool's ``Settings`` hold what DescribeUserPool said of its feature plan and pre token
generation trigger, in DescribeUserPool's shape and nothing else of it (``{"UserPoolTier":
"PLUS", "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": ..., "LambdaVersion":
"V3_0"}}}``; a key AWS did not return is absent), or ``SettingsUnknown`` says why they could not
be read. The member is new within format 1, which it does not change: a reader that does not
know it ignores it, and m2m_guard/sources/inventory.py reads a pool without either member (an
inventory written before the sweep read settings) as one whose settings are not known.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.sweep.aws import without_secrets
from m2m_guard.sweep.cloudtrail import ClientUsage
from m2m_guard.sweep.discovery import PoolInventory, RegionInventory

FORMAT_KEY = "m2mGuardInventory"
FORMAT_VERSION = 1
#: How ``usage.tokenRequests`` was counted. 2: successful responses only, the client named by
#: ``additionalEventData.clientId`` or the body's ``client_id``, and no zero where some events
#: name no client. Files without it (1) read the body's ``client_id`` only: HTTP Basic clients
#: counted 0 there, so their zeros prove nothing (m2m_guard/sources/inventory.py ignores them).
COUNT_VERSION = 2
#: The auth flow of the GetClientToken API, whose token requests CloudTrail's Token_POST
#: events (all that the sweep counts) do not include.
TOKEN_API_FLOW = "ALLOW_CLIENT_TOKEN_AUTH"


def is_inventory(data: bytes) -> bool:
    """Whether a file's content is an inventory m2m-guard wrote (before replacing or removing it)."""
    return f'"{FORMAT_KEY}"'.encode() in data[:200]


def relative_path(inventory: RegionInventory) -> str:
    return f"{inventory.account}/{inventory.region}.json"


@dataclass
class _UsageMember:
    """The ``usage`` member of an inventory, built one client at a time."""

    requests: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)

    def add(
        self, client: dict[str, Any], usage: ClientUsage | tuple[int | None, str | None], replicated: bool
    ) -> None:
        """Count one client; a zero that cannot prove it unused is not written as one."""
        client_id = str(client.get("ClientId"))
        count, source = usage[0], usage[1]
        if isinstance(usage, ClientUsage):
            if usage.failed:
                self.failed[client_id] = usage.failed
                self.sources.update([usage.source] if usage.source else [])
            if count is None and usage.note:
                self.notes.add(usage.note)
        if count == 0 and (why := _unproven_zero(client, replicated)):
            count = None
            self.notes.add(why)
        if count is not None:
            self.requests[client_id] = count
            self.sources.add(str(source))

    def document(self, window_days: int) -> dict[str, Any]:
        return {
            "countVersion": COUNT_VERSION,
            "windowDays": window_days,
            "sources": sorted(self.sources),
            "tokenRequests": self.requests,
            **({"failedTokenRequests": self.failed} if self.failed else {}),
            **({"notes": sorted(self.notes)} if self.notes else {}),
        }


def _unproven_zero(client: dict[str, Any], replicated: bool) -> str | None:
    """Why no token request seen for ``client`` in this region proves nothing, or None."""
    if TOKEN_API_FLOW in (client.get("ExplicitAuthFlows") or ()):
        # GetClientToken calls are not Token_POST events: seeing none proves nothing.
        return "GetClientToken requests are not counted"
    if replicated:
        # A secondary replica in another region can serve this client's tokens (the
        # replicas share client ids): this region's zero alone proves nothing.
        return "token requests served by a replica in another region are not added"
    return None


def _pool_member(pool: PoolInventory, clients: list[dict[str, Any]]) -> dict[str, Any]:
    """One entry of ``userPools``: its app clients without their secrets."""
    return {
        "Id": pool.id,
        "Name": pool.name,
        "Arn": pool.arn,
        "ResourceServers": pool.resource_servers,
        **({"Replicas": pool.replicas} if pool.replicas else {}),
        **({"SecretUnknown": dict(sorted(pool.secret_unknown.items()))} if pool.secret_unknown else {}),
        **_settings_member(pool),
        "AppClients": [without_secrets(c)[0] for c in clients],
    }


def _settings_member(pool: PoolInventory) -> dict[str, Any]:
    """``Settings``, or ``SettingsUnknown`` when DescribeUserPool failed; neither for a pool
    whose settings were not read."""
    if pool.settings_unknown:
        return {"SettingsUnknown": pool.settings_unknown}
    return {} if pool.settings is None else {"Settings": pool.settings}


def _secondaries_member(inventory: RegionInventory) -> dict[str, Any]:
    """``secondaryReplicas``, if the region holds any: listed only, their clients are the primary's."""
    if not inventory.secondaries:
        return {}
    return {
        "secondaryReplicas": [
            {"Id": r.id, "Name": r.name, "Arn": r.arn, "PrimaryRegion": r.primary_region}
            | ({"Status": r.status} if r.status else {})
            for r in inventory.secondaries
        ]
    }


def render(
    inventory: RegionInventory,
    usage_for: Callable[[str], ClientUsage | tuple[int | None, str | None]],
    window_days: int,
) -> str:
    """The inventory as text; ``usage_for(client_id)`` gives (successful requests, source), or
    (None, None) when unknown, or a ClientUsage that also tells failed requests and why a count
    is unknown.

    ``usage.tokenRequests`` holds the clients whose count is known, ``failedTokenRequests`` those
    with failed requests (a client with failures only is in use but gets no token: not unused),
    and ``notes`` why some counts are unknown.
    """
    usage = _UsageMember()
    pools: list[dict[str, Any]] = []
    for pool in inventory.pools:
        clients = sorted(pool.clients, key=lambda c: str(c.get("ClientId")))
        replicated = any(r.get("Role") != "PRIMARY" for r in pool.replicas)
        for client in clients:
            usage.add(client, usage_for(str(client.get("ClientId"))), replicated)
        pools.append(_pool_member(pool, clients))
    document = {
        FORMAT_KEY: FORMAT_VERSION,
        "account": inventory.account,
        "region": inventory.region,
        **({"sweptAt": inventory.swept_at} if inventory.swept_at else {}),
        # what could not be read there (a pool, a client): the file is then incomplete, and
        # a later scan of it says so
        **({"errors": list(inventory.errors)} if inventory.errors else {}),
        "usage": usage.document(window_days),
        "userPools": pools,
        **_secondaries_member(inventory),
    }
    return json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n"
