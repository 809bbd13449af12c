"""The normalized app-client model every source produces and every rule reads.

A client is a record in the shape of DescribeUserPoolClient's ``UserPoolClient``
(https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeUserPoolClient.html),
with three kinds of values:

* known: a plain Python value (``int``, ``str``, ``bool``, ``tuple`` of ``str``, ``dict``);
* unknown: an :class:`Unknown` carrying the reason (a ``Ref`` to a parameter without a
  default, ``(known after apply)``, a wrong type), possibly inside a tuple;
* absent: the key is missing from the record (``client.get(key)`` returns :data:`ABSENT`).

``ClientSecret`` is never part of a record: sources record only whether a secret exists
(``GenerateSecret``, or ``ClientSecretArn`` when Cognito keeps the secret in Secrets Manager).
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

M2M_FLOW = "client_credentials"
M2M_AUTH_FLOW = "ALLOW_CLIENT_TOKEN_AUTH"

#: Seconds per TokenValidityUnits value.
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
#: Cognito's documented defaults: unit ``hours``, access token 60 minutes.
DEFAULT_ACCESS_TOKEN_SECONDS = 3600
#: Cognito accepts access-token lifetimes from 5 minutes to 1 day.
MIN_VALID_TTL_SECONDS = 300
MAX_VALID_TTL_SECONDS = 86400
#: Why a lifetime of zero or below is no lifetime (the reason of its Unknown).
INVALID_TTL = "not a valid lifetime (Cognito accepts 5 minutes to 1 day)"

#: Bounds of observed usage (usage files, saved sweeps): one hour to ten years of window (a
#: shorter one scales a handful of requests into absurd monthly figures, and 1e-320 days into an
#: infinite one; nothing keeps token counts for longer), and at most 10^15 requests.
MIN_WINDOW_DAYS = 1 / 24
MAX_WINDOW_DAYS = 3653
MAX_REQUESTS = 10**15


def usage_in_bounds(requests: object, window_days: object) -> bool:
    """Whether a request count and its window are numbers m2m-guard computes with."""
    if type(requests) is not int or not 0 <= requests <= MAX_REQUESTS:
        return False
    if isinstance(window_days, bool) or not isinstance(window_days, (int, float)):
        return False
    return MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS  # NaN compares false


#: Keys that hold a client secret's value, compared without case, ``_`` or ``-``:
#: DescribeUserPoolClient's ``ClientSecret``, Terraform's ``client_secret``, and the
#: ``ClientSecretValue`` of AddUserPoolClientSecret (also the ``clientSecretValue`` field of the
#: Secrets Manager secret Cognito manages). ``ClientSecretArn`` names where a secret is kept and
#: is not one of them.
SECRET_KEY_NAMES = frozenset({"clientsecret", "clientsecretvalue"})


def folded_key(name: str) -> str:
    """A key compared the way secret keys are: without case, ``_`` or ``-``."""
    return name.replace("_", "").replace("-", "").casefold()


def is_secret_key(key: object) -> bool:
    """Whether a mapping key holds a client secret's value, in any spelling."""
    return isinstance(key, str) and _secret_name(key)


@functools.lru_cache(maxsize=4096)  # every record has the same few dozen keys
def _secret_name(key: str) -> bool:
    return folded_key(key) in SECRET_KEY_NAMES


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the scanner cannot resolve; ``reason`` says why, as a sentence fragment."""

    reason: str

    def __str__(self) -> str:
        return f"unknown ({self.reason})"


class _Absent:
    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


class Undetermined(Exception):
    """Raised by rules when the verdict depends on an unknown value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def known(value: Any, what: str = "a value") -> Any:
    """Return ``value`` if it is fully known, else raise :class:`Undetermined`."""
    if isinstance(value, Unknown):
        raise Undetermined(f"{what} is {value}")
    if isinstance(value, tuple):
        for item in value:
            if isinstance(item, Unknown):
                raise Undetermined(f"{what} has an element that is {item}")
    return value


def split_known(items: Iterable[Any]) -> tuple[list[Any], list[Unknown]]:
    """Split a list value into its known elements and its unknown ones."""
    known_items: list[Any] = []
    unknown_items: list[Unknown] = []
    for item in items:
        (unknown_items if isinstance(item, Unknown) else known_items).append(item)
    return known_items, unknown_items


