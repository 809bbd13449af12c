"""The checks before the JSON Schema: the document's shape, rule types and ids, and numbers.

They run first because they say in a few words what the schema would say at length (an
unknown rule type, a misspelt ``type:``), and because the schema lets through what no policy
means (NaN, numbers too large to compute with).
"""

from __future__ import annotations

import math
import sys
from typing import Any

from m2m_guard.policy.report import KeyPath, Report, closest, shown, unknown_key
from m2m_guard.rules import RULES

TOP_KEYS = ["pricing", "rules", "version", "waivers"]
#: The keys of a rule entry that are not the rule's own parameters.
RULE_KEYS = ["description", "id", "match", "severity", "type"]
#: No number a policy holds (a price, a budget, a count of days or requests) is this large.
MAX_NUMBER = 10**15


def _parameter_names() -> set[str]:
    return {name for spec in RULES.values() for name in spec.params.get("properties", {})}


def _check_rule_type(index: int, entry: dict[Any, Any], report: Report) -> None:
    path: KeyPath = ("rules", index, "type")
    if "type" in entry:
        rule_type = entry["type"]
        if not isinstance(rule_type, str):
            message = f"must be a rule type name (see `m2m-guard rules`), not {shown(rule_type)}"
            report.error(path, message, claim=True)
            return
        if rule_type in RULES:
            return
        likely = closest(rule_type, sorted(RULES))
        hint = f"did you mean {likely!r}?" if likely else f"known: {', '.join(sorted(RULES))}"
        report.error(path, f"unknown rule type {rule_type!r} ({hint})", claim=True)
    # Without a known type the rule's own keys are unknown too, but a near miss of a common key
    # (`tpye`, `severity` misspelt) is still a mistake worth naming.
    params = _parameter_names()
    for key in entry:
        if key in RULE_KEYS or key in params:
            continue
        likely = closest(key, RULE_KEYS, cutoff=0.75)
        if likely is not None:
            # the typo explains the missing key: no separate "'type' is required"
            claim: bool | KeyPath = ("rules", index, likely) if likely not in entry else False
            report.error(("rules", index, key), unknown_key(key, RULE_KEYS), claim=claim)


def _check_rules(rules: list[Any], report: Report) -> None:
    """Each rule entry: a mapping, a known type, an id no other rule has."""
    seen: dict[str, int] = {}
    for index, entry in enumerate(rules):
        if not isinstance(entry, dict):
            report.error(("rules", index), "each rule is a mapping with `id` and `type`", claim=True)
            continue
        _check_rule_type(index, entry, report)
        rule_id = entry.get("id")
        if isinstance(rule_id, str):
            if rule_id in seen:
                report.error(
                    ("rules", index, "id"), f"duplicate id {rule_id!r} (also rules[{seen[rule_id]}])"
                )
            seen.setdefault(rule_id, index)


def check_structure(data: Any, report: Report) -> bool:
    """Hand-written checks before the schema; False when nothing more can be checked."""
    if not isinstance(data, dict):
        report.error((), "a policy is a mapping with `version: 1` and `rules:`")
        return False
    # a misspelt top-level key (`rulez:`) is reported as such by the schema, with a suggestion
    typos = {closest(key, TOP_KEYS) for key in data if key not in TOP_KEYS}
    if "version" not in data and "version" in typos:
        report.claim(("version",))
    elif data.get("version") != 1:
        report.error(("version",), "must be 1 (the only policy format version)", claim=True)
    rules = data.get("rules")
    if "rules" not in data and "rules" in typos:
        report.claim(("rules",))
    elif not isinstance(rules, list):
        report.error(("rules",), "must be a list of rules", claim=True)
    else:
        _check_rules(rules, report)
    return True


def _number_problem(value: Any) -> str | None:
    """What makes a number unusable whatever its key: not finite, too close to zero to compute
    with (a subnormal float such as 1e-320), or beyond any price, budget or count."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        problem = _float_problem(value)
        if problem is not None:
            return problem
    if abs(value) > MAX_NUMBER:
        size = f"a number of {len(str(int(value)))} digits" if abs(value) >= 10**60 else shown(value)
        return f"{size} is more than m2m-guard accepts anywhere in a policy (at most 10**15)"
    return None


def _float_problem(value: float) -> str | None:
    if math.isnan(value):
        return "must be a number, not .nan"
    if math.isinf(value):
        return f"must be a finite number, not {'-' if value < 0 else ''}.inf"
    if 0 < abs(value) < sys.float_info.min:
        return f"{value!r} is too close to zero to compute with; write 0 or a larger number"
    return None


def check_numbers(data: Any, report: Report, path: KeyPath = ()) -> None:
    """Every number of the policy, at any depth, before the schema (which lets NaN through:
    no comparison with NaN is false)."""
    if isinstance(data, dict):
        items: list[tuple[Any, Any]] = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        return
    for key, value in items:
        problem = _number_problem(value)
        if problem is not None:
            report.error((*path, key), problem, claim=True)
        else:
            check_numbers(value, report, (*path, key))
