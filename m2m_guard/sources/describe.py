"""Saved ``aws cognito-idp describe-user-pool-client`` output -> app clients.

Accepted shapes (JSON or ``--output yaml``):

* ``{"UserPoolClient": {...}}``, the CLI's own output;
* a bare client object (``--query UserPoolClient``): ClientId, UserPoolId and one of the hint
  keys below;
* a list of either, which is also what a dump of several JSON documents one after another
  parses into;
* ``{"UserPoolClients": [...]}`` holding describe-shaped objects.

``list-user-pool-clients`` returns only ClientId, UserPoolId and ClientName per client: such
summaries say nothing about flows, scopes or token lifetimes, so they are skipped rather than
loaded as clients that would look non-M2M. A document with only summaries is an error that says
to save describe output instead.

A client secret is never read: ``ClientSecret`` (in any casing, at any depth) is dropped and
only its presence kept (``GenerateSecret``). ``ClientSecretArn``, which DescribeUserPoolClient
returns instead of ``ClientSecret`` when Cognito keeps the secret in Secrets Manager, is kept:
it is an ARN, not a secret, and it tells the client has one.

https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeUserPoolClient.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from m2m_guard.model import AppClient, Location, Pool
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.normalize import SECRET_KEYS, normalize

_HINT_KEYS = ("AllowedOAuthFlows", "ExplicitAuthFlows", "AccessTokenValidity", "ClientName")
#: All that a list-user-pool-clients entry holds.
_SUMMARY_KEYS = frozenset({"ClientId", "UserPoolId", "ClientName"})
_CLIENT_ID_KEY = re.compile(r'"ClientId"\s*:\s*')
_ANY_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def matches(data: Any) -> bool:
    if isinstance(data, list):
        return any(_matches_one(item) for item in data)
    return _matches_one(data)


def _matches_one(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("UserPoolClient"), dict):
        return True
    listed = data.get("UserPoolClients")
    if isinstance(listed, list):
        return any(isinstance(c, dict) and "ClientId" in c and "UserPoolId" in c for c in listed)
    return _is_bare_client(data)


def _is_bare_client(data: Mapping[str, Any]) -> bool:
    return "ClientId" in data and "UserPoolId" in data and any(k in data for k in _HINT_KEYS)


def load(doc: Document) -> list[AppClient]:
    locator = _Locator(doc)
    clients: list[AppClient] = []
    summaries = 0
    for raw in _entries(doc.data):
        client_id = raw.get("ClientId") if isinstance(raw, dict) else None
        if not isinstance(client_id, str) or not client_id:
            continue  # not a client (or a broken one); the rest of the dump still counts
        if raw.keys() <= _SUMMARY_KEYS:
            summaries += 1
            continue
        clients.append(_client(doc, raw, client_id, locator))
    if clients:
        return clients
    if summaries:
        raise SourceError(
            "list-user-pool-clients output has no client settings; "
            "save describe-user-pool-client output for each client instead"
        )
    raise SourceError("no app client with a ClientId in describe-user-pool-client output")


def _entries(data: Any) -> Iterator[Any]:
    """Candidate client objects in document order (unchecked)."""
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict) and "UserPoolClient" in item:
            yield item["UserPoolClient"]
        elif isinstance(item, dict) and isinstance(item.get("UserPoolClients"), list):
            yield from item["UserPoolClients"]
        else:
            yield item


def _client(doc: Document, raw: Mapping[str, Any], client_id: str, locator: _Locator) -> AppClient:
    fields = {k: v for k, v in raw.items() if k not in SECRET_KEYS}
    secrets = [v for k, v in raw.items() if k in SECRET_KEYS]
    if secrets:
        # Describe output carries the secret itself, never GenerateSecret; only its presence
        # is kept. A scrubbed value ("***") still means the client has one.
        fields["GenerateSecret"] = any(bool(v) for v in secrets) or fields.get("GenerateSecret") is True
    elif "GenerateSecret" not in raw:
        # A ClientSecretArn (the secret kept in Secrets Manager) also means a secret; the model
        # reads it (AppClient.has_secret), so it is kept as it is.
        fields["GenerateSecret"] = False
    record = normalize(fields)
    line, lines = locator.locate(raw, client_id)
    pool_id = raw.get("UserPoolId")
    if isinstance(pool_id, str) and pool_id:
        pool = Pool(key=pool_id, label=pool_id, names=(pool_id,))
    else:
        pool = Pool(key=f"{doc.path}#{client_id}:pool", label="unknown user pool (UserPoolId missing)")
    return AppClient(
        record=record,
        location=Location(doc.path, line, client_id=client_id),
        pool=pool,
        field_lines={k: v for k, v in lines.items() if k in record},
    )


class _Locator:
    """Line numbers of clients and their keys, found in document order.

    YAML documents carry key lines (LineDict). In JSON text each client is found by its
    ``"ClientId": "<id>"`` after the previous one, so a dump of thousands of clients is read
    in one pass instead of being searched from the top for each client.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.cursor = 0

    def locate(self, raw: Mapping[str, Any], client_id: str) -> tuple[int | None, dict[str, int]]:
        key_lines = getattr(raw, "key_lines", None)
        if not self.doc.is_json or key_lines is not None:
            lines = {k: v for k, v in (key_lines or {}).items() if isinstance(k, str)}
            return lines.get("ClientId", getattr(raw, "line", None)), lines
        anchor = self._find_client_id(client_id)
        if anchor is None:
            return None, {}
        start, end = anchor
        # The next client's ClientId bounds this object's trailing keys.
        following = _CLIENT_ID_KEY.search(self.doc.text, end)
        stop = following.start() if following else len(self.doc.text)
        before = self._key_offsets(self.cursor, start, last=True)
        after = self._key_offsets(end, stop, last=False)
        self.cursor = end
        lines = {"ClientId": self.doc.line_at(start)}
        offsets = before  # keys are in text order: those listed before ClientId precede it
        for key in raw:
            if key == "ClientId":
                offsets = after
            elif isinstance(key, str) and key in offsets:
                lines[key] = self.doc.line_at(offsets[key])
        return lines["ClientId"], lines

    def _find_client_id(self, client_id: str) -> tuple[int, int] | None:
        pattern = re.compile(_CLIENT_ID_KEY.pattern + re.escape(json.dumps(client_id)))
        match = pattern.search(self.doc.text, self.cursor) or pattern.search(self.doc.text)
        return (match.start(), match.end()) if match else None

    def _key_offsets(self, start: int, end: int, last: bool) -> dict[str, int]:
        """Offset of each ``"key":`` in [start, end): the last one before the ClientId (keys
        that open this object), or the first one after it."""
        offsets: dict[str, int] = {}
        for match in _ANY_KEY.finditer(self.doc.text, start, max(start, end)):
            try:
                key = json.loads(f'"{match.group(1)}"')
            except ValueError:
                continue
            if last or key not in offsets:
                offsets[key] = match.start()
        return offsets
