"""A plan instance's ``values`` and ``after_unknown`` marks -> a DescribeUserPoolClient-shaped record,
or a pool's settings in DescribeUserPool's shape (:func:`pool_settings`).

Terraform leaves a value known only after apply out of ``values`` (or puts a null in its list
slot) and marks it in ``after_unknown``; such a value is ``Unknown("known after apply")`` unless
the configuration does not set the attribute, when the provider's default applies and the key
stays absent (m2m_guard/sources/terraform_plan.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m2m_guard.model import ABSENT, Unknown, describe_value
from m2m_guard.sources.settings import pool_settings as uniform_settings
from m2m_guard.sources.vocabulary import (
    ATTRIBUTE_KEYS,
    BLOCK_ATTRIBUTES,
    POOL_ARGUMENTS,
    POOL_ATTRIBUTE_KEYS,
    POOL_BLOCKS,
    pascal,
)

AFTER_APPLY = "known after apply"
#: The pool arguments read that are Optional and Computed in the provider's schema (the trigger's
#: in internal/service/cognitoidp/user_pool.go of hashicorp/terraform-provider-aws; the tier's as
#: code generated from the schema shows it, with no default on the resource page): a plan marks
#: them unknown when the configuration leaves them to the provider.
_COMPUTED = frozenset({"user_pool_tier", "pre_token_generation", "pre_token_generation_config"})
#: Why an unset ``user_pool_tier`` of a pool the plan does not create is unknown.
TIER_KEPT = "user_pool_tier is not set: the pool keeps the plan it has"

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


# --- the pool's settings -------------------------------------------------------------------------


def pool_settings(
    values: Mapping[str, Any],
    marks: Mapping[str, Any],
    expressions: Mapping[str, Any] | None,
    created: bool,
) -> dict[str, Any]:
    """An ``aws_cognito_user_pool`` instance's settings in DescribeUserPool's ``UserPool`` shape
    (m2m_guard/model/pool_settings.py): ``UserPoolTier`` and ``LambdaConfig``, the blocks made one
    object each, with known, unknown or absent values as in a client record.

    ``after_unknown`` marks nested blocks as the values nest them, and the configuration gives a
    nested block's expressions as a list of objects ("Change Representation" and "Block
    Expressions Representation" of https://developer.hashicorp.com/terraform/internals/json-format).
    As for a client, a value known only after apply is unknown, unless the configuration does not
    set it and the argument is computed: ``pre_token_generation`` and ``pre_token_generation_config``
    are Optional and Computed (the provider reads back what Cognito sets: "This parameter and the
    PreTokenGeneration property of LambdaConfig have the same value", API reference,
    PreTokenGenerationVersionConfigType), so the one not configured says nothing the configured
    one does not. Any other argument read is
    unknown only when configured, if by a ``dynamic`` block, which the configuration leaves out.

    ``user_pool_tier`` is Optional and Computed without a default (the provider's resource page,
    https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cognito_user_pool):
    set, it is the plan; unset, the plan holds the pool's current tier, known for a pool that
    exists. A pool the plan creates (``create`` among the change's ``actions``) gets no tier from
    the provider, so CreateUserPool's default applies ("Defaults to ESSENTIALS", botocore's
    cognito-idp model) and the key stays absent; for any other pool an unset, unrecorded tier
    (a state or plan of a provider older than the argument) is unknown.
    """
    settings = uniform_settings(_settings_fields(POOL_ARGUMENTS, values, marks, expressions))
    if "UserPoolTier" not in settings and not created:
        settings["UserPoolTier"] = Unknown(TIER_KEPT)
    return settings


def _settings_fields(
    names: tuple[str, ...],
    values: Mapping[str, Any],
    marks: Mapping[str, Any],
    config: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The ``names`` arguments of one object of values, as DescribeUserPool keys."""
    found: dict[str, Any] = {}
    for name in names:
        is_set = None if config is None else name in config
        value = _setting(name, values.get(name), marks.get(name), is_set, config)
        if value is not ABSENT:
            found[POOL_ATTRIBUTE_KEYS[name]] = value
    return found


def _setting(name: str, value: Any, mark: Any, is_set: bool | None, config: Mapping[str, Any] | None) -> Any:
    if mark is True:
        # Only a computed argument is unknown without being configured; any other unknown one is
        # configured, if in a ``dynamic`` block, which the configuration leaves out.
        return Unknown(AFTER_APPLY) if is_set is not False or name not in _COMPUTED else ABSENT
    if name in POOL_BLOCKS:
        inner = None if config is None else _first_dict(config.get(name))
        return _settings_block(name, value, mark, inner)
    # The provider keeps an unset string argument as "" in state; DescribeUserPool omits it.
    return ABSENT if value is None or value == "" else value


def _settings_block(name: str, value: Any, mark: Any, config: Mapping[str, Any] | None) -> Any:
    """A ``max_items = 1`` block of the pool -> one object of the arguments read in it."""
    if value is None or value == []:
        return ABSENT
    item = value[0] if isinstance(value, list) else value
    if not isinstance(item, dict):
        return Unknown(f"{POOL_ATTRIBUTE_KEYS[name]} is {_shape(value)}, not a block")
    return _settings_fields(POOL_BLOCKS[name], item, _first_dict(mark), config)
