"""A region or account that cannot be read is reported, and the rest of the sweep goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from m2m_guard.sweep import aws
from tests.reporters.support import schema_errors
from tests.sweep.support import (
    ACCOUNT,
    INVENTORY,
    Hooks,
    cognito,
    inventory_clients,
    json_error,
    m2m,
    pool,
    request_json,
    sweep,
)


def three_regions() -> dict[str, str]:
    """One pool with a one-day-token client in each region: ClientName -> ClientId."""
    ids = {}
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        idp = cognito(region)
        pool_id = pool(idp, f"pool-{region}")
        ids[region] = m2m(idp, pool_id, f"long-{region}", ttl=(1, "days"))["ClientId"]
    return ids


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_access_denied_and_throttling_fail_their_regions_only(
    fmt: str, moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = three_regions()
    attempts = {"throttled": 0}

    def denied(**_: Any) -> Any:
        return json_error("AccessDeniedException")

    def throttled(**_: Any) -> Any:
        attempts["throttled"] += 1
        return json_error("ThrottlingException")

    hooks.add("before-send.cognito-identity-provider", denied, "cognito-idp", "eu-west-1")
    hooks.add("before-send.cognito-identity-provider", throttled, "cognito-idp", "ap-southeast-2")

    run = sweep(
        capsys, "--regions", "us-east-1,eu-west-1,ap-southeast-2", "--format", fmt, report=f"m2m.{fmt}"
    )
    # exit 2 (a region could not be read), but only after the report was written in full
    assert run.code == 2
    assert attempts["throttled"] == aws.MAX_ATTEMPTS  # retried, then given up
    lines = run.err.splitlines()
    assert len(lines) == 2, run.err
    (denied_line,) = [line for line in lines if "eu-west-1" in line]
    (throttled_line,) = [line for line in lines if "ap-southeast-2" in line]
    assert "access denied" in denied_line and "ListUserPools" in denied_line
    assert "throttled beyond retries" in throttled_line
    assert all(line.startswith("error: ") and ACCOUNT in line for line in lines)

    # us-east-1 was read and reported; the failed regions wrote no inventory
    assert set(inventory_clients("us-east-1")) == {"long-us-east-1"}
    assert sorted(p.name for p in (INVENTORY / ACCOUNT).iterdir()) == ["us-east-1.json"]
    if fmt == "json":
        subjects = {f["subject"] for f in run.report["findings"]}
        assert ids["us-east-1"] in subjects
        assert subjects.isdisjoint({ids["eu-west-1"], ids["ap-southeast-2"]})
        fatal = [n for n in run.report["notifications"] if n["fatal"]]
        assert len(fatal) == 2 and all(n["level"] == "error" for n in fatal)
        assert {m for n in fatal for m in ("eu-west-1", "ap-southeast-2") if m in n["message"]} == {
            "eu-west-1",
            "ap-southeast-2",
        }
    else:
        assert schema_errors(run.report) == []
        subjects = {r["locations"][0]["logicalLocations"][0]["name"] for r in run.results()}
        assert ids["us-east-1"] in subjects
        assert subjects.isdisjoint({ids["eu-west-1"], ids["ap-southeast-2"]})
        invocation = run.report["runs"][0]["invocations"][0]
        assert invocation["executionSuccessful"] is False
        notes = invocation["toolExecutionNotifications"]
        assert [n["level"] for n in notes] == ["error", "error"]
        assert sorted(n["message"]["text"] for n in notes) == sorted(
            line.removeprefix("error: ") for line in lines
        )


def test_failure_on_the_terminal_in_text_output(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    three_regions()
    hooks.add(
        "before-send.cognito-identity-provider",
        lambda **_: json_error("AccessDeniedException"),
        "cognito-idp",
        "eu-west-1",
    )
    run = sweep(capsys, "--regions", "us-east-1,eu-west-1")
    assert run.code == 2
    assert "eu-west-1" in run.out + run.err and "access denied" in run.out + run.err
    assert "long-us-east-1" in run.out or "M2M-TTL-MAX" in run.out


def test_a_sweep_that_read_no_account_region_exits_2(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing to sweep at all (this shard of one region holds none): never "no findings", exit 0.
    run = sweep(capsys, "--regions", "us-east-1", "--shard", "2/2")
    assert run.code == 2
    assert "error: nothing was swept: no region to sweep" in run.out
    assert run.out.splitlines()[-1].startswith("Swept 0 accounts, 0 regions (0 of 0 account-regions)")
    # Every account-region failed: each says why, and the counts say nothing was read.
    three_regions()
    hooks.add(
        "before-send.cognito-identity-provider",
        lambda **_: json_error("AccessDeniedException"),
        "cognito-idp",
    )
    run = sweep(capsys, "--regions", "us-east-1,eu-west-1", "--format", "json", report="m2m.json")
    assert run.code == 2
    summary = run.report["summary"]
    assert (summary["account_regions"], summary["account_regions_failed"], summary["m2m_clients"]) == (
        0,
        2,
        0,
    )
    assert len(run.err.splitlines()) == 2 and "nothing was swept" not in run.err


def test_a_client_deleted_during_the_sweep_is_a_warning(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito()
    pool_id = pool(idp, "orders")
    gone = m2m(idp, pool_id, "gone", ttl=(1, "days"))["ClientId"]
    m2m(idp, pool_id, "kept")

    def vanish(request: Any, **_: Any) -> Any:
        if request_json(request).get("ClientId") == gone:
            return json_error("ResourceNotFoundException")
        return None

    hooks.add("before-send.cognito-identity-provider.DescribeUserPoolClient", vanish, "cognito-idp")
    run = sweep(capsys, "--regions", "us-east-1", "--format", "json", report="m2m.json")
    assert run.code == 0, run.err  # no finding (the long-lived client is gone), nothing fatal
    (note,) = run.report["notifications"]
    assert note["level"] == "warning" and not note["fatal"]
    assert gone in note["message"] and "disappeared" in note["message"]
    assert run.err.strip() == f"warning: {note['message']}"
    assert set(inventory_clients("us-east-1")) == {"kept"}


def test_a_pool_deleted_during_the_sweep_is_a_warning(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = cognito()
    gone = pool(idp, "gone")
    m2m(idp, gone, "gone-client")
    kept = pool(idp, "kept")
    m2m(idp, kept, "kept-client", ttl=(1, "days"))

    def vanish(request: Any, **_: Any) -> Any:
        if request_json(request).get("UserPoolId") == gone:
            return json_error("ResourceNotFoundException")
        return None

    for operation in ("ListUserPoolClients", "ListResourceServers"):
        hooks.add(f"before-send.cognito-identity-provider.{operation}", vanish, "cognito-idp")
    run = sweep(capsys, "--regions", "us-east-1", "--format", "json", report="m2m.json")
    assert run.code == 1, run.err  # the kept pool's finding; the deleted pool is not an error
    (note,) = run.report["notifications"]
    assert note["level"] == "warning" and not note["fatal"] and gone in note["message"]
    assert set(inventory_clients("us-east-1")) == {"kept-client"}
    assert Path(INVENTORY / ACCOUNT / "us-east-1.json").exists()


def test_no_credentials_is_one_line_naming_aws_profile_and_aws_configure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's chain finds nothing: no keys in the environment, no files, no instance metadata
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    for fmt in ("text", "json"):  # in the text report; on stderr beside a JSON or SARIF one
        run = sweep(capsys, "--regions", "us-east-1", "--format", fmt)
        assert run.code == 2
        shown = run.out if fmt == "text" else run.err
        (line,) = [line for line in shown.splitlines() if "credentials" in line]
        assert "no AWS credentials found; set AWS_PROFILE" in line and "run `aws configure`" in line


def test_a_region_whose_client_cannot_even_be_made_is_not_counted_as_read(
    moto: None, hooks: Hooks, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    three_regions()
    made = aws.client

    def client(session: Any, service: str, region: str | None, endpoint_url: str | None = None) -> Any:
        if service == "cognito-idp" and region == "eu-west-1":
            raise ValueError("no endpoint for this region")
        return made(session, service, region, endpoint_url)

    monkeypatch.setattr(aws, "client", client)
    run = sweep(capsys, "--regions", "us-east-1,eu-west-1", "--format", "json", report="m2m.json")
    assert run.code == 2
    summary = run.report["summary"]
    assert (summary["account_regions"], summary["account_regions_failed"]) == (1, 1)
    assert not (INVENTORY / ACCOUNT / "eu-west-1.json").exists()
