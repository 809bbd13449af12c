"""Clients and their pools: ``aws_cognito_user_pool_client`` blocks of evaluated modules -> clients.

Provider attributes are renamed to DescribeUserPoolClient keys by the table every reader shares
(:data:`vocabulary.ATTRIBUTE_KEYS`). A ``user_pool_id`` that refers to a pool resource of the
scanned files ties the client to that pool (key ``"<root folder>#<address>"``), whose resource
servers are those of the same files; a literal id (or a variable whose value is one) is the pool
itself; anything else is an unknown pool of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, Literal

from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.sources.normalize import SECRET_KEYS, normalize
from m2m_guard.sources.terraform_expr import plain
from m2m_guard.sources.tf_blocks import Block
from m2m_guard.sources.tf_modules import Folder, Loader
from m2m_guard.sources.tf_scope import RESOURCE_META, PoolId, Scope
from m2m_guard.sources.vocabulary import ATTRIBUTE_KEYS, BLOCK_ATTRIBUTES, TF_CLIENT, TF_SERVER, pascal

#: How a client names its pool: a pool resource of the scanned files, a literal pool id, or
#: something that cannot be told (the pool is then the client's own).
PoolKind = Literal["defined", "id", "unknown"]


class _Servers:
    """The resource servers of each known pool, and the pools whose list is not fully known."""

    def __init__(self, scopes: list[Scope]) -> None:
        found: dict[str, dict[str, None]] = {}
        self.uncertain: set[str] = set()
        for scope, block in _blocks(scopes, TF_SERVER):
            if scope.exists(block) is False:
                continue
            kind, pool = pool_of(scope, block)
            if kind == "unknown":
                continue
            identifier = scope.attribute(block, "identifier")
            if isinstance(identifier, str) and identifier:
                found.setdefault(pool.key, {})[identifier] = None
            else:
                self.uncertain.add(pool.key)
        self.ids = {key: tuple(names) for key, names in found.items()}

    def of(self, kind: PoolKind, pool: Pool) -> tuple[str, ...] | None:
        """A pool's resource servers: all of them for a pool the files define, else those found."""
        if pool.key in self.uncertain:
            return None
        ids = self.ids.get(pool.key)
        return (ids or ()) if kind == "defined" else ids


def load_clients(loader: Loader, folder: Folder) -> list[AppClient]:
    """The clients of ``folder`` evaluated as a root module (local module calls followed)."""
    scopes = list(Scope.of_root(loader, folder).tree())
    servers = _Servers(scopes)
    clients = []
    for scope, block in _blocks(scopes, TF_CLIENT):
        exists = scope.exists(block)
        if exists is not False:
            clients.append(client(scope, block, servers, exists))
    return clients


def _blocks(scopes: list[Scope], kind: str) -> Iterator[tuple[Scope, Block]]:
    """The Cognito resource blocks of one type, per module instance, in source order."""
    return ((s, b) for s in scopes for b in s.module.cognito if b.labels[0] == kind)


def pool_of(scope: Scope, block: Block) -> tuple[PoolKind, Pool]:
    """The pool that a client's (or resource server's) ``user_pool_id`` names."""
    address = scope.address(block)
    value = scope.attribute(block, "user_pool_id") if "user_pool_id" in block.attrs else None
    if isinstance(value, PoolId):
        name = value.scope.attribute(value.block, "name")
        names = (value.address,) + ((name,) if isinstance(name, str) and name else ())
        location = Location(value.block.path, value.block.line, address=value.address)
        return "defined", Pool.defined(scope.root.folder, value.address, names, location=location)
    if isinstance(value, str) and value:
        return "id", Pool.of_id(value)
    if value is None:
        why = "user_pool_id not set"
    else:
        why = value.reason if isinstance(value, Unknown) else "user_pool_id is not a string"
    return "unknown", Pool.unknown(block.path, address, why)


def client(scope: Scope, block: Block, servers: _Servers, exists: bool | Unknown = True) -> AppClient:
    """One ``aws_cognito_user_pool_client`` of one module instance."""
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    _read_arguments(scope, block, raw, lines)
    _read_blocks(scope, block, raw, lines)
    record = normalize(raw)
    kind, pool = pool_of(scope, block)
    pool = dataclasses.replace(pool, resource_servers=servers.of(kind, pool))
    location = Location(block.path, block.line, address=scope.address(block))
    field_lines = {k: v for k, v in lines.items() if k in record}
    # A client of a module instance that may not exist, or whose own count or for_each is
    # unknown, may have no instance at all: it is checked as possibly M2M, never for certain.
    doubt = scope.may_not_exist or (exists if isinstance(exists, Unknown) else None)
    return AppClient(
        record=record, location=location, pool=pool, field_lines=field_lines, may_not_exist=doubt
    )


def _read_arguments(scope: Scope, block: Block, raw: dict[str, Any], lines: dict[str, int]) -> None:
    for name, attr in block.attrs.items():
        if name in RESOURCE_META or name in SECRET_KEYS:
            continue
        key = ATTRIBUTE_KEYS.get(name, name)
        raw[key] = plain(scope.attribute(block, name))
        if attr.line is not None:
            lines[key] = attr.line


def _read_blocks(scope: Scope, block: Block, raw: dict[str, Any], lines: dict[str, int]) -> None:
    """The nested blocks the API returns as one object (``token_validity_units { ... }``)."""
    for nested in block.blocks:
        dynamic = nested.type == "dynamic" and len(nested.labels) == 1
        kind = nested.labels[0] if dynamic else nested.type
        key = ATTRIBUTE_KEYS.get(kind, kind)
        if kind not in BLOCK_ATTRIBUTES or key in raw:
            continue
        if dynamic:
            raw[key] = Unknown(f"{kind} is set by a dynamic block")
        else:
            raw[key] = {pascal(k): plain(scope.eval(a.expr, block.repeat())) for k, a in nested.attrs.items()}
        if nested.line is not None:
            lines[key] = nested.line
