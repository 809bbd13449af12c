"""CloudFormation templates (also SAM, CDK ``cdk.out`` and Serverless ``resources:``) -> clients.

Every ``AWS::Cognito::UserPoolClient`` becomes an :class:`AppClient`. CloudFormation property
names already are DescribeUserPoolClient keys, so the work is resolving intrinsics, where the
template decides them, and everything else is :class:`Unknown` with a reason, never a guess.
Only the Cognito resources are evaluated (plus what they reference), within a step budget.

A client whose ``Condition`` cannot be decided may not exist (``AppClient.may_not_exist``);
where it exists its condition holds, so its own ``Fn::If`` on it take the true branch. When
its flows depend on undecidable conditions, every combination of them is tried (within
bounds): if all agree, whether it is M2M is certain (``AppClient.m2m_decided``).

This module finds the templates and builds the clients; the rest is split by what it holds:

* cfn_template.py: the sections, Ref, parameters, conditions and the step budget;
* cfn_functions.py: Fn::Sub, Join, Select, Split, If, FindInMap, ImportValue, GetAtt;
* cfn_values.py: NO_VALUE, text rendering, deploy-time strings (Serverless, ``{{resolve:}}``);
* cfn_pools.py: which pool a ``UserPoolId`` names, and that pool's resource servers;
* cfn_lines.py: line numbers, from YAML marks or by searching JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m2m_guard.model import AppClient, Location, Unknown, describe_value, m2m_verdict
from m2m_guard.sources.cfn_lines import Lines
from m2m_guard.sources.cfn_pools import PoolRef, Pools
from m2m_guard.sources.cfn_template import (
    CLIENT_TYPE,
    POOL_TYPE,
    SERVER_TYPE,
    STEP_BUDGET,
    Resource,
    Template,
    guarded,
)
from m2m_guard.sources.cfn_values import NO_VALUE
from m2m_guard.sources.document import Document
from m2m_guard.sources.normalize import SECRET_KEYS, normalize

__all__ = ["CLIENT_TYPE", "NO_VALUE", "POOL_TYPE", "SERVER_TYPE", "STEP_BUDGET", "load", "matches"]

# The record keys rules read; when Properties itself is unusable they all become unknown, so a
# broken client is reported as undetermined instead of silently looking like a non-M2M client.
_RULE_KEYS = (
    "AllowedOAuthFlows",
    "ExplicitAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "GenerateSecret",
    "AccessTokenValidity",
    "UserPoolId",
)


def matches(data: Any) -> bool:
    """A CloudFormation/SAM/CDK template, or a Serverless file with a ``resources`` section."""
    if not isinstance(data, dict):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    return bool(_fragments(data))


def _is_resources(value: Any) -> bool:
    # One typed entry is enough: a half-edited template (``Foo:`` with no body yet) must still
    # be scanned, or its clients would disappear silently.
    return isinstance(value, dict) and any(
        isinstance(r, dict) and isinstance(r.get("Type"), str) for r in value.values()
    )


def _fragments(data: dict[Any, Any]) -> list[Mapping[Any, Any]]:
    """The template-shaped mappings of a document: itself, or Serverless ``resources`` parts."""
    if "AWSTemplateFormatVersion" in data or _is_resources(data.get("Resources")):
        return [data]
    section = data.get("resources")
    # Serverless accepts a list of fragments too (https://www.serverless.com/framework/docs/
    # providers/aws/guide/resources); entries that are still ${file(...)} strings are skipped.
    parts = section if isinstance(section, list) else [section]
    return [p for p in parts if isinstance(p, dict) and _is_resources(p.get("Resources"))]


def load(doc: Document) -> list[AppClient]:
    """The app clients a template creates under its parameter defaults.

    Raises SourceError only when the document as a whole cannot be evaluated (evaluation work
    beyond the budget); a single malformed resource yields unknown values instead.
    """
    if not isinstance(doc.data, dict):
        return []
    template = Template(doc, _fragments(doc.data))
    resources = template.resources.values()
    candidates = [r for r in resources if r.type == CLIENT_TYPE]
    if not candidates:
        return []
    lines = Lines(doc, [r for r in resources if r.type in (CLIENT_TYPE, POOL_TYPE)])
    pools = Pools(template, lines)
    result = []
    for resource in candidates:
        template.line = lines.resource(resource)
        if not template.not_created(resource):
            result.append(_client(template, pools, lines, resource))
    return result


def _client(template: Template, pools: Pools, lines: Lines, resource: Resource) -> AppClient:
    # A client whose Condition cannot be decided may not exist; where it does, its Condition
    # holds, so its own Fn::If on that condition take their true branch.
    condition = resource.body.get("Condition")
    may_not_exist = None
    if isinstance(condition, str) and template.condition(condition) is None:
        may_not_exist = Unknown(f"condition {condition} cannot be decided from parameter defaults")
        template.assumed = {condition: True}
    try:
        props = guarded(template.properties, resource.body.get("Properties"))
        raw: dict[Any, Any] = {}
        if isinstance(props, Mapping):
            for key, value in props.items():
                if key not in SECRET_KEYS:
                    resolved = guarded(template.resolve, value)
                    if resolved is not NO_VALUE:
                        raw[key] = resolved
        record = normalize(raw)
        decided = None
        if isinstance(props, Mapping) and isinstance(_m2m(record), Unknown):
            decided = _m2m_in_every_branch(template, props)
    finally:
        template.assumed = {}
    if isinstance(props, Mapping):
        ref = pools.pool_ref_of(props)
    else:
        # Every value the rules read is unknown rather than absent: absent would make the
        # client look like a harmless non-M2M client.
        if isinstance(props, Unknown):
            reason = props.reason
        else:
            reason = f"Properties is {describe_value(props, 'cfn')}, not a mapping"
        record = normalize({key: Unknown(reason) for key in _RULE_KEYS})
        ref = PoolRef("unknown", reason)
        props = {}
    names = [k for k in props if isinstance(k, str) and k not in SECRET_KEYS]
    return AppClient(
        record=record,
        location=Location(template.path, template.line, logical_id=resource.logical_id),
        pool=pools.pool(ref, resource.logical_id),
        field_lines=lines.properties(resource, props, names),
        may_not_exist=may_not_exist,
        m2m_decided=decided,
    )


def _m2m(record: Mapping[str, Any]) -> bool | Unknown:
    return m2m_verdict(record.get("AllowedOAuthFlows", ()), record.get("ExplicitAuthFlows", ()))


def _m2m_in_every_branch(template: Template, props: Mapping[Any, Any]) -> bool | None:
    """Whether the client is M2M when its flows depend on undecidable conditions, if every
    combination of them gives the same answer (``[code, !If [C, implicit, !Ref AWS::NoValue]]``
    is never M2M); None when they differ, or a flow is unknown for another reason."""
    keys = [key for key in ("AllowedOAuthFlows", "ExplicitAuthFlows") if key in props]

    def verdict() -> bool | Unknown:
        raw = {key: guarded(template.resolve, props[key]) for key in keys}
        return _m2m(normalize({k: v for k, v in raw.items() if v is not NO_VALUE}))

    verdicts = template.every_branch(verdict)
    if verdicts and all(v is True for v in verdicts):
        return True
    if verdicts and all(v is False for v in verdicts):
        return False
    return None
