"""One account and region: user pools, their app clients and resource servers.

ListUserPoolClients returns no flows or scopes, so each client needs one DescribeUserPoolClient:
the minimum is one ListUserPools page per 60 pools, one ListUserPoolClients page per 60 clients,
one ListResourceServers page per 50 servers, one DescribeUserPool per pool, and one describe per
client.

DescribeUserPool gives the pool's feature plan (``UserPoolTier``) and its pre token generation
trigger (``LambdaConfig.PreTokenGenerationConfig`` and the legacy ``PreTokenGeneration``), which
tell whether Cognito runs a Lambda function on each M2M token request
(m2m_guard/model/pool_settings.py). Only those keys are kept: the rest of the pool's
configuration never reaches the inventory. ListUserPools' ``LambdaConfig`` would give the trigger
without the extra call, but not the feature plan (botocore cognito-idp model,
UserPoolDescriptionType). When DescribeUserPool fails, the pool's clients are still read, its
settings are recorded as unknown with the reason, and the failure is an error of the
account-region like any other part that could not be read.

Two more calls are made only where a verdict depends on them:

* ListUserPoolReplicas, once per *replicated* pool. Multi-Region replication gives the replicas
  of a pool the same user pool ID in every region (Cognito Developer Guide, "Multi-Region
  replication for user pools"), and a secondary replica inherits its app clients from the primary.
  ListUserPools marks a replicated pool with ``ReplicaRegions`` (botocore cognito-idp model,
  UserPoolDescriptionType); a pool ID whose region prefix is not the swept region is a replica
  too. The ``Role`` (PRIMARY or SECONDARY) of the swept region's replica decides: a primary is read
  as usual, a secondary is not read at all (its clients are the primary's: counting them here
  would count and bill them twice, and its usage alone cannot prove a client unused).
* ListUserPoolClientSecrets, once per M2M client whose describe shows no secret at all (neither
  ClientSecret nor ClientSecretArn): before such a client is called unable to get a token, the
  sweep asks whether it holds a secret (up to two, for rotation). If it cannot ask, whether the
  client has a secret is recorded as unknown.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from m2m_guard.sweep.aws import error_text, has_secret, without_secrets
from m2m_guard.sweep.ratelimit import RegionLimiter

T = TypeVar("T")


@dataclass
class PoolInventory:
    id: str
    name: str
    arn: str
    resource_servers: list[str] = field(default_factory=list)
    #: Describe-shaped client records, ClientSecret already removed.
    clients: list[dict[str, Any]] = field(default_factory=list)
    #: For a replicated pool (this is its primary): ListUserPoolReplicas' entries (RegionName,
    #: Role, Status, UserPoolArn). Empty for a pool that is not replicated.
    replicas: list[dict[str, Any]] = field(default_factory=list)
    #: ClientId -> why the sweep could not tell whether that M2M client has a secret.
    secret_unknown: dict[str, str] = field(default_factory=dict)
    #: What DescribeUserPool says of the pool's feature plan and pre token generation trigger,
    #: in its own shape (kept_settings); None when it was not read.
    settings: dict[str, Any] | None = None
    #: Why DescribeUserPool failed, when it did: the settings are then unknown.
    settings_unknown: str | None = None


@dataclass
class SecondaryReplica:
    """A secondary replica of a user pool whose primary is in another region: not read."""

    id: str
    name: str
    arn: str
    primary_region: str
    status: str = ""


@dataclass
class RegionInventory:
    account: str
    region: str
    pools: list[PoolInventory] = field(default_factory=list)
    #: Problems that stopped part of this account-region from being read (each one line).
    errors: list[str] = field(default_factory=list)
    #: Problems that did not (a client deleted between list and describe).
    warnings: list[str] = field(default_factory=list)
    #: False when not even the user pools could be listed.
    readable: bool = True
    #: When the sweep began reading this account-region (ISO 8601, UTC, to the second): what
    #: tells a newer saved inventory from an older one.
    swept_at: str = ""
    #: Secondary replicas found here; their app clients are read with their primaries.
    secondaries: list[SecondaryReplica] = field(default_factory=list)


def _pages(
    call: Callable[..., dict[str, Any]], key: str, limiter: Callable[[], None], **kwargs: Any
) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        limiter()
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _pool_arn(partition: str, region: str, account: str, pool_id: str) -> str:
    return f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool_id}"


_REGION_PREFIX = re.compile(r"^([a-z]{2,4}(?:-[a-z]+)+-\d+)_")


def _id_region(pool_id: str) -> str | None:
    """The region a user pool ID names (``eu-west-1_AbC123`` -> ``eu-west-1``): where the pool
    was created, which for a replicated pool is its primary's region."""
    match = _REGION_PREFIX.match(pool_id)
    return match.group(1) if match else None


