"""``m2m-guard sweep``: check the app clients of live AWS accounts against the policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from m2m_guard import __version__, engine
from m2m_guard.commands._io import billed, policy_for_run, read_cur, read_usage
from m2m_guard.commands.live import LiveOptions, live_clients
from m2m_guard.commands.report import ReportOptions, report
from m2m_guard.files import shown_path


def run(
    *,
    policy: str | None,
    usage: str | None,
    live: LiveOptions,
    options: ReportOptions,
    usage_from_cur: str | None = None,
) -> int:
    """Sweep the accounts ``live`` names; ``usage`` covers clients CloudTrail does not, and
    ``usage_from_cur`` (a Cost and Usage Report export) gives the billed requests."""
    cwd = Path.cwd()
    chosen = policy_for_run(policy, cwd)
    usage_data = read_usage(usage)
    bill = read_cur(usage_from_cur)
    swept = live_clients("sweep", live, (("--output", options.output), ("--sarif", options.sarif)))
    clients = billed(swept.clients, bill)
    result = engine.evaluate(
        chosen,
        clients,
        today=dt.datetime.now(dt.timezone.utc).date(),
        usage=usage_data,
        notifications=swept.notifications,
        category="live",
        tool_version=__version__,
        read=swept.read,
        working_dir=shown_path(cwd, cwd),
    )
    return report(options, result)
