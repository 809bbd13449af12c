"""Policy YAML -> structure check -> JSON Schema -> rule.prepare() -> Policy.

Every error names the file, the line and the key path (``rules[2].max``) in words a person
reads without the schema at hand (no patterns, no schema jargon); all errors of a file are
reported together, sorted by line, and an unknown rule type hides nothing else. Warnings (a
waiver that matches no rule) are reported the same way but leave the policy valid.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from m2m_guard.cost import PRICING_KEYS, Pricing, Tier
from m2m_guard.model import MAX_VALID_TTL_SECONDS, MIN_VALID_TTL_SECONDS, Severity, describe_value, plural
from m2m_guard.policy.model import Policy, RuleConfig, Selector, Waiver
from m2m_guard.policy.schema import DATE_PATTERN, DURATION_PATTERN, ID_PATTERN, build_schema
from m2m_guard.rules import RULES, PolicyError
from m2m_guard.sources.document import SourceError, parse

POLICY_FILENAMES = (".m2m-guard.yaml", ".m2m-guard.yml")
DEFAULT_PACK = "default"

Path_ = tuple[str | int, ...]


class PolicyLoadError(Exception):
    """One or more problems in a policy file.

    ``lines`` holds the errors, each a complete one-line message; ``diagnostics`` holds the
    errors and the warnings together, sorted by line, as ``policy validate`` prints them.
    """

    def __init__(self, lines: list[str], diagnostics: list[str] | None = None) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.diagnostics = lines if diagnostics is None else diagnostics


def packs_dir() -> Path:
    """The built-in packs: inside the installed package, or ``policies/`` of a source checkout."""
    installed = Path(__file__).resolve().parent.parent / "policies"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "policies"


def builtin_packs() -> dict[str, Path]:
    return {p.stem: p for p in sorted(packs_dir().glob("*.yaml"))}


def discover(start: Path) -> Path | None:
    """``.m2m-guard.yaml`` in ``start`` or the nearest parent directory that has one.

    Anything by that name counts (a FIFO, a folder, a dangling link): reading it then fails
    with a clear error, rather than the scan quietly running the default pack."""
    for folder in (start, *start.parents):
        for name in POLICY_FILENAMES:
            candidate = folder / name
            if os.path.lexists(candidate):
                return candidate
    return None


@dataclass(frozen=True)
class PolicySource:
    """Where a run's policy comes from: the file to read and the name reports give it."""

    path: Path
    label: str
    pack: str | None = None  # the built-in pack's name; None for a policy file


class NoSuchPolicy(LookupError):
    """The policy named is neither a file nor a built-in pack."""


def find_policy(name: str | None, start: Path, name_file: Callable[[Path], str]) -> PolicySource:
    """The policy a scan (or a checkov check) uses: the file or built-in pack ``name``; without
    one, the ``.m2m-guard.yaml`` found from ``start`` upward, else the built-in default pack.

    ``name_file`` names a policy file as the reports show it (packs are ``built-in NAME``).
    """
    packs = builtin_packs()
    if name is None:
        found = discover(start)
        if found is None:
            return PolicySource(packs[DEFAULT_PACK], "built-in default", DEFAULT_PACK)
        return PolicySource(found, name_file(found))
    # a path that exists is read (and refused if not a regular file), else a pack name
    if os.path.lexists(name) and (Path(name).is_file() or name not in packs):
        return PolicySource(Path(name), name_file(Path(name)))
    if name in packs:
        return PolicySource(packs[name], f"built-in {name}", name)
    raise NoSuchPolicy(f"{name}: no such policy file (built-in packs: {', '.join(sorted(packs))})")


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: Path_) -> str:
    """``rules[2].max``; a key that is not a plain word is quoted (``['a b']``), so that a line
    break in a key cannot break the one-line message."""
    out = ""
    for part in path:
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part}]" if isinstance(part, int) else f"[{part!r}]"
    return out or "(top level)"


