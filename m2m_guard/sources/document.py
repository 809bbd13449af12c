"""Text in, parsed document out: decoding, safety guards, YAML with line marks, JSON.

Everything a source needs to turn bytes into data with line numbers, without crashing on
hostile input:

* UTF-8 (with or without BOM) and UTF-16 (with BOM) are decoded; anything else is an error.
* Nesting is measured *before* parsing: libyaml's composer recurses in C and segfaults on
  documents nested tens of thousands of levels deep, which no ``except`` can catch.
* YAML merge-key expansion is bounded (a "billion laughs" through ``<<``); aliases are shared
  objects, and sources that walk data bound their own work.
* CloudFormation short-form tags (``!Ref``, ``!Sub``, ``!GetAtt a.b`` ...) become the long form.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from m2m_guard.model import is_secret_name
from m2m_guard.sources.json_keys import KeyIndex
from m2m_guard.sources.normalize import SECRET_KEYS

try:  # libyaml is several times faster; the pure-Python parser is the fallback.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 500
MAX_MERGED_KEYS = 100_000
#: Integers beyond this are refused: ``str()`` of one over 4300 digits raises ValueError.
MAX_INT_BITS = 14_000


class SourceError(Exception):
    """An input that cannot be read; the message is one line, ``line`` is 1-based or None."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.key_lines: dict[Any, int] = {}


