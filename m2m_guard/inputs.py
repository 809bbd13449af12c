"""Finding and reading input files: the one place where scans touch the file system.

A directory walk reads ``.yaml``, ``.yml``, ``.json``, ``.template`` and ``.tf`` files, skipping
hidden folders, ``node_modules`` and ``.terraform``, without following directory symlinks (so a
symlink loop cannot trap it). Kinds are recognised by content. A file that cannot be read is
reported, and is fatal (exit 2) when it may define Cognito resources or was named on the
command line; files that parse but are not IaC are ignored silently. A folder that cannot be
listed is fatal too: what it holds was not checked.

Files are read with :func:`m2m_guard.files.read_input` (regular files only, at most the size
limit). A FIFO, socket or device named on the command line is an error; found in a walk (a
committed symlink to a device), it is not IaC: it is skipped with a warning that does not fail
the run. Paths in reports are text (:func:`m2m_guard.files.safe_path`), and the other files are
still read. Found in a walk, a file is decoded and parsed only when its raw bytes show that it
may hold an app client, a user pool or a saved sweep (:mod:`m2m_guard.prefilter`): in a real
repository, most files cannot.

Terraform ``.tf`` files are grouped per folder (a folder is a module) and handed to
:mod:`m2m_guard.sources.terraform_hcl` as texts, with a callback that reads the folders of
local module calls; which folders are evaluated, and how, is that source's business.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard.files import NotRegularFile, display_path, entry_kind, read_input
from m2m_guard.model import AppClient, Notification, Pool, Severity, plural
from m2m_guard.prefilter import COGNITO_MARKERS, may_hold, mentions_cognito
from m2m_guard.sources import SourceError, decode, document, inventory, parse, read

if TYPE_CHECKING:  # imported when .tf files are found: scans without them stay as fast as before
    from m2m_guard.sources.terraform_hcl import Folder, Scan

EXTENSIONS = frozenset({".yaml", ".yml", ".json", ".template", ".tf"})
HCL_EXTENSIONS = frozenset({".tf"})
SKIP_DIRS = frozenset({"node_modules", ".terraform"})


@dataclass
class Collected:
    clients: list[AppClient] = field(default_factory=list)
    #: Pools read from files that describe pools and hold no client (saved describe-user-pool
    #: output), for the engine to merge with the clients' pools by key.
    pools: list[Pool] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    #: Saved sweeps read, in order: a newer one of the same account-region replaces older ones.
    inventories: list[inventory.Snapshot] = field(default_factory=list)
    #: Inventory path -> what its sweep could not read there (the file's ``errors``).
    incomplete: dict[str, list[str]] = field(default_factory=dict)
    #: Input files read (each real file once), .tf files of local modules included.
    files: int = 0


def _walk(top: str, out: Collected, root: Path) -> Iterator[os.DirEntry[str]]:
    """The entries of the files a walk of the real folder ``top`` considers, in the order of
    ``os.walk`` top down: a folder's files by name, then each subfolder by name. Symlinked
    folders are not entered, so every folder walked is a real one (and so are the paths of the
    files in it that are not symlinks)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            # a folder that cannot be listed: its files were not checked, so it is reported
            where = Path(exc.filename) if exc.filename is not None else Path(folder)
            message = f"cannot list folder: {exc.strerror or exc}"
            out.notifications.append(Notification(message, path=_given_path(where, root), fatal=True))
            continue
        folders = []
        for entry in entries:
            if _is_dir(entry):
                if not entry.name.startswith(".") and entry.name not in SKIP_DIRS and not entry.is_symlink():
                    folders.append(entry.path)
            elif _suffix(entry.name) in EXTENSIONS:
                yield entry
        stack.extend(reversed(folders))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # a symlink to a folder too (listed with folders, never entered)
    except OSError:
        return False


