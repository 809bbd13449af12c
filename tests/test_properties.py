"""Property-based tests (hypothesis) for the loaders: no exception escapes, unknowns stay unknown.

Random documents and mutations of the real fixtures go through the CloudFormation, Terraform
plan and policy loaders, and random bytes through the whole CLI. Hostile names, file names and
messages go through every report format, and edited reports through ``merge``. Runs are deterministic
(``derandomize``, no example database); ``M2M_GUARD_HYPOTHESIS_EXAMPLES`` raises the number of
examples per test for a longer local run.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from m2m_guard.cli import main
from m2m_guard.merge import MergeError, merge
from m2m_guard.model import AppClient, Location, Pool, Unknown
from m2m_guard.policy import Policy, PolicyLoadError, load_policy
from m2m_guard.reporters import REPORTERS
from m2m_guard.reporters.safe import UNSAFE, dump_json
from m2m_guard.rules import RULES
from m2m_guard.sources import cloudformation, load, parse, terraform_plan_record, vocabulary
from m2m_guard.sources.document import LineDict, LineList, SourceError
from m2m_guard.sources.normalize import CONVERTERS, normalize
from tests.invariants import assert_normalized
from tests.reporters.support import (
    check_cost_formats,
    check_scan_formats,
    hostile_result,
    iac_result,
    live_result,
    schema_errors,
    unsafe_strings,
)

# The recursive strategies print as a long repr when hypothesis describes a failing example.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("M2M_GUARD_HYPOTHESIS_EXAMPLES", "150"))

settings.register_profile(
    "m2m-guard",
    derandomize=True,  # the same examples on every run: CI never flakes on a new one
    database=None,  # and no .hypothesis/ directory in the work tree
    deadline=None,
    max_examples=EXAMPLES,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,  # capsys/monkeypatch are reused on purpose
    ],
)
PROFILE = settings.get_profile("m2m-guard")


# --- shared value strategies ----------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
PARAMS = ("PNoDefault", "PDefault", "PList", "PSsm", "PNull")
CONDITIONS = ("IsTrue", "IsFalse", "Undecided", "Cycle", "Missing")
RESOURCES = ("Pool", "Server", "Client", "Other")
PROPERTY_KEYS = (
    "UserPoolId",
    "ClientName",
    "GenerateSecret",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AccessTokenValidity",
    "TokenValidityUnits",
    "ExplicitAuthFlows",
    "RefreshTokenValidity",
    "CallbackURLs",
    "ClientSecret",
    "Unrelated",
)
_NAMES = st.sampled_from(PARAMS + RESOURCES + ("AWS::NoValue", "AWS::Region", "Nowhere"))
_SPECIAL_STRINGS = st.sampled_from(
    [
        "client_credentials",
        "ALLOW_CLIENT_TOKEN_AUTH",
        "orders/read",
        "*/*",
        "hours",
        "minutes",
        "days",
        "60",
        " 7 ",
        "true",
        "False",
        "${PDefault}",
        "${PNoDefault}-x",
        "${Pool.Arn}",
        "${!Literal}",
        "${AWS::Region}",
        "${self:custom.stage}",
        "{{resolve:ssm:/x}}",
        "a,b, c",
        "Pool.Arn",
        "",
        "²",
        "1e999",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    _SPECIAL_STRINGS,
)
_KEYS = st.one_of(st.sampled_from(PROPERTY_KEYS), _TEXT, st.integers(-5, 5))


def _intrinsics(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    condition = st.one_of(st.sampled_from(CONDITIONS), children)
    return st.one_of(
        st.builds(lambda n: {"Ref": n}, st.one_of(_NAMES, children)),
        st.builds(lambda n: {"Fn::GetAtt": n}, st.one_of(st.sampled_from(["Pool.Arn", "Other.X"]), children)),
        st.builds(lambda s: {"Fn::Sub": s}, st.one_of(_SPECIAL_STRINGS, children)),
        st.builds(
            lambda s, v: {"Fn::Sub": [s, v]}, _SPECIAL_STRINGS, st.dictionaries(_TEXT, children, max_size=2)
        ),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, condition, children, children),
        st.builds(lambda a: {"Fn::If": a}, st.lists(children, max_size=4)),
        st.builds(
            lambda d, xs: {"Fn::Join": [d, xs]},
            st.one_of(st.just(","), children),
            st.lists(children, max_size=3),
        ),
        st.builds(lambda i, xs: {"Fn::Select": [i, xs]}, st.one_of(st.integers(-1, 3), children), children),
        st.builds(lambda d, s: {"Fn::Split": [d, s]}, st.one_of(st.just(","), children), children),
        st.builds(lambda a: {"Fn::FindInMap": a}, st.lists(st.one_of(_TEXT, children), max_size=4)),
        st.builds(lambda a: {"Fn::ImportValue": a}, children),
        st.builds(lambda a: {"Fn::Base64": a}, children),
        st.builds(lambda a: {"Condition": a}, condition),
        st.builds(lambda a, b: {"Fn::Equals": [a, b]}, children, children),
        st.builds(lambda a: {"Fn::Not": [a]}, children),
        st.builds(lambda xs: {"Fn::Or": xs}, st.lists(children, max_size=3)),
    )


VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_KEYS, children, max_size=4),
        _intrinsics(children),
    ),
    max_leaves=16,
)


# --- normalization -----------------------------------------------------------------------------

_NUMBERISH = st.one_of(
    st.text(st.characters(categories=("Nd", "No", "Zs")), max_size=6),  # "²", "٣", "①", " "
    st.integers(1, 6000).map(lambda n: "9" * n),
    st.sampled_from(["1.0", "-1", "+1", "1_000", "0x10", " 12 ", "\t7\n"]),
)


@PROFILE
@given(
    record=st.dictionaries(
        st.one_of(st.sampled_from(sorted(CONVERTERS)), _TEXT), st.one_of(VALUES, _NUMBERISH), max_size=6
    )
)
def test_normalize_gives_normalized_types(record: dict[str, Any]) -> None:
    """Whatever a source hands over, normalize() returns the model's types (and never raises)."""
    normalized = normalize(record)
    client = AppClient(record=normalized, location=Location("x"), pool=Pool("k", "k"))
    assert_normalized([client])


