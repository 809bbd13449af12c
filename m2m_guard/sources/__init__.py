"""Sources: parsed documents -> normalized app clients, and the user pools some files describe.

Each source module has ``matches(data) -> bool`` (is this document of my kind?) and
``load(doc: Document) -> list[AppClient]`` (raises ``SourceError`` for a broken file). Kinds are
recognised by content, in the order below; a document no source claims is not IaC and is
ignored.

Some documents describe user pools and hold no client (saved describe-user-pool output): the
modules of ``POOL_SOURCES`` have the same ``matches``, and a ``load`` that returns
:class:`~m2m_guard.model.Pool` objects. Their pools reach the engine beside the clients
(``evaluate(..., pools=...)``), which gives their settings to the clients of the same pool key.
They are tried after ``SOURCES``, so that no document a client source reads changes hands.

Terraform ``.tf`` files are read per folder, not per document: :mod:`terraform_hcl` (imported
only when a scan finds such files, so that other scans do not load its parser).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from m2m_guard.model import AppClient, Pool
from m2m_guard.sources import cloudformation, describe, describe_pool, inventory, terraform_plan
from m2m_guard.sources.document import Document, SourceError, decode, parse

SOURCES = {
    "inventory": inventory,
    "terraform-plan": terraform_plan,
    "describe": describe,
    "cloudformation": cloudformation,
}
#: Readers of documents that hold user pools and no client.
POOL_SOURCES = {
    "describe-pool": describe_pool,
}

__all__ = ["POOL_SOURCES", "SOURCES", "Document", "Loaded", "SourceError", "decode", "load", "parse", "read"]


@dataclass(frozen=True, slots=True)
class Loaded:
    """What one document holds: its kind (None when no source recognises it), its clients, and
    the pools it describes without clients."""

    kind: str | None
    clients: list[AppClient] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)


def read(doc: Document) -> Loaded:
    """The kind of ``doc``, its clients and its pools."""
    for kind, module in SOURCES.items():
        if module.matches(doc.data):
            return Loaded(kind, module.load(doc))
    for kind, pool_module in POOL_SOURCES.items():
        if pool_module.matches(doc.data):
            return Loaded(kind, pools=pool_module.load(doc))
    return Loaded(None)


def load(doc: Document) -> tuple[str | None, list[AppClient]]:
    """The kind of ``doc`` and its clients; ``(None, [])`` when no source recognises it."""
    loaded = read(doc)
    return loaded.kind, loaded.clients
