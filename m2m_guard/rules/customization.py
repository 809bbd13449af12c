"""Whether a user pool customizes the access tokens of its M2M (client-credentials) requests.

The facts (which trigger event version runs for client-credentials requests, which feature
plans offer it) and their AWS sources are in :mod:`m2m_guard.model.pool_settings`; this rule
only compares them with what the policy requires.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from m2m_guard.model import (
    CUSTOMIZING_TIERS,
    M2M_TRIGGER_VERSION,
    Pool,
    PreTokenTrigger,
    Undetermined,
    Unknown,
    Violation,
    customizes_m2m_tokens,
    feature_plan,
    pre_token_trigger,
)
from m2m_guard.rules._registry import PoolView, RuleContext, pool_rule

FIELD = "LambdaConfig"
ARN_FIELD = "LambdaConfig.PreTokenGenerationConfig.LambdaArn"
PLAN_FIELD = "UserPoolTier"
_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}


def _settings(pool: Pool) -> Mapping[str, Any]:
    if pool.settings is None:
        raise Undetermined(f"the settings of {pool.label} are not in the scanned inputs")
    return pool.settings


def _trigger(settings: Mapping[str, Any]) -> PreTokenTrigger | None:
    trigger = pre_token_trigger(settings)
    if isinstance(trigger, Unknown):
        raise Undetermined(f"the pre token generation trigger is {trigger}")
    return trigger


def _required(
    settings: Mapping[str, Any], trigger: PreTokenTrigger | None, rule_id: str
) -> Iterator[Violation | Unknown]:
    """What stops the pool from customizing M2M access tokens: violations, or the unknown
    values that keep the verdict open."""
    if trigger is None:
        yield Violation(
            f"The pool has no pre token generation trigger, so its M2M access tokens are not "
            f"customized; policy {rule_id} requires a {M2M_TRIGGER_VERSION} trigger.",
            FIELD,
        )
    elif isinstance(trigger.version, Unknown):
        yield Unknown(f"the trigger's LambdaVersion is {trigger.version}")
    elif trigger.version != M2M_TRIGGER_VERSION:
        yield Violation(
            f"The pre token generation trigger is {trigger.version}, which does not run for "
            f"client-credentials requests; use {M2M_TRIGGER_VERSION} (policy {rule_id}).",
            FIELD,
        )
    plan = feature_plan(settings)
    if isinstance(plan, Unknown):
        yield Unknown(f"the feature plan is {plan}")
    elif plan not in CUSTOMIZING_TIERS:
        yield Violation(
            "The Lite plan does not offer access-token customization (except to pools that used "
            "advanced security features before 22 November 2024); use Essentials or Plus "
            f"(policy {rule_id}).",
            PLAN_FIELD,
        )


def _forbidden(pool: Pool, trigger: PreTokenTrigger | None, rule_id: str) -> Iterator[Violation | Unknown]:
    verdict = customizes_m2m_tokens(pool)
    if isinstance(verdict, Unknown):
        yield _why_unknown(_settings(pool), trigger, verdict)
    elif verdict and trigger is not None:
        yield Violation(
            f"The {trigger.version} pre token generation trigger ({trigger.lambda_arn}) customizes "
            f"M2M access tokens, and every token request invokes it; policy {rule_id} forbids "
            f"it: remove the trigger or use a version below {M2M_TRIGGER_VERSION}.",
            FIELD,
        )


def _why_unknown(settings: Mapping[str, Any], trigger: PreTokenTrigger | None, verdict: Unknown) -> Unknown:
    """Which setting leaves open whether M2M tokens are customized, named as ``_required`` names it."""
    if trigger is not None and isinstance(trigger.version, Unknown):
        return Unknown(f"the trigger's LambdaVersion is {trigger.version}")
    plan = feature_plan(settings)
    if isinstance(plan, Unknown):
        return Unknown(f"the feature plan is {plan}")
    return verdict


def _unlisted(
    trigger: PreTokenTrigger | None, globs: Sequence[str], rule_id: str
) -> Iterator[Violation | Unknown]:
    if trigger is None or not globs:
        return
    arn = trigger.lambda_arn
    if isinstance(arn, Unknown):
        yield Unknown(f"the trigger's LambdaArn is {arn}")
    elif not any(fnmatchcase(arn, glob) for glob in globs):
        yield Violation(
            f"The pre token generation trigger runs {arn}, which matches none of the lambda_arns "
            f"of policy {rule_id}.",
            ARN_FIELD,
        )


@pool_rule(
    "token_customization",
    summary="User pools customize M2M access tokens only as the policy says.",
    why=(
        "Teams authorize on custom claims that a pre token generation trigger adds, and only a "
        "V3_0 trigger on Essentials or Plus runs for client-credentials requests."
    ),
    help=(
        "With `require: true`, give the pool a pre token generation trigger "
        "(`LambdaConfig.PreTokenGenerationConfig`) with `LambdaVersion: V3_0` on the Essentials "
        "or Plus plan (`UserPoolTier`); with `require: false`, remove the trigger or use V1_0 or "
        "V2_0; point the trigger at a function that `lambda_arns` lists."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["require"],
        "properties": {"require": {"type": "boolean"}, "lambda_arns": _GLOBS},
    },
    security_severity="5.0",
    tags=("tokens",),
)
def token_customization(view: PoolView, ctx: RuleContext) -> Iterator[Violation]:
    """With ``require: true``, the pool customizes the access tokens of M2M requests: a pre token
    generation trigger of version V3_0 (a legacy ``PreTokenGeneration`` ARN alone is V1_0) on a
    plan that offers it (Essentials or Plus). With ``require: false``, it does not. With
    ``lambda_arns``, the trigger's function, whatever its version, matches one of the globs. It
    is checked once per user pool with M2M clients; a pool whose settings are not in the inputs,
    or hold unknown values the verdict depends on, gets a note.

    Example::

        - id: TOKEN-CUSTOMIZATION
          type: token_customization
          require: true
          lambda_arns: ["arn:aws:lambda:*:*:function:m2m-claims-*"]
          severity: error
    """
    pool, require = view.pool, bool(ctx.params["require"])
    trigger = _trigger(_settings(pool))
    outcomes = [
        *(
            _required(_settings(pool), trigger, ctx.rule_id)
            if require
            else _forbidden(pool, trigger, ctx.rule_id)
        ),
        *_unlisted(trigger, ctx.params.get("lambda_arns", ()), ctx.rule_id),
    ]
    violations = [o for o in outcomes if isinstance(o, Violation)]
    doubts = [o for o in outcomes if isinstance(o, Unknown)]
    if not violations and doubts:
        raise Undetermined(doubts[0].reason)
    yield from violations
