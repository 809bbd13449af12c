"""CloudFormation's intrinsic functions (all but Ref), evaluated as far as the template decides.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
Each function gets its argument unevaluated plus the template it runs in (a :class:`Resolver`),
and returns the value or an :class:`Unknown` saying why not, never a guess. Ref stays with the
template (cfn_template.py): it reads parameters and resources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from m2m_guard.model import Unknown, describe_value
from m2m_guard.sources.cfn_values import NO_VALUE, SERVERLESS_VAR, as_text, literal, lookup

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class Resolver(Protocol):
    """What a function may ask of the template it is evaluated in."""

    @property
    def mappings(self) -> Mapping[Any, Any]: ...

    def resolve(self, node: Any) -> Any: ...

    def ref(self, name: Any) -> Any: ...

    def branch(self, name: str) -> bool | None: ...

    def tick(self) -> None: ...


def _get_att(t: Resolver, arg: Any) -> Unknown:
    if isinstance(arg, list) and all(isinstance(part, str) for part in arg):
        arg = ".".join(arg)
    if not isinstance(arg, str):
        return Unknown("Fn::GetAtt needs [resource, attribute]")
    return Unknown(f"Fn::GetAtt {arg[:80]} is known only after deploy")


def _sub(t: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        template, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], Mapping):
        template, variables = arg
    else:
        return Unknown("Fn::Sub needs a string or [string, variables]")
    parts: list[str] = []
    end = 0
    for match in _SUB_VAR.finditer(template):
        parts.append(template[end : match.start()])
        end = match.end()
        text = _sub_variable(t, match.group(1), variables)
        if isinstance(text, Unknown):
            return text
        parts.append(text)
    parts.append(template[end:])
    # a {{resolve:...}} built from parameters is still resolved only at deploy time
    return literal("".join(parts))


def _sub_variable(t: Resolver, name: str, variables: Mapping[Any, Any]) -> str | Unknown:
    if name.startswith("!"):  # ${!Literal} is the escape for a literal ${Literal}
        return "${" + name[1:] + "}"
    name = name.strip()
    t.tick()
    if name in variables:
        value = t.resolve(variables[name])
    elif SERVERLESS_VAR.match("${" + name + "}"):
        return Unknown(f"Serverless variable ${{{name[:80]}}} is set at deploy time")
    elif "." in name:
        return Unknown(f"Fn::Sub variable ${{{name[:80]}}} is known only after deploy")
    else:
        value = t.ref(name)
    return as_text(value, f"Fn::Sub variable ${{{name[:80]}}}")


def _join(t: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown("Fn::Join needs [delimiter, list]")
    delimiter = as_text(t.resolve(arg[0]), "the Fn::Join delimiter")
    items = t.resolve(arg[1])
    if isinstance(delimiter, Unknown):
        return delimiter
    if isinstance(items, Unknown):
        return items
    if not isinstance(items, list):
        return Unknown(f"Fn::Join needs a list, not {describe_value(items, 'cfn')}")
    texts = [as_text(item, "an Fn::Join element") for item in items]
    for text in texts:
        if isinstance(text, Unknown):
            return text
    return literal(delimiter.join(text for text in texts if isinstance(text, str)))  # all are, by now


def _select(t: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown("Fn::Select needs [index, list]")
    index = as_text(t.resolve(arg[0]), "the Fn::Select index")
    items = t.resolve(arg[1])
    if isinstance(index, Unknown):
        return index
    if isinstance(items, Unknown):
        return items
    if not (index.strip().isascii() and index.strip().isdigit()):  # int() rejects "²"
        return Unknown(f"Fn::Select index {index[:40]!r} is not a number")
    if not isinstance(items, list):
        return Unknown(f"Fn::Select needs a list, not {describe_value(items, 'cfn')}")
    if len(index.strip().lstrip("0")) > 9:  # far past any list (int() refuses over 4300 digits)
        return Unknown(f"Fn::Select index {index.strip()[:40]}... is past the end of the list")
    position = int(index)
    if position >= len(items):
        return Unknown(f"Fn::Select index {position} is past the end of the list")
    return items[position]


def _split(t: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        return Unknown("Fn::Split needs [delimiter, string]")
    delimiter = as_text(t.resolve(arg[0]), "the Fn::Split delimiter")
    source = as_text(t.resolve(arg[1]), "the Fn::Split source")
    if isinstance(delimiter, Unknown):
        return delimiter
    if isinstance(source, Unknown):
        return source
    if not delimiter:
        return Unknown("Fn::Split delimiter is empty")
    return source.split(delimiter)


def _if(t: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
        return Unknown("Fn::If needs [condition, value if true, value if false]")
    verdict = t.branch(arg[0])
    if verdict is not None:
        return t.resolve(arg[1] if verdict else arg[2])
    # Undecidable, but when both branches agree the answer does not depend on it.
    when_true, when_false = t.resolve(arg[1]), t.resolve(arg[2])
    if when_true == when_false:
        return when_true
    return Unknown(f"condition {arg[0]} cannot be decided from parameter defaults")


def _find_in_map(t: Resolver, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) in (3, 4)):
        return Unknown("Fn::FindInMap needs [map, key, key]")
    texts = [as_text(t.resolve(k), "an Fn::FindInMap key") for k in arg[:3]]
    for text in texts:
        if isinstance(text, Unknown):
            return text
    keys = [text for text in texts if isinstance(text, str)]  # all are, by now
    value: Any = t.mappings
    for key in keys:
        value = lookup(value, key) if isinstance(value, Mapping) else NO_VALUE
    if value is NO_VALUE:
        # AWS::LanguageExtensions adds a fourth argument {DefaultValue: ...}.
        fallback = arg[3] if len(arg) == 4 else None
        if isinstance(fallback, Mapping) and "DefaultValue" in fallback:
            return t.resolve(fallback["DefaultValue"])
        return Unknown(f"Fn::FindInMap finds no {'/'.join(keys)}")
    return t.resolve(value)


def _import_value(t: Resolver, arg: Any) -> Unknown:
    name = as_text(t.resolve(arg), "the Fn::ImportValue name")
    if isinstance(name, Unknown):
        return name
    return Unknown(f"Fn::ImportValue {name} is known only at deploy time")


FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
}
