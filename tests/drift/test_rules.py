"""The drift rule types and the matcher, on hand-built clients (tests/rules/clients.py shapes:
normalized DescribeUserPoolClient records): what counts as different, as managed, as matched."""

from __future__ import annotations

from typing import Any

import pytest

from m2m_guard.drift.match import code_pool, match
from m2m_guard.model import ABSENT, AppClient, Location, Pool, Undetermined, Unknown, Violation
from m2m_guard.model.drift import DriftCase
from m2m_guard.rules import RULES, DriftRuleSpec
from tests.rules.clients import POOL, context, m2m

ARN = "arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_Live1"
LIVE_POOL = Pool.of_id(
    "eu-west-1_Live1",
    ("orders", ARN),
    location=Location("inv/111111111111/eu-west-1.json", 3, pool_id="eu-west-1_Live1", arn=ARN),
    name="orders",
    settings={},
)
CODE_POOL = Pool.defined(
    "infra/auth.yaml",
    "OrdersPool",
    ("OrdersPool", "orders"),
    location=Location("infra/auth.yaml", 3, logical_id="OrdersPool"),
    declared_name="orders",
)


def live(name: str = "svc-orders", client_id: str = "abc123", **changes: Any) -> AppClient:
    client = m2m(ClientName=name, ClientId=client_id, **changes)
    where = Location(
        LIVE_POOL.location.path if LIVE_POOL.location else "",
        7,
        client_id=client_id,
        arn=f"{ARN}/client/{client_id}",
    )
    return AppClient(record=client.record, location=where, pool=LIVE_POOL)


def code(name: str = "svc-orders", pool: Pool = CODE_POOL, **changes: Any) -> AppClient:
    return m2m(ClientName=name, ClientId=ABSENT, pool=pool, logical_id="OrdersClient", **changes)


def judge(rule_type: str, case: DriftCase, **params: Any) -> list[Violation | Undetermined]:
    spec = RULES[rule_type]
    assert isinstance(spec, DriftRuleSpec)
    return list(spec.func(case, context(rule_type, **params)))


def messages(outcomes: list[Violation | Undetermined]) -> list[str]:
    return [o.message if isinstance(o, Violation) else f"undetermined: {o.reason}" for o in outcomes]


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        # an unset lifetime is 60 minutes, whatever the unit says
        ({}, {"AccessTokenValidity": 60, "TokenValidityUnits": {"AccessToken": "minutes"}}, []),
        (
            {"AccessTokenValidity": 1},
            {"AccessTokenValidity": 12},
            ["AccessTokenValidity is 1 hour in the code and 12 hours live"],
        ),
        # scopes compare as sets
        ({"AllowedOAuthScopes": ["b/x", "a/y"]}, {"AllowedOAuthScopes": ["a/y", "b/x"]}, []),
        (
            {},
            {"AllowedOAuthScopes": ["orders/read", "orders/admin"]},
            ["AllowedOAuthScopes is orders/read in the code and orders/admin, orders/read live"],
        ),
        # an unset ExplicitAuthFlows is Cognito's default three
        (
            {},
            {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"]},
            [],
        ),
        (
            {},
            {"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]},
            [
                "ExplicitAuthFlows is ALLOW_CUSTOM_AUTH, ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH "
                "in the code and ALLOW_USER_PASSWORD_AUTH live"
            ],
        ),
        ({"AllowedOAuthFlowsUserPoolClient": ABSENT}, {"AllowedOAuthFlowsUserPoolClient": False}, []),
        (
            {"AllowedOAuthFlows": ["client_credentials", "code"]},
            {},
            ["AllowedOAuthFlows is client_credentials, code in the code and client_credentials live"],
        ),
        # a secret kept in Secrets Manager is a secret
        (
            {},
            {"GenerateSecret": ABSENT, "ClientSecretArn": "arn:aws:secretsmanager:eu-west-1:1:secret:x"},
            [],
        ),
        (
            {"GenerateSecret": False},
            {},
            ["GenerateSecret is no client secret in the code and a client secret live"],
        ),
    ],
)
def test_what_drifts(ours: dict[str, Any], theirs: dict[str, Any], expected: list[str]) -> None:
    case = DriftCase("pair", code=code(**ours), live=live(**theirs), live_pool=LIVE_POOL)
    got = messages(judge("drifted_clients", case))
    assert [m.split(" (user pool")[0] for m in got] == expected
    assert all(
        m.endswith("(user pool orders (eu-west-1_Live1), account 111111111111, eu-west-1).") for m in got
    )


