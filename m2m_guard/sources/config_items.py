"""AWS Config configuration items of ``AWS::Cognito::UserPoolClient`` -> app clients.

``m2m-guard sweep --config`` / ``--config-aggregator`` read app clients from AWS Config's
advanced query instead of Cognito (m2m_guard/sweep/config_query.py); this module maps each item
the query returns onto the same model as the Cognito sweep, so that the rules, the engine and
the reports cannot tell the two apart except where Config knows less.

What an item holds. AWS Config's published resource schema for the type
(github.com/awslabs/aws-config-resource-schema,
``config/properties/resource-types/AWS::Cognito::UserPoolClient.properties.json``) lists the
item's own fields (``accountId``, ``awsRegion``, ``arn``, ``resourceId``,
``configurationItemCaptureTime``, ``configurationItemStatus``, ...) and ``configuration.*``
fields named and cased as DescribeUserPoolClient names them: ``AccessTokenValidity``,
``AllowedOAuthFlows``, ``AllowedOAuthFlowsUserPoolClient``, ``AllowedOAuthScopes``,
``AnalyticsConfiguration.*``, ``AuthSessionValidity``, ``CallbackURLs``, ``ClientId``,
``ClientName``, ``DefaultRedirectURI``, ``EnablePropagateAdditionalUserContextData``,
``EnableTokenRevocation``, ``ExplicitAuthFlows``, ``IdTokenValidity``, ``LogoutURLs``,
``PreventUserExistenceErrors``, ``ReadAttributes``, ``RefreshTokenValidity``,
``SupportedIdentityProviders``, ``TokenValidityUnits.{AccessToken,IdToken,RefreshToken}``,
``UserPoolId`` and ``WriteAttributes``. So ``configuration`` is a describe-shaped record and
goes through the same :func:`~m2m_guard.sources.normalize.normalize` as a saved describe.

What it lacks. No ``GenerateSecret``, ``ClientSecret`` or ``ClientSecretArn``: whether the
client has a secret is unknown (rules that need it give notes, never verdicts), unless an item
does carry one of those fields. Nothing of the pool either: its feature plan, trigger and
resource servers stay unknown (``Pool.settings`` and ``resource_servers`` None), never a default.

Which items count. Deleted resources (``configurationItemStatus`` ``ResourceDeleted`` or
``ResourceDeletedNotRecorded``, "ConfigurationItem", AWS Config API Reference) are left out.
An item whose ``configurationItemCaptureTime`` is older than the chosen age is kept, and one
warning per account-region says so: Config records a client when its configuration changes, so
an old item means no change since, or a recorder that stopped recording that type.

Where findings point. Like the Cognito sweep (m2m_guard/sources/inventory.py): the client's
ARN is its pool's ARN followed by ``/client/<ClientId>``, its logical name the ClientId, and its
pool keyed by the pool id, so that SARIF fingerprints and logical locations match those of a
Cognito sweep of the same client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.model import AppClient, Location, Notification, Pool, Severity, Unknown, parse_arn
from m2m_guard.sources.normalize import normalize

RESOURCE_TYPE = "AWS::Cognito::UserPoolClient"
#: ``configurationItemStatus`` of a resource that no longer exists ("ConfigurationItem", AWS
#: Config API Reference: OK, ResourceDiscovered, ResourceNotRecorded, ResourceDeleted,
#: ResourceDeletedNotRecorded).
DELETED = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded"})
SECRET_UNKNOWN = "AWS Config does not record whether the client has a secret"
#: Fields that tell whether a client has a secret, when an item holds them.
_SECRET_FIELDS = ("GenerateSecret", "ClientSecretArn")


#: A client as the query names it: account, region, pool id, client id.
ClientKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class ConfigInventory:
    """The clients mapped from a query's items, and what is worth telling about them.

    ``notifications`` are the items that could not be mapped; the warning about old items is
    :func:`stale_notes`, since a client described afresh (``--describe-m2m``) is no longer old."""

    clients: list[AppClient]
    notifications: list[Notification]
    deleted: int = 0
    account_regions: tuple[tuple[str, str], ...] = ()
    #: capture time of each client recorded longer ago than the chosen age
    stale: dict[ClientKey, str] = field(default_factory=dict)
    max_age_days: int = 0
    source: str = "aws-config"


def location_path(source: str, account: str, region: str) -> str:
    """The (virtual) file findings of one account-region point at: ``aws-config/<account>/<region>``."""
    return f"{source}/{account}/{region}"


def load_items(
    items: Iterable[Mapping[str, Any]], *, now: dt.datetime, max_age_days: int, source: str = "aws-config"
) -> ConfigInventory:
    """Every live client of ``items`` (parsed ``Results`` of a Select call) as an AppClient."""
    clients: list[AppClient] = []
    notes: list[Notification] = []
    account_regions: set[tuple[str, str]] = set()
    stale: dict[ClientKey, str] = {}
    deleted = 0
    for item in items:
        if _text(item, "configurationItemStatus") in DELETED:
            deleted += 1
            continue
        client = to_client(item, source)
        if isinstance(client, str):
            notes.append(Notification(client, fatal=True))  # a client left unchecked
            continue
        key = client_key(client)
        account_regions.add(key[:2])
        captured = _text(item, "configurationItemCaptureTime") or ""
        if _older_than(captured, now, max_age_days):
            stale[key] = captured
        clients.append(client)
    return ConfigInventory(
        clients, notes, deleted, tuple(sorted(account_regions)), stale, max_age_days, source
    )


def client_key(client: AppClient) -> ClientKey:
    """The account, region, pool id and client id of a client mapped from an item."""
    live = client.location.live
    account, region = (live.account, live.region) if live else ("?", "?")
    return account, region, str(client.record["UserPoolId"]), str(client.record["ClientId"])


def stale_notes(inventory: ConfigInventory, fresh: Iterable[ClientKey] = ()) -> list[Notification]:
    """One warning per account-region with clients recorded longer ago than the chosen age,
    leaving out the ``fresh`` ones (described afresh since)."""
    described = set(fresh)
    groups: dict[tuple[str, str], list[str]] = {}
    for key, captured in inventory.stale.items():
        if key not in described:
            groups.setdefault(key[:2], []).append(captured)
    return [
        _stale_note(inventory.source, account, region, captures, inventory.max_age_days)
        for (account, region), captures in sorted(groups.items())
    ]


def to_client(item: Mapping[str, Any], source: str = "aws-config") -> AppClient | str:
    """One item as an AppClient, or why it cannot be one (a line for a warning)."""
    configuration = item.get("configuration")
    configuration = configuration if isinstance(configuration, Mapping) else {}
    account, region = _text(item, "accountId"), _text(item, "awsRegion")
    pool_id, client_id = _ids(item, configuration)
    if not (account and region and pool_id and client_id):
        what = _text(item, "arn") or _text(item, "resourceId") or "an item"
        return f"AWS Config: {what} names no account, region, user pool or client id; not checked"
    record = normalize(configuration)
    record.update(ClientId=client_id, UserPoolId=pool_id)
    if not any(key in record for key in _SECRET_FIELDS):
        record["GenerateSecret"] = Unknown(SECRET_UNKNOWN)
    pool_arn = f"arn:{_partition(item, region)}:cognito-idp:{region}:{account}:userpool/{pool_id}"
    path = location_path(source, account, region)
    pool = Pool.of_id(pool_id, (pool_arn,), location=Location(path, None, pool_id=pool_id, arn=pool_arn))
    location = Location(path, None, client_id=client_id, arn=f"{pool_arn}/client/{client_id}")
    return AppClient(record=record, location=location, pool=pool)


def with_described(client: AppClient, described: Mapping[str, Any], secret_unknown: str | None) -> AppClient:
    """``client`` (from a Config item) with what DescribeUserPoolClient returned now
    (``sweep --config --describe-m2m``, m2m_guard/sweep/config_describe.py): the described
    fields replace Config's (they are the client as it is, Config's as it was recorded) and add
    those Config lacks, GenerateSecret above all; ``secret_unknown`` says why having a secret
    could not be told, as in an inventory (m2m_guard/sources/inventory.py). The location, hence
    every finding's fingerprint, stays the one the item gave. ``described`` holds no secret
    (m2m_guard/sweep/aws.py drops it as the response arrives); normalize drops any all the same."""
    record = {**client.record, **normalize(described)}
    record.update(ClientId=client.record["ClientId"], UserPoolId=client.record["UserPoolId"])
    if secret_unknown and record.get("GenerateSecret") is not True:
        record["GenerateSecret"] = Unknown(
            f"the sweep could not tell whether it has a secret: {secret_unknown}"
        )
    return AppClient(record=record, location=client.location, pool=client.pool)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _ids(item: Mapping[str, Any], configuration: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The pool and client ids: ``configuration``'s, else the item's client ARN (where Config
    gives one in the sweep's shape), else a ``resourceId`` of the form ``<pool>|<client>``
    (the type's primary identifier in AWS's CloudFormation resource schema, ``UserPoolId`` and
    ``ClientId``, joined as the Cloud Control API joins compound identifiers; only a fallback,
    since ``configuration`` names both ids)."""
    pool_id, client_id = _text(configuration, "UserPoolId"), _text(configuration, "ClientId")
    parsed = parse_arn(_text(item, "arn") or "")
    if parsed and parsed.client_id:
        pool_id, client_id = pool_id or parsed.pool_id, client_id or parsed.client_id
    resource = (_text(item, "resourceId") or "").split("|")
    if len(resource) == 2:
        pool_id, client_id = pool_id or resource[0] or None, client_id or resource[1] or None
    return pool_id, client_id


