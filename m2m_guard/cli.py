"""Command line: argparse, ``main(argv) -> int``, and the only error boundary.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage, policy or input error
(after every other input has been evaluated and reported); 3 unexpected error (the traceback
goes to a crash log, never to the terminal).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from m2m_guard import __version__

if TYPE_CHECKING:  # the modules load lazily, so that `--version` stays instant
    from m2m_guard.model import RunResult
    from m2m_guard.policy import Policy
    from m2m_guard.usage import UsageData

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_CRASH = 0, 1, 2, 3
FORMATS = ("text", "json", "sarif")
FAIL_ON = ("error", "warning", "note", "never")


class UsageProblem(Exception):
    """A problem with the arguments, the policy or the usage file: the run cannot start."""


def _err(message: str) -> None:
    print(f"m2m-guard: {message}", file=sys.stderr)


def _read_text(path: str, what: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot read {what}: {exc.strerror}") from None
    from m2m_guard.sources import SourceError, decode

    try:
        return decode(data)
    except SourceError as exc:
        raise UsageProblem(f"{path}: {what}: {exc.message}") from None


def _load_policy(name: str | None, cwd: Path) -> Policy:
    from m2m_guard.policy import DEFAULT_PACK, PolicyLoadError, builtin_packs, discover, load_policy

    packs = builtin_packs()
    if name is None:
        found = discover(cwd)
        if found:
            from m2m_guard.inputs import display_path, project_root

            # named like every other path in the report: relative to the git work tree
            path, label = found, display_path(found.resolve(), project_root(cwd).resolve())
        else:
            path, label = packs[DEFAULT_PACK], "built-in default"
    elif Path(name).is_file():
        path, label = Path(name), name
    elif name in packs:
        path, label = packs[name], f"built-in {name}"
    else:
        raise UsageProblem(f"{name}: no such policy file (built-in packs: {', '.join(sorted(packs))})")
    try:
        return load_policy(label, _read_text(str(path), "policy"))
    except PolicyLoadError as exc:
        raise UsageProblem("\n".join(exc.lines)) from None


def _load_usage(path: str | None) -> UsageData | None:
    if path is None:
        return None
    from m2m_guard.usage import UsageError, parse_usage

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


def _emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"{output}: cannot write report: {exc.strerror}") from None


def cmd_scan(args: argparse.Namespace) -> int:
    from m2m_guard.engine import evaluate
    from m2m_guard.inputs import collect, project_root

    cwd = Path.cwd()
    policy = _load_policy(args.policy, cwd)
    usage = _load_usage(args.usage)
    # Parsing builds many small containers and few cycles: collecting garbage less often saves
    # about a fifth of a large scan, and alias expansion is bounded elsewhere.
    gc.set_threshold(50_000, 20, 10)
    collected = collect(args.paths or ["."], project_root(cwd).resolve(), hook=args.hook)
    result = evaluate(
        policy,
        collected.clients,
        today=dt.datetime.now(dt.timezone.utc).date(),
        usage=usage,
        notifications=collected.notifications,
        category="iac",
        tool_version=__version__,
    )
    return _report(args, result)


def _report(args: argparse.Namespace, result: RunResult) -> int:
    from m2m_guard.reporters import REPORTERS

    _emit(REPORTERS[args.format](result, color=_use_color(args)), args.output)
    if args.format != "text" or args.output:
        # Reports on stdout or in a file still tell the person at the terminal what went wrong.
        for note in result.notifications:
            print(f"{note.level.value}: {note}", file=sys.stderr)
    return _exit_code(result, args.fail_on)


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot write {what}: {exc.strerror}") from None


def _sweep_options(args: argparse.Namespace) -> Any:
    from m2m_guard.sweep.accounts import TargetError, parse_account_list, parse_shard
    from m2m_guard.sweep.runner import SweepOptions

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
    except TargetError as exc:
        raise UsageProblem(str(exc)) from None
    regions = [r.strip() for r in args.regions.split(",") if r.strip()] if args.regions else None
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


def _export_usage(clients: Sequence[Any], window_days: int) -> str:
    """The usage-file format `scan --usage` reads: by ClientId, and by ClientName where exactly
    one swept client has that name (and its usage is known)."""
    counts: dict[str, int] = {}
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


def _live_clients(args: argparse.Namespace) -> tuple[list[Any], list[Any], int]:
    """Sweep, write the redacted inventory, and read it back: (clients, notifications, window)."""
    from m2m_guard.inputs import display_path, project_root
    from m2m_guard.model import Notification, Severity
    from m2m_guard.sources import inventory as inventory_source
    from m2m_guard.sources import parse
    from m2m_guard.sweep.inventory import relative_path, render
    from m2m_guard.sweep.runner import run_sweep

    options = _sweep_options(args)
    progress = (lambda line: print(line, file=sys.stderr)) if sys.stderr.isatty() else None
    swept = run_sweep(options, progress=progress)
    root = project_root(Path.cwd()).resolve()
    clients = []
    for inventory in swept.inventories:
        if not inventory.readable:
            continue

        def usage_for(
            client_id: str, account: str = inventory.account, region: str = inventory.region
        ) -> Any:
            return swept.usage_for(account, region, client_id)

        text = render(inventory, usage_for, options.lookback_days)
        path = Path(args.inventory_dir) / relative_path(inventory)
        _write(path, text, "inventory")
        clients.extend(inventory_source.load(parse(display_path(path.resolve(), root), text)))
    notifications = [
        Notification(p.message, Severity.ERROR if p.fatal else Severity.WARNING, fatal=p.fatal)
        for p in swept.problems
    ]
    if args.export_usage:
        _write(Path(args.export_usage), _export_usage(clients, options.lookback_days), "usage file")
    return clients, notifications, options.lookback_days


def cmd_sweep(args: argparse.Namespace) -> int:
    from m2m_guard.engine import evaluate

    policy = _load_policy(args.policy, Path.cwd())
    usage = _load_usage(args.usage)
    clients, notifications, _ = _live_clients(args)
    result = evaluate(
        policy,
        clients,
        today=dt.datetime.now(dt.timezone.utc).date(),
        usage=usage,
        notifications=notifications,
        category="live",
        tool_version=__version__,
    )
    return _report(args, result)


def cmd_cost(args: argparse.Namespace) -> int:
    from m2m_guard.engine import cost_report
    from m2m_guard.inputs import collect, project_root
    from m2m_guard.reporters.cost import RENDERERS

    cwd = Path.cwd()
    policy = _load_policy(args.policy, cwd)
    usage = _load_usage(args.usage)
    if args.live:
        if args.paths:
            raise UsageProblem("cost --live reads live accounts; give no PATH")
        clients, notifications, _ = _live_clients(args)
    else:
        collected = collect(args.paths or ["."], project_root(cwd).resolve())
        clients, notifications = collected.clients, collected.notifications
    report = cost_report(policy, clients, usage)
    _emit(RENDERERS[args.format](report), args.output)
    for note in notifications:
        print(f"{note.level.value}: {note}", file=sys.stderr)
    return EXIT_ERROR if any(n.fatal for n in notifications) else EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from m2m_guard.merge import MergeError, merge

    reports = []
    for name in args.files:
        try:
            reports.append(json.loads(_read_text(name, "report")))
        except (ValueError, RecursionError):
            raise UsageProblem(f"{name}: not a JSON or SARIF report") from None
    try:
        _, merged = merge(reports)
    except MergeError as exc:
        raise UsageProblem(str(exc)) from None
    _emit(json.dumps(merged, indent=2, sort_keys=True, ensure_ascii=False) + "\n", args.output)
    return EXIT_OK


def cmd_policy_validate(args: argparse.Namespace) -> int:
    """Validate every file given (pre-commit passes several); report each, exit 2 if any fails."""
    status = EXIT_OK
    for name in args.files:
        try:
            policy = _load_policy(name, Path.cwd())
        except UsageProblem as exc:
            print(exc, file=sys.stderr)
            status = EXIT_ERROR
            continue
        rules, waivers = len(policy.rules), len(policy.waivers)
        print(
            f"{policy.source}: valid policy, {rules} rule{'s' if rules != 1 else ''}, "
            f"{waivers} waiver{'s' if waivers != 1 else ''}."
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


def _common_options(
    parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS, fail_on: bool = True
) -> None:
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


def cmd_checkov_dir(args: argparse.Namespace) -> int:
    """The folder for checkov's --external-checks-dir; located without importing checkov."""
    print(Path(__file__).resolve().parent / "checkov" / "checks")
    return EXIT_OK


