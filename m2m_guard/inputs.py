"""Finding and reading input files: the one place where scans touch the file system.

A directory walk reads ``.yaml``, ``.yml``, ``.json``, ``.template`` and ``.tf`` files, skipping
hidden folders, ``node_modules`` and ``.terraform``, without following directory symlinks (so a
symlink loop cannot trap it). Kinds are recognised by content. A file that cannot be read is
reported, and is fatal (exit 2) when it may define Cognito resources or was named on the
command line; files that parse but are not IaC are ignored silently.

Terraform ``.tf`` files are grouped per folder (a folder is a module) and handed to
:mod:`m2m_guard.sources.terraform_hcl` as texts, with a callback that reads the folders of
local module calls. A folder that a module call of another scanned folder uses is evaluated
through that call (with its arguments, under ``module.NAME.`` addresses), not on its own.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard.model import AppClient, Notification, Severity
from m2m_guard.sources import SourceError, decode, inventory, load, parse

if TYPE_CHECKING:  # imported when .tf files are found: scans without them stay as fast as before
    from m2m_guard.sources.terraform_hcl import Folder

EXTENSIONS = frozenset({".yaml", ".yml", ".json", ".template", ".tf"})
HCL_EXTENSIONS = frozenset({".tf"})
SKIP_DIRS = frozenset({"node_modules", ".terraform"})
#: Text that marks an input as possibly defining Cognito resources (DESIGN, semantics 12).
COGNITO_MARKERS = ("AWS::Cognito::", "aws_cognito_")
#: Saved describe output names neither; these let it through the cheap pre-filter.
DESCRIBE_MARKERS = ("UserPoolClient", "ClientId")


@dataclass
class Collected:
    clients: list[AppClient] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    #: Saved sweeps read, in order: a newer one of the same account-region replaces older ones.
    inventories: list[inventory.Snapshot] = field(default_factory=list)
    #: How many files of each kind held app clients.
    kinds: dict[str, int] = field(default_factory=dict)
    #: Input files read (each real file once), .tf files of local modules included.
    files: int = 0


def project_root(cwd: Path) -> Path:
    """The git work tree containing ``cwd`` (paths in reports are relative to it), else ``cwd``."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def display_path(real: Path, root: Path) -> str:
    """A resolved path relative to ``root`` (GitHub shows no alert on a symlinked path)."""
    try:
        return real.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(real, root)).as_posix()


