from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.model.pool_settings import customizes_m2m_tokens
from m2m_guard.sources import SOURCES, load, parse, terraform_plan, vocabulary
from m2m_guard.sources.document import SourceError
from tests.sources.support import as_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "terraform"
MODULES = "terraform/modules_count_for_each.plan.json"
UNKNOWNS = "terraform/after_unknown.plan.json"
EXISTING = "terraform/existing_clients_with_secret.plan.json"
AFTER_APPLY = Unknown("known after apply")


def fixture_text(path: str) -> str:
    return (FIXTURES / Path(path).name).read_text(encoding="utf-8")


def load_text(path: str, text: str) -> list[AppClient]:
    kind, clients = load(parse(path, text))
    assert kind == "terraform-plan"
    return clients


def load_fixture(path: str) -> dict[str, AppClient]:
    return {c.location.address or "": c for c in load_text(path, fixture_text(path))}


def load_data(data: Any, path: str = "plan.json", indent: int | None = 2) -> dict[str, AppClient]:
    return {c.location.address or "": c for c in load_text(path, json.dumps(data, indent=indent))}


def fixture_data(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_text(path))
    return data


def planned(data: dict[str, Any], address: str) -> dict[str, Any]:
    """The planned_values entry of ``address`` (searching child modules too)."""
    stack = [data["planned_values"]["root_module"]]
    while stack:
        module = stack.pop()
        for resource in module.get("resources", []):
            if resource["address"] == address:
                return resource  # type: ignore[no-any-return]
        stack.extend(module.get("child_modules", []))
    raise KeyError(address)


def change(data: dict[str, Any], address: str) -> Any:
    return next(c for c in data["resource_changes"] if c["address"] == address)


ORDERS_POOL = Pool(
    key=f"{MODULES}#aws_cognito_user_pool.main",
    label="aws_cognito_user_pool.main",
    names=("aws_cognito_user_pool.main", "orders-pool"),
    location=Location(MODULES, 13, address="aws_cognito_user_pool.main"),
    resource_servers=("orders",),
)


# --- addresses, modules, count and for_each ---------------------------------------------------


def test_every_client_instance_in_root_and_child_modules_is_loaded_with_its_address() -> None:
    clients = load_fixture(MODULES)
    assert list(clients) == [
        "aws_cognito_user_pool_client.web",
        "aws_cognito_user_pool_client.svc[0]",
        "aws_cognito_user_pool_client.svc[1]",
        'module.partners["acme"].aws_cognito_user_pool_client.this',
        'module.partners["globex"].aws_cognito_user_pool_client.this',
        'module.platform.module.clients.aws_cognito_user_pool_client.svc["billing"]',
        'module.platform.module.clients.aws_cognito_user_pool_client.svc["reports"]',
    ]
    assert [c.is_m2m for c in clients.values()] == [False, True, True, True, True, True, False]


def test_counted_root_client_maps_to_describe_keys_with_pool_and_lines() -> None:
    client = load_fixture(MODULES)["aws_cognito_user_pool_client.svc[0]"]
    assert as_dict(client) == {
        "record": {
            "AccessTokenValidity": 30,
            "AllowedOAuthFlows": ("client_credentials",),
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": ("orders/read",),
            "AuthSessionValidity": 3,
            "GenerateSecret": True,
            "ClientName": "orders-svc-0",
            "RefreshTokenValidity": 30,
            "TokenValidityUnits": {
                "AccessToken": "minutes",
                "IdToken": "hours",
                "RefreshToken": "days",
            },
            "UserPoolId": AFTER_APPLY,
        },
        "location": Location(MODULES, 98, address="aws_cognito_user_pool_client.svc[0]"),
        "pool": ORDERS_POOL,
        "field_lines": {
            "AccessTokenValidity": 106,
            "AllowedOAuthFlows": 107,
            "AllowedOAuthFlowsUserPoolClient": 110,
            "AllowedOAuthScopes": 111,
            "AuthSessionValidity": 115,
            "GenerateSecret": 116,
            "ClientName": 117,
            "RefreshTokenValidity": 118,
            "TokenValidityUnits": 119,
        },
    }


