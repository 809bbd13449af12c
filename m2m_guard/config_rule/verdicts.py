"""One resource's findings -> one AWS Config evaluation: its compliance type and annotation.

Pure (no AWS call). The rules it follows, and why:

- A violation at ``error`` or ``warning`` severity that no waiver covers makes the resource
  NON_COMPLIANT, and the annotation names the failing policy rule ids. A violation at ``note``
  severity is named in the annotation but does not fail (the policy calls it informational).
- A waived finding leaves the resource COMPLIANT; the annotation names the rule and the
  waiver's reason.
- A rule that could not be checked (an unknown value: AWS Config records no client secret, no
  resource servers and no pool settings) is named in the annotation as not checked, and does
  not change the verdict. Config's ``ComplianceType`` enum has INSUFFICIENT_DATA, but botocore's
  model of the config service (``Evaluation.ComplianceType``) says "Config does not accept
  INSUFFICIENT_DATA as the value for ComplianceType from a PutEvaluations request"; and making
  every M2M client NON_COMPLIANT for what Config never records would make the rule useless. So a
  COMPLIANT client is compliant with the rules Config's data can decide, and the annotation says
  which rules were left to a Cognito sweep.
- ``Annotation`` is at most 256 characters (botocore model: ``StringWithCharLimit256``); ids
  that do not fit are counted ("and 3 more"), never cut in the middle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from m2m_guard.model import Finding, Severity

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
#: botocore model of the config service: Evaluation.Annotation, max 256.
ANNOTATION_MAX = 256
NOT_M2M = "Not an M2M app client (no client_credentials flow); the policy does not apply."


@dataclass(frozen=True)
class Verdict:
    compliance: str
    annotation: str | None = None


def verdict(findings: Sequence[Finding]) -> Verdict:
    """The verdict on one resource (an M2M client, or a pool) from its findings."""
    failing = _ids(f for f in findings if _active(f) and f.level != Severity.NOTE)
    notes = _ids(f for f in findings if _active(f) and f.level == Severity.NOTE)
    waived = [f for f in findings if f.suppression is not None]
    unchecked = _ids(f for f in findings if f.undetermined and f.suppression is None)
    parts: list[tuple[str, list[str]]] = []
    if failing:
        parts.append(("Fails", failing))
    if waived:
        reason = _short(waived[0].suppression or "", 80)
        parts.append((f"Waived ({reason})" if len(waived) == 1 else "Waived", _ids(waived)))
    if notes:
        parts.append(("Notes", notes))
    if unchecked:
        parts.append(("Not checked (unknown in AWS Config)", unchecked))
    return Verdict(NON_COMPLIANT if failing else COMPLIANT, annotation(parts))


def _active(finding: Finding) -> bool:
    return finding.suppression is None and not finding.undetermined


def _ids(findings: Iterable[Finding]) -> list[str]:
    """Rule ids in first-seen order, each once."""
    return list(dict.fromkeys(f.rule_id for f in findings))


def _short(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def annotation(parts: Sequence[tuple[str, Sequence[str]]], limit: int = ANNOTATION_MAX) -> str | None:
    """``Fails A, B. Not checked: C.`` within ``limit`` characters: the ids that do not fit
    are counted (``and 2 more``), whole sections after the budget is spent are dropped."""
    if not parts:
        return None
    text = ""
    for label, ids in parts:
        section = _section(label, ids, limit - len(text) - (1 if text else 0))
        if section is None:
            break
        text = f"{text} {section}" if text else section
    return text or _short(f"{parts[0][0]}: {len(parts[0][1])} rules.", limit)


def _section(label: str, ids: Sequence[str], room: int) -> str | None:
    """``label: a, b and 3 more.`` in at most ``room`` characters, else None."""
    for shown in range(len(ids), -1, -1):
        rest = len(ids) - shown
        listed = ", ".join(ids[:shown])
        more = f"{rest} more" if shown else f"{rest} rule{'s' if rest != 1 else ''}"
        tail = f" and {more}" if shown and rest else ("" if shown else more)
        text = f"{label}: {listed}{tail}."
        if len(text) <= room:
            return text
    return None
