"""Command line: argparse, ``main(argv) -> int``, and the only error boundary.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage, policy or input error
(after every other input has been evaluated and reported); 3 unexpected error (the traceback
goes to a crash log, never to the terminal).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import errno
import gc
import json
import os
import stat
import sys
import tempfile
import traceback
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from m2m_guard import __version__

if TYPE_CHECKING:  # the modules load lazily, so that `--version` stays instant
    from m2m_guard.model import RunResult
    from m2m_guard.policy import Policy
    from m2m_guard.usage_file import UsageData

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_CRASH = 0, 1, 2, 3
FAIL_ON = ("error", "warning", "note", "never")


class UsageProblem(Exception):
    """A problem with the arguments, the policy or the usage file: the run cannot start."""


def _err(message: str) -> None:
    _say(f"m2m-guard: {message}")


def _say(text: str, *, stdout: bool = False) -> None:
    """Print ``text`` as one line to stderr (or stdout) through the one sanitizer of reports:
    names, paths and messages from the inputs reach the terminal with control characters,
    line breaks, escape sequences and bidi controls shown as escapes (``\\x1b``, ``\\n``)."""
    from m2m_guard.reporters.safe import printable

    print(printable(text), file=sys.stdout if stdout else sys.stderr)


def _say_lines(text: str) -> None:
    """:func:`_say` for each line of a message of several lines (policy errors)."""
    for line in text.split("\n"):
        _say(line)


def _read_text(path: str, what: str) -> str:
    from m2m_guard.inputs import read_input  # regular files only, bounded in size

    try:
        data = read_input(path)
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot read {what}: {exc.strerror}") from None
    from m2m_guard.sources import SourceError, decode

    try:
        return decode(data)
    except SourceError as exc:
        raise UsageProblem(f"{path}: {what}: {exc.message}") from None


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


def _load_policy(name: str | None, cwd: Path, paths: Sequence[str] = ()) -> Policy:
    from m2m_guard.policy import NoSuchPolicy, PolicyLoadError, find_policy, load_policy

    def name_file(found: Path) -> str:
        from m2m_guard.inputs import display_path, project_root

        # named like every other path in the report: relative to the git work tree
        return display_path(found.resolve(), project_root(cwd).resolve())

    start = _policy_start(paths, cwd) if name is None else cwd
    try:
        source = find_policy(name, start, name_file)
    except NoSuchPolicy as exc:
        raise UsageProblem(str(exc)) from None
    try:
        return load_policy(source.label, _read_text(str(source.path), "policy"))
    except PolicyLoadError as exc:
        from m2m_guard.reporters.safe import printable

        # one line per error, each escaped before joining, so that a name cannot add a line
        raise UsageProblem("\n".join(printable(line) for line in exc.lines)) from None


def _run_policy(name: str | None, cwd: Path, paths: Sequence[str] = ()) -> Policy:
    """The policy a scan, sweep or cost report runs with; its warnings (a waiver that waives
    nothing, say) go to stderr and never fail the run."""
    policy = _load_policy(name, cwd, paths)
    for warning in policy.warnings:
        _say(warning)
    return policy


def _load_usage(path: str | None) -> UsageData | None:
    if path is None:
        return None
    from m2m_guard.usage_file import UsageError, parse_usage

    try:
        return parse_usage(path, _read_text(path, "usage file"))
    except UsageError as exc:
        raise UsageProblem(str(exc)) from None


def _exit_code(result: RunResult, fail_on: str) -> int:
    if result.fatal:
        return EXIT_ERROR
    from m2m_guard.model import Severity

    worst = result.worst_level()
    if fail_on == "never" or worst is None:
        return EXIT_OK
    return EXIT_FINDINGS if worst.rank >= Severity(fail_on).rank else EXIT_OK


def _use_color(args: argparse.Namespace) -> bool:
    if args.format != "text" or args.output or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def _emit(text: str | list[str], output: str | None) -> None:
    if output is None:
        _write_chunks(sys.stdout, text)
        return
    _write(Path(output), text, "report")


def _write_chunks(stream: Any, text: str | list[str], size: int = 1 << 20) -> None:
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


def cmd_scan(args: argparse.Namespace) -> int:
    from m2m_guard.engine import evaluate
    from m2m_guard.inputs import collect, display_path, project_root
    from m2m_guard.model import Coverage

    cwd = Path.cwd()
    # pre-commit runs the hook from the repository root in batches: all of them use its policy
    policy = _run_policy(args.policy, cwd, () if args.hook else args.paths)
    usage = _load_usage(args.usage)
    # Parsing builds many small containers and few cycles: collecting garbage less often saves
    # about a fifth of a large scan, and alias expansion is bounded elsewhere.
    gc.set_threshold(50_000, 20, 10)
    root = project_root(cwd).resolve()
    collected = collect(args.paths or ["."], root, hook=args.hook)
    result = evaluate(
        policy,
        collected.clients,
        today=dt.datetime.now(dt.timezone.utc).date(),
        usage=usage,
        notifications=collected.notifications,
        category="iac",
        tool_version=__version__,
        read=Coverage(files=collected.files),
        working_dir=display_path(cwd.resolve(), root),
    )
    # the report needs only the result: the clients' memory goes back before it is rendered
    del collected
    return _report(args, result)


def _report(args: argparse.Namespace, result: RunResult) -> int:

    from m2m_guard.reporters import LINES, REPORTERS

    if args.category:
        # GitHub takes a run's category from automationDetails.id up to its last "/"
        category = args.category if args.category.endswith("/") else f"{args.category}/"
        result = dataclasses.replace(result, automation_id=category)
    by_lines = LINES.get(args.format)
    report = (by_lines or REPORTERS[args.format])(result, color=_use_color(args))
    _emit(report, args.output)
    if args.sarif:
        # one evaluation, two reports: a log for people and SARIF for code scanning
        _write(Path(args.sarif), REPORTERS["sarif"](result), "SARIF report")
    if args.format != "text" or args.output:
        # Reports on stdout or in a file still tell the person at the terminal what went wrong.
        for note in result.notifications:
            _say(f"{note.level.value}: {note}")
    return _exit_code(result, args.fail_on)


def _write(path: Path, text: str | list[str], what: str) -> None:
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
                _write_chunks(stream, text)
            return
        if path.is_dir() and not path.is_symlink():
            raise IsADirectoryError(errno.EISDIR, "is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".m2m-guard-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                _write_chunks(handle, text)
            os.chmod(temporary, 0o666 & ~_umask())  # as open() would create it; mkstemp gives 0600
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot write {what}: {exc.strerror or exc}") from None


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


#: The sweep's numeric options: (option, value in args, smallest, largest allowed). The upper
#: bounds are far above any useful value (Cognito's read quotas are 15 to 20 requests per second);
#: they keep absurd numbers from reaching the sweep.
NUMERIC_OPTIONS: tuple[tuple[str, str, float, float], ...] = (
    ("--concurrency", "concurrency", 1, 256),
    ("--region-workers", "region_workers", 1, 256),
    ("--max-rps", "max_rps", 0.01, 1000),  # 0.01: one request every 100 seconds
    # ten years: CloudWatch Logs' longest retention, and the longest window a usage file takes
    ("--lookback-days", "lookback_days", 1, 3653),
    ("--max-lookup-pages", "max_lookup_pages", 1, 100_000),
)
#: CloudTrail keeps 90 days of management events for LookupEvents ("Viewing events with
#: CloudTrail Event history", AWS CloudTrail User Guide): a longer window would call clients
#: unused on 90 days of events.
LOOKUP_EVENTS_DAYS = 90


def _number(value: float) -> str:
    return f"a number of {len(str(value))} digits" if type(value) is int and value >= 10**16 else f"{value:g}"


def _check_numeric_options(args: argparse.Namespace) -> None:
    """Every numeric sweep option, in one place, before anything is read (argparse has made
    them numbers: ``nan`` and ``inf`` are floats to it)."""
    for option, dest, least, most in NUMERIC_OPTIONS:
        value = getattr(args, dest)
        if value != value:  # NaN compares false with everything
            raise UsageProblem(f"{option} must be a number; got {value}")
        if value < least:
            wanted = "above 0" if value <= 0 and least < 1 else f"at least {least:g}"
            raise UsageProblem(f"{option} must be {wanted}; got {_number(value)}")
        if value > most:
            raise UsageProblem(f"{option} must be at most {most:,}; got {_number(value)}")
    if args.cloudtrail_lookup and args.lookback_days > LOOKUP_EVENTS_DAYS:
        raise UsageProblem(
            f"--lookback-days must be at most {LOOKUP_EVENTS_DAYS} with --cloudtrail-lookup (CloudTrail's "
            f"LookupEvents keeps {LOOKUP_EVENTS_DAYS} days of events); got {args.lookback_days}"
        )


def _sweep_options(args: argparse.Namespace) -> Any:
    from m2m_guard.sweep.accounts import TargetError, parse_account_list, parse_regions, parse_shard
    from m2m_guard.sweep.runner import SweepOptions

    _check_numeric_options(args)
    if (args.accounts or args.organization) and not args.role_name:
        raise UsageProblem(
            "--accounts and --organization need --role-name (the role to assume in each account)"
        )
    if args.accounts and args.organization:
        raise UsageProblem("use either --accounts or --organization, not both")
    try:
        accounts = []
        if args.accounts:
            text = (
                _read_text(args.accounts, "account list") if Path(args.accounts).is_file() else args.accounts
            )
            accounts = parse_account_list(text)
        shard = parse_shard(args.shard) if args.shard else None
        regions = (
            parse_regions(args.regions, args.allow_unknown_regions) if args.regions is not None else None
        )
    except TargetError as exc:
        raise UsageProblem(str(exc)) from None
    if args.cloudtrail_log_region is not None:
        # the check of --regions, so that a misspelt region fails now, not after the sweep
        try:
            log_regions = parse_regions(args.cloudtrail_log_region, args.allow_unknown_regions)
        except TargetError as exc:
            raise UsageProblem(str(exc).replace("--regions", "--cloudtrail-log-region", 1)) from None
        if len(log_regions) != 1:
            raise UsageProblem("--cloudtrail-log-region takes one region name, e.g. eu-west-1")
        args.cloudtrail_log_region = log_regions[0]
    _check_outputs(args)
    return SweepOptions(
        regions=regions,
        role_name=args.role_name,
        accounts=accounts,
        organization=args.organization,
        external_id=args.external_id,
        shard=shard,
        concurrency=args.concurrency,
        region_workers=args.region_workers,
        max_rps=args.max_rps,
        lookback_days=args.lookback_days,
        log_group=args.cloudtrail_log_group,
        log_region=args.cloudtrail_log_region,
        lookup=args.cloudtrail_lookup,
        max_lookup_pages=args.max_lookup_pages,
        endpoint_url=args.endpoint_url,
    )


def _remove_stale_inventory(path: Path, is_inventory: Any) -> None:
    """Remove an inventory an earlier sweep wrote at ``path`` (a regular file that says it is
    one; anything else there is left alone)."""
    from m2m_guard.inputs import read_input

    try:
        if stat.S_ISREG(path.lstat().st_mode) and is_inventory(read_input(path, limit=200)):
            path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot remove the stale inventory: {exc.strerror or exc}") from None


def _write_inventory(folder: Path, path: Path, text: str) -> None:
    """``folder/<account>/<region>.json``: the account folder is m2m-guard's own, so a symlink
    found in its place (planted in a checked-out repository) is refused, not followed."""
    if path.parent.is_symlink():
        raise UsageProblem(f"{path.parent}: cannot write inventory: a symbolic link, not followed")
    _write(path, text, "inventory")


def _check_outputs(args: argparse.Namespace) -> None:
    """Where a sweep will write, checked before it starts: an hour of sweeping must not end in
    "is a folder"."""
    for option, value in (
        ("--output", args.output),
        ("--sarif", getattr(args, "sarif", None)),
        ("--export-usage", args.export_usage),
    ):
        if value is not None and Path(value).is_dir() and not Path(value).is_symlink():
            raise UsageProblem(f"{option} {value}: is a folder; give a file name")
    if Path(args.inventory_dir).exists() and not Path(args.inventory_dir).is_dir():
        raise UsageProblem(f"--inventory-dir {args.inventory_dir}: is not a folder")


def _export_usage(clients: Sequence[Any], window_days: int, seen: Mapping[str, int]) -> str:
    """The usage-file format `scan --usage` reads: by ClientId, and by ClientName where exactly
    one swept client has that name (and its usage is known); ``seen`` adds the clients of other
    accounts that the trail's log group shows making requests."""
    counts: dict[str, int] = dict(seen)
    by_name: dict[str, list[Any]] = {}
    for client in clients:
        name = client.record.get("ClientName")
        if isinstance(name, str):
            by_name.setdefault(name, []).append(client)
        if client.usage is not None:
            counts[client.location.client_id] = client.usage.requests
    for name, named in by_name.items():
        if len(named) == 1 and named[0].usage is not None and name not in counts:
            counts[name] = named[0].usage.requests
    return json.dumps({"window_days": window_days, "clients": dict(sorted(counts.items()))}, indent=2) + "\n"


