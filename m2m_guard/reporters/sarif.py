"""SARIF 2.1.0 for GitHub code scanning and GitLab, built as plain dicts.

The output validates against the OASIS SARIF 2.1.0 errata 01 schema (vendored in
``tests/data``) and stays inside what code scanning reads and accepts:
https://docs.github.com/en/code-security/reference/code-scanning/sarif-files/sarif-support-for-code-scanning

Everything here is deterministic: sorted keys, sorted results, no timestamps, no absolute
paths, so two runs over the same inputs give byte-identical files. Every string goes through
:func:`m2m_guard.reporters.safe.scrub` (messages first, so that the 1,024-character cut counts
the escapes): a viewer that prints a message or a logical name prints no control character,
escape sequence or bidi control; only the rules' help keeps its newlines.
"""

from __future__ import annotations

import re
from typing import Any

from m2m_guard.model import Finding, Location, Notification, RuleInfo, RunResult, Severity
from m2m_guard.reporters._common import (
    artifact_uri,
    sorted_findings,
    sorted_notifications,
    start_line,
    summary,
    swept,
    truncate,
)
from m2m_guard.reporters.safe import dump_json, printable

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# The project's home page (its README); the package is not on a package index.
INFORMATION_URI = "https://github.com/m2m-guard/m2m-guard#readme"
TOOL_NAME = "m2m-guard"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "m2mGuard/v1"
BASE_TAGS = ("security", "cognito")

# GitHub shows at most 10 tags per rule and GitLab drops the rest; GitLab drops a result
# whose message or a rule whose description is longer than 1,024 characters, and GitHub
# limits rule names to 255 (github/docs reusables/code-scanning/sarif-limits.md; GitLab
# "SARIF reports").
MAX_TAGS = 10
MAX_TEXT = 1024
MAX_NAME = 255


def render(result: RunResult, *, color: bool = False) -> str:
    """The SARIF log for ``result`` as JSON text ending in a newline (``color`` is ignored)."""
    return dump_json(sarif_log(result))


def sarif_log(result: RunResult) -> dict[str, Any]:
    """The SARIF log as plain dicts: exactly one run, as GitHub expects per tool and category."""
    findings = sorted_findings(result.findings)
    rules = _all_rules(result.rules, findings)
    index = {rule.id: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "semanticVersion": result.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        # category = everything before the last "/": "m2m-guard/iac" and "m2m-guard/live"
        # are separate analyses, so a sweep upload does not close the IaC scan's alerts.
        "automationDetails": {"id": result.automation_id or f"m2m-guard/{result.category}/"},
        # SARIF 3.14.14 lets a producer omit the absolute uri of a base id, "to produce
        # deterministic output" and not leak a home directory; the description says what
        # the base is. GitHub resolves relative uris against the repository root anyway.
        "originalUriBaseIds": {
            SRCROOT: {
                "description": {
                    "text": "The root of the git work tree that was scanned, or the working "
                    "directory outside a git work tree."
                }
            }
        },
        "invocations": [_invocation(result)],
        "results": [_result(f, index[f.rule_id]) for f in findings],
        # What was read and checked, as in the JSON report's summary (code scanning ignores
        # run properties); keys that do not apply to the run are left out, not null.
        "properties": {"summary": {k: v for k, v in summary(result).items() if v is not None}},
    }
    if swept(result) is not None:
        run["properties"]["swept"] = swept(result)
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _all_rules(rules: tuple[RuleInfo, ...], findings: list[Finding]) -> list[RuleInfo]:
    """The policy's rules, plus a stand-in for any finding whose rule the result lacks.

    GitHub rejects and GitLab drops results whose ``ruleId`` names no rule, so an
    inconsistent RunResult still yields a file that uploads.
    """
    known = {rule.id for rule in rules}
    extra: dict[str, RuleInfo] = {}
    for f in findings:
        if f.rule_id not in known and f.rule_id not in extra:
            summary = f"Policy rule {f.rule_id} ({f.rule_type})."
            extra[f.rule_id] = RuleInfo(
                id=f.rule_id,
                type=f.rule_type,
                summary=summary,
                description=summary,
                help_markdown=summary,
                level=f.level,
                security_severity="5.0",
            )
    return [*rules, *sorted(extra.values(), key=lambda r: r.id)]


