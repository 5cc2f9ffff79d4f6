"""The parser (dsl/parser.py, dsl/grammar.lark): errors, positions, robustness.

What is checked, and why:

- every entry of `SYNTAX_ERRORS` gives its code on its own examples and on one
  new example written here, so the table really generalises beyond the
  strings it lists; a syntax error points at the right line and column;
- spans: line and column of a few nodes, so diagnostics and traces point at
  the right place;
- names: Unicode identifiers, and data identifiers that are keywords elsewhere;
- the grammar builds with `strict=True` (no shift/reduce conflict, no
  colliding terminals);
- regressions for bugs found while writing the formatter (see each test);
- fuzzing: arbitrary text, token soup and `from_lark` texts with random
  mutations raise nothing but `ParseError` (an `InternalError` or any other
  exception fails), and a fuzz text that parses survives the formatter.

This is the only test that imports Lark; everything else goes through `parse`.
"""

from __future__ import annotations

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from dsl import ast
from dsl.diagnostics import ParseError, render_plain
from dsl.formatter import format_text
from dsl.parser import GRAMMAR_PATH, SYNTAX_ERRORS, parse

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW_FUZZ = settings(FUZZ, max_examples=100)  # from_lark draws slowly


def parse_error(text: str) -> ParseError:
    with pytest.raises(ParseError) as raised:
        parse(text, "bad.rules")
    return raised.value


# ---- syntax errors written from examples ---------------------------------------------

# One example per code that is not in SYNTAX_ERRORS: it fails in the same LR
# state as a listed example, but deeper in the parser's stack (inside
# parentheses, a wider row, more items), which Lark's own `match_examples`
# would not have matched.
NEW_EXAMPLES = {
    "missing_type": 'input 研发投入 "研发投入" count [万元]\n',
    "missing_equals": "let total_score sum(for s in xs: s)\n",
    "unclosed_block": 'indicator rd_score "研发投入" {\n  points 8\n  score rd_band.points\n',
    "bad_table_cell": "table t {\n  | x | y | => z |\n  | - | ≥ | 1 |\n}\n",
    "incomplete_expression": "let x = (a + b) * (c +\n",
}

LISTED_EXAMPLES = [(code, example) for code, _, _, examples in SYNTAX_ERRORS for example in examples]


def test_every_syntax_error_code_has_a_new_example():
    assert set(NEW_EXAMPLES) == {code for code, *_ in SYNTAX_ERRORS}
    assert not set(NEW_EXAMPLES.values()) & {example for _, example in LISTED_EXAMPLES}


@pytest.mark.parametrize("code, text", LISTED_EXAMPLES + sorted(NEW_EXAMPLES.items()))
def test_syntax_error_examples_give_their_code(code, text):
    diagnostic = parse_error(text).diagnostic
    message, hint = next((m, h) for c, m, h, _ in SYNTAX_ERRORS if c == code)
    assert (diagnostic.code, diagnostic.message, diagnostic.hint) == (code, message, hint)
    assert diagnostic.span.path == "bad.rules"


@pytest.mark.parametrize("text", [
    "veto v {\n  require a\n  require b\n",
    "input x : record {\n  a : bool\n",
    "example e {\n",
    "param p = {\n  a: 1\n  b: 2\n",
    'standard s "t" {\n  a "b"\n  c "d"\n',
    "group g {\n  group h {\n    input a : bool\n  }\n",
])
def test_any_block_left_open_is_unclosed_block(text):
    # Lark gives each block kind, after each number of items, its own LR state;
    # examples cannot list them all, so the parser has a rule for the end of file.
    diagnostic = parse_error(text).diagnostic
    assert diagnostic.code == "unclosed_block"
    assert diagnostic.span.start.line == text.count("\n")


