"""What ``m2m-guard drift`` compares: the cases that matching the code's clients with the live
ones gives (m2m_guard/drift/match.py), each judged by the drift rule types
(m2m_guard/rules/drift.py).

A case is one of:

* ``pair``: a client the code defines and a live client of the same ClientName in a live pool
  the code's pool matches (one case per live pool: a template deployed to several accounts or
  regions matches several);
* ``missing``: a client the code defines, with no live client of its name in a matched live
  pool (``live_pool``), or whose pool matches no live pool at all (``live_pool`` None);
* ``shadow``: a live M2M client that no scanned code defines, in ``live_pool``;
* ``unmatched``: a client the code defines that cannot be matched (``unknown`` says why: its
  pool's name is a parameter without default, an export the inventory cannot tell, ...).

``unknown`` on a shadow case says why it may not be one after all (the code defines a client
of the pool whose ClientName is unknown, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from m2m_guard.model.client import AppClient, Pool

CaseKind = Literal["pair", "missing", "shadow", "unmatched"]


@dataclass(frozen=True, slots=True)
class DriftCase:
    kind: CaseKind
    #: The code's definition (pair, missing, unmatched).
    code: AppClient | None = None
    #: The live client (pair, shadow).
    live: AppClient | None = None
    #: The live pool the case is about (pair, shadow, and missing when the pool was found).
    live_pool: Pool | None = None
    #: How the scanned code defines ``live_pool`` ("infra/auth.yaml: UserPool"), when it does:
    #: a shadow client's pool is managed by code then.
    defined_by: str | None = None
    #: Why the case cannot be decided (unmatched), or may not hold (shadow).
    unknown: str | None = None
    #: Missing without a live pool: the code's pool, and where it was looked for.
    searched: str | None = None


def live_pool_text(pool: Pool) -> str:
    """``user pool orders (eu-west-1_Ab12), account 111111111111, eu-west-1``: a live pool for
    people, its name (where the source has one) beside its id."""
    arn = pool.location.live if pool.location else None
    named = f"{pool.name} ({pool.key})" if pool.name else pool.key
    where = f", account {arn.account}, {arn.region}" if arn else ""
    return f"user pool {named}{where}"


def client_text(client: AppClient) -> str:
    """A client as a message names it: ``ClientName (ClientId)`` for a live one, its logical id
    or address in code."""
    name = client.record.get("ClientName")
    if client.location.client_id and isinstance(name, str) and name:
        return f"{name} ({client.location.client_id})"
    return client.location.name