def _suffix(name: str) -> str:
    """``Path(name).suffix``, lowercase, without making a Path."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _given_path(path: Path, root: Path) -> str:
    """A path as given (it may not exist) relative to ``root``, like every path in reports."""
    absolute = Path(os.path.abspath(path))
    with contextlib.suppress(OSError, RuntimeError):  # a looping symlink among the parents
        absolute = absolute.parent.resolve() / absolute.name
    return display_path(absolute, root)


def _targets(paths: Sequence[str], out: Collected, root: Path) -> Iterator[tuple[str, bool]]:
    """(real path of a regular file, named on the command line) for every input, each real
    file once."""
    seen: set[str] = set()
    for given in paths:
        for real, explicit in _expand(Path(given), out, root):
            if real not in seen:
                seen.add(real)
                yield real, explicit


def _expand(path: Path, out: Collected, root: Path) -> Iterator[tuple[str, bool]]:
    """A path named on the command line: itself, or what a walk of the folder finds."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        _fatal(out, "no such file or directory", path, root)
        return
    except OSError as exc:  # a looping symlink, a parent folder that cannot be searched
        _fatal(out, f"cannot read: {exc.strerror or exc}", path, root)
        return
    if not stat.S_ISDIR(mode):
        real = _regular(path, True, out, root)
        if real is not None:
            yield real, True
        return
    for entry in _walk(str(path.resolve()), out, root):
        if entry.is_symlink():
            real = _regular(Path(entry.path), False, out, root)
        elif entry.is_file(follow_symlinks=False):
            real = entry.path  # (the walk's folders are real)
        else:  # a FIFO, socket or device is not IaC
            with contextlib.suppress(OSError):  # (unless it is gone already)
                kind = entry_kind(entry.stat(follow_symlinks=False).st_mode)
                _report_not_regular(out, _given_path(Path(entry.path), root), kind, False)
            real = None
        if real is not None:
            yield real, False


def _regular(file: Path, explicit: bool, out: Collected, root: Path) -> str | None:
    """The real path of ``file``, when it is a regular file (else reported, as it was named
    or found)."""
    try:
        real = file.resolve(strict=True)
        mode = real.stat().st_mode
    except (OSError, RuntimeError):  # broken or looping symlink
        if explicit:
            _fatal(out, "cannot resolve path (broken or looping symlink)", file, root)
        return None
    if not stat.S_ISREG(mode):
        # Named: an error. Found in a walk: a FIFO or a link to a device is not IaC.
        _report_not_regular(out, _given_path(file, root), entry_kind(mode), explicit)
        return None
    return str(real)


def _fatal(out: Collected, message: str, path: Path, root: Path) -> None:
    out.notifications.append(Notification(message, path=_given_path(path, root), fatal=True))


def _report_not_regular(out: Collected, shown: str, kind: str, explicit: bool) -> None:
    message = f"{kind}, not a regular file: " + ("not read" if explicit else "skipped")
    _report(out, shown, message, None, explicit)


def _report(out: Collected, shown: str, message: str, line: int | None, fatal: bool) -> None:
    severity = Severity.ERROR if fatal else Severity.WARNING
    out.notifications.append(Notification(message, severity, path=shown, line=line, fatal=fatal))


def _read_text(file: Path, shown: str, explicit: bool, out: Collected) -> str | None:
    """The text of an input, or None once what went wrong is reported (a file that cannot be
    decoded is reported only when named or when it may define Cognito resources)."""
    try:
        data = read_input(file)
    except OSError as exc:
        _unreadable(out, shown, exc, explicit)
        return None
    return _decoded(data, shown, explicit, out)


def _unreadable(out: Collected, shown: str, exc: OSError, explicit: bool) -> None:
    if isinstance(exc, NotRegularFile):  # swapped since the walk saw it
        _report_not_regular(out, shown, exc.kind, explicit)
    else:
        _report(out, shown, f"cannot read: {exc.strerror}", None, True)


def _decoded(data: bytes, shown: str, explicit: bool, out: Collected) -> str | None:
    try:
        return decode(data)
    except SourceError as exc:
        if explicit or mentions_cognito(data):
            _report(out, shown, exc.message, exc.line, True)
        return None