#: How to add the AWS SDK, which only the live commands need (scans never call AWS, so the
#: pre-commit hook and CI installs stay small).
AWS_EXTRA_HINT = "pip install 'm2m-guard[aws] @ git+https://github.com/m2m-guard/m2m-guard@v{version}'"


def _require_aws(command: str) -> None:
    import importlib.util

    if importlib.util.find_spec("boto3") is None:
        hint = AWS_EXTRA_HINT.format(version=__version__)
        raise UsageProblem(f"{command} needs the AWS SDK (boto3), which is not installed: {hint}")


def _live_clients(args: argparse.Namespace) -> tuple[list[Any], list[Any], int, Any]:
    """Sweep, write the redacted inventory, and read it back: (clients, notifications, window,
    what the sweep read as a Coverage)."""
    _require_aws("cost --live" if args.command == "cost" else "sweep")
    from m2m_guard.inputs import display_path, project_root, safe_path
    from m2m_guard.model import Coverage, Notification, Severity
    from m2m_guard.sources import inventory as inventory_source
    from m2m_guard.sources import parse
    from m2m_guard.sweep.inventory import is_inventory, relative_path, render
    from m2m_guard.sweep.runner import run_sweep

    options = _sweep_options(args)
    progress = _say if sys.stderr.isatty() else None
    swept = run_sweep(options, progress=progress)
    root = project_root(Path.cwd()).resolve()
    clients = []
    notifications = [
        Notification(p.message, Severity.ERROR if p.fatal else Severity.WARNING, fatal=p.fatal)
        for p in swept.problems
    ]
    # From here on the sweep is done: a file that cannot be written is one more error in the
    # report (exit 2), never the loss of the report itself.
    for inventory in swept.inventories:
        path = Path(args.inventory_dir) / relative_path(inventory)
        try:
            if not inventory.readable or not inventory.pools:
                # Nothing read, or nothing to point at: no file. One left by an earlier sweep
                # would now be stale, and a later scan would trust it.
                _remove_stale_inventory(path, is_inventory)
                continue
            text = render(
                inventory,
                partial(swept.usage_for, inventory.account, inventory.region),
                options.lookback_days,
            )
            _write_inventory(Path(args.inventory_dir), path, text)
        except UsageProblem as exc:
            notifications.append(Notification(safe_path(str(exc)), fatal=True))  # paths from argv
            if not inventory.readable or not inventory.pools:
                continue
        # read back from the text, written or not: its findings still count
        clients.extend(inventory_source.load(parse(display_path(path.resolve(), root), text)))
    if args.export_usage:
        try:
            _write(
                Path(args.export_usage),
                _export_usage(clients, options.lookback_days, swept.used_clients()),
                "usage file",
            )
        except UsageProblem as exc:
            notifications.append(Notification(safe_path(str(exc)), fatal=True))  # paths from argv
    read = Coverage(**dataclasses.asdict(swept.counts()))  # the same fields, by name
    return clients, notifications, options.lookback_days, read


