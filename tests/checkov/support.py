"""Helpers for the tests that need checkov: skip cleanly where it is not installed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The checkov console script of the interpreter running the tests (``.venv-checkov/bin/checkov``).
CHECKOV = Path(sys.executable).parent / "checkov"
SKIP_REASON = (
    "checkov is not installed in this environment; the checkov tests run in their own "
    "virtualenv (see .ci/run): python3 -m venv .venv-checkov && "
    ".venv-checkov/bin/pip install -e '.[checkov]' pytest && .venv-checkov/bin/python -m pytest tests/checkov"
)


def require_checkov() -> None:
    """Skip the calling test module unless checkov is importable (no import: it takes seconds)."""
    if importlib.util.find_spec("checkov") is None:
        pytest.skip(SKIP_REASON, allow_module_level=True)
