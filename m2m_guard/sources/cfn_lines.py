"""Line numbers of resources and their properties, for findings and budget errors.

YAML documents carry them: the parser marks every mapping and key (document.LineDict). JSON
documents do not (json.loads keeps none), so there they are found by searching the text
(m2m_guard/sources/json_keys.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m2m_guard.sources.cfn_template import Resource
from m2m_guard.sources.document import Document


class Lines:
    """Where resources and their properties are; in JSON, only the ``searched`` resources."""

    def __init__(self, doc: Document, searched: list[Resource]) -> None:
        self._json = _JsonLines(doc, searched) if doc.is_json else None

    def resource(self, resource: Resource) -> int | None:
        if self._json is not None:
            return self._json.resource_line(resource.logical_id)
        key_lines = getattr(resource.container, "key_lines", None)
        if key_lines and resource.logical_id in key_lines:
            return int(key_lines[resource.logical_id])
        return getattr(resource.body, "line", None)

    def properties(self, resource: Resource, props: Mapping[Any, Any], names: list[str]) -> dict[str, int]:
        """The lines of the ``names`` among ``props``, the resource's (chosen) Properties."""
        if self._json is not None:
            return self._json.property_lines(resource.logical_id, names)
        key_lines = getattr(props, "key_lines", None) or {}
        return {k: key_lines[k] for k in names if k in key_lines}


class _JsonLines:
    """Line numbers for a JSON template, found by text search.

    ``json.loads`` keeps keys in document order, so the resources (and each resource's
    properties) are found by one forward scan: linear in the text, however many clients.
    """

    def __init__(self, doc: Document, resources: list[Resource]) -> None:
        self.doc = doc
        keys = doc.keys
        start = keys.find("Resources") or 0
        self.offsets: dict[str, int] = {}
        for resource in resources:
            found = keys.find(resource.logical_id, start)
            if found is not None:
                self.offsets[resource.logical_id] = found
                start = found + 1
        ordered = sorted(self.offsets.values())
        # Each resource's text ends where the next one found begins. Not strict: none may be
        # found (a logical id written with escapes, ``"\u00e9"``, is not searched that way).
        self.ends = dict(zip(ordered, [*ordered[1:], len(doc.text)], strict=False))

    def resource_line(self, logical_id: str) -> int | None:
        offset = self.offsets.get(logical_id)
        return None if offset is None else self.doc.line_at(offset)

    def property_lines(self, logical_id: str, names: list[str]) -> dict[str, int]:
        offset = self.offsets.get(logical_id)
        if offset is None:
            return {}
        keys, end = self.doc.keys, self.ends[offset]
        start = keys.find("Properties", offset, end)
        if start is None:
            return {}
        lines: dict[str, int] = {}
        for name in names:
            found = keys.find(name, start, end)
            if found is not None:
                lines[name] = self.doc.line_at(found)
                start = found + 1
        return lines
