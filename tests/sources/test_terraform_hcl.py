"""Terraform HCL (.tf folders) -> normalized clients, and `m2m-guard scan` over .tf files."""

from __future__ import annotations

import datetime as dt
import json
import os
import posixpath
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.engine import cost_report, evaluate
from m2m_guard.inputs import collect
from m2m_guard.model import AppClient, Location, Pool, Severity, Unknown
from m2m_guard.model.pool_settings import customizes_m2m_tokens
from m2m_guard.policy import load_policy
from m2m_guard.policy.loader import builtin_packs
from m2m_guard.sources import hcl_ast, terraform_expr, tf_modules
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.terraform_hcl import Folder, load_module, parse
from tests.sources.support import as_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hcl"
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "terraform"


def folder(path: str) -> Folder | None:
    """A fixture folder (path relative to fixtures/hcl) as the scan would hand it over."""
    real = FIXTURES / path
    if not real.is_dir():
        return None
    files = tuple((f"{path}/{p.name}", p.read_text(encoding="utf-8")) for p in sorted(real.glob("*.tf")))
    return Folder(path, files)


def read_folder(base: str, source: str) -> Folder | None:
    return folder(posixpath.normpath(posixpath.join(base, source)))


def load_case(case: str) -> dict[str, AppClient]:
    found = folder(case)
    assert found is not None
    clients = load_module(found.files, read_folder, folder=case)
    return {c.location.address or "": c for c in clients}


# --- literals, blocks, defaults ------------------------------------------------------------------

LITERALS = "literals_and_units/main.tf"
MAIN_POOL = Pool(
    key="literals_and_units#aws_cognito_user_pool.main",
    label="aws_cognito_user_pool.main",
    names=("aws_cognito_user_pool.main", "orders-pool"),
    location=Location(LITERALS, 2, address="aws_cognito_user_pool.main"),
    resource_servers=("orders",),
)


def test_literal_client_maps_to_describe_keys_with_lines_and_pool() -> None:
    client = load_case("literals_and_units")["aws_cognito_user_pool_client.sync"]
    assert as_dict(client) == {
        "record": {
            "ClientName": "svc-orders-sync",
            "UserPoolId": Unknown("aws_cognito_user_pool.main.id is known after apply"),
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ("client_credentials",),
            "AllowedOAuthScopes": ("orders/read",),
            "AccessTokenValidity": 30,
            "RefreshTokenValidity": 1,
            "TokenValidityUnits": {"AccessToken": "minutes", "RefreshToken": "days"},
        },
        "location": Location(LITERALS, 17, address="aws_cognito_user_pool_client.sync"),
        "pool": MAIN_POOL,
        "field_lines": {
            "ClientName": 18,
            "UserPoolId": 19,
            "GenerateSecret": 20,
            "AllowedOAuthFlowsUserPoolClient": 21,
            "AllowedOAuthFlows": 22,
            "AllowedOAuthScopes": 23,
            "AccessTokenValidity": 24,
            "RefreshTokenValidity": 25,
            "TokenValidityUnits": 27,
        },
    }
    assert client.access_token_ttl == 30 * 60


def test_attributes_the_configuration_does_not_set_are_absent_and_take_cognito_defaults() -> None:
    client = load_case("literals_and_units")["aws_cognito_user_pool_client.defaults"]
    assert "AccessTokenValidity" not in client.record
    assert "TokenValidityUnits" not in client.record
    assert client.access_token_ttl == 3600
    assert client.location == Location(LITERALS, 34, address="aws_cognito_user_pool_client.defaults")
    assert client.pool == MAIN_POOL


def test_variable_defaults_from_other_files_of_the_folder_and_locals_are_used() -> None:
    client = load_case("variable_defaults")["aws_cognito_user_pool_client.reporting"]
    assert as_dict(client) == {
        "record": {
            "ClientName": "svc-reporting",
            "UserPoolId": "us-east-1_Example1",
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ("client_credentials",),
            "AllowedOAuthScopes": ("orders/read", "orders/write"),
            "AccessTokenValidity": 120,
            "RefreshTokenValidity": Unknown("var.refresh_days has no default"),
            # id_token_validity = var.id_token_validity, whose default is null: not set
            "TokenValidityUnits": {"AccessToken": "minutes"},
        },
        "location": Location(
            "variable_defaults/main.tf", 6, address="aws_cognito_user_pool_client.reporting"
        ),
        "pool": Pool(key="us-east-1_Example1", label="us-east-1_Example1", names=("us-east-1_Example1",)),
        "field_lines": {
            "ClientName": 7,
            "UserPoolId": 8,
            "GenerateSecret": 9,
            "AllowedOAuthFlowsUserPoolClient": 10,
            "AllowedOAuthFlows": 11,
            "AllowedOAuthScopes": 12,
            "AccessTokenValidity": 13,
            "RefreshTokenValidity": 14,
            "TokenValidityUnits": 17,
        },
    }
    assert client.access_token_ttl == 120 * 60


def test_variable_without_a_default_is_unknown_and_says_so() -> None:
    text = """
variable "ttl" {}
resource "aws_cognito_user_pool_client" "c" {
  user_pool_id          = "us-east-1_X"
  allowed_oauth_flows   = ["client_credentials"]
  access_token_validity = var.ttl
}
"""
    (client,) = load_module([("infra/main.tf", text)])
    assert client.record["AccessTokenValidity"] == Unknown("var.ttl has no default")
    assert client.access_token_ttl == Unknown("AccessTokenValidity is unknown (var.ttl has no default)")


# --- scopes from resource servers -----------------------------------------------------------------

SCOPES_POOL = Pool(
    key="interpolated_scopes#aws_cognito_user_pool.main",
    label="aws_cognito_user_pool.main",
    names=("aws_cognito_user_pool.main", "api-pool"),
    location=Location("interpolated_scopes/main.tf", 1, address="aws_cognito_user_pool.main"),
    resource_servers=("https://orders.example.com", "dynamic", "billing", "stock"),
)


