"""deploy/: the AWS Config rule templates and the Lambda package build, checked offline.

- Every template passes cfn-lint (in the test extra) and m2m-guard's own scan (exit 0: they
  hold no Cognito app client).
- The function runs the handler the package holds, on the runtime the build targets; its role
  allows exactly the calls the handler lists in ``PERMISSIONS`` (and its own logs), scoped where
  IAM allows it; only the organization's role may assume the member accounts' role.
- The rules have the triggers and scope the issue asks for; the organization template keeps the
  one-account template's function, role (plus AssumeRole) and log group.
- The member accounts' role (deploy/member-role.yaml) allows exactly the handler's Config calls,
  trusts only the function's role, and has the name the organization rule passes the handler.
- ``deploy/build_lambda.py --no-deps`` builds a reproducible zip that holds the handler module.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import build_lambda
from m2m_guard.cli import main
from m2m_guard.config_rule.aws import ROLE_PARAMETER, ROLE_SECONDS

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
ONE_ACCOUNT = DEPLOY / "config-rule.yaml"
ORGANIZATION = DEPLOY / "org-config-rule.yaml"
MEMBER = DEPLOY / "member-role.yaml"
#: The templates that deploy the function.
TEMPLATES = [ONE_ACCOUNT, ORGANIZATION]
ASSUME = "sts:AssumeRole"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (``!Ref x`` -> ``{"Ref": x}``, ``!Sub`` ->
    ``{"Fn::Sub": ...}``), as CloudFormation reads them."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tagged)


def _template(path: Path) -> dict[str, Any]:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader)
    assert isinstance(doc, dict)
    return doc


def _of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == kind]
    assert isinstance(resource, dict)
    return resource


def _statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every statement of the role's inline policies; both branches of an ``Fn::If``."""
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                for branch in statement["Fn::If"][1:]:
                    if branch != {"Ref": "AWS::NoValue"}:
                        yield branch
            else:
                yield statement


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _handler_permissions() -> set[str]:
    """The handler's ``PERMISSIONS``: in ``m2m_guard.config_rule`` or its ``handler`` module."""
    for name in ("m2m_guard.config_rule", "m2m_guard.config_rule.handler"):
        module = importlib.import_module(name)
        if hasattr(module, "PERMISSIONS"):
            return set(module.PERMISSIONS)
    raise AssertionError("m2m_guard.config_rule defines no PERMISSIONS")


# --------------------------------------------------------------------------------------------
# Linters


def test_cfn_lint() -> None:
    try:
        api = importlib.import_module("cfnlint.api")
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("cfn-lint is not installed (pip install -e '.[test]'); CI must run it")
        pytest.skip("cfn-lint is not installed (pip install -e '.[test]')")
    for template in [*TEMPLATES, MEMBER]:
        matches = api.lint_file(template)
        assert not matches, "\n".join(str(match) for match in matches)


def test_m2m_guard_scan_of_deploy_is_clean() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["scan", str(DEPLOY)])
    assert code == 0, out.getvalue()
    assert "no findings" in out.getvalue()


# --------------------------------------------------------------------------------------------
# The function and its role


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_function_runs_the_packaged_handler(path: Path) -> None:
    function = _of_type(_template(path), "AWS::Lambda::Function")["Properties"]
    assert function["Handler"] == build_lambda.HANDLER
    assert function["Runtime"] == build_lambda.RUNTIME
    assert function["Architectures"] == ["x86_64"] and build_lambda.PLATFORM.endswith("_x86_64")
    assert function["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    module, _, attribute = build_lambda.HANDLER.rpartition(".")
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), f"{module} is not in the package"
    assert callable(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_role_allows_the_handler_permissions_and_no_more(path: Path) -> None:
    role = _of_type(_template(path), "AWS::IAM::Role")
    actions = [action for statement in _statements(role) for action in _actions(statement)]
    assert len(actions) == len(set(actions)), actions
    # AssumeRole only where the function runs for other accounts: the organization rule
    expected = _handler_permissions() - (set() if path == ORGANIZATION else {ASSUME})
    assert set(actions) - {"logs:CreateLogStream", "logs:PutLogEvents"} == expected
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_role_is_scoped_where_iam_allows(path: Path) -> None:
    role = _of_type(_template(path), "AWS::IAM::Role")
    resources = {
        action: statement["Resource"] for statement in _statements(role) for action in _actions(statement)
    }
    # The Service Authorization Reference gives these no resource type: "*" is the only choice.
    for action in ("config:PutEvaluations", "config:GetResourceConfigHistory", "config:SelectResourceConfig"):
        assert resources[action] == "*", action
    others = {action: resource for action, resource in resources.items() if not action.startswith("config:")}
    assert all(resource != "*" for resource in others.values()), others
    assert others["s3:GetObject"]["Fn::Sub"].endswith(":s3:::${PolicyBucket}/${PolicyKey}")
    assert others["ssm:GetParameter"]["Fn::Sub"].endswith(":parameter${PolicyParameterName}")
    assert others["logs:PutLogEvents"]["Fn::Sub"].endswith(":log-group:${LogGroup}:log-stream:*")
    if path == ORGANIZATION:
        assert others[ASSUME] == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}


