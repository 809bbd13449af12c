"""Terraform HCL (``.tf`` files) -> app clients, best effort, without running Terraform.

One folder's ``.tf`` files form a module (as in Terraform); ``aws_cognito_user_pool_client``
blocks become clients, with the provider attributes renamed to DescribeUserPoolClient keys by
the same table as the plan source (:data:`vocabulary.ATTRIBUTE_KEYS`). Files are parsed by
m2m-guard's own HCL parser (:mod:`hcl_syntax`) and expressions evaluated by
:mod:`terraform_expr`; this module does no I/O: it receives file texts, and module folders
through a ``read_folder`` callback.

What is evaluated (anything else is :class:`~m2m_guard.model.Unknown`, with the reason):

* literals, lists, objects, string templates and heredocs, and the operators (``?:``, ``==``,
  ``&&``, ``+``);
* ``var.x``: the module call's argument, else the variable's ``default``, else
  ``Unknown("var.x has no default")``; ``.tfvars`` files are not read;
* ``local.x``, ``module.x.output`` (local module sources only), and the configured arguments of
  resources of the same module (``aws_cognito_resource_server.orders.identifier``);
  ``aws_cognito_resource_server.x.scope_identifiers`` is built from the ``scope`` blocks;
* not evaluated: function calls, ``for`` expressions, splats, template directives, ``data.*``
  and computed attributes (``aws_cognito_user_pool.main.arn``), ``path.*``, ``terraform.*``.

Attributes the configuration does not set (or sets to ``null``) are absent, so the model
applies Cognito's defaults (access token 60 minutes, unit hours).

``count`` / ``for_each``: instances are not expanded. A resource is one client addressed
``aws_cognito_user_pool_client.NAME``, without an instance key, standing for all its instances
(so a budget counts it once: a lower bound); values that depend on ``count.index`` or
``each.*`` are unknown. A resource (or module call) whose ``count`` is known to be 0, or whose
``for_each`` is known to be empty, is not created and not checked; one whose ``count`` or
``for_each`` is not known (a function call, a ``for`` expression, a data source) may have no
instance at all: its clients carry :attr:`~m2m_guard.model.AppClient.may_not_exist`, so they are
at most possibly M2M (notes, never a certain verdict, and not counted in budgets).

Terraform 0.11 list interpolation, ``["${var.flows}"]`` with a list ``var.flows``, is that list.

Pools: ``user_pool_id = aws_cognito_user_pool.main.id`` (with or without an index) ties the
client to that pool resource (key ``"<root folder>#<address>"``); a literal id (or a variable
whose value is one) is the pool key itself; anything else is an unknown pool of its own.

Modules: a call whose ``source`` is a local path (``./``, ``../``) is read through
``read_folder`` and evaluated with the call's arguments; its clients are addressed
``module.NAME.aws_cognito_user_pool_client.X``. Remote sources (registry, git) are not read.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_syntax import parse as parse_hcl
from m2m_guard.sources.normalize import SECRET_KEYS, normalize
from m2m_guard.sources.terraform_expr import (
    Handle,
    Step,
    apply,
    evaluate,
    plain,
    render,
    unknown_of,
)
from m2m_guard.sources.vocabulary import (
    ATTRIBUTE_KEYS,
    BLOCK_ATTRIBUTES,
    TF_CLIENT,
    TF_POOL,
    TF_SERVER,
    pascal,
)

#: (display path, text) of one ``.tf`` file.
TfFile = tuple[str, str]

#: Larger files are not parsed. The parser reads about 2 MiB a second and holds about 25 bytes
#: of tokens per character while it works, so 4 MiB costs about 2 s and 100 MB at worst; real
#: ``.tf`` files are a few KB, and one of megabytes is generated, not reviewed.
MAX_CHARS = 4 * 1024 * 1024
#: Bounds on module instances per evaluated root and on call depth (a cycle of local module
#: calls is invalid Terraform, but must not hang the scan).
MAX_MODULE_INSTANCES = 256
MAX_MODULE_DEPTH = 16

_RESOURCE_META = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle"})
_MODULE_META = frozenset({"source", "version", "count", "for_each", "depends_on", "providers"})


@dataclass(frozen=True)
class Folder:
    """One module folder: its display path (``"."`` for the report root) and its ``.tf`` files."""

    path: str
    files: tuple[TfFile, ...]


#: ``read_folder(calling folder's path, source as written)``: the module folder, or None when
#: it does not exist. Reading is the caller's business (inputs.py).
ReadFolder = Callable[[str, str], Folder | None]


def load_module(
    files: Sequence[TfFile], read_folder: ReadFolder | None = None, folder: str | None = None
) -> list[AppClient]:
    """The clients of one module given as file texts; raises the first file's SourceError."""
    path = folder if folder is not None else (posixpath.dirname(files[0][0]) if files else "") or "."
    loader = Loader(read_folder)
    clients = loader.load(Folder(path, tuple(files)))
    for error in loader.problems.values():
        raise error
    return clients