# --- YAML text with short-form tags ---------------------------------------------------------

_SHORT = re.compile(r"^(?:Ref|Condition|Fn::([A-Za-z0-9]+))$")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return "-.inf" if value < 0 else ".inf"
        return repr(value)
    # Not ASCII-escaped: libyaml rejects the surrogate pairs JSON writes for astral characters.
    return json.dumps(str(value), ensure_ascii=False)


def _tag(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        match = _SHORT.match(key) if isinstance(key, str) else None
        # A node has one tag: `!Ref !Ref x` is not YAML, so an intrinsic whose argument is an
        # intrinsic stays in the long form outside.
        if match and _tag(arg) is None:
            return "!" + (match.group(1) or key), arg
    return None


def to_yaml(value: Any, flow: bool = False) -> str:
    """YAML text with CloudFormation short-form tags (``!Ref x``, ``!If [...]``)."""
    return _emit(value, 0, flow).lstrip("\n").lstrip(" ") + "\n"


def _emit(value: Any, indent: int, flow: bool) -> str:
    """A node placed after ``key:`` or ``- ``: either `` scalar`` or newline-led block lines."""
    tagged = _tag(value)
    if tagged is not None:
        tag, arg = tagged
        if tag == "!GetAtt" and isinstance(arg, str):
            return f" !GetAtt {_scalar(arg)}"
        return f" {tag}{_emit(arg, indent, flow)}" if not flow else f" {tag} {_flow(arg)}"
    if flow or not isinstance(value, (dict, list)) or not value:
        return " " + _flow(value)
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(f"\n{pad}{_scalar(k)}:{_emit(v, indent + 2, flow)}" for k, v in value.items())
    return "".join(f"\n{pad}-{_emit(item, indent + 2, flow)}" for item in value)


def _flow(value: Any) -> str:
    tagged = _tag(value)
    if tagged is not None:
        tag, arg = tagged
        return f"{tag} {_flow(arg)}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def serializations(data: Any) -> st.SearchStrategy[str]:
    """The document as JSON, as plain block YAML, or as YAML with short-form tags."""

    def as_json(indent: int | None) -> str:
        return json.dumps(data, indent=indent, default=str)

    def as_plain_yaml() -> str:
        try:
            return yaml.safe_dump(data, sort_keys=False)
        except yaml.YAMLError:
            return to_yaml(data)

    return st.one_of(
        st.sampled_from([None, 1]).map(as_json),
        st.just(data).map(lambda _: as_plain_yaml()),
        st.booleans().map(lambda flow: to_yaml(data, flow)),
    )


# --- loading helpers ------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A parsed document as plain dicts and lists (what yaml.safe_dump can write)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def load_any(path: str, text: str) -> list[AppClient]:
    """parse + the matching source; SourceError is the only exception allowed out."""
    try:
        doc = parse(path, text)
        kind, clients = load(doc)
    except SourceError as exc:
        assert "\n" not in exc.message
        event("SourceError")
        return []
    assert_normalized(clients)
    event(f"{kind}: {'clients' if clients else 'no clients'}")  # --hypothesis-show-statistics
    return clients


def fixture_data(paths: list[Path]) -> list[tuple[str, Any]]:
    out = []
    for path in paths:
        data = plain(parse(path.name, path.read_text(encoding="utf-8")).data)
        out.append((path.name, data))
    return out


CFN_FIXTURES = fixture_data(
    sorted(
        p
        for folder in (ROOT / "tests" / "fixtures" / "cloudformation", ROOT / "examples" / "cloudformation")
        for p in folder.iterdir()
        if p.name != "alias_bomb.yaml"  # shared aliases: expanding it is the bomb
    )
)
PLAN_FIXTURES = fixture_data(
    sorted((ROOT / "tests" / "fixtures" / "terraform").glob("*.plan.json"))
    + [ROOT / "examples" / "terraform" / "plan.json"]
)
DESCRIBE_FIXTURES = fixture_data(
    sorted((ROOT / "tests" / "fixtures" / "describe").glob("*.json"))
    + [ROOT / "examples" / "describe" / "stock-sync.json"]
)
POLICY_FIXTURES = fixture_data(
    sorted((ROOT / "policies").glob("*.yaml")) + [ROOT / "examples" / ".m2m-guard.yaml"]
)


# --- structural mutations -------------------------------------------------------------------


def _nodes(data: Any, limit: int = 400) -> list[tuple[Any, Any]]:
    """(container, key) of every node under ``data``, breadth first, at most ``limit``."""
    found: list[tuple[Any, Any]] = []
    queue = [data]
    while queue and len(found) < limit:
        node = queue.pop(0)
        items: Iterator[tuple[Any, Any]]
        if isinstance(node, dict):
            items = iter(list(node.items()))
        elif isinstance(node, list):
            items = iter(list(enumerate(node)))
        else:
            continue
        for key, child in items:
            found.append((node, key))
            queue.append(child)
    return found


def _retype(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else 1
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return [value] if not value.isdigit() else int(value)
    if isinstance(value, list):
        return value[0] if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return "null"


def _wrap(value: Any, how: int, name: str) -> Any:
    return [
        {"Ref": name},
        {"Fn::If": ["Undecided", value, {"Ref": name}]},
        {"Fn::If": [name, value, value]},
        {"Fn::Sub": [f"${{{name}}}", {}]},
        {"Fn::Join": ["", [value, {"Ref": name}]]},
        {"Fn::Select": [0, [value]]},
        {"Fn::Select": [{"Ref": name}, [value]]},
        {"Fn::FindInMap": [name, {"Ref": name}, "x"]},
        [value] * 3,
        {"Fn::If": ["IsTrue", value, {"Ref": "AWS::NoValue"}]},
    ][how]


@st.composite
def mutated(draw: st.DrawFn, data: Any, rounds: int = 4) -> Any:
    """``data`` after 1..rounds random edits: delete, duplicate, replace, retype, wrap, swap."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, rounds))):
        nodes = _nodes(data)
        if not nodes:
            return draw(VALUES)
        container, key = nodes[draw(st.integers(0, len(nodes) - 1))]
        action = draw(st.integers(0, 7))
        value = container[key]
        if action == 0:  # delete
            del container[key]
        elif action == 1:  # duplicate
            if isinstance(container, list):
                container.insert(key, copy.deepcopy(value))
            else:
                container[f"{key}Copy" if isinstance(key, str) else 99] = copy.deepcopy(value)
        elif action == 2:  # replace with a random value
            container[key] = draw(VALUES)
        elif action == 3:  # change the type
            container[key] = _retype(value)
        elif action == 4:  # wrap in an intrinsic
            name = draw(st.sampled_from(PARAMS + CONDITIONS + ("Nowhere",)))
            container[key] = _wrap(value, draw(st.integers(0, 9)), name)
        elif action == 5 and isinstance(container, dict) and len(container) > 1:  # swap two keys
            other = draw(st.sampled_from(sorted(container, key=repr)))
            container[key], container[other] = container[other], value
        elif action == 6:  # rename the key
            if isinstance(container, dict):
                new = draw(_KEYS)
                del container[key]
                container[new] = value
        else:  # add a parameter without a Default and refer to it
            if isinstance(data, dict):
                params = data.setdefault("Parameters", {})
                if isinstance(params, dict):
                    params["Injected"] = {"Type": "String"}
            container[key] = {"Ref": "Injected"}
    return data


# --- CloudFormation ---------------------------------------------------------------------------


def _parameter(with_default: bool, default: Any, kind: Any) -> Any:
    decl: dict[str, Any] = {}
    if kind is not None:
        decl["Type"] = kind
    if with_default:
        decl["Default"] = default
    return decl


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = VALUES) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten, else ``bad``: broken enough to probe, whole enough to go deep."""
    return st.integers(0, 9).flatmap(lambda i: bad if i == 9 else good)  # 0 is the likeliest draw


PARAM_DECLS = mostly(
    st.builds(
        _parameter,
        st.booleans(),
        VALUES,
        mostly(
            st.sampled_from(
                [
                    None,
                    "String",
                    "Number",
                    "CommaDelimitedList",
                    "List<String>",
                    "AWS::SSM::Parameter::Value<String>",
                ]
            )
        ),
    ),
)
#: Parameters most documents declare; random declarations are drawn on top of them.
BASE_PARAMETERS = {
    "PDefault": {"Type": "Number", "Default": 30},
    "PNoDefault": {"Type": "String"},
    "PList": {"Type": "CommaDelimitedList", "Default": "a/read, b/*"},
    "PSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x"},
    "PNull": {"Default": None},
}
RESOURCE_TYPES = mostly(
    st.sampled_from(
        [
            cloudformation.CLIENT_TYPE,
            cloudformation.CLIENT_TYPE,
            cloudformation.CLIENT_TYPE,
            cloudformation.POOL_TYPE,
            cloudformation.SERVER_TYPE,
            "AWS::S3::Bucket",
        ]
    )
)
_REFS = st.sampled_from(PARAMS).map(lambda p: {"Ref": p})
PROPERTY_VALUES = st.one_of(_REFS, st.lists(st.one_of(_REFS, _SPECIAL_STRINGS), max_size=3), VALUES)


@st.composite
def resource_bodies(draw: st.DrawFn) -> Any:
    body: dict[str, Any] = {"Type": draw(RESOURCE_TYPES)}
    keys = st.sampled_from(PROPERTY_KEYS + ("Identifier", "UserPoolName"))
    properties = draw(mostly(st.dictionaries(keys, PROPERTY_VALUES, max_size=6)))
    if draw(st.integers(0, 4)):
        body["Properties"] = properties
    if draw(st.integers(0, 3)) == 0:
        body["Condition"] = draw(mostly(st.sampled_from(CONDITIONS)))
    return body


@st.composite
def cfn_documents(draw: st.DrawFn) -> Any:
    doc: dict[Any, Any] = {}
    if draw(st.booleans()):
        doc["AWSTemplateFormatVersion"] = "2010-09-09"
    params = draw(st.dictionaries(st.sampled_from(PARAMS + ("Extra",)), PARAM_DECLS, max_size=3))
    doc["Parameters"] = draw(mostly(st.just({**BASE_PARAMETERS, **params})))
    doc["Conditions"] = draw(
        mostly(
            st.fixed_dictionaries(
                {},
                optional={
                    "IsTrue": st.just({"Fn::Equals": ["a", "a"]}),
                    "IsFalse": st.just({"Fn::Equals": ["a", "b"]}),
                    "Undecided": st.just({"Fn::Equals": [{"Ref": "PNoDefault"}, "x"]}),
                    "Cycle": st.just({"Fn::Not": [{"Condition": "Cycle"}]}),
                    "Random": VALUES,
                },
            )
        )
    )
    if draw(st.booleans()):
        doc["Mappings"] = draw(mostly(st.just({"M": {"k": {"v": "orders/read"}}})))
    names = st.one_of(st.sampled_from(RESOURCES), _TEXT)
    doc["Resources"] = draw(mostly(st.dictionaries(names, resource_bodies(), min_size=1, max_size=5)))
    if draw(st.integers(0, 4)) == 4:  # a Serverless file: the template under `resources`
        doc = {"service": "x", "resources": doc if draw(st.booleans()) else [doc, draw(VALUES)]}
    return doc


@PROFILE
@given(st.data())
def test_random_cloudformation_documents_never_crash(data: st.DataObject) -> None:
    doc = data.draw(cfn_documents())
    text = data.draw(serializations(doc))
    clients = load_any("t.yaml", text)
    if clients and isinstance(doc.get("Parameters"), dict):
        _check_no_default_refs(doc, clients)


def _check_no_default_refs(doc: dict[str, Any], clients: list[AppClient]) -> None:
    """A property that is exactly ``Ref: P``, P a parameter without Default, stays unknown."""
    params = doc["Parameters"]
    resources = doc.get("Resources")
    if not isinstance(resources, dict):
        return
    for client in clients:
        body = resources.get(client.location.logical_id)
        props = body.get("Properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            continue
        for key, value in props.items():
            if key == "ClientSecret" or not (isinstance(value, dict) and list(value) == ["Ref"]):
                continue
            name = value["Ref"]
            decl = params.get(name) if isinstance(name, str) else None
            if isinstance(decl, dict) and decl.get("Default") is None:
                event("a property refers to a parameter without Default")
                assert isinstance(client.record[key], Unknown), (key, client.record[key])


@PROFILE
@given(st.data())
def test_mutated_cloudformation_templates_never_crash(data: st.DataObject) -> None:
    name, original = data.draw(st.sampled_from(CFN_FIXTURES), label="fixture")
    doc = data.draw(mutated(original))
    text = data.draw(serializations(doc))
    load_any(name, text)


_TOKENS = st.sampled_from(
    [
        "Resources:",
        "Parameters:",
        "Conditions:",
        "AWSTemplateFormatVersion: 2010-09-09",
        "\n",
        "\n  ",
        "\n    ",
        "\n      ",
        "  ",
        "- ",
        "Type: AWS::Cognito::UserPoolClient",
        "Type: AWS::Cognito::UserPool",
        "Properties:",
        "AccessTokenValidity: ",
        "AllowedOAuthFlows: [client_credentials]",
        "AllowedOAuthScopes:",
        "!Ref ",
        "!Sub ",
        "!If ",
        "!GetAtt ",
        "!Select ",
        "!Join ",
        "!Condition ",
        "!!str ",
        "!!binary ",
        "!!python/object:os.system ",
        "!<tag:yaml.org,2002:int> ",
        "Default: ",
        "P",
        "Pool",
        "Client",
        "{",
        "}",
        "[",
        "]",
        ",",
        ": ",
        "&a ",
        "*a",
        "<<: ",
        "'",
        '"',
        "#",
        "|",
        ">",
        "? ",
        "%YAML 1.1\n",
        "---\n",
        "...\n",
        "\t",
        "\ufeff",
        "\x00",
        "\u2028",
        "60",
        "1e999",
        "0x1F",
        "2027-02-30",
        "~",
        "null",
        "yes",
    ]
)


@PROFILE
@given(st.lists(st.one_of(_TOKENS, _TEXT), max_size=60).map("".join))
def test_random_yaml_text_never_crashes(text: str) -> None:
    load_any("t.yaml", text)
    load_any(
        "t.yaml",
        "Resources:\n  C:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n      X: " + text,
    )


_TTL_FORMS: dict[str, Callable[[str], Any]] = {
    "ref": lambda p: {"Ref": p},
    "if-same": lambda p: {"Fn::If": ["Undecided", {"Ref": p}, {"Ref": p}]},
    "if-true": lambda p: {"Fn::If": ["IsTrue", {"Ref": p}, 5]},
    "sub": lambda p: {"Fn::Sub": f"${{{p}}}"},
    "join": lambda p: {"Fn::Join": ["", [{"Ref": p}]]},
    "select": lambda p: {"Fn::Select": [0, [{"Ref": p}]]},
}


@PROFILE
@given(
    form=st.sampled_from(sorted(_TTL_FORMS)),
    default=st.one_of(st.none(), st.integers(1, 10**6), st.integers(1, 1000).map(str)),
    kind=st.sampled_from([None, "String", "Number"]),
    noise=st.dictionaries(
        st.sampled_from(["ClientName", "AllowedOAuthScopes", "Unrelated"]), VALUES, max_size=2
    ),
    style=st.sampled_from(["json", "yaml", "short", "flow"]),
)
def test_parameter_without_default_stays_unknown(
    form: str, default: int | str | None, kind: str | None, noise: dict[str, Any], style: str
) -> None:
    param: dict[str, Any] = {"Type": kind} if kind else {}
    if default is not None:
        param["Default"] = default
    props = {
        "UserPoolId": {"Ref": "Pool"},
        **noise,
        "AllowedOAuthFlows": ["client_credentials"],
        "AccessTokenValidity": _TTL_FORMS[form]("P"),
    }
    template = {
        "Parameters": {"P": param, "Other": {"Type": "String"}},
        "Conditions": {
            "IsTrue": {"Fn::Equals": ["a", "a"]},
            "Undecided": {"Fn::Equals": [{"Ref": "Other"}, "x"]},
        },
        "Resources": {
            "Pool": {"Type": cloudformation.POOL_TYPE},
            "Client": {"Type": cloudformation.CLIENT_TYPE, "Properties": props},
        },
    }
    text = {
        "json": lambda: json.dumps(template, indent=2),
        "yaml": lambda: yaml.safe_dump(template),
        "short": lambda: to_yaml(template),
        "flow": lambda: to_yaml(template, flow=True),
    }[style]()
    (client,) = cloudformation.load(parse("t.yaml", text))
    assert_normalized([client])
    value = client.record["AccessTokenValidity"]
    if default is None:
        assert isinstance(value, Unknown), value
        assert isinstance(client.access_token_ttl, Unknown)
    else:
        assert value == int(default)
        assert client.access_token_ttl == int(default) * 3600


# --- Terraform plans --------------------------------------------------------------------------

_ADDRESS = "aws_cognito_user_pool_client.c"
# attribute -> (record key, a known value)
_PLAN_ATTRS: dict[str, tuple[str, st.SearchStrategy[Any]]] = {
    "access_token_validity": ("AccessTokenValidity", st.integers(1, 10**5)),
    "refresh_token_validity": ("RefreshTokenValidity", st.integers(1, 3650)),
    "allowed_oauth_flows": (
        "AllowedOAuthFlows",
        st.lists(st.sampled_from(["client_credentials", "code"]), max_size=2),
    ),
    "allowed_oauth_scopes": ("AllowedOAuthScopes", st.lists(st.sampled_from(["a/read", "b/*"]), max_size=2)),
    "explicit_auth_flows": ("ExplicitAuthFlows", st.lists(st.just("ALLOW_CLIENT_TOKEN_AUTH"), max_size=1)),
    "generate_secret": ("GenerateSecret", st.booleans()),
    "allowed_oauth_flows_user_pool_client": ("AllowedOAuthFlowsUserPoolClient", st.booleans()),
    "name": ("ClientName", st.text(min_size=1, max_size=8)),
    "id": ("ClientId", st.text(min_size=1, max_size=8)),
    "user_pool_id": ("UserPoolId", st.sampled_from(["us-east-1_Abc", ""])),
    "custom_attr": ("custom_attr", VALUES),
}
_STATES = ("known", "unknown-set", "unknown-unset", "absent")


@PROFILE
@given(
    states=st.fixed_dictionaries({attr: st.sampled_from(_STATES) for attr in _PLAN_ATTRS}),
    known=st.fixed_dictionaries({attr: strategy for attr, (_, strategy) in _PLAN_ATTRS.items()}),
    unit_state=st.sampled_from(_STATES + ("element",)),
    with_config=st.booleans(),
    null_slots=st.booleans(),
    indent=st.sampled_from([None, 2]),
)
def test_plan_after_unknown_stays_unknown(
    states: dict[str, str],
    known: dict[str, Any],
    unit_state: str,
    with_config: bool,
    null_slots: bool,
    indent: int | None,
) -> None:
    values: dict[str, Any] = {}
    marks: dict[str, Any] = {}
    expressions: dict[str, Any] = {}
    for attr, state in states.items():
        if state == "known":
            values[attr] = known[attr]
            expressions[attr] = {"constant_value": known[attr]}
        elif state.startswith("unknown"):
            marks[attr] = True
            if null_slots:
                values[attr] = None
            if state == "unknown-set":
                expressions[attr] = {"references": ["var.x"]}
    # The access-token unit, inside the token_validity_units block.
    units_expr: dict[str, Any] = {}
    if unit_state == "known":
        values["token_validity_units"] = [{"access_token": "minutes", "id_token": "hours"}]
    elif unit_state == "element":
        values["token_validity_units"] = [{"id_token": "hours"}]
        marks["token_validity_units"] = [{"access_token": True}]
        units_expr = {"access_token": {"references": ["var.unit"]}}
    elif unit_state.startswith("unknown"):
        values["token_validity_units"] = [{"id_token": "hours"}]
        marks["token_validity_units"] = [{"access_token": True}]
        if unit_state == "unknown-set":
            units_expr = {"access_token": {"references": ["var.unit"]}}
    if values.get("token_validity_units"):
        expressions["token_validity_units"] = [units_expr]
    plan: dict[str, Any] = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": _ADDRESS,
                        "mode": "managed",
                        "type": vocabulary.TF_CLIENT,
                        "name": "c",
                        "values": values,
                    }
                ]
            }
        },
        "resource_changes": [{"address": _ADDRESS, "change": {"after_unknown": marks}}],
    }
    if with_config:
        plan["configuration"] = {
            "root_module": {"resources": [{"address": _ADDRESS, "expressions": expressions}]}
        }
    (client,) = load_any("plan.json", json.dumps(plan, indent=indent))
    record = client.record
    for attr, state in states.items():
        key = _PLAN_ATTRS[attr][0]
        if state == "known":
            expected = normalize({key: json.loads(json.dumps(known[attr]))}).get(key)
            if expected is None:
                assert key not in record
            else:
                assert record[key] == expected
        elif state == "unknown-set" or (state == "unknown-unset" and not with_config):
            assert record[key] == Unknown(terraform_plan_record.AFTER_APPLY), (attr, state, record.get(key))
        else:
            assert key not in record, (attr, state, record[key])
    unit = client.get("TokenValidityUnits.AccessToken")
    if unit_state == "known":
        assert unit == "minutes"
    elif unit_state in ("element", "unknown-set") or (unit_state == "unknown-unset" and not with_config):
        assert unit == Unknown(terraform_plan_record.AFTER_APPLY)
    else:
        assert unit is None or "AccessToken" not in record.get("TokenValidityUnits", {})
    if states["access_token_validity"] == "unknown-set" or (
        states["access_token_validity"] == "unknown-unset" and not with_config
    ):
        assert isinstance(client.access_token_ttl, Unknown)


