"""Client secrets: a value never leaves m2m-guard, in any spelling, at any depth, from any
source; a ``ClientSecretArn`` (the secret kept in AWS Secrets Manager) means the client has a
secret.

Shapes: botocore's cognito-idp service model (2016-04-18, botocore 1.44.8):
UserPoolClientType.ClientSecret / ClientSecretArn, ClientSecretDescriptorType.ClientSecretValue
(AddUserPoolClientSecret); the Secrets Manager secret Cognito manages holds ``clientSecretValue``
(UserPoolClientType.ClientSecretArn's documentation). Terraform: the plan fixture of
tests/sources/test_terraform_plan.py (``client_secret``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.model import AppClient, Location, Pool, Unknown, token_blockers
from m2m_guard.sources.normalize import SECRET_KEYS, drop_secrets, normalize

CANARY = "CANARYq9" + "Zk4Xw2" * 6  # shaped like a secret: ClientSecretType is [\w+]{24,64}
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret/cognito-idp/eu-west-1_Rp4s8TbQ2/client-AbC123"


def client(**record: Any) -> AppClient:
    base: dict[str, Any] = {
        "ClientId": "c1",
        "ClientName": "svc",
        "UserPoolId": "eu-west-1_Rp4s8TbQ2",
        "AllowedOAuthFlows": ("client_credentials",),
        "AllowedOAuthScopes": ("orders/read",),
        "AllowedOAuthFlowsUserPoolClient": True,
    }
    base.update(record)
    return AppClient(base, Location("x.json", 1, client_id="c1"), Pool("p", "p"))


# --- what counts as a secret, and as having one -----------------------------------------------


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("ClientSecret", True),
        ("clientSecret", True),
        ("client_secret", True),
        ("CLIENT_SECRET", True),
        ("client-secret", True),
        ("ClientSecretValue", True),
        ("clientSecretValue", True),
        ("ClientSecretArn", False),
        ("ClientSecretId", False),
        ("ClientSecretCreateDate", False),
        ("GenerateSecret", False),
        ("PublishSecretsInAWSSecretsManager", False),
    ],
)
def test_secret_keys_are_recognised_in_any_spelling(key: str, secret: bool) -> None:
    assert (key in SECRET_KEYS) is secret


def test_secret_values_are_dropped_at_any_depth() -> None:
    raw = {
        "ClientId": "c1",
        "clientSecret": CANARY,
        "Future": {"Secrets": [{"ClientSecretId": "c1--1700000000", "ClientSecretValue": CANARY}]},
        "Deeper": [[{"a": {"client_secret": CANARY, "keep": 1}}]],
    }
    record = normalize(raw)
    assert CANARY not in repr(record)
    assert record["Future"] == {"Secrets": [{"ClientSecretId": "c1--1700000000"}]}
    assert record["Deeper"] == [[{"a": {"keep": 1}}]]


def test_nesting_beyond_any_real_record_is_not_kept() -> None:
    deep: Any = {"ClientSecret": CANARY}
    for _ in range(100):
        deep = {"n": deep}
    kept = drop_secrets(deep)
    assert CANARY not in repr(kept)
    assert "nested too deeply" in repr(kept)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param({"GenerateSecret": True}, True, id="generated"),
        pytest.param({"GenerateSecret": False}, False, id="none"),
        pytest.param({}, False, id="absent"),
        pytest.param({"ClientSecretArn": ARN}, True, id="arn"),
        pytest.param({"GenerateSecret": False, "ClientSecretArn": ARN}, True, id="arn-wins-over-false"),
        pytest.param(
            {"GenerateSecret": Unknown("x"), "ClientSecretArn": ARN}, True, id="arn-wins-over-unknown"
        ),
        pytest.param({"ClientSecretArn": ""}, False, id="empty-arn"),
        pytest.param({"ClientSecretArn": Unknown("y")}, Unknown("y"), id="unknown-arn"),
        pytest.param(
            {"GenerateSecret": True, "ClientSecretArn": Unknown("y")}, True, id="generated-unknown-arn"
        ),
        pytest.param({"GenerateSecret": Unknown("x")}, Unknown("x"), id="unknown"),
    ],
)
def test_has_secret(record: dict[str, Any], expected: Any) -> None:
    assert client(**record).has_secret == expected


def test_a_client_with_only_a_client_secret_arn_can_issue_tokens() -> None:
    assert token_blockers(client(GenerateSecret=False, ClientSecretArn=ARN)) == ([], [])
    assert token_blockers(client(GenerateSecret=False)) == (
        [("GenerateSecret", "it has no client secret")],
        [],
    )
    assert token_blockers(client(ClientSecretArn=Unknown("z"))) == ([], ["ClientSecretArn is unknown (z)"])


# --- the canary, end to end: every source, every format, every file written ----------------------


def _inputs(folder: Path) -> None:
    """One input of each kind, each holding the canary where a careless reader would copy it."""
    describe = {
        "UserPoolClient": {
            "UserPoolId": "eu-west-1_Rp4s8TbQ2",
            "ClientName": "svc-describe",
            "ClientId": "5m2n8b4v6c1x3z9l7k5j3h1g0f",
            "ClientSecret": CANARY,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": ["orders/read"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AccessTokenValidity": 2,
            "TokenValidityUnits": {"AccessToken": "days"},  # out of range: a finding to print
            "FutureSecrets": [{"ClientSecretId": "x--1", "clientSecretValue": CANARY}],
        }
    }
    (folder / "describe.json").write_text(json.dumps(describe, indent=2))
    plan = (FIXTURES / "terraform" / "existing_clients_with_secret.plan.json").read_text()
    assert "CANARY-tfplan-7f3e91c2b8d54a06" in plan
    (folder / "plan.json").write_text(plan.replace("CANARY-tfplan-7f3e91c2b8d54a06", CANARY))
    (folder / "template.yaml").write_text(
        "Resources:\n"
        "  Pool:\n    Type: AWS::Cognito::UserPool\n    Properties: {UserPoolName: p}\n"
        "  Client:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n"
        "      UserPoolId: !Ref Pool\n      GenerateSecret: true\n"
        f"      ClientSecret: {CANARY}\n"
        f"      Extra: {{nested: [{{client_secret: {CANARY}}}]}}\n"
        "      AllowedOAuthFlowsUserPoolClient: true\n"
        "      AllowedOAuthFlows: [client_credentials]\n"
        "      AllowedOAuthScopes: [orders/read]\n"
        "      AccessTokenValidity: 48\n"
    )
    inventory = {  # as an older or hand-edited sweep inventory might hold it
        "m2mGuardInventory": 1,
        "account": "111122223333",
        "region": "eu-west-1",
        "usage": {"windowDays": 30, "sources": [], "tokenRequests": {}},
        "userPools": [
            {
                "Id": "eu-west-1_Inv3nt0ry",
                "Name": "inv",
                "Arn": "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Inv3nt0ry",
                "ResourceServers": ["orders"],
                "AppClients": [
                    {
                        "UserPoolId": "eu-west-1_Inv3nt0ry",
                        "ClientId": "7h6g5f4d3s2a1q0w9e8r7t6y5u",
                        "ClientName": "svc-inventory",
                        "ClientSecret": CANARY,
                        "ClientSecretArn": ARN,
                        "GenerateSecret": True,
                        "AllowedOAuthFlows": ["client_credentials"],
                        "AllowedOAuthScopes": ["orders/read"],
                        "AllowedOAuthFlowsUserPoolClient": True,
                        "AccessTokenValidity": 3,
                        "TokenValidityUnits": {"AccessToken": "days"},
                        "Nested": {"ClientSecretValue": CANARY},
                    }
                ],
            }
        ],
    }
    (folder / "inventory.json").write_text(json.dumps(inventory, indent=2))


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_the_canary_appears_in_no_report_and_no_file_written(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    _inputs(inputs)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    codes = [
        main(["scan", str(inputs), "--format", fmt]),
        main(["scan", str(inputs), "--format", fmt, "--output", f"report.{fmt}"]),
        main(["cost", str(inputs), "--format", fmt if fmt != "sarif" else "json"]),
    ]
    printed = capsys.readouterr()
    assert codes[0] == 1 and codes[1] == 1, printed.err  # findings, and no input error
    written = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert written and printed.out
    everything = printed.out + printed.err + written
    assert CANARY not in everything
    # the clients were read (not skipped): each is named in the report
    for client_id in ("5m2n8b4v6c1x3z9l7k5j3h1g0f", "7h6g5f4d3s2a1q0w9e8r7t6y5u", "Client"):
        assert client_id in printed.out + written
    # and no client with a secret is called unable to get a token
    assert "no client secret" not in everything
    # the ARN is not shown in reports either
    assert "secretsmanager" not in everything


# --- any spelling, any depth, every source; conditions; parse errors ---------------------------------


def _hostile_inputs(folder: Path) -> None:
    """The canary under secret keys in spellings and places the sources must all catch."""
    (folder / "template.yaml").write_text(
        "Resources:\n"
        "  Pool:\n    Type: AWS::Cognito::UserPool\n"
        "  Client:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n"
        "      UserPoolId: !Ref Pool\n      GenerateSecret: true\n"
        f"      CLIENTSECRET: {CANARY}\n"
        f"      clientSecret: !Sub '{CANARY}'\n"
        f"      Extra: {{ClientSecret: {CANARY}, deeper: [{{Client-Secret: {CANARY}}}]}}\n"
        f"      TokenValidityUnits: {{AccessToken: hours, clientsecret: {CANARY}}}\n"
        "      AllowedOAuthFlowsUserPoolClient: true\n"
        "      AllowedOAuthFlows: [client_credentials]\n"
        "      AllowedOAuthScopes: [orders/read]\n"
        "      AccessTokenValidity: 48\n"
    )
    (folder / "main.tf").write_text(
        'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n}\n'
        'resource "aws_cognito_user_pool_client" "c" {\n'
        '  name = "svc-tf"\n  user_pool_id = aws_cognito_user_pool.p.id\n  generate_secret = true\n'
        f'  client_secret = "{CANARY}"\n'
        f'  CLIENTSECRET = "{CANARY}"\n'
        f'  extra = {{ ClientSecret = "{CANARY}", keep = 1 }}\n'
        '  allowed_oauth_flows_user_pool_client = true\n  allowed_oauth_flows = ["client_credentials"]\n'
        '  allowed_oauth_scopes = ["orders/read"]\n  access_token_validity = 48\n'
        '  token_validity_units {\n    access_token = "hours"\n  }\n}\n'
    )
    describe = {
        "UserPoolClient": {
            "UserPoolId": "eu-west-1_Rp4s8TbQ2",
            "ClientName": "svc-describe",
            "ClientId": "5m2n8b4v6c1x3z9l7k5j3h1g0f",
            "CLIENTSECRET": CANARY,
            "clientSecret": CANARY,
            "Extra": {"ClientSecret": CANARY, "keep": 1},
            "TokenValidityUnits": {"AccessToken": "days", "CLIENT_SECRET": CANARY},
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": ["orders/read"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "GenerateSecret": True,
            "AccessTokenValidity": 2,
        }
    }
    (folder / "describe.json").write_text(json.dumps(describe))
    plan = (FIXTURES / "terraform" / "existing_clients_with_secret.plan.json").read_text()
    (folder / "plan.json").write_text(plan.replace("CANARY-tfplan-7f3e91c2b8d54a06", CANARY))
    (folder / ".m2m-guard.yaml").write_text(
        "version: 1\nrules:\n"
        "  - {id: TTL, type: max_access_token_ttl, max: 1h}\n"
        # each prints the value it finds: a mapping that held a secret, in any spelling
        "  - {id: C-EXTRA, type: condition, key: Extra, op: absent}\n"
        "  - {id: C-EXTRA-TF, type: condition, key: extra, op: absent}\n"
        "  - {id: C-UNITS, type: condition, key: TokenValidityUnits, op: absent}\n"
        "  - {id: C-UNITS-EQ, type: condition, key: TokenValidityUnits, op: equals, value: {}}\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "--format", "text"],
        ["scan", "--format", "json"],
        ["scan", "--format", "sarif"],
        ["cost", "--format", "text"],
        ["cost", "--format", "json"],
        ["cost", "--format", "csv"],
        ["cost", "--format", "markdown"],
    ],
    ids=lambda argv: "-".join(argv[::2]),
)
def test_secret_keys_in_any_spelling_and_depth_reach_no_output(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    _hostile_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    code = main([*argv, "--output", "report.out"])
    printed = capsys.readouterr()
    written = (tmp_path / "report.out").read_text()
    assert code in (0, 1), printed.err  # every input was read
    assert CANARY not in printed.out + printed.err + written
    if argv[0] == "scan":  # the conditions fired and printed what they found, without the secret
        assert code == 1
        for name in ("Client", "aws_cognito_user_pool_client.c", "5m2n8b4v6c1x3z9l7k5j3h1g0f"):
            assert name in written
        assert "C-EXTRA" in written and "C-UNITS" in written


_PARSE_ERRORS = {
    "int.yaml": f"      ClientSecret: !!int {CANARY}\n",
    "float.yaml": f"      client_secret: !!float {CANARY}\n",
    "bool.yaml": f"      ClientSecretValue: !!bool {CANARY}\n",
    "nested.yaml": f"      ClientSecret:\n        inner: [!!int {CANARY}]\n",
    "tag.yaml": f"      CLIENTSECRET: !<tag:{CANARY}> x\n",
    "python.yaml": f"      clientSecret: !!python/name:{CANARY} x\n",
}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_parse_errors_never_quote_the_value_of_a_secret_key(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    head = "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n"
    for name, line in _PARSE_ERRORS.items():
        (tmp_path / name).write_text(head + line)
    (tmp_path / "usage.json").write_text(json.dumps({"window_days": 30, "clients": {"ClientSecret": CANARY}}))
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "--format", fmt, "--output", "report.out"])
    printed = capsys.readouterr()
    written = (tmp_path / "report.out").read_text()
    assert code == 2
    assert CANARY not in printed.out + printed.err + written
    for name in _PARSE_ERRORS:  # each file is reported, with the line of the value
        assert f"{name}:{6 if name == 'nested.yaml' else 5}: invalid YAML: " in printed.err, printed.err
    assert "the value of a secret key (not shown) is not a valid int" in printed.err
    assert main(["scan", "--usage", "usage.json"]) == 2
    printed = capsys.readouterr()
    assert CANARY not in printed.out + printed.err
    assert (
        "clients['ClientSecret']: must be a whole number of requests (0 to 10**15), not the value given"
        in (printed.err)
    )


def test_a_value_that_is_not_a_secret_is_still_quoted(tmp_path: Path) -> None:
    from m2m_guard.sources import SourceError, parse

    with pytest.raises(SourceError) as caught:
        parse("x.yaml", "a:\n  AccessTokenValidity: !!int soon\n")
    assert caught.value.message == "invalid YAML: 'soon' is not a valid int"


def test_secret_keys_are_dropped_inside_the_mappings_the_normalizer_converts() -> None:
    record = normalize(
        {"TokenValidityUnits": {"AccessToken": "hours", "ClientSecret": CANARY, "cLiEnT_sEcReT": 1}}
    )
    assert record["TokenValidityUnits"] == {"AccessToken": "hours"}