def test_for_each_module_client_is_tied_to_the_root_pool_through_the_module_variable() -> None:
    client = load_fixture(MODULES)['module.partners["globex"].aws_cognito_user_pool_client.this']
    assert client.location == Location(
        MODULES, 235, address='module.partners["globex"].aws_cognito_user_pool_client.this'
    )
    assert client.pool == ORDERS_POOL
    assert client.record["ClientName"] == "partner-globex"


@pytest.mark.parametrize(
    ("address", "seconds"),
    [
        ("aws_cognito_user_pool_client.svc[1]", 30 * 60),
        ('module.partners["acme"].aws_cognito_user_pool_client.this', 15 * 60),
        ('module.partners["globex"].aws_cognito_user_pool_client.this', 240 * 60),
        # No token_validity_units block: Cognito's default unit, hours.
        ('module.platform.module.clients.aws_cognito_user_pool_client.svc["billing"]', 12 * 3600),
    ],
)
def test_token_validity_units_block_sets_the_access_token_unit(address: str, seconds: int) -> None:
    assert load_fixture(MODULES)[address].access_token_ttl == seconds


def test_literal_pool_id_groups_clients_and_finds_resource_servers_of_the_same_id() -> None:
    clients = load_fixture(MODULES)
    prefix = "module.platform.module.clients.aws_cognito_user_pool_client.svc"
    billing, reports = clients[f'{prefix}["billing"]'], clients[f'{prefix}["reports"]']
    # The pool is not in the plan: only the literal id identifies it.
    expected = Pool(
        key="eu-west-1_AbCdEf123",
        label="eu-west-1_AbCdEf123",
        names=("eu-west-1_AbCdEf123",),
        resource_servers=("billing",),
    )
    assert billing.pool == expected
    assert reports.pool == expected
    assert billing.record["UserPoolId"] == "eu-west-1_AbCdEf123"


def test_literal_pool_id_of_a_pool_in_the_plan_carries_the_pool_resource() -> None:
    clients = load_fixture(EXISTING)
    pool = Pool(
        key="us-east-1_Zx9Yw8Vu7",
        label="us-east-1_Zx9Yw8Vu7",
        names=("us-east-1_Zx9Yw8Vu7", "aws_cognito_user_pool.inventory", "inventory"),
        location=Location(EXISTING, 8, address="aws_cognito_user_pool.inventory"),
        resource_servers=("inventory",),
    )
    assert [c.pool for c in clients.values()] == [pool, pool]


def test_a_pool_in_the_plan_without_resource_servers_has_an_empty_tuple() -> None:
    data = fixture_data(MODULES)
    root = data["planned_values"]["root_module"]
    root["resources"] = [r for r in root["resources"] if r["type"] != "aws_cognito_resource_server"]
    client = load_data(data, MODULES)["aws_cognito_user_pool_client.web"]
    assert client.pool.resource_servers == ()
    assert client.pool.location == Location(MODULES, 13, address="aws_cognito_user_pool.main")


# --- after_unknown and provider defaults --------------------------------------------------------


def test_whole_attribute_known_after_apply_is_unknown() -> None:
    clients = load_fixture(UNKNOWNS)
    ingest = clients["aws_cognito_user_pool_client.ingest"]
    assert ingest.record["AllowedOAuthScopes"] == AFTER_APPLY
    batch = clients["aws_cognito_user_pool_client.batch"]
    assert batch.record["AccessTokenValidity"] == AFTER_APPLY
    assert isinstance(batch.access_token_ttl, Unknown)


def test_one_list_element_known_after_apply_is_unknown_in_its_slot() -> None:
    export = load_fixture(UNKNOWNS)["aws_cognito_user_pool_client.export"]
    assert export.record["AllowedOAuthScopes"] == ("ledger/export", AFTER_APPLY)


def test_attribute_not_set_in_configuration_takes_the_provider_default() -> None:
    export = load_fixture(UNKNOWNS)["aws_cognito_user_pool_client.export"]
    # after_unknown marks access_token_validity, id, explicit_auth_flows ...; none is configured.
    for key in ("AccessTokenValidity", "ClientId", "ExplicitAuthFlows", "IdTokenValidity"):
        assert key not in export.record
    assert export.access_token_ttl == 3600
    assert export.is_m2m is True


