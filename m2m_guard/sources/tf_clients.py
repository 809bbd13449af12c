"""Clients and their pools: ``aws_cognito_user_pool_client`` blocks of evaluated modules -> clients.

Provider attributes are renamed to DescribeUserPoolClient keys by the table every reader shares
(:data:`vocabulary.ATTRIBUTE_KEYS`). A ``user_pool_id`` that refers to a pool resource of the
scanned files ties the client to that pool (key ``"<root folder>#<address>"``), whose resource
servers are those of the same files and whose settings (feature plan, pre token generation
trigger: :func:`pool_settings`) are those of its block; a literal id (or a variable whose value is
one) is the pool itself; anything else is an unknown pool of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, Literal

from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.sources.normalize import SECRET_KEYS, normalize
from m2m_guard.sources.settings import pool_settings as uniform_settings
from m2m_guard.sources.terraform_expr import Invalid, plain
from m2m_guard.sources.tf_blocks import Block
from m2m_guard.sources.tf_instances import Instance
from m2m_guard.sources.tf_modules import Folder, Loader
from m2m_guard.sources.tf_scope import RESOURCE_META, PoolId, Scope
from m2m_guard.sources.vocabulary import (
    ATTRIBUTE_KEYS,
    BLOCK_ATTRIBUTES,
    POOL_ARGUMENTS,
    POOL_ATTRIBUTE_KEYS,
    POOL_BLOCKS,
    TF_CLIENT,
    TF_SERVER,
    pascal,
)

#: How a client names its pool: a pool resource of the scanned files, a literal pool id, or
#: something that cannot be told (the pool is then the client's own).
PoolKind = Literal["defined", "id", "unknown"]

#: Why a pool block without ``user_pool_tier`` has no known feature plan (see pool_settings).
TIER_NOT_SET = "user_pool_tier is not set: the pool keeps the plan it has, Essentials when created"


class _Servers:
    """The resource servers of each known pool, and the pools whose list is not fully known."""

    def __init__(self, scopes: list[Scope]) -> None:
        found: dict[str, dict[str, None]] = {}
        self.uncertain: set[str] = set()
        for scope, block, instance in _instances(scopes, TF_SERVER):
            kind, pool = pool_of(scope, block, instance)
            if kind == "unknown":
                continue
            if isinstance(instance, Unknown):  # instances not known: nor are their identifiers
                self.uncertain.add(pool.key)
                continue
            identifier = scope.attribute(block, "identifier", instance)
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
    return [
        client(scope, block, servers, instance) for scope, block, instance in _instances(scopes, TF_CLIENT)
    ]


def _instances(scopes: list[Scope], kind: str) -> Iterator[tuple[Scope, Block, Instance | Unknown | None]]:
    """The Cognito resource blocks of one type, per module instance, in source order, with each
    of their instances (None: a block without count or for_each; unknown: its instances are not
    known, and it may make none). A block known to make no instance yields nothing."""
    for scope in scopes:
        for block in (b for b in scope.module.cognito if b.labels[0] == kind):
            found = scope.instances(block)
            if isinstance(found, list):
                yield from ((scope, block, instance) for instance in found)
            else:
                yield scope, block, found


def pool_of(scope: Scope, block: Block, instance: Instance | Unknown | None = None) -> tuple[PoolKind, Pool]:
    """The pool that a client's (or resource server's) ``user_pool_id`` names."""
    one = instance if isinstance(instance, Instance) else None
    address = scope.address(block, one)
    value = scope.attribute(block, "user_pool_id", one) if "user_pool_id" in block.attrs else None
    if isinstance(value, PoolId):
        return "defined", _defined_pool(scope, value)
    if isinstance(value, str) and value:
        return "id", Pool.of_id(value)
    if value is None:
        why = "user_pool_id not set"
    else:
        why = value.reason if isinstance(value, Unknown) else "user_pool_id is not a string"
    return "unknown", Pool.unknown(block.path, address, why)


def _defined_pool(scope: Scope, pool: PoolId) -> Pool:
    """The pool resource of the scanned files that ``pool`` names, with its settings."""
    name = pool.scope.attribute(pool.block, "name", pool.instance)
    names = (pool.address,) + ((name,) if isinstance(name, str) and name else ())
    location = Location(pool.block.path, pool.block.line, address=pool.address)
    # once per pool block, however many clients and resource servers name it
    key = ("pool settings", id(pool.block), pool.instance and pool.instance.key)
    settings = pool.scope.cached(
        key, pool.address, lambda: pool_settings(pool.scope, pool.block, pool.instance)
    )
    if isinstance(settings, Unknown):  # (the scope's guard against an evaluation too deep)
        settings = dict.fromkeys(("UserPoolTier", "LambdaConfig"), settings)
    return Pool.defined(scope.root.folder, pool.address, names, location=location, settings=settings)


def client(
    scope: Scope, block: Block, servers: _Servers, instance: Instance | Unknown | None = None
) -> AppClient:
    """One instance of an ``aws_cognito_user_pool_client`` of one module instance (``instance``
    unknown: all the instances of a block whose count or for_each is not known, as one)."""
    one = instance if isinstance(instance, Instance) else None
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    _read_arguments(scope, block, one, raw, lines)
    _read_blocks(scope, block, one, raw, lines)
    record = normalize(raw)
    kind, pool = pool_of(scope, block, instance)
    pool = dataclasses.replace(pool, resource_servers=servers.of(kind, pool))
    location = Location(block.path, block.line, address=scope.address(block, one))
    field_lines = {k: v for k, v in lines.items() if k in record}
    # A client of a module instance that may not exist, or whose own count or for_each is
    # unknown, may have no instance at all: it is checked as possibly M2M, never for certain.
    doubt = scope.may_not_exist or (instance if isinstance(instance, Unknown) else None)
    return AppClient(
        record=record, location=location, pool=pool, field_lines=field_lines, may_not_exist=doubt
    )


def _read_arguments(
    scope: Scope, block: Block, instance: Instance | None, raw: dict[str, Any], lines: dict[str, int]
) -> None:
    for name, attr in block.attrs.items():
        if name in RESOURCE_META or name in SECRET_KEYS:
            continue
        key = ATTRIBUTE_KEYS.get(name, name)
        raw[key] = plain(scope.attribute(block, name, instance))
        if attr.line is not None:
            lines[key] = attr.line


def _read_blocks(
    scope: Scope, block: Block, instance: Instance | None, raw: dict[str, Any], lines: dict[str, int]
) -> None:
    """The nested blocks the API returns as one object (``token_validity_units { ... }``)."""
    for nested in block.blocks:
        dynamic = nested.type == "dynamic" and len(nested.labels) == 1
        kind = nested.labels[0] if dynamic else nested.type
        key = ATTRIBUTE_KEYS.get(kind, kind)
        if kind not in BLOCK_ATTRIBUTES or key in raw:
            continue
        if dynamic:
            made = scope.dynamic(block, nested, instance)
            if isinstance(made, list) and not made:
                continue  # no block
            if isinstance(made, list) and len(made) > 1:  # the provider takes at most one
                made = Invalid(f"dynamic {kind} makes {len(made)} blocks, and at most one is allowed")
            one = made if isinstance(made, Unknown) else made[0]
            raw[key] = (
                plain(one) if isinstance(one, Unknown) else {pascal(k): plain(v) for k, v in one.items()}
            )
        else:
            raw[key] = {
                pascal(k): plain(scope.eval(a.expr, block.repeat(), instance))
                for k, a in nested.attrs.items()
            }
        if nested.line is not None:
            lines[key] = nested.line


# --- the pool's settings -------------------------------------------------------------------------


def pool_settings(scope: Scope, block: Block, instance: Instance | None = None) -> dict[str, Any]:
    """An ``aws_cognito_user_pool`` block's settings in DescribeUserPool's ``UserPool`` shape
    (m2m_guard/model/pool_settings.py): ``UserPoolTier``, and ``LambdaConfig`` with the pre token
    generation trigger, each block made one object, values evaluated where they are written.

    Argument names and shapes: the provider's resource page,
    https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_user_pool.
    ``user_pool_tier`` is Optional and Computed, and the provider sends no default: unset, a
    pool that exists keeps the plan it has and a new pool gets CreateUserPool's default,
    Essentials; ``.tf`` files cannot tell which the pool is, so an unset (or null) tier is
    unknown. An unset ``lambda_config`` means no
    trigger (the block is Optional, not Computed); inside it, an unset ``pre_token_generation``
    or ``pre_token_generation_config`` is absent: the one configured holds the trigger, and
    neither means none (a trigger added outside Terraform shows only in a plan).
    """
    settings = uniform_settings(_settings_of(scope, block, instance, block, POOL_ARGUMENTS))
    settings.setdefault("UserPoolTier", Unknown(TIER_NOT_SET))
    return settings


def _settings_of(
    scope: Scope, resource: Block, instance: Instance | None, body: Block, names: tuple[str, ...]
) -> dict[str, Any]:
    """The ``names`` arguments and blocks of ``body`` (the resource or one of its blocks)."""
    found: dict[str, Any] = {}
    for name in names:
        value = _setting(scope, resource, instance, body, name)
        if value is not None:
            found[POOL_ATTRIBUTE_KEYS[name]] = value
    return found


def _setting(scope: Scope, resource: Block, instance: Instance | None, body: Block, name: str) -> Any:
    """One argument's value (None: not set, or set to null), or one block as an object."""
    attr = body.attrs.get(name)
    if name not in POOL_BLOCKS:
        return plain(scope.eval(attr.expr, resource.repeat(), instance)) if attr is not None else None
    if attr is not None:  # Terraform 0.11 wrote blocks as list arguments
        return Unknown(f"{name} is set as an argument, not as a block")
    nested = next((b for b in body.blocks if b.type == name or _dynamic(b, name)), None)
    if nested is None:
        return None
    if nested.type == "dynamic":
        return Unknown(f"{name} is set by a dynamic block")
    return _settings_of(scope, resource, instance, nested, POOL_BLOCKS[name])


def _dynamic(block: Block, name: str) -> bool:
    return block.type == "dynamic" and block.labels[:1] == (name,)
