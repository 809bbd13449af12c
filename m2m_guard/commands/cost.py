"""``m2m-guard cost``: the monthly M2M cost per user pool, from IaC or from live accounts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard.commands import EXIT_ERROR, EXIT_OK, UsageProblem
from m2m_guard.commands._io import emit, policy_for_run, read_usage, say
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
    format: str,
    output: str | None,
    live: LiveOptions | None,
) -> int:
    """Price the clients of ``paths`` (default: the working directory), or with ``live`` those
    of the live accounts it names. Exit 2 if an input could not be read, else 0."""
    if live is not None and paths:
        raise UsageProblem("cost --live reads live accounts; give no PATH")
    cwd = Path.cwd()
    chosen = policy_for_run(policy, cwd, paths)
    usage_data = read_usage(usage)
    pools: list[Pool] = []  # pools read without clients (saved describe-user-pool output)
    if live is not None:
        from m2m_guard.commands.live import live_clients

        swept = live_clients("cost --live", live, (("--output", output),))
        clients, notifications = swept.clients, swept.notifications
    else:
        collected = collect(list(paths) or ["."], project_root(cwd).resolve())
        clients, notifications, pools = collected.clients, collected.notifications, collected.pools
    emit(RENDERERS[format](cost_report(chosen, clients, usage_data, pools=pools)), output)
    for note in notifications:
        say(f"{note.level.value}: {note}")
    return EXIT_ERROR if any(n.fatal for n in notifications) else EXIT_OK