def test_scope_interpolated_from_a_resource_server_identifier() -> None:
    client = load_case("interpolated_scopes")["aws_cognito_user_pool_client.one_scope"]
    assert client.record["AllowedOAuthScopes"] == ("https://orders.example.com/read",)
    assert client.pool == SCOPES_POOL
    assert client.field_lines["AllowedOAuthScopes"] == 40


def test_scope_identifiers_of_a_resource_server_as_a_whole_list() -> None:
    client = load_case("interpolated_scopes")["aws_cognito_user_pool_client.all_scopes"]
    assert client.record["AllowedOAuthScopes"] == (
        "https://orders.example.com/read",
        "https://orders.example.com/write",
    )


@pytest.mark.parametrize(
    ("client", "scopes"),
    [
        # dynamic "scope" blocks: one scope per element of their for_each
        ("dynamic_scopes", ("dynamic/read",)),
        # Terraform 0.11: ["${list}"] is the list itself
        ("legacy_list", ("https://orders.example.com/read", "https://orders.example.com/write")),
        # a for expression over a for_each resource visits its instances in key order
        ("flattened", ("billing/read", "stock/read", "stock/write")),
        # values(resource)[*].identifier; element() wraps around (index 3 of 2 is 1): "If the
        # given index is greater than the length of the list then the index is wrapped around",
        # https://developer.hashicorp.com/terraform/language/functions/element
        ("splat", ("billing/read", "https://orders.example.com/write", "stock/read")),
        # one instance by its key; its dynamic block uses a named iterator and each.value
        ("one_api", ("stock/read", "stock/write")),
    ],
)
def test_scope_identifiers_in_every_form(client: str, scopes: tuple[str, ...]) -> None:
    # scope_identifiers is identifier + "/" + scope_name for each scope,
    # https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_resource_server
    found = load_case("interpolated_scopes")[f"aws_cognito_user_pool_client.{client}"]
    assert found.record["AllowedOAuthScopes"] == scopes
    # the pool's resource servers include every instance of per_api
    assert found.pool.resource_servers == ("https://orders.example.com", "dynamic", "billing", "stock")


def test_scope_identifiers_of_a_dynamic_block_over_an_unknown_collection_are_unknown() -> None:
    text = """
variable "scopes" {}
resource "aws_cognito_resource_server" "rs" {
  identifier   = "api"
  name         = "api"
  user_pool_id = "us-east-1_Example1"
  dynamic "scope" {
    for_each = var.scopes
    content {
      scope_name        = scope.value
      scope_description = scope.value
    }
  }
}
resource "aws_cognito_user_pool_client" "c" {
  user_pool_id         = "us-east-1_Example1"
  allowed_oauth_flows  = ["client_credentials"]
  allowed_oauth_scopes = aws_cognito_resource_server.rs.scope_identifiers
}
"""
    (client,) = load_module([("main.tf", text)])
    assert client.record["AllowedOAuthScopes"] == Unknown(
        "aws_cognito_resource_server.rs.scope_identifiers: dynamic scope: var.scopes has no default"
    )


# --- count and for_each --------------------------------------------------------------------------


def test_count_and_for_each_give_one_client_per_instance_with_its_own_values() -> None:
    # One instance per count.index / for_each key, addressed as Terraform addresses them
    # (https://developer.hashicorp.com/terraform/cli/state/resource-addressing): [0] for count,
    # ["key"] for for_each, in index order and in lexicographic key order.
    clients = load_case("count_and_for_each")
    # count = 0 and for_each over an empty map: not created, so not loaded.
    assert list(clients) == [
        "aws_cognito_user_pool_client.workers[0]",
        "aws_cognito_user_pool_client.workers[1]",
        "aws_cognito_user_pool_client.workers[2]",
        'aws_cognito_user_pool_client.tenants["acme"]',
        'aws_cognito_user_pool_client.tenants["globex"]',
    ]
    workers = [clients[f"aws_cognito_user_pool_client.workers[{i}]"] for i in range(3)]
    assert [w.record["ClientName"] for w in workers] == ["worker-0", "worker-1", "worker-2"]  # count.index
    assert {w.record["AccessTokenValidity"] for w in workers} == {2}
    # every instance points at the block (one line), each with its own address
    assert workers[1].location == Location(
        "count_and_for_each/main.tf", 9, address="aws_cognito_user_pool_client.workers[1]"
    )
    acme = clients['aws_cognito_user_pool_client.tenants["acme"]']
    globex = clients['aws_cognito_user_pool_client.tenants["globex"]']
    assert (acme.record["ClientName"], acme.record["AccessTokenValidity"]) == ("tenant-acme", 15)  # each.*
    assert (globex.record["ClientName"], globex.record["AccessTokenValidity"]) == ("tenant-globex", 30)
    assert acme.record["TokenValidityUnits"] == {"AccessToken": "minutes"}
    assert all(c.may_not_exist is None for c in clients.values())


def test_unknown_instance_count_means_the_client_may_not_exist() -> None:
    clients = load_case("unknown_instance_count")
    doubts = {address: c.may_not_exist for address, c in clients.items()}
    assert doubts == {
        "aws_cognito_user_pool_client.by_for": Unknown("for_each: var.clients has no default"),
        "aws_cognito_user_pool_client.by_flag": Unknown("count: var.create has no default"),
        "aws_cognito_user_pool_client.by_data": Unknown(
            "count: data.aws_cognito_user_pools.shared.ids is read from the provider"
        ),
        "aws_cognito_user_pool_client.by_function": Unknown("for_each: var.clients has no default"),
        "aws_cognito_user_pool_client.two[0]": None,
        "aws_cognito_user_pool_client.two[1]": None,
        "aws_cognito_user_pool_client.legacy_syntax": None,
        "module.svc.aws_cognito_user_pool_client.this": Unknown(
            "module.svc for_each: var.clients has no default"
        ),
        "module.fixed[0].aws_cognito_user_pool_client.this": None,
    }
    by_for = clients["aws_cognito_user_pool_client.by_for"]
    # Its flows are known: it is M2M if it exists, which is unknown; values that depend on the
    # instance are unknown.
    assert (by_for.m2m_flows, by_for.is_m2m) == (True, Unknown("for_each: var.clients has no default"))
    assert by_for.record["ClientName"] == Unknown("depends on each.key")
    assert clients["aws_cognito_user_pool_client.two[0]"].is_m2m is True
    assert clients["module.fixed[0].aws_cognito_user_pool_client.this"].record["ClientName"] == "fixed"


