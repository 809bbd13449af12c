"""Instances: what ``count``, ``for_each`` and ``dynamic`` blocks repeat over, as Terraform does.

``count = N`` makes instances 0 to N-1 (``count.index``); ``for_each`` over a map makes one per
key (``each.key``, ``each.value``), over a set of strings one per element (both ``each.key`` and
``each.value``), in lexicographic order
(https://developer.hashicorp.com/terraform/language/meta-arguments/for_each). A value that is
not known yet makes the instances unknown: the block may make none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from m2m_guard.model import Unknown
from m2m_guard.sources.tf_values import Invalid, TfSet, first_unknown, instance_key, to_num, unknown_of


@dataclass(frozen=True)
class Instance:
    """One instance of a block with ``count`` or ``for_each``: its key (``count.index`` or
    ``each.key``) and the names it binds (``count``, ``each``)."""

    key: int | str
    bound: dict[str, Any]

    @property
    def suffix(self) -> str:
        return instance_key(self.key)


def instance_of(key: Any, value: Any, rep: str) -> Instance:
    if rep == "count":
        return Instance(key, {"count": {"index": key}})
    return Instance(key, {"each": {"key": key, "value": value}})


def count_keys(value: Any) -> list[tuple[int, None]] | Unknown:
    """``count``: a whole number (a string of digits converts, as in Terraform)."""
    number = to_num(value)
    if isinstance(number, Unknown) and not isinstance(number, Invalid):
        return Unknown(f"count: {number.reason}")
    whole = type(number) is int or isinstance(number, float) and number.is_integer()
    if whole and number >= 0:
        return [(index, None) for index in range(int(number))]
    return Unknown(f"count: {unknown_of(value, 'not a whole number').reason}")


def for_each_keys(value: Any) -> list[tuple[str, Any]] | Unknown:
    """``for_each``: a map (each.key, each.value), or a set of strings (both the element).

    Terraform rejects a list (it wants ``toset()``); m2m-guard reads one of strings as a set.
    """
    if isinstance(value, dict):
        return [(key, value[key]) for key in sorted(value)]
    if isinstance(value, list):
        pending = first_unknown(value)
        if pending is not None:
            return Unknown(f"for_each: {pending.reason}")
        if not all(isinstance(item, str) for item in value):
            return Unknown("for_each: not a map or a set of strings")
        return [(item, item) for item in sorted(set(value))]
    return Unknown(f"for_each: {unknown_of(value, 'not a map or a set').reason}")


def dynamic_items(value: Any) -> list[tuple[Any, Any]] | Unknown:
    """What a ``dynamic`` block's ``for_each`` repeats over: any collection (a list's keys are
    its indexes), https://developer.hashicorp.com/terraform/language/expressions/dynamic-blocks."""
    if isinstance(value, (Unknown,)) or value is None or not isinstance(value, (list, dict)):
        return unknown_of(value, "a dynamic block's for_each is not a collection")
    if isinstance(value, dict):
        return [(key, value[key]) for key in sorted(value)]
    if isinstance(value, TfSet):
        return [(item, item) for item in value]
    return list(enumerate(value))
