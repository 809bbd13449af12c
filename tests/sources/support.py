"""What the source tests compare: a loaded app client as a plain dict.

Every reader test asserts a client the same way, so a difference between two readers shows up
as a difference in their expected tables, not in how each test happens to look at a client.
"""

from __future__ import annotations

from typing import Any

from m2m_guard.model import AppClient


def as_dict(client: AppClient, *, flat: bool = False) -> dict[str, Any]:
    """``client`` as a dict that ``==`` compares field by field and a failed assert shows whole.

    By default the location and the pool are kept as the model's objects, so a test states
    every field of them (path, address, client id, the pool's location). With ``flat``, the
    location is only its logical id and line and the pool only its identity, its line and its
    resource servers: the form of the CloudFormation tables, where the path is the fixture's
    name and would only repeat it.

    ``usage`` and ``may_not_exist`` are left out: the tests about them assert them directly,
    and leaving them out keeps every other table free of two fields that are almost always unset.
    """
    record = dict(client.record)
    field_lines = dict(client.field_lines)
    if not flat:
        return {
            "record": record,
            "location": client.location,
            "pool": client.pool,
            "field_lines": field_lines,
        }
    pool = client.pool
    return {
        "logical_id": client.location.logical_id,
        "line": client.location.line,
        "record": record,
        "field_lines": field_lines,
        "pool": {
            "key": pool.key,
            "label": pool.label,
            "names": pool.names,
            "line": pool.location.line if pool.location else None,
            "resource_servers": pool.resource_servers,
        },
    }
