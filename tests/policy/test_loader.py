"""Policy loading: valid packs load, bad policies give exact file:line: path: messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from m2m_guard.model import Severity
from m2m_guard.policy import PolicyLoadError, builtin_packs, discover, load_policy
from m2m_guard.pricing import Pricing, Tier


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyLoadError) as caught:
        load_policy("p.yaml", text)
    return caught.value.lines


@pytest.mark.parametrize("name", ["default", "strict"])
def test_builtin_packs_load(name: str) -> None:
    packs = builtin_packs()
    policy = load_policy(name, packs[name].read_text())
    assert policy.rules
    assert len({r.id for r in policy.rules}) == len(policy.rules)


def test_rule_fields_are_prepared() -> None:
    policy = load_policy(
        "p.yaml",
        "version: 1\nrules:\n  - id: TTL\n    type: max_access_token_ttl\n    max: 15m\n"
        "    severity: warning\n    match: {clients: ['svc-*'], pools: ['orders']}\n",
    )
    (rule,) = policy.rules
    assert rule.params == {"max": 900}
    context = policy.context(rule)
    assert (context.rule_id, context.params, context.ttl_ceiling) == ("TTL", {"max": 900}, 900)
    assert rule.severity is Severity.WARNING
    assert rule.selector.clients == ("svc-*",) and rule.selector.pools == ("orders",)


def test_severity_defaults_to_error() -> None:
    policy = load_policy("p.yaml", "version: 1\nrules:\n  - {id: R, type: mixed_oauth_flows}\n")
    assert policy.rules[0].severity is Severity.ERROR


def test_waivers_and_pricing() -> None:
    policy = load_policy(
        "p.yaml",
        """version: 1
pricing:
  app_client_month_usd: 5
  token_request_tiers: [{up_to: 1000, usd: 0.002}, {usd: 0.001}]
rules: []
waivers:
  - rule: TTL-MAX
    clients: ["legacy-*"]
    reason: partner integration
    expires: 2027-03-31
