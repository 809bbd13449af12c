"""The normalized app-client model every source produces and every rule reads.

In parts: ``values`` (known, unknown, absent; secret keys), ``client`` (AppClient, Pool,
Location, Usage), ``result`` (findings and the RunResult reporters render), ``pool_settings`` (what a
pool's feature plan and pre token generation trigger mean for M2M tokens) and ``wording``
(counts, durations, money and values in messages). They import only each other and the
standard library; everything is importable from ``m2m_guard.model``.

A client is a record in the shape of DescribeUserPoolClient's ``UserPoolClient`` whose values
are known, unknown or absent (see ``values``); ``ClientSecret`` is never part of it.
"""

from __future__ import annotations

from m2m_guard.model.client import (
    MONTH_DAYS,
    AppClient,
    LiveArn,
    Location,
    Pool,
    Usage,
    parse_arn,
    token_blockers,
)
from m2m_guard.model.pool_settings import (
    CUSTOMIZING_TIERS,
    DEFAULT_TIER,
    M2M_TRIGGER_VERSION,
    TIERS,
    TRIGGER_VERSIONS,
    PreTokenTrigger,
    customizes_m2m_tokens,
    feature_plan,
    pre_token_trigger,
)
from m2m_guard.model.result import (
    Category,
    Coverage,
    Finding,
    Notification,
    RuleInfo,
    RunResult,
    Severity,
    Tally,
    Violation,
)
from m2m_guard.model.values import (
    ABSENT,
    DEFAULT_ACCESS_TOKEN_SECONDS,
    INVALID_TTL,
    M2M_AUTH_FLOW,
    M2M_FLOW,
    MAX_REQUESTS,
    MAX_VALID_TTL_SECONDS,
    MAX_WINDOW_DAYS,
    MIN_VALID_TTL_SECONDS,
    MIN_WINDOW_DAYS,
    SECRET_KEY_NAMES,
    UNIT_SECONDS,
    Undetermined,
    Unknown,
    folded_key,
    is_secret_key,
    is_secret_name,
    known,
    m2m_verdict,
    split_known,
    usage_in_bounds,
)
from m2m_guard.model.wording import (
    Notation,
    describe_value,
    human_duration,
    plural,
    usd,
)

__all__ = [
    "CUSTOMIZING_TIERS",
    "DEFAULT_TIER",
    "M2M_TRIGGER_VERSION",
    "TIERS",
    "TRIGGER_VERSIONS",
    "PreTokenTrigger",
    "customizes_m2m_tokens",
    "feature_plan",
    "pre_token_trigger",
    "ABSENT",
    "AppClient",
    "Category",
    "Coverage",
    "DEFAULT_ACCESS_TOKEN_SECONDS",
    "Finding",
    "INVALID_TTL",
    "LiveArn",
    "Location",
    "M2M_AUTH_FLOW",
    "M2M_FLOW",
    "MAX_REQUESTS",
    "MAX_VALID_TTL_SECONDS",
    "MAX_WINDOW_DAYS",
    "MIN_VALID_TTL_SECONDS",
    "MIN_WINDOW_DAYS",
    "Notation",
    "Notification",
    "Pool",
    "RuleInfo",
    "RunResult",
    "SECRET_KEY_NAMES",
    "Severity",
    "Tally",
    "UNIT_SECONDS",
    "Undetermined",
    "Unknown",
    "MONTH_DAYS",
    "Usage",
    "Violation",
    "describe_value",
    "folded_key",
    "human_duration",
    "is_secret_key",
    "is_secret_name",
    "known",
    "m2m_verdict",
    "parse_arn",
    "plural",
    "split_known",
    "token_blockers",
    "usage_in_bounds",
    "usd",
]