def test_nested_block_attribute_not_set_in_configuration_takes_the_default() -> None:
    console = load_fixture(UNKNOWNS)["aws_cognito_user_pool_client.console"]
    assert console.record["TokenValidityUnits"] == {"AccessToken": "minutes"}
    assert console.access_token_ttl == 45 * 60
    assert console.is_m2m is False


def test_without_configuration_unknown_values_stay_unknown() -> None:
    data = fixture_data(UNKNOWNS)
    del data["configuration"]
    export = load_data(data, UNKNOWNS)["aws_cognito_user_pool_client.export"]
    assert export.record["AccessTokenValidity"] == AFTER_APPLY
    assert isinstance(export.access_token_ttl, Unknown)


def test_set_with_unknown_elements_dropped_by_older_terraform_keeps_the_unknowns() -> None:
    data = fixture_data(UNKNOWNS)
    address = "aws_cognito_user_pool_client.export"
    planned(data, address)["values"]["allowed_oauth_scopes"] = ["ledger/export"]
    assert change(data, address)["change"]["after_unknown"]["allowed_oauth_scopes"] == [False, True]
    export = load_data(data, UNKNOWNS)[address]
    assert export.record["AllowedOAuthScopes"] == ("ledger/export", AFTER_APPLY)


def test_unknown_pool_id_through_a_local_gets_its_own_unknown_pool() -> None:
    export = load_fixture(UNKNOWNS)["aws_cognito_user_pool_client.export"]
    assert export.pool == Pool(
        key=f"{UNKNOWNS}#aws_cognito_user_pool_client.export:pool",
        label="unknown user pool (local.pool_id)",
    )


def test_pool_reached_through_a_module_output_and_an_indexed_reference() -> None:
    pool_values = {"name": "shared"}
    client_values = {"name": "svc", "allowed_oauth_flows": ["client_credentials"]}
    data = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    _resource("aws_cognito_user_pool_client.via_output", client_values),
                    _resource("aws_cognito_user_pool_client.via_index", client_values),
                ],
                "child_modules": [
                    {
                        "resources": [
                            _resource("module.identity.aws_cognito_user_pool.this[0]", pool_values)
                        ],
                        "address": "module.identity",
                    }
                ],
            }
        },
        "resource_changes": [
            {"address": a, "change": {"after_unknown": {"user_pool_id": True}}}
            for a in (
                "aws_cognito_user_pool_client.via_output",
                "aws_cognito_user_pool_client.via_index",
            )
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    _config(
                        "aws_cognito_user_pool_client.via_output",
                        ["module.identity.pool_id", "module.identity"],
                    ),
                    _config("aws_cognito_user_pool_client.via_index", ["module.identity.pool_id"]),
                ],
                "module_calls": {
                    "identity": {
                        "source": "./identity",
                        "module": {
                            "outputs": {
                                "pool_id": {
                                    "expression": {
                                        "references": [
                                            "aws_cognito_user_pool.this[0].id",
                                            "aws_cognito_user_pool.this[0]",
                                            "aws_cognito_user_pool.this",
                                        ]
                                    }
                                }
                            },
                            "resources": [{"address": "aws_cognito_user_pool.this", "expressions": {}}],
                        },
                    }
                },
            }
        },
    }
    clients = load_data(data)
    address = "module.identity.aws_cognito_user_pool.this[0]"
    for client in clients.values():
        assert client.pool.key == f"plan.json#{address}"
        assert client.pool.names == (address, "shared")
        assert client.pool.location is not None and client.pool.location.address == address
        assert client.pool.resource_servers == ()


def _resource(address: str, values: dict[str, Any]) -> dict[str, Any]:
    rtype, name = re.sub(r"^(module\.[^.]+\.)+", "", address).split("[")[0].split(".")
    return {"address": address, "mode": "managed", "type": rtype, "name": name, "values": values}


def _config(address: str, pool_refs: list[str]) -> dict[str, Any]:
    return {"address": address, "expressions": {"user_pool_id": {"references": pool_refs}}}


# --- secrets, wrong types, broken plans ----------------------------------------------------------


