"""Billed M2M clients that are not used, or cannot be."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from m2m_guard.model import AppClient, Undetermined, Violation, token_blockers
from m2m_guard.rules._registry import RuleContext, rule

#: The auth flow of GetClientToken, whose requests are not the CloudTrail ``Token_POST`` events
#: the sweep counts (see m2m_guard/sweep/cloudtrail.py).
TOKEN_API_FLOW = "ALLOW_CLIENT_TOKEN_AUTH"


def _flows(client: AppClient) -> tuple[Any, ...]:
    flows = client.explicit_auth_flows
    return tuple(flows) if isinstance(flows, (list, tuple)) else ()


@rule(
    "unused_client_credentials",
    summary="Billed M2M clients must be used, or deleted.",
    why=(
        "Cognito bills each M2M app client by the month whether or not it requests tokens, so a "
        "client nobody uses is a charge that buys nothing."
    ),
    help=(
        "Delete M2M app clients that make no token requests, and those that can never get a token "
        "(no scopes, no secret, or OAuth not enabled)."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"lookback_days": {"type": "integer", "minimum": 1}},
    },
    security_severity="2.5",
    tags=("cost", "hygiene"),
)
def unused_client_credentials(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """An M2M client made no successful token request in ``lookback_days`` (default 30)
    according to the usage data, or can never issue a token at all. A client absent from the
    usage data has unknown usage and is never called unused; so has a client whose requests all
    failed (the sweep reports it as failing), and a GetClientToken client counted from CloudTrail
    (its requests are not ``Token_POST`` events).

    Example::

        - id: UNUSED
          type: unused_client_credentials
          lookback_days: 30
          severity: warning
    """
    blockers, doubts = token_blockers(client)
    if blockers:
        field, _ = blockers[0]
        reasons = "; ".join(reason for _, reason in blockers)
        yield Violation(f"Billed M2M client can never issue a token: {reasons}.", field)
        return
    lookback = ctx.params.get("lookback_days", 30)
    usage = client.usage
    if usage is not None and usage.requests == 0:
        if TOKEN_API_FLOW in _flows(client) and usage.source.startswith("CloudTrail"):
            raise Undetermined(f"the {usage.source} count has no GetClientToken requests")
        if usage.window_days < lookback:
            raise Undetermined(
                f"the {usage.source} covers {usage.window_days:g} days, less than the "
                f"{lookback} days policy {ctx.rule_id} looks back"
            )
        yield Violation(
            f"No token requests in the last {usage.window_days:g} days ({usage.source}); "
            "the client is billed every month.",
        )
    elif doubts and usage is None:
        raise Undetermined(f"cannot tell whether the client can issue a token: {doubts[0]}")
