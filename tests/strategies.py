"""Hypothesis strategies that build random, valid rule-file ASTs.

tests/test_formatter.py checks `parse(format_file(tree)) == tree` on these
trees, so every tree built here must be one the grammar can express and the
parser would build — no more, no less:

- Names come from a safe alphabet behind an `n_` prefix, so a name is never
  read as a keyword (`not`, `if`, `inf`, `null`, `undetermined` …) wherever
  the contextual lexer would prefer the keyword; some carry CJK letters.
- Strings hold any character but a newline (`"`, `\\`, `#`, U+2028 included:
  they test the escaping and the comment scanner); comment texts hold no
  control or line-separator characters and no trailing space (the parser
  strips it).
- Literal-only places (`default`, `expect … =`) get literals only; `[]`,
  `null` and `not_evaluated` appear only there; a table's header row names
  its columns and its data rows have the header's width.
- Comments go where they can be written: own-line comments anywhere in a
  block, a trailing comment only right after a non-comment item, or first in a
  block (it then sits on the line of `{`), never first in a file.

Sizes stay small (a few items per block, a dozen leaves per expression) so a
run of a hundred examples takes seconds.
"""

from __future__ import annotations

from hypothesis import strategies as st

from dsl import ast

NAME_ALPHABET = "abcxyz_019研发"

names = st.text(NAME_ALPHABET, max_size=5).map(lambda tail: "n_" + tail)
strings = st.text(st.characters(exclude_characters="\n"), max_size=8)
optional_strings = st.none() | strings
numbers = st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3})?%?", fullmatch=True).map(ast.Number)
units = st.text("万元%kWh/100km 分", min_size=1, max_size=6).map(str.strip).filter(bool)
comment_texts = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")),
                        max_size=12).map(str.rstrip)

ARITHMETIC_AND_LOGIC = ("+", "-", "*", "/", "^", "and", "or")
BINARY_OPS = ARITHMETIC_AND_LOGIC + ast.COMPARISON_OPS


def small_tuples(elements, min_size: int = 0, max_size: int = 3):
    return st.lists(elements, min_size=min_size, max_size=max_size).map(tuple)


# ---- expressions --------------------------------------------------------------

def _extend(sub):
    """One more level of expression around `sub` (the strategy for children)."""
    sources = sub | st.builds(ast.RangeSource, sub, sub)
    return st.one_of(
        st.builds(ast.Field, sub, names),
        st.builds(ast.Index, sub, sub),
        st.builds(ast.Call, names, small_tuples(sub)),
        st.builds(ast.Aggregate, names, names, sources, st.none() | sub, sub),
        st.builds(ast.Unary, st.sampled_from(["-", "not"]), sub),
        st.builds(ast.Binary, st.sampled_from(BINARY_OPS), sub, sub),
        st.builds(ast.Member, sub, small_tuples(sub, min_size=1)),
        st.builds(ast.If, sub, sub, sub),
    )


atoms = st.one_of(numbers, st.builds(ast.String, strings), st.builds(ast.Bool, st.booleans()),
                  st.builds(ast.Name, names), st.builds(ast.Undetermined, strings))
expressions = st.recursive(atoms, _extend, max_leaves=10)

# What `default` and `expect NAME =` accept: the grammar's `literal`.
literals = st.one_of(numbers, numbers.map(lambda n: ast.Unary("-", n)), st.builds(ast.String, strings),
                     st.builds(ast.Bool, st.booleans()), st.builds(ast.Name, names), st.just(ast.EmptyList()))

intervals = st.builds(ast.Interval, st.none() | expressions, st.booleans(),
                      st.none() | expressions, st.booleans())


# ---- comments --------------------------------------------------------------------

own_line_comments = st.builds(ast.Comment, comment_texts, st.just(False))
trailing_comments = st.builds(ast.Comment, comment_texts, st.just(True))


@st.composite
def commented(draw, items, *, in_block: bool = True):
    """The items `items` draws, as a tuple with comments placed where they can be written."""
    out = []
    if in_block and draw(st.integers(0, 4)) == 0:
        out.append(draw(trailing_comments))  # on the line of the block's `{`
    for item in draw(items):
        out.extend(draw(st.lists(own_line_comments, max_size=1)))
        out.append(item)
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(trailing_comments))
    out.extend(draw(st.lists(own_line_comments, max_size=1)))
    return tuple(out)


def block_items(item, max_size: int = 3):
    return commented(st.lists(item, max_size=max_size))


# ---- types and inputs ------------------------------------------------------------

lengths = st.none() | st.tuples(st.integers(0, 20), st.integers(0, 20))
simple_types = st.one_of(
    st.builds(ast.BoolType), st.builds(ast.TextType), st.builds(ast.IndicatorType),
    st.builds(ast.NumberType, st.booleans(), st.none() | units),
    st.builds(ast.EnumType, small_tuples(st.builds(ast.EnumValue, names, optional_strings), min_size=1)),
)


