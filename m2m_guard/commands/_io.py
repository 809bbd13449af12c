"""What every command reads and writes: the terminal, input files, the policy and usage file,
and reports (one safe way to write a file).

The heavy modules (the policy loader, the sources) load inside the functions that need them,
so that importing a command costs little until it runs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from m2m_guard.commands import UsageProblem

if TYPE_CHECKING:
    from m2m_guard.model import AppClient
    from m2m_guard.policy import Policy
    from m2m_guard.usage_cur import BilledUsage, BillLine
    from m2m_guard.usage_file import UsageData


def say(text: str, *, stdout: bool = False) -> None:
    """Print ``text`` as one line to stderr (or stdout) through the one sanitizer of reports:
    names, paths and messages from the inputs reach the terminal with control characters,
    line breaks, escape sequences and bidi controls shown as escapes (``\\x1b``, ``\\n``)."""
    from m2m_guard.reporters.safe import printable

    print(printable(text), file=sys.stdout if stdout else sys.stderr)


def say_lines(text: str) -> None:
    """:func:`say` for each line of a message of several lines (policy errors)."""
    for line in text.split("\n"):
        say(line)


def err(message: str) -> None:
    say(f"m2m-guard: {message}")


def read_text(path: str, what: str) -> str:
    """A regular file's text, bounded in size, decoded as the sources decode their inputs."""
    from m2m_guard.files import read_input

    try:
        data = read_input(path)
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot read {what}: {exc.strerror}") from None
    from m2m_guard.sources import SourceError, decode

    try:
        return decode(data)
    except SourceError as exc:
        raise UsageProblem(f"{path}: {what}: {exc.message}") from None


# -- the policy and the usage file -------------------------------------------------------


def _policy_start(paths: Sequence[str], cwd: Path) -> Path:
    """Where the search for ``.m2m-guard.yaml`` starts: the deepest folder that holds every PATH
    (ruff likewise finds its settings from the files it checks, not from where it runs), so
    ``m2m-guard scan examples`` uses ``examples/.m2m-guard.yaml``; without PATH, the working
    directory."""
    folders = []
    for given in paths:
        path = cwd / given
        if path.is_dir():
            folders.append(path.resolve())
        elif path.is_file():
            folders.append(path.resolve().parent)
    try:
        return Path(os.path.commonpath(folders)) if folders else cwd
    except ValueError:  # different drives
        return cwd


def read_policy(name: str | None, cwd: Path, paths: Sequence[str] = ()) -> Policy:
    """The policy file or built-in pack ``name``, else the one found from ``paths`` upward."""
    from m2m_guard.files import shown_path
    from m2m_guard.policy import NoSuchPolicy, PolicyLoadError, find_policy, load_policy

    start = _policy_start(paths, cwd) if name is None else cwd
    try:
        # named like every other path in the report: relative to the git work tree
        source = find_policy(name, start, lambda found: shown_path(found, cwd))
    except NoSuchPolicy as exc:
        raise UsageProblem(str(exc)) from None
    try:
        return load_policy(source.label, read_text(str(source.path), "policy"))
    except PolicyLoadError as exc:
        from m2m_guard.reporters.safe import printable

        # one line per error, each escaped before joining, so that a name cannot add a line
        raise UsageProblem("\n".join(printable(line) for line in exc.lines)) from None


def policy_for_run(name: str | None, cwd: Path, paths: Sequence[str] = ()) -> Policy:
    """The policy a scan, sweep or cost report runs with; its warnings (a waiver that waives
    nothing, say) go to stderr and never fail the run."""
    policy = read_policy(name, cwd, paths)
    for warning in policy.warnings:
        say(warning)
    return policy


def read_usage(path: str | None) -> UsageData | None:
    if path is None:
        return None
    from m2m_guard.usage_file import UsageError, parse_usage

    try:
        return parse_usage(path, read_text(path, "usage file"))
    except UsageError as exc:
        raise UsageProblem(str(exc)) from None


def billed(clients: Sequence[AppClient], bill: BilledUsage | None) -> list[AppClient]:
    """``clients`` with the billed requests of those ``bill`` names (m2m_guard/usage_cur.py),
    after one line on stderr saying which billing period was read; as they are without one."""
    if bill is None:
        return list(clients)
    from m2m_guard.usage_cur import summary, with_bill

    say(summary(bill, clients))
    return with_bill(clients, bill)


