"""``m2m-guard policy validate`` and ``m2m-guard policy schema``."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard.commands import EXIT_ERROR, EXIT_OK, UsageProblem
from m2m_guard.commands._io import read_policy, read_text, say, say_lines
from m2m_guard.model import plural
from m2m_guard.policy import PolicyLoadError, build_schema, find_policy, load_policy

if TYPE_CHECKING:
    from m2m_guard.policy import Policy


def validate(files: Sequence[str]) -> int:
    """Validate every file given (pre-commit passes several), else the policy `scan` would use.

    Each file's errors and warnings go to stderr together, sorted by line; exit 2 if any policy
    is invalid (warnings alone never fail).
    """
    cwd = Path.cwd()
    names: list[str | None] = list(files) or [_policy_scan_uses(cwd)]
    status = EXIT_OK
    for name in names:
        policy = _check(name, cwd)
        if policy is None:
            status = EXIT_ERROR
            continue
        for warning in policy.warnings:
            say(warning)
        say(f"{policy.source}: valid policy, {_counts(policy)}", stdout=True)
    return status


def _policy_scan_uses(cwd: Path) -> str | None:
    """The nearest ``.m2m-guard.yaml``, else None for the built-in default pack; says which."""
    used = find_policy(None, cwd, lambda found: os.path.relpath(found, cwd))
    if used.pack is not None:
        print(
            "Validating the built-in default pack, the policy `m2m-guard scan` uses here "
            "(no .m2m-guard.yaml in this directory or its parents)."
        )
        return None
    say(
        f"Validating {used.label}, the policy `m2m-guard scan` uses here (nearest .m2m-guard.yaml).",
        stdout=True,
    )
    return used.label


def _check(name: str | None, cwd: Path) -> Policy | None:
    """The policy loaded, or None after printing why it is invalid."""
    try:
        if name is not None and Path(name).is_file():
            # loaded here, not by read_policy, so that warnings print beside the errors
            return load_policy(name, read_text(name, "policy"))
        return read_policy(name, cwd)
    except PolicyLoadError as exc:
        for diagnostic in exc.diagnostics:
            say(diagnostic)
    except UsageProblem as exc:
        say_lines(str(exc))
    return None


def _counts(policy: Policy) -> str:
    """``3 rules, 1 waiver.``, with the warnings when there are some."""
    counts = [plural(len(policy.rules), "rule"), plural(len(policy.waivers), "waiver")]
    if policy.warnings:
        counts.append(plural(len(policy.warnings), "warning"))
    return ", ".join(counts) + "."


def schema() -> int:
    print(json.dumps(build_schema(), indent=2))
    return EXIT_OK
