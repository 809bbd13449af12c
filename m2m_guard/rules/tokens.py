"""Access-token lifetime rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from m2m_guard.model import (
    MAX_VALID_TTL_SECONDS,
    MIN_VALID_TTL_SECONDS,
    AppClient,
    Undetermined,
    Unknown,
    Violation,
    human_duration,
)
from m2m_guard.pricing import SECONDS_PER_MONTH
from m2m_guard.rules._registry import PolicyError, RuleContext, rule

_DURATION = re.compile(r"^([0-9]+)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
FIELD = "AccessTokenValidity"
#: The longest duration a policy may write: a year, far above Cognito's 1-day maximum lifetime.
MAX_DURATION_SECONDS = 365 * 86400


def _quoted(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else f"{text[:16]!r}... ({len(text)} characters)"


def parse_duration(text: str) -> int:
    """``"15m"`` -> 900 seconds; at most :data:`MAX_DURATION_SECONDS`."""
    match = _DURATION.match(text)
    if not match:
        raise PolicyError(f"{_quoted(text)} is not a duration like 300s, 15m, 1h or 1d")
    digits = match.group(1).lstrip("0")
    # int() of thousands of digits is refused (or slow): no duration under a year has more than 8
    if len(digits) > 8 or int(digits or "0") * _UNIT[match.group(2)] > MAX_DURATION_SECONDS:
        raise PolicyError(
            f"{_quoted(text)} is longer than m2m-guard accepts (at most 365d; access tokens live "
            "at most 1 day)"
        )
    return int(digits or "0") * _UNIT[match.group(2)]


def _prepare(key: str) -> Any:
    def prepare(params: dict[str, Any]) -> dict[str, Any]:
        try:
            seconds = parse_duration(params[key])
        except PolicyError as exc:
            raise PolicyError(exc.message, (key,)) from None
        if seconds <= 0:
            raise PolicyError("must be longer than zero", (key,))
        return {**params, key: seconds}

    return prepare


def _duration_params(key: str) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [key],
        "properties": {key: {"$ref": "#/$defs/duration"}},
    }


def _ttl(client: AppClient) -> int:
    ttl = client.access_token_ttl
    if isinstance(ttl, Unknown):  # its reason already names the field
        raise Undetermined(ttl.reason)
    return ttl


@rule(
    "max_access_token_ttl",
    summary="M2M access tokens must be short-lived.",
    why="A leaked M2M access token works until it expires, so its lifetime is how long a leak stays usable.",
    help=(
        "Lower `AccessTokenValidity` (with `TokenValidityUnits.AccessToken`) on the app client to "
        "the shortest lifetime its callers can live with; a client can cache a token for that whole "
        "lifetime."
    ),
    params=_duration_params("max"),
    prepare=_prepare("max"),
    security_severity="6.5",
    tags=("tokens",),
)
def max_access_token_ttl(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """Access tokens of M2M clients live no longer than ``max``.

    Example::

        - id: TTL-MAX
          type: max_access_token_ttl
          max: 1h
          severity: error
    """
    ttl = _ttl(client)
    if ttl > ctx.params["max"]:
        yield Violation(
            f"AccessTokenValidity is {human_duration(ttl)}; policy {ctx.rule_id} allows at most "
            f"{human_duration(ctx.params['max'])}.",
            FIELD,
        )


@rule(
    "min_access_token_ttl",
    summary="M2M access tokens must not be so short-lived that token requests pile up.",
    why=(
        "Cognito bills every token request, and a client that fetches a new token each lifetime "
        "makes more requests the shorter that lifetime is."
    ),
    help=(
        "Raise `AccessTokenValidity` on the app client, and cache tokens in the caller until they "
        "expire: a client that fetches a fresh token every lifetime makes 730 h / TTL requests a "
        "month at least."
    ),
    params=_duration_params("min"),
    prepare=_prepare("min"),
    security_severity="2.0",
    tags=("tokens", "cost"),
)
def min_access_token_ttl(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """Access tokens of M2M clients live at least ``min``.

    Example::

        - id: TTL-MIN
          type: min_access_token_ttl
          min: 15m
          severity: warning
    """
    ttl = _ttl(client)
    if ttl < ctx.params["min"]:
        per_month = SECONDS_PER_MONTH // max(ttl, 1)
        yield Violation(
            f"AccessTokenValidity is {human_duration(ttl)}; policy {ctx.rule_id} requires at least "
            f"{human_duration(ctx.params['min'])} (at least {per_month:,} token requests a month).",
            FIELD,
        )


@rule(
    "access_token_validity_range",
    summary="Access-token lifetimes must lie within Cognito's range of 5 minutes to 1 day.",
    why=(
        "Cognito accepts access-token lifetimes from 5 minutes to 1 day only, so a client set "
        "outside that range fails to deploy."
    ),
    help=(
        "Set `AccessTokenValidity` between 5 minutes and 1 day (in the unit of "
        "`TokenValidityUnits.AccessToken`, hours by default)."
    ),
    security_severity="3.0",
    tags=("tokens", "correctness"),
)
def access_token_validity_range(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """The access-token lifetime is one Cognito accepts.

    Example::

        - id: TTL-RANGE
          type: access_token_validity_range
          severity: error
    """
    validity = client.get(FIELD)
    if type(validity) is int and validity <= 0:
        # no lifetime at all, in any unit (the other TTL rules give a note): certainly refused
        yield Violation(
            f"AccessTokenValidity is {validity}, not a lifetime Cognito accepts "
            f"({human_duration(MIN_VALID_TTL_SECONDS)} to {human_duration(MAX_VALID_TTL_SECONDS)}).",
            FIELD,
        )
        return
    ttl = _ttl(client)
    if not MIN_VALID_TTL_SECONDS <= ttl <= MAX_VALID_TTL_SECONDS:
        yield Violation(
            f"AccessTokenValidity is {human_duration(ttl)}, outside Cognito's range of "
            f"{human_duration(MIN_VALID_TTL_SECONDS)} to {human_duration(MAX_VALID_TTL_SECONDS)}.",
            FIELD,
        )
