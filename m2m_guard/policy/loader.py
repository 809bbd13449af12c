"""Policy YAML -> structure check -> JSON Schema -> rule.prepare() -> Policy.

Every error names the file, the line and the key path (``rules[2].max``); all errors of a file
are reported together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from m2m_guard.cost import Pricing, Tier
from m2m_guard.model import Severity
from m2m_guard.policy.policyset import Policy, RuleConfig, Selector, Waiver
from m2m_guard.policy.schema import build_schema
from m2m_guard.rules import RULES, PolicyError
from m2m_guard.sources.document import SourceError, parse

POLICY_FILENAMES = (".m2m-guard.yaml", ".m2m-guard.yml")
DEFAULT_PACK = "default"

Path_ = tuple[str | int, ...]


class PolicyLoadError(Exception):
    """One or more problems in a policy file; each line of ``lines`` is a complete message."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def packs_dir() -> Path:
    """The built-in packs: inside the installed package, or ``policies/`` of a source checkout."""
    installed = Path(__file__).resolve().parent.parent / "policies"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "policies"


def builtin_packs() -> dict[str, Path]:
    return {p.stem: p for p in sorted(packs_dir().glob("*.yaml"))}


def discover(start: Path) -> Path | None:
    """``.m2m-guard.yaml`` in ``start`` or the nearest parent directory that has one."""
    for folder in (start, *start.parents):
        for name in POLICY_FILENAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
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


class _Errors:
    def __init__(self, source: str, data: Any) -> None:
        self.source, self.data, self.lines = source, data, []  # type: ignore[var-annotated]

    def add(self, path: Path_, message: str) -> None:
        line = _line_of(self.data, path)
        where = f"{self.source}:{line}" if line else self.source
        entry = f"{where}: {format_path(path)}: {message}"
        if entry not in self.lines:
            self.lines.append(entry)


def _check_structure(data: Any, errors: _Errors) -> None:
    if not isinstance(data, dict):
        errors.add((), "a policy is a mapping with `version: 1` and `rules:`")
        return
    if data.get("version") != 1:
        errors.add(("version",), "must be 1 (the only policy format version)")
    rules = data.get("rules")
    if not isinstance(rules, list):
        errors.add(("rules",), "must be a list of rules")
        return
    seen: dict[str, int] = {}
    for index, entry in enumerate(rules):
        if not isinstance(entry, dict):
            errors.add(("rules", index), "each rule is a mapping with `id` and `type`")
            continue
        rule_type = entry.get("type")
        if isinstance(rule_type, str) and rule_type not in RULES:
            errors.add(
                ("rules", index, "type"),
                f"unknown rule type {rule_type!r} (known: {', '.join(sorted(RULES))})",
            )
        rule_id = entry.get("id")
        if isinstance(rule_id, str):
            if rule_id in seen:
                errors.add(("rules", index, "id"), f"duplicate id {rule_id!r} (also rules[{seen[rule_id]}])")
            seen.setdefault(rule_id, index)


