"""Helpers for the live-sweep tests: populating moto, hooking botocore, running the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main

ACCOUNT = "123456789012"  # moto's default account
INVENTORY = Path("m2m-guard-inventory")
#: Keep the tests quick: the client-side limiter is tested on its own.
FAST = ("--max-rps", "1000")


# --- populating moto ------------------------------------------------------------------------


def cognito(region: str = "us-east-1", session: Any = None, endpoint_url: str | None = None) -> Any:
    import boto3

    return (session or boto3).client("cognito-idp", region_name=region, endpoint_url=endpoint_url)


def pool(client: Any, name: str, servers: tuple[str, ...] = ("orders",)) -> str:
    pool_id = client.create_user_pool(PoolName=name)["UserPool"]["Id"]
    for identifier in servers:
        client.create_resource_server(
            UserPoolId=pool_id,
            Identifier=identifier,
            Name=identifier,
            Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
        )
    return str(pool_id)


def m2m(
    client: Any,
    pool_id: str,
    name: str,
    *,
    scopes: tuple[str, ...] = ("orders/read",),
    ttl: tuple[int, str] = (30, "minutes"),
) -> dict[str, Any]:
    """A compliant client_credentials client (unless ``scopes``/``ttl`` say otherwise), with a
    secret. Returns the create response's UserPoolClient (ClientSecret included)."""
    created: dict[str, Any] = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=list(scopes),
        AccessTokenValidity=ttl[0],
        TokenValidityUnits={"AccessToken": ttl[1]},
    )["UserPoolClient"]
    return created


def token_auth(client: Any, pool_id: str, name: str, ttl: tuple[int, str] = (24, "hours")) -> dict[str, Any]:
    """A GetClientToken client: ExplicitAuthFlows ALLOW_CLIENT_TOKEN_AUTH, no OAuth flows."""
    created: dict[str, Any] = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH"],
        AllowedOAuthScopes=["orders/read"],
        AccessTokenValidity=ttl[0],
        TokenValidityUnits={"AccessToken": ttl[1]},
    )["UserPoolClient"]
    return created


def user_facing(client: Any, pool_id: str, name: str) -> dict[str, Any]:
    """A hosted-UI client: code flow, user scopes, a day-long token. Never an M2M finding."""
    created: dict[str, Any] = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "aws.cognito.signin.user.admin"],
        CallbackURLs=["https://app.example.com/callback"],
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=24,
        TokenValidityUnits={"AccessToken": "hours"},
    )["UserPoolClient"]
    return created


# --- botocore hooks ----------------------------------------------------------------------------


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def response(
    status: int, body: dict[str, Any] | str, content_type: str = "application/x-amz-json-1.1"
) -> Any:
    """An HTTP response for a ``before-send`` handler to return instead of sending."""
    from botocore.awsrequest import AWSResponse

    data = (json.dumps(body) if isinstance(body, dict) else body).encode()
    return AWSResponse(
        "https://stubbed.invalid/",
        status,
        {"Content-Type": content_type, "x-amzn-RequestId": "stub"},
        _Raw(data),
    )


def json_error(code: str, status: int = 400) -> Any:
    return response(status, {"__type": code, "message": f"stubbed {code}"})


def query_error(code: str, status: int = 403) -> Any:
    """An error in the query protocol's XML (STS)."""
    return response(
        status,
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>stubbed {code}</Message></Error>"
        "<RequestId>stub</RequestId></ErrorResponse>",
        "text/xml",
    )


@dataclass
class Hooks:
    """botocore event handlers added to every client ``m2m_guard.sweep.aws.client`` makes.

    ``add(event, handler, service=..., region=...)`` registers ``handler`` first (ahead of
    moto's own ``before-send``) on the clients of that service and region (None: any)."""

    handlers: list[tuple[str, Callable[..., Any], str | None, str | None]] = field(default_factory=list)
    #: Every client made: (service, region, client)
    made: list[tuple[str, str | None, Any]] = field(default_factory=list)
    on_client: list[Callable[[str, str | None, Any], None]] = field(default_factory=list)

    def add(
        self, event: str, handler: Callable[..., Any], service: str | None = None, region: str | None = None
    ) -> None:
        self.handlers.append((event, handler, service, region))

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def client(session: Any, service: str, region: str | None, endpoint_url: str | None = None) -> Any:
            made = original(session, service, region, endpoint_url)
            for event, handler, want_service, want_region in self.handlers:
                if want_service in (None, service) and want_region in (None, region):
                    made.meta.events.register_first(event, handler)
            for callback in self.on_client:
                callback(service, region, made)
            self.made.append((service, region, made))
            return made

        return client


def request_json(request: Any) -> dict[str, Any]:
    body = request.body or b"{}"
    parsed: dict[str, Any] = json.loads(body.decode() if isinstance(body, bytes) else body)
    return parsed


# --- running the CLI ---------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str
    report: Any = None

    def results(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.report["runs"][0]["results"]
        return results

    def notifications(self) -> list[dict[str, Any]]:
        notes: list[dict[str, Any]] = self.report["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        return notes


def sweep(capsys: pytest.CaptureFixture[str], *argv: str, report: str | None = None) -> Run:
    """``m2m-guard sweep ARGV --max-rps 1000``; with ``report`` (a file name) the report is
    written there, and parsed unless its name ends in ``.text``."""
    args = ["sweep", *FAST, *argv]
    if report:
        args += ["--output", report]
    code = main(args)
    out, err = capsys.readouterr()
    parsed = None
    if report and Path(report).exists() and not report.endswith(".text"):
        parsed = json.loads(Path(report).read_text())
    return Run(code, out, err, parsed)


def inventory(region: str, account: str = ACCOUNT) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((INVENTORY / account / f"{region}.json").read_text())
    return document


def inventory_clients(region: str, account: str = ACCOUNT) -> dict[str, dict[str, Any]]:
    """ClientName -> inventory record."""
    return {c["ClientName"]: c for p in inventory(region, account)["userPools"] for c in p["AppClients"]}


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def findings(run: Run) -> dict[tuple[str, str], dict[str, Any]]:
    """(rule id, subject) -> JSON finding."""
    return {(f["rule_id"], f["subject"]): f for f in run.report["findings"]}
