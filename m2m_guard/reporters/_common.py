"""Helpers shared by the reporters: one ordering and one path encoding for every format."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from m2m_guard.model import Finding, Notification


def artifact_uri(path: str) -> str:
    """A display path as a SARIF ``uri-reference``.

    Spaces and other reserved characters are percent-encoded; a URI that is not a valid
    ``uri-reference`` failed upload-sarif's validation (ossf/scorecard-action#1149).
    """
    return quote(path, safe="/")


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