@pytest.mark.parametrize("text, line, column, code", [
    ("input x : bool\nlet y = 1 ) 2\n", 2, 11, "syntax_error"),
    ("input x : bool\n\nlet y = 1 $ 2\n", 3, 11, "unexpected_character"),
    ('indicator x "l" {\n  points 5\n', 2, 11, "unclosed_block"),  # end of the last line
    ("let x 1\n", 1, 7, "missing_equals"),
    ("group g {\n  input x : bool\n  let y = (1 +\n}\n", 3, 15, "incomplete_expression"),
    ("let 1x = 2\n", 1, 5, "syntax_error"),
])
def test_syntax_error_points_at_line_and_column(text, line, column, code):
    diagnostic = parse_error(text).diagnostic
    assert diagnostic.code == code
    assert (diagnostic.span.start.line, diagnostic.span.start.column) == (line, column)


def test_syntax_error_renders_a_caret_under_the_culprit():
    rendered = render_plain(parse_error("let y = 1 ) 2\n").diagnostic, "let y = 1 ) 2\n")
    first, source_line, caret = rendered.splitlines()[:3]
    assert first.startswith("bad.rules:1:11: error[syntax_error]: unexpected `)`")
    assert caret.index("^") == source_line.index(")")


def test_unexpected_token_lists_what_was_expected():
    diagnostic = parse_error("indicator i {\n  points\n}\n").diagnostic
    assert diagnostic.message == "unexpected end of line"
    assert diagnostic.hint == "expected a number"


# ---- spans ----------------------------------------------------------------------------

SPANNED = """\
input x "标签" : bool
let y = a + b  # sum
table t {
  | a | => b |
}
"""


def test_spans_give_line_and_column():
    tree = parse(SPANNED, "spans.rules")
    input_, let, comment, table = tree.items
    assert isinstance(comment, ast.Comment) and comment.trailing
    assert (input_.span.path, input_.span.start.line, input_.span.start.column) == ("spans.rules", 1, 1)
    assert input_.span.end.line == 1
    assert (let.expr.span.start.line, let.expr.span.start.column, let.expr.span.end.column) == (2, 9, 14)
    assert (let.expr.right.span.start.column, let.expr.right.span.start.offset) == (13, SPANNED.index("b  #"))
    assert (comment.span.start.line, comment.span.start.column) == (2, 16)
    assert (table.span.start.line, table.span.end.line) == (3, 5)
    row = table.items[0]
    assert (row.span.start.line, row.span.start.column) == (4, 3)
    assert row.cells[1] == ast.OutputHead("b")
    assert (row.cells[1].span.start.column, row.cells[1].span.end.column) == (9, 13)


def test_span_after_continuation_line():
    tree = parse("let y = a \\\n  + b\n")
    binary = tree.items[0].expr
    assert (binary.span.start.line, binary.span.end.line, binary.right.span.start.column) == (1, 2, 5)


# ---- names ----------------------------------------------------------------------------

def test_unicode_identifiers_parse():
    tree = parse('input 研发投入 "研发投入" : number [万元]\nlet ratio_ä = 研发投入 / größe\n')
    assert tree.items[0].name == "研发投入"
    assert tree.items[1].name == "ratio_ä"
    assert tree.items[1].expr == ast.Binary("/", ast.Name("研发投入"), ast.Name("größe"))


def test_keywords_are_names_where_no_keyword_fits():
    tree = parse("input level : bool\ninput count : count\nlet grade = level and count > 0\n"
                 "indicator i {\n  level grade\n}\n")
    assert [item.name for item in tree.items[:3]] == ["level", "count", "grade"]
    assert tree.items[1].type == ast.NumberType(integer=True, unit=None)
    assert tree.items[3].items == (ast.LevelItem(ast.Name("grade")),)


# ---- the grammar ----------------------------------------------------------------------

def test_grammar_builds_in_strict_mode():
    lark.Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", strict=True)


# ---- regressions ----------------------------------------------------------------------