def test_client_secret_in_the_plan_never_reaches_a_loaded_client() -> None:
    text = fixture_text(EXISTING)
    assert text.count("CANARY-tfplan-") == 4  # planned values, before, after, prior state
    clients = load_text(EXISTING, text)
    everything = repr([(as_dict(c), c.identities, c.name) for c in clients])
    assert "CANARY" not in everything
    assert "client_secret" not in everything and "ClientSecret" not in everything
    sync, admin = clients
    assert (sync.has_secret, admin.has_secret) == (True, False)


def test_secret_value_marks_a_client_whose_generate_secret_is_null_as_having_one() -> None:
    data = fixture_data(EXISTING)
    planned(data, "aws_cognito_user_pool_client.sync")["values"]["generate_secret"] = None
    sync = load_data(data, EXISTING)["aws_cognito_user_pool_client.sync"]
    assert sync.has_secret is True
    assert "CANARY" not in repr(as_dict(sync))


def test_existing_client_has_its_client_id_and_lines_inside_its_values() -> None:
    sync = load_fixture(EXISTING)["aws_cognito_user_pool_client.sync"]
    assert sync.record["ClientId"] == "5l2kq8rd0c7v9m3n4p6s1t8u0w"
    assert sync.record["AccessTokenValidity"] == 2  # the planned value, not the prior 24
    assert sync.line_of("AccessTokenValidity") == 72
    assert sync.line_of("TokenValidityUnits.AccessToken") == 99


def test_wrong_types_become_unknown_with_a_reason_instead_of_raising() -> None:
    data = fixture_data(MODULES)
    values = planned(data, "aws_cognito_user_pool_client.svc[0]")["values"]
    values.update(
        access_token_validity="thirty",
        allowed_oauth_flows="client_credentials",
        allowed_oauth_scopes=[{"scope": "orders/read"}, "orders/write"],
        generate_secret="yes",
        token_validity_units="minutes",
        user_pool_id=42,
    )
    client = load_data(data, MODULES)["aws_cognito_user_pool_client.svc[0]"]
    record = client.record
    assert record["AccessTokenValidity"] == Unknown("AccessTokenValidity is 'thirty', not a whole number")
    assert record["AllowedOAuthFlows"] == Unknown("AllowedOAuthFlows is 'client_credentials', not a list")
    assert record["AllowedOAuthScopes"] == (
        Unknown("an element of AllowedOAuthScopes is a mapping, not a string"),
        "orders/write",
    )
    assert record["GenerateSecret"] == Unknown("GenerateSecret is 'yes', not a boolean")
    assert record["TokenValidityUnits"] == Unknown("TokenValidityUnits is a string, not a block")
    assert isinstance(client.is_m2m, Unknown)
    assert isinstance(client.access_token_ttl, Unknown)
    # A non-string pool id cannot identify a pool: the configuration reference is used instead.
    assert client.pool.key == f"{MODULES}#aws_cognito_user_pool.main"


def test_token_validity_units_given_as_an_object_is_accepted() -> None:
    data = fixture_data(MODULES)
    address = "aws_cognito_user_pool_client.svc[0]"
    planned(data, address)["values"]["token_validity_units"] = {"access_token": "seconds"}
    assert load_data(data, MODULES)[address].access_token_ttl == 30


def _break(path: list[Any], value: Any) -> dict[str, Any]:
    data = fixture_data(MODULES)
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_break(["planned_values"], []), "planned_values is not an object"),
        (
            _break(["planned_values", "root_module"], "x"),
            "planned_values.root_module is not an object",
        ),
        (
            _break(["planned_values", "root_module", "resources"], {}),
            "planned_values.root_module.resources is not a list",
        ),
        (
            _break(["planned_values", "root_module", "child_modules", 1], 7),
            "planned_values.root_module.child_modules[1] is not an object",
        ),
        (
            _break(["planned_values", "root_module", "resources", 2, "values"], ["a"]),
            "aws_cognito_user_pool_client.web: values is not an object",
        ),
        (_break(["resource_changes"], {"a": 1}), "resource_changes is not a list"),
        (_break(["format_version"], "2.0"), "unsupported Terraform JSON format_version '2.0'"),
    ],
)
def test_structurally_broken_plan_is_a_source_error(data: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError) as raised:
        load(parse("broken.plan.json", json.dumps(data)))
    assert raised.value.message == message


