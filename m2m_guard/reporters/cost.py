"""Renderers of the cost report (`m2m-guard cost`): text, json, csv and markdown.

Requests are marked ``projected`` when they come from the access-token lifetime (one token per
TTL, a lower bound) rather than from observed usage. A total that includes projected or unknown
requests is a lower bound too: every format says "at least" (json and csv in a field of its own).
Pools and clients read from a sweep are named with their pool name or ClientName beside the ids,
and the account and region. Every format says which price table was used (m2m-guard's defaults
with the date they were checked, or the policy's) and which default figures are unconfirmed.

Names come from pull requests (logical ids, Terraform ``for_each`` keys, client and file names),
and the markdown is meant for a pull-request comment, so each format shows them through
:mod:`m2m_guard.reporters.safe`: text with control and bidi characters escaped; markdown with
every name from the inputs (pool, client, account, region, policy file) in a code span it cannot
leave, pipes escaped in table cells; csv with text cells that start like a formula prefixed with
``'`` (numbers stay numbers); json scrubbed, with ``null`` for a number that is not finite.

Amounts are exact decimals, each line item rounded half-up to the cent (m2m_guard/cost.py), so
the columns add up in every format: json writes them as strings (``"21.29"``, prices as
written, ``"0.00225"``) so that no reader turns them into binary floating point; csv writes the
same digits bare, so spreadsheets still read numbers.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from m2m_guard.cost import CostReport, PoolLine, client_label
from m2m_guard.cost_delta import client_rows
from m2m_guard.model import human_duration, plural, usd
from m2m_guard.pricing import (
    DEFAULT_PRICES_CHECKED,
    LAMBDA_KEYS,
    LAMBDA_PRICES_CHECKED,
    LAMBDA_PRICING_PAGE,
    PRICING_PAGE,
    Pricing,
    cents,
    price_text,
)
from m2m_guard.reporters.cost_bill import Name, bill_table, pool_cell, reconciliation_json
from m2m_guard.reporters.safe import csv_text, dump_json, finite, markdown_cell, markdown_code, printable

#: How one format shows a name from the inputs.

COLUMNS = (
    "pool",
    "pool_name",
    "account",
    "region",
    "m2m_clients",
    "token_requests_month",
    "requests_basis",
    "clients_usd",
    "requests_usd",
    "monthly_usd",
    "monthly_usd_at_least",
    "budget_usd",
    "over_budget",
    "unused_clients",
    "unused_usd",
    "ttl_for_budget",
    "caching_requests_month",
    "caching_usd",
    "price_table",
    "customizes_m2m_tokens",
    "lambda_usd",
)


def named_pricing(pricing: Pricing, name: Name) -> Pricing:
    """``pricing`` with its policy's file name shown as ``name`` shows names."""
    return dataclasses.replace(pricing, policy=name(pricing.policy)) if pricing.policy else pricing


def price_table_text(pricing: Pricing, lambda_used: bool = False) -> str:
    """The price table in one cell: which one, and which of its default figures are unconfirmed."""
    unconfirmed = pricing.unconfirmed()
    return pricing.table(lambda_used) + (f"; unconfirmed: {'; '.join(unconfirmed)}" if unconfirmed else "")


def lambda_used_by(report: CostReport) -> bool:
    """Whether some pool's total includes Lambda invocations (its M2M tokens are customized)."""
    return any(line.cost.customizes is True for line in report.pools)


def _customizes(line: PoolLine) -> bool | None:
    """Whether the pool customizes M2M access tokens; None when unknown."""
    value = line.cost.customizes
    return value if isinstance(value, bool) else None


