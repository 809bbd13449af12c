"""What a user pool's settings say about customizing the access tokens of M2M requests.

Facts this module encodes, from AWS documentation and the SDK model (checked 2026-11-30):

- The pre token generation trigger sends one of three event versions. ``V1_0`` customizes the
  ID token; ``V2_0`` also the access tokens of user authentication; ``V3_0`` also the access
  tokens of machine-to-machine client-credentials grants. "By default, your user pool delivers
  V1_0 events." ("Pre token generation Lambda trigger",
  https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html)
- Access-token customization (``V2_0``, ``V3_0``) is offered on the Essentials and Plus feature
  plans; a Lite pool that ran advanced security features on or before 22 November 2024 kept it
  (same page).
- ``LambdaConfig.PreTokenGenerationConfig`` holds ``LambdaArn`` and ``LambdaVersion`` (``V1_0``,
  ``V2_0``, ``V3_0``); ``LambdaConfig.PreTokenGeneration`` is the legacy ARN of the same trigger,
  whose events are ``V1_0``. ``UserPoolTier`` is ``LITE``, ``ESSENTIALS`` or ``PLUS`` and
  "Defaults to ESSENTIALS" (botocore's cognito-idp 2016-04-18 service model: LambdaConfigType,
  PreTokenGenerationVersionConfigType, CreateUserPool and UpdateUserPool).

Sources put these keys in ``Pool.settings`` as DescribeUserPool returns them; a source that
knows the plan stays at the API default when unset leaves ``UserPoolTier`` absent, one that
cannot tell puts an ``Unknown`` there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from m2m_guard.model.client import Pool
from m2m_guard.model.values import ABSENT, Unknown

TIERS = ("LITE", "ESSENTIALS", "PLUS")
DEFAULT_TIER = "ESSENTIALS"
#: Feature plans that offer access-token customization.
CUSTOMIZING_TIERS = frozenset({"ESSENTIALS", "PLUS"})
TRIGGER_VERSIONS = ("V1_0", "V2_0", "V3_0")
#: The one event version whose response Cognito applies to client-credentials access tokens.
M2M_TRIGGER_VERSION = "V3_0"
#: The event version of a trigger set only by its legacy ``PreTokenGeneration`` ARN.
LEGACY_TRIGGER_VERSION = "V1_0"


@dataclass(frozen=True, slots=True)
class PreTokenTrigger:
    """A pool's pre token generation trigger: its function and its event version."""

    lambda_arn: str | Unknown
    version: str | Unknown


def pre_token_trigger(settings: Mapping[str, Any]) -> PreTokenTrigger | Unknown | None:
    """The pool's pre token generation trigger; None when it has none."""
    lambda_config = settings.get("LambdaConfig", ABSENT)
    if isinstance(lambda_config, Unknown):
        return lambda_config
    if not isinstance(lambda_config, Mapping):
        return None
    config = lambda_config.get("PreTokenGenerationConfig")
    legacy = lambda_config.get("PreTokenGeneration")
    if isinstance(config, Unknown):
        return config
    if isinstance(config, Mapping) and config:
        arn = config.get("LambdaArn", legacy)
        version = config.get("LambdaVersion")
        if not isinstance(arn, (str, Unknown)):
            arn = Unknown("PreTokenGenerationConfig.LambdaArn is not set")
        if not isinstance(version, (str, Unknown)):
            version = Unknown("PreTokenGenerationConfig.LambdaVersion is not set")
        elif isinstance(version, str) and version not in TRIGGER_VERSIONS:
            version = Unknown(f"LambdaVersion {version!r} is not one of {', '.join(TRIGGER_VERSIONS)}")
        return PreTokenTrigger(arn, version)
    if isinstance(legacy, Unknown) or (isinstance(legacy, str) and legacy):
        # set only the legacy way, to whatever function: its events are V1_0
        return PreTokenTrigger(legacy, LEGACY_TRIGGER_VERSION)
    return None


def feature_plan(settings: Mapping[str, Any]) -> str | Unknown:
    """``UserPoolTier``; the API default (Essentials) when the source says it applies."""
    value = settings.get("UserPoolTier", ABSENT)
    if value is ABSENT:
        return DEFAULT_TIER
    if isinstance(value, Unknown):
        return value
    if value in TIERS:
        return str(value)
    return Unknown(f"UserPoolTier {value!r} is not one of {', '.join(TIERS)}")


def customizes_m2m_tokens(pool: Pool) -> bool | Unknown:
    """Whether Cognito invokes a Lambda function on each client-credentials token request of
    ``pool`` and applies its response: a ``V3_0`` trigger on a plan that offers it. Unknown
    when the pool's settings are not in the inputs, hold unknown values, or the plan is Lite
    (which kept the feature only for pools that used advanced security features before
    22 November 2024, something no setting shows)."""
    if pool.settings is None:
        return Unknown(f"the settings of {pool.label} are not in the scanned inputs")
    trigger = pre_token_trigger(pool.settings)
    if trigger is None:
        return False
    if isinstance(trigger, Unknown):
        return trigger
    if isinstance(trigger.version, Unknown):
        return trigger.version
    if trigger.version != M2M_TRIGGER_VERSION:
        return False
    plan = feature_plan(pool.settings)
    if isinstance(plan, Unknown):
        return plan
    if plan not in CUSTOMIZING_TIERS:
        return Unknown(
            "the Lite plan offers access-token customization only to pools that used advanced "
            "security features before 22 November 2024"
        )
    return True
