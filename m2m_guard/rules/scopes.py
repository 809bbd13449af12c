"""OAuth scope rules, on AllowedOAuthScopes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase

from m2m_guard.model import AppClient, Undetermined, Unknown, Violation, split_known
from m2m_guard.rules._registry import RuleContext, rule

FIELD = "AllowedOAuthScopes"
#: Scopes that describe a user, meaningless for a client acting as itself.
USER_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
#: Scope names that grant everything a resource server offers.
WILDCARD_PATTERNS = ("[*]", "*/[*]", "*:[*]")

_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}


def _scopes(client: AppClient) -> tuple[list[str], list[Unknown]]:
    value = client.scopes
    if isinstance(value, Unknown):
        raise Undetermined(f"AllowedOAuthScopes is {value}")
    return split_known(value)


def _matching(scopes: Sequence[str], patterns: Sequence[str]) -> list[str]:
    return [s for s in scopes if any(fnmatchcase(s, p) for p in patterns)]


def _doubt(unknowns: list[Unknown]) -> Undetermined:
    return Undetermined(f"an element of AllowedOAuthScopes is {unknowns[0]}")


def _offending(client: AppClient, patterns: Sequence[str]) -> list[str]:
    """The known scopes matching ``patterns``; when there are none but some scope is unknown,
    the verdict is undetermined."""
    scopes, unknowns = _scopes(client)
    bad = _matching(scopes, patterns)
    if not bad and unknowns:
        raise _doubt(unknowns)
    return bad


def _listing(items: Sequence[str]) -> str:
    return ", ".join(repr(i) for i in items)


@rule(
    "required_scopes",
    summary="M2M clients must hold the scopes the policy requires.",
    why=(
        "An M2M access token carries only scopes its app client allows, so a client without the "
        "scopes its API needs cannot do its job."
    ),
    help=(
        "Add the required resource-server scopes to `AllowedOAuthScopes`. A client with no scopes "
        "cannot get a token at all, yet is still billed."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"any_of": _GLOBS, "all_of": _GLOBS},
    },
    security_severity="4.0",
    tags=("scopes",),
)
def required_scopes(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """At least one allowed scope matches a pattern of ``any_of``, and every pattern of ``all_of``
    is matched by some allowed scope. An M2M client with no scopes always fails.

    Example::

        - id: SCOPES-REQUIRED
          type: required_scopes
          any_of: ["orders/*"]
          all_of: []
          severity: error
          match: {clients: ["svc-*"]}
    """
    scopes, unknowns = _scopes(client)
    if not scopes and not unknowns:
        yield Violation(f"The client has no OAuth scopes; policy {ctx.rule_id} requires some.", FIELD)
        return
    any_of: list[str] = ctx.params.get("any_of", [])
    if any_of and not _matching(scopes, any_of):
        if unknowns:
            raise _doubt(unknowns)
        yield Violation(
            f"No allowed scope matches any of {_listing(any_of)} (policy {ctx.rule_id}); "
            f"the client has {_listing(scopes)}.",
            FIELD,
        )
    missing = [pat for pat in ctx.params.get("all_of", []) if not _matching(scopes, [pat])]
    if missing:
        if unknowns:
            raise _doubt(unknowns)
        yield Violation(
            f"No allowed scope matches {_listing(missing)}, which policy {ctx.rule_id} requires.",
            FIELD,
        )


@rule(
    "forbidden_scopes",
    summary="M2M clients must not hold forbidden scopes.",
    why=(
        "A token request can ask for any scope its app client allows, so every scope on an M2M "
        "client is open to whoever holds the client's secret."
    ),
    help="Remove the listed scopes from `AllowedOAuthScopes`; grant the narrowest scope that works.",
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["scopes"],
        "properties": {"scopes": {**_GLOBS, "minItems": 1}},
    },
    security_severity="7.5",
    tags=("scopes", "least-privilege"),
)
def forbidden_scopes(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """No allowed scope matches a pattern of ``scopes``.

    Example::

        - id: SCOPES-FORBIDDEN
          type: forbidden_scopes
          scopes: ["*/admin", "*/*:write"]
          severity: error
    """
    bad = _offending(client, ctx.params["scopes"])
    if bad:
        yield Violation(f"Forbidden scope {_listing(bad)} allowed (policy {ctx.rule_id}).", FIELD)


@rule(
    "user_identity_scopes",
    summary="M2M clients must not hold user-identity scopes.",
    why=(
        "A client_credentials token is issued to the app client itself, not to a user, so scopes "
        "that describe a user have no place on an M2M client."
    ),
    help=(
        "Remove `openid`, `email`, `phone`, `profile` and `aws.cognito.signin.user.admin` from "
        "`AllowedOAuthScopes`."
    ),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"scopes": _GLOBS},
    },
    security_severity="5.5",
    tags=("scopes", "least-privilege"),
)
def user_identity_scopes(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """No user-identity scope (``scopes``, default: openid, email, phone, profile,
    aws.cognito.signin.user.admin) on an M2M client.

    Example::

        - id: USER-SCOPES
          type: user_identity_scopes
          severity: warning
    """
    bad = _offending(client, ctx.params.get("scopes", USER_SCOPES))
    if bad:
        yield Violation(f"User-identity scope {_listing(bad)} on an M2M client.", FIELD)


@rule(
    "wildcard_scopes",
    summary="M2M clients must not hold wildcard full-access scopes.",
    why=(
        "A scope named `*` conventionally stands for all of a resource server's API, so one leaked "
        "client secret would open all of it."
    ),
    help="Replace wildcard scopes such as `orders/*` with the specific scopes the client needs.",
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"patterns": _GLOBS},
    },
    security_severity="7.0",
    tags=("scopes", "least-privilege"),
)
def wildcard_scopes(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """No scope whose name is a wildcard (``patterns``, default: ``*``, ``api/*``, ``api:*``).

    Example::

        - id: WILDCARD-SCOPES
          type: wildcard_scopes
          severity: error
    """
    bad = _offending(client, ctx.params.get("patterns", WILDCARD_PATTERNS))
    if bad:
        yield Violation(f"Wildcard scope {_listing(bad)} grants full access.", FIELD)


@rule(
    "undefined_scopes",
    summary="Scopes must name a resource server defined in the same user pool.",
    why=(
        "Cognito refuses an app client whose custom scopes name no resource server of its user "
        "pool, so such a client fails to deploy."
    ),
    help=(
        "Define the resource server (`AWS::Cognito::UserPoolResourceServer`, "
        "`aws_cognito_resource_server`) in the client's pool, or fix the scope's identifier."
    ),
    security_severity="3.0",
    tags=("scopes", "correctness"),
)
def undefined_scopes(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
    """Every custom scope (``identifier/name``) names a resource server of the client's pool.

    Example::

        - id: UNDEFINED-SCOPES
          type: undefined_scopes
          severity: warning
    """
    scopes, unknowns = _scopes(client)
    custom = [s for s in scopes if "/" in s]
    if not custom:
        if unknowns:
            raise _doubt(unknowns)
        return
    servers = client.pool.resource_servers
    if servers is None:
        raise Undetermined(f"the resource servers of {client.pool.label} are not in the scanned inputs")
    defined = set(servers)
    bad = [s for s in custom if s.rsplit("/", 1)[0] not in defined]
    if bad:
        known_ids = _listing(sorted(defined)) if defined else "none"
        one = len(bad) == 1
        yield Violation(
            f"{'Scope' if one else 'Scopes'} {_listing(bad)} {'names' if one else 'name'} "
            f"no resource server of {client.pool.label} (defined: {known_ids}).",
            FIELD,
        )
    elif unknowns:
        raise _doubt(unknowns)
