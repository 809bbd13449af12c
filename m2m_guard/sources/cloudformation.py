"""CloudFormation templates (also SAM, CDK ``cdk.out`` and Serverless ``resources:``) -> clients.

Every ``AWS::Cognito::UserPoolClient`` becomes an :class:`AppClient`. CloudFormation property
names already are DescribeUserPoolClient keys, so the work is resolving intrinsics the way
DESIGN.md ("Precise semantics" 5) says: parameters by their ``Default``, conditions from those
defaults, resource servers by their ``Identifier``, ``Fn::Sub``/``Join``/``Select``/``If``/
``Split``/``FindInMap`` when their inputs are known. Everything else is :class:`Unknown` with
a reason, never a guess.

Only the Cognito resources are evaluated (plus what they reference), and every evaluation step
is counted: YAML aliases are shared objects, so a few hundred bytes can describe a structure
that naive recursion would walk for hours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.normalize import SECRET_KEYS, normalize

CLIENT_TYPE = "AWS::Cognito::UserPoolClient"
POOL_TYPE = "AWS::Cognito::UserPool"
SERVER_TYPE = "AWS::Cognito::UserPoolResourceServer"

#: Evaluation steps allowed per document, on top of one per character of its text: honest
#: templates need far fewer steps than they have characters, so only shared (aliased) data
#: can exceed the budget, and a large honest template is never refused for its size.
STEP_BUDGET = 200_000

# Serverless Framework variables (``${self:custom.stage}``, ``${opt:stage}``, ``${ssm:/a/b}``,
# ``${cf(us-east-1):stack.Output}``, ``${file(./x.yml):key}``) are replaced by the framework
# before CloudFormation sees the template; the scanner cannot know their values.
_SERVERLESS_VAR = re.compile(r"\$\{(?:[a-z]+(?:\([^)]*\))?:|file\()[^}]{0,80}\}?")
# CloudFormation dynamic references ({{resolve:ssm:/name}}, {{resolve:secretsmanager:...}}) are
# read from SSM or Secrets Manager at deploy time; as literals they would pass for scope names.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]{0,80}\}?\}?")
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")

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


class _NoValue:
    """``Ref: AWS::NoValue``: the property or list element is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


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
    template = _Template(doc, _fragments(doc.data))
    return template.clients()


@dataclass(frozen=True, slots=True)
class _PoolRef:
    """What a ``UserPoolId`` expression points at; equal refs mean the same pool."""

    kind: str  # "resource" | "param" | "literal" | "import" | "unknown"
    name: str  # logical id, parameter name, pool id, export name, or the reason


@dataclass(slots=True)
class _Resource:
    logical_id: str
    type: str
    body: Mapping[Any, Any]
    container: Mapping[Any, Any]  # the Resources mapping holding it (its key lines)


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else type(value).__name__


def _as_text(value: Any, what: str) -> str | Unknown:
    """A resolved value as CloudFormation would render it inside a string, or why not."""
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if value is NO_VALUE:
        return Unknown(f"{what} is AWS::NoValue")
    return Unknown(f"{what} is {_describe(value)}, not a string")


def _comparable(value: Any) -> Any:
    """Fn::Equals compares strings; None when the value is not (fully) known."""
    if isinstance(value, list):
        items = [_comparable(v) for v in value]
        return None if any(i is None for i in items) else tuple(items)
    text = _as_text(value, "value")
    return None if isinstance(text, Unknown) else text


def _literal(text: str) -> str | Unknown:
    """A plain string, unless it is filled in at deploy time by Serverless or CloudFormation."""
    match = _SERVERLESS_VAR.search(text)
    if match:
        return Unknown(f"Serverless variable {match.group()} is set at deploy time")
    match = _DYNAMIC_REFERENCE.search(text)
    if match:
        return Unknown(f"dynamic reference {match.group()} is resolved at deploy time")
    return text


def _intrinsic(node: Any) -> tuple[str, Any] | None:
    if isinstance(node, dict) and len(node) == 1:
        ((key, arg),) = node.items()
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
            return key, arg
    return None


def _lookup(mapping: Mapping[Any, Any], key: str) -> Any:
    # YAML reads ``123456789012:`` as an int key; FindInMap keys are strings.
    if key in mapping:
        return mapping[key]
    for k, v in mapping.items():
        if not isinstance(k, str) and _as_text(k, "key") == key:
            return v
    return NO_VALUE


