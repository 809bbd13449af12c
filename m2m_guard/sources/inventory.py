"""The inventory files ``m2m-guard sweep`` writes (see m2m_guard/sweep/inventory.py).

Reading them is how live findings get their physical location, and it lets ``scan`` evaluate a
saved sweep again offline.
"""

from __future__ import annotations

import re
from typing import Any

from m2m_guard.model import AppClient, Location, Pool, Usage
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.normalize import normalize

FORMAT_KEY = "m2mGuardInventory"


def matches(data: Any) -> bool:
    return isinstance(data, dict) and FORMAT_KEY in data


def _line(doc: Document, key: str, value: str, start: int) -> tuple[int | None, int]:
    """Line of ``"key": "value"`` at or after ``start``, and where to search next."""
    offset = doc.find(re.escape(f'"{key}": "{value}"'), start)
    if offset is None:
        return None, start
    return doc.line_at(offset), offset + 1


def load(doc: Document) -> list[AppClient]:
    data = doc.data
    if data.get(FORMAT_KEY) != 1 or not isinstance(data.get("userPools"), list):
        raise SourceError("not an m2m-guard inventory of format 1")
    usage = data.get("usage") or {}
    window = usage.get("windowDays") or 0
    requests = usage.get("tokenRequests") or {}
    source = "; ".join(usage.get("sources") or []) or "usage data"
    clients: list[AppClient] = []
    cursor = 0
    for pool in data["userPools"]:
        if not isinstance(pool, dict) or not isinstance(pool.get("Id"), str):
            continue
        pool_line, cursor = _line(doc, "Id", pool["Id"], cursor)
        arn = pool.get("Arn") if isinstance(pool.get("Arn"), str) else None
        names = tuple(n for n in (pool["Id"], pool.get("Name"), arn) if isinstance(n, str) and n)
        identity = Pool(
            key=pool["Id"],
            label=pool["Id"],
            names=names,
            location=Location(doc.path, pool_line, pool_id=pool["Id"], arn=arn),
            resource_servers=tuple(s for s in pool.get("ResourceServers") or [] if isinstance(s, str)),
        )
        for raw in pool.get("AppClients") or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("ClientId"), str):
                continue
            client_id = raw["ClientId"]
            line, cursor = _line(doc, "ClientId", client_id, cursor)
            count = requests.get(client_id)
            clients.append(
                AppClient(
                    record=normalize(raw),
                    location=Location(
                        doc.path, line, client_id=client_id, arn=f"{arn}/client/{client_id}" if arn else None
                    ),
                    pool=identity,
                    usage=Usage(count, float(window), source) if isinstance(count, int) and window else None,
                )
            )
    return clients