def types(depth: int = 2):
    """A type; lists and records nest at most `depth` deep."""
    if depth == 0:
        return simple_types
    inner = st.deferred(lambda: types(depth - 1))
    fields = st.builds(ast.FieldDecl, names, optional_strings, inner, range=st.none() | intervals,
                       optional=st.booleans(), default=st.none() | literals, length=lengths)
    return st.one_of(simple_types, st.builds(ast.ListType, inner),
                     st.builds(ast.RecordType, block_items(fields)))


inputs = st.builds(ast.Input, names, optional_strings, optional_strings, types(),
                   range=st.none() | intervals, optional=st.booleans(),
                   default=st.none() | literals, length=lengths, alias=st.none() | names)


# ---- declarations ------------------------------------------------------------------

map_keys = st.one_of(st.builds(ast.Name, names), numbers, st.builds(ast.String, strings))
map_values = st.builds(ast.MapValue, block_items(st.builds(ast.MapEntry, map_keys, expressions)))
params = st.builds(ast.Param, names, optional_strings, optional_strings, expressions | map_values)
lets = st.builds(ast.Let, names, optional_strings, optional_strings, expressions, st.booleans())
applies = st.builds(ast.AppliesWhen, expressions, optional_strings)

condition_cells = st.one_of(
    st.builds(ast.AnyCell),
    st.builds(ast.CompareCell, st.sampled_from(ast.COMPARISON_OPS), expressions),
    st.builds(ast.IntervalCell, intervals),
    st.builds(ast.ExprCell, expressions),
)


@st.composite
def table_items(draw):
    """A header row, data rows of the header's width, a hit policy, maybe a veto grade."""
    conditions, outputs = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    header = ast.Row(tuple(ast.ExprCell(ast.Name(draw(names))) for _ in range(conditions))
                     + (ast.OutputHead(draw(names)),)
                     + tuple(ast.ExprCell(ast.Name(draw(names))) for _ in range(outputs - 1)))
    rows = draw(st.lists(
        st.builds(lambda c, o: ast.Row(tuple(c) + tuple(o)),
                  st.lists(condition_cells, min_size=conditions, max_size=conditions),
                  st.lists(st.builds(ast.ExprCell, expressions), min_size=outputs, max_size=outputs)),
        max_size=3))
    extras = draw(st.lists(st.one_of(
        st.builds(ast.HitItem, st.sampled_from(["first", "unique", "sum"])),
        st.builds(ast.VetoedItem, strings, optional_strings)), max_size=2))
    return draw(commented(st.just(extras + [header] + rows)))


tables = st.builds(ast.Table, names, optional_strings, optional_strings, table_items())
grades = st.builds(ast.Grade, names, optional_strings, optional_strings, table_items())

indicator_items = st.one_of(
    st.builds(ast.PointsItem, numbers), st.builds(ast.ScoreItem, expressions),
    st.builds(ast.LevelItem, expressions), st.builds(ast.BonusItem, names), applies)
indicators = st.builds(ast.Indicator, names, optional_strings, optional_strings, block_items(indicator_items))
bonuses = st.builds(ast.Bonus, names, optional_strings, optional_strings, expressions, expressions)
require_items = st.one_of(st.builds(ast.RequireItem, expressions), applies)
vetoes = st.builds(ast.Veto, names, optional_strings, optional_strings, block_items(require_items))
validations = st.builds(ast.Validate, names, optional_strings, optional_strings, block_items(require_items))
totals = st.builds(ast.Total, names, optional_strings, optional_strings, block_items(
    st.one_of(st.builds(ast.PointsItem, numbers), st.builds(ast.ExcludingItem, names, optional_strings))))

expect_targets = st.recursive(
    st.builds(ast.Name, names),
    lambda sub: st.builds(ast.Field, sub, names) | st.builds(ast.Index, sub, numbers), max_leaves=3)
expected_values = literals | st.builds(ast.Null) | st.builds(ast.NotEvaluatedLiteral)
examples = st.builds(ast.Example, names, optional_strings, block_items(
    st.builds(ast.DataItem, strings) | st.builds(ast.ExpectItem, expect_targets, expected_values)))

headers = st.builds(ast.StandardHeader, names, strings,
                    block_items(st.builds(ast.HeaderField, names, strings)))
imports = st.builds(ast.Import, strings)

derives = st.builds(ast.Derive, names, optional_strings, optional_strings, names, st.none() | expressions,
                    st.none() | names, block_items(lets))
overrides = st.builds(ast.Override, st.one_of(inputs, params, lets, tables, grades, indicators, bonuses,
                                              vetoes, validations, totals))

flat_declarations = st.one_of(headers, imports, inputs, params, lets, tables, grades, indicators,
                              bonuses, vetoes, validations, totals, examples, derives, overrides)


def declarations(depth: int = 2):
    """A declaration; groups nest at most `depth` deep."""
    if depth == 0:
        return flat_declarations
    inner = st.deferred(lambda: declarations(depth - 1))
    groups = st.builds(ast.Group, names, optional_strings, optional_strings, block_items(inner | applies))
    return flat_declarations | groups


rule_files = st.builds(ast.RuleFile, st.just("<generated>"),
                       commented(st.lists(declarations(), max_size=4), in_block=False))
