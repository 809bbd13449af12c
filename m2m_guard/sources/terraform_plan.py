"""``terraform show -json`` output (a saved plan, or a state) -> app clients.

Format: https://developer.hashicorp.com/terraform/internals/json-format. Every managed
``aws_cognito_user_pool_client`` instance in ``planned_values`` (``values`` for a state) becomes
a client, its provider attributes renamed to DescribeUserPoolClient keys.

Unknown values (DESIGN.md, precise semantics 6): Terraform leaves a value that is only known
after apply out of ``values`` (or puts a null in its list slot) and marks it in
``resource_changes[].change.after_unknown``. Such a value is ``Unknown("known after apply")``,
unless the configuration does not set the attribute at all: then the provider's default
applies, and the key stays absent so that the model applies Cognito's defaults.

Pools: a known ``user_pool_id`` is the pool; otherwise the configuration reference is followed
(``aws_cognito_user_pool.x.id``, through module variables and module outputs) to the pool
resource's planned address. A pool resource in the plan gives the pool its settings (feature plan
and pre token generation trigger: terraform_plan_record.pool_settings).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.normalize import normalize
from m2m_guard.sources.terraform_plan_config import (
    ConfigModule,
    Step,
    config_dict,
    config_modules,
    parse_steps,
    references,
    resolve_pool,
)
from m2m_guard.sources.terraform_plan_record import AFTER_APPLY, SECRET_ATTRS, pool_settings, record_of
from m2m_guard.sources.vocabulary import (
    ATTRIBUTE_KEYS,
    TF_CLIENT,
    TF_POOL,
    TF_SERVER,
)


def matches(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "planned_values" in data:
        return True
    if "format_version" not in data:
        return False
    # A plan without planned values still names its changes; a state has values.root_module.
    values = data.get("values")
    return (
        "resource_changes" in data
        or "configuration" in data
        or (isinstance(values, dict) and "root_module" in values)
    )


def load(doc: Document) -> list[AppClient]:
    data = doc.data
    _check_version(data.get("format_version"))
    section = "planned_values" if "planned_values" in data else "values"
    root = _root_module(data, section)
    marks, created = _changes(data.get("resource_changes"))
    plan = _Plan(doc, marks, config_modules(data), created)
    plan.index_text(section)
    instances = list(_instances(root, f"{section}.root_module"))
    plan.index_pools(instances)
    servers = plan.resource_servers(instances)
    return [plan.client(inst, servers) for inst in instances if inst.type == TF_CLIENT]


# --- the planned_values tree -------------------------------------------------------------------


@dataclass(frozen=True)
class _Instance:
    """One managed resource instance in planned_values, with its module instance path."""

    address: str
    type: str
    name: str
    values: Mapping[str, Any]
    steps: tuple[Step, ...]
    line: int | None  # from a YAML-parsed document, where there is no JSON text to search

    @property
    def config_path(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)


def _check_version(version: Any) -> None:
    # "Reject any input which reports an unsupported major version" (the format's own rule).
    if isinstance(version, str):
        major = version.split(".", 1)[0]
        # (a string test: int() refuses "²" and numbers of more than 4300 digits)
        if major.isascii() and major.isdigit() and major.lstrip("0") not in ("", "1"):
            raise SourceError(f"unsupported Terraform JSON format_version {version[:20]!r}")


def _root_module(data: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    values = data.get(section)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise SourceError(f"{section} is not an object")
    root = values.get("root_module", {})
    if not isinstance(root, dict):
        raise SourceError(f"{section}.root_module is not an object")
    return root


def _instances(root: Mapping[str, Any], where: str) -> Iterator[_Instance]:
    """Managed resources of the interesting types, root module first, then child modules."""
    stack: list[tuple[Mapping[str, Any], str]] = [(root, where)]
    while stack:
        module, where = stack.pop()
        yield from _module_resources(module, where)
        children = _list(module.get("child_modules"), f"{where}.child_modules")
        for i in range(len(children) - 1, -1, -1):  # reversed: pop keeps document order
            child = children[i]
            if not isinstance(child, dict):
                raise SourceError(f"{where}.child_modules[{i}] is not an object")
            stack.append((child, f"{where}.child_modules[{i}]"))


def _module_resources(module: Mapping[str, Any], where: str) -> Iterator[_Instance]:
    for i, resource in enumerate(_list(module.get("resources"), f"{where}.resources")):
        if not isinstance(resource, dict):
            raise SourceError(f"{where}.resources[{i}] is not an object")
        rtype = resource.get("type")
        if resource.get("mode", "managed") != "managed" or rtype not in (
            TF_CLIENT,
            TF_POOL,
            TF_SERVER,
        ):
            continue
        address, name = resource.get("address"), resource.get("name")
        if not isinstance(address, str) or not isinstance(name, str):
            raise SourceError(f"{where}.resources[{i}] has no address or name")
        values = resource.get("values")
        if not isinstance(values, dict):
            raise SourceError(f"{address}: values is not an object")
        # The module path comes from the resource's own address, which is always present.
        steps = parse_steps(address)
        yield _Instance(address, rtype, name, values, steps, getattr(resource, "line", None))


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{where} is not a list")
    return value


# --- resource_changes and configuration ---------------------------------------------------------


def _changes(value: Any) -> tuple[dict[str, Mapping[str, Any]], frozenset[str]]:
    """Planned address -> ``after_unknown`` marks, and the addresses the plan creates (``create``
    among the change's ``actions``, a replacement included)."""
    marks: dict[str, Mapping[str, Any]] = {}
    created: set[str] = set()
    for change in _list(value, "resource_changes"):
        if not isinstance(change, dict) or not isinstance(change.get("address"), str):
            continue
        body = change.get("change")
        body = body if isinstance(body, dict) else {}
        unknown = body.get("after_unknown")
        marks[change["address"]] = unknown if isinstance(unknown, dict) else {}
        actions = body.get("actions")
        if isinstance(actions, list) and "create" in actions:
            created.add(change["address"])
    return marks, frozenset(created)


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlannedPool:
    address: str
    line: int | None
    name: str | None
    id: str | None
    settings: Mapping[str, Any] | None = None


class _Plan:
    def __init__(
        self,
        doc: Document,
        marks: dict[str, Mapping[str, Any]],
        config: dict[tuple[str, ...], ConfigModule] | None,
        created: frozenset[str] = frozenset(),
    ) -> None:
        self.doc = doc
        self.marks = marks
        self.config = config
        self.created = created
        self.offsets: dict[str, int] = {}
        self.sorted_offsets: list[int] = []
        self.pools_by_address: dict[str, _PlannedPool | None] = {}
        self.pools_by_id: dict[str, _PlannedPool] = {}

    # Text positions. One pass over the text records where each address first appears after
    # the section start; lookups are then constant time, so 5,000 clients stay linear.
    def index_text(self, section: str) -> None:
        keys = self.doc.keys
        start = keys.find(section) if self.doc.is_json else None
        if start is None:
            return
        for address, offset, _ in keys.pairs("address", start):
            if address is not None:
                self.offsets.setdefault(address, offset)
                self.sorted_offsets.append(offset)

    def line_of(self, inst: _Instance) -> int | None:
        offset = self.offsets.get(inst.address)
        return self.doc.line_at(offset) if offset is not None else inst.line

    def field_lines(self, inst: _Instance) -> dict[str, int]:
        """Line of each attribute key inside the instance's ``values`` object."""
        start = self.offsets.get(inst.address)
        if start is None:
            return {}
        keys = self.doc.keys
        nxt = bisect.bisect_right(self.sorted_offsets, start)
        end = self.sorted_offsets[nxt] if nxt < len(self.sorted_offsets) else len(self.doc.text)
        values = keys.find("values", start, end)
        if values is None:
            return {}
        lines: dict[str, int] = {}
        for attr, offset in keys.keys(values + len('"values"'), end):
            if attr in inst.values and attr not in SECRET_ATTRS:
                lines.setdefault(ATTRIBUTE_KEYS.get(attr, attr), self.doc.line_at(offset))
        return lines

    # Pools and resource servers.
    def index_pools(self, instances: list[_Instance]) -> None:
        for inst in instances:
            if inst.type != TF_POOL:
                continue
            name, pool_id = inst.values.get("name"), inst.values.get("id")
            settings = pool_settings(
                inst.values,
                self.marks.get(inst.address, {}),
                self.expressions(inst),
                inst.address in self.created,
            )
            pool = _PlannedPool(
                inst.address,
                self.line_of(inst),
                name if isinstance(name, str) else None,
                pool_id if isinstance(pool_id, str) and pool_id else None,
                settings,
            )
            self.pools_by_address[inst.address] = pool
            if pool.id:
                self.pools_by_id.setdefault(pool.id, pool)

    def resource_servers(self, instances: list[_Instance]) -> dict[str, tuple[str, ...]]:
        """Pool key -> identifiers of the resource servers tied to that pool (known ones only)."""
        found: dict[str, dict[str, None]] = {}
        for inst in instances:
            identifier = inst.values.get("identifier")
            if inst.type == TF_SERVER and isinstance(identifier, str) and identifier:
                found.setdefault(self.pool_of(inst).key, {})[identifier] = None
        return {key: tuple(ids) for key, ids in found.items()}

    def expressions(self, inst: _Instance) -> Mapping[str, Any] | None:
        """The instance's configuration expressions; None when the configuration is missing."""
        module = self.config.get(inst.config_path) if self.config is not None else None
        if module is None:
            return None
        return module.resources.get(f"{inst.type}.{inst.name}")

    def pool_of(self, inst: _Instance, servers: Mapping[str, tuple[str, ...]] | None = None) -> Pool:
        """The pool a client or resource server names, with the ``servers`` known to be in it."""
        pool_id = inst.values.get("user_pool_id")
        if isinstance(pool_id, str) and pool_id:
            planned = self.pools_by_id.get(pool_id)
            return self._with(Pool.of_id(pool_id, _pool_names(planned) if planned else ()), planned, servers)
        refs = references(config_dict(self.expressions(inst)).get("user_pool_id"))
        address = resolve_pool(self.config, refs, inst.steps) if self.config is not None else None
        if address is not None:
            planned = self._planned_pool(address)
            names = (address,) + ((planned.name,) if planned and planned.name else ())
            return self._with(Pool.defined(self.doc.path, address, names), planned, servers)
        why = refs[0] if refs else _pool_id_problem(inst, self.marks.get(inst.address, {}))
        return Pool.unknown(self.doc.path, inst.address, why)

    def _with(
        self, pool: Pool, planned: _PlannedPool | None, servers: Mapping[str, tuple[str, ...]] | None
    ) -> Pool:
        """``pool`` with its servers, and where the plan defines it: a pool the plan creates has
        no servers but those of the plan."""
        ids = (servers or {}).get(pool.key)
        if planned is None:
            return dataclasses.replace(pool, resource_servers=ids)
        location = Location(self.doc.path, planned.line, address=planned.address)
        return dataclasses.replace(
            pool, location=location, resource_servers=ids or (), settings=planned.settings
        )

    def _planned_pool(self, address: str) -> _PlannedPool | None:
        if address not in self.pools_by_address:
            # A reference without an index (``main[each.key].id`` keeps none) to a pool with
            # count/for_each: the resource is defined here, though which instance is not known.
            prefix = address + "["
            found = [p for a, p in self.pools_by_address.items() if p and a.startswith(prefix)]
            self.pools_by_address[address] = (
                _PlannedPool(address, found[0].line, None, None, _shared_settings(address, found))
                if found
                else None
            )
        return self.pools_by_address[address]

    # Clients.
    def client(self, inst: _Instance, servers: dict[str, tuple[str, ...]]) -> AppClient:
        pool = self.pool_of(inst, servers)
        location = Location(self.doc.path, self.line_of(inst), address=inst.address)
        record = normalize(record_of(inst.values, self.marks.get(inst.address, {}), self.expressions(inst)))
        lines = {k: v for k, v in self.field_lines(inst).items() if k in record}
        return AppClient(record=record, location=location, pool=pool, field_lines=lines)


_MISSING: Any = object()


def _shared_settings(address: str, instances: list[_PlannedPool]) -> dict[str, Any]:
    """The settings of a pool with count/for_each whose instance is not named: each setting the
    instances agree on, and unknown where they differ."""
    keys = dict.fromkeys(k for p in instances for k in (p.settings or {}))
    shared: dict[str, Any] = {}
    for key in keys:
        values = [(p.settings or {}).get(key, _MISSING) for p in instances]
        if any(v != values[0] for v in values[1:]):
            shared[key] = Unknown(f"{key} differs between the instances of {address}")
        elif values[0] is not _MISSING:
            shared[key] = values[0]
    return shared


def _pool_names(pool: _PlannedPool) -> tuple[str, ...]:
    return (pool.address,) + ((pool.name,) if pool.name else ())


def _pool_id_problem(inst: _Instance, marks: Mapping[str, Any]) -> str:
    if marks.get("user_pool_id") is True:
        return f"user_pool_id {AFTER_APPLY}"
    if "user_pool_id" in inst.values and inst.values["user_pool_id"] is not None:
        return "user_pool_id is not a string"
    return "user_pool_id not set"
