from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    # Must live in the rootdir conftest: pytest ignores pytest_addoption in nested ones.
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="Rewrite the expected output files under tests/expected/ instead of comparing.",
    )


@pytest.fixture
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-snapshots"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config) -> None:
    """Keep hypothesis's files out of the work tree.

    Even without an example database, hypothesis caches the constants it finds in the code
    under ``.hypothesis/`` in the working directory, from its own collection hook: point it at
    pytest's temporary directory first (tests/test_properties.py).
    """
    if "hypothesis" not in sys.modules:
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    factory = getattr(config, "_tmp_path_factory", None)
    home = factory.mktemp("hypothesis") if factory is not None else Path(tempfile.mkdtemp())
    set_hypothesis_home_dir(home)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch git work tree as the working directory: paths in reports are relative to it.
    Test modules that need files in it define their own ``repo``."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def no_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a sweep starts: for the checks that must stop a run before it does."""
    import m2m_guard.sweep.runner as runner

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sweep started")

    monkeypatch.setattr(runner, "run_sweep", never)
