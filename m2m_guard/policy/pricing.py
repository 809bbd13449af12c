"""The policy's ``pricing:`` section: the tier order the schema cannot check, and the typed
:class:`~m2m_guard.pricing.Pricing` the section becomes.

The schema has already checked every figure (numbers within bounds, whole request counts), so
reading only narrows the parsed YAML to the types :class:`Pricing` holds; a figure a policy
does not set stays m2m-guard's default.
"""

from __future__ import annotations

from collections.abc import Mapping

from m2m_guard.policy.report import Report
from m2m_guard.pricing import PRICING_KEYS, Pricing, Tier


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


def _figure(section: Mapping[str, object], key: str, default: float) -> float:
    value = section.get(key)
    return float(value) if isinstance(value, (int, float)) else default


def _count(value: object) -> int | None:
    """A whole number of requests; the schema also accepts one written as ``1000.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def _tier(entry: Mapping[str, object]) -> Tier:
    return Tier(_count(entry.get("up_to")), _figure(entry, "usd", 0.0))


def read_pricing(section: object, source: str) -> Pricing:
    """The policy's ``pricing:`` over m2m-guard's defaults; reports name the table that was used."""
    if not isinstance(section, Mapping) or not section:
        return Pricing()
    defaults = Pricing()
    return Pricing(
        app_client_month_usd=_figure(section, "app_client_month_usd", defaults.app_client_month_usd),
        token_request_usd=_figure(section, "token_request_usd", defaults.token_request_usd),
        token_request_tiers=tuple(_tier(t) for t in _tier_list(section)),
        lambda_request_usd=_figure(section, "lambda_request_usd", defaults.lambda_request_usd),
        lambda_gb_second_usd=_figure(section, "lambda_gb_second_usd", defaults.lambda_gb_second_usd),
        lambda_memory_mb=_count(section.get("lambda_memory_mb")) or defaults.lambda_memory_mb,
        lambda_duration_ms=_figure(section, "lambda_duration_ms", defaults.lambda_duration_ms),
        policy=source,
        overrides=tuple(k for k in PRICING_KEYS if k in section),
    )