# --- parsing -----------------------------------------------------------------------------------


@dataclass
class _Block:
    type: str
    labels: tuple[str, ...]
    path: str
    line: int | None
    attrs: dict[str, ast.Attribute] = field(default_factory=dict)
    blocks: list[_Block] = field(default_factory=list)

    def repeat(self) -> str | None:
        """``count`` or ``for_each`` when the block has one (its values may depend on it)."""
        return "count" if "count" in self.attrs else "for_each" if "for_each" in self.attrs else None


def parse(path: str, text: str) -> list[_Block]:
    """The top-level blocks of one file; raises SourceError (one line, with the line number)."""
    if len(text) > MAX_CHARS:
        raise SourceError(f"HCL file larger than {MAX_CHARS // (1024 * 1024)} MiB is not parsed")
    body = parse_hcl(text)
    return [_block(item, path) for item in body.items if isinstance(item, ast.Block)]


def _block(node: ast.Block, path: str) -> _Block:
    block = _Block(node.type, node.labels, path, node.line)
    for item in node.body.items:
        if isinstance(item, ast.Attribute):
            block.attrs.setdefault(item.name, item)  # a repeated argument is invalid Terraform
        else:
            block.blocks.append(_block(item, path))
    return block


def _literal_string(node: ast.Expr) -> str | None:
    """The value of a plain quoted string expression (``source = "./x"``), else None."""
    if isinstance(node, ast.Template) and all(isinstance(part, str) for part in node.parts):
        return "".join(str(part) for part in node.parts)
    return None


# --- modules -----------------------------------------------------------------------------------

_TWICE: Any = object()  # a variable, local or output declared more than once (invalid Terraform)


@dataclass
class _Module:
    """The definitions of one folder's files, shared by every instance of the module."""

    path: str
    variables: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[tuple[str, str], _Block] = field(default_factory=dict)
    cognito: list[_Block] = field(default_factory=list)  # clients and resource servers, in order
    calls: dict[str, _Block] = field(default_factory=dict)

    def add(self, block: _Block) -> None:
        label = block.labels[0] if block.labels else ""
        if block.type == "variable":
            self.variables[label] = _TWICE if label in self.variables else block
        elif block.type == "output":
            self.outputs[label] = _TWICE if label in self.outputs else block
        elif block.type == "locals":
            for name, attr in block.attrs.items():
                self.locals[name] = _TWICE if name in self.locals else (attr, block)
        elif block.type == "module":
            self.calls.setdefault(label, block)
        elif block.type == "resource" and len(block.labels) == 2:
            self.resources.setdefault((block.labels[0], block.labels[1]), block)
            if block.labels[0] in (TF_CLIENT, TF_SERVER):
                self.cognito.append(block)