def test_terraform_0_11_list_interpolation_is_the_list() -> None:
    client = load_case("unknown_instance_count")["aws_cognito_user_pool_client.legacy_syntax"]
    assert client.record["AllowedOAuthFlows"] == ("client_credentials",)  # ["${var.flows}"]
    assert client.record["ExplicitAuthFlows"] == ("ALLOW_REFRESH_TOKEN_AUTH",)  # ["${var.auth_flows[0]}"]
    # ["${var.create}"]: a string or a list of any length, so the whole list is unknown.
    assert client.record["AllowedOAuthScopes"] == Unknown("var.create has no default")
    (other,) = load_module([("m.tf", CLIENT_WITH % 'allowed_oauth_scopes = ["${var.s}", "b"]')])
    assert other.record["AllowedOAuthScopes"] == (Unknown("var.s is not declared"), "b")


@pytest.mark.parametrize(
    ("count", "instances"),
    [
        ("0", 0),
        ('"0"', 0),  # a string of digits converts to a number
        ("0.0", 0),
        ("1", 1),
        ('"3"', 3),
        ("2.0", 2),
        ("max(1, 2)", 2),
        ("-1", Unknown("count: not a whole number")),
        ("1.5", Unknown("count: not a whole number")),
        ("true", Unknown("count: not a whole number")),
        ("var.x", Unknown("count: var.x is not declared")),
        ("length(data.x.y.ids)", Unknown("count: data.x.y.ids is read from the provider")),
    ],
)
def test_count_values(count: str, instances: int | Unknown) -> None:
    clients = load_module([("m.tf", CLIENT_WITH % f"count = {count}")])
    if isinstance(instances, int):
        assert [c.location.address for c in clients] == [
            f"aws_cognito_user_pool_client.c[{i}]" for i in range(instances)
        ]
        assert all(c.may_not_exist is None for c in clients)
    else:
        (client,) = clients
        assert (client.location.address, client.may_not_exist) == (
            "aws_cognito_user_pool_client.c",
            instances,
        )


CLIENT_WITH = 'resource "aws_cognito_user_pool_client" "c" {\n  name = "c"\n  %s\n}\n'


