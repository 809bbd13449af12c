"""Billed M2M clients that are not used, or cannot be."""

from __future__ import annotations

from collections.abc import Iterator

from m2m_guard.model import M2M_AUTH_FLOW, M2M_FLOW, AppClient, Undetermined, Unknown, Violation, split_known
from m2m_guard.rules._registry import Params, rule


def token_blockers(client: AppClient) -> tuple[list[tuple[str, str]], list[str]]:
    """Why the client can never get a token, as (field, reason) pairs, and what is unknown.

    Any one blocker is enough (DESIGN, precise semantics 4): no scopes, no client secret, or
    AllowedOAuthFlowsUserPoolClient not true; for ALLOW_CLIENT_TOKEN_AUTH-only clients the last
    one does not apply.
    """
    blockers: list[tuple[str, str]] = []
    doubts: list[str] = []
    scopes = client.scopes
    if isinstance(scopes, Unknown):
        doubts.append(f"AllowedOAuthScopes is {scopes}")
    else:
        known, unknowns = split_known(scopes)
        if not known and not unknowns:
            blockers.append(("AllowedOAuthScopes", "it has no OAuth scopes"))
    secret = client.has_secret
    if isinstance(secret, Unknown):
        doubts.append(f"GenerateSecret is {secret}")
    elif not secret:
        blockers.append(("GenerateSecret", "it has no client secret"))
    flows, auth_flows = client.oauth_flows, client.explicit_auth_flows
    uses_oauth = not isinstance(flows, Unknown) and M2M_FLOW in split_known(flows)[0]
    # GetClientToken (ALLOW_CLIENT_TOKEN_AUTH) issues tokens without the OAuth switch.
    uses_token_api = isinstance(auth_flows, Unknown) or M2M_AUTH_FLOW in split_known(auth_flows)[0]
    if uses_oauth and not uses_token_api:
        enabled = client.record.get("AllowedOAuthFlowsUserPoolClient", False)
        if isinstance(enabled, Unknown):
            doubts.append(f"AllowedOAuthFlowsUserPoolClient is {enabled}")
        elif enabled is not True:
            blockers.append(
                ("AllowedOAuthFlowsUserPoolClient", "AllowedOAuthFlowsUserPoolClient is not true")
            )
    return blockers, doubts


@rule(
    "unused_client_credentials",
    summary="Billed M2M clients must be used, or deleted.",
    help=(
        "Delete M2M app clients that make no token requests: each one is billed every month "
        "whether it is used or not. A client that can never get a token (no scopes, no secret, "
        "or OAuth not enabled) is billed too."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"lookback_days": {"type": "integer", "minimum": 1}},
    },
    security_severity="2.5",
    tags=("cost", "hygiene"),
)
def unused_client_credentials(client: AppClient, p: Params) -> Iterator[Violation]:
    """An M2M client made no token request in ``lookback_days`` (default 30) according to the
    usage data, or can never issue a token at all. A client absent from the usage data has
    unknown usage and is never called unused.

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
    lookback = p.get("lookback_days", 30)
    usage = client.usage
    if usage is not None and usage.requests == 0:
        if usage.window_days < lookback:
            raise Undetermined(
                f"the {usage.source} covers {usage.window_days:g} days, less than the "
                f"{lookback} days policy {p['rule']} looks back"
            )
        yield Violation(
            f"No token requests in the last {usage.window_days:g} days ({usage.source}); "
            "the client is billed every month.",
        )
    elif doubts and usage is None:
        raise Undetermined(f"cannot tell whether the client can issue a token: {doubts[0]}")
