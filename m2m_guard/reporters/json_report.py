"""The m2m-guard JSON report: a small, stable document for scripts and dashboards.

Shape (``version`` changes only on an incompatible change; new keys may be added)::

    {
      "version": 1,
      "tool": {"name": "m2m-guard", "version": "0.1.0"},
      "category": "iac" | "live" | "drift",
      "summary": {"error": 0, "warning": 0, "note": 0, "suppressed": 0,
                  "app_clients": 5, "m2m_clients": 3, "possibly_m2m_clients": 1,
                  "files": 14 | null, "files_with_m2m_clients": 2 | null,
                  "accounts": null | 1, "regions": null | 3, "account_regions": null | 3,
                  "account_regions_failed": null | 0, "user_pools": null | 2},
      "swept": null | {"accounts": ["123456789012"], "regions": ["eu-west-1", ...]},
      "findings": [{
        "rule_id": "TTL-MAX", "rule_type": "max_access_token_ttl",
        "level": "error" | "warning" | "note",
        "message": "...", "path": "infra/auth.yaml", "line": 12 | null,
        "subject": "OrdersClient", "arn": "arn:aws:cognito-idp:..." | null,
        "field": "AccessTokenValidity" | null,
        "fingerprint": "...", "undetermined": false,
        "suppressed": false, "justification": "..." | null
      }],
      "notifications": [{"level": "error", "message": "...", "path": "..." | null,
                         "line": 3 | null, "fatal": true}],
      "rules": [{"id": "TTL-MAX", "type": "max_access_token_ttl",
                 "summary": "...", "level": "error"}]
    }

``summary`` counts findings that are not suppressed by level; suppressed (waived) findings
are counted once, in ``suppressed``, whatever their level. It also says what was read and
checked: the app clients read, the M2M clients checked (``possibly_m2m_clients`` of them only
possibly M2M), and the files read and those defining the clients checked (scans), or the
accounts, regions, account-regions (read and failed) and user pools read (sweeps); counts that
do not apply to the run are null. ``swept`` lists a sweep's accounts and regions read, so that
``merge`` counts those of several shards exactly.

A rule that an unknown value kept from being checked is one finding per rule, as in SARIF
(the text report shows them as one note): each keeps its own ``rule_id``, fingerprint and
waiver, so scripts filter and count by rule, and ``summary`` matches the SARIF results.

Findings are in the SARIF order (path, line, rule id, fingerprint); notifications in the SARIF
order too; rules in policy order. Keys are sorted and the text ends with a newline, so outputs diff cleanly.

Every string is written through :func:`m2m_guard.reporters.safe.scrub`: control characters,
bidi controls and line breaks in names, paths and messages become visible escapes (``\\x1b``,
``\\u202e``, ``\\n``), so a script that prints a message prints no escape sequence; a number
that is not finite would be ``null`` (the JSON text never holds ``NaN`` or ``Infinity``).
"""

from __future__ import annotations

from typing import Any

from m2m_guard.model import Finding, Notification, RuleInfo, RunResult, Severity
from m2m_guard.reporters._common import sorted_findings, sorted_notifications, summary, swept
from m2m_guard.reporters.safe import dump_json

REPORT_VERSION = 1
TOOL_NAME = "m2m-guard"


def render(result: RunResult, *, color: bool = False) -> str:
    """The JSON report for ``result`` (``color`` is ignored)."""
    return dump_json(report(result))


def report(result: RunResult) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "tool": {"name": TOOL_NAME, "version": result.tool_version},
        "category": result.category,
        "summary": summary(result),
        "swept": swept(result),
        "findings": [_finding(f) for f in sorted_findings(result.findings)],
        "notifications": [_notification(n) for n in sorted_notifications(result.notifications)],
        "rules": [_rule(r) for r in result.rules],
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "rule_type": f.rule_type,
        "level": Severity(f.level).value,
        "message": f.message,
        "path": f.location.path,
        "line": f.location.line,
        "subject": f.subject,
        # Live sweeps: the ARN the sweep recorded (the path is then the inventory file).
        "arn": f.location.arn,
        "field": f.field,
        "fingerprint": f.fingerprint,
        "undetermined": f.undetermined,
        "suppressed": f.suppression is not None,
        "justification": f.suppression,
    }


def _notification(n: Notification) -> dict[str, Any]:
    return {
        "level": Severity(n.level).value,
        "message": n.message,
        "path": n.path,
        "line": n.line,
        "fatal": n.fatal,
    }


def _rule(r: RuleInfo) -> dict[str, Any]:
    return {"id": r.id, "type": r.type, "summary": r.summary, "level": Severity(r.level).value}
