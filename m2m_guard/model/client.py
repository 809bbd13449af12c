"""Where clients are, the pools they belong to, their usage, and the client itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from m2m_guard.model.values import (
    ABSENT,
    DEFAULT_ACCESS_TOKEN_SECONDS,
    INVALID_TTL,
    M2M_AUTH_FLOW,
    M2M_FLOW,
    UNIT_SECONDS,
    Unknown,
    m2m_verdict,
    split_known,
)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a client (or pool) is defined.

    ``path`` is the display path (repo-relative where possible), ``line`` 1-based.
    ``name`` is the logical name: CloudFormation logical id, Terraform address, or ClientId.
    """

    path: str
    line: int | None = None
    logical_id: str | None = None
    address: str | None = None
    client_id: str | None = None
    arn: str | None = None
    pool_id: str | None = None

    @property
    def name(self) -> str:
        return self.logical_id or self.address or self.client_id or self.pool_id or self.path

    @property
    def live(self) -> LiveArn | None:
        """Account, region and ids of a live (swept) user pool or app client, from its ARN."""
        return parse_arn(self.arn) if self.arn else None


class LiveArn(NamedTuple):
    account: str
    region: str
    pool_id: str
    client_id: str | None


def parse_arn(arn: str) -> LiveArn | None:
    """``arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL[/client/CLIENT]``, else None.

    App clients have no ARN of their own; the sweep names them by their pool's ARN followed by
    ``/client/<ClientId>``.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "cognito-idp":
        return None
    resource = parts[5].split("/")
    if len(resource) == 2 and resource[0] == "userpool":
        return LiveArn(parts[4], parts[3], resource[1], None)
    if len(resource) == 4 and resource[0] == "userpool" and resource[2] == "client":
        return LiveArn(parts[4], parts[3], resource[1], resource[3])
    return None


@dataclass(frozen=True, slots=True)
class Pool:
    """The user pool a client belongs to.

    ``key`` groups clients across inputs: a literal pool id (``us-east-1_Ab12``), an export
    (``import:Name``), or a file-scoped resource or parameter (``infra/auth.yaml#UserPool``).
    ``names`` are what selectors and waivers match (pool name, id, logical id, address).
    ``location`` is set when the scanned inputs define the pool resource itself.
    ``resource_servers`` holds the identifiers of the resource servers known to belong to the
    pool, or ``None`` when that is not known. ``name`` is the pool's name where a source knows
    it (live pools).
    """

    key: str
    label: str
    names: tuple[str, ...] = ()
    location: Location | None = None
    resource_servers: tuple[str, ...] | None = None
    name: str | None = None
    #: The pool's own settings in DescribeUserPool's ``UserPool`` shape, only the keys m2m-guard
    #: reads (``UserPoolTier``, ``LambdaConfig``), with known, unknown or absent values as in a
    #: client record; None when the scanned inputs do not hold the pool's settings (a pool
    #: defined elsewhere, or known only by its id). See m2m_guard/model/pool_settings.py.
    settings: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    #: The name the code gives a pool it defines (CloudFormation ``UserPoolName``): a str, an
    #: Unknown with the reason it cannot be told, or None where the source does not say. Only
    #: ``m2m-guard drift`` reads it, to match the pool with live ones by name.
    declared_name: str | Unknown | None = field(default=None, compare=False, hash=False)

    # Every source builds its pools with these, so that one pool has one key whichever input
    # names it, and an unknown pool never groups with another.
    @classmethod
    def of_id(
        cls,
        pool_id: str,
        names: Iterable[str] = (),
        *,
        location: Location | None = None,
        resource_servers: tuple[str, ...] | None = None,
        name: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Pool:
        """A pool named by its literal id (``us-east-1_Ab12``): the same pool in every input."""
        return cls(pool_id, pool_id, _unique((pool_id, *names)), location, resource_servers, name, settings)

    @classmethod
    def defined(
        cls,
        path: str,
        ref: str,
        names: Iterable[str] = (),
        *,
        label: str | None = None,
        location: Location | None = None,
        resource_servers: tuple[str, ...] | None = None,
        settings: Mapping[str, Any] | None = None,
        declared_name: str | Unknown | None = None,
    ) -> Pool:
        """A pool known by what one file calls it (a logical id, a parameter, an address): the
        same pool for every client of that file that refers to it, none in another file."""
        key, shown = f"{path}#{ref}", label or ref
        return cls(key, shown, _unique(names), location, resource_servers, None, settings, declared_name)

    @classmethod
    def imported(cls, export: str, resource_servers: tuple[str, ...] | None = None) -> Pool:
        """A pool id read from a CloudFormation export: the same pool wherever it is imported."""
        return cls(f"import:{export}", f"import {export}", (export,), None, resource_servers)

    @classmethod
    def unknown(cls, path: str, owner: str, why: str) -> Pool:
        """A pool that cannot be told: its own, keyed by the client (``owner``) that names it,
        so that it is never merged with another pool."""
        return cls(f"{path}#{owner}:pool", f"unknown user pool ({why})")


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


#: The days of a month in monthly figures (requests a month, the monthly bill).
MONTH_DAYS = 30.4


@dataclass(frozen=True, slots=True)
class Usage:
    """Token requests observed for one client over ``window_days``."""

    requests: int
    window_days: float
    source: str = "usage file"

    @property
    def requests_per_month(self) -> float:
        return self.requests * MONTH_DAYS / self.window_days if self.window_days else 0.0


@dataclass(frozen=True, slots=True)
class AppClient:
    record: Mapping[str, Any]
    location: Location
    pool: Pool
    #: 1-based line of each record key where the source knows it.
    field_lines: Mapping[str, int] = field(default_factory=dict)
    usage: Usage | None = None
    #: Why the client may not exist at all, when the source cannot tell how many instances
    #: there are (a Terraform ``count`` or ``for_each``, a CloudFormation ``Condition``, that it
    #: cannot evaluate); None when it exists. Such a client is at most possibly M2M (is_m2m).
    may_not_exist: Unknown | None = None
    #: Whether the client is M2M, when the source can tell although its flows hold unknown
    #: values (every branch of a CloudFormation ``Fn::If`` gives the same answer); else None.
    m2m_decided: bool | None = None

    def get(self, key: str) -> Any:
        """A record value by key or dotted path (``TokenValidityUnits.AccessToken``)."""
        value: Any = self.record
        for part in key.split("."):
            if isinstance(value, Unknown):
                return value  # inside an unknown mapping, every field is unknown too
            if not isinstance(value, Mapping) or part not in value:
                return ABSENT
            value = value[part]
        return value

    def line_of(self, key: str | None) -> int | None:
        if key:
            top = key.split(".", 1)[0]
            if top in self.field_lines:
                return self.field_lines[top]
        return self.location.line

    @property
    def name(self) -> str:
        name = self.record.get("ClientName")
        return name if isinstance(name, str) else self.location.name

    @property
    def identities(self) -> tuple[str, ...]:
        """Everything a selector or waiver glob may match for this client."""
        candidates = (
            self.record.get("ClientName"),
            self.record.get("ClientId"),
            self.location.logical_id,
            self.location.address,
        )
        return tuple(c for c in candidates if isinstance(c, str) and c)

    @property
    def oauth_flows(self) -> Any:
        return self.record.get("AllowedOAuthFlows", ())

    @property
    def scopes(self) -> Any:
        return self.record.get("AllowedOAuthScopes", ())

    @property
    def explicit_auth_flows(self) -> Any:
        return self.record.get("ExplicitAuthFlows", ())

    @property
    def is_m2m(self) -> bool | Unknown:
        """Whether this is an M2M client that exists: ``m2m_flows``, and unknown when the client
        may not exist (``may_not_exist``)."""
        verdict = self.m2m_flows
        if verdict is False or self.may_not_exist is None:
            return verdict
        return verdict if isinstance(verdict, Unknown) else self.may_not_exist

    @property
    def m2m_flows(self) -> bool | Unknown:
        """client_credentials in AllowedOAuthFlows or ALLOW_CLIENT_TOKEN_AUTH in ExplicitAuthFlows."""
        if self.m2m_decided is not None:
            return self.m2m_decided
        return m2m_verdict(self.oauth_flows, self.explicit_auth_flows)

    @property
    def access_token_ttl(self) -> int | Unknown:
        """The access-token lifetime in seconds (Cognito defaults applied)."""
        validity = self.record.get("AccessTokenValidity", ABSENT)
        if validity is ABSENT or validity is None:
            return DEFAULT_ACCESS_TOKEN_SECONDS
        unit = self.get("TokenValidityUnits.AccessToken")
        if unit is ABSENT or unit is None:
            unit = "hours"
        if isinstance(validity, Unknown):
            return Unknown(f"AccessTokenValidity is {validity}")
        if isinstance(unit, Unknown):
            return Unknown(f"TokenValidityUnits.AccessToken is {unit}")
        if unit not in UNIT_SECONDS:
            return Unknown(f"TokenValidityUnits.AccessToken {unit!r} is not a known unit")
        if int(validity) <= 0:
            # Cognito refuses it (AccessTokenValidity is at least 1): no lifetime to check or
            # project, rather than one token request a month or a lifetime of no time
            return Unknown(f"AccessTokenValidity is {validity} {unit}, {INVALID_TTL}")
        return int(validity) * UNIT_SECONDS[unit]

    @property
    def has_secret(self) -> bool | Unknown:
        """Whether the client has a client secret: ``GenerateSecret`` true, or a
        ``ClientSecretArn`` (Cognito keeps the secret in Secrets Manager and returns its ARN
        instead of ``ClientSecret``). Any sign of a secret wins over an unknown value."""
        arn = self.record.get("ClientSecretArn")
        if isinstance(arn, str) and arn.strip():
            return True
        value = self.record.get("GenerateSecret", False)
        if value is True:
            return True
        if isinstance(arn, Unknown):
            return arn
        return value if isinstance(value, Unknown) else bool(value)


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
        source = (
            "GenerateSecret"
            if isinstance(client.record.get("GenerateSecret"), Unknown)
            else "ClientSecretArn"
        )
        doubts.append(f"{source} is {secret}")
    elif not secret:
        # Neither GenerateSecret nor a ClientSecretArn (a secret kept in Secrets Manager).
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
