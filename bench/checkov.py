"""checkov running m2m-guard's checks vs `m2m-guard scan`, on one synthetic repository.

    python3 bench/checkov.py          # 200 generated templates, one run each
    python3 bench/checkov.py --templates 500 --runs 3  # median of 3 runs
    python3 bench/checkov.py --repo DIR                # an existing directory instead

Measures the target "at least 30x faster than checkov running the equivalent custom checks on
the same files, with the same findings".
Both tools run as subprocesses, offline, with the same policy (the built-in default pack):

* checkov: ``checkov -d REPO --framework cloudformation --external-checks-dir
  "$(m2m-guard checkov-dir)" --check CKV_M2M_...`` (only m2m-guard's checks), ``-o json``;
* m2m-guard: ``python -m m2m_guard scan REPO --format json``.

Then it compares the failing clients per rule type (checkov FAILED vs. scan findings at error or
warning level, neither waived nor undetermined) and prints both wall times and the ratio. A
benchmark, not a test: the exit status is 0 whatever the figures, also when checkov is missing
(checkov from this interpreter, else ``.venv-checkov/bin/checkov``; else a skip line).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/generate.py)

from m2m_guard.checkov.bridge import CFN_TYPE, CLIENT_TYPES, check_id  # noqa: E402

RATIO_TARGET = 30.0
POLICY = "default"
CHECKS = ROOT / "m2m_guard" / "checkov" / "checks"

Failing = set[tuple[str, str, str]]  # (absolute path, logical id, check id)


def find_checkov() -> Path | None:
    # The console script next to this interpreter (not find_spec: this very file is "checkov"
    # on sys.path[0]), else the second virtualenv of .ci/run.
    here = Path(sys.executable).parent / "checkov"
    if here.is_file():
        return here
    venv = ROOT / ".venv-checkov" / "bin" / "checkov"
    return venv if venv.is_file() else None


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), out.get("PYTHONPATH")) if p)
    out.update(M2M_GUARD_POLICY=POLICY, BC_SKIP_MAPPING="TRUE")
    return out


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    return time.perf_counter() - start, proc


def _documents(text: str) -> list[dict[str, Any]]:
    decoder, pos = json.JSONDecoder(), 0
    reports: list[dict[str, Any]] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return reports
        doc, pos = decoder.raw_decode(text, pos)
        reports += doc if isinstance(doc, list) else [doc]


def checkov_failing(stdout: str, repo: Path) -> tuple[Failing, int]:
    failing: Failing = set()
    resources = 0
    for report in _documents(stdout):
        resources += report.get("summary", report).get("resource_count", 0)
        for result in report.get("results", {}).get("failed_checks", []):
            path = str((repo / result["file_abs_path"]).resolve())
            failing.add((path, result["resource"].removeprefix(f"{CFN_TYPE}."), result["check_id"]))
    return failing, resources


def scan_failing(stdout: str, repo: Path) -> Failing:
    return {
        (str((repo / f["path"]).resolve()), f["subject"], check_id(f["rule_type"]))
        for f in json.loads(stdout)["findings"]
        if f["rule_type"] in CLIENT_TYPES
        and f["level"] in ("error", "warning")
        and not f["suppressed"]
        and not f["undetermined"]
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=200, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--runs", type=int, default=1, metavar="R", help="median of R runs each")
    parser.add_argument("--repo", type=Path, help="benchmark an existing directory instead")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = parser.parse_args(argv)

    checkov = find_checkov()
    if checkov is None:
        print(
            "checkov benchmark: SKIPPED (checkov is not installed here and there is no "
            ".venv-checkov/bin/checkov; python3 -m venv .venv-checkov && "
            ".venv-checkov/bin/pip install -e '.[checkov]')"
        )
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="m2m-bench-checkov-"))
    try:
        if args.repo:
            repo = args.repo.resolve()
            described = str(repo)
        else:
            repo = tmp / "repo"
            counts = generate.generate(repo, args.templates, args.seed)
            described = (
                f"{counts['yaml'] + counts['json']} generated templates "
                f"({counts['yaml']} YAML, {counts['json']} JSON, {counts['bytes'] / 1e6:.1f} MB)"
            )
        ids = ",".join(check_id(t) for t in CLIENT_TYPES)
        checkov_cmd = [
            str(checkov),
            "-d",
            ".",
            "--framework",
            "cloudformation",
            "--external-checks-dir",
            str(CHECKS),
            "--check",
            ids,
            "--skip-download",
            "-o",
            "json",
            "--compact",
            "--quiet",
        ]
        scan_cmd = [sys.executable, "-m", "m2m_guard", "scan", ".", "--policy", POLICY, "--format", "json"]

        checkov_times, scan_times = [], []
        for _ in range(args.runs):  # interleaved, so that a busy spell hits both
            seconds, ck = timed(checkov_cmd, repo)
            checkov_times.append(seconds)
            seconds, sc = timed(scan_cmd, repo)
            scan_times.append(seconds)
        if ck.returncode not in (0, 1) or sc.returncode not in (0, 1):
            print(
                f"checkov exit {ck.returncode}: {ck.stderr[-2000:]}\nscan exit {sc.returncode}: "
                f"{sc.stderr[-2000:]}"
            )
            return 0
        from_checkov, resources = checkov_failing(ck.stdout, repo)
        from_scan = scan_failing(sc.stdout, repo)

        checkov_s, scan_s = statistics.median(checkov_times), statistics.median(scan_times)
        ratio = checkov_s / scan_s
        print(
            f"repository: {described}; policy: built-in {POLICY} pack; "
            f"{len(CLIENT_TYPES)} checks; median of {args.runs} run(s)"
        )
        print(
            f"checkov {checkov.parent.parent.name}/bin/checkov: {checkov_s:8.2f} s wall "
            f"({resources} resources)"
        )
        print(f"m2m-guard scan:            {scan_s:8.2f} s wall")
        if from_checkov == from_scan:
            by_type = {c for _, _, c in from_scan}
            print(
                f"findings: same ({len(from_scan)} failing client x rule type pairs, "
                f"{len(by_type)} rule types)"
            )
        else:
            print(
                f"findings: DIFFERENT ({len(from_checkov - from_scan)} only from checkov, "
                f"{len(from_scan - from_checkov)} only from m2m-guard)"
            )
            for row in sorted(from_checkov - from_scan)[:10]:
                print("  checkov only:  ", *row)
            for row in sorted(from_scan - from_checkov)[:10]:
                print("  m2m-guard only:", *row)
        verdict = "OK" if ratio >= RATIO_TARGET and from_checkov == from_scan else "FAIL"
        print(
            f"ratio: m2m-guard is {ratio:.1f}x faster (target >= {RATIO_TARGET:g}x, same findings): {verdict}"
        )
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