def _read_one(file: str, explicit: bool, root: Path, out: Collected) -> None:
    try:
        data = read_input(file)
    except OSError as exc:
        _unreadable(out, display_path(file, root), exc, explicit)
        return
    if not (explicit or may_hold(data)):
        return  # cannot hold an app client or a pool: not worth decoding or parsing (prefilter.py)
    shown = display_path(file, root)
    text = _decoded(data, shown, explicit, out)
    del data  # the bytes, as large as the text, are not kept while it is parsed
    if text is None:
        return
    mentions = any(m in text for m in COGNITO_MARKERS)
    try:
        loaded = read(doc := parse(shown, text))
    except SourceError as exc:
        # A broken file that may define Cognito resources fails the run; one that merely
        # looks like saved describe output is reported without failing it.
        _report(out, shown, exc.message, exc.line, explicit or mentions)
        return
    except RecursionError:
        _report(out, shown, "document nested too deeply", None, explicit or mentions)
        return
    if loaded.kind == "inventory":
        _keep_inventory(out, doc)
    out.clients.extend(loaded.clients)
    out.pools.extend(loaded.pools)


def _keep_inventory(out: Collected, doc: document.Document) -> None:
    out.inventories.append(inventory.snapshot(doc))
    errors = doc.data.get("errors") if isinstance(doc.data, dict) else None
    if isinstance(errors, list) and errors:
        out.incomplete[doc.path] = [str(e) for e in errors]


class _Terraform:
    """Reads ``.tf`` files, and the folders of local module calls, for the Terraform source
    (:class:`m2m_guard.sources.terraform_hcl.Scan`), which groups and evaluates them."""

    def __init__(self, root: Path, out: Collected, var_files: Sequence[str] = ()) -> None:
        self.root = root
        self.out = out
        self.var_files = var_files  # --var-file, for every root module
        self._vars_read: set[Path] = set()
        self._scan: Scan | None = None
        self._texts_by_file: dict[Path, str | None] = {}
        self._folders: dict[Path, Folder] = {}
        self._real: dict[str, Path] = {}  # folder display path -> real folder

    def add(self, file: Path, explicit: bool) -> None:
        text = self._text(file, explicit)
        if text is None:
            return
        if self._scan is None:
            from m2m_guard.sources.terraform_hcl import Scan

            named = tuple(self._var_file(Path(p)) for p in self.var_files)
            var_files = tuple(found for found in named if found is not None)
            self._scan = Scan(self._read_folder, COGNITO_MARKERS, self._read_vars, var_files)
        folder = display_path(file.parent, self.root)
        self._real[folder] = file.parent
        self._scan.add(folder, (display_path(file, self.root), text), explicit)

    def _text(self, file: Path, explicit: bool) -> str | None:
        if file not in self._texts_by_file:
            shown = display_path(file, self.root)
            self._texts_by_file[file] = _read_text(file, shown, explicit, self.out)
        return self._texts_by_file[file]

    def _read_vars(self, folder: str) -> tuple[tuple[str, str], ...]:
        """The ``read_vars`` callback: the variable definitions files Terraform loads from a root
        module's folder (``terraform.tfvars``, ``*.auto.tfvars``), read directly (they never
        mention Cognito), in Terraform's order."""
        from m2m_guard.sources.terraform_hcl import is_auto_loaded, load_order

        real = self._real.get(folder)
        if real is None:
            return ()
        try:
            names = [e.name for e in os.scandir(real) if is_auto_loaded(e.name) and e.is_file()]
        except OSError:
            names = []  # the folder's .tf files were listed: its .tfvars are as good as absent
        found = (self._var_file(real / name) for name in load_order(names))
        return tuple(file for file in found if file is not None)

    def _var_file(self, file: Path) -> tuple[str, str] | None:
        """A variable definitions file's (display path, text); one that cannot be read fails
        the run (Terraform would not run either)."""
        shown = _given_path(file, self.root)
        try:
            real = file.resolve(strict=True)
            self._vars_read.add(real)
            return display_path(real, self.root), decode(read_input(real))
        except (OSError, RuntimeError) as exc:
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            _report(self.out, shown, f"cannot read variable definitions file: {message}", None, True)
        except SourceError as exc:
            _report(self.out, shown, exc.message, exc.line, True)
        return None

    def _folder(self, real: Path) -> Folder:
        """All ``.tf`` files of a module folder (as Terraform reads them: not hidden ones)."""
        from m2m_guard.sources.terraform_hcl import Folder

        if real not in self._folders:
            files = []
            for file in self._listing(real):
                text = self._text(file, False)
                if text is not None:
                    files.append((display_path(file, self.root), text))
            shown = display_path(real, self.root)
            self._real[shown] = real
            self._folders[real] = Folder(shown, tuple(files))
        return self._folders[real]

    def _listing(self, real: Path) -> list[Path]:
        try:
            names = sorted(
                e.name
                for e in os.scandir(real)
                if e.name.lower().endswith(".tf") and not e.name.startswith(".") and e.is_file()
            )
        except OSError as exc:
            # a module folder whose files cannot be listed: the module was not checked
            message = f"cannot list folder: {exc.strerror or exc}"
            _report(self.out, display_path(real, self.root), message, None, True)
            names = []
        return [real / name for name in names]

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

    @property
    def files_read(self) -> set[Path]:
        return set(self._texts_by_file) | self._vars_read

    def run(self) -> None:
        if self._scan is None:
            for path in self.var_files:  # no .tf file to apply them to: still, each must be readable
                self._var_file(Path(path))
            return
        clients, problems = self._scan.load()
        for shown, exc in problems.items():
            _report(self.out, shown, exc.message, exc.line, True)
        self.out.clients.extend(clients)


