"""``m2m-guard drift``: the app clients the code defines against those the accounts hold.

The one place drift does I/O: it reads the code (as ``scan`` does), the live side (saved
inventories as ``scan`` reads them, or the accounts through the sweep's own plumbing,
m2m_guard/commands/live.py, Cognito or AWS Config), then matches and evaluates (m2m_guard/drift/,
pure) and reports as ``scan`` does, with SARIF category ``m2m-guard/drift/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard import __version__, engine
from m2m_guard.commands import UsageProblem
from m2m_guard.commands._io import policy_for_run, read_usage
from m2m_guard.commands.report import ReportOptions, report
from m2m_guard.drift.evaluate import drift_rules, evaluate
from m2m_guard.drift.match import match
from m2m_guard.files import display_path, project_root
from m2m_guard.inputs import collect
from m2m_guard.model import AppClient, Coverage, Notification, Severity, plural
from m2m_guard.policy import Policy, load_policy

if TYPE_CHECKING:  # the sweep's modules load only with --live
    from m2m_guard.commands.live import LiveOptions

#: The drift rules of a policy that has none (README, "Drift"): a policy that names any drift
#: rule type uses its own instead.
DEFAULT_RULES = """\
version: 1
rules:
  - id: SHADOW
    type: shadow_clients
    severity: error
  - id: MISSING
    type: missing_clients
    severity: warning
  - id: DRIFT
    type: drifted_clients
    severity: error
"""
#: How many accounts or regions a message names before it counts the rest.
NAMED = 5


def run(
    paths: Sequence[str],
    *,
    policy: str | None,
    inventory: Sequence[str],
    usage: str | None,
    live: LiveOptions | None,
    options: ReportOptions,
) -> int:
    """Compare the code under ``paths`` (default: the working directory) with the saved sweeps
    under ``inventory``, or with the live accounts ``live`` names."""
    if live is None and not inventory:
        raise UsageProblem(
            "drift compares the code with live accounts: give --inventory DIR (what `m2m-guard sweep` "
            "wrote) or --live with the sweep's options"
        )
    if live is not None and inventory:
        raise UsageProblem("use either --inventory or --live, not both")
    cwd = Path.cwd()
    root = project_root(cwd).resolve()
    chosen = with_drift_rules(policy_for_run(policy, cwd, paths))
    usage_data = read_usage(usage)
    read = collect(list(paths) or ["."], root)
    code, others = split_code(read.clients)
    notes = list(read.notifications)
    described = [c for c in others if not c.location.arn]  # (inventories among the PATHs: silent)
    if described:
        notes.append(
            Notification(
                f"{plural(len(described), 'app client')} of saved describe output among the PATHs: not "
                "code, and not compared (the live side is --inventory or --live)",
                Severity.NOTE,
            )
        )
    if live is not None:
        from m2m_guard.commands.live import live_clients

        swept = live_clients("drift --live", live, (("--output", options.output), ("--sarif", options.sarif)))
        live_side, coverage = swept.clients, swept.read
        notes.extend(swept.notifications)
    else:
        live_side, coverage = _inventories(inventory, root, notes)
    live_side = engine.prepare(live_side, usage_data)
    code = engine.merge_pools(code, read.pools)
    cases = match(code, live_side, searched=searched(coverage))
    seen = dataclasses.replace(
        coverage,
        app_clients=len(code) + len(live_side),
        m2m_clients=sum(1 for c in (*code, *live_side) if c.is_m2m is not False),
        possibly_m2m=sum(1 for c in (*code, *live_side) if c.is_m2m not in (True, False)),
        user_pools=len({c.pool.key for c in live_side}),
        files=read.files,
        files_with_m2m=len({c.location.path for c in code if c.is_m2m is not False}),
    )
    result = evaluate(
        chosen,
        cases,
        today=dt.datetime.now(dt.timezone.utc).date(),
        notifications=notes,
        tool_version=__version__,
        read=seen,
        working_dir=display_path(cwd.resolve(), root),
    )
    return report(options, result)


def with_drift_rules(policy: Policy) -> Policy:
    """``policy`` with only its drift rules; the built-in ones when it has none (its waivers and
    prices stay)."""
    rules = drift_rules(policy)
    if not rules:
        rules = load_policy("built-in drift rules", DEFAULT_RULES).rules
    return dataclasses.replace(policy, rules=rules)


def split_code(clients: Sequence[AppClient]) -> tuple[list[AppClient], list[AppClient]]:
    """The clients the code defines (a CloudFormation logical id or a Terraform address), and
    the others (saved describe output, inventories)."""
    code = [c for c in clients if c.location.logical_id or c.location.address]
    return code, [c for c in clients if not (c.location.logical_id or c.location.address)]


def _inventories(
    folders: Sequence[str], root: Path, notes: list[Notification]
) -> tuple[list[AppClient], Coverage]:
    """The live clients of the saved sweeps under ``folders`` (the newest of each
    account-region, as ``scan`` counts them), and what they cover."""
    read = collect(list(folders), root)
    notes.extend(read.notifications)
    if not read.inventories:
        # without a live side every client of the code would be "missing"
        why = next((str(n) for n in read.notifications if n.fatal), "no m2m-guard inventory there")
        raise UsageProblem(
            f"--inventory {', '.join(folders)}: {why} (`m2m-guard sweep --inventory-dir DIR` writes them)"
        )
    live = [c for c in read.clients if c.location.arn]
    # every account-region an inventory holds (several of one count once: the newest)
    places = {(s.account, s.region) for s in read.inventories if s.account and s.region}
    places |= {(p.account, p.region) for p in (c.location.live for c in live) if p}
    accounts = tuple(sorted({a for a, _ in places}))
    regions = tuple(sorted({r for _, r in places}))
    coverage = Coverage(
        accounts=len(accounts),
        regions=len(regions),
        account_regions=len(places),
        account_regions_failed=0,
        account_ids=accounts,
        region_names=regions,
    )
    return live, coverage


def searched(coverage: Coverage) -> str:
    """Where live pools were looked for, for the message of a client whose pool is nowhere."""
    accounts, regions = coverage.account_ids or (), coverage.region_names or ()

    def some(items: Sequence[str]) -> str:
        more = f" and {len(items) - NAMED} more" if len(items) > NAMED else ""
        return ", ".join(items[:NAMED]) + more

    places = plural(coverage.account_regions or 0, "account-region")
    if not accounts:
        return f"the {places} read"
    return f"the {places} read ({plural(len(accounts), 'account')}: {some(accounts)}; {some(regions)})"
