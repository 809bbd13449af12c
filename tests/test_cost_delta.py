"""Cost deltas, pure: matching pools and clients, the figures to the cent, every format, and
names from pull requests that cannot change the comment's markdown.

The property test draws two random sides (price tables, pools customizing M2M tokens or not,
clients with TTLs, unknown TTLs, usage, clients that can never get a token; the two sides share
pool and client names, so pools and clients are added, removed, changed and kept) and checks
that every column of every format adds up to the cent: a pool's change is its total after minus
its total before, the line items' changes add up to it, the Before and After columns add up to
the totals, and the total change is the sum of the rows. And that comparing two saved json
reports (``cost diff``) gives the same delta as comparing the reports themselves.
"""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from m2m_guard.cost_delta import WORK_TREE, DeltaInputError, compare, from_json, from_report
from m2m_guard.engine import cost_report
from m2m_guard.model import AppClient, Location, Pool
from m2m_guard.policy import load_policy
from m2m_guard.reporters.cost import RENDERERS as COST_RENDERERS
from m2m_guard.reporters.cost_delta import RENDERERS, price_table
from tests.reporters.markdown import CODE, skeleton, table_cells
from tests.reporters.support import HOSTILE_NAMES
from tests.rules.clients import m2m, used
from tests.test_cost_cents import PROFILE, build, money, scenarios

POLICY = load_policy("p.yaml", "version: 1\nrules: []\n")
POOL = Pool(key="infra/auth.yaml#UserPool", label="UserPool", names=("UserPool",), settings={})
OTHER = Pool(key="infra/billing.yaml#BillingPool", label="BillingPool", names=("BillingPool",), settings={})


def client(name: str, *, minutes: int = 60, pool: Pool = POOL, **changes: Any) -> AppClient:
    built = m2m(
        ClientName=name,
        AccessTokenValidity=minutes,
        TokenValidityUnits={"AccessToken": "minutes"},
        pool=pool,
        logical_id=name,
        **changes,
    )
    return dataclasses.replace(
        built, location=dataclasses.replace(built.location, path=pool.key.split("#")[0])
    )


def delta_of(before: list[AppClient], after: list[AppClient]) -> Any:
    old, new = cost_report(POLICY, before), cost_report(POLICY, after)
    return compare(
        from_report(old, "main (abc)", price_table(old)), from_report(new, WORK_TREE, price_table(new))
    )


BASE = [client("SyncClient"), client("IdleClient", usage=used(0)), client("Billing", pool=OTHER)]


def test_a_client_with_a_five_minute_ttl_costs_its_fee_and_its_projected_requests() -> None:
    delta = delta_of(BASE, [*BASE, client("FastClient", minutes=5)])
    (pool,) = delta.changed
    assert pool.label == "UserPool" and pool.status == "changed"
    # one more client (6.00); 730 h / 5 min = 8,760 more requests a month at 0.00225 = 19.71
    assert pool.item_change("clients_usd") == D("6.00")
    assert pool.count_change("requests_month") == 8760
    assert pool.item_change("requests_usd") == D("19.71")
    assert pool.change_usd == delta.change_usd == D("25.71")
    (change,) = pool.changes
    assert (change.kind, change.label, change.after.ttl_seconds) == ("added", "FastClient", 300)
    assert change.after.requests_month == 8760 and change.after.basis == "projected"
    assert delta.after.total_usd - delta.before.total_usd == D("25.71")


def test_deleting_an_unused_client_saves_its_fee() -> None:
    delta = delta_of(BASE, [c for c in BASE if c.location.name != "IdleClient"])
    (pool,) = delta.changed
    assert pool.change_usd == delta.change_usd == D("-6.00")
    (change,) = pool.changes
    assert (change.kind, change.label, change.before.unused) == ("removed", "IdleClient", True)
    text = RENDERERS["text"](delta)
    assert text.startswith("Monthly M2M cost: -$6.00 a month (at least $") and "1 pool changed" in text
    assert "removed IdleClient (TTL 1 hour: 0 observed token requests a month, unused)" in text


def test_a_ttl_change_and_a_renamed_client() -> None:
    after = [client("SyncClient", minutes=15), client("Idle2", usage=used(0)), BASE[2]]
    delta = delta_of(BASE, after)
    (pool,) = delta.changed
    kinds = sorted((c.kind, c.label) for c in pool.changes)
    # renamed: removed and added; the TTL: changed, 730 -> 2,920 requests
    assert kinds == [("added", "Idle2"), ("changed", "SyncClient"), ("removed", "IdleClient")]
    text = RENDERERS["text"](delta)
    assert "changed SyncClient: TTL 1 hour → 15 minutes; 730 → 2,920 projected token requests a month" in text


