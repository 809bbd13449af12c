"""Command line: argparse, ``main(argv) -> int``, and the only error boundary.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage, policy or input error
(after every other input has been evaluated and reported); 3 unexpected error (the traceback
goes to a crash log, never to the terminal).

Each command is a module of :mod:`m2m_guard.commands` with typed parameters; this module turns
the parsed arguments into them and imports the one command it runs, when it runs it, so that
``--version`` and ``--help`` load no command at all.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from m2m_guard import __version__
from m2m_guard.commands import EXIT_CRASH, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, UsageProblem

if TYPE_CHECKING:
    from m2m_guard.commands.live import LiveOptions
    from m2m_guard.commands.report import ReportOptions

__all__ = ["EXIT_CRASH", "EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "UsageProblem", "build_parser", "main"]

FAIL_ON = ("error", "warning", "note", "never")


# -- the commands, from parsed arguments ---------------------------------------------------


def cmd_scan(args: argparse.Namespace) -> int:
    with _few_collections():
        from m2m_guard.commands import scan

    return scan.run(
        args.paths,
        policy=args.policy,
        usage=args.usage,
        usage_from_cur=args.usage_from_cur,
        hook=args.hook,
        options=_report_options(args),
        var_files=args.var_file,
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    from m2m_guard.commands import sweep

    return sweep.run(
        policy=args.policy,
        usage=args.usage,
        live=_live_options(args),
        options=_report_options(args),
        usage_from_cur=args.usage_from_cur,
    )


def cmd_cost(args: argparse.Namespace) -> int:
    if not args.live:
        # a forgotten --live, told apart from a scan of the IaC
        for dest, option, default in args.sweep_option_defaults:
            if getattr(args, dest) != default:
                raise UsageProblem(f"cost: {option} is a sweep option; add --live to price the live accounts")
    if args.paths[:1] == ["diff"] or args.baseline is not None:
        return _cost_delta(args)
    with _few_collections():
        from m2m_guard.commands import cost

    return cost.run(
        args.paths,
        policy=args.policy,
        usage=args.usage,
        usage_from_cur=args.usage_from_cur,
        format=args.format,
        output=args.output,
        live=_live_options(args) if args.live else None,
    )


def _cost_delta(args: argparse.Namespace) -> int:
    """``cost diff BEFORE.json AFTER.json`` (a first PATH ``diff``: a folder of that name is
    ``./diff``), or ``cost --baseline REF [PATH ...]``."""
    diff = args.paths[:1] == ["diff"]
    form = "cost diff" if diff else "cost --baseline"
    if args.format == "csv":
        raise UsageProblem(f"{form}: --format csv is not available (text, json or markdown)")
    if args.live:
        raise UsageProblem(f"{form}: --live does not apply; it compares code")
    if not diff:
        with _few_collections():
            from m2m_guard.commands import cost_baseline

        return cost_baseline.run_baseline(
            args.baseline,
            args.paths,
            policy=args.policy,
            usage=args.usage,
            usage_from_cur=args.usage_from_cur,
            format=args.format,
            output=args.output,
        )
    given = [("--baseline", args.baseline), ("--policy", args.policy), ("--usage", args.usage)]
    given.append(("--usage-from-cur", args.usage_from_cur))
    for option, value in given:
        if value is not None:
            raise UsageProblem(f"cost diff compares two saved cost reports: {option} does not apply")
    if len(args.paths) != 3:
        hint = " (to price a folder named diff, write ./diff)" if os.path.isdir("diff") else ""
        raise UsageProblem(
            f"cost diff needs two saved reports: m2m-guard cost diff BEFORE.json AFTER.json{hint}"
        )
    from m2m_guard.commands import cost_baseline

    return cost_baseline.run_diff(args.paths[1], args.paths[2], format=args.format, output=args.output)


def cmd_drift(args: argparse.Namespace) -> int:
    if not args.live:
        for dest, option, default in args.sweep_option_defaults:
            if getattr(args, dest) != default:
                raise UsageProblem(f"drift: {option} is a sweep option; add --live to read the live accounts")
    from m2m_guard.commands import drift

    return drift.run(
        args.paths,
        policy=args.policy,
        inventory=args.inventory,
        usage=args.usage,
        live=_live_options(args) if args.live else None,
        options=_report_options(args),
    )


def cmd_merge(args: argparse.Namespace) -> int:
    from m2m_guard.commands import merge

    return merge.run(args.files, output=args.output)


def cmd_policy_validate(args: argparse.Namespace) -> int:
    from m2m_guard.commands import policy

    return policy.validate(args.files)


def cmd_policy_schema(args: argparse.Namespace) -> int:
    from m2m_guard.commands import policy

    return policy.schema()


def cmd_rules(args: argparse.Namespace) -> int:
    from m2m_guard.commands import rules

    return rules.run()


def cmd_checkov_dir(args: argparse.Namespace) -> int:
    from m2m_guard.commands import checkov_dir

    return checkov_dir.run()


def _cur_option(parser: argparse.ArgumentParser, more: str = "") -> None:
    parser.add_argument(
        "--usage-from-cur",
        metavar="PATH",
        help="usage from the bill: a Cost and Usage Report (CUR 2.0) export, a CSV, CSV.GZ or "
        "Parquet file or folder, or s3://BUCKET/PREFIX (read only; aws extra): billed token "
        f"requests of the latest billing period{more}",
    )


class _few_collections:  # noqa: N801 - used like a function: `with _few_collections():`
    """Importing a command (the policy, the sources, the rules: much of a small scan's time)
    makes many objects and almost no garbage: collecting less often meanwhile saves about a
    tenth of the imports' time."""

    def __enter__(self) -> None:
        self.kept = gc.get_threshold()
        gc.set_threshold(50_000, *self.kept[1:])

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self.kept)