class LineList(list):  # type: ignore[type-arg]
    __slots__ = ("line",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line: int | None = None


def decode(data: bytes) -> str:
    """Bytes to text; raises SourceError for binary or undecodable content."""
    if len(data) > MAX_BYTES:
        raise SourceError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(f"not {encoding.upper()} text (binary file?): byte {exc.start}") from None
    if "\x00" in text:
        raise SourceError("binary content (NUL byte)")
    return text


_BRACKETS = re.compile(r"[\[\]{}]")
_INDENT_COLUMNS = MAX_DEPTH * 8
_TOO_INDENTED = re.compile(rf"^[ \t-]{{{_INDENT_COLUMNS + 1}}}", re.MULTILINE)


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Reject documents nested deeper than ``limit`` before libyaml sees them.

    Flow nesting is bounded by the bracket depth, block nesting by the indentation width; both
    over-estimate (brackets inside strings count), which only matters for absurd inputs.
    """
    if text.count("[") + text.count("{") > limit:  # only then can brackets nest that deep
        depth = 0
        for char in _BRACKETS.findall(text):
            if char in "[{":
                depth += 1
                if depth > limit:
                    raise SourceError(f"nesting deeper than {limit} levels")
            elif depth:
                depth -= 1
    if _TOO_INDENTED.search(text):
        raise SourceError(f"indentation deeper than {_INDENT_COLUMNS} columns")


_STR = "tag:yaml.org,2002:str"


class _Loader(_BaseLoader):
    """Safe loader producing LineDict/LineList and long-form CloudFormation intrinsics.

    Error messages quote a value the loader cannot construct, except under a key named like a
    client secret (``ClientSecret``, ``client_secret``, ...): those nodes are marked as the map
    is built, and their errors say where, never what.
    """

    _hidden: set[int]

    def _hide(self, node: yaml.Node) -> None:
        """Mark ``node`` and everything under it (each node once: aliases share nodes)."""
        if not hasattr(self, "_hidden"):
            self._hidden = set()
        todo = [node]
        while todo:
            item = todo.pop()
            if id(item) in self._hidden:
                continue
            self._hidden.add(id(item))
            if isinstance(item, yaml.MappingNode):
                todo.extend(part for pair in item.value for part in pair)
            elif isinstance(item, yaml.SequenceNode):
                todo.extend(item.value)

    def _is_hidden(self, node: yaml.Node) -> bool:
        return id(node) in getattr(self, "_hidden", ())

    def construct_undefined(self, node: yaml.Node) -> Any:
        if self._is_hidden(node):  # the tag may be the secret itself (`!<CANARY...> x`)
            raise yaml.constructor.ConstructorError(
                None, None, "a tag m2m-guard does not read, under a secret key (not shown)", node.start_mark
            )
        return super().construct_undefined(node)

    def construct_yaml_map(self, node: yaml.MappingNode) -> Any:
        data = LineDict()
        data.line = node.start_mark.line + 1
        yield data
        self.flatten_mapping(node)
        key_lines = data.key_lines
        construct = self.construct_object
        for key_node, value_node in node.value:
            # plain strings, most keys and values, are their node's text (what
            # construct_yaml_str returns) without the generic dispatch
            if key_node.tag == _STR and type(key_node) is yaml.ScalarNode:
                key = key_node.value
                if is_secret_name(key):
                    self._hide(value_node)
            else:
                key = construct(key_node, deep=False)
                if key in SECRET_KEYS:
                    self._hide(value_node)
                if type(key) is not str:
                    try:
                        hash(key)
                    except TypeError:
                        raise yaml.constructor.ConstructorError(
                            None, None, "found an unhashable key", key_node.start_mark
                        ) from None
            if value_node.tag == _STR and type(value_node) is yaml.ScalarNode:
                data[key] = value_node.value
            else:
                data[key] = construct(value_node, deep=False)
            if key not in key_lines:
                key_lines[key] = key_node.start_mark.line + 1

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Any:
        data = LineList()
        data.line = node.start_mark.line + 1
        yield data
        construct = self.construct_object
        data.extend(
            item.value if item.tag == _STR and type(item) is yaml.ScalarNode else construct(item)
            for item in node.value
        )

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        super().flatten_mapping(node)
        if len(node.value) > MAX_MERGED_KEYS:
            raise SourceError(
                "YAML merge keys expand to too many entries (alias bomb?)", node.start_mark.line + 1
            )

    def construct_checked(self, node: yaml.ScalarNode) -> Any:
        """``!!int``, ``!!float``, ``!!bool``: a value the tag cannot hold is a YAML error.

        PyYAML's own constructors fail on some with IndexError (``!!int ""``) or KeyError
        (``!!bool maybe``), which would escape as crashes. Integers too large to print
        (``0xFFFF...``, ``1:59:59:...``: Python refuses ``str()`` beyond 4300 digits) are
        refused here, as ``json.loads`` refuses them in JSON.
        """
        construct = _CHECKED[node.tag]
        kind = node.tag.rsplit(":", 1)[-1]
        try:
            value = construct(self, node)
        except (ValueError, IndexError, KeyError, OverflowError):
            shown = (
                "the value of a secret key (not shown)" if self._is_hidden(node) else repr(node.value[:40])
            )
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} is not a valid {kind}", node.start_mark
            ) from None
        if type(value) is int and value.bit_length() > MAX_INT_BITS:
            shown = "the value of a secret key" if self._is_hidden(node) else f"{node.value[:40]!r}..."
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} is too large a number", node.start_mark
            )
        return value

    def construct_cfn_tag(self, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = self.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = LineList(self.construct_sequence(node, deep=True))
            value.line = node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            value = self.construct_mapping(node, deep=True)
        else:  # pragma: no cover - libyaml produces only the three node kinds
            raise yaml.constructor.ConstructorError(None, None, "unexpected node", node.start_mark)
        if suffix == "Ref" or suffix == "Condition":
            name = suffix
        elif suffix == "GetAtt" and isinstance(value, str):
            name, value = "Fn::GetAtt", value.split(".", 1)
        else:
            name = "Fn::" + suffix
        result = LineDict({name: value})
        result.line = node.start_mark.line + 1
        result.key_lines[name] = result.line
        return result


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)
_Loader.add_multi_constructor("!", _Loader.construct_cfn_tag)
_Loader.add_constructor(None, _Loader.construct_undefined)
# Timestamps stay strings: CloudFormation treats them as strings, and an impossible date
# (2027-02-30) must be a validation message, not a constructor crash. (The stubs cannot tell
# that the inherited SafeConstructor method fits the subclass.)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)  # type: ignore[type-var]
_CHECKED = {
    "tag:yaml.org,2002:int": _BaseLoader.construct_yaml_int,
    "tag:yaml.org,2002:float": _BaseLoader.construct_yaml_float,
    "tag:yaml.org,2002:bool": _BaseLoader.construct_yaml_bool,
}
for _tag in _CHECKED:
    _Loader.add_constructor(_tag, _Loader.construct_checked)
# The data stays JSON-shaped, as CloudFormation and the other formats read it: no bytes, sets or
# tuples in a record. ``!!binary`` stays its (base64) text, ``!!set`` a mapping to nulls, and
# ``!!omap`` / ``!!pairs`` the sequence of one-key mappings they are written as.
_Loader.add_constructor("tag:yaml.org,2002:binary", _Loader.construct_yaml_str)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:set", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:omap", _Loader.construct_yaml_seq)
_Loader.add_constructor("tag:yaml.org,2002:pairs", _Loader.construct_yaml_seq)


#: A key named like a client secret, as YAML writes it (the loader's errors may quote input).
_SECRET_KEY_TEXT = re.compile(r"client[_-]?secret(?:[_-]?value)?[\"']?\s*:", re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _yaml_error(exc: yaml.YAMLError, text: str = "") -> SourceError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = mark.line + 1 if mark is not None else None
    if line is not None and not problem.startswith("the value of a secret key"):
        # The pure-Python parser quotes what it could not read (an alias name, an escape): on the
        # line of a secret key, that may be the secret itself.
        lines = text.splitlines()[max(0, line - 2) : line]
        if any(_SECRET_KEY_TEXT.search(each) for each in lines):
            problem = _QUOTED.sub("(not shown)", problem)
    return SourceError(f"invalid YAML: {problem}", line)


@dataclass
class Document:
    """A parsed input file: the data plus what it takes to find line numbers in it."""

    path: str
    text: str
    data: Any
    is_json: bool
    _keys: KeyIndex | None = field(default=None, repr=False)

    @property
    def keys(self) -> KeyIndex:
        """Where the keys of a JSON text are (m2m_guard/sources/json_keys.py)."""
        if self._keys is None:
            self._keys = KeyIndex(self.text)
        return self._keys

    def line_at(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return self.keys.line(offset)


def parse(path: str, text: str) -> Document:
    """Parse JSON or YAML text; raises SourceError with a line where the parser gives one."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return Document(path, text, json.loads(text), is_json=True)
        except RecursionError:
            raise SourceError("JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":
                # Several JSON documents one after another (a shell loop's dump).
                return Document(path, text, _json_stream(text), is_json=True)
            # Not JSON after all? Flow-style YAML starts with a bracket too.
            json_error = SourceError(f"invalid JSON: {exc.msg}", exc.lineno)
            try:
                data = _load_yaml(text)
            except SourceError:
                raise json_error from None
            return Document(path, text, data, is_json=False)
        except ValueError:  # not a JSONDecodeError: a number of more than 4300 digits
            raise _huge_number(text) from None
    return Document(path, text, _load_yaml(text), is_json=False)


def _huge_number(text: str, start: int = 0) -> SourceError:
    match = re.compile(r"[0-9]{4301,}").search(text, start)
    line = text.count("\n", 0, match.start()) + 1 if match else None
    return SourceError("invalid JSON: a number of more than 4300 digits", line)


def _json_stream(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    items: list[Any] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return items
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise SourceError(f"invalid JSON: {exc.msg}", exc.lineno) from None
        except ValueError:
            raise _huge_number(text, pos) from None
        items.append(item)


def _load_yaml(text: str) -> Any:
    check_depth(text)  # json.loads raises RecursionError instead; libyaml would crash
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except SourceError:
        raise
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text) from None
    except RecursionError:
        raise SourceError("YAML nested too deeply") from None
    except (ValueError, TypeError, OverflowError, IndexError, KeyError) as exc:
        # a scalar the safe constructor rejects (construct_checked handles the known ones)
        raise SourceError(f"invalid YAML value: {exc}") from None