def test_pools_added_and_removed_and_unchanged_rows_add_up() -> None:
    new_pool = Pool(key="infra/new.yaml#NewPool", label="NewPool", names=("NewPool",), settings={})
    delta = delta_of(BASE, [BASE[0], BASE[1], client("N", pool=new_pool)])
    status = {p.label: p.status for p in delta.pools}
    assert status == {"BillingPool": "removed", "NewPool": "added", "UserPool": "unchanged"}
    text = RENDERERS["text"](delta)
    assert "BillingPool (gone)" in text and "NewPool (new)" in text and "1 other pool, unchanged" in text
    assert delta.change_usd == D(0)  # one pool for another, at the same price
    assert text.startswith("Monthly M2M cost: no change (at least $")


def test_nothing_changed() -> None:
    delta = delta_of(BASE, BASE)
    assert not delta.changed and delta.change_usd == 0
    assert RENDERERS["markdown"](delta).startswith("**Monthly M2M cost: no change (at least $")


def test_clients_of_one_name_in_one_pool_pair_by_file() -> None:
    shared = Pool.of_id("eu-west-1_Ab12")
    one = client("Api", pool=shared)
    a = dataclasses.replace(one, location=Location("a.yaml", logical_id="Api"))
    b = dataclasses.replace(one, location=Location("b.yaml", logical_id="Api"))
    b_fast = dataclasses.replace(client("Api", pool=shared, minutes=5), location=b.location)
    delta = delta_of([a, b], [b_fast, a])
    (pool,) = delta.changed
    (change,) = pool.changes
    assert change.kind == "changed" and change.after.path == "b.yaml"


# -- saved reports (cost diff) --------------------------------------------------------------------


def saved(clients: list[AppClient]) -> Any:
    return json.loads(COST_RENDERERS["json"](cost_report(POLICY, clients)))


def test_the_cost_report_json_lists_each_pools_clients() -> None:
    (pool, _) = sorted(saved(BASE)["pools"], key=lambda p: p["pool"] != "UserPool")
    assert pool["clients"] == [
        {
            "client": "IdleClient",
            "client_key": "IdleClient",
            "path": "infra/auth.yaml",
            "ttl_seconds": 3600,
            "token_requests_month": 0,
            "requests_basis": "observed",
            "unused": True,
        },
        {
            "client": "SyncClient",
            "client_key": "SyncClient",
            "path": "infra/auth.yaml",
            "ttl_seconds": 3600,
            "token_requests_month": 730,
            "requests_basis": "projected",
            "unused": False,
        },
    ]


def test_saved_reports_compare_as_the_reports_do() -> None:
    after = [*BASE, client("FastClient", minutes=5)]
    direct = delta_of(BASE, after)
    from_files = compare(from_json(saved(BASE), "main (abc)"), from_json(saved(after), WORK_TREE))
    assert RENDERERS["text"](from_files) == RENDERERS["text"](direct)
    assert json.loads(RENDERERS["json"](from_files)) == json.loads(RENDERERS["json"](direct))


def test_a_saved_report_without_clients_still_compares() -> None:
    old = saved(BASE)
    for pool in old["pools"]:
        del pool["clients"]  # as older versions wrote it
    delta = compare(from_json(old, "old.json"), from_json(saved([*BASE, client("X")]), "new.json"))
    # 6.00, and the pool's requests line goes from $1.64 (730 requests) to $3.29 (1,460): as shown
    assert delta.change_usd == D("7.65")
    assert "which clients changed is unknown" in RENDERERS["text"](delta)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: [], "not a cost report (m2m-guard cost --format json): no list of pools"),
        (lambda d: {"pools": []}, "not a cost report (m2m-guard cost --format json): no total_monthly_usd"),
        (lambda d: d["pools"].append(7) or d, "pools[2] is not an object"),
        (
            lambda d: d["pools"][0].update(clients_usd="lots") or d,
            "pools[0].clients_usd is not an amount: 'lots'",
        ),
        (
            lambda d: d["pools"][0].update(clients_usd="NaN") or d,
            "pools[0].clients_usd is not a finite amount",
        ),
        (lambda d: d["pools"][0].update(m2m_clients=-1) or d, "pools[0].m2m_clients is not a whole number"),
        (
            lambda d: d["pools"][0].update(monthly_usd="1.00") or d,
            "pools[0].monthly_usd is 1.00, not the sum",
        ),
        (
            lambda d: d.update(total_monthly_usd="1.00") or d,
            "total_monthly_usd is 1.00, not the sum of its pools",
        ),
        (
            lambda d: d["pools"].append(d["pools"][0]) or d,
            "pools[2]: pool 'infra/billing.yaml#BillingPool' appears",
        ),
        (
            lambda d: d["pools"][0]["clients"][0].pop("client_key") and d,
            "pools[0].clients[0].client_key is not",
        ),
    ],
)
def test_a_report_that_is_not_a_cost_report_is_refused(edit: Any, message: str) -> None:
    with pytest.raises(DeltaInputError) as caught:
        from_json(edit(saved(BASE)), "x.json")
    assert str(caught.value).startswith(message), caught.value


