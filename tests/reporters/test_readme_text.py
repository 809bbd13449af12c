"""The README's text-report samples are real output, line for line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from m2m_guard.cli import main
from m2m_guard.reporters import text
from tests.reporters.support import live_result

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _sample(command: str) -> list[str]:
    """The lines of the README's ```text block that starts with ``$ COMMAND``, minus the
    command and the ``...`` that mark left-out lines."""
    for block in re.findall(r"```text\n(.*?)```", README, re.S):
        lines = [line.strip() for line in block.splitlines()]
        if lines and lines[0] == f"$ {command}":
            return [line for line in lines[1:] if line and line != "..."]
    raise AssertionError(f"no text sample of {command!r} in README.md")


def test_scan_sample_is_what_the_examples_scan_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT / "examples")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert main(["scan", "--usage", "usage.json"]) == 1
    printed = capsys.readouterr().out.splitlines()
    sample = _sample("cd examples && m2m-guard scan --usage usage.json")
    assert [line for line in sample if line not in printed] == []
    assert sample[-1] == printed[-1]  # the summary line


def test_sweep_sample_is_what_the_text_reporter_prints() -> None:
    printed = text.render(live_result()).splitlines()
    sample = _sample("m2m-guard sweep --organization --role-name m2m-guard-audit")
    assert [line for line in sample if line not in printed] == []
    assert sample[-1] == printed[-1]
