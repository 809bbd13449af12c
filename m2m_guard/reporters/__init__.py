"""Reporters: pure functions from one evaluated RunResult to the text of one output format.

Each is ``render(result, *, color=False) -> str``; only the text reporter uses ``color``.
The CLI picks one by ``--format`` and does all the writing. ``LINES`` holds the reporters that
can also give their text as lines (joined with newlines, the same text), which the CLI writes
one by one instead of building one large string.
"""

from __future__ import annotations

from typing import Protocol

from m2m_guard.model import RunResult
from m2m_guard.reporters import json_report, sarif, text


class Reporter(Protocol):
    def __call__(self, result: RunResult, *, color: bool = False) -> str: ...


class LineReporter(Protocol):
    def __call__(self, result: RunResult, *, color: bool = False) -> list[str]: ...


#: By ``--format`` name, in the order ``--help`` lists them.
REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
}
LINES: dict[str, LineReporter] = {"text": text.lines}
