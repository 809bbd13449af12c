"""Hand-built RunResults and the checks every SARIF log must pass.

The results are built directly from the model, so reporter tests do not depend on the
engine, the sources or a policy file.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.validators import validator_for

from m2m_guard.cost import CostReport
from m2m_guard.model import (
    Coverage,
    Finding,
    Location,
    Notification,
    Pool,
    RuleInfo,
    RunResult,
    Severity,
    Usage,
)
from m2m_guard.reporters import REPORTERS
from m2m_guard.reporters.cost import COLUMNS, RENDERERS
from m2m_guard.reporters.safe import UNSAFE, csv_text, printable
from tests.reporters.markdown import skeleton

#: The README of the project, where each rule type has a section.
README = "https://github.com/m2m-guard/m2m-guard"
DATA = Path(__file__).resolve().parent.parent / "data"
SCHEMA_PATH = DATA / "sarif-schema-2.1.0.json"

TTL_MAX = RuleInfo(
    id="TTL-MAX",
    type="max_access_token_ttl",
    summary="M2M access tokens must be short-lived.",
    description="Long-lived access tokens widen the window in which a leaked token is useful.",
    help_markdown=(
        "## Fix\n\nSet **AccessTokenValidity** to at most the policy's `max` "
        "(see [token validity](https://docs.aws.amazon.com/cognito/latest/developerguide/"
        "amazon-cognito-user-pools-using-the-access-token.html))."
    ),
    level=Severity.ERROR,
    security_severity="7.5",
    tags=("oauth2", "token-lifetime"),
    help_uri=f"{README}#rule-max_access_token_ttl",
)
SCOPES_FORBIDDEN = RuleInfo(
    id="SCOPES-FORBIDDEN",
    type="forbidden_scopes",
    summary="M2M clients must not hold admin or wildcard write scopes.",
    description="A client with `*/admin` can change any resource server's data.",
    help_markdown="Remove `*/admin` and `*/*:write` from **AllowedOAuthScopes**.",
    level=Severity.ERROR,
    security_severity="9.1",
    help_uri=f"{README}#rule-forbidden_scopes",
)
BUDGET = RuleInfo(
    id="BUDGET",
    type="pool_budget",
    summary="A user pool's M2M spend must stay under budget.",
    description="App clients and token requests are billed per month.",
    help_markdown="Remove unused clients or raise the access-token TTL.",
    level=Severity.WARNING,
    security_severity="3.0",
    tags=("cost",),
    help_uri=f"{README}#rule-pool_budget",
)
UNUSED = RuleInfo(
    id="UNUSED",
    type="unused_client_credentials",
    summary="Billed M2M clients should be used.",
    description="An unused client costs money and is an unwatched credential.",
    help_markdown="Delete the client, or waive it with a reason.",
    level=Severity.WARNING,
    security_severity="4.0",
    help_uri=f"{README}#rule-unused_client_credentials",
)
RULES = (TTL_MAX, SCOPES_FORBIDDEN, BUDGET, UNUSED)

AUTH = "infra/auth.yaml"
ORDERS = "infra/orders stack.yaml"  # a space: must be percent-encoded in SARIF
INVENTORY = "m2m-guard-inventory/123456789012/eu-west-1.json"  # where a sweep writes it
POOL_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Ab12Cd34E"


def fingerprint(*identity: str) -> str:
    return hashlib.sha256("\0".join(identity).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def finding(
    rule: RuleInfo,
    path: str,
    line: int | None,
    subject: str,
    message: str,
    *,
    field: str | None = None,
    level: Severity | None = None,
    undetermined: bool = False,
    suppression: str | None = None,
    arn: str | None = None,
    client_id: str | None = None,
    unknown: str | None = None,
    client_name: str | None = None,
    pool_name: str | None = None,
) -> Finding:
    return Finding(
        rule_id=rule.id,
        rule_type=rule.type,
        level=level or rule.level,
        message=message,
        location=Location(
            path=path,
            line=line,
            logical_id=None if client_id else subject,
            client_id=client_id,
            arn=arn,
        ),
        subject=subject,
        fingerprint=fingerprint(rule.id, subject, field or ""),
        field=field,
        undetermined=undetermined,
        suppression=suppression,
        unknown=unknown,
        client_name=client_name,
        pool_name=pool_name,
    )


def iac_result() -> RunResult:
    """A scan of two templates: errors, a warning, an undetermined note, a waiver, and an
    unreadable file."""
    findings = (
        finding(
            TTL_MAX,
            AUTH,
            12,
            "OrdersClient",
            "AccessTokenValidity is 24 hours; policy TTL-MAX allows at most 1 hour.",
            field="AccessTokenValidity",
        ),
        finding(
            SCOPES_FORBIDDEN,
            AUTH,
            14,
            "OrdersClient",
            "AllowedOAuthScopes has orders/admin, which matches forbidden pattern */admin.",
            field="AllowedOAuthScopes",
        ),
        finding(
            TTL_MAX,
            AUTH,
            40,
            "LegacyClient",
            "AccessTokenValidity is 1 day; policy TTL-MAX allows at most 1 hour.",
            field="AccessTokenValidity",
            suppression="partner integration, ticket OPS-123",
        ),
        finding(
            BUDGET,
            ORDERS,
            3,
            "UserPool",
            "Projected spend is USD 62.40/month (lower bound); budget is USD 50: remove 2 unused clients.",
        ),
        finding(
            TTL_MAX,
            ORDERS,
            7,
            "ReportsClient",
            "AccessTokenValidity is unknown (Ref to parameter TokenHours without a default).",
            field="AccessTokenValidity",
            level=Severity.NOTE,
            undetermined=True,
        ),
    )
    notifications = (
        Notification(
            "invalid YAML: mapping values are not allowed here",
            path="infra/bad.yaml",
            line=3,
            fatal=True,
        ),
        Notification(
            "Waiver for rule UNUSED (clients batch-*) expired on 2026-01-31.",
            level=Severity.WARNING,
        ),
    )
    return RunResult(
        rules=RULES,
        findings=findings,
        notifications=notifications,
        category="iac",
        tool_version="0.1.0",
        coverage=Coverage(app_clients=5, m2m_clients=4, possibly_m2m=1, files=14, files_with_m2m=2),
    )


def live_result() -> RunResult:
    """A sweep: findings anchored to the inventory file, identified by ClientId and ARN."""
    findings = (
        finding(
            UNUSED,
            INVENTORY,
            18,
            "4j5k6l7m8n9o0p1q2r3s4t5u6v",
            "No token requests in the last 30 days; the client is still billed.",
            arn=f"{POOL_ARN}/client/4j5k6l7m8n9o0p1q2r3s4t5u6v",
            client_id="4j5k6l7m8n9o0p1q2r3s4t5u6v",
            client_name="nightly-export",
            pool_name="partners",
        ),
        finding(
            TTL_MAX,
            INVENTORY,
            5,
            "1a2b3c4d5e6f7g8h9i0j1k2l3m",
            "AccessTokenValidity is 12 hours; policy TTL-MAX allows at most 1 hour.",
            field="AccessTokenValidity",
            arn=f"{POOL_ARN}/client/1a2b3c4d5e6f7g8h9i0j1k2l3m",
            client_id="1a2b3c4d5e6f7g8h9i0j1k2l3m",
            client_name="orders-sync",
            pool_name="partners",
        ),
    )
    notifications = (
        Notification(
            "Account 210987654321, region ap-east-1: AccessDenied on ListUserPools; skipped.",
            level=Severity.WARNING,
        ),
    )
    return RunResult(
        rules=(TTL_MAX, UNUSED),
        findings=findings,
        notifications=notifications,
        category="live",
        tool_version="0.1.0",
        coverage=Coverage(
            app_clients=9,
            m2m_clients=4,
            accounts=2,
            regions=3,
            account_regions=4,
            account_regions_failed=1,
            user_pools=3,
            account_ids=("123456789012", "210987654321"),
            region_names=("eu-west-1", "us-east-1", "us-west-2"),
        ),
    )


def empty_result() -> RunResult:
    """A clean scan: the policy's rules, nothing found, nothing went wrong."""
    return RunResult(
        rules=RULES,
        findings=(),
        category="iac",
        tool_version="0.1.0",
        coverage=Coverage(app_clients=2, m2m_clients=2, files=3, files_with_m2m=1),
    )


