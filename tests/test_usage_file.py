"""The usage file (`--usage`): what it accepts, and one file:line: key: message per problem."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from m2m_guard.cli import main
from m2m_guard.model import AppClient, Location, Pool, Usage
from m2m_guard.usage_file import UsageError, parse_usage, render_usage

MISSING_WINDOW = (
    "u.json:1: (top level): 'window_days' is missing "
    '(the number of days the counts cover, e.g. "window_days": 30)'
)


WINDOW = (
    "u.json:1: window_days: must be a positive number of days, from 0.042 (one hour) to 3,653 "
    "(ten years), not"
)

COUNT = "u.json:1: clients['svc']: must be a whole number of requests (0 to 10**15), not"


def problems(text: str) -> list[str]:
    with pytest.raises(UsageError) as caught:
        parse_usage("u.json", text)
    return str(caught.value).splitlines()


@pytest.mark.parametrize(("window", "count"), [(1 / 24, 0), (3653, 10**15), (1, 1)])
def test_the_bounds_are_accepted(window: float, count: int) -> None:
    usage = parse_usage("u.json", json.dumps({"window_days": window, "clients": {"svc": count}}))
    assert (usage.window_days, usage.counts["svc"]) == (window, count)


def test_a_valid_file() -> None:
    usage = parse_usage("u.json", '{"window_days": 7.5, "clients": {"svc": 0, "abc123": 42}}')
    assert (usage.window_days, dict(usage.counts), usage.source) == (
        7.5,
        {"svc": 0, "abc123": 42},
        "usage file u.json",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"clients": {}}', [MISSING_WINDOW]),
        (
            '{"window_days": 30}',
            [
                "u.json:1: (top level): 'clients' is missing (token requests per client: "
                '{"window_days": 30, "clients": {"svc-orders": 1234}})'
            ],
        ),
        (  # a misspelt key explains the missing one: one message, not two
            '{\n  "window_day": 30,\n  "clients": {}\n}',
            ["u.json:2: window_day: unknown key 'window_day' (did you mean 'window_days'?)"],
        ),
        (
            '{\n  "window_days": 30,\n  "clients": {},\n  "account": "1234"\n}',
            ["u.json:4: account: unknown key 'account' (allowed: clients, window_days)"],
        ),
        (
            '{"window_days": 30, "client": {"svc": 1}}',
            ["u.json:1: client: unknown key 'client' (did you mean 'clients'?)"],
        ),
        (
            '{"window_days": 0, "clients": {}}',
            [f"{WINDOW} 0"],
        ),
        (
            '{"window_days": "30", "clients": {}}',
            [f'{WINDOW} "30"'],
        ),
        (
            '{"window_days": NaN, "clients": {}}',
            [f"{WINDOW} NaN"],
        ),
        (
            '{"window_days": true, "clients": {}}',
            [f"{WINDOW} true"],
        ),
        (
            '{"window_days": Infinity, "clients": {}}',
            [f"{WINDOW} Infinity"],
        ),
        (
            '{"window_days": 1e-320, "clients": {}}',
            [f"{WINDOW} 1e-320"],
        ),
        (
            '{"window_days": 0.04, "clients": {}}',
            [f"{WINDOW} 0.04"],
        ),
        (
            '{"window_days": 3654, "clients": {}}',
            [f"{WINDOW} 3654"],
        ),
        (
            '{"window_days": 30, "clients": {"svc": 1000000000000001}}',
            [f"{COUNT} 1000000000000001"],
        ),
        (  # a count too large for a float used to crash the cost report
            '{"window_days": 30, "clients": {"svc": 1' + "0" * 400 + "}}",
            [f"{COUNT} a number of 401 digits"],
        ),
        (
            '{"window_days": 30, "clients": {"svc": NaN}}',
            [f"{COUNT} NaN"],
        ),
        (
            '{"window_days": 30, "clients": ["svc"]}',
            ["u.json:1: clients: must map client keys to token request counts, not a list"],
        ),
        (
            "[]",
            [
                "u.json:1: (top level): a usage file is a JSON object like "
                '{"window_days": 30, "clients": {"svc-orders": 1234}}'
            ],
        ),
    ],
)
def test_problems(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_every_problem_at_once_sorted_by_line() -> None:
    text = """{
  "clients": {
    "svc": 10,
    "aws_cognito_user_pool_client.a": -1,
    "Legacy\\u00e9": 1.5,
    "window_days": "nested keys are no top-level keys"
  },
  "extra": null
}
"""
    assert problems(text) == [
        MISSING_WINDOW,
        "u.json:4: clients['aws_cognito_user_pool_client.a']: must be a whole number of requests "
        "(0 to 10**15), not -1",
        "u.json:5: clients['Legacy\u00e9']: must be a whole number of requests (0 to 10**15), not 1.5",
        "u.json:6: clients['window_days']: must be a whole number of requests (0 to 10**15), "
        'not "nested keys are no top-level keys"',
        "u.json:8: extra: unknown key 'extra' (allowed: clients, window_days)",
    ]


def test_invalid_json_names_the_line() -> None:
    (line,) = problems('{\n  "window_days": 30,\n}')
    assert line.startswith("u.json:3: invalid JSON: ")


def test_scan_exits_2_with_every_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "u.json").write_text('{"windows": 30,\n "clients": {"svc": -1}}')
    code = main(["scan", "--usage", "u.json"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "u.json:1: windows: unknown key 'windows' (did you mean 'window_days'?)",
        "u.json:2: clients['svc']: must be a whole number of requests (0 to 10**15), not -1",
    ]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_DOCS = (
    st.fixed_dictionaries(
        {}, optional={"window_days": _JSON, "clients": _JSON | st.dictionaries(st.text(max_size=8), _JSON)}
    )
    | _JSON
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(_DOCS, st.sampled_from([None, 1, 2]))
def test_any_json_parses_or_fails_with_located_lines(doc: object, indent: int | None) -> None:
    text = json.dumps(doc, indent=indent)
    try:
        parse_usage("u.json", text)
    except UsageError as exc:
        lines = str(exc).splitlines()
        assert lines
        for line in lines:
            assert re.match(r"u\.json:[0-9]+: ", line), line
            assert int(line.split(":")[1]) <= text.count("\n") + 1, line


def swept(client_id: str, name: str | None, requests: int | None) -> AppClient:
    record = {"ClientId": client_id} if name is None else {"ClientId": client_id, "ClientName": name}
    usage = None if requests is None else Usage(requests, 30, "CloudTrail")
    return AppClient(record, Location("inv.json", 1, client_id=client_id), Pool.of_id("p"), usage=usage)


def test_the_writer_gives_what_the_reader_reads() -> None:
    """By ClientId, and by ClientName where one swept client has that name and a known count;
    ``seen`` adds clients of other accounts; a client without a count is left out."""
    clients = [
        swept("id1", "orders", 5),
        swept("id2", "billing", 7),
        swept("id3", "billing", 9),  # two clients named billing: neither is written by name
        swept("id4", "idle", None),
        swept("id5", None, 0),
    ]
    text = render_usage(clients, 30, {"other-account-client": 3})
    usage = parse_usage("u.json", text)
    assert (usage.window_days, dict(usage.counts)) == (
        30,
        {"id1": 5, "id2": 7, "id3": 9, "id5": 0, "orders": 5, "other-account-client": 3},
    )
    assert list(json.loads(text)["clients"]) == sorted(usage.counts)  # a stable file to diff
    assert text.endswith("}\n")