""",
    )
    (waiver,) = policy.waivers
    assert waiver.expires == dt.date(2027, 3, 31)
    assert waiver.line == 7
    assert not waiver.expired(dt.date(2027, 3, 31))  # valid through the day
    assert waiver.expired(dt.date(2027, 4, 1))
    assert policy.pricing.app_client_month_usd == 5
    assert policy.pricing.requests_usd(1500) == pytest.approx(1000 * 0.002 + 500 * 0.001)


def test_pricing_is_read_into_typed_figures() -> None:
    # the schema takes 1000.0 as a whole number; the tier holds it as one
    policy = load_policy(
        "p.yaml",
        "version: 1\npricing:\n  token_request_tiers: [{up_to: 1000.0, usd: 1}, {usd: 0}]\nrules: []\n",
    )
    assert policy.pricing == Pricing(
        token_request_tiers=(Tier(1000, Decimal(1)), Tier(None, Decimal(0))),
        policy="p.yaml",
        overrides=("token_request_tiers",),
    )
    assert type(policy.pricing.token_request_tiers[0].up_to) is int
    assert type(policy.pricing.token_request_tiers[0].usd) is Decimal
    assert load_policy("p.yaml", "version: 1\npricing: {}\nrules: []\n").pricing == Pricing()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("0.00225", "0.00225"),
        ("0.50", "0.50"),
        ("2.25e-3", "0.00225"),
        ("0.002_25", "0.00225"),
        ("0.1", "0.1"),
        ("0.0000166667", "0.0000166667"),
        ("1", "1"),
    ],
)
def test_prices_are_read_as_written_never_through_a_float(written: str, expected: str) -> None:
    # PyYAML makes 0.00225 the float 0.002249999999999999855...; the price is the text written
    text = (
        f"version: 1\npricing:\n  token_request_usd: {written}\n"
        f"  token_request_tiers: [{{up_to: 10, usd: {written}}}, {{usd: {written}}}]\nrules: []\n"
    )
    pricing = load_policy("p.yaml", text).pricing
    assert str(pricing.token_request_usd) == expected
    assert [str(t.usd) for t in pricing.token_request_tiers] == [expected, expected]
    assert Decimal(0.00225) != Decimal("0.00225")  # why: the float is not the price


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: []\n", ["p.yaml:1: version: must be 1 (the only policy format version)"]),
        ("- a\n", ["p.yaml:1: (top level): a policy is a mapping with `version: 1` and `rules:`"]),
        ("version: 1\nrules: {}\n", ["p.yaml:2: rules: must be a list of rules"]),
        (
            "version: 1\nrules:\n  - id: A\n    type: max_access_token_ttl\n    max: 2x\n",
            ["p.yaml:5: rules[0].max: '2x' is not a duration like 300s, 15m, 1h or 1d"],
        ),
        (
            "version: 1\nrules:\n  - id: A\n    type: max_access_token_ttl\n    maxx: 1h\n",
            ["p.yaml:5: rules[0].maxx: unknown key 'maxx' (did you mean 'max'?)"],
        ),
        (
            "version: 1\nrules:\n  - id: A\n    type: ttl_max\n",
            [
                "p.yaml:4: rules[0].type: unknown rule type 'ttl_max' (known: access_token_validity_range, "
                "condition, drifted_clients, forbidden_scopes, max_access_token_ttl, min_access_token_ttl, "
                "missing_clients, mixed_oauth_flows, pool_budget, required_scopes, shadow_clients, "
                "token_customization, undefined_scopes, unused_client_credentials, user_auth_flows, "
                "user_identity_scopes, wildcard_scopes)"
            ],
        ),
        (
            "version: 1\nrules:\n  - {id: A, type: mixed_oauth_flows}\n  - {id: A, type: wildcard_scopes}\n",
            ["p.yaml:4: rules[1].id: duplicate id 'A' (also rules[0])"],
        ),
        (
            "version: 1\nrules:\n  - id: A\n    type: mixed_oauth_flows\n    severity: fatal\n",
            ["p.yaml:5: rules[0].severity: 'fatal' is not one of 'error', 'warning', 'note'"],
        ),
        (
            "version: 1\nrules:\n  - id: B\n    type: pool_budget\n    monthly_usd: lots\n",
            ["p.yaml:5: rules[0].monthly_usd: must be a number, not 'lots'"],
        ),
        (
            "version: 1\nrules: []\nwaivers:\n  - rule: A\n    reason: r\n    expires: 2027-02-30\n",
            ["p.yaml:6: waivers[0].expires: '2027-02-30' is not a date like 2027-03-31 (no such day)"],
        ),
        (
            "version: 1\nrules: []\nwaivers:\n  - rule: A\n    expires: 2027-02-01\n",
            ["p.yaml:4: waivers[0]: 'reason' is required"],
        ),
        (
            "version: 1\nrules:\n  - id: C\n    type: condition\n    key: X\n"
            "    op: matches\n    value: '('\n",
            ["p.yaml:7: rules[0].value: invalid regular expression: missing ) at position 1"],
        ),
        (  # keys that are not strings next to ones that are: sorting them raised TypeError
            "version: 1\nrules:\n  - id: A\n    type: mixed_oauth_flows\n    1: x\n    zeta: y\n",
            [
                "p.yaml:5: rules[0][1]: unknown key 1 (allowed: description, id, match, severity, type)",
                "p.yaml:6: rules[0].zeta: unknown key 'zeta' "
                "(allowed: description, id, match, severity, type)",
            ],
        ),
    ],
)
def test_bad_policies(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


def test_invalid_yaml_is_one_line_with_file_and_line() -> None:
    (line,) = errors_of("version: 1\nrules: [\n")
    assert line.startswith("p.yaml:3: invalid YAML: ")  # the rest is the YAML parser's wording


def test_every_error_is_reported_at_once() -> None:
    lines = errors_of(
        "version: 1\nrules:\n  - {id: A, type: max_access_token_ttl, max: 1x}\n"
        "  - {id: B, type: min_access_token_ttl, min: 1y}\n"
    )
    assert [line.split(": ")[1] for line in lines] == ["rules[0].max", "rules[1].min"]


def test_discovery_walks_upward(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert discover(nested) is None or not str(discover(nested)).startswith(str(tmp_path))
    (tmp_path / ".m2m-guard.yaml").write_text("version: 1\nrules: []\n")
    assert discover(nested) == tmp_path / ".m2m-guard.yaml"
    (tmp_path / "a" / ".m2m-guard.yml").write_text("version: 1\nrules: []\n")
    assert discover(nested) == tmp_path / "a" / ".m2m-guard.yml"


def test_a_typo_of_type_is_named_once() -> None:
    assert errors_of("version: 1\nrules:\n  - id: A\n    tpye: mixed_oauth_flows\n") == [
        "p.yaml:4: rules[0].tpye: unknown key 'tpye' (did you mean 'type'?)"
    ]


def test_a_missing_type_without_a_typo_is_required() -> None:
    assert errors_of("version: 1\nrules:\n  - id: A\n    max: 1h\n") == [
        "p.yaml:3: rules[0]: 'type' is required"
    ]


def test_an_unknown_type_hides_no_other_error() -> None:
    text = """version: 1