CASES = {"iac": iac_result, "live": live_result, "empty": empty_result}


# --- checks --------------------------------------------------------------------------------


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(log: Any) -> list[str]:
    """Every violation of the vendored OASIS schema, as ``path: message`` lines."""
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(log)]


# RFC 3986 uri-reference characters: unreserved, sub-delims, ":@/?#", and %XX escapes.
_URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LEVELS = {"error", "warning", "note"}


def github_problems(log: dict[str, Any]) -> list[str]:
    """What GitHub code scanning (or GitLab) would reject, drop or mis-file.

    Sources: https://docs.github.com/en/code-security/reference/code-scanning/sarif-files/sarif-support-for-code-scanning
    and the limits in github/docs data/reusables/code-scanning/sarif-limits.md; GitLab's
    "SARIF reports" page for ruleId matching and the 1,024-character limits.
    """
    problems: list[str] = []
    if log.get("version") != "2.1.0" or "$schema" not in log:
        problems.append("$schema and version 2.1.0 are required")
    if len(log.get("runs") or []) != 1:
        return problems + ["exactly one run expected"]
    run = log["runs"][0]
    rules = run["tool"]["driver"].get("rules", [])
    problems += [p for i, rule in enumerate(rules) for p in _rule_problems(i, rule)]
    ids = [rule["id"] for rule in rules]
    if len(set(ids)) != len(ids):
        problems.append("rule ids must be unique")
    for i, result in enumerate(run.get("results", [])):
        problems += [f"results[{i}]: {p}" for p in _result_problems(result, ids)]
    if not run.get("automationDetails", {}).get("id", "").endswith("/"):
        problems.append("automationDetails.id must be 'category/' (no run id)")
    problems += [f"absolute path or URI: {s}" for s in _strings(log) if _is_absolute(s)]
    return problems


