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
resource's planned address.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.model import ABSENT, AppClient, Location, Pool, Unknown, describe_value
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.normalize import normalize
from m2m_guard.sources.vocabulary import (
    ATTRIBUTE_KEYS,
    BLOCK_ATTRIBUTES,
    TF_CLIENT,
    TF_POOL,
    TF_SERVER,
    pascal,
)

AFTER_APPLY = "known after apply"
#: Provider attributes that hold the secret itself; never read into a record.
_SECRET_ATTRS = frozenset({"client_secret"})

_ADDRESS_KEY = re.compile(r'"address"\s*:\s*("(?:[^"\\]|\\.)*")')
_VALUES_KEY = re.compile(r'"values"\s*:')
_ANY_KEY = re.compile(r'"([A-Za-z0-9_]+)"\s*:')
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
    plan = _Plan(doc, _changes(data.get("resource_changes")), _config_modules(data))
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
        steps = _parse_steps(address)
        yield _Instance(address, rtype, name, values, steps, getattr(resource, "line", None))


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{where} is not a list")
    return value


def _parse_steps(address: str) -> tuple[Step, ...]:
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


def _prefix(steps: tuple[Step, ...]) -> str:
    return "".join(f"module.{name}{key}." for name, key in steps)


# --- resource_changes and configuration ---------------------------------------------------------


def _changes(value: Any) -> dict[str, Mapping[str, Any]]:
    """Planned address -> ``after_unknown`` marks."""
    marks: dict[str, Mapping[str, Any]] = {}
    for change in _list(value, "resource_changes"):
        if not isinstance(change, dict) or not isinstance(change.get("address"), str):
            continue
        body = change.get("change")
        unknown = body.get("after_unknown") if isinstance(body, dict) else None
        marks[change["address"]] = unknown if isinstance(unknown, dict) else {}
    return marks


@dataclass
class _ConfigModule:
    """One module of ``configuration``: resource expressions, module calls and outputs."""

    resources: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    call_expressions: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def _dict(value: Any) -> Mapping[str, Any]:
    # The configuration only refines unknowns; a malformed part of it counts as missing, which
    # keeps the affected values unknown rather than failing the whole plan.
    return value if isinstance(value, dict) else {}


def _config_modules(data: Mapping[str, Any]) -> dict[tuple[str, ...], _ConfigModule] | None:
    """Module call path -> module; None when the document has no configuration."""
    config = data.get("configuration")
    if not isinstance(config, dict):
        return None
    modules: dict[tuple[str, ...], _ConfigModule] = {}
    stack: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [((), _dict(config.get("root_module")))]
    while stack:
        path, raw = stack.pop()
        module = modules[path] = _ConfigModule()
        resources = raw.get("resources")
        for resource in resources if isinstance(resources, list) else ():
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                module.resources[resource["address"]] = _dict(resource.get("expressions"))
        for name, output in _dict(raw.get("outputs")).items():
            module.outputs[name] = _dict(_dict(output).get("expression"))
        for name, call in _dict(raw.get("module_calls")).items():
            module.call_expressions[name] = _dict(_dict(call).get("expressions"))
            stack.append(((*path, name), _dict(_dict(call).get("module"))))
    return modules


