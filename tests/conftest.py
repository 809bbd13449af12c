from __future__ import annotations

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
