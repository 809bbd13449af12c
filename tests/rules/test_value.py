"""The generic condition rule: key / operator / value over the client record."""

from __future__ import annotations

from typing import Any

import pytest

from m2m_guard.model import AppClient, Undetermined, Violation
from m2m_guard.rules import PolicyError, RuleContext
from m2m_guard.rules.value import OPERATORS
from tests.rules.clients import check, client_rule, context, m2m, params, unknown

CLIENT = m2m(
    AccessTokenValidity=30,
    TokenValidityUnits={"AccessToken": "minutes"},
    EnableTokenRevocation=True,
    ExplicitAuthFlows=("ALLOW_CLIENT_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
)

CASES = [
    # key, op, value, holds
    ("EnableTokenRevocation", "equals", True, True),
    ("EnableTokenRevocation", "equals", False, False),
    ("AllowedOAuthFlows", "equals", ["client_credentials"], True),  # lists compare as written in YAML
    ("AccessTokenValidity", "equals", "30", False),
    ("EnableTokenRevocation", "not_equals", False, True),
    ("EnableTokenRevocation", "not_equals", True, False),
    ("TokenValidityUnits.AccessToken", "in", ["minutes", "hours"], True),
    ("TokenValidityUnits.AccessToken", "in", ["days"], False),
    ("TokenValidityUnits.AccessToken", "not_in", ["days"], True),
    ("TokenValidityUnits.AccessToken", "not_in", ["seconds", "minutes"], False),
    ("ExplicitAuthFlows", "contains", "ALLOW_REFRESH_TOKEN_AUTH", True),
    ("ExplicitAuthFlows", "contains", "ALLOW_USER_SRP_AUTH", False),
    ("ClientName", "contains", "orders", True),  # substring of a string
    ("AccessTokenValidity", "contains", 3, False),  # a number contains nothing
    ("ExplicitAuthFlows", "not_contains", "ALLOW_USER_SRP_AUTH", True),
    ("ExplicitAuthFlows", "not_contains", "ALLOW_CLIENT_TOKEN_AUTH", False),
    ("AccessTokenValidity", "lt", 31, True),
    ("AccessTokenValidity", "lt", 30, False),
    ("AccessTokenValidity", "le", 30, True),
    ("AccessTokenValidity", "le", 29.5, False),
    ("AccessTokenValidity", "gt", 29, True),
    ("AccessTokenValidity", "gt", 30, False),
    ("AccessTokenValidity", "ge", 30, True),
    ("AccessTokenValidity", "ge", 31, False),
    ("ClientName", "gt", 0, False),  # not a number: the comparison fails
    ("EnableTokenRevocation", "ge", 0, False),  # booleans are not numbers
    ("ClientName", "matches", "svc-[a-z]+", True),
    ("ClientName", "matches", "svc", False),  # whole value
    ("ClientName", "matches", "SVC-.*", False),  # case-sensitive
    ("AccessTokenValidity", "matches", "30", False),  # only strings match
    ("EnableTokenRevocation", "present", None, True),
    ("AuthSessionValidity", "present", None, False),
    ("AuthSessionValidity", "absent", None, True),
    ("EnableTokenRevocation", "absent", None, False),
]


@pytest.mark.parametrize(("key", "op", "value", "holds"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_condition_operators(key: str, op: str, value: Any, holds: bool) -> None:
    raw = {"key": key, "op": op} if op in ("present", "absent") else {"key": key, "op": op, "value": value}
    violations = check("condition", CLIENT, **raw)
    assert (violations == []) is holds
    assert all(v.field == key.split(".")[0] for v in violations)


def test_every_operator_is_covered() -> None:
    assert {op for _, op, _, _ in CASES} == set(OPERATORS)
    for op in OPERATORS:
        assert {holds for _, o, _, holds in CASES if o == op} == {True, False}, op


@pytest.mark.parametrize(
    ("key", "op", "value", "holds"),
    [
        # an absent key compares as null
        pytest.param("AuthSessionValidity", "equals", 3, False, id="absent-equals"),
        pytest.param("EnableTokenRevocation", "not_equals", False, True, id="absent-not-equals"),
        pytest.param("AuthSessionValidity", "lt", 10, False, id="absent-lt"),
        pytest.param("CallbackURLs", "not_contains", "x", True, id="absent-not-contains"),
        pytest.param("CallbackURLs", "contains", "x", False, id="absent-contains"),
        pytest.param("DefaultRedirectURI", "not_in", ["a"], True, id="absent-not-in"),
        pytest.param("DefaultRedirectURI", "in", ["a"], False, id="absent-in"),
        # dotted keys
        pytest.param("TokenValidityUnits.IdToken", "absent", None, True, id="dotted-missing-leaf"),
        pytest.param("TokenValidityUnits.AccessToken", "absent", None, True, id="dotted-missing-parent"),
        pytest.param("ClientName.x", "absent", None, True, id="dotted-through-a-string"),
    ],
)
def test_condition_on_absent_keys(key: str, op: str, value: Any, holds: bool) -> None:
    client = m2m(
        EnableTokenRevocation=None, TokenValidityUnits={"RefreshToken": "days"} if "IdToken" in key else None
    )
    raw = {"key": key, "op": op} if op in ("present", "absent") else {"key": key, "op": op, "value": value}
    assert (check("condition", client, **raw) == []) is holds


@pytest.mark.parametrize(
    ("raw", "message", "field"),
    [
        pytest.param(
            {
                "key": "EnableTokenRevocation",
                "op": "not_equals",
                "value": False,
                "message": "Token revocation must stay enabled.",
            },
            "Token revocation must stay enabled. (EnableTokenRevocation is false; policy TOKEN-REVOCATION.)",
            "EnableTokenRevocation",
            id="own-message",
        ),
        pytest.param(
            {"key": "TokenValidityUnits.AccessToken", "op": "equals", "value": "minutes"},
            'Expected TokenValidityUnits.AccessToken equals "minutes". '
            '(TokenValidityUnits.AccessToken is "hours"; policy TOKEN-REVOCATION.)',
            "TokenValidityUnits",
            id="dotted-key-gives-top-field",
        ),
        pytest.param(
            {"key": "AuthSessionValidity", "op": "present"},
            "Expected AuthSessionValidity present. (AuthSessionValidity is absent; policy TOKEN-REVOCATION.)",
            "AuthSessionValidity",
            id="absent-value",
        ),
        pytest.param(
            {"key": "AllowedOAuthScopes", "op": "not_contains", "value": "orders/read"},
            'Expected AllowedOAuthScopes not contains "orders/read". '
            '(AllowedOAuthScopes is ["orders/read"]; policy TOKEN-REVOCATION.)',
            "AllowedOAuthScopes",
            id="list-value",
        ),
    ],
)
def test_condition_messages(raw: dict[str, Any], message: str, field: str) -> None:
    client = m2m(EnableTokenRevocation=False, TokenValidityUnits={"AccessToken": "hours"})
    [violation] = check("condition", client, "TOKEN-REVOCATION", **raw)
    assert violation.message == message
    assert violation.field == field


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        pytest.param(
            {"EnableTokenRevocation": unknown("Ref to parameter Revoke without a default")},
            "EnableTokenRevocation",
            "EnableTokenRevocation is unknown (Ref to parameter Revoke without a default)",
            id="value",
        ),
        pytest.param(
            {"TokenValidityUnits": {"AccessToken": unknown("var.unit has no default")}},
            "TokenValidityUnits.AccessToken",
            "TokenValidityUnits.AccessToken is unknown (var.unit has no default)",
            id="dotted",
        ),
        pytest.param(
            {"ExplicitAuthFlows": ("ALLOW_CLIENT_TOKEN_AUTH", unknown())},
            "ExplicitAuthFlows",
            "a part of ExplicitAuthFlows is unknown (Ref to parameter Ttl without a default)",
            id="list-element",
        ),
        # a key the normalizer does not know keeps its list as a list: was a definite violation
        pytest.param(
            {"NewApiList": ["COGNITO", unknown()]},
            "NewApiList",
            f"a part of NewApiList is unknown ({unknown().reason})",
            id="raw-list",
        ),
        pytest.param(
            {"NewApiMap": {"Items": [unknown()]}},
            "NewApiMap",
            f"a part of NewApiMap is unknown ({unknown().reason})",
            id="nested-list",
        ),
    ],
)
@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_condition_on_unknown_values_is_undetermined(
    changes: dict[str, Any], key: str, reason: str, op: str
) -> None:
    value = {"in": ["x"], "not_in": ["x"], "lt": 1, "le": 1, "gt": 1, "ge": 1, "matches": "x"}.get(op, "x")
    with pytest.raises(Undetermined) as caught:
        check("condition", m2m(**changes), key=key, op=op, value=value)
    assert caught.value.reason == reason


def test_condition_through_an_unknown_mapping_is_undetermined() -> None:
    client = m2m(TokenValidityUnits=unknown("known after apply"))
    with pytest.raises(Undetermined):
        check("condition", client, key="TokenValidityUnits.AccessToken", op="equals", value="minutes")


@pytest.mark.parametrize(("op", "holds"), [("contains", True), ("not_contains", False)])
def test_known_element_decides_contains_despite_an_unknown_one(op: str, holds: bool) -> None:
    client = m2m(ExplicitAuthFlows=("ALLOW_USER_SRP_AUTH", unknown()))
    violations = check("condition", client, key="ExplicitAuthFlows", op=op, value="ALLOW_USER_SRP_AUTH")
    assert (violations == []) is holds


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param({"key": "ClientName", "op": "equals"}, "operator 'equals' needs a value", id="no-value"),
        pytest.param(
            {"key": "ClientName", "op": "in", "value": "a"}, "operator 'in' needs a list value", id="in"
        ),
        pytest.param(
            {"key": "ClientName", "op": "not_in", "value": "a"},
            "operator 'not_in' needs a list value",
            id="not-in",
        ),
        pytest.param(
            {"key": "AccessTokenValidity", "op": "lt", "value": "5"},
            "operator 'lt' needs a number",
            id="lt-string",
        ),
        pytest.param(
            {"key": "AccessTokenValidity", "op": "ge", "value": True},
            "operator 'ge' needs a number",
            id="ge-bool",
        ),
    ],
)
def test_prepare_rejects_operator_value_mismatches(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        params("condition", **raw)
    assert caught.value.message == message
    assert caught.value.path == ("value",)


def test_prepare_rejects_a_bad_regular_expression() -> None:
    with pytest.raises(PolicyError) as caught:
        params("condition", key="ClientName", op="matches", value="svc-(")
    assert caught.value.message.startswith("invalid regular expression: ")
    assert caught.value.path == ("value",)


@pytest.mark.parametrize("op", ["present", "absent"])
def test_prepare_accepts_presence_operators_without_a_value(op: str) -> None:
    assert params("condition", key="ClientName", op=op)["op"] == op


# --- `matches` is bounded in time ----------------------------------------------------------------


def test_a_catastrophic_pattern_gives_notes_not_a_stalled_scan() -> None:
    from m2m_guard.rules import value as value_rule

    prepared = context("condition", key="ClientName", op="matches", value="(x+x+)+y")
    slow = m2m(ClientName="x" * 5000)
    outcomes = []
    for _ in range(value_rule.MAX_TIMEOUTS + 5):
        with pytest.raises(Undetermined) as caught:
            check_prepared(slow, prepared)
        outcomes.append(caught.value.reason)
    # each match stops after MATCH_SECONDS (a match that ran on would never return here);
    # after MAX_TIMEOUTS the pattern is not tried again
    assert outcomes[0] == "the pattern '(x+x+)+y' took longer than 0.1 s on this value (simplify it)"
    assert outcomes[-1].endswith("; it was not tried again")
    # a value the pattern decides quickly still gets its verdict (until the pattern is given up)
    fresh = context("condition", key="ClientName", op="matches", value="(x+x+)+y")
    assert check_prepared(m2m(ClientName="xxy"), fresh) == []
    assert len(check_prepared(m2m(ClientName="svc"), fresh)) == 1


def check_prepared(client: AppClient, prepared: RuleContext) -> list[Violation]:
    """Run ``condition`` with one context throughout, so that its compiled pattern is shared."""
    return list(client_rule("condition")(client, prepared))


def test_matches_needs_a_string_pattern() -> None:
    with pytest.raises(PolicyError) as caught:
        params("condition", key="ClientName", op="matches", value=5)
    assert caught.value.message == "operator 'matches' needs a regular expression (a string)"


# --- a condition never shows a secret --------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["ClientSecret", "clientSecret", "CLIENTSECRET", "client_secret", "Extra.ClientSecretValue"]
)
def test_a_condition_cannot_name_a_secret(key: str) -> None:
    with pytest.raises(PolicyError) as caught:
        params("condition", key=key, op="absent")
    secret = key.split(".")[-1]
    assert caught.value.message == (
        f"{secret} is never read: m2m-guard drops client secrets as it reads a file (to ask whether a "
        "client has one, use GenerateSecret or ClientSecretArn with present or absent)"
    )
    assert caught.value.path == ("key",)


