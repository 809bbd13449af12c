"""The problems found in one policy file, each worded as ``file:line: path: message``.

Every check of the loader reports here, so that all problems of a file come out together,
sorted by line, in one format; the wording helpers (a key path, a value as YAML, a typo's
likely meaning) are shared by all of them.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from m2m_guard.model import describe_value

#: Where a problem is: keys and list indexes from the top of the document.
KeyPath = tuple[str | int, ...]


class PolicyLoadError(Exception):
    """One or more problems in a policy file.

    ``lines`` holds the errors, each a complete one-line message; ``diagnostics`` holds the
    errors and the warnings together, sorted by line, as ``policy validate`` prints them.
    """

    def __init__(self, lines: list[str], diagnostics: list[str] | None = None) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.diagnostics = lines if diagnostics is None else diagnostics


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: KeyPath) -> str:
    """``rules[2].max``; a key that is not a plain word is quoted (``['a b']``), so that a line
    break in a key cannot break the one-line message."""
    out = ""
    for part in path:
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part}]" if isinstance(part, int) else f"[{part!r}]"
    return out or "(top level)"


def line_of(data: Any, path: KeyPath) -> int | None:
    """Line of the deepest key along ``path`` (LineDict/LineList carry them)."""
    line = getattr(data, "line", None)
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            line = node.key_lines.get(part, line) if hasattr(node, "key_lines") else line
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def closest(word: object, choices: list[str], cutoff: float = 0.6) -> str | None:
    """The choice ``word`` is most likely a typo of, if any."""
    found = difflib.get_close_matches(str(word), choices, n=1, cutoff=cutoff)
    return found[0] if found else None


def unknown_key(key: object, allowed: list[str]) -> str:
    likely = closest(key, allowed)
    if likely is not None:
        return f"unknown key {key!r} (did you mean {likely!r}?)"
    return f"unknown key {key!r} (allowed: {', '.join(allowed)})"


def shown(value: Any) -> str:
    """A value as a person wrote it in YAML, short."""
    return describe_value(value, "yaml")


class Report:
    """The errors and warnings of one policy file, each with its line."""

    def __init__(self, source: str, data: Any) -> None:
        self.source, self.data = source, data
        self._entries: list[tuple[int, int, str, bool]] = []  # (line, order, text, is warning)
        self._texts: set[str] = set()
        self._error_paths: list[KeyPath] = []
        #: paths whose problem is already reported in m2m-guard's own words
        self._claimed: set[KeyPath] = set()

    def _add(self, path: KeyPath, message: str, warning: bool) -> None:
        line = line_of(self.data, path)
        where = f"{self.source}:{line}" if line else self.source
        text = f"{where}: {'warning: ' if warning else ''}{format_path(path)}: {message}"
        if text not in self._texts:
            self._texts.add(text)
            self._entries.append((line or 0, len(self._entries), text, warning))

    def error(self, path: KeyPath, message: str, claim: bool | KeyPath = False) -> None:
        """Report an error; ``claim`` (True: ``path``) silences later schema errors there."""
        self._add(path, message, warning=False)
        self._error_paths.append(path)
        if claim is True:
            self._claimed.add(path)
        elif claim:
            self._claimed.add(claim)

    def warn(self, path: KeyPath, message: str) -> None:
        self._add(path, message, warning=True)

    def claim(self, path: KeyPath) -> None:
        self._claimed.add(path)

    def claimed(self, path: KeyPath) -> bool:
        return any(path[: len(c)] == c for c in self._claimed)

    def has_errors_under(self, prefix: KeyPath) -> bool:
        return any(p[: len(prefix)] == prefix for p in self._error_paths)

    def lines(self, warnings: bool | None = None) -> list[str]:
        """Sorted by line: the errors (False), the warnings (True), or both (None)."""
        return [text for _, _, text, warn in sorted(self._entries) if warnings is None or warn == warnings]
