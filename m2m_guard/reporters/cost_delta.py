"""Renderers of a cost delta (``m2m-guard cost --baseline REF``, ``m2m-guard cost diff``): text,
json and markdown (a pull-request comment: the total change first, then a table).

The table has a row per pool whose cost or clients changed, one row for the pools that did not
change (so that the Before and After columns still add up to the totals), and the total row;
then the clients added, removed and changed. Every amount is as the cost report shows it, to the
cent: a pool's change is its total after minus its total before, and the total change is the sum
of the rows' changes.

Names come from pull requests (file names, logical ids, Terraform ``for_each`` keys, client
names, git revisions), so each format shows them through :mod:`m2m_guard.reporters.safe`, as
the cost report does: markdown in code spans they cannot leave (no HTML, link, image or mention),
text with control and bidi characters escaped, json scrubbed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from m2m_guard.cost import CostReport
from m2m_guard.cost_delta import (
    WORK_TREE,
    ClientChange,
    CostDelta,
    PoolDelta,
    Priced,
    PricedClient,
    PricedPool,
)
from m2m_guard.model import human_duration, plural, usd
from m2m_guard.reporters.cost import (
    lambda_used_by,
    markdown_table,
    named_pricing,
    price_table_text,
    text_table,
)
from m2m_guard.reporters.cost_bill import signed_usd
from m2m_guard.reporters.safe import dump_json, markdown_code, printable

Name = Callable[[str], str]


def price_table(report: CostReport) -> str:
    """The price table a cost report used, as its json's ``pricing.description`` says it."""
    return price_table_text(report.pricing, lambda_used_by(report))


def _signed_count(count: int) -> str:
    return f"{count:+,}" if count else "0"


def _amount(value: Decimal, at_least: bool) -> str:
    return ("at least " if at_least else "") + usd(value)


def _side(pool: PricedPool | None, at_least: bool = False) -> str:
    return usd(Decimal(0)) if pool is None else _amount(pool.monthly_usd, pool.at_least or at_least)


def _arrow(before: str, after: str) -> str:
    return before if before == after else f"{before} → {after}"


def _count(pool: PricedPool | None) -> str:
    return "0" if pool is None else str(pool.m2m_clients)


def _requests(pool: PricedPool | None) -> str:
    if pool is None:
        return "0"
    return ("≥ " if pool.at_least else "") + f"{pool.requests_month:,}"


def _headline(delta: CostDelta) -> str:
    change = delta.change_usd
    before = _amount(delta.before.total_usd, delta.before.at_least)
    after = _amount(delta.after.total_usd, delta.after.at_least)
    pools = plural(len(delta.changed), "pool")
    if not change and not delta.changed:
        return f"Monthly M2M cost: no change ({after})."
    what = "no change" if not change else f"{signed_usd(change)} a month"
    return f"Monthly M2M cost: {what} ({before} → {after}), {pools} changed."


def _table(delta: CostDelta, name: Name) -> tuple[list[str], list[list[str]]]:
    head = ["Pool", "M2M clients", "Token requests/month", "Before", "After", "Change"]
    rows = []
    for pool in delta.changed:
        status = {"added": " (new)", "removed": " (gone)"}.get(pool.status, "")
        rows.append(
            [
                name(pool.label) + status,
                _arrow(_count(pool.before), _count(pool.after)),
                _arrow(_requests(pool.before), _requests(pool.after)),
                _side(pool.before),
                _side(pool.after),
                signed_usd(pool.change_usd),
            ]
        )
    same = delta.unchanged
    if same:
        total = sum((p.after_usd for p in same), Decimal(0))
        at_least = any(p.after is not None and p.after.at_least for p in same)
        clients = sum(p.after.m2m_clients for p in same if p.after)
        rows.append(
            [
                f"{plural(len(same), 'other pool')}, unchanged",
                str(clients),
                "",
                _amount(total, at_least),
                _amount(total, at_least),
                usd(Decimal(0)),
            ]
        )
    before_clients = sum(p.m2m_clients for p in delta.before.pools)
    after_clients = sum(p.m2m_clients for p in delta.after.pools)
    rows.append(
        [
            "Total",
            _arrow(str(before_clients), str(after_clients)),
            "",
            _amount(delta.before.total_usd, delta.before.at_least),
            _amount(delta.after.total_usd, delta.after.at_least),
            signed_usd(delta.change_usd),
        ]
    )
    return head, rows


def _ttl(seconds: int | None) -> str:
    return "unknown" if seconds is None else human_duration(seconds)


def _client_requests(client: PricedClient) -> str:
    if client.requests_month is None:
        return "token requests unknown"
    return plural(client.requests_month, f"{client.basis} token request", grouped=True) + " a month"


def _change_text(change: ClientChange, name: Name) -> str:
    was, now = change.before, change.after
    if was is None or now is None:
        side = now or was
        assert side is not None
        unused = ", unused" if side.unused else ""
        verb = "added" if was is None else "removed"
        return f"{verb} {name(side.label)} (TTL {_ttl(side.ttl_seconds)}: {_client_requests(side)}{unused})"
    parts = []
    if was.ttl_seconds != now.ttl_seconds:
        parts.append(f"TTL {_ttl(was.ttl_seconds)} → {_ttl(now.ttl_seconds)}")
    if (was.requests_month, was.basis) != (now.requests_month, now.basis):
        if was.basis == now.basis and was.requests_month is not None and now.requests_month is not None:
            counts = f"{was.requests_month:,} → {now.requests_month:,}"
            parts.append(f"{counts} {now.basis} token requests a month")
        else:
            parts.append(f"{_client_requests(was)} → {_client_requests(now)}")
    if was.unused != now.unused:
        parts.append("now unused" if now.unused else "now used")
    return f"changed {name(now.label)}: {'; '.join(parts)}"


