"""The inventory files ``m2m-guard sweep`` writes (see m2m_guard/sweep/inventory.py).

Reading them is how live findings get their physical location, and it lets ``scan`` and
``cost`` evaluate saved sweeps again offline.

Each file is a snapshot of one account and region. When several snapshots of the same account
and region are read (``m2m-guard cost inv-2026-11-01 inv-2026-11-02``), only the newest counts,
whole: a client missing from it was deleted since the older one was written, and a client in
both is counted once, with its newest settings and usage. "Newest" is the latest ``sweptAt``
(the UTC time the sweep read that account-region); a file without one (written before
m2m-guard recorded it) is older than any file with one; between equals, the file read last (the
later one on the command line, or in the walk of a folder) wins.

A pool's ``Settings`` (its feature plan and pre token generation trigger, as DescribeUserPool
names them) become ``Pool.settings``; ``SettingsUnknown`` (DescribeUserPool failed) makes them
unknown with that reason; a pool with neither, from an inventory written before the sweep read
them, has ``Pool.settings`` None: not known, never a default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from m2m_guard.model import (
    AppClient,
    Location,
    Notification,
    Pool,
    Severity,
    Unknown,
    Usage,
    describe_value,
    usage_in_bounds,
)
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.normalize import normalize
from m2m_guard.sources.settings import SETTINGS_KEYS, pool_settings

FORMAT_KEY = "m2mGuardInventory"
#: ``usage.countVersion`` from which a zero in ``usage.tokenRequests`` proves no successful
#: request (m2m_guard/sweep/inventory.py). Older files read only the body's ``client_id``, so
#: their zeros include HTTP Basic clients in use: such a zero is unknown usage, never "unused".
ZEROS_TRUSTED_FROM = 2


@dataclass(frozen=True)
class Snapshot:
    """Which account-region an inventory file holds, and when it was read."""

    path: str
    account: str
    region: str
    #: ISO 8601 UTC time, or "" when the file does not say.
    swept_at: str


def matches(data: Any) -> bool:
    return isinstance(data, dict) and FORMAT_KEY in data


def snapshot(doc: Document) -> Snapshot:
    data = doc.data

    def text(key: str) -> str:
        value = data.get(key) if isinstance(data, dict) else None
        return value if isinstance(value, str) else ""

    return Snapshot(doc.path, text("account"), text("region"), text("sweptAt"))


def newest_only(
    clients: Sequence[AppClient], snapshots: Sequence[Snapshot]
) -> tuple[list[AppClient], list[Notification]]:
    """``clients`` without those of inventories that a newer one of the same account-region
    replaces, and one note per replaced file. ``snapshots`` are in the order they were read."""
    newest: dict[tuple[str, str], tuple[tuple[dt.datetime, int], Snapshot]] = {}
    for order, snap in enumerate(snapshots):
        if not (snap.account and snap.region):
            continue  # cannot tell what it is a snapshot of: keep it
        key, rank = (snap.account, snap.region), (_when(snap.swept_at), order)
        if key not in newest or rank >= newest[key][0]:
            newest[key] = (rank, snap)
    winners = {snap.path for _, snap in newest.values()}
    replaced = {
        snap.path: newest[(snap.account, snap.region)][1]
        for snap in snapshots
        if snap.account and snap.region and snap.path not in winners
    }
    notes = [
        Notification(
            f"not counted: {newer.path} is a newer inventory of account {newer.account}, "
            f"region {newer.region}" + (f" (swept {newer.swept_at})" if newer.swept_at else ""),
            Severity.NOTE,
            path=path,
        )
        for path, newer in sorted(replaced.items())
    ]
    return [c for c in clients if c.location.path not in replaced], notes


def _when(text: str) -> dt.datetime:
    """``sweptAt`` as an aware datetime; the earliest one when absent or unreadable."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _line(doc: Document, key: str, value: str, start: int) -> tuple[int | None, int]:
    """Line of ``"key": "value"`` at or after ``start``, and where to search next."""
    offset = doc.keys.find_pair(key, value, start)
    if offset is None:
        return None, start
    return doc.line_at(offset), offset + 1


