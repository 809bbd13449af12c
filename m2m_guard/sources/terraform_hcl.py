"""Terraform HCL (``.tf`` files) -> app clients, best effort, without running Terraform.

One folder's ``.tf`` files form a module (as in Terraform); ``aws_cognito_user_pool_client``
blocks become clients, with the provider attributes renamed to DescribeUserPoolClient keys by
the same table as the plan source (:data:`vocabulary.ATTRIBUTE_KEYS`). The reader does no I/O:
it receives file texts, module folders through a ``read_folder`` callback, and the variable
definitions files of a root module's folder through a ``read_vars`` one.

This module evaluates the folders of a scan; the rest is split by what it holds:

* tf_blocks.py: parsing a file (m2m-guard's own HCL parser, :mod:`hcl_syntax`) into blocks;
* tf_modules.py: folders and modules, what a local module source is, the cheap text filter;
* tf_vars.py: variable definitions files (``terraform.tfvars``, ``*.auto.tfvars``, ``--var-file``);
* tf_scope.py: one module instance: ``var``, ``local``, ``module``, resource attributes;
  tf_references.py: one handler per reference root; tf_instances.py: ``count``, ``for_each``
  and ``dynamic`` blocks; tf_types.py: variable type constraints (``optional`` attributes);
* terraform_expr.py: expressions (operators, templates, collections, ``for``, splats,
  conditionals), one handler per node; tf_functions.py: Terraform's functions, one per name;
  tf_values.py: values and Terraform's conversions between them;
* tf_clients.py: clients and their pools.

What is evaluated, as Terraform evaluates it (anything else is
:class:`~m2m_guard.model.Unknown`, with the reason): literals, collections, templates and
heredocs, operators, conditionals, ``for`` expressions, splats, the functions of
:data:`tf_functions.FUNCTIONS` with ``try`` and ``can``; ``var.x`` (the call's argument, the
``.tfvars`` values, the ``default``), ``local.x``, ``module.x.output``, the configured arguments
of the module's resources (``aws_cognito_resource_server.orders.identifier``, and
``scope_identifiers`` built from its ``scope`` blocks, dynamic ones included); ``dynamic``
blocks whose ``for_each`` is known. Not evaluated: other functions (their name is in the
reason), template directives, ``data.*``, computed attributes (``aws_cognito_user_pool.main.arn``),
``path.*``, ``terraform.*``.

Attributes the configuration does not set (or sets to ``null``) are absent, so the model
applies Cognito's defaults (access token 60 minutes, unit hours).

``count`` / ``for_each`` (of resources and module calls) with a known value expand to one
instance each, addressed as Terraform addresses them (``aws_cognito_user_pool_client.svc[0]``,
``module.m["a"].aws_cognito_user_pool_client.this``), each evaluated with its own ``count.index``
/ ``each.key`` / ``each.value``; none for ``count = 0`` or an empty ``for_each``. One whose value
is not known stays one client, addressed without an instance key, whose instance-dependent values
are unknown and which may have no instance at all (:attr:`~m2m_guard.model.AppClient.may_not_exist`:
possibly M2M, notes only, never a certain verdict, and not counted in budgets).

Terraform 0.11 list interpolation, ``["${var.flows}"]`` with a list ``var.flows``, is that list.

Pools: ``user_pool_id = aws_cognito_user_pool.main.id`` (``main[0].id`` for an instance) ties the
client to that pool resource (key ``"<root folder>#<address>"``); a literal id (or a variable
whose value is one) is the pool key itself; anything else is an unknown pool of its own.

Modules: a call whose ``source`` is a local path (``./``, ``../``) is read through
``read_folder`` and evaluated with the call's arguments (an argument for a variable the module's
files do not declare is taken as its value: the declaration is in a file not scanned); its
clients are addressed ``module.NAME.aws_cognito_user_pool_client.X``. Remote sources (registry,
git) are not read.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Sequence

from m2m_guard.model import AppClient
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.tf_blocks import MAX_CHARS, Block, parse
from m2m_guard.sources.tf_clients import load_clients
from m2m_guard.sources.tf_modules import Folder, Loader, ReadFolder, TfFile, is_local, may_define
from m2m_guard.sources.tf_vars import is_auto_loaded, load_order

#: ``read_vars(folder's display path)``: the variable definitions files Terraform loads from that
#: folder as the root module, in its order (:func:`tf_vars.load_order`). Reading is the caller's.
ReadVars = Callable[[str], tuple[TfFile, ...]]

__all__ = [
    "ReadVars",
    "MAX_CHARS",
    "Block",
    "Folder",
    "ReadFolder",
    "Scan",
    "TfFile",
    "is_auto_loaded",
    "is_local",
    "load_order",
    "load_folders",
    "load_module",
    "may_define",
    "parse",
]


def load_module(
    files: Sequence[TfFile], read_folder: ReadFolder | None = None, folder: str | None = None
) -> list[AppClient]:
    """The clients of one module given as file texts; raises the first file's SourceError."""
    path = folder if folder is not None else (posixpath.dirname(files[0][0]) if files else "") or "."
    loader = Loader(read_folder)
    clients = load_clients(loader, Folder(path, tuple(files)))
    for error in loader.problems.values():
        raise error
    return clients


