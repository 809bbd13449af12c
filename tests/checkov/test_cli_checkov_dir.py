"""`m2m-guard checkov-dir`: the folder for checkov's --external-checks-dir, found without checkov."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from m2m_guard.cli import main


def test_prints_the_absolute_checks_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the path does not depend on the working directory
    assert main(["checkov-dir"]) == 0
    out, err = capsys.readouterr()
    folder = Path(out.strip())
    assert err == "" and out.endswith("\n") and out.count("\n") == 1
    assert folder.is_absolute() and folder.is_dir()
    assert (folder / "__init__.py").is_file()
    assert (folder / "m2m_guard_max_access_token_ttl.py").is_file()


def test_does_not_import_checkov() -> None:
    code = "import sys; from m2m_guard.cli import main; main(['checkov-dir']);print('checkov' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "False"