def read_cur(path: str | None) -> BilledUsage | None:
    """The M2M line items of a Cost and Usage Report export (``--usage-from-cur``): a CSV
    (gzip too) or Parquet file, a folder of them (an export's ``data/`` or one
    ``BILLING_PERIOD=YYYY-MM`` folder), or ``s3://bucket/prefix`` (read only, with the aws
    extra). The latest billing period found counts. Errors name the file, one line, exit 2."""
    if path is None:
        return None
    from m2m_guard.usage_cur import CurError, billed_usage, is_export_file, read_file

    try:
        if path.startswith("s3://"):
            lines = _read_cur_s3(path, is_export_file, read_file)
        else:
            lines = []
            for file in _export_files(path, is_export_file):
                with open(file, "rb") as stream:
                    lines.extend(read_file(str(file), stream))
    except CurError as exc:
        raise UsageProblem(str(exc)) from None
    except OSError as exc:
        raise UsageProblem(f"{exc.filename or path}: cannot read the export: {exc.strerror}") from None
    return billed_usage(path, lines)


def _export_files(path: str, wanted: Callable[[str], bool]) -> list[Path]:
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise UsageProblem(f"{path}: no such file or folder (--usage-from-cur)")
    found = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and wanted(p.name)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not found:
        raise UsageProblem(f"{path}: no CSV, CSV.GZ or Parquet files of a Cost and Usage Report export")
    return found


def _read_cur_s3(
    url: str, wanted: Callable[[str], bool], read: Callable[[str, Any], list[BillLine]]
) -> list[BillLine]:
    from m2m_guard.usage_cur import CurError

    bucket = url.removeprefix("s3://").partition("/")[0]
    if not bucket:
        raise UsageProblem(f"{url}: name a bucket: s3://BUCKET/PREFIX (--usage-from-cur)")
    try:
        import boto3  # noqa: F401
    except ImportError:
        from m2m_guard import __version__
        from m2m_guard.commands.live import AWS_EXTRA_HINT

        hint = AWS_EXTRA_HINT.format(version=__version__)
        raise UsageProblem(
            f"{url}: reading S3 needs the AWS SDK (boto3), which is not installed: {hint}"
        ) from None
    from m2m_guard.sweep import aws
    from m2m_guard.sweep.bill_s3 import export_objects

    lines: list[BillLine] = []
    try:
        for name, stream in export_objects(url, wanted):
            lines.extend(read(name, stream))
    except CurError:
        raise
    except Exception as exc:  # botocore's errors, worded by the sweep's one translator
        raise UsageProblem(f"{url}: cannot read the export: {aws.error_text(exc)}") from None
    return lines


# -- writing -----------------------------------------------------------------------------


def emit(text: str | list[str], output: str | None) -> None:
    """A report to stdout, or to the file ``output``."""
    if output is None:
        write_chunks(sys.stdout, text)
        return
    write_file(Path(output), text, "report")


def write_chunks(stream: TextIO, text: str | Iterable[str], size: int = 1 << 20) -> None:
    """``stream.write(text)`` a megabyte at a time (writing a large report at once would encode
    all of it into a second copy first); lines are written one by one, with newlines between."""
    if not isinstance(text, str):
        for number, line in enumerate(text):
            if number:
                stream.write("\n")
            stream.write(line)
        return
    for start in range(0, len(text), size):
        stream.write(text[start : start + size])


def write_file(path: Path, text: str | list[str], what: str) -> None:
    """Every file m2m-guard writes (reports, inventories, usage files) goes through here.

    The text goes to a temporary file in the target's own folder, which then replaces the
    target (``os.replace``, a rename): a symlink planted at the target (a repository can
    commit ``live.sarif -> ~/.bashrc``) is replaced, never written through, and a reader never
    sees half a file. The folders leading to the target are created.

    A stream the user names (``/dev/stdout``, ``/dev/null``, a FIFO made with ``mkfifo``) is
    written as it is: nothing can be renamed over it, and a repository cannot plant one (git
    stores no FIFO, and nothing under ``/dev`` or ``/proc``).
    """
    try:
        if _is_stream(path):
            with open(path, "w", encoding="utf-8", newline="") as stream:
                write_chunks(stream, text)
            return
        if path.is_dir() and not path.is_symlink():
            raise IsADirectoryError(errno.EISDIR, "is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, text)
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot write {what}: {exc.strerror or exc}") from None


def _replace(path: Path, text: str | list[str]) -> None:
    """Write a temporary file beside ``path``, then rename it over ``path``."""
    fd, temporary = tempfile.mkstemp(prefix=".m2m-guard-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write_chunks(handle, text)
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would create it; mkstemp gives 0600
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _is_stream(path: Path) -> bool:
    if os.path.abspath(path).startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it back at once
    os.umask(mask)
    return mask