def _references(expression: Any) -> list[str]:
    refs = _dict(expression).get("references")
    return [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlannedPool:
    address: str
    line: int | None
    name: str | None
    id: str | None


@dataclass(frozen=True)
class _PoolRef:
    """How one resource is tied to its pool: grouping key plus what identifies the pool."""

    key: str
    label: str
    names: tuple[str, ...]
    planned: _PlannedPool | None


class _Plan:
    def __init__(
        self,
        doc: Document,
        marks: dict[str, Mapping[str, Any]],
        config: dict[tuple[str, ...], _ConfigModule] | None,
    ) -> None:
        self.doc = doc
        self.marks = marks
        self.config = config
        self.offsets: dict[str, int] = {}
        self.sorted_offsets: list[int] = []
        self.pools_by_address: dict[str, _PlannedPool | None] = {}
        self.pools_by_id: dict[str, _PlannedPool] = {}

    # Text positions. One pass over the text records where each address first appears after
    # the section start; lookups are then constant time, so 5,000 clients stay linear.
    def index_text(self, section: str) -> None:
        start = self.doc.json_key_offset(section) if self.doc.is_json else None
        if start is None:
            return
        for match in _ADDRESS_KEY.finditer(self.doc.text, start):
            try:
                address = json.loads(match.group(1))
            except ValueError:
                continue
            if isinstance(address, str):
                self.offsets.setdefault(address, match.start())
            self.sorted_offsets.append(match.start())

    def line_of(self, inst: _Instance) -> int | None:
        offset = self.offsets.get(inst.address)
        return self.doc.line_at(offset) if offset is not None else inst.line

    def field_lines(self, inst: _Instance) -> dict[str, int]:
        """Line of each attribute key inside the instance's ``values`` object."""
        start = self.offsets.get(inst.address)
        if start is None:
            return {}
        nxt = bisect.bisect_right(self.sorted_offsets, start)
        end = self.sorted_offsets[nxt] if nxt < len(self.sorted_offsets) else len(self.doc.text)
        values = _VALUES_KEY.search(self.doc.text, start, end)
        if values is None:
            return {}
        lines: dict[str, int] = {}
        for match in _ANY_KEY.finditer(self.doc.text, values.end(), end):
            attr = match.group(1)
            if attr in inst.values and attr not in _SECRET_ATTRS:
                lines.setdefault(ATTRIBUTE_KEYS.get(attr, attr), self.doc.line_at(match.start()))
        return lines

    # Pools and resource servers.
    def index_pools(self, instances: list[_Instance]) -> None:
        for inst in instances:
            if inst.type != TF_POOL:
                continue
            name, pool_id = inst.values.get("name"), inst.values.get("id")
            pool = _PlannedPool(
                inst.address,
                self.line_of(inst),
                name if isinstance(name, str) else None,
                pool_id if isinstance(pool_id, str) and pool_id else None,
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
                found.setdefault(self.pool_ref(inst).key, {})[identifier] = None
        return {key: tuple(ids) for key, ids in found.items()}

    def expressions(self, inst: _Instance) -> Mapping[str, Any] | None:
        """The instance's configuration expressions; None when the configuration is missing."""
        module = self.config.get(inst.config_path) if self.config is not None else None
        if module is None:
            return None
        return module.resources.get(f"{inst.type}.{inst.name}")

    def pool_ref(self, inst: _Instance) -> _PoolRef:
        pool_id = inst.values.get("user_pool_id")
        if isinstance(pool_id, str) and pool_id:
            planned = self.pools_by_id.get(pool_id)
            names = (pool_id,) + (_pool_names(planned) if planned else ())
            return _PoolRef(pool_id, pool_id, names, planned)
        refs = _references(_dict(self.expressions(inst)).get("user_pool_id"))
        address = self._resolve(refs, inst.steps, 0)
        if address is not None:
            planned = self._planned_pool(address)
            names = (address,) + ((planned.name,) if planned and planned.name else ())
            return _PoolRef(f"{self.doc.path}#{address}", address, names, planned)
        why = refs[0] if refs else _pool_id_problem(inst, self.marks.get(inst.address, {}))
        return _PoolRef(f"{self.doc.path}#{inst.address}:pool", f"unknown user pool ({why})", (), None)

    def _resolve(self, refs: list[str], steps: tuple[Step, ...], hops: int) -> str | None:
        """The planned address of the pool resource a list of references leads to."""
        if hops > _MAX_HOPS or self.config is None:
            return None
        for ref in refs:
            pool = _POOL_REF.match(ref)
            if pool:
                return f"{_prefix(steps)}{TF_POOL}.{pool.group(1)}{pool.group(2) or ''}"
            var = _VAR_REF.match(ref)
            if var and steps:  # a module input: follow the caller's argument expression
                parent = self.config.get(tuple(n for n, _ in steps[:-1]))
                args = parent.call_expressions.get(steps[-1][0], {}) if parent else {}
                found = self._resolve(_references(args.get(var.group(1))), steps[:-1], hops + 1)
                if found:
                    return found
            output = _OUTPUT_REF.match(ref)
            if output:  # a child module's output: follow the output's expression
                child_steps = (*steps, (output.group(1), output.group(2) or ""))
                child = self.config.get(tuple(n for n, _ in child_steps))
                expr = child.outputs.get(output.group(3)) if child else None
                found = self._resolve(_references(expr), child_steps, hops + 1)
                if found:
                    return found
        return None

    def _planned_pool(self, address: str) -> _PlannedPool | None:
        if address not in self.pools_by_address:
            # A reference without an index (``main[each.key].id`` keeps none) to a pool with
            # count/for_each: the resource is defined here, though which instance is not known.
            prefix = address + "["
            first = next((p for a, p in self.pools_by_address.items() if p and a.startswith(prefix)), None)
            self.pools_by_address[address] = _PlannedPool(address, first.line, None, None) if first else None
        return self.pools_by_address[address]

    # Clients.
    def client(self, inst: _Instance, servers: dict[str, tuple[str, ...]]) -> AppClient:
        ref = self.pool_ref(inst)
        ids = servers.get(ref.key)
        location = Location(self.doc.path, self.line_of(inst), address=inst.address)
        pool_location = (
            Location(self.doc.path, ref.planned.line, address=ref.planned.address) if ref.planned else None
        )
        pool = Pool(
            key=ref.key,
            label=ref.label,
            names=ref.names,
            location=pool_location,
            resource_servers=(ids or ()) if ref.planned else ids,
        )
        record = normalize(_raw_record(inst.values, self.marks.get(inst.address, {}), self.expressions(inst)))
        lines = {k: v for k, v in self.field_lines(inst).items() if k in record}
        return AppClient(record=record, location=location, pool=pool, field_lines=lines)


def _pool_names(pool: _PlannedPool) -> tuple[str, ...]:
    return (pool.address,) + ((pool.name,) if pool.name else ())


def _pool_id_problem(inst: _Instance, marks: Mapping[str, Any]) -> str:
    if marks.get("user_pool_id") is True:
        return f"user_pool_id {AFTER_APPLY}"
    if "user_pool_id" in inst.values and inst.values["user_pool_id"] is not None:
        return "user_pool_id is not a string"
    return "user_pool_id not set"


# --- values -> describe-shaped record -------------------------------------------------------------


def _raw_record(
    values: Mapping[str, Any], marks: Mapping[str, Any], expressions: Mapping[str, Any] | None
) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for attr in (*values, *(k for k in marks if k not in values)):
        if not isinstance(attr, str) or attr in _SECRET_ATTRS:
            continue
        config = expressions.get(attr) if expressions is not None else None
        is_set = None if expressions is None else attr in expressions
        value = _attribute(attr, values.get(attr), marks.get(attr), is_set, config)
        if value is not ABSENT:
            raw[ATTRIBUTE_KEYS.get(attr, attr)] = value
    if raw.get("GenerateSecret") is None and _has_secret_value(values):
        # An imported client can have a secret while generate_secret is null in state.
        raw["GenerateSecret"] = True
    return raw


def _has_secret_value(values: Mapping[str, Any]) -> bool:
    secret = values.get("client_secret")
    return isinstance(secret, str) and bool(secret)


def _attribute(attr: str, value: Any, mark: Any, is_set: bool | None, config: Any) -> Any:
    """One attribute's record value; ABSENT when the provider default applies.

    ``is_set`` is whether the configuration sets the attribute (None: no configuration to ask,
    so an unknown value stays unknown rather than being taken for a default).
    """
    if mark is True:
        return Unknown(AFTER_APPLY) if is_set is not False else ABSENT
    if attr in BLOCK_ATTRIBUTES:
        block_config = None if is_set is None else _first_dict(config)
        return _block(attr, value, mark, block_config)
    if isinstance(value, list) and isinstance(mark, list):
        return _merge_list(value, mark)
    return value


def _merge_list(value: list[Any], mark: list[Any]) -> list[Any]:
    unknown = sum(1 for m in mark if m is True)
    if not unknown:
        return value
    if len(value) == len(mark):  # unknown elements are nulls in their slots
        return [Unknown(AFTER_APPLY) if m is True else v for v, m in zip(value, mark, strict=True)]
    # Older Terraform drops unknown *set* elements from values instead of leaving nulls.
    return [*value, *(Unknown(AFTER_APPLY) for _ in range(unknown))]


def _block(attr: str, value: Any, mark: Any, config: Mapping[str, Any] | None) -> Any:
    """A ``max_items = 1`` block list -> one object with API-style keys.

    ``config`` is the block's configuration expressions (None: no configuration to ask).
    """
    if value is None or value == []:
        return ABSENT
    item = value[0] if isinstance(value, list) else value
    if not isinstance(item, dict):
        return Unknown(f"{ATTRIBUTE_KEYS.get(attr, attr)} is {_shape(value)}, not a block")
    item_mark = _first_dict(mark)
    result: dict[str, Any] = {}
    for key in (*item, *(k for k in item_mark if k not in item)):
        if not isinstance(key, str):
            continue
        if item_mark.get(key) is True:
            if config is not None and key not in config:
                continue  # not set in the block: the provider default applies
            result[pascal(key)] = Unknown(AFTER_APPLY)
        elif item.get(key) is not None:
            result[pascal(key)] = item[key]
    return result


def _shape(value: Any) -> str:
    return "a list without an object" if isinstance(value, list) else describe_value(value, "kind")


def _first_dict(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}