def _changes(delta: CostDelta, name: Name) -> list[str]:
    items = []
    for pool in delta.changed:
        if pool.changes is None:
            items.append(f"{name(pool.label)}: which clients changed is unknown (a report lists no clients)")
            continue
        items.extend(f"{name(pool.label)}: {_change_text(c, name)}" for c in pool.changes)
    return items


def _source(priced: Priced, name: Name) -> str:
    return "the work tree" if priced.source == WORK_TREE else name(priced.source)


def _prices(priced: Priced, name: Name) -> str:
    """The price table of a side: the policy's file named as ``name`` names it; the phrase of a
    saved report is text from a file, so it is a name too."""
    if priced.pricing is None:
        return name(priced.price_table)
    return price_table_text(named_pricing(priced.pricing, name), priced.lambda_used)


def _footnote(delta: CostDelta, name: Name) -> str:
    before, after = _prices(delta.before, name), _prices(delta.after, name)
    prices = f"Prices: {after}." if before == after else f"Prices before: {before}; after: {after}."
    return (
        f"Before: {_source(delta.before, name)}; after: {_source(delta.after, name)}. Pools match by "
        "their key, clients by logical id, Terraform address or ClientId: a renamed resource is "
        f'removed and added. {prices} "At least": with projected requests (one token per '
        "access-token lifetime) or unknown ones, a lower bound; the change is that of the amounts shown."
    )


#: Columns aligned right.
NUMERIC = frozenset({"M2M clients", "Token requests/month", "Before", "After", "Change"})


def render_text(delta: CostDelta) -> str:
    lines = [_headline(delta)]
    if delta.before.pools or delta.after.pools:
        lines += ["", *text_table(*_table(delta, printable), NUMERIC)]
    changes = _changes(delta, printable)
    if changes:
        lines += ["", "Clients:", *(f"  - {item}" for item in changes)]
    lines += ["", _footnote(delta, printable)]
    return "\n".join(lines) + "\n"


def render_markdown(delta: CostDelta) -> str:
    out = [f"**{_headline(delta)}**"]
    if delta.before.pools or delta.after.pools:
        head, rows = _table(delta, markdown_code)
        rows[-1] = [f"**{cell}**" if cell else cell for cell in rows[-1]]
        out += ["", *markdown_table(head, rows, NUMERIC)]
    changes = _changes(delta, markdown_code)
    if changes:
        out += ["", *(f"- {item}" for item in changes)]
    out += ["", f"<sub>{_footnote(delta, markdown_code)}</sub>"]
    return "\n".join(out) + "\n"


def _pool_json(pool: PricedPool | None) -> dict[str, Any] | None:
    if pool is None:
        return None
    return {
        "m2m_clients": pool.m2m_clients,
        "token_requests_month": pool.requests_month,
        "clients_usd": pool.clients_usd,
        "requests_usd": pool.requests_usd,
        "lambda_usd": pool.lambda_usd,
        "monthly_usd": pool.monthly_usd,
        "monthly_usd_at_least": pool.at_least,
    }


def _client_json(client: PricedClient | None) -> dict[str, Any] | None:
    if client is None:
        return None
    return {
        "path": client.path,
        "ttl_seconds": client.ttl_seconds,
        "token_requests_month": client.requests_month,
        "requests_basis": client.basis,
        "unused": client.unused,
    }


def _delta_json(pool: PoolDelta) -> dict[str, Any]:
    changes = pool.changes
    return {
        "pool": pool.label,
        "pool_key": pool.key,
        "status": pool.status,
        "before": _pool_json(pool.before),
        "after": _pool_json(pool.after),
        "change": {
            "m2m_clients": pool.count_change("m2m_clients"),
            "token_requests_month": pool.count_change("requests_month"),
            "clients_usd": pool.item_change("clients_usd"),
            "requests_usd": pool.item_change("requests_usd"),
            "lambda_usd": pool.item_change("lambda_usd"),
            "monthly_usd": pool.change_usd,
        },
        "clients": None
        if changes is None
        else [
            {
                "client": c.label,
                "client_key": (c.after or c.before).key,  # type: ignore[union-attr]
                "change": c.kind,
                "before": _client_json(c.before),
                "after": _client_json(c.after),
            }
            for c in changes
        ],
    }


def render_json(delta: CostDelta) -> str:
    def side(priced: Any) -> dict[str, Any]:
        return {
            "source": priced.source or None,  # null: the work tree
            "total_monthly_usd": priced.total_usd,
            "total_monthly_usd_at_least": priced.at_least,
            "m2m_clients": sum(p.m2m_clients for p in priced.pools),
            "price_table": priced.price_table,
        }

    document = {
        "before": side(delta.before),
        "after": side(delta.after),
        "change_monthly_usd": delta.change_usd,
        "pools": [_delta_json(p) for p in delta.pools],
    }
    return dump_json(document, sort_keys=False)


RENDERERS: dict[str, Callable[[CostDelta], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
