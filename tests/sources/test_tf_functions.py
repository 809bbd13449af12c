"""Terraform expressions m2m-guard evaluates in .tf files, each with Terraform's own semantics.

Every case is an expression as a module writes it, evaluated as a ``local`` of a root module (with
the variables given), and the value Terraform gives it: the examples and edge cases of each
function's page, https://developer.hashicorp.com/terraform/language/functions/NAME, unless a
comment names another source. ``ERROR`` marks what Terraform rejects (``try`` moves past it, and
``can`` is false); ``UNKNOWN`` a value not known before apply (never a guess).
"""

from __future__ import annotations

from typing import Any

import pytest

from m2m_guard.model import Unknown
from m2m_guard.sources.terraform_expr import Invalid
from m2m_guard.sources.tf_modules import Folder, Loader
from m2m_guard.sources.tf_scope import Scope

ERROR = object()
UNKNOWN = object()


def value_of(expr: str, variables: dict[str, str] | None = None, extra: str = "") -> Any:
    """``expr`` evaluated as ``local.v`` of a module with these variables (name -> default; an
    empty default: a variable without one) and ``extra`` blocks."""
    decls = "".join(
        f'variable "{name}" {{\n  default = {default}\n}}\n' if default else f'variable "{name}" {{}}\n'
        for name, default in (variables or {}).items()
    )
    text = f"{decls}{extra}\nlocals {{\n  v = {expr}\n}}\n"
    return Scope.of_root(Loader(), Folder("m", (("m/main.tf", text),))).local("v")


def check(expr: str, expected: Any, variables: dict[str, str] | None = None, extra: str = "") -> None:
    found = value_of(expr, variables, extra)
    if expected is ERROR:
        assert isinstance(found, Invalid), found
    elif expected is UNKNOWN:
        assert isinstance(found, Unknown) and not isinstance(found, Invalid), found
    else:
        assert not isinstance(found, Unknown), found
        assert found == expected
        assert type(found) is type(expected) or isinstance(found, list) and isinstance(expected, list)


