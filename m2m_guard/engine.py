"""evaluate(policy, clients) -> RunResult. Pure: no I/O, no clock (``today`` is an argument)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from m2m_guard.cost import CostReport, PoolLine, pool_cost, savings_plan
from m2m_guard.model import (
    AppClient,
    Category,
    Coverage,
    Finding,
    Location,
    Notification,
    Pool,
    RuleInfo,
    RunResult,
    Severity,
    Undetermined,
    Unknown,
    Violation,
)
from m2m_guard.policy import Policy, RuleConfig, Waiver
from m2m_guard.pricing import amount
from m2m_guard.rules import ClientRule, PoolRule, PoolView, RuleContext
from m2m_guard.usage_file import UsageData


def fingerprint(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8", "surrogatepass")).hexdigest()[
        :32
    ]


def _client_identity(client: AppClient) -> str:
    loc = client.location
    return loc.arn or f"{loc.path}#{loc.name}"


def _client_name(client: AppClient | None) -> str | None:
    name = client.record.get("ClientName") if client is not None else None
    return name if isinstance(name, str) and name else None


def merge_pools(clients: Sequence[AppClient], pools: Iterable[Pool] = ()) -> list[AppClient]:
    """One Pool per key across all inputs, so that resource servers, names and settings add up.

    ``pools`` are pools read without clients (saved describe-user-pool output): they give their
    names, location and settings to the clients' pools of the same key, after the clients' own.
    """
    merged: dict[str, Pool] = {}
    for pool in itertools.chain((c.pool for c in clients), pools):
        seen = merged.get(pool.key)
        merged[pool.key] = pool if seen is None else _merged(seen, pool)
    return [
        c if c.pool == merged[c.pool.key] else dataclasses.replace(c, pool=merged[c.pool.key])
        for c in clients
    ]


def _merged(seen: Pool, pool: Pool) -> Pool:
    """``seen`` with what ``pool`` (the same key, from another input) adds to it."""
    servers = seen.resource_servers
    if pool.resource_servers is not None:
        servers = tuple(sorted(set(servers or ()) | set(pool.resource_servers)))
    return dataclasses.replace(
        seen,
        names=tuple(dict.fromkeys((*seen.names, *pool.names))),
        location=seen.location or pool.location,
        resource_servers=servers,
        name=seen.name or pool.name,
        # the input that defines the pool holds its settings; a client elsewhere does not
        settings=seen.settings if seen.settings is not None else pool.settings,
    )


def prepare(
    clients: Sequence[AppClient], usage: UsageData | None, pools: Iterable[Pool] = ()
) -> list[AppClient]:
    """Usage attached (what a source recorded wins over the usage file), pools merged (with
    ``pools``, those read without clients)."""
    if usage is not None:
        clients = [c if c.usage else dataclasses.replace(c, usage=usage.lookup(c)) for c in clients]
    return merge_pools(clients, pools)


def m2m_clients(clients: Sequence[AppClient]) -> list[tuple[AppClient, Unknown | None]]:
    """The clients that are, or may be, M2M; the second item says why it is not certain."""
    out: list[tuple[AppClient, Unknown | None]] = []
    for client in clients:
        verdict = client.is_m2m
        if verdict is True:
            out.append((client, None))
        elif isinstance(verdict, Unknown):
            out.append((client, verdict))
    return out


def applies_if(client: AppClient | None, doubt: Unknown) -> str:
    """The doubt on a possibly-M2M client's finding: whether it exists, whether it is M2M."""
    doubts = []
    if client is not None and client.may_not_exist is not None:
        doubts.append(f"exists, which is {client.may_not_exist}")
    flows = client.m2m_flows if client is not None else doubt
    if isinstance(flows, Unknown) or not doubts:
        doubts.append(f"is M2M, which is {flows if isinstance(flows, Unknown) else doubt}")
    return f"Applies if the client {', and '.join(doubts)}."


def blocking_field(client: AppClient, reason: str) -> str | None:
    """The record key holding the unknown value that a rule could not check past.

    Rules quote the unknown value in their reason (``AccessTokenValidity is unknown (...)``),
    so the key is the one holding an unknown value the reason quotes; when several do, the one
    the reason names first. A reason that quotes none (a value of the wrong kind) is about the
    key it names first, if any.
    """
    holding: list[tuple[int, int, str]] = []
    named: list[tuple[int, int, str]] = []
    for order, (key, value) in enumerate(client.record.items()):
        holds = any(str(u) in reason for u in _unknowns(value))
        # a substring test first: most keys appear nowhere in the reason (a regex per key and
        # note was most of the evaluation time of large inputs)
        found = re.search(rf"\b{re.escape(key)}\b", reason) if key in reason else None
        if not (holds or found):
            continue
        position = found.start() if found else len(reason)
        (holding if holds else named).append((position, order, key))
    return min(holding or named)[2] if holding or named else None