class Loader:
    """Parses each file once and evaluates folders as root modules.

    ``problems`` maps the display path of each file that could not be parsed to its error (the
    file's other folder-mates are still evaluated); ``reached`` holds the folders entered
    through a module call.
    """

    def __init__(self, read_folder: ReadFolder | None = None) -> None:
        self.read_folder = read_folder
        self.problems: dict[str, SourceError] = {}
        self.reached: set[str] = set()
        self._files: dict[str, list[_Block]] = {}
        self._modules: dict[tuple[str, ...], _Module] = {}

    def module(self, folder: Folder) -> _Module:
        # Keyed by the files too: named files alone are not the same module as their folder.
        key = (folder.path, *(path for path, _ in folder.files))
        found = self._modules.get(key)
        if found is not None:
            return found
        module = self._modules[key] = _Module(folder.path)
        for path, text in folder.files:
            for block in self._parse(path, text):
                module.add(block)
        return module

    def _parse(self, path: str, text: str) -> list[_Block]:
        if path not in self._files:
            try:
                self._files[path] = parse(path, text)
            except SourceError as exc:
                self.problems.setdefault(path, exc)
                self._files[path] = []
        return self._files[path]

    def open(self, base: str, source: str) -> Folder | None:
        return self.read_folder(base, source) if self.read_folder is not None else None

    def local_calls(self, folder: Folder) -> list[str]:
        """The paths of the existing local folders that the folder's module calls use."""
        found: list[str] = []
        for call in self.module(folder).calls.values():
            attr = call.attrs.get("source")
            source = _literal_string(attr.expr) if attr else None
            if source and _is_local(source):
                target = self.open(folder.path, source)
                if target is not None and target.path not in found:
                    found.append(target.path)
        return found

    def load(self, folder: Folder) -> list[AppClient]:
        """The clients of ``folder`` evaluated as a root module (local module calls followed)."""
        root = _Root(folder.path)
        scopes = list(_Scope(self, self.module(folder), "", None, (folder.path,), root).tree())
        servers: dict[str, dict[str, None]] = {}
        uncertain: set[str] = set()
        for scope in scopes:
            for block in scope.module.cognito:
                if block.labels[0] == TF_SERVER and scope.exists(block) is not False:
                    ref = scope.pool_of(block)
                    if ref.known:
                        identifier = scope.attribute(block, "identifier")
                        if isinstance(identifier, str) and identifier:
                            servers.setdefault(ref.key, {})[identifier] = None
                        else:
                            uncertain.add(ref.key)  # this pool's server list is not fully known
        ids = {key: tuple(found) for key, found in servers.items()}
        clients = []
        for scope in scopes:
            for block in scope.module.cognito:
                exists = scope.exists(block) if block.labels[0] == TF_CLIENT else False
                if exists is not False:
                    clients.append(scope.client(block, ids, uncertain, exists))
        return clients


def _is_local(source: str) -> bool:
    # Terraform's rule: a local path starts with ./ or ../ (anything else is a registry or VCS).
    return source.startswith(("./", "../", ".\\", "..\\"))


# --- evaluation --------------------------------------------------------------------------------


@dataclass
class _Root:
    folder: str
    instances: int = 0


@dataclass(frozen=True)
class _PoolId(Handle):
    """``aws_cognito_user_pool.X.id``: known only after apply, but it identifies the pool."""

    address: str
    block: _Block
    scope: _Scope

    @property
    def unknown(self) -> Unknown:
        return Unknown(f"{self.address}.id is known after apply")


@dataclass(frozen=True)
class _PoolRef:
    key: str
    label: str
    names: tuple[str, ...] = ()
    location: Location | None = None
    defined: bool = False  # the pool resource is in the scanned files
    known: bool = True


_BUSY: Any = object()