def cmd_sweep(args: argparse.Namespace) -> int:
    from m2m_guard.engine import evaluate
    from m2m_guard.inputs import display_path, project_root

    cwd = Path.cwd()
    policy = _run_policy(args.policy, cwd)
    usage = _load_usage(args.usage)
    clients, notifications, _, read = _live_clients(args)
    result = evaluate(
        policy,
        clients,
        today=dt.datetime.now(dt.timezone.utc).date(),
        usage=usage,
        notifications=notifications,
        category="live",
        tool_version=__version__,
        read=read,
        working_dir=display_path(cwd.resolve(), project_root(cwd).resolve()),
    )
    return _report(args, result)


def cmd_cost(args: argparse.Namespace) -> int:
    from m2m_guard.engine import cost_report
    from m2m_guard.inputs import collect, project_root
    from m2m_guard.reporters.cost import RENDERERS

    cwd = Path.cwd()
    if not args.live:
        for dest, option, default in args.sweep_option_defaults:
            if getattr(args, dest) != default:
                raise UsageProblem(f"cost: {option} is a sweep option; add --live to price the live accounts")
    elif args.paths:
        raise UsageProblem("cost --live reads live accounts; give no PATH")
    policy = _run_policy(args.policy, cwd, args.paths)
    usage = _load_usage(args.usage)
    if args.live:
        clients, notifications, _, _ = _live_clients(args)
    else:
        collected = collect(args.paths or ["."], project_root(cwd).resolve())
        clients, notifications = collected.clients, collected.notifications
    report = cost_report(policy, clients, usage)
    _emit(RENDERERS[args.format](report), args.output)
    for note in notifications:
        _say(f"{note.level.value}: {note}")
    return EXIT_ERROR if any(n.fatal for n in notifications) else EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from m2m_guard.merge import MergeError, merge
    from m2m_guard.reporters.safe import dump_json

    try:
        merged = merge([(name, _read_text(name, "report")) for name in args.files])
    except MergeError as exc:
        raise UsageProblem(str(exc)) from None
    # the merged text goes through the same scrub as every report: it is made of files anyone
    # may have edited
    _emit(dump_json(merged.document), args.output)
    for warning in merged.warnings:
        _say(f"warning: {warning}")
    return EXIT_OK


