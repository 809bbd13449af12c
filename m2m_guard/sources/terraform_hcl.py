"""Terraform HCL (``.tf`` files) -> app clients, best effort, without running Terraform.

One folder's ``.tf`` files form a module (as in Terraform); ``aws_cognito_user_pool_client``
blocks become clients, with the provider attributes renamed to DescribeUserPoolClient keys by
the same table as the plan source (:data:`vocabulary.ATTRIBUTE_KEYS`). The reader does no I/O:
it receives file texts, and module folders through a ``read_folder`` callback.

This module evaluates the folders of a scan; the rest is split by what it holds:

* tf_blocks.py: parsing a file (m2m-guard's own HCL parser, :mod:`hcl_syntax`) into blocks;
* tf_modules.py: folders and modules, what a local module source is, the cheap text filter;
* tf_scope.py: one module instance: ``var``, ``local``, ``module``, resource attributes,
  ``count`` / ``for_each``;
* terraform_expr.py: expressions (operators, templates, collections), one handler per node;
* tf_clients.py: clients and their pools.

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

import posixpath
from collections.abc import Sequence

from m2m_guard.model import AppClient
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.tf_blocks import MAX_CHARS, Block, parse
from m2m_guard.sources.tf_clients import load_clients
from m2m_guard.sources.tf_modules import Folder, Loader, ReadFolder, TfFile, is_local, may_define

__all__ = [
    "MAX_CHARS",
    "Block",
    "Folder",
    "ReadFolder",
    "Scan",
    "TfFile",
    "is_local",
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

    def __init__(self, read_folder: ReadFolder, markers: Sequence[str]) -> None:
        self.read_folder = read_folder
        self.markers = markers
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
            folder
            for folder in (Folder(path, tuple(files)) for path, files in self._groups.items())
            if folder.path in self._named_folders or may_define(folder, self._open, self.markers, seen)
        ]
        clients, problems = load_folders(folders, self._open)
        return clients, {path: error for path, error in problems.items() if self._matters(path)}

    def _open(self, base: str, source: str) -> Folder | None:
        folder = self.read_folder(base, source)
        self._texts.update(folder.files if folder is not None else ())
        return folder

    def _matters(self, path: str) -> bool:
        text = self._texts.get(path, "")
        return path in self._named or any(marker in text for marker in self.markers)


def load_folders(
    folders: Sequence[Folder], read_folder: ReadFolder
) -> tuple[list[AppClient], dict[str, SourceError]]:
    """The clients of the folders a scan found, and the files that could not be parsed.

    A folder that a module call of another one uses is evaluated through the call(s) (with its
    arguments, under ``module.NAME.`` addresses), not again on its own: no duplicate clients.
    Folders only reached from a cycle of calls are evaluated last, on their own.
    """
    loader = Loader(read_folder)
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