class _Template:
    """One document's evaluation state: sections, memos, and the step budget."""

    def __init__(self, doc: Document, fragments: list[Mapping[Any, Any]]) -> None:
        self.doc = doc
        self.path = doc.path
        self.parameters: dict[Any, Any] = {}
        self.conditions: dict[Any, Any] = {}
        self.mappings: dict[Any, Any] = {}
        self.resources: dict[str, _Resource] = {}
        for fragment in fragments:
            self._add_fragment(fragment)
        self.steps = 0
        self.limit = STEP_BUDGET + len(doc.text)
        self.line: int | None = None  # the resource being evaluated, for the budget error
        self._condition_memo: dict[str, bool | None] = {}
        self._conditions_open: set[str] = set()
        self._server_memo: dict[str, str | Unknown] = {}
        self._servers_open: set[str] = set()
        self._servers_by_pool: dict[_PoolRef, tuple[str, ...]] | None = None
        self._pools: dict[_PoolRef, Pool] = {}
        self._lines: _JsonLines | None = None

    def _add_fragment(self, fragment: Mapping[Any, Any]) -> None:
        for section, target in (
            ("Parameters", self.parameters),
            ("Conditions", self.conditions),
            ("Mappings", self.mappings),
        ):
            value = fragment.get(section)
            if isinstance(value, dict):
                target.update(value)
        resources = fragment.get("Resources")
        if not isinstance(resources, dict):
            return
        # The one pass over Resources: an index by logical id, nothing evaluated yet.
        for logical_id, body in resources.items():
            if isinstance(logical_id, str) and isinstance(body, dict):
                kind = body.get("Type")
                if isinstance(kind, str):
                    self.resources[logical_id] = _Resource(logical_id, kind, body, resources)

    # -- budget -----------------------------------------------------------------------------

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > self.limit:
            raise SourceError("template too complex to evaluate (alias expansion?)", self.line)

    def _guarded(self, evaluate: Callable[[Any], Any], node: Any) -> Any:
        # The depth guard in document.py bounds nesting to a few hundred levels, but each level
        # costs several Python frames here; one over-deep value must not lose the others.
        try:
            return evaluate(node)
        except RecursionError:
            return Unknown("nested too deeply to evaluate")

    # -- values -----------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """A template value with intrinsics evaluated; NO_VALUE when it is removed."""
        self.steps += 1  # _tick() inlined: this is the hot path
        if self.steps > self.limit:
            raise SourceError("template too complex to evaluate (alias expansion?)", self.line)
        if isinstance(node, str):
            return _literal(node) if "${" in node or "{{" in node else node
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(node, dict):
            call = _intrinsic(node)
            if call is not None:
                return self._call(*call)
            resolved = {k: self.resolve(v) for k, v in node.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        return node

    def _call(self, name: str, arg: Any) -> Any:
        handler = _FUNCTIONS.get(name)
        if handler is None:
            return Unknown(f"{name} is not evaluated")
        return handler(self, arg)

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unknown("Ref to something that is not a name")
        if name.startswith("AWS::"):
            if name == "AWS::NoValue":
                return NO_VALUE
            return Unknown(f"pseudo parameter {name} is known only at deploy time")
        if name in self.parameters:
            return self._parameter(name)
        resource = self.resources.get(name)
        if resource is None:
            return Unknown(f"Ref to {name}, which the template does not define")
        if resource.type == SERVER_TYPE:
            return self._server_identifier(name)
        if resource.type == POOL_TYPE:
            return Unknown(f"Ref to user pool {name}, whose id is known only after deploy")
        return Unknown(f"Ref to {resource.type} {name}, known only after deploy")

    def _parameter(self, name: str) -> Any:
        decl = self.parameters[name]
        if not isinstance(decl, Mapping) or decl.get("Default") is None:
            return Unknown(f"Ref to parameter {name}, which has no Default")
        kind = decl.get("Type")
        kind = kind if isinstance(kind, str) else "String"
        # The Default of an SSM parameter type is the SSM parameter's name, not the value.
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            return Unknown(f"Ref to parameter {name}, read from SSM Parameter Store at deploy time")
        value = self.resolve(decl["Default"])
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            # CloudFormation trims the blanks around each member of a comma-delimited list.
            return [item.strip() for item in value.split(",")]
        return value

    def _server_identifier(self, logical_id: str) -> str | Unknown:
        if logical_id in self._server_memo:
            return self._server_memo[logical_id]
        if logical_id in self._servers_open:
            return Unknown(f"Ref cycle through resource server {logical_id}")
        self._servers_open.add(logical_id)
        try:
            props = self.resources[logical_id].body.get("Properties")
            if isinstance(props, Mapping) and "Identifier" in props:
                identifier = self.resolve(props["Identifier"])
                value = _as_text(identifier, f"the Identifier of {logical_id}")
            else:
                value = Unknown(f"resource server {logical_id} has no Identifier")
        finally:
            self._servers_open.discard(logical_id)
        self._server_memo[logical_id] = value
        return value

    # -- intrinsic functions ----------------------------------------------------------------

    def _get_att(self, arg: Any) -> Unknown:
        if isinstance(arg, list) and all(isinstance(part, str) for part in arg):
            arg = ".".join(arg)
        if not isinstance(arg, str):
            return Unknown("Fn::GetAtt needs [resource, attribute]")
        return Unknown(f"Fn::GetAtt {arg[:80]} is known only after deploy")

    def _sub(self, arg: Any) -> Any:
        if isinstance(arg, str):
            template, variables = arg, {}
        elif (
            isinstance(arg, list)
            and len(arg) == 2
            and isinstance(arg[0], str)
            and isinstance(arg[1], Mapping)
        ):
            template, variables = arg
        else:
            return Unknown("Fn::Sub needs a string or [string, variables]")
        parts: list[str] = []
        end = 0
        for match in _SUB_VAR.finditer(template):
            parts.append(template[end : match.start()])
            end = match.end()
            text = self._sub_variable(match.group(1), variables)
            if isinstance(text, Unknown):
                return text
            parts.append(text)
        parts.append(template[end:])
        return "".join(parts)

    def _sub_variable(self, name: str, variables: Mapping[Any, Any]) -> str | Unknown:
        if name.startswith("!"):  # ${!Literal} is the escape for a literal ${Literal}
            return "${" + name[1:] + "}"
        name = name.strip()
        self._tick()
        if name in variables:
            value = self.resolve(variables[name])
        elif _SERVERLESS_VAR.match("${" + name + "}"):
            return Unknown(f"Serverless variable ${{{name[:80]}}} is set at deploy time")
        elif "." in name:
            return Unknown(f"Fn::Sub variable ${{{name[:80]}}} is known only after deploy")
        else:
            value = self._ref(name)
        return _as_text(value, f"Fn::Sub variable ${{{name[:80]}}}")

    def _join(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("Fn::Join needs [delimiter, list]")
        delimiter = _as_text(self.resolve(arg[0]), "the Fn::Join delimiter")
        items = self.resolve(arg[1])
        if isinstance(delimiter, Unknown):
            return delimiter
        if isinstance(items, Unknown):
            return items
        if not isinstance(items, list):
            return Unknown(f"Fn::Join needs a list, not {_describe(items)}")
        texts = [_as_text(item, "an Fn::Join element") for item in items]
        for text in texts:
            if isinstance(text, Unknown):
                return text
        return delimiter.join(texts)  # type: ignore[arg-type]

    def _select(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("Fn::Select needs [index, list]")
        index = _as_text(self.resolve(arg[0]), "the Fn::Select index")
        items = self.resolve(arg[1])
        if isinstance(index, Unknown):
            return index
        if isinstance(items, Unknown):
            return items
        if not index.strip().isdigit():
            return Unknown(f"Fn::Select index {index[:40]!r} is not a number")
        if not isinstance(items, list):
            return Unknown(f"Fn::Select needs a list, not {_describe(items)}")
        position = int(index)
        if position >= len(items):
            return Unknown(f"Fn::Select index {position} is past the end of the list")
        return items[position]

    def _split(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("Fn::Split needs [delimiter, string]")
        delimiter = _as_text(self.resolve(arg[0]), "the Fn::Split delimiter")
        source = _as_text(self.resolve(arg[1]), "the Fn::Split source")
        if isinstance(delimiter, Unknown):
            return delimiter
        if isinstance(source, Unknown):
            return source
        if not delimiter:
            return Unknown("Fn::Split delimiter is empty")
        return source.split(delimiter)

    def _if(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            return Unknown("Fn::If needs [condition, value if true, value if false]")
        verdict = self.condition(arg[0])
        if verdict is not None:
            return self.resolve(arg[1] if verdict else arg[2])
        # Undecidable, but when both branches agree the answer does not depend on it.
        when_true, when_false = self.resolve(arg[1]), self.resolve(arg[2])
        if when_true == when_false:
            return when_true
        return Unknown(f"condition {arg[0]} cannot be decided from parameter defaults")

    def _find_in_map(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) in (3, 4)):
            return Unknown("Fn::FindInMap needs [map, key, key]")
        keys = [_as_text(self.resolve(k), "an Fn::FindInMap key") for k in arg[:3]]
        for key in keys:
            if isinstance(key, Unknown):
                return key
        value: Any = self.mappings
        for key in keys:
            value = _lookup(value, key) if isinstance(value, Mapping) else NO_VALUE
        if value is NO_VALUE:
            # AWS::LanguageExtensions adds a fourth argument {DefaultValue: ...}.
            fallback = arg[3] if len(arg) == 4 else None
            if isinstance(fallback, Mapping) and "DefaultValue" in fallback:
                return self.resolve(fallback["DefaultValue"])
            return Unknown(f"Fn::FindInMap finds no {'/'.join(keys)}")  # type: ignore[arg-type]
        return self.resolve(value)

    def _import_value(self, arg: Any) -> Unknown:
        name = _as_text(self.resolve(arg), "the Fn::ImportValue name")
        if isinstance(name, Unknown):
            return name
        return Unknown(f"Fn::ImportValue {name} is known only at deploy time")

    # -- conditions -------------------------------------------------------------------------

    def condition(self, name: str) -> bool | None:
        """The value of a named condition under the parameter defaults; None if undecidable."""
        if name in self._condition_memo:
            return self._condition_memo[name]
        if name not in self.conditions or name in self._conditions_open:
            return None  # undefined, or a cycle: CloudFormation would reject both
        self._conditions_open.add(name)
        try:
            verdict = self._guarded(self._condition_expr, self.conditions[name])
        finally:
            self._conditions_open.discard(name)
        verdict = verdict if isinstance(verdict, bool) else None
        self._condition_memo[name] = verdict
        return verdict

    def _condition_expr(self, node: Any) -> bool | None:
        self._tick()
        call = _intrinsic(node)
        if isinstance(node, dict) and len(node) == 1 and "Condition" in node:
            name = node["Condition"]
            return self.condition(name) if isinstance(name, str) else None
        if call is None or not isinstance(call[1], list):
            return None
        function, args = call
        if function == "Fn::Equals" and len(args) == 2:
            left, right = (_comparable(self.resolve(a)) for a in args)
            return None if left is None or right is None else left == right
        if function == "Fn::Not" and len(args) == 1:
            verdict = self._condition_expr(args[0])
            return None if verdict is None else not verdict
        if function in ("Fn::And", "Fn::Or") and args:
            verdicts = [self._condition_expr(a) for a in args]
            decisive = function == "Fn::Or"  # True decides an Or, False decides an And
            if decisive in verdicts:
                return decisive
            return None if None in verdicts else not decisive
        return None

    # -- pools ------------------------------------------------------------------------------

    def pool_ref(self, expr: Any) -> _PoolRef:
        """What a UserPoolId expression identifies (DESIGN Precise semantics 5 and 7)."""
        self._tick()
        call = _intrinsic(expr)
        if call is not None:
            function, arg = call
            target = arg if function == "Ref" else _get_att_target(arg)
            if function in ("Ref", "Fn::GetAtt") and isinstance(target, str):
                resource = self.resources.get(target)
                if resource is not None and resource.type == POOL_TYPE:
                    return _PoolRef("resource", target)
                if function == "Ref" and target in self.parameters:
                    value = self._parameter(target)
                    if isinstance(value, str):
                        return _PoolRef("literal", value)
                    return _PoolRef("param", target)
            if function == "Fn::ImportValue":
                name = _as_text(self.resolve(arg), "the Fn::ImportValue name")
                if isinstance(name, str):
                    return _PoolRef("import", name)
                return _PoolRef("unknown", name.reason)
            if function == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                if isinstance(arg[0], str):
                    verdict = self.condition(arg[0])
                    if verdict is not None:
                        return self.pool_ref(arg[1] if verdict else arg[2])
                    branches = (self.pool_ref(arg[1]), self.pool_ref(arg[2]))
                    if branches[0] == branches[1]:
                        return branches[0]
                    return _PoolRef("unknown", f"condition {arg[0]} cannot be decided")
        value = _as_text(self.resolve(expr), "UserPoolId")
        if isinstance(value, str):
            return _PoolRef("literal", value)
        return _PoolRef("unknown", value.reason)

    def _pool_ref_of(self, props: Any) -> _PoolRef:
        if not isinstance(props, Mapping) or "UserPoolId" not in props:
            return _PoolRef("unknown", "UserPoolId is not set")
        ref = self._guarded(self.pool_ref, props["UserPoolId"])
        return ref if isinstance(ref, _PoolRef) else _PoolRef("unknown", ref.reason)

    def servers_by_pool(self) -> dict[_PoolRef, tuple[str, ...]]:
        if self._servers_by_pool is None:
            found: dict[_PoolRef, dict[str, None]] = {}  # a dict keeps template order
            client_line = self.line
            for resource in self.resources.values():
                if resource.type != SERVER_TYPE:
                    continue
                self.line = self.resource_line(resource)
                if self._not_created(resource):
                    continue
                ref = self._pool_ref_of(resource.body.get("Properties"))
                identifier = self._guarded(self._server_identifier, resource.logical_id)
                if ref.kind != "unknown" and isinstance(identifier, str):
                    found.setdefault(ref, {})[identifier] = None
            self.line = client_line
            self._servers_by_pool = {ref: tuple(ids) for ref, ids in found.items()}
        return self._servers_by_pool

    def pool(self, ref: _PoolRef, client_id: str) -> Pool:
        if ref.kind == "unknown":
            return Pool(
                key=f"{self.path}#{client_id}:pool", label=f"unknown user pool ({ref.name})"
            )
        if ref not in self._pools:
            self._pools[ref] = self._make_pool(ref)
        return self._pools[ref]

    def _make_pool(self, ref: _PoolRef) -> Pool:
        servers = self.servers_by_pool().get(ref)
        if ref.kind == "resource":
            resource = self.resources[ref.name]
            names: tuple[str, ...] = (ref.name,)
            props = resource.body.get("Properties")
            if isinstance(props, Mapping) and "UserPoolName" in props:
                pool_name = self._guarded(self.resolve, props["UserPoolName"])
                if isinstance(pool_name, str) and pool_name not in names:
                    names += (pool_name,)
            location = Location(self.path, self.resource_line(resource), logical_id=ref.name)
            # The template defines this pool, so its servers here are all it is known to have.
            return Pool(f"{self.path}#{ref.name}", ref.name, names, location, servers or ())
        if ref.kind == "param":
            key, label = f"{self.path}#param:{ref.name}", f"parameter {ref.name}"
        elif ref.kind == "import":
            key, label = f"import:{ref.name}", f"import {ref.name}"
        else:
            key, label = ref.name, ref.name
        return Pool(key, label, (ref.name,), None, servers)

    # -- clients ----------------------------------------------------------------------------

    def _not_created(self, resource: _Resource) -> bool:
        # An undecidable Condition keeps the resource: it may exist, and a client that may
        # exist must be checked (its findings carry the doubt only through unknown values).
        name = resource.body.get("Condition")
        return isinstance(name, str) and self.condition(name) is False

    def clients(self) -> list[AppClient]:
        candidates = [r for r in self.resources.values() if r.type == CLIENT_TYPE]
        if not candidates:
            return []
        if self.doc.is_json:
            interesting = [r for r in self.resources.values() if r.type in (CLIENT_TYPE, POOL_TYPE)]
            self._lines = _JsonLines(self.doc, interesting)
        result = []
        for resource in candidates:
            self.line = self.resource_line(resource)
            if not self._not_created(resource):
                result.append(self._client(resource))
        return result

    def _client(self, resource: _Resource) -> AppClient:
        props = self._guarded(self._properties, resource.body.get("Properties"))
        if isinstance(props, Mapping):
            raw: dict[Any, Any] = {}
            for key, value in props.items():
                if key not in SECRET_KEYS:
                    resolved = self._guarded(self.resolve, value)
                    if resolved is not NO_VALUE:
                        raw[key] = resolved
            ref = self._pool_ref_of(props)
        else:
            # Every value the rules read is unknown rather than absent: absent would make the
            # client look like a harmless non-M2M client.
            if isinstance(props, Unknown):
                reason = props.reason
            else:
                reason = f"Properties is {_describe(props)}, not a mapping"
            raw = {key: Unknown(reason) for key in _RULE_KEYS}
            ref = _PoolRef("unknown", reason)
            props = {}
        return AppClient(
            record=normalize(raw),
            location=Location(self.path, self.line, logical_id=resource.logical_id),
            pool=self.pool(ref, resource.logical_id),
            field_lines=self._field_lines(resource, props),
        )

    def _properties(self, node: Any) -> Any:
        """The Properties mapping, still unresolved; ``Fn::If`` picks its branch first."""
        self._tick()
        if node is None or node is NO_VALUE:
            return {}
        call = _intrinsic(node)
        if call is None:
            return node
        function, arg = call
        if function == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            if isinstance(arg[0], str):
                verdict = self.condition(arg[0])
                if verdict is None:
                    return Unknown(f"condition {arg[0]} cannot be decided from parameter defaults")
                return self._properties(arg[1] if verdict else arg[2])
        if function == "Ref" and arg == "AWS::NoValue":
            return {}
        return Unknown(f"Properties is {function}, which is not evaluated")

    # -- lines ------------------------------------------------------------------------------

    def resource_line(self, resource: _Resource) -> int | None:
        if self._lines is not None:
            return self._lines.resource_line(resource.logical_id)
        key_lines = getattr(resource.container, "key_lines", None)
        if key_lines and resource.logical_id in key_lines:
            return int(key_lines[resource.logical_id])
        return getattr(resource.body, "line", None)

    def _field_lines(self, resource: _Resource, props: Mapping[Any, Any]) -> dict[str, int]:
        names = [k for k in props if isinstance(k, str) and k not in SECRET_KEYS]
        if self._lines is not None:
            return self._lines.property_lines(resource.logical_id, names)
        key_lines = getattr(props, "key_lines", None) or {}
        return {k: key_lines[k] for k in names if k in key_lines}


def _get_att_target(arg: Any) -> str | None:
    if isinstance(arg, str):
        return arg.split(".", 1)[0]
    if isinstance(arg, list) and arg and isinstance(arg[0], str):
        return arg[0]
    return None


_FUNCTIONS: dict[str, Callable[[_Template, Any], Any]] = {
    "Ref": _Template._ref,
    "Fn::GetAtt": _Template._get_att,
    "Fn::Sub": _Template._sub,
    "Fn::Join": _Template._join,
    "Fn::Select": _Template._select,
    "Fn::Split": _Template._split,
    "Fn::If": _Template._if,
    "Fn::FindInMap": _Template._find_in_map,
    "Fn::ImportValue": _Template._import_value,
}


class _JsonLines:
    """Line numbers for a JSON template, found by text search (json.loads keeps none).

    ``json.loads`` keeps keys in document order, so the resources (and each resource's
    properties) are found by one forward scan: linear in the text, however many clients.
    """

    def __init__(self, doc: Document, resources: list[_Resource]) -> None:
        self.doc = doc
        text = doc.text
        start = doc.json_key_offset("Resources") or 0
        self.offsets: dict[str, int] = {}
        for resource in resources:
            found = _key_offset(text, resource.logical_id, start, len(text))
            if found is not None:
                self.offsets[resource.logical_id] = found
                start = found + 1
        ordered = sorted(self.offsets.values())
        # Each resource's text ends where the next one found begins.
        self.ends = dict(zip(ordered, ordered[1:] + [len(text)]))

    def resource_line(self, logical_id: str) -> int | None:
        offset = self.offsets.get(logical_id)
        return None if offset is None else self.doc.line_at(offset)

    def property_lines(self, logical_id: str, names: list[str]) -> dict[str, int]:
        offset = self.offsets.get(logical_id)
        if offset is None:
            return {}
        end = self.ends[offset]
        start = _key_offset(self.doc.text, "Properties", offset, end)
        lines: dict[str, int] = {}
        for name in names if start is not None else ():
            found = _key_offset(self.doc.text, name, start, end)  # type: ignore[arg-type]
            if found is not None:
                lines[name] = self.doc.line_at(found)
                start = found + 1
        return lines


def _key_offset(text: str, key: str, start: int, end: int) -> int | None:
    """Offset of the next ``"key":`` between start and end (str.find, no regex per key)."""
    needle = f'"{key}"' if key.isalnum() else json.dumps(key, ensure_ascii=False)
    while True:
        found = text.find(needle, start, end)
        if found < 0:
            return None
        after = found + len(needle)
        while after < end and text[after] in " \t\r\n":
            after += 1
        if after < end and text[after] == ":":
            return found
        start = found + 1

