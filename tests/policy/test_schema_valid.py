"""The quick schema check agrees with jsonschema: when it says valid or invalid, so does
jsonschema, over every policy the project ships and thousands of broken variants of them."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from m2m_guard.policy import build_schema, load_policy
from m2m_guard.policy.schema_valid import KEYWORDS, certainly_valid, verdict
from m2m_guard.rules import RULES
from m2m_guard.sources.document import parse

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = build_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _readme_policies() -> list[str]:
    blocks = re.findall(r"```(\w+)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [body for lang, body in blocks if lang == "yaml" and body.startswith("version: 1")]


def _documents() -> dict[str, Any]:
    texts = {p.name: p.read_text() for p in sorted((ROOT / "policies").glob("*.yaml"))}
    texts["snapshots.yaml"] = (ROOT / "tests/fixtures/policies/snapshots.yaml").read_text()
    texts.update({f"README policy {i}": body for i, body in enumerate(_readme_policies())})
    docs = {name: parse(name, text).data for name, text in texts.items()}
    for name, spec in sorted(RULES.items()):
        example = parse(name, spec.example).data
        docs[f"example of {name}"] = {
            "version": 1,
            "rules": example if isinstance(example, list) else [example],
        }
    return docs


DOCUMENTS = _documents()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_shipped_policies_are_certainly_valid(name: str) -> None:
    # the packs, the README's policies and every rule's example take the quick path
    assert certainly_valid(DOCUMENTS[name], SCHEMA)
    assert not list(VALIDATOR.iter_errors(DOCUMENTS[name]))


#: What a value is replaced with in the broken variants: every JSON type, edge numbers, values
#: the patterns and bounds refuse, and Python values YAML can give that JSON has not.
REPLACEMENTS: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    -1,
    2.5,
    10**16,
    float("inf"),
    "",
    "x",
    "1h",
    "15",
    "2027-03-31",
    "1h\n",
    "error",
    "max_access_token_ttl",
    [],
    ["a"],
    ["a", "a"],
    ["a", 1],
    [""],
    {},
    {"x": 1},
    dt.date(2027, 3, 31),
]


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*path, index))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _variants(doc: Any) -> Iterator[Any]:
    for path in list(_paths(doc)):
        if not path:
            continue
        for value in REPLACEMENTS:
            changed = copy.deepcopy(doc)
            _at(changed, path[:-1])[path[-1]] = value
            yield changed
        removed = copy.deepcopy(doc)
        del _at(removed, path[:-1])[path[-1]]
        yield removed
        target = _at(doc, path)
        if isinstance(target, dict):
            added = copy.deepcopy(doc)
            _at(added, path)["maxx"] = "1h"
            yield added


def _small_documents() -> dict[str, Any]:
    """One document per rule entry of the packs and the snapshot policy, and one with their
    pricing and waivers: small, so that thousands of variants validate in a few seconds."""
    small: dict[str, Any] = {}
    seen: set[str] = set()
    for name in ("default.yaml", "strict.yaml", "snapshots.yaml"):
        doc = DOCUMENTS[name]
        for index, entry in enumerate(doc["rules"]):
            if repr(entry) not in seen:
                seen.add(repr(entry))
                small[f"{name} rules[{index}]"] = {"version": 1, "rules": [entry]}
        rest = {key: value for key, value in doc.items() if key != "rules"}
        small[f"{name} without rules"] = {**rest, "rules": []}
    return small


SMALL = _small_documents()


@pytest.mark.parametrize("key", sorted(SMALL))
def test_every_verdict_is_jsonschemas(key: str) -> None:
    judged = unsure = 0
    for variant in _variants(SMALL[key]):
        said = verdict(variant, SCHEMA)
        errors = list(VALIDATOR.iter_errors(variant))
        if said is None:
            unsure += 1
            continue
        judged += 1
        assert said == (not errors), (said, [e.message for e in errors], variant)
    # it judges almost everything itself (unsure: dates, which jsonschema words)
    assert judged > 10 * unsure


def test_the_schema_uses_only_keywords_the_quick_check_judges() -> None:
    """A keyword added to the generated schema would send every policy to jsonschema (slower,
    never wrong): add it to m2m_guard/policy/schema_valid.py, and to this test's variants."""
    used: set[str] = set()

    def walk(schema: Any) -> None:
        if not isinstance(schema, dict):
            return
        used.update(schema)
        for keyword in ("items", "additionalProperties", "if", "then", "else"):
            walk(schema.get(keyword))
        for keyword in ("properties", "$defs"):
            for sub in schema.get(keyword, {}).values():
                walk(sub)
        for sub in schema.get("allOf", []):
            walk(sub)

    walk(SCHEMA)
    assert used <= KEYWORDS, sorted(used - KEYWORDS)


def test_an_invalid_policy_is_still_worded_by_the_schema_step() -> None:
    text = "version: 1\nrules:\n  - id: A\n    type: max_access_token_ttl\n    max: 15\n"
    with pytest.raises(Exception) as raised:
        load_policy("p.yaml", text)
    assert "15 has no unit; did you mean 15m (15 minutes) or 15h (15 hours)?" in str(raised.value)