def _walk(top: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(files):
            if Path(name).suffix.lower() in EXTENSIONS:
                yield Path(folder, name)


def _given_path(path: Path, root: Path) -> str:
    """A path as given (it may not exist) relative to ``root``, like every path in reports."""
    absolute = Path(os.path.abspath(path))
    with contextlib.suppress(OSError, RuntimeError):  # a looping symlink among the parents
        absolute = absolute.parent.resolve() / absolute.name
    return display_path(absolute, root)


def _targets(paths: Sequence[str], out: Collected, root: Path) -> Iterator[tuple[Path, bool]]:
    """(resolved file, named on the command line) for every input, each real file once."""
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found: Iterator[tuple[Path, bool]] = ((p, False) for p in _walk(path))
        elif path.is_file():
            found = iter([(path, True)])
        else:
            missing = _given_path(path, root)
            out.notifications.append(Notification("no such file or directory", path=missing, fatal=True))
            continue
        for file, explicit in found:
            try:
                real = file.resolve(strict=True)
            except (OSError, RuntimeError):  # broken or looping symlink
                if explicit:
                    problem = "cannot resolve path (broken or looping symlink)"
                    shown = _given_path(file, root)
                    out.notifications.append(Notification(problem, path=shown, fatal=True))
                continue
            if real not in seen:
                seen.add(real)
                yield real, explicit


def _report(out: Collected, shown: str, message: str, line: int | None, fatal: bool) -> None:
    out.notifications.append(
        Notification(
            message,
            Severity.ERROR if fatal else Severity.WARNING,
            path=shown,
            line=line,
            fatal=fatal,
        )
    )


def _read_one(file: Path, explicit: bool, root: Path, out: Collected) -> None:
    shown = display_path(file, root)
    try:
        data = file.read_bytes()
    except OSError as exc:
        _report(out, shown, f"cannot read: {exc.strerror}", None, True)
        return
    try:
        text = decode(data)
    except SourceError as exc:
        mentions = any(m.encode() in data for m in COGNITO_MARKERS)
        if explicit or mentions:
            _report(out, shown, exc.message, exc.line, True)
        return
    mentions = any(m in text for m in COGNITO_MARKERS)
    if not (explicit or mentions or any(m in text for m in DESCRIBE_MARKERS)):
        return  # cannot hold an app client: not worth parsing
    try:
        kind, clients = load(doc := parse(shown, text))
    except SourceError as exc:
        # A broken file that may define Cognito resources fails the run; one that merely
        # looks like saved describe output is reported without failing it.
        _report(out, shown, exc.message, exc.line, explicit or mentions)
        return
    except RecursionError:
        _report(out, shown, "document nested too deeply", None, explicit or mentions)
        return
    if kind == "inventory":
        out.inventories.append(inventory.snapshot(doc))
    if kind is not None and clients:
        out.clients.extend(clients)
        out.kinds[kind] = out.kinds.get(kind, 0) + 1


#: ``source = "./x"`` or ``"../x"``: a local module call, for the cheap pre-filter (the
#: evaluation itself reads the parsed ``module`` blocks).
_LOCAL_SOURCE = re.compile(r'\bsource\s*=\s*"(\.\.?/[^"]*)"')


@dataclass
class _TfGroup:
    """The ``.tf`` files of one folder given to the scan (walked, or named on the command line)."""

    folder: Path
    files: list[tuple[str, str]] = field(default_factory=list)  # (display path, text)
    explicit: bool = False


class _Terraform:
    """Collects ``.tf`` files per folder, then evaluates the folders as Terraform modules."""

    def __init__(self, root: Path, out: Collected) -> None:
        self.root = root
        self.out = out
        self.groups: dict[Path, _TfGroup] = {}
        self.named: set[str] = set()  # display paths of the files named on the command line
        self.texts: dict[str, str] = {}  # display path -> text of every .tf file read
        self._texts_by_file: dict[Path, str | None] = {}
        self._folders: dict[Path, Folder] = {}
        self._real: dict[str, Path] = {}  # folder display path -> real folder
        self._relevant: dict[Path, bool] = {}

    def add(self, file: Path, explicit: bool) -> None:
        text = self._text(file, explicit)
        if text is None:
            return
        group = self.groups.setdefault(file.parent, _TfGroup(file.parent))
        group.files.append((display_path(file, self.root), text))
        group.explicit = group.explicit or explicit
        if explicit:
            self.named.add(display_path(file, self.root))

    def _text(self, file: Path, explicit: bool) -> str | None:
        if file in self._texts_by_file:
            return self._texts_by_file[file]
        shown = display_path(file, self.root)
        text: str | None = None
        try:
            data = file.read_bytes()
        except OSError as exc:
            _report(self.out, shown, f"cannot read: {exc.strerror}", None, True)
        else:
            try:
                text = decode(data)
            except SourceError as exc:
                if explicit or any(m.encode() in data for m in COGNITO_MARKERS):
                    _report(self.out, shown, exc.message, exc.line, True)
        self._texts_by_file[file] = text
        if text is not None:
            self.texts[shown] = text
        return text

    def _folder(self, real: Path) -> Folder:
        """All ``.tf`` files of a module folder (as Terraform reads them: not hidden ones)."""
        from m2m_guard.sources.terraform_hcl import Folder

        if real not in self._folders:
            try:
                names = sorted(
                    e.name
                    for e in os.scandir(real)
                    if e.name.lower().endswith(".tf") and not e.name.startswith(".") and e.is_file()
                )
            except OSError:
                names = []
            files = []
            for name in names:
                file = real / name
                text = self._text(file, False)
                if text is not None:
                    files.append((display_path(file, self.root), text))
            shown = display_path(real, self.root)
            self._real[shown] = real
            self._folders[real] = Folder(shown, tuple(files))
        return self._folders[real]

    def _read_folder(self, base: str, source: str) -> Folder | None:
        """The ``read_folder`` callback: a local module source, relative to the calling folder."""
        folder = self._real.get(base)
        if folder is None:
            return None
        try:
            target = (folder / source).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return self._folder(target) if target.is_dir() else None

    def _is_relevant(self, real: Path, texts: Sequence[str]) -> bool:
        """Whether a folder may define Cognito resources, itself or through local module calls."""
        if real in self._relevant:
            return self._relevant[real]
        self._relevant[real] = False  # a cycle of calls adds nothing
        found = any(m in text for text in texts for m in COGNITO_MARKERS)
        for source in (s for text in texts for s in _LOCAL_SOURCE.findall(text)):
            if found:
                break
            try:
                target = (real / source).resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if target.is_dir():
                found = self._is_relevant(target, [t for _, t in self._folder(target).files])
        self._relevant[real] = found
        return found

    @property
    def files_read(self) -> set[Path]:
        return set(self._texts_by_file)

    def run(self) -> None:
        if not self.groups:
            return
        from m2m_guard.sources.terraform_hcl import Folder, Loader

        loader = Loader(self._read_folder)
        folders: list[tuple[_TfGroup, Folder]] = []
        for group in self.groups.values():
            # Named files are always parsed (a broken one fails the run); walked folders only
            # when they may define Cognito resources.
            if group.explicit or self._is_relevant(group.folder, [t for _, t in group.files]):
                shown = display_path(group.folder, self.root)
                self._real[shown] = group.folder
                folders.append((group, Folder(shown, tuple(group.files))))
        called: set[str] = set()
        for _, folder in folders:
            called.update(loader.local_calls(folder))
        clients: list[AppClient] = []
        # A folder used by a module call is evaluated through the call(s), not again on its own
        # (no duplicate clients). Folders only reached from a cycle of calls are loaded last.
        for _, folder in folders:
            if folder.path not in called:
                clients.extend(loader.load(folder))
        for _, folder in folders:
            if folder.path in called and folder.path not in loader.reached:
                clients.extend(loader.load(folder))
        for shown, exc in loader.problems.items():
            text = self.texts.get(shown, "")
            if shown in self.named or any(m in text for m in COGNITO_MARKERS):
                _report(self.out, shown, exc.message, exc.line, True)
        self.out.clients.extend(clients)
        if clients:
            self.out.kinds["terraform-hcl"] = len({c.location.path for c in clients})


def collect(paths: Sequence[str], root: Path, *, hook: bool = False) -> Collected:
    """Read and load every input under ``paths``; problems become notifications.

    ``hook``: pre-commit names every staged YAML/JSON file (Helm templates, editor settings
    with comments, multi-document manifests); named files are then read as if a directory walk
    had found them, so only those that may define Cognito resources must parse.
    """
    out = Collected()
    terraform = _Terraform(root, out)
    read: set[Path] = set()
    for file, named in _targets(paths, out, root):
        read.add(file)
        explicit = named and not hook
        if file.suffix.lower() in HCL_EXTENSIONS:
            terraform.add(file, explicit)
        else:
            _read_one(file, explicit, root, out)
    terraform.run()
    out.files = len(read | terraform.files_read)  # with the .tf files of local modules
    out.clients, replaced = inventory.newest_only(out.clients, out.inventories)
    out.notifications.extend(replaced)
    return out
