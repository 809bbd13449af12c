"""Finding and reading input files: the one place where scans touch the file system.

A directory walk reads ``.yaml``, ``.yml``, ``.json``, ``.template`` and ``.tf`` files, skipping
hidden folders, ``node_modules`` and ``.terraform``, without following directory symlinks (so a
symlink loop cannot trap it). Kinds are recognised by content. A file that cannot be read is
reported, and is fatal (exit 2) when it may define Cognito resources or was named on the
command line; files that parse but are not IaC are ignored silently. A folder that cannot be
listed is fatal too: what it holds was not checked.

Only regular files are read (:func:`read_input`), and at most the size limit plus one byte of
each: a FIFO would block the scan and a device such as ``/dev/zero`` never ends. Such an entry
named on the command line is an error; found in a walk (a committed symlink to a device, a
FIFO), it is not IaC: it is skipped with a warning that does not fail the run.

Paths in reports are text: a file name that is not valid UTF-8 is shown with each undecodable
byte as a ``\\xNN`` escape (:func:`safe_path`), and the other files are still read.

Terraform ``.tf`` files are grouped per folder (a folder is a module) and handed to
:mod:`m2m_guard.sources.terraform_hcl` as texts, with a callback that reads the folders of
local module calls. A folder that a module call of another scanned folder uses is evaluated
through that call (with its arguments, under ``module.NAME.`` addresses), not on its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from m2m_guard.model import AppClient, Notification, Severity
from m2m_guard.sources import SourceError, decode, document, inventory, load, parse

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
    #: Inventory path -> what its sweep could not read there (the file's ``errors``).
    incomplete: dict[str, list[str]] = field(default_factory=dict)
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
        shown = real.relative_to(root).as_posix()
    except ValueError:
        shown = Path(os.path.relpath(real, root)).as_posix()
    return safe_path(shown)


def safe_path(text: str) -> str:
    """A path as valid Unicode text: bytes of a file name that are not UTF-8 become ``\\xNN``.

    Python hands such names over with "surrogate escapes", which no UTF-8 output (a report, a
    fingerprint, the terminal) can hold.
    """
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate of another kind (a Windows file name)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class NotRegularFile(OSError):
    """A FIFO, socket, device or folder where a file was to be read."""

    def __init__(self, kind: str) -> None:
        super().__init__(errno.EINVAL, f"{kind}, not a regular file")
        self.kind = kind


def _entry_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(mode: int) -> NotRegularFile:
    return NotRegularFile(_entry_kind(mode))


#: Flags for opening an input: O_NONBLOCK makes a FIFO swapped in after the check open at once
#: instead of waiting for a writer (the fstat below then refuses it); O_NOCTTY keeps a terminal
#: device from becoming ours. Flags the platform lacks are 0.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_input(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit + 1`` of them (default: the size limit of
    :mod:`m2m_guard.sources.document`, so that ``decode`` refuses the file as too large);
    raises OSError, NotRegularFile for anything but a regular file.

    The type is checked before opening (a device is never opened) and again on the opened
    descriptor, so a file swapped for a FIFO or a device in between is refused too.
    """
    limit = document.MAX_BYTES if limit is None else limit
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise _not_regular(before.st_mode)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise _not_regular(opened.st_mode)
        parts: list[bytes] = []
        remaining = limit + 1
        # one read for a file of the size fstat says, one more to see its end
        chunk = max(min(opened.st_size, limit) + 1, 64 * 1024)
        while remaining > 0:
            part = os.read(fd, min(remaining, chunk))
            if not part:
                break
            parts.append(part)
            remaining -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


