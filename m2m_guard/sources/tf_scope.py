"""One module instance (a :class:`Scope`): the names an expression may use, and their values.

``var.x`` is the module call's argument, else (in the root module) the value of the variable
definitions files (:mod:`tf_vars`), else the variable's ``default``, converted to its ``type``
(:mod:`tf_types`); ``local.x``, ``module.x.output`` (local module sources only, one instance per
``count`` / ``for_each`` instance of the call) and the configured arguments of the module's
resources are evaluated where they are written, each resource instance with its own ``each`` /
``count`` (:mod:`tf_instances`). Each kind of reference root has its handler in
:data:`tf_references.ROOTS`; every other root names a resource. What cannot be known is an
:class:`~m2m_guard.model.Unknown` with the reason, never a guess.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from m2m_guard.model import Unknown
from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.terraform_expr import Handle, Invalid, Step, evaluate, render, unknown_of
from m2m_guard.sources.tf_blocks import Block
from m2m_guard.sources.tf_instances import Instance, count_keys, dynamic_items, for_each_keys, instance_of
from m2m_guard.sources.tf_modules import TWICE, Folder, Loader, Module, is_local, module_source
from m2m_guard.sources.tf_references import ROOTS, Reference, resource
from m2m_guard.sources.tf_types import convert
from m2m_guard.sources.tf_values import instance_key
from m2m_guard.sources.vocabulary import TF_POOL, TF_SERVER

#: Bounds on module instances per evaluated root and on call depth (a cycle of local module
#: calls is invalid Terraform, but must not hang the scan).
MAX_MODULE_INSTANCES = 256
MAX_MODULE_DEPTH = 16
#: Instances one resource block may expand to (more: the instances are not known).
MAX_RESOURCE_INSTANCES = 1024

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
    instance: Instance | None = None

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
        values: dict[str, Any] | None = None,
    ) -> None:
        self.loader = loader
        self.module = module
        self.prefix = prefix
        self.args = args
        self.stack = stack
        self.root = root
        #: Why this module instance may not exist (a module call's count or for_each unknown).
        self.may_not_exist = may_not_exist
        #: The root module's variable values from .tfvars files (None: not the root module).
        self.values = values
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._children: dict[str, list[Scope] | Unknown] = {}
        #: This instance's key among its module call's instances (None: the call has one).
        self.key: int | str | None = None

    @classmethod
    def of_root(cls, loader: Loader, folder: Folder) -> Scope:
        """The root module instance of ``folder``, with its variable definitions files."""
        module, values = loader.module(folder), loader.root_values(folder)
        return cls(loader, module, "", None, (folder.path,), Root(folder.path), values=values)

    def tree(self) -> Iterator[Scope]:
        """This instance and every module instance it creates, depth first."""
        yield self
        for name in self.module.calls:
            children = self.children(name)
            for child in children if isinstance(children, list) else ():
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
            # an argument the call passes names a variable declared in a file not scanned (as
            # Terraform rejects one the module does not declare): its value is the argument
            if self.args is not None and name in self.args:
                return self.args[name]()
            return Unknown(f"var.{name} is not declared")
        if decl is TWICE:
            return Unknown(f"var.{name} is declared more than once")
        if self.args is not None and name in self.args:
            value = self.args[name]()
        elif self.values is not None and name in self.values:
            value = self.values[name]
        elif "default" in decl.attrs:
            value = self.eval(decl.attrs["default"].expr, None)
        else:
            return Unknown(f"var.{name} has no default")
        kind = decl.attrs.get("type")
        return convert(value, kind.expr, lambda node: self.eval(node, None)) if kind else value

    def local(self, name: str) -> Any:
        return self.cached(("local", name), f"local.{name}", lambda: self._local(name))

    def _local(self, name: str) -> Any:
        found = self.module.locals.get(name)
        if found is None:
            return Unknown(f"local.{name} is not defined")
        if found is TWICE:
            return Unknown(f"local.{name} is defined more than once")
        return self.eval(found[0].expr, None)

    def children(self, name: str) -> list[Scope] | Unknown:
        """The instances of module call ``name`` (one per ``count`` / ``for_each`` instance when
        they are known, else one standing for all), or why it is not read."""
        if name not in self._children:
            self._children[name] = self._instances_of_call(name)
        return self._children[name]

    def child(self, name: str, key: Any = None) -> Scope | Unknown:
        """One instance of module call ``name``: ``key`` names it (None: a call without count
        or for_each, or one whose instances are not known)."""
        children = self.children(name)
        if isinstance(children, Unknown):
            return children
        if key is None and len(children) == 1 and children[0].key is None:
            return children[0]
        if isinstance(key, Unknown):
            return key
        found = next((c for c in children if c.key is not None and c.key == key), None)
        if found is None and all(c.key is None for c in children):
            return children[0]  # instances not known: which one does not matter
        return found or Invalid(f"module.{name}{'' if key is None else instance_key(key)} is not an instance")

    def _instances_of_call(self, name: str) -> list[Scope] | Unknown:
        call = self.module.calls.get(name)
        if call is None:
            return Unknown(f"module.{name} is not defined")
        folder = self._callee(name, call)
        if isinstance(folder, Unknown):
            return folder
        found = self.instances(call)
        if isinstance(found, list) and not found:
            return Unknown(f"module.{name} is not created ({call.repeat()} is empty)")
        if isinstance(found, list) and self.root.instances + len(found) > MAX_MODULE_INSTANCES:
            return Unknown(f"module.{name} makes more module instances than are evaluated")
        doubt = self.may_not_exist
        if doubt is None and isinstance(found, Unknown):
            doubt = Unknown(f"module.{name} {found.reason}")
        module = self.loader.module(folder)
        stack = (*self.stack, folder.path)
        children = []
        for instance in found if isinstance(found, list) else [None]:
            self.root.instances += 1
            args: dict[str, Callable[[], Any]] = {
                arg: functools.partial(self.eval, value.expr, call.repeat(), instance)
                for arg, value in call.attrs.items()
                if arg not in _MODULE_META
            }
            prefix = f"{self.prefix}module.{name}{instance.suffix if instance else ''}."
            child = Scope(self.loader, module, prefix, args, stack, self.root, doubt)
            child.key = instance.key if instance else None
            children.append(child)
        return children

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

    def output(self, call: str, name: str, key: Any = None) -> Any:
        child = self.child(call, key)
        if isinstance(child, Unknown):
            return child
        decl = child.module.outputs.get(name)
        if decl is None or decl is TWICE or "value" not in decl.attrs:
            return Unknown(f"module.{call}.{name} is not an output of {child.module.path}")
        expr = decl.attrs["value"].expr
        return child.cached(("output", name), f"module.{call}.{name}", lambda: child.eval(expr, None))

    # Resources.
    def instances(self, block: Block) -> list[Instance] | Unknown | None:
        """The instances of a block with ``count`` or ``for_each`` (None: it has neither; unknown
        when they are not known), in Terraform's order: by index, by key (lexicographic)."""
        rep = block.repeat()
        if rep is None:
            return None
        text = f"{self.address(block)}.{rep}"
        found: Any = self.cached(("instances", id(block)), text, lambda: self._instances(block, rep))
        return found  # type: ignore[no-any-return]

    def _instances(self, block: Block, rep: str) -> list[Instance] | Unknown:
        value: Any = self.eval(block.attrs[rep].expr, None)
        pairs = count_keys(value) if rep == "count" else for_each_keys(value)
        if isinstance(pairs, Unknown):
            return pairs
        if len(pairs) > MAX_RESOURCE_INSTANCES:
            return Unknown(f"{rep}: more than {MAX_RESOURCE_INSTANCES} instances are not expanded")
        return [instance_of(key, item, rep) for key, item in pairs]

    def address(self, block: Block, instance: Instance | None = None) -> str:
        return f"{self.prefix}{'.'.join(block.labels)}{instance.suffix if instance else ''}"

    def attribute(self, block: Block, name: str, instance: Instance | None = None) -> Any:
        """A configured argument of a resource (instance), evaluated in its own context."""
        address = self.address(block, instance)
        if block.labels[0] == TF_POOL and name == "id":
            return PoolId(address, block, self, instance)
        key, text = ("attr", id(block), name, instance and instance.key), f"{address}.{name}"
        if block.labels[0] == TF_SERVER and name == "scope_identifiers":
            return self.cached(key, text, lambda: self._scope_identifiers(block, instance))
        attr = block.attrs.get(name)
        if attr is None or name in RESOURCE_META:
            return Unknown(f"{address}.{name} is known after apply")
        return self.cached(key, text, lambda: self.eval(attr.expr, block.repeat(), instance))

    def _scope_identifiers(self, block: Block, instance: Instance | None) -> Any:
        """``aws_cognito_resource_server.X.scope_identifiers``, built from its ``scope`` blocks
        (the provider's ``identifier/scope_name``, one per scope)."""
        address = self.address(block, instance)
        identifier = self.attribute(block, "identifier", instance)
        if not isinstance(identifier, (str, Unknown)):
            identifier = Unknown(f"{address}.identifier is not a string")
        names: list[Any] = []
        for scope in block.blocks:
            if scope.type == "scope":
                attr = scope.attrs.get("scope_name")
                names.append(self.eval(attr.expr, block.repeat(), instance) if attr else None)
            elif scope.type == "dynamic" and scope.labels[:1] == ("scope",):
                made = self.dynamic(block, scope, instance)
                if isinstance(made, Unknown):
                    return Unknown(f"{address}.scope_identifiers: {made.reason}")
                names.extend(args.get("scope_name") for args in made)
        found: list[Any] = []
        for name in names:
            if isinstance(identifier, Unknown):
                found.append(identifier)
            elif isinstance(name, str):
                found.append(f"{identifier}/{name}")
            else:
                found.append(unknown_of(name, f"{address}: a scope_name is not a string"))
        return found

    # Expressions.
    def eval(
        self,
        node: ast.Expr,
        rep: str | None,
        instance: Instance | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        """The value of an expression; ``rep`` is the enclosing resource's count/for_each,
        ``instance`` the instance of it being evaluated (None: all of them at once), ``extra``
        more names (a dynamic block's iterator)."""
        return evaluate(node, self, rep, {**(instance.bound if instance else {}), **(extra or {})})

    def dynamic(
        self, resource: Block, block: Block, instance: Instance | None
    ) -> list[dict[str, Any]] | Unknown:
        """The arguments of each block a ``dynamic`` block of ``resource`` makes, evaluated with
        its iterator (named by ``iterator``, else the block's label) bound to each element."""
        each = block.attrs.get("for_each")
        content = next((b for b in block.blocks if b.type == "content"), None)
        if each is None or content is None:
            return Invalid(f"dynamic {block.label!r} needs for_each and content")
        items = dynamic_items(self.eval(each.expr, resource.repeat(), instance))
        if isinstance(items, Unknown):
            return Unknown(f"dynamic {block.label}: {items.reason}")
        named = block.attrs.get("iterator")
        iterator = named.expr.name if named and isinstance(named.expr, ast.Variable) else block.label
        return [
            {
                name: self.eval(
                    attr.expr, resource.repeat(), instance, {iterator: {"key": key, "value": value}}
                )
                for name, attr in content.attrs.items()
            }
            for key, value in items
        ]

    def reference(self, root: str, steps: list[Step], rep: str | None) -> Any:
        """``root.steps...``: a name of this module instance (:class:`terraform_expr.Names`)."""
        text = render(root, steps)
        if not steps or steps[0][0] != "attr":
            return Unknown(f"{text} is not evaluated")
        return ROOTS.get(root, resource)(self, root, Reference(text, steps[0][1], steps[1:], rep))