class Scan:
    """The ``.tf`` files a scan found, grouped per folder (a folder is a module), to evaluate.

    Named files are always parsed (a broken one fails the run); walked folders only when their
    text shows that they may define Cognito resources (one of ``markers``), themselves or
    through a local module call.
    """

    def __init__(
        self,
        read_folder: ReadFolder,
        markers: Sequence[str],
        read_vars: ReadVars | None = None,
        var_files: Sequence[TfFile] = (),
    ) -> None:
        self.read_folder = read_folder
        self.markers = markers
        self.read_vars = read_vars
        self.var_files = tuple(var_files)
        self._groups: dict[str, list[TfFile]] = {}
        self._named: set[str] = set()  # files named on the command line
        self._named_folders: set[str] = set()
        self._texts: dict[str, str] = {}  # every file read, module folders' too

    def add(self, folder: str, file: TfFile, named: bool) -> None:
        """One file read, in the folder of display path ``folder``."""
        self._groups.setdefault(folder, []).append(file)
        self._texts[file[0]] = file[1]
        if named:
            self._named.add(file[0])
            self._named_folders.add(folder)

    def load(self) -> tuple[list[AppClient], dict[str, SourceError]]:
        """The clients, and the files that could not be parsed and may matter (named, or
        mentioning Cognito): their errors fail the run."""
        seen: dict[str, bool] = {}
        folders = [
            dataclasses.replace(folder, var_files=self.read_vars(folder.path) if self.read_vars else ())
            for folder in (Folder(path, tuple(files)) for path, files in self._groups.items())
            if folder.path in self._named_folders or may_define(folder, self._open, self.markers, seen)
        ]
        # variable definitions files of the folders evaluated, and those named for the run
        self._named.update(path for folder in folders for path, _ in folder.var_files)
        self._named.update(path for path, _ in self.var_files)
        clients, problems = load_folders(folders, self._open, self.var_files)
        return clients, {path: error for path, error in problems.items() if self._matters(path)}

    def _open(self, base: str, source: str) -> Folder | None:
        folder = self.read_folder(base, source)
        self._texts.update(folder.files if folder is not None else ())
        return folder

    def _matters(self, path: str) -> bool:
        text = self._texts.get(path, "")
        return path in self._named or any(marker in text for marker in self.markers)


def load_folders(
    folders: Sequence[Folder], read_folder: ReadFolder, var_files: Sequence[TfFile] = ()
) -> tuple[list[AppClient], dict[str, SourceError]]:
    """The clients of the folders a scan found, and the files that could not be parsed.

    A folder that a module call of another one uses is evaluated through the call(s) (with its
    arguments, under ``module.NAME.`` addresses), not again on its own: no duplicate clients.
    Folders only reached from a cycle of calls are evaluated last, on their own.
    """
    loader = Loader(read_folder, var_files)
    called: set[str] = set()
    for folder in folders:
        called.update(loader.local_calls(folder))
    clients: list[AppClient] = []
    for folder in folders:
        if folder.path not in called:
            clients.extend(load_clients(loader, folder))
    for folder in folders:
        if folder.path in called and folder.path not in loader.reached:
            clients.extend(load_clients(loader, folder))
    return clients, loader.problems