def test_unknown_instance_count_gives_notes_and_cannot_check_points_at_the_property(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = FIXTURES / "unknown_instance_count"
    for path in case.rglob("*.tf"):
        write(repo, str(path.relative_to(case)), path.read_text(encoding="utf-8"))
    code, report, _ = scan(capsys)
    findings = [(f["level"], f["subject"], f["rule_id"], f["line"]) for f in report["findings"]]
    maybe = {
        "aws_cognito_user_pool_client.by_for",
        "aws_cognito_user_pool_client.by_flag",
        "aws_cognito_user_pool_client.by_data",
        "aws_cognito_user_pool_client.by_function",
        "module.svc.aws_cognito_user_pool_client.this",
    }
    assert [f for f in findings if f[1] in maybe and f[0] != "note"] == []
    assert {f[1] for f in findings if f[1] in maybe} == maybe
    ttl = {f["subject"]: f for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"}
    assert ttl["aws_cognito_user_pool_client.by_for"]["message"].endswith(
        "(Applies if the client exists, which is unknown (for_each: var.clients has no default).)"
    )
    assert ttl["aws_cognito_user_pool_client.by_for"]["line"] == 33  # access_token_validity = 24
    # access_token_validity = coalesce(var.create, 1): var.create comes first and is not known,
    # so neither is the result; the note points at that line, not at the resource.
    two = ttl["aws_cognito_user_pool_client.two[1]"]
    assert (two["level"], two["line"]) == ("note", 70)
    assert two["message"] == (
        "Cannot check M2M-TTL-MAX: AccessTokenValidity is unknown (var.create has no default)."
    )
    assert code == 1  # the certain clients still fail (module.fixed has no scopes, no secret)


# --- pools ---------------------------------------------------------------------------------------


def test_clients_are_tied_to_pools_by_resource_literal_variable_or_not_at_all() -> None:
    clients = load_case("pool_references")
    pools = {address.rsplit(".", 1)[1]: c.pool for address, c in clients.items()}
    # aws_cognito_user_pool.main[0].id: that instance of the pool
    assert pools["by_resource"] == Pool(
        key="pool_references#aws_cognito_user_pool.main[0]",
        label="aws_cognito_user_pool.main[0]",
        names=("aws_cognito_user_pool.main[0]", "main-pool"),
        location=Location("pool_references/main.tf", 9, address="aws_cognito_user_pool.main[0]"),
        resource_servers=("api",),
    )
    shared = Pool(key="eu-west-1_Shared01", label="eu-west-1_Shared01", names=("eu-west-1_Shared01",))
    assert pools["by_literal"] == shared
    assert pools["by_variable"] == shared
    assert pools["by_data_source"] == Pool(
        key="pool_references/main.tf#aws_cognito_user_pool_client.by_data_source:pool",
        label="unknown user pool (data.aws_cognito_user_pools.shared.ids[0] is read from the provider)",
    )
    assert pools["by_unset_variable"].label == "unknown user pool (var.unknown_pool_id has no default)"
    assert pools["by_unset_variable"].location is None


# --- values that are not evaluated ---------------------------------------------------------------


def test_functions_data_sources_and_computed_attributes_are_unknown() -> None:
    client = load_case("unknown_values")["aws_cognito_user_pool_client.unknowns"]
    record = dict(client.record)
    assert record["ClientName"] == Unknown("regex() is not evaluated")
    assert record["AllowedOAuthScopes"] == (
        "orders/read",
        Unknown("aws_ssm_parameter.scope.value: aws_ssm_parameter.scope is not defined in unknown_values"),
    )
    assert record["AccessTokenValidity"] == Unknown(
        "data.aws_ssm_parameter.ttl.value is read from the provider"
    )
    # a configured argument of another resource of the module is its configured value
    assert record["RefreshTokenValidity"] == 7
    assert record["IdTokenValidity"] == 120  # operators are evaluated
    assert client.name == "aws_cognito_user_pool_client.unknowns"  # no known ClientName


def test_computed_attribute_of_a_resource_is_known_after_apply() -> None:
    text = """
resource "aws_cognito_user_pool_client" "a" {
  name                = "a"
  user_pool_id        = "us-east-1_X"
  allowed_oauth_flows = ["client_credentials"]
  callback_urls       = [aws_cognito_user_pool_client.b.id]
}
resource "aws_cognito_user_pool_client" "b" {
  user_pool_id = "us-east-1_X"
}
"""
    clients = load_module([("main.tf", text)])
    assert clients[0].record["CallbackURLs"] == (
        Unknown("aws_cognito_user_pool_client.b.id is known after apply"),
    )


def test_client_secret_is_never_kept() -> None:
    text = """
resource "aws_cognito_user_pool_client" "a" {
  user_pool_id  = "us-east-1_X"
  client_secret = "s3cr3t-canary"
  ClientSecret  = "s3cr3t-canary"
}
"""
    (client,) = load_module([("main.tf", text)])
    assert "s3cr3t-canary" not in repr(client)


# --- modules -------------------------------------------------------------------------------------


def test_local_module_is_read_with_the_call_arguments_and_module_addresses() -> None:
    clients = load_case("local_module")
    assert list(clients) == ["module.clients.aws_cognito_user_pool_client.batch"]
    client = clients["module.clients.aws_cognito_user_pool_client.batch"]
    path = "local_module/modules/clients/main.tf"
    assert as_dict(client) == {
        "record": {
            "ClientName": "svc-batch",
            "UserPoolId": Unknown("aws_cognito_user_pool.main.id is known after apply"),
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ("client_credentials",),
            # the argument is a module output: the identifier of a server in another module
            "AllowedOAuthScopes": ("platform-api/read",),
            "AccessTokenValidity": 240,  # the call's argument, not the default (60)
            "TokenValidityUnits": {"AccessToken": "minutes"},  # the default
        },
        "location": Location(path, 1, address="module.clients.aws_cognito_user_pool_client.batch"),
        # the root module's pool, reached through the module variable; its resource server is
        # defined in a third module
        "pool": Pool(
            key="local_module#aws_cognito_user_pool.main",
            label="aws_cognito_user_pool.main",
            names=("aws_cognito_user_pool.main", "platform"),
            location=Location("local_module/main.tf", 1, address="aws_cognito_user_pool.main"),
            resource_servers=("platform-api",),
        ),
        "field_lines": {
            "ClientName": 2,
            "UserPoolId": 3,
            "GenerateSecret": 4,
            "AllowedOAuthFlowsUserPoolClient": 5,
            "AllowedOAuthFlows": 6,
            "AllowedOAuthScopes": 7,
            "AccessTokenValidity": 8,
            "TokenValidityUnits": 10,
        },
    }


def test_module_folder_on_its_own_uses_defaults_and_unknowns() -> None:
    (client,) = load_case("local_module/modules/clients").values()
    assert client.location.address == "aws_cognito_user_pool_client.batch"
    assert client.record["AccessTokenValidity"] == 60
    assert client.record["AllowedOAuthScopes"] == (Unknown("var.api has no default"),)
    assert client.pool.label == "unknown user pool (var.user_pool_id has no default)"


def test_output_of_a_remote_or_missing_module_is_unknown() -> None:
    text = """
module "remote" {
  source = "git::https://example.com/auth.git"
}
module "gone" {
  source = "./nowhere"
}
resource "aws_cognito_user_pool_client" "a" {
  user_pool_id         = module.remote.pool_id
  allowed_oauth_scopes = [module.gone.scope]
}
"""
    (client,) = load_module([("main.tf", text)], lambda base, source: None)
    assert client.pool.label == (
        "unknown user pool (module.remote is not read "
        "(source 'git::https://example.com/auth.git' is not a local folder))"
    )
    assert client.record["AllowedOAuthScopes"] == (
        Unknown("module.gone is not read (folder './nowhere' not found)"),
    )


def test_module_that_calls_itself_stops() -> None:
    text = """
module "again" {
  source = "./"
}
resource "aws_cognito_user_pool_client" "a" {
  user_pool_id = "us-east-1_X"
}
"""
    files = (("loop/main.tf", text),)
    clients = load_module(files, lambda base, source: Folder("loop", files), folder="loop")
    assert [c.location.address for c in clients] == ["aws_cognito_user_pool_client.a"]


# --- parse errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('resource "a" "b" {\n  x = 1\n', "invalid HCL: unexpected end of file", 3),
        ('resource "a" "b" {\n  x = [1,\n}\n', "invalid HCL: unexpected '}'", 3),
        ('resource "a" "b" {\n  x = \n}\n', "invalid HCL: unexpected '}'", 3),
        ("a = \x01\n", "invalid HCL: unexpected '\\x01'", 1),
    ],
)
def test_parse_errors_are_one_line_source_errors_with_the_line(text: str, message: str, line: int) -> None:
    with pytest.raises(SourceError) as caught:
        parse("main.tf", text)
    assert (caught.value.message, caught.value.line) == (message, line)
    assert "\n" not in caught.value.message


def test_deeply_nested_input_is_an_error_or_unknown_never_a_crash() -> None:
    with pytest.raises(SourceError) as caught:
        parse("main.tf", "x {\n" * 3000 + "}\n" * 3000)
    assert "nested" in caught.value.message and caught.value.line is not None
    deep = (
        'resource "aws_cognito_user_pool_client" "c" {\n'
        f"  access_token_validity = {'(' * 3000}1{')' * 3000}\n}}\n"
    )
    with pytest.raises(SourceError) as caught:
        load_module([("main.tf", deep)])
    assert (caught.value.message, caught.value.line) == ("invalid HCL: nested more than 100 levels deep", 2)
    # A long operator chain is flat to parse but deep to evaluate: unknown, not a crash.
    long = (
        'resource "aws_cognito_user_pool_client" "c" {\n'
        f"  access_token_validity = {' + '.join(['1'] * 5000)}\n}}\n"
    )
    (client,) = load_module([("main.tf", long)])
    assert client.record["AccessTokenValidity"] == Unknown("expression nested too deeply")


