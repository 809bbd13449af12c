"""``sweep --config --describe-m2m``: describe the M2M clients AWS Config found, in their own
account and region, to learn what Config does not record (above all, whether a client has a
secret: AWS Config's resource schema for AWS::Cognito::UserPoolClient has no GenerateSecret,
ClientSecret or ClientSecretArn; see m2m_guard/sources/config_items.py).

The credentials are the Cognito sweep's (m2m_guard/sweep/accounts.py): the current ones in the
current account (STS GetCallerIdentity tells which), ``--role-name`` (with ``--external-id``)
assumed in every other account. Each call is the sweep's own paced DescribeUserPoolClient
(m2m_guard/sweep/discovery.py :func:`describe_client`: one RegionLimiter per account-region,
the secret dropped as the response arrives, ListUserPoolClientSecrets only for an M2M client
that describe shows without a secret), through the read-only guard (m2m_guard/sweep/aws.py).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.sweep import accounts, aws
from m2m_guard.sweep.discovery import _gather, _not_found, describe_client
from m2m_guard.sweep.ratelimit import RegionLimiter

#: (account, region, user pool id, client id) of one client to describe.
Wanted = tuple[str, str, str, str]


@dataclass
class Described:
    """What the describes gave: each client's secret-free record and why its secret is unknown
    (None when known), the clients deleted since Config recorded them, failures by account and
    region, and the Cognito calls made (DescribeUserPoolClient, AssumeRole)."""

    records: dict[Wanted, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    deleted: list[Wanted] = field(default_factory=list)
    #: (account, region or None for the whole account) -> (why, how many clients kept Config's values)
    failures: dict[tuple[str, str | None], tuple[str, int]] = field(default_factory=dict)
    describe_calls: int = 0
    assume_calls: int = 0

    def fail(self, account: str, region: str | None, why: str, clients: int = 1) -> None:
        first, count = self.failures.get((account, region), (why, 0))
        self.failures[(account, region)] = (first, count + clients)


def describe_m2m(
    base: Any,
    wanted: Sequence[Wanted],
    *,
    role_name: str | None,
    external_id: str | None,
    endpoint_url: str | None = None,
    max_rps: float = 10.0,
    concurrency: int = 8,
    region_workers: int = 4,
) -> Described:
    """Describe each of ``wanted`` in its account and region; nothing raised, every failure is
    in ``failures`` (the client then keeps AWS Config's values)."""
    out = Described()
    by_account: dict[str, list[Wanted]] = {}
    for item in sorted(set(wanted)):
        by_account.setdefault(item[0], []).append(item)
    sessions = _sessions(base, sorted(by_account), role_name, external_id, endpoint_url, out)
    by_region: dict[tuple[str, str], list[Wanted]] = {}
    for account, items in by_account.items():
        if account not in sessions:  # _sessions said why
            why, _ = out.failures[(account, None)]
            out.failures[(account, None)] = (why, len(items))
            continue
        for item in items:
            by_region.setdefault((item[0], item[1]), []).append(item)

    lock = threading.Lock()

    def region(key: tuple[str, str]) -> None:
        account, name = key
        try:
            cognito = aws.client(sessions[account], "cognito-idp", name, endpoint_url)
        except Exception as exc:  # an unknown region name
            with lock:
                out.fail(account, name, aws.error_text(exc), len(by_region[key]))
            return
        limiter = RegionLimiter(max_rps)
        items = by_region[key]
        with ThreadPoolExecutor(max_workers=max(1, region_workers)) as executor:
            results = _gather(executor, lambda i: describe_client(cognito, limiter, i[2], i[3]), items)
        with lock:
            out.describe_calls += len(items)
            for item, result in zip(items, results, strict=True):
                if _not_found(result):
                    out.deleted.append(item)
                elif isinstance(result, BaseException):
                    out.fail(account, name, f"DescribeUserPoolClient: {aws.error_text(result)}")
                else:
                    out.records[item] = result

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as executor:
        list(executor.map(region, sorted(by_region)))
    return out


def _sessions(
    base: Any,
    ids: list[str],
    role_name: str | None,
    external_id: str | None,
    endpoint_url: str | None,
    out: Described,
) -> dict[str, Any]:
    """account -> session: the current credentials for their own account, the role elsewhere.
    An account without one is in ``out.failures`` with the reason (count 0, set by the caller)."""
    try:
        current, partition = accounts.caller(base, endpoint_url)
    except Exception as exc:
        for account in ids:
            out.fail(account, None, f"cannot identify the current credentials: {aws.error_text(exc)}", 0)
        return {}
    sessions: dict[str, Any] = {}
    for account in ids:
        if account == current:
            sessions[account] = base
        elif not role_name:
            out.fail(account, None, "another account, and no --role-name to assume there", 0)
        else:
            out.assume_calls += 1
            try:
                sessions[account] = accounts.assume(
                    base, account, role_name, partition, external_id, endpoint_url
                )
            except Exception as exc:
                out.fail(account, None, f"cannot assume role {role_name}: {aws.error_text(exc)}", 0)
    return sessions
