"""Access-token lifetime rules: max_access_token_ttl, min_access_token_ttl,
access_token_validity_range."""

from __future__ import annotations

from typing import Any

import pytest

from m2m_guard.cost import client_cost
from m2m_guard.model import Undetermined
from m2m_guard.rules import PolicyError
from tests.rules.clients import check, m2m, params, unknown


def ttl_client(validity: Any = None, unit: Any = None) -> Any:
    """A healthy M2M client with AccessTokenValidity / TokenValidityUnits.AccessToken (None = unset)."""
    units = None if unit is None else {"AccessToken": unit}
    return m2m(AccessTokenValidity=validity, TokenValidityUnits=units)


# (validity, unit) -> lifetime in words, as the messages print it
LIFETIMES = [
    pytest.param(None, None, "1 hour", id="unset-is-60-minutes"),
    pytest.param(None, "days", "1 hour", id="unset-ignores-unit"),
    pytest.param(2, None, "2 hours", id="unit-defaults-to-hours"),
    pytest.param(1, "days", "1 day", id="days"),
    pytest.param(90, "minutes", "90 minutes", id="minutes"),
    pytest.param(3600, "seconds", "1 hour", id="seconds"),
    pytest.param(301, "seconds", "301 seconds", id="odd-seconds"),
]


@pytest.mark.parametrize(("validity", "unit", "words"), LIFETIMES)
def test_max_ttl_reports_the_lifetime_in_words(validity: Any, unit: Any, words: str) -> None:
    # a 5-minute maximum is exceeded by every lifetime above, so each message shows it
    [violation] = check("max_access_token_ttl", ttl_client(validity, unit), "TTL-MAX", max="5m")
    assert violation.message == (f"AccessTokenValidity is {words}; policy TTL-MAX allows at most 5 minutes.")
    assert violation.field == "AccessTokenValidity"


def test_max_ttl_message_for_a_one_day_token() -> None:
    [violation] = check("max_access_token_ttl", ttl_client(1, "days"), "TTL-MAX", max="1h")
    assert violation.message == "AccessTokenValidity is 1 day; policy TTL-MAX allows at most 1 hour."


@pytest.mark.parametrize(
    ("validity", "unit", "maximum", "fails"),
    [
        pytest.param(None, None, "1h", False, id="default-equals-max"),
        pytest.param(None, None, "59m", True, id="default-above-59m"),
        pytest.param(1, None, "1h", False, id="1-hour"),
        pytest.param(61, "minutes", "1h", True, id="61-minutes"),
        pytest.param(3601, "seconds", "1h", True, id="3601-seconds"),
        pytest.param(3600, "seconds", "3600s", False, id="seconds-max"),
        pytest.param(24, "hours", "1d", False, id="24h-vs-1d"),
        pytest.param(2, "days", "1d", True, id="2-days"),
        pytest.param(15, "minutes", "15m", False, id="at-boundary"),
    ],
)
def test_max_ttl_verdicts(validity: Any, unit: Any, maximum: str, fails: bool) -> None:
    violations = check("max_access_token_ttl", ttl_client(validity, unit), max=maximum)
    assert bool(violations) is fails


@pytest.mark.parametrize(
    ("validity", "unit", "minimum", "fails"),
    [
        pytest.param(None, None, "15m", False, id="default-1h"),
        pytest.param(None, None, "2h", True, id="default-below-2h"),
        pytest.param(15, "minutes", "15m", False, id="at-boundary"),
        pytest.param(14, "minutes", "15m", True, id="14-minutes"),
        pytest.param(899, "seconds", "15m", True, id="899-seconds"),
        pytest.param(1, "days", "1d", False, id="1-day"),
    ],
)
def test_min_ttl_verdicts(validity: Any, unit: Any, minimum: str, fails: bool) -> None:
    violations = check("min_access_token_ttl", ttl_client(validity, unit), min=minimum)
    assert bool(violations) is fails