# --- the CLI --------------------------------------------------------------------------------------

M2M_CLIENT = """\
resource "aws_cognito_user_pool" "main" {
  name = "orders"
}

resource "aws_cognito_resource_server" "orders" {
  identifier   = "orders"
  name         = "orders"
  user_pool_id = aws_cognito_user_pool.main.id
  scope {
    scope_name        = "read"
    scope_description = "read"
  }
}

resource "aws_cognito_user_pool_client" "svc" {
  name                                 = "svc"
  user_pool_id                         = aws_cognito_user_pool.main.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["${aws_cognito_resource_server.orders.identifier}/read"]
  access_token_validity                = var.ttl

  token_validity_units {
    access_token = "minutes"
  }
}
"""
VARIABLES = """\
variable "ttl" {
  default = %s
}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(["scan", "--format", "json", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_scan_reports_tf_findings_with_their_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/main.tf", M2M_CLIENT)
    write(repo, "infra/variables.tf", VARIABLES % 600)  # 600 minutes: over the 1 h maximum
    code, report, err = scan(capsys)
    assert (code, err) == (1, "")
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert (finding["path"], finding["line"], finding["subject"]) == (
        "infra/main.tf",
        22,
        "aws_cognito_user_pool_client.svc",
    )
    assert finding["message"] == "AccessTokenValidity is 10 hours; policy M2M-TTL-MAX allows at most 1 hour."


def test_scan_sarif_carries_the_tf_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/main.tf", M2M_CLIENT)
    write(repo, "infra/variables.tf", VARIABLES % 600)
    assert main(["scan", "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "M2M-TTL-MAX"]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.tf"
    assert location["physicalLocation"]["region"]["startLine"] == 22
    assert location["logicalLocations"][0]["name"] == "aws_cognito_user_pool_client.svc"


def test_scan_of_a_clean_tf_folder_exits_0(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "main.tf", M2M_CLIENT)
    write(repo, "variables.tf", VARIABLES % 30)
    code, report, err = scan(capsys, ".")
    assert (code, report["findings"], err) == (0, [], "")


def test_variable_without_default_gives_a_note(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "main.tf", M2M_CLIENT)  # var.ttl is not declared in the files given
    code, report, _ = scan(capsys, "main.tf")
    assert code == 0
    levels = {f["rule_id"]: f["level"] for f in report["findings"]}
    assert levels["M2M-TTL-MAX"] == "note"


def test_broken_cognito_tf_file_fails_in_one_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "good/main.tf", M2M_CLIENT)
    write(repo, "good/variables.tf", VARIABLES % 600)
    write(repo, "bad/main.tf", 'resource "aws_cognito_user_pool_client" "x" {\n  name = \n}\n')
    code = main(["scan"])
    out, err = capsys.readouterr()
    assert (code, err) == (2, "")
    assert "good/main.tf" in out and "M2M-TTL-MAX" in out  # the other files are still reported
    assert [line for line in out.splitlines() if "bad/" in line] == [
        "error: bad/main.tf:3: invalid HCL: unexpected '}'"
    ]


def test_broken_tf_file_without_cognito_is_ignored(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/main.tf", M2M_CLIENT)
    write(repo, "infra/variables.tf", VARIABLES % 30)
    write(repo, "infra/versions.tf", "terraform {\n  required_version = \n")
    write(repo, "network/main.tf", 'resource "aws_vpc" "x" {\n  cidr = \n')
    code, report, err = scan(capsys)
    assert (code, report["notifications"], err) == (0, [], "")


def test_named_broken_tf_file_fails_without_cognito(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "network/main.tf", 'resource "aws_vpc" "x" {\n  cidr = \n')
    code, report, err = scan(capsys, "network/main.tf")
    assert code == 2
    assert [n["path"] for n in report["notifications"]] == ["network/main.tf"]
    assert err.count("\n") == 1


def test_named_files_are_read_alone(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # pre-commit passes only the changed files: variables.tf is not read, so the TTL is unknown.
    write(repo, "infra/main.tf", M2M_CLIENT)
    write(repo, "infra/variables.tf", VARIABLES % 600)
    code, report, _ = scan(capsys, "infra/main.tf")
    assert code == 0
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert finding["undetermined"] is True
    code, report, _ = scan(capsys, "infra/main.tf", "infra/variables.tf")
    assert code == 1


TWELVE_HOURS = """\
resource "aws_cognito_user_pool_client" "svc" {
  name                                 = "svc"
  user_pool_id                         = "us-east-1_Example1"
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read"]
  access_token_validity                = 12
}
"""


def test_tf_is_read_by_every_install(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # m2m-guard parses HCL itself: no optional extra, no warning, the 12-hour TTL is found.
    write(repo, "main.tf", TWELVE_HOURS)
    code, report, err = scan(capsys, "main.tf")
    assert (code, report["notifications"], err) == (1, [], "")
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert (finding["path"], finding["line"]) == ("main.tf", 8)


def fails_in_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    """The scan exits 2, and the text report names the file (and line) in one error line."""
    code = main(["scan", *argv])
    out, _ = capsys.readouterr()
    assert code == 2
    assert [line for line in out.splitlines() if line.startswith("error:")] == [expected]


COGNITO_HEAD = 'resource "aws_cognito_user_pool_client" "x" {\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (COGNITO_HEAD + '  name = "abc\n}\n', "error: bad.tf:2: invalid HCL: unterminated string"),
        (COGNITO_HEAD + "  name = <<EOF\nabc\n}\n", "error: bad.tf:2: invalid HCL: unterminated heredoc"),
        (COGNITO_HEAD + "  /* name = 1\n}\n", "error: bad.tf:2: invalid HCL: unterminated comment"),
        (
            COGNITO_HEAD + '  name = "a-${var.x\n',
            "error: bad.tf:2: invalid HCL: unterminated template sequence",
        ),
        (COGNITO_HEAD + "  name = x y\n}\n", "error: bad.tf:2: invalid HCL: unexpected 'y'"),
        (
            COGNITO_HEAD + '  name = "\\q"\n}\n',
            "error: bad.tf:2: invalid HCL: invalid escape sequence '\\\\q' in a string",
        ),
        (COGNITO_HEAD, "error: bad.tf:2: invalid HCL: unexpected end of file"),
    ],
)
def test_unparsable_cognito_tf_exits_2_named_or_walked(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    write(repo, "bad.tf", text)
    fails_in_one_line(capsys, ["bad.tf"], expected)
    fails_in_one_line(capsys, ["."], expected)


def test_named_tf_that_is_not_utf8_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "latin1.tf").write_bytes('variable "caf\xe9" {}\n'.encode("latin-1"))
    fails_in_one_line(capsys, ["latin1.tf"], "error: latin1.tf: not UTF-8 text (binary file?): byte 13")


def test_walked_cognito_tf_that_is_not_utf8_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_bytes(COGNITO_HEAD.encode() + b'  name = "\xff"\n}\n')
    (repo / "infra" / "other.tf").write_bytes(b"# \xff no Cognito here\n")  # not fatal: cannot define clients
    byte = len(COGNITO_HEAD) + len('  name = "')
    fails_in_one_line(capsys, ["."], f"error: infra/main.tf: not UTF-8 text (binary file?): byte {byte}")


def test_too_large_cognito_tf_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import m2m_guard.sources.tf_blocks as hcl

    monkeypatch.setattr(hcl, "MAX_CHARS", 1024 * 1024)
    write(repo, "big.tf", TWELVE_HOURS + "# padding\n" * 120_000)
    fails_in_one_line(capsys, ["."], "error: big.tf: HCL file larger than 1 MiB is not parsed")
    fails_in_one_line(capsys, ["big.tf"], "error: big.tf: HCL file larger than 1 MiB is not parsed")


def test_unreadable_tf_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "locked.tf", TWELVE_HOURS)
    real_open = os.open

    def open_file(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path).endswith("locked.tf"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    # (tests may run as root, for whom file modes deny nothing)
    monkeypatch.setattr(os, "open", open_file)
    fails_in_one_line(capsys, ["locked.tf"], "error: locked.tf: cannot read: Permission denied")
    fails_in_one_line(capsys, ["."], "error: locked.tf: cannot read: Permission denied")


MODULE_CALL = """\
resource "aws_cognito_user_pool" "main" {
  name = "orders"
}

