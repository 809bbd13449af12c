"""Helpers shared by the reporters: one ordering and one path encoding for every format."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from m2m_guard.model import Finding, Notification, RunResult


def artifact_uri(path: str) -> str:
    """A display path as a SARIF ``uri-reference``.

    Spaces and other reserved characters are percent-encoded; a URI that is not a valid
    ``uri-reference`` failed upload-sarif's validation (ossf/scorecard-action#1149). A file name
    that is not UTF-8 (Python's surrogate escapes) keeps its bytes (``%FF``); any other lone
    surrogate, which no file name on disk can hold, is written as its escape (``%5Cud800``).
    """
    try:
        return quote(path, safe="/", errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(path, safe="/", errors="backslashreplace")


def start_line(line: int | None) -> int:
    """The 1-based line reported for a location; line 1 when the source did not know it.

    GitHub needs a ``region.startLine`` to place an alert and the errata schema needs a region
    to have one (``anyOf`` startLine/charOffset/byteOffset).
    """
    return line if line is not None and line >= 1 else 1


def finding_key(finding: Finding) -> tuple[str, int, str, str]:
    """(uri, startLine, ruleId, fingerprint): the one order every reporter uses."""
    loc = finding.location
    return (artifact_uri(loc.path), start_line(loc.line), finding.rule_id, finding.fingerprint)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_key)


def sorted_notifications(notifications: Iterable[Notification]) -> list[Notification]:
    """Notifications in a stable order, whatever order a (concurrent) sweep produced them in.

    Notifications about the run as a whole (no path) come first.
    """

    def key(n: Notification) -> tuple[str, int, str, str]:
        return (artifact_uri(n.path) if n.path else "", n.line or 0, n.message, n.level.value)

    return sorted(notifications, key=key)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(result: RunResult) -> dict[str, int | None]:
    """The counts every report ends with: findings by level, and what was read and checked.

    JSON carries this as ``summary``, SARIF as the run's ``properties.summary`` (without the
    keys that do not apply), and the text report's last line says the same in words. Counts
    that do not apply to the run (``files`` in a sweep, ``accounts`` in a scan) are None.
    """
    tally, seen = result.tally, result.coverage
    return {
        "error": tally.error,
        "warning": tally.warning,
        "note": tally.note,
        "suppressed": tally.waived,
        "app_clients": seen.app_clients,
        "m2m_clients": seen.m2m_clients,
        "possibly_m2m_clients": seen.possibly_m2m,
        "files": seen.files,
        "files_with_m2m_clients": seen.files_with_m2m,
        "accounts": seen.accounts,
        "regions": seen.regions,
        "account_regions": seen.account_regions,
        "account_regions_failed": seen.account_regions_failed,
        "user_pools": seen.user_pools,
    }


def swept(result: RunResult) -> dict[str, list[str]] | None:
    """A sweep's accounts and regions read (None for scans): ``merge`` unites them to count the
    accounts and regions of several shards exactly."""
    seen = result.coverage
    if seen.account_ids is None and seen.region_names is None:
        return None
    return {"accounts": sorted(seen.account_ids or ()), "regions": sorted(seen.region_names or ())}