@pytest.mark.parametrize(
    ("validity", "unit", "message"),
    [
        pytest.param(
            5,
            "minutes",
            "AccessTokenValidity is 5 minutes; policy TTL-MIN requires at least 15 minutes "
            "(at least 8,760 token requests a month).",
            id="5-minutes",
        ),
        pytest.param(
            600,
            "seconds",
            "AccessTokenValidity is 10 minutes; policy TTL-MIN requires at least 15 minutes "
            "(at least 4,380 token requests a month).",
            id="600-seconds",
        ),
    ],
)
def test_min_ttl_message_counts_requests_per_month(validity: int, unit: str, message: str) -> None:
    [violation] = check("min_access_token_ttl", ttl_client(validity, unit), "TTL-MIN", min="15m")
    assert violation.message == message
    assert violation.field == "AccessTokenValidity"


@pytest.mark.parametrize(
    ("validity", "unit", "words"),
    [
        pytest.param(4, "minutes", "4 minutes", id="4-minutes"),
        pytest.param(299, "seconds", "299 seconds", id="299-seconds"),
        pytest.param(25, "hours", "25 hours", id="25-hours"),
        pytest.param(2, "days", "2 days", id="2-days"),
    ],
)
def test_validity_range_rejects_what_cognito_rejects(validity: int, unit: str, words: str) -> None:
    [violation] = check("access_token_validity_range", ttl_client(validity, unit))
    assert violation.message == (
        f"AccessTokenValidity is {words}, outside Cognito's range of 5 minutes to 1 day."
    )
    assert violation.field == "AccessTokenValidity"


NO_LIFETIMES = [
    pytest.param(0, "hours", id="zero"),
    pytest.param(0, None, id="zero-default-unit"),
    pytest.param(-5, "minutes", id="negative"),
    pytest.param(0, unknown("var.unit has no default"), id="zero-unit-unknown"),
]


@pytest.mark.parametrize(("validity", "unit"), NO_LIFETIMES)
def test_validity_range_rejects_a_lifetime_of_zero_or_below(validity: int, unit: Any) -> None:
    [violation] = check("access_token_validity_range", ttl_client(validity, unit))
    assert violation.message == (
        f"AccessTokenValidity is {validity}, not a lifetime Cognito accepts (5 minutes to 1 day)."
    )
    assert violation.field == "AccessTokenValidity"


@pytest.mark.parametrize(("validity", "unit"), NO_LIFETIMES[:3])
@pytest.mark.parametrize("rule_type", ["max_access_token_ttl", "min_access_token_ttl"])
def test_a_lifetime_of_zero_or_below_cannot_be_checked(rule_type: str, validity: int, unit: Any) -> None:
    # not "within any maximum", nor "below any minimum": it is no lifetime at all (a note)
    raw = {"max": "1h"} if rule_type.startswith("max") else {"min": "15m"}
    with pytest.raises(Undetermined) as caught:
        check(rule_type, ttl_client(validity, unit), **raw)
    assert caught.value.reason == (
        f"AccessTokenValidity is {validity} {unit or 'hours'}, not a valid lifetime "
        "(Cognito accepts 5 minutes to 1 day)"
    )


@pytest.mark.parametrize(
    ("validity", "unit"),
    [
        pytest.param(None, None, id="default"),
        pytest.param(5, "minutes", id="lowest"),
        pytest.param(300, "seconds", id="lowest-in-seconds"),
        pytest.param(24, "hours", id="highest-in-hours"),
        pytest.param(1, "days", id="highest"),
    ],
)
def test_validity_range_accepts_5_minutes_to_1_day(validity: Any, unit: Any) -> None:
    assert check("access_token_validity_range", ttl_client(validity, unit)) == []