def _rule_problems(i: int, rule: dict[str, Any]) -> Iterator[str]:
    where = f"rules[{i}] {rule.get('id')}"
    if len(rule.get("name", "")) > 255:
        yield f"{where}: name over 255 characters"
    for key in ("shortDescription", "fullDescription", "help"):
        text = rule.get(key, {}).get("text", "")
        if not text or len(text) > 1024:
            yield f"{where}: {key}.text missing or over 1024 characters"
    if rule.get("defaultConfiguration", {}).get("level") not in _LEVELS:
        yield f"{where}: defaultConfiguration.level"
    props = rule.get("properties", {})
    tags = props.get("tags", [])
    if len(tags) > 10 or len(set(tags)) != len(tags):
        yield f"{where}: tags must be at most 10 distinct strings"
    severity = props.get("security-severity")
    try:
        ok = isinstance(severity, str) and 0.0 < float(severity) <= 10.0
    except ValueError:
        ok = False
    if not ok:
        yield f"{where}: security-severity {severity!r} is not a number string in (0, 10]"


def _result_problems(result: dict[str, Any], rule_ids: list[str]) -> Iterator[str]:
    rule_id = result.get("ruleId")
    if rule_id not in rule_ids:
        yield f"ruleId {rule_id!r} names no rule"
    elif rule_ids[result.get("ruleIndex", -1)] != rule_id:
        yield "ruleIndex does not point at ruleId"
    if result.get("level") not in _LEVELS:
        yield f"level {result.get('level')!r}"
    text = result.get("message", {}).get("text", "")
    if not text or len(text) > 1024:
        yield "message.text missing or over 1024 characters"
    locations = result.get("locations") or [{}]
    physical = locations[0].get("physicalLocation", {})
    uri = physical.get("artifactLocation", {}).get("uri", "")
    if not uri or uri.startswith("/") or _SCHEME.match(uri):
        yield f"uri {uri!r} is not a repository-relative path"
    if not _URI_REFERENCE.fullmatch(uri):
        yield f"uri {uri!r} is not a valid uri-reference"
    start = physical.get("region", {}).get("startLine")
    if not isinstance(start, int) or start < 1:
        yield f"region.startLine {start!r}"
    for suppression in result.get("suppressions", []):
        if suppression.get("status") not in {"accepted", "underReview", "rejected"}:
            yield "suppression without a valid status"
    if "primaryLocationLineHash" in result.get("partialFingerprints", {}):
        yield "primaryLocationLineHash is upload-sarif's to compute"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _is_absolute(text: str) -> bool:
    return text.startswith(("/", "file:")) or bool(re.match(r"[A-Za-z]:[\\/]", text))