_PLAN_TYPES = st.sampled_from(
    [
        vocabulary.TF_CLIENT,
        vocabulary.TF_CLIENT,
        vocabulary.TF_POOL,
        vocabulary.TF_SERVER,
    ]
)
_PLAN_VALUE_KEYS = st.sampled_from(
    sorted(_PLAN_ATTRS) + ["token_validity_units", "client_secret", "identifier"]
)


@st.composite
def random_plans(draw: st.DrawFn) -> Any:
    def resource(i: int) -> Any:
        rtype = draw(mostly(_PLAN_TYPES))
        name = draw(mostly(st.sampled_from(["c", "p", "s"])))
        address = f"{rtype}.{name}" if isinstance(rtype, str) and isinstance(name, str) else "x"
        body: dict[str, Any] = {
            "address": draw(mostly(st.sampled_from([address, f"module.m[{i}].{address}"]))),
            "type": rtype,
            "name": name,
            "values": draw(mostly(st.dictionaries(_PLAN_VALUE_KEYS, VALUES))),
        }
        if draw(st.booleans()):
            body["mode"] = draw(mostly(st.just("managed")))
        return body

    module: dict[str, Any] = {"resources": [resource(i) for i in range(draw(st.integers(0, 3)))]}
    if draw(st.booleans()):
        module["child_modules"] = draw(mostly(st.just([{"resources": [resource(9)], "address": "module.m"}])))
    addresses = [r["address"] for r in module["resources"] if isinstance(r.get("address"), str)] or [_ADDRESS]
    plan: dict[str, Any] = {
        "format_version": draw(mostly(st.sampled_from(["1.2", "1.0", "2.0", "0.1"]))),
        "planned_values": draw(mostly(st.just({"root_module": module}))),
    }
    if draw(st.booleans()):
        change = st.fixed_dictionaries(
            {"after_unknown": mostly(st.dictionaries(_PLAN_VALUE_KEYS, st.one_of(st.just(True), VALUES)))}
        )
        plan["resource_changes"] = draw(
            mostly(
                st.lists(
                    st.fixed_dictionaries(
                        {"address": mostly(st.sampled_from(addresses)), "change": mostly(change)}
                    ),
                    max_size=3,
                )
            )
        )
    if draw(st.booleans()):
        expressions = st.dictionaries(
            _PLAN_VALUE_KEYS,
            st.one_of(
                st.just({"references": ["aws_cognito_user_pool.p.id", "aws_cognito_user_pool.p"]}),
                st.just({"references": ["var.pool"]}),
                st.just({"references": ["module.m.pool_id"]}),
                VALUES,
            ),
        )
        config_resources = st.lists(
            st.fixed_dictionaries(
                {"address": mostly(st.sampled_from(addresses)), "expressions": mostly(expressions)}
            ),
            max_size=3,
        )
        plan["configuration"] = draw(
            mostly(
                st.fixed_dictionaries(
                    {
                        "root_module": mostly(
                            st.fixed_dictionaries(
                                {"resources": mostly(config_resources)},
                                optional={
                                    "module_calls": st.just(
                                        {
                                            "m": {
                                                "expressions": {"pool": {"references": ["var.pool"]}},
                                                "module": {
                                                    "outputs": {
                                                        "pool_id": {
                                                            "expression": {"references": ["var.pool"]}
                                                        }
                                                    }
                                                },
                                            }
                                        }
                                    ),
                                    "outputs": VALUES,
                                },
                            )
                        )
                    }
                )
            )
        )
    return plan