def _row(line: PoolLine, pricing: Pricing, lambda_used: bool = False) -> dict[str, Any]:
    cost, plan, place = line.cost, line.plan, line.place
    return {
        "pool": line.pool.label,
        "pool_key": line.pool.key,
        "pool_name": place.name if place else None,
        "account": place.account if place else None,
        "region": place.region if place else None,
        "m2m_clients": cost.client_count,
        "token_requests_month": cost.requests_month,
        "requests_basis": line.basis,
        "clients_usd": cost.clients_usd,
        "requests_usd": cost.requests_usd,
        "monthly_usd": cost.total_usd,
        "monthly_usd_at_least": cost.at_least,
        "budget_usd": _budget(line.budget_usd),
        "over_budget": line.over_budget,
        "unknown_requests_clients": len(cost.unknown),
        "uncertain_m2m_clients": line.uncertain,
        "unused_clients": [client_label(c) for c in plan.unused],
        "unused_usd": plan.unused_usd,
        "ttl_for_budget": human_duration(plan.ttl_seconds) if plan.ttl_seconds else None,
        "ttl_for_budget_seconds": plan.ttl_seconds,
        "caching_requests_month": plan.caching_requests,
        "caching_usd": plan.caching_usd,
        "price_table": price_table_text(pricing, lambda_used),
        "customizes_m2m_tokens": _customizes(line),
        # None when unknown whether token requests invoke a Lambda trigger, never 0
        "lambda_usd": None if cost.lambda_unknown else cost.lambda_usd,
        "lambda_unknown": cost.lambda_unknown,
    }


def _budget(budget: Decimal | None) -> Decimal | None:
    """A budget in cents like the amounts (``40`` -> ``40.00``), or as written if finer."""
    if budget is None or not budget.is_finite():
        return budget
    shown = cents(budget)
    return shown if shown == budget else budget


def render_json(report: CostReport) -> str:
    pricing, lambda_used = report.pricing, lambda_used_by(report)
    document = {
        # each pool with its clients, so that `cost diff` can tell which ones changed
        "pools": [
            {**_row(line, pricing, lambda_used), "clients": client_rows(line)} for line in report.pools
        ],
        "total_monthly_usd": report.total_usd,
        "total_monthly_usd_at_least": report.at_least,
        "pricing": _pricing_json(pricing, lambda_used),
    }
    if report.reconciliation is not None:
        document["reconciliation"] = reconciliation_json(report.reconciliation)
    return dump_json(document, sort_keys=False)


def _pricing_json(pricing: Pricing, lambda_used: bool) -> dict[str, Any]:
    # the keys whose figures this report used (the Lambda ones only if a pool pays invocations)
    replaced = [k for k in pricing.replaced() if lambda_used or k not in LAMBDA_KEYS]
    return {
        "app_client_month_usd": pricing.app_client_month_usd,
        "token_request_usd": pricing.token_request_usd,
        "token_request_tiers": [{"up_to": t.up_to, "usd": t.usd} for t in pricing.token_request_tiers],
        "lambda_request_usd": pricing.lambda_request_usd,
        "lambda_gb_second_usd": pricing.lambda_gb_second_usd,
        "lambda_memory_mb": pricing.lambda_memory_mb,
        "lambda_duration_ms": pricing.lambda_duration_ms,
        "lambda_defaults_checked": LAMBDA_PRICES_CHECKED if lambda_used else None,
        "lambda_defaults_source": LAMBDA_PRICING_PAGE if lambda_used else None,
        "table": ("policy" if pricing.policy else "custom") if replaced else "default",
        "policy": pricing.policy if replaced else None,
        "replaced": replaced,
        "defaults_checked": DEFAULT_PRICES_CHECKED if pricing.defaults_in_use() else None,
        "defaults_source": PRICING_PAGE if pricing.defaults_in_use() else None,
        "unconfirmed": list(pricing.unconfirmed()),
        "description": price_table_text(pricing, lambda_used),
    }