def test_broken_configuration_keeps_values_unknown_instead_of_failing() -> None:
    data = fixture_data(UNKNOWNS)
    data["configuration"]["root_module"]["resources"] = "oops"
    export = load_data(data, UNKNOWNS)["aws_cognito_user_pool_client.export"]
    assert export.record["AccessTokenValidity"] == AFTER_APPLY
    assert export.pool.label == "unknown user pool (user_pool_id known after apply)"


# --- recognition, state output, text positions, scale -------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"format_version": "1.2", "planned_values": {}}, True),
        ({"format_version": "1.0", "resource_changes": []}, True),
        ({"format_version": "1.0", "values": {"root_module": {}}}, True),
        ({"format_version": "1.0"}, False),
        ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, False),
        ({"UserPoolClient": {"ClientId": "x", "UserPoolId": "y"}}, False),
        ([{"planned_values": {}}], False),
    ],
)
def test_matches_plan_and_state_output_only(data: Any, expected: bool) -> None:
    assert terraform_plan.matches(data) is expected


def test_terraform_plan_is_tried_before_the_broader_sources() -> None:
    order = list(SOURCES)
    assert order.index("terraform-plan") < min(order.index("describe"), order.index("cloudformation"))


def test_state_output_is_read_from_values() -> None:
    state = {
        "format_version": "1.0",
        "terraform_version": "1.7.5",
        "values": {
            "root_module": {
                "resources": [
                    _resource(
                        "aws_cognito_user_pool_client.reporting",
                        {
                            "id": "4c6e8g0i2k4m6o8q0s2u4w6y8a",
                            "name": "reporting",
                            "user_pool_id": "us-west-2_Ab12Cd34E",
                            "allowed_oauth_flows": ["client_credentials"],
                            "allowed_oauth_scopes": ["reports/read"],
                            "access_token_validity": 24,
                            "client_secret": "CANARY-state-secret",
                            "generate_secret": True,
                            "token_validity_units": [],
                        },
                    ),
                ]
            }
        },
    }
    client = load_data(state, "state.json")["aws_cognito_user_pool_client.reporting"]
    assert client.record["ClientId"] == "4c6e8g0i2k4m6o8q0s2u4w6y8a"
    assert client.access_token_ttl == 24 * 3600
    assert client.pool.key == "us-west-2_Ab12Cd34E"
    assert client.location.line == 8  # its "address" line
    assert "CANARY" not in repr(as_dict(client))


@pytest.mark.parametrize("path", [MODULES, UNKNOWNS, EXISTING])
def test_lines_point_at_the_address_and_at_each_attribute_in_planned_values(path: str) -> None:
    text = fixture_text(path)
    lines = text.splitlines()
    keys = {v: k for k, v in vocabulary.ATTRIBUTE_KEYS.items()}
    for client in load_text(path, text):
        assert client.location.line is not None
        assert f'"address": {json.dumps(client.location.address)}' in lines[client.location.line - 1]
        for key, line in client.field_lines.items():
            assert f'"{keys[key]}":' in lines[line - 1]
            # Inside the planned_values entry, after its address.
            assert client.location.line < line < client.location.line + 50


def test_sorted_keys_output_points_at_values_not_sensitive_values() -> None:
    # `jq -S .` puts "sensitive_values" before "values" and "configuration" before all.
    text = json.dumps(fixture_data(MODULES), indent=2, sort_keys=True)
    lines = text.splitlines()
    clients = load_text(MODULES, text)
    assert len(clients) == 7
    for client in clients:
        values_line = next(
            i + 1 for i in range(client.location.line or 0, len(lines)) if lines[i].strip() == '"values": {'
        )
        assert all(line > values_line for line in client.field_lines.values())
        assert client.pool.key == ORDERS_POOL.key or client.pool.key == "eu-west-1_AbCdEf123"


