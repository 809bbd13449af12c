""".tf files as Terraform applies them: instances of count / for_each, module instances, and the
values of variable definitions files (.tfvars, --var-file), through `m2m-guard scan`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.inputs import collect
from m2m_guard.model import AppClient, Unknown
from m2m_guard.sources.terraform_hcl import Folder, load_module
from m2m_guard.sources.tf_clients import load_clients
from m2m_guard.sources.tf_modules import Loader

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hcl"


def clients_of(case: str, var_files: tuple[str, ...] = ()) -> dict[str, AppClient]:
    folder = FIXTURES / case
    found = collect([str(folder)], folder, var_files=[str(folder / f) for f in var_files]).clients
    return {c.location.address or "": c for c in found}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    policy = () if "--policy" in args else ("--policy", "default")
    code = main(["scan", *args, "--format", "json", *policy])
    return code, json.loads(capsys.readouterr().out)


# --- variable definitions files ----------------------------------------------------------------


def test_tfvars_files_are_read_in_terraforms_order_of_precedence() -> None:
    # https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence:
    # terraform.tfvars, then terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order
    (client,) = clients_of("tfvars_precedence").values()
    record = client.record
    assert record["AccessTokenValidity"] == 2  # b.auto.tfvars.json, the last one loaded
    assert record["ClientName"] == "from-terraform-tfvars-json"  # .json after terraform.tfvars
    assert record["AllowedOAuthScopes"] == ("orders/read", "orders/write")  # terraform.tfvars only
    assert record["TokenValidityUnits"] == {"AccessToken": "minutes"}


def test_var_files_named_for_the_run_come_last() -> None:
    # -var-file: "Any -var and -var-file options on the command line, in the order they are provided"
    (client,) = clients_of("tfvars_precedence", ("prod.tfvars",)).values()
    assert (client.record["AccessTokenValidity"], client.record["ClientName"]) == (30, "from-prod")


def test_tfvars_apply_to_the_root_module_only_not_to_the_modules_it_calls() -> None:
    module = 'variable "ttl" {\n  type = number\n}\n' + CLIENT.replace("TTL", "var.ttl")
    root = 'variable "ttl" {}\nmodule "m" {\n  source = "./m"\n  ttl    = 5\n}\n'

    def read(base: str, source: str) -> Folder | None:
        return Folder("root/m", (("root/m/main.tf", module),)) if source == "./m" else None

    # the root's terraform.tfvars sets the root's ttl; the module gets the call's argument
    folder = Folder("root", (("root/main.tf", root),), (("root/terraform.tfvars", "ttl = 7\n"),))
    (client,) = load_clients(Loader(read), folder)
    assert client.record["AccessTokenValidity"] == 5


def test_scan_with_var_file_option(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (FIXTURES / "tfvars_precedence").iterdir():
        shutil.copy(path, repo / path.name)
    policy = "version: 1\nrules:\n  - {id: TTL, type: max_access_token_ttl, max: 15m, severity: error}\n"
    (repo / "p.yaml").write_text(policy, encoding="utf-8")
    code, report = scan(capsys, ".", "--policy", "p.yaml", "--var-file", "prod.tfvars")
    # prod.tfvars sets 30; terraform.tfvars the unit, minutes
    assert [f["message"] for f in report["findings"]] == [
        "AccessTokenValidity is 30 minutes; policy TTL allows at most 15 minutes."
    ]
    assert code == 1
    code, report = scan(capsys, ".", "--policy", "p.yaml")
    assert (code, report["findings"]) == (0, [])  # without it: 2 minutes


CLIENT = """resource "aws_cognito_user_pool_client" "c" {
  name                                 = "c"
  user_pool_id                         = "us-east-1_Example1"
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read"]
  access_token_validity                = TTL
}
"""


# --- module instances ----------------------------------------------------------------------------


def test_module_calls_with_for_each_and_count_make_one_instance_each() -> None:
    clients = clients_of("module_instances")
    assert sorted(clients) == [
        "aws_cognito_user_pool_client.reporting",
        "module.batch[0].aws_cognito_user_pool_client.this",  # count = 0: module.disabled makes none
        'module.svc["reader"].aws_cognito_user_pool_client.this',
        'module.svc["writer"].aws_cognito_user_pool_client.this',
    ]
    reader = clients['module.svc["reader"].aws_cognito_user_pool_client.this'].record
    writer = clients['module.svc["writer"].aws_cognito_user_pool_client.this'].record
    assert (reader["ClientName"], reader["AllowedOAuthScopes"], reader["AccessTokenValidity"]) == (
        "svc-reader",
        ("orders/read",),
        1,
    )
    assert (writer["ClientName"], writer["AccessTokenValidity"]) == ("svc-writer", 24)
    batch = clients["module.batch[0].aws_cognito_user_pool_client.this"].record
    assert (batch["ClientName"], batch["AccessTokenValidity"]) == ("batch-0", 1)  # the default: null
    # the outputs of one module instance, named by its key
    reporting = clients["aws_cognito_user_pool_client.reporting"].record
    assert (reporting["AllowedOAuthScopes"], reporting["AccessTokenValidity"]) == (("orders/read",), 1)


def test_every_instance_is_reported_with_its_address(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(FIXTURES / "module_instances", repo, dirs_exist_ok=True)
    code, report = scan(capsys)
    ttl = {(f["subject"], f["path"], f["line"]) for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"}
    # only the writer's access tokens live 24 hours; the finding points at the module's line
    assert ttl == {('module.svc["writer"].aws_cognito_user_pool_client.this', "modules/client/main.tf", 25)}
    assert code == 1


# --- instances of resources ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repeat", "addresses"),
    [
        ("count = 2", ["aws_cognito_user_pool_client.c[0]", "aws_cognito_user_pool_client.c[1]"]),
        (
            'for_each = toset(["b", "a"])',
            ['aws_cognito_user_pool_client.c["a"]', 'aws_cognito_user_pool_client.c["b"]'],
        ),
        ('for_each = { "x y" = 1 }', ['aws_cognito_user_pool_client.c["x y"]']),
        ("count = 0", []),
        ("for_each = {}", []),
        ("for_each = [for s in [] : s]", []),  # a for expression over an empty list
        ("count = length([])", []),
    ],
)
def test_instances_are_addressed_as_terraform_does(repeat: str, addresses: list[str]) -> None:
    clients = load_module([("m.tf", CLIENT.replace("TTL", "1").replace('"c" {', f'"c" {{\n  {repeat}'))])
    assert [c.location.address for c in clients] == addresses


def test_zero_instances_report_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # for_each over a variable whose default is [] (through a for expression): no client at all
    text = 'variable "clients" {\n  default = []\n}\n' + CLIENT.replace("TTL", "24").replace(
        '"c" {', '"c" {\n  for_each = { for c in var.clients : c => c }'
    )
    (repo / "main.tf").write_text(text, encoding="utf-8")
    code, report = scan(capsys)
    assert (code, report["findings"], report["summary"]["app_clients"]) == (0, [], 0)


def test_an_unknown_count_gives_notes_that_the_client_may_not_exist(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = 'variable "n" {}\n' + CLIENT.replace("TTL", "24").replace('"c" {', '"c" {\n  count = var.n')
    (repo / "main.tf").write_text(text, encoding="utf-8")
    code, report = scan(capsys)
    levels = {f["level"] for f in report["findings"]}
    assert levels == {"note"}
    assert all(
        "Applies if the client exists, which is unknown (count: var.n has no default)" in f["message"]
        for f in report["findings"]
    )
    assert code == 0


def test_each_value_objects_give_each_instance_its_own_values() -> None:
    text = """
