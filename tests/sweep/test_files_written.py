"""What a sweep writes: inventories with their time, no stale file a later scan would trust,
nothing written through a planted symlink, and the report written even when a file is not."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.sweep.support import (
    ACCOUNT,
    INVENTORY,
    Hooks,
    cognito,
    inventory,
    json_error,
    m2m,
    pool,
    sweep,
)


def one_client(region: str = "us-east-1") -> str:
    idp = cognito(region)
    return str(m2m(idp, pool(idp, f"pool-{region}"), f"long-{region}", ttl=(1, "days"))["ClientId"])


def deny(hooks: Hooks, region: str) -> None:
    hooks.add(
        "before-send.cognito-identity-provider",
        lambda **_: json_error("AccessDeniedException"),
        "cognito-idp",
        region,
    )


def test_inventories_carry_the_time_of_the_sweep(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    one_client()
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    run = sweep(capsys, "--regions", "us-east-1", "--format", "json", report="live.json")
    assert run.code == 1
    swept_at = dt.datetime.fromisoformat(inventory("us-east-1")["sweptAt"].replace("Z", "+00:00"))
    assert swept_at.tzinfo is not None and before <= swept_at <= dt.datetime.now(dt.timezone.utc)


def test_a_region_that_could_not_be_read_leaves_no_stale_inventory(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    one_client("us-east-1")
    one_client("eu-west-1")
    assert sweep(capsys, "--regions", "us-east-1,eu-west-1").code == 1
    stale = INVENTORY / ACCOUNT / "eu-west-1.json"
    assert stale.is_file()
    deny(hooks, "eu-west-1")  # the next day, eu-west-1 cannot be read
    run = sweep(capsys, "--regions", "us-east-1,eu-west-1", "--format", "json", report="live.json")
    assert run.code == 2
    assert not stale.exists()  # a later scan of the folder must not take yesterday's for today's
    assert (INVENTORY / ACCOUNT / "us-east-1.json").is_file()
    # a file there that m2m-guard did not write is left alone
    stale.write_text('{"mine": true}\n')
    assert sweep(capsys, "--regions", "us-east-1,eu-west-1").code == 2
    assert stale.read_text() == '{"mine": true}\n'


@pytest.mark.parametrize("target", ["report", "sarif", "inventory", "usage"])
def test_a_planted_symlink_is_replaced_not_written_through(
    target: str, moto: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one_client()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    paths = {
        "report": Path("live.json"),
        "sarif": Path("live.sarif"),
        "inventory": INVENTORY / ACCOUNT / "us-east-1.json",
        "usage": Path("usage.json"),
    }
    planted = paths[target]
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.symlink_to(victim)
    run = sweep(
        capsys,
        "--regions",
        "us-east-1",
        "--format",
        "json",
        "--sarif",
        "live.sarif",
        "--export-usage",
        "usage.json",
        report="live.json",
    )
    assert run.code == 1, run.err
    assert victim.read_text() == "precious\n"
    assert not planted.is_symlink() and planted.is_file()
    json.loads(planted.read_text())  # the file m2m-guard meant to write
    assert not list(planted.parent.glob(".m2m-guard-*"))  # no temporary file left behind


def test_an_inventory_that_cannot_be_written_still_gives_the_report(
    moto: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client_id = one_client()
    # the account folder is a symlink planted elsewhere: refused, not followed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    INVENTORY.mkdir()
    (INVENTORY / ACCOUNT).symlink_to(elsewhere, target_is_directory=True)
    run = sweep(capsys, "--regions", "us-east-1", "--format", "json", report="live.json")
    assert run.code == 2  # an error after the sweep: reported, with everything else
    assert list(elsewhere.iterdir()) == []
    (note,) = [n for n in run.report["notifications"] if n["fatal"]]
    assert "cannot write inventory" in note["message"] and ACCOUNT in note["message"]
    assert client_id in {f["subject"] for f in run.report["findings"]}  # still evaluated
    assert "cannot write inventory" in run.err