module "svc" {
  source       = "./modules/svc"
  user_pool_id = aws_cognito_user_pool.main.id
  ttl          = 600
}
"""
MODULE = """\
variable "user_pool_id" {}
variable "ttl" {
  default = 30
}

resource "aws_cognito_user_pool_client" "this" {
  name                                 = "svc"
  user_pool_id                         = var.user_pool_id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = ["orders/read"]
  access_token_validity                = var.ttl

  token_validity_units {
    access_token = "minutes"
  }
}
"""


def test_module_folder_is_read_through_the_call_and_not_twice(repo: Path) -> None:
    write(repo, "infra/main.tf", MODULE_CALL)
    write(repo, "infra/modules/svc/main.tf", MODULE)
    out = collect(["."], repo)
    assert [(c.location.address, c.location.path, c.record["AccessTokenValidity"]) for c in out.clients] == [
        ("module.svc.aws_cognito_user_pool_client.this", "infra/modules/svc/main.tf", 600)
    ]
    assert out.clients[0].pool.key == "infra#aws_cognito_user_pool.main"


def test_module_finding_points_at_the_module_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/main.tf", MODULE_CALL)
    write(repo, "infra/modules/svc/main.tf", MODULE)
    code, report, _ = scan(capsys)
    assert code == 1
    ttl = [f for f in report["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert [(f["path"], f["line"], f["subject"]) for f in ttl] == [
        ("infra/modules/svc/main.tf", 13, "module.svc.aws_cognito_user_pool_client.this")
    ]


def test_named_file_reads_its_local_module_folder(repo: Path) -> None:
    write(repo, "infra/main.tf", MODULE_CALL)
    write(repo, "infra/modules/svc/main.tf", MODULE)
    out = collect(["infra/main.tf"], repo)
    assert [c.location.address for c in out.clients] == ["module.svc.aws_cognito_user_pool_client.this"]


def test_folder_without_cognito_but_calling_a_cognito_module_is_evaluated(repo: Path) -> None:
    call = 'module "svc" {\n  source       = "../modules/svc"\n  user_pool_id = "us-east-1_X"\n}\n'
    write(repo, "live/main.tf", call)
    write(repo, "modules/svc/main.tf", MODULE)
    out = collect(["."], repo)
    assert [(c.location.address, c.pool.key) for c in out.clients] == [
        ("module.svc.aws_cognito_user_pool_client.this", "us-east-1_X")
    ]


def test_remote_module_source_is_not_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "main.tf", 'module "auth" {\n  source = "cloudposse/cognito/aws"\n}\n# aws_cognito_\n')
    code, report, err = scan(capsys)
    assert (code, report["findings"], report["notifications"], err) == (0, [], [], "")


# --- the public corpus ------------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/terraform not present")
def test_real_terraform_corpus_scans_without_crashing() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "m2m_guard", "scan", str(CORPUS), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode in (0, 1, 2), out.stderr
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    for note in report["notifications"]:
        assert "\n" not in note["message"]
    clients = collect([str(CORPUS)], CORPUS.parent).clients
    assert len(clients) >= 20, "the corpus defines dozens of app clients"
    assert sum(1 for c in clients if c.is_m2m is True) >= 5


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/terraform not present")
def test_no_corpus_client_whose_instance_count_is_unknown_gets_a_certain_verdict() -> None:
    # Each corpus file is a module of its own (the folder holds files of unrelated repositories).
    clients = [c for path in sorted(CORPUS.glob("*.tf")) for c in collect([str(path)], CORPUS).clients]
    maybe = {(c.location.path, c.location.address) for c in clients if c.may_not_exist is not None}
    assert len(maybe) >= 8, "the corpus has clients with count or for_each m2m-guard cannot evaluate"
    for pack in builtin_packs().values():
        policy = load_policy(str(pack), pack.read_text(encoding="utf-8"))
        result = evaluate(policy, clients, today=dt.date(2026, 11, 30))
        theirs = [f for f in result.findings if (f.location.path, f.subject) in maybe]
        assert [f for f in theirs if not f.undetermined or f.level is not Severity.NOTE] == [], pack.name
        report = cost_report(policy, clients)
        counted = {
            (c.client.location.path, c.client.location.address) for p in report.pools for c in p.cost.clients
        }
        assert not counted & maybe, "a client that may not exist is never counted for certain"


def test_hcl_reader_is_imported_only_when_a_tf_file_is_parsed(tmp_path: Path) -> None:
    (tmp_path / "auth.yaml").write_text("Resources: {}\n")
    modules = ("m2m_guard.sources.terraform_hcl", "m2m_guard.sources.hcl_syntax")
    code = (
        "import sys; from pathlib import Path; from m2m_guard.inputs import collect;"
        f"collect([{str(tmp_path)!r}], Path({str(tmp_path)!r}));"
        f"print(sorted(m for m in {modules!r} if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"


def test_another_hcl2_module_in_the_environment_does_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    # checkov's fork bc-python-hcl2 installs a module named hcl2: m2m-guard does not use one.
    monkeypatch.setitem(sys.modules, "hcl2", types.ModuleType("hcl2"))
    monkeypatch.setitem(sys.modules, "lark", types.ModuleType("lark"))
    (block,) = parse("main.tf", 'resource "aws_cognito_user_pool_client" "c" {\n  name = "c"\n}\n')
    assert (block.type, block.labels, block.line) == ("resource", ("aws_cognito_user_pool_client", "c"), 1)


def test_absurd_numbers_are_unknown_not_a_crash() -> None:
    text = (
        'resource "aws_cognito_user_pool_client" "c" {\n'
        f"  access_token_validity = {'9' * 5000}\n"
        f"  id_token_validity     = {'9' * 400} / 0.0000001\n"
        "}\n"
    )
    (client,) = load_module([("main.tf", text)])
    assert client.record["AccessTokenValidity"] == Unknown("expression not evaluated")
    assert client.record["IdTokenValidity"] == Unknown("expression not evaluated")


@pytest.mark.parametrize(
    ("table", "key", "error"),
    [(terraform_expr.OPERATORS, "+", KeyError), (terraform_expr.HANDLERS, hcl_ast.Number, TypeError)],
)
def test_a_bug_in_the_evaluator_is_raised_not_reported_as_not_evaluated(
    monkeypatch: pytest.MonkeyPatch, table: dict[Any, Any], key: Any, error: type[Exception]
) -> None:
    def broken(*args: Any) -> Any:
        raise error("a bug of m2m-guard's own")

    monkeypatch.setitem(table, key, broken)
    text = 'resource "aws_cognito_user_pool_client" "c" {\n  access_token_validity = 1 + 2\n}\n'
    with pytest.raises(error, match="a bug"):
        load_module([("main.tf", text)])


def test_one_definition_of_a_local_module_source() -> None:
    text = (
        'module "a" {\n  source = "./a"\n}\nmodule "b" {\n  source = "../b"\n}\n'
        'module "c" {\n  source = "cloudposse/cognito/aws"\n}\nmodule "d" {\n  source = "git::https://x/y.git"\n}\n'
    )
    assert list(tf_modules.local_sources(text)) == ["./a", "../b"]
    assert [tf_modules.is_local(s) for s in ("./a", "../b", ".\\c", "a/b", "/abs", "git::x")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


# --- pool settings: feature plan and pre token generation trigger ---------------------------------
#
# Argument names and blocks: the provider's resource page,
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_user_pool
# (user_pool_tier; lambda_config { pre_token_generation, pre_token_generation_config { lambda_arn,
# lambda_version } }, each block at most once), read into DescribeUserPool's UserPool shape.

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"
TIER_NOT_SET = Unknown("user_pool_tier is not set: the pool keeps the plan it has, Essentials when created")


@pytest.mark.parametrize(
    ("client", "settings", "customizes"),
    [
        # V3_0 on Essentials; the version from a variable's default.
        (
            "orders",
            {
                "UserPoolTier": "ESSENTIALS",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {
                        "LambdaArn": FUNCTION + "orders-claims",
                        "LambdaVersion": "V3_0",
                    }
                },
            },
            True,
        ),
        # V2_0 on Plus, the legacy ARN set too (the provider asks that both be the same).
        (
            "billing",
            {
                "UserPoolTier": "PLUS",
                "LambdaConfig": {
                    "PreTokenGeneration": FUNCTION + "billing-claims",
                    "PreTokenGenerationConfig": {
                        "LambdaArn": FUNCTION + "billing-claims",
                        "LambdaVersion": "V2_0",
                    },
                },
            },
            False,
        ),
        # The legacy ARN only (V1_0 events), other triggers not read; no tier: unknown.
        (
            "reports",
            {
                "UserPoolTier": TIER_NOT_SET,
                "LambdaConfig": {"PreTokenGeneration": FUNCTION + "reports-claims"},
            },
            False,
        ),
        # No lambda_config (Optional, not Computed: no trigger); the tier from a variable without default.
        ("partners", {"UserPoolTier": Unknown("var.tier has no default")}, False),
        # The function's ARN from another resource: known after apply; Lite.
        (
            "inventory",
            {
                "UserPoolTier": "LITE",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {
                        "LambdaArn": Unknown("aws_lambda_function.claims.arn is known after apply"),
                        "LambdaVersion": "V3_0",
                    }
                },
            },
            Unknown(
                "the Lite plan offers access-token customization only to pools that used advanced "
                "security features before 22 November 2024"
            ),
        ),
    ],
)
def test_pool_settings_are_read_from_the_pool_block(
    client: str, settings: dict[str, Any], customizes: bool | Unknown
) -> None:
    pool = load_case("pool_settings")[f"aws_cognito_user_pool_client.{client}"].pool
    assert pool.settings == settings
    assert customizes_m2m_tokens(pool) == customizes


def _pool_with(body: str, extra: str = "") -> Any:
    text = f"""
