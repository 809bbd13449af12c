"""One template's evaluation state: its sections, Ref, parameters, conditions, the step budget.

Values are resolved the way DESIGN.md ("Precise semantics" 5) says: parameters by their
``Default``, conditions from those defaults, resource servers by their ``Identifier``; the other
functions are in cfn_functions.py. Nothing is evaluated until asked for, and every step is
counted: YAML aliases are shared objects, so a few hundred bytes can describe a structure that
naive recursion would walk for hours.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from m2m_guard.model import Unknown
from m2m_guard.sources.cfn_functions import FUNCTIONS
from m2m_guard.sources.cfn_values import NO_VALUE, as_text, comparable, intrinsic, literal
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.vocabulary import CFN_CLIENT, CFN_POOL, CFN_SERVER

CLIENT_TYPE = CFN_CLIENT
POOL_TYPE = CFN_POOL
SERVER_TYPE = CFN_SERVER

#: Evaluation steps allowed per document, on top of one per character of its text: honest
#: templates need far fewer steps than they have characters, so only shared (aliased) data
#: can exceed the budget, and a large honest template is never refused for its size.
STEP_BUDGET = 200_000
#: every_branch tries at most this many undecidable conditions (2**6 = 64 combinations), and at
#: most BRANCH_STEPS evaluation steps in all; beyond either, the value stays unknown.
MAX_BRANCH_CONDITIONS = 6
BRANCH_STEPS = 20_000

_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(slots=True)
class Resource:
    logical_id: str
    type: str
    body: Mapping[Any, Any]
    container: Mapping[Any, Any]  # the Resources mapping holding it (its key lines)


def guarded(evaluate: Callable[[_T], _R], node: _T) -> _R | Unknown:
    # The depth guard in document.py bounds nesting to a few hundred levels, but each level
    # costs several Python frames here; one over-deep value must not lose the others.
    try:
        return evaluate(node)
    except RecursionError:
        return Unknown("nested too deeply to evaluate")


class Template:
    """The sections of one document (all its fragments), with memos and the step budget."""

    def __init__(self, doc: Document, fragments: list[Mapping[Any, Any]]) -> None:
        self.path = doc.path
        self.parameters: dict[Any, Any] = {}
        self.conditions: dict[Any, Any] = {}
        self.mappings: dict[Any, Any] = {}
        self.resources: dict[str, Resource] = {}
        for fragment in fragments:
            self._add_fragment(fragment)
        self.steps = 0
        self.limit = STEP_BUDGET + len(doc.text)
        self.line: int | None = None  # the resource being evaluated, for the budget error
        self._condition_memo: dict[str, bool | None] = {}
        self._conditions_open: set[str] = set()
        self._server_memo: dict[str, str | Unknown] = {}
        self._servers_open: set[str] = set()
        #: Conditions taken as decided while one client is evaluated: its own ``Condition``
        #: (its properties matter only where it exists) and the combination every_branch tries.
        self.assumed: dict[str, bool] = {}
        #: The undecidable conditions that an Fn::If met since every_branch cleared it.
        self.undecided: dict[str, None] = {}

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
                    self.resources[logical_id] = Resource(logical_id, kind, body, resources)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.limit:
            raise SourceError("template too complex to evaluate (alias expansion?)", self.line)

    # -- values -----------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """A template value with intrinsics evaluated; NO_VALUE when it is removed."""
        self.steps += 1  # tick() inlined: this is the hot path
        if self.steps > self.limit:
            raise SourceError("template too complex to evaluate (alias expansion?)", self.line)
        if isinstance(node, str):
            return literal(node) if "${" in node or "{{" in node else node
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(node, dict):
            call = intrinsic(node)
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

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unknown("Ref to something that is not a name")
        if name.startswith("AWS::"):
            if name == "AWS::NoValue":
                return NO_VALUE
            return Unknown(f"pseudo parameter {name} is known only at deploy time")
        if name in self.parameters:
            return self.parameter(name)
        resource = self.resources.get(name)
        if resource is None:
            return Unknown(f"Ref to {name}, which the template does not define")
        if resource.type == SERVER_TYPE:
            return self.server_identifier(name)
        if resource.type == POOL_TYPE:
            return Unknown(f"Ref to user pool {name}, whose id is known only after deploy")
        return Unknown(f"Ref to {resource.type} {name}, known only after deploy")

    def parameter(self, name: str) -> Any:
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

    def server_identifier(self, logical_id: str) -> str | Unknown:
        if logical_id in self._server_memo:
            return self._server_memo[logical_id]
        if self.assumed:  # an identifier under assumed conditions is not the template's own
            return self._server_identifier(logical_id)
        value = self._server_identifier(logical_id)
        self._server_memo[logical_id] = value
        return value

    def _server_identifier(self, logical_id: str) -> str | Unknown:
        if logical_id in self._servers_open:
            return Unknown(f"Ref cycle through resource server {logical_id}")
        self._servers_open.add(logical_id)
        try:
            props = self.resources[logical_id].body.get("Properties")
            if isinstance(props, Mapping) and "Identifier" in props:
                identifier = self.resolve(props["Identifier"])
                value = as_text(identifier, f"the Identifier of {logical_id}")
            else:
                value = Unknown(f"resource server {logical_id} has no Identifier")
        finally:
            self._servers_open.discard(logical_id)
        return value

    def properties(self, node: Any) -> Any:
        """A resource's Properties mapping, still unresolved; ``Fn::If`` picks its branch first."""
        self.tick()
        if node is None or node is NO_VALUE:
            return {}
        call = intrinsic(node)
        if call is None:
            return node
        function, arg = call
        if function == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            verdict = self.branch(arg[0])
            if verdict is None:
                return Unknown(f"condition {arg[0]} cannot be decided from parameter defaults")
            return self.properties(arg[1] if verdict else arg[2])
        if function == "Ref" and arg == "AWS::NoValue":
            return {}
        return Unknown(f"Properties is {function}, which is not evaluated")

    # -- conditions -------------------------------------------------------------------------

    def branch(self, name: str) -> bool | None:
        """Which branch an ``Fn::If`` on condition ``name`` takes; None when undecidable."""
        if name in self.assumed:
            return self.assumed[name]
        verdict = self.condition(name)
        if verdict is None:
            self.undecided[name] = None
        return verdict

    def every_branch(self, compute: Callable[[], _R]) -> list[_R] | None:
        """``compute()`` under every combination of the undecidable conditions whose ``Fn::If``
        it meets (each taken as true, then false); None beyond the bounds above.

        Each condition is free, though one may imply another: that adds combinations that
        cannot happen, never hides one that can, so results that agree are the answer.
        """
        base = self.assumed
        self.undecided = {}
        start = self.steps
        first = compute()
        names = [name for name in self.undecided if name not in base]
        if not names:
            return [first]
        if len(names) > MAX_BRANCH_CONDITIONS or (self.steps - start) << len(names) > BRANCH_STEPS:
            return None
        results = []
        try:
            for values in itertools.product((True, False), repeat=len(names)):
                self.assumed = {**base, **dict(zip(names, values, strict=True))}
                results.append(compute())
        finally:
            self.assumed = base
        return results

    def not_created(self, resource: Resource) -> bool:
        # An undecidable Condition keeps the resource: it may exist, and a client that may
        # exist is checked as possibly M2M (AppClient.may_not_exist).
        name = resource.body.get("Condition")
        return isinstance(name, str) and self.condition(name) is False

    def condition(self, name: str) -> bool | None:
        """The value of a named condition under the parameter defaults; None if undecidable."""
        if name in self._condition_memo:
            return self._condition_memo[name]
        if name not in self.conditions or name in self._conditions_open:
            return None  # undefined, or a cycle: CloudFormation would reject both
        self._conditions_open.add(name)
        try:
            verdict = guarded(self._condition_expr, self.conditions[name])
        finally:
            self._conditions_open.discard(name)
        verdict = verdict if isinstance(verdict, bool) else None
        self._condition_memo[name] = verdict
        return verdict

    def _condition_expr(self, node: Any) -> bool | None:
        self.tick()
        call = intrinsic(node)
        if isinstance(node, dict) and len(node) == 1 and "Condition" in node:
            name = node["Condition"]
            return self.condition(name) if isinstance(name, str) else None
        if call is None or not isinstance(call[1], list):
            return None
        function, args = call
        if function == "Fn::Equals" and len(args) == 2:
            left, right = (comparable(self.resolve(a)) for a in args)
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


# Ref joins the other functions here: it is the one that reads the template's own sections.
_FUNCTIONS: dict[str, Callable[[Template, Any], Any]] = {"Ref": Template.ref, **FUNCTIONS}