def _is_replicated(summary: dict[str, Any], region: str) -> bool:
    prefix = _id_region(str(summary.get("Id", "")))
    return bool(summary.get("ReplicaRegions")) or (prefix is not None and prefix != region)


#: What the sweep keeps of a pre token generation trigger's PreTokenGenerationVersionConfigType.
_TRIGGER_FIELDS = ("LambdaArn", "LambdaVersion")


def kept_settings(user_pool: dict[str, Any]) -> dict[str, Any]:
    """The part of DescribeUserPool's ``UserPool`` that m2m-guard reads, in the same shape:
    ``UserPoolTier`` and ``LambdaConfig`` with only ``PreTokenGenerationConfig`` (its
    ``LambdaArn`` and ``LambdaVersion``) and ``PreTokenGeneration``. A key AWS did not return
    stays absent (an absent ``UserPoolTier`` is the API default, Essentials)."""
    kept: dict[str, Any] = {}
    if "UserPoolTier" in user_pool:
        kept["UserPoolTier"] = user_pool["UserPoolTier"]
    lambdas = user_pool.get("LambdaConfig")
    trigger: dict[str, Any] = {}
    if isinstance(lambdas, dict):
        config = lambdas.get("PreTokenGenerationConfig")
        if isinstance(config, dict):
            trigger["PreTokenGenerationConfig"] = {k: config[k] for k in _TRIGGER_FIELDS if k in config}
        if "PreTokenGeneration" in lambdas:
            trigger["PreTokenGeneration"] = lambdas["PreTokenGeneration"]
    if trigger:
        kept["LambdaConfig"] = trigger
    return kept


def _is_m2m(record: dict[str, Any]) -> bool:
    flows = record.get("AllowedOAuthFlows") or ()
    auth_flows = record.get("ExplicitAuthFlows") or ()
    return "client_credentials" in flows or "ALLOW_CLIENT_TOKEN_AUTH" in auth_flows


class _NoRole(Exception):
    """A replicated pool whose replica list does not say what this region holds."""


class _Secondary(Exception):
    """read_pool's way of saying: this region holds a secondary replica; read nothing more."""

    def __init__(self, replica: SecondaryReplica) -> None:
        super().__init__(replica.id)
        self.replica = replica