class _Scope:
    """One module instance: a module's definitions with its inputs (None: the root module)."""

    def __init__(
        self,
        loader: Loader,
        module: _Module,
        prefix: str,
        args: dict[str, Callable[[], Any]] | None,
        stack: tuple[str, ...],
        root: _Root,
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
        self._children: dict[str, _Scope | Unknown] = {}

    def tree(self) -> Iterator[_Scope]:
        """This instance and every module instance it creates, depth first."""
        yield self
        for name in self.module.calls:
            child = self.child(name)
            if isinstance(child, _Scope):
                yield from child.tree()

    def _cached(self, key: tuple[Any, ...], text: str, compute: Callable[[], Any]) -> Any:
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
        return self._cached(("var", name), f"var.{name}", lambda: self._var(name))

    def _var(self, name: str) -> Any:
        decl = self.module.variables.get(name)
        if decl is None:
            return Unknown(f"var.{name} is not declared")
        if decl is _TWICE:
            return Unknown(f"var.{name} is declared more than once")
        if self.args is not None and name in self.args:
            return self.args[name]()
        if "default" in decl.attrs:
            return self.eval(decl.attrs["default"].expr, None)
        return Unknown(f"var.{name} has no default")

    def local(self, name: str) -> Any:
        def compute() -> Any:
            found = self.module.locals.get(name)
            if found is None:
                return Unknown(f"local.{name} is not defined")
            if found is _TWICE:
                return Unknown(f"local.{name} is defined more than once")
            return self.eval(found[0].expr, None)

        return self._cached(("local", name), f"local.{name}", compute)

    def child(self, name: str) -> _Scope | Unknown:
        """The instance of module call ``name``, or why it is not read."""
        if name not in self._children:
            self._children[name] = self._child(name)
        return self._children[name]

    def _child(self, name: str) -> _Scope | Unknown:
        call = self.module.calls.get(name)
        if call is None:
            return Unknown(f"module.{name} is not defined")
        attr = call.attrs.get("source")
        source = _literal_string(attr.expr) if attr else None
        if source is None:
            return Unknown(f"module.{name} has no literal source")
        if not _is_local(source):
            return Unknown(f"module.{name} is not read (source {source!r} is not a local folder)")
        folder = self.loader.open(self.module.path, source)
        if folder is None:
            return Unknown(f"module.{name} is not read (folder {source!r} not found)")
        self.loader.reached.add(folder.path)
        if folder.path in self.stack:
            return Unknown(f"module.{name} calls itself")
        if len(self.stack) > MAX_MODULE_DEPTH or self.root.instances >= MAX_MODULE_INSTANCES:
            return Unknown(f"module.{name} is nested too deeply")
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
        return _Scope(
            self.loader,
            self.loader.module(folder),
            f"{self.prefix}module.{name}.",
            args,
            (*self.stack, folder.path),
            self.root,
            doubt,
        )

    def output(self, call: str, name: str) -> Any:
        child = self.child(call)
        if isinstance(child, Unknown):
            return child
        decl = child.module.outputs.get(name)
        if decl is None or decl is _TWICE or "value" not in decl.attrs:
            return Unknown(f"module.{call}.{name} is not an output of {child.module.path}")
        return child._cached(
            ("output", name), f"module.{call}.{name}", lambda: child.eval(decl.attrs["value"].expr, None)
        )

    # Resources.
    def exists(self, block: _Block) -> bool | Unknown:
        """Whether the block makes any instance: False when ``count`` is known to be 0 or
        ``for_each`` known to be empty, unknown when they are not known (it may make none)."""
        rep = block.repeat()
        if rep is None:
            return True
        value: Any = self.eval(block.attrs[rep].expr, None)
        if rep == "count":
            if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
                return value.strip("0 ") != ""  # Terraform converts a numeric string
            whole = type(value) is int or isinstance(value, float) and value.is_integer()
            if whole and value >= 0:
                return bool(value > 0)
            reason = unknown_of(value, "not a whole number").reason
        elif isinstance(value, (list, dict)):
            return bool(value)
        else:
            reason = unknown_of(value, "not a map or a set").reason
        return Unknown(f"{rep}: {reason}")

    def address(self, block: _Block) -> str:
        return f"{self.prefix}{'.'.join(block.labels)}"

    def attribute(self, block: _Block, name: str) -> Any:
        """A configured argument of a resource, evaluated in its own context."""
        address = self.address(block)
        if block.labels[0] == TF_POOL and name == "id":
            return _PoolId(address, block, self)
        if block.labels[0] == TF_SERVER and name == "scope_identifiers":
            return self._cached(("attr", id(block), name), f"{address}.{name}", lambda: self._scopes(block))
        attr = block.attrs.get(name)
        if attr is None or name in _RESOURCE_META:
            return Unknown(f"{address}.{name} is known after apply")
        return self._cached(
            ("attr", id(block), name), f"{address}.{name}", lambda: self.eval(attr.expr, block.repeat())
        )

    def _scopes(self, block: _Block) -> Any:
        address = self.address(block)
        if any(b.type == "dynamic" and b.labels[:1] == ("scope",) for b in block.blocks):
            return Unknown(f"{address}.scope_identifiers come from a dynamic block")
        identifier = self.attribute(block, "identifier")
        if not isinstance(identifier, (str, Unknown)):
            identifier = Unknown(f"{address}.identifier is not a string")
        found: list[Any] = []
        for scope in block.blocks:
            if scope.type != "scope":
                continue
            attr = scope.attrs.get("scope_name")
            name = self.eval(attr.expr, block.repeat()) if attr else None
            if isinstance(identifier, Unknown):
                found.append(identifier)
            elif isinstance(name, str):
                found.append(f"{identifier}/{name}")
            else:
                found.append(unknown_of(name, f"{address}: a scope_name is not a string"))
        return found

    def pool_of(self, block: _Block) -> _PoolRef:
        address = self.address(block)
        value = self.attribute(block, "user_pool_id") if "user_pool_id" in block.attrs else None
        if isinstance(value, _PoolId):
            name = value.scope.attribute(value.block, "name")
            names = (value.address,) + ((name,) if isinstance(name, str) and name else ())
            location = Location(value.block.path, value.block.line, address=value.address)
            return _PoolRef(f"{self.root.folder}#{value.address}", value.address, names, location, True)
        if isinstance(value, str) and value:
            return _PoolRef(value, value, (value,))
        why = (
            "user_pool_id not set"
            if value is None
            else value.reason
            if isinstance(value, Unknown)
            else "user_pool_id is not a string"
        )
        return _PoolRef(f"{block.path}#{address}:pool", f"unknown user pool ({why})", known=False)

    def client(
        self,
        block: _Block,
        servers: Mapping[str, tuple[str, ...]],
        uncertain: set[str],
        exists: bool | Unknown = True,
    ) -> AppClient:
        raw: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for name, attr in block.attrs.items():
            if name in _RESOURCE_META or name in SECRET_KEYS:
                continue
            key = ATTRIBUTE_KEYS.get(name, name)
            raw[key] = plain(self.attribute(block, name))
            if attr.line is not None:
                lines[key] = attr.line
        for nested in block.blocks:
            dynamic = nested.type == "dynamic" and len(nested.labels) == 1
            kind = nested.labels[0] if dynamic else nested.type
            key = ATTRIBUTE_KEYS.get(kind, kind)
            if kind not in BLOCK_ATTRIBUTES or key in raw:
                continue
            if dynamic:
                raw[key] = Unknown(f"{kind} is set by a dynamic block")
            else:
                raw[key] = {
                    pascal(k): plain(self.eval(a.expr, block.repeat())) for k, a in nested.attrs.items()
                }
            if nested.line is not None:
                lines[key] = nested.line
        record = normalize(raw)
        ref = self.pool_of(block)
        ids = servers.get(ref.key)
        resource_servers = (ids or ()) if ref.defined else ids
        if ref.key in uncertain:
            resource_servers = None
        pool = Pool(ref.key, ref.label, ref.names, ref.location, resource_servers)
        location = Location(block.path, block.line, address=self.address(block))
        field_lines = {k: v for k, v in lines.items() if k in record}
        # A client of a module instance that may not exist, or whose own count or for_each is
        # unknown, may have no instance at all: it is checked as possibly M2M, never for certain.
        doubt = self.may_not_exist or (exists if isinstance(exists, Unknown) else None)
        return AppClient(
            record=record, location=location, pool=pool, field_lines=field_lines, may_not_exist=doubt
        )

    # Expressions.

    def eval(self, node: ast.Expr, rep: str | None) -> Any:
        """The value of an expression; ``rep`` is the enclosing resource's count/for_each."""
        return evaluate(node, self, rep)

    def reference(self, root: str, steps: list[Step], rep: str | None) -> Any:
        """``root.steps...``: a name of this module instance (:class:`terraform_expr.Names`)."""
        text = render(root, steps)
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if first is None:
            return Unknown(f"{text} is not evaluated")
        if root == "var":
            return apply(self.var(first), steps[1:], text)
        if root == "local":
            return apply(self.local(first), steps[1:], text)
        if root == "module":
            rest = steps[1:]
            if rest and rest[0][0] == "index":  # one instance of a module with count/for_each
                rest = rest[1:]
            if not rest or rest[0][0] != "attr":
                return Unknown(f"{text} is not evaluated")
            return apply(self.output(first, rest[0][1]), rest[1:], text)
        if root == "count":
            return Unknown("depends on count.index" if rep == "count" else f"{text} outside a count")
        if root == "each":
            return Unknown(f"depends on {text}" if rep == "for_each" else f"{text} outside a for_each")
        if root == "data":
            return Unknown(f"{text} is read from the provider")
        if root in ("path", "terraform", "self"):
            return Unknown(f"{text} is not evaluated")
        block = self.module.resources.get((root, first))
        if block is None:
            return Unknown(f"{text}: {root}.{first} is not defined in {self.module.path}")
        rest = steps[1:]
        if rest and rest[0][0] == "index":
            rest = rest[1:]  # which instance does not matter: instance-dependent values are unknown
        elif block.repeat() and rest:
            return Unknown(f"{text}: {root}.{first} has {block.repeat()}, and no instance is named")
        if not rest or rest[0][0] != "attr":
            return Unknown(f"{text} is not evaluated")
        return apply(self.attribute(block, rest[0][1]), rest[1:], text)
