#!/usr/bin/env python3
"""AWS Config inventory benchmark: ``m2m-guard sweep --config-aggregator`` over 10,000 app
clients in 100 account-regions, against a local fake of the Config endpoint.

It is a benchmark, not a test: it prints figures and always exits 0. See bench/README.md
("Config benchmark").

    python3 bench/config.py            # 10,000 clients in 100 account-regions
    python3 bench/config.py --quick    # 1,000 clients
    python3 bench/config.py --clients 50000 --latency-ms 100

The fake is a ``ThreadingHTTPServer`` on 127.0.0.1 that answers SelectAggregateResourceConfig
(JSON 1.1 protocol, ``X-Amz-Target: StarlingDoveService.SelectAggregateResourceConfig``) with
pages of ``Limit`` items and a ``NextToken``, after ``--latency-ms``. The sweep finds it through
``AWS_ENDPOINT_URL_CONFIG_SERVICE``: botocore's service-specific endpoint variable is named for
the service id, "Config Service" (botocore's config model, ``metadata.serviceId``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The Cognito sweep's figures for 10,000 clients (bench/README.md, "Sweep benchmark").
COGNITO_SWEEP = {"clients": 10_000, "calls": 10_261, "wall": 258.0}
TARGET_CALLS = 110


def items(clients: int, account_regions: int) -> list[str]:
    """``clients`` items spread evenly over ``account_regions``: 85% compliant M2M clients, 5%
    with day-long tokens, 10% hosted-UI clients (the Cognito sweep benchmark's mix)."""
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1", "eu-central-1"]
    out = []
    for n in range(clients):
        where = n % account_regions
        account, region = f"{100000000000 + where // len(regions)}", regions[where % len(regions)]
        kind = n % 20
        flows = ["code"] if kind >= 18 else ["client_credentials"]
        ttl = 24 if kind == 17 else 1
        configuration = {
            "ClientId": f"c{n:025d}",
            "ClientName": f"svc-{n}",
            "UserPoolId": f"{region}_Pool{where:04d}",
            "AllowedOAuthFlows": flows,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": ["openid"] if kind >= 18 else ["orders/read"],
            "AccessTokenValidity": ttl,
            "TokenValidityUnits": {"AccessToken": "hours"},
            "EnableTokenRevocation": True,
        }
        item = {
            "accountId": account,
            "awsRegion": region,
            "resourceId": configuration["ClientId"],
            "configurationItemCaptureTime": "2026-11-01T00:00:00.000Z",
            "configurationItemStatus": "OK",
            "configuration": configuration,
        }
        out.append(json.dumps(item))
    return out


class FakeConfig(ThreadingHTTPServer):
    """The Config endpoint: pages of the items, counted."""

    def __init__(self, results: list[str], latency: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.results, self.latency, self.calls = results, latency, 0
        self.targets: set[str] = set()
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: FakeConfig

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            self.server.calls += 1
            self.server.targets.add(self.headers.get("X-Amz-Target", ""))
        time.sleep(self.server.latency)
        start = int(body.get("NextToken") or 0)
        limit = int(body.get("Limit") or 25)
        page: dict[str, Any] = {"Results": self.server.results[start : start + limit], "QueryInfo": {}}
        if start + limit < len(self.server.results):
            page["NextToken"] = str(start + limit)
        data = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 clients")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--account-regions", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=30.0, help="per request (default: 30)")
    args = parser.parse_args()
    clients = 1_000 if args.quick else args.clients
    from m2m_guard.cli import main as cli

    server = FakeConfig(items(clients, args.account_regions), args.latency_ms / 1000)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(Path(scratch) / "no-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(Path(scratch) / "no-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_ENDPOINT_URL_CONFIG_SERVICE=f"http://127.0.0.1:{server.server_address[1]}",
        )
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
        report = Path(scratch) / "config.sarif"
        argv = ["sweep", "--config-aggregator", "org", "--format", "sarif", "--output", str(report)]
        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            code = cli(argv)
        wall = time.perf_counter() - started
        results = json.loads(report.read_text())["runs"][0]["results"]
    server.shutdown()
    print(
        f"AWS Config: {clients:,} clients in {args.account_regions} account-regions, "
        f"{args.latency_ms:g} ms/request"
    )
    print(f"  exit code {code}, {len(results):,} results, operations {sorted(server.targets)}")
    print(f"  API calls: {server.calls} (target at most {TARGET_CALLS} for 10,000 clients)")
    print(f"  wall time: {wall:.2f} s")
    cognito = COGNITO_SWEEP
    print(
        f"  calls per client {server.calls / clients:.3f} vs the Cognito sweep's "
        f"{cognito['calls'] / cognito['clients']:.3f} ({cognito['calls']:,} calls, {cognito['wall']:.0f} s "
        f"for {cognito['clients']:,} clients)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
