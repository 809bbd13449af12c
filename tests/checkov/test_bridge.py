"""The checkov bridge without checkov: conf shapes -> AppClient -> verdict, the policy, the folder.

These run in the main test environment too (they import no checkov); the checks themselves and
the parity with `m2m-guard scan` are in test_checks.py and test_parity.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from m2m_guard.checkov import bridge
from m2m_guard.checkov.bridge import FAILED, PASSED, UNKNOWN, verdict
from m2m_guard.model import Unknown
from m2m_guard.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / "m2m_guard" / "checkov" / "checks"
PLAN = ROOT / "examples" / "terraform" / "plan.json"

POLICY = """\
version: 1
rules:
  - {id: TTL, type: max_access_token_ttl, max: 30m, severity: error}
  - {id: FORBID, type: forbidden_scopes, scopes: ["*/admin"], severity: warning}
  - {id: WILD, type: wildcard_scopes, severity: note}
  - {id: NEEDS, type: required_scopes, any_of: ["orders/*"], severity: error}
waivers:
  - {rule: FORBID, clients: ["legacy-*"], reason: "ticket OPS-1", expires: 2999-01-01}
"""


@pytest.fixture(autouse=True)
def policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    monkeypatch.setenv(bridge.POLICY_ENV, str(path))
    return path


def cfn(**props: object) -> dict[str, object]:
    """A CloudFormation conf as checkov hands it over (line keys, resource_type added)."""
    body = {
        "UserPoolId": {"Ref": "Pool", "__startline__": 5, "__endline__": 6},
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["orders/read"],
        "AccessTokenValidity": 15,
        "TokenValidityUnits": {"AccessToken": "minutes", "__startline__": 9, "__endline__": 11},
        "__file__": "no/such/template.yaml",
        "__startline__": 3,
        "__endline__": 12,
        "resource_type": "AWS::Cognito::UserPoolClient",
    }
    body.update(props)
    return {"Type": "AWS::Cognito::UserPoolClient", "Properties": body}


def judge_cfn(rule_type: str, conf: dict[str, object], name: str = "Client") -> str:
    client = bridge.cfn_resource(conf, f"/t.yaml:AWS::Cognito::UserPoolClient:{name}")
    return verdict(rule_type, client)


def test_cloudformation_conf_maps_to_the_describe_record() -> None:
    conf = cfn(
        AccessTokenValidity="30",  # checkov substituted a parameter default, as a string
        AllowedOAuthScopes=[{"Fn::Sub": "${Api}/read", "__startline__": 7}, "orders/write"],
        EnableTokenRevocation={"Ref": "AWS::NoValue"},
        ClientSecret="s3cr3t",
    )
    client = bridge.cfn_client(conf, "Client")
    record = dict(client.record)
    assert record["AccessTokenValidity"] == 30
    assert record["TokenValidityUnits"] == {"AccessToken": "minutes"}
    first, second = record["AllowedOAuthScopes"]
    assert isinstance(first, Unknown) and second == "orders/write"
    assert "EnableTokenRevocation" not in record and "ClientSecret" not in record
    assert "resource_type" not in record and not any(k.startswith("__") for k in record)
    assert client.location.logical_id == "Client" and client.location.line == 3
    assert client.pool.names == ("Pool",)


@pytest.mark.parametrize(
    ("rule_type", "props", "expected"),
    [
        ("max_access_token_ttl", {}, PASSED),
        ("max_access_token_ttl", {"AccessTokenValidity": 2, "TokenValidityUnits": {}}, FAILED),
        # an intrinsic checkov left unresolved is unknown: UNKNOWN, never FAILED
        ("max_access_token_ttl", {"AccessTokenValidity": {"Fn::FindInMap": ["M", "a", "b"]}}, UNKNOWN),
        ("forbidden_scopes", {"AllowedOAuthScopes": ["orders/admin"]}, FAILED),
        ("forbidden_scopes", {"AllowedOAuthScopes": [{"Fn::Sub": "${Api}/admin"}]}, UNKNOWN),
        # waived for legacy-* clients
        ("forbidden_scopes", {"AllowedOAuthScopes": ["orders/admin"], "ClientName": "legacy-x"}, PASSED),
        # a note-level rule informs, it does not fail the check
        ("wildcard_scopes", {"AllowedOAuthScopes": ["orders/*"]}, PASSED),
        ("required_scopes", {"AllowedOAuthScopes": ["billing/read"]}, FAILED),
        # not an M2M client: never judged
        ("required_scopes", {"AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": []}, PASSED),
        # unknown whether M2M: UNKNOWN
        ("required_scopes", {"AllowedOAuthFlows": {"Ref": "Flows"}, "AllowedOAuthScopes": []}, UNKNOWN),
        # no rule of that type in the policy
        ("mixed_oauth_flows", {"AllowedOAuthFlows": ["client_credentials", "code"]}, PASSED),
    ],
)
def test_cloudformation_verdicts(rule_type: str, props: dict[str, object], expected: str) -> None:
    assert judge_cfn(rule_type, cfn(**props)) == expected


def test_cloudformation_resource_not_created_under_the_defaults_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    path = "tests/fixtures/cloudformation/conditions.yaml"
    conf: dict[str, object] = {
        "Type": "AWS::Cognito::UserPoolClient",
        "Condition": "IsProd",
        "Properties": {
            "UserPoolId": {"Ref": "Pool"},
            "AllowedOAuthFlows": ["client_credentials"],
            "__file__": path,
            "__startline__": 36,
        },
    }
    # From the conf alone: an M2M client without scopes.
    assert verdict("required_scopes", bridge.cfn_client(conf, "ProdOnlyClient")) == FAILED
    # m2m-guard reads the template: IsProd is false under the defaults, nothing is created.
    assert bridge.cfn_resource(conf, f"/{path}:AWS::Cognito::UserPoolClient:ProdOnlyClient") is None
    assert judge_cfn("required_scopes", conf, "ProdOnlyClient") == PASSED


def test_cloudformation_scopes_built_from_resource_servers_are_resolved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    conf = cfn(AllowedOAuthScopes=[{"Fn::Sub": "${OrdersApi}/read"}])
    conf["Properties"]["__file__"] = "examples/cloudformation/orders.yaml"  # type: ignore[index]
    client = bridge.cfn_resource(conf, "/orders.yaml:AWS::Cognito::UserPoolClient:SyncClient")
    assert client is not None and client.record["AllowedOAuthScopes"] == ("orders/read",)
    assert client.pool.resource_servers == ("orders",)


def hcl(**attrs: object) -> dict[str, object]:
    conf: dict[str, object] = {
        "__start_line__": 17,
        "__end_line__": 28,
        "name": ["svc"],
        "user_pool_id": ["aws_cognito_user_pool.pool.id"],
        "generate_secret": [True],
        "allowed_oauth_flows_user_pool_client": [True],
        "allowed_oauth_flows": [["client_credentials"]],
        "allowed_oauth_scopes": [["orders/read"]],
        "access_token_validity": [20],
        "token_validity_units": [{"access_token": ["minutes"]}],
        "__address__": "aws_cognito_user_pool_client.svc",
    }
    conf.update(attrs)
    return conf


def test_terraform_hcl_conf_maps_to_the_describe_record() -> None:
    client = bridge.tf_client(hcl(), "/main.tf:aws_cognito_user_pool_client:svc")
    record = dict(client.record)
    # a reference checkov did not render is unknown as a value; it still names the pool
    assert isinstance(record.pop("UserPoolId"), Unknown)
    assert client.pool.names == ("aws_cognito_user_pool.pool",)
    assert record == {
        "ClientName": "svc",
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ("client_credentials",),
        "AllowedOAuthScopes": ("orders/read",),
        "AccessTokenValidity": 20,
        "TokenValidityUnits": {"AccessToken": "minutes"},
    }
    assert client.location.address == "aws_cognito_user_pool_client.svc"
    assert client.location.path == "/main.tf" and client.location.line == 17


@pytest.mark.parametrize(
    ("rule_type", "attrs", "expected"),
    [
        ("max_access_token_ttl", {}, PASSED),
        ("max_access_token_ttl", {"token_validity_units": [{"access_token": ["days"]}]}, FAILED),
        ("max_access_token_ttl", {"token_validity_units": []}, FAILED),  # 20 hours
        ("max_access_token_ttl", {"access_token_validity": ["var.ttl"]}, UNKNOWN),
        ("forbidden_scopes", {"allowed_oauth_scopes": [["orders/admin"]]}, FAILED),
        (
            "forbidden_scopes",
            {"allowed_oauth_scopes": [["${aws_cognito_resource_server.x.identifier}/admin"]]},
            UNKNOWN,
        ),
        ("forbidden_scopes", {"allowed_oauth_scopes": [["local.scopes"]]}, UNKNOWN),
        ("required_scopes", {"for_each": [{}], "allowed_oauth_scopes": [[]]}, PASSED),
    ],
)
def test_terraform_hcl_verdicts(rule_type: str, attrs: dict[str, object], expected: str) -> None:
    assert verdict(rule_type, bridge.tf_resource(hcl(**attrs))) == expected


TF_FOLDER = {
    "locals.tf": 'locals {\n  scopes = ["orders/admin"]\n}\n',
    "main.tf": """\
