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

import bisect
from collections.abc import Iterator, Mapping
from typing import Any

from m2m_guard.model import AppClient, Location, Pool
from m2m_guard.sources.document import Document, SourceError
from m2m_guard.sources.normalize import SECRET_KEYS, normalize

_HINT_KEYS = ("AllowedOAuthFlows", "ExplicitAuthFlows", "AccessTokenValidity", "ClientName")
#: All that a list-user-pool-clients entry holds.
_SUMMARY_KEYS = frozenset({"ClientId", "UserPoolId", "ClientName"})


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
    """The app clients of a describe document; ``doc.data`` is consumed (see ``_entries``)."""
    locator = _Locator(doc)
    shared = _Shared()
    clients: list[AppClient] = []
    summaries = 0
    for raw in _entries(doc.data):
        client_id = raw.get("ClientId") if isinstance(raw, dict) else None
        if not isinstance(client_id, str) or not client_id:
            continue  # not a client (or a broken one); the rest of the dump still counts
        if raw.keys() <= _SUMMARY_KEYS:
            summaries += 1
            continue
        clients.append(_client(doc, raw, client_id, locator, shared))
    if clients:
        return clients
    if summaries:
        raise SourceError(
            "list-user-pool-clients output has no client settings; "
            "save describe-user-pool-client output for each client instead"
        )
    raise SourceError("no app client with a ClientId in describe-user-pool-client output")


def _entries(data: Any) -> Iterator[Any]:
    """Candidate client objects in document order (unchecked).

    The lists read are emptied on the way (``doc.data`` is consumed): the raw objects of a dump
    of a quarter of a million clients are freed as their clients are built, instead of all
    staying alive beside them until the end.
    """
    for item in _consumed(data) if isinstance(data, list) else [data]:
        if isinstance(item, dict) and "UserPoolClient" in item:
            yield item["UserPoolClient"]
        elif isinstance(item, dict) and isinstance(item.get("UserPoolClients"), list):
            yield from _consumed(item["UserPoolClients"])
        else:
            yield item


def _consumed(items: list[Any]) -> Iterator[Any]:
    for index, item in enumerate(items):
        items[index] = None
        yield item


class _Shared:
    """One object for each value many clients repeat (their pool, flows, scopes, units): a dump
    of a quarter of a million clients holds each of them once, not once per client."""

    LIMIT = 10_000  # distinct values kept; a file of unique values gains nothing from more

    def __init__(self) -> None:
        self.pools: dict[str, Pool] = {}
        self.values: dict[Any, Any] = {}

    def pool(self, pool_id: str) -> Pool:
        pool = self.pools.get(pool_id)
        if pool is None:
            pool = Pool.of_id(pool_id)
            if len(self.pools) < self.LIMIT:
                self.pools[pool_id] = pool
        return pool

    def value(self, value: Any) -> Any:
        if not isinstance(value, (str, tuple)):
            return value
        try:
            known = self.values.get(value)
        except TypeError:  # a tuple holding a mapping
            return value
        if known is not None:
            return known
        if len(self.values) < self.LIMIT:
            self.values[value] = value
        return value


#: Keys whose values are one client's own: never worth sharing.
_OWN_KEYS = frozenset({"ClientId", "ClientName"})


def _client(
    doc: Document, raw: Mapping[str, Any], client_id: str, locator: _Locator, shared: _Shared
) -> AppClient:
    fields: dict[str, Any] = {}
    secrets = []
    for key, value in raw.items():
        if key in SECRET_KEYS:
            secrets.append(value)
        else:
            fields[key] = value
    if secrets:
        # Describe output carries the secret itself, never GenerateSecret; only its presence
        # is kept. A scrubbed value ("***") still means the client has one.
        fields["GenerateSecret"] = any(bool(v) for v in secrets) or fields.get("GenerateSecret") is True
    elif "GenerateSecret" not in raw:
        # A ClientSecretArn (the secret kept in Secrets Manager) also means a secret; the model
        # reads it (AppClient.has_secret), so it is kept as it is.
        fields["GenerateSecret"] = False
    record = {k: v if k in _OWN_KEYS else shared.value(v) for k, v in normalize(fields).items()}
    line, lines = locator.locate(raw, client_id)
    if all(v == line for v in lines.values()):
        # a client written on one line (a dump made with `jq -c`) needs no line per key:
        # AppClient.line_of falls back to the client's own line
        lines = {}
    pool_id = raw.get("UserPoolId")
    if isinstance(pool_id, str) and pool_id:
        pool = shared.pool(pool_id)
    else:
        pool = Pool.unknown(doc.path, client_id, "UserPoolId missing")
    return AppClient(
        record=record,
        location=Location(doc.path, line, client_id=client_id),
        pool=pool,
        field_lines={k: v for k, v in lines.items() if k in record},
    )


