"""Finding a policy, and loading one: YAML -> structure check -> JSON Schema ->
rule.prepare() -> Policy.

Every error names the file, the line and the key path (``rules[2].max``) in words a person
reads without the schema at hand (no patterns, no schema jargon); all errors of a file are
reported together, sorted by line, and an unknown rule type hides nothing else. Warnings (a
waiver that matches no rule) are reported the same way but leave the policy valid. The steps
live beside this module: :mod:`.structure`, :mod:`.schema_check`, :mod:`.pricing`, all
reporting to one :class:`~m2m_guard.policy.report.Report`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from m2m_guard.model import Severity
from m2m_guard.policy.model import Policy, RuleConfig, Selector, Waiver
from m2m_guard.policy.pricing import check_tiers, read_pricing
from m2m_guard.policy.report import PolicyLoadError, Report, closest, line_of
from m2m_guard.policy.schema_check import check_schema
from m2m_guard.policy.structure import RULE_KEYS, check_numbers, check_structure
from m2m_guard.rules import RULES, PolicyError
from m2m_guard.sources.document import SourceError, parse

POLICY_FILENAMES = (".m2m-guard.yaml", ".m2m-guard.yml")
DEFAULT_PACK = "default"


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


def _selector(entry: Mapping[str, Any] | None) -> Selector:
    entry = entry or {}
    return Selector(tuple(entry.get("clients", ())), tuple(entry.get("pools", ())))


def _build_rule(index: int, entry: dict[str, Any], report: Report) -> RuleConfig | None:
    spec = RULES[entry["type"]]
    params = {k: v for k, v in entry.items() if k not in RULE_KEYS}
    try:
        if spec.prepare:
            params = spec.prepare(params)
    except PolicyError as exc:
        report.error(("rules", index, *exc.path), exc.message)
        return None
    return RuleConfig(
        id=entry["id"],
        spec=spec,
        params=params,
        severity=Severity(entry.get("severity", "error")),
        selector=_selector(entry.get("match")),
        description=entry.get("description"),
    )


def _rules(entries: list[Any], report: Report) -> tuple[RuleConfig, ...]:
    """The rules whose entries passed every check so far, prepared."""
    rules: list[RuleConfig | None] = []
    for index, entry in enumerate(entries):
        ok = isinstance(entry, dict) and isinstance(entry.get("type"), str) and entry["type"] in RULES
        if ok and not report.has_errors_under(("rules", index)):
            rules.append(_build_rule(index, entry, report))
    return tuple(r for r in rules if r is not None)


def _build_waiver(index: int, entry: dict[str, Any], report: Report) -> Waiver | None:
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
        line=line_of(report.data, ("waivers", index)),
    )


def _check_waiver_rules(rules: list[Any], waivers: list[Any], report: Report) -> None:
    """A waiver whose `rule` names no rule of the policy waives nothing: a typo, or a stale one."""
    ids = [e["id"] for e in rules if isinstance(e, dict) and isinstance(e.get("id"), str)]
    for index, entry in enumerate(waivers):
        pattern = entry.get("rule") if isinstance(entry, dict) else None
        if not isinstance(pattern, str) or not pattern or any(fnmatchcase(i, pattern) for i in ids):
            continue
        likely = closest(pattern, ids)
        hint = (
            f"did you mean {likely!r}?"
            if likely
            else ("rule ids: " + ", ".join(ids) if ids else "it has no rules")
        )
        report.warn(("waivers", index, "rule"), f"{pattern!r} matches no rule id of this policy ({hint})")


def _waivers(rules: list[Any], listed: object, report: Report) -> tuple[Waiver, ...]:
    """The waivers whose entries passed every check so far; warnings for those that waive nothing."""
    if not isinstance(listed, list):
        return ()
    _check_waiver_rules(rules, listed, report)
    waivers: list[Waiver | None] = []
    for index, entry in enumerate(listed):
        if isinstance(entry, dict) and not report.has_errors_under(("waivers", index)):
            waivers.append(_build_waiver(index, entry, report))
    return tuple(w for w in waivers if w is not None)


def _parse(source: str, text: str) -> Any:
    try:
        return parse(source, text).data
    except SourceError as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        raise PolicyLoadError([f"{where}: {exc.message}"]) from None


def load_policy(source: str, text: str) -> Policy:
    """Validate and build a policy from its text; ``source`` names it in messages.

    Every problem of the file is reported at once, sorted by line: an unknown rule type does
    not hide the mistakes in other rules, the waivers or the pricing.
    """
    data = _parse(source, text)
    report = Report(source, data)
    check_numbers(data, report)
    if check_structure(data, report):
        check_schema(data, report)
    document: dict[str, Any] = data if isinstance(data, dict) else {}
    entries = document.get("rules")
    entries = entries if isinstance(entries, list) else []
    rules = _rules(entries, report)
    waivers = _waivers(entries, document.get("waivers"), report)
    pricing = document.get("pricing")
    if isinstance(pricing, dict) and not report.has_errors_under(("pricing",)):
        check_tiers(pricing, report)
    errors = report.lines(warnings=False)
    if errors:
        raise PolicyLoadError(errors, report.lines())
    return Policy(
        source=source,
        rules=rules,
        waivers=waivers,
        pricing=read_pricing(pricing, source, text),
        warnings=tuple(report.lines(warnings=True)),
    )
