"""Cost deltas: the monthly M2M cost of two versions of the code, pool by pool, and the clients
that make the difference (``m2m-guard cost --baseline REF`` and ``m2m-guard cost diff``). Pure:
the command reads git or the two saved reports, this module compares.

Each side is a :class:`Priced`: its pools as a cost report shows them (line items to the cent,
the total their sum) and the clients of each. It comes from a :class:`~m2m_guard.cost.CostReport`
(:func:`from_report`) or from the JSON of ``cost --format json`` (:func:`from_json`, which
writes each pool's clients with :func:`client_rows`), so both commands compare the same shapes.

Matching: pools by their key (a CloudFormation or Terraform pool is file-scoped,
``infra/auth.yaml#UserPool``; a literal pool id or an export is the same pool in every file);
clients within a pool by their logical name (CloudFormation logical id, Terraform address, or
ClientId), and between clients of one name in one pool by file, then in order. A renamed
resource is one client removed and one added; a moved template moves its pools.

Every figure is as shown: a pool's change is its total after minus its total before, each the
sum of its line items in cents, and the total change is the sum of the pools' changes, which is
the total after minus the total before. So every column of a delta adds up to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from m2m_guard.cost import ClientCost, CostReport, PoolLine, client_label, is_unused
from m2m_guard.model import Unknown
from m2m_guard.pricing import ZERO, Pricing, cents, whole

#: The source of a side priced from the work tree (else a revision or a saved report's file).
WORK_TREE = ""

ChangeKind = Literal["added", "removed", "changed"]
PoolStatus = Literal["added", "removed", "changed", "unchanged"]


class DeltaInputError(ValueError):
    """A saved report that is not a cost report m2m-guard can compare (the message says why,
    without the file name: the command adds it)."""


@dataclass(frozen=True)
class PricedClient:
    """One M2M client as one side prices it."""

    key: str  # logical id, Terraform address or ClientId: what matches it with the other side
    label: str  # how reports name it
    path: str  # the file that defines it
    ttl_seconds: int | None  # None: unknown
    requests_month: int | None  # whole; None: unknown
    basis: str  # billed, observed, projected or unknown
    unused: bool  # no token request in the usage, or it can never get one


@dataclass(frozen=True)
class PricedPool:
    key: str
    label: str
    m2m_clients: int
    requests_month: int
    clients_usd: Decimal
    requests_usd: Decimal
    #: The Lambda invocations as the total counts them (0 when unknown, the total then "at least").
    lambda_usd: Decimal
    at_least: bool
    #: The clients; None when the report does not list them (written by an older m2m-guard).
    clients: tuple[PricedClient, ...] | None

    @property
    def monthly_usd(self) -> Decimal:
        """The sum of the line items as shown."""
        return self.clients_usd + self.requests_usd + self.lambda_usd


@dataclass(frozen=True)
class Priced:
    """One side of a delta: where it comes from (a git revision, a file) and its pools."""

    source: str
    pools: tuple[PricedPool, ...]
    #: The price table in one phrase, as the cost report's json says it.
    price_table: str
    #: The prices themselves, for a side priced here (None: read from a saved report), and
    #: whether a pool paid Lambda invocations; reports name the policy file from them.
    pricing: Pricing | None = None
    lambda_used: bool = False

    @property
    def total_usd(self) -> Decimal:
        return sum((p.monthly_usd for p in self.pools), ZERO)

    @property
    def at_least(self) -> bool:
        return any(p.at_least for p in self.pools)


# -- one side, from a report or from its JSON -----------------------------------------------------


def priced_client(cost: ClientCost) -> PricedClient:
    ttl = cost.client.access_token_ttl
    requests = None if cost.requests_month is None else whole(cost.requests_month)
    return PricedClient(
        key=cost.client.location.name,
        label=client_label(cost.client),
        path=cost.client.location.path,
        ttl_seconds=None if isinstance(ttl, Unknown) else ttl,
        requests_month=requests,
        basis=cost.basis,
        unused=is_unused(cost.client),
    )


def _sorted_clients(clients: Iterable[PricedClient]) -> tuple[PricedClient, ...]:
    return tuple(sorted(clients, key=lambda c: (c.key, c.path, c.label)))


def client_rows(line: PoolLine) -> list[dict[str, Any]]:
    """The clients of a pool as ``cost --format json`` lists them (what :func:`from_json` reads)."""
    return [
        {
            "client": c.label,
            "client_key": c.key,
            "path": c.path,
            "ttl_seconds": c.ttl_seconds,
            "token_requests_month": c.requests_month,
            "requests_basis": c.basis,
            "unused": c.unused,
        }
        for c in _sorted_clients(priced_client(cc) for cc in line.cost.clients)
    ]


def from_report(report: CostReport, source: str, price_table: str) -> Priced:
    """A side priced here; ``source`` names it (a revision), empty for the work tree."""
    pools = []
    for line in report.pools:
        cost = line.cost
        pools.append(
            PricedPool(
                key=line.pool.key,
                label=_pool_label(line),
                m2m_clients=cost.client_count,
                requests_month=cost.requests_month,
                clients_usd=cost.clients_usd,
                requests_usd=cost.requests_usd,
                lambda_usd=cost.lambda_usd,
                at_least=cost.at_least,
                clients=_sorted_clients(priced_client(c) for c in cost.clients),
            )
        )
    lambda_used = any(line.cost.customizes is True for line in report.pools)
    return Priced(source, tuple(pools), price_table, report.pricing, lambda_used)


def _pool_label(line: PoolLine) -> str:
    """As the cost report names a pool: a swept one with its name beside its id."""
    place = line.place
    return f"{place.name} ({line.pool.label})" if place and place.name else line.pool.label


def from_json(document: Any, source: str) -> Priced:
    """A side from the JSON of ``cost --format json``; :class:`DeltaInputError` when it is not one.

    Amounts are strings of decimal digits (numbers, as older versions wrote them, are read by
    their shortest repr); each is taken to the cent as the report shows it.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("pools"), list):
        raise DeltaInputError("not a cost report (m2m-guard cost --format json): no list of pools")
    if "total_monthly_usd" not in document:
        raise DeltaInputError("not a cost report (m2m-guard cost --format json): no total_monthly_usd")
    pools = []
    keys: set[str] = set()
    for index, raw in enumerate(document["pools"]):
        where = f"pools[{index}]"
        if not isinstance(raw, Mapping):
            raise DeltaInputError(f"{where} is not an object")
        label = _text(raw, "pool", where)
        key = _text(raw, "pool_key", where) if "pool_key" in raw else label
        if key in keys:
            raise DeltaInputError(f"{where}: pool {key!r} appears twice")
        keys.add(key)
        name = raw.get("pool_name")
        lam = raw.get("lambda_usd")
        pool = PricedPool(
            key=key,
            label=f"{name} ({label})" if isinstance(name, str) and name else label,
            m2m_clients=_count(raw, "m2m_clients", where),
            requests_month=_count(raw, "token_requests_month", where),
            clients_usd=_money(raw.get("clients_usd"), f"{where}.clients_usd"),
            requests_usd=_money(raw.get("requests_usd"), f"{where}.requests_usd"),
            lambda_usd=ZERO if lam is None else _money(lam, f"{where}.lambda_usd"),
            at_least=_flag(raw, "monthly_usd_at_least", where),
            clients=_clients(raw.get("clients"), where),
        )
        shown = _money(raw.get("monthly_usd"), f"{where}.monthly_usd")
        if shown != pool.monthly_usd:
            raise DeltaInputError(
                f"{where}.monthly_usd is {shown}, not the sum of its line items ({pool.monthly_usd})"
            )
        pools.append(pool)
    priced = Priced(source, tuple(pools), _price_table(document.get("pricing")))
    total = _money(document["total_monthly_usd"], "total_monthly_usd")
    if total != priced.total_usd:
        raise DeltaInputError(f"total_monthly_usd is {total}, not the sum of its pools ({priced.total_usd})")
    return priced


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise DeltaInputError(f"{where}.{key} is not a name")
    return value