resource "aws_cognito_user_pool" "main" {{
{body}
}}
resource "aws_cognito_user_pool_client" "svc" {{
  user_pool_id        = aws_cognito_user_pool.main.id
  allowed_oauth_flows = ["client_credentials"]
}}
{extra}
"""
    return load_module([("main.tf", text)])[0].pool.settings


@pytest.mark.parametrize(
    ("body", "settings"),
    [
        ('  name = "p"', {"UserPoolTier": TIER_NOT_SET}),
        # null is not set, as Terraform takes it
        ("  user_pool_tier = null", {"UserPoolTier": TIER_NOT_SET}),
        ('  user_pool_tier = "PLUS"\n  lambda_config {}', {"UserPoolTier": "PLUS", "LambdaConfig": {}}),
        (
            '  user_pool_tier = "PLUS"\n  dynamic "lambda_config" {\n    for_each = [1]\n    content {}\n  }',
            {"UserPoolTier": "PLUS", "LambdaConfig": Unknown("lambda_config is set by a dynamic block")},
        ),
        (
            '  user_pool_tier = "PLUS"\n  lambda_config {\n    dynamic "pre_token_generation_config" {\n'
            "      for_each = [1]\n      content {}\n    }\n  }",
            {
                "UserPoolTier": "PLUS",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": Unknown(
                        "pre_token_generation_config is set by a dynamic block"
                    )
                },
            },
        ),
        # Types made uniform as for every reader (m2m_guard/sources/settings.py): a number is
        # a string, a list where a string belongs is unknown.
        (
            "  user_pool_tier = 3\n  lambda_config {\n    pre_token_generation_config {\n"
            '      lambda_arn     = "arn:aws:lambda:us-east-1:123456789012:function:f"\n'
            '      lambda_version = ["V3_0"]\n    }\n  }',
            {
                "UserPoolTier": "3",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {
                        "LambdaArn": FUNCTION + "f",
                        "LambdaVersion": Unknown(
                            "LambdaConfig.PreTokenGenerationConfig.LambdaVersion is a list, not a string"
                        ),
                    }
                },
            },
        ),
        # Terraform 0.11 wrote blocks as list arguments
        (
            '  user_pool_tier = "PLUS"\n  lambda_config = [{ pre_token_generation = "x" }]',
            {
                "UserPoolTier": "PLUS",
                "LambdaConfig": Unknown("lambda_config is set as an argument, not as a block"),
            },
        ),
        (
            "  user_pool_tier = local.tier\n  lambda_config {\n    pre_token_generation_config {\n"
            "      lambda_arn     = data.aws_lambda_function.claims.arn\n"
            '      lambda_version = upper("v3_0")\n    }\n  }',
            {
                "UserPoolTier": "ESSENTIALS",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {
                        "LambdaArn": Unknown("data.aws_lambda_function.claims.arn is read from the provider"),
                        "LambdaVersion": "V3_0",  # upper() is evaluated
                    }
                },
            },
        ),
    ],
)
def test_pool_settings_of_one_block(body: str, settings: dict[str, Any]) -> None:
    assert _pool_with(body, 'locals {\n  tier = "ESSENTIALS"\n}') == settings


def test_pool_settings_of_a_pool_with_count_are_those_of_the_instance_named() -> None:
    body = '  count          = 2\n  user_pool_tier = ["PLUS", "LITE"][count.index]'
    text = f"""