@PROFILE
@given(st.data())
def test_random_plans_never_crash(data: st.DataObject) -> None:
    plan = data.draw(random_plans())
    text = data.draw(serializations(plan))
    load_any("plan.json", text)


@PROFILE
@given(st.data())
def test_mutated_plans_never_crash(data: st.DataObject) -> None:
    name, original = data.draw(st.sampled_from(PLAN_FIXTURES), label="fixture")
    plan = data.draw(mutated(original, rounds=6))
    text = data.draw(serializations(plan))
    load_any(name, text)


@PROFILE
@given(st.data())
def test_mutated_describe_output_never_crashes(data: st.DataObject) -> None:
    name, original = data.draw(st.sampled_from(DESCRIBE_FIXTURES), label="fixture")
    doc = data.draw(mutated(original, rounds=6))
    text = data.draw(serializations(doc))
    load_any(name, text)


# --- policies ---------------------------------------------------------------------------------

_DURATIONS = st.one_of(
    st.sampled_from(["1h", "15m", "0s", "300s", "1d", "1h\n", "h", "99999999999999999999d"]), VALUES
)


@st.composite
def rule_entries(draw: st.DrawFn) -> Any:
    entry = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.one_of(st.sampled_from(["R1", "R1", "R-2", "bad id", "X\n"]), VALUES),
                "type": st.one_of(st.sampled_from(sorted(RULES)), VALUES),
                "severity": st.one_of(st.sampled_from(["error", "warning", "note", "fatal"]), VALUES),
                "max": _DURATIONS,
                "min": _DURATIONS,
                "any_of": st.one_of(st.lists(st.sampled_from(["orders/*", "", "*"])), VALUES),
                "all_of": VALUES,
                "scopes": st.one_of(st.lists(st.sampled_from(["*/admin", "x"])), VALUES),
                "lookback_days": st.one_of(st.integers(-1, 90), VALUES),
                "monthly_usd": st.one_of(st.floats(), VALUES),
                "key": st.one_of(
                    st.sampled_from(["EnableTokenRevocation", "TokenValidityUnits.AccessToken"]), VALUES
                ),
                "op": st.one_of(
                    st.sampled_from(["equals", "in", "lt", "matches", "present", "nope"]), VALUES
                ),
                "value": st.one_of(st.sampled_from(["(", "[a-z]+", 3, [1, 2]]), VALUES),
                "message": VALUES,
                "description": VALUES,
                "match": st.one_of(
                    st.fixed_dictionaries({}, optional={"clients": VALUES, "pools": VALUES, "other": VALUES}),
                    VALUES,
                ),
            },
        )
    )
    extra = draw(st.dictionaries(_KEYS, VALUES, max_size=2))
    return {**entry, **extra}


