"""Reports that cannot be turned against their reader: names from pull requests in every format.

Pull requests control file names, logical ids, Terraform ``for_each`` keys and client names;
reports go to terminals, pull-request comments and spreadsheets. Every format shows such a name
through :mod:`m2m_guard.reporters.safe`, and these tests hold each format to it.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
from decimal import Decimal
from pathlib import Path

import pytest

from m2m_guard.cli import main
from m2m_guard.pricing import Pricing
from m2m_guard.reporters import REPORTERS
from m2m_guard.reporters.cost import RENDERERS
from m2m_guard.reporters.safe import (
    UNSAFE,
    csv_text,
    dump_json,
    markdown_cell,
    markdown_code,
    printable,
    printable_lines,
    scrub,
)
from tests.reporters.markdown import CODE, code_spans, table_cells
from tests.reporters.support import (
    HOSTILE,
    HOSTILE_NAMES,
    check_cost_formats,
    check_scan_formats,
    github_problems,
    hostile_result,
    named_cost_report,
)

# --- the sanitizer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x00", "\\x00"),
        ("\x07", "\\x07"),  # BEL, which ends an OSC sequence
        ("\x08", "\\x08"),  # backspace, which overprints
        ("\t", "\\t"),
        ("\n", "\\n"),
        ("\r", "\\r"),  # returns the cursor: the rest of the line overwrites the start
        ("\x1b", "\\x1b"),
        ("\x7f", "\\x7f"),
        ("\x85", "\\x85"),  # NEL, a line break in some terminals
        ("\x9b", "\\x9b"),  # the one-byte CSI
        ("\x9d", "\\x9d"),  # the one-byte OSC
        ("\u061c", "\\u061c"),
        ("\u200e", "\\u200e"),
        ("\u200f", "\\u200f"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
        *((chr(c), f"\\u{c:04x}") for c in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
        *((chr(c), f"\\u{c:04x}") for c in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
        ("\ud800", "\\ud800"),
        ("\udcff", "\\udcff"),  # a file-name byte that is not UTF-8, as Python hands it over
    ],
)
def test_every_unsafe_character_is_shown_as_an_escape(char: str, shown: str) -> None:
    assert printable(f"a{char}b") == f"a{shown}b"
    assert UNSAFE.search(printable(char)) is None


def test_ansi_and_osc_sequences_are_shown_not_run() -> None:
    assert printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert printable("\x1b]8;;http://evil\x07click\x1b]8;;\x07") == (
        "\\x1b]8;;http://evil\\x07click\\x1b]8;;\\x07"
    )
    assert printable("\x1b]0;title\x1b\\") == "\\x1b]0;title\\x1b\\"


def test_printable_text_stays_as_it_is_and_escaping_twice_changes_nothing() -> None:
    for text in ("svc-orders", "naïve 名前 ≥ 30,299 😀", "a\\x1b", "C:\\path", ""):
        assert printable(text) == text
    assert printable(printable(HOSTILE)) == printable(HOSTILE)


def test_newlines_stay_only_where_asked() -> None:
    assert printable_lines("## Fix\n\nSet \x1b[2J it.\u202e") == "## Fix\n\nSet \\x1b[2J it.\\u202e"


@pytest.mark.parametrize("name", [*HOSTILE_NAMES, "", " ", "  ", "`", "a``b", "```", "`a`", " a "])
def test_a_code_span_shows_the_name_and_nothing_else(name: str) -> None:
    span = markdown_code(name)
    assert "\n" not in span
    if not name:
        assert span == "` `"
        return
    assert code_spans(span) == ([printable(name)], CODE)
    assert code_spans(f"x {span} y") == ([printable(name)], f"x {CODE} y")
    assert code_spans(markdown_cell(span).replace("\\|", "|")) == ([printable(name)], CODE)
    row = f"| {markdown_cell(span)} | 1 |"
    assert table_cells(row) == [span, "1"]


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ('@SUM(A1:A2)=HYPERLINK("http://x")', '\'@SUM(A1:A2)=HYPERLINK("http://x")'),
        ("\t=1", "\\t=1"),  # escaped: it no longer starts with a tab
        ("\r=1", "\\r=1"),
        ("svc-orders", "svc-orders"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_text_that_starts_like_a_formula_is_prefixed(text: str, cell: str) -> None:
    assert csv_text(text) == cell


def test_scrub_gives_printable_strings_and_null_for_numbers_json_has_not() -> None:
    document = {
        "a\x1b": ["\u202e", 1, 2.5, math.nan, math.inf, -math.inf, True, None],
        "help": {"text": "x\n\x1b", "markdown": "## Fix\n"},
        "message": {"text": "line\nbreak"},
    }
    assert scrub(document) == {
        "a\\x1b": ["\\u202e", 1, 2.5, None, None, None, True, None],
        "help": {"text": "x\n\\x1b", "markdown": "## Fix\n"},
        "message": {"text": "line\\nbreak"},
    }
    text = dump_json({"n": math.nan, "i": [math.inf]})
    assert json.loads(text) == {"n": None, "i": [None]}
    assert "NaN" not in text and "Infinity" not in text


# --- scan reports -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_scan_reports_show_no_unsafe_character_and_keep_their_shape(name: str) -> None:
    check_scan_formats(name)


def test_colour_is_added_after_the_names_are_escaped() -> None:
    out = REPORTERS["text"](hostile_result(), color=True)
    own = re.compile(r"\x1b\[(?:0|1|2|31|33|36)m")  # the SGR codes the text reporter adds
    assert own.search(out)
    assert UNSAFE.search(own.sub("", out).replace("\n", "")) is None


def test_a_sarif_message_is_cut_after_escaping() -> None:
    long = "\x1b" * 1000
    log = json.loads(REPORTERS["sarif"](hostile_result(long)))
    assert all(len(r["message"]["text"]) <= 1024 for r in log["runs"][0]["results"])
    assert github_problems(log) == []


# --- cost reports -------------------------------------------------------------------------------


@pytest.mark.parametrize("live", [False, True], ids=["iac", "live"])
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_cost_formats_show_names_safely(name: str, live: bool) -> None:
    check_cost_formats(name, live)


def test_markdown_names_are_code_spans_in_the_table_the_savings_and_the_prices() -> None:
    out = RENDERERS["markdown"](named_cost_report("<img src=x onerror=alert(1)>", policy="[p](http://x)"))
    assert "| `<img src=x onerror=alert(1)>` | 2 |" in out
    assert (
        "- `<img src=x onerror=alert(1)>`: delete 2 unused clients (`<img src=x onerror=alert(1)>`, " in out
    )
    assert "Prices: the policy's (`[p](http://x)`) for app_client_month_usd" in out
    piped = RENDERERS["markdown"](named_cost_report("a|b\n\nc"))
    assert "| `a\\|b\\n\\nc` | 2 |" in piped and "- `a|b\\n\\nc`: delete" in piped


def test_csv_numbers_stay_numbers() -> None:
    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](named_cost_report("-1")))))
    assert rows[0]["pool"] == "'-1" and rows[0]["m2m_clients"] == "2" and rows[0]["clients_usd"] == "10.00"
    assert rows[0]["over_budget"] == "false" and rows[0]["budget_usd"] == ""


def test_cost_numbers_that_are_not_finite_are_null_in_json_and_empty_in_csv() -> None:
    # valid policies and usage files never give one; should a figure slip through, the JSON
    # stays JSON
    report = named_cost_report("svc")
    bad = Pricing(app_client_month_usd=Decimal("Infinity"), token_request_usd=Decimal("NaN"))
    first = report.pools[0]
    line = dataclasses.replace(
        first, cost=dataclasses.replace(first.cost, pricing=bad), budget_usd=Decimal("NaN")
    )
    broken = dataclasses.replace(report, pools=(line,), pricing=bad)
    text = RENDERERS["json"](broken)
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["pools"][0]["clients_usd"] is None and data["pools"][0]["budget_usd"] is None
    assert data["pricing"]["app_client_month_usd"] is None and data["total_monthly_usd"] is None
    row = next(csv.DictReader(io.StringIO(RENDERERS["csv"](broken))))
    assert row["clients_usd"] == "" and row["budget_usd"] == "" and row["m2m_clients"] == "2"


# --- the terminal: stderr lines and argparse ----------------------------------------------------

BROKEN = "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n   x: [\n"


@pytest.mark.parametrize("command", ["scan", "cost"])
def test_stderr_notifications_show_file_names_escaped(
    repo: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    name = "bad\x1b[2J\u202egnp.yaml"
    (repo / name).write_text(BROKEN)
    argv = [command, ".", "--format", "json"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "bad\\x1b[2J\\u202egnp.yaml:4: invalid YAML" in err
    assert UNSAFE.search(err.replace("\n", "")) is None


def test_policy_warnings_and_errors_reach_stderr_escaped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "p.yaml").write_text(
        "version: 1\nrules:\n  - {id: TTL-MAX, type: max_access_token_ttl, max: 1h}\nwaivers:\n"
        '  - {rule: "T\\e[2J\\u202e", reason: typo, expires: 2999-01-01}\n'
    )
    main(["scan", ".", "--policy", "p.yaml", "--format", "json"])
    err = capsys.readouterr().err
    assert "T\\x1b[2J\\u202e" in err and UNSAFE.search(err.replace("\n", "")) is None
    assert main(["policy", "validate", "p.yaml"]) == 0
    captured = capsys.readouterr()
    assert "T\\x1b[2J\\u202e" in captured.err and UNSAFE.search(captured.err.replace("\n", "")) is None


def test_argparse_errors_echo_arguments_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-such\x1b[2J\u202e"]) == 2
    err = capsys.readouterr().err
    assert "--no-such\\x1b[2J\\u202e" in err and UNSAFE.search(err.replace("\n", "")) is None