def _partition(item: Mapping[str, Any], region: str) -> str:
    """The ARN partition: the item's ARN's, else the region's (``cn-`` and ``us-gov-``)."""
    arn = (_text(item, "arn") or "").split(":")
    if len(arn) > 2 and arn[0] == "arn" and arn[1]:
        return arn[1]
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _older_than(captured: str, now: dt.datetime, days: int) -> bool:
    """Whether a capture time is more than ``days`` before ``now``; an unreadable one counts
    as old (nothing says it is recent)."""
    try:
        when = dt.datetime.fromisoformat(captured.replace("Z", "+00:00"))
    except ValueError:
        return True
    when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return now - when > dt.timedelta(days=days)


def _stale_note(source: str, account: str, region: str, captures: list[str], days: int) -> Notification:
    clients = "1 app client" if len(captures) == 1 else f"{len(captures):,} app clients"
    oldest = min((c for c in captures if c), default="")
    since = f" (oldest {oldest})" if oldest else ""
    return Notification(
        f"account {account}, region {region}: AWS Config recorded {clients} more than {days} days "
        f"ago{since}; they are checked as recorded. Config records a client when it changes, so "
        "this is either no change since or a configuration recorder that stopped recording "
        "AWS::Cognito::UserPoolClient there",
        Severity.WARNING,
        path=location_path(source, account, region),
    )
