"""Where keys are written in a JSON text: the line numbers of JSON documents.

``json.loads`` keeps no positions, so the sources find a key's line by searching the text. This
is the one definition of that search: a key is a JSON string followed by optional whitespace
and a colon, escapes decoded; a ``"key": "value"`` pair is found by its decoded value. Sources
read their objects in document order, so each search starts where the previous one ended and a
whole file is read once, however many clients it holds; line numbers come from a cursor that
counts the newlines it moves over, so no table of every line is built (a 100 MB describe dump
has millions of lines).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

#: A key: group 1 is its text between the quotes, escapes not yet decoded.
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def json_string(token: str) -> str | None:
    """The value of a JSON string token (with its quotes); None when it is not one."""
    if "\\" not in token:
        return token[1:-1]
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


class KeyIndex:
    """Offsets of keys in one JSON text, and the line of any offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_offset = 0
        self._line = 1
        self._pairs: dict[str, re.Pattern[str]] = {}

    def find(self, key: str, start: int = 0, end: int | None = None) -> int | None:
        """Offset of the next ``"key":`` in [start, end), or None. A plain ``str.find`` of the
        quoted key (no pattern per key), then a check that a colon follows."""
        text = self.text
        end = len(text) if end is None else end
        needle = f'"{key}"' if key.isalnum() else json.dumps(key, ensure_ascii=False)
        while True:
            found = text.find(needle, start, end)
            if found < 0:
                return None
            after = found + len(needle)
            while after < end and text[after] in " \t\r\n":
                after += 1
            if after < end and text[after] == ":":
                return found
            start = found + 1

    def keys(self, start: int, end: int) -> Iterator[tuple[str, int]]:
        """Every key in [start, end), decoded, with its offset, in text order. A key whose
        escapes do not decode is skipped: no object of the parsed document has it."""
        for match in _KEY.finditer(self.text, start, max(start, end)):
            raw = match.group(1)
            key = raw if "\\" not in raw else json_string(f'"{raw}"')
            if key is not None:
                yield key, match.start()

    def first_and_last(self, start: int, end: int) -> tuple[dict[str, int], dict[str, int]]:
        """The offset of the first and of the last ``"key":`` of each name in [start, end)."""
        first: dict[str, int] = {}
        last: dict[str, int] = {}
        for key, offset in self.keys(start, end):
            first.setdefault(key, offset)
            last[key] = offset
        return first, last

    def pairs(
        self, key: str, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[str | None, int, int]]:
        """Each ``"key":`` in [start, end): its value when that is a string (decoded), else None;
        the key's offset; and the offset just past the key and its string value."""
        pattern = self._pairs.get(key)
        if pattern is None:
            quoted = re.escape(json.dumps(key, ensure_ascii=False))
            pattern = self._pairs[key] = re.compile(quoted + r'\s*:\s*("(?:[^"\\]|\\.)*")?')
        for match in pattern.finditer(self.text, start, len(self.text) if end is None else end):
            token = match.group(1)
            yield (json_string(token) if token is not None else None), match.start(), match.end()

    def find_pair(self, key: str, value: str, start: int = 0) -> int | None:
        """Offset of the next ``"key": "value"`` at or after ``start``, or None."""
        return next((offset for found, offset, _ in self.pairs(key, start) if found == value), None)

    def line(self, offset: int) -> int:
        """1-based line of ``offset``, counted from the offset asked about last: the offsets a
        source asks about come in text order, so each newline is counted once."""
        if offset >= self._line_offset:
            newlines = self.text.count("\n", self._line_offset, offset)
        else:
            newlines = -self.text.count("\n", offset, self._line_offset)
        if newlines:  # else the same int object: keys on one line share it
            self._line += newlines
        self._line_offset = offset
        return self._line

    def outline(self, under: str) -> tuple[dict[str, int], dict[str, int]]:
        """The lines of the top-level keys, and of the keys of the object that top-level key
        ``under`` holds, in a JSON text that parsed: one walk that tracks nesting, for files
        whose keys may repeat at other depths (a client named ``window_days``)."""
        text = self.text
        top: dict[str, int] = {}
        inner: dict[str, int] = {}
        stack: list[str] = []  # "{" or "[" per open container
        top_key: str | None = None
        line, i, n = 1, 0, len(text)
        while i < n:
            char = text[i]
            if char == "\n":
                line += 1
            elif char in "{[":
                stack.append(char)
            elif char in "}]":
                stack.pop()
            elif char == '"':
                end = i + 1
                while text[end] != '"':
                    end += 2 if text[end] == "\\" else 1
                if stack and stack[-1] == "{" and text[end + 1 : end + 64].lstrip().startswith(":"):
                    key = json_string(text[i : end + 1])
                    if len(stack) == 1 and key is not None:
                        top.setdefault(key, line)
                        top_key = key
                    elif len(stack) == 2 and top_key == under and key is not None:
                        inner.setdefault(key, line)
                i = end
            i += 1
        return top, inner