#: A saved sweep older than this gets a warning when scanned: live settings drift.
STALE_INVENTORY = dt.timedelta(days=1)


def _inventory_warnings(out: Collected, now: dt.datetime) -> list[Notification]:
    """Warnings (never fatal) about the inventories whose clients are counted: older than a
    day, of unknown age, or written by a sweep that could not read everything."""
    counted = {client.location.path for client in out.clients}
    notes = []
    for snap in (snap for snap in out.inventories if snap.path in counted):
        # (the others are replaced by a newer one, or hold no client)
        errors = out.incomplete.get(snap.path)
        for message in (_age_warning(snap.swept_at, now), _incomplete_warning(errors or [])):
            if message:
                notes.append(Notification(message, Severity.WARNING, path=snap.path))
    return notes


def _age_warning(swept_at: str, now: dt.datetime) -> str:
    try:
        when = dt.datetime.fromisoformat(swept_at.replace("Z", "+00:00"))
    except ValueError:
        return "saved sweep of unknown age (no sweptAt): live settings may have changed since"
    age = now - (when if when.tzinfo is not None else when.replace(tzinfo=dt.timezone.utc))
    if age <= STALE_INVENTORY:
        return ""
    return (
        f"saved sweep is {plural(age.days, 'day')} old (swept {swept_at}): "
        "live settings may have changed since; sweep again for current ones"
    )


def _incomplete_warning(errors: list[str]) -> str:
    if not errors:
        return ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"incomplete saved sweep: it could not read everything there: {errors[0]}{more}"


def collect(
    paths: Sequence[str],
    root: Path,
    *,
    hook: bool = False,
    now: dt.datetime | None = None,
    var_files: Sequence[str] = (),
) -> Collected:
    """Read and load every input under ``paths``; problems become notifications.

    ``hook``: pre-commit names every staged YAML/JSON file (Helm templates, editor settings
    with comments, multi-document manifests); named files are then read as if a directory walk
    had found them, so only those that may define Cognito resources must parse. ``now``: the
    time saved sweeps' ages are measured from (default: the current time). ``var_files``: the
    Terraform variable definitions files named for the run (``--var-file``), for every root module.
    """
    out = Collected()
    terraform = _Terraform(root, out, var_files)
    read: set[str] = set()
    for file, named in _targets(paths, out, root):
        read.add(file)
        explicit = named and not hook
        if _suffix(os.path.basename(file)) in HCL_EXTENSIONS:
            terraform.add(Path(file), explicit)
        else:
            _read_one(file, explicit, root, out)
    terraform.run()
    # with the .tf files of local modules
    out.files = len(read | {str(path) for path in terraform.files_read})
    out.clients, replaced = inventory.newest_only(out.clients, out.inventories)
    out.notifications.extend(replaced)
    out.notifications.extend(_inventory_warnings(out, now or dt.datetime.now(dt.timezone.utc)))
    return out
