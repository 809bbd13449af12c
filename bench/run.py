"""One entry point for every m2m-guard benchmark: prints each one's figures, then a summary.

    python bench/run.py            # full runs (several minutes)
    python bench/run.py --quick    # smoke sizes (about two minutes)

Runs, each in its own process: start-up, the synthetic repository and a generated monorepo
against the PyYAML parse floor, with peak memory (scan.py), one saved describe dump of 249,000
app clients (describe.py), checkov with the same checks (checkov.py; needs checkov, e.g. in
.venv-checkov, and says so when absent), and the live sweep against a local moto server
(sweep.py). A benchmark reports; it always exits 0.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Lines worth repeating in the summary: targets, ratios, scaling.
SUMMARY = re.compile(
    r"^(targets:|start-up .* target|ratio|scaling:|  .*faster;|API calls per client|  calls per client)", re.I
)


def run(name: str, args: list[str]) -> list[str]:
    print(f"\n===== {name}: {' '.join(args) or '(defaults)'} =====", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(HERE / name), *args],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    kept = []
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        if SUMMARY.search(line.strip("\n")):
            kept.append(line.rstrip())
    process.wait()
    kept.append(f"  ({name} took {time.perf_counter() - started:.0f} s)")
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke sizes")
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    summary = {
        "scan.py": run("scan.py", quick),
        "describe.py": run("describe.py", quick),
        "checkov.py": run("checkov.py", ["--templates", "50"] if args.quick else []),
        "sweep.py": run("sweep.py", quick),
        "config.py": run("config.py", quick),
    }
    print("\n===== summary =====")
    for name, lines in summary.items():
        print(name)
        for line in lines:
            print(f"  {line.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
