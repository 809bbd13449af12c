"""``m2m-guard cost --baseline REF`` and ``m2m-guard cost diff``: what a change does to the bill.

The one place these commands do I/O. ``--baseline`` reads the code at a git revision with git's
plumbing, read only: ``rev-parse`` (the work tree's top and the commit), ``ls-tree`` (the files
of the commit) and ``cat-file --batch`` (their contents), written into a temporary folder that is
then read as ``cost`` reads a folder. The user's work tree, index, HEAD and refs are never
touched. The same PATHs are priced at both sides, taken relative to the top of the work tree
(``cd infra && m2m-guard cost --baseline main .`` prices ``infra/`` in both), with the same
policy (the work tree's), usage file and bill, so the difference is the code's. ``cost diff``
compares two saved ``cost --format json`` reports. The comparison itself is pure
(:mod:`m2m_guard.cost_delta`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from m2m_guard.commands import EXIT_ERROR, EXIT_OK, UsageProblem
from m2m_guard.commands._io import emit, policy_for_run, read_cur, read_text, read_usage, say
from m2m_guard.cost_delta import WORK_TREE, DeltaInputError, Priced, compare, from_json, from_report
from m2m_guard.engine import cost_report
from m2m_guard.inputs import EXTENSIONS, HCL_EXTENSIONS, SKIP_DIRS, collect
from m2m_guard.reporters.cost_delta import RENDERERS, price_table
from m2m_guard.usage_cur import with_bill

#: Git's modes for a file, an executable file and a symbolic link (``git ls-tree``).
_FILE_MODES = frozenset({"100644", "100755"})
_LINK_MODE = "120000"


def run_baseline(
    ref: str,
    paths: Sequence[str],
    *,
    policy: str | None,
    usage: str | None,
    usage_from_cur: str | None,
    format: str,
    output: str | None,
) -> int:
    """Price ``paths`` at the commit ``ref`` names and in the work tree, and report the change.
    Exit 2 if an input of either side could not be read, else 0."""
    cwd = Path.cwd()
    given = list(paths) or ["."]
    top = _work_tree_top(cwd)
    commit = _commit(top, ref)
    inside = [_inside(top, cwd, path) for path in given]
    chosen = policy_for_run(policy, cwd, paths)
    usage_data = read_usage(usage)
    bill = read_cur(usage_from_cur)
    fatal = False
    with tempfile.TemporaryDirectory(prefix="m2m-guard-baseline-") as folder:
        root = Path(folder).resolve()
        found = _check_out(top, commit, inside, root)
        there = [str(root / path) for path, exists in zip(inside, found, strict=True) if exists]
        for path, exists in zip(inside, found, strict=True):
            if not exists:
                say(f"note: {path} is not in {ref} ({commit[:12]}): nothing there before")
        old = collect(there, root) if there else None
        old_clients = with_bill(old.clients, bill) if old else []
        before = cost_report(chosen, old_clients, usage_data, pools=old.pools if old else [])
        for note in old.notifications if old else []:
            say(f"{note.level.value}: at {ref}: {note}")
            fatal = fatal or note.fatal
    # a PATH the change deletes is empty after it; one that neither side has is an error, as in `cost`
    now = [path for path, was in zip(given, found, strict=True) if os.path.lexists(path) or not was]
    for path, was in zip(given, found, strict=True):
        if was and not os.path.lexists(path):
            say(f"note: {path} is not in the work tree: nothing there after")
    new = collect(now, top)
    after = cost_report(chosen, with_bill(new.clients, bill), usage_data, pools=new.pools)
    delta = compare(
        from_report(before, f"{ref} ({commit[:12]})", price_table(before)),
        from_report(after, WORK_TREE, price_table(after)),
    )
    emit(RENDERERS[format](delta), output)
    for note in new.notifications:
        say(f"{note.level.value}: {note}")
        fatal = fatal or note.fatal
    return EXIT_ERROR if fatal else EXIT_OK


def run_diff(before: str, after: str, *, format: str, output: str | None) -> int:
    """Compare two saved ``cost --format json`` reports."""
    delta = compare(_saved(before), _saved(after))
    emit(RENDERERS[format](delta), output)
    return EXIT_OK


def _saved(path: str) -> Priced:
    text = read_text(path, "cost report")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise UsageProblem(f"{path}: not JSON: {exc}") from None
    try:
        return from_json(document, path)
    except DeltaInputError as exc:
        raise UsageProblem(f"{path}: {exc}") from None


# -- git, read only -------------------------------------------------------------------------------


def _git(top: Path | None, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise UsageProblem(
            "cost --baseline reads the code at a git revision: git is not installed (or not on PATH)"
        )
    where = ["-C", str(top)] if top is not None else []
    # no pager, no prompt, and no hooks or config that could change what is read
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.run([git, *where, *args], input=stdin, capture_output=True, env=env, check=False)


def _work_tree_top(cwd: Path) -> Path:
    done = _git(cwd, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UsageProblem(f"cost --baseline: {cwd} is not in a git work tree{_said(done)}")
    return Path(os.fsdecode(done.stdout.rstrip(b"\n"))).resolve()


def _said(done: subprocess.CompletedProcess[bytes]) -> str:
    """What git said, its first line, to follow a message ("dubious ownership" in containers)."""
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return f" (git: {lines[0]})" if lines else ""


def _commit(top: Path, ref: str) -> str:
    done = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if done.returncode != 0 or not done.stdout.strip():
        raise UsageProblem(f"cost --baseline: {ref!r} is not a commit of this repository (git rev-parse)")
    return done.stdout.decode("ascii").strip()


def _inside(top: Path, cwd: Path, path: str) -> str:
    """``path`` (relative to the working directory) relative to the top of the work tree."""
    absolute = Path(os.path.abspath(cwd / path))
    with contextlib.suppress(OSError, RuntimeError):  # a looping symlink: as given
        absolute = absolute.resolve()
    try:
        relative = absolute.relative_to(top)
    except ValueError:
        raise UsageProblem(f"cost --baseline: {path} is outside the git work tree {top}") from None
    return relative.as_posix() or "."


def _entries(top: Path, commit: str) -> Iterator[tuple[str, str, str]]:
    """(mode, object id, path) of every file and symbolic link of the commit."""
    done = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit)
    if done.returncode != 0:
        raise UsageProblem(f"cost --baseline: cannot list the files of {commit[:12]} (git ls-tree)")
    for record in done.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, oid = meta.decode("ascii").split(" ")
        if kind == "blob":  # submodules (commits) are not read
            yield mode, oid, os.fsdecode(name)


def _wanted(path: str, given: Sequence[str]) -> bool:
    """Whether a scan of ``given`` may read a file of the commit: one named, or one a walk of a
    PATH reads (not in hidden folders, ``node_modules`` or ``.terraform`` below it); and every
    ``.tf`` file, for local modules outside the PATHs."""
    suffix = PurePosixPath(path).suffix.lower()
    for top in given:
        if path == top:
            return True  # named: read whatever its name
        if top != "." and not path.startswith(top + "/"):
            continue
        below = PurePosixPath(path if top == "." else path[len(top) + 1 :]).parts[:-1]
        walked = not any(part.startswith(".") or part in SKIP_DIRS for part in below)
        if walked and suffix in EXTENSIONS:
            return True
    return suffix in HCL_EXTENSIONS


def _check_out(top: Path, commit: str, given: Sequence[str], root: Path) -> list[bool]:
    """Write the files of ``commit`` that a scan of ``given`` may read into ``root``, and the
    files its symbolic links there point to; for each PATH, whether the commit has it."""
    found = [False] * len(given)
    every: dict[str, tuple[str, str]] = {}  # path -> (mode, object id) of each file and link
    chosen: list[str] = []
    for mode, oid, path in _entries(top, commit):
        parts = PurePosixPath(path).parts
        if not parts or ".." in parts or path.startswith("/") or mode not in (*_FILE_MODES, _LINK_MODE):
            continue
        every[path] = (mode, oid)
        for index, wanted in enumerate(given):
            if wanted == "." or path == wanted or path.startswith(wanted + "/"):
                found[index] = True
        if _wanted(path, given):
            chosen.append(path)
    links = [path for path in chosen if every[path][0] == _LINK_MODE]
    contents = _blobs(top, [every[path][1] for path in chosen])
    for path in links:  # a link's target, when it is a file of the commit (one link deep)
        target = _inside_commit(path, os.fsdecode(contents[every[path][1]]))
        if target is not None and target in every and target not in chosen and every[target][0] != _LINK_MODE:
            chosen.append(target)
    contents.update(_blobs(top, [every[path][1] for path in chosen if every[path][1] not in contents]))
    for path in chosen:
        mode, oid = every[path]
        where = root / path
        where.parent.mkdir(parents=True, exist_ok=True)
        if mode != _LINK_MODE:
            where.write_bytes(contents[oid])
        elif _inside_commit(path, os.fsdecode(contents[oid])) is not None:
            where.symlink_to(os.fsdecode(contents[oid]))
    return found


def _inside_commit(link: str, points_to: str) -> str | None:
    """The path in the commit that a symbolic link at ``link`` points to; None for a link out of
    the repository (or an absolute one), which is not followed at the baseline."""
    if not points_to or points_to.startswith("/"):
        return None
    resolved = os.path.normpath(os.path.join(os.path.dirname(link), points_to))
    if resolved == ".." or resolved.startswith("../") or os.path.isabs(resolved):
        return None
    return resolved


def _blobs(top: Path, oids: Sequence[str]) -> dict[str, bytes]:
    """The contents of the objects ``oids``, with one ``git cat-file --batch``."""
    if not oids:
        return {}
    unique = list(dict.fromkeys(oids))
    done = _git(top, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in unique).encode("ascii"))
    if done.returncode != 0:
        raise UsageProblem("cost --baseline: cannot read the files of the commit (git cat-file)")
    out, data, at = {}, done.stdout, 0
    for oid in unique:
        end = data.index(b"\n", at)
        header = data[at:end].decode("ascii").split(" ")
        if len(header) != 3:
            raise UsageProblem(f"cost --baseline: git cat-file could not read object {oid}")
        size = int(header[2])
        out[oid] = data[end + 1 : end + 1 + size]
        at = end + 1 + size + 1  # the content, then a newline
    return out
