"""``m2m-guard merge``: combine SARIF or JSON reports (sweep shards, IaC and live) into one."""

from __future__ import annotations

from collections.abc import Sequence

from m2m_guard.commands import EXIT_OK, UsageProblem
from m2m_guard.commands._io import emit, read_text, say
from m2m_guard.merge import MergeError, merge
from m2m_guard.reporters.safe import dump_json


def run(files: Sequence[str], *, output: str | None) -> int:
    try:
        merged = merge([(name, read_text(name, "report")) for name in files])
    except MergeError as exc:
        raise UsageProblem(str(exc)) from None
    # the merged text goes through the same scrub as every report: it is made of files anyone
    # may have edited
    emit(dump_json(merged.document), output)
    for warning in merged.warnings:
        say(f"warning: {warning}")
    return EXIT_OK