def _sweep_arguments(sweep: argparse.ArgumentParser) -> None:
    where = sweep.add_argument_group("accounts and regions")
    where.add_argument(
        "--regions",
        metavar="R1,R2",
        help="regions to sweep (default: every enabled region that offers Cognito)",
    )
    where.add_argument(
        "--role-name", metavar="NAME", help="role to assume in each account of --accounts / --organization"
    )
    where.add_argument(
        "--accounts", metavar="IDS|FILE", help="account ids, comma-separated or one per line in a file"
    )
    where.add_argument(
        "--organization", action="store_true", help="every active account of the AWS Organization"
    )
    where.add_argument("--external-id", metavar="ID", help="external id for AssumeRole")
    where.add_argument(
        "--shard",
        metavar="K/N",
        help="sweep only the K-th of N shards (CI matrix jobs); combine with `merge`",
    )
    where.add_argument("--endpoint-url", metavar="URL", help=argparse.SUPPRESS)  # local emulators in tests
    pace = sweep.add_argument_group("pace")
    pace.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="account-regions swept at once (default: 8)"
    )
    pace.add_argument(
        "--region-workers",
        type=int,
        default=4,
        metavar="N",
        help="parallel describes within one account-region (default: 4)",
    )
    pace.add_argument(
        "--max-rps",
        type=float,
        default=10.0,
        metavar="N",
        help="requests per second per quota category in one account-region (default: 10; Cognito allows 15)",
    )
    use = sweep.add_argument_group("usage (token requests per client)")
    use.add_argument(
        "--lookback-days", type=int, default=30, metavar="N", help="usage window in days (default: 30)"
    )
    use.add_argument(
        "--cloudtrail-log-group",
        metavar="NAME",
        help="count Token_POST events with Logs Insights in this CloudTrail log group",
    )
    use.add_argument(
        "--cloudtrail-log-region",
        metavar="REGION",
        help="region of that log group (default: the current region)",
    )
    use.add_argument(
        "--cloudtrail-lookup",
        action="store_true",
        help="count Token_POST events with CloudTrail LookupEvents (bounded)",
    )
    use.add_argument(
        "--max-lookup-pages",
        type=int,
        default=20,
        metavar="N",
        help="LookupEvents pages of 50 per account-region (default: 20)",
    )
    use.add_argument(
        "--export-usage", metavar="FILE", help="write the counts as a usage file for `scan --usage`"
    )
    sweep.add_argument(
        "--inventory-dir",
        default="m2m-guard-inventory",
        metavar="DIR",
        help="where the redacted inventory is written (default: m2m-guard-inventory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m2m-guard",
        description="Policy-as-code checks for Amazon Cognito machine-to-machine app clients.",
    )
    parser.add_argument("--version", action="version", version=f"m2m-guard {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    scan = commands.add_parser(
        "scan",
        help="check CloudFormation, Terraform plan JSON and saved describe output",
        description="Check IaC and saved describe-user-pool-client output against the policy.",
    )
    scan.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    _common_options(scan)
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
    _common_options(sweep)
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
    _common_options(cost, formats=("text", "json", "csv", "markdown"), fail_on=False)
    cost.add_argument("--usage", metavar="FILE", help="usage file: token requests per client")
    cost.add_argument(
        "--live", action="store_true", help="cost of the live accounts (takes the sweep options)"
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

    policy = commands.add_parser("policy", help="validate a policy, print the policy schema")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND")
    policy_commands.required = True
    validate = policy_commands.add_parser("validate", help="check policy files")
    validate.add_argument("files", nargs="+", metavar="FILE", help="policy files or built-in pack names")
    validate.set_defaults(func=cmd_policy_validate)
    schema = policy_commands.add_parser("schema", help="print the policy JSON Schema")
    schema.set_defaults(func=cmd_policy_schema)

    rules = commands.add_parser("rules", help="list the rule types a policy can use")
    rules.set_defaults(func=cmd_rules)

    checkov_dir = commands.add_parser(
        "checkov-dir",
        help="print the folder of m2m-guard's checkov checks (for --external-checks-dir)",
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
        for line in str(exc).splitlines():
            print(line, file=sys.stderr)
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
