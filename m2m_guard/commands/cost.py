"""``m2m-guard cost``: the monthly M2M cost per user pool, from IaC or from live accounts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard.commands import EXIT_ERROR, EXIT_OK, UsageProblem
from m2m_guard.commands._io import billed, emit, policy_for_run, read_cur, read_usage, say
from m2m_guard.cost import reconcile
from m2m_guard.engine import cost_report
from m2m_guard.files import project_root
from m2m_guard.inputs import collect
from m2m_guard.model import Pool
from m2m_guard.reporters.cost import RENDERERS

if TYPE_CHECKING:  # the sweep's modules load only with --live
    from m2m_guard.commands.live import LiveOptions


def run(
    paths: Sequence[str],
    *,
    policy: str | None,
    usage: str | None,
    usage_from_cur: str | None = None,
    format: str,
    output: str | None,
    live: LiveOptions | None,
) -> int:
    """Price the clients of ``paths`` (default: the working directory), or with ``live`` those
    of the live accounts it names; with ``usage_from_cur`` (a Cost and Usage Report export) the
    billed requests count, and the estimate without them is set beside the bill. Exit 2 if an
    input could not be read, else 0."""
    if live is not None and paths:
        raise UsageProblem("cost --live reads live accounts; give no PATH")
    cwd = Path.cwd()
    chosen = policy_for_run(policy, cwd, paths)
    usage_data = read_usage(usage)
    bill = read_cur(usage_from_cur)
    pools: list[Pool] = []  # pools read without clients (saved describe-user-pool output)
    if live is not None:
        from m2m_guard.commands.live import live_clients

        swept = live_clients("cost --live", live, (("--output", output),))
        clients, notifications = swept.clients, swept.notifications
    else:
        collected = collect(list(paths) or ["."], project_root(cwd).resolve())
        clients, notifications, pools = collected.clients, collected.notifications, collected.pools
    report = cost_report(chosen, clients, usage_data, pools=pools)
    if bill is not None:
        estimate = report
        report = cost_report(chosen, billed(clients, bill), usage_data, pools=pools)
        report = dataclasses.replace(report, reconciliation=reconcile(estimate, bill))
    emit(RENDERERS[format](report), output)
    for note in notifications:
        say(f"{note.level.value}: {note}")
    return EXIT_ERROR if any(n.fatal for n in notifications) else EXIT_OK
