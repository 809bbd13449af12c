"""The ``configuration`` section of a plan: module calls, outputs and the references by which
a client's ``user_pool_id`` leads to a pool resource when its value is known only after apply.

Format: https://developer.hashicorp.com/terraform/internals/json-format ("Configuration
Representation"). The configuration only refines unknowns: a malformed part of it counts as
missing, which keeps the affected values unknown rather than failing the whole plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.sources.vocabulary import TF_POOL

_INDEX = r'(\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\])?'
_NAME = r"([A-Za-z_][A-Za-z0-9_-]*)"
_MODULE_STEP = re.compile(rf"module\.{_NAME}{_INDEX}\.?")
_POOL_REF = re.compile(rf"^{TF_POOL}\.{_NAME}{_INDEX}")
_VAR_REF = re.compile(rf"^var\.{_NAME}")
_OUTPUT_REF = re.compile(rf"^module\.{_NAME}{_INDEX}\.{_NAME}")
#: Bound on variable/output hops followed for one reference (cycles cannot occur in valid
#: Terraform, but a hand-edited plan must not hang the scan).
_MAX_HOPS = 32

Step = tuple[str, str]  # one module instance step: (call name, "[key]" or "")


def parse_steps(address: str) -> tuple[Step, ...]:
    """``module.a["x"].module.b.aws_x.y`` -> (("a", '["x"]'), ("b", ""))."""
    steps: list[Step] = []
    pos = 0
    while pos < len(address):
        match = _MODULE_STEP.match(address, pos)
        if not match:
            break
        steps.append((match.group(1), match.group(2) or ""))
        pos = match.end()
    return tuple(steps)


def prefix(steps: tuple[Step, ...]) -> str:
    return "".join(f"module.{name}{key}." for name, key in steps)


@dataclass
class ConfigModule:
    """One module of ``configuration``: resource expressions, module calls and outputs."""

    resources: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    call_expressions: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def config_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


#: Module call path -> the module's configuration.
Config = dict[tuple[str, ...], "ConfigModule"]


def config_modules(data: Mapping[str, Any]) -> Config | None:
    """Module call path -> module; None when the document has no configuration."""
    config = data.get("configuration")
    if not isinstance(config, dict):
        return None
    modules: dict[tuple[str, ...], ConfigModule] = {}
    stack: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [((), config_dict(config.get("root_module")))]
    while stack:
        path, raw = stack.pop()
        module = modules[path] = ConfigModule()
        resources = raw.get("resources")
        for resource in resources if isinstance(resources, list) else ():
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                module.resources[resource["address"]] = config_dict(resource.get("expressions"))
        for name, output in config_dict(raw.get("outputs")).items():
            module.outputs[name] = config_dict(config_dict(output).get("expression"))
        for name, call in config_dict(raw.get("module_calls")).items():
            module.call_expressions[name] = config_dict(config_dict(call).get("expressions"))
            stack.append(((*path, name), config_dict(config_dict(call).get("module"))))
    return modules


def references(expression: Any) -> list[str]:
    refs = config_dict(expression).get("references")
    return [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []


def resolve_pool(config: Config, refs: list[str], steps: tuple[Step, ...], hops: int = 0) -> str | None:
    """The planned address of the pool resource a list of references leads to, following
    module variables up to their callers and module outputs down to their expressions."""
    if hops > _MAX_HOPS:
        return None
    for ref in refs:
        pool = _POOL_REF.match(ref)
        if pool:
            return f"{prefix(steps)}{TF_POOL}.{pool.group(1)}{pool.group(2) or ''}"
        var = _VAR_REF.match(ref)
        if var and steps:  # a module input: follow the caller's argument expression
            parent = config.get(tuple(n for n, _ in steps[:-1]))
            args = parent.call_expressions.get(steps[-1][0], {}) if parent else {}
            found = resolve_pool(config, references(args.get(var.group(1))), steps[:-1], hops + 1)
            if found:
                return found
        output = _OUTPUT_REF.match(ref)
        if output:  # a child module's output: follow the output's expression
            child_steps = (*steps, (output.group(1), output.group(2) or ""))
            child = config.get(tuple(n for n, _ in child_steps))
            expr = child.outputs.get(output.group(3)) if child else None
            found = resolve_pool(config, references(expr), child_steps, hops + 1)
            if found:
                return found
    return None