def _report_options(args: argparse.Namespace) -> ReportOptions:
    from m2m_guard.commands.report import ReportOptions

    return ReportOptions(
        format=args.format, output=args.output, fail_on=args.fail_on, sarif=args.sarif, category=args.category
    )


def _live_options(args: argparse.Namespace) -> LiveOptions:
    """The sweep options, by name: each field of LiveOptions is the ``dest`` of one option that
    :func:`_sweep_arguments` adds."""
    import dataclasses

    from m2m_guard.commands.live import LiveOptions

    return LiveOptions(**{field.name: getattr(args, field.name) for field in dataclasses.fields(LiveOptions)})


# -- the parser --------------------------------------------------------------------------


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


def _sweep_arguments(sweep: argparse.ArgumentParser) -> None:
    """The sweep's options (for ``sweep`` and ``cost``), each one field of LiveOptions."""
    given: list[tuple[str, str, Any]] = []  # (dest, option, default) of each sweep option

    def add(group: Any, option: str, metavar: str | None, text: str, **kwargs: Any) -> None:
        if metavar is None:  # a flag
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = metavar
        action = group.add_argument(option, help=text, **kwargs)
        given.append((action.dest, option, action.default))

    where = sweep.add_argument_group("accounts and regions")
    add(where, "--regions", "R1,R2", "regions to sweep (default: every enabled region that offers Cognito)")
    add(
        where,
        "--allow-unknown-regions",
        None,
        "accept --regions names the installed AWS SDK does not list yet (regions newer than it)",
    )
    add(where, "--role-name", "NAME", "role to assume in each account of --accounts / --organization")
    add(where, "--accounts", "IDS|FILE", "account ids, comma-separated or one per line in a file")
    add(where, "--organization", None, "every active account of the AWS Organization")
    add(where, "--external-id", "ID", "external id for AssumeRole")
    add(where, "--shard", "K/N", "sweep only the K-th of N shards (CI matrix jobs); combine with `merge`")
    add(where, "--endpoint-url", "URL", argparse.SUPPRESS)  # local emulators in tests
    pace = sweep.add_argument_group("pace")
    add(pace, "--concurrency", "N", "account-regions swept at once (default: 8)", type=int, default=8)
    workers = "parallel describes within one account-region (default: 4)"
    add(pace, "--region-workers", "N", workers, type=int, default=4)
    rps = "requests per second per quota category in one account-region (default: 10; Cognito allows 15)"
    add(pace, "--max-rps", "N", rps, type=float, default=10.0)
    use = sweep.add_argument_group("usage (token requests per client)")
    add(use, "--lookback-days", "N", "usage window in days (default: 30)", type=int, default=30)
    add(
        use,
        "--cloudtrail-log-group",
        "NAME",
        "count Token_POST events with Logs Insights in this CloudTrail log group",
    )
    add(use, "--cloudtrail-log-region", "REGION", "region of that log group (default: the current region)")
    add(use, "--cloudtrail-lookup", None, "count Token_POST events with CloudTrail LookupEvents (bounded)")
    pages = "LookupEvents pages of 50 per account-region (default: 20)"
    add(use, "--max-lookup-pages", "N", pages, type=int, default=20)
    add(use, "--export-usage", "FILE", "write the counts as a usage file for `scan --usage`")
    config = sweep.add_argument_group("AWS Config instead of Cognito (no Cognito call, no role per account)")
    add(config, "--config", None, "read the clients this account's AWS Config recorder holds")
    add(config, "--config-aggregator", "NAME", "read the clients an AWS Config aggregator holds")
    age = "warn about clients AWS Config recorded more than DAYS ago (default: 30)"
    add(config, "--config-max-age", "DAYS", age, type=int, default=30)
    add(config, "--describe-m2m", None, "describe the M2M clients found (secrets; --role-name elsewhere)")
    add(
        sweep,
        "--inventory-dir",
        "DIR",
        "where the redacted inventory is written (default: m2m-guard-inventory)",
        default="m2m-guard-inventory",
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
    _cur_option(scan)
    scan.add_argument(
        "--var-file",
        action="append",
        default=[],
        metavar="FILE",
        help="Terraform variable definitions file (.tfvars or .tfvars.json) for every root module "
        "of the .tf files, as terraform's -var-file: after terraform.tfvars and *.auto.tfvars, "
        "later ones winning (repeatable)",
    )
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
    _cur_option(sweep)
    sweep.set_defaults(func=cmd_sweep)

    cost = commands.add_parser(
        "cost",
        help="monthly M2M cost per user pool, with savings advice",
        description="Per user pool: M2M clients, token requests a month (observed, or projected at "
        "one token per access-token lifetime), the monthly cost, the policy's budget, and what "
        "deleting unused clients, a longer TTL or token caching would save.",
    )
    cost.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories (default: .); `cost diff BEFORE.json AFTER.json` compares two "
        "saved `cost --format json` reports (a folder named diff is ./diff)",
    )
    # not from the cost renderers' registry: importing it would load the cost model and csv at
    # every start-up (argparse reads the choices as the option is added)
    _common_options(cost, ("text", "json", "csv", "markdown"), fail_on=False)
    cost.add_argument("--usage", metavar="FILE", help="usage file: token requests per client")
    _cur_option(cost, " (and the bill beside the estimate)")
    cost.add_argument(
        "--baseline",
        metavar="REF",
        help="the change since the git revision REF: each pool's monthly cost at REF and in the "
        "work tree, and the clients added, removed and changed (text, json or markdown)",
    )
    cost.add_argument(
        "--live",
        action="store_true",
        help="price the live accounts; the sweep options below are accepted only with --live",
    )
    _sweep_arguments(cost)
    cost.set_defaults(func=cmd_cost)

    drift = commands.add_parser(
        "drift",
        help="compare the clients the code defines with those the accounts hold",
        description="Shadow clients (live M2M clients that no scanned code defines, in pools the code "
        "manages, with their monthly cost), missing clients (defined in code, not found live) and "
        "drifted clients (different TTL, scopes, flows or secret), from saved sweep inventories "
        "(--inventory) or the live accounts (--live and the sweep's options).",
    )
    drift.add_argument("paths", nargs="*", metavar="PATH", help="the code: files or folders (default: .)")
    _common_options(drift, formats)
    _sarif_options(drift)
    drift.add_argument(
        "--inventory",
        action="append",
        default=[],
        metavar="DIR",
        help="a saved sweep: the folder (or file) `m2m-guard sweep` wrote its inventory to (repeatable)",
    )
    drift.add_argument("--usage", metavar="FILE", help="usage file: token requests of the live clients")
    drift.add_argument(
        "--live",
        action="store_true",
        help="sweep the live accounts; the sweep options below are accepted only with --live",
    )
    _sweep_arguments(drift)
    drift.set_defaults(func=cmd_drift)

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


# -- the error boundary ------------------------------------------------------------------


def _crash(exc: BaseException) -> int:
    import tempfile
    import traceback

    from m2m_guard.commands._io import err

    fd, log = tempfile.mkstemp(prefix="m2m-guard-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"m2m-guard {__version__}\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=handle)
    err(f"internal error: {type(exc).__name__}; details in {log}")
    return EXIT_CRASH


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == ["--version"]:
        # what argparse's version action prints, without building the parser (and loading the
        # reporters its --format choices come from): `--version` is the start-up floor
        print(f"m2m-guard {__version__}")
        return EXIT_OK
    parser = build_parser()
    try:
        args = parser.parse_args(given)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for bad arguments
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except UsageProblem as exc:
        from m2m_guard.commands._io import say_lines

        say_lines(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        from m2m_guard.commands._io import err

        err("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`m2m-guard scan | head`); nothing left to say.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # the error boundary: never a traceback on the terminal
        return _crash(exc)
