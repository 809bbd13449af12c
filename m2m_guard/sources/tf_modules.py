"""Folders and modules: which ``.tf`` files make a module, and which folders a module calls.

As in Terraform, one folder's ``.tf`` files form a module. A ``module`` block whose ``source``
is a local path (:func:`is_local`, the one definition m2m-guard has of it) calls the module in
that folder; remote sources (registry, git) are not read. Reading folders is the caller's
business: this module does no I/O and receives them through a :data:`ReadFolder` callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from m2m_guard.sources.document import SourceError
from m2m_guard.sources.tf_blocks import Block, literal_string, parse
from m2m_guard.sources.tf_vars import parse_var_file
from m2m_guard.sources.vocabulary import TF_CLIENT, TF_SERVER

#: (display path, text) of one ``.tf`` file.
TfFile = tuple[str, str]

#: Terraform's rule: a local path starts with ./ or ../ (anything else is a registry or VCS).
LOCAL_PREFIXES = ("./", "../", ".\\", "..\\")

#: ``source = "..."`` as written, for the cheap pre-filter that runs before any parsing.
_SOURCE_TEXT = re.compile(r'\bsource\s*=\s*"([^"]*)"')


def is_local(source: str) -> bool:
    """Whether a module source is a local folder (read) rather than a registry or VCS address."""
    return source.startswith(LOCAL_PREFIXES)


def local_sources(text: str) -> Iterator[str]:
    """The local module sources written in a file's text, without parsing it."""
    return (source for source in _SOURCE_TEXT.findall(text) if is_local(source))


@dataclass(frozen=True)
class Folder:
    """One module folder: its display path (``"."`` for the report root), its ``.tf`` files, and
    the variable definitions files Terraform loads from it when it is the root module
    (``terraform.tfvars``, ``*.auto.tfvars``, in Terraform's order: :func:`tf_vars.load_order`)."""

    path: str
    files: tuple[TfFile, ...]
    var_files: tuple[TfFile, ...] = ()


#: ``read_folder(calling folder's path, source as written)``: the module folder, or None when
#: it does not exist. Reading is the caller's business (inputs.py).
ReadFolder = Callable[[str, str], Folder | None]

#: A variable, local or output declared more than once (invalid Terraform).
TWICE: Any = object()


def module_source(call: Block) -> str | None:
    """The ``source`` of a module call when it is a plain string, else None."""
    attr = call.attrs.get("source")
    return literal_string(attr.expr) if attr else None


@dataclass
class Module:
    """The definitions of one folder's files, shared by every instance of the module."""

    path: str
    variables: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    cognito: list[Block] = field(default_factory=list)  # clients and resource servers, in order
    calls: dict[str, Block] = field(default_factory=dict)

    def add(self, block: Block) -> None:
        _ADD.get(block.type, _ignore)(self, block)


def _add_variable(module: Module, block: Block) -> None:
    module.variables[block.label] = TWICE if block.label in module.variables else block


def _add_output(module: Module, block: Block) -> None:
    module.outputs[block.label] = TWICE if block.label in module.outputs else block


def _add_locals(module: Module, block: Block) -> None:
    for name, attr in block.attrs.items():
        module.locals[name] = TWICE if name in module.locals else (attr, block)


def _add_call(module: Module, block: Block) -> None:
    module.calls.setdefault(block.label, block)


def _add_resource(module: Module, block: Block) -> None:
    if len(block.labels) == 2:
        module.resources.setdefault((block.labels[0], block.labels[1]), block)
        if block.labels[0] in (TF_CLIENT, TF_SERVER):
            module.cognito.append(block)


def _ignore(module: Module, block: Block) -> None:
    """Providers, data sources, terraform settings: nothing the reader evaluates."""


_ADD: dict[str, Callable[[Module, Block], None]] = {
    "variable": _add_variable,
    "output": _add_output,
    "locals": _add_locals,
    "module": _add_call,
    "resource": _add_resource,
}


class Loader:
    """Parses each file once and builds each folder's module once.

    ``problems`` maps the display path of each file that could not be parsed to its error (the
    file's other folder-mates are still evaluated); ``reached`` holds the folders entered
    through a module call.
    """

    def __init__(self, read_folder: ReadFolder | None = None, var_files: Sequence[TfFile] = ()) -> None:
        self.read_folder = read_folder
        #: The variable definitions files named for the run (``--var-file``), in their order.
        self.var_files = tuple(var_files)
        self.problems: dict[str, SourceError] = {}
        self.reached: set[str] = set()
        self._files: dict[str, list[Block]] = {}
        self._modules: dict[tuple[str, ...], Module] = {}
        self._values: dict[str, dict[str, Any]] = {}

    def module(self, folder: Folder) -> Module:
        # Keyed by the files too: named files alone are not the same module as their folder.
        key = (folder.path, *(path for path, _ in folder.files))
        found = self._modules.get(key)
        if found is not None:
            return found
        module = self._modules[key] = Module(folder.path)
        for path, text in folder.files:
            for block in self._parse(path, text):
                module.add(block)
        return module

    def root_values(self, folder: Folder) -> dict[str, Any]:
        """The values of the root module's variables that ``folder``'s variable definitions
        files and the run's ``--var-file`` files set, a later file overriding an earlier one."""
        values: dict[str, Any] = {}
        for path, text in (*folder.var_files, *self.var_files):
            if path not in self._values:
                try:
                    self._values[path] = parse_var_file(path, text)
                except SourceError as exc:
                    self.problems.setdefault(path, exc)
                    self._values[path] = {}
            values.update(self._values[path])
        return values

    def _parse(self, path: str, text: str) -> list[Block]:
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
            source = module_source(call)
            target = self.open(folder.path, source) if source and is_local(source) else None
            if target is not None and target.path not in found:
                found.append(target.path)
        return found


def may_define(
    folder: Folder, read_folder: ReadFolder, markers: Sequence[str], seen: dict[str, bool]
) -> bool:
    """Whether a folder may define Cognito resources (its text holds one of ``markers``), itself
    or through its local module calls, judged on text alone: the cheap filter before parsing.
    ``seen`` remembers the folders already judged, across calls."""
    if folder.path in seen:
        return seen[folder.path]
    seen[folder.path] = False  # a cycle of calls adds nothing
    texts = [text for _, text in folder.files]
    found = any(marker in text for text in texts for marker in markers)
    for source in (source for text in texts for source in local_sources(text)):
        if found:
            break
        target = read_folder(folder.path, source)
        if target is not None:
            found = may_define(target, read_folder, markers, seen)
    seen[folder.path] = found
    return found