def _count(raw: Mapping[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DeltaInputError(f"{where}.{key} is not a whole number")
    return value


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise DeltaInputError(f"{where}.{key} is not true or false")
    return value


def _money(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DeltaInputError(f"{where} is not an amount")
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise DeltaInputError(f"{where} is not an amount: {value!r}") from None
    if not amount.is_finite():
        raise DeltaInputError(f"{where} is not a finite amount")
    return cents(amount)


def _clients(raw: Any, where: str) -> tuple[PricedClient, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise DeltaInputError(f"{where}.clients is not a list")
    out = []
    for index, item in enumerate(raw):
        here = f"{where}.clients[{index}]"
        if not isinstance(item, Mapping):
            raise DeltaInputError(f"{here} is not an object")
        ttl, requests = item.get("ttl_seconds"), item.get("token_requests_month")
        for key, value in (("ttl_seconds", ttl), ("token_requests_month", requests)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise DeltaInputError(f"{here}.{key} is not a whole number or null")
        basis = item.get("requests_basis", "unknown")
        out.append(
            PricedClient(
                key=_text(item, "client_key", here),
                label=_text(item, "client", here),
                path=str(item.get("path") or ""),
                ttl_seconds=ttl,
                requests_month=requests,
                basis=basis if isinstance(basis, str) else "unknown",
                unused=_flag(item, "unused", here),
            )
        )
    return _sorted_clients(out)


def _price_table(raw: Any) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("description"), str):
        return str(raw["description"])
    return "not stated in the report"


# -- the comparison -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientChange:
    kind: ChangeKind
    before: PricedClient | None
    after: PricedClient | None

    @property
    def label(self) -> str:
        side = self.after or self.before
        assert side is not None
        return side.label


@dataclass(frozen=True)
class PoolDelta:
    key: str
    label: str
    before: PricedPool | None
    after: PricedPool | None
    #: The clients added, removed and changed; None when a side does not list its clients.
    changes: tuple[ClientChange, ...] | None

    @property
    def before_usd(self) -> Decimal:
        return self.before.monthly_usd if self.before else ZERO

    @property
    def after_usd(self) -> Decimal:
        return self.after.monthly_usd if self.after else ZERO

    @property
    def change_usd(self) -> Decimal:
        return self.after_usd - self.before_usd

    def item_change(self, item: str) -> Decimal:
        """The change of one line item (``clients_usd``, ``requests_usd``, ``lambda_usd``)."""
        after = getattr(self.after, item) if self.after else ZERO
        before = getattr(self.before, item) if self.before else ZERO
        return Decimal(after - before)

    def count_change(self, item: str) -> int:
        """The change of a count (``m2m_clients``, ``requests_month``)."""
        after = getattr(self.after, item) if self.after else 0
        before = getattr(self.before, item) if self.before else 0
        return int(after - before)

    @property
    def status(self) -> PoolStatus:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        same = (
            self.before.monthly_usd == self.after.monthly_usd
            and self.before.clients_usd == self.after.clients_usd
            and self.before.requests_usd == self.after.requests_usd
            and self.before.m2m_clients == self.after.m2m_clients
            and self.before.requests_month == self.after.requests_month
            and self.before.at_least == self.after.at_least
            and not self.changes
        )
        return "unchanged" if same else "changed"


@dataclass(frozen=True)
class CostDelta:
    before: Priced
    after: Priced
    pools: tuple[PoolDelta, ...]

    @property
    def change_usd(self) -> Decimal:
        """The sum of the pools' changes: the total after minus the total before."""
        return sum((p.change_usd for p in self.pools), ZERO)

    @property
    def changed(self) -> tuple[PoolDelta, ...]:
        return tuple(p for p in self.pools if p.status != "unchanged")

    @property
    def unchanged(self) -> tuple[PoolDelta, ...]:
        return tuple(p for p in self.pools if p.status == "unchanged")


def compare(before: Priced, after: Priced) -> CostDelta:
    """Pools matched by key, in the order of their labels (added and removed ones among them)."""
    old = {p.key: p for p in before.pools}
    new = {p.key: p for p in after.pools}
    deltas = []
    for key in {*old, *new}:
        was, now = old.get(key), new.get(key)
        label = (now or was).label  # type: ignore[union-attr]  # one of them is there
        deltas.append(PoolDelta(key, label, was, now, _client_changes(was, now)))
    return CostDelta(before, after, tuple(sorted(deltas, key=lambda d: (d.label, d.key))))


def _client_changes(before: PricedPool | None, after: PricedPool | None) -> tuple[ClientChange, ...] | None:
    old = () if before is None else before.clients
    new = () if after is None else after.clients
    if old is None or new is None:
        return None
    changes: list[ClientChange] = []
    for was, now in _pairs(old, new):
        if was is None:
            changes.append(ClientChange("added", None, now))
        elif now is None:
            changes.append(ClientChange("removed", was, None))
        elif _differs(was, now):
            changes.append(ClientChange("changed", was, now))
    order = {"removed": 0, "added": 1, "changed": 2}
    return tuple(sorted(changes, key=lambda c: (c.label, order[c.kind])))


def _pairs(
    old: Sequence[PricedClient], new: Sequence[PricedClient]
) -> Iterable[tuple[PricedClient | None, PricedClient | None]]:
    """Clients of one name paired by file first, then in order; the rest alone."""
    by_key: dict[str, tuple[list[PricedClient], list[PricedClient]]] = {}
    for client in old:
        by_key.setdefault(client.key, ([], []))[0].append(client)
    for client in new:
        by_key.setdefault(client.key, ([], []))[1].append(client)
    for key in sorted(by_key):
        was, now = by_key[key]
        for client in list(was):
            same_file = next((c for c in now if c.path == client.path), None)
            if same_file is not None:
                was.remove(client)
                now.remove(same_file)
                yield client, same_file
        for index in range(max(len(was), len(now))):
            yield (was[index] if index < len(was) else None), (now[index] if index < len(now) else None)


def _differs(was: PricedClient, now: PricedClient) -> bool:
    return (was.ttl_seconds, was.requests_month, was.basis, was.unused) != (
        now.ttl_seconds,
        now.requests_month,
        now.basis,
        now.unused,
    )
