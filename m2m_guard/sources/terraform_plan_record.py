"""A plan instance's ``values`` and ``after_unknown`` marks -> a DescribeUserPoolClient-shaped record.

Terraform leaves a value known only after apply out of ``values`` (or puts a null in its list
slot) and marks it in ``after_unknown``; such a value is ``Unknown("known after apply")`` unless
the configuration does not set the attribute, when the provider's default applies and the key
stays absent (m2m_guard/sources/terraform_plan.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m2m_guard.model import ABSENT, Unknown, describe_value
from m2m_guard.sources.vocabulary import ATTRIBUTE_KEYS, BLOCK_ATTRIBUTES, pascal

AFTER_APPLY = "known after apply"

#: Attributes that hold a secret's value: never read into a record.
SECRET_ATTRS = frozenset({"client_secret"})


def record_of(
    values: Mapping[str, Any], marks: Mapping[str, Any], expressions: Mapping[str, Any] | None
) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for attr in (*values, *(k for k in marks if k not in values)):
        if not isinstance(attr, str) or attr in SECRET_ATTRS:
            continue
        config = expressions.get(attr) if expressions is not None else None
        is_set = None if expressions is None else attr in expressions
        value = _attribute(attr, values.get(attr), marks.get(attr), is_set, config)
        if value is not ABSENT:
            raw[ATTRIBUTE_KEYS.get(attr, attr)] = value
    if raw.get("GenerateSecret") is None and _has_secret_value(values):
        # An imported client can have a secret while generate_secret is null in state.
        raw["GenerateSecret"] = True
    return raw


def _has_secret_value(values: Mapping[str, Any]) -> bool:
    secret = values.get("client_secret")
    return isinstance(secret, str) and bool(secret)


def _attribute(attr: str, value: Any, mark: Any, is_set: bool | None, config: Any) -> Any:
    """One attribute's record value; ABSENT when the provider default applies.

    ``is_set`` is whether the configuration sets the attribute (None: no configuration to ask,
    so an unknown value stays unknown rather than being taken for a default).
    """
    if mark is True:
        return Unknown(AFTER_APPLY) if is_set is not False else ABSENT
    if attr in BLOCK_ATTRIBUTES:
        block_config = None if is_set is None else _first_dict(config)
        return _block(attr, value, mark, block_config)
    if isinstance(value, list) and isinstance(mark, list):
        return _merge_list(value, mark)
    return value


def _merge_list(value: list[Any], mark: list[Any]) -> list[Any]:
    unknown = sum(1 for m in mark if m is True)
    if not unknown:
        return value
    if len(value) == len(mark):  # unknown elements are nulls in their slots
        return [Unknown(AFTER_APPLY) if m is True else v for v, m in zip(value, mark, strict=True)]
    # Older Terraform drops unknown *set* elements from values instead of leaving nulls.
    return [*value, *(Unknown(AFTER_APPLY) for _ in range(unknown))]


def _block(attr: str, value: Any, mark: Any, config: Mapping[str, Any] | None) -> Any:
    """A ``max_items = 1`` block list -> one object with API-style keys.

    ``config`` is the block's configuration expressions (None: no configuration to ask).
    """
    if value is None or value == []:
        return ABSENT
    item = value[0] if isinstance(value, list) else value
    if not isinstance(item, dict):
        return Unknown(f"{ATTRIBUTE_KEYS.get(attr, attr)} is {_shape(value)}, not a block")
    item_mark = _first_dict(mark)
    result: dict[str, Any] = {}
    for key in (*item, *(k for k in item_mark if k not in item)):
        if not isinstance(key, str):
            continue
        if item_mark.get(key) is True:
            if config is not None and key not in config:
                continue  # not set in the block: the provider default applies
            result[pascal(key)] = Unknown(AFTER_APPLY)
        elif item.get(key) is not None:
            result[pascal(key)] = item[key]
    return result


def _shape(value: Any) -> str:
    return "a list without an object" if isinstance(value, list) else describe_value(value, "kind")


def _first_dict(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}