# -- names from pull requests ---------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_names_cannot_change_the_markdown(name: str) -> None:
    def side(label: str, extra: bool) -> list[AppClient]:
        pool = Pool(key=f"infra/{label}#P", label=label, names=(label,), settings={})
        clients = [client(label, pool=pool), client(f"{label}-2", pool=pool, minutes=5)]
        return clients + ([client(f"{label}-new", pool=pool, minutes=10)] if extra else [])

    def comment(label: str) -> str:
        old, new = cost_report(POLICY, side(label, False)), cost_report(POLICY, side(label, True))
        return RENDERERS["markdown"](
            compare(
                from_report(old, f"{label}-ref", price_table(old)),
                from_report(new, WORK_TREE, price_table(new)),
            )
        )

    hostile, plain = comment(name), comment("plain")
    shape, spans = skeleton(hostile)
    assert shape == skeleton(plain)[0]  # the same lines, cells and text around the names
    assert "\n\n\n" not in hostile and "<!--" not in "".join(shape)
    outside = "".join(shape).replace(CODE, "").replace("<sub>", "").replace("</sub>", "")  # ours
    for raw in ("<", "@", "](", "\x1b", "\u202e"):
        assert raw not in outside, raw
    assert all("\n" not in span and "\x1b" not in span for span in spans)
    rows = [line for line in hostile.splitlines() if line.startswith("|")]
    assert len({len(table_cells(row)) for row in rows}) == 1  # no name splits a row


# -- every column adds up to the cent -------------------------------------------------------------


@PROFILE
@given(scenarios(), scenarios(), st.booleans())
def test_every_format_of_a_delta_adds_up_to_the_cent(first: Any, second: Any, saved_reports: bool) -> None:
    policy = load_policy("p.yaml", _policy_text(first))
    old_clients, _ = build(first)
    new_clients, _ = build(second)
    old, new = cost_report(policy, old_clients), cost_report(policy, new_clients)
    if saved_reports:  # cost diff: through the json of each report
        delta = compare(
            from_json(json.loads(COST_RENDERERS["json"](old)), "before.json"),
            from_json(json.loads(COST_RENDERERS["json"](new)), "after.json"),
        )
    else:
        delta = compare(
            from_report(old, "main", price_table(old)), from_report(new, WORK_TREE, price_table(new))
        )
    assert delta.before.total_usd == old.total_usd and delta.after.total_usd == new.total_usd

    data = json.loads(RENDERERS["json"](delta))
    change = D(data["change_monthly_usd"])
    assert change == D(data["after"]["total_monthly_usd"]) - D(data["before"]["total_monthly_usd"])
    assert change == sum((D(p["change"]["monthly_usd"]) for p in data["pools"]), D(0))
    for pool in data["pools"]:
        moved = pool["change"]
        items = D(moved["clients_usd"]) + D(moved["requests_usd"]) + D(moved["lambda_usd"])
        assert items == D(moved["monthly_usd"]), pool
        before = D(pool["before"]["monthly_usd"]) if pool["before"] else D(0)
        after = D(pool["after"]["monthly_usd"]) if pool["after"] else D(0)
        assert D(moved["monthly_usd"]) == after - before
    for side in ("before", "after"):
        pools = [p[side] for p in data["pools"] if p[side]]
        assert sum((D(p["monthly_usd"]) for p in pools), D(0)) == D(data[side]["total_monthly_usd"])

    for fmt in ("text", "markdown"):
        out = RENDERERS[fmt](delta)
        rows = _table_rows(out, fmt)
        if not rows:
            continue
        *pools, total = rows
        for column in range(3):  # Before, After, Change
            assert sum((row[column] for row in pools), D(0)) == total[column], (fmt, column, out)
        for before, after, moved in rows:
            assert after - before == moved
        headline = out.splitlines()[0].split("(")[0]  # the total change first
        assert money(headline) == ([abs(change)] if change else []), headline
        assert ("+$" in headline) == (change > 0) and ("-$" in headline) == (change < 0)


def _policy_text(scenario: Any) -> str:
    from tests.test_cost_cents import policy_text

    return policy_text(scenario)


_SIGNED = re.compile(r"([+-]?)\$([0-9,]+\.[0-9]{2})")


def _amounts(cells: list[str]) -> list[D]:
    out = []
    for cell in cells:
        match = _SIGNED.search(cell)
        assert match, cells
        out.append(D(match[1] + match[2].replace(",", "")))
    return out


def _table_rows(out: str, fmt: str) -> list[list[D]]:
    """The Before, After and Change amounts of each row of the table (the total row last)."""
    if fmt == "markdown":
        lines = [line for line in out.splitlines() if line.startswith("| ") and "$" in line]
        return [_amounts(table_cells(line)[-3:]) for line in lines]
    lines = out.splitlines()
    if len(lines) < 3 or not lines[2].startswith("Pool "):
        return []  # no pool at either side: no table
    rows = []
    for line in lines[4:]:
        if not line.strip():
            break
        rows.append(_amounts(re.split(r"\s{2,}", line.strip())[-3:]))
    return rows