def _generated_plan(count: int) -> dict[str, Any]:
    resources = [_resource("aws_cognito_user_pool.main", {"name": "fleet"})]
    changes = []
    for i in range(count):
        address = f'aws_cognito_user_pool_client.svc["c{i}"]'
        values = {
            "name": f"svc-{i}",
            "allowed_oauth_flows": ["client_credentials"] if i % 2 else ["code"],
            "allowed_oauth_scopes": ["fleet/read"],
            "access_token_validity": 5 + i % 50,
            "token_validity_units": [{"access_token": "minutes"}],
            "client_secret": f"CANARY-{i}",
        }
        resources.append({**_resource(address, values), "index": f"c{i}"})
        changes.append({"address": address, "change": {"after_unknown": {"user_pool_id": True, "id": True}}})
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": changes,
        "configuration": {
            "root_module": {
                "resources": [_config("aws_cognito_user_pool_client.svc", ["aws_cognito_user_pool.main.id"])]
            }
        },
    }


def test_a_plan_with_5000_clients_loads_every_client_in_order() -> None:
    clients = list(load_data(_generated_plan(5000), "fleet.plan.json", indent=None).values())
    assert len(clients) == 5000
    last = clients[-1]
    assert last.location == Location(
        "fleet.plan.json", 1, address='aws_cognito_user_pool_client.svc["c4999"]'
    )
    assert last.record["ClientName"] == "svc-4999"
    assert last.access_token_ttl == (5 + 4999 % 50) * 60
    assert sum(1 for c in clients if c.is_m2m is True) == 2500
    assert {c.pool.key for c in clients} == {"fleet.plan.json#aws_cognito_user_pool.main"}
    assert "CANARY" not in repr([c.record for c in clients])


def test_field_lines_of_a_large_pretty_plan_stay_inside_each_client() -> None:
    text = json.dumps(_generated_plan(300), indent=2)
    lines = text.splitlines()
    for client in load_text("fleet.plan.json", text):
        name_line = client.field_lines["ClientName"]
        assert lines[name_line - 1].strip() == f'"name": {json.dumps(client.record["ClientName"])},'


def test_other_blocks_become_api_objects_and_unmapped_attributes_keep_their_name() -> None:
    data = fixture_data(MODULES)
    address = "aws_cognito_user_pool_client.web"
    planned(data, address)["values"].update(
        refresh_token_rotation=[{"feature": "ENABLED", "retry_grace_period_seconds": 10}],
        analytics_configuration=[{"application_id": "a1b2", "user_data_shared": False, "role_arn": None}],
        region="eu-west-1",
    )
    record = load_data(data, MODULES)[address].record
    assert record["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}
    assert record["AnalyticsConfiguration"] == {"ApplicationId": "a1b2", "UserDataShared": False}
    assert record["region"] == "eu-west-1"


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("1.2", True),
        ("01.0", True),
        ("0.1", True),
        ("2.0", False),
        ("10.1", False),
        ("²", True),
        ("9" * 5000, False),
    ],
)
def test_format_version_check_never_raises_but_source_error(version: str, supported: bool) -> None:
    # "²".isdigit() is true but int("²") raises, as does int() of more than 4300 digits.
    text = json.dumps({"format_version": version, "planned_values": {}})
    if supported:
        assert load_text("plan.json", text) == []
    else:
        with pytest.raises(SourceError, match="unsupported Terraform JSON format_version"):
            load_text("plan.json", text)


# --- pool settings: feature plan and pre token generation trigger ---------------------------------
#
# Shapes: planned_values holds the provider's attributes with unknown values left out, nested
# blocks as lists; resource_changes[].change.after_unknown marks the unknown ones in the same
# nesting, and configuration gives a nested block's expressions as a list of objects
# (https://developer.hashicorp.com/terraform/internals/json-format). The aws_cognito_user_pool
# attributes (user_pool_tier; lambda_config { pre_token_generation, pre_token_generation_config
# { lambda_arn, lambda_version } }) are those of the provider's resource page,
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_user_pool.

SETTINGS = "terraform/pool_settings.plan.json"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"


def settings_of(clients: dict[str, AppClient], address: str) -> Any:
    return clients[address].pool.settings


