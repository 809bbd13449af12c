"""Usage from the bill itself: Cognito M2M line items of an AWS Cost and Usage Report (CUR 2.0,
delivered by AWS Data Exports as gzip/CSV or Parquet), for ``--usage-from-cur``.

What AWS documents, and what this module relies on:

* Columns (CUR 2.0 data dictionary, https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html
  and its line item and bill column pages, table-dictionary-cur2-line-item.html and
  table-dictionary-cur2-bill.html): ``bill_billing_period_start_date`` (the billing period,
  ``YYYY-MM-DDTHH:mm:ssZ``), ``line_item_product_code``, ``line_item_usage_type``,
  ``line_item_usage_amount`` and ``line_item_unblended_cost`` (doubles),
  ``line_item_usage_account_id``, ``line_item_usage_end_date`` (how far into the period the
  export reaches), ``line_item_line_item_type`` (``Usage``, ``Tax``, ``Credit`` ...), and
  ``line_item_resource_id``, which exists only when the export includes resource IDs (table
  configuration ``INCLUDE_RESOURCES``). ``product_region_code`` is read when present.
* Delivery (https://docs.aws.amazon.com/cur/latest/userguide/dataexports-export-delivery.html):
  ``s3://<bucket>/<prefix>/<export-name>/data/BILLING_PERIOD=YYYY-MM/`` holds gzip/csv or
  Parquet files, beside a ``metadata/`` folder with a Manifest.json.
* Cognito (https://docs.aws.amazon.com/cognito/latest/developerguide/tracking-cost.html): M2M
  app clients and token requests are billed, and "in your bill, these requests are associated
  with the app client that produced them".

What AWS does not document, and how m2m-guard treats it (README, "Usage from the bill"): the
usage type names (``<region prefix>-CUPM2MTokenRequestsFull`` and ``-CUPM2MAppClientsFull`` are
known from third parties only) and the format of ``line_item_resource_id`` on Cognito M2M line
items. So a line item is M2M when its product code is ``AmazonCognito`` and its usage type
mentions ``M2M``; it counts token requests when the usage type ends in
``CUPM2MTokenRequestsFull`` (AWS's billing description as quoted by Vantage) and app clients
when it ends in ``CUPM2MAppClientsFull`` (as a bill shown by Classmethod names it); and it
belongs to a client (or a pool) only when its resource ID names that client's ClientId (or that
pool's id), whole or as a part of an ARN or path. Every other M2M line item stays with its
account and region, and reconciliation is per account and region for them.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import gzip
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any, Literal

from m2m_guard.model import MONTH_DAYS, AppClient, Pool, Usage

#: The CUR 2.0 columns m2m-guard needs (data dictionary, above).
PERIOD = "bill_billing_period_start_date"
PRODUCT = "line_item_product_code"
USAGE_TYPE = "line_item_usage_type"
AMOUNT = "line_item_usage_amount"
COST = "line_item_unblended_cost"
ACCOUNT = "line_item_usage_account_id"
REQUIRED = (PERIOD, PRODUCT, USAGE_TYPE, AMOUNT, COST, ACCOUNT)
#: Read when the export has them.
RESOURCE = "line_item_resource_id"
#: The end of the line item's usage (``YYYY-MM-DDTHH:mm:ssZ``): how far into the billing period
#: the export reaches (an export is updated through the month).
USAGE_END = "line_item_usage_end_date"
LINE_TYPE = "line_item_line_item_type"
REGION = "product_region_code"
#: Amazon Cognito's product code in the bill.
COGNITO = "AmazonCognito"
#: The usage type of M2M token requests, after its region prefix (``USE1-``).
TOKEN_REQUESTS = "CUPM2MTokenRequestsFull"
#: The usage type of M2M app clients a month, after its region prefix (``APN1-``).
APP_CLIENTS = "CUPM2MAppClientsFull"
#: A user pool id: ``<region>_<id>``, as ``eu-west-1_EXAMPLE1`` (CreateUserPool's ``Id``).
_POOL_ID = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+_[0-9a-zA-Z]+")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: CSV fields can be long (resource tags as JSON); the limit only guards against a broken file.
FIELD_LIMIT = 1 << 24

Kind = Literal["requests", "clients", "other"]


class CurError(Exception):
    """The export cannot be read; the message is one line naming the file (and line)."""


@dataclass(frozen=True)
class BillLine:
    """One M2M line item of the bill (summed with others of the same key when read)."""

    period: str  # YYYY-MM
    account: str
    region: str | None
    usage_type: str
    resource: str
    kind: Kind
    amount: Decimal
    cost: Decimal
    #: ``line_item_usage_end_date`` in UTC, when the export has the column
    usage_end: dt.datetime | None = None


@dataclass(frozen=True)
class BilledUsage:
    """The M2M line items of one billing period, and where they came from."""

    period: str
    lines: tuple[BillLine, ...]
    source: str
    #: Billing periods the export also held, left out (the latest one is read).
    other_periods: tuple[str, ...] = ()
    _by_id: dict[str, list[BillLine]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for line in self.lines:
            for token in resource_ids(line.resource):
                self._by_id.setdefault(token, []).append(line)

    @functools.cached_property  # read for every client the bill names
    def covered_days(self) -> float | None:
        """Days from the start of the billing period to the latest usage end among its M2M line
        items (a month's export is updated through the month, so the period may not be over);
        None when the export has no usage end dates."""
        ends = [line.usage_end for line in self.lines if line.usage_end is not None]
        if not self.period or not ends:
            return None
        start = dt.datetime.strptime(self.period, "%Y-%m").replace(tzinfo=dt.timezone.utc)
        return max((max(ends) - start).total_seconds() / 86400, 0.0)

    def client_lines(self, client: AppClient) -> list[BillLine]:
        client_id = client.location.client_id or client.record.get("ClientId")
        return list(self._by_id.get(client_id, ())) if isinstance(client_id, str) and client_id else []

    def lookup(self, client: AppClient, unattributed: frozenset[str] = frozenset()) -> Usage | None:
        """The client's billed token requests in the period, over the days the export covers
        (:attr:`covered_days`), when the bill names the client; None otherwise.

        A bill that names the client with no token requests (only its monthly app-client line)
        says it made none only when that is backed: the export's usage end dates say how many
        days it covers, and no token-request line item of the client's account (in
        ``unattributed``) names no known client, since such a line may be this client's.
        Otherwise None: the usage stays unknown (or another source's)."""
        lines = self.client_lines(client)
        if not lines:
            return None
        requests = sum((line.amount for line in lines if line.kind == "requests"), Decimal(0))
        billed = int(requests.to_integral_value(rounding=ROUND_HALF_UP))
        days = self.covered_days
        if billed == 0 and (days is None or any(line.account in unattributed for line in lines)):
            return None
        # a whole billing period is a month of usage (the bill's own month); part of one, its days
        window = MONTH_DAYS if days is None or days >= _month_days(self.period) else days
        return Usage(billed, window, f"bill {self.period} ({self.source})")

    def unattributed_accounts(self, clients: Iterable[AppClient]) -> frozenset[str]:
        """Accounts with a token-request line item that names none of ``clients``."""
        known = {c.location.client_id or c.record.get("ClientId") for c in clients}
        return frozenset(
            line.account
            for line in self.lines
            if line.kind == "requests" and not resource_ids(line.resource) & known
        )

    def pool_lines(self, pool: Pool, clients: Iterable[AppClient]) -> list[BillLine]:
        """The line items that belong to ``pool``: those naming one of its clients, or the
        pool itself."""
        found: dict[int, BillLine] = {}
        for client in clients:
            for line in self.client_lines(client):
                found[id(line)] = line
        for name in pool_ids(pool):
            for line in self._by_id.get(name, ()):
                found[id(line)] = line
        return list(found.values())


def _month_days(period: str) -> float:
    """The calendar days of a ``YYYY-MM`` billing period."""
    start = dt.date.fromisoformat(f"{period}-01")
    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return float((end - start).days)


def resource_ids(resource: str) -> set[str]:
    """What a resource ID may name a client or pool by: itself, and for an ARN or path the
    parts after its colons and slashes."""
    if not resource:
        return set()
    return {resource, *(part for part in re.split(r"[:/]", resource) if part)}


def pool_ids(pool: Pool) -> set[str]:
    """The user pool ids a pool is known by (a swept pool's ARN ends in ``userpool/ID``)."""
    names = {*pool.names, pool.key, pool.label}
    if pool.location and pool.location.arn:
        names.add(pool.location.arn.rsplit("/", 1)[-1])
    return {name for name in names if _POOL_ID.fullmatch(name)}


# -- reading rows -------------------------------------------------------------------------------


def _month(name: str, line: int | None, value: str) -> str:
    found = _MONTH.match(value.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        where = f"{name}:{line}" if line else name
        raise CurError(f"{where}: {PERIOD} is not a date like 2026-10-01T00:00:00Z: {value[:40]!r}")
    return f"{found.group(1)}-{found.group(2)}"


def _number(name: str, line: int | None, column: str, value: Any) -> Decimal:
    where = f"{name}:{line}" if line else name
    if isinstance(value, float):  # Parquet doubles: their shortest repr, never the binary expansion
        value = repr(value)
    try:
        number = Decimal(str(value).strip() or "0")
    except InvalidOperation:
        raise CurError(f"{where}: {column} is not a number: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise CurError(f"{where}: {column} is not a finite number: {str(value)[:40]!r}")
    return number


def _time(name: str, line: int | None, value: Any) -> dt.datetime | None:
    """``line_item_usage_end_date`` (a Parquet timestamp, or text like 2026-10-02T00:00:00Z)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        when = value
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            where = f"{name}:{line}" if line else name
            raise CurError(
                f"{where}: {USAGE_END} is not a time like 2026-10-02T00:00:00Z: {str(value)[:40]!r}"
            ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _kind(usage_type: str) -> Kind | None:
    if "M2M" not in usage_type:
        return None
    if usage_type.endswith(TOKEN_REQUESTS):
        return "requests"
    return "clients" if usage_type.endswith(APP_CLIENTS) else "other"


def _line(name: str, number: int | None, row: Mapping[str, Any]) -> BillLine | None:
    if str(row.get(PRODUCT) or "") != COGNITO:
        return None
    usage_type = str(row.get(USAGE_TYPE) or "")
    kind = _kind(usage_type)
    line_type = row.get(LINE_TYPE)
    if kind is None or (line_type not in (None, "") and line_type != "Usage"):
        return None  # credits, refunds, taxes and discounts change the invoice, not the usage
    period = row.get(PERIOD)
    period_text = period.isoformat() if isinstance(period, (dt.date, dt.datetime)) else str(period or "")
    return BillLine(
        period=_month(name, number, period_text),
        account=str(row.get(ACCOUNT) or ""),
        region=str(row.get(REGION) or "") or None,
        usage_type=usage_type,
        resource=str(row.get(RESOURCE) or ""),
        kind=kind,
        amount=_number(name, number, AMOUNT, row.get(AMOUNT)),
        cost=_number(name, number, COST, row.get(COST)),
        usage_end=_time(name, number, row.get(USAGE_END)),
    )


def _check_columns(name: str, columns: Iterable[str]) -> None:
    present = set(columns)
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        raise CurError(
            f"{name}: not a CUR 2.0 export (no column {', '.join(missing)}); "
            "export the CUR 2.0 table of AWS Data Exports as CSV or Parquet"
        )


def read_csv(name: str, stream: IO[bytes]) -> list[BillLine]:
    """The M2M line items of one CSV file (gzip-compressed or not), read as a stream."""
    head = stream.peek(2)[:2] if isinstance(stream, io.BufferedReader) else b""
    raw: IO[bytes] = stream
    if head == b"\x1f\x8b" or name.endswith(".gz"):
        raw = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    try:
        reader = csv.DictReader(text)
        _check_columns(name, reader.fieldnames or ())
        lines = []
        for row in reader:
            found = _line(name, reader.line_num, row)
            if found is not None:
                lines.append(found)
        return lines
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        detail = "not gzip data" if isinstance(exc, gzip.BadGzipFile) else type(exc).__name__
        if isinstance(exc, UnicodeDecodeError):
            detail = "not UTF-8 text"
        elif isinstance(exc, csv.Error):
            detail = f"invalid CSV: {exc}"
        elif isinstance(exc, EOFError):
            detail = "the compressed data ends early"
        raise CurError(f"{name}: cannot read the export: {detail}") from None


def read_parquet(name: str, data: IO[bytes]) -> list[BillLine]:
    """The M2M line items of one Parquet file (needs pyarrow, the ``parquet`` extra)."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise CurError(
            f"{name}: reading Parquet needs pyarrow: pip install 'm2m-guard[parquet]' "
            "(or export the CUR 2.0 table as CSV)"
        ) from None
    try:
        parquet = pq.ParquetFile(data)
        columns = parquet.schema_arrow.names
        _check_columns(name, columns)
        # only the columns m2m-guard reads: an export has about 125
        wanted = [c for c in (*REQUIRED, RESOURCE, LINE_TYPE, REGION, USAGE_END) if c in columns]
        rows = parquet.read(columns=wanted).to_pylist()
    except CurError:
        raise
    except Exception as exc:  # pyarrow raises its own error types for a broken file
        raise CurError(f"{name}: cannot read the Parquet file: {type(exc).__name__}") from None
    lines = []
    for row in rows:
        found = _line(name, None, row)
        if found is not None:
            lines.append(found)
    return lines


def is_export_file(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith((".csv", ".csv.gz", ".gz", ".parquet"))


def read_file(name: str, stream: IO[bytes]) -> list[BillLine]:
    if name.lower().endswith(".parquet"):
        return read_parquet(name, stream)
    return read_csv(name, stream)


def billed_usage(source: str, lines: Iterable[BillLine]) -> BilledUsage:
    """The line items of the latest billing period in ``lines``, summed per account, region,
    usage type and resource."""
    listed = list(lines)
    periods = sorted({line.period for line in listed})
    if not periods:
        return BilledUsage("", (), source)
    latest = periods[-1]
    summed: dict[tuple[str, str | None, str, str], BillLine] = {}
    for line in listed:
        if line.period != latest:
            continue
        key = (line.account, line.region, line.usage_type, line.resource)
        before = summed.get(key)
        summed[key] = (
            line
            if before is None
            else BillLine(
                latest,
                line.account,
                line.region,
                line.usage_type,
                line.resource,
                line.kind,
                before.amount + line.amount,
                before.cost + line.cost,
                max((e for e in (before.usage_end, line.usage_end) if e is not None), default=None),
            )
        )
    ordered = tuple(summed[k] for k in sorted(summed, key=lambda k: (k[0], k[1] or "", k[2], k[3])))
    return BilledUsage(latest, ordered, source, tuple(periods[:-1]))


def with_bill(clients: Sequence[AppClient], bill: BilledUsage | None) -> list[AppClient]:
    """``clients``, each the bill names with its billed token requests as its usage (what was
    charged wins over a usage file or CloudTrail); the others as they are."""
    if bill is None:
        return list(clients)
    unattributed = bill.unattributed_accounts(clients)
    billed = []
    for client in clients:
        usage = bill.lookup(client, unattributed)
        billed.append(client if usage is None else dataclasses.replace(client, usage=usage))
    return billed


def summary(bill: BilledUsage, clients: Sequence[AppClient]) -> str:
    """One line for stderr: which billing period was read, and how many clients it names."""
    if not bill.period:
        return f"{bill.source}: no Cognito M2M line items in the export"
    named = sum(1 for client in clients if bill.client_lines(client))
    older = f"; older periods left out: {', '.join(bill.other_periods)}" if bill.other_periods else ""
    return (
        f"{bill.source}: billing period {bill.period}, {len(bill.lines)} Cognito M2M line items, "
        f"naming {named} of {len(clients)} app clients{older}"
    )