# --- names from pull requests ----------------------------------------------------------------

#: A Terraform for_each key (or logical id, client name, file name) written to attack each reader:
#: the terminal (SGR, screen clear, an OSC 8 hyperlink, the one-byte C1 CSI, a bidi override, a
#: lone surrogate from a file name that is not UTF-8), a markdown comment (blank lines, HTML,
#: a link, an image, a mention, backticks that would end a code span, pipes that would split a
#: table row, a trailing backslash) and a spreadsheet (a leading formula).
HOSTILE = (
    '=HYPERLINK("http://x")\x1b[31mred\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07\x9b1m'
    "\u202eevil\u2066\u200f\u061c\n\n# heading <img src=x onerror=alert(1)> [link](http://x) "
    "![i](http://x/i.png) @org/team ``` ` | a\\|b \r\t\udcff\\"
)
#: Each reader's other classic: a pipe-only name, a name that is all backticks, one made of
#: blank lines, the CSV formula starts.
HOSTILE_NAMES = (
    HOSTILE,
    "|",
    "``",
    " `x` ",
    "\n\n\n",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "<script>alert(1)</script>",
)


def hostile_result(name: str = HOSTILE) -> RunResult:
    """A run whose every text from the inputs is ``name``: file name, subject, message, waiver,
    notification message and path."""
    path = f"infra/{name}"  # a file of the repository, whatever its name
    findings = (
        finding(TTL_MAX, path, 3, name, f"AccessTokenValidity of {name} is 24 hours.", field=name),
        finding(TTL_MAX, path, 9, f"{name}2", name, suppression=name),
        finding(
            UNUSED, AUTH, 4, name, name, client_id=name, client_name=name, arn=f"{POOL_ARN}/client/{name}"
        ),
    )
    notifications = (
        Notification(f"invalid YAML: {name}", path=path, line=2, fatal=True),
        Notification(name, level=Severity.WARNING),
    )
    return RunResult(
        rules=RULES,
        findings=findings,
        notifications=notifications,
        category="iac",
        tool_version="0.1.0",
        coverage=Coverage(app_clients=3, m2m_clients=3, files=2, files_with_m2m=2),
    )


def named_cost_report(name: str, *, live: bool = False, policy: str | None = None) -> CostReport:
    """A cost report of two pools whose every name from the inputs is ``name``: the pool (and
    its account and region when ``live``), its two unused clients, the policy file."""
    from m2m_guard.engine import cost_report
    from m2m_guard.policy import load_policy
    from tests.rules.clients import m2m

    clients = []
    for i in (1, 2):
        where = name.replace(":", "")  # an account or region cannot hold the ARN's separator
        arn = f"arn:aws:cognito-idp:{where}:{where}:userpool/{name}{i}" if live else None
        pool = Pool(
            key=f"{name}#{i}",
            label=f"{name}{i}" if live else name,
            names=(f"{name}{i}", name) if live else (name,),
            location=Location("infra/auth.yaml", 1, logical_id=name, arn=arn),
        )
        for j in (1, 2):
            client_arn = f"{arn}/client/{j}" if arn else None
            clients.append(
                m2m(ClientName=name, ClientId=f"{name}{j}", pool=pool, logical_id=name, usage=Usage(0, 30))
                if not live
                else dataclasses.replace(
                    m2m(ClientName=name, ClientId=f"{name}{j}", pool=pool, usage=Usage(0, 30)),
                    location=Location(INVENTORY, 5, client_id=f"{name}{j}", arn=client_arn),
                )
            )
    pricing_policy = "version: 1\npricing: {app_client_month_usd: 5.0}\nrules: []\n"
    return cost_report(load_policy(policy or name, pricing_policy), clients)