def cmd_policy_validate(args: argparse.Namespace) -> int:
    """Validate every file given (pre-commit passes several), else the policy `scan` would use.

    Each file's errors and warnings go to stderr together, sorted by line; exit 2 if any policy
    is invalid (warnings alone never fail).
    """
    from m2m_guard.policy import PolicyLoadError, find_policy, load_policy

    cwd = Path.cwd()
    names: list[str | None] = list(args.files)
    if not names:
        used = find_policy(None, cwd, lambda found: os.path.relpath(found, cwd))
        if used.pack is None:
            names = [used.label]
            _say(
                f"Validating {names[0]}, the policy `m2m-guard scan` uses here (nearest .m2m-guard.yaml).",
                stdout=True,
            )
        else:
            names = [None]
            print(
                "Validating the built-in default pack, the policy `m2m-guard scan` uses here "
                "(no .m2m-guard.yaml in this directory or its parents)."
            )
    status = EXIT_OK
    for name in names:
        try:
            if name is not None and Path(name).is_file():
                # loaded here, not by _load_policy, so that warnings print beside the errors
                policy = load_policy(name, _read_text(name, "policy"))
            else:
                policy = _load_policy(name, cwd)
        except PolicyLoadError as exc:
            for diagnostic in exc.diagnostics:
                _say(diagnostic)
            status = EXIT_ERROR
            continue
        except UsageProblem as exc:
            _say_lines(str(exc))
            status = EXIT_ERROR
            continue
        for warning in policy.warnings:
            _say(warning)
        rules, waivers, warnings = len(policy.rules), len(policy.waivers), len(policy.warnings)
        _say(
            f"{policy.source}: valid policy, {rules} rule{'s' if rules != 1 else ''}, "
            f"{waivers} waiver{'s' if waivers != 1 else ''}"
            + (f", {warnings} warning{'s' if warnings != 1 else ''}." if warnings else "."),
            stdout=True,
        )
    return status


