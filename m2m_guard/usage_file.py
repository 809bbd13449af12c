"""The usage file: token requests per client over a window (``--usage``).

Format (written by ``m2m-guard sweep --export-usage``, with :func:`render_usage`)::

    {"window_days": 30, "clients": {"<ClientId|ClientName|logical id|address>": 1234}}

Every problem is reported at once, one line each, as ``file:line: key: message`` like policy
errors. Numbers are bounded so that no count or window can make a cost infinite or not a number:
``window_days`` from one hour (1/24) to ten years (3,653 days, CloudWatch Logs' longest
retention), counts whole numbers from 0 to 10**15 (beyond any real month of token requests, and
still exact as a float).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from m2m_guard.model import (
    MAX_REQUESTS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    AppClient,
    Usage,
    describe_value,
    is_secret_key,
)
from m2m_guard.sources.json_keys import KeyIndex

KEYS = ("clients", "window_days")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
EXAMPLE = '{"window_days": 30, "clients": {"svc-orders": 1234}}'


class UsageError(Exception):
    """The usage file is invalid; each line of the message is one complete problem."""


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


def _within(value: Any, least: float, most: float) -> bool:
    """A JSON number (not a boolean), finite, from ``least`` to ``most``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and least <= value <= most


class _Problems:
    def __init__(self, source: str, text: str) -> None:
        self.source, self.text = source, text
        self.found: list[tuple[int, int, str]] = []
        self._lines: tuple[dict[str, int], dict[str, int]] | None = None

    def add(self, key: str | None, client: str | None, message: str) -> None:
        if self._lines is None:
            self._lines = KeyIndex(self.text).outline("clients")
        top, clients = self._lines
        line = clients.get(client) if client is not None else None
        line = line or (top.get(key) if key is not None else None) or 1
        path = "(top level)" if key is None else key if _PLAIN_KEY.fullmatch(key) else repr(key)
        path = path if client is None else f"{path}[{client!r}]"
        self.found.append((line, len(self.found), f"{self.source}:{line}: {path}: {message}"))

    def raise_any(self) -> None:
        if self.found:
            raise UsageError("\n".join(text for _, _, text in sorted(self.found)))


def parse_usage(source: str, text: str) -> UsageData:
    data = _json(source, text)
    problems = _Problems(source, text)
    if not isinstance(data, dict):
        problems.add(None, None, f"a usage file is a JSON object like {EXAMPLE}")
        problems.raise_any()
    explained = _unknown_keys(data, problems)
    window, clients = data.get("window_days"), data.get("clients")
    _check_window(data, explained, problems)
    _check_clients(data, explained, problems)
    problems.raise_any()
    return UsageData(float(window), dict(clients), f"usage file {source}")


def _json(source: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{source}:{line}" if line else source
        # the one ValueError that is no JSONDecodeError: int() refuses over 4300 digits
        problem = getattr(exc, "msg", None) or "a number of more than 4300 digits"
        raise UsageError(f"{where}: invalid JSON: {problem}") from None
    except RecursionError:
        raise UsageError(f"{source}: JSON nested too deeply") from None


def _unknown_keys(data: dict[str, Any], problems: _Problems) -> set[str]:
    """Report the keys that are not :data:`KEYS`; returns the known keys a misspelt one was
    taken for (their "missing" would only repeat the "did you mean")."""
    explained: set[str] = set()
    for key in sorted(k for k in data if k not in KEYS):
        close = difflib.get_close_matches(key, KEYS, n=1)
        if close:
            explained.add(close[0])
            problems.add(key, None, f"unknown key {key!r} (did you mean {close[0]!r}?)")
        else:
            problems.add(key, None, f"unknown key {key!r} (allowed: {', '.join(KEYS)})")
    return explained


def _check_window(data: dict[str, Any], explained: set[str], problems: _Problems) -> None:
    if "window_days" not in data:
        if "window_days" not in explained:
            problems.add(
                None,
                None,
                "'window_days' is missing (the number of days the counts cover, e.g. \"window_days\": 30)",
            )
    elif not _within(data["window_days"], MIN_WINDOW_DAYS, MAX_WINDOW_DAYS):
        problems.add(
            "window_days",
            None,
            f"must be a positive number of days, from 0.042 (one hour) to {MAX_WINDOW_DAYS:,} "
            f"(ten years), not {describe_value(data['window_days'], 'json')}",
        )


def _check_clients(data: dict[str, Any], explained: set[str], problems: _Problems) -> None:
    clients = data.get("clients")
    if "clients" not in data:
        if "clients" not in explained:
            problems.add(None, None, f"'clients' is missing (token requests per client: {EXAMPLE})")
        return
    if not isinstance(clients, dict):
        problems.add(
            "clients",
            None,
            f"must map client keys to token request counts, not {describe_value(clients, 'json')}",
        )
        return
    for key, count in clients.items():
        if type(count) is not int or not 0 <= count <= MAX_REQUESTS:
            # a key named like a client secret may hold one: its value is not repeated
            shown = "the value given" if is_secret_key(key) else describe_value(count, "json")
            problems.add("clients", key, f"must be a whole number of requests (0 to 10**15), not {shown}")


def render_usage(clients: Sequence[AppClient], window_days: int, seen: Mapping[str, int]) -> str:
    """The usage file ``scan --usage`` reads, from swept clients: by ClientId, and by ClientName
    where exactly one swept client has that name (and its usage is known); ``seen`` adds the
    clients of other accounts that the trail's log group shows making requests."""
    counts: dict[str, int] = dict(seen)
    by_name: dict[str, list[AppClient]] = {}
    for client in clients:
        name = client.record.get("ClientName")
        if isinstance(name, str):
            by_name.setdefault(name, []).append(client)
        client_id = client.location.client_id  # always set for a swept client
        if client.usage is not None and client_id is not None:
            counts[client_id] = client.usage.requests
    for name, named in by_name.items():
        usage = named[0].usage
        if len(named) == 1 and usage is not None and name not in counts:
            counts[name] = usage.requests
    return json.dumps({"window_days": window_days, "clients": dict(sorted(counts.items()))}, indent=2) + "\n"