# --- what every format must do with such names ------------------------------------------------


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_all_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _all_strings(item)]
    return []


def unsafe_strings(document: Any, *, help_lines: bool = False) -> list[str]:
    """The strings of a parsed JSON document that hold a character a reader must not get raw
    (with ``help_lines``, a SARIF rule's help may hold newlines)."""
    found = []
    for text in _all_strings(document):
        if UNSAFE.search(text.replace("\n", "") if help_lines else text):
            found.append(text)
    return found


def check_scan_formats(name: str) -> None:
    """Text, JSON and SARIF show ``name`` (in every place a scan puts text from the inputs)
    with no unsafe character, and keep the shape they have for a plain name."""
    benign = REPORTERS["text"](hostile_result("name"))
    text = REPORTERS["text"](hostile_result(name))
    assert UNSAFE.search(text.replace("\n", "")) is None
    assert text.count("\n") == benign.count("\n")  # a name adds no line
    assert printable(name) in text

    report = json.loads(REPORTERS["json"](hostile_result(name)))
    assert unsafe_strings(report) == []
    assert printable(name) in {f["subject"] for f in report["findings"]}
    assert {n["message"] for n in report["notifications"]} >= {printable(name)}

    raw = REPORTERS["sarif"](hostile_result(name))
    log = json.loads(raw)
    # (a message may start like an absolute path: the name is all it says)
    problems = [p for p in github_problems(log) if not p.startswith("absolute path or URI")]
    assert schema_errors(log) == [] and problems == []
    assert unsafe_strings(log, help_lines=True) == []
    messages = {r["message"]["text"] for r in log["runs"][0]["results"]}
    assert printable(name) in messages


def check_cost_formats(name: str, live: bool) -> None:
    """Every cost format shows ``name`` safely and keeps the shape it has for a plain name."""
    report, plain = named_cost_report(name, live=live), named_cost_report("n", live=live)
    shown = printable(name)

    text = RENDERERS["text"](report)
    assert UNSAFE.search(text.replace("\n", "")) is None
    assert text.count("\n") == RENDERERS["text"](plain).count("\n") and shown in text

    lines, spans = skeleton(RENDERERS["markdown"](report))
    plain_lines, plain_spans = skeleton(RENDERERS["markdown"](plain))
    # outside its code spans the comment is the same as for a plain name: no HTML, link,
    # heading, extra row or cell, and no span that the name ended early
    assert lines == plain_lines
    assert len(spans) == len(plain_spans) and spans[0].startswith(shown)
    assert all(UNSAFE.search(span) is None for span in spans)

    rows = list(csv.reader(io.StringIO(RENDERERS["csv"](report))))
    assert [len(row) for row in rows] == [len(COLUMNS)] * 3
    cells = [cell for row in rows[1:] for cell in row]
    assert all(UNSAFE.search(cell) is None for cell in cells)
    for cell in cells:  # a cell that starts like a formula is a number m2m-guard wrote
        if cell[:1] in ("=", "+", "-", "@"):
            float(cell)
    pools = dict(zip(COLUMNS, rows[1], strict=True))
    assert pools["pool_name" if live else "pool"] == csv_text(name)

    data = json.loads(RENDERERS["json"](report))
    assert unsafe_strings(data) == []
    assert data["pools"][0]["pool_name" if live else "pool"] == shown
    assert data["pricing"]["policy"] == shown
