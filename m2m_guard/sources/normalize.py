"""Type normalization shared by every source: raw describe-shaped values -> model values.

Sources map their own field names onto DescribeUserPoolClient keys and resolve what they can;
this module then makes types uniform (integers, booleans, tuples of strings) and turns values
of the wrong type into :class:`~m2m_guard.model.Unknown` with a reason, so that a rule never
sees a list where it expects a number. Keys it does not know are kept as they are (new API
fields must not be dropped); a client secret's value is always dropped, whatever the key's
case and however deep it sits (``ClientSecret``, ``client_secret``, ``clientSecretValue``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from m2m_guard.model import Unknown, describe_value, is_secret_key


class _SecretKeys:
    """``key in SECRET_KEYS``: whether a key holds a secret value, in any spelling
    (:func:`m2m_guard.model.is_secret_key`)."""

    def __contains__(self, key: object) -> bool:
        return is_secret_key(key)


SECRET_KEYS = _SecretKeys()
#: Nesting deeper than this is not kept (a record is a few levels deep; this bounds recursion).
_MAX_DEPTH = 32
_MAX_DIGITS = 4300


def drop_secrets(value: Any, depth: int = 0) -> Any:
    """``value`` with every secret-valued key removed, at any depth, in mappings and lists."""
    if depth > _MAX_DEPTH and isinstance(value, (Mapping, list, tuple)):
        return Unknown("nested too deeply to read")
    if isinstance(value, Mapping):
        return {k: drop_secrets(v, depth + 1) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, tuple):
        return tuple(drop_secrets(v, depth + 1) for v in value)
    if isinstance(value, list):
        return [drop_secrets(v, depth + 1) for v in value]
    return value


def to_int(key: str, value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return Unknown(f"{key} is a boolean, not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit():  # isdigit() alone admits "²", which int() rejects
        if len(text) > _MAX_DIGITS:  # int() refuses more than 4300 digits
            return Unknown(f"{key} is a number of {len(text)} digits")
        return int(text)
    return Unknown(f"{key} is {describe_value(value, 'python')}, not a whole number")


def to_bool(key: str, value: Any) -> Any:
    if isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return Unknown(f"{key} is {describe_value(value, 'python')}, not a boolean")


def to_str(key: str, value: Any) -> Any:
    if isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return Unknown(f"{key} is {describe_value(value, 'python')}, not a string")


def to_str_tuple(key: str, value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, (list, tuple)):
        return Unknown(f"{key} is {describe_value(value, 'python')}, not a list")
    return tuple(to_str(f"an element of {key}", item) for item in value)


def to_units(key: str, value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, Mapping):
        return Unknown(f"{key} is {describe_value(value, 'python')}, not a mapping")
    return {
        k: to_str(f"{key}.{k}", v) for k, v in value.items() if isinstance(k, str) and k not in SECRET_KEYS
    }


_LISTS = (
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "ExplicitAuthFlows",
    "CallbackURLs",
    "LogoutURLs",
    "SupportedIdentityProviders",
    "ReadAttributes",
    "WriteAttributes",
)
_INTS = ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "AuthSessionValidity")
_BOOLS = (
    "AllowedOAuthFlowsUserPoolClient",
    "GenerateSecret",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
)
_STRS = (
    "ClientId",
    "ClientName",
    "UserPoolId",
    "PreventUserExistenceErrors",
    "DefaultRedirectURI",
    "ClientSecretArn",
)

CONVERTERS: dict[str, Callable[[str, Any], Any]] = {
    **{k: to_str_tuple for k in _LISTS},
    **{k: to_int for k in _INTS},
    **{k: to_bool for k in _BOOLS},
    **{k: to_str for k in _STRS},
    "TokenValidityUnits": to_units,
}


def normalize(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Uniform types for a describe-shaped record; ``None`` values count as absent."""
    record: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or key in SECRET_KEYS or value is None:
            continue
        convert = CONVERTERS.get(key)
        record[key] = convert(key, value) if convert else drop_secrets(value)
    return record