@st.composite
def policy_documents(draw: st.DrawFn) -> Any:
    doc: dict[Any, Any] = {}
    if draw(st.integers(0, 5)):
        doc["version"] = draw(st.one_of(st.sampled_from([1, 1, 2, "1", 1.0, True]), VALUES))
    if draw(st.integers(0, 5)):
        doc["rules"] = draw(st.one_of(st.lists(rule_entries(), max_size=4), VALUES))
    if draw(st.booleans()):
        waiver = st.fixed_dictionaries(
            {},
            optional={
                "rule": st.one_of(st.just("R1"), VALUES),
                "clients": st.one_of(st.lists(st.just("svc-*")), VALUES),
                "pools": VALUES,
                "reason": st.one_of(st.just("ticket"), VALUES),
                "expires": st.one_of(
                    st.sampled_from(["2027-03-31", "2027-02-30", "2027-13-01", "0000-01-01", "2027-03-31\n"]),
                    st.dates().map(str),
                    VALUES,
                ),
            },
        )
        doc["waivers"] = draw(st.one_of(st.lists(waiver, max_size=3), VALUES))
    if draw(st.booleans()):
        tier = st.fixed_dictionaries(
            {},
            optional={
                "up_to": st.one_of(st.integers(-1, 10**6), VALUES),
                "usd": st.one_of(st.floats(), VALUES),
            },
        )
        doc["pricing"] = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "app_client_month_usd": st.one_of(st.floats(), VALUES),
                        "token_request_usd": st.one_of(st.floats(), VALUES),
                        "token_request_tiers": st.one_of(st.lists(tier, max_size=3), VALUES),
                    },
                ),
                VALUES,
            )
        )
    if draw(st.integers(0, 4)) == 0:
        doc.update(draw(st.dictionaries(_KEYS, VALUES, max_size=2)))
    return doc


