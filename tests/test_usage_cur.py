"""Usage from the bill: ``--usage-from-cur`` reads Cost and Usage Report (CUR 2.0) exports.

The exports here are shaped as AWS documents them:

* columns: the CUR 2.0 data dictionary,
  https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html (bill columns:
  table-dictionary-cur2-bill.html; identity: table-dictionary-cur2-identity.html; line items:
  table-dictionary-cur2-line-item.html; product: table-dictionary-cur2-product.html);
* delivery: gzip/csv files under ``<prefix>/<export-name>/data/BILLING_PERIOD=YYYY-MM/`` beside
  ``metadata/.../<export-name>-Manifest.json``,
  https://docs.aws.amazon.com/cur/latest/userguide/dataexports-export-delivery.html.

Cognito's usage types are not in AWS's documentation: ``<prefix>-CUPM2MTokenRequestsFull`` is
AWS's billing code as quoted by Vantage (cur.vantage-api.com, "What is AWS
CUPM2MTokenRequestsFull?") and ``<prefix>-CUPM2MAppClientsFull`` as a bill shown by Classmethod
names it (dev.classmethod.jp/articles/sbt-cognito-m2m). Nor is the resource ID of an M2M line
item: Cognito's guide says only that "in your bill, these requests are associated with the app
client that produced them" (docs.aws.amazon.com/cognito/latest/developerguide/tracking-cost.html),
so the exports here put the ClientId in ``line_item_resource_id`` (an export with resource IDs),
and the tests also cover exports without them.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.usage_cur import billed_usage, read_csv

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: A CUR 2.0 export's columns, in the data dictionary's order (a subset: the bill, identity,
#: line item and product columns; the rest change nothing here).
HEADER = [
    "bill_bill_type",
    "bill_billing_entity",
    "bill_billing_period_end_date",
    "bill_billing_period_start_date",
    "bill_invoice_id",
    "bill_invoicing_entity",
    "bill_payer_account_id",
    "bill_payer_account_name",
    "identity_line_item_id",
    "identity_time_interval",
    "line_item_availability_zone",
    "line_item_blended_cost",
    "line_item_blended_rate",
    "line_item_currency_code",
    "line_item_legal_entity",
    "line_item_line_item_description",
    "line_item_line_item_type",
    "line_item_operation",
    "line_item_product_code",
    "line_item_resource_id",
    "line_item_unblended_cost",
    "line_item_unblended_rate",
    "line_item_usage_account_id",
    "line_item_usage_account_name",
    "line_item_usage_amount",
    "line_item_usage_end_date",
    "line_item_usage_start_date",
    "line_item_usage_type",
    "product",
    "product_region_code",
]
CLIENT_ID = "4example1b2c3d4e5f6g7h8i9j0"  # examples/describe/stock-sync.json
DESCRIBE = """\
{
    "UserPoolClient": {
        "UserPoolId": "eu-west-1_Bill1",
        "ClientName": "%s",
        "ClientId": "%s",
        "GenerateSecret": true,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["orders/read"],
        "AllowedOAuthFlowsUserPoolClient": true,
        "AccessTokenValidity": 60,
        "TokenValidityUnits": {"AccessToken": "minutes"}
    }
}
"""
POLICY = """\
version: 1
rules:
  - {id: UNUSED, type: unused_client_credentials, lookback_days: 30, severity: warning}
  - {id: BUDGET, type: pool_budget, monthly_usd: 20, severity: error}