def _walk(top: Path, out: Collected, root: Path) -> Iterator[Path]:
    def unlisted(exc: OSError) -> None:
        # os.walk skips a folder it cannot list; its files were not checked, so it is reported
        folder = Path(exc.filename) if exc.filename is not None else top
        message = f"cannot list folder: {exc.strerror or exc}"
        out.notifications.append(Notification(message, path=_given_path(folder, root), fatal=True))

    for folder, dirs, files in os.walk(top, onerror=unlisted, followlinks=False):
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
    """(resolved regular file, named on the command line) for every input, each real file once."""
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:  # a looping symlink, a parent folder that cannot be searched
            message = f"cannot read: {exc.strerror or exc}"
            out.notifications.append(Notification(message, path=_given_path(path, root), fatal=True))
            continue
        if mode is not None and stat.S_ISDIR(mode):
            found: Iterator[tuple[Path, bool]] = ((p, False) for p in _walk(path, out, root))
        elif mode is not None:
            found = iter([(path, True)])
        else:
            missing = _given_path(path, root)
            out.notifications.append(Notification("no such file or directory", path=missing, fatal=True))
            continue
        for file, explicit in found:
            try:
                real = file.resolve(strict=True)
                mode = real.stat().st_mode
            except (OSError, RuntimeError):  # broken or looping symlink
                if explicit:
                    problem = "cannot resolve path (broken or looping symlink)"
                    shown = _given_path(file, root)
                    out.notifications.append(Notification(problem, path=shown, fatal=True))
                continue
            if not stat.S_ISREG(mode):
                # Named: an error. Found in a walk: a FIFO or a link to a device is not IaC.
                _report_not_regular(out, _given_path(file, root), _entry_kind(mode), explicit)
                continue
            if real not in seen:
                seen.add(real)
                yield real, explicit


def _report_not_regular(out: Collected, shown: str, kind: str, explicit: bool) -> None:
    message = f"{kind}, not a regular file: " + ("not read" if explicit else "skipped")
    _report(out, shown, message, None, explicit)


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
        data = read_input(file)
    except NotRegularFile as exc:  # swapped since the walk saw it
        _report_not_regular(out, shown, exc.kind, explicit)
        return
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
    del data  # the text holds it all now: a large file is not kept twice while it is parsed
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
        errors = doc.data.get("errors") if isinstance(doc.data, dict) else None
        if isinstance(errors, list) and errors:
            out.incomplete[shown] = [str(e) for e in errors]
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
            data = read_input(file)
        except NotRegularFile as exc:
            _report_not_regular(self.out, shown, exc.kind, explicit)
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
            except OSError as exc:
                # a module folder whose files cannot be listed: the module was not checked
                message = f"cannot list folder: {exc.strerror or exc}"
                _report(self.out, display_path(real, self.root), message, None, True)
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


#: A saved sweep older than this gets a warning when scanned: live settings drift.
STALE_INVENTORY = dt.timedelta(days=1)


def _inventory_warnings(out: Collected, now: dt.datetime) -> list[Notification]:
    """Warnings (never fatal) about the inventories whose clients are counted: older than a
    day, of unknown age, or written by a sweep that could not read everything."""
    counted = {client.location.path for client in out.clients}
    notes = []
    for snap in out.inventories:
        if snap.path not in counted:
            continue  # replaced by a newer one, or no client in it
        try:
            when = dt.datetime.fromisoformat(snap.swept_at.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            message = "saved sweep of unknown age (no sweptAt): live settings may have changed since"
        else:
            age = now - when
            if age <= STALE_INVENTORY:
                message = ""
            else:
                days = age.days
                message = (
                    f"saved sweep is {days} day{'s' if days != 1 else ''} old (swept {snap.swept_at}): "
                    "live settings may have changed since; sweep again for current ones"
                )
        if message:
            notes.append(Notification(message, Severity.WARNING, path=snap.path))
        errors = out.incomplete.get(snap.path)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            message = f"incomplete saved sweep: it could not read everything there: {errors[0]}{more}"
            notes.append(Notification(message, Severity.WARNING, path=snap.path))
    return notes


def collect(
    paths: Sequence[str], root: Path, *, hook: bool = False, now: dt.datetime | None = None
) -> Collected:
    """Read and load every input under ``paths``; problems become notifications.

    ``hook``: pre-commit names every staged YAML/JSON file (Helm templates, editor settings
    with comments, multi-document manifests); named files are then read as if a directory walk
    had found them, so only those that may define Cognito resources must parse. ``now``: the
    time saved sweeps' ages are measured from (default: the current time).
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
    out.notifications.extend(_inventory_warnings(out, now or dt.datetime.now(dt.timezone.utc)))
    return out
