from __future__ import annotations

import dataclasses
import random

import pytest

from m2m_guard.model import RunResult
from m2m_guard.reporters import REPORTERS
from tests.reporters.support import CASES, iac_result

FORMATS = sorted(REPORTERS)


def test_every_cli_format_has_a_reporter() -> None:
    # DESIGN.md "CLI": --format text|json|sarif.
    assert FORMATS == ["json", "sarif", "text"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_twice_gives_the_same_text(fmt: str, case: str) -> None:
    render = REPORTERS[fmt]
    assert render(CASES[case]()) == render(CASES[case]())


@pytest.mark.parametrize("fmt", FORMATS)
def test_input_order_does_not_change_the_output(fmt: str) -> None:
    # Sources walk directories and sweeps run concurrently; the file must not churn in git
    # or in code scanning because of that.
    result = iac_result()
    render = REPORTERS[fmt]
    expected = render(result)
    rng = random.Random(20260131)
    for _ in range(10):
        findings, notes = list(result.findings), list(result.notifications)
        rng.shuffle(findings)
        rng.shuffle(notes)
        shuffled = dataclasses.replace(result, findings=tuple(findings), notifications=tuple(notes))
        assert render(shuffled) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_color_only_affects_text(fmt: str) -> None:
    result = iac_result()
    plain, colored = REPORTERS[fmt](result), REPORTERS[fmt](result, color=True)
    assert (plain == colored) == (fmt != "text")


@pytest.mark.parametrize("fmt", FORMATS)
def test_degenerate_result_renders(fmt: str) -> None:
    assert REPORTERS[fmt](RunResult(rules=(), findings=())).endswith("\n")
