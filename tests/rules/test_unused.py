"""unused_client_credentials: billed M2M clients that are not used, or can never be."""

from __future__ import annotations

from typing import Any

import pytest

from m2m_guard.model import ABSENT, Undetermined, Usage
from tests.rules.clients import check, m2m, unknown, used

RULE = "unused_client_credentials"
NEVER = "Billed M2M client can never issue a token: "

#: An M2M client through GetClientToken only: no OAuth flows at all.
CLIENT_TOKEN_ONLY: dict[str, Any] = {
    "AllowedOAuthFlows": ABSENT,
    "AllowedOAuthFlowsUserPoolClient": ABSENT,
    "ExplicitAuthFlows": ("ALLOW_CLIENT_TOKEN_AUTH",),
}


def test_healthy_client_without_usage_data_passes() -> None:
    # absent from the usage file: usage unknown, never "unused"
    assert check(RULE, m2m()) == []


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        pytest.param(
            {"AllowedOAuthScopes": ()}, "it has no OAuth scopes", "AllowedOAuthScopes", id="empty-scopes"
        ),
        pytest.param(
            {"AllowedOAuthScopes": ABSENT}, "it has no OAuth scopes", "AllowedOAuthScopes", id="no-scopes"
        ),
        pytest.param(
            {"GenerateSecret": False}, "it has no client secret", "GenerateSecret", id="secret-false"
        ),
        pytest.param(
            {"GenerateSecret": ABSENT}, "it has no client secret", "GenerateSecret", id="secret-absent"
        ),
        pytest.param(
            {"AllowedOAuthFlowsUserPoolClient": False},
            "AllowedOAuthFlowsUserPoolClient is not true",
            "AllowedOAuthFlowsUserPoolClient",
            id="oauth-disabled",
        ),
        pytest.param(
            {"AllowedOAuthFlowsUserPoolClient": ABSENT},
            "AllowedOAuthFlowsUserPoolClient is not true",
            "AllowedOAuthFlowsUserPoolClient",
            id="oauth-flag-absent",
        ),
        pytest.param(
            {**CLIENT_TOKEN_ONLY, "AllowedOAuthScopes": ()},
            "it has no OAuth scopes",
            "AllowedOAuthScopes",
            id="client-token-no-scopes",
        ),
        pytest.param(
            {**CLIENT_TOKEN_ONLY, "GenerateSecret": False},
            "it has no client secret",
            "GenerateSecret",
            id="client-token-no-secret",
        ),
    ],
)
def test_each_blocker_alone_fires(changes: dict[str, Any], reason: str, field: str) -> None:
    [violation] = check(RULE, m2m(**changes))
    assert violation.message == f"{NEVER}{reason}."
    assert violation.field == field


@pytest.mark.parametrize("usage", [pytest.param(None, id="no-usage"), pytest.param(used(5000), id="busy")])
def test_blocker_fires_whatever_the_usage(usage: Any) -> None:
    [violation] = check(RULE, m2m(GenerateSecret=False, usage=usage))
    assert violation.message == f"{NEVER}it has no client secret."


def test_all_blockers_are_listed_and_the_first_gives_the_field() -> None:
    client = m2m(AllowedOAuthScopes=(), GenerateSecret=False, AllowedOAuthFlowsUserPoolClient=False)
    [violation] = check(RULE, client)
    assert violation.message == (
        f"{NEVER}it has no OAuth scopes; it has no client secret; "
        "AllowedOAuthFlowsUserPoolClient is not true."
    )
    assert violation.field == "AllowedOAuthScopes"


def test_client_token_auth_only_client_ignores_the_oauth_flag() -> None:
    assert check(RULE, m2m(**CLIENT_TOKEN_ONLY)) == []
    assert check(RULE, m2m(**{**CLIENT_TOKEN_ONLY, "AllowedOAuthFlowsUserPoolClient": False})) == []


def test_client_token_auth_client_with_oauth_disabled_can_still_issue_tokens() -> None:
    client = m2m(ExplicitAuthFlows=("ALLOW_CLIENT_TOKEN_AUTH",), AllowedOAuthFlowsUserPoolClient=False)
    assert check(RULE, client) == []


