"""Flow hygiene: mixed_oauth_flows and user_auth_flows."""

from __future__ import annotations

from typing import Any

import pytest

from m2m_guard.model import ABSENT, Undetermined
from tests.rules.clients import check, m2m, unknown

# --- mixed_oauth_flows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flows", "message"),
    [
        pytest.param(
            ("client_credentials", "code"),
            "AllowedOAuthFlows mixes client_credentials with user flow 'code'.",
            id="code",
        ),
        pytest.param(
            ("implicit", "client_credentials"),
            "AllowedOAuthFlows mixes client_credentials with user flow 'implicit'.",
            id="implicit",
        ),
        pytest.param(
            ("client_credentials", "code", "implicit"),
            "AllowedOAuthFlows mixes client_credentials with user flow 'code', 'implicit'.",
            id="both",
        ),
    ],
)
def test_mixed_oauth_flows_fails(flows: tuple[str, ...], message: str) -> None:
    [violation] = check("mixed_oauth_flows", m2m(AllowedOAuthFlows=flows))
    assert violation.message == message
    assert violation.field == "AllowedOAuthFlows"


@pytest.mark.parametrize(
    "client",
    [
        pytest.param(m2m(AllowedOAuthFlows=("client_credentials",)), id="m2m-only"),
        pytest.param(
            m2m(AllowedOAuthFlows=ABSENT, ExplicitAuthFlows=("ALLOW_CLIENT_TOKEN_AUTH",)),
            id="client-token-auth-without-oauth",
        ),
        pytest.param(m2m(AllowedOAuthFlows=("client_credentials", "Code")), id="flow-names-case-sensitive"),
    ],
)
def test_mixed_oauth_flows_passes(client: Any) -> None:
    assert check("mixed_oauth_flows", client) == []


def test_mixed_oauth_flows_known_user_flow_wins_over_an_unknown_element() -> None:
    [violation] = check("mixed_oauth_flows", m2m(AllowedOAuthFlows=("client_credentials", unknown(), "code")))
    assert "'code'" in violation.message


@pytest.mark.parametrize(
    ("flows", "reason"),
    [
        pytest.param(
            unknown("known after apply"),
            r"AllowedOAuthFlows is unknown \(known after apply\)",
            id="whole-list",
        ),
        pytest.param(
            ("client_credentials", unknown("Ref to parameter Flow without a default")),
            r"an element of AllowedOAuthFlows is unknown \(Ref to parameter Flow",
            id="one-element",
        ),
    ],
)
def test_mixed_oauth_flows_unknown_is_undetermined(flows: Any, reason: str) -> None:
    with pytest.raises(Undetermined, match=reason):
        check("mixed_oauth_flows", m2m(AllowedOAuthFlows=flows))


# --- user_auth_flows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flows", "allow"),
    [
        pytest.param(ABSENT, None, id="absent"),
        pytest.param((), None, id="empty"),
        pytest.param(("ALLOW_CLIENT_TOKEN_AUTH",), None, id="client-token-alone"),
        pytest.param(("ALLOW_REFRESH_TOKEN_AUTH",), None, id="refresh"),
        pytest.param(
            ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"), ["ALLOW_CUSTOM_AUTH"], id="allowed-by-policy"
        ),
    ],
)
def test_user_auth_flows_passes(flows: Any, allow: list[str] | None) -> None:
    raw: dict[str, Any] = {} if allow is None else {"allow": allow}
    assert check("user_auth_flows", m2m(ExplicitAuthFlows=flows), **raw) == []


