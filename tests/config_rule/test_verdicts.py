"""Findings -> compliance type and annotation (m2m_guard/config_rule/verdicts.py), and the
handler end to end on moto's AWS Config (PutEvaluations in test mode) and S3."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest
from moto import mock_aws

from m2m_guard.config_rule.handler import handle
from m2m_guard.config_rule.verdicts import ANNOTATION_MAX, annotation, verdict
from m2m_guard.model import Finding, Location, Severity
from tests.config_rule.support import REGION, change_event, configuration


def finding(rule_id: str, level: Severity = Severity.ERROR, **extra: Any) -> Finding:
    return Finding(rule_id, "t", level, "m.", Location("p"), "s", rule_id, **extra)


@pytest.mark.parametrize(
    ("findings", "compliance", "text"),
    [
        ([], "COMPLIANT", None),
        ([finding("A"), finding("B", Severity.WARNING), finding("A")], "NON_COMPLIANT", "Fails: A, B."),
        ([finding("N", Severity.NOTE)], "COMPLIANT", "Notes: N."),
        (
            [finding("U", Severity.NOTE, undetermined=True)],
            "COMPLIANT",
            "Not checked (unknown in AWS Config): U.",
        ),
        (
            [finding("W", suppression="Until  the\nmigration.")],
            "COMPLIANT",
            "Waived (Until the migration.): W.",
        ),
        (
            [finding("W1", suppression="x"), finding("W2", suppression="y"), finding("F")],
            "NON_COMPLIANT",
            "Fails: F. Waived: W1, W2.",
        ),
    ],
)
def test_verdict(findings: list[Finding], compliance: str, text: str | None) -> None:
    result = verdict(findings)
    assert (result.compliance, result.annotation) == (compliance, text)


def test_long_lists_are_counted_not_cut() -> None:
    ids = [f"POLICY-RULE-{i:03d}" for i in range(40)]
    text = annotation([("Fails", ids), ("Not checked (unknown in AWS Config)", ["X"])])
    assert text is not None and len(text) <= ANNOTATION_MAX
    assert text.startswith("Fails: POLICY-RULE-000, ") and text.endswith(" more.")
    shown = text.removeprefix("Fails: ").split(" and ")[0].split(", ")
    assert all(name in ids for name in shown)
    assert text.endswith(f" and {40 - len(shown)} more.")


def test_a_long_waiver_reason_is_shortened() -> None:
    result = verdict([finding("W", suppression="word " * 100)])
    assert result.annotation is not None and len(result.annotation) <= ANNOTATION_MAX
    assert "…): W." in result.annotation


def test_one_id_too_long_for_the_room_is_counted() -> None:
    assert annotation([("Fails", ["X" * 300])]) == "Fails: 1 rule."


@mock_aws
def test_end_to_end_on_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto accepts PutEvaluations in test mode only (``resultToken`` TESTMODE)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    s3 = session.client("s3")
    s3.create_bucket(Bucket="policies")
    s3.put_object(
        Bucket="policies",
        Key="guard.yaml",
        Body=b"version: 1\nrules:\n  - id: TTL\n    type: max_access_token_ttl\n    max: 30m\n",
    )
    event = change_event(configuration("1moto"), policy="s3://policies/guard.yaml")
    event["resultToken"] = "TESTMODE"
    counts = handle(event, session, now=dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc))
    assert counts == {"NON_COMPLIANT": 1}
