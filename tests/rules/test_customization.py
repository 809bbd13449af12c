"""token_customization: whether a pool customizes the access tokens of its M2M requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from m2m_guard.model import Pool, Undetermined
from m2m_guard.rules import PoolView
from tests.rules.clients import check_pool_rule, m2m, pool_with, unknown

ARN = "arn:aws:lambda:eu-west-1:111122223333:function:m2m-claims-orders"
OTHER_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:legacy-claims"
GLOBS = ["arn:aws:lambda:*:*:function:m2m-claims-*"]


def trigger(version: Any = "V3_0", arn: Any = ARN, **plan: Any) -> dict[str, Any]:
    """Pool settings with a pre token generation trigger (and ``UserPoolTier=`` if given)."""
    return {
        "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": arn, "LambdaVersion": version}},
        **plan,
    }


def view(settings: Mapping[str, Any] | None) -> PoolView:
    pool: Pool = pool_with(settings)
    return PoolView(pool, (m2m(pool=pool),))


def run(settings: Mapping[str, Any] | None, **params: Any) -> list[tuple[str, str | None]]:
    found = check_pool_rule("token_customization", view(settings), "CUSTOM", **params)
    return [(v.message, v.field) for v in found]


# --- require: true ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(trigger(), id="v3-default-plan-essentials"),
        pytest.param(trigger(UserPoolTier="ESSENTIALS"), id="v3-essentials"),
        pytest.param(trigger(UserPoolTier="PLUS"), id="v3-plus"),
        pytest.param(
            {
                "LambdaConfig": {
                    "PreTokenGeneration": OTHER_ARN,
                    "PreTokenGenerationConfig": {"LambdaVersion": "V3_0", "LambdaArn": ARN},
                }
            },
            id="config-wins-over-legacy-arn",
        ),
    ],
)
def test_required_customization_passes(settings: dict[str, Any]) -> None:
    assert run(settings, require=True) == []


@pytest.mark.parametrize(
    "settings",
    [{}, {"LambdaConfig": {}}, {"LambdaConfig": {"PreSignUp": OTHER_ARN}}],
    ids=["no-lambda-config", "empty-lambda-config", "other-triggers-only"],
)
def test_no_trigger_fails_when_required(settings: dict[str, Any]) -> None:
    [(message, field)] = run(settings, require=True)
    assert field == "LambdaConfig"
    assert message == (
        "The pool has no pre token generation trigger, so its M2M access tokens are not "
        "customized; policy CUSTOM requires a V3_0 trigger."
    )


@pytest.mark.parametrize(
    ("settings", "version"),
    [
        pytest.param(trigger("V2_0"), "V2_0", id="v2"),
        pytest.param(trigger("V1_0"), "V1_0", id="v1"),
        pytest.param({"LambdaConfig": {"PreTokenGeneration": ARN}}, "V1_0", id="legacy-arn-alone-is-v1"),
    ],
)
def test_a_trigger_below_v3_fails_when_required(settings: dict[str, Any], version: str) -> None:
    [(message, field)] = run(settings, require=True)
    assert field == "LambdaConfig"
    assert message == (
        f"The pre token generation trigger is {version}, which does not run for client-credentials "
        "requests; use V3_0 (policy CUSTOM)."
    )


def test_the_lite_plan_fails_when_required() -> None:
    [(message, field)] = run(trigger(UserPoolTier="LITE"), require=True)
    assert field == "UserPoolTier"
    assert message == (
        "The Lite plan does not offer access-token customization (except to pools that used "
        "advanced security features before 22 November 2024); use Essentials or Plus (policy CUSTOM)."
    )


def test_every_reason_is_reported() -> None:
    found = run(trigger("V2_0", OTHER_ARN, UserPoolTier="LITE"), require=True, lambda_arns=GLOBS)
    assert [field for _, field in found] == [
        "LambdaConfig",
        "UserPoolTier",
        "LambdaConfig.PreTokenGenerationConfig.LambdaArn",
    ]


# --- require: false --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({}, id="no-trigger"),
        pytest.param(trigger("V2_0"), id="v2-does-not-run-for-m2m"),
        pytest.param({"LambdaConfig": {"PreTokenGeneration": ARN}}, id="legacy-v1"),
    ],
)
def test_forbidden_customization_passes(settings: dict[str, Any]) -> None:
    assert run(settings, require=False) == []


def test_a_v3_trigger_fails_when_forbidden() -> None:
    [(message, field)] = run(trigger(UserPoolTier="PLUS"), require=False)
    assert field == "LambdaConfig"
    assert message == (
        f"The V3_0 pre token generation trigger ({ARN}) customizes M2M access tokens, and every "
        "token request invokes it; policy CUSTOM forbids it: remove the trigger or use a version "
        "below V3_0."
    )


def test_a_lite_pool_with_a_v3_trigger_is_undetermined_when_forbidden() -> None:
    # it may be a Lite pool that kept the feature, which no setting shows
    with pytest.raises(Undetermined, match="advanced security features before 22 November 2024"):
        run(trigger(UserPoolTier="LITE"), require=False)


# --- lambda_arns -----------------------------------------------------------------------------


@pytest.mark.parametrize("require", [True, False])
def test_lambda_arns_allow_matching_functions(require: bool) -> None:
    settings = trigger() if require else trigger("V2_0")
    assert run(settings, require=require, lambda_arns=GLOBS) == []


@pytest.mark.parametrize("version", ["V1_0", "V2_0", "V3_0"])
def test_lambda_arns_refuse_other_functions_whatever_the_version(version: str) -> None:
    found = run(trigger(version, OTHER_ARN), require=False, lambda_arns=GLOBS)
    assert (
        f"The pre token generation trigger runs {OTHER_ARN}, which matches none of the lambda_arns "
        "of policy CUSTOM.",
        "LambdaConfig.PreTokenGenerationConfig.LambdaArn",
    ) in found


def test_lambda_arns_without_a_trigger_say_nothing() -> None:
    assert run({}, require=False, lambda_arns=GLOBS) == []


def test_an_unknown_arn_is_undetermined() -> None:
    with pytest.raises(Undetermined, match="LambdaArn is unknown"):
        run(
            trigger(arn=unknown("Fn::GetAtt of a function in another stack")), require=True, lambda_arns=GLOBS
        )


# --- unknown ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        pytest.param(None, "the settings of UserPool are not in the scanned inputs", id="no-settings"),
        pytest.param(
            {"LambdaConfig": unknown()}, "pre token generation trigger is unknown", id="lambda-config"
        ),
        pytest.param(trigger(unknown()), "LambdaVersion is unknown", id="version"),
        pytest.param(trigger(UserPoolTier=unknown()), "feature plan is unknown", id="plan"),
        pytest.param(trigger("V4_0"), "'V4_0' is not one of V1_0, V2_0, V3_0", id="odd-version"),
    ],
)
@pytest.mark.parametrize("require", [True, False])
def test_unknown_settings_are_undetermined(
    settings: dict[str, Any] | None, reason: str, require: bool
) -> None:
    with pytest.raises(Undetermined, match=reason.replace("(", r"\(").replace(")", r"\)")):
        run(settings, require=require)


def test_a_failure_wins_over_an_unknown_value() -> None:
    # the plan is unknown, but no trigger at all fails whatever the plan
    [(_, field)] = run({"UserPoolTier": unknown()}, require=True)
    assert field == "LambdaConfig"