# Variables the cases use: `unknown` has no default (its value is known only at plan time).
VARS = {"unknown": "", "m": '{ a = "ay", b = "bee" }', "nothing": "null", "empty": "[]"}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # coalesce: the first argument that is neither null nor an empty string; mixed types
        # are converted to one ("coalesce(1, "hello")" is "1")
        ('coalesce("a", "b")', "a"),
        ('coalesce("", "b")', "b"),
        ("coalesce(1, 2)", 1),
        ('coalesce(var.nothing, "x")', "x"),
        ('coalesce(1, "hello")', "1"),
        ('coalesce(true, "hello")', "true"),
        ('coalesce(["", "b"]...)', "b"),
        ('coalesce(var.nothing, "")', ERROR),  # no non-null, non-empty argument
        ("coalesce(var.unknown, 1)", UNKNOWN),  # the first may be set: not known
        ("coalesce(var.m.a, var.unknown)", "ay"),  # a known first argument is enough
        # coalescelist: the first non-empty list
        ('coalescelist(["a", "b"], ["c", "d"])', ["a", "b"]),
        ('coalescelist([], ["c", "d"])', ["c", "d"]),
        ('coalescelist([[], ["c", "d"]]...)', ["c", "d"]),
        # concat
        ('concat(["a", ""], ["b", "c"])', ["a", "", "b", "c"]),
        ('concat(["a"], "b")', ERROR),
        ('concat(["a"], [var.unknown])[0]', "a"),  # known elements stay known
        # compact removes null and empty strings
        ('compact(["a", "", "b", null, "c"])', ["a", "b", "c"]),
        # distinct keeps the first occurrence of each
        ('distinct(["a", "b", "a", "c", "d", "b"])', ["a", "b", "c", "d"]),
        # flatten, recursively
        ('flatten([["a", "b"], [], ["c"]])', ["a", "b", "c"]),
        ('flatten([[["a", "b"], []], ["c"]])', ["a", "b", "c"]),
        # sort: lexicographic, on strings (numbers are converted to strings first)
        ('sort(["e", "d", "a", "x"])', ["a", "d", "e", "x"]),
        ("sort([10, 9])", ["10", "9"]),
        ('sort(["a", null])', ERROR),
        # lookup
        ('lookup({a = "ay", b = "bee"}, "a", "what?")', "ay"),
        ('lookup({a = "ay", b = "bee"}, "c", "what?")', "what?"),
        ('lookup(var.m, "c")', ERROR),  # missing key and no default
        # merge: a later argument's key wins; go-cty's MergeFunc skips null arguments
        ('merge({a = "b", c = "d"}, {e = "f", c = "z"})', {"a": "b", "c": "z", "e": "f"}),
        ("merge(var.nothing, {a = 1})", {"a": 1}),
        # keys and values: in lexicographic order of the keys
        ("keys({a = 1, c = 2, d = 3})", ["a", "c", "d"]),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ("values({a = 3, c = 2, d = 1})", [3, 2, 1]),
        ("values({b = 1, a = 2})", [2, 1]),
        # element wraps around, in both directions; an empty list is an error
        ('element(["a", "b", "c"], 1)', "b"),
        ('element(["a", "b", "c"], 3)', "a"),
        ('element(["a", "b", "c"], -1)', "c"),
        ("element(var.empty, 0)", ERROR),
        # length of a list, a map, a string
        ("length([])", 0),
        ('length(["a", "b"])', 2),
        ('length({"a" = "b"})', 1),
        ('length("hello")', 5),
        ("length([var.unknown, 1])", 2),  # the number of elements is known
        # contains
        ('contains(["a", "b", "c"], "a")', True),
        ('contains(["a", "b", "c"], "d")', False),
        # join and split
        ('join(", ", ["foo", "bar", "baz"])', "foo, bar, baz"),
        ('join(", ", ["foo"])', "foo"),
        ('join("-", ["a"], ["b", "c"])', "a-b-c"),
        ('join(",", ["a", null])', ERROR),
        ('split(",", "foo,bar,baz")', ["foo", "bar", "baz"]),
        ('split(",", "foo")', ["foo"]),
        ('split(",", "")', [""]),
        # format
        ('format("Hello, %s!", "Ander")', "Hello, Ander!"),
        ('format("There are %d lights", 4)', "There are 4 lights"),
        ('format("%s/%s", "orders", "read")', "orders/read"),
        ('format("%03d%%", 7)', "007%"),
        ('format("%q", "x")', '"x"'),
        ('format("%s %s", "only one")', ERROR),
        # lower, upper, trimspace, replace
        ('lower("HELLO")', "hello"),
        ('upper("hello")', "HELLO"),
        ('trimspace("  hello\\n\\n")', "hello"),
        ('replace("1 + 2 + 3", "+", "-")', "1 - 2 - 3"),
        ('replace("hello world", "/w.*d/", "everybody")', UNKNOWN),  # a regular expression
        # min and max
        ("min(12, 54, 3)", 3),
        ("max(12, 54, 3)", 54),
        ("max([12, 54, 3]...)", 54),
        ('max("5", 2)', 5),  # a string of digits converts
        ("min()", ERROR),
        # conversions
        ('tolist(["a", "b", 3])', ["a", "b", "3"]),
        ('toset(["a", "b", "c"])', ["a", "b", "c"]),
        ('toset(["a", "b", 3])', ["3", "a", "b"]),
        ('toset(["c", "b", "b"])', ["b", "c"]),
        ('tomap({"a" = "foo", "b" = true})', {"a": "foo", "b": "true"}),
        ("tonumber(1)", 1),
        ('tonumber("1")', 1),
        ("tonumber(var.nothing)", None),
        ('tonumber("no")', ERROR),
        ('tostring("hello")', "hello"),
        ("tostring(1)", "1"),
        ("tostring(true)", "true"),
        ("tostring(var.nothing)", None),
        ("tostring([])", ERROR),
        # try: the first argument without an error; an unknown one makes the result unknown
        # (https://developer.hashicorp.com/terraform/language/functions/try)
        ('try(var.m.missing, "fallback")', "fallback"),
        ('try(var.m.a, "fallback")', "ay"),
        ('try(var.unknown.x, "fallback")', UNKNOWN),
        ('try(var.m["missing"], var.m.b)', "bee"),
        ("try(var.m.missing)", ERROR),
        # can: whether its argument has no error
        ("can(var.m.missing)", False),
        ("can(var.m.a)", True),
        ('can(regex("^a", "abc"))', UNKNOWN),  # regex is not evaluated
        ("can(var.unknown)", UNKNOWN),
        # any other function stays unknown, with its name (or its unknown argument's reason)
        ('regex("[a-z]+", "abc")', UNKNOWN),
        ('provider::aws::arn_parse("arn:aws:iam::123456789012:root")', UNKNOWN),
    ],
)
def test_function(expr: str, expected: Any) -> None:
    check(expr, expected, VARS)


