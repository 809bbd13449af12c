"""Sources: parsed documents -> normalized app clients.

Each source module has ``matches(data) -> bool`` (is this document of my kind?) and
``load(doc: Document) -> list[AppClient]`` (raises ``SourceError`` for a broken file). Kinds are
recognised by content, in the order below; a document no source claims is not IaC and is
ignored.

Terraform ``.tf`` files are read per folder, not per document: :mod:`terraform_hcl` (imported
only when a scan finds such files, so that other scans do not load its parser).
"""

from __future__ import annotations

from m2m_guard.model import AppClient
from m2m_guard.sources import cloudformation, describe, inventory, terraform_plan
from m2m_guard.sources.document import Document, SourceError, decode, parse

SOURCES = {
    "inventory": inventory,
    "terraform-plan": terraform_plan,
    "describe": describe,
    "cloudformation": cloudformation,
}

__all__ = ["SOURCES", "Document", "SourceError", "decode", "load", "parse"]


def load(doc: Document) -> tuple[str | None, list[AppClient]]:
    """The kind of ``doc`` and its clients; ``(None, [])`` when no source recognises it."""
    for kind, module in SOURCES.items():
        if module.matches(doc.data):
            return kind, module.load(doc)
    return None, []
