"""The bundled examples: every rule fires and passes somewhere; the SARIF is a reviewed snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.policy import load_policy
from tests.reporters.support import github_problems, schema_errors

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SNAPSHOT = ROOT / "tests" / "expected" / "examples" / "scan.sarif"


@pytest.fixture
def examples_sarif(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(EXAMPLES)
    code = main(["scan", "--usage", "usage.json", "--format", "sarif"])
    out, err = capsys.readouterr()
    assert code == 1 and err == ""
    report: dict[str, Any] = json.loads(out)
    return report


def test_every_rule_fires_and_passes_somewhere(examples_sarif: dict[str, Any]) -> None:
    policy = load_policy("p", (EXAMPLES / ".m2m-guard.yaml").read_text())
    results = examples_sarif["runs"][0]["results"]
    fired = {r["ruleId"] for r in results if r["level"] != "note" and "suppressions" not in r}
    assert fired == {rule.id for rule in policy.rules}
    # "passes somewhere": the rule was evaluated on more subjects than it flagged
    flagged: dict[str, set[str]] = {}
    for r in results:
        flagged.setdefault(r["ruleId"], set()).add(r["locations"][0]["logicalLocations"][0]["name"])
    subjects = {r["locations"][0]["logicalLocations"][0]["name"] for r in results}
    for rule in policy.rules:
        if rule.spec.scope == "client":
            assert len(flagged[rule.id]) < len(subjects), f"{rule.id} flags every client"
    budget = [r for r in results if r["ruleId"] == "BUDGET"]
    assert {r["locations"][0]["logicalLocations"][0]["name"] for r in budget} == {
        "OrdersPool",
        "eu-west-1_Orders7Kq",  # the swept `orders` pool (inventory/)
        "module.auth.aws_cognito_user_pool.inventory",  # undetermined: a TTL known after apply
    }  # BillingPool stays within its budget


def test_token_customization_fires_on_one_pool_and_passes_on_two(examples_sarif: dict[str, Any]) -> None:
    results = [r for r in examples_sarif["runs"][0]["results"] if r["ruleId"] == "TOKEN-CUSTOMIZATION"]
    by_pool = {r["locations"][0]["logicalLocations"][0]["name"]: r for r in results}
    # OrdersPool's trigger is V2_0; the Terraform pool and the swept `orders` pool have none;
    # BillingPool (V3_0, Essentials) and eu-west-1_EXAMPLE1 (V3_0, Plus, from saved
    # describe-user-pool output) pass
    assert set(by_pool) == {
        "OrdersPool",
        "eu-west-1_Orders7Kq",
        "module.auth.aws_cognito_user_pool.inventory",
    }
    assert (
        "is V2_0, which does not run for client-credentials requests; use V3_0"
        in (by_pool["OrdersPool"]["message"]["text"])
    )
    assert all(r["level"] == "error" for r in results)


def test_waiver_and_secret_in_examples(examples_sarif: dict[str, Any]) -> None:
    results = examples_sarif["runs"][0]["results"]
    # the partner feed's long TTL, in the template and in the swept pool: one waiver for both
    waived = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in waived] == ["TTL-MAX", "TTL-MAX"]
    assert all(r["suppressions"][0]["justification"].endswith("ticket OPS-123.") for r in waived)
    described = (EXAMPLES / "describe" / "stock-sync.json").read_text()
    secret = json.loads(described)["UserPoolClient"]["ClientSecret"]
    assert secret not in json.dumps(examples_sarif)


def test_examples_sarif_snapshot(examples_sarif: dict[str, Any], update_snapshots: bool) -> None:
    assert schema_errors(examples_sarif) == []
    assert github_problems(examples_sarif) == []
    rendered = json.dumps(examples_sarif, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if update_snapshots:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert rendered == SNAPSHOT.read_text(encoding="utf-8")


def test_drift_of_the_examples_orders_pool(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # inventory/ is a saved sweep (m2m-guard sweep against moto) of the `orders` pool, changed
    # by hand after it was deployed from cloudformation/orders.yaml
    monkeypatch.chdir(EXAMPLES)
    code = main(["drift", "cloudformation/orders.yaml", "--inventory", "inventory", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    got = {(f["rule_id"], f["subject"]) for f in findings if not f.get("undetermined")}
    assert got == {
        ("DRIFT", "ReportingClient"),  # orders/write added live
        ("DRIFT", "PartnerFeedClient"),  # 12-hour tokens live
        ("MISSING", "BatchLoaderClient"),
        ("SHADOW", "48aae6f4f785454f8b7ac051bf"),  # svc-legacy-export
    }
    assert code == 1
