"""The redacted inventory a sweep writes: one JSON file per account and region.

Live findings point at the client's line in it, so they can be uploaded to code scanning like
IaC findings, and ``m2m-guard scan`` can evaluate a saved sweep again later. It holds what
DescribeUserPoolClient returned, minus ``ClientSecret`` (only ``GenerateSecret`` says whether a
secret exists), plus the user pools' resource servers, the token requests counted, and when the
account-region was read (``sweptAt``: of several saved inventories of one account-region, the
newest counts; see m2m_guard/sources/inventory.py). A region without user pools has no file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from m2m_guard.sweep.discovery import RegionInventory

FORMAT_KEY = "m2mGuardInventory"
FORMAT_VERSION = 1
#: The auth flow of the GetClientToken API, whose token requests CloudTrail's Token_POST
#: events (all that the sweep counts) do not include.
TOKEN_API_FLOW = "ALLOW_CLIENT_TOKEN_AUTH"


def is_inventory(data: bytes) -> bool:
    """Whether a file's content is an inventory m2m-guard wrote (before replacing or removing it)."""
    return f'"{FORMAT_KEY}"'.encode() in data[:200]


def relative_path(inventory: RegionInventory) -> str:
    return f"{inventory.account}/{inventory.region}.json"


def render(
    inventory: RegionInventory,
    usage_for: Callable[[str], tuple[int | None, str | None]],
    window_days: int,
) -> str:
    """The inventory as text; ``usage_for(client_id)`` gives (requests, source) or (None, None)."""
    requests: dict[str, int] = {}
    sources: set[str] = set()
    pools: list[dict[str, Any]] = []
    for pool in inventory.pools:
        clients = sorted(pool.clients, key=lambda c: str(c.get("ClientId")))
        for client in clients:
            count, source = usage_for(str(client.get("ClientId")))
            if count == 0 and TOKEN_API_FLOW in (client.get("ExplicitAuthFlows") or ()):
                # GetClientToken calls are not Token_POST events: seeing none proves nothing.
                count = None
            if count is not None:
                requests[str(client["ClientId"])] = count
                sources.add(str(source))
        pools.append(
            {
                "Id": pool.id,
                "Name": pool.name,
                "Arn": pool.arn,
                "ResourceServers": pool.resource_servers,
                "AppClients": [{k: v for k, v in c.items() if k != "ClientSecret"} for c in clients],
            }
        )
    document = {
        FORMAT_KEY: FORMAT_VERSION,
        "account": inventory.account,
        "region": inventory.region,
        **({"sweptAt": inventory.swept_at} if inventory.swept_at else {}),
        "usage": {"windowDays": window_days, "sources": sorted(sources), "tokenRequests": requests},
        "userPools": pools,
    }
    return json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n"