pricing:
  app_client_month_usd: free
rules:
  - id: A
    type: max_acess_token_ttl
    max: 1h
    severity: fatal
  - id: B
    type: min_access_token_ttl
    min: 5x
waivers:
  - rule: A
    reason: r
    expires: tomorrow
"""
    assert errors_of(text) == [
        "p.yaml:3: pricing.app_client_month_usd: must be a number, not 'free'",
        "p.yaml:6: rules[0].type: unknown rule type 'max_acess_token_ttl' "
        "(did you mean 'max_access_token_ttl'?)",
        "p.yaml:8: rules[0].severity: 'fatal' is not one of 'error', 'warning', 'note'",
        "p.yaml:11: rules[1].min: '5x' is not a duration like 300s, 15m, 1h or 1d",
        "p.yaml:15: waivers[0].expires: 'tomorrow' is not a date like 2027-03-31",
    ]


def test_errors_are_sorted_by_line() -> None:
    text = (
        "version: 1\nrules:\n  - id: A\n    type: nope\n    zzz: 1\n  - id: A\n    type: mixed_oauth_flows\n"
    )
    lines = errors_of(text)
    assert [int(line.split(":")[1]) for line in lines] == [4, 6]
    assert lines[1] == "p.yaml:6: rules[1].id: duplicate id 'A' (also rules[0])"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("90", "90 has no unit; did you mean 90m (90 minutes)?"),
        ("1", "1 has no unit; did you mean 1h (1 hour) or 1d (1 day)?"),
        ("5", "5 has no unit; did you mean 5m (5 minutes) or 5h (5 hours)?"),
        ("300", "300 has no unit; did you mean 300s (300 seconds) or 300m (300 minutes)?"),
        ("3600", "3600 has no unit; did you mean 3600s (3600 seconds)?"),
        ("'90'", "'90' has no unit; did you mean 90m (90 minutes)?"),
        (
            "100000",
            "100000 has no unit; write a duration like 300s, 15m, 1h or 1d "
            "(access tokens live 5 minutes to 1 day)",
        ),
        (
            "0",
            "0 has no unit; write a duration like 300s, 15m, 1h or 1d "
            "(access tokens live 5 minutes to 1 day)",
        ),
        ("-5", "-5 is not a duration like 300s, 15m, 1h or 1d"),
        ("1.5", "1.5 is not a duration like 300s, 15m, 1h or 1d"),
        ("true", "true is not a duration like 300s, 15m, 1h or 1d"),
        ("", "is empty; write a duration like 300s, 15m, 1h or 1d"),
        ("[1h]", "a list is not a duration like 300s, 15m, 1h or 1d"),
        ("0s", "must be longer than zero"),
    ],
)
def test_duration_messages(value: str, message: str) -> None:
    for key, rule_type in (("max", "max_access_token_ttl"), ("min", "min_access_token_ttl")):
        text = f"version: 1\nrules:\n  - id: A\n    type: {rule_type}\n    {key}: {value}\n"
        assert errors_of(text) == [f"p.yaml:5: rules[0].{key}: {message}"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/03/2027", "'31/03/2027' is not a date like 2027-03-31"),
        ("20270331", "20270331 is not a date like 2027-03-31"),
        ("", "is empty; write a date like 2027-03-31"),
        ("2027-13-01", "'2027-13-01' is not a date like 2027-03-31 (no such day)"),
    ],
)
def test_expires_messages(value: str, message: str) -> None:
    text = f"version: 1\nrules: []\nwaivers:\n  - rule: A\n    reason: r\n    expires: {value}\n"
    assert errors_of(text) == [f"p.yaml:6: waivers[0].expires: {message}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("verison: 1\nrules: []\n", ["p.yaml:1: verison: unknown key 'verison' (did you mean 'version'?)"]),
        ("version: 1\nrulez: []\n", ["p.yaml:2: rulez: unknown key 'rulez' (did you mean 'rules'?)"]),
        (
            "version: 1\nrules: []\nextra: 1\n",
            ["p.yaml:3: extra: unknown key 'extra' (allowed: pricing, rules, version, waivers)"],
        ),
        (
            "version: 1\nrules:\n  - {id: 'a b', type: mixed_oauth_flows}\n",
            [
                "p.yaml:3: rules[0].id: 'a b' is not a valid id (letters, digits, _, . and -, "
                "starting with a letter or digit)"
            ],
        ),
        (
            "version: 1\nrules:\n  - {id: A, type: condition, key: X, op: equal, value: 1}\n",
            [
                "p.yaml:3: rules[0].op: 'equal' is not one of 'absent', 'contains', 'equals', 'ge', 'gt', "
                "'in', 'le', 'lt', 'matches', 'not_contains', 'not_equals', 'not_in', 'present' "
                "(did you mean 'equals'?)"
            ],
        ),
        (
            "version: 1\nrules:\n  - {id: A, type: forbidden_scopes, scopes: []}\n"
            "  - {id: B, type: unused_client_credentials, lookback_days: 0}\n"
            "  - {id: C, type: mixed_oauth_flows, match: {client: [x], pools: ['']}}\n",
            [
                "p.yaml:3: rules[0].scopes: must not be empty",
                "p.yaml:4: rules[1].lookback_days: must be at least 1",
                "p.yaml:5: rules[2].match.client: unknown key 'client' (did you mean 'clients'?)",
                "p.yaml:5: rules[2].match.pools[0]: must not be empty",
            ],
        ),
        (
            "version: 1\nrules: []\npricing:\n  token_request_usd: -1\n  token_request_tiers: []\n",
            [
                "p.yaml:4: pricing.token_request_usd: must not be negative",
                "p.yaml:5: pricing.token_request_tiers: must not be empty",
            ],
        ),
        (
            "version: 1\nrules: []\npricing:\n  token_request_tiers:\n    - {up_to: 2.5, usd: 1}\n",
            ["p.yaml:5: pricing.token_request_tiers[0].up_to: must be a whole number, not 2.5"],
        ),
        ("version: 1\nrules: []\nwaivers: {}\n", ["p.yaml:3: waivers: must be a list, not a mapping"]),
        (  # an unknown type still has its common keys checked, but not its parameters
            "version: 1\nrules:\n  - id: A\n    type: spend\n    monthly_usd: 5\n    severty: note\n"
            "    match: {clients: svc}\n",
            [
                "p.yaml:4: rules[0].type: unknown rule type 'spend' (known: access_token_validity_range, "
                "condition, drifted_clients, forbidden_scopes, max_access_token_ttl, min_access_token_ttl, "
                "missing_clients, mixed_oauth_flows, pool_budget, required_scopes, shadow_clients, "
                "token_customization, undefined_scopes, unused_client_credentials, user_auth_flows, "
                "user_identity_scopes, wildcard_scopes)",
                "p.yaml:6: rules[0].severty: unknown key 'severty' (did you mean 'severity'?)",
                "p.yaml:7: rules[0].match.clients: must be a list, not 'svc'",
            ],
        ),
        (
            "version: 1\nrules:\n  - {id: A, type: 7}\n",
            ["p.yaml:3: rules[0].type: must be a rule type name (see `m2m-guard rules`), not 7"],
        ),
    ],
)
def test_schema_problems_in_plain_words(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


RAW_SCHEMA_WORDS = (
    "^",
    "$",
    "does not match",
    "is not of type",
    "is a required property",
    "non-empty",
    "is too short",
    "less than the minimum",
    "is not valid under",
)


def test_no_message_shows_schema_internals() -> None:
    text = """version: 1