_LOCATION = r"(?::[0-9]+)?: "


def _path_heads(data: Any) -> tuple[str, ...]:
    """How a key path may begin: ``(top level)``, or a top-level key of the document."""
    heads = ["(top level)", "version", "rules", "waivers", "pricing"]
    if isinstance(data, dict):
        for key in data:
            heads.append(str(key))
            heads.append(f"[{key!r}]")
            heads.append(f"[{key}]")
    return tuple(heads)


def check_policy(source: str, text: str) -> Policy | None:
    try:
        return load_policy(source, text)
    except PolicyLoadError as exc:
        lines = exc.lines
    assert lines
    try:
        data = parse(source, text).data
        parsed = True
    except SourceError:
        parsed = False
    for line in lines:
        assert "\n" not in line and "\r" not in line, line
        match = re.match(re.escape(source) + _LOCATION, line)
        assert match, line
        if parsed:  # then every problem is about a key, and names its path
            rest = line[match.end() :]
            assert rest.startswith(_path_heads(data)) and ": " in rest, line
    if not parsed:
        assert len(lines) == 1
    return None


@PROFILE
@given(st.data())
def test_random_policies_load_or_fail_cleanly(data: st.DataObject) -> None:
    doc = data.draw(policy_documents())
    text = data.draw(serializations(doc))
    check_policy("policy.yaml", text)