def _line_of(data: Any, path: Path_) -> int | None:
    """Line of the deepest key along ``path`` (LineDict/LineList carry them)."""
    line = getattr(data, "line", None)
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            line = node.key_lines.get(part, line) if hasattr(node, "key_lines") else line
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _close(word: object, choices: list[str], cutoff: float = 0.6) -> str | None:
    """The choice ``word`` is most likely a typo of, if any."""
    found = difflib.get_close_matches(str(word), choices, n=1, cutoff=cutoff)
    return found[0] if found else None


def _unknown_key(key: object, allowed: list[str]) -> str:
    close = _close(key, allowed)
    if close is not None:
        return f"unknown key {key!r} (did you mean {close!r}?)"
    return f"unknown key {key!r} (allowed: {', '.join(allowed)})"


def _shown(value: Any) -> str:
    """A value as a person wrote it in YAML, short."""
    return describe_value(value, "yaml")


class _Report:
    """The errors and warnings of one policy file, each with its line."""

    def __init__(self, source: str, data: Any) -> None:
        self.source, self.data = source, data
        self._entries: list[tuple[int, int, str, bool]] = []  # (line, order, text, is warning)
        self._texts: set[str] = set()
        self._error_paths: list[Path_] = []
        #: paths whose problem is already reported in m2m-guard's own words
        self._claimed: set[Path_] = set()

    def _add(self, path: Path_, message: str, warning: bool) -> None:
        line = _line_of(self.data, path)
        where = f"{self.source}:{line}" if line else self.source
        text = f"{where}: {'warning: ' if warning else ''}{format_path(path)}: {message}"
        if text not in self._texts:
            self._texts.add(text)
            self._entries.append((line or 0, len(self._entries), text, warning))

    def error(self, path: Path_, message: str, claim: bool | Path_ = False) -> None:
        """Report an error; ``claim`` (True: ``path``) silences later schema errors there."""
        self._add(path, message, warning=False)
        self._error_paths.append(path)
        if claim is True:
            self._claimed.add(path)
        elif claim:
            self._claimed.add(claim)

    def warn(self, path: Path_, message: str) -> None:
        self._add(path, message, warning=True)

    def claim(self, path: Path_) -> None:
        self._claimed.add(path)

    def claimed(self, path: Path_) -> bool:
        return any(path[: len(c)] == c for c in self._claimed)

    def has_errors_under(self, prefix: Path_) -> bool:
        return any(p[: len(prefix)] == prefix for p in self._error_paths)

    def lines(self, warnings: bool | None = None) -> list[str]:
        """Sorted by line: the errors (False), the warnings (True), or both (None)."""
        return [text for _, _, text, warn in sorted(self._entries) if warnings is None or warn == warnings]


_TOP_KEYS = ["pricing", "rules", "version", "waivers"]
_RULE_KEYS = ["description", "id", "match", "severity", "type"]


def _parameter_names() -> set[str]:
    return {name for spec in RULES.values() for name in spec.params.get("properties", {})}


def _check_rule_type(index: int, entry: dict[Any, Any], report: _Report) -> None:
    path: Path_ = ("rules", index, "type")
    if "type" in entry:
        rule_type = entry["type"]
        if not isinstance(rule_type, str):
            message = f"must be a rule type name (see `m2m-guard rules`), not {_shown(rule_type)}"
            report.error(path, message, claim=True)
            return
        if rule_type in RULES:
            return
        close = _close(rule_type, sorted(RULES))
        hint = f"did you mean {close!r}?" if close else f"known: {', '.join(sorted(RULES))}"
        report.error(path, f"unknown rule type {rule_type!r} ({hint})", claim=True)
    # Without a known type the rule's own keys are unknown too, but a near miss of a common key
    # (`tpye`, `severity` misspelt) is still a mistake worth naming.
    params = _parameter_names()
    for key in entry:
        if key in _RULE_KEYS or key in params:
            continue
        close = _close(key, _RULE_KEYS, cutoff=0.75)
        if close is not None:
            # the typo explains the missing key: no separate "'type' is required"
            claim: bool | Path_ = ("rules", index, close) if close not in entry else False
            report.error(("rules", index, key), _unknown_key(key, _RULE_KEYS), claim=claim)


