"""Registry metadata as data: names, schemas, summaries, runnable examples, the committed schema."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import m2m_guard
from m2m_guard.model import AppClient, Violation
from m2m_guard.policy import load_policy
from m2m_guard.policy.schema import build_schema
from m2m_guard.rules import RULES, PoolRuleSpec, RuleContext, RuleSpec, rule
from tests.rules.clients import context

SCHEMA_FILE = Path(m2m_guard.__file__).resolve().parent / "data" / "policy.schema.json"
README = Path(__file__).resolve().parents[2] / "README.md"
TYPES = sorted(RULES)


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema inside ``schema``, nested ones included."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found.extend(_objects(value))
    elif isinstance(schema, list):
        for item in schema:
            found.extend(_objects(item))
    return found


def test_registry_keys_are_the_rule_types() -> None:
    assert TYPES, "no rules registered"
    assert all(spec.type == name for name, spec in RULES.items())
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name) for name in TYPES)


def test_registering_a_type_twice_is_refused() -> None:
    before = dict(RULES)

    def again(client: AppClient, ctx: RuleContext) -> Iterator[Violation]:
        yield from ()

    with pytest.raises(ValueError, match="'max_access_token_ttl' registered twice"):
        rule("max_access_token_ttl", summary="Again.", why="Again.", help="Again.")(again)
    assert before == RULES


def test_registered_functions_are_distinct() -> None:
    funcs = [spec.func for spec in RULES.values()]
    assert len(set(funcs)) == len(funcs)


def test_pool_rules_are_registered_as_such() -> None:
    assert {name for name, spec in RULES.items() if spec.scope == "pool"} == {
        "pool_budget",
        "token_customization",
    }
    assert all(isinstance(spec, PoolRuleSpec) == (spec.scope == "pool") for spec in RULES.values())


@pytest.mark.parametrize("rule_type", TYPES)
def test_params_schema_forbids_unknown_keys(rule_type: str) -> None:
    schema = RULES[rule_type].params
    assert schema["type"] == "object"
    for obj in _objects(schema):
        assert obj.get("additionalProperties") is False, obj
    assert set(schema.get("required", ())) <= set(schema["properties"])


@pytest.mark.parametrize("rule_type", TYPES)
def test_summary_is_one_sentence(rule_type: str) -> None:
    summary = RULES[rule_type].summary
    first = summary.split()[0]
    # starts with a capital, or with an identifier such as client_credentials
    assert first[0].isupper() or "_" in first, summary
    assert summary.endswith("."), summary
    assert ". " not in summary[:-1], summary


@pytest.mark.parametrize("rule_type", TYPES)
def test_help_and_description_are_written(rule_type: str) -> None:
    spec: RuleSpec = RULES[rule_type]
    assert spec.help.strip().endswith("."), spec.help
    assert spec.description.endswith("."), spec.description
    assert "Example::" not in spec.description


@pytest.mark.parametrize("rule_type", TYPES)
def test_why_it_matters_is_one_line(rule_type: str) -> None:
    why = RULES[rule_type].why
    assert why.endswith(".") and why[0].isupper(), why
    assert "\n" not in why and len(why) <= 200, why


def _readme_anchors() -> dict[str, str]:
    """Each ``<a name="...">`` of the README and the text after it, up to the next anchor or
    section (GitHub keeps the name: ``#rule-x`` scrolls to ``<a name="rule-x">``)."""
    parts = re.split(r'<a name="([^"]+)"></a>', README.read_text(encoding="utf-8"))
    return {name: body.split("\n## ")[0] for name, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize("rule_type", TYPES)
def test_help_uri_is_the_readme_section_of_the_rule(rule_type: str) -> None:
    spec = RULES[rule_type]
    page, _, anchor = spec.help_uri.partition("#")
    assert page == "https://github.com/m2m-guard/m2m-guard"
    section = _readme_anchors().get(anchor)
    assert section is not None, f'README.md has no <a name="{anchor}"></a>'
    assert section.lstrip().startswith(f"### `{rule_type}`\n")
    flat = " ".join(section.split())
    assert f"**Why it matters:** {spec.why}" in flat
    assert f"**Fix:** {spec.help}" in flat


def test_readme_has_no_section_for_a_rule_type_that_does_not_exist() -> None:
    assert {a for a in _readme_anchors() if a.startswith("rule-")} == {f"rule-{t}" for t in TYPES}


@pytest.mark.parametrize("rule_type", TYPES)
def test_docstring_example_is_a_valid_policy_rule(rule_type: str) -> None:
    example = RULES[rule_type].example
    entries = yaml.safe_load(example)
    assert isinstance(entries, list) and len(entries) == 1, example
    assert entries[0]["type"] == rule_type
    policy = load_policy(f"{rule_type} docstring", "version: 1\nrules:\n" + example)
    [loaded] = policy.rules
    assert loaded.spec is RULES[rule_type]
    assert loaded.id == entries[0]["id"]


@pytest.mark.parametrize("rule_type", TYPES)
def test_test_helper_prepares_the_context_like_the_policy(rule_type: str) -> None:
    # the rule tests call rules with tests.rules.clients.context(); it must match the policy's
    example = RULES[rule_type].example
    [entry] = yaml.safe_load(example)
    policy = load_policy("example", "version: 1\nrules:\n" + example)
    [loaded] = policy.rules
    raw = {k: v for k, v in entry.items() if k not in ("id", "type", "severity", "description", "match")}
    helper = context(rule_type, entry["id"], ttl_ceiling=policy.ttl_ceiling(), **raw)
    assert helper == policy.context(loaded)


def test_committed_schema_is_current() -> None:
    expected = json.dumps(build_schema(), indent=2) + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, (
        "m2m_guard/data/policy.schema.json is stale: regenerate it with "
        "`m2m-guard policy schema > m2m_guard/data/policy.schema.json`"
    )


def test_schema_names_every_rule_type() -> None:
    schema = build_schema()
    assert schema["$defs"]["rule"]["properties"]["type"]["enum"] == TYPES
    assert {k for k in schema["$defs"] if k.startswith("rule_")} == {f"rule_{t}" for t in TYPES}