@PROFILE
@given(st.data())
def test_mutated_policies_load_or_fail_cleanly(data: st.DataObject) -> None:
    name, original = data.draw(st.sampled_from(POLICY_FIXTURES), label="fixture")
    doc = data.draw(mutated(original, rounds=3))
    text = data.draw(serializations(doc))
    check_policy(name, text)


@PROFILE
@given(
    st.lists(
        st.one_of(_TOKENS, _TEXT, st.sampled_from(["version: 1", "rules:", "- id: X", "type: condition"])),
        max_size=40,
    ).map("".join)
)
def test_random_policy_text_fails_cleanly(text: str) -> None:
    check_policy("p.yaml", text)


# --- the whole CLI on random files ---------------------------------------------------------------

_PREFIXES = st.sampled_from(
    [
        b"",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xfe\xff",
        b"Resources:\n",
        b"# AWS::Cognito::UserPoolClient\n",
        b"{",
    ]
)


@st.composite
def random_files(draw: st.DrawFn) -> bytes:
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            st.lists(_TOKENS, max_size=50).map(lambda xs: "".join(xs).encode("utf-8", "surrogatepass")),
            st.builds(lambda d: to_yaml(d).encode(), cfn_documents()),
        )
    )
    return draw(_PREFIXES) + body


@pytest.fixture
def workdir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    (folder / ".git").mkdir()
    monkeypatch.chdir(folder)
    return folder


