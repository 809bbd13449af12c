"""What a run produces: findings, notifications, coverage, and the result reporters render."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Literal

from m2m_guard.model.client import Location


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"note": 1, "warning": 2, "error": 3}[self.value]


#: What a run evaluated: files (infrastructure as code), live accounts, or the one against the
#: other (``m2m-guard drift``); SARIF
#: ``automationDetails.id`` is ``m2m-guard/<category>/`` unless the user names the analysis.
Category = Literal["iac", "live", "drift"]


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule returns: a specific message and the record key it is about."""

    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    rule_type: str
    level: Severity
    message: str
    location: Location
    #: The logical name shown in reports (logical id, address, ClientId, pool expression).
    subject: str
    #: Stable identity: hash of rule id, subject identity and field, never line numbers.
    fingerprint: str
    field: str | None = None
    undetermined: bool = False
    #: Justification of the waiver that suppresses this finding, if any.
    suppression: str | None = None
    #: For a rule that could not be checked: the unknown value that blocked it (the same
    #: text for every rule that one unknown value blocks).
    unknown: str | None = None
    #: The client's ClientName and its pool's name, where known (shown beside the ids).
    client_name: str | None = None
    pool_name: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """Something about the run rather than a client: an unreadable input, an expired waiver.

    ``fatal`` notifications make the exit code 2 (the run could not cover every input).
    """

    message: str
    level: Severity = Severity.ERROR
    path: str | None = None
    line: int | None = None
    fatal: bool = False

    def __str__(self) -> str:
        where = (
            f"{self.path}:{self.line}: "
            if self.path and self.line
            else (f"{self.path}: " if self.path else "")
        )
        return f"{where}{self.message}"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """Everything a reporter needs to describe one policy rule."""

    id: str
    type: str
    summary: str
    description: str
    help_markdown: str
    level: Severity
    security_severity: str
    tags: tuple[str, ...] = ()
    #: Where the rule type is documented (SARIF ``helpUri``); None for a rule the policy lacks.
    help_uri: str | None = None


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a run read and checked, so that a report without findings cannot pass for a clean
    bill when nothing was checked.

    The input stage fills what it read (``files`` for scans; ``accounts`` to ``user_pools``
    for sweeps, None otherwise); the engine adds the clients.
    """

    #: App clients read, user-facing ones included.
    app_clients: int = 0
    #: Clients the rules were evaluated on: the M2M clients, possibly-M2M ones included.
    m2m_clients: int = 0
    #: Of those, the clients whose M2M status depends on an unknown value (or that may not
    #: exist at all).
    possibly_m2m: int = 0
    #: Scans: input files read, and how many of them define the clients checked.
    files: int | None = None
    files_with_m2m: int | None = None
    #: Sweeps: accounts and regions with at least one account-region read, account-regions
    #: read and not read, and user pools read.
    accounts: int | None = None
    regions: int | None = None
    account_regions: int | None = None
    account_regions_failed: int | None = None
    user_pools: int | None = None
    #: Sweeps: which accounts and regions those are, so that the reports of the shards of one
    #: sweep merge into the counts of the whole (regions recur across accounts, and accounts
    #: across region shards).
    account_ids: tuple[str, ...] | None = None
    region_names: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Tally:
    """Findings by level; waived ones are counted once, in ``waived``, whatever their level."""

    error: int = 0
    warning: int = 0
    note: int = 0
    waived: int = 0

    def of(self, level: Severity) -> int:
        count: int = getattr(self, level.value)
        return count


@dataclass(frozen=True)
class RunResult:
    rules: tuple[RuleInfo, ...]
    findings: tuple[Finding, ...]
    notifications: tuple[Notification, ...] = ()
    #: ``iac`` for scans of files, ``live`` for sweeps; SARIF automationDetails and merge use it.
    category: Category = "iac"
    #: SARIF ``automationDetails.id`` when the user names the analysis (``--category``), else
    #: ``m2m-guard/<category>/``.
    automation_id: str | None = None
    tool_version: str = "0.0.0"
    coverage: Coverage = Coverage()
    #: The working directory relative to the root that paths are relative to ("." when it is
    #: the root): text output shows paths relative to it, the other formats from the root.
    working_dir: str = "."

    @property
    def fatal(self) -> bool:
        return any(n.fatal for n in self.notifications)

    @functools.cached_property
    def tally(self) -> Tally:
        counts = {level: 0 for level in Severity}
        waived = 0
        for f in self.findings:
            if f.suppression is not None:
                waived += 1
            else:
                counts[Severity(f.level)] += 1
        return Tally(counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.NOTE], waived)

    def worst_level(self) -> Severity | None:
        active = [f.level for f in self.findings if f.suppression is None]
        return max(active, key=lambda s: s.rank) if active else None
