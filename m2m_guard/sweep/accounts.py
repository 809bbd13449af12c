"""Which accounts and regions to sweep, and the credentials for each."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from m2m_guard.sweep import aws

ACCOUNT_ID = re.compile(r"^\d{12}$")
T = TypeVar("T")


class TargetError(Exception):
    """Something about the accounts to sweep is wrong before any sweeping starts."""


@dataclass(frozen=True)
class Target:
    account: str
    session: Any  # boto3.Session with this account's credentials
    partition: str = "aws"


def parse_account_list(text: str) -> list[str]:
    """Account ids from a comma list or a file's text (one per line, ``#`` comments)."""
    ids: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        ids.extend(part.strip() for part in line.split(",") if part.strip())
    bad = [i for i in ids if not ACCOUNT_ID.match(i)]
    if bad:
        raise TargetError(f"not a 12-digit AWS account id: {bad[0]!r}")
    return sorted(set(ids))


def shard(items: Sequence[T], index: int, count: int) -> list[T]:
    """The ``index``-th of ``count`` interleaved shards (1-based), stable for a sorted input."""
    return [item for position, item in enumerate(items) if position % count == index - 1]


def parse_shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise TargetError(f"--shard takes K/N with 1 <= K <= N, e.g. 2/5; got {text!r}")
    return int(match.group(1)), int(match.group(2))


#: What an AWS region name looks like (us-east-1, us-gov-west-1, eusc-de-east-1).
REGION_NAME = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")


def cognito_regions(partition: str | None = None) -> frozenset[str]:
    """Regions that offer Cognito user pools (cognito-idp), in ``partition`` or in every one, as
    listed by the endpoints data (botocore/data/endpoints.json) of the installed AWS SDK: no
    network call. The ``aws`` extra's boto3 floor is the first release whose data lists every
    region that offers Cognito today (pyproject.toml)."""
    import botocore.session

    session = botocore.session.get_session()
    partitions = [partition] if partition else session.get_available_partitions()
    return frozenset(
        region
        for name in partitions
        for region in session.get_available_regions("cognito-idp", partition_name=name)
    )


def sdk_regions() -> dict[str, frozenset[str]]:
    """Every region the installed AWS SDK knows, whatever the service, by partition."""
    import botocore.session

    data = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    return {p["partition"]: frozenset(p.get("regions", {})) for p in data.get("partitions", [])}


def sdk_version() -> str:
    import botocore

    return f"botocore {botocore.__version__}"


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def parse_regions(text: str, allow_unknown: bool = False) -> list[str]:
    """``--regions`` as a list, each name checked against :func:`cognito_regions`.

    A region newer than the installed SDK is unknown to it: with ``allow_unknown``, any name
    shaped like a region passes (the SDK builds its endpoint from the name)."""
    names = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise TargetError("--regions takes region names, comma-separated, e.g. eu-west-1,us-east-1")
    known = cognito_regions()
    for name in names:
        if name in known:
            continue
        close = difflib.get_close_matches(name.lower(), sorted(known), n=3, cutoff=0.6)
        hint = f" (did you mean {_either(close)}?)" if close else ""
        if not REGION_NAME.match(name):
            raise TargetError(f"--regions: {name!r} is not an AWS region name{hint}")
        if not allow_unknown:
            raise TargetError(
                f"--regions: {name!r} is not a region where the installed AWS SDK offers Cognito user "
                f"pools{hint}; for a region newer than the SDK, upgrade boto3 or add --allow-unknown-regions"
            )
    return names


def caller(session: Any, endpoint_url: str | None) -> tuple[str, str]:
    """(account id, partition) of the session's credentials."""
    arn = aws.client(session, "sts", session.region_name or "us-east-1", endpoint_url).get_caller_identity()[
        "Arn"
    ]
    parts = arn.split(":")
    return parts[4], parts[1]


def organization_accounts(session: Any, endpoint_url: str | None) -> list[str]:
    """Active member accounts of the organization (run with management or delegated-admin credentials)."""
    orgs = aws.client(session, "organizations", session.region_name or "us-east-1", endpoint_url)
    ids: list[str] = []
    token: str | None = None
    while True:
        page = orgs.list_accounts(**({"NextToken": token} if token else {}))
        for account in page.get("Accounts", []):
            state = account.get("State") or account.get("Status")
            if state in (None, "ACTIVE"):
                ids.append(account["Id"])
        token = page.get("NextToken")
        if not token:
            return sorted(ids)


def assume(
    base: Any, account: str, role_name: str, partition: str, external_id: str | None, endpoint_url: str | None
) -> Any:
    """A session in ``account`` through ``role_name``. Its credentials renew themselves by
    assuming the role again before they expire: an organization's sweep can outlast the one
    hour that assumed-role credentials last, and accounts wait their turn. Raises if the role
    cannot be assumed now."""
    import boto3
    import botocore.session
    from botocore.credentials import RefreshableCredentials

    sts = aws.client(base, "sts", base.region_name or "us-east-1", endpoint_url)
    kwargs = {
        "RoleArn": f"arn:{partition}:iam::{account}:role/{role_name}",
        "RoleSessionName": "m2m-guard-sweep",
        **({"ExternalId": external_id} if external_id else {}),
    }

    def fetch() -> dict[str, str]:
        credentials = sts.assume_role(**kwargs)["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    refreshable = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    core = botocore.session.get_session()
    core._credentials = refreshable  # botocore has no public setter for a session's credentials
    if base.region_name:
        core.set_config_variable("region", base.region_name)
    return boto3.Session(botocore_session=core)


@dataclass(frozen=True)
class RegionPlan:
    """The enabled regions of an account, split by what the installed AWS SDK says of them."""

    #: Enabled regions where the SDK offers Cognito user pools: the ones to sweep.
    sweep: list[str]
    #: Enabled regions the SDK does not know at all (newer than it).
    unknown: list[str]
    #: Enabled regions the SDK knows, without Cognito user pools listed there.
    without_cognito: list[str]

    def notes(self) -> list[str]:
        """One warning per enabled region that is not swept, saying why and what to do."""
        fix = "upgrade boto3, or name it with --regions and --allow-unknown-regions"
        version = sdk_version()
        return [
            f"region {region} is enabled but unknown to the installed AWS SDK ({version}), so it "
            f"was not swept; to sweep it, {fix}"
            for region in self.unknown
        ] + [
            f"region {region} is enabled but the installed AWS SDK ({version}) lists no Cognito "
            f"user pools there, so it was not swept; if Cognito is offered there now, {fix}"
            for region in self.without_cognito
        ]


def region_plan(session: Any, endpoint_url: str | None, partition: str = "aws") -> RegionPlan:
    """The regions enabled for the account (EC2 DescribeRegions) against the installed SDK's
    endpoint data, in the account's partition. A region of another partition cannot be enabled
    for the account: AWS never lists one (moto does), and it is left out silently."""
    ec2 = aws.client(session, "ec2", session.region_name or "us-east-1", endpoint_url)
    enabled = {r["RegionName"] for r in ec2.describe_regions(AllRegions=False)["Regions"]}
    known = sdk_regions()
    elsewhere = frozenset().union(*(regions for name, regions in known.items() if name != partition))
    ours = known.get(partition, frozenset())
    offered = cognito_regions(partition)
    return RegionPlan(
        sweep=sorted(enabled & offered),
        unknown=sorted(enabled - ours - elsewhere - offered),
        without_cognito=sorted((enabled & ours) - offered),
    )