CANARY = "CANARYq9" + "Zk4Xw2" * 6
ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret/cognito-idp/eu-west-1_Rp4s8TbQ2/client-AbC123"


@pytest.mark.parametrize(
    ("key", "op", "value", "shown"),
    [
        # a record built without the sources' filter: the rule hides the value all the same
        ("Extra", "absent", None, '{"ClientSecret": "(not shown)", "keep": 1}'),
        ("Extra", "equals", {}, '{"ClientSecret": "(not shown)", "keep": 1}'),
        ("Deep", "absent", None, '[{"a": {"client_secret": "(not shown)"}}]'),
        ("ClientSecretArn", "absent", None, "not shown"),
        ("ClientSecretArn", "matches", "x", "not shown"),
    ],
)
def test_a_condition_message_never_shows_a_secret(key: str, op: str, value: Any, shown: str) -> None:
    client = m2m(
        Extra={"ClientSecret": CANARY, "keep": 1},
        Deep=[{"a": {"client_secret": CANARY}}],
        ClientSecretArn=ARN,
    )
    raw = {"key": key, "op": op} if value is None else {"key": key, "op": op, "value": value}
    [violation] = check("condition", client, **raw)
    assert CANARY not in violation.message and "secretsmanager" not in violation.message
    assert f"({key} is {shown}; policy ID.)" in violation.message