def test_a_function_that_is_not_evaluated_is_named_in_the_reason() -> None:
    assert value_of('regex("[a-z]+", "abc")') == Unknown("regex() is not evaluated")
    # with what its arguments lack, when they lack something
    assert value_of('regex("[a-z]+", var.unknown)', VARS) == Unknown(
        "regex() is not evaluated (var.unknown has no default)"
    )


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # https://developer.hashicorp.com/terraform/language/expressions/for
        ('[for s in ["a", "b"] : upper(s)]', ["A", "B"]),
        ('[for i, s in ["a", "b"] : "${i}=${s}"]', ["0=a", "1=b"]),
        ('{for s in ["a", "b"] : s => upper(s)}', {"a": "A", "b": "B"}),
        # a map's elements in lexicographic order of their keys
        ('[for k, v in {b = 2, a = 1} : "${k}${v}"]', ["a1", "b2"]),
        ('[for s in ["a", "", "b"] : s if s != ""]', ["a", "b"]),
        # a set's key is its element
        ('[for k, v in toset(["b", "a"]) : "${k}${v}"]', ["aa", "bb"]),
        # grouping mode: values of the same key become a list
        (
            '{for p in [{k = "a", v = 1}, {k = "a", v = 2}, {k = "b", v = 3}] : p.k => p.v...}',
            {"a": [1, 2], "b": [3]},
        ),
        ('{for p in [{k = "a", v = 1}, {k = "a", v = 2}] : p.k => p.v}', ERROR),  # duplicate key
        ("[for s in var.unknown : s]", UNKNOWN),
        ("[for s in var.nothing : s]", ERROR),
        ('[for s in ["a"] : s if var.unknown]', UNKNOWN),
        # a for over a variable with a default
        ('[for c in var.clients : "${c}/read"]', ["billing/read", "stock/read"]),
    ],
)
def test_for_expression(expr: str, expected: Any) -> None:
    check(expr, expected, {**VARS, "clients": '["billing", "stock"]'})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # https://developer.hashicorp.com/terraform/language/expressions/conditionals
        ('true ? "a" : "b"', "a"),
        ('1 > 2 ? "a" : "b"', "b"),
        ('"true" ? 1 : 2', 1),  # the condition converts to a bool
        ("var.nothing ? 1 : 2", ERROR),  # a null condition is an error
        ("var.unknown ? 1 : 2", UNKNOWN),
        ('length(var.empty) > 0 ? var.empty : ["client_credentials"]', ["client_credentials"]),
        # https://developer.hashicorp.com/terraform/language/expressions/splat
        ("var.servers[*].id", ["orders", "stock"]),
        ("var.servers.*.id", ["orders", "stock"]),  # the legacy attribute-only splat
        ("var.servers[*].scopes[0]", ["read", "write"]),
        ("var.server[*].id", ["orders"]),  # a single value becomes a list of one
        ("var.nothing[*]", []),  # null becomes an empty list
        ("var.unknown[*].id", UNKNOWN),
        # operators convert as Terraform does
        ('"1" + 2', 3),
        ('"1" == 1', False),  # equality does not convert
        ("5 / 0", ERROR),
    ],
)
def test_conditional_splat_and_operators(expr: str, expected: Any) -> None:
    servers = '[{ id = "orders", scopes = ["read"] }, { id = "stock", scopes = ["write"] }]'
    check(expr, expected, {**VARS, "servers": servers, "server": '{ id = "orders" }'})


def test_locals_refer_to_each_other_in_any_order() -> None:
    extra = 'locals {\n  scope = "${local.server}/read"\n  server = lower(var.name)\n}\n'
    check("[local.scope]", ["orders/read"], {"name": '"ORDERS"'}, extra)
    loop = "locals {\n  a = local.b\n  b = local.a\n}\n"
    assert value_of("local.a", None, loop) == Unknown("local.a refers to itself")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        # https://developer.hashicorp.com/terraform/language/expressions/type-constraints:
        # optional attributes that the value lacks take their default, else null
        (
            "object({ name = string, ttl = optional(number, 60), scopes = optional(list(string)) })",
            '{ name = "svc", extra = true }',
            {"name": "svc", "ttl": 60, "scopes": None},
        ),
        (
            "map(object({ ttl = optional(number, 1) }))",
            "{ a = {}, b = { ttl = 2 } }",
            {"a": {"ttl": 1}, "b": {"ttl": 2}},
        ),
        ("number", '"5"', 5),  # primitives convert
        ("string", "5", "5"),
        ("set(string)", '["b", "a", "b"]', ["a", "b"]),
        ("object({ name = string })", "{}", ERROR),  # a required attribute is missing
    ],
)
def test_variable_type_constraints_convert_the_value(kind: str, value: str, expected: Any) -> None:
    extra = f'variable "typed" {{\n  type    = {kind}\n  default = {value}\n}}\n'
    check("var.typed", expected, None, extra)


def test_try_over_an_optional_attribute_of_a_typed_variable_is_its_default() -> None:
    # the pattern of modules that take a map of clients: try(each.value.x, default)
    extra = (
        'variable "clients" {\n  type = map(object({ ttl = optional(number) }))\n  default = { a = {} }\n}\n'
    )
    check('coalesce(try(var.clients["a"].ttl, null), 1)', 1, None, extra)
