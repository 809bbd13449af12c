"""The drift rules of a policy over the cases of m2m_guard/drift/match.py -> one RunResult.
Pure: no I/O, no clock (``today`` is an argument).

Severities, selectors (``match``) and waivers work as in scans: a selector's or waiver's
``clients`` globs match the code's client (ClientName, logical id, address) or the live one
(ClientName, ClientId), its ``pools`` globs the code's pool or the live one (name, id, ARN).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from fnmatch import fnmatchcase

from m2m_guard.engine import applies_if, blocking_field, expired_waivers, fingerprint, rule_info
from m2m_guard.model import (
    AppClient,
    Coverage,
    Finding,
    Notification,
    RunResult,
    Severity,
    Undetermined,
    Unknown,
    Violation,
    plural,
)
from m2m_guard.model.drift import DriftCase, live_pool_text
from m2m_guard.policy import Policy, RuleConfig, Selector, Waiver
from m2m_guard.rules import DriftRuleSpec
from m2m_guard.rules.drift import managed_by

#: How many pools the note about pools that no code defines names before it counts the rest.
POOLS_NAMED = 5


def drift_rules(policy: Policy) -> tuple[RuleConfig, ...]:
    return tuple(rule for rule in policy.rules if rule.spec.scope == "drift")


def evaluate(
    policy: Policy,
    cases: Sequence[DriftCase],
    *,
    today: dt.date,
    notifications: Sequence[Notification] = (),
    tool_version: str = "0.0.0",
    read: Coverage | None = None,
    working_dir: str = ".",
) -> RunResult:
    """Every drift rule of ``policy`` on every case it selects."""
    rules = drift_rules(policy)
    findings: list[Finding] = []
    for rule in rules:
        assert isinstance(rule.spec, DriftRuleSpec)
        check, context = rule.spec.func, policy.context(rule)
        for case in cases:
            if _selects(rule.selector, case):
                findings.extend(
                    _finding(rule, outcome, case, policy, today) for outcome in check(case, context)
                )
    return RunResult(
        rules=tuple(rule_info(rule) for rule in rules),
        findings=tuple(sorted(findings, key=lambda f: (f.location.path, f.location.line or 0, f.rule_id))),
        notifications=(*notifications, *unmanaged_note(rules, cases), *expired_waivers(policy, today)),
        category="drift",
        tool_version=tool_version,
        coverage=read or Coverage(),
        working_dir=working_dir,
    )


def _clients(case: DriftCase) -> list[AppClient]:
    return [c for c in (case.code, case.live) if c is not None]


def _selects(selector: Selector, case: DriftCase) -> bool:
    """Both sides count: the code's client and pool, and the live ones."""
    clients = _clients(case)
    if selector.clients and not any(
        fnmatchcase(name, glob) for c in clients for name in c.identities for glob in selector.clients
    ):
        return False
    pools = [c.pool for c in clients] + ([case.live_pool] if case.live_pool else [])
    return not selector.pools or any(selector.selects_pool(pool) for pool in pools)


def _waiver(policy: Policy, rule_id: str, case: DriftCase, today: dt.date) -> Waiver | None:
    for waiver in policy.waivers:
        if not waiver.expired(today) and waiver.covers_rule(rule_id) and _selects(waiver.selector, case):
            return waiver
    return None


def _finding(
    rule: RuleConfig, outcome: Violation | Undetermined, case: DriftCase, policy: Policy, today: dt.date
) -> Finding:
    """One finding, where the code defines the client (else where the live one is read)."""
    anchor = case.code or case.live
    assert anchor is not None
    location, field, unknown = anchor.location, None, None
    doubt = case.code.is_m2m if case.code is not None else None
    if isinstance(outcome, Undetermined):
        level, unknown = Severity.NOTE, outcome.reason
        message = f"Cannot check {rule.id}: {outcome.reason}."
        location = dataclasses.replace(location, line=anchor.line_of(blocking_field(anchor, outcome.reason)))
    else:
        level, field, message = rule.severity, outcome.field, outcome.message
        if isinstance(doubt, Unknown):  # a client the code may not create, or may not make M2M
            level, message = Severity.NOTE, f"{message} ({applies_if(case.code, doubt)})"
        if field and anchor is case.code:
            location = dataclasses.replace(location, line=anchor.line_of(field))
    # one client of the code is compared with each live pool its pool matches
    identity = anchor.location.arn or f"{anchor.location.path}#{anchor.location.name}"
    if anchor is case.code and case.live_pool is not None:
        where = case.live_pool.location
        identity += f"|{where.arn if where and where.arn else case.live_pool.key}"
    waiver = _waiver(policy, rule.id, case, today)
    name = anchor.record.get("ClientName")
    return Finding(
        rule_id=rule.id,
        rule_type=rule.spec.type,
        level=level,
        message=message,
        location=location,
        subject=anchor.location.name,
        fingerprint=fingerprint(rule.id, identity, field),
        field=field,
        undetermined=unknown is not None or isinstance(doubt, Unknown),
        suppression=waiver.reason if waiver else None,
        unknown=unknown,
        client_name=name if isinstance(name, str) and name else None,
        pool_name=anchor.pool.name,
    )


def unmanaged_note(rules: Sequence[RuleConfig], cases: Sequence[DriftCase]) -> list[Notification]:
    """One note on the live M2M clients that no shadow rule compares: their pools are neither
    defined by the scanned code nor listed in ``managed_pools``."""
    shadow_rules = [r for r in rules if r.spec.type == "shadow_clients"]
    if not shadow_rules:
        return []
    left: dict[str, tuple[str, int]] = {}
    for case in cases:
        if case.kind != "shadow" or case.live_pool is None:
            continue
        if any(managed_by(case, r.params.get("managed_pools", ())) for r in shadow_rules):
            continue
        text, count = left.get(case.live_pool.key, (live_pool_text(case.live_pool), 0))
        left[case.live_pool.key] = (text, count + 1)
    if not left:
        return []
    named = sorted(text for text, _ in left.values())
    more = f" and {len(named) - POOLS_NAMED} more" if len(named) > POOLS_NAMED else ""
    clients = plural(sum(count for _, count in left.values()), "live M2M client", grouped=True)
    return [
        Notification(
            f"Not compared: {clients} in {plural(len(left), 'user pool')} that no scanned code "
            f"defines: {'; '.join(named[:POOLS_NAMED])}{more}. A pool the code manages without "
            "defining it (clients added by id) is compared once a managed_pools glob of the "
            "shadow_clients rule names it.",
            Severity.NOTE,
        )
    ]