def discover_region(
    cognito: Any,
    account: str,
    region: str,
    limiter: RegionLimiter,
    *,
    partition: str = "aws",
    workers: int = 4,
) -> RegionInventory:
    """Everything m2m-guard needs from one account-region. API errors become ``errors``; a pool
    or client deleted while the sweep runs becomes a warning.

    Pools are read side by side, and the describes of all pools are interleaved, so that the
    per-pool limit (5 requests per second) does not cap the account-region at that rate."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out = RegionInventory(account, region, swept_at=now.isoformat().replace("+00:00", "Z"))
    lock = threading.Lock()

    def paced(operation: str, pool: str | None = None) -> Callable[[], None]:
        """Waits for the turn of one request under the account-region's limits."""
        return lambda: limiter.acquire(operation, pool)

    try:
        pools = list(_pages(cognito.list_user_pools, "UserPools", paced("ListUserPools"), MaxResults=60))
    except Exception as exc:  # a region we cannot read at all: say why, keep the others going
        out.errors.append(f"cannot list user pools: {error_text(exc)}")
        out.readable = False
        return out

    def read_pool(summary: dict[str, Any]) -> tuple[PoolInventory, list[str]]:
        pool_id = summary["Id"]
        arn = _pool_arn(partition, region, account, pool_id)
        inventory = PoolInventory(pool_id, summary.get("Name", ""), arn)
        if _is_replicated(summary, region):
            inventory.replicas = replicas_of(summary, arn)
        listed = _pages(
            cognito.list_user_pool_clients,
            "UserPoolClients",
            paced("ListUserPoolClients", pool_id),
            UserPoolId=pool_id,
            MaxResults=60,
        )
        ids = sorted(c["ClientId"] for c in listed)
        servers = _pages(
            cognito.list_resource_servers,
            "ResourceServers",
            paced("ListResourceServers", pool_id),
            UserPoolId=pool_id,
            MaxResults=50,
        )
        inventory.resource_servers = sorted(s["Identifier"] for s in servers)
        inventory.settings, inventory.settings_unknown = settings_of(pool_id)
        return inventory, ids

    def settings_of(pool_id: str) -> tuple[dict[str, Any] | None, str | None]:
        """The pool's kept settings, or why DescribeUserPool could not give them (access
        denied, throttling beyond retries): the pool's clients are read all the same."""
        try:
            paced("DescribeUserPool", pool_id)()
            described = cognito.describe_user_pool(UserPoolId=pool_id)
        except Exception as exc:
            if _not_found(exc):  # the pool itself is gone: a warning, as for the other calls
                raise
            return None, error_text(exc)
        return kept_settings(described.get("UserPool") or {}), None

    def replicas_of(summary: dict[str, Any], arn: str) -> list[dict[str, Any]]:
        """The pool's replicas, when this region holds the primary; raises _Secondary when it
        holds a secondary replica."""
        pool_id, name = summary["Id"], summary.get("Name", "")
        try:
            listed = list(
                _pages(
                    cognito.list_user_pool_replicas,
                    "UserPoolReplicas",
                    paced("ListUserPoolReplicas", pool_id),
                    UserPoolId=pool_id,
                )
            )
        except Exception as exc:
            if _not_found(exc):
                raise
            # The role cannot be asked (an IAM policy without ListUserPoolReplicas, an SDK too
            # old to know it): the pool ID names the region it was created in, the primary's.
            created = _id_region(pool_id)
            if created is None:
                raise
            why = (
                "the installed AWS SDK does not know it"
                if isinstance(exc, AttributeError)
                else error_text(exc)
            )
            with lock:
                out.warnings.append(
                    f"user pool {pool_id} is replicated and ListUserPoolReplicas failed ({why}); "
                    f"taken for the {'primary' if created == region else 'secondary replica'} from its ID"
                )
            if created != region:
                raise _Secondary(SecondaryReplica(pool_id, name, arn, created)) from None
            return [{"RegionName": r} for r in sorted({region, *(summary.get("ReplicaRegions") or [])})]
        if not listed:  # not replicated after all (or no longer): an ordinary pool
            return []
        mine = [r for r in listed if isinstance(r, dict) and r.get("RegionName") == region]
        role = mine[0].get("Role") if mine else None
        if role == "SECONDARY":
            primary = [r for r in listed if isinstance(r, dict) and r.get("Role") == "PRIMARY"]
            primary_region = str(primary[0].get("RegionName")) if primary else (_id_region(pool_id) or "")
            raise _Secondary(
                SecondaryReplica(pool_id, name, arn, primary_region, str(mine[0].get("Status", "")))
            )
        if role != "PRIMARY":
            raise _NoRole(f"is replicated, but ListUserPoolReplicas gives no role for {region}")
        return [
            {k: r[k] for k in ("RegionName", "Role", "Status", "UserPoolArn") if k in r}
            for r in sorted(listed, key=lambda r: str(r.get("RegionName")))
            if isinstance(r, dict)
        ]

    def describe(item: tuple[str, str]) -> Any:
        return describe_client(cognito, limiter, *item)

    ordered = sorted(pools, key=lambda p: p["Id"])
    with ThreadPoolExecutor(max_workers=max(1, workers)) as executor:
        read: list[tuple[PoolInventory, list[str]]] = []
        for summary, result in zip(ordered, _gather(executor, read_pool, ordered), strict=True):
            pool_id = summary["Id"]
            if isinstance(result, _Secondary):
                # Said on every sweep: when the primary's region is not swept, these clients are
                # checked nowhere, and the user must know.
                out.secondaries.append(result.replica)
                out.warnings.append(
                    f"user pool {pool_id} here is a secondary replica of the one in "
                    f"{result.replica.primary_region or 'another region'}: its app clients are "
                    "checked, counted and billed there only"
                )
            elif isinstance(result, _NoRole):  # neither read nor skipped: the user must know
                out.errors.append(f"user pool {pool_id} {result}")
            elif _not_found(result):  # deleted since it was listed: not an error
                out.warnings.append(f"user pool {pool_id} disappeared during the sweep")
            elif isinstance(result, BaseException):
                out.errors.append(f"user pool {pool_id}: {error_text(result)}")
            else:
                read.append(result)
                if result[0].settings_unknown:  # its clients are kept; the user must know
                    out.errors.append(
                        f"user pool {pool_id}: {result[0].settings_unknown}; its feature plan and "
                        "pre token generation trigger are unknown"
                    )
        # Interleave the pools in proportion to their size, so that they all finish together:
        # walking them one after the other (or round-robin, which leaves the biggest pool for
        # last) would end the region alone on one pool's 5 requests per second.
        items = [
            (inventory.id, client_id)
            for _, _, inventory, client_id in sorted(
                ((k + 0.5) / len(ids), order, inventory, client_id)
                for order, (inventory, ids) in enumerate(read)
                for k, client_id in enumerate(ids)
            )
        ]
        described = dict(zip(items, _gather(executor, describe, items), strict=True))
    for inventory, ids in read:
        for client_id in ids:
            result = described[(inventory.id, client_id)]
            if _not_found(result):  # deleted since it was listed: not an error
                out.warnings.append(
                    f"user pool {inventory.id}: client {client_id} disappeared during the sweep"
                )
                continue
            if isinstance(result, BaseException):
                out.errors.append(f"user pool {inventory.id}: client {client_id}: {error_text(result)}")
                continue
            record, unknown = result
            if unknown:
                inventory.secret_unknown[client_id] = unknown
            inventory.clients.append(record)
        out.pools.append(inventory)
    return out


