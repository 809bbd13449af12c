"""``m2m-guard scan``: check IaC files and saved describe output against the policy."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Sequence
from pathlib import Path

from m2m_guard import __version__, engine
from m2m_guard.commands._io import billed, policy_for_run, read_cur, read_usage
from m2m_guard.commands.report import ReportOptions, report
from m2m_guard.files import display_path, project_root
from m2m_guard.inputs import collect
from m2m_guard.model import Coverage


def run(
    paths: Sequence[str],
    *,
    policy: str | None,
    usage: str | None,
    hook: bool,
    options: ReportOptions,
    var_files: Sequence[str] = (),
    usage_from_cur: str | None = None,
) -> int:
    """Scan ``paths`` (default: the working directory); ``hook`` is pre-commit's mode;
    ``var_files``: Terraform ``-var-file`` files for the root modules of ``.tf`` folders."""
    cwd = Path.cwd()
    # pre-commit runs the hook from the repository root in batches: all of them use its policy
    chosen = policy_for_run(policy, cwd, () if hook else paths)
    usage_data = read_usage(usage)
    bill = read_cur(usage_from_cur)
    # Parsing builds many small containers and few cycles: collecting garbage less often saves
    # about a fifth of a large scan, and alias expansion is bounded elsewhere.
    gc.set_threshold(50_000, 20, 10)
    root = project_root(cwd).resolve()
    collected = collect(list(paths) or ["."], root, hook=hook, var_files=var_files)
    clients = billed(collected.clients, bill)
    result = engine.evaluate(
        chosen,
        clients,
        today=dt.datetime.now(dt.timezone.utc).date(),
        usage=usage_data,
        notifications=collected.notifications,
        category="iac",
        tool_version=__version__,
        read=Coverage(files=collected.files),
        working_dir=display_path(cwd.resolve(), root),
        pools=collected.pools,
    )
    # the report needs only the result: the clients' memory goes back before it is rendered
    del collected, clients
    return report(options, result)