def cmd_policy_schema(args: argparse.Namespace) -> int:
    from m2m_guard.policy import build_schema

    print(json.dumps(build_schema(), indent=2))
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from m2m_guard.rules import RULES

    for name in sorted(RULES):
        spec = RULES[name]
        params = ", ".join(spec.params.get("properties", {})) or "no parameters"
        print(f"{name:<28} {spec.summary} [{spec.scope}; {params}]")
    return EXIT_OK


def _common_options(parser: argparse.ArgumentParser, formats: Sequence[str], fail_on: bool = True) -> None:
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file or built-in pack name (default: .m2m-guard.yaml found upward, "
        "else the built-in default pack)",
    )
    parser.add_argument("--format", choices=formats, default="text", help="report format (default: text)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    if not fail_on:
        return
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="error",
        help="exit 1 when a finding is at or above this level (default: error)",
    )


def _sarif_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sarif",
        metavar="FILE",
        help="also write the report as SARIF to FILE, whatever --format says",
    )
    parser.add_argument(
        "--category",
        metavar="NAME",
        type=_category_name,
        help="the SARIF run's category (automationDetails.id; default m2m-guard/iac/ for scan, "
        "m2m-guard/live/ for sweep): give each analysis uploaded for one commit its own",
    )


def _category_name(text: str) -> str:
    if not text.strip("/ ") or any(c.isspace() or not c.isprintable() for c in text):
        raise argparse.ArgumentTypeError(f"not a category name: {text!r}")
    return text


