"""Discovery through ``m2m-guard sweep``: pagination, regions, which clients are M2M, resource
servers, and where results point (the redacted inventory file), in moto in-process and in a
moto server on 127.0.0.1."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reporters.support import github_problems, schema_errors
from tests.sweep.support import (
    ACCOUNT,
    INVENTORY,
    Hooks,
    cognito,
    inventory,
    inventory_clients,
    line_of,
    m2m,
    pool,
    sweep,
    token_auth,
    user_facing,
)

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def populate() -> dict[str, Any]:
    """us-east-1: 61 user pools, one of them with 65 clients; eu-west-1: one pool, two
    clients; ap-southeast-2: nothing. Returns ClientName -> created client."""
    east = cognito("us-east-1")
    for i in range(60):
        pool(east, f"empty-{i:02d}", servers=())
    big = pool(east, "big")
    created = {}
    for i in range(61):
        created[f"svc-{i:02d}"] = m2m(east, big, f"svc-{i:02d}")
    created["svc-long-ttl"] = m2m(east, big, "svc-long-ttl", ttl=(24, "hours"))
    created["svc-undefined"] = m2m(east, big, "svc-undefined", scopes=("inventory/read",))
    created["token-auth"] = token_auth(east, big, "token-auth")
    created["web"] = user_facing(east, big, "web")
    west = cognito("eu-west-1")
    eu = pool(west, "eu")
    created["eu-long"] = m2m(west, eu, "eu-long", ttl=(12, "hours"))
    created["eu-web"] = user_facing(west, eu, "eu-web")
    return created


def record_calls(hooks: Hooks) -> Counter[tuple[str | None, str]]:
    """(region, operation) -> requests the sweep made, retries not counted."""
    calls: Counter[tuple[str | None, str]] = Counter()

    def on_client(service: str, region: str | None, client: Any) -> None:
        def count(model: Any = None, **_: Any) -> None:
            calls[(region, model.name)] += 1

        client.meta.events.register("before-call", count)

    hooks.on_client.append(on_client)
    return calls


def test_sweep_pages_through_pools_and_clients_across_regions(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    created = populate()
    calls = record_calls(hooks)
    run = sweep(capsys, "--regions", ",".join(REGIONS), "--format", "sarif", report="m2m.sarif")
    assert run.code == 1, run.err  # errors found, nothing failed
    assert run.err == ""

    # Every pool and every client, past the 60-per-page limits, one describe per client.
    east = inventory("us-east-1")
    assert len(east["userPools"]) == 61
    assert len(inventory_clients("us-east-1")) == 65
    assert set(inventory_clients("eu-west-1")) == {"eu-long", "eu-web"}
    assert not (INVENTORY / ACCOUNT / "ap-southeast-2.json").exists()  # no user pools, no file
    assert calls[("us-east-1", "ListUserPools")] == 2
    assert calls[("us-east-1", "ListUserPoolClients")] == 60 + 2  # empty pools + 2 pages of 65
    assert calls[("us-east-1", "DescribeUserPoolClient")] == 65
    assert calls[("us-east-1", "ListResourceServers")] == 61
    assert calls[("us-east-1", "DescribeUserPool")] == 61  # one per pool: its feature plan and trigger
    assert calls[("eu-west-1", "DescribeUserPoolClient")] == 2
    assert calls[("ap-southeast-2", "ListUserPools")] == 1
    assert calls[("us-east-1", "GetCallerIdentity")] == 1
    # nothing else: us-east-1, eu-west-1 (1 + 1 + 1 + 1 + 2), ap-southeast-2 (1), the caller (1)
    assert sum(calls.values()) == (2 + 62 + 65 + 61 + 61) + 6 + 1 + 1

    results = run.results()
    reported = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]) for r in results}
    ids = {name: c["ClientId"] for name, c in created.items()}
    assert ("M2M-TTL-MAX", ids["svc-long-ttl"]) in reported
    assert ("M2M-TTL-MAX", ids["eu-long"]) in reported
    # GetClientToken clients are M2M clients too
    assert ("M2M-TTL-MAX", ids["token-auth"]) in reported
    # Resource servers were listed: a scope of a defined server passes, another does not.
    assert ("M2M-UNDEFINED-SCOPES", ids["svc-undefined"]) in reported
    assert not any(rule == "M2M-UNDEFINED-SCOPES" and cid == ids["svc-00"] for rule, cid in reported)
    # Hosted-UI clients, however long their tokens, are never reported.
    assert not {cid for _, cid in reported} & {ids["web"], ids["eu-web"]}
    assert {cid for _, cid in reported} <= {
        ids[n] for n in ("svc-long-ttl", "svc-undefined", "token-auth", "eu-long")
    }
    # What was swept: 1 account, 3 regions, 62 pools, 67 clients of which 65 M2M.
    assert run.report["runs"][0]["properties"]["summary"] | {"error": 0, "warning": 0, "note": 0} == {
        "accounts": 1,
        "regions": 3,
        "account_regions": 3,
        "account_regions_failed": 0,
        "user_pools": 62,
        "app_clients": 67,
        "m2m_clients": 65,
        "possibly_m2m_clients": 0,
        "error": 0,
        "warning": 0,
        "note": 0,
        "suppressed": 0,
    }


def test_text_report_names_live_clients_and_says_what_was_swept(
    moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    east = cognito("us-east-1")
    pool_id = pool(east, "orders")
    client = m2m(east, pool_id, "orders-batch", ttl=(1, "days"))
    user_facing(east, pool_id, "web")
    run = sweep(capsys, "--regions", "us-east-1,eu-west-1")
    assert run.code == 1, run.err
    where = f"m2m-guard-inventory/{ACCOUNT}/us-east-1.json"
    line = line_of(Path(where), f'"ClientId": "{client["ClientId"]}"')
    assert (
        f"{where}:{line}:  error    M2M-TTL-MAX  AccessTokenValidity is 1 day; policy M2M-TTL-MAX allows"
        f" at most 1 hour. [orders-batch ({client['ClientId']}) in pool orders ({pool_id}),"
        f" account {ACCOUNT}, us-east-1]"
    ) in run.out.splitlines()
    assert run.out.splitlines()[-1] == (
        "Swept 1 account, 2 regions (2 of 2 account-regions), 1 user pool, 2 app clients."
        " Checked 1 M2M client: 1 error."
    )
    json_run = sweep(capsys, "--regions", "us-east-1,eu-west-1", "--format", "json", report="m2m.json")
    summary = json_run.report["summary"]
    assert (summary["accounts"], summary["regions"], summary["user_pools"], summary["m2m_clients"]) == (
        1,
        2,
        1,
        1,
    )
    assert summary["files"] is None


def test_live_sarif_points_at_the_client_in_the_inventory(
    moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    east, west = cognito("us-east-1"), cognito("eu-west-1")
    pool_ids = {"us-east-1": pool(east, "orders"), "eu-west-1": pool(west, "billing")}
    bad = {
        "us-east-1": m2m(east, pool_ids["us-east-1"], "orders-batch", ttl=(1, "days")),
        "eu-west-1": m2m(west, pool_ids["eu-west-1"], "billing-sync", scopes=("billing/*",)),
    }
    m2m(east, pool_ids["us-east-1"], "orders-ok")

    run = sweep(capsys, "--regions", "us-east-1,eu-west-1", "--format", "sarif", report="m2m.sarif")
    assert run.code == 1, run.err
    log = run.report
    assert schema_errors(log) == []
    assert github_problems(log) == []
    sarif_run = log["runs"][0]
    assert sarif_run["automationDetails"]["id"] == "m2m-guard/live/"
    assert sarif_run["invocations"][0]["executionSuccessful"] is True

    located = 0
    for region, client in bad.items():
        uri = f"m2m-guard-inventory/{ACCOUNT}/{region}.json"
        line = line_of(Path(uri), f'"ClientId": "{client["ClientId"]}"')
        arn = (
            f"arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{pool_ids[region]}/client/{client['ClientId']}"
        )
        mine = [
            r
            for r in sarif_run["results"]
            if r["locations"][0]["logicalLocations"][0]["name"] == client["ClientId"]
        ]
        assert mine, f"no result for {client['ClientName']}"
        for result in mine:
            location = result["locations"][0]
            assert location["physicalLocation"] == {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": line},
            }
            assert location["logicalLocations"] == [
                {"name": client["ClientId"], "kind": "resource", "fullyQualifiedName": arn}
            ]
            located += 1
    assert located == len(sarif_run["results"])
    # The report names the client's pool and ARN in the inventory too
    record = inventory_clients("us-east-1")["orders-batch"]
    assert record["UserPoolId"] == pool_ids["us-east-1"]
    assert record["GenerateSecret"] is True and "ClientSecret" not in record


def test_json_report_and_a_saved_inventory_scanned_again(
    moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    east = cognito("us-east-1")
    pool_id = pool(east, "orders")
    client = m2m(east, pool_id, "orders-batch", ttl=(1, "days"))
    run = sweep(capsys, "--regions", "us-east-1", "--format", "json", report="m2m.json")
    assert run.code == 1
    assert run.report["category"] == "live"
    (finding,) = [f for f in run.report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    path = f"m2m-guard-inventory/{ACCOUNT}/us-east-1.json"
    assert finding["path"] == path
    assert finding["line"] == line_of(Path(path), f'"ClientId": "{client["ClientId"]}"')
    assert finding["arn"].endswith(f"userpool/{pool_id}/client/{client['ClientId']}")

    # `scan` evaluates the saved inventory offline, with the same result
    from m2m_guard.cli import main

    assert main(["scan", str(INVENTORY), "--format", "json", "--output", "again.json"]) == 1
    again = json.loads(Path("again.json").read_text())
    assert [(f["rule_id"], f["path"], f["line"]) for f in again["findings"]] == [
        (f["rule_id"], f["path"], f["line"]) for f in run.report["findings"]
    ]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_sweep_against_a_moto_server(moto_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    secrets = []
    clients = {}
    for region in ("us-east-1", "eu-central-1"):
        idp = cognito(region, endpoint_url=moto_server)
        pool_id = pool(idp, f"pool-{region}")
        for name in (f"{region}-long", f"{region}-ok"):
            made = m2m(idp, pool_id, name, ttl=(6, "hours") if name.endswith("long") else (30, "minutes"))
            clients[name] = made["ClientId"]
            secrets.append(made["ClientSecret"])
        user_facing(idp, pool_id, f"{region}-web")

    run = sweep(
        capsys,
        "--regions",
        "us-east-1,eu-central-1",
        "--endpoint-url",
        moto_server,
        "--format",
        "sarif",
        report="m2m.sarif",
    )
    assert run.code == 1, run.err
    assert schema_errors(run.report) == []
    reported = {r["locations"][0]["logicalLocations"][0]["name"] for r in run.results()}
    assert reported == {clients["us-east-1-long"], clients["eu-central-1-long"]}
    assert set(inventory_clients("eu-central-1")) == {
        "eu-central-1-long",
        "eu-central-1-ok",
        "eu-central-1-web",
    }
    written = run.out + run.err + Path("m2m.sarif").read_text()
    written += "".join(p.read_text() for p in INVENTORY.rglob("*.json"))
    assert secrets and not any(secret in written for secret in secrets)


def test_progress_goes_to_stderr_on_a_terminal_only(
    moto: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    east, west = cognito("us-east-1"), cognito("eu-west-1")
    m2m(east, pool(east, "orders"), "svc-a")
    m2m(west, pool(west, "billing"), "svc-b")
    quiet = sweep(capsys, "--regions", "us-east-1,eu-west-1", "--format", "json", report="a.json")
    assert quiet.code == 0 and quiet.err == ""

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    shown = sweep(capsys, "--regions", "us-east-1,eu-west-1", "--format", "json", report="b.json")
    assert shown.code == 0
    lines = shown.err.splitlines()
    assert len(lines) == 2 and all(line.startswith(("[1/2]", "[2/2]")) for line in lines)
    assert any("us-east-1: 1 pool, 1 client" in line for line in lines)
    assert json.loads(Path("a.json").read_text())["findings"] == shown.report["findings"]


def test_regions_without_user_pools_write_no_inventory_and_saved_sweeps_say_when(
    moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    idp = cognito("us-east-1")
    m2m(idp, pool(idp, "orders"), "svc")
    # a file an earlier sweep wrote for eu-west-1, whose pools have been deleted since
    stale = INVENTORY / ACCOUNT / "eu-west-1.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps({"m2mGuardInventory": 1, "account": ACCOUNT, "userPools": []}, indent=2))
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    run = sweep(
        capsys, "--regions", "us-east-1,eu-west-1,ap-southeast-2", "--format", "json", report="m.json"
    )
    assert run.code == 0, run.err
    assert sorted(p.name for p in (INVENTORY / ACCOUNT).iterdir()) == ["us-east-1.json"]
    swept_at = inventory("us-east-1")["sweptAt"]
    assert swept_at.endswith("Z")
    assert before <= dt.datetime.fromisoformat(swept_at[:-1] + "+00:00") <= dt.datetime.now(dt.timezone.utc)
    # the folder holds what the sweep saw, so a scan of it finds the same clients
    from m2m_guard.cli import main

    assert main(["scan", str(INVENTORY), "--format", "json", "--output", "again.json"]) == 0
    assert json.loads(Path("again.json").read_text())["findings"] == run.report["findings"]
