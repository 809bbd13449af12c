"""m2m-guard's HCL native-syntax parser: every construct, line numbers, errors, bounds, corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from m2m_guard.sources import hcl_ast as ast
from m2m_guard.sources.document import SourceError
from m2m_guard.sources.hcl_syntax import MAX_DEPTH, parse

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "terraform"


def expr(source: str) -> ast.Expr:
    """The expression of ``x = <source>``."""
    (item,) = parse(f"x = {source}\n").items
    assert isinstance(item, ast.Attribute)
    return item.expr


def error(text: str) -> tuple[str, int | None]:
    with pytest.raises(SourceError) as caught:
        parse(text)
    assert "\n" not in caught.value.message
    return caught.value.message, caught.value.line


def var(name: str, line: int = 1) -> ast.Variable:
    return ast.Variable(name, line)


def num(text: str, line: int = 1) -> ast.Number:
    return ast.Number(text, line)


# --- structure ------------------------------------------------------------------------------------


def test_body_keeps_attributes_and_blocks_in_order_with_lines() -> None:
    text = """\
# a comment
region = "eu-west-1"

resource "aws_cognito_user_pool_client" svc {
  name = "svc"

  token_validity_units {
    access_token = "minutes"
  }
}
locals { a = 1 }
empty {}
"""
    body = parse(text)
    assert body == ast.Body(
        (
            ast.Attribute("region", ast.Template(("eu-west-1",), 2), 2),
            ast.Block(
                "resource",
                ("aws_cognito_user_pool_client", "svc"),
                ast.Body(
                    (
                        ast.Attribute("name", ast.Template(("svc",), 5), 5),
                        ast.Block(
                            "token_validity_units",
                            (),
                            ast.Body((ast.Attribute("access_token", ast.Template(("minutes",), 8), 8),)),
                            7,
                        ),
                    )
                ),
                4,
            ),
            ast.Block("locals", (), ast.Body((ast.Attribute("a", num("1", 11), 11),)), 11),
            ast.Block("empty", (), ast.Body(()), 12),
        )
    )


def test_empty_and_comment_only_files() -> None:
    assert parse("") == ast.Body(())
    assert parse("# nothing\n// here\n/* at\nall */\n") == ast.Body(())


def test_last_line_needs_no_newline() -> None:
    assert parse("a = 1").items == (ast.Attribute("a", num("1"), 1),)


def test_crlf_bom_and_unicode_identifiers() -> None:
    body = parse('\ufeffcafé = 1\r\nmy-name = über\r\nblock "ünï" {\r\n  x = "y"\r\n}\r\n')
    assert body.items == (
        ast.Attribute("café", num("1"), 1),
        ast.Attribute("my-name", var("über", 2), 2),
        ast.Block("block", ("ünï",), ast.Body((ast.Attribute("x", ast.Template(("y",), 4), 4),)), 3),
    )


def test_line_numbers_count_block_comments_and_heredocs() -> None:
    body = parse("/* one\ntwo\n*/ a = 1\nb = <<EOF\nx\ny\nEOF\nc = 3\n")
    assert [item.line for item in body.items] == [3, 4, 8]


# --- literals and templates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("42", num("42")),
        ("4.5", num("4.5")),
        ("1e3", num("1e3")),
        ("2.5E-2", num("2.5E-2")),
        ("true", ast.Literal(True, 1)),
        ("false", ast.Literal(False, 1)),
        ("null", ast.Literal(None, 1)),
    ],
)
def test_literals(source: str, expected: ast.Expr) -> None:
    assert expr(source) == expected


def test_string_escapes() -> None:
    assert expr(r'"a\nb\t\"q\"\\ \u00e9\U0001F600 $${x} %%{y} $ % 100%"') == ast.Template(
        ('a\nb\t"q"\\ é\U0001f600 ${x} %{y} $ % 100%',), 1
    )


def test_template_interpolation_and_directives() -> None:
    template = expr('"id-${var.a}%{ if var.b }yes%{ else }no%{ endif }%{ for k, v in m }${k}%{ endfor }"')
    assert template == ast.Template(
        (
            "id-",
            ast.Interpolation(ast.GetAttr(var("var"), "a", 1), 1),
            ast.TemplateIf(ast.GetAttr(var("var"), "b", 1), ("yes",), ("no",), 1),
            ast.TemplateFor("k", "v", var("m"), (ast.Interpolation(var("k"), 1),), 1),
        ),
        1,
    )
    assert expr('"%{for v in m}x%{endfor}%{if c}y%{endif}"') == ast.Template(
        (ast.TemplateFor(None, "v", var("m"), ("x",), 1), ast.TemplateIf(var("c"), ("y",), (), 1)), 1
    )


def test_strip_markers_remove_whitespace_on_their_side() -> None:
    assert expr('"a  ${~ x ~}  b %{~ if c ~} \t d %{~ endif ~} e"') == ast.Template(
        (
            "a",
            ast.Interpolation(var("x"), 1, strip_left=True, strip_right=True),
            "b",
            ast.TemplateIf(var("c"), ("d",), (), 1),
            "e",
        ),
        1,
    )


def test_strip_markers_remove_newlines_too() -> None:
    heredoc = expr("<<EOF\n%{ for v in m ~}\n${v}\n%{~ endfor }\nEOF\n")
    assert heredoc == ast.Heredoc(
        "EOF",
        False,
        ast.Template(
            (ast.TemplateFor(None, "v", var("m", 2), (ast.Interpolation(var("v", 3), 3),), 2), "\n"), 1
        ),
        1,
    )


def test_interpolation_may_span_lines_and_hold_strings() -> None:
    template = expr('"${\n  lookup(m,\n    "k")\n}"')
    assert template == ast.Template(
        (ast.Interpolation(ast.Call("lookup", (var("m", 2), ast.Template(("k",), 3)), False, 2), 1),), 1
    )


def test_heredocs() -> None:
    assert expr("<<EOF\n  one\n${two}\n$${three} \\n\nEOF\n") == ast.Heredoc(
        "EOF",
        False,
        ast.Template(("  one\n", ast.Interpolation(var("two", 3), 3), "\n${three} \\n\n"), 1),
        1,
    )
    assert expr("<<-EOT\n    one\n      two\n\n    EOT\n") == ast.Heredoc(
        "EOT", True, ast.Template(("one\n  two\n\n",), 1), 1
    )
    assert expr("<<EOF\nEOF\n") == ast.Heredoc("EOF", False, ast.Template((), 1), 1)
    # a line that starts with a sequence has no indentation, so <<- removes none
    assert expr("<<-EOT\n    a\n${x}\n  b\n  EOT\n") == ast.Heredoc(
        "EOT", True, ast.Template(("    a\n", ast.Interpolation(var("x", 3), 3), "\n  b\n"), 1), 1
    )


def test_heredoc_end_marker_must_stand_alone() -> None:
    assert expr("<<EOF\nEOF and more\n  EOF\n") == ast.Heredoc(
        "EOF", False, ast.Template(("EOF and more\n",), 1), 1
    )


# --- collections ----------------------------------------------------------------------------------


def test_tuples_with_newlines_and_trailing_comma() -> None:
    assert expr("[]") == ast.TupleExpr((), 1)
    assert expr('[\n  1,\n  "a",\n]') == ast.TupleExpr((num("1", 2), ast.Template(("a",), 3)), 1)


def test_objects_with_either_separator_and_key_kinds() -> None:
    obj = expr('{\n  a = 1, b: 2\n  "c" = 3\n  (d) = 4\n  true = 5\n}')
    assert obj == ast.ObjectExpr(
        (
            ast.ObjectItem(var("a", 2), num("1", 2), True, 2),
            ast.ObjectItem(var("b", 2), num("2", 2), True, 2),
            ast.ObjectItem(ast.Template(("c",), 3), num("3", 3), False, 3),
            ast.ObjectItem(ast.Parens(var("d", 4), 4), num("4", 4), False, 4),
            ast.ObjectItem(var("true", 5), num("5", 5), True, 5),
        ),
        1,
    )
    assert expr("{}") == ast.ObjectExpr((), 1)


# --- traversals, splats and calls ----------------------------------------------------------------------


def test_attribute_index_and_legacy_index() -> None:
    assert expr('a.b[0]["k"]') == ast.Index(
        ast.Index(ast.GetAttr(var("a"), "b", 1), num("0"), 1), ast.Template(("k",), 1), 1
    )
    assert expr("a.0.1.b") == ast.GetAttr(
        ast.Index(ast.Index(var("a"), num("0"), 1, legacy=True), num("1"), 1, legacy=True), "b", 1
    )


def test_splats_keep_their_following_traversal() -> None:
    item = ast.SplatItem(1)
    assert expr("a.*.id") == ast.Splat(var("a"), ast.GetAttr(item, "id", 1), False, 1)
    assert expr("a[*].b[0]") == ast.Splat(
        var("a"), ast.Index(ast.GetAttr(item, "b", 1), num("0"), 1), True, 1
    )
    # after an attribute splat, an index applies to the result
    assert expr("a.*.b[0]") == ast.Index(
        ast.Splat(var("a"), ast.GetAttr(item, "b", 1), False, 1), num("0"), 1
    )
    assert expr("a[*]") == ast.Splat(var("a"), item, True, 1)


def test_function_calls() -> None:
    assert expr("f()") == ast.Call("f", (), False, 1)
    assert expr("concat(a,\n  b,\n)") == ast.Call("concat", (var("a"), var("b", 2)), False, 1)
    assert expr("max(list...)") == ast.Call("max", (var("list"),), True, 1)
    assert expr("provider::aws::arn_parse(x)") == ast.Call("provider::aws::arn_parse", (var("x"),), False, 1)
    assert error("x = provider :: aws\n") == ("invalid HCL: unexpected ':'", 1)


# --- operators ------------------------------------------------------------------------------------


def binary(op: str, left: ast.Expr, right: ast.Expr) -> ast.Binary:
    return ast.Binary(op, left, right, 1)


def test_binary_precedence_and_left_associativity() -> None:
    a, b, c = var("a"), var("b"), var("c")
    assert expr("a + b * c") == binary("+", a, binary("*", b, c))
    assert expr("a - b - c") == binary("-", binary("-", a, b), c)
    assert expr("a || b && c") == binary("||", a, binary("&&", b, c))
    assert expr("a == b && b != c") == binary("&&", binary("==", a, b), binary("!=", b, c))
    assert expr("a < b == b >= c") == binary("==", binary("<", a, b), binary(">=", b, c))
    assert expr("a % b / c") == binary("/", binary("%", a, b), c)
    assert expr("(a + b) * c") == binary("*", ast.Parens(binary("+", a, b), 1), c)


def test_unary_and_conditional() -> None:
    a, b = var("a"), var("b")
    assert expr("!a && -b > 1") == binary(
        "&&", ast.Unary("!", a, 1), binary(">", ast.Unary("-", b, 1), num("1"))
    )
    assert expr("!!a") == ast.Unary("!", ast.Unary("!", a, 1), 1)
    assert expr("a ? 1 : b ? 2 : 3") == ast.Conditional(
        a, num("1"), ast.Conditional(b, num("2"), num("3"), 1), 1
    )
    assert expr("a == 1 ? b : null") == ast.Conditional(binary("==", a, num("1")), b, ast.Literal(None, 1), 1)


def test_for_expressions() -> None:
    assert expr('[for s in var.list : upper(s) if s != ""]') == ast.ForExpr(
        None,
        "s",
        ast.GetAttr(var("var"), "list", 1),
        None,
        ast.Call("upper", (var("s"),), False, 1),
        binary("!=", var("s"), ast.Template((), 1)),
        False,
        1,
    )
    assert expr("{\n  for k, v in m :\n  v => k...\n  if k\n}") == ast.ForExpr(
        "k", "v", var("m", 2), var("v", 3), var("k", 3), var("k", 4), True, 1
    )


# --- newlines -------------------------------------------------------------------------------------


def test_newlines_are_ignored_inside_brackets_and_separate_items_elsewhere() -> None:
    assert expr("(\n  a\n  +\n  b\n)") == ast.Parens(ast.Binary("+", var("a", 2), var("b", 4), 2), 1)
    assert expr("a[\n  0\n]") == ast.Index(var("a"), num("0", 2), 1)
    assert error("x = 1 y = 2\n") == ("invalid HCL: unexpected 'y'", 1)
    assert error("x = { a = 1 b = 2 }\n") == ("invalid HCL: unexpected 'b'", 1)
    assert error("x = a\n  .b\n") == ("invalid HCL: unexpected '.'", 2)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a {\n  x = 1\n  y = [1,\n}\n", "invalid HCL: unexpected '}'", 4),
        ("a {\n  x = 1\n", "invalid HCL: unexpected end of file", 3),
        ("}\n", "invalid HCL: unexpected '}'", 1),
        ("a = 1\n\nb = \x01\n", "invalid HCL: unexpected '\\x01'", 3),
        ("a = ~\n", "invalid HCL: unexpected '~'", 1),
        ("a\n", "invalid HCL: unexpected end of line", 1),
        ('a = 1\nb = "one\n  two"\n', "invalid HCL: unterminated string", 2),
        ('a = 1\nb = "abc', "invalid HCL: unterminated string", 2),
        ("a = 1\nb = <<EOF\nabc\n", "invalid HCL: unterminated heredoc", 2),
        ("a = 1\n/* x\n\n", "invalid HCL: unterminated comment", 2),
        ('a = 1\nb = "${x\n\n', "invalid HCL: unterminated template sequence", 2),
        ('a = "\\q"\n', "invalid HCL: invalid escape sequence '\\\\q' in a string", 1),
        ('a = "\n%{ while x }"\n', "invalid HCL: unterminated string", 1),
        ('a = "%{ while x }"\n', "invalid HCL: unknown template directive 'while'", 1),
        ('a = "%{ else }"\n', "invalid HCL: %{else} without a matching %{if}", 1),
        ('a = "%{ if x }%{ endfor }"\n', "invalid HCL: %{endfor} without a matching %{for}", 1),
        ('a = "x\n', "invalid HCL: unterminated string", 1),
        ('a = "\n\n"\n', "invalid HCL: unterminated string", 1),
        ('a = "%{ if x }"\n', "invalid HCL: %{if} without %{endif}", 1),
        ('a = "%{ for x in y }"\n', "invalid HCL: %{for} without %{endfor}", 1),
        ('block "${x}" {}\n', "invalid HCL: a block label cannot contain a template sequence", 1),
        ("a = [for x in y x]\n", "invalid HCL: unexpected 'x'", 1),
        ("a = x.1e3\n", "invalid HCL: unexpected '1e3'", 1),
        ("a = f(x...,y)\n", "invalid HCL: unexpected 'y'", 1),
        ("a = 1 + \n", "invalid HCL: unexpected end of file", 2),
        ("a = b ~}\n", "invalid HCL: unexpected '~'", 1),  # "~}" closes only ${ or %{
        ('a = "${ ~}"\n', "invalid HCL: unexpected '~}'", 1),
        ('a = "%{ for x y }%{ endfor }"\n', "invalid HCL: unexpected 'y'", 1),
        ("a = { b 1 }\n", "invalid HCL: unexpected '1'", 1),
    ],
)
def test_errors_are_one_line_with_the_line_where_the_problem_starts(
    text: str, message: str, line: int
) -> None:
    assert error(text) == (message, line)


def test_first_error_in_the_file_wins() -> None:
    # a parse error on line 1 comes before the lexical error (unterminated string) on line 2
    assert error('a = = 1\nb = "x\n') == ("invalid HCL: unexpected '='", 1)


# --- bounds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opening",
    ["[", "(", "{ a = ", '"${', "f(", "!", "-", "[for x in y : ", "a ? b : "],
)
def test_deep_nesting_is_a_clean_error_never_recursion(opening: str) -> None:
    closing = {"[": "]", "(": ")", "{ a = ": "}", '"${': '}"', "f(": ")", "[for x in y : ": "]"}.get(
        opening, ""
    )
    depth = 20_000
    try:
        parse(f"x = {opening * depth}1{closing * depth}\n")
    except SourceError as exc:
        assert "nested" in exc.message and exc.line == 1


def test_nesting_up_to_the_bound_is_read() -> None:
    depth = MAX_DEPTH - 2  # the attribute's own expression is one level
    assert isinstance(expr("[" * depth + "1" + "]" * depth), ast.TupleExpr)
    with pytest.raises(SourceError, match="nested more than"):
        expr("[" * (MAX_DEPTH + 1) + "1" + "]" * (MAX_DEPTH + 1))
    blocks = "a {\n" * (MAX_DEPTH + 1) + "}\n" * (MAX_DEPTH + 1)
    assert error(blocks) == (f"invalid HCL: nested more than {MAX_DEPTH} levels deep", MAX_DEPTH + 1)


def test_a_caller_already_deep_in_the_stack_gets_a_clean_error() -> None:
    text = "x = " + "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2) + "\n"

    def nested(levels: int) -> ast.Body:
        return parse(text) if levels == 0 else nested(levels - 1)

    try:
        nested(sys.getrecursionlimit() - 150)
    except SourceError as exc:
        assert exc.message == "invalid HCL: nested too deeply"


HCL_ALPHABET = st.sampled_from(
    list("abcxyz019_-.,:;=!<>?+*/%&|~$#\"'\\{}[]()\n\t é")
    + ["${", "%{", "<<EOF\n", "EOF", "for ", " in ", "/*"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(HCL_ALPHABET, max_size=60).map("".join))
def test_any_text_parses_or_is_a_source_error(text: str) -> None:
    try:
        parse(text)
    except SourceError as exc:
        assert "\n" not in exc.message
        assert exc.line is None or 1 <= exc.line <= text.count("\n") + 1


# --- real Terraform -------------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/terraform not present")
def test_every_tf_file_of_the_corpus_parses() -> None:
    files = sorted(CORPUS.rglob("*.tf"))
    assert files
    for path in files:
        body = parse(path.read_text(encoding="utf-8"))
        assert body.items, path


@pytest.mark.parametrize(
    "value", ["1CANARYq9secret", '"CANARYq9secret" "x"', "CANARYq9secret +", "[CANARYq9secret"]
)
def test_an_error_in_a_secret_attribute_never_quotes_its_value(value: str) -> None:
    text = f'resource "aws_cognito_user_pool_client" "c" {{\n  client_secret = {value}\n}}\n'
    with pytest.raises(SourceError) as caught:
        parse(text)
    assert "CANARY" not in caught.value.message
    assert caught.value.message == "invalid HCL: the value of client_secret (not shown) cannot be read"