@pytest.mark.parametrize(
    ("client", "settings", "customizes"),
    [
        # Created with a V3_0 trigger on Essentials; the computed legacy ARN is not configured.
        (
            "orders_sync",
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
        # An existing pool: the unconfigured tier is the one the provider read back; the
        # other triggers' "" (unset in state) are left out, as DescribeUserPool leaves them out.
        (
            "billing_sync",
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
        # Created with the legacy ARN only and no tier: the tier is CreateUserPool's default
        # (absent), and the unconfigured, computed pre_token_generation_config says nothing.
        ("reports_sync", {"LambdaConfig": {"PreTokenGeneration": FUNCTION + "reports-claims"}}, False),
        # Lite, no lambda_config at all.
        ("partners_sync", {"UserPoolTier": "LITE"}, False),
        # The function's ARN and the tier come from values known after apply.
        (
            "inventory_sync",
            {
                "UserPoolTier": AFTER_APPLY,
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {"LambdaArn": AFTER_APPLY, "LambdaVersion": "V3_0"}
                },
            },
            AFTER_APPLY,
        ),
    ],
)
def test_pool_settings_are_read_into_the_describe_user_pool_shape(
    client: str, settings: dict[str, Any], customizes: bool | Unknown
) -> None:
    pool = load_fixture(SETTINGS)[f"aws_cognito_user_pool_client.{client}"].pool
    assert pool.settings == settings
    assert customizes_m2m_tokens(pool) == customizes


def test_a_pool_named_by_its_literal_id_carries_the_settings_of_the_pool_in_the_plan() -> None:
    pool = load_fixture(SETTINGS)["aws_cognito_user_pool_client.billing_sync"].pool
    assert pool.key == "us-east-1_B1llingP0"
    assert pool.location == Location(SETTINGS, 56, address="aws_cognito_user_pool.billing")


def test_an_unset_tier_of_a_pool_the_plan_does_not_create_is_unknown() -> None:
    # An existing pool whose tier the plan does not record (a provider older than the
    # argument): the pool keeps the plan it has, which the plan does not say.
    pool = load_fixture(EXISTING)["aws_cognito_user_pool_client.sync"].pool
    assert pool.settings == {
        "UserPoolTier": Unknown("user_pool_tier is not set: the pool keeps the plan it has")
    }
    assert customizes_m2m_tokens(pool) is False  # no trigger: whatever the plan, nothing runs


def test_a_pool_created_without_a_tier_or_triggers_has_the_api_defaults() -> None:
    pool = load_fixture(UNKNOWNS)["aws_cognito_user_pool_client.ingest"].pool
    assert pool.settings == {}
    assert customizes_m2m_tokens(pool) is False


def test_without_configuration_unknown_pool_settings_stay_unknown() -> None:
    data = fixture_data(SETTINGS)
    del data["configuration"]
    # The clients lose their way to the pools too: name them by a literal id of the pool.
    address = "aws_cognito_user_pool.reports"
    planned(data, address)["values"]["id"] = "us-east-1_Rep0rts"
    planned(data, "aws_cognito_user_pool_client.reports_sync")["values"]["user_pool_id"] = "us-east-1_Rep0rts"
    pool = load_data(data, SETTINGS)["aws_cognito_user_pool_client.reports_sync"].pool
    assert pool.settings == {
        "UserPoolTier": AFTER_APPLY,
        "LambdaConfig": {
            "PreTokenGeneration": FUNCTION + "reports-claims",
            "PreTokenGenerationConfig": AFTER_APPLY,
        },
    }
    assert customizes_m2m_tokens(pool) == AFTER_APPLY


@pytest.mark.parametrize(
    ("values", "settings"),
    [
        # A state (no changes): values as the provider read them back.
        (
            {
                "user_pool_tier": "PLUS",
                "lambda_config": [
                    {
                        "pre_token_generation": FUNCTION + "x",
                        "pre_token_generation_config": [
                            {"lambda_arn": FUNCTION + "x", "lambda_version": "V3_0"}
                        ],
                        "post_confirmation": FUNCTION + "welcome",
                    }
                ],
            },
            {
                "UserPoolTier": "PLUS",
                "LambdaConfig": {
                    "PreTokenGeneration": FUNCTION + "x",
                    "PreTokenGenerationConfig": {"LambdaArn": FUNCTION + "x", "LambdaVersion": "V3_0"},
                },
            },
        ),
        # Other triggers only: an empty LambdaConfig, as DescribeUserPool returns it.
        (
            {
                "user_pool_tier": "LITE",
                "lambda_config": [{"pre_token_generation": "", "pre_sign_up": FUNCTION + "y"}],
            },
            {"UserPoolTier": "LITE", "LambdaConfig": {}},
        ),
        # A state written before the provider had user_pool_tier: the plan is not recorded.
        (
            {"lambda_config": []},
            {"UserPoolTier": Unknown("user_pool_tier is not set: the pool keeps the plan it has")},
        ),
        # Hand-edited or broken values: unknown with a reason, never an exception.
        (
            {"user_pool_tier": "PLUS", "lambda_config": "V3_0"},
            {"UserPoolTier": "PLUS", "LambdaConfig": Unknown("LambdaConfig is a string, not a block")},
        ),
        (
            {"user_pool_tier": "PLUS", "lambda_config": [{"pre_token_generation_config": [7]}]},
            {
                "UserPoolTier": "PLUS",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": Unknown(
                        "PreTokenGenerationConfig is a list without an object, not a block"
                    )
                },
            },
        ),
    ],
)
def test_pool_settings_of_a_state(values: dict[str, Any], settings: dict[str, Any]) -> None:
    pool_values = {"id": "us-west-2_Ab12Cd34E", "name": "state-pool", **values}
    client_values = {
        "name": "svc",
        "user_pool_id": "us-west-2_Ab12Cd34E",
        "allowed_oauth_flows": ["client_credentials"],
    }
    state = {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "resources": [
                    _resource("aws_cognito_user_pool.main", pool_values),
                    _resource("aws_cognito_user_pool_client.svc", client_values),
                ]
            }
        },
    }
    assert load_data(state, "state.json")["aws_cognito_user_pool_client.svc"].pool.settings == settings


