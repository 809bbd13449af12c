"""A user pool's settings as ``Pool.settings`` holds them: the keys m2m-guard reads, uniform types.

``Pool.settings`` is in the shape of DescribeUserPool's ``UserPool`` (botocore's cognito-idp
2016-04-18 service model, ``UserPoolType``), restricted to what the model reads
(m2m_guard/model/pool_settings.py): ``UserPoolTier`` and, of ``LambdaConfig``, the pre token
generation trigger (``PreTokenGenerationConfig`` with ``LambdaArn`` and ``LambdaVersion``, and
the legacy ``PreTokenGeneration`` ARN). CloudFormation's ``AWS::Cognito::UserPool`` uses the same
property names, so every reader resolves its own expressions into this shape and this module
makes the types uniform, as :func:`m2m_guard.sources.normalize.normalize` does for clients.

Only these keys are copied: the other triggers, the pool's policies, schema and messages are
not m2m-guard's business, and nothing else of a saved response reaches a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m2m_guard.model import Unknown, describe_value
from m2m_guard.sources.normalize import to_str

#: The keys of ``UserPool`` that settings hold.
SETTINGS_KEYS = ("UserPoolTier", "LambdaConfig")
#: The keys of ``LambdaConfig`` kept: the pre token generation trigger, current and legacy.
TRIGGER_KEYS = ("PreTokenGenerationConfig", "PreTokenGeneration")
#: The keys of ``PreTokenGenerationConfig`` (PreTokenGenerationVersionConfigType).
CONFIG_KEYS = ("LambdaArn", "LambdaVersion")


def pool_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The settings in ``raw`` (a ``UserPool``-shaped mapping, expressions already resolved to
    plain values or :class:`Unknown`); keys that are missing or ``None`` stay absent."""
    settings: dict[str, Any] = {}
    tier = raw.get("UserPoolTier")
    if tier is not None:
        settings["UserPoolTier"] = to_str("UserPoolTier", tier)
    lambda_config = raw.get("LambdaConfig")
    if lambda_config is not None:
        settings["LambdaConfig"] = _picked(
            "LambdaConfig", lambda_config, TRIGGER_KEYS, {"PreTokenGenerationConfig": _config}
        )
    return settings


def _config(key: str, value: Any) -> Any:
    return _picked(key, value, CONFIG_KEYS, {})


def _picked(key: str, value: Any, keys: tuple[str, ...], nested: Mapping[str, Any]) -> Any:
    """The ``keys`` of mapping ``value``, each a string (or converted by ``nested``)."""
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, Mapping):
        return Unknown(f"{key} is {describe_value(value, 'python')}, not a mapping")
    picked: dict[str, Any] = {}
    for name in keys:
        item = value.get(name)
        if item is not None:
            convert = nested.get(name, to_str)
            picked[name] = convert(f"{key}.{name}", item)
    return picked
