"""Describe-output benchmark: one saved dump of a quarter of a million app clients.

    python3 bench/describe.py            # 249,000 clients, just under the 64 MiB input limit
    python3 bench/describe.py --quick    # 25,000 clients
    python3 bench/describe.py --clients N --runs R --keep

A shell loop that saves ``aws cognito-idp describe-user-pool-client`` for every client of an
organization gives one large file. Its scan must stay linear in the number of clients: the
target is under 20 s wall and under 500 MB peak RSS for 249,000 clients on the 2-core
development machine. It generates the file (compact JSON, one client a line, as ``jq -c``
writes), runs ``python -m m2m_guard scan FILE --format FORMAT --output /dev/null`` as a
subprocess (median of ``--runs``), and prints wall time, CPU time, peak RSS, clients per second,
the ratio to ``json.loads`` of the same text (the parse floor) and to the targets, and a last
line ``targets: describe time OK|FAIL, describe memory OK|FAIL`` (every format of
``--formats`` must pass). A tenth and a third of the clients, scanned with the first format,
show the scaling: time per client stays flat when the scan is linear. A benchmark reports; it
always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME_TARGET = 20.0  # seconds, 249,000 clients
MEMORY_TARGET = 500.0  # MB peak RSS, 249,000 clients
FULL = 249_000
#: GNU time reports the peak RSS of its own child (see bench/README.md on os.wait4).
TIME_BIN = (
    "/usr/bin/time" if sys.platform.startswith("linux") and os.access("/usr/bin/time", os.X_OK) else None
)
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def generate(path: Path, clients: int, seed: int = 1) -> int:
    """A dump of ``clients`` describe outputs (``--query UserPoolClient``), one a line, in a JSON
    list; 90% compliant M2M clients, 6% with day-long tokens, 4% hosted-UI clients."""
    rng = random.Random(seed)
    pools = [f"eu-west-1_{''.join(rng.choices(ALPHABET, k=9))}" for _ in range(40)]
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for n in range(clients):
            draw = rng.random()
            client: dict[str, object] = {
                "UserPoolId": pools[n % len(pools)],
                "ClientName": f"svc-{n:06d}",
                "ClientId": "".join(rng.choices(ALPHABET, k=26)),
            }
            if draw < 0.96:
                client["AccessTokenValidity"] = 24 if draw < 0.06 else 1  # hours, the default unit
                client["AllowedOAuthFlows"] = ["client_credentials"]
                client["AllowedOAuthScopes"] = [f"api{n % 7}/read"]
                client["GenerateSecret"] = True
            else:
                client["AllowedOAuthFlows"] = ["code"]
                client["AllowedOAuthScopes"] = ["openid"]
            client["AllowedOAuthFlowsUserPoolClient"] = True
            out.write(json.dumps(client, separators=(",", ":")))
            out.write(",\n" if n + 1 < clients else "\n")
        out.write("]\n")
    return path.stat().st_size


def scan_once(file: Path, fmt: str) -> tuple[float, float, float, bool, int]:
    """(wall s, CPU s, peak RSS MB, exact RSS, exit status) of one CLI scan as a subprocess."""
    command = [sys.executable, "-m", "m2m_guard", "scan", str(file), "--format", fmt, "--output", os.devnull]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    prefix = [TIME_BIN, "-f", "%M %U %S"] if TIME_BIN else []
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([*prefix, *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        err.seek(0)
        lines = err.read().split()
    if TIME_BIN and len(lines) >= 3:
        rss_kb, user, system = lines[-3:]
        return wall, float(user) + float(system), int(rss_kb) / 1024, True, os.waitstatus_to_exitcode(status)
    return (
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        False,
        os.waitstatus_to_exitcode(status),
    )


def parse_floor(file: Path) -> float:
    started = time.perf_counter()
    json.loads(file.read_text(encoding="utf-8"))
    return time.perf_counter() - started


def measure(file: Path, clients: int, fmt: str, runs: int) -> tuple[float, float, float, bool]:
    size = file.stat().st_size
    floor = parse_floor(file)
    results = [scan_once(file, fmt) for _ in range(runs)]
    wall = statistics.median(r[0] for r in results)
    cpu = statistics.median(r[1] for r in results)
    rss = max(r[2] for r in results)
    exact = all(r[3] for r in results)
    status = results[0][4]
    print(
        f"{clients:>9,} clients {size / 2**20:5.1f} MiB {fmt:<5}  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
        f"peak RSS {'' if exact else '<='}{rss:6.0f} MB  {clients / wall:9,.0f} clients/s  "
        f"x json.loads {wall / floor:5.1f}  exit {status}",
        flush=True,
    )
    return wall, rss, wall / clients, exact


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="25,000 clients (smoke)")
    parser.add_argument("--clients", type=int, help=f"clients in the largest file (default {FULL:,})")
    parser.add_argument("--runs", type=int, default=1, help="scans per size (median wall, max RSS)")
    parser.add_argument("--formats", default="text,json,sarif", help="report formats (default: all three)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    largest = args.clients or (25_000 if args.quick else FULL)
    sizes = sorted({max(1, largest // 10), max(1, largest // 3), largest})
    folder = Path(tempfile.mkdtemp(prefix="m2m-guard-describe-"))
    print(f"describe benchmark: {', '.join(f'{n:,}' for n in sizes)} clients; files in {folder}", flush=True)
    runs = max(1, args.runs)
    try:
        files = {n: folder / f"describe-{n}.json" for n in sizes}
        for n, file in files.items():
            generate(file, n)
        scaling = {n: measure(files[n], n, formats[0], runs) for n in sizes[:-1]}
        figures = {fmt: measure(files[largest], largest, fmt, runs) for fmt in formats}
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if len(scaling) == 2:
        # time per added client, first from a tenth to a third, then from a third to all: the
        # same when the scan is linear (start-up cancels out); it grows with n when it is not
        (tenth, third), whole = sizes[:2], figures[formats[0]][0]
        early = (scaling[third][0] - scaling[tenth][0]) / (third - tenth)
        late = (whole - scaling[third][0]) / (largest - third)
        print(
            f"scaling: {late * 1e6:.1f} us per added client from {third:,} to {largest:,} clients, "
            f"{early * 1e6:.1f} us from {tenth:,} to {third:,}: {late / early:.2f}x ({formats[0]})"
        )
    # the targets are stated for 249,000 clients; smaller runs are judged pro rata for time
    time_target = TIME_TARGET * largest / FULL
    time_ok = memory_ok = True
    for fmt, (wall, rss, _, exact) in figures.items():
        print(
            f"ratio to targets ({fmt}): wall {wall:.1f} s / {time_target:.1f} s = {wall / time_target:.2f}; "
            f"peak RSS {rss:.0f} MB / {MEMORY_TARGET:.0f} MB = {rss / MEMORY_TARGET:.2f}"
            + ("" if exact else " (RSS from os.wait4: an upper bound)")
        )
        time_ok = time_ok and wall <= time_target
        memory_ok = memory_ok and rss <= MEMORY_TARGET
    verdicts = ("OK" if time_ok else "FAIL", "OK" if memory_ok else "FAIL")
    print("targets: describe time {}, describe memory {}".format(*verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