def render_csv(report: CostReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    bill = report.reconciliation
    columns = COLUMNS + (BILL_COLUMNS if bill is not None else ())
    writer.writerow(columns)
    lambda_used = lambda_used_by(report)
    billed = {p.line.pool.key: p for p in bill.pools} if bill is not None else {}
    for line in report.pools:
        row = _row(line, report.pricing, lambda_used)
        row["unused_clients"] = " ".join(row["unused_clients"])
        found = billed.get(line.pool.key)
        row["estimate_usd"] = found.estimate_usd if found else None
        row["billed_usd"] = found.billed_usd if found else None
        row["billed_minus_estimate_usd"] = found.difference_usd if found else None
        writer.writerow([_cell(row[c]) for c in columns])
    return out.getvalue()


#: csv columns of a report with the bill beside it (``cost --usage-from-cur``).
BILL_COLUMNS = ("estimate_usd", "billed_usd", "billed_minus_estimate_usd")


def _cell(value: Any) -> Any:
    """What m2m-guard computes (counts, amounts, true/false) as a number or word; every text,
    which may hold names from the inputs, through :func:`csv_text`."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (float, Decimal)):
        value = finite(value)
    if value is None:
        return ""
    return csv_text(value) if isinstance(value, str) else value


def _requests(line: PoolLine) -> str:
    text = f"{line.cost.requests_month:,.0f}"
    return f"≥ {text}" if line.cost.at_least else text


def _total(line: PoolLine) -> str:
    return ("at least " if line.cost.at_least else "") + usd(line.cost.total_usd)


def _table(report: CostReport, name: Name) -> tuple[list[str], list[list[str]]]:
    """The heading and rows, names shown by ``name`` and everything else m2m-guard's own text."""
    live = any(line.place for line in report.pools)
    lambda_used = lambda_used_by(report)
    head = ["Pool", *(["Account", "Region"] if live else [])]
    head += ["M2M clients", "Token requests/month", "Basis", "Clients", "Requests"]
    head += [*(["Lambda"] if lambda_used else []), "Total", "Budget"]
    rows = []
    for line in report.pools:
        budget = (
            "" if line.budget_usd is None else usd(line.budget_usd) + (" (over)" if line.over_budget else "")
        )
        place = line.place
        where = [name(place.account), name(place.region)] if place else ["", ""]
        rows.append(
            [
                name(pool_cell(line)),
                *(where if live else []),
                str(line.cost.client_count),
                _requests(line),
                line.basis.replace("+", " + "),
                usd(line.cost.clients_usd),
                usd(line.cost.requests_usd),
                *([_lambda_cell(line)] if lambda_used else []),
                _total(line),
                budget,
            ]
        )
    return head, rows


def _lambda_cell(line: PoolLine) -> str:
    cost = line.cost
    if cost.lambda_unknown:
        return "unknown"
    return usd(cost.lambda_usd) if cost.customizes is True else ""


#: Table columns aligned right (the amounts and counts), by heading.
NUMERIC = frozenset(
    {
        "M2M clients",
        "Token requests/month",
        "Clients",
        "Requests",
        "Lambda",
        "Total",
        "Budget",
        "Estimate",
        "Billed",
        "Billed requests",
        "Billed - estimate",
    }
)


def _grand_total(report: CostReport) -> str:
    clients = sum(p.cost.client_count for p in report.pools)
    at_least = "at least " if report.at_least else ""
    return f"Total: {at_least}{usd(report.total_usd)} a month for {plural(clients, 'M2M client')}."


def _savings(report: CostReport, show: Name) -> list[str]:
    items = []
    for line in report.pools:
        plan, name = line.plan, show(pool_cell(line))
        if plan.unused:
            names = ", ".join(show(client_label(c)) for c in plan.unused)
            items.append(
                f"{name}: delete {plural(len(plan.unused), 'unused client')} ({names}): "
                f"saves {usd(plan.unused_usd)}"
            )
        if plan.ttl_seconds:
            items.append(
                f"{name}: an access-token TTL of {human_duration(plan.ttl_seconds)} brings it under budget"
            )
        if plan.caching_requests >= 1:
            avoided = plural(plan.caching_requests, "request", grouped=True)
            items.append(
                f"{name}: caching tokens until they expire avoids {avoided} a month: "
                f"saves {usd(plan.caching_usd)}"
            )
        if line.cost.unknown:
            items.append(
                f"{name}: the requests of {plural(len(line.cost.unknown), 'client')} are unknown "
                "(TTL unknown), so the total is at least what is shown"
            )
        if line.cost.lambda_unknown:
            items.append(
                # the reason may quote the inputs (a pool label, a parameter): json has it
                f"{name}: whether each token request also invokes a Lambda trigger is unknown "
                "(pool settings unknown), so the total is at least what is shown"
            )
        if line.uncertain:
            maybe = plural(line.uncertain, "client")
            verb = "is" if line.uncertain == 1 else "are"
            items.append(f"{name}: {maybe} may be M2M (flows unknown) and {verb} not counted")
    return items


def text_table(head: list[str], rows: list[list[str]], numeric: frozenset[str] = NUMERIC) -> list[str]:
    """Aligned columns, the ``numeric`` ones (by heading) to the right."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if head[i] in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [fmt(head), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def markdown_table(head: list[str], rows: list[list[str]], numeric: frozenset[str] = NUMERIC) -> list[str]:
    """A markdown table, each cell escaped, the ``numeric`` columns aligned right."""
    align = ["---:" if h in numeric else "---" for h in head]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    out.extend("| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows)
    return out


def render_text(report: CostReport) -> str:
    if not report.pools:
        return "No M2M app clients found.\n"
    lines = text_table(*_table(report, printable))
    lines.append("\n" + _grand_total(report))
    savings = _savings(report, printable)
    if savings:
        lines += ["", "Savings:", *(f"  - {item}" for item in savings)]
    if report.reconciliation is not None:
        head, rows, notes = bill_table(report.reconciliation, printable)
        lines += ["", notes[0], *text_table(head, rows), *notes[1:]]
    lines.append(_footnote(report, printable))
    return "\n".join(lines) + "\n"


def render_markdown(report: CostReport) -> str:
    if not report.pools:
        return "No M2M app clients found.\n"

    out = markdown_table(*_table(report, markdown_code))
    out.append(f"\n**{_grand_total(report)}**")
    savings = _savings(report, markdown_code)
    if savings:
        out += ["", "Savings:", "", *(f"- {item}" for item in savings)]
    if report.reconciliation is not None:
        head, rows, notes = bill_table(report.reconciliation, markdown_code)
        out += ["", notes[0], "", *markdown_table(head, rows), "", *notes[1:]]
    out.append("\n" + _footnote(report, markdown_code))
    return "\n".join(out) + "\n"


def _footnote(report: CostReport, name: Name) -> str:
    pricing = named_pricing(report.pricing, name)
    price = (
        "tiered"
        if pricing.token_request_tiers
        else f"${price_text(pricing.token_request_usd)} per token request"
    )
    unconfirmed = pricing.unconfirmed()
    caveat = (
        f" Unconfirmed on AWS's pages ({PRICING_PAGE}): {'; '.join(unconfirmed)}; a policy's "
        "pricing replaces them."
        if unconfirmed
        else ""
    )
    lambda_used = lambda_used_by(report)
    per_client = f"{usd(pricing.app_client_month_usd)} per M2M app client a month"
    return (
        f"Prices: {pricing.table(lambda_used)}: {per_client}, "
        f"{price}.{_lambda_footnote(pricing) if lambda_used else ''}{caveat} "
        "Projected requests assume one token per access-token lifetime (730 h / TTL), a lower bound "
        "(≥): a total that includes them, or unknown requests, is at least the amount shown."
    )


RENDERERS: dict[str, Callable[[CostReport], str]] = {
    "text": render_text,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}


def _lambda_footnote(pricing: Pricing) -> str:
    """What one Lambda invocation is priced at, for reports where a pool pays for some."""
    return (
        " A pool that customizes M2M access tokens pays one Lambda invocation per token request: "
        f"{usd(pricing.lambda_request_usd * 1_000_000)} per million requests + "
        f"${price_text(pricing.lambda_gb_second_usd)} per GB-second at {pricing.lambda_memory_mb} MB "
        f"for {price_text(pricing.lambda_duration_ms)} ms "
        "(memory and duration assumed: set them in the policy's pricing)."
    )
