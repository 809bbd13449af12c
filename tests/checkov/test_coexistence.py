"""checkov and m2m-guard installed side by side: both read the same Terraform `.tf` file.

checkov brings its own HCL parser (a module named ``hcl2``) and an old boto3; m2m-guard reads
`.tf` with its own parser and needs neither, so one environment holds both. Runs in the
checkov virtualenv of `.ci/run`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.checkov.support import CHECKOV, ROOT, SKIP_REASON, require_checkov

require_checkov()
if not CHECKOV.is_file():
    pytest.skip(SKIP_REASON, allow_module_level=True)

# The shape of an M2M client as the AWS provider documents aws_cognito_user_pool_client.
MAIN_TF = """\
resource "aws_cognito_user_pool" "pool" {
  name = "partners"
}

resource "aws_cognito_user_pool_client" "long_lived" {
  name                                 = "svc-long-lived"
  user_pool_id                         = aws_cognito_user_pool.pool.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read"]
  access_token_validity                = 12
  token_validity_units {
    access_token = "hours"
  }
}

resource "aws_cognito_user_pool_client" "short_lived" {
  name                                 = "svc-short-lived"
  user_pool_id                         = aws_cognito_user_pool.pool.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read"]
  access_token_validity                = 30
  token_validity_units {
    access_token = "minutes"
  }
}
"""
POLICY = "version: 1\nrules:\n  - {id: TTL, type: max_access_token_ttl, max: 1h}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    (tmp_path / "policy.yaml").write_text(POLICY)
    return tmp_path


def test_checkov_and_its_hcl_module_are_installed_here() -> None:
    # the premise of this file: checkov's own HCL module is the one this environment has
    assert metadata.version("checkov")
    assert metadata.version("bc-python-hcl2")


def test_scan_reads_tf_beside_checkov(repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "m2m_guard", "scan", "main.tf", "--policy", "policy.yaml", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["notifications"] == []
    failing = {(f["subject"], f["rule_id"]) for f in report["findings"]}
    assert failing == {("aws_cognito_user_pool_client.long_lived", "TTL")}


def test_checkov_runs_the_custom_checks_on_the_same_file(repo: Path) -> None:
    env = {**os.environ, "M2M_GUARD_POLICY": str(repo / "policy.yaml"), "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(repo),
            "--framework",
            "terraform",
            "--external-checks-dir",
            str(ROOT / "m2m_guard" / "checkov" / "checks"),
            "--check",
            "CKV_M2M_MAX_ACCESS_TOKEN_TTL",
            "--skip-download",
            "-o",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    results = json.loads(proc.stdout)["results"]
    failed = {r["resource"] for r in results["failed_checks"]}
    passed = {r["resource"] for r in results["passed_checks"]}
    assert failed == {"aws_cognito_user_pool_client.long_lived"}
    assert passed == {"aws_cognito_user_pool_client.short_lived"}
