"""``m2m-guard checkov-dir``: the folder for checkov's ``--external-checks-dir``."""

from __future__ import annotations

from pathlib import Path

from m2m_guard.commands import EXIT_OK


def run() -> int:
    """Print the folder of the checkov checks; located without importing checkov."""
    print(Path(__file__).resolve().parents[1] / "checkov" / "checks")
    return EXIT_OK