resource "aws_cognito_user_pool_client" "svc" {
  name                                 = "svc"
  user_pool_id                         = "us-east-1_Pool"
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = local.scopes
}
""",
}


def test_terraform_hcl_is_read_with_its_folder_by_m2m_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in TF_FOLDER.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)  # checkov -d . names the file /main.tf
    conf = hcl(__start_line__=1, allowed_oauth_scopes=[["local.scopes"]])  # as checkov leaves it
    assert verdict("forbidden_scopes", bridge.tf_client(conf, "/main.tf:x:svc")) == UNKNOWN
    client = bridge.tf_resource(conf, "/main.tf:aws_cognito_user_pool_client:svc")
    assert client is not None and client.record["AllowedOAuthScopes"] == ("orders/admin",)
    assert (client.location.path, client.pool.key) == ("main.tf", "us-east-1_Pool")
    assert verdict("forbidden_scopes", client) == FAILED
    # not the resource m2m-guard read (another line, another address, no such file): the conf
    for line, address, path in [(2, "svc", "/main.tf"), (1, "other", "/main.tf"), (1, "svc", "/no.tf")]:
        other = hcl(__start_line__=line, __address__=f"aws_cognito_user_pool_client.{address}")
        found = bridge.tf_resource(other, f"{path}:aws_cognito_user_pool_client:{address}")
        assert found is not None and found.pool.names == ("aws_cognito_user_pool.pool",)


def plan_conf(**attrs: object) -> dict[str, object]:
    """A terraform_plan conf: _hclify-wrapped values, list-wrapped line keys, no __start_line__."""
    conf: dict[str, object] = {
        "name": ["svc-inventory-pending"],
        "generate_secret": [True],
        "allowed_oauth_flows": [["client_credentials"]],
        "allowed_oauth_flows_user_pool_client": [True],
        "allowed_oauth_scopes": [["inventory/read"]],
        "token_validity_units": [{"access_token": ["minutes"], "__startline__": [211], "start_line": [210]}],
        "__file__": [str(PLAN)],
        "__startline__": [196],
        "start_line": [195],
        "user_pool_id": ["aws_cognito_user_pool.inventory.id"],
        "references_": [["aws_cognito_user_pool.inventory.id", "aws_cognito_user_pool.inventory"]],
        "__address__": "module.auth.aws_cognito_user_pool_client.pending",
        "__change_actions__": ["create"],
    }
    conf.update(attrs)
    return conf


def test_plan_reference_in_place_of_an_unknown_value_is_unknown() -> None:
    # checkov puts the configuration's reference where the planned value is known after apply
    conf = plan_conf(
        allowed_oauth_scopes=[["aws_cognito_resource_server.inventory.scope_identifiers"]],
        references_=[["aws_cognito_resource_server.inventory.scope_identifiers"]],
        __file__=["no/such/plan.json"],
    )
    client = bridge.tf_resource(conf)
    assert client is not None
    (scope,) = client.record["AllowedOAuthScopes"]
    assert isinstance(scope, Unknown)
    assert verdict("required_scopes", client) == UNKNOWN
    assert verdict("forbidden_scopes", client) == UNKNOWN


def test_plan_value_known_after_apply_is_unknown_not_the_provider_default() -> None:
    # The pending client's access_token_validity comes from a module variable known only after
    # apply: checkov leaves it out of the conf, as if unset (default 60 minutes, over 30m).
    conf = plan_conf()
    assert verdict("max_access_token_ttl", bridge.tf_client(conf)) == FAILED
    # Read from the plan, as m2m-guard does, it is unknown: UNKNOWN, not FAILED.
    client = bridge.tf_resource(conf)
    assert client is not None and client.location.address == conf["__address__"]
    assert isinstance(client.record["AccessTokenValidity"], Unknown)
    assert verdict("max_access_token_ttl", client) == UNKNOWN


def test_policy_from_the_environment_discovery_and_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Path
) -> None:
    assert bridge.bridge_policy().source == str(policy)
    monkeypatch.setenv(bridge.POLICY_ENV, "default")
    assert bridge.bridge_policy().source == "built-in default"
    monkeypatch.delenv(bridge.POLICY_ENV)
    work = tmp_path / "repo" / "sub"
    work.mkdir(parents=True)
    (tmp_path / "repo" / ".m2m-guard.yaml").write_text(POLICY)
    monkeypatch.chdir(work)
    assert bridge.bridge_policy().source.endswith(".m2m-guard.yaml")
    assert [r.id for r in bridge.policy_for("max_access_token_ttl").rules] == ["TTL"]


def test_bad_policy_is_reported_not_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(bridge.POLICY_ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(bridge.BridgeError):
        bridge.bridge_policy()
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - {id: X, type: max_access_token_ttl}\n")
    monkeypatch.setenv(bridge.POLICY_ENV, str(bad))
    with pytest.raises(bridge.BridgeError, match="max"):
        bridge.bridge_policy()
    with pytest.raises(bridge.BridgeError, match="max"):
        verdict("max_access_token_ttl", None)
    err = capsys.readouterr().err
    assert err.count("'max' is required") == 1  # once per process, not once per resource


def test_checks_folder_has_one_module_per_client_rule_type_and_bridged_pool_type() -> None:
    client_types = {name for name, spec in RULES.items() if spec.scope == "client"}
    assert set(bridge.CLIENT_TYPES) == client_types and "pool_budget" not in client_types
    assert set(bridge.POOL_TYPES) == {"token_customization"}
    assert all(RULES[t].scope == "pool" for t in bridge.POOL_TYPES)
    checked = client_types | set(bridge.POOL_TYPES)
    modules = {p.stem.removeprefix("m2m_guard_") for p in CHECKS.glob("m2m_guard_*.py")}
    assert modules == checked
    # checkov walks only folders with __init__.py and reads every YAML file as a graph policy
    assert (CHECKS / "__init__.py").is_file()
    assert {p.name for p in CHECKS.iterdir() if p.is_file()} == {
        "__init__.py",
        *(f"m2m_guard_{t}.py" for t in checked),
    }
    for path in CHECKS.glob("m2m_guard_*.py"):
        rule_type = path.stem.removeprefix("m2m_guard_")
        assert f'make_checks("{rule_type}")' in path.read_text()
        assert "details" not in path.read_text()
    assert "self.details" not in (CHECKS.parent / "bridge.py").read_text()
    assert bridge.check_id("max_access_token_ttl") == "CKV_M2M_MAX_ACCESS_TOKEN_TTL"


POOL_TEMPLATE = """\
Parameters:
  Tier: {Type: String}
