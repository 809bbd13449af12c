"""Reading one input file safely, and naming files in reports.

Only regular files are read (:func:`read_input`), and at most the size limit plus one byte of
each: a FIFO would block the scan and a device such as ``/dev/zero`` never ends. Paths in
reports are text relative to the git work tree: a file name that is not valid UTF-8 is shown
with each undecodable byte as a ``\\xNN`` escape (:func:`safe_path`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import m2m_guard.sources.document as document  # its size limit, read when called (tests lower it)


def project_root(cwd: Path) -> Path:
    """The git work tree containing ``cwd`` (paths in reports are relative to it), else ``cwd``."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def display_path(real: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """A resolved path relative to ``root`` (GitHub shows no alert on a symlinked path).

    Plain string work (no Path objects): a scan names every file it parses."""
    text, base = os.fspath(real), os.fspath(root)
    prefix = base if base.endswith(os.sep) else base + os.sep
    if text.startswith(prefix):
        shown = text[len(prefix) :]
    elif text == base:
        shown = "."
    else:
        shown = os.path.relpath(text, base)
    return safe_path(shown if os.sep == "/" else shown.replace(os.sep, "/"))


def shown_path(path: Path, cwd: Path) -> str:
    """``path`` as reports name it: relative to the git work tree that holds ``cwd``."""
    return display_path(path.resolve(), project_root(cwd).resolve())


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


def entry_kind(mode: int) -> str:
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
    return NotRegularFile(entry_kind(mode))


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
        # one read for a file of the size fstat says: when it gives all of those bytes and fewer
        # than asked for, that is the end (a file that grew since would have given more)
        chunk = max(min(opened.st_size, limit) + 1, 64 * 1024)
        while remaining > 0:
            asked = min(remaining, chunk)
            part = os.read(fd, asked)
            if not part:
                break
            parts.append(part)
            remaining -= len(part)
            if len(part) < asked and limit + 1 - remaining == opened.st_size:
                break
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)