TTL_RULES = [
    pytest.param("max_access_token_ttl", {"max": "1h"}, id="max"),
    pytest.param("min_access_token_ttl", {"min": "15m"}, id="min"),
    pytest.param("access_token_validity_range", {}, id="range"),
]
UNKNOWN_LIFETIMES = [
    pytest.param(
        unknown("Ref to parameter TokenTtl without a default"),
        "hours",
        "Ref to parameter TokenTtl without a default",
        id="validity-unknown",
    ),
    pytest.param(
        unknown("Ref to parameter TokenTtl without a default"),
        None,
        "Ref to parameter TokenTtl without a default",
        id="validity-unknown-default-unit",
    ),
    pytest.param(1, unknown("var.unit has no default"), "var.unit has no default", id="unit-unknown"),
    pytest.param(1, "weeks", "'weeks' is not a known unit", id="unit-not-a-unit"),
]


@pytest.mark.parametrize(("rule_type", "raw"), TTL_RULES)
@pytest.mark.parametrize(("validity", "unit", "reason"), UNKNOWN_LIFETIMES)
def test_unknown_lifetime_is_undetermined(
    rule_type: str, raw: dict[str, str], validity: Any, unit: Any, reason: str
) -> None:
    with pytest.raises(Undetermined) as caught:
        check(rule_type, ttl_client(validity, unit), **raw)
    assert caught.value.reason.startswith(("AccessTokenValidity", "TokenValidityUnits"))
    assert reason in caught.value.reason


@pytest.mark.parametrize(("rule_type", "raw"), TTL_RULES)
def test_unknown_units_mapping_makes_the_lifetime_unknown(rule_type: str, raw: dict[str, str]) -> None:
    client = m2m(AccessTokenValidity=30, TokenValidityUnits=unknown("known after apply"))
    with pytest.raises(Undetermined, match="known after apply"):
        check(rule_type, client, **raw)


@pytest.mark.parametrize(("rule_type", "raw"), TTL_RULES)
def test_unknown_unit_does_not_matter_when_validity_is_unset(rule_type: str, raw: dict[str, str]) -> None:
    # Cognito's default is 60 minutes whatever the unit says
    client = m2m(TokenValidityUnits={"AccessToken": unknown()})
    assert check(rule_type, client, **raw) == []


@pytest.mark.parametrize(
    ("key", "text", "seconds"),
    [
        ("max", "300s", 300),
        ("max", "15m", 900),
        ("max", "1h", 3600),
        ("min", "1d", 86400),
        ("max", "365d", 365 * 86400),
        ("max", "0" * 5000 + "1h", 3600),  # leading zeros are no size
    ],
)
def test_prepare_turns_durations_into_seconds(key: str, text: str, seconds: int) -> None:
    prepared = params(f"{key}_access_token_ttl", **{key: text})
    assert prepared[key] == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0m", "must be longer than zero"),
        ("366d", "'366d' is longer than m2m-guard accepts (at most 365d; access tokens live at most 1 day)"),
        (
            "8761h",
            "'8761h' is longer than m2m-guard accepts (at most 365d; access tokens live at most 1 day)",
        ),
        (  # int() refuses over 4300 digits: this used to crash the policy loader
            "9" * 5000 + "s",
            "'9999999999999999'... (5001 characters) is longer than m2m-guard accepts (at most 365d; "
            "access tokens live at most 1 day)",
        ),
        ("1w", "'1w' is not a duration like 300s, 15m, 1h or 1d"),
        ("1.5h", "'1.5h' is not a duration like 300s, 15m, 1h or 1d"),
    ],
)
def test_prepare_rejects_bad_durations_with_the_key(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        params("max_access_token_ttl", max=text)
    assert caught.value.message == message
    assert caught.value.path == ("max",)


@pytest.mark.parametrize(("validity", "unit"), NO_LIFETIMES[:3])
def test_a_lifetime_of_zero_or_below_projects_no_requests(validity: int, unit: Any) -> None:
    # unknown requests (the total is "at least"), never "projected, 0 requests"
    cost = client_cost(ttl_client(validity, unit))
    assert (cost.basis, cost.requests_month) == ("unknown", None)
    assert "not a valid lifetime" in cost.reason
