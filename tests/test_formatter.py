"""The formatter (dsl/formatter.py): round trip, fixed point, layout.

Two properties hold for every valid text `x` and every tree `t`:

- `parse(format_text(x)) == parse(x)` and `parse(format_file(t)) == t`: the
  formatter loses nothing, comments included (spans take no part in `==`);
- `format_text(format_text(x)) == format_text(x)`: the layout is a fixed point.

They are checked on every rule file of the repository, on random trees from
tests/strategies.py, on random trees of long statements (`long_rule_files`
below, whose expressions are long enough to be wrapped), and on random
expressions through `format_expr`. The layout itself is pinned by golden files,
tests/golden/format/<case>.rules in black's layout: the input, a line
`# output`, then the expected output (`pytest --update-goldens` rewrites the
expected part), and by a few direct tests of what the goldens show less
sharply: precedence, column alignment, the blank-line rule and wrapping.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import strategies
from dsl import ast
from dsl.formatter import WIDTH, format_expr, format_file, format_text
from dsl.parser import parse
from dsl.source import display_width

REPO = Path(__file__).resolve().parents[1]
RULE_FILES = sorted({*REPO.glob("standards/**/*.rules"), *REPO.glob("tests/**/*.rules")})
GOLDEN_DIR = REPO / "tests" / "golden" / "format"
GOLDEN_CASES = sorted(GOLDEN_DIR.glob("*.rules"))
OUTPUT_MARKER = re.compile(r"^# output\n", re.MULTILINE)

GENERATED = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def expr_of(source: str) -> ast.Expr:
    return parse(f"let probe = {source}\n").items[0].expr


# ---- the two properties on real files -----------------------------------------

def test_the_corpus_is_not_empty():
    assert any(path.parts[-4:-1] == ("standards", "tsgipa-nev", "2025-draft") for path in RULE_FILES)
    assert len(GOLDEN_CASES) >= 5


def chunks(path: Path) -> list[str]:
    """The rule texts of a file: checker fixtures (tests/check) hold several,
    separated by `---` lines (never valid syntax); other files hold one."""
    return re.split(r"^[ \t]*---[ \t]*\n", path.read_text(encoding="utf-8"), flags=re.MULTILINE)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_rule_file_round_trips_and_is_a_fixed_point(path):
    for text in chunks(path):
        formatted = format_text(text, str(path))
        assert parse(formatted, str(path)) == parse(text, str(path))
        assert format_text(formatted, str(path)) == formatted


# ---- the two properties on generated trees ---------------------------------------

@GENERATED
@given(strategies.rule_files)
def test_generated_tree_round_trips_and_is_a_fixed_point(tree):
    formatted = format_file(tree)
    reparsed = parse(formatted, tree.path)
    assert reparsed == tree
    assert format_file(reparsed) == formatted


# Statements long enough to be wrapped: long names, more leaves, every kind of
# statement that ends in an expression, nested in groups so they start at
# several depths. (tests/strategies.py keeps its names short, so its trees
# rarely reach the width.)
long_names = st.text(strategies.NAME_ALPHABET, min_size=6, max_size=22).map(lambda tail: "n_" + tail)
long_atoms = st.one_of(strategies.numbers, st.builds(ast.String, strategies.strings),
                       st.builds(ast.Name, long_names), st.builds(ast.Undetermined, strategies.strings))
long_expressions = st.recursive(long_atoms, strategies._extend, max_leaves=24)
long_applies = st.builds(ast.AppliesWhen, long_expressions, strategies.optional_strings)
long_statements = st.one_of(
    st.builds(ast.Let, long_names, strategies.optional_strings, strategies.optional_strings,
              long_expressions, st.booleans()),
    st.builds(ast.Param, long_names, strategies.optional_strings, strategies.optional_strings,
              long_expressions | st.builds(ast.MapValue, strategies.block_items(
                  st.builds(ast.MapEntry, strategies.map_keys, long_expressions)))),
    st.builds(ast.Bonus, long_names, strategies.optional_strings, strategies.optional_strings,
              long_expressions, long_expressions),
    st.builds(ast.Indicator, long_names, strategies.optional_strings, strategies.optional_strings,
              strategies.block_items(st.one_of(st.builds(ast.ScoreItem, long_expressions),
                                               st.builds(ast.LevelItem, long_expressions), long_applies))),
    st.builds(ast.Veto, long_names, strategies.optional_strings, strategies.optional_strings,
              strategies.block_items(st.builds(ast.RequireItem, long_expressions) | long_applies)),
)
long_declarations = st.recursive(
    long_statements,
    lambda inner: st.builds(ast.Group, strategies.names, strategies.optional_strings,
                            strategies.optional_strings, strategies.block_items(inner | long_applies)),
    max_leaves=4)
long_rule_files = st.builds(ast.RuleFile, st.just("<generated>"),
                            strategies.commented(st.lists(long_declarations, max_size=3), in_block=False))


def joined(text: str) -> str:
    """`text` with its ` \\` continuations joined and all whitespace dropped."""
    return re.sub(r"\s+", "", re.sub(r" \\\n *", " ", text))


@GENERATED
@given(long_rule_files)
def test_long_statements_round_trip_and_are_a_fixed_point(tree):
    formatted = format_file(tree)
    reparsed = parse(formatted, tree.path)
    assert reparsed == tree
    assert format_file(reparsed) == formatted
    # Wrapping only breaks lines: joined again it is the unwrapped layout, and
    # a line that fits unwrapped is left as it is.
    unwrapped = format_file(tree, width=None)
    assert joined(formatted) == joined(unwrapped)
    kept = set(formatted.split("\n"))  # not splitlines: strings may hold \x1e or U+2028
    assert all(line in kept for line in unwrapped.split("\n") if display_width(line) <= WIDTH)


@GENERATED
@given(strategies.expressions)
def test_format_expr_round_trips(expr):
    assert expr_of(format_expr(expr)) == expr


# ---- golden files ------------------------------------------------------------------

@pytest.mark.parametrize("path", GOLDEN_CASES, ids=lambda p: p.stem)
def test_golden(path, update_goldens):
    text = path.read_text(encoding="utf-8")
    marker = OUTPUT_MARKER.search(text)
    assert marker, f"{path.name} has no line `# output`"
    source, expected = text[:marker.start()], text[marker.end():]
    actual = format_text(source, str(path))
    if update_goldens:
        path.write_text(source + "# output\n" + actual, encoding="utf-8")
        return
    assert actual == expected
    assert format_text(expected, str(path)) == expected


# ---- expressions: precedence and spelling --------------------------------------------

@pytest.mark.parametrize("source, canonical", [
    ("a >= b", "a ≥ b"),
    ("a <= b", "a ≤ b"),
    ("a != b", "a ≠ b"),
    ("a × b ÷ c", "a * b / c"),
    ("((a))", "a"),
    ("(a - b) - c", "a - b - c"),
    ("a - (b - c)", "a - (b - c)"),
    ("a + (b * c)", "a + b * c"),
    ("(a + b) * c", "(a + b) * c"),
    ("a / (b * c)", "a / (b * c)"),
    ("a ^ (b ^ c)", "a ^ b ^ c"),
    ("(a ^ b) ^ c", "(a ^ b) ^ c"),
    ("(-a) ^ 2", "-a ^ 2"),
    ("-(a ^ 2)", "-(a ^ 2)"),
    ("a ^ -b", "a ^ -b"),
    ("a - -b", "a - -b"),
    ("-(a + b)", "-(a + b)"),
    ("(a or b) and c", "(a or b) and c"),
    ("a or (b and c)", "a or b and c"),
    ("a and (b or c)", "a and (b or c)"),
    ("(a or b) or c", "a or b or c"),
    ("not (a and b)", "not (a and b)"),
    ("not (a = b)", "not a = b"),
    ("(not a) = b", "(not a) = b"),
    ("(a < b) < c", "(a < b) < c"),
    ("(a = b) in (true)", "(a = b) in (true)"),
    ("(a + b) in (1, (c or d))", "a + b in (1, c or d)"),
    ("(a + b).c", "(a + b).c"),
    ("(-a)[0]", "(-a)[0]"),
    ("f(x)[1].y", "f(x)[1].y"),
    ("(if a then b else c) + 1", "(if a then b else c) + 1"),
    ("if a then b else (if c then d else e)", "if a then b else if c then d else e"),
    ("sum(for s in 1 .. n - 1 where (s > 0): s)", "sum(for s in 1 .. n - 1 where s > 0: s)"),
    ('undetermined("a \\"b\\" \\\\")', 'undetermined("a \\"b\\" \\\\")'),
    ("4% + 0.20", "4% + 0.20"),
])
def test_format_expr_parenthesises_by_precedence(source, canonical):
    assert format_expr(expr_of(source)) == canonical
    assert expr_of(canonical) == expr_of(source)


def test_format_expr_on_a_built_tree():
    # (a + b) * -c ^ 2, built by hand as the evaluator's trace would hold it
    tree = ast.Binary("*", ast.Binary("+", ast.Name("a"), ast.Name("b")),
                      ast.Binary("^", ast.Unary("-", ast.Name("c")), ast.Number("2")))
    assert format_expr(tree) == "(a + b) * -c ^ 2"


# ---- layout ---------------------------------------------------------------------------

def test_table_columns_line_up_by_display_width():
    formatted = format_text(
        'table t {\n| 研发投入 | => level |\n| ≥ 4% | "优秀水平" |\n| - | "x" |  # 较差\n}\n')
    rows = [line.split("  #")[0] for line in formatted.splitlines() if line.lstrip().startswith("|")]
    assert len(rows) == 3

    def bar_columns(row: str) -> list[int]:
        return [display_width(row[:i]) for i, ch in enumerate(row) if ch == "|"]

    assert bar_columns(rows[0]) == bar_columns(rows[1]) == bar_columns(rows[2])
    assert rows[0].strip() == '| 研发投入 | => level   |'  # "优秀水平" is 10 columns wide


def test_comment_placement():
    formatted = format_text("group g {   # opens\n    input a : bool   #   after a\n# own line\n}  # closes\n")
    assert formatted == ("group g {  # opens\n"
                         "  input a : bool  #   after a\n"
                         "\n"
                         "  # own line\n"
                         "}  # closes\n")


@pytest.mark.parametrize("source, formatted", [
    ("input a : bool\ninput b : bool\n", "input a : bool\ninput b : bool\n"),
    ("input a : bool\nparam p = 1\n", "input a : bool\n\nparam p = 1\n"),
    ("input a : bool\n\n\n\ninput b : bool\n", "input a : bool\n\ninput b : bool\n"),
    ("let a = 1\n# on b\nlet b = 2\n", "let a = 1\n# on b\nlet b = 2\n"),
    ("let a = 1\n# on t\ntable t {\n}\n", "let a = 1\n\n# on t\ntable t {\n}\n"),
    ("# banner\n\nlet a = 1\n", "# banner\n\nlet a = 1\n"),
    ("indicator i {\n\n  points 1\n\n  score 1\n\n}\n", "indicator i {\n  points 1\n\n  score 1\n}\n"),
    ("indicator i {\n  points 1\n  score 1\n}\nindicator j {\n}\n",
     "indicator i {\n  points 1\n  score 1\n}\n\nindicator j {\n}\n"),
])
def test_blank_lines(source, formatted):
    assert format_text(source) == formatted


def test_empty_file_formats_to_nothing():
    assert format_text("") == ""
    assert format_text("\n\n# only a comment\n\n") == "# only a comment\n"


def test_built_tree_without_spans_gets_the_structural_layout():
    """format_file of a tree without spans uses the structural blank-line rule only."""
    tree = ast.RuleFile("<built>", (ast.Input("a", None, None, ast.BoolType()),
                                    ast.Comment("on b"),
                                    ast.Input("b", "乙", "1", ast.NumberType(True, "人"), optional=True),
                                    ast.Comment("after b", trailing=True),
                                    ast.Let("c", None, None, ast.Number("1"), exported=True)))
    assert format_file(tree) == ('input a : bool\n# on b\ninput b "乙" § "1" : count [人] optional  # after b\n'
                                 "\nresult c = 1\n")


# ---- wrapping ---------------------------------------------------------------------------

def continuation_lines(text: str) -> list[str]:
    """The lines that continue a statement (after a line ending in ` \\`), without comments."""
    lines = text.split("\n")
    return [line.split("  #")[0] for previous, line in zip(lines, lines[1:]) if previous.endswith(" \\")]


@pytest.mark.parametrize("path", [p for p in RULE_FILES if "standards" in p.parts],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_wrapped_standards_fit_the_width(path):
    formatted = format_text(path.read_text(encoding="utf-8"), str(path))
    # one enum member per line is as far as an enum can be split: its label may be long
    one_member = re.compile(r'^\s+\w+( "[^"]*")?,? \\$')
    assert all(display_width(line) <= WIDTH for line in continuation_lines(formatted) if not one_member.match(line))


def test_a_long_enum_gets_a_member_per_line():
    members = ", ".join(f'member_{i} "第{i}项要求的标签"' for i in range(12))
    source = f'input requirement "评价指标" : enum({members}) optional\n'
    formatted = format_text(source)
    lines = formatted.splitlines()
    assert lines[0] == 'input requirement "评价指标" : enum( \\'
    assert lines[1] == '    member_0 "第0项要求的标签", \\' and lines[12] == '    member_11 "第11项要求的标签" \\'
    assert lines[13] == ") optional"
    assert parse(formatted) == parse(source) and format_text(formatted) == formatted


def test_a_statement_that_fits_stays_on_one_line():
    source = "let x = " + " + ".join(f"term_{i}" for i in range(10)) + "\n"
    assert display_width(source.rstrip()) <= WIDTH
    assert format_text(source) == source
    assert format_text(source.replace(" + term_3", " \\\n  + term_3")) == source


def test_long_statement_wraps_and_rewraps_the_same():
    terms = [f"weighted_term_number_{i} * factor_{i}" for i in range(5)]
    source = "group g {\n  let total_of_terms = " + " + ".join(terms) + "  # sum\n}\n"
    expected = ("group g {\n"
                "  let total_of_terms = \\\n"
                "      weighted_term_number_0 * factor_0 \\\n"
                "      + weighted_term_number_1 * factor_1 \\\n"
                "      + weighted_term_number_2 * factor_2 \\\n"
                "      + weighted_term_number_3 * factor_3 \\\n"
                "      + weighted_term_number_4 * factor_4  # sum\n"
                "}\n")
    assert format_text(source) == expected
    assert format_text(expected) == expected
    # the author's own line breaks do not matter, only the tree does
    assert format_text(expected.replace(" \\\n      +", " +")) == expected
    assert format_text(source, width=None) == source


def test_width_counts_display_columns():
    # 44 CJK characters take 88 columns: the line is 58 characters but 102 columns wide.
    wide = 'let x = "' + "研" * 44 + '" + y\n'
    assert len(wide.rstrip()) == 58 and display_width(wide.rstrip()) == 102
    assert format_text(wide) == 'let x = \\\n    "' + "研" * 44 + '" + y\n'
    narrow = wide.replace("研", "ab")  # the same 102 columns in ASCII wraps the same way
    assert format_text(narrow) == 'let x = \\\n    "' + "ab" * 44 + '" + y\n'


def test_table_rows_are_never_wrapped():
    row_value = " + ".join(f"long_operand_{i}" for i in range(10))
    source = f"table t {{\n  | a | => v |\n  | true | {row_value} |\n}}\n"
    assert format_text(source).splitlines()[2] == f"  | true | {row_value} |"
