"""The pre-filter: files found in a walk are parsed only when their bytes may hold an app client,
a user pool or a saved sweep; no finding is lost against a scan that parses everything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import m2m_guard.inputs as inputs
from m2m_guard.cli import main
from m2m_guard.prefilter import may_hold
from m2m_guard.sources import SourceError, decode, parse, read

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json", ".template")

CLIENT_YAML = """\
Resources:
  Client:
    Type: {type}
    Properties:
      UserPoolId: us-east-1_abc
      GenerateSecret: true
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthFlows: [client_credentials]
      AllowedOAuthScopes: [orders/read]
      AccessTokenValidity: 2
      TokenValidityUnits: {{AccessToken: days}}
"""


@pytest.mark.parametrize(
    "text",
    [
        CLIENT_YAML.format(type="AWS::Cognito::UserPoolClient"),
        '{"resource_changes": [{"type": "aws_cognito_user_pool_client"}]}',
        '{"UserPoolClient": {"ClientId": "c", "UserPoolId": "p"}}',
        '[{"ClientId": "c", "UserPoolId": "p", "ClientName": "n"}]',
        "UserPool: {Id: us-east-1_abc, Name: p}",
        # a saved sweep of a region that has no pool left: it still replaces an older one
        '{"m2mGuardInventory": 1, "account": "1", "region": "r", "userPools": []}',
        # a broken file that names a Cognito type must be parsed to fail the run
        "Resources: {Pool: {Type: AWS::Cognito::IdentityPool}",
        "UserPool:\n  Id: p\n",
        '{"UserPool":{"Id": "us-east-1_abc"}}',
        "- {UserPoolId: p, ClientId: c, ClientName: n}",
        '{"UserPoolClients": [{"ClientId": "c", "UserPoolId": "p"}]}',
        '{"UserPoolArn": "arn", "UserPoo\\u006c": {"Id": "p"}}',
        '{"resource_changes": [{"type": "aws_cognito\\u005fuser_pool_client"}]}',
    ],
)
def test_what_may_hold_cognito_resources_passes(text: str) -> None:
    assert may_hold(text.encode())


#: A client's type spelled with the escapes YAML and JSON decode: no marker in the bytes.
ESCAPED = [
    '{"Type": "AWS::\\u0043ognito::UserPoo\\u006cClient"}',
    'Type: "AWS::Cog\\x6eito::UserPoo\\x6cClient"',
    'Type: "AWS\\U0000003a:Cognito::UserPoo\\U0000006cClient"',
    'Type: "AWS::Cog\\\n     nito::UserPoo\\\r\n\tlClient"',
]


@pytest.mark.parametrize("text", ESCAPED)
def test_a_type_spelled_with_escapes_passes(text: str) -> None:
    assert "AWS::Cognito::" not in text and "UserPool" not in text
    assert parse("t.yaml", text).data == {"Type": "AWS::Cognito::UserPoolClient"}
    assert may_hold(text.encode())


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "web", "dependencies": {"aws-amplify": "^6"}}',
        "replicaCount: 2\nimage: {repository: nginx}\n",
        "Resources: {Fn: {Type: AWS::Lambda::Function}}\n",
        # words that do not make a reader find anything
        '{"ClientId": "abc", "Cognito": true, "userPools": []}',
        # an escape that yields no marker, a backslash that is no escape
        '{"a": "caf\\u00e9 \\u003c", "b": "C:\\\\Users"}',
        'run: "make \\\n  all"',
    ],
)
def test_what_cannot_is_not_parsed(text: str) -> None:
    assert not may_hold(text.encode())


def test_utf16_files_are_judged_on_their_text() -> None:
    template = CLIENT_YAML.format(type="AWS::Cognito::UserPoolClient")
    assert may_hold(template.encode("utf-16"))
    assert not may_hold("replicaCount: 2\n".encode("utf-16"))


def test_an_escaped_client_type_is_found(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "stack.yaml").write_text(CLIENT_YAML.format(type='"AWS::Cognito::UserPool\\x43lient"'))
    assert main(["scan", ".", "--format", "json"]) == 1
    (finding,) = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["rule_id"] == "M2M-TTL-MAX"]
    assert finding["subject"] == "Client"


def _inventory(swept_at: str, pools: list[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "m2mGuardInventory": 1,
            "account": "111111111111",
            "region": "us-east-1",
            "sweptAt": swept_at,
            "usage": {"countVersion": 2, "windowDays": 30, "sources": [], "tokenRequests": {}},
            "userPools": pools,
        }
    )


def test_a_newer_empty_saved_sweep_in_a_folder_replaces_the_older(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = {
        "ClientId": "c1",
        "ClientName": "svc",
        "UserPoolId": "us-east-1_abc",
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["a/b"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "GenerateSecret": True,
        "AccessTokenValidity": 24,
        "TokenValidityUnits": {"AccessToken": "hours"},
    }
    pool = {"Id": "us-east-1_abc", "Name": "p", "ResourceServers": [], "AppClients": [client]}
    (repo / "sweeps").mkdir()
    (repo / "sweeps/a-old.json").write_text(_inventory("2026-11-01T00:00:00Z", [pool]))
    # every pool of the region deleted since: this file names no pool and no client
    (repo / "sweeps/b-new.json").write_text(_inventory("2026-11-02T00:00:00Z", []))
    assert main(["scan", "sweeps", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []
    assert [n["message"] for n in report["notifications"]] == [
        "not counted: sweeps/b-new.json is a newer inventory of account 111111111111, region "
        "us-east-1 (swept 2026-11-02T00:00:00Z)"
    ]


def _documents(top: Path) -> list[Path]:
    return sorted(p for p in top.rglob("*") if p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file())


def _holds_something(path: Path) -> bool:
    try:
        loaded = read(parse(path.name, decode(path.read_bytes())))
    except (SourceError, RecursionError):
        return False
    return bool(loaded.clients or loaded.pools or loaded.kind == "inventory")


@pytest.mark.parametrize(
    "top", [ROOT / "tests" / "fixtures", ROOT / "examples", CORPUS], ids=lambda p: p.name
)
def test_every_file_a_reader_finds_something_in_passes(top: Path) -> None:
    if not top.is_dir():
        pytest.skip(f"{top} not present")
    holding = [p for p in _documents(top) if _holds_something(p)]
    assert holding
    assert [p for p in holding if not may_hold(p.read_bytes())] == []


def _scan(top: Path, report: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["scan", str(top), "--format", "json", "--output", str(report), "--policy", "default"])
    capsys.readouterr()
    return code, json.loads(report.read_text())


@pytest.mark.parametrize(
    "top", [ROOT / "tests" / "fixtures", ROOT / "examples", CORPUS], ids=lambda p: p.name
)
def test_a_filtered_scan_finds_what_an_unfiltered_one_does(
    top: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not top.is_dir():
        pytest.skip(f"{top} not present")
    code, filtered = _scan(top, tmp_path / "filtered.json", capsys)
    monkeypatch.setattr(inputs, "may_hold", lambda data: True)
    unfiltered_code, unfiltered = _scan(top, tmp_path / "unfiltered.json", capsys)
    assert filtered["findings"] == unfiltered["findings"]
    assert filtered["summary"] == unfiltered["summary"]
    assert code == unfiltered_code
    # the only difference: warnings about broken files that could not hold a client anyway
    fatal = [n for n in unfiltered["notifications"] if n["fatal"]]
    assert [n for n in filtered["notifications"] if n["fatal"]] == fatal
    assert all(n in unfiltered["notifications"] for n in filtered["notifications"])