pricing: {app_client_month_usd: x, token_request_usd: -1, token_request_tiers: [{up_to: 0}, {usd: x, y: 1}]}
rules:
  - {id: '', type: max_access_token_ttl, max: 90, severity: 1, description: 2, match: {clients: ''}}
  - {id: B, type: condition, key: '', op: x, message: ''}
  - {id: C, type: required_scopes, any_of: [1], all_of: x}
  - {id: D, type: user_auth_flows, allow: [1]}
  - {type: pool_budget, monthly_usd: -1}
  - 5
waivers:
  - {rule: 1, clients: [''], pools: x, reason: '', expires: 2027-3-1}
  - x
"""
    lines = errors_of(text)
    assert len(lines) > 20
    for line in lines:
        assert not any(word in line for word in RAW_SCHEMA_WORDS), line
        assert not line.endswith("is not allowed here"), line  # the fallback: every keyword is worded


def test_every_schema_keyword_is_worded() -> None:
    from m2m_guard.policy.schema import build_schema
    from m2m_guard.policy.schema_check import WORDED_KEYWORDS

    structural = {
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "title",
        "description",
        "properties",
        "items",
        "allOf",
        "if",
        "then",
    }
    found: set[str] = set()

    def walk(schema: object) -> None:
        if isinstance(schema, dict):
            for key, value in schema.items():
                found.add(key)
                if key in ("properties", "$defs"):
                    for sub in value.values():
                        walk(sub)
                elif key in ("items", "if", "then"):
                    walk(value)
                elif key == "allOf":
                    for sub in value:
                        walk(sub)

    walk(build_schema())
    assert found - structural <= WORDED_KEYWORDS


WAIVED = "version: 1\nrules:\n  - {id: TTL-MAX, type: max_access_token_ttl, max: 1h}\nwaivers:\n"


@pytest.mark.parametrize(
    ("rule", "warning"),
    [
        ("TTL-MAX", None),
        ("TTL-*", None),
        ("*", None),
        ("TTL-MAXX", "'TTL-MAXX' matches no rule id of this policy (did you mean 'TTL-MAX'?)"),
        ("SCOPES-*", "'SCOPES-*' matches no rule id of this policy (rule ids: TTL-MAX)"),
    ],
)
def test_a_waiver_matching_no_rule_is_a_warning(rule: str, warning: str | None) -> None:
    text = WAIVED + f"  - rule: '{rule}'\n    reason: r\n    expires: 2027-03-31\n"
    policy = load_policy("p.yaml", text)
    assert len(policy.waivers) == 1
    assert policy.warnings == (() if warning is None else (f"p.yaml:5: warning: waivers[0].rule: {warning}",))


def test_a_waiver_in_a_policy_without_rules() -> None:
    policy = load_policy(
        "p.yaml", "version: 1\nrules: []\nwaivers:\n  - {rule: A, reason: r, expires: 2027-01-01}\n"
    )
    assert policy.warnings == (
        "p.yaml:4: warning: waivers[0].rule: 'A' matches no rule id of this policy (it has no rules)",
    )


def test_warnings_come_with_the_errors_sorted_by_line() -> None:
    text = (
        WAIVED + "  - {rule: X, reason: r, expires: 2027-03-31}\n  - {rule: TTL-MAX, reason: r, expires: x}\n"
    )
    with pytest.raises(PolicyLoadError) as caught:
        load_policy("p.yaml", text)
    assert caught.value.lines == ["p.yaml:6: waivers[1].expires: 'x' is not a date like 2027-03-31"]
    assert caught.value.diagnostics == [
        "p.yaml:5: warning: waivers[0].rule: 'X' matches no rule id of this policy (rule ids: TTL-MAX)",
        "p.yaml:6: waivers[1].expires: 'x' is not a date like 2027-03-31",
    ]


# --- numbers: finite, not absurd -------------------------------------------------------------------

PRICING = "version: 1\nrules: []\npricing:\n"
BUDGET = "version: 1\nrules:\n  - id: B\n    type: pool_budget\n    monthly_usd: {}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            PRICING + "  app_client_month_usd: .nan\n",
            "p.yaml:4: pricing.app_client_month_usd: must be a number, not .nan",
        ),
        (
            PRICING + "  app_client_month_usd: .NaN\n",
            "p.yaml:4: pricing.app_client_month_usd: must be a number, not .nan",
        ),
        (
            PRICING + "  token_request_usd: .inf\n",
            "p.yaml:4: pricing.token_request_usd: must be a finite number, not .inf",
        ),
        (
            PRICING + "  token_request_tiers: [{up_to: 10, usd: -.inf}, {usd: 1}]\n",
            "p.yaml:4: pricing.token_request_tiers[0].usd: must be a finite number, not -.inf",
        ),
        (
            PRICING + "  token_request_usd: 1.0e-320\n",
            "p.yaml:4: pricing.token_request_usd: 1e-320 is too close to zero to compute with; "
            "write 0 or a larger number",
        ),
        (
            PRICING + "  app_client_month_usd: 1000.01\n",
            "p.yaml:4: pricing.app_client_month_usd: 1000.01 is more than m2m-guard accepts here "
            "(at most 1,000)",
        ),
        (
            PRICING + "  token_request_usd: 2\n",
            "p.yaml:4: pricing.token_request_usd: 2 is more than m2m-guard accepts here (at most 1)",
        ),
        (
            PRICING + "  token_request_tiers: [{up_to: 1000000000000001, usd: 1}]\n",
            "p.yaml:4: pricing.token_request_tiers[0].up_to: 1000000000000001 is more than m2m-guard accepts "
            "anywhere in a policy (at most 10**15)",
        ),
        (BUDGET.format(".nan"), "p.yaml:5: rules[0].monthly_usd: must be a number, not .nan"),
        (BUDGET.format(".inf"), "p.yaml:5: rules[0].monthly_usd: must be a finite number, not .inf"),
        (BUDGET.format("-1"), "p.yaml:5: rules[0].monthly_usd: must not be negative"),
        (
            BUDGET.format("1000000001"),
            "p.yaml:5: rules[0].monthly_usd: 1000000001 is more than m2m-guard accepts here "
            "(at most 1,000,000,000)",
        ),
        (  # YAML keeps integers of thousands of digits: float() of one would crash the budget
            BUDGET.format("9" * 4000),
            "p.yaml:5: rules[0].monthly_usd: a number of 4000 digits is more than m2m-guard accepts anywhere "
            "in a policy (at most 10**15)",
        ),
        (
            "version: 1\nrules:\n  - {id: U, type: unused_client_credentials, lookback_days: .inf}\n",
            "p.yaml:3: rules[0].lookback_days: must be a finite number, not .inf",
        ),
        (  # int() of 5,000 digits is refused: this crashed the loader
            "version: 1\nrules:\n  - id: T\n    type: max_access_token_ttl\n    max: " + "9" * 5000 + "s\n",
            "p.yaml:5: rules[0].max: '9999999999999999'... (5001 characters) is longer than m2m-guard "
            "accepts (at most 365d; access tokens live at most 1 day)",
        ),
        (  # numbers are checked wherever they are, even where the schema would not look
            "version: 1\nrules: []\nwaivers:\n  - {rule: X, reason: .nan, expires: 2027-01-01}\n",
            "p.yaml:4: waivers[0].reason: must be a number, not .nan",
        ),
    ],
)
def test_numbers_that_are_not_finite_or_absurd_are_refused(text: str, expected: str) -> None:
    assert errors_of(text) == [expected]


@pytest.mark.parametrize(
    "pricing",
    [
        "  app_client_month_usd: 0\n  token_request_usd: 0\n",
        "  app_client_month_usd: 1000\n  token_request_usd: 1\n",
        "  token_request_tiers: [{up_to: 1000000000000000, usd: 0.00225}, {usd: 0}]\n",
    ],
)
def test_the_bounds_themselves_are_accepted(pricing: str) -> None:
    assert load_policy("p.yaml", PRICING + pricing).pricing is not None
    assert load_policy("p.yaml", BUDGET.format("1000000000")).rules[0].params["monthly_usd"] == 10**9
