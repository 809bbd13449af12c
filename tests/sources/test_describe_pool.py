"""Saved describe-user-pool output: fixture -> Pool with its settings, and how those settings
reach the clients of the same pool read from other files.

The fixtures have the shape of ``aws cognito-idp describe-user-pool`` output: a
DescribeUserPoolResponse whose ``UserPool`` is a ``UserPoolType`` (botocore's cognito-idp
2016-04-18 service model, .venv/lib/python3.11/site-packages/botocore/data/cognito-idp/
2016-04-18/service-2.json.gz): ``LambdaConfigType`` with ``PreTokenGeneration`` and
``PreTokenGenerationConfig`` (``PreTokenGenerationVersionConfigType``: ``LambdaArn``,
``LambdaVersion``), ``UserPoolTier`` (``UserPoolTierType``). The describe-user-pool-client
files beside them have DescribeUserPoolClient's shape, as in tests/sources/test_describe.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.cli import main
from m2m_guard.engine import cost_report, evaluate, merge_pools
from m2m_guard.inputs import collect
from m2m_guard.model import Coverage, Location, Pool, Unknown
from m2m_guard.model.pool_settings import customizes_m2m_tokens
from m2m_guard.policy import load_policy
from m2m_guard.sources import describe_pool, parse, read
from m2m_guard.sources.document import SourceError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "describe"
FOLDER = "tests/fixtures/describe/pool_and_clients"
POOL_FILE = f"{FOLDER}/describe-user-pool.json"
YAML_FILE = "tests/fixtures/describe/user_pool_only.yaml"
POOL_ARN = "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_Vx3KpL9Qa"
CLAIMS = "arn:aws:lambda:us-east-1:111122223333:function:partners-claims"


def load_text(path: str, text: str) -> list[Pool]:
    loaded = read(parse(path, text))
    assert (loaded.kind, loaded.clients) == ("describe-pool", [])
    return loaded.pools


def load_fixture(path: str) -> list[Pool]:
    return load_text(path, (ROOT / path).read_text(encoding="utf-8"))


def output(**pool: Any) -> dict[str, Any]:
    return {"UserPool": pool}


EXPECTED: dict[str, list[dict[str, Any]]] = {
    POOL_FILE: [
        {
            "pool": Pool(
                key="us-east-1_Vx3KpL9Qa",
                label="us-east-1_Vx3KpL9Qa",
                names=("us-east-1_Vx3KpL9Qa", "partners-prod", POOL_ARN),
                location=Location(POOL_FILE, 3, pool_id="us-east-1_Vx3KpL9Qa", arn=POOL_ARN),
                name="partners-prod",
            ),
            # PreSignUp, the policies, the schema and the tags are not copied
            "settings": {
                "UserPoolTier": "PLUS",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {"LambdaArn": CLAIMS, "LambdaVersion": "V3_0"},
                    "PreTokenGeneration": CLAIMS,
                },
            },
        }
    ],
    YAML_FILE: [
        {
            "pool": Pool(
                key="eu-west-1_Lt4Wq8ZnB",
                label="eu-west-1_Lt4Wq8ZnB",
                names=(
                    "eu-west-1_Lt4Wq8ZnB",
                    "internal-tools",
                    "arn:aws:cognito-idp:eu-west-1:444455556666:userpool/eu-west-1_Lt4Wq8ZnB",
                ),
                location=Location(
                    YAML_FILE,
                    5,
                    pool_id="eu-west-1_Lt4Wq8ZnB",
                    arn="arn:aws:cognito-idp:eu-west-1:444455556666:userpool/eu-west-1_Lt4Wq8ZnB",
                ),
                name="internal-tools",
            ),
            "settings": {
                "UserPoolTier": "LITE",
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {
                        "LambdaArn": "arn:aws:lambda:eu-west-1:444455556666:function:tools-claims",
                        "LambdaVersion": "V2_0",
                    },
                    "PreTokenGeneration": "arn:aws:lambda:eu-west-1:444455556666:function:tools-claims",
                },
            },
        }
    ],
}


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_fixture_pools(path: str) -> None:
    pools = load_fixture(path)
    # Pool equality leaves settings out: they are compared on their own
    assert [{"pool": p, "settings": p.settings} for p in pools] == EXPECTED[path]
    assert [p.location for p in pools] == [e["pool"].location for e in EXPECTED[path]]


def test_settings_decide_m2m_token_customization() -> None:
    (plus,) = load_fixture(POOL_FILE)
    (lite,) = load_fixture(YAML_FILE)
    assert customizes_m2m_tokens(plus) is True
    assert customizes_m2m_tokens(lite) is False  # V2_0 does not run for client credentials


def test_a_list_of_outputs_gives_every_pool_at_the_line_of_its_id() -> None:
    data = [
        output(Id="us-east-1_A1", Name="a", UserPoolTier="ESSENTIALS", LambdaConfig={}),
        {"UserPool": {"Name": "no-id"}},  # not a pool output: skipped
        output(Id="us-east-1_B2", UserPoolTier="LITE", LambdaConfig={"PreTokenGeneration": "arn:x"}),
        output(Id=7),  # no usable Id: skipped
    ]
    text = "\n".join(json.dumps(item, indent=2) for item in data)  # a shell loop's dump
    pools = load_text("dump.json", text)
    assert [(p.key, p.name, p.location.line if p.location else None) for p in pools] == [
        ("us-east-1_A1", "a", 3),
        ("us-east-1_B2", None, 16),
    ]
    assert [p.settings for p in pools] == [
        {"UserPoolTier": "ESSENTIALS", "LambdaConfig": {}},
        {"UserPoolTier": "LITE", "LambdaConfig": {"PreTokenGeneration": "arn:x"}},
    ]


@pytest.mark.parametrize(
    ("pool", "settings"),
    [
        # DescribeUserPool returns both keys: one missing was cut from the saved output
        (
            {"Id": "us-east-1_X"},
            {
                "UserPoolTier": Unknown("UserPoolTier is not in the saved describe-user-pool output"),
                "LambdaConfig": Unknown("LambdaConfig is not in the saved describe-user-pool output"),
            },
        ),
        (
            {"Id": "us-east-1_X", "UserPoolTier": None, "LambdaConfig": {"PreTokenGenerationConfig": None}},
            {
                "UserPoolTier": Unknown("UserPoolTier is not in the saved describe-user-pool output"),
                "LambdaConfig": {},
            },
        ),
        (
            {"Id": "us-east-1_X", "UserPoolTier": 3, "LambdaConfig": ["V3_0"]},
            {"UserPoolTier": "3", "LambdaConfig": Unknown("LambdaConfig is a list, not a mapping")},
        ),
        (
            {
                "Id": "us-east-1_X",
                "UserPoolTier": {"Plan": "PLUS"},
                "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": ["a"], "LambdaVersion": True}},
            },
            {
                "UserPoolTier": Unknown("UserPoolTier is a mapping, not a string"),
                "LambdaConfig": {
                    "PreTokenGenerationConfig": {
                        "LambdaArn": Unknown(
                            "LambdaConfig.PreTokenGenerationConfig.LambdaArn is a list, not a string"
                        ),
                        "LambdaVersion": Unknown(
                            "LambdaConfig.PreTokenGenerationConfig.LambdaVersion is a boolean, not a string"
                        ),
                    }
                },
            },
        ),
    ],
)
def test_odd_settings_become_unknown_never_errors(pool: dict[str, Any], settings: dict[str, Any]) -> None:
    (loaded,) = load_text("odd.json", json.dumps(output(**pool)))
    assert loaded.settings == settings


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (output(Id="us-east-1_X"), True),
        ([{"x": 1}, output(Id="us-east-1_X")], True),
        # describe-user-pool-client output is the describe source's
        ({"UserPoolClient": {"ClientId": "c", "UserPoolId": "us-east-1_X"}}, False),
        ({"UserPool": {"Name": "no-id"}}, False),
        ({"UserPool": "us-east-1_X"}, False),
        ({"Id": "us-east-1_X", "LambdaConfig": {}}, False),  # --query UserPool: not recognised
        ([], False),
        ("UserPool", False),
    ],
)
def test_matches_describe_user_pool_output_only(data: Any, expected: bool) -> None:
    assert describe_pool.matches(data) is expected


def test_client_output_is_still_read_by_the_describe_source() -> None:
    text = (FIXTURES / "single_m2m_client.json").read_text(encoding="utf-8")
    loaded = read(parse("single.json", text))
    assert (loaded.kind, len(loaded.clients), loaded.pools) == ("describe", 1, [])


def test_no_usable_pool_is_a_one_line_error() -> None:
    with pytest.raises(SourceError) as raised:
        describe_pool.load(parse("bad.json", json.dumps([output(Id=""), output(Id=None)])))
    assert raised.value.message == "no user pool with an Id in describe-user-pool output"


# -- the plumbing: a pool-only file gives its settings to the clients of its pool ----------------


def test_collect_keeps_the_pools_of_pool_only_files_beside_the_clients() -> None:
    collected = collect([FOLDER, YAML_FILE], ROOT)
    assert [p.key for p in collected.pools] == ["us-east-1_Vx3KpL9Qa", "eu-west-1_Lt4Wq8ZnB"]
    assert {c.pool.key for c in collected.clients} == {"us-east-1_Vx3KpL9Qa"}
    assert all(c.pool.settings is None for c in collected.clients)  # not merged yet
    (merged,) = {c.pool for c in merge_pools(collected.clients, collected.pools)}
    assert merged.settings == EXPECTED[POOL_FILE][0]["settings"]
    assert merged.location == EXPECTED[POOL_FILE][0]["pool"].location
    assert merged.name == "partners-prod"
    assert customizes_m2m_tokens(merged) is True


def test_a_pool_only_file_counts_as_read_not_as_a_file_with_clients() -> None:
    collected = collect([FOLDER, YAML_FILE], ROOT)
    policy = load_policy("p.yaml", "version: 1\nrules:\n  - {id: B, type: pool_budget, monthly_usd: 1}\n")
    result = evaluate(
        policy,
        collected.clients,
        today=dt.date(2026, 11, 30),
        pools=collected.pools,
        read=Coverage(files=collected.files),
    )
    assert (result.coverage.files, result.coverage.files_with_m2m) == (3, 1)
    # the pool-level finding points at the pool's own file and line
    (finding,) = result.findings
    assert (finding.location.path, finding.location.line) == (POOL_FILE, 3)
    assert (finding.subject, finding.pool_name) == ("us-east-1_Vx3KpL9Qa", "partners-prod")
    (line,) = cost_report(policy, collected.clients, pools=collected.pools).pools
    assert line.pool.settings == EXPECTED[POOL_FILE][0]["settings"]


def test_settings_of_the_input_that_has_them_win_whatever_the_order() -> None:
    (described,) = load_fixture(POOL_FILE)
    collected = collect([f"{FOLDER}/describe-user-pool-client.json"], ROOT)
    other = Pool.of_id("us-east-1_Vx3KpL9Qa", settings={"UserPoolTier": "LITE"})
    clients = [dataclasses.replace(collected.clients[0], pool=other)]
    # the clients' own pool comes first; a pool-only file fills in only what is missing
    (merged,) = {c.pool for c in merge_pools(clients, [described])}
    assert merged.settings == {"UserPoolTier": "LITE"}
    assert merged.location == described.location


# -- robustness: broken or odd files are one line each, never a traceback -------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"UserPool": {"Id": 5}}', "no user pool with an Id in describe-user-pool output"),
        ('[{"UserPool": {"Id": ""}}, 3, null]', "no user pool with an Id in describe-user-pool output"),
        ('{"UserPool": {"Id": "us-east-1_X",', "invalid JSON"),
        ('{"UserPool": {"Id": "us-east-1_X"}}\n{"UserPool": ', "invalid JSON"),
        ('{"UserPool": {"Id": "x", "LambdaConfig": ' + "[" * 100_000 + "]" * 100_000 + "}}", "JSON nested"),
        ("UserPool:\n  Id: [unclosed\n", "invalid YAML"),
    ],
)
def test_broken_describe_user_pool_file_is_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    (repo / "pool.json").write_text(content)
    code = main(["scan", "pool.json", "--format", "json"])
    out, err = capsys.readouterr()
    (note,) = json.loads(out)["notifications"]
    assert code == 2
    assert note["fatal"] and note["path"] == "pool.json"
    assert note["message"].startswith(message) and "\n" not in note["message"]
    assert "Traceback" not in err


def test_odd_values_in_a_describe_user_pool_file_scan_cleanly(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = output(Id="us-east-1_X", UserPoolTier=[1], LambdaConfig={"PreTokenGenerationConfig": "V3_0"})
    (repo / "pool.json").write_text(json.dumps(odd))
    code = main(["scan", "pool.json", "--format", "json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (code, report["findings"], report["notifications"], err) == (0, [], [], "")
