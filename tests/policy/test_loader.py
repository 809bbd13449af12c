"""Policy loading: valid packs load, bad policies give exact file:line: path: messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from m2m_guard.model import Severity
from m2m_guard.policy import PolicyLoadError, builtin_packs, discover, load_policy


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
    assert rule.params["max"] == 900
    assert rule.params["rule"] == "TTL"
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
            [
                "p.yaml:5: rules[0].maxx: unknown key 'maxx' (allowed: description, id, match, max, "
                "severity, type)",
                "p.yaml:3: rules[0]: 'max' is required",
            ],
        ),
        (
            "version: 1\nrules:\n  - id: A\n    type: ttl_max\n",
            [
                "p.yaml:4: rules[0].type: unknown rule type 'ttl_max' (known: access_token_validity_range, "
                "condition, forbidden_scopes, max_access_token_ttl, min_access_token_ttl, mixed_oauth_flows, "
                "pool_budget, required_scopes, undefined_scopes, unused_client_credentials, user_auth_flows, "
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
            ["p.yaml:5: rules[0].monthly_usd: must be number, not a string"],
        ),
        (
            "version: 1\nrules: []\nwaivers:\n  - rule: A\n    reason: r\n    expires: 2027-02-30\n",
            ["p.yaml:6: waivers[0].expires: '2027-02-30' is not a date (YYYY-MM-DD)"],
        ),
        (
            "version: 1\nrules: []\nwaivers:\n  - rule: A\n    expires: 2027-02-01\n",
            ["p.yaml:4: waivers[0]: 'reason' is required"],
        ),
        (
            "version: 1\nrules:\n  - id: C\n    type: condition\n    key: X\n"
            "    op: matches\n    value: '('\n",
            [
                "p.yaml:7: rules[0].value: invalid regular expression:"
                " missing ), unterminated subpattern at position 0"
            ],
        ),
        ("version: 1\nrules: [\n", ["p.yaml:3: invalid YAML: did not find expected node content"]),
        (  # keys that are not strings next to ones that are: sorting them raised TypeError
            "version: 1\nrules:\n  - id: A\n    type: mixed_oauth_flows\n    1: x\n    zeta: y\n",
            ["p.yaml:5: rules[0][1]: unknown key 1 (allowed: description, id, match, severity, type)"],
        ),
    ],
)
def test_bad_policies(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


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
