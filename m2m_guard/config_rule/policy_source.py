"""The rule's policy, named by its ``policy`` input parameter.

- a built-in pack name (``default``, ``strict``: m2m_guard/policy/loader.py ``builtin_packs``);
- ``s3://bucket/key``: a policy YAML object in S3 (s3:GetObject);
- ``ssm:/parameter/name``: an SSM parameter holding the policy YAML (ssm:GetParameter, with
  decryption, so that a SecureString works as well as a String);
- absent or empty: the ``default`` pack.

Every failure is a :class:`RuleSetupError` with a one-line message (the Lambda runtime logs
it and AWS Config shows the evaluation as failed): nothing of the policy's text is quoted
beyond the loader's own first error line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from m2m_guard.policy import DEFAULT_PACK, Policy, PolicyLoadError, builtin_packs, load_policy

#: A policy larger than this is refused (the built-in packs are about 2 KB).
MAX_POLICY_BYTES = 1_000_000


class RuleSetupError(RuntimeError):
    """The rule cannot run (its policy, its event or AWS refused); the message is one line."""


def load_rule_policy(name: object, client: Callable[[str], Any]) -> Policy:
    """The policy ``name`` names; ``client(service)`` gives a boto3 client (s3 or ssm)."""
    if name is None or name == "":
        name = DEFAULT_PACK
    if not isinstance(name, str):
        raise RuleSetupError("rule parameter policy must be a string (a pack, s3://bucket/key or ssm:/name)")
    if name.startswith("s3://"):
        return _load(name, _read_s3(name, client("s3")))
    if name.startswith("ssm:"):
        return _load(name, _read_ssm(name, client("ssm")))
    packs = builtin_packs()
    if name not in packs:
        raise RuleSetupError(
            f"rule parameter policy: {name!r} is no built-in pack ({', '.join(sorted(packs))}), "
            "s3://bucket/key or ssm:/parameter/name"
        )
    return _load(f"built-in {name}", packs[name].read_text(encoding="utf-8"))


def _load(label: str, text: str) -> Policy:
    try:
        return load_policy(label, text)
    except PolicyLoadError as exc:
        more = len(exc.lines) - 1
        first = " ".join(exc.lines[0].split()) if exc.lines else f"{label}: invalid policy"
        tail = f" (and {more} more problems)" if more else ""
        raise RuleSetupError(f"invalid policy: {first}{tail}") from None


def _read_s3(name: str, s3: Any) -> str:
    bucket, _, key = name.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise RuleSetupError(f"rule parameter policy: {name!r} is not of the form s3://bucket/key")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        data: bytes = body.read(MAX_POLICY_BYTES + 1)
    except Exception as exc:
        raise RuleSetupError(f"cannot read policy {name}: {_error(exc)}") from None
    if len(data) > MAX_POLICY_BYTES:
        raise RuleSetupError(f"policy {name} is larger than {MAX_POLICY_BYTES:,} bytes")
    return _decode(name, data)


def _read_ssm(name: str, ssm: Any) -> str:
    parameter = name.removeprefix("ssm:")
    if not parameter:
        raise RuleSetupError("rule parameter policy: 'ssm:' names no parameter (ssm:/parameter/name)")
    try:
        value = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    except Exception as exc:
        raise RuleSetupError(f"cannot read policy {name}: {_error(exc)}") from None
    return str(value)


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleSetupError(f"policy {name} is not UTF-8 text") from None


def _error(exc: Exception) -> str:
    """The AWS error code and operation (never a response body), else the exception's type."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code", "Error")
        return f"{code} ({getattr(exc, 'operation_name', 'request')})"
    return type(exc).__name__