def cmd_checkov_dir(args: argparse.Namespace) -> int:
    """The folder for checkov's --external-checks-dir; located without importing checkov."""
    print(Path(__file__).resolve().parent / "checkov" / "checks")
    return EXIT_OK


def _sweep_arguments(sweep: argparse.ArgumentParser) -> None:
    given: list[tuple[str, str, Any]] = []  # (dest, option, default) of each sweep option

    def add(group: Any, *names: str, **kwargs: Any) -> None:
        action = group.add_argument(*names, **kwargs)
        given.append((action.dest, action.option_strings[0], action.default))

    where = sweep.add_argument_group("accounts and regions")
    add(
        where,
        "--regions",
        metavar="R1,R2",
        help="regions to sweep (default: every enabled region that offers Cognito)",
    )
    add(
        where,
        "--allow-unknown-regions",
        action="store_true",
        help="accept --regions names the installed AWS SDK does not list yet (regions newer than it)",
    )
    add(
        where,
        "--role-name",
        metavar="NAME",
        help="role to assume in each account of --accounts / --organization",
    )
    add(
        where, "--accounts", metavar="IDS|FILE", help="account ids, comma-separated or one per line in a file"
    )
    add(where, "--organization", action="store_true", help="every active account of the AWS Organization")
    add(where, "--external-id", metavar="ID", help="external id for AssumeRole")
    add(
        where,
        "--shard",
        metavar="K/N",
        help="sweep only the K-th of N shards (CI matrix jobs); combine with `merge`",
    )
    add(where, "--endpoint-url", metavar="URL", help=argparse.SUPPRESS)  # local emulators in tests
    pace = sweep.add_argument_group("pace")
    add(
        pace,
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="account-regions swept at once (default: 8)",
    )
    add(
        pace,
        "--region-workers",
        type=int,
        default=4,
        metavar="N",
        help="parallel describes within one account-region (default: 4)",
    )
    add(
        pace,
        "--max-rps",
        type=float,
        default=10.0,
        metavar="N",
        help="requests per second per quota category in one account-region (default: 10; Cognito allows 15)",
    )
    use = sweep.add_argument_group("usage (token requests per client)")
    add(use, "--lookback-days", type=int, default=30, metavar="N", help="usage window in days (default: 30)")
    add(
        use,
        "--cloudtrail-log-group",
        metavar="NAME",
        help="count Token_POST events with Logs Insights in this CloudTrail log group",
    )
    add(
        use,
        "--cloudtrail-log-region",
        metavar="REGION",
        help="region of that log group (default: the current region)",
    )
    add(
        use,
        "--cloudtrail-lookup",
        action="store_true",
        help="count Token_POST events with CloudTrail LookupEvents (bounded)",
    )
    add(
        use,
        "--max-lookup-pages",
        type=int,
        default=20,
        metavar="N",
        help="LookupEvents pages of 50 per account-region (default: 20)",
    )
    add(use, "--export-usage", metavar="FILE", help="write the counts as a usage file for `scan --usage`")
    add(
        sweep,
        "--inventory-dir",
        default="m2m-guard-inventory",
        metavar="DIR",
        help="where the redacted inventory is written (default: m2m-guard-inventory)",
    )
    # `cost` takes these only with --live: it tells a forgotten --live from a scan of the IaC
    sweep.set_defaults(sweep_option_defaults=tuple(given))


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors and help printed through the one sanitizer (an unrecognized
    argument is echoed: a file name that pre-commit passes could hold an escape sequence)."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            from m2m_guard.reporters.safe import printable_lines

            super()._print_message(printable_lines(message), file)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="m2m-guard",
        # hand-wrapped: argparse would break `describe-user-pool-client` at its hyphens
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Policy-as-code checks for Amazon Cognito machine-to-machine (M2M) app clients:\n"
        "token lifetimes, scopes, unused clients and monthly cost, against one YAML policy.\n\n"
        "`scan` reads CloudFormation templates (SAM, CDK), Terraform plans\n"
        "(`terraform show -json`), Terraform .tf files and saved\n"
        "`aws cognito-idp describe-user-pool-client` output; `sweep` reads live AWS accounts.",
        epilog="Run `m2m-guard COMMAND --help` for a command's options.\n"
        "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 invalid policy, usage file,\n"
        "arguments or input, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"m2m-guard {__version__}")
    # the reports' own registry; light, and loaded anyway to print help and errors through its
    # sanitizer
    from m2m_guard.reporters import REPORTERS

    formats = tuple(REPORTERS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    scan = commands.add_parser(
        "scan",
        help="check CloudFormation, Terraform plans and .tf files, and saved describe output",
        description="Check IaC and saved describe-user-pool-client output against the policy.",
    )
    scan.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    _common_options(scan, formats)
    _sarif_options(scan)
    scan.add_argument("--usage", metavar="FILE", help="usage file: token requests per client")
    scan.add_argument(
        "--hook",
        action="store_true",
        help="pre-commit mode: named files that cannot define Cognito resources are ignored "
        "like files found in a directory walk, even when they do not parse",
    )
    scan.set_defaults(func=cmd_scan)

    sweep = commands.add_parser(
        "sweep",
        help="check the app clients in live AWS accounts (read-only)",
        description="Sweep live accounts × regions × user pools, read-only, and check every app "
        "client against the policy. Writes a redacted inventory (no client secrets) that the "
        "report's locations point at.",
    )
    _common_options(sweep, formats)
    _sarif_options(sweep)
    _sweep_arguments(sweep)
    sweep.add_argument("--usage", metavar="FILE", help="usage file for clients CloudTrail does not cover")
    sweep.set_defaults(func=cmd_sweep)

    cost = commands.add_parser(
        "cost",
        help="monthly M2M cost per user pool, with savings advice",
        description="Per user pool: M2M clients, token requests a month (observed, or projected at "
        "one token per access-token lifetime), the monthly cost, the policy's budget, and what "
        "deleting unused clients, a longer TTL or token caching would save.",
    )
    cost.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    # not from the cost renderers' registry: importing it would load the cost model and csv at
    # every start-up (argparse reads the choices as the option is added)
    _common_options(cost, ("text", "json", "csv", "markdown"), fail_on=False)
    cost.add_argument("--usage", metavar="FILE", help="usage file: token requests per client")
    cost.add_argument(
        "--live",
        action="store_true",
        help="price the live accounts; the sweep options below are accepted only with --live",
    )
    _sweep_arguments(cost)
    cost.set_defaults(func=cmd_cost)

    merge = commands.add_parser(
        "merge",
        help="combine SARIF or JSON reports (sweep shards, IaC and live) into one",
        description="Combine reports: one SARIF run per category, or one JSON report.",
    )
    merge.add_argument("files", nargs="+", metavar="FILE", help="reports of one format")
    merge.add_argument("--output", "-o", metavar="FILE", help="write the merged report to FILE")
    merge.set_defaults(func=cmd_merge)

    policy = commands.add_parser(
        "policy",
        help="validate a policy, print the policy schema",
        description="Work with policy files: `validate` checks them, `schema` prints their JSON Schema.",
    )
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND")
    policy_commands.required = True
    validate = policy_commands.add_parser(
        "validate",
        help="check policy files (default: the policy scan would use)",
        description="Check policy files and print every error and warning at once, as "
        "FILE:LINE: KEY: MESSAGE sorted by line. Without FILE, check the policy `m2m-guard scan` "
        "would use here: the nearest .m2m-guard.yaml upward, else the built-in default pack. "
        "Exit 2 if a policy is invalid; warnings (a waiver that matches no rule) do not fail.",
    )
    validate.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="policy files or built-in pack names (default: the policy scan would use)",
    )
    validate.set_defaults(func=cmd_policy_validate)
    schema = policy_commands.add_parser(
        "schema",
        help="print the policy JSON Schema",
        description="Print the JSON Schema of policy files (JSON Schema 2020-12), for editors and "
        "other tools: with the YAML language server, put `# yaml-language-server: $schema=FILE` "
        "on a policy's first line. The same schema ships as m2m_guard/data/policy.schema.json.",
    )
    schema.set_defaults(func=cmd_policy_schema)

    rules = commands.add_parser(
        "rules",
        help="list the rule types a policy can use",
        description="List every rule type a policy can use: its name (the rule's `type:`), what it "
        "checks, whether it applies per client or per user pool, and its parameters.",
    )
    rules.set_defaults(func=cmd_rules)

    checkov_dir = commands.add_parser(
        "checkov-dir",
        help="print the folder of m2m-guard's checkov checks (for --external-checks-dir)",
        description="Print the folder of m2m-guard's checkov custom checks, for "
        '`checkov -d . --external-checks-dir "$(m2m-guard checkov-dir)"`. The checks read the '
        "policy named by the M2M_GUARD_POLICY environment variable, else the nearest "
        ".m2m-guard.yaml, else the built-in default pack.",
    )
    checkov_dir.set_defaults(func=cmd_checkov_dir)
    return parser


def _crash(exc: BaseException) -> int:
    fd, log = tempfile.mkstemp(prefix="m2m-guard-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"m2m-guard {__version__}\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=handle)
    _err(f"internal error: {type(exc).__name__}; details in {log}")
    return EXIT_CRASH


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for bad arguments
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except UsageProblem as exc:
        _say_lines(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`m2m-guard scan | head`); nothing left to say.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # the error boundary: never a traceback on the terminal
        return _crash(exc)