def _unknowns(value: object, depth: int = 0) -> Iterator[Unknown]:
    if isinstance(value, Unknown):
        yield value
    elif depth < 8 and isinstance(value, (tuple, list)):
        for item in value:
            yield from _unknowns(item, depth + 1)
    elif depth < 8 and isinstance(value, Mapping):
        for item in value.values():
            yield from _unknowns(item, depth + 1)


def expired_waivers(policy: Policy, today: dt.date) -> list[Notification]:
    """One warning per waiver of ``policy`` that has expired by ``today``."""
    return [
        Notification(
            f"{w.describe()} expired on {w.expires.isoformat()}; its findings are reported again.",
            Severity.WARNING,
            path=policy.source,
            line=w.line,
        )
        for w in policy.waivers
        if w.expired(today)
    ]


def rule_info(rule: RuleConfig) -> RuleInfo:
    """What a report says of a rule of the policy."""
    spec = rule.spec
    return RuleInfo(
        id=rule.id,
        type=spec.type,
        summary=spec.summary,
        description=rule.description or spec.description,
        help_markdown=spec.help_markdown,
        level=rule.severity,
        security_severity=spec.security_severity,
        tags=spec.tags,
        help_uri=spec.help_uri,
    )


class _Evaluation:
    def __init__(self, policy: Policy, today: dt.date) -> None:
        self.policy = policy
        self.today = today
        self.findings: list[Finding] = []

    def waiver_for(self, rule_id: str, client: AppClient | None, pool: Pool) -> Waiver | None:
        for waiver in self.policy.waivers:
            if waiver.expired(self.today) or not waiver.covers_rule(rule_id):
                continue
            if client is not None and waiver.selector.selects_client(client):
                return waiver
            if client is None and not waiver.selector.clients and waiver.selector.selects_pool(pool):
                return waiver
        return None

    def add(
        self,
        rule: RuleConfig,
        outcome: Violation | Undetermined,
        *,
        location: Location,
        subject: str,
        identity: str,
        client: AppClient | None,
        pool: Pool,
        doubt: Unknown | None = None,
    ) -> None:
        unknown = None
        if isinstance(outcome, Undetermined):
            level, field, unknown = Severity.NOTE, None, outcome.reason
            message = f"Cannot check {rule.id}: {outcome.reason}."
            # The note points at the property holding the unknown value; its fingerprint keeps
            # no field, so that it stays the same finding when that property moves.
            if client is not None:
                location = dataclasses.replace(
                    location, line=client.line_of(blocking_field(client, outcome.reason))
                )
        elif doubt is not None:
            level, field = Severity.NOTE, outcome.field
            message = f"{outcome.message} ({applies_if(client, doubt)})"
        else:
            level, field, message = rule.severity, outcome.field, outcome.message
        if client is not None and field:
            location = dataclasses.replace(location, line=client.line_of(field))
        waiver = self.waiver_for(rule.id, client, pool)
        self.findings.append(
            Finding(
                rule_id=rule.id,
                rule_type=rule.spec.type,
                level=level,
                message=message,
                location=location,
                subject=subject,
                fingerprint=fingerprint(rule.id, identity, field),
                field=field,
                undetermined=isinstance(outcome, Undetermined) or doubt is not None,
                suppression=waiver.reason if waiver else None,
                unknown=unknown,
                client_name=_client_name(client),
                pool_name=pool.name,
            )
        )

    def client_rule(
        self,
        rule: RuleConfig,
        check: ClientRule,
        context: RuleContext,
        clients: Iterable[tuple[AppClient, Unknown | None]],
    ) -> None:
        for client, doubt in clients:
            if not rule.selector.selects_client(client):
                continue
            try:
                outcomes: list[Violation | Undetermined] = list(check(client, context))
            except Undetermined as exc:
                if doubt is not None:
                    continue  # unknown whether M2M *and* undetermined: nothing worth saying
                outcomes = [exc]
            for outcome in outcomes:
                self.add(
                    rule,
                    outcome,
                    location=client.location,
                    subject=client.location.name,
                    identity=_client_identity(client),
                    client=client,
                    pool=client.pool,
                    doubt=doubt,
                )

    def pool_rule(
        self, rule: RuleConfig, check: PoolRule, context: RuleContext, clients: Sequence[AppClient]
    ) -> None:
        groups: dict[str, list[AppClient]] = {}
        for client in clients:
            if rule.selector.selects_client(client):
                groups.setdefault(client.pool.key, []).append(client)
        for members in groups.values():
            pool = members[0].pool
            view = PoolView(pool, tuple(members))
            try:
                outcomes: list[Violation | Undetermined] = list(check(view, context))
            except Undetermined as exc:
                outcomes = [exc]
            first = min(members, key=lambda c: (c.location.path, c.location.line or 0))
            location = pool.location or first.location
            subject = pool.location.name if pool.location else pool.label
            for outcome in outcomes:
                self.add(
                    rule,
                    outcome,
                    location=location,
                    subject=subject,
                    identity=f"pool:{pool.key}",
                    client=None,
                    pool=pool,
                )


