"""The bill beside the estimate in a cost report (``cost --usage-from-cur``,
m2m_guard/cost.py, reconcile): the json object, and the table of the text and markdown formats."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from m2m_guard.cost import PoolLine, Reconciliation
from m2m_guard.model import plural, usd

Name = Callable[[str], str]


def pool_cell(line: PoolLine) -> str:
    """A pool as a report row names it (a swept pool by its name, then its id)."""
    place = line.place
    return f"{place.name} ({line.pool.label})" if place and place.name else line.pool.label


def reconciliation_json(bill: Reconciliation) -> dict[str, Any]:
    """The ``reconciliation`` object of ``cost --format json``."""
    return {
        "billing_period": bill.period or None,
        "source": bill.source,
        "older_periods_left_out": list(bill.other_periods),
        "pools": [
            {
                "pool": p.line.pool.label,
                "pool_key": p.line.pool.key,
                "estimate_usd": p.estimate_usd,
                "estimate_usd_at_least": p.estimate_at_least,
                "estimate_basis": p.line.basis,
                "billed_usd": p.billed_usd,
                "billed_token_requests": p.billed_requests,
                "billed_minus_estimate_usd": p.difference_usd,
            }
            for p in bill.pools
        ],
        "accounts": [
            {
                "account": p.account,
                "region": p.region,
                "estimate_usd": p.estimate_usd,
                "estimate_usd_at_least": p.estimate_at_least,
                "estimated_pools": p.pools,
                "billed_usd": p.billed_usd,
                "billed_token_requests": p.billed_requests,
                "billed_minus_estimate_usd": p.difference_usd,
            }
            for p in bill.places
        ],
        "billed_total_usd": bill.billed_usd,
    }


def signed_usd(amount: Decimal | None) -> str:
    """An amount with its sign (``+$1.24``, ``-$0.36``, ``$0.00``); empty for None."""
    if amount is None:
        return ""
    return ("+" if amount > 0 else "-" if amount < 0 else "") + usd(abs(amount))


def bill_table(bill: Reconciliation, name: Name) -> tuple[list[str], list[list[str]], list[str]]:
    """The estimate beside the bill: a row per pool, then a row per account (and region) for
    the line items that name no pool; the heading line first in the notes, then what follows."""
    title = f"The bill beside the estimate (billing period {bill.period or 'none'}, {name(bill.source)}):"
    head = ["Pool or account", "Estimate", "Basis", "Billed", "Billed requests", "Billed - estimate"]
    rows = []
    for p in bill.pools:
        rows.append(
            [
                name(pool_cell(p.line)),
                ("at least " if p.estimate_at_least else "") + usd(p.estimate_usd),
                p.line.basis.replace("+", " + "),
                "not in the bill" if p.billed_usd is None else usd(p.billed_usd),
                "" if p.billed_requests is None else f"{p.billed_requests:,}",
                signed_usd(p.difference_usd),
            ]
        )
    for place in bill.places:
        where = f"account {name(place.account)}" + (f" {name(place.region)}" if place.region else "")
        rows.append(
            [
                f"{where}: line items naming no pool",
                (("at least " if place.estimate_at_least else "") + usd(place.estimate_usd))
                if place.pools
                else "",
                plural(place.pools, "swept pool") if place.pools else "",
                usd(place.billed_usd),
                f"{place.billed_requests:,}",
                signed_usd(place.difference_usd) if place.pools else "",
            ]
        )
    notes = [
        title,
        f"Billed M2M total: {usd(bill.billed_usd)} (the unblended cost of the Usage line items, before "
        "credits, discounts and tax). Estimates are Cognito's part of the cost above (clients and "
        "token requests; Lambda invocations are on AWS Lambda's bill). A line item counts for a "
        "pool when its resource ID names one of the pool's ClientIds or the pool's id; the others "
        "count for their account and region, beside the estimate of the swept pools there that the "
        "bill does not name.",
    ]
    if bill.other_periods:
        notes.append(f"Older billing periods in the export, left out: {', '.join(bill.other_periods)}.")
    return head, rows, notes
