"""Scope rules on AllowedOAuthScopes: required, forbidden, user-identity, wildcard, undefined."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from m2m_guard.model import ABSENT, Undetermined
from tests.rules.clients import POOL, check, m2m, unknown

FIELD = "AllowedOAuthScopes"


def scoped(*scopes: Any) -> Any:
    return m2m(AllowedOAuthScopes=scopes)


# --- required_scopes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "any_of", "all_of", "passes"),
    [
        pytest.param(("orders/read",), ["orders/*"], [], True, id="any-of-match"),
        pytest.param(("billing/read",), ["orders/*"], [], False, id="any-of-no-match"),
        pytest.param(
            ("billing/read", "orders/write"), ["orders/*", "x/*"], [], True, id="any-of-second-scope"
        ),
        pytest.param(("orders/read",), ["x/*", "orders/read"], [], True, id="any-of-second-pattern"),
        pytest.param(
            ("orders/read", "orders/write"), [], ["orders/read", "orders/write"], True, id="all-of-all"
        ),
        pytest.param(("orders/read",), [], ["orders/read", "orders/write"], False, id="all-of-missing-one"),
        pytest.param(("orders/read",), [], [], True, id="empty-lists-constrain-nothing"),
        pytest.param(("anything",), [], [], True, id="empty-lists-any-scope"),
        # globs: fnmatchcase, whole string, `*` also matches `/`, case-sensitive
        pytest.param(("orders/v1/read",), ["orders/*"], [], True, id="star-matches-slash"),
        pytest.param(("https://api.example.com/orders.read",), ["*/orders.*"], [], True, id="url-identifier"),
        pytest.param(("xorders/read",), ["orders/*"], [], False, id="whole-string-start"),
        pytest.param(("orders/read",), ["orders"], [], False, id="whole-string-prefix"),
        pytest.param(("orders/read",), ["orders/rea"], [], False, id="whole-string-end"),
        pytest.param(("Orders/read",), ["orders/*"], [], False, id="case-sensitive"),
        pytest.param(("orders/read",), ["orders/rea?"], [], True, id="question-mark"),
        pytest.param(("orders/read",), ["orders/[rw]*"], [], True, id="character-class"),
    ],
)
def test_required_scopes_verdicts(
    scopes: tuple[str, ...], any_of: list[str], all_of: list[str], passes: bool
) -> None:
    violations = check("required_scopes", scoped(*scopes), any_of=any_of, all_of=all_of)
    assert (violations == []) is passes
    assert all(v.field == FIELD for v in violations)


@pytest.mark.parametrize(
    "client",
    [
        pytest.param(m2m(AllowedOAuthScopes=()), id="empty-list"),
        pytest.param(m2m(AllowedOAuthScopes=ABSENT), id="absent"),
    ],
)
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"any_of": ["orders/*"]}, id="any-of"),
        pytest.param({"any_of": [], "all_of": []}, id="empty-lists"),
        pytest.param({}, id="no-params"),
    ],
)
def test_required_scopes_fails_a_client_with_no_scopes(client: Any, raw: dict[str, Any]) -> None:
    [violation] = check("required_scopes", client, "SCOPES-REQUIRED", **raw)
    assert violation.message == "The client has no OAuth scopes; policy SCOPES-REQUIRED requires some."
    assert violation.field == FIELD


def test_required_any_of_message_lists_patterns_and_scopes() -> None:
    [violation] = check(
        "required_scopes",
        scoped("billing/read", "billing/write"),
        "SCOPES-REQUIRED",
        any_of=["orders/*", "stock/*"],
    )
    assert violation.message == (
        "No allowed scope matches any of 'orders/*', 'stock/*' (policy SCOPES-REQUIRED); "
        "the client has 'billing/read', 'billing/write'."
    )


def test_required_all_of_message_names_only_the_missing_patterns() -> None:
    [violation] = check(
        "required_scopes",
        scoped("orders/read"),
        "SCOPES-REQUIRED",
        all_of=["orders/read", "orders/write", "stock/*"],
    )
    assert violation.message == (
        "No allowed scope matches 'orders/write', 'stock/*', which policy SCOPES-REQUIRED requires."
    )


def test_required_any_of_and_all_of_both_reported() -> None:
    violations = check(
        "required_scopes", scoped("billing/read"), "R", any_of=["orders/*"], all_of=["stock/read"]
    )
    assert [v.message for v in violations] == [
        "No allowed scope matches any of 'orders/*' (policy R); the client has 'billing/read'.",
        "No allowed scope matches 'stock/read', which policy R requires.",
    ]


@pytest.mark.parametrize(
    ("scopes", "raw"),
    [
        pytest.param((unknown(), "orders/read"), {"any_of": ["orders/*"]}, id="any-of-known-match"),
        pytest.param((unknown(), "orders/read"), {"all_of": ["orders/*"]}, id="all-of-known-match"),
        pytest.param((unknown(),), {}, id="unknown-element-is-a-scope"),
        pytest.param((unknown(),), {"any_of": [], "all_of": []}, id="unknown-element-empty-lists"),
    ],
)
def test_required_scopes_passes_on_known_elements_despite_an_unknown_one(
    scopes: tuple[Any, ...], raw: dict[str, Any]
) -> None:
    assert check("required_scopes", scoped(*scopes), **raw) == []


@pytest.mark.parametrize(
    ("scopes", "raw"),
    [
        pytest.param(
            (unknown("Ref to parameter Scope without a default"), "billing/read"),
            {"any_of": ["orders/*"]},
            id="any-of-no-known-match",
        ),
        pytest.param(
            (unknown("Ref to parameter Scope without a default"),),
            {"any_of": ["orders/*"]},
            id="any-of-only-unknown",
        ),
        pytest.param(
            (unknown("Ref to parameter Scope without a default"), "orders/read"),
            {"all_of": ["orders/read", "orders/write"]},
            id="all-of-one-missing",
        ),
    ],
)
def test_required_scopes_undetermined_when_an_unknown_element_could_match(
    scopes: tuple[Any, ...], raw: dict[str, Any]
) -> None:
    with pytest.raises(
        Undetermined, match="an element of AllowedOAuthScopes is unknown .Ref to parameter Scope"
    ):
        check("required_scopes", scoped(*scopes), **raw)


# --- rules that look for bad scopes --------------------------------------------------------

#: Each rule with parameters, a bad scope it reports and the exact message, and a good scope.
BAD_SCOPE_RULES = [
    pytest.param(
        "forbidden_scopes",
        {"scopes": ["*/admin", "*/*:write"]},
        "orders/admin",
        "Forbidden scope 'orders/admin' allowed (policy SCOPES-FORBIDDEN).",
        "orders/read",
        id="forbidden",
    ),
    pytest.param(
        "user_identity_scopes",
        {},
        "openid",
        "User-identity scope 'openid' on an M2M client.",
        "orders/read",
        id="user-identity",
    ),
    pytest.param(
        "wildcard_scopes",
        {},
        "orders/*",
        "Wildcard scope 'orders/*' grants full access.",
        "orders/read",
        id="wildcard",
    ),
]


@pytest.mark.parametrize(("rule_type", "raw", "bad", "message", "good"), BAD_SCOPE_RULES)
def test_bad_scope_is_reported_with_its_name(
    rule_type: str, raw: dict[str, Any], bad: str, message: str, good: str
) -> None:
    [violation] = check(rule_type, scoped(good, bad), "SCOPES-FORBIDDEN", **raw)
    assert violation.message == message
    assert violation.field == FIELD
    assert check(rule_type, scoped(good), **raw) == []


@pytest.mark.parametrize(("rule_type", "raw", "bad", "message", "good"), BAD_SCOPE_RULES)
def test_bad_scope_still_reported_next_to_an_unknown_element(
    rule_type: str, raw: dict[str, Any], bad: str, message: str, good: str
) -> None:
    [violation] = check(rule_type, scoped(unknown(), bad), "SCOPES-FORBIDDEN", **raw)
    assert violation.message == message


@pytest.mark.parametrize(("rule_type", "raw", "bad", "message", "good"), BAD_SCOPE_RULES)
def test_unknown_element_without_a_known_bad_one_is_undetermined(
    rule_type: str, raw: dict[str, Any], bad: str, message: str, good: str
) -> None:
    with pytest.raises(Undetermined, match="an element of AllowedOAuthScopes is unknown .var.scope"):
        check(rule_type, scoped(good, unknown("var.scope has no default")), **raw)


@pytest.mark.parametrize(
    "rule_type",
    ["required_scopes", "forbidden_scopes", "user_identity_scopes", "wildcard_scopes", "undefined_scopes"],
)
def test_unknown_scope_list_is_undetermined(rule_type: str) -> None:
    raw: dict[str, Any] = {"scopes": ["*/admin"]} if rule_type == "forbidden_scopes" else {}
    client = m2m(
        AllowedOAuthScopes=unknown("known after apply"),
        pool=dataclasses.replace(POOL, resource_servers=("orders",)),
    )
    with pytest.raises(Undetermined, match=r"AllowedOAuthScopes is unknown \(known after apply\)"):
        check(rule_type, client, **raw)


@pytest.mark.parametrize(
    ("scopes", "patterns", "reported"),
    [
        pytest.param(("orders/admin", "stock/admin"), ["*/admin"], "'orders/admin', 'stock/admin'", id="two"),
        pytest.param(("orders/v1:write",), ["*/*:write"], "'orders/v1:write'", id="star-crosses-slash"),
        pytest.param(
            ("aws.cognito.signin.user.admin",),
            ["aws.cognito.signin.user.admin"],
            "'aws.cognito.signin.user.admin'",
            id="literal",
        ),
    ],
)
def test_forbidden_scopes_reports_every_match(
    scopes: tuple[str, ...], patterns: list[str], reported: str
) -> None:
    [violation] = check("forbidden_scopes", scoped(*scopes), "F", scopes=patterns)
    assert violation.message == f"Forbidden scope {reported} allowed (policy F)."


@pytest.mark.parametrize(
    ("scope", "patterns"),
    [
        pytest.param("orders/administrator", ["*/admin"], id="whole-string"),
        pytest.param("orders/Admin", ["*/admin"], id="case-sensitive"),
        pytest.param("orders/read", ["*/*:write"], id="no-match"),
    ],
)
def test_forbidden_scopes_passes_non_matching(scope: str, patterns: list[str]) -> None:
    assert check("forbidden_scopes", scoped(scope), scopes=patterns) == []


@pytest.mark.parametrize("scope", ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"])
def test_user_identity_scopes_default_list(scope: str) -> None:
    [violation] = check("user_identity_scopes", scoped("orders/read", scope))
    assert violation.message == f"User-identity scope {scope!r} on an M2M client."


def test_user_identity_scopes_custom_list_replaces_the_default() -> None:
    assert check("user_identity_scopes", scoped("openid"), scopes=["email"]) == []
    [violation] = check("user_identity_scopes", scoped("email", "openid"), scopes=["email"])
    assert violation.message == "User-identity scope 'email' on an M2M client."


@pytest.mark.parametrize(
    ("scope", "wild"),
    [
        pytest.param("*", True, id="star"),
        pytest.param("orders/*", True, id="resource-star"),
        pytest.param("https://api.example.com/*", True, id="url-resource-star"),
        pytest.param("orders:*", True, id="colon-star"),
        pytest.param("orders/read", False, id="specific"),
        pytest.param("orders/read*", False, id="star-in-name"),
        pytest.param("orders", False, id="plain"),
    ],
)
def test_wildcard_scopes_default_patterns(scope: str, wild: bool) -> None:
    assert bool(check("wildcard_scopes", scoped(scope))) is wild


def test_wildcard_scopes_custom_patterns() -> None:
    [violation] = check("wildcard_scopes", scoped("orders/all", "orders/*"), patterns=["*/all"])
    assert violation.message == "Wildcard scope 'orders/all' grants full access."


# --- undefined_scopes ----------------------------------------------------------------------


def in_pool(servers: tuple[str, ...] | None, *scopes: Any) -> Any:
    return m2m(AllowedOAuthScopes=scopes, pool=dataclasses.replace(POOL, resource_servers=servers))


@pytest.mark.parametrize(
    ("servers", "scopes"),
    [
        pytest.param(("orders",), ("orders/read", "orders/write"), id="defined"),
        pytest.param(("https://api.example.com",), ("https://api.example.com/read",), id="url-identifier"),
        pytest.param((), ("aws.cognito.signin.user.admin",), id="no-custom-scopes"),
        pytest.param(None, ("openid",), id="no-custom-scopes-servers-unknown"),
        pytest.param(None, (), id="no-scopes"),
    ],
)
def test_undefined_scopes_passes(servers: tuple[str, ...] | None, scopes: tuple[str, ...]) -> None:
    assert check("undefined_scopes", in_pool(servers, *scopes)) == []


@pytest.mark.parametrize(
    ("servers", "scopes", "message"),
    [
        pytest.param(
            ("orders",),
            ("orders/read", "billing/read"),
            "Scope 'billing/read' names no resource server of UserPool (defined: 'orders').",
            id="one-undefined",
        ),
        pytest.param(
            ("orders",),
            ("billing/read", "orders/read", "audit/read"),
            "Scopes 'billing/read', 'audit/read' name no resource server of UserPool (defined: 'orders').",
            id="two-undefined",
        ),
        pytest.param(
            (),
            ("orders/read",),
            "Scope 'orders/read' names no resource server of UserPool (defined: none).",
            id="pool-without-servers",
        ),
        pytest.param(
            ("stock", "orders"),
            ("Orders/read",),
            "Scope 'Orders/read' names no resource server of UserPool (defined: 'orders', 'stock').",
            id="case-sensitive",
        ),
    ],
)
def test_undefined_scopes_fails(servers: tuple[str, ...], scopes: tuple[str, ...], message: str) -> None:
    [violation] = check("undefined_scopes", in_pool(servers, *scopes))
    assert violation.message == message
    assert violation.field == FIELD


def test_undefined_scopes_undetermined_when_the_pool_servers_are_not_scanned() -> None:
    with pytest.raises(Undetermined, match="the resource servers of UserPool are not in the scanned inputs"):
        check("undefined_scopes", in_pool(None, "orders/read"))


def test_undefined_scopes_with_an_unknown_element() -> None:
    # a known undefined scope is reported; otherwise the unknown one could be undefined
    [violation] = check("undefined_scopes", in_pool(("orders",), unknown(), "billing/read"))
    assert "'billing/read'" in violation.message
    with pytest.raises(Undetermined, match="an element of AllowedOAuthScopes is unknown"):
        check("undefined_scopes", in_pool(("orders",), unknown(), "orders/read"))
    with pytest.raises(Undetermined, match="an element of AllowedOAuthScopes is unknown"):
        check("undefined_scopes", in_pool(("orders",), unknown()))