def describe_client(
    cognito: Any, limiter: RegionLimiter, pool_id: str, client_id: str
) -> tuple[dict[str, Any], str | None]:
    """One paced DescribeUserPoolClient, the secret dropped at once (only whether there is one
    is kept, as GenerateSecret), and why having a secret cannot be told (None when it can).

    An M2M client that describe shows without any secret is asked about once more with
    ListUserPoolClientSecrets (see the module's docstring). Raises what the describe raises
    (ResourceNotFoundException for a client deleted meanwhile). Used by the Cognito sweep and by
    ``sweep --config --describe-m2m`` (m2m_guard/sweep/config_describe.py)."""
    limiter.acquire("DescribeUserPoolClient", pool_id)
    response = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    record, secret = without_secrets(dict(response["UserPoolClient"]))
    record["GenerateSecret"] = secret or has_secret(record)
    unknown = None
    if _is_m2m(record) and not record["GenerateSecret"]:
        record["GenerateSecret"], unknown = _confirm_secret(cognito, limiter, pool_id, client_id)
    return record, unknown


def _confirm_secret(
    cognito: Any, limiter: RegionLimiter, pool_id: str, client_id: str
) -> tuple[bool, str | None]:
    """Whether an M2M client that describe shows without a secret has one after all, and
    why that cannot be told (None when it can)."""
    try:
        limiter.acquire("ListUserPoolClientSecrets", pool_id)
        listed = cognito.list_user_pool_client_secrets(UserPoolId=pool_id, ClientId=client_id)
    except AttributeError:
        return False, "the installed AWS SDK cannot call ListUserPoolClientSecrets; upgrade boto3"
    except Exception as exc:
        if _not_found(exc):
            raise
        return False, f"ListUserPoolClientSecrets: {error_text(exc)}"
    return bool(listed.get("ClientSecrets")), None


def _not_found(result: Any) -> bool:
    response = getattr(result, "response", None) if isinstance(result, BaseException) else None
    return isinstance(response, dict) and response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def _gather(executor: ThreadPoolExecutor, func: Callable[[T], Any], items: list[T]) -> list[Any]:
    """Results in order; an exception is returned in place of its result."""
    futures = [executor.submit(func, item) for item in items]
    results: list[Any] = []
    for future in futures:
        try:
            results.append(future.result())
        except Exception as exc:
            results.append(exc)
    return results