def _describe_type(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _schema_message(error: Any) -> tuple[Path_, str]:
    path: Path_ = tuple(error.absolute_path)
    kind, instance = error.validator, error.instance
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        # YAML keys need not be strings (``1:``, ``null:``); str() orders any mix of them
        extra = sorted((k for k in instance if k not in allowed), key=str)
        if extra:
            return (*path, extra[0]), f"unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})"
    if kind == "required":
        return path, error.message.replace("is a required property", "is required")
    if kind == "pattern" and error.schema.get("description", "").startswith("A duration"):
        return path, f"{instance!r} is not a duration like 300s, 15m, 1h or 1d"
    if kind == "type":
        return path, f"must be {error.validator_value}, not {_describe_type(instance)}"
    if kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        return path, f"{instance!r} is not one of {', '.join(repr(o) for o in options)}"
    return path, error.message


def _schema_errors(data: Any) -> Iterator[tuple[Path_, str]]:
    import jsonschema  # kept off the import path of `m2m-guard --version`

    validator = jsonschema.Draft202012Validator(build_schema())
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        # if/then dispatch reports the specific failure; the umbrella errors add nothing
        if error.validator in ("if", "allOf") and error.context:
            for sub in error.context:
                yield _schema_message(sub)
        else:
            yield _schema_message(error)


def _selector(entry: dict[str, Any] | None) -> Selector:
    entry = entry or {}
    return Selector(tuple(entry.get("clients", ())), tuple(entry.get("pools", ())))


_RULE_KEYS = {"id", "type", "severity", "description", "match"}


def _build_rule(index: int, entry: dict[str, Any], errors: _Errors) -> RuleConfig | None:
    spec = RULES[entry["type"]]
    params = {**spec.defaults, **{k: v for k, v in entry.items() if k not in _RULE_KEYS}}
    try:
        if spec.prepare:
            params = spec.prepare(params)
    except PolicyError as exc:
        errors.add(("rules", index, *exc.path), exc.message)
        return None
    return RuleConfig(
        id=entry["id"],
        spec=spec,
        params={**params, "rule": entry["id"]},
        severity=Severity(entry.get("severity", "error")),
        selector=_selector(entry.get("match")),
        description=entry.get("description"),
    )


def _build_waiver(index: int, entry: dict[str, Any], errors: _Errors) -> Waiver | None:
    try:
        expires = dt.date.fromisoformat(entry["expires"])
    except ValueError:
        errors.add(("waivers", index, "expires"), f"{entry['expires']!r} is not a date (YYYY-MM-DD)")
        return None
    return Waiver(
        rule=entry["rule"],
        selector=_selector(entry),
        reason=entry["reason"],
        expires=expires,
        line=_line_of(errors.data, ("waivers", index)),
    )


def _pricing(entry: dict[str, Any] | None) -> Pricing:
    if not entry:
        return Pricing()
    tiers = tuple(Tier(t.get("up_to"), float(t["usd"])) for t in entry.get("token_request_tiers", ()))
    defaults = Pricing()
    return Pricing(
        app_client_month_usd=float(entry.get("app_client_month_usd", defaults.app_client_month_usd)),
        token_request_usd=float(entry.get("token_request_usd", defaults.token_request_usd)),
        token_request_tiers=tiers,
    )


def _check_tiers(data: dict[str, Any], errors: _Errors) -> None:
    tiers = (data.get("pricing") or {}).get("token_request_tiers") or []
    bounds = [t.get("up_to") for t in tiers]
    for index, bound in enumerate(bounds[:-1]):
        if bound is None:
            path = ("pricing", "token_request_tiers", index, "up_to")
            errors.add(path, "only the last tier may omit up_to")
    finite = [b for b in bounds if b is not None]
    if finite != sorted(set(finite)):
        errors.add(("pricing", "token_request_tiers"), "up_to must increase from tier to tier")


def load_policy(source: str, text: str) -> Policy:
    """Validate and build a policy from its text; ``source`` names it in messages."""
    try:
        data = parse(source, text).data
    except SourceError as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        raise PolicyLoadError([f"{where}: {exc.message}"]) from None
    errors = _Errors(source, data)
    _check_structure(data, errors)
    if errors.lines:
        raise PolicyLoadError(errors.lines)
    for path, message in _schema_errors(data):
        errors.add(path, message)
    if errors.lines:
        raise PolicyLoadError(errors.lines)
    _check_tiers(data, errors)
    rules = [_build_rule(i, e, errors) for i, e in enumerate(data["rules"])]
    waivers = [_build_waiver(i, e, errors) for i, e in enumerate(data.get("waivers") or [])]
    if errors.lines:
        raise PolicyLoadError(errors.lines)
    return Policy(
        source=source,
        rules=tuple(r for r in rules if r is not None),
        waivers=tuple(w for w in waivers if w is not None),
        pricing=_pricing(data.get("pricing")),
    )
