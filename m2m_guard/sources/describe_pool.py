"""Saved ``aws cognito-idp describe-user-pool`` output -> user pools with their settings.

Accepted shapes (JSON or ``--output yaml``): ``{"UserPool": {"Id": ..., ...}}``, the CLI's own
output (DescribeUserPoolResponse in botocore's cognito-idp 2016-04-18 service model), or a list
of them, which is also what a dump of several JSON documents one after another parses into.
Such a file holds no app client: its pool gives its name, its location (the line of ``Id``)
and its settings to the clients of the same pool id read from other files (describe-user-pool-
client output, a Terraform plan), and is otherwise not reported.

Of ``UserPool`` (``UserPoolType``) only ``Id``, ``Name``, ``Arn``, ``UserPoolTier`` and the pre
token generation trigger of ``LambdaConfig`` are read (m2m_guard/sources/settings.py); the type
holds no secret, and nothing else of it is kept
(https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeUserPool.html).
DescribeUserPool returns ``LambdaConfig`` even when no trigger is set (``"LambdaConfig": {}`` in
the AWS CLI's example, https://docs.aws.amazon.com/cli/latest/reference/cognito-idp/describe-user-pool.html)
and ``UserPoolTier`` since feature plans, so one missing from a saved response was cut from it
or predates it (an AWS CLI older than feature plans drops ``UserPoolTier``, as botocore keeps
only the members its model knows): it is unknown, not the API default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from m2m_guard.model import Location, Pool, Unknown
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.settings import SETTINGS_KEYS, pool_settings

KEY = "UserPool"


def matches(data: Any) -> bool:
    """describe-user-pool output, or a list holding some; describe-user-pool-client output
    (``UserPoolClient``) is another source's."""
    if isinstance(data, list):
        return any(_is_output(item) for item in data)
    return _is_output(data)


def _is_output(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get(KEY), dict) and "Id" in data[KEY]


def load(doc: Document) -> list[Pool]:
    """The pools of a describe-user-pool document, in document order. Entries without a
    usable ``Id`` are skipped (the rest of a dump still counts); none at all is an error."""
    pools: list[Pool] = []
    cursor = 0
    for raw in _entries(doc.data):
        pool_id = raw.get("Id")
        if isinstance(pool_id, str) and pool_id.strip():
            line, cursor = _line(doc, raw, pool_id, cursor)
            pools.append(_pool(doc, raw, pool_id, line))
    if not pools:
        raise SourceError("no user pool with an Id in describe-user-pool output")
    return pools


def _entries(data: Any) -> Iterator[Mapping[str, Any]]:
    for item in data if isinstance(data, list) else [data]:
        if _is_output(item):
            yield item[KEY]


def _pool(doc: Document, raw: Mapping[str, Any], pool_id: str, line: int | None) -> Pool:
    name, arn = _text(raw, "Name"), _text(raw, "Arn")
    settings = pool_settings(raw)
    for key in SETTINGS_KEYS:
        if key not in settings:
            settings[key] = Unknown(f"{key} is not in the saved describe-user-pool output")
    return Pool.of_id(
        pool_id,
        tuple(n for n in (name, arn) if n),
        location=Location(doc.path, line, pool_id=pool_id, arn=arn),
        name=name,
        settings=settings,
    )


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def _line(doc: Document, raw: Mapping[str, Any], pool_id: str, cursor: int) -> tuple[int | None, int]:
    """The line of the pool's ``Id`` and where to search for the next one: YAML keeps key
    lines; in JSON text, the next ``"Id": "<pool_id>"`` (m2m_guard/sources/json_keys.py)."""
    key_lines = getattr(raw, "key_lines", None)
    if not doc.is_json or key_lines is not None:
        return (key_lines or {}).get("Id", getattr(raw, "line", None)), cursor
    offset = doc.keys.find_pair("Id", pool_id, cursor)
    if offset is None:
        offset = doc.keys.find_pair("Id", pool_id)  # written with escapes out of order: anywhere
    if offset is None:
        return None, cursor
    return doc.line_at(offset), offset + 1