def test_organization_template_keeps_the_function_role_and_log_group() -> None:
    one, org = _template(ONE_ACCOUNT)["Resources"], _template(ORGANIZATION)["Resources"]
    for name in ("LogGroup", "Function"):
        assert org[name] == one[name], name
    # the same role, plus the statement that assumes the member accounts' role
    (policy,) = org["ExecutionRole"]["Properties"]["Policies"]
    *same, assume = policy["PolicyDocument"]["Statement"]
    (one_policy,) = one["ExecutionRole"]["Properties"]["Policies"]
    assert same == one_policy["PolicyDocument"]["Statement"]
    assert assume["Sid"] == "AssumeMemberRole" and assume["Action"] == ASSUME
    org_role = {k: v for k, v in org["ExecutionRole"]["Properties"].items() if k != "Policies"}
    assert org_role == {k: v for k, v in one["ExecutionRole"]["Properties"].items() if k != "Policies"}


# --------------------------------------------------------------------------------------------
# The member accounts' role


def test_member_role_allows_the_handler_config_calls_and_no_more() -> None:
    role = _of_type(_template(MEMBER), "AWS::IAM::Role")
    statements = list(_statements(role))
    actions = [action for statement in statements for action in _actions(statement)]
    assert len(actions) == len(set(actions)), actions
    assert set(actions) == {p for p in _handler_permissions() if p.startswith("config:")}
    assert all(statement["Effect"] == "Allow" for statement in statements)


def test_member_role_trusts_only_the_function_role() -> None:
    template = _template(MEMBER)
    props = _of_type(template, "AWS::IAM::Role")["Properties"]
    (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {"Effect": "Allow", "Principal": {"AWS": {"Ref": "ExecutionRoleArn"}}, "Action": ASSUME}
    assert props["RoleName"] == {"Ref": "RoleName"}
    outputs = _template(ORGANIZATION)["Outputs"]
    assert outputs["ExecutionRoleArn"]["Value"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    # AssumeRole's shortest session (900 s, what the handler asks for) fits the role's maximum
    assert props["MaxSessionDuration"] >= ROLE_SECONDS


def test_organization_role_assumes_the_member_role_by_name() -> None:
    org, member = _template(ORGANIZATION), _template(MEMBER)
    assert org["Parameters"]["MemberRoleName"]["Default"] == member["Parameters"]["RoleName"]["Default"]
    pattern = org["Parameters"]["MemberRoleName"]["AllowedPattern"]
    assert pattern == member["Parameters"]["RoleName"]["AllowedPattern"]
    assert re.fullmatch(pattern, member["Parameters"]["RoleName"]["Default"])
    role = _of_type(org, "AWS::IAM::Role")
    (assume,) = [s for s in _statements(role) if ASSUME in _actions(s)]
    resource = assume["Resource"]["Fn::Sub"]
    assert resource.endswith(":role/${MemberRoleName}")
    # the role name the handler assumes comes from the rule's input parameters
    metadata = _of_type(org, "AWS::Config::OrganizationConfigRule")["Properties"]
    text, _ = metadata["OrganizationCustomRuleMetadata"]["InputParameters"]["Fn::Sub"]
    assert f'"{ROLE_PARAMETER}": "${{MemberRoleName}}"' in text
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}}
    assert re.fullmatch(org["Parameters"]["OrganizationId"]["AllowedPattern"], "o-a1b2c3d4e5")


# --------------------------------------------------------------------------------------------
# The rules and who may invoke the function

TRIGGERS = [
    "ConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeNotification",
    "ScheduledNotification",
]


