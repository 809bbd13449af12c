"""checkov's resource ``conf`` -> AppClient: the bridge's fallback when m2m-guard cannot read the file.

checkov hands a check the configuration of one resource (shapes in ../shared/notes/ecosystem.md
§3.3): CloudFormation (the resource dict; intrinsics checkov leaves as dicts are unknown),
Terraform HCL (every attribute list-wrapped; unresolved expressions are unknown) and
terraform_plan (``_hclify``-wrapped values). What the ``conf`` cannot tell is unknown, never a
guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from m2m_guard.model import ABSENT, AppClient, Location, Pool, Unknown
from m2m_guard.sources.normalize import SECRET_KEYS, normalize
from m2m_guard.sources.vocabulary import ATTRIBUTE_KEYS, BLOCK_ATTRIBUTES, TF_POOL, pascal


def _dunder(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("__")


def first(value: Any) -> Any:
    """checkov wraps Terraform values in one-element lists (``__file__``: ``["plan.json"]``)."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


# --- CloudFormation ----------------------------------------------------------------------------

_INTRINSIC = re.compile(r"^(Ref|Condition|Fn::[A-Za-z]+)$")


def _cfn_value(value: Any) -> Any:
    """A property value with checkov's line keys dropped; intrinsics checkov left are unknown."""
    if isinstance(value, Mapping):
        keys = [k for k in value if not _dunder(k)]
        if len(keys) == 1 and isinstance(keys[0], str) and _INTRINSIC.match(keys[0]):
            if keys[0] == "Ref" and value["Ref"] == "AWS::NoValue":
                return ABSENT
            return Unknown(f"a {keys[0]} that checkov does not resolve")
        items = {k: _cfn_value(value[k]) for k in keys}
        return {k: v for k, v in items.items() if v is not ABSENT}
    if isinstance(value, list):
        return [v for v in map(_cfn_value, value) if v is not ABSENT]
    return value


def _cfn_pool(expr: Any, path: str, logical_id: str) -> Pool:
    if isinstance(expr, Mapping):
        ref = expr.get("Ref")
        att = expr.get("Fn::GetAtt")
        target = (
            ref
            if isinstance(ref, str)
            else (att[0] if isinstance(att, list) and att and isinstance(att[0], str) else None)
        )
        if target:
            # checkov substitutes parameters that have a default, so a Ref left here names a
            # resource (the pool) or a parameter without a default: either identifies the pool.
            return Pool.defined(path, target, (target,))
    if isinstance(expr, str) and expr:
        return Pool.of_id(expr)
    return Pool.unknown(path, logical_id, "UserPoolId")


def cfn_client(conf: Mapping[str, Any], logical_id: str) -> AppClient:
    """An AppClient from checkov's CloudFormation ``conf`` alone."""
    props = conf.get("Properties")
    path = str((props if isinstance(props, Mapping) else conf).get("__file__") or "")
    line = props.get("__startline__") if isinstance(props, Mapping) else conf.get("__startline__")
    location = Location(path, line if isinstance(line, int) else None, logical_id=logical_id or None)
    if not isinstance(props, Mapping):
        reason = "Properties is not a mapping"
        raw: dict[str, Any] = {k: Unknown(reason) for k in ("AllowedOAuthFlows", "ExplicitAuthFlows")}
        return AppClient(normalize(raw), location, _cfn_pool(None, path, logical_id))
    raw = {}
    for key, value in props.items():
        if _dunder(key) or key == "resource_type" or key in SECRET_KEYS:
            continue  # resource_type is checkov's own addition
        resolved = _cfn_value(value)
        if resolved is not ABSENT:
            raw[key] = resolved
    return AppClient(normalize(raw), location, _cfn_pool(props.get("UserPoolId"), path, logical_id))


# --- Terraform (HCL and plan) --------------------------------------------------------------------

#: An expression checkov left unrendered: interpolation, or a reference to a variable, local,
#: module output, data source or resource attribute (``aws_x.name.attr``).
_EXPRESSION = re.compile(
    r"\$\{|^(var|local|module|data|each|count|path|self)\."
    r"|^[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*(\[[^\]]*\])?\.[a-z_][a-z0-9_]*(\[\d+\])?$"
)
_POOL_ADDRESS = re.compile(rf"^(?:\$\{{)?((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*{TF_POOL}\.[\w-]+)")
_TF_SKIP = frozenset(
    {
        "start_line",
        "end_line",
        "references_",
        "count",
        "for_each",
        "depends_on",
        "lifecycle",
        "provider",
        "dynamic",
        "provisioner",
    }
)


def _tf_scalar(value: Any, refs: frozenset[str]) -> Any:
    if isinstance(value, str):
        if value in refs:
            # checkov's plan parser puts the configuration's reference where the planned value
            # is known only after apply.
            return Unknown("known after apply")
        if _EXPRESSION.search(value):
            return Unknown(f"the Terraform expression {value[:60]!r} is not resolved")
    return value


def _tf_value(attr: str, value: Any, refs: frozenset[str]) -> Any:
    value = first(value)
    if attr in BLOCK_ATTRIBUTES:
        block = value[0] if isinstance(value, list) and value else value
        if not isinstance(block, Mapping):
            return ABSENT if block in (None, []) else Unknown(f"{attr} is not a block")
        items = {
            pascal(k): _tf_scalar(first(v), refs)
            for k, v in block.items()
            if isinstance(k, str) and not _dunder(k) and k not in _TF_SKIP
        }
        return {k: v for k, v in items.items() if v is not None}
    if isinstance(value, list):
        return [_tf_scalar(first(v), refs) for v in value]
    return _tf_scalar(value, refs)


def _tf_pool(value: Any, path: str, address: str) -> Pool:
    if isinstance(value, str):
        found = _POOL_ADDRESS.match(value)
        if found:
            pool = found.group(1)
            return Pool.defined(path, pool, (pool,))
        if not isinstance(_tf_scalar(value, frozenset()), Unknown):
            return Pool.of_id(value)
    return Pool.unknown(path, address, "user_pool_id")


def tf_client(conf: Mapping[str, Any], entity_path: str = "") -> AppClient:
    """An AppClient from checkov's Terraform or terraform_plan ``conf`` alone.

    ``entity_path`` is checkov's ``FILE:TYPE:NAME`` of the resource; HCL ``conf`` has no
    ``__file__``, so the file comes from there.
    """
    address = str(first(conf.get("__address__")) or "")
    path = str(first(conf.get("__file__")) or entity_path.split(":", 1)[0])
    line = first(conf.get("__start_line__", conf.get("__startline__")))
    refs = frozenset(
        r
        for group in conf.get("references_") or ()
        if isinstance(group, list)
        for r in group
        if isinstance(r, str)
    )
    raw: dict[str, Any] = {}
    for attr, value in conf.items():
        if not isinstance(attr, str) or _dunder(attr) or attr in _TF_SKIP or attr in SECRET_KEYS:
            continue
        converted = _tf_value(attr, value, refs)
        if converted is not ABSENT:
            raw[ATTRIBUTE_KEYS.get(attr, attr)] = converted
    location = Location(path, line if isinstance(line, int) else None, address=address or None)
    pool = _tf_pool(first(conf.get("user_pool_id")), path, address)
    return AppClient(normalize(raw), location, pool)
