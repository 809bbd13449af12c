"""checkov with m2m-guard's checks and `m2m-guard scan` report the same failing clients.

Both run as a user runs them (subprocesses, offline), on the examples and on the CloudFormation
and Terraform plan fixtures. A client (or, for a pool rule type, a user pool resource) fails a rule
type when checkov reports CKV_M2M_<TYPE> FAILED for it, and when `scan` has an error or warning
finding of that type for it that is neither waived nor undetermined.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.checkov.support import CHECKOV, ROOT, SKIP_REASON, require_checkov

require_checkov()
if not CHECKOV.is_file():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from m2m_guard.checkov.bridge import CFN_TYPE, CLIENT_TYPES, POOL_TYPES, check_id  # noqa: E402
from m2m_guard.sources.vocabulary import CFN_POOL  # noqa: E402

#: The rule types with a check: every client rule type, and the pool rule types checkov can run.
TYPES = (*CLIENT_TYPES, *POOL_TYPES)

CHECKS = ROOT / "m2m_guard" / "checkov" / "checks"
EXAMPLES_POLICY = "examples/.m2m-guard.yaml"

#: Fixtures checkov cannot be compared on, and why. Each is the whole file: checkov reads none
#: of its clients.
EXCLUDED = {
    # A YAML "billion laughs": checkov expands the aliases without bound and does not finish
    # (killed after 60 s in a trial); m2m-guard bounds the expansion and reports the file.
    "alias_bomb.yaml": "checkov hangs",
    # `!Ref [Pool]` (a sequence after the short-form tag): checkov's YAML loader rejects the
    # whole template ("Invalid !Ref"), so it checks none of its clients; m2m-guard reads the
    # template and makes that one value unknown.
    "wrong_property_types.yaml": "checkov rejects the template",
    # Serverless Framework files: checkov's cloudformation runner does not read their
    # `resources:` section (the mapping form is skipped as not a template; the list form is a
    # parse error on its `${file(...)}` entry), and its serverless runner reads only files named
    # serverless.yml; m2m-guard reads the CloudFormation resources inside.
    "serverless_resources.yml": "checkov does not read Serverless resources",
    "serverless_resources_list.yml": "checkov does not read Serverless resources",
}

Failing = set[tuple[str, str, str]]  # (path from the repository root, subject, check id)


def _documents(text: str) -> list[dict[str, Any]]:
    """checkov -o json prints one JSON document per -d folder (an object or a list of them)."""
    decoder, pos = json.JSONDecoder(), 0
    reports: list[dict[str, Any]] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return reports
        doc, pos = decoder.raw_decode(text, pos)
        reports += doc if isinstance(doc, list) else [doc]


def run_checkov(paths: Sequence[str], policy: str) -> tuple[Failing, int]:
    """Failing clients per check, and how many resources checkov read."""
    env = {**os.environ, "M2M_GUARD_POLICY": policy, "BC_SKIP_MAPPING": "TRUE"}
    targets = [arg for p in paths for arg in ("-d" if (ROOT / p).is_dir() else "-f", p)]
    proc = subprocess.run(
        [
            str(CHECKOV),
            *targets,
            "--framework",
            "cloudformation",
            "terraform_plan",
            "--external-checks-dir",
            str(CHECKS),
            "--check",
            ",".join(check_id(t) for t in TYPES),
            "--skip-download",
            "-o",
            "json",
            "--compact",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    failing: Failing = set()
    resources = 0
    for report in _documents(proc.stdout):
        resources += report.get("summary", report).get("resource_count", 0)
        for result in report.get("results", {}).get("failed_checks", []):
            path = Path(result["file_abs_path"])  # relative to the working directory for CFN
            shown = (path if path.is_absolute() else ROOT / path).resolve().relative_to(ROOT)
            resource = result["resource"]  # "AWS::Cognito::UserPoolClient.Id" or the address
            subject = resource.removeprefix(f"{CFN_TYPE}.").removeprefix(f"{CFN_POOL}.")
            failing.add((shown.as_posix(), subject, result["check_id"]))
    return failing, resources


def run_scan(paths: Sequence[str], policy: str) -> Failing:
    proc = subprocess.run(
        [sys.executable, "-m", "m2m_guard", "scan", *paths, "--policy", policy, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {
        (f["path"], f["subject"], check_id(f["rule_type"]))
        for f in json.loads(proc.stdout)["findings"]
        if f["rule_type"] in TYPES
        and f["level"] in ("error", "warning")
        and not f["suppressed"]
        and not f["undetermined"]
    }


def without_properties(paths: Sequence[str]) -> Failing:
    """Pool findings that checkov cannot give: it runs no resource check on a CloudFormation
    resource without ``Properties`` (a bare ``Type: AWS::Cognito::UserPool``), which m2m-guard
    still judges (no trigger, the default plan)."""
    from m2m_guard.sources import decode, parse

    bare: Failing = set()
    files = [f for p in paths for f in ((ROOT / p).iterdir() if (ROOT / p).is_dir() else [ROOT / p])]
    for file in files:
        if file.suffix not in (".yaml", ".yml", ".json", ".template"):
            continue
        data = parse(file.name, decode(file.read_bytes())).data
        resources = data.get("Resources") if isinstance(data, dict) else None
        for name, body in (resources or {}).items():
            if isinstance(body, dict) and body.get("Type") == CFN_POOL and not body.get("Properties"):
                shown = file.relative_to(ROOT).as_posix()
                bare |= {(shown, name, check_id(t)) for t in POOL_TYPES}
    return bare


def fixtures() -> list[str]:
    found = sorted((ROOT / "tests" / "fixtures" / "cloudformation").iterdir()) + sorted(
        (ROOT / "tests" / "fixtures" / "terraform").glob("*.json")
    )
    return [p.relative_to(ROOT).as_posix() for p in found if p.name not in EXCLUDED]


@pytest.mark.parametrize(
    ("paths", "policy"),
    [
        (["examples/cloudformation", "examples/terraform"], EXAMPLES_POLICY),
        (fixtures(), "default"),
        (fixtures(), EXAMPLES_POLICY),
    ],
    ids=["examples", "fixtures-default-pack", "fixtures-examples-policy"],
)
def test_same_failing_clients_per_rule_type(paths: list[str], policy: str) -> None:
    checkov, _ = run_checkov(paths, policy)
    scan = run_scan(paths, policy)
    assert checkov == scan - without_properties(paths)
    assert len(scan) >= 10  # the comparison is not vacuous
    # every kind of input takes part: YAML and JSON templates, plans
    assert {path.rsplit(".", 1)[-1] for path, _, _ in scan} >= {"yaml", "json"}


def test_examples_cover_every_check_that_can_fail() -> None:
    scan = run_scan(["examples/cloudformation", "examples/terraform"], EXAMPLES_POLICY)
    assert {check for _, _, check in scan} == {check_id(t) for t in TYPES}


def test_excluded_fixtures_are_not_read_by_checkov() -> None:
    """The reasons in EXCLUDED hold: checkov finds no client in those files (bar the hang)."""
    readable = [f"tests/fixtures/cloudformation/{name}" for name in EXCLUDED if name != "alias_bomb.yaml"]
    failing, resources = run_checkov(readable, "default")
    assert (failing, resources) == (set(), 0)
    assert run_scan(readable, "default")  # while m2m-guard reports on them


HCL = """\
variable "pool_id" {}
variable "ttl" {
  default = 2
}
resource "aws_cognito_user_pool" "pool" {
  name = "orders"
}
resource "aws_cognito_resource_server" "orders" {
  identifier   = "orders"
  name         = "orders"
  user_pool_id = aws_cognito_user_pool.pool.id
}
resource "aws_cognito_user_pool_client" "bad" {
  name                                 = "svc-bad"
  user_pool_id                         = aws_cognito_user_pool.pool.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["${aws_cognito_resource_server.orders.identifier}/admin"]
  access_token_validity                = var.ttl
  token_validity_units {
    access_token = "days"
  }
}
resource "aws_cognito_user_pool_client" "unknown" {
  name                                 = "svc-unknown"
  user_pool_id                         = var.pool_id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = [var.pool_id]
  access_token_validity                = var.pool_id
}
"""


def test_terraform_hcl_values_as_checkov_renders_them(tmp_path: Path) -> None:
    """HCL is checked on checkov's own values: variable defaults and resource-server identifiers
    rendered by checkov are judged; a variable without a value is UNKNOWN."""
    (tmp_path / "main.tf").write_text(HCL)
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nrules:\n"
        "  - {id: TTL, type: max_access_token_ttl, max: 1h}\n"
        "  - {id: ADMIN, type: forbidden_scopes, scopes: ['*/admin']}\n"
        "  - {id: NEEDS, type: required_scopes, any_of: ['orders/*']}\n"
    )
    env = {**os.environ, "M2M_GUARD_POLICY": str(tmp_path / "policy.yaml"), "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            ".",
            "--framework",
            "terraform",
            "--external-checks-dir",
            str(CHECKS),
            "--check",
            "CKV_M2M_*",
            "--skip-download",
            "-o",
            "json",
            "--compact",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    (report,) = _documents(proc.stdout)
    failed = {(r["resource"], r["check_id"]) for r in report["results"]["failed_checks"]}
    assert failed == {
        ("aws_cognito_user_pool_client.bad", "CKV_M2M_MAX_ACCESS_TOKEN_TTL"),
        ("aws_cognito_user_pool_client.bad", "CKV_M2M_FORBIDDEN_SCOPES"),
    }
    # svc-unknown: every value is unknown; the checks of the policy's three rule types are
    # neither passed nor failed (the other nine have no rule to break, so they pass)
    passed = {(r["resource"], r["check_id"]) for r in report["results"]["passed_checks"]}
    used = {"CKV_M2M_MAX_ACCESS_TOKEN_TTL", "CKV_M2M_FORBIDDEN_SCOPES", "CKV_M2M_REQUIRED_SCOPES"}
    assert {c for r, c in passed if r == "aws_cognito_user_pool_client.unknown"} == {
        check_id(t) for t in CLIENT_TYPES
    } - used
    assert ("aws_cognito_user_pool_client.bad", "CKV_M2M_REQUIRED_SCOPES") in passed


POOLS_HCL = """\
resource "aws_cognito_user_pool" "old" {
  name = "old"
  lambda_config {
    pre_token_generation_config {
      lambda_arn     = "arn:aws:lambda:eu-west-1:111122223333:function:claims"
      lambda_version = "V2_0"
    }
  }
}
resource "aws_cognito_user_pool" "good" {
  name = "good"
  lambda_config {
    pre_token_generation_config {
      lambda_arn     = "arn:aws:lambda:eu-west-1:111122223333:function:claims"
      lambda_version = "V3_0"
    }
  }
}
resource "aws_cognito_user_pool_client" "a" {
  name                                 = "a"
  user_pool_id                         = aws_cognito_user_pool.old.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read"]
}
resource "aws_cognito_user_pool_client" "b" {
  name                                 = "b"
  user_pool_id                         = aws_cognito_user_pool.good.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read"]
}
"""


def test_terraform_hcl_pool_check_reads_the_folder(tmp_path: Path) -> None:
    """The pool check of a ``.tf`` folder judges each pool with the clients that refer to it:
    a V2_0 trigger fails; V3_0 with no ``user_pool_tier`` is UNKNOWN (the plan a pool keeps),
    as ``scan`` gives it a note."""
    (tmp_path / "main.tf").write_text(POOLS_HCL)
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nrules:\n  - {id: CUSTOM, type: token_customization, require: true}\n"
    )
    env = {**os.environ, "M2M_GUARD_POLICY": str(tmp_path / "policy.yaml"), "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            ".",
            "--framework",
            "terraform",
            "--external-checks-dir",
            str(CHECKS),
            "--check",
            check_id("token_customization"),
            "--skip-download",
            "-o",
            "json",
            "--compact",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    (report,) = _documents(proc.stdout)
    results = report["results"]
    assert [r["resource"] for r in results["failed_checks"]] == ["aws_cognito_user_pool.old"]
    assert results["passed_checks"] == []


def _run_in(folder: Path, framework: str, policy: str) -> Failing:
    """checkov run as its users run it on a repository (`checkov -d .` in it), failing clients by
    (path, subject, check id)."""
    env = {**os.environ, "M2M_GUARD_POLICY": policy, "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(
        [str(CHECKOV), "-d", ".", "--framework", framework, "--external-checks-dir", str(CHECKS)]
        + ["--check", ",".join(check_id(t) for t in TYPES), "--skip-download", "-o", "json", "--compact"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return {
        (r["file_path"].lstrip("/"), r["resource"].removeprefix(f"{CFN_TYPE}."), r["check_id"])
        for report in _documents(proc.stdout)
        for r in report.get("results", {}).get("failed_checks", [])
    }


def _scan_in(folder: Path, policy: str) -> Failing:
    proc = subprocess.run(
        [sys.executable, "-m", "m2m_guard", "scan", ".", "--policy", policy, "--format", "json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {
        (f["path"], f["subject"], check_id(f["rule_type"]))
        for f in json.loads(proc.stdout)["findings"]
        if f["rule_type"] in TYPES and f["level"] in ("error", "warning") and not f["undetermined"]
    }


HCL_FIXTURES = sorted(p.name for p in (ROOT / "tests" / "fixtures" / "hcl").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", HCL_FIXTURES)
def test_terraform_hcl_folders_give_the_same_failing_clients(case: str, tmp_path: Path) -> None:
    """`.tf` folders are judged through m2m-guard's own evaluator in both paths: functions, for
    expressions, count / for_each instances (checkov's addresses are Terraform's, as
    m2m-guard's), module instances, .tfvars files. A block m2m-guard finds makes no instance
    (checkov expands `module.disabled` with count = 0) is not judged."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "hcl" / case, tmp_path / case)
    (tmp_path / case / ".git").mkdir()
    assert _run_in(tmp_path / case, "terraform", "default") == _scan_in(tmp_path / case, "default")


SERVERLESS = """\
service: orders
provider:
  name: aws
custom:
  ttl: 1440
resources:
  Resources:
    Pool:
      Type: AWS::Cognito::UserPool
      Properties:
        UserPoolName: orders
    Server:
      Type: AWS::Cognito::UserPoolResourceServer
      Properties:
        UserPoolId: !Ref Pool
        Identifier: orders
        Name: orders
    LongLived:
      Type: AWS::Cognito::UserPoolClient
      Properties:
        UserPoolId: !Ref Pool
        GenerateSecret: true
        AllowedOAuthFlowsUserPoolClient: true
        AllowedOAuthFlows: [client_credentials]
        AllowedOAuthScopes: [orders/admin]
        AccessTokenValidity: 1
        TokenValidityUnits:
          AccessToken: days
    FromVariable:
      Type: AWS::Cognito::UserPoolClient
      Properties:
        UserPoolId: !Ref Pool
        GenerateSecret: true
        AllowedOAuthFlowsUserPoolClient: true
        AllowedOAuthFlows: [client_credentials]
        AllowedOAuthScopes: [orders/read]
        AccessTokenValidity: ${self:custom.ttl}
        TokenValidityUnits:
          AccessToken: minutes
"""


@pytest.mark.parametrize(
    "text",
    [SERVERLESS, (ROOT / "tests" / "fixtures" / "cloudformation" / "serverless_resources.yml").read_text()],
    ids=["failing-clients", "fixture"],
)
def test_serverless_resources_give_the_same_failing_clients(text: str, tmp_path: Path) -> None:
    """checkov's serverless framework runs the CloudFormation checks on the `resources:` of a
    serverless.yml (the only name it reads); the checks read the file with m2m-guard's reader, so
    a `${...}` variable is unknown in both (checkov would substitute `custom.ttl`)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "serverless.yml").write_text(text, encoding="utf-8")
    checkov, scan = _run_in(tmp_path, "serverless", "default"), _scan_in(tmp_path, "default")
    assert checkov == scan
    if text == SERVERLESS:
        assert ("serverless.yml", "LongLived", check_id("max_access_token_ttl")) in scan
        assert not any(subject == "FromVariable" and "TTL" in check for _, subject, check in scan)