def test_one_account_rule() -> None:
    template = _template(ONE_ACCOUNT)
    permission = _of_type(template, "AWS::Lambda::Permission")["Properties"]
    assert permission["Principal"] == "config.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    rule = _of_type(template, "AWS::Config::ConfigRule")
    assert rule["DependsOn"] == "ConfigInvokePermission"
    props = rule["Properties"]
    # the handler reports pool-level rules on the pool (m2m_guard/config_rule/handler.py)
    assert props["Scope"] == {
        "ComplianceResourceTypes": ["AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPool"]
    }
    assert set(props["InputParameters"]) == {"policy"}
    source = props["Source"]
    assert source["Owner"] == "CUSTOM_LAMBDA"
    assert source["SourceIdentifier"] == {"Fn::GetAtt": ["Function", "Arn"]}
    details = source["SourceDetails"]
    assert [d["MessageType"] for d in details] == TRIGGERS
    assert all(d["EventSource"] == "aws.config" for d in details)
    assert [d.get("MaximumExecutionFrequency") for d in details] == [
        None,
        None,
        {"Ref": "MaximumExecutionFrequency"},
    ]


def test_organization_rule() -> None:
    template = _template(ORGANIZATION)
    permission = _of_type(template, "AWS::Lambda::Permission")["Properties"]
    # Config invokes the function from every member account: no single SourceAccount.
    assert permission["Principal"] == "config.amazonaws.com" and "SourceAccount" not in permission
    rule = _of_type(template, "AWS::Config::OrganizationConfigRule")
    assert rule["DependsOn"] == "ConfigInvokePermission"
    metadata = rule["Properties"]["OrganizationCustomRuleMetadata"]
    assert metadata["LambdaFunctionArn"] == {"Fn::GetAtt": ["Function", "Arn"]}
    assert metadata["OrganizationConfigRuleTriggerTypes"] == TRIGGERS
    assert metadata["ResourceTypesScope"] == ["AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPool"]
    assert metadata["MaximumExecutionFrequency"] == {"Ref": "MaximumExecutionFrequency"}
    text, _ = metadata["InputParameters"]["Fn::Sub"]
    assert text == '{"policy": "${Policy}", "executionRoleName": "${MemberRoleName}"}'


@pytest.mark.parametrize("path", [*TEMPLATES, MEMBER], ids=lambda p: p.name)
def test_templates_cite_their_sources(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    cited = set(re.findall(r"https://docs\.aws\.amazon\.com/\S+", text))
    for kind in {r["Type"] for r in _template(path)["Resources"].values()}:
        page = "aws-resource-" + kind.removeprefix("AWS::").replace("::", "-").lower() + ".html"
        assert any(url.endswith(page) for url in cited), f"{path.name}: cite the {kind} reference"


# --------------------------------------------------------------------------------------------
# The Lambda package


def test_dependencies_leave_out_boto3() -> None:
    requirements = build_lambda.dependencies()
    assert requirements and not any(r.lower().startswith(("boto3", "botocore")) for r in requirements)
    assert build_lambda.python_version() == "3.14"


def test_build_without_dependencies(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    out = io.StringIO()
    with redirect_stdout(out):
        assert build_lambda.main(["--no-deps", "--output", str(first)]) == 0
    assert str(first) in out.getvalue()
    build_lambda.build(second, deps=False)
    assert first.read_bytes() == second.read_bytes()  # reproducible
    with zipfile.ZipFile(first) as archive:
        names = set(archive.namelist())
        assert archive.testzip() is None
    module = build_lambda.HANDLER.rpartition(".")[0]
    assert module.replace(".", "/") + ".py" in names
    assert {"m2m_guard/__init__.py", "m2m_guard/policies/default.yaml"} <= names
    packs = {f"m2m_guard/policies/{p.name}" for p in (ROOT / "policies").glob("*.yaml")}
    assert packs <= names
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert all(name.startswith("m2m_guard/") for name in names)


def test_readme_documents_the_deployment() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Continuous evaluation with an AWS Config rule")
    section = readme[start : readme.index("\n## ", start)]
    for text in (
        "python3 deploy/build_lambda.py",
        "deploy/config-rule.yaml",
        "deploy/org-config-rule.yaml",
        "deploy/member-role.yaml",
        "aws cloudformation create-stack-set",
        "aws cloudformation create-stack-instances",
    ):
        assert text in section, text
    assert "aws s3 cp" in section and "aws cloudformation deploy" in section
    table = set(re.findall(r"^\| `([a-z0-9]+:\w+)`", section, re.M)) - {"logs:CreateLogStream"}
    assert table == _handler_permissions(), "the README's permission table lists the handler's PERMISSIONS"