def _check_structure(data: Any, report: _Report) -> bool:
    """Hand-written checks before the schema; False when nothing more can be checked."""
    if not isinstance(data, dict):
        report.error((), "a policy is a mapping with `version: 1` and `rules:`")
        return False
    # a misspelt top-level key (`rulez:`) is reported as such by the schema, with a suggestion
    typos = {_close(key, _TOP_KEYS) for key in data if key not in _TOP_KEYS}
    if "version" not in data and "version" in typos:
        report.claim(("version",))
    elif data.get("version") != 1:
        report.error(("version",), "must be 1 (the only policy format version)", claim=True)
    rules = data.get("rules")
    if "rules" not in data and "rules" in typos:
        report.claim(("rules",))
        return True
    if not isinstance(rules, list):
        report.error(("rules",), "must be a list of rules", claim=True)
        return True
    seen: dict[str, int] = {}
    for index, entry in enumerate(rules):
        if not isinstance(entry, dict):
            report.error(("rules", index), "each rule is a mapping with `id` and `type`", claim=True)
            continue
        _check_rule_type(index, entry, report)
        rule_id = entry.get("id")
        if isinstance(rule_id, str):
            if rule_id in seen:
                report.error(
                    ("rules", index, "id"), f"duplicate id {rule_id!r} (also rules[{seen[rule_id]}])"
                )
            seen.setdefault(rule_id, index)
    return True


_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping",
    "boolean": "true or false",
}
_UNITS = (("s", 1, "second"), ("m", 60, "minute"), ("h", 3600, "hour"), ("d", 86400, "day"))
_DURATION_HINT = "a duration like 300s, 15m, 1h or 1d"


def _duration_message(value: Any) -> str:
    """A duration that is not one; a bare number gets the units that make it a sensible TTL."""
    if value is None:
        return f"is empty; write {_DURATION_HINT}"
    if type(value) is int:
        digits = str(value) if 0 <= value < 10**9 else ""
    else:
        digits = value if isinstance(value, str) else ""
    if not re.fullmatch(r"[0-9]{1,9}", digits):
        return f"{_shown(value)} is not {_DURATION_HINT}"
    n = int(digits)
    # only the readings Cognito accepts as an access-token lifetime: 5 minutes to 1 day
    fits = [
        f"{n}{unit} ({plural(n, word)})"
        for unit, size, word in _UNITS
        if MIN_VALID_TTL_SECONDS <= n * size <= MAX_VALID_TTL_SECONDS
    ]
    if fits:
        return f"{_shown(value)} has no unit; did you mean {' or '.join(fits)}?"
    return f"{_shown(value)} has no unit; write {_DURATION_HINT} (access tokens live 5 minutes to 1 day)"


def _value_message(kind: str, instance: Any, schema: dict[str, Any], expected: Any) -> str:
    pattern = schema.get("pattern")
    if pattern == DURATION_PATTERN:
        return _duration_message(instance)
    if pattern == DATE_PATTERN:
        if instance is None:
            return "is empty; write a date like 2027-03-31"
        return f"{_shown(instance)} is not a date like 2027-03-31"
    if kind == "pattern" and pattern == ID_PATTERN:
        return (
            f"{_shown(instance)} is not a valid id (letters, digits, _, . and -, "
            "starting with a letter or digit)"
        )
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return f"must be {wanted}, not {_shown(instance)}"
    if kind in ("enum", "const"):
        options = list(expected) if kind == "enum" else [expected]
        message = f"{_shown(instance)} is not one of {', '.join(repr(o) for o in options)}"
        close = (
            _close(instance, [o for o in options if isinstance(o, str)])
            if isinstance(instance, str)
            else None
        )
        return f"{message} (did you mean {close!r}?)" if close else message
    if kind in ("minLength", "minItems"):
        return "must not be empty"
    if kind == "minimum":
        return "must not be negative" if expected == 0 else f"must be at least {expected}"
    if kind == "maximum":
        return f"{_shown(instance)} is more than m2m-guard accepts here (at most {expected:,})"
    # every keyword the generated schema uses is worded above (a test checks the list)
    return f"{_shown(instance)} is not allowed here"


WORDED_KEYWORDS = frozenset(
    {
        "additionalProperties",
        "required",
        "type",
        "pattern",
        "enum",
        "const",
        "minLength",
        "minItems",
        "minimum",
        "maximum",
    }
)