@PROFILE
@given(content=random_files(), suffix=st.sampled_from([".yaml", ".json", ".template", ".yml"]))
def test_cli_on_random_files(
    workdir: Path, capsys: pytest.CaptureFixture[str], content: bytes, suffix: str
) -> None:
    path = workdir / f"input{suffix}"
    path.write_bytes(content)
    code = main(["scan", str(path), "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "Traceback" not in out
    report = json.loads(out)
    for note in report["notifications"]:
        assert "\n" not in note["message"]


def test_yaml_renderer_round_trips() -> None:
    """The short-form renderer these tests rely on writes what it means."""
    data = {
        "A": {"Ref": "P"},
        "B": [{"Fn::If": ["C", 1, {"Ref": "AWS::NoValue"}]}],
        "C": {"Fn::GetAtt": "X.Y"},
    }
    for flow in (False, True):
        parsed = parse("t.yaml", to_yaml(data, flow)).data
        assert plain(parsed) == {
            "A": {"Ref": "P"},
            "B": [{"Fn::If": ["C", 1, {"Ref": "AWS::NoValue"}]}],
            "C": {"Fn::GetAtt": ["X", "Y"]},
        }
        assert isinstance(parsed, LineDict) and isinstance(parsed["B"], LineList)


# --- names from pull requests, in every report format ------------------------------------------

_HOSTILE_PIECES = st.sampled_from(
    [
        "\x1b[31m",
        "\x1b[2J",
        "\x1b]8;;http://x\x07",
        "\x9b",
        "\x85",
        "\u202e",
        "\u2066",
        "\u200f",
        "\u061c",
        "\u2028",
        "\n",
        "\n\n",
        "\r",
        "\t",
        "\x00",
        "`",
        "```",
        "|",
        "\\",
        "<img src=x onerror=alert(1)>",
        "[l](http://x)",
        "@org/team",
        "=",
        "+",
        "-",
        "@",
        " ",
        "#",
        "\udcff",  # a file-name byte that is not UTF-8
    ]
)
#: Names, file names and messages as a pull request could write them.
NAMES = st.lists(st.one_of(_HOSTILE_PIECES, st.text(max_size=4)), min_size=1, max_size=6).map("".join)


@PROFILE
@given(name=NAMES.filter(bool))
def test_scan_reports_show_any_name_safely(name: str) -> None:
    """Text, JSON and SARIF: no raw control or bidi character, the same lines, valid SARIF."""
    check_scan_formats(name)


@PROFILE
@given(name=NAMES.filter(bool), live=st.booleans())
def test_cost_reports_show_any_name_safely(name: str, live: bool) -> None:
    """Every cost format: no raw control or bidi character; the markdown outside its code spans
    and the CSV rows and columns are those of a plain name; formulas prefixed."""
    check_cost_formats(name, live)


def _template(name: str) -> str:
    client = {
        "Type": "AWS::Cognito::UserPoolClient",
        "Properties": {
            "UserPoolId": {"Ref": f"P{name}"},
            "ClientName": name,
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": [f"{name}/read"],
            "AccessTokenValidity": 5,
            "TokenValidityUnits": {"AccessToken": "minutes"},
        },
    }
    resources = {f"P{name}": {"Type": "AWS::Cognito::UserPool"}, f"C{name}": client}
    return json.dumps({"Resources": resources})


_COMMANDS = [
    ["scan", "--format", "text"],
    ["scan", "--format", "json"],
    ["scan", "--format", "sarif"],
    ["cost", "--format", "text"],
    ["cost", "--format", "json"],
    ["cost", "--format", "csv"],
    ["cost", "--format", "markdown"],
]


@PROFILE
@given(name=NAMES, command=st.sampled_from(_COMMANDS))
def test_hostile_file_names_and_logical_ids_never_reach_a_reader_raw(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    command: list[str],
) -> None:
    """A template whose file name, logical ids and client name are ``name``, and a broken file
    named after it: whatever the command and format, stdout and stderr hold no raw control or
    bidi character."""
    folder = tmp_path_factory.mktemp("names")
    (folder / ".git").mkdir()
    monkeypatch.chdir(folder)
    stem = name.replace("/", "_").replace("\x00", "_")[:60]
    good, bad = f"./{stem}.json", f"./{stem}-broken.json"
    # A logical id holding a lone surrogate is another matter: only file names are bytes.
    Path(good).write_text(_template(name.replace("\udcff", "")), encoding="utf-8")
    Path(bad).write_text('{"Resources": {"C": {"Type": "AWS::Cognito::UserPoolClient"', encoding="utf-8")
    code = main([command[0], good, bad, *command[1:]])
    out, err = capsys.readouterr()
    assert code == 2, err  # the broken file
    assert "Traceback" not in err and "internal error" not in err
    assert UNSAFE.search(out.replace("\n", "")) is None
    assert UNSAFE.search(err.replace("\n", "")) is None
    assert "invalid JSON" in out + err  # the text report says it on stdout
    if command[-1] in ("json", "sarif"):
        assert unsafe_strings(json.loads(out), help_lines=True) == []


# --- merge inputs ----------------------------------------------------------------------------------

_MERGE_SOURCES = {
    fmt: [json.loads(REPORTERS[fmt](result)) for result in (iac_result(), live_result(), hostile_result())]
    for fmt in ("sarif", "json")
}


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} written")


@st.composite
def merge_inputs(draw: st.DrawFn) -> tuple[list[tuple[str, str]], bool]:
    """(name, text) of one to three reports, each as written, edited, or nested deep somewhere;
    and whether every one is as m2m-guard wrote it."""
    fmt = draw(st.sampled_from(sorted(_MERGE_SOURCES)))
    texts, pristine = [], True
    for i in range(draw(st.integers(1, 3))):
        document = draw(st.sampled_from(_MERGE_SOURCES[fmt]))
        how = draw(st.integers(0, 3))
        if how == 1:
            document = draw(mutated(document))
        elif how == 2:
            document = copy.deepcopy(document)
            nodes = _nodes(document)
            container, key = nodes[draw(st.integers(0, len(nodes) - 1))]
            deep = container[key]
            for _ in range(draw(st.sampled_from([3, 70, 600]))):
                deep = [deep]
            container[key] = deep
        elif how == 3:
            fmt_other = "json" if fmt == "sarif" else "sarif"
            document = draw(st.sampled_from(_MERGE_SOURCES[fmt_other]))
        pristine = pristine and how == 0
        texts.append((f"r{i}.{fmt}", json.dumps(document)))
    return texts, pristine


@PROFILE
@given(inputs=merge_inputs())
def test_merge_never_crashes_and_writes_json_a_reader_can_print(
    inputs: tuple[list[tuple[str, str]], bool],
) -> None:
    texts, pristine = inputs
    try:
        merged = merge(texts)
    except MergeError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(("r0.", "r1.", "r2.", "cannot merge"))
        assert not pristine
        return
    out = dump_json(merged.document)
    document = json.loads(out, parse_constant=_no_constant)
    assert unsafe_strings(document, help_lines=True) == []
    if pristine and merged.kind == "sarif":
        assert schema_errors(document) == []
    # the same reports again add nothing, and the merged report merges into itself
    twice = merge(texts + [(f"again-{name}", text) for name, text in texts])
    assert twice.document == merged.document
    assert merge([("m", out), ("m2", out)]).document == merge([("m", out)]).document
