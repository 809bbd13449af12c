"""Finding and reading input files: the one place where scans touch the file system.

A directory walk reads ``.yaml``, ``.yml``, ``.json`` and ``.template`` files, skipping hidden
folders, ``node_modules`` and ``.terraform``, without following directory symlinks (so a
symlink loop cannot trap it). Kinds are recognised by content. A file that cannot be read is
reported, and is fatal (exit 2) when it may define Cognito resources or was named on the
command line; files that parse but are not IaC are ignored silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from m2m_guard.model import AppClient, Notification, Severity
from m2m_guard.sources import SourceError, decode, load, parse

EXTENSIONS = frozenset({".yaml", ".yml", ".json", ".template"})
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
    #: How many files of each kind held app clients.
    kinds: dict[str, int] = field(default_factory=dict)
    files_read: int = 0


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
            out.notifications.append(
                Notification("no such file or directory", path=given, fatal=True)
            )
            continue
        for file, explicit in found:
            try:
                real = file.resolve(strict=True)
            except (OSError, RuntimeError):  # broken or looping symlink
                if explicit:
                    problem = "cannot resolve path (broken or looping symlink)"
                    out.notifications.append(Notification(problem, path=given, fatal=True))
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
    if file.suffix.lower() in HCL_EXTENSIONS:
        _report(out, shown, "Terraform HCL is not read yet; scan `terraform show -json` output instead",
                None, False)
        return
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
    out.files_read += 1
    try:
        kind, clients = load(parse(shown, text))
    except SourceError as exc:
        # A broken file that may define Cognito resources fails the run; one that merely
        # looks like saved describe output is reported without failing it.
        _report(out, shown, exc.message, exc.line, explicit or mentions)
        return
    except RecursionError:
        _report(out, shown, "document nested too deeply", None, explicit or mentions)
        return
    if kind is not None and clients:
        out.clients.extend(clients)
        out.kinds[kind] = out.kinds.get(kind, 0) + 1


def collect(paths: Sequence[str], root: Path) -> Collected:
    """Read and load every input under ``paths``; problems become notifications."""
    out = Collected()
    for file, explicit in _targets(paths, out, root):
        _read_one(file, explicit, root, out)
    return out