@pytest.mark.parametrize("separator", ["\u2028", "\x0c", "\x85", "\r"])
def test_line_separators_inside_a_string_do_not_start_a_comment(separator):
    # scan_comments once split lines with str.splitlines, which breaks at these
    # characters while Lark does not: the `#` in the string became a comment.
    tree = parse(f'let x = "a{separator}# not a comment"  # real\n')
    assert tree.items == (ast.Let("x", None, None, ast.String(f"a{separator}# not a comment")),
                          ast.Comment("real", trailing=True))


def test_form_feed_before_a_comment_keeps_it_trailing():
    assert parse("let x = a\f# c\n").items[1] == ast.Comment("c", trailing=True)


@pytest.mark.parametrize("unit", ["[a#b]", '[a"b]'])
def test_unit_cannot_hold_comment_or_quote_characters(unit):
    # A `#` in a unit used to be read as a comment by the comment scanner.
    diagnostic = parse_error(f"input x : number {unit}\n").diagnostic
    assert (diagnostic.message, diagnostic.span.start.column) == ("unexpected `[`", 18)


@pytest.mark.parametrize("length", ["1.5..2", "1..2%"])
def test_length_needs_whole_numbers(length):
    # `int("1.5")` in the transformer used to escape as an InternalError.
    diagnostic = parse_error(f"input x : list of number length {length}\n").diagnostic
    assert diagnostic.code == "bad_length"
    assert (diagnostic.span.start.line, diagnostic.span.start.column) == (1, 26)


@pytest.mark.parametrize("text", ["let x = " + "-" * 3000 + "1\n", "let x = " + "not " * 3000 + "a\n"])
def test_deep_nesting_is_a_parse_error(text):
    # The recursive tree walk used to leak a RecursionError.
    assert parse_error(text).diagnostic.code == "too_deeply_nested"


def test_interval_bounds_must_run_upwards():
    assert parse_error("table t {\n  | a | => b |\n  | [inf, 1] | 1 |\n}\n").diagnostic.code == "bad_interval"


# ---- fuzzing ----------------------------------------------------------------------------

GRAMMAR = lark.Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr")
TOKENS = ["input", "param", "let", "table", "group", "indicator", "record", "list of", "enum", "bool",
          "number", "count", "x", "研发", '"l"', "§", "1", "4%", ":", "=", "{", "}", "(", ")", "[", "]",
          "|", "=>", "-", "+", "≥", "<", "inf", "and", "not", "if", "then", "else", "for", "in", "..",
          ",", ".", "#", "\\", " ", " ", "\n", "\n", "\t", '"', "range", "length", "default", "hit"]


def assert_parses_or_rejects(text: str):
    """`text` parses, and then survives the formatter, or it raises ParseError."""
    try:
        tree = parse(text)
    except ParseError:
        return
    formatted = format_text(text)
    assert parse(formatted) == tree
    assert format_text(formatted) == formatted


@st.composite
def mutated(draw, texts):
    """A text from `texts` with a few characters deleted, inserted or duplicated."""
    text = draw(texts)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        change = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if change == "delete":
            text = text[:at] + text[at + 1:]
        elif change == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.characters()) + text[at:]
        else:
            text = text[:at] + text[at:at + 5] + text[at:]
    return text


@FUZZ
@given(st.text())
def test_arbitrary_text_raises_only_parse_error(text):
    assert_parses_or_rejects(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_token_soup_raises_only_parse_error(text):
    assert_parses_or_rejects(text)


@SLOW_FUZZ
@given(from_lark(GRAMMAR))
def test_grammar_text_raises_only_parse_error(text):
    # from_lark places %ignore'd text (comments, continuations) anywhere, so
    # not every text it draws is valid; the property is about what `parse` raises.
    assert_parses_or_rejects(text)


@SLOW_FUZZ
@given(mutated(from_lark(GRAMMAR)))
def test_mutated_grammar_text_raises_only_parse_error(text):
    assert_parses_or_rejects(text)
