"""What a CloudFormation expression resolves to, and the judgements that need no template.

A resolved value is plain data (``str``, numbers, ``bool``, ``list``, ``dict``), an
:class:`Unknown` carrying the reason, or :data:`NO_VALUE` (``Ref: AWS::NoValue``: remove me).
Nothing here reads a template, so the evaluator, the functions and the client builder share it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from m2m_guard.model import Unknown, describe_value

# Serverless Framework variables (``${self:custom.stage}``, ``${opt:stage}``, ``${ssm:/a/b}``,
# ``${cf(us-east-1):stack.Output}``, ``${file(./x.yml):key}``) are replaced by the framework
# before CloudFormation sees the template; the scanner cannot know their values.
SERVERLESS_VAR = re.compile(r"\$\{(?:[a-z]+(?:\([^)]*\))?:|file\()[^}]{0,80}\}?")
# CloudFormation dynamic references ({{resolve:ssm:/name}}, {{resolve:secretsmanager:...}}) are
# read from SSM or Secrets Manager at deploy time; as literals they would pass for scope names.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]{0,80}\}?\}?")


class _NoValue:
    """``Ref: AWS::NoValue``: the property or list element is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


def as_text(value: object, what: str) -> str | Unknown:
    """A resolved value as CloudFormation would render it inside a string, or why not."""
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if value is NO_VALUE:
        return Unknown(f"{what} is AWS::NoValue")
    return Unknown(f"{what} is {describe_value(value, 'cfn')}, not a string")


def comparable(value: object) -> str | tuple[object, ...] | None:
    """Fn::Equals compares strings; None when the value is not (fully) known."""
    if isinstance(value, list):
        items = [comparable(v) for v in value]
        return None if any(i is None for i in items) else tuple(items)
    text = as_text(value, "value")
    return None if isinstance(text, Unknown) else text


def literal(text: str) -> str | Unknown:
    """A plain string, unless it is filled in at deploy time by Serverless or CloudFormation."""
    match = SERVERLESS_VAR.search(text)
    if match:
        return Unknown(f"Serverless variable {match.group()} is set at deploy time")
    match = _DYNAMIC_REFERENCE.search(text)
    if match:
        return Unknown(f"dynamic reference {match.group()} is resolved at deploy time")
    return text


def intrinsic(node: object) -> tuple[str, Any] | None:
    """``(function name, argument)`` when the node is an intrinsic function call."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, arg),) = node.items()
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
            return key, arg
    return None


def lookup(mapping: Mapping[Any, Any], key: str) -> Any:
    # YAML reads ``123456789012:`` as an int key; FindInMap keys are strings.
    if key in mapping:
        return mapping[key]
    for k, v in mapping.items():
        if not isinstance(k, str) and as_text(k, "key") == key:
            return v
    return NO_VALUE


def get_att_target(arg: object) -> str | None:
    """The logical id an ``Fn::GetAtt`` argument (``Res.Attr`` or ``[Res, Attr]``) names."""
    if isinstance(arg, str):
        return arg.split(".", 1)[0]
    if isinstance(arg, list) and arg and isinstance(arg[0], str):
        return arg[0]
    return None