def _counted_pools(tiers: list[str]) -> dict[str, Any]:
    """Pools with count, and a client whose reference names no instance, as Terraform records
    ``aws_cognito_user_pool.main[count.index].id``."""
    resources = [
        {
            **_resource(f"aws_cognito_user_pool.main[{i}]", {"name": f"p{i}", "user_pool_tier": tier}),
            "index": i,
        }
        for i, tier in enumerate(tiers)
    ]
    resources.append(
        _resource(
            "aws_cognito_user_pool_client.svc", {"name": "svc", "allowed_oauth_flows": ["client_credentials"]}
        )
    )
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": [
            {
                "address": "aws_cognito_user_pool_client.svc",
                "change": {"actions": ["create"], "after_unknown": {"user_pool_id": True}},
            }
        ],
        "configuration": {
            "root_module": {
                "resources": [_config("aws_cognito_user_pool_client.svc", ["aws_cognito_user_pool.main"])]
            }
        },
    }


@pytest.mark.parametrize(
    ("tiers", "tier"),
    [
        (["PLUS", "PLUS"], "PLUS"),
        (
            ["PLUS", "LITE"],
            Unknown("UserPoolTier differs between the instances of aws_cognito_user_pool.main"),
        ),
    ],
)
def test_a_pool_with_count_named_without_an_instance_has_the_settings_its_instances_share(
    tiers: list[str], tier: str | Unknown
) -> None:
    pool = load_data(_counted_pools(tiers))["aws_cognito_user_pool_client.svc"].pool
    assert pool.key == "plan.json#aws_cognito_user_pool.main"
    assert pool.settings == {"UserPoolTier": tier}


def test_a_pool_not_in_the_plan_has_no_settings() -> None:
    prefix = "module.platform.module.clients.aws_cognito_user_pool_client.svc"
    assert load_fixture(MODULES)[f'{prefix}["billing"]'].pool.settings is None


def test_an_unknown_block_that_the_configuration_does_not_show_is_unknown() -> None:
    # A dynamic "lambda_config" whose for_each is known only after apply: the block is unknown,
    # and the configuration leaves dynamic blocks out. lambda_config is not computed, so its
    # being unknown means it is configured.
    data = fixture_data(SETTINGS)
    address = "aws_cognito_user_pool.partners"
    del planned(data, address)["values"]["lambda_config"]
    change(data, address)["change"]["after_unknown"]["lambda_config"] = True
    pool = load_data(data, SETTINGS)["aws_cognito_user_pool_client.partners_sync"].pool
    assert pool.settings == {"UserPoolTier": "LITE", "LambdaConfig": AFTER_APPLY}
    assert customizes_m2m_tokens(pool) == AFTER_APPLY
