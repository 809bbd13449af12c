"""OAuth flow and auth-flow hygiene of M2M clients."""

from __future__ import annotations

from collections.abc import Iterator

from m2m_guard.model import M2M_AUTH_FLOW, M2M_FLOW, AppClient, Undetermined, Unknown, Violation, split_known
from m2m_guard.rules._registry import RuleContext, rule

USER_OAUTH_FLOWS = ("code", "implicit")
#: Auth flows that do not sign a user in.
NON_USER_AUTH_FLOWS = (M2M_AUTH_FLOW, "ALLOW_REFRESH_TOKEN_AUTH")


def _known_items(value: object, key: str) -> tuple[list[str], list[Unknown]]:
    if isinstance(value, Unknown):
        raise Undetermined(f"{key} is {value}")
    return split_known(value)  # type: ignore[arg-type]


@rule(
    "mixed_oauth_flows",
    summary="client_credentials must not be mixed with user OAuth flows.",
    why=(
        "Cognito does not let one app client combine `client_credentials` with the `code` or "
        "`implicit` flow, so such a client fails to deploy."
    ),
    help="Use separate app clients for machines (`client_credentials`) and for users (`code`, `implicit`).",
    security_severity="6.0",
    tags=("flows",),
)
def mixed_oauth_flows(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """An M2M client allows no user OAuth flow (``code``, ``implicit``).

    Example::

        - id: MIXED-FLOWS
          type: mixed_oauth_flows
          severity: error
    """
    flows, unknowns = _known_items(client.oauth_flows, "AllowedOAuthFlows")
    mixed = [f for f in flows if f in USER_OAUTH_FLOWS]
    if mixed and M2M_FLOW in flows:
        yield Violation(
            f"AllowedOAuthFlows mixes client_credentials with user flow {', '.join(repr(f) for f in mixed)}.",
            "AllowedOAuthFlows",
        )
    elif unknowns and (mixed or M2M_FLOW in flows):
        raise Undetermined(f"an element of AllowedOAuthFlows is {unknowns[0]}")


@rule(
    "user_auth_flows",
    summary=(
        "M2M clients must not allow user sign-in auth flows, and ALLOW_CLIENT_TOKEN_AUTH must be its "
        "client's only auth flow."
    ),
    why=(
        "Every auth flow is another way to get tokens from the client, and user sign-in flows give "
        "a machine client ways in that it never uses."
    ),
    help=(
        "Remove user sign-in flows (`ALLOW_USER_PASSWORD_AUTH`, `ALLOW_USER_SRP_AUTH`, "
        "`ALLOW_ADMIN_USER_PASSWORD_AUTH`, `ALLOW_CUSTOM_AUTH`, `ALLOW_USER_AUTH`) from "
        "`ExplicitAuthFlows` of machine clients. A client with `ALLOW_CLIENT_TOKEN_AUTH` "
        "(GetClientToken) keeps no other flow, not even `ALLOW_REFRESH_TOKEN_AUTH`: Cognito "
        "requires it to be the only authentication flow of its app client."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"allow": {"type": "array", "items": {"type": "string"}}},
    },
    security_severity="5.0",
    tags=("flows",),
)
def user_auth_flows(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """An M2M client's ExplicitAuthFlows hold only non-user flows (ALLOW_CLIENT_TOKEN_AUTH,
    ALLOW_REFRESH_TOKEN_AUTH) plus those listed in ``allow``; and ALLOW_CLIENT_TOKEN_AUTH stands
    alone, whatever ``allow`` says, because Cognito requires it to be the client's only
    authentication flow
    (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetClientToken.html).

    Example::

        - id: USER-AUTH-FLOWS
          type: user_auth_flows
          severity: warning
    """
    flows, unknowns = _known_items(client.explicit_auth_flows, "ExplicitAuthFlows")
    if M2M_AUTH_FLOW in flows:
        others = [f for f in flows if f != M2M_AUTH_FLOW]
        if others:
            yield Violation(
                f"ExplicitAuthFlows has {', '.join(repr(f) for f in others)} beside "
                f"{M2M_AUTH_FLOW}, which must be the client's only auth flow.",
                "ExplicitAuthFlows",
            )
        elif unknowns:
            raise Undetermined(f"an element of ExplicitAuthFlows is {unknowns[0]}")
        return
    allowed = set(NON_USER_AUTH_FLOWS) | set(ctx.params.get("allow", ()))
    bad = [f for f in flows if f not in allowed]
    if bad:
        yield Violation(
            f"ExplicitAuthFlows allows user sign-in flow {', '.join(repr(f) for f in bad)} on an M2M client.",
            "ExplicitAuthFlows",
        )
    elif unknowns:
        raise Undetermined(f"an element of ExplicitAuthFlows is {unknowns[0]}")
