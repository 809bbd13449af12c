"""The policy's ``pricing:`` section: the tier order the schema cannot check, and the typed
:class:`~m2m_guard.pricing.Pricing` the section becomes.

The schema has already checked every figure (numbers within bounds, whole request counts), so
reading only narrows the parsed YAML to the types :class:`Pricing` holds; a figure a policy
does not set stays m2m-guard's default.

Prices are decimals as the policy writes them. PyYAML reads ``0.00225`` as the binary float
nearest to it, so each figure is taken from its scalar's text in the YAML node tree
(:func:`written_figures`) instead; only a figure whose text Python's ``Decimal`` cannot read
(YAML 1.1's sexagesimal ``1:30.5``) falls back to the float's shortest repr, which is the
written value for any figure of up to 15 significant digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import yaml

from m2m_guard.policy.report import Report
from m2m_guard.pricing import PRICING_KEYS, Pricing, Tier

#: A figure's place in the ``pricing:`` section: ``("token_request_usd",)``,
#: ``("token_request_tiers", 0, "usd")``.
FigurePath = tuple[str | int, ...]


def _tier_list(section: Mapping[str, object]) -> list[Mapping[str, object]]:
    listed = section.get("token_request_tiers")
    return [t for t in listed if isinstance(t, Mapping)] if isinstance(listed, list) else []


def check_tiers(section: Mapping[str, object], report: Report) -> None:
    """Tiers climb: every tier but the last has an ``up_to``, each above the one before."""
    bounds = [t.get("up_to") for t in _tier_list(section)]
    for index, bound in enumerate(bounds[:-1]):
        if bound is None:
            path = ("pricing", "token_request_tiers", index, "up_to")
            report.error(path, "only the last tier may omit up_to")
    finite = [count for count in map(_count, bounds) if count is not None]
    if finite != sorted(set(finite)):
        report.error(("pricing", "token_request_tiers"), "up_to must increase from tier to tier")


def written_figures(text: str) -> dict[FigurePath, str]:
    """The text of every number in the policy's ``pricing:`` section, by its path there, as
    the YAML node tree holds it (before any float is made). Empty when the text cannot be
    composed (it has already been parsed, so this is only a safety net)."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return {}
    section = _child(root, "pricing")
    found: dict[FigurePath, str] = {}
    if isinstance(section, yaml.MappingNode):
        _collect(section, (), found)
    return found


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    value = None
    for key_node, value_node in node.value:  # the last one wins, as when the map was built
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            value = value_node
    return value


def _collect(node: yaml.Node, path: FigurePath, found: dict[FigurePath, str]) -> None:
    if isinstance(node, yaml.ScalarNode):
        found[path] = node.value
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                _collect(value_node, (*path, key_node.value), found)
    elif isinstance(node, yaml.SequenceNode) and len(path) < 3:
        for index, item in enumerate(node.value):
            _collect(item, (*path, index), found)


def exact(value: int | float, written: str | None = None) -> Decimal:
    """``value`` as a decimal: an int as it is; a float from its ``written`` text when that
    is the same number, else from the float's shortest repr (exact for up to 15 significant
    digits, never the float's binary expansion)."""
    if isinstance(value, int):
        return Decimal(value)
    if written is not None:
        try:
            decimal = Decimal(written.strip().replace("_", ""))
        except InvalidOperation:
            decimal = None
        if decimal is not None and decimal.is_finite() and float(decimal) == value:
            return decimal
    return Decimal(repr(value))


class _Figures:
    """The figures of one ``pricing:`` section, each as written."""

    def __init__(self, section: Mapping[str, object], written: Mapping[FigurePath, str]) -> None:
        self.section, self.written = section, written

    def get(self, key: str, default: Decimal) -> Decimal:
        return _figure(self.section.get(key), self.written.get((key,)), default)


def _figure(value: object, written: str | None, default: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return exact(value, written)


def _count(value: object) -> int | None:
    """A whole number of requests; the schema also accepts one written as ``1000.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def _tiers(section: Mapping[str, object], written: Mapping[FigurePath, str]) -> tuple[Tier, ...]:
    listed = section.get("token_request_tiers")
    if not isinstance(listed, list):
        return ()
    return tuple(
        Tier(
            _count(entry.get("up_to")),
            _figure(entry.get("usd"), written.get(("token_request_tiers", index, "usd")), Decimal(0)),
        )
        for index, entry in enumerate(listed)
        if isinstance(entry, Mapping)
    )


def read_pricing(section: object, source: str, text: str | None = None) -> Pricing:
    """The policy's ``pricing:`` over m2m-guard's defaults; reports name the table that was used.
    ``text`` is the policy's YAML, whose scalars give each price as written."""
    if not isinstance(section, Mapping) or not section:
        return Pricing()
    defaults = Pricing()
    figures = _Figures(section, written_figures(text) if text is not None else {})
    return Pricing(
        app_client_month_usd=figures.get("app_client_month_usd", defaults.app_client_month_usd),
        token_request_usd=figures.get("token_request_usd", defaults.token_request_usd),
        token_request_tiers=_tiers(section, figures.written),
        lambda_request_usd=figures.get("lambda_request_usd", defaults.lambda_request_usd),
        lambda_gb_second_usd=figures.get("lambda_gb_second_usd", defaults.lambda_gb_second_usd),
        lambda_memory_mb=_count(section.get("lambda_memory_mb")) or defaults.lambda_memory_mb,
        lambda_duration_ms=figures.get("lambda_duration_ms", defaults.lambda_duration_ms),
        policy=source,
        overrides=tuple(k for k in PRICING_KEYS if k in section),
    )