def evaluate(
    policy: Policy,
    clients: Sequence[AppClient],
    *,
    today: dt.date,
    usage: UsageData | None = None,
    notifications: Sequence[Notification] = (),
    category: Category = "iac",
    tool_version: str = "0.0.0",
    read: Coverage | None = None,
    working_dir: str = ".",
    pools: Sequence[Pool] = (),
) -> RunResult:
    """Evaluate every rule of ``policy`` on the M2M clients among ``clients``.

    ``read`` says what the input stage read (files, or accounts, regions and pools); the
    result's coverage adds the clients read and checked. ``pools`` are pools read without
    clients (saved describe-user-pool output): they complete the clients' pools of the same
    key (merge_pools) and are not reported on their own.
    """
    m2m = m2m_clients(prepare(clients, usage, pools))
    run = _Evaluation(policy, today)
    certain = [c for c, doubt in m2m if doubt is None]
    # drift rules compare code with live accounts: `m2m-guard drift` runs them (m2m_guard/drift/)
    checked = tuple(r for r in policy.rules if r.spec.scope != "drift")
    for rule in checked:
        spec, context = rule.spec, policy.context(rule)
        if spec.scope == "pool":
            run.pool_rule(rule, spec.func, context, certain)
        elif spec.scope == "client":
            run.client_rule(rule, spec.func, context, m2m)
    return RunResult(
        rules=tuple(rule_info(r) for r in checked),
        findings=tuple(sorted(run.findings, key=_order)),
        notifications=(*notifications, *expired_waivers(policy, today)),
        category=category,
        tool_version=tool_version,
        coverage=_coverage(read or Coverage(), clients, m2m),
        working_dir=working_dir,
    )


def _coverage(
    read: Coverage, clients: Sequence[AppClient], m2m: Sequence[tuple[AppClient, Unknown | None]]
) -> Coverage:
    return dataclasses.replace(
        read,
        app_clients=len(clients),
        m2m_clients=len(m2m),
        possibly_m2m=sum(1 for _, doubt in m2m if doubt is not None),
        files_with_m2m=len({c.location.path for c, _ in m2m}) if read.files is not None else None,
    )


def _order(f: Finding) -> tuple[str, int, str, str]:
    return (f.location.path, f.location.line or 0, f.rule_id, f.fingerprint)


def cost_report(
    policy: Policy,
    clients: Sequence[AppClient],
    usage: UsageData | None = None,
    *,
    pools: Sequence[Pool] = (),
) -> CostReport:
    """Per pool: the M2M clients, their monthly cost, the budget and the savings plan.

    The same computation as ``pool_budget``; a pool's budget is the tightest ``pool_budget``
    rule that selects it. ``pools`` as for :func:`evaluate`: only pools with M2M clients are
    in the report.
    """
    groups: dict[str, list[AppClient]] = {}
    uncertain: dict[str, int] = {}
    by_key: dict[str, Pool] = {}
    for client, doubt in m2m_clients(prepare(clients, usage, pools)):
        by_key.setdefault(client.pool.key, client.pool)
        if doubt is None:
            groups.setdefault(client.pool.key, []).append(client)
        else:
            uncertain[client.pool.key] = uncertain.get(client.pool.key, 0) + 1
    budget_rules = [r for r in policy.rules if r.spec.type == "pool_budget"]
    lines = []
    for key in sorted(by_key, key=lambda k: by_key[k].label):
        members = groups.get(key, [])
        budgets = [
            amount(r.params["monthly_usd"]) for r in budget_rules if r.selector.selects_pool(by_key[key])
        ]
        budget = min(budgets, default=None)
        cost = pool_cost(members, policy.pricing)
        lines.append(
            PoolLine(
                pool=by_key[key],
                cost=cost,
                plan=savings_plan(cost, budget, policy.ttl_ceiling()),
                budget_usd=budget,
                uncertain=uncertain.get(key, 0),
            )
        )
    return CostReport(tuple(lines), policy.pricing)