#: No number a policy holds (a price, a budget, a count of days or requests) is this large.
MAX_NUMBER = 10**15


def _number_problem(value: Any) -> str | None:
    """What makes a number unusable whatever its key: not finite, too close to zero to compute
    with (a subnormal float such as 1e-320), or beyond any price, budget or count."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and math.isnan(value):
        return "must be a number, not .nan"
    if isinstance(value, float) and math.isinf(value):
        return f"must be a finite number, not {'-' if value < 0 else ''}.inf"
    if isinstance(value, float) and 0 < abs(value) < sys.float_info.min:
        return f"{value!r} is too close to zero to compute with; write 0 or a larger number"
    if abs(value) > MAX_NUMBER:
        shown = f"a number of {len(str(int(value)))} digits" if abs(value) >= 10**60 else _shown(value)
        return f"{shown} is more than m2m-guard accepts anywhere in a policy (at most 10**15)"
    return None


def _check_numbers(data: Any, report: _Report, path: Path_ = ()) -> None:
    """Every number of the policy, at any depth, before the schema (which lets NaN through:
    no comparison with NaN is false)."""
    if isinstance(data, dict):
        items: list[tuple[Any, Any]] = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        return
    for key, value in items:
        problem = _number_problem(value)
        if problem is not None:
            report.error((*path, key), problem, claim=True)
        else:
            _check_numbers(value, report, (*path, key))


_Message = tuple[Path_, str, Path_, Path_ | None]


def _schema_messages(error: Any) -> Iterator[_Message]:
    """(path shown, message, path of the key at fault, missing key it explains) per problem."""
    path: Path_ = tuple(error.absolute_path)
    kind, instance = error.validator, error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        # YAML keys need not be strings (``1:``, ``null:``); str() orders any mix of them
        for key in sorted((k for k in instance if k not in allowed), key=str):
            close = _close(key, allowed)
            # `maxx: 1h` explains why `max` is missing: one message, not two
            explains = (*path, close) if close is not None and close not in instance else None
            yield (*path, key), _unknown_key(key, allowed), (*path, key), explains
    elif kind == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield path, f"{key!r} is required", (*path, key), None
    else:
        yield path, _value_message(kind, instance, error.schema, error.validator_value), path, None


def _check_schema(data: Any, report: _Report) -> None:
    import jsonschema  # kept off the import path of `m2m-guard --version`

    validator = jsonschema.Draft202012Validator(build_schema())
    messages: list[_Message] = []
    for error in validator.iter_errors(data):
        # if/then dispatch reports the specific failure; the umbrella errors add nothing
        errors = error.context if error.validator in ("if", "allOf") and error.context else [error]
        for each in errors:
            messages.extend(_schema_messages(each))
    for *_, explains in messages:
        if explains is not None:
            report.claim(explains)
    for path, message, at_fault, _ in messages:
        if not report.claimed(at_fault):
            report.error(path, message)


def _selector(entry: dict[str, Any] | None) -> Selector:
    entry = entry or {}
    return Selector(tuple(entry.get("clients", ())), tuple(entry.get("pools", ())))


def _build_rule(index: int, entry: dict[str, Any], report: _Report) -> RuleConfig | None:
    spec = RULES[entry["type"]]
    params = {**spec.defaults, **{k: v for k, v in entry.items() if k not in _RULE_KEYS}}
    try:
        if spec.prepare:
            params = spec.prepare(params)
    except PolicyError as exc:
        report.error(("rules", index, *exc.path), exc.message)
        return None
    return RuleConfig(
        id=entry["id"],
        spec=spec,
        params={**params, "rule": entry["id"]},
        severity=Severity(entry.get("severity", "error")),
        selector=_selector(entry.get("match")),
        description=entry.get("description"),
    )


def _build_waiver(index: int, entry: dict[str, Any], report: _Report) -> Waiver | None:
    try:
        expires = dt.date.fromisoformat(entry["expires"])
    except ValueError:
        message = f"{entry['expires']!r} is not a date like 2027-03-31 (no such day)"
        report.error(("waivers", index, "expires"), message)
        return None
    return Waiver(
        rule=entry["rule"],
        selector=_selector(entry),
        reason=entry["reason"],
        expires=expires,
        line=_line_of(report.data, ("waivers", index)),
    )


def _check_waiver_rules(rules: list[Any], waivers: list[Any], report: _Report) -> None:
    """A waiver whose `rule` names no rule of the policy waives nothing: a typo, or a stale one."""
    ids = [e["id"] for e in rules if isinstance(e, dict) and isinstance(e.get("id"), str)]
    for index, entry in enumerate(waivers):
        pattern = entry.get("rule") if isinstance(entry, dict) else None
        if not isinstance(pattern, str) or not pattern or any(fnmatchcase(i, pattern) for i in ids):
            continue
        close = _close(pattern, ids)
        hint = (
            f"did you mean {close!r}?"
            if close
            else ("rule ids: " + ", ".join(ids) if ids else "it has no rules")
        )
        report.warn(("waivers", index, "rule"), f"{pattern!r} matches no rule id of this policy ({hint})")


def _pricing(entry: dict[str, Any] | None, source: str) -> Pricing:
    """The policy's ``pricing:`` over m2m-guard's defaults; reports name the table that was used."""
    if not entry:
        return Pricing()
    tiers = tuple(Tier(t.get("up_to"), float(t["usd"])) for t in entry.get("token_request_tiers", ()))
    defaults = Pricing()
    return Pricing(
        app_client_month_usd=float(entry.get("app_client_month_usd", defaults.app_client_month_usd)),
        token_request_usd=float(entry.get("token_request_usd", defaults.token_request_usd)),
        token_request_tiers=tiers,
        policy=source,
        overrides=tuple(k for k in PRICING_KEYS if k in entry),
    )


def _check_tiers(data: dict[str, Any], report: _Report) -> None:
    tiers = (data.get("pricing") or {}).get("token_request_tiers") or []
    bounds = [t.get("up_to") for t in tiers]
    for index, bound in enumerate(bounds[:-1]):
        if bound is None:
            path = ("pricing", "token_request_tiers", index, "up_to")
            report.error(path, "only the last tier may omit up_to")
    finite = [b for b in bounds if b is not None]
    if finite != sorted(set(finite)):
        report.error(("pricing", "token_request_tiers"), "up_to must increase from tier to tier")


def load_policy(source: str, text: str) -> Policy:
    """Validate and build a policy from its text; ``source`` names it in messages.

    Every problem of the file is reported at once, sorted by line: an unknown rule type does
    not hide the mistakes in other rules, the waivers or the pricing.
    """
    try:
        data = parse(source, text).data
    except SourceError as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        raise PolicyLoadError([f"{where}: {exc.message}"]) from None
    report = _Report(source, data)
    _check_numbers(data, report)
    if _check_structure(data, report):
        _check_schema(data, report)
    rules: list[RuleConfig | None] = []
    waivers: list[Waiver | None] = []
    if isinstance(data, dict):
        entries = data.get("rules")
        entries = entries if isinstance(entries, list) else []
        for index, entry in enumerate(entries):
            ok = isinstance(entry, dict) and isinstance(entry.get("type"), str) and entry["type"] in RULES
            if ok and not report.has_errors_under(("rules", index)):
                rules.append(_build_rule(index, entry, report))
        listed = data.get("waivers")
        if isinstance(listed, list):
            _check_waiver_rules(entries, listed, report)
            for index, entry in enumerate(listed):
                if isinstance(entry, dict) and not report.has_errors_under(("waivers", index)):
                    waivers.append(_build_waiver(index, entry, report))
        if isinstance(data.get("pricing"), dict) and not report.has_errors_under(("pricing",)):
            _check_tiers(data, report)
    errors = report.lines(warnings=False)
    if errors:
        raise PolicyLoadError(errors, report.lines())
    return Policy(
        source=source,
        rules=tuple(r for r in rules if r is not None),
        waivers=tuple(w for w in waivers if w is not None),
        pricing=_pricing(data.get("pricing"), source),
        warnings=tuple(report.lines(warnings=True)),
    )