def _rule(rule: RuleInfo) -> dict[str, Any]:
    markdown = rule.help_markdown or rule.description or rule.summary
    return {
        "id": rule.id,
        "name": truncate(pascal_case(rule.type), MAX_NAME),
        "shortDescription": {"text": truncate(printable(rule.summary), MAX_TEXT)},
        "fullDescription": {"text": truncate(printable(rule.description or rule.summary), MAX_TEXT)},
        # GitHub requires help.text and shows help.markdown instead when present.
        "help": {"text": markdown_to_text(markdown), "markdown": markdown},
        **({"helpUri": rule.help_uri} if rule.help_uri else {}),
        "defaultConfiguration": {"level": Severity(rule.level).value},
        "properties": {
            "tags": rule_tags(rule),
            # A string number in (0, 10]; its presence makes code scanning treat the rule
            # as a security rule and map it to critical/high/medium/low.
            "security-severity": rule.security_severity,
            "precision": "high",
        },
    }


def rule_tags(rule: RuleInfo) -> list[str]:
    """``security`` and ``cognito`` first, then the rule's own tags, deduplicated, at most 10."""
    tags: list[str] = []
    for tag in (*BASE_TAGS, *rule.tags):
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location = _physical_location(finding.location.path, finding.location.line)
    location["logicalLocations"] = [_logical_location(finding.subject, finding.location)]
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": Severity(finding.level).value,
        "message": {"text": truncate(printable(finding.message), MAX_TEXT)},
        # Only locations[0] is read by GitHub, and it must have a physicalLocation or the
        # whole upload is rejected ("expected a physical location").
        "locations": [location],
        # Rule + resource identity, never the line: the alert survives edits above it.
        # upload-sarif adds primaryLocationLineHash itself from the file contents.
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    properties: dict[str, Any] = {}
    if finding.field:
        properties["field"] = finding.field
    if finding.undetermined:
        properties["undetermined"] = True
    if properties:
        out["properties"] = properties
    if finding.suppression is not None:
        # "external": the waiver lives in the policy file, not next to the resource.
        out["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": finding.suppression}
        ]
    return out


def _physical_location(path: str, line: int | None) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT},
            "region": {"startLine": start_line(line)},
        }
    }


def _logical_location(subject: str, location: Location) -> dict[str, Any]:
    logical: dict[str, Any] = {"name": subject, "kind": "resource"}
    if location.arn:
        logical["fullyQualifiedName"] = location.arn
    return logical


def _invocation(result: RunResult) -> dict[str, Any]:
    return {
        "executionSuccessful": not result.fatal,
        "toolExecutionNotifications": [_notification(n) for n in sorted_notifications(result.notifications)],
    }


def _notification(notification: Notification) -> dict[str, Any]:
    out: dict[str, Any] = {
        "level": Severity(notification.level).value,
        "message": {"text": truncate(printable(notification.message), MAX_TEXT)},
    }
    if notification.path:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": artifact_uri(notification.path), "uriBaseId": SRCROOT}
        }
        if notification.line is not None and notification.line >= 1:
            physical["region"] = {"startLine": notification.line}
        out["locations"] = [{"physicalLocation": physical}]
    return out


def pascal_case(rule_type: str) -> str:
    """``max_access_token_ttl`` -> ``MaxAccessTokenTtl``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_type))


_FENCE = re.compile(r"^[ \t]*(```|~~~).*\n?", re.MULTILINE)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def markdown_to_text(markdown: str) -> str:
    """Help markdown without its markup, for consumers that only show ``help.text``.

    Code spans are kept verbatim (minus backticks): scope globs such as ``*/admin`` must not
    be mistaken for emphasis.
    """
    text = _HEADING.sub("", _FENCE.sub("", markdown))
    parts: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_strip_inline(text[pos : span.start()]))
        parts.append(span.group(2))
        pos = span.end()
    parts.append(_strip_inline(text[pos:]))
    return "".join(parts).strip()


def _strip_inline(text: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    return _STRONG.sub(r"\2", text)
