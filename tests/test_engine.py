"""The engine: selection, M2M filtering, waivers, pools, fingerprints, usage."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from m2m_guard.engine import blocking_field, cost_report, evaluate
from m2m_guard.model import AppClient, Coverage, Location, Pool, Severity, Tally, Unknown
from m2m_guard.policy import load_policy
from m2m_guard.usage_file import UsageData

TODAY = dt.date(2026, 11, 21)
POOL = Pool(
    key="t.yaml#Pool",
    label="Pool",
    names=("Pool", "orders"),
    location=Location("t.yaml", 2, logical_id="Pool"),
    resource_servers=("orders",),
)


def client(logical_id: str, line: int = 10, pool: Pool = POOL, **record: Any) -> AppClient:
    base: dict[str, Any] = {
        "ClientName": logical_id.lower(),
        "AllowedOAuthFlows": ("client_credentials",),
        "AllowedOAuthScopes": ("orders/read",),
        "AllowedOAuthFlowsUserPoolClient": True,
        "GenerateSecret": True,
    }
    base.update(record)
    return AppClient(
        record=base,
        location=Location("t.yaml", line, logical_id=logical_id),
        pool=pool,
        field_lines={"AccessTokenValidity": line + 3},
    )


def policy(rules: str, waivers: str = "") -> Any:
    return load_policy("p.yaml", f"version: 1\nrules:\n{rules}" + (f"waivers:\n{waivers}" if waivers else ""))


TTL = "  - {id: TTL, type: max_access_token_ttl, max: 1h}\n"


def test_only_m2m_clients_are_checked() -> None:
    user = client("Web", AllowedOAuthFlows=("code",), AccessTokenValidity=24)
    m2m = client("Svc", AccessTokenValidity=24)
    result = evaluate(policy(TTL), [user, m2m], today=TODAY)
    assert [f.subject for f in result.findings] == ["Svc"]
    finding = result.findings[0]
    assert finding.level is Severity.ERROR
    assert finding.location.line == 13  # the AccessTokenValidity line, not the resource line


def test_client_token_auth_is_m2m() -> None:
    c = client(
        "Tok", AllowedOAuthFlows=(), ExplicitAuthFlows=("ALLOW_CLIENT_TOKEN_AUTH",), AccessTokenValidity=2
    )
    assert [f.subject for f in evaluate(policy(TTL), [c], today=TODAY).findings] == ["Tok"]


def test_unknown_m2m_turns_violations_into_notes() -> None:
    c = client(
        "Maybe",
        AllowedOAuthFlows=Unknown("Ref to parameter Flows, which has no Default"),
        AccessTokenValidity=24,
    )
    (finding,) = evaluate(policy(TTL), [c], today=TODAY).findings
    assert finding.level is Severity.NOTE and finding.undetermined
    assert "Applies if the client is M2M" in finding.message


def test_undetermined_is_a_note_never_a_pass() -> None:
    c = client("Svc", AccessTokenValidity=Unknown("known after apply"))
    (finding,) = evaluate(policy(TTL), [c], today=TODAY).findings
    assert finding.level is Severity.NOTE and finding.undetermined
    assert finding.message == ("Cannot check TTL: AccessTokenValidity is unknown (known after apply).")


def test_selector_needs_clients_and_pools_to_match() -> None:
    rules = (
        "  - {id: TTL, type: max_access_token_ttl, max: 1h, match: {clients: ['svc-*'], pools: ['orders']}}\n"
    )
    a = client("A", ClientName="svc-a", AccessTokenValidity=24)
    b = client("B", ClientName="web-b", AccessTokenValidity=24)
    other_pool = dataclasses.replace(POOL, key="x", label="X", names=("X",))
    c = client("C", ClientName="svc-c", pool=other_pool, AccessTokenValidity=24)
    result = evaluate(policy(rules), [a, b, c], today=TODAY)
    assert [f.subject for f in result.findings] == ["A"]


def test_waiver_suppresses_until_expiry_and_expired_waiver_is_reported() -> None:
    waivers = (
        "  - {rule: TTL, clients: ['legacy-*'], reason: 'partner, OPS-123', expires: 2026-11-21}\n"
        "  - {rule: TTL, clients: ['old-*'], reason: 'gone', expires: 2026-11-20}\n"
    )
    legacy = client("Legacy", ClientName="legacy-1", AccessTokenValidity=24)
    old = client("Old", ClientName="old-1", AccessTokenValidity=24, line=30)
    result = evaluate(policy(TTL, waivers), [legacy, old], today=TODAY)
    by_subject = {f.subject: f for f in result.findings}
    assert by_subject["Legacy"].suppression == "partner, OPS-123"
    assert by_subject["Old"].suppression is None
    assert result.worst_level() is Severity.ERROR
    (note,) = result.notifications
    assert str(note) == (
        "p.yaml:6: waiver for TTL (old-*) expired on 2026-11-20; its findings are reported again."
    )
    assert not note.fatal
    after = evaluate(policy(TTL, waivers), [legacy], today=TODAY + dt.timedelta(days=1))
    assert after.findings[0].suppression is None


def test_fingerprint_ignores_line_numbers() -> None:
    a = evaluate(policy(TTL), [client("Svc", line=10, AccessTokenValidity=24)], today=TODAY)
    b = evaluate(policy(TTL), [client("Svc", line=99, AccessTokenValidity=24)], today=TODAY)
    assert a.findings[0].fingerprint == b.findings[0].fingerprint
    c = evaluate(policy(TTL), [client("Other", AccessTokenValidity=24)], today=TODAY)
    assert c.findings[0].fingerprint != a.findings[0].fingerprint


def test_pool_budget_points_at_the_pool_and_uses_usage() -> None:
    rules = "  - {id: BUDGET, type: pool_budget, monthly_usd: 10}\n"
    clients = [client("A"), client("B", line=20)]
    usage = UsageData(30, {"a": 0, "b": 40_000})
    (finding,) = evaluate(policy(rules), clients, today=TODAY, usage=usage).findings
    assert finding.location.path == "t.yaml" and finding.location.line == 2
    assert finding.subject == "Pool"
    # 2 clients × 6.00 + 40,000 × 30.4/30 requests × 0.00225
    assert "$103.20 a month" in finding.message
    assert "remove 1 unused client (A; saves $6.00)" in finding.message


def test_pools_merge_across_inputs() -> None:
    defined = dataclasses.replace(POOL, key="us-east-1_abc", resource_servers=("orders",))
    elsewhere = Pool(key="us-east-1_abc", label="us-east-1_abc", names=("us-east-1_abc",))
    rules = "  - {id: UNDEF, type: undefined_scopes}\n"
    c = client("Svc", pool=elsewhere, AllowedOAuthScopes=("orders/read", "billing/read"))
    d = client("Other", pool=defined)
    (finding,) = evaluate(policy(rules), [c, d], today=TODAY).findings
    assert finding.subject == "Svc"
    assert "'billing/read'" in finding.message and "'orders/read'" not in finding.message


def test_rules_describe_themselves_for_reports() -> None:
    result = evaluate(policy(TTL), [], today=TODAY)
    (info,) = result.rules
    assert info.id == "TTL" and info.type == "max_access_token_ttl"
    assert float(info.security_severity) > 0
    assert "```yaml" in info.help_markdown and "AccessTokenValidity" in info.help_markdown


def test_coverage_counts_the_clients_read_and_checked() -> None:
    user = client("Web", AllowedOAuthFlows=("code",))
    sure = client("Svc")
    maybe = client("Maybe", AllowedOAuthFlows=Unknown("Ref to parameter Flows, which has no Default"))
    elsewhere = dataclasses.replace(client("Other"), location=Location("u.yaml", 3, logical_id="Other"))
    result = evaluate(
        policy(TTL), [user, sure, maybe, elsewhere], today=TODAY, read=Coverage(files=7), working_dir="infra"
    )
    assert result.coverage == Coverage(
        app_clients=4, m2m_clients=3, possibly_m2m=1, files=7, files_with_m2m=2
    )
    assert result.working_dir == "infra"


def test_coverage_of_a_sweep_keeps_what_the_sweep_read() -> None:
    swept = Coverage(accounts=1, regions=2, account_regions=2, account_regions_failed=0, user_pools=3)
    result = evaluate(policy(TTL), [client("Svc")], today=TODAY, read=swept, category="live")
    assert result.coverage == dataclasses.replace(swept, app_clients=1, m2m_clients=1)
    assert result.coverage.files is None and result.coverage.files_with_m2m is None


def test_tally_counts_active_findings_by_level_and_waived_apart() -> None:
    waivers = "  - {rule: TTL, clients: ['legacy-*'], reason: 'ok', expires: 2099-01-01}\n"
    clients = [
        client("Legacy", ClientName="legacy-1", AccessTokenValidity=24),
        client("Svc", AccessTokenValidity=24),
        client("Pending", AccessTokenValidity=Unknown("known after apply")),
    ]
    assert evaluate(policy(TTL, waivers), clients, today=TODAY).tally == Tally(
        error=1, warning=0, note=1, waived=1
    )


def test_one_unknown_value_gives_every_blocked_rule_the_same_reason() -> None:
    rules = TTL + "  - {id: TTL-MIN, type: min_access_token_ttl, min: 15m}\n"
    c = client("Svc", AccessTokenValidity=Unknown("known after apply"))
    notes = evaluate(policy(rules), [c], today=TODAY).findings
    assert [f.rule_id for f in notes] == ["TTL", "TTL-MIN"]
    assert {f.unknown for f in notes} == {"AccessTokenValidity is unknown (known after apply)"}
    violation = evaluate(policy(TTL), [client("Svc", AccessTokenValidity=24)], today=TODAY).findings[0]
    assert violation.unknown is None


def test_findings_carry_client_and_pool_names() -> None:
    live_pool = dataclasses.replace(POOL, name="orders-pool")
    rules = TTL + "  - {id: BUDGET, type: pool_budget, monthly_usd: 1}\n"
    result = evaluate(policy(rules), [client("Svc", pool=live_pool, AccessTokenValidity=24)], today=TODAY)
    by_rule = {f.rule_id: f for f in result.findings}
    assert (by_rule["TTL"].client_name, by_rule["TTL"].pool_name) == ("svc", "orders-pool")
    assert (by_rule["BUDGET"].client_name, by_rule["BUDGET"].pool_name) == (None, "orders-pool")


# --- clients that may not exist, and where "cannot check" points ---------------------------------

MAYBE = Unknown("for_each: for expressions are not evaluated")


def test_client_that_may_not_exist_gets_notes_never_a_verdict() -> None:
    c = dataclasses.replace(client("Svc", AccessTokenValidity=24), may_not_exist=MAYBE)
    (finding,) = evaluate(policy(TTL), [c], today=TODAY).findings
    assert finding.level is Severity.NOTE and finding.undetermined
    assert finding.message == (
        "AccessTokenValidity is 1 day; policy TTL allows at most 1 hour. (Applies if the client exists, "
        "which is unknown (for_each: for expressions are not evaluated).)"
    )
    assert finding.location.line == 13  # still the property at fault
    # Both doubts at once are both said.
    both = dataclasses.replace(
        c, record={**c.record, "AllowedOAuthFlows": Unknown("var.flows has no default")}
    )
    (note,) = evaluate(policy(TTL), [both], today=TODAY).findings
    assert note.message.endswith(
        "(Applies if the client exists, which is unknown (for_each: for expressions are not evaluated), "
        "and is M2M, which is unknown (var.flows has no default).)"
    )


def test_client_that_may_not_exist_and_is_not_m2m_is_not_checked() -> None:
    web = dataclasses.replace(client("Web", AllowedOAuthFlows=("code",)), may_not_exist=MAYBE)
    result = evaluate(policy(TTL), [web], today=TODAY)
    assert (result.findings, result.coverage.m2m_clients) == ((), 0)


def test_client_that_may_not_exist_is_uncertain_in_budgets_and_costs() -> None:
    rules = "  - {id: BUDGET, type: pool_budget, monthly_usd: 10}\n"
    sure = client("Sure", AccessTokenValidity=1)
    maybe = dataclasses.replace(client("Maybe", AccessTokenValidity=1), may_not_exist=MAYBE)
    result = evaluate(policy(rules), [sure, maybe], today=TODAY)
    assert (result.coverage.m2m_clients, result.coverage.possibly_m2m) == (2, 1)
    # 1 certain client: 6.00 + 730 tokens × 0.00225 = 7.64, under the budget of 10
    assert result.findings == ()
    (line,) = cost_report(policy(rules), [sure, maybe]).pools
    assert (line.cost.client_count, line.uncertain) == (1, 1)
    # A client that may not exist, and an undetermined rule: nothing certain to say.
    unknown_ttl = dataclasses.replace(
        client("Ttl", AccessTokenValidity=Unknown("known after apply")), may_not_exist=MAYBE
    )
    assert evaluate(policy(TTL), [unknown_ttl], today=TODAY).findings == ()


def test_cannot_check_points_at_the_property_holding_the_unknown_value() -> None:
    rules = TTL + "  - {id: SCOPES, type: required_scopes, any_of: ['billing/*']}\n"
    c = dataclasses.replace(
        client(
            "Svc",
            AccessTokenValidity=Unknown("coalesce() is not evaluated"),
            AllowedOAuthScopes=("orders/read", Unknown("var.scope has no default")),
            TokenValidityUnits={"AccessToken": "minutes"},
        ),
        field_lines={"AccessTokenValidity": 14, "AllowedOAuthScopes": 17, "TokenValidityUnits": 20},
    )
    notes = {f.rule_id: f for f in evaluate(policy(rules), [c], today=TODAY).findings}
    assert (
        notes["TTL"].message
        == "Cannot check TTL: AccessTokenValidity is unknown (coalesce() is not evaluated)."
    )
    assert notes["TTL"].location.line == 14
    assert notes["SCOPES"].location.line == 17
    # Fingerprints keep no line and no field: moving the property changes neither.
    moved = dataclasses.replace(c, field_lines={"AccessTokenValidity": 40})
    again = {f.rule_id: f for f in evaluate(policy(rules), [moved], today=TODAY).findings}
    assert again["TTL"].location.line == 40
    assert again["TTL"].fingerprint == notes["TTL"].fingerprint and again["TTL"].field is None


def test_cannot_check_names_the_field_the_reason_names_when_several_hold_the_unknown() -> None:
    same = Unknown("var.x has no default")
    c = dataclasses.replace(
        client("Svc", AccessTokenValidity=24, TokenValidityUnits={"AccessToken": same}),
        field_lines={"AccessTokenValidity": 14, "TokenValidityUnits": 16, "ClientName": 11},
        record={
            **client("Svc").record,
            "ClientName": same,
            "AccessTokenValidity": 24,
            "TokenValidityUnits": {"AccessToken": same},
        },
    )
    (note,) = evaluate(policy(TTL), [c], today=TODAY).findings
    assert (
        note.message == "Cannot check TTL: TokenValidityUnits.AccessToken is unknown (var.x has no default)."
    )
    assert note.location.line == 16
    # A reason that quotes no value of the record stays on the resource line.
    servers = "  - {id: UNDEF, type: undefined_scopes}\n"
    unknown_pool = dataclasses.replace(POOL, resource_servers=None)
    (undefined,) = evaluate(policy(servers), [client("Svc", pool=unknown_pool)], today=TODAY).findings
    assert undefined.undetermined and undefined.location.line == 10


def test_a_reason_quoting_no_unknown_value_is_about_the_key_it_names() -> None:
    c = client("Svc", AccessTokenValidity=0)
    assert blocking_field(c, "AccessTokenValidity 0 is not a valid lifetime") == "AccessTokenValidity"
    assert blocking_field(c, "the resource servers of Pool are not in the scanned inputs") is None
    # a key named only as part of a longer word is not named
    assert blocking_field(c, "AccessTokenValidityX is odd") is None
