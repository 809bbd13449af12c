"""Which user pool each client belongs to, and which resource servers that pool is known to have.

A ``UserPoolId`` is read for identity, not value (DESIGN.md "Precise semantics" 5 and 7): two
clients with ``!Ref UserPool`` share one pool, though its id is known only after deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from m2m_guard.model import Location, Pool
from m2m_guard.sources.cfn_lines import Lines
from m2m_guard.sources.cfn_template import POOL_TYPE, SERVER_TYPE, Template, guarded
from m2m_guard.sources.cfn_values import as_text, get_att_target, intrinsic


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
            if isinstance(props, Mapping) and "UserPoolName" in props:
                pool_name = guarded(t.resolve, props["UserPoolName"])
                if isinstance(pool_name, str) and pool_name not in names:
                    names += (pool_name,)
            location = Location(path, self.lines.resource(resource), logical_id=ref.name)
            # The template defines this pool, so its servers here are all it is known to have.
            return Pool.defined(path, ref.name, names, location=location, resource_servers=servers or ())
        if ref.kind == "param":
            label = f"parameter {ref.name}"
            return Pool.defined(path, f"param:{ref.name}", (ref.name,), label=label, resource_servers=servers)
        if ref.kind == "import":
            return Pool.imported(ref.name, servers)
        return Pool.of_id(ref.name, resource_servers=servers)

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