def m2m_verdict(oauth_flows: Any, explicit_auth_flows: Any) -> bool | Unknown:
    """client_credentials in AllowedOAuthFlows or ALLOW_CLIENT_TOKEN_AUTH in ExplicitAuthFlows;
    unknown when an unknown value could hold the marker that the known ones lack."""
    doubt: Unknown | None = None
    for value, marker in ((oauth_flows, M2M_FLOW), (explicit_auth_flows, M2M_AUTH_FLOW)):
        if isinstance(value, Unknown):
            doubt = doubt or value
            continue
        items, unknowns = split_known(value)
        if marker in items:
            return True
        if unknowns:
            doubt = doubt or unknowns[0]
    return doubt if doubt is not None else False


# The wording of counts, durations and money in every message and report.


def plural(count: float, word: str, *, grouped: bool = False) -> str:
    """``plural(1, "client")`` -> ``"1 client"``, ``plural(2, "client")`` -> ``"2 clients"``;
    ``grouped`` rounds to a whole number with thousands separators, plural as said
    (``plural(1234.4, "token request", grouped=True)`` -> ``"1,234 token requests"``)."""
    if grouped:
        text = f"{count:,.0f}"
        return f"{text} {word}" + ("" if text == "1" else "s")
    return f"{count} {word}" + ("" if count == 1 else "s")


