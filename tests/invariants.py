"""Invariants every source must keep, whatever the input (shared by the property and fuzz tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m2m_guard.model import AppClient, Notification, Unknown
from m2m_guard.sources.normalize import _BOOLS, _INTS, _LISTS, _STRS, SECRET_KEYS


def _plain_problem(value: Any, where: str, depth: int = 0) -> str | None:
    """Values of keys the normalizer does not know: plain data (and Unknown), nothing internal."""
    if depth > 1000:
        return f"{where}: nested deeper than 1000 levels"
    if value is None or isinstance(value, (str, bool, int, Unknown)):
        return None
    if isinstance(value, float):
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            problem = _plain_problem(item, f"{where}[{i}]", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, Mapping):
        for k, item in value.items():
            problem = _plain_problem(item, f"{where}.{k}", depth + 1)
            if problem:
                return problem
        return None
    return f"{where} is {type(value).__name__} {value!r:.80}"


def record_problems(client: AppClient) -> list[str]:
    """What is wrong with a client's record; empty when every value has a normalized type."""
    problems: list[str] = []
    for key, value in client.record.items():
        if not isinstance(key, str):
            problems.append(f"non-string key {key!r}")
            continue
        if key in SECRET_KEYS:
            problems.append(f"{key} is in the record")
            continue
        if value is None:
            problems.append(f"{key} is None (absent values must be left out)")
        elif key in _INTS:
            if isinstance(value, bool) or not isinstance(value, (int, Unknown)):
                problems.append(f"{key} is {type(value).__name__}, not int/Unknown")
        elif key in _BOOLS:
            if not isinstance(value, (bool, Unknown)):
                problems.append(f"{key} is {type(value).__name__}, not bool/Unknown")
        elif key in _STRS:
            if not isinstance(value, (str, Unknown)):
                problems.append(f"{key} is {type(value).__name__}, not str/Unknown")
        elif key in _LISTS:
            if isinstance(value, Unknown):
                continue
            if not isinstance(value, tuple):
                problems.append(f"{key} is {type(value).__name__}, not tuple/Unknown")
            elif not all(isinstance(item, (str, Unknown)) for item in value):
                problems.append(f"{key} has an element that is neither str nor Unknown: {value!r:.120}")
        elif key == "TokenValidityUnits":
            if isinstance(value, Unknown):
                continue
            if not isinstance(value, Mapping):
                problems.append(f"{key} is {type(value).__name__}, not a mapping/Unknown")
            elif not all(isinstance(k, str) and isinstance(v, (str, Unknown)) for k, v in value.items()):
                problems.append(f"{key} holds something other than str -> str/Unknown: {value!r:.120}")
        else:
            problem = _plain_problem(value, key)
            if problem:
                problems.append(problem)
    # The derived views the rules use must not raise either.
    try:
        client.is_m2m  # noqa: B018
        client.access_token_ttl  # noqa: B018
        client.has_secret  # noqa: B018
        client.identities  # noqa: B018
        client.name  # noqa: B018
    except Exception as exc:  # pragma: no cover - reported as a problem, not raised
        problems.append(f"a derived value raised {type(exc).__name__}: {exc}")
    return problems


def assert_normalized(clients: list[AppClient]) -> None:
    for client in clients:
        problems = record_problems(client)
        assert not problems, f"{client.location.name}: {problems}"


def assert_one_line(notifications: list[Notification]) -> None:
    for note in notifications:
        text = str(note)
        assert "\n" not in text and "\r" not in text, f"multi-line notification: {text!r}"
        assert note.message.strip(), "empty notification message"
