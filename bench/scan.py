"""Scan benchmark: start-up time and repository scan times against the parse floor.

    python3 bench/scan.py            # full: 2,000 templates, an 800-service monorepo, 7 start-up runs
    python3 bench/scan.py --quick                     # smoke: 200 templates, 200 services, 3 start-up runs
    python3 bench/scan.py --repo DIR                  # scan an existing directory instead
    python3 bench/scan.py --profile                   # also cProfile the in-process scan

Measures m2m-guard's performance targets (see bench/README.md for what each figure means):
start-up plus one small template at most 0.2 s and ``--version`` at most 0.08 s; a repository of
templates that all define clients at most 1.3x the time PyYAML's C loader needs just to parse
the same files; a monorepo where few files mention Cognito at most 0.35x that floor. Peak
memory beside every figure. Reports; never fails: the exit status is 0 whatever the figures are.

Standard library + PyYAML + m2m_guard only. Works with m2m_guard installed or not: the repo
root goes on sys.path here and on PYTHONPATH for the subprocesses.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/generate.py)
import generate_monorepo  # noqa: E402  (bench/generate_monorepo.py)
import yaml  # noqa: E402

STARTUP_TARGET = 0.2  # seconds
VERSION_TARGET = 0.08  # seconds
RATIO_TARGET = 1.3  # scan time / parse-floor time, every file defining clients
MONOREPO_TARGET = 0.35  # the same, few files mentioning Cognito

# What the scanner's directory walk looks at (m2m_guard/inputs.py): the floor reads the same.
EXTENSIONS = (".yaml", ".yml", ".json", ".template")
SKIP_DIRS = ("node_modules", ".terraform")

SMALL_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: One M2M client, for the start-up benchmark.
Parameters:
  Stage:
    Type: String
    Default: prod
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: !Sub orders-${Stage}
  OrdersApi:
    Type: AWS::Cognito::UserPoolResourceServer
    Properties:
      UserPoolId: !Ref Pool
      Identifier: !Sub "orders-${Stage}"
      Name: Orders
  BillingClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !GetAtt Pool.UserPoolId
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes:
        - !Sub "${OrdersApi}/read"
      AccessTokenValidity: 15
      TokenValidityUnits:
        AccessToken: minutes
"""


# -- the parse floor ----------------------------------------------------------------------


class FloorLoader(yaml.CSafeLoader):
    """Plain CSafeLoader plus constructors for CloudFormation's ``!`` tags, nothing else."""