class _Locator:
    """Line numbers of clients and their keys, found in document order, in time linear in the
    size of the text.

    YAML documents carry key lines (LineDict). In JSON text every ``"ClientId": ...`` is found
    in one pass of one pattern; each client takes the next one holding its id, and the keys of
    its object are those between its neighbours' (those written before ``ClientId``: the last
    one of each name; after it: the first), found with the document's key index
    (m2m_guard/sources/json_keys.py).
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.cursor = 0
        self._anchors: list[tuple[int, int, str | None]] | None = None  # (start, end, id)
        self._next = 0  # index of the first anchor after the cursor
        self._by_id: dict[str, list[int]] | None = None  # id -> anchor indexes, on a miss only
        #: ((start, end), last offset of each key) of the text after the previous ClientId
        self._gap: tuple[tuple[int, int], dict[str, int]] | None = None
        self._needles: dict[Any, str] = {}  # key -> '"key":'

    def locate(self, raw: Mapping[str, Any], client_id: str) -> tuple[int | None, dict[str, int]]:
        key_lines = getattr(raw, "key_lines", None)
        if not self.doc.is_json or key_lines is not None:
            lines = {k: v for k, v in (key_lines or {}).items() if isinstance(k, str)}
            return lines.get("ClientId", getattr(raw, "line", None)), lines
        index = self._find_client_id(client_id)
        if index is None:
            return None, {}
        anchors = self._all_anchors()
        start, end, _ = anchors[index]
        # The next client's ClientId bounds this object's trailing keys.
        stop = anchors[index + 1][0] if index + 1 < len(anchors) else len(self.doc.text)
        if self._on_one_line(raw, min(self.cursor, start), start, end, stop):
            self.cursor, self._gap = end, None
            return self.doc.line_at(start), {}  # every key on the ClientId's line
        if self._gap is not None and self._gap[0] == (self.cursor, start):
            before = self._gap[1]  # the text between two ClientIds, read once for both
        else:
            before = self.doc.keys.first_and_last(min(self.cursor, start), start)[1]
        after, last = self.doc.keys.first_and_last(end, stop)
        self._gap = ((end, stop), last)
        self.cursor = end
        offsets = {"ClientId": start}
        found = before  # keys are in text order: those listed before ClientId precede it
        for key in raw:
            if key == "ClientId":
                found = after
            elif isinstance(key, str) and key in found:
                offsets[key] = found[key]
        lines = {
            key: self.doc.line_at(offset) for key, offset in sorted(offsets.items(), key=lambda kv: kv[1])
        }
        return lines["ClientId"], lines

    def _on_one_line(self, raw: Mapping[str, Any], low: int, start: int, end: int, stop: int) -> bool:
        """Whether every key of ``raw`` is written on the line of its ClientId (at
        ``start``..``end``), as in a dump made with ``jq -c``: then no key needs a line of its
        own, and the object's text need not be searched key by key."""
        text = self.doc.text
        newline = text.rfind("\n", low, start)
        head = newline + 1 if newline >= 0 else low
        newline = text.find("\n", end, stop)
        tail = newline if newline >= 0 else stop
        region = (head, start)
        for key in raw:
            if key == "ClientId":
                region = (end, tail)
                continue
            needle = self._needles.get(key)
            if needle is None:
                if not isinstance(key, str) or "\\" in key or '"' in key:
                    return False
                needle = self._needles[key] = f'"{key}":'
            if text.find(needle, *region) < 0:
                return False  # elsewhere, or written `"key" :`: searched the careful way
        return True

    def _all_anchors(self) -> list[tuple[int, int, str | None]]:
        if self._anchors is None:
            self._anchors = [(start, end, value) for value, start, end in self.doc.keys.pairs("ClientId")]
        return self._anchors

    def _find_client_id(self, client_id: str) -> int | None:
        """The first ``"ClientId": "<client_id>"`` after the cursor (else anywhere): in a dump
        read in order, the very next one."""
        anchors = self._all_anchors()
        while self._next < len(anchors) and anchors[self._next][0] < self.cursor:
            self._next += 1
        if self._next < len(anchors) and anchors[self._next][2] == client_id:
            self._next += 1
            return self._next - 1
        if self._by_id is None:  # out of order (or absent): look it up instead of searching
            self._by_id = {}
            for number, (_, _, value) in enumerate(anchors):
                if value is not None:
                    self._by_id.setdefault(value, []).append(number)
        candidates = self._by_id.get(client_id)
        if not candidates:
            return None
        later = bisect.bisect_left(candidates, self._next)
        return candidates[later] if later < len(candidates) else candidates[0]
