"""Drift between the code and the live accounts: ``m2m-guard drift`` runs these rules on each
case of matching the code's app clients with the live ones (m2m_guard/model/drift.py); scan and
sweep never do.

Values compare as Cognito applies them: an unset AccessTokenValidity is 60 minutes in any unit,
an unset AllowedOAuthFlowsUserPoolClient or GenerateSecret is false, and an unset
ExplicitAuthFlows is Cognito's default (ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH and
ALLOW_CUSTOM_AUTH: "If you don't specify a value for ExplicitAuthFlows, your app client
supports ...", UserPoolClientType in the Cognito API reference), so that a template that leaves
a setting out does not differ from the client it deployed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from typing import Any

from m2m_guard.cost import pool_cost
from m2m_guard.model import ABSENT, AppClient, Pool, Undetermined, Unknown, Violation, human_duration, usd
from m2m_guard.model.drift import DriftCase, client_text, live_pool_text
from m2m_guard.rules._registry import RuleContext, drift_rule

#: What ``drifted_clients`` compares (``compare``), and the record keys each one covers.
ATTRIBUTES = {
    "ttl": ("AccessTokenValidity",),
    "scopes": ("AllowedOAuthScopes",),
    "flows": ("AllowedOAuthFlows", "AllowedOAuthFlowsUserPoolClient", "ExplicitAuthFlows"),
    "secret": ("GenerateSecret",),
}
#: ExplicitAuthFlows that Cognito gives a client created without any.
DEFAULT_AUTH_FLOWS = frozenset({"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"})


def pool_identities(pool: Pool) -> tuple[str, ...]:
    """What ``managed_pools`` globs match a live pool by: its id, name and ARN."""
    return tuple(dict.fromkeys(n for n in (pool.key, pool.name, *pool.names) if n))


def managed_by(case: DriftCase, globs: Iterable[str]) -> str | None:
    """Why the live pool of ``case`` counts as managed by code, or None: the scanned code
    defines it, or a ``managed_pools`` glob matches its id, name or ARN."""
    if case.defined_by:
        return f"the scanned code defines its user pool ({case.defined_by})"
    if case.live_pool is None:
        return None
    names = pool_identities(case.live_pool)
    for glob in globs:
        if any(fnmatchcase(name, glob) for name in names):
            return f"managed_pools lists its user pool ({glob})"
    return None


@drift_rule(
    "shadow_clients",
    summary="Live M2M clients in pools managed by code must be defined by the code.",
    why=(
        "A client created by hand in a pool the code manages is billed every month, and nobody "
        "reviews its scopes, lifetime or secret."
    ),
    help=(
        "Add the client to the code that defines its user pool (and import it), or delete it; waive "
        "it with its ClientName or ClientId if it is managed elsewhere on purpose."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"managed_pools": {"type": "array", "items": {"type": "string", "minLength": 1}}},
    },
    security_severity="5.0",
    tags=("drift", "cost"),
)
def shadow_clients(case: DriftCase, ctx: RuleContext) -> Iterator[Violation | Undetermined]:
    """A live M2M client that no scanned code defines, in a user pool managed by code: one
    whose `AWS::Cognito::UserPool` or `aws_cognito_user_pool` the scanned code defines (matched
    by pool name or id), or one whose id, name or ARN a `managed_pools` glob matches (default:
    none, so only the pools the code defines; list there the pools the code adds clients to by
    id). The finding gives what the client costs a month. Live M2M clients of other pools are
    not reported one by one.

    Example::

        - id: SHADOW
          type: shadow_clients
          managed_pools: ["orders-*"]
          severity: error
    """
    if case.kind != "shadow" or case.live is None:
        return
    why = managed_by(case, ctx.params.get("managed_pools", ()))
    if why is None:
        return
    if case.unknown:
        yield Undetermined(case.unknown)
        return
    cost = pool_cost([case.live], ctx.pricing)
    least = "at least " if cost.at_least else ""
    yield Violation(
        f"No scanned code defines live M2M client {client_text(case.live)}, though {why}; it costs "
        f"{least}{usd(cost.total_usd)} a month ({cost.breakdown()})."
    )


@drift_rule(
    "missing_clients",
    summary="Clients the code defines must exist in the live accounts.",
    why=(
        "A client the code defines but the account lacks was deleted by hand or never deployed, so "
        "the service that uses it cannot get tokens there."
    ),
    help=(
        "Deploy the code to the account and region, or remove the client from the code; check that "
        "the sweep covered the account and region you expect."
    ),
    security_severity="3.0",
    tags=("drift",),
)
def missing_clients(case: DriftCase, ctx: RuleContext) -> Iterator[Violation | Undetermined]:
    """An M2M client the code defines that no live user pool the code's pool matches holds (by
    ClientName), in the accounts and regions read; or whose user pool is not found there at
    all. A client that cannot be matched (its pool's name or its ClientName is unknown) gets a
    note.

    Example::

        - id: MISSING
          type: missing_clients
          severity: warning
    """
    if case.kind == "unmatched" and case.unknown:
        yield Undetermined(case.unknown)
    if case.kind != "missing" or case.code is None:
        return
    name = case.code.record.get("ClientName")
    if case.live_pool is not None:
        yield Violation(f"Not found live: {live_pool_text(case.live_pool)} has no app client named {name}.")
    else:
        yield Violation(f"Not found live: {case.searched}.")


@drift_rule(
    "drifted_clients",
    summary="Live clients must have the settings the code gives them.",
    why=(
        "A live client whose lifetime, scopes, flows or secret differ from the code was changed by "
        "hand, and the next deployment either reverts it or the code no longer says what runs."
    ),
    help=(
        "Make the code say what the client should be and deploy it, or bring the change made by hand "
        "into the code; the finding gives the code's value and the live one."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "compare": {
                "type": "array",
                "items": {"enum": sorted(ATTRIBUTES)},
                "minItems": 1,
            }
        },
    },
    security_severity="5.0",
    tags=("drift",),
)
def drifted_clients(case: DriftCase, ctx: RuleContext) -> Iterator[Violation | Undetermined]:
    """A client defined in the code and found live whose settings differ, in what `compare`
    lists (default all): `ttl` (the access-token lifetime), `scopes` (AllowedOAuthScopes),
    `flows` (AllowedOAuthFlows, AllowedOAuthFlowsUserPoolClient, ExplicitAuthFlows) and `secret`
    (whether it has a client secret). Each difference is one finding with both values; a value
    that is unknown on either side gives a note.

    Example::

        - id: DRIFT
          type: drifted_clients
          compare: [ttl, scopes, flows, secret]
          severity: error
    """
    if case.kind == "unmatched" and case.unknown:
        yield Undetermined(case.unknown)
    if case.kind != "pair" or case.code is None or case.live is None:
        return
    where = live_pool_text(case.live_pool) if case.live_pool else "the live account"
    wanted = ctx.params.get("compare") or sorted(ATTRIBUTES)
    for attribute in sorted(set(wanted), key=list(ATTRIBUTES).index):
        for key in ATTRIBUTES[attribute]:
            yield from _compare(key, case.code, case.live, where)


def _compare(key: str, code: AppClient, live: AppClient, where: str) -> Iterator[Violation | Undetermined]:
    try:
        ours, theirs = _value(key, code, "the code"), _value(key, live, "live")
    except Undetermined as exc:
        yield exc
        return
    if ours != theirs:
        yield Violation(
            f"{key} is {_shown(key, ours)} in the code and {_shown(key, theirs)} live ({where}).", key
        )


def _value(key: str, client: AppClient, side: str) -> Any:
    """The value of ``key`` as Cognito applies it; raises Undetermined when it is unknown."""
    if key == "AccessTokenValidity":
        ttl = client.access_token_ttl
        if isinstance(ttl, Unknown):
            raise Undetermined(f"the access-token lifetime in {side} is {ttl}")
        return ttl
    if key == "GenerateSecret":
        secret = client.has_secret
        if isinstance(secret, Unknown):
            raise Undetermined(f"whether the client has a secret in {side} is {secret}")
        return secret
    value = client.get(key)
    if isinstance(value, Unknown):
        raise Undetermined(f"{key} in {side} is {value}")
    if key == "AllowedOAuthFlowsUserPoolClient":
        return value is True
    items = value if isinstance(value, (list, tuple)) else ()
    for item in items:
        if isinstance(item, Unknown):
            raise Undetermined(f"{key} in {side} has an element that is {item}")
    if key == "ExplicitAuthFlows" and (value is ABSENT or value is None):
        return DEFAULT_AUTH_FLOWS  # what Cognito gives a client created without any
    return frozenset(str(item) for item in items)


def _shown(key: str, value: Any) -> str:
    if key == "AccessTokenValidity":
        return human_duration(value)
    if key == "GenerateSecret":
        return "a client secret" if value else "no client secret"
    if isinstance(value, bool):
        return "true" if value else "false"
    return ", ".join(sorted(value)) if value else "none"