def test_an_unknown_value_is_a_note_and_the_others_are_still_compared() -> None:
    case = DriftCase(
        "pair",
        code=code(
            AccessTokenValidity=Unknown("Ref to parameter Ttl, which has no Default"), GenerateSecret=False
        ),
        live=live(),
        live_pool=LIVE_POOL,
    )
    assert messages(judge("drifted_clients", case)) == [
        "undetermined: the access-token lifetime in the code is unknown (AccessTokenValidity is unknown "
        "(Ref to parameter Ttl, which has no Default))",
        "GenerateSecret is no client secret in the code and a client secret live (user pool orders "
        "(eu-west-1_Live1), account 111111111111, eu-west-1).",
    ]
    assert messages(judge("drifted_clients", case, compare=["ttl"])) == [
        messages(judge("drifted_clients", case))[0]
    ]


@pytest.mark.parametrize(
    ("defined_by", "globs", "reported"),
    [
        ("OrdersPool (infra/auth.yaml)", [], True),
        (None, [], False),
        (None, ["orders"], True),  # by name
        (None, ["eu-west-1_*"], True),  # by id
        (None, ["arn:aws:cognito-idp:*:111111111111:*"], True),  # by account, through the ARN
        (None, ["billing-*"], False),
    ],
)
def test_shadow_clients_only_in_managed_pools(
    defined_by: str | None, globs: list[str], reported: bool
) -> None:
    case = DriftCase("shadow", live=live(AccessTokenValidity=1), live_pool=LIVE_POOL, defined_by=defined_by)
    got = messages(judge("shadow_clients", case, managed_pools=globs))
    assert bool(got) == reported
    if reported:
        # $6.00 + 730 tokens a month at $0.00225 ($1.64): the cost module's figures
        assert "it costs at least $7.64 a month (1 M2M client × $6.00 = $6.00; 730 token requests" in got[0]


def test_a_shadow_with_a_doubt_is_a_note() -> None:
    case = DriftCase(
        "shadow", live=live(), live_pool=LIVE_POOL, defined_by="x", unknown="the code's name is unknown"
    )
    assert messages(judge("shadow_clients", case)) == ["undetermined: the code's name is unknown"]


def test_matching_by_name_id_and_what_cannot_be() -> None:
    by_id = Pool.of_id("eu-west-1_Live1")
    imported = Pool.imported("orders-pool-id")
    param = Pool.defined("infra/x.yaml", "param:PoolId", ("PoolId",), label="parameter PoolId")
    assert code_pool(CODE_POOL).names == ("orders",) and code_pool(CODE_POOL).defines
    assert code_pool(by_id).ids == ("eu-west-1_Live1",) and not code_pool(by_id).defines
    assert "Fn::ImportValue" in str(code_pool(imported).unknown)
    assert "parameter PoolId, which has no value" in str(code_pool(param).unknown)
    cases = match(
        [code("svc-orders"), code("svc-gone"), code("svc-byid", pool=by_id), code("svc-x", pool=imported)],
        [
            live("svc-orders"),
            live("svc-byid", "id2"),
            live("svc-new", "id3"),
            live("web", "id4", AllowedOAuthFlows=["code"]),
        ],
        searched="the 1 account-region read",
    )
    kinds = sorted((c.kind, (c.code or c.live).record["ClientName"]) for c in cases)  # type: ignore[union-attr]
    assert kinds == [
        ("missing", "svc-gone"),
        ("pair", "svc-byid"),
        ("pair", "svc-orders"),
        ("shadow", "svc-new"),
        ("unmatched", "svc-x"),
    ]
    [shadow] = [c for c in cases if c.kind == "shadow"]
    assert shadow.defined_by == "OrdersPool (infra/auth.yaml)"


def test_a_pool_found_nowhere_makes_its_clients_missing() -> None:
    cases = match([code(pool=Pool.of_id("us-east-1_Gone"))], [live()], searched="the 2 account-regions read")
    assert sorted(c.kind for c in cases) == ["missing", "shadow"]  # the live one: its pool no code defines
    [case] = [c for c in cases if c.kind == "missing"]
    assert case.live_pool is None
    assert messages(judge("missing_clients", case)) == [
        "Not found live: no live user pool with id us-east-1_Gone in the 2 account-regions read."
    ]


def test_two_live_clients_of_one_name_leave_the_extra_one_undecided() -> None:
    cases = match([code()], [live(client_id="a"), live(client_id="b")], searched="x")
    assert sorted(c.kind for c in cases) == ["pair", "pair", "shadow", "shadow"]
    assert all(
        "2 live clients of this pool are named svc-orders" in str(c.unknown)
        for c in cases
        if c.kind == "shadow"
    )


def test_the_pool_of_the_test_helpers_is_unmatched() -> None:
    # tests/rules/clients.py's POOL: a file-scoped pool without location (no UserPoolName known)
    assert code_pool(POOL).unknown is not None