variable "clients" {
  type = map(object({
    scopes = list(string)
    ttl    = optional(number, 1)
    secret = optional(bool, true)
  }))
  default = {
    reader = { scopes = ["orders/read"] }
    admin  = { scopes = ["orders/admin"], ttl = 24, secret = false }
  }
}
resource "aws_cognito_user_pool_client" "c" {
  for_each                             = var.clients
  name                                 = each.key
  user_pool_id                         = "us-east-1_Example1"
  generate_secret                      = each.value.secret
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = try(each.value.scopes, [])
  access_token_validity                = each.value.ttl
}
"""
    found = {c.location.address: c.record for c in load_module([("m.tf", text)])}
    admin = found['aws_cognito_user_pool_client.c["admin"]']
    reader = found['aws_cognito_user_pool_client.c["reader"]']
    assert (admin["AllowedOAuthScopes"], admin["AccessTokenValidity"], admin["GenerateSecret"]) == (
        ("orders/admin",),
        24,
        False,
    )
    assert (reader["AccessTokenValidity"], reader["GenerateSecret"]) == (1, True)  # optional defaults


def test_instance_values_stay_unknown_when_the_instances_are_not_known() -> None:
    text = 'variable "names" {}\n' + CLIENT.replace("TTL", "1").replace(
        '"c" {\n  name                                 = "c"',
        '"c" {\n  for_each = toset(var.names)\n  name = each.key',
    )
    (client,) = load_module([("m.tf", text)])
    assert client.location.address == "aws_cognito_user_pool_client.c"
    assert client.record["ClientName"] == Unknown("depends on each.key")
    assert client.may_not_exist == Unknown("for_each: var.names has no default")
