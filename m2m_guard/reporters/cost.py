"""Renderers of the cost report (`m2m-guard cost`): text, json, csv and markdown.

Requests are marked ``projected`` when they come from the access-token lifetime (one token per
TTL, a lower bound) rather than from observed usage.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from m2m_guard.cost import CostReport, PoolLine, usd
from m2m_guard.model import human_duration, plural

COLUMNS = (
    "pool",
    "m2m_clients",
    "token_requests_month",
    "requests_basis",
    "clients_usd",
    "requests_usd",
    "monthly_usd",
    "budget_usd",
    "over_budget",
    "unused_clients",
    "unused_usd",
    "ttl_for_budget",
    "caching_requests_month",
    "caching_usd",
)


def _row(line: PoolLine) -> dict[str, Any]:
    cost, plan = line.cost, line.plan
    return {
        "pool": line.pool.label,
        "pool_key": line.pool.key,
        "m2m_clients": cost.client_count,
        "token_requests_month": round(cost.requests_month, 1),
        "requests_basis": line.basis,
        "clients_usd": round(cost.clients_usd, 2),
        "requests_usd": round(cost.requests_usd, 2),
        "monthly_usd": round(cost.total_usd, 2),
        "budget_usd": line.budget_usd,
        "over_budget": line.over_budget,
        "unknown_requests_clients": len(cost.unknown),
        "uncertain_m2m_clients": line.uncertain,
        "unused_clients": [c.location.name for c in plan.unused],
        "unused_usd": round(plan.unused_usd, 2),
        "ttl_for_budget": human_duration(plan.ttl_seconds) if plan.ttl_seconds else None,
        "ttl_for_budget_seconds": plan.ttl_seconds,
        "caching_requests_month": round(plan.caching_requests, 1),
        "caching_usd": round(plan.caching_usd, 2),
    }


def render_json(report: CostReport) -> str:
    pricing = report.pricing
    document = {
        "pools": [_row(line) for line in report.pools],
        "total_monthly_usd": round(report.total_usd, 2),
        "pricing": {
            "app_client_month_usd": pricing.app_client_month_usd,
            "token_request_usd": pricing.token_request_usd,
            "token_request_tiers": [{"up_to": t.up_to, "usd": t.usd} for t in pricing.token_request_tiers],
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_csv(report: CostReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in report.pools:
        row = _row(line)
        row["unused_clients"] = " ".join(row["unused_clients"])
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else value


def _requests(line: PoolLine) -> str:
    text = f"{line.cost.requests_month:,.0f}"
    if line.cost.unknown:
        text = f"≥ {text}"
    return text


def _basis(line: PoolLine) -> str:
    return line.basis.replace("+", " + ")


def _table(report: CostReport) -> tuple[list[str], list[list[str]]]:
    head = ["Pool", "M2M clients", "Token requests/month", "Basis", "Clients", "Requests", "Total", "Budget"]
    rows = []
    for line in report.pools:
        budget = (
            "" if line.budget_usd is None else usd(line.budget_usd) + (" (over)" if line.over_budget else "")
        )
        rows.append(
            [
                line.pool.label,
                str(line.cost.client_count),
                _requests(line),
                _basis(line),
                usd(line.cost.clients_usd),
                usd(line.cost.requests_usd),
                usd(line.cost.total_usd),
                budget,
            ]
        )
    return head, rows


def _savings(report: CostReport, code: Callable[[str], str]) -> list[str]:
    items = []
    for line in report.pools:
        plan, name = line.plan, code(line.pool.label)
        if plan.unused:
            names = ", ".join(code(c.location.name) for c in plan.unused)
            items.append(
                f"{name}: delete {len(plan.unused)} unused client{'' if len(plan.unused) == 1 else 's'} "
                f"({names}): saves {usd(plan.unused_usd)}"
            )
        if plan.ttl_seconds:
            items.append(
                f"{name}: an access-token TTL of {human_duration(plan.ttl_seconds)} brings it under budget"
            )
        if plan.caching_requests >= 1:
            items.append(
                f"{name}: caching tokens until they expire avoids {plan.caching_requests:,.0f} requests "
                f"a month: saves {usd(plan.caching_usd)}"
            )
        if line.cost.unknown:
            items.append(
                f"{name}: the requests of {plural(len(line.cost.unknown), 'client')} are unknown "
                "(TTL unknown)"
            )
        if line.uncertain:
            items.append(
                f"{name}: {plural(line.uncertain, 'client')} may be M2M (flows unknown) and are not counted"
            )
    return items


def render_text(report: CostReport) -> str:
    if not report.pools:
        return "No M2M app clients found.\n"
    head, rows = _table(report)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    numeric = {1, 2, 4, 5, 6, 7}

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [fmt(head), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]
    count = sum(p.cost.client_count for p in report.pools)
    lines.append(f"\nTotal: {usd(report.total_usd)} a month for {count} M2M clients.")
    savings = _savings(report, str)
    if savings:
        lines += ["", "Savings:", *(f"  - {item}" for item in savings)]
    lines.append(_footnote(report))
    return "\n".join(lines) + "\n"


def render_markdown(report: CostReport) -> str:
    if not report.pools:
        return "No M2M app clients found.\n"

    def code(text: str) -> str:
        return "`" + text.replace("`", "'") + "`"

    head, rows = _table(report)
    align = ["---", "---:", "---:", "---", "---:", "---:", "---:", "---:"]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        row[0] = code(row[0])
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    out.append(f"\n**Total: {usd(report.total_usd)} a month.**")
    savings = _savings(report, code)
    if savings:
        out += ["", "Savings:", "", *(f"- {item}" for item in savings)]
    out.append("\n" + _footnote(report))
    return "\n".join(out) + "\n"


def _footnote(report: CostReport) -> str:
    pricing = report.pricing
    price = "tiered" if pricing.token_request_tiers else f"${pricing.token_request_usd:g} per token request"
    return (
        f"Prices: ${pricing.app_client_month_usd:,.2f} per M2M app client a month, {price}. "
        "Projected requests assume one token per access-token lifetime (730 h / TTL), a lower bound."
    )


RENDERERS: dict[str, Callable[[CostReport], str]] = {
    "text": render_text,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}
