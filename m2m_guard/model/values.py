"""The values of a normalized client record: known, unknown or absent; and what a secret is.

A client is a record in the shape of DescribeUserPoolClient's ``UserPoolClient``
(https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeUserPoolClient.html),
with three kinds of values:

* known: a plain Python value (``int``, ``str``, ``bool``, ``tuple`` of ``str``, ``dict``);
* unknown: an :class:`Unknown` carrying the reason (a ``Ref`` to a parameter without a
  default, ``(known after apply)``, a wrong type), possibly inside a tuple;
* absent: the key is missing from the record (``client.get(key)`` returns :data:`ABSENT`).

``ClientSecret`` is never part of a record: sources record only whether a secret exists
(``GenerateSecret``, or ``ClientSecretArn`` when Cognito keeps the secret in Secrets Manager).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

M2M_FLOW = "client_credentials"
M2M_AUTH_FLOW = "ALLOW_CLIENT_TOKEN_AUTH"

#: Seconds per TokenValidityUnits value.
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
#: Cognito's documented defaults: unit ``hours``, access token 60 minutes.
DEFAULT_ACCESS_TOKEN_SECONDS = 3600
#: Cognito accepts access-token lifetimes from 5 minutes to 1 day.
MIN_VALID_TTL_SECONDS = 300
MAX_VALID_TTL_SECONDS = 86400
#: Why a lifetime of zero or below is no lifetime (the reason of its Unknown).
INVALID_TTL = "not a valid lifetime (Cognito accepts 5 minutes to 1 day)"

#: Bounds of observed usage (usage files, saved sweeps): one hour to ten years of window (a
#: shorter one scales a handful of requests into absurd monthly figures, and 1e-320 days into an
#: infinite one; nothing keeps token counts for longer), and at most 10^15 requests.
MIN_WINDOW_DAYS = 1 / 24
MAX_WINDOW_DAYS = 3653
MAX_REQUESTS = 10**15


def usage_in_bounds(requests: object, window_days: object) -> bool:
    """Whether a request count and its window are numbers m2m-guard computes with."""
    if type(requests) is not int or not 0 <= requests <= MAX_REQUESTS:
        return False
    if isinstance(window_days, bool) or not isinstance(window_days, (int, float)):
        return False
    return MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS  # NaN compares false


#: Keys that hold a client secret's value, compared without case, ``_`` or ``-``:
#: DescribeUserPoolClient's ``ClientSecret``, Terraform's ``client_secret``, and the
#: ``ClientSecretValue`` of AddUserPoolClientSecret (also the ``clientSecretValue`` field of the
#: Secrets Manager secret Cognito manages). ``ClientSecretArn`` names where a secret is kept and
#: is not one of them.
SECRET_KEY_NAMES = frozenset({"clientsecret", "clientsecretvalue"})


def folded_key(name: str) -> str:
    """A key compared the way secret keys are: without case, ``_`` or ``-``."""
    return name.replace("_", "").replace("-", "").casefold()


def is_secret_key(key: object) -> bool:
    """Whether a mapping key holds a client secret's value, in any spelling."""
    return isinstance(key, str) and is_secret_name(key)


@functools.lru_cache(maxsize=4096)  # every record has the same few dozen keys
def is_secret_name(key: str) -> bool:
    """:func:`is_secret_key` of a key known to be a string (the parsers' hot path)."""
    return folded_key(key) in SECRET_KEY_NAMES


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the scanner cannot resolve; ``reason`` says why, as a sentence fragment."""

    reason: str

    def __str__(self) -> str:
        return f"unknown ({self.reason})"


class _Absent:
    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


class Undetermined(Exception):
    """Raised by rules when the verdict depends on an unknown value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def known(value: Any, what: str = "a value") -> Any:
    """Return ``value`` if it is fully known, else raise :class:`Undetermined`."""
    if isinstance(value, Unknown):
        raise Undetermined(f"{what} is {value}")
    if isinstance(value, tuple):
        for item in value:
            if isinstance(item, Unknown):
                raise Undetermined(f"{what} has an element that is {item}")
    return value


def split_known(items: Iterable[Any]) -> tuple[list[Any], list[Unknown]]:
    """Split a list value into its known elements and its unknown ones."""
    known_items: list[Any] = []
    unknown_items: list[Unknown] = []
    for item in items:
        (unknown_items if isinstance(item, Unknown) else known_items).append(item)
    return known_items, unknown_items


def m2m_verdict(oauth_flows: Any, explicit_auth_flows: Any) -> bool | Unknown:
    """client_credentials in AllowedOAuthFlows or ALLOW_CLIENT_TOKEN_AUTH in ExplicitAuthFlows;
    unknown when an unknown value could hold the marker that the known ones lack."""
    doubt: Unknown | None = None
    for value, marker in ((oauth_flows, M2M_FLOW), (explicit_auth_flows, M2M_AUTH_FLOW)):
        if isinstance(value, Unknown):
            doubt = doubt or value
            continue
        items, unknowns = split_known(value)
        if marker in items:
            return True
        if unknowns:
            doubt = doubt or unknowns[0]
    return doubt if doubt is not None else False
