"""The checkov checks themselves, in process: ids, resource types, results, no ``details``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from tests.checkov.support import require_checkov

require_checkov()

from checkov.common.models.enums import CheckResult  # noqa: E402

from m2m_guard.checkov import bridge  # noqa: E402

POLICY = """\
version: 1
rules:
  - {id: TTL, type: max_access_token_ttl, max: 1h, severity: error}
  - {id: TTL-SOFT, type: max_access_token_ttl, max: 30m, severity: warning}
"""


@pytest.fixture(autouse=True)
def policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    monkeypatch.setenv(bridge.POLICY_ENV, str(path))


def checks(rule_type: str) -> tuple[Any, Any]:
    module = importlib.import_module(f"m2m_guard.checkov.checks.m2m_guard_{rule_type}")
    return module.cfn_check, module.tf_check


def cfn_conf(validity: object) -> dict[str, Any]:
    return {
        "Type": bridge.CFN_TYPE,
        "Properties": {
            "UserPoolId": {"Ref": "Pool"},
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": ["orders/read"],
            "AccessTokenValidity": validity,
            "__file__": "no/such/template.yaml",
            "__startline__": 3,
        },
    }


def tf_conf(validity: object) -> dict[str, Any]:
    return {
        "__start_line__": 1,
        "name": ["svc"],
        "allowed_oauth_flows": [["client_credentials"]],
        "allowed_oauth_scopes": [["orders/read"]],
        "generate_secret": [True],
        "allowed_oauth_flows_user_pool_client": [True],
        "access_token_validity": [validity],
        "__address__": "aws_cognito_user_pool_client.svc",
    }


def run(check: Any, conf: dict[str, Any], entity_type: str) -> Any:
    """As checkov's registry calls a check."""
    result = check.run(
        scanned_file="/t",
        entity_configuration=conf,
        entity_name="Svc",
        entity_type=entity_type,
        skip_info={},
    )
    assert check.details == []  # details would break checkov's SARIF
    return result["result"]


@pytest.mark.parametrize("rule_type", bridge.CLIENT_TYPES)
def test_every_client_rule_type_has_a_cloudformation_and_a_terraform_check(rule_type: str) -> None:
    cfn, tf = checks(rule_type)
    assert cfn.id == tf.id == f"CKV_M2M_{rule_type.upper()}"
    assert cfn.name == tf.name == bridge.check_name(rule_type)
    assert list(cfn.supported_resources) == ["AWS::Cognito::UserPoolClient"]
    assert list(tf.supported_resources) == ["aws_cognito_user_pool_client"]


@pytest.mark.parametrize("rule_type", bridge.POOL_TYPES)
def test_every_bridged_pool_rule_type_has_checks_on_the_pool_resources(rule_type: str) -> None:
    cfn, tf = checks(rule_type)
    assert cfn.id == tf.id == f"CKV_M2M_{rule_type.upper()}"
    assert list(cfn.supported_resources) == ["AWS::Cognito::UserPool"]
    assert list(tf.supported_resources) == ["aws_cognito_user_pool"]


def test_a_pool_check_whose_file_cannot_be_read_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "custom.yaml"
    policy.write_text("version: 1\nrules:\n  - {id: CUSTOM, type: token_customization, require: true}\n")
    monkeypatch.setenv(bridge.POLICY_ENV, str(policy))
    cfn, tf = checks("token_customization")
    conf = {"Type": "AWS::Cognito::UserPool", "Properties": {"__file__": "no/such/template.yaml"}}
    assert run(cfn, conf, "AWS::Cognito::UserPool") == CheckResult.UNKNOWN
    tf_pool = {"__startline__": 1, "__address__": "aws_cognito_user_pool.p", "__file__": "no/such/plan.json"}
    assert run(tf, tf_pool, "aws_cognito_user_pool") == CheckResult.UNKNOWN


@pytest.mark.parametrize(
    ("validity", "expected"),
    [
        (20, CheckResult.PASSED),
        (45, CheckResult.FAILED),  # within TTL (error) but over TTL-SOFT (warning): FAILED
        (120, CheckResult.FAILED),
        ({"Fn::FindInMap": ["Ttl", "prod", "minutes"]}, CheckResult.UNKNOWN),
    ],
)
def test_cloudformation_results(validity: object, expected: CheckResult) -> None:
    cfn, _ = checks("max_access_token_ttl")
    conf = cfn_conf(validity)
    conf["Properties"]["TokenValidityUnits"] = {"AccessToken": "minutes"}
    assert run(cfn, conf, bridge.CFN_TYPE) == expected


@pytest.mark.parametrize(
    ("validity", "expected"),
    [
        (0.25, CheckResult.UNKNOWN),  # not a whole number: unknown, not a violation
        ("var.ttl", CheckResult.UNKNOWN),  # a variable without a value: unknown
        (24, CheckResult.FAILED),
    ],
)
def test_unknown_values_give_unknown_not_failed(validity: object, expected: CheckResult) -> None:
    _, tf = checks("max_access_token_ttl")
    assert run(tf, tf_conf(validity), bridge.TF_TYPE) == expected


def test_severity_follows_the_policy_once_a_resource_was_scanned() -> None:
    _, tf = checks("max_access_token_ttl")
    run(tf, tf_conf(24), bridge.TF_TYPE)
    assert tf.severity is not None and tf.severity.name == "HIGH"  # TTL is an error rule


def test_a_broken_policy_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nrules:\n  - {id: TTL, type: max_access_token_ttl}\n")
    monkeypatch.setenv(bridge.POLICY_ENV, str(broken))
    _, tf = checks("max_access_token_ttl")
    # an exception would be counted UNKNOWN by checkov, and the run would exit 0
    assert run(tf, tf_conf(1), bridge.TF_TYPE) == CheckResult.FAILED
    assert "'max' is required" in capsys.readouterr().err
