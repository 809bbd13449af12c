"""Fixtures for the live-sweep tests: fake credentials, moto, and botocore event hooks on the
clients the sweep creates. Nothing here reaches the network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from m2m_guard.sweep import aws, ratelimit
from tests.sweep.support import Hooks


@pytest.fixture(autouse=True)
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fake credentials, no user configuration, a scratch working directory, and quick
    limits: per-pool pacing and retries are what slow a sweep down, not what these tests check
    (tests/sweep/test_ratelimit.py and the failure tests set them explicitly)."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
        "FORCE_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(ratelimit, "PER_POOL_RPS", 1000.0)
    monkeypatch.setattr(aws, "MAX_ATTEMPTS", 2)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture(autouse=True)
def quick_user_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto imports the same RSA signing key for every user pool it creates, about 0.3 s each:
    import it once (the sweep never asks for tokens). Only a speed-up: where moto or joserfc
    work otherwise, nothing is patched and the tests just run slower."""
    try:
        from joserfc import jwk

        original = jwk.RSAKey.import_key
    except (ImportError, AttributeError):
        return
    cache: dict[str, Any] = {}

    def import_key(value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return original(value, *args, **kwargs)
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in cache:
            cache[key] = original(value)
        return cache[key]

    monkeypatch.setattr(jwk.RSAKey, "import_key", staticmethod(import_key))


@pytest.fixture
def moto() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Hooks:
    installed = Hooks()
    monkeypatch.setattr(aws, "client", installed.wrap(aws.client))
    return installed