@pytest.mark.parametrize(
    ("window", "lookback"),
    [
        pytest.param(30, {"lookback_days": 30}, id="window-equals-lookback"),
        pytest.param(90, {"lookback_days": 30}, id="window-longer"),
        pytest.param(30, {}, id="default-lookback-30"),
        pytest.param(7, {"lookback_days": 7}, id="short-lookback"),
    ],
)
def test_zero_requests_over_the_lookback_fires(window: float, lookback: dict[str, int]) -> None:
    [violation] = check(RULE, m2m(usage=used(0, window)), "UNUSED", **lookback)
    assert violation.message == (
        f"No token requests in the last {window} days (usage file); the client is billed every month."
    )
    assert violation.field is None


@pytest.mark.parametrize(
    ("window", "lookback", "reason"),
    [
        pytest.param(
            7,
            {"lookback_days": 30},
            "the usage file covers 7 days, less than the 30 days policy UNUSED looks back",
            id="short-window",
        ),
        pytest.param(
            29.5,
            {},
            "the usage file covers 29.5 days, less than the 30 days policy UNUSED looks back",
            id="default-lookback",
        ),
    ],
)
def test_zero_requests_over_a_shorter_window_is_undetermined(
    window: float, lookback: dict[str, int], reason: str
) -> None:
    with pytest.raises(Undetermined) as caught:
        check(RULE, m2m(usage=used(0, window)), "UNUSED", **lookback)
    assert caught.value.reason == reason


@pytest.mark.parametrize("window", [1, 30, 90])
def test_any_request_means_used(window: float) -> None:
    assert check(RULE, m2m(usage=used(1, window)), lookback_days=30) == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param(
            {"AllowedOAuthScopes": unknown("var.scopes has no default")},
            "AllowedOAuthScopes is unknown (var.scopes has no default)",
            id="scopes",
        ),
        pytest.param(
            {"GenerateSecret": unknown("Ref to parameter Secret without a default")},
            "GenerateSecret is unknown (Ref to parameter Secret without a default)",
            id="secret",
        ),
        pytest.param(
            {"AllowedOAuthFlowsUserPoolClient": unknown("known after apply")},
            "AllowedOAuthFlowsUserPoolClient is unknown (known after apply)",
            id="oauth-flag",
        ),
    ],
)
def test_unknown_blocker_is_undetermined_without_usage(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(Undetermined) as caught:
        check(RULE, m2m(**changes))
    assert caught.value.reason == f"cannot tell whether the client can issue a token: {reason}"
    # usage settles it: requests prove the client works, zero requests make it unused
    assert check(RULE, m2m(**changes, usage=used(10))) == []
    [violation] = check(RULE, m2m(**changes, usage=used(0)))
    assert violation.message.startswith("No token requests in the last 30 days")


def test_a_known_blocker_fires_even_when_another_is_unknown() -> None:
    [violation] = check(RULE, m2m(AllowedOAuthScopes=unknown(), GenerateSecret=False))
    assert violation.message == f"{NEVER}it has no client secret."


def test_scopes_with_an_unknown_element_are_not_empty() -> None:
    assert check(RULE, m2m(AllowedOAuthScopes=(unknown(),))) == []


@pytest.mark.parametrize(
    ("source", "fires"),
    [
        pytest.param("CloudTrail LookupEvents", False, id="cloudtrail-lookup"),
        pytest.param("CloudTrail log group trail (Logs Insights)", False, id="cloudtrail-insights"),
        pytest.param("usage file usage.json", True, id="usage-file-says-zero"),
    ],
)
def test_a_cloudtrail_zero_says_nothing_about_get_client_token(source: str, fires: bool) -> None:
    # GetClientToken requests are not the Token_POST events CloudTrail counts are made of
    client = m2m(ExplicitAuthFlows=("ALLOW_CLIENT_TOKEN_AUTH",), usage=Usage(0, 30, source))
    if fires:
        [violation] = check(RULE, client)
        assert violation.message.startswith("No token requests in the last 30 days")
    else:
        with pytest.raises(Undetermined) as caught:
            check(RULE, client)
        assert caught.value.reason == f"the {source} count has no GetClientToken requests"
    # a request seen is a request made, whichever way the others were made
    assert check(RULE, m2m(ExplicitAuthFlows=("ALLOW_CLIENT_TOKEN_AUTH",), usage=Usage(3, 30, source))) == []