@dataclass(frozen=True)
class _Counts:
    """The ``usage`` block of an inventory: token requests per client over a window."""

    #: ``windowDays`` as written (checked with the count: usage_in_bounds).
    window: object
    requests: Mapping[str, Any]
    #: Whether a zero proves that no request succeeded (see ZEROS_TRUSTED_FROM).
    zeros_trusted: bool
    source: str

    @classmethod
    def read(cls, usage: Any) -> _Counts:
        usage = usage if isinstance(usage, dict) else {}
        version = usage.get("countVersion")
        requests = usage.get("tokenRequests")
        return cls(
            window=usage.get("windowDays") or 0,
            requests=requests if isinstance(requests, dict) else {},
            zeros_trusted=isinstance(version, int) and version >= ZEROS_TRUSTED_FROM,
            source="; ".join(usage.get("sources") or []) or "usage data",
        )

    def of(self, client_id: str) -> Usage | None:
        count = self.requests.get(client_id)
        if count == 0 and not self.zeros_trusted:
            return None
        # a saved sweep is a file like any other: numbers out of bounds are unknown usage
        window = self.window
        if isinstance(count, int) and isinstance(window, (int, float)) and usage_in_bounds(count, window):
            return Usage(count, float(window), self.source)
        return None


def load(doc: Document) -> list[AppClient]:
    data = doc.data
    if data.get(FORMAT_KEY) != 1 or not isinstance(data.get("userPools"), list):
        raise SourceError("not an m2m-guard inventory of format 1")
    counts = _Counts.read(data.get("usage"))
    clients: list[AppClient] = []
    cursor = 0
    for pool in data["userPools"]:
        if isinstance(pool, dict) and isinstance(pool.get("Id"), str):
            cursor = _pool_clients(doc, pool, counts, cursor, clients)
    return clients


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _pool_clients(
    doc: Document, pool: Mapping[str, Any], counts: _Counts, cursor: int, out: list[AppClient]
) -> int:
    """Append the clients of one pool entry to ``out``; returns where to search next."""
    pool_id, arn, name = pool["Id"], _text(pool, "Arn"), _text(pool, "Name")
    pool_line, cursor = _line(doc, "Id", pool_id, cursor)
    identity = Pool.of_id(
        pool_id,
        tuple(n for n in (name, arn) if n),
        location=Location(doc.path, pool_line, pool_id=pool_id, arn=arn),
        resource_servers=tuple(s for s in pool.get("ResourceServers") or [] if isinstance(s, str)),
        name=name,
        settings=_settings(pool),
    )
    # M2M clients the sweep could not tell have a secret (m2m_guard/sweep/discovery.py).
    secret_unknown = pool.get("SecretUnknown")
    if not isinstance(secret_unknown, dict):
        secret_unknown = {}
    for raw in pool.get("AppClients") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("ClientId"), str):
            continue
        client_id = raw["ClientId"]
        line, cursor = _line(doc, "ClientId", client_id, cursor)
        record = normalize(raw)
        why = secret_unknown.get(client_id)
        if isinstance(why, str) and record.get("GenerateSecret") is not True:
            record["GenerateSecret"] = Unknown(f"the sweep could not tell whether it has a secret: {why}")
        client_arn = f"{arn}/client/{client_id}" if arn else None
        location = Location(doc.path, line, client_id=client_id, arn=client_arn)
        out.append(AppClient(record=record, location=location, pool=identity, usage=counts.of(client_id)))
    return cursor


def _settings(pool: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``Pool.settings`` from a pool entry: its ``Settings`` (only the keys m2m-guard reads,
    m2m_guard/sources/settings.py); every setting unknown where the sweep could not read them
    (``SettingsUnknown``) or the file holds something else; None where the file predates them
    (neither member)."""
    if "SettingsUnknown" in pool:
        why = pool["SettingsUnknown"]
        unknown = Unknown(
            f"the sweep could not read the pool's settings: {why if isinstance(why, str) else '?'}"
        )
        return dict.fromkeys(SETTINGS_KEYS, unknown)
    if "Settings" not in pool:
        return None
    raw = pool["Settings"]
    if not isinstance(raw, dict):
        unknown = Unknown(f"the inventory's Settings is {describe_value(raw, 'json')}, not an object")
        return dict.fromkeys(SETTINGS_KEYS, unknown)
    return pool_settings(raw)