def human_duration(seconds: int) -> str:
    """``3600`` -> ``"1 hour"``, ``5400`` -> ``"90 minutes"``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return plural(seconds // size, unit)
    return plural(seconds, "second")


def usd(amount: float) -> str:
    """``1234.5`` -> ``"$1,234.50"``."""
    return f"${amount:,.2f}"


#: How an error message shows a value, by the input it came from (see :func:`describe_value`).
Notation = Literal["json", "yaml", "python", "cfn", "kind"]


def describe_value(value: Any, notation: Notation) -> str:
    """A value for an error message: a container by its kind, a scalar in the notation of the
    input it came from, so that the message quotes what its author wrote.

    - ``json`` (usage files): ``an object``, ``a list``, short JSON text;
    - ``yaml`` (policies): ``a mapping``, ``a list``, ``empty``, ``true``, a short ``repr``;
    - ``python`` (normalized source values): ``a boolean``, a short number's or string's
      ``repr``, else the Python type;
    - ``cfn`` (CloudFormation values): ``true``, a number as written, ``a string``, ``null``;
    - ``kind`` (Terraform plan values): the kind only (``a boolean``, ``a number``, ``a string``).
    """
    if isinstance(value, Mapping):
        return "an object" if notation == "json" else "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return _SCALARS[notation](value)


def _json_scalar(value: Any) -> str:
    if type(value) is int and value.bit_length() > 64:
        return f"a number of {len(str(value))} digits"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:36] + '..."'


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + "...'"


def _python_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    short = isinstance(value, (int, float, str)) and len(repr(value)) < 40
    return repr(value) if short else type(value).__name__


def _cfn_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else type(value).__name__


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else type(value).__name__


_SCALARS: dict[str, Callable[[Any], str]] = {
    "json": _json_scalar,
    "yaml": _yaml_scalar,
    "python": _python_scalar,
    "cfn": _cfn_scalar,
    "kind": _kind,
}


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"note": 1, "warning": 2, "error": 3}[self.value]


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


#: What a run evaluated: files (infrastructure as code) or live accounts; SARIF
#: ``automationDetails.id`` is ``m2m-guard/<category>/`` unless the user names the analysis.
Category = Literal["iac", "live"]


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
    ) -> Pool:
        """A pool named by its literal id (``us-east-1_Ab12``): the same pool in every input."""
        return cls(pool_id, pool_id, _unique((pool_id, *names)), location, resource_servers, name)

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
    ) -> Pool:
        """A pool known by what one file calls it (a logical id, a parameter, an address): the
        same pool for every client of that file that refers to it, none in another file."""
        return cls(f"{path}#{ref}", label or ref, _unique(names), location, resource_servers)

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


@dataclass(frozen=True, slots=True)
class Usage:
    """Token requests observed for one client over ``window_days``."""

    requests: int
    window_days: float
    source: str = "usage file"

    @property
    def requests_per_month(self) -> float:
        return self.requests * 30.4 / self.window_days if self.window_days else 0.0


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


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule returns: a specific message and the record key it is about."""

    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    rule_type: str
    level: Severity
    message: str
    location: Location
    #: The logical name shown in reports (logical id, address, ClientId, pool expression).
    subject: str
    #: Stable identity: hash of rule id, subject identity and field, never line numbers.
    fingerprint: str
    field: str | None = None
    undetermined: bool = False
    #: Justification of the waiver that suppresses this finding, if any.
    suppression: str | None = None
    #: For a rule that could not be checked: the unknown value that blocked it (the same
    #: text for every rule that one unknown value blocks).
    unknown: str | None = None
    #: The client's ClientName and its pool's name, where known (shown beside the ids).
    client_name: str | None = None
    pool_name: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """Something about the run rather than a client: an unreadable input, an expired waiver.

    ``fatal`` notifications make the exit code 2 (the run could not cover every input).
    """

    message: str
    level: Severity = Severity.ERROR
    path: str | None = None
    line: int | None = None
    fatal: bool = False

    def __str__(self) -> str:
        where = (
            f"{self.path}:{self.line}: "
            if self.path and self.line
            else (f"{self.path}: " if self.path else "")
        )
        return f"{where}{self.message}"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """Everything a reporter needs to describe one policy rule."""

    id: str
    type: str
    summary: str
    description: str
    help_markdown: str
    level: Severity
    security_severity: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a run read and checked, so that a report without findings cannot pass for a clean
    bill when nothing was checked.

    The input stage fills what it read (``files`` for scans; ``accounts`` to ``user_pools``
    for sweeps, None otherwise); the engine adds the clients.
    """

    #: App clients read, user-facing ones included.
    app_clients: int = 0
    #: Clients the rules were evaluated on: the M2M clients, possibly-M2M ones included.
    m2m_clients: int = 0
    #: Of those, the clients whose M2M status depends on an unknown value (or that may not
    #: exist at all).
    possibly_m2m: int = 0
    #: Scans: input files read, and how many of them define the clients checked.
    files: int | None = None
    files_with_m2m: int | None = None
    #: Sweeps: accounts and regions with at least one account-region read, account-regions
    #: read and not read, and user pools read.
    accounts: int | None = None
    regions: int | None = None
    account_regions: int | None = None
    account_regions_failed: int | None = None
    user_pools: int | None = None
    #: Sweeps: which accounts and regions those are, so that the reports of the shards of one
    #: sweep merge into the counts of the whole (regions recur across accounts, and accounts
    #: across region shards).
    account_ids: tuple[str, ...] | None = None
    region_names: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Tally:
    """Findings by level; waived ones are counted once, in ``waived``, whatever their level."""

    error: int = 0
    warning: int = 0
    note: int = 0
    waived: int = 0

    def of(self, level: Severity) -> int:
        count: int = getattr(self, level.value)
        return count


@dataclass(frozen=True)
class RunResult:
    rules: tuple[RuleInfo, ...]
    findings: tuple[Finding, ...]
    notifications: tuple[Notification, ...] = ()
    #: ``iac`` for scans of files, ``live`` for sweeps; SARIF automationDetails and merge use it.
    category: Category = "iac"
    #: SARIF ``automationDetails.id`` when the user names the analysis (``--category``), else
    #: ``m2m-guard/<category>/``.
    automation_id: str | None = None
    tool_version: str = "0.0.0"
    coverage: Coverage = Coverage()
    #: The working directory relative to the root that paths are relative to ("." when it is
    #: the root): text output shows paths relative to it, the other formats from the root.
    working_dir: str = "."

    @property
    def fatal(self) -> bool:
        return any(n.fatal for n in self.notifications)

    @functools.cached_property
    def tally(self) -> Tally:
        counts = {level: 0 for level in Severity}
        waived = 0
        for f in self.findings:
            if f.suppression is not None:
                waived += 1
            else:
                counts[Severity(f.level)] += 1
        return Tally(counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.NOTE], waived)

    def worst_level(self) -> Severity | None:
        active = [f.level for f in self.findings if f.suppression is None]
        return max(active, key=lambda s: s.rank) if active else None


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