@pytest.mark.parametrize(
    ("flows", "allow", "reported"),
    [
        pytest.param(
            ("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"), None, "'ALLOW_USER_SRP_AUTH'", id="srp"
        ),
        pytest.param(
            ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"),
            None,
            "'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH'",
            id="two",
        ),
        pytest.param(("ALLOW_USER_AUTH",), None, "'ALLOW_USER_AUTH'", id="choice-based"),
        pytest.param(("USER_PASSWORD_AUTH",), None, "'USER_PASSWORD_AUTH'", id="legacy-name"),
        pytest.param(
            ("ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH"),
            ["ALLOW_CUSTOM_AUTH"],
            "'ALLOW_USER_SRP_AUTH'",
            id="allow-covers-only-its-flows",
        ),
    ],
)
def test_user_auth_flows_fails(flows: tuple[str, ...], allow: list[str] | None, reported: str) -> None:
    raw: dict[str, Any] = {} if allow is None else {"allow": allow}
    [violation] = check("user_auth_flows", m2m(ExplicitAuthFlows=flows), **raw)
    assert violation.message == f"ExplicitAuthFlows allows user sign-in flow {reported} on an M2M client."
    assert violation.field == "ExplicitAuthFlows"


# GetClientToken: "The ALLOW_CLIENT_TOKEN_AUTH flow is mutually exclusive with user authentication
# flows. It must be the only authentication flow that you configure for the app client."
# (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetClientToken.html)
@pytest.mark.parametrize(
    ("flows", "allow", "reported"),
    [
        pytest.param(
            ("ALLOW_CLIENT_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
            None,
            "'ALLOW_REFRESH_TOKEN_AUTH'",
            id="refresh-token",
        ),
        pytest.param(
            ("ALLOW_USER_SRP_AUTH", "ALLOW_CLIENT_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
            None,
            "'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'",
            id="user-flow-too",
        ),
        pytest.param(
            ("ALLOW_CLIENT_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"),
            ["ALLOW_CUSTOM_AUTH"],
            "'ALLOW_CUSTOM_AUTH'",
            id="allow-does-not-lift-it",
        ),
        pytest.param(
            ("ALLOW_CLIENT_TOKEN_AUTH", unknown(), "ALLOW_REFRESH_TOKEN_AUTH"),
            None,
            "'ALLOW_REFRESH_TOKEN_AUTH'",
            id="known-other-flow-wins-over-an-unknown-element",
        ),
    ],
)
def test_client_token_auth_must_be_the_only_flow(
    flows: tuple[Any, ...], allow: list[str] | None, reported: str
) -> None:
    raw: dict[str, Any] = {} if allow is None else {"allow": allow}
    [violation] = check("user_auth_flows", m2m(ExplicitAuthFlows=flows), **raw)
    assert violation.message == (
        f"ExplicitAuthFlows has {reported} beside ALLOW_CLIENT_TOKEN_AUTH, which must be the client's "
        "only auth flow."
    )
    assert violation.field == "ExplicitAuthFlows"


def test_client_token_auth_with_an_unknown_element_is_undetermined() -> None:
    with pytest.raises(Undetermined, match=r"an element of ExplicitAuthFlows is unknown \(Ref"):
        check(
            "user_auth_flows",
            m2m(
                ExplicitAuthFlows=(
                    "ALLOW_CLIENT_TOKEN_AUTH",
                    unknown("Ref to parameter Flow without a default"),
                )
            ),
        )


def test_user_auth_flows_known_user_flow_wins_over_an_unknown_element() -> None:
    [violation] = check("user_auth_flows", m2m(ExplicitAuthFlows=(unknown(), "ALLOW_USER_SRP_AUTH")))
    assert "'ALLOW_USER_SRP_AUTH'" in violation.message


@pytest.mark.parametrize(
    ("flows", "reason"),
    [
        pytest.param(
            unknown("known after apply"),
            r"ExplicitAuthFlows is unknown \(known after apply\)",
            id="whole-list",
        ),
        pytest.param(
            ("ALLOW_REFRESH_TOKEN_AUTH", unknown("var.flows has no default")),
            r"an element of ExplicitAuthFlows is unknown \(var.flows",
            id="one-element",
        ),
    ],
)
def test_user_auth_flows_unknown_is_undetermined(flows: Any, reason: str) -> None:
    with pytest.raises(Undetermined, match=reason):
        check("user_auth_flows", m2m(ExplicitAuthFlows=flows))
