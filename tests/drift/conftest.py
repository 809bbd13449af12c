"""The live-sweep fixtures (fake credentials, a scratch working directory, moto, botocore
hooks): drift's live side is a sweep, saved or run. Nothing here reaches the network."""

from __future__ import annotations

from tests.sweep.conftest import aws_env, hooks, moto, quick_user_pools

__all__ = ["aws_env", "hooks", "moto", "quick_user_pools"]
