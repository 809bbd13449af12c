"""What a pool's settings mean for M2M access tokens (m2m_guard/model/pool_settings.py).

Settings are in DescribeUserPool's ``UserPool`` shape (botocore cognito-idp 2016-04-18:
UserPoolType.UserPoolTier, LambdaConfigType.PreTokenGeneration and PreTokenGenerationConfig
{LambdaArn, LambdaVersion}); which event version customizes client-credentials tokens, and on
which feature plans, is from "Pre token generation Lambda trigger" in the Cognito developer guide.
"""

from __future__ import annotations

from typing import Any

import pytest

from m2m_guard.model import (
    Pool,
    PreTokenTrigger,
    Unknown,
    customizes_m2m_tokens,
    feature_plan,
    pre_token_trigger,
)

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:claims"


def trigger(version: Any, arn: Any = ARN) -> dict[str, Any]:
    return {"LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": arn, "LambdaVersion": version}}}


def pool(settings: dict[str, Any] | None) -> Pool:
    return Pool.of_id("eu-west-1_Pool1", settings=settings)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param({}, None, id="no-lambda-config"),
        pytest.param({"LambdaConfig": {}}, None, id="no-trigger"),
        pytest.param(trigger("V3_0"), PreTokenTrigger(ARN, "V3_0"), id="v3"),
        pytest.param(
            {"LambdaConfig": {"PreTokenGeneration": ARN}}, PreTokenTrigger(ARN, "V1_0"), id="legacy-arn-is-v1"
        ),
        pytest.param(
            {"LambdaConfig": {"PreTokenGeneration": Unknown("Fn::GetAtt")}},
            PreTokenTrigger(Unknown("Fn::GetAtt"), "V1_0"),
            id="legacy-unknown-arn-is-still-v1",
        ),
        pytest.param(
            {"LambdaConfig": Unknown("known after apply")}, Unknown("known after apply"), id="unknown"
        ),
    ],
)
def test_the_trigger_is_read_from_either_setting(settings: dict[str, Any], expected: object) -> None:
    assert pre_token_trigger(settings) == expected


def test_a_version_outside_the_model_is_unknown_not_guessed() -> None:
    found = pre_token_trigger(trigger("V9_0"))
    assert isinstance(found, PreTokenTrigger) and isinstance(found.version, Unknown)
    assert "V9_0" in found.version.reason


@pytest.mark.parametrize(
    ("settings", "plan"),
    [({}, "ESSENTIALS"), ({"UserPoolTier": "PLUS"}, "PLUS"), ({"UserPoolTier": "LITE"}, "LITE")],
)
def test_feature_plan_defaults_to_essentials_when_absent(settings: dict[str, Any], plan: str) -> None:
    assert feature_plan(settings) == plan


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(trigger("V3_0"), True, id="v3-on-essentials"),
        pytest.param({**trigger("V3_0"), "UserPoolTier": "PLUS"}, True, id="v3-on-plus"),
        pytest.param(trigger("V2_0"), False, id="v2-customizes-user-tokens-only"),
        pytest.param({"LambdaConfig": {"PreTokenGeneration": ARN}}, False, id="legacy"),
        pytest.param({}, False, id="no-trigger"),
    ],
)
def test_customizes_m2m_tokens(settings: dict[str, Any], expected: bool) -> None:
    assert customizes_m2m_tokens(pool(settings)) is expected


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        pytest.param(None, "the settings of eu-west-1_Pool1 are not in the scanned inputs", id="not-scanned"),
        pytest.param(trigger(Unknown("known after apply")), "known after apply", id="unknown-version"),
        pytest.param({**trigger("V3_0"), "UserPoolTier": Unknown("not set")}, "not set", id="unknown-plan"),
        pytest.param(
            {**trigger("V3_0"), "UserPoolTier": "LITE"},
            "the Lite plan offers access-token customization only to pools that used advanced security "
            "features before 22 November 2024",
            id="lite-kept-it-only-for-some-pools",
        ),
    ],
)
def test_what_cannot_be_told_is_unknown_with_the_reason(settings: dict[str, Any] | None, reason: str) -> None:
    verdict = customizes_m2m_tokens(pool(settings))
    assert isinstance(verdict, Unknown) and verdict.reason == reason
