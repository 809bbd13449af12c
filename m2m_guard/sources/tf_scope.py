"""One module instance (a :class:`Scope`): the names an expression may use, and their values.

``var.x`` is the module call's argument, else the variable's ``default``; ``local.x``,
``module.x.output`` (local module sources only) and the configured arguments of the module's
resources are evaluated where they are written. Each kind of reference root has its handler in
:data:`ROOTS`; every other root names a resource. What cannot be known is an
:class:`~m2m_guard.model.Unknown` with the reason, never a guess.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from m2m_guard.model import Unknown
from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.terraform_expr import Handle, Step, apply, evaluate, render, unknown_of
from m2m_guard.sources.tf_blocks import Block
from m2m_guard.sources.tf_modules import TWICE, Folder, Loader, Module, is_local, module_source
from m2m_guard.sources.vocabulary import TF_POOL, TF_SERVER

#: Bounds on module instances per evaluated root and on call depth (a cycle of local module
#: calls is invalid Terraform, but must not hang the scan).
MAX_MODULE_INSTANCES = 256
MAX_MODULE_DEPTH = 16

#: Arguments that configure Terraform itself, not the resource or the module.
RESOURCE_META = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle"})
_MODULE_META = frozenset({"source", "version", "count", "for_each", "depends_on", "providers"})

_BUSY: Any = object()


@dataclass
class Root:
    """The folder evaluated as the root module, and how many module instances it made."""

    folder: str
    instances: int = 0


@dataclass(frozen=True)
class PoolId(Handle):
    """``aws_cognito_user_pool.X.id``: known only after apply, but it identifies the pool."""

    address: str
    block: Block
    scope: Scope

    @property
    def unknown(self) -> Unknown:
        return Unknown(f"{self.address}.id is known after apply")


class Scope:
    """One module instance: a module's definitions with its inputs (None: the root module)."""

    def __init__(
        self,
        loader: Loader,
        module: Module,
        prefix: str,
        args: dict[str, Callable[[], Any]] | None,
        stack: tuple[str, ...],
        root: Root,
        may_not_exist: Unknown | None = None,
    ) -> None:
        self.loader = loader
        self.module = module
        self.prefix = prefix
        self.args = args
        self.stack = stack
        self.root = root
        #: Why this module instance may not exist (a module call's count or for_each unknown).
        self.may_not_exist = may_not_exist
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._children: dict[str, Scope | Unknown] = {}

    @classmethod
    def of_root(cls, loader: Loader, folder: Folder) -> Scope:
        """The root module instance of ``folder``."""
        return cls(loader, loader.module(folder), "", None, (folder.path,), Root(folder.path))

    def tree(self) -> Iterator[Scope]:
        """This instance and every module instance it creates, depth first."""
        yield self
        for name in self.module.calls:
            child = self.child(name)
            if isinstance(child, Scope):
                yield from child.tree()

    def cached(self, key: tuple[Any, ...], text: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key; a value that needs itself is unknown, not a hang."""
        value = self._memo.get(key)
        if value is _BUSY:
            return Unknown(f"{text} refers to itself")
        if key not in self._memo:
            self._memo[key] = _BUSY
            try:
                value = compute()
            except RecursionError:
                value = Unknown(f"{text} is nested too deeply")
            self._memo[key] = value
        return value

    # Names.
    def var(self, name: str) -> Any:
        return self.cached(("var", name), f"var.{name}", lambda: self._var(name))

    def _var(self, name: str) -> Any:
        decl = self.module.variables.get(name)
        if decl is None:
            return Unknown(f"var.{name} is not declared")
        if decl is TWICE:
            return Unknown(f"var.{name} is declared more than once")
        if self.args is not None and name in self.args:
            return self.args[name]()
        if "default" in decl.attrs:
            return self.eval(decl.attrs["default"].expr, None)
        return Unknown(f"var.{name} has no default")

    def local(self, name: str) -> Any:
        return self.cached(("local", name), f"local.{name}", lambda: self._local(name))

    def _local(self, name: str) -> Any:
        found = self.module.locals.get(name)
        if found is None:
            return Unknown(f"local.{name} is not defined")
        if found is TWICE:
            return Unknown(f"local.{name} is defined more than once")
        return self.eval(found[0].expr, None)

    def child(self, name: str) -> Scope | Unknown:
        """The instance of module call ``name``, or why it is not read."""
        if name not in self._children:
            self._children[name] = self._child(name)
        return self._children[name]

    def _child(self, name: str) -> Scope | Unknown:
        call = self.module.calls.get(name)
        if call is None:
            return Unknown(f"module.{name} is not defined")
        folder = self._callee(name, call)
        if isinstance(folder, Unknown):
            return folder
        exists = self.exists(call)
        if exists is False:
            return Unknown(f"module.{name} is not created ({call.repeat()} is empty)")
        doubt = self.may_not_exist
        if doubt is None and isinstance(exists, Unknown):
            doubt = Unknown(f"module.{name} {exists.reason}")
        self.root.instances += 1
        rep = call.repeat()
        args: dict[str, Callable[[], Any]] = {
            arg: functools.partial(self.eval, value.expr, rep)
            for arg, value in call.attrs.items()
            if arg not in _MODULE_META
        }
        module = self.loader.module(folder)
        stack = (*self.stack, folder.path)
        return Scope(self.loader, module, f"{self.prefix}module.{name}.", args, stack, self.root, doubt)

    def _callee(self, name: str, call: Block) -> Folder | Unknown:
        """The folder a module call reads, or why it is not read."""
        source = module_source(call)
        if source is None:
            return Unknown(f"module.{name} has no literal source")
        if not is_local(source):
            return Unknown(f"module.{name} is not read (source {source!r} is not a local folder)")
        folder = self.loader.open(self.module.path, source)
        if folder is None:
            return Unknown(f"module.{name} is not read (folder {source!r} not found)")
        self.loader.reached.add(folder.path)
        if folder.path in self.stack:
            return Unknown(f"module.{name} calls itself")
        if len(self.stack) > MAX_MODULE_DEPTH or self.root.instances >= MAX_MODULE_INSTANCES:
            return Unknown(f"module.{name} is nested too deeply")
        return folder

    def output(self, call: str, name: str) -> Any:
        child = self.child(call)
        if isinstance(child, Unknown):
            return child
        decl = child.module.outputs.get(name)
        if decl is None or decl is TWICE or "value" not in decl.attrs:
            return Unknown(f"module.{call}.{name} is not an output of {child.module.path}")
        expr = decl.attrs["value"].expr
        return child.cached(("output", name), f"module.{call}.{name}", lambda: child.eval(expr, None))

    # Resources.
    def exists(self, block: Block) -> bool | Unknown:
        """Whether the block makes any instance: False when ``count`` is known to be 0 or
        ``for_each`` known to be empty, unknown when they are not known (it may make none)."""
        rep = block.repeat()
        if rep is None:
            return True
        value: Any = self.eval(block.attrs[rep].expr, None)
        return _count_exists(value) if rep == "count" else _for_each_exists(value)

    def address(self, block: Block) -> str:
        return f"{self.prefix}{'.'.join(block.labels)}"

    def attribute(self, block: Block, name: str) -> Any:
        """A configured argument of a resource, evaluated in its own context."""
        address = self.address(block)
        if block.labels[0] == TF_POOL and name == "id":
            return PoolId(address, block, self)
        key, text = ("attr", id(block), name), f"{address}.{name}"
        if block.labels[0] == TF_SERVER and name == "scope_identifiers":
            return self.cached(key, text, lambda: self._scope_identifiers(block))
        attr = block.attrs.get(name)
        if attr is None or name in RESOURCE_META:
            return Unknown(f"{address}.{name} is known after apply")
        return self.cached(key, text, lambda: self.eval(attr.expr, block.repeat()))

    def _scope_identifiers(self, block: Block) -> Any:
        """``aws_cognito_resource_server.X.scope_identifiers``, built from its ``scope`` blocks."""
        address = self.address(block)
        if any(b.type == "dynamic" and b.labels[:1] == ("scope",) for b in block.blocks):
            return Unknown(f"{address}.scope_identifiers come from a dynamic block")
        identifier = self.attribute(block, "identifier")
        if not isinstance(identifier, (str, Unknown)):
            identifier = Unknown(f"{address}.identifier is not a string")
        found: list[Any] = []
        for scope in (b for b in block.blocks if b.type == "scope"):
            attr = scope.attrs.get("scope_name")
            name = self.eval(attr.expr, block.repeat()) if attr else None
            if isinstance(identifier, Unknown):
                found.append(identifier)
            elif isinstance(name, str):
                found.append(f"{identifier}/{name}")
            else:
                found.append(unknown_of(name, f"{address}: a scope_name is not a string"))
        return found

    # Expressions.
    def eval(self, node: ast.Expr, rep: str | None) -> Any:
        """The value of an expression; ``rep`` is the enclosing resource's count/for_each."""
        return evaluate(node, self, rep)

    def reference(self, root: str, steps: list[Step], rep: str | None) -> Any:
        """``root.steps...``: a name of this module instance (:class:`terraform_expr.Names`)."""
        text = render(root, steps)
        if not steps or steps[0][0] != "attr":
            return Unknown(f"{text} is not evaluated")
        return ROOTS.get(root, _resource)(self, root, Reference(text, steps[0][1], steps[1:], rep))


def _count_exists(value: Any) -> bool | Unknown:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return value.strip("0 ") != ""  # Terraform converts a numeric string
    whole = type(value) is int or isinstance(value, float) and value.is_integer()
    if whole and value >= 0:
        return bool(value > 0)
    return Unknown(f"count: {unknown_of(value, 'not a whole number').reason}")


def _for_each_exists(value: Any) -> bool | Unknown:
    if isinstance(value, (list, dict)):
        return bool(value)
    return Unknown(f"for_each: {unknown_of(value, 'not a map or a set').reason}")


# --- reference roots ----------------------------------------------------------------------------


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
    rest = _skip_instance(ref.rest)  # one instance of a module with count/for_each
    if not rest or rest[0][0] != "attr":
        return Unknown(f"{ref.text} is not evaluated")
    return apply(scope.output(ref.name, rest[0][1]), rest[1:], ref.text)


def _count(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown("depends on count.index" if ref.rep == "count" else f"{ref.text} outside a count")


def _each(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown(f"depends on {ref.text}" if ref.rep == "for_each" else f"{ref.text} outside a for_each")


def _data(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown(f"{ref.text} is read from the provider")


def _not_evaluated(scope: Scope, root: str, ref: Reference) -> Any:
    return Unknown(f"{ref.text} is not evaluated")


def _resource(scope: Scope, root: str, ref: Reference) -> Any:
    """``TYPE.NAME.attribute``: a configured argument of a resource of the same module."""
    block = scope.module.resources.get((root, ref.name))
    if block is None:
        return Unknown(f"{ref.text}: {root}.{ref.name} is not defined in {scope.module.path}")
    rest = ref.rest
    if rest and rest[0][0] == "index":
        rest = rest[1:]  # which instance does not matter: instance-dependent values are unknown
    elif block.repeat() and rest:
        return Unknown(f"{ref.text}: {root}.{ref.name} has {block.repeat()}, and no instance is named")
    if not rest or rest[0][0] != "attr":
        return Unknown(f"{ref.text} is not evaluated")
    return apply(scope.attribute(block, rest[0][1]), rest[1:], ref.text)


def _skip_instance(rest: list[Step]) -> list[Step]:
    return rest[1:] if rest and rest[0][0] == "index" else rest


#: Reference root -> its handler; any other root is a resource type (:func:`_resource`).
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