"""


def line(
    usage_type: str,
    amount: str,
    cost: str,
    *,
    resource: str = "",
    period: str = "2026-10",
    account: str = "111122223333",
    region: str = "eu-west-1",
    product: str = "AmazonCognito",
    kind: str = "Usage",
    ends: str | None = None,
) -> dict[str, str]:
    """One line item; by default of a monthly export (time granularity MONTHLY: the usage
    runs from the first of the period to the first of the next month)."""
    start = f"{period}-01T00:00:00Z"
    year, month = (int(part) for part in period.split("-"))
    end = ends or f"{year + month // 12:04d}-{month % 12 + 1:02d}-01T00:00:00Z"
    return {
        **dict.fromkeys(HEADER, ""),
        "bill_bill_type": "Anniversary",
        "bill_billing_entity": "AWS",
        "bill_billing_period_start_date": start,
        "bill_payer_account_id": "111122223333",
        "identity_line_item_id": "x",
        "identity_time_interval": f"{start}/{end}",
        "line_item_usage_start_date": start,
        "line_item_usage_end_date": end,
        "line_item_currency_code": "USD",
        "line_item_line_item_type": kind,
        "line_item_product_code": product,
        "line_item_resource_id": resource,
        "line_item_unblended_cost": cost,
        "line_item_usage_account_id": account,
        "line_item_usage_amount": amount,
        "line_item_usage_type": usage_type,
        "product": json.dumps({"product_name": "Amazon Cognito"}),
        "product_region_code": region,
    }


def export_text(rows: list[dict[str, str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_export(root: Path, period: str, rows: list[dict[str, str]], gz: bool = True) -> Path:
    """One export as Data Exports delivers it: data/BILLING_PERIOD=YYYY-MM/<name>-00001.csv.gz
    and a metadata/ Manifest.json beside it (which is not read)."""
    data = root / "data" / f"BILLING_PERIOD={period}"
    data.mkdir(parents=True, exist_ok=True)
    text = export_text(rows).encode()
    path = data / ("m2m-00001.csv.gz" if gz else "m2m-00001.csv")
    path.write_bytes(gzip.compress(text) if gz else text)
    manifest = root / "metadata" / f"BILLING_PERIOD={period}"
    manifest.mkdir(parents=True, exist_ok=True)
    (manifest / "m2m-Manifest.json").write_text('{"exportArn": "arn:aws:bcm-data-exports:::export/m2m"}')
    return root


BUSY = [
    line("EU-CUPM2MTokenRequestsFull", "5800", "13.05", resource=CLIENT_ID),
    line("EU-CUPM2MTokenRequestsFull", "6200", "13.95", resource=CLIENT_ID),
    line("EU-CUPM2MAppClientsFull", "1", "6.00", resource=CLIENT_ID),
]


@pytest.fixture
def scratch(repo: Path) -> Path:
    (repo / "busy.json").write_text(DESCRIBE % ("svc-busy", CLIENT_ID))
    (repo / "idle.json").write_text(DESCRIBE % ("svc-idle", "7idle1b2c3d4e5f6g7h8i9j0k1"))
    (repo / "policy.yaml").write_text(POLICY)
    return repo


def scan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", "busy.json", "idle.json", "--policy", "policy.yaml", "--format", "json", *argv])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {}, captured.err


# --- reading exports -----------------------------------------------------------------------------


def test_only_cognito_m2m_usage_line_items_count_and_amounts_are_exact() -> None:
    rows = [
        *BUSY,
        line("EU-CUPM2MTokenRequestsFull", "0", "5.42", resource=CLIENT_ID, kind="Tax"),
        line("EU-CognitoUserPoolsMAU", "120", "0.66"),
        line("EU-Requests-Tier1", "1000", "0.005", product="AmazonS3"),
    ]
    lines = read_csv("export.csv", io.BufferedReader(io.BytesIO(export_text(rows).encode())))
    bill = billed_usage("export.csv", lines)
    assert bill.period == "2026-10"
    assert [(b.kind, str(b.amount), str(b.cost)) for b in bill.lines] == [
        ("clients", "1", "6.00"),
        ("requests", "12000", "27.00"),  # 13.05 + 13.95, to the cent: no binary floating point
    ]


def test_the_latest_billing_period_counts(tmp_path: Path) -> None:
    write_export(tmp_path, "2026-09", [line("EU-CUPM2MTokenRequestsFull", "1", "0.01", period="2026-09")])
    write_export(tmp_path, "2026-10", BUSY)
    from m2m_guard.commands._io import read_cur

    bill = read_cur(str(tmp_path))
    assert bill is not None and bill.period == "2026-10" and bill.other_periods == ("2026-09",)


# --- scan and sweep: billed requests as observed usage --------------------------------------------


def test_scan_takes_billed_requests_per_client_and_finds_a_billed_client_with_none(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idle = IDLE
    write_export(
        scratch / "cur", "2026-10", [*BUSY, line("EU-CUPM2MAppClientsFull", "1", "6.00", resource=idle)]
    )
    code, report, err = scan_json(capsys, "--usage-from-cur", "cur")
    assert "cur: billing period 2026-10, 3 Cognito M2M line items, naming 2 of 2 app clients" in err
    found = {(f["rule_id"], f["path"]) for f in report["findings"]}
    # billed for October without a single token request: unused
    assert ("UNUSED", "idle.json") in found and ("UNUSED", "busy.json") not in found
    budget = next(f for f in report["findings"] if f["rule_id"] == "BUDGET")
    # 2 × 6.00 + 12,000 billed requests × 0.00225 = 27.00: over 20
    assert "costs at least $39.00 a month" in budget["message"], budget["message"]
    assert "12,000 token requests × $0.00225 = $27.00" in budget["message"]
    assert code == 1


IDLE = "7idle1b2c3d4e5f6g7h8i9j0k1"


@pytest.mark.parametrize(
    ("why", "rows"),
    [
        # the October export as delivered on October 10th: a third of the month
        (
            "covers 9 days",
            [
                line(
                    "EU-CUPM2MTokenRequestsFull",
                    "3000",
                    "6.75",
                    resource=CLIENT_ID,
                    ends="2026-10-10T00:00:00Z",
                ),
                line("EU-CUPM2MAppClientsFull", "1", "6.00", resource=IDLE, ends="2026-10-10T00:00:00Z"),
            ],
        ),
        # a token-request line item naming no client: it may be the idle client's
        (
            "unattributed",
            [
                *BUSY,
                line("EU-CUPM2MTokenRequestsFull", "40", "0.09"),
                line("EU-CUPM2MAppClientsFull", "1", "6.00", resource=IDLE),
            ],
        ),
        # no usage end dates: how much of the month the export covers is unknown
        (
            "no end dates",
            [
                dict(r, line_item_usage_end_date="")
                for r in (*BUSY, line("EU-CUPM2MAppClientsFull", "1", "6.00", resource=IDLE))
            ],
        ),
    ],
)
def test_a_bill_names_a_client_unused_only_when_it_backs_that(
    scratch: Path, capsys: pytest.CaptureFixture[str], why: str, rows: list[dict[str, str]]
) -> None:
    write_export(scratch / "cur", "2026-10", rows)
    _, report, _ = scan_json(capsys, "--usage-from-cur", "cur")
    unused = [f for f in report["findings"] if f["rule_id"] == "UNUSED"]
    assert all(f["path"] != "idle.json" or f.get("undetermined") for f in unused), (why, unused)
    if why == "covers 9 days":  # the busy client's 3,000 requests in 9 days: about 10,133 a month
        budget = next(f for f in report["findings"] if f["rule_id"] == "BUDGET")
        assert "10,133 token requests" in budget["message"], budget["message"]


def test_without_the_bill_nothing_is_unused(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = scan_json(capsys)
    assert "UNUSED" not in {f["rule_id"] for f in report["findings"]}


def test_line_items_without_resource_ids_give_no_client_usage(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an export without INCLUDE_RESOURCES: no line_item_resource_id column at all
    rows = [line("EU-CUPM2MTokenRequestsFull", "12000", "27.00")]
    data = scratch / "cur" / "data" / "BILLING_PERIOD=2026-10"
    data.mkdir(parents=True)
    (data / "x.csv").write_text(export_text(rows, [h for h in HEADER if h != "line_item_resource_id"]))
    _, report, err = scan_json(capsys, "--usage-from-cur", "cur")
    assert "naming 0 of 2 app clients" in err
    assert "UNUSED" not in {f["rule_id"] for f in report["findings"]}


# --- cost: the bill beside the estimate ------------------------------------------------------------


def test_cost_sets_the_bill_beside_the_estimate_in_every_format(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    argv = ["cost", "examples", "--usage", "examples/usage.json", "--usage-from-cur", "examples/cur"]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    bill = data["reconciliation"]
    assert bill["billing_period"] == "2026-10" and bill["source"] == "examples/cur"
    stock = next(p for p in bill["pools"] if p["pool"] == "eu-west-1_EXAMPLE1")
    # estimated from the usage file (12,000 in 30 days = 12,160 a month), billed 12,000 + 1 client
    assert (stock["estimate_usd"], stock["estimate_basis"]) == ("33.36", "observed")
    assert (stock["billed_usd"], stock["billed_token_requests"], stock["billed_minus_estimate_usd"]) == (
        "33.00",
        12000,
        "-0.36",
    )
    orders = next(p for p in bill["pools"] if p["pool"] == "OrdersPool")
    assert orders["billed_usd"] is None  # the bill names none of its clients
    [partners] = bill["accounts"]
    assert (partners["account"], partners["region"], partners["billed_usd"]) == (
        "444455556666",
        "us-east-1",
        "16.50",
    )
    assert bill["billed_total_usd"] == "49.50" == str(Decimal("33.00") + Decimal("16.50"))
    # the main table takes the billed requests for the client the bill names
    pools = {p["pool"]: p for p in data["pools"]}
    assert pools["eu-west-1_EXAMPLE1"]["requests_basis"] == "billed"
    assert pools["eu-west-1_EXAMPLE1"]["token_requests_month"] == 12000
    assert main([*argv, "--format", "csv"]) == 0
    rows = {r["pool"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (rows["eu-west-1_EXAMPLE1"]["billed_usd"], rows["OrdersPool"]["billed_usd"]) == ("33.00", "")
    for fmt in ("text", "markdown"):
        assert main([*argv, "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "The bill beside the estimate (billing period 2026-10" in out
        assert "Billed M2M total: $49.50" in out and "-$0.36" in out


# --- S3, read only ---------------------------------------------------------------------------------


@pytest.fixture
def s3_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    from moto import mock_aws

    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="billing")
        yield s3


def test_an_export_in_s3_reads_like_a_local_one(
    s3_export: Any, scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = "cur/m2m/data/BILLING_PERIOD=2026-10/"
    s3_export.put_object(
        Bucket="billing", Key=prefix + "m2m-00001.csv.gz", Body=gzip.compress(export_text(BUSY).encode())
    )
    s3_export.put_object(
        Bucket="billing", Key="cur/m2m/metadata/BILLING_PERIOD=2026-10/m2m-Manifest.json", Body=b"{}"
    )
    code = main(["cost", "busy.json", "--usage-from-cur", "s3://billing/cur/", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    [pool] = json.loads(captured.out)["reconciliation"]["pools"]
    assert (pool["billed_usd"], pool["billed_token_requests"]) == ("33.00", 12000)


def test_reading_s3_can_write_nothing(s3_export: Any) -> None:
    from m2m_guard.sweep import aws

    client = aws.client(aws.session(), "s3", "us-east-1")
    with pytest.raises(aws.WriteRefused, match="s3:PutObject"):
        client.put_object(Bucket="billing", Key="x", Body=b"x")


def test_a_missing_bucket_is_one_line_and_exit_2(
    s3_export: Any, scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "busy.json", "--usage-from-cur", "s3://no-such-bucket/cur"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "s3://no-such-bucket/cur: cannot read the export: NoSuchBucket (ListObjectsV2)"
    assert "\n" not in err and "Traceback" not in err


# --- bad input: one line naming the file (and line), exit 2 -----------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "legacy.csv",
            b"lineItem/UsageType,lineItem/UnblendedCost\nx,1\n",
            "legacy.csv: not a CUR 2.0 export (no column bill_billing_period_start_date, "
            "line_item_product_code, line_item_usage_type, line_item_usage_amount, "
            "line_item_unblended_cost, line_item_usage_account_id); export the CUR 2.0 table of AWS "
            "Data Exports as CSV or Parquet",
            id="legacy-cur-columns",
        ),
        pytest.param(
            "bad.csv",
            export_text([BUSY[0], {**BUSY[1], "line_item_usage_amount": "lots"}]).encode(),
            "bad.csv:3: line_item_usage_amount is not a number: 'lots'",
            id="not-a-number",
        ),
        pytest.param(
            "bad.csv",
            export_text([{**BUSY[0], "line_item_unblended_cost": "NaN"}]).encode(),
            "bad.csv:2: line_item_unblended_cost is not a finite number: 'NaN'",
            id="nan",
        ),
        pytest.param(
            "bad.csv",
            export_text([{**BUSY[0], "bill_billing_period_start_date": "October"}]).encode(),
            "bad.csv:2: bill_billing_period_start_date is not a date like 2026-10-01T00:00:00Z: 'October'",
            id="bad-period",
        ),
        pytest.param(
            "broken.csv.gz",
            b"\x1f\x8b\x08\x00garbage",
            "broken.csv.gz: cannot read the export: ",
            id="bad-gzip",
        ),
        pytest.param(
            "latin.csv",
            "bill_bill_type\n\xe9\xff".encode("latin-1"),
            "latin.csv: cannot read the export: not UTF-8 text",
            id="not-utf8",
        ),
        pytest.param(
            "x.parquet",
            b"PAR1",
            "x.parquet: reading Parquet needs pyarrow: pip install 'm2m-guard[parquet]' (or export the "
            "CUR 2.0 table as CSV)",
            id="parquet-without-pyarrow",
        ),
    ],
)
def test_bad_exports_are_one_line_naming_the_file_and_exit_2(
    scratch: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    if name.endswith(".parquet") and importlib.util.find_spec("pyarrow") is not None:
        pytest.skip("pyarrow is installed: Parquet is read")
    folder = scratch / "cur"
    folder.mkdir()
    (folder / name).write_bytes(content)
    assert main(["cost", "busy.json", "--usage-from-cur", "cur"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"cur/{message}"), err
    assert "\n" not in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["scan", "cost"])
def test_a_missing_export_is_exit_2(scratch: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    assert main([command, "busy.json", "--usage-from-cur", "nowhere"]) == 2
    assert capsys.readouterr().err.strip() == "nowhere: no such file or folder (--usage-from-cur)"


def test_a_folder_without_export_files_is_exit_2(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (scratch / "empty" / "metadata").mkdir(parents=True)
    (scratch / "empty" / "metadata" / "m2m-Manifest.json").write_text("{}")
    assert main(["cost", "busy.json", "--usage-from-cur", "empty"]) == 2
    assert (
        "empty: no CSV, CSV.GZ or Parquet files of a Cost and Usage Report export" in capsys.readouterr().err
    )


def test_a_parquet_export_reads_like_csv(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the data dictionary's types: bill_billing_period_start_date a timestamp, usage amount and
    # unblended cost doubles, the rest strings
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import datetime as dt

    columns: dict[str, Any] = {name: [row[name] for row in BUSY] for name in HEADER}
    columns["bill_billing_period_start_date"] = [dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)] * len(BUSY)
    for name in ("line_item_usage_amount", "line_item_unblended_cost"):
        columns[name] = [float(v) for v in columns[name]]
    data = scratch / "cur" / "data" / "BILLING_PERIOD=2026-10"
    data.mkdir(parents=True)
    pq.write_table(pa.table(columns), data / "m2m-00001.snappy.parquet")
    assert main(["cost", "busy.json", "--usage-from-cur", "cur", "--format", "json"]) == 0
    [pool] = json.loads(capsys.readouterr().out)["reconciliation"]["pools"]
    assert (pool["billed_usd"], pool["billed_token_requests"]) == ("33.00", 12000)


def test_a_broken_parquet_file_is_one_line(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow.parquet")
    (scratch / "cur").mkdir()
    (scratch / "cur" / "x.parquet").write_bytes(b"PAR1 not really")
    assert main(["cost", "busy.json", "--usage-from-cur", "cur"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cur/x.parquet: cannot read the Parquet file: ") and "\n" not in err


def test_a_line_item_naming_the_user_pool_counts_for_the_pool_only(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pool_arn = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Bill1"
    write_export(
        scratch / "cur",
        "2026-10",
        [
            line("EU-CUPM2MTokenRequestsFull", "4000", "9.00", resource=pool_arn),
            line("EU-CUPM2MAppClientsFull", "2", "12.00", resource=pool_arn),
        ],
    )
    argv = ["cost", "busy.json", "idle.json", "--policy", "policy.yaml", "--usage-from-cur", "cur"]
    assert main([*argv, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "naming 0 of 2 app clients" in captured.err
    data = json.loads(captured.out)
    [pool] = data["reconciliation"]["pools"]
    # projected: 2 clients × 730 requests at 60 minutes = 12.00 + 1,460 × 0.00225 (3.29)
    assert (pool["estimate_usd"], pool["estimate_basis"], pool["billed_usd"]) == (
        "15.29",
        "projected",
        "21.00",
    )
    assert (pool["billed_token_requests"], pool["billed_minus_estimate_usd"]) == (4000, "5.71")
    assert data["reconciliation"]["accounts"] == []
    assert data["pools"][0]["requests_basis"] == "projected"  # no client named: no billed usage
