"""References: ``var.x``, ``local.x``, ``module.x.y``, ``TYPE.NAME.attr``, one handler per root.

A :class:`~tf_scope.Scope` (one module instance) hands each reference whose root the evaluator
does not bind itself to the handler of its root in :data:`ROOTS`; any other root is a resource
type (:func:`resource`). Each returns the value, or an :class:`~m2m_guard.model.Unknown` saying
why not (an :class:`~tf_values.Invalid` for what Terraform rejects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from m2m_guard.model import Unknown
from m2m_guard.sources.terraform_expr import Invalid, Lazy, Step, apply
from m2m_guard.sources.tf_blocks import Block
from m2m_guard.sources.tf_instances import Instance
from m2m_guard.sources.tf_values import to_num

if TYPE_CHECKING:  # the scope calls these handlers: it imports this module
    from m2m_guard.sources.tf_scope import Scope


class Reference(NamedTuple):
    """A reference after its root: ``text`` as written, the first attribute's ``name``, the
    steps after it, and the enclosing block's count/for_each."""

    text: str
    name: str
    rest: list[Step]
    rep: str | None


def _var(scope: Scope, root: str, ref: Reference) -> Any:
    return apply(scope.var(ref.name), ref.rest, ref.text)


def _local(scope: Scope, root: str, ref: Reference) -> Any:
    return apply(scope.local(ref.name), ref.rest, ref.text)


def _module(scope: Scope, root: str, ref: Reference) -> Any:
    rest, key = ref.rest, None
    if rest and rest[0][0] == "index":  # one instance of a module with count/for_each
        rest, key = rest[1:], rest[0][1]
    if not rest or rest[0][0] != "attr":
        return Unknown(f"{ref.text} is not evaluated")
    return apply(scope.output(ref.name, rest[0][1], key), rest[1:], ref.text)


def _count(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown("depends on count.index" if ref.rep == "count" else f"{ref.text} outside a count")


def _each(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown(f"depends on {ref.text}" if ref.rep == "for_each" else f"{ref.text} outside a for_each")


def _data(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown(f"{ref.text} is read from the provider")


def _not_evaluated(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown(f"{ref.text} is not evaluated")


def resource(scope: Scope, root: str, ref: Reference) -> Any:
    """``TYPE.NAME.attribute``: a configured argument of a resource of the same module;
    ``TYPE.NAME[key].attribute`` of one instance; ``TYPE.NAME`` alone, the resource as a value
    (its instances, as a list for ``count``, a map for ``for_each``)."""
    block = scope.module.resources.get((root, ref.name))
    if block is None:
        return Unknown(f"{ref.text}: {root}.{ref.name} is not defined in {scope.module.path}")
    found = scope.instances(block)
    rest = ref.rest
    instance: Instance | None = None
    if rest and rest[0][0] == "index":
        if isinstance(found, list):
            instance = next((i for i in found if i.key == _key_of(rest[0][1], block)), None)
            if instance is None:
                return Invalid(f"{ref.text}: {root}.{ref.name} has no such instance")
        rest = rest[1:]  # an instance whose key is not known: instance-dependent values are unknown
    elif not rest:
        return _whole(scope, block, found)
    elif found is not None:
        return Invalid(f"{ref.text}: {root}.{ref.name} has {block.repeat()}, and no instance is named")
    if not rest or rest[0][0] != "attr":
        return _whole(scope, block, None) if not rest else Unknown(f"{ref.text} is not evaluated")
    return apply(scope.attribute(block, rest[0][1], instance), rest[1:], ref.text)


def _key_of(key: Any, block: Block) -> Any:
    return to_num(key) if block.repeat() == "count" else key


class ResourceValue(Lazy):
    """A resource instance used as a value (in a splat, a ``for``): its configured arguments."""

    def __init__(self, scope: Scope, block: Block, instance: Instance | None) -> None:
        self.scope, self.block, self.instance = scope, block, instance

    def attr(self, name: str, text: str) -> Any:
        return self.scope.attribute(self.block, name, self.instance)

    @property
    def unknown(self) -> Unknown:
        return Unknown(f"{self.scope.address(self.block, self.instance)} is known after apply")


def _whole(scope: Scope, block: Block, found: list[Instance] | Unknown | None) -> Any:
    if found is None:
        return ResourceValue(scope, block, None)
    if isinstance(found, Unknown):
        return found
    if block.repeat() == "count":
        return [ResourceValue(scope, block, i) for i in found]
    return {str(i.key): ResourceValue(scope, block, i) for i in found}


#: Reference root -> its handler; any other root is a resource type (:func:`resource`).
ROOTS: dict[str, Callable[[Scope, str, Reference], Any]] = {
    "var": _var,
    "local": _local,
    "module": _module,
    "count": _count,
    "each": _each,
    "data": _data,
    "path": _not_evaluated,
    "terraform": _not_evaluated,
    "self": _not_evaluated,
}
