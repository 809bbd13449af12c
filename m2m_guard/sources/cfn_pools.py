"""Which user pool each client belongs to, which resource servers that pool is known to have,
and the settings of the pools the template defines.

A ``UserPoolId`` is read for identity, not value (DESIGN.md "Precise semantics" 5 and 7): two
clients with ``!Ref UserPool`` share one pool, though its id is known only after deploy.

A pool the template defines (``AWS::Cognito::UserPool``) gets its ``Pool.settings`` from its
``UserPoolTier`` and ``LambdaConfig`` properties (``PreTokenGenerationConfig`` with ``LambdaArn``
and ``LambdaVersion``, and the legacy ``PreTokenGeneration`` ARN), resolved like client
properties: a ``!GetAtt Fn.Arn`` is unknown, with its reason, and says only that a trigger
exists. CloudFormation names them as DescribeUserPool does
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cognito-userpool.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cognito-userpool-lambdaconfig.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cognito-userpool-pretokengenerationconfig.html:
``LambdaVersion`` V1_0, V2_0 or V3_0). A property the template leaves out stays absent: "If you
don't specify a value for a parameter, Amazon Cognito sets it to a default value" (the resource
page), so an unset ``UserPoolTier`` is the API default, Essentials. A pool known only by a
parameter, an export or a literal id has no settings here (``None``): they are elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from m2m_guard.model import Location, Pool, Unknown, describe_value
from m2m_guard.sources.cfn_lines import Lines
from m2m_guard.sources.cfn_template import POOL_TYPE, SERVER_TYPE, Resource, Template, guarded
from m2m_guard.sources.cfn_values import NO_VALUE, as_text, get_att_target, intrinsic
from m2m_guard.sources.settings import SETTINGS_KEYS, pool_settings


@dataclass(frozen=True, slots=True)
class PoolRef:
    """What a ``UserPoolId`` expression points at; equal refs mean the same pool."""

    kind: Literal["resource", "param", "literal", "import", "unknown"]
    name: str  # logical id, parameter name, pool id, export name, or the reason


class Pools:
    """The pools of one template's clients, each built once."""

    def __init__(self, template: Template, lines: Lines) -> None:
        self.template = template
        self.lines = lines
        self._servers_by_pool: dict[PoolRef, tuple[str, ...]] | None = None
        self._pools: dict[PoolRef, Pool] = {}

    def pool_ref(self, expr: Any) -> PoolRef:
        """What a UserPoolId expression identifies."""
        t = self.template
        t.tick()
        call = intrinsic(expr)
        if call is not None:
            function, arg = call
            target = arg if function == "Ref" else get_att_target(arg)
            if function in ("Ref", "Fn::GetAtt") and isinstance(target, str):
                resource = t.resources.get(target)
                if resource is not None and resource.type == POOL_TYPE:
                    return PoolRef("resource", target)
                if function == "Ref" and target in t.parameters:
                    value = t.parameter(target)
                    if isinstance(value, str):
                        return PoolRef("literal", value)
                    return PoolRef("param", target)
            if function == "Fn::ImportValue":
                name = as_text(t.resolve(arg), "the Fn::ImportValue name")
                if isinstance(name, str):
                    return PoolRef("import", name)
                return PoolRef("unknown", name.reason)
            if function == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
                verdict = t.condition(arg[0])
                if verdict is not None:
                    return self.pool_ref(arg[1] if verdict else arg[2])
                branches = (self.pool_ref(arg[1]), self.pool_ref(arg[2]))
                if branches[0] == branches[1]:
                    return branches[0]
                return PoolRef("unknown", f"condition {arg[0]} cannot be decided")
        value = as_text(t.resolve(expr), "UserPoolId")
        if isinstance(value, str):
            return PoolRef("literal", value)
        return PoolRef("unknown", value.reason)

    def pool_ref_of(self, props: Any) -> PoolRef:
        if not isinstance(props, Mapping) or "UserPoolId" not in props:
            return PoolRef("unknown", "UserPoolId is not set")
        ref = guarded(self.pool_ref, props["UserPoolId"])
        return ref if isinstance(ref, PoolRef) else PoolRef("unknown", ref.reason)

    def pool(self, ref: PoolRef, client_id: str) -> Pool:
        if ref.kind == "unknown":
            return Pool.unknown(self.template.path, client_id, ref.name)
        if ref not in self._pools:
            self._pools[ref] = self._make_pool(ref)
        return self._pools[ref]

    def _make_pool(self, ref: PoolRef) -> Pool:
        t, path = self.template, self.template.path
        servers = self._servers().get(ref)
        if ref.kind == "resource":
            resource = t.resources[ref.name]
            names: tuple[str, ...] = (ref.name,)
            props = resource.body.get("Properties")
            # the name, or why it is not known (m2m-guard drift matches pools by name)
            declared: str | Unknown = Unknown("UserPoolName is not set (CloudFormation names the pool)")
            if isinstance(props, Mapping) and "UserPoolName" in props:
                pool_name = guarded(t.resolve, props["UserPoolName"])
                declared = as_text(pool_name, "UserPoolName")
                if isinstance(pool_name, str) and pool_name not in names:
                    names += (pool_name,)
            location = Location(path, self.lines.resource(resource), logical_id=ref.name)
            # The template defines this pool, so its servers here are all it is known to have.
            return Pool.defined(
                path,
                ref.name,
                names,
                location=location,
                resource_servers=servers or (),
                settings=self._settings(resource, location.line),
                declared_name=declared,
            )
        if ref.kind == "param":
            label = f"parameter {ref.name}"
            return Pool.defined(path, f"param:{ref.name}", (ref.name,), label=label, resource_servers=servers)
        if ref.kind == "import":
            return Pool.imported(ref.name, servers)
        return Pool.of_id(ref.name, resource_servers=servers)

    def _settings(self, resource: Resource, line: int | None) -> dict[str, Any]:
        """``UserPoolTier`` and ``LambdaConfig`` of a pool resource, resolved (see the module
        docstring); every one unknown when its Properties cannot be read."""
        t = self.template
        client_line, t.line = t.line, line  # a budget error names the pool's line
        try:
            props = guarded(t.properties, resource.body.get("Properties"))
            if not isinstance(props, Mapping):
                why = props if isinstance(props, Unknown) else None
                why = why or Unknown(f"Properties is {describe_value(props, 'cfn')}, not a mapping")
                return {key: why for key in SETTINGS_KEYS}
            raw = {key: guarded(t.resolve, props[key]) for key in SETTINGS_KEYS if key in props}
            return pool_settings({k: v for k, v in raw.items() if v is not NO_VALUE})
        finally:
            t.line = client_line

    def _servers(self) -> dict[PoolRef, tuple[str, ...]]:
        """Resource server identifiers by pool, in template order; computed on first use."""
        if self._servers_by_pool is None:
            t = self.template
            found: dict[PoolRef, dict[str, None]] = {}  # a dict keeps template order
            client_line = t.line
            for resource in t.resources.values():
                if resource.type != SERVER_TYPE:
                    continue
                t.line = self.lines.resource(resource)
                if t.not_created(resource):
                    continue
                ref = self.pool_ref_of(resource.body.get("Properties"))
                identifier = guarded(t.server_identifier, resource.logical_id)
                if ref.kind != "unknown" and isinstance(identifier, str):
                    found.setdefault(ref, {})[identifier] = None
            t.line = client_line
            self._servers_by_pool = {ref: tuple(ids) for ref, ids in found.items()}
        return self._servers_by_pool
