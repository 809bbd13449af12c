"""The usage file: token requests per client over a window (``--usage``).

Format (written by ``m2m-guard sweep --export-usage``)::

    {"window_days": 30, "clients": {"<ClientId|ClientName|logical id|address>": 1234}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from m2m_guard.model import AppClient, Usage


class UsageError(Exception):
    pass


@dataclass(frozen=True)
class UsageData:
    window_days: float
    counts: Mapping[str, int]
    source: str = "usage file"

    def lookup(self, client: AppClient) -> Usage | None:
        """The client's usage by ClientId, ClientName, logical id or address; None if absent."""
        for key in client.identities:
            if key in self.counts:
                return Usage(self.counts[key], self.window_days, self.source)
        return None


def parse_usage(source: str, text: str) -> UsageData:
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{source}:{line}" if line else source
        # the one ValueError that is no JSONDecodeError: int() refuses over 4300 digits
        problem = getattr(exc, "msg", None) or "a number of more than 4300 digits"
        raise UsageError(f"{where}: invalid JSON: {problem}") from None
    except RecursionError:
        raise UsageError(f"{source}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise UsageError(f'{source}: expected {{"window_days": N, "clients": {{...}}}}')
    window = data.get("window_days")
    if isinstance(window, bool) or not isinstance(window, (int, float)) or window <= 0:
        raise UsageError(f"{source}: window_days must be a positive number of days")
    clients = data.get("clients")
    if not isinstance(clients, dict):
        raise UsageError(f"{source}: clients must map client keys to token request counts")
    for key, count in clients.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise UsageError(f"{source}: clients[{key!r}] must be a whole number of requests")
    return UsageData(float(window), dict(clients), f"usage file {source}")