def _construct_tag(loader: FloorLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    assert isinstance(node, yaml.MappingNode)
    return {suffix: loader.construct_mapping(node, deep=True)}


FloorLoader.add_multi_constructor("!", _construct_tag)


def candidate_files(top: Path) -> list[Path]:
    """The files the scanner's walk considers, in its order."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        found.extend(Path(folder, n) for n in sorted(files) if n.lower().endswith(EXTENSIONS))
    return found


@dataclass
class Floor:
    seconds: float
    cpu: float  # user+sys seconds of this process
    templates: int  # files parsed
    nbytes: int
    failed: int


def parse_floor(files: list[Path], json_loads: bool = False) -> Floor:
    """Read every candidate file; parse the templates (text mentions ``AWS::``) with CSafeLoader.

    With ``json_loads``, ``.json`` files go through ``json.loads`` instead (what the scanner
    itself uses for JSON), for a second, informative floor.
    """
    parsed = nbytes = failed = 0
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        if "AWS::" not in text:
            continue
        parsed += 1
        nbytes += len(data)
        try:
            if json_loads and text.lstrip()[:1] == "{":
                json.loads(text)
            else:
                yaml.load(text, Loader=FloorLoader)  # noqa: S506 - CSafeLoader subclass
        except Exception:  # noqa: BLE001 - the real corpus holds a few odd files
            failed += 1
    return Floor(time.perf_counter() - start, time.process_time() - cpu, parsed, nbytes, failed)


# -- running things -----------------------------------------------------------------------


def child_env(pycache: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("FORCE_COLOR", None)
    if pycache is not None:  # bytecode cached outside the work tree, as for an installed wheel
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


@dataclass
class Child:
    seconds: float
    cpu: float  # user+sys seconds of the child (and its children)
    code: int
    max_rss: int  # bytes
    stderr: str
    rss_exact: bool = True  # False: os.wait4's figure, an upper bound (see TIME_BIN)


#: GNU time reports the peak RSS of its own child. os.wait4's ru_maxrss cannot be used for a
#: child of this (large) process: Linux carries the parent's high-water mark across the
#: fork/vfork into the child's figure.
TIME_BIN = (
    "/usr/bin/time" if sys.platform.startswith("linux") and os.access("/usr/bin/time", os.X_OK) else None
)


def run_child(cmd: list[str], pycache: Path | None = None, rss: bool = False) -> Child:
    """Wall time, CPU time, exit status and (with ``rss``) peak RSS of one subprocess."""
    with tempfile.TemporaryDirectory() as scratch:
        rss_file = Path(scratch, "rss")
        if rss and TIME_BIN:
            cmd = [TIME_BIN, "-f", "%M", "-o", str(rss_file), *cmd]
        with open(Path(scratch, "err"), "w+b") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=child_env(pycache),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            text = err.read().decode("utf-8", "replace")
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
        max_rss, exact = usage.ru_maxrss * scale, False
        if rss and TIME_BIN:
            words = rss_file.read_text().split()
            if words and words[-1].isdigit():
                max_rss, exact = int(words[-1]) * 1024, True
    return Child(seconds, usage.ru_utime + usage.ru_stime, proc.returncode, max_rss, text, exact)


def run_inprocess(argv: list[str]) -> tuple[float, float, int]:
    from m2m_guard.cli import main

    sink = io.StringIO()
    start, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        code = main(argv)
    return time.perf_counter() - start, time.process_time() - cpu, code


def m2m_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "m2m_guard", *args]


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- measurements -------------------------------------------------------------------------


@dataclass
class Startup:
    label: str
    runs: list[float]
    code: int
    children: list[Child] = field(default_factory=list)

    @property
    def median(self) -> float:
        return median(self.runs)


def measure_startup(small: Path, runs: int, tmp: Path) -> list[Startup]:
    """Sub-process wall times; the last entry is the one the target applies to."""
    script = shutil.which("m2m-guard")
    version = [script, "--version"] if script else m2m_cmd("--version")
    scan = m2m_cmd("scan", str(small), "--format", "json")
    cases: list[tuple[str, list[str], Path | None]] = [
        ("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"], None),
        ("m2m-guard --version" + ("" if script else "  [python -m m2m_guard]"), version, None),
    ]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        # No .pyc files here, so every run compiles m2m_guard afresh: shown for information.
        cases.append(("scan 1 small template, no bytecode (info)", scan, None))
    # The target: m2m-guard as users run it, installed by pip (which compiles the bytecode) into
    # the pre-commit hook's or the CI job's environment. The bytecode goes to a cache outside
    # the work tree (PYTHONPYCACHEPREFIX), written by the warm-up run.
    cases.append(("scan 1 small template --format json, bytecode cached", scan, tmp / "pycache"))
    results = []
    for label, cmd, pycache in cases:
        run_child(cmd, pycache)  # warm-up: page cache (and bytecode, when cached)
        children = [run_child(cmd, pycache, rss=True) for _ in range(runs)]
        results.append(Startup(label, [c.seconds for c in children], children[-1].code, children))
    return results


@dataclass
class ScanResult:
    name: str
    files: list[Path]
    floor: list[Floor] = field(default_factory=list)
    floor_json: list[Floor] = field(default_factory=list)
    inproc: list[float] = field(default_factory=list)
    inproc_cpu: list[float] = field(default_factory=list)
    sub: list[Child] = field(default_factory=list)
    inproc_code: int = 0
    clients: int = 0
    files_with_clients: int = 0
    findings: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    notifications: int = 0
    stderr_sample: str = ""
    #: One untimed run of each floor in a child process, for its peak RSS.
    floor_child: Child | None = None
    floor_json_child: Child | None = None
    #: (same findings?, findings of a scan that parses every file) when checked.
    unfiltered: tuple[bool, int] | None = None

    @property
    def templates(self) -> int:
        return self.floor[0].templates


def count(result: ScanResult, repo: Path, tmp: Path) -> None:
    """One untimed in-process scan (also the warm-up) for client and finding counts."""
    from m2m_guard.files import project_root
    from m2m_guard.inputs import collect

    report = tmp / "count.json"
    with contextlib.redirect_stderr(io.StringIO()):
        from m2m_guard.cli import main

        main(["scan", str(repo), "--format", "json", "--output", str(report)])
    data = json.loads(report.read_text(encoding="utf-8"))
    result.findings = len(data.get("findings", []))
    result.summary = data.get("summary", {})
    result.notifications = len(data.get("notifications", []))
    collected = collect([str(repo)], project_root(Path.cwd()).resolve())
    result.clients = len(collected.clients)
    result.files_with_clients = len({c.location.path for c in collected.clients})


def warm(files: list[Path]) -> None:
    """Read every file, so that each measurement starts with the same (warm) page cache."""
    for path in files:
        path.read_bytes()


def floor_children(result: ScanResult, tmp: Path) -> None:
    """Run each floor once in a child process (untimed): its peak RSS."""
    listing = tmp / "floor-files.txt"
    listing.write_text("".join(f"{p}\n" for p in result.files), encoding="utf-8", errors="surrogateescape")
    script = [sys.executable, str(Path(__file__).resolve()), "--floor-child", str(listing)]
    result.floor_child = run_child(script, rss=True)
    result.floor_json_child = run_child([*script, "--json-loads"], rss=True)


def compare_unfiltered(result: ScanResult, repo: Path, tmp: Path) -> None:
    """Scan once more with the pre-filter letting every file through (untimed): the findings
    must be the same."""
    import m2m_guard.inputs as inputs

    if "may_hold" not in vars(inputs):
        return  # a version of m2m-guard without the pre-filter
    report = tmp / "unfiltered.json"
    kept = vars(inputs)["may_hold"]
    vars(inputs)["may_hold"] = lambda data: True
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            from m2m_guard.cli import main

            main(["scan", str(repo), "--format", "json", "--output", str(report)])
    finally:
        vars(inputs)["may_hold"] = kept
    unfiltered = json.loads(report.read_text(encoding="utf-8"))["findings"]
    filtered = json.loads((tmp / "count.json").read_text(encoding="utf-8"))["findings"]
    result.unfiltered = (unfiltered == filtered, len(unfiltered))


def measure_scan(name: str, repo: Path, runs: int, tmp: Path, check_filter: bool = False) -> ScanResult:
    files = candidate_files(repo)
    result = ScanResult(name, files)
    parse_floor(files)  # warm-up: page cache
    count(result, repo, tmp)  # warm-up: imports
    if check_filter:
        compare_unfiltered(result, repo, tmp)
    floor_children(result, tmp)
    argv = ["scan", str(repo), "--format", "sarif", "--output", os.devnull]
    run_child(m2m_cmd(*argv), tmp / "pycache")  # warm-up: writes the bytecode cache
    for _ in range(runs):  # side by side, interleaved, so drift hits all alike
        warm(files)
        gc.collect()
        result.floor.append(parse_floor(files))
        warm(files)
        gc.collect()
        result.floor_json.append(parse_floor(files, json_loads=True))
        warm(files)
        gc.collect()
        seconds, cpu, result.inproc_code = run_inprocess(argv)
        result.inproc.append(seconds)
        result.inproc_cpu.append(cpu)
        warm(files)
        gc.collect()
        # bytecode cached, as installed (see measure_startup); the floors' children need none
        result.sub.append(run_child(m2m_cmd(*argv), tmp / "pycache", rss=True))
    result.stderr_sample = result.sub[-1].stderr.strip()
    return result


def find_corpus() -> Path | None:
    for candidate in (ROOT.parent / "shared" / "corpus",):
        if candidate.is_dir():
            return candidate
    return None


# -- report -------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    return f"{seconds:8.3f}"


def print_scan(result: ScanResult, description: str) -> float:
    """The table for one repository; returns the wall-time ratio CLI / CSafeLoader floor."""
    floor = median([f.seconds for f in result.floor])
    floor_cpu = median([f.cpu for f in result.floor])
    rows = [
        ("parse floor: CSafeLoader, JSON too", floor, floor_cpu, _rss([result.floor_child])),
        (
            "parse floor': json.loads for JSON (info)",
            median([f.seconds for f in result.floor_json]),
            median([f.cpu for f in result.floor_json]),
            _rss([result.floor_json_child]),
        ),
        (
            "scan in-process  m2m_guard.cli.main()",
            median(result.inproc),
            median(result.inproc_cpu),
            "(CLI's)",
        ),
        (
            "scan CLI subprocess (incl. start-up)",
            median([c.seconds for c in result.sub]),
            median([c.cpu for c in result.sub]),
            _rss(result.sub),
        ),
    ]
    n = result.templates
    print(f"\n{result.name}: {description}")
    print(
        f"  {len(result.files)} candidate files walked, {n} templates parsed by the floor "
        f"({result.floor[0].nbytes / 1e6:.1f} MB)"
        + (f", {result.floor[0].failed} the floor loader rejects" if result.floor[0].failed else "")
    )
    print(
        f"  {'median of ' + str(len(result.inproc)):<44}{'wall s':>8}{'files/s':>9}{'x floor':>8}"
        f"{'CPU s':>8}{'x floor':>8}{'peak RSS':>10}"
    )
    for label, wall, cpu, extra in rows:
        ratios = f"{wall / floor:8.2f}{cpu:8.3f}{cpu / floor_cpu:8.2f}"
        print(f"  {label:<44}{wall:8.3f}{n / wall:9.0f}{ratios}{extra:>10}")
    levels = ", ".join(f"{result.summary.get(k, 0)} {k}" for k in ("error", "warning", "note"))
    print(
        f"  clients {result.clients} (in {result.files_with_clients} files); findings "
        f"{result.findings} ({levels}); notifications {result.notifications}; "
        f"exit {result.sub[-1].code} (in-process {result.inproc_code})"
    )
    ratio = rows[3][1] / floor
    print(
        f"  ratio scan/floor (wall): CLI {ratio:.2f}, in-process {rows[2][1] / floor:.2f};"
        f" (CPU): CLI {rows[3][2] / floor_cpu:.2f}, in-process {rows[2][2] / floor_cpu:.2f};"
        f" vs floor' (wall): CLI {rows[3][1] / rows[1][1]:.2f}, in-process {rows[2][1] / rows[1][1]:.2f}"
    )
    if result.unfiltered is not None:
        same, findings = result.unfiltered
        print(
            f"  pre-filter: {'the same' if same else 'NOT the same'} findings as a scan that parses "
            f"every file ({findings})"
        )
    if result.stderr_sample:
        lines = result.stderr_sample.splitlines()
        print(f"  stderr ({len(lines)} lines): {lines[0][:110]}")
    return ratio


def _rss(children: Sequence[Child | None]) -> str:
    known = [c for c in children if c is not None]
    if not known:
        return ""
    peak = max(c.max_rss for c in known)
    bound = "" if all(c.rss_exact for c in known) else "<="
    return f"{bound}{peak / 2**20:.0f} MB"


def profile(repo: Path) -> None:
    import cProfile
    import pstats

    argv = ["scan", str(repo), "--format", "sarif", "--output", os.devnull]
    profiler = cProfile.Profile()
    with contextlib.redirect_stderr(io.StringIO()):
        from m2m_guard.cli import main

        profiler.runcall(main, argv)
    for key, limit in (("cumulative", 25), ("tottime", 25)):
        print(f"\ncProfile of the in-process scan, top {limit} by {key}:")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs().sort_stats(key).print_stats(limit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="m2m-guard scan benchmark (reports, never fails)")
    parser.add_argument("--quick", action="store_true", help="200 templates, 3 start-up runs")
    parser.add_argument("--repo", type=Path, help="scan this directory instead of a generated one")
    parser.add_argument("--templates", type=int, help="templates to generate (default 2000, quick 200)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="scan runs, median taken (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument("--no-corpus", action="store_true", help="skip the real corpus")
    parser.add_argument(
        "--monorepo", type=Path, help="use this directory as the monorepo instead of a generated one"
    )
    parser.add_argument("--services", type=int, help="monorepo services to generate (default 800, quick 200)")
    parser.add_argument("--no-monorepo", action="store_true", help="skip the monorepo")
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile one in-process scan of the repository (top 25)"
    )
    parser.add_argument("--floor-child", type=Path, help=argparse.SUPPRESS)  # a list of files
    parser.add_argument("--json-loads", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_child:  # one floor in a child process, for its peak RSS
        listed = args.floor_child.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        print(parse_floor([Path(p) for p in listed], json_loads=args.json_loads))
        return 0
    templates = args.templates or (200 if args.quick else 2000)
    services = args.services or (200 if args.quick else 800)
    startup_runs = 3 if args.quick else 7

    os.chdir(ROOT)  # policy discovery and report paths as for `cd repo && m2m-guard scan`
    libyaml = "with libyaml" if getattr(yaml, "__with_libyaml__", False) else "WITHOUT libyaml"
    from m2m_guard import __version__

    print(
        f"m2m-guard {__version__} scan benchmark: Python {platform.python_version()}, "
        f"PyYAML {yaml.__version__} {libyaml}, {os.cpu_count()} CPUs, {platform.system()}"
    )

    tmp = Path(tempfile.mkdtemp(prefix="m2m-guard-bench-"))
    try:
        small = tmp / "small.yaml"
        small.write_text(SMALL_TEMPLATE, encoding="utf-8")
        startup = measure_startup(small, startup_runs, tmp)
        print(
            f"\nStart-up (subprocess wall time, median of {startup_runs} after 1 warm-up)"
            f"{'seconds':>17}{'min':>9}{'peak RSS':>10}"
        )
        for case in startup:
            rss = _rss(case.children)
            print(
                f"  {case.label:<60}{fmt_s(case.median)}{fmt_s(min(case.runs))}{rss:>10}"
                + (f"  exit {case.code}" if case.code else "")
            )
        scan_startup = startup[-1].median
        startup_ok = scan_startup < STARTUP_TARGET and startup[-1].code in (0, 1)
        version = next(case for case in startup if case.label.startswith("m2m-guard --version"))
        version_ok = version.median <= VERSION_TARGET and version.code == 0

        if args.repo:
            repo, what = args.repo.resolve(), "given with --repo"
        else:
            repo = tmp / "repo"
            started = time.perf_counter()
            counts = generate.generate(repo, templates, args.seed)
            what = (
                f"generated {counts['yaml']} YAML + {counts['json']} JSON templates, "
                f"{counts['other']} other files, seed {args.seed} "
                f"({time.perf_counter() - started:.1f} s) in {repo}"
            )
        synthetic = measure_scan("Synthetic repository", repo, args.runs, tmp)
        ratio = print_scan(synthetic, what)
        ratio_ok = ratio <= RATIO_TARGET

        corpus = None if args.no_corpus else find_corpus()
        if corpus is not None:
            real = measure_scan("Real corpus", corpus, args.runs, tmp)
            print_scan(real, f"{corpus} (small: start-up dominates the CLI figure)")

        mono_ratio = None
        if not args.no_monorepo:
            if args.monorepo:
                mono, how = args.monorepo.resolve(), "given with --monorepo"
            else:
                mono = tmp / "monorepo"
                started = time.perf_counter()
                made = generate_monorepo.generate_monorepo(mono, services, args.seed)
                how = (
                    f"generated {services} services ({made['sam']} SAM, {made['cdk']} CDK, "
                    f"{made['terraform']} Terraform), {made['cognito']} files defining Cognito pools or "
                    "clients, "
                    f"{made['files']} files, {made['bytes'] / 1e6:.1f} MB, seed {args.seed} "
                    f"({time.perf_counter() - started:.1f} s) in {mono}"
                )
            monorepo = measure_scan(
                "Monorepo (few files mention Cognito)", mono, args.runs, tmp, check_filter=True
            )
            mono_ratio = print_scan(monorepo, how)

        print(
            "\nNotes: the floor parses JSON files with the same CSafeLoader (JSON is YAML); the "
            "scanner uses json.loads for them,\nso floor' is information only. The ratio target "
            "uses wall time, CLI subprocess / CSafeLoader floor; CPU\ncolumns are user+sys "
            "seconds (steadier on a busy machine). Page cache warm for every measurement."
        )
        if args.profile:
            profile(repo)
        if args.keep and not args.repo:
            print(f"\n(kept {tmp})")
        small_repo = synthetic.templates < 1000
        print(
            f"\nstart-up {scan_startup:.3f} s (target < {STARTUP_TARGET} s); --version "
            f"{version.median:.3f} s (target <= {VERSION_TARGET} s); "
            f"scan/floor ratio {ratio:.2f} (target <= {RATIO_TARGET})"
            + (f"; monorepo/floor ratio {mono_ratio:.2f} (target <= {MONOREPO_TARGET})" if mono_ratio else "")
            + (
                f"; only {synthetic.templates} templates: start-up weighs heavily, the ratio "
                "targets are for thousands"
                if small_repo
                else ""
            )
        )
        verdicts = [
            f"startup {'OK' if startup_ok else 'FAIL'}",
            f"version {'OK' if version_ok else 'FAIL'}",
            f"scan ratio {'OK' if ratio_ok else 'FAIL'}",
        ]
        if mono_ratio is not None:
            same = monorepo.unfiltered is not None and monorepo.unfiltered[0]
            verdicts.append(f"monorepo ratio {'OK' if mono_ratio <= MONOREPO_TARGET and same else 'FAIL'}")
        print("targets: " + ", ".join(verdicts))
    finally:
        if not (args.keep and not args.repo):
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
