"""``sweep --usage-from-cur``: the billed token requests of the swept clients the bill names.

The export is shaped as in tests/test_usage_cur.py (CUR 2.0 data dictionary,
https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html); its resource IDs
are ClientIds, the part AWS does not document.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sweep.support import cognito, m2m, pool, sweep
from tests.test_usage_cur import line, write_export


def test_a_swept_client_billed_without_requests_is_unused_and_the_busy_one_is_not(
    moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    east = cognito("us-east-1")
    pool_id = pool(east, "orders")
    busy = m2m(east, pool_id, "orders-busy")["ClientId"]
    idle = m2m(east, pool_id, "orders-idle")["ClientId"]
    write_export(
        Path("cur"),
        "2026-10",
        [
            line("USE1-CUPM2MTokenRequestsFull", "1440", "3.24", resource=busy, region="us-east-1"),
            line("USE1-CUPM2MAppClientsFull", "1", "6.00", resource=busy, region="us-east-1"),
            line("USE1-CUPM2MAppClientsFull", "1", "6.00", resource=idle, region="us-east-1"),
        ],
    )
    run = sweep(
        capsys, "--regions", "us-east-1", "--usage-from-cur", "cur", "--format", "json", report="m.json"
    )
    assert run.report is not None, run.err
    assert "cur: billing period 2026-10, 3 Cognito M2M line items, naming 2 of 2 app clients" in run.err
    unused = [f["subject"] for f in run.report["findings"] if f["rule_type"] == "unused_client_credentials"]
    assert unused == [idle]