Resources:
  Good:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig:
        PreTokenGenerationConfig:
          LambdaArn: arn:aws:lambda:eu-west-1:111122223333:function:claims
          LambdaVersion: V3_0
  Old:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig:
        PreTokenGenerationConfig:
          LambdaArn: arn:aws:lambda:eu-west-1:111122223333:function:claims
          LambdaVersion: V2_0
  Unknown:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolTier: !Ref Tier
      LambdaConfig:
        PreTokenGenerationConfig:
          LambdaArn: arn:aws:lambda:eu-west-1:111122223333:function:claims
          LambdaVersion: V3_0
  Empty:
    Type: AWS::Cognito::UserPool
  GoodClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Good
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
  OldClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Old
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
  UnknownClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Unknown
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
"""


def test_pool_checks_judge_the_pool_with_its_clients(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = tmp_path / "pools.yaml"
    template.write_text(POOL_TEMPLATE)
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nrules:\n  - {id: CUSTOM, type: token_customization, require: true}\n")
    monkeypatch.setenv(bridge.POLICY_ENV, str(policy))
    conf = {"Type": "AWS::Cognito::UserPool", "Properties": {"__file__": str(template)}}

    def judged(logical_id: str) -> str:
        members = bridge.cfn_pool_members(conf, f"{template}:AWS::Cognito::UserPool:{logical_id}")
        return bridge.pool_verdict("token_customization", members)

    assert judged("Good") == bridge.PASSED
    assert judged("Old") == bridge.FAILED  # V2_0 does not run for client-credentials requests
    assert judged("Unknown") == bridge.UNKNOWN  # the plan is a parameter without a default
    assert judged("Empty") == bridge.PASSED  # no M2M client: nothing to customize
    unreadable = {"Properties": {"__file__": str(tmp_path / "missing.yaml")}}
    assert (
        bridge.pool_verdict("token_customization", bridge.cfn_pool_members(unreadable, "x:y:Good"))
        == bridge.UNKNOWN
    )