resource "aws_cognito_user_pool" "main" {{
{body}
}}
resource "aws_cognito_user_pool_client" "svc" {{
  user_pool_id        = aws_cognito_user_pool.main[0].id
  allowed_oauth_flows = ["client_credentials"]
}}
"""
    pool = load_module([("main.tf", text)])[0].pool
    # aws_cognito_user_pool.main[0]: the settings of that instance
    assert (pool.label, pool.settings) == ("aws_cognito_user_pool.main[0]", {"UserPoolTier": "PLUS"})


def test_a_pool_of_a_local_module_is_read_with_the_call_arguments() -> None:
    pool_module = """
variable "version_of_trigger" {
  type = string
}
resource "aws_cognito_user_pool" "this" {
  name           = "shared"
  user_pool_tier = "PLUS"
  lambda_config {
    pre_token_generation_config {
      lambda_arn     = "arn:aws:lambda:us-east-1:123456789012:function:shared"
      lambda_version = var.version_of_trigger
    }
  }
}
output "id" {
  value = aws_cognito_user_pool.this.id
}
"""
    root = """
module "identity" {
  source             = "./identity"
  version_of_trigger = "V3_0"
}
resource "aws_cognito_user_pool_client" "svc" {
  user_pool_id        = module.identity.id
  allowed_oauth_flows = ["client_credentials"]
}
"""
    folders = {"root/identity": Folder("root/identity", (("root/identity/main.tf", pool_module),))}
    clients = load_module(
        [("root/main.tf", root)],
        lambda base, source: folders.get(posixpath.normpath(posixpath.join(base, source))),
        folder="root",
    )
    pool = clients[0].pool
    assert pool.key == "root#module.identity.aws_cognito_user_pool.this"
    assert pool.settings == {
        "UserPoolTier": "PLUS",
        "LambdaConfig": {
            "PreTokenGenerationConfig": {"LambdaArn": FUNCTION + "shared", "LambdaVersion": "V3_0"}
        },
    }
    assert customizes_m2m_tokens(pool) is True


def test_a_pool_known_only_by_its_id_has_no_settings() -> None:
    client = load_case("pool_references")["aws_cognito_user_pool_client.by_literal"]
    assert client.pool.settings is None
