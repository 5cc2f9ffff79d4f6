"""Numbers held as text (CSV cells, Parquet text columns) load column-wise exactly as the
scalar checker reads them, cell by cell (engine/batch/load.py, engine/batch/text_numbers.py).

For random cells (plain decimals with signs, leading zeros, points and `%`, and the
spellings left to the checker: full-width digits, exponents, underscores, spaces,
garbage, empty cells; lists of them between separators or as JSON text) the loaded
column holds, row for row, the value the checker gives, and a row is bad exactly when
the checker refuses its cell. The column is also the very column `_from_values` builds
of the checker's values (same numerators, one least common denominator, same masks).
"""

from __future__ import annotations

import sys
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.checker import check
from dsl.loader import load_ruleset_from_text
from engine.batch.columns import ListCol, Num
from engine.batch.load import _from_values, _with_default, load_inputs
from engine.compiler import compile_rules
from engine.data import validate
from engine.evaluator import _literal

RULES = """\
input plain "金额" § "1" : number [元] optional
input share "占比" § "1" : number [%] range [0%, 100%] optional default 50%
input patents "专利" § "1" : count [项] optional
input bounded "得分" § "1" : number range (-5, 1000] optional
input whole_percent "整百分比" § "1" : count [%] optional
input shares "各年占比" § "1" : list of number [%] range [0%, 100%] length 1..3 optional default []
input amounts "各年金额" § "1" : list of number optional
input counts "各年数量" § "1" : list of count range [0, 50] optional
result total "合计" § "2" = plain
"""

PLAN = compile_rules(check(load_ruleset_from_text(RULES)))
INPUTS = PLAN.symbols.inputs
SCALARS = [name for name, decl in INPUTS.items() if not hasattr(decl.type, "element")]
LISTS = [name for name, decl in INPUTS.items() if hasattr(decl.type, "element")]


# ---- cells ---------------------------------------------------------------------------------

def _digits(max_size):
    return st.text(alphabet="0123456789", max_size=max_size)


@st.composite
def number_texts(draw):
    """Decimals as people and programs write them, most of them plain."""
    size = draw(st.sampled_from([2, 3, 5, 19, 25]))
    whole = draw(_digits(size))
    fraction = draw(st.none() | _digits(size))
    text = draw(st.sampled_from(["", "", "+", "-"])) + whole + ("" if fraction is None else "." + fraction)
    text += draw(st.sampled_from(["", "", "", "%", "％", " %", "e2", "E-1"]))
    pad = st.sampled_from(["", "", "", " ", "\t", "\u3000", "\xa0"])
    return draw(pad) + text + draw(pad)


ODD = ["", " ", "0", "-0", "-0.0", "+.5", "1.", ".", "+", "-", "%", "1_000", "１２", "٣", "1e3", "1E+400",
       "1e-1001", "NaN", "-Infinity", "inf", "1,200", "0x10", "abc", "1/2", "  7  ", "007", "100%", "100.000%",
       "99999999999999999999", "0.0000000000000000000001", "999999999999999999", "0.123456789012345678"]

number_cells = st.one_of(number_texts(), st.sampled_from(ODD), st.text(max_size=4), st.none())


@st.composite
def list_cells(draw):
    """Scalars between separators (as `_split_cell` splits them), JSON text, or odd cells."""
    kind = draw(st.sampled_from(["split", "split", "split", "json", "odd"]))
    if kind == "odd":
        return draw(st.sampled_from(["", " ", "[]", "[ ]", "[", "[1, 2", "{}", ";", ",", "；", "null"]) | st.none())
    pieces = draw(st.lists(number_texts() | st.sampled_from(["", " ", "1e2", "abc", "5"]), min_size=1, max_size=4))
    if kind == "json":
        return "[" + ", ".join(draw(st.sampled_from(['"{}"', "{}"])).format(p.strip()) for p in pieces) + "]"
    separator = draw(st.sampled_from([";", "; ", " ; ", "；", ",", ", "]))
    return separator.join(pieces) + draw(st.sampled_from(["", "", separator, separator + separator]))


# ---- the checker's reading, cell by cell -----------------------------------------------------

def scalar_reading(decl, cells):
    """(value or None per cell, bad mask), as the row-by-row path reads CSV cells."""
    values, bad = [], []
    for cell in cells:
        found, problems = validate({decl.name: cell}, INPUTS, [], "<t>", 2, check_keys=False)
        values.append(found.get(decl.name))
        bad.append(bool(problems))
    return values, np.array(bad, dtype=bool)


def value_at(col, i):
    """Row i of a loaded column: a Fraction, a tuple of them, or None (no value)."""
    if col.known is not None and not col.known[i]:
        return None
    if isinstance(col, ListCol):
        start, length = int(col.starts[i]), int(col.lengths[i])
        return tuple(value_at(col.item, j) for j in range(start, start + length))
    return col.value_at(i)


def same_numbers(a: Num, b: Num) -> bool:
    known_a = None if a.known is None else list(a.known)
    known_b = None if b.known is None else list(b.known)
    return (a.den == b.den and a.num.dtype == b.num.dtype and [int(x) for x in a.num] == [int(x) for x in b.num]
            and known_a == known_b)


def assert_loaded_as_scalar(name, cells, text_type):
    decl = INPUTS[name]
    loaded = load_inputs(PLAN, pa.table({name: pa.array(cells, text_type)}))
    col, given = loaded.inputs[name], loaded.given[name]
    values, bad = scalar_reading(decl, cells)
    assert list(loaded.bad) == list(bad), [(c, v) for c, v, b in zip(cells, loaded.bad, bad) if v != b]
    default = _literal(decl.default) if decl.default is not None else None
    for i, cell in enumerate(cells):
        if bad[i]:
            continue
        assert given[i] == (values[i] is not None), cell
        assert value_at(col, i) == (default if values[i] is None else values[i]), cell
    want = _from_values(decl.type, _with_default(values, decl))
    if isinstance(col, ListCol):
        assert list(col.starts) == list(want.starts) and list(col.lengths) == list(want.lengths)
        assert (col.known is None) == (want.known is None)
        assert col.known is None or list(col.known) == list(want.known)
        assert same_numbers(col.item, want.item)
    else:
        assert same_numbers(col, want)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.sampled_from(SCALARS), st.lists(number_cells, min_size=1, max_size=30),
       st.sampled_from([pa.string(), pa.large_string()]))
def test_number_cells_load_as_the_checker_reads_them(name, cells, text_type):
    assert_loaded_as_scalar(name, cells, text_type)


@SETTINGS
@given(st.sampled_from(SCALARS), st.lists(st.integers(-10, 10 ** 6).map(str) | number_texts(), min_size=1,
                                          max_size=30))
def test_mostly_plain_columns_load_as_the_checker_reads_them(name, cells):
    """Columns read column-wise nearly throughout, with a few cells left to the checker."""
    assert_loaded_as_scalar(name, cells, pa.string())


@SETTINGS
@given(st.sampled_from(LISTS), st.lists(list_cells(), min_size=1, max_size=20),
       st.sampled_from([pa.string(), pa.large_string()]))
def test_list_cells_load_as_the_checker_reads_them(name, cells, text_type):
    assert_loaded_as_scalar(name, cells, text_type)


@pytest.mark.parametrize("cells", [
    ["1", "2.5", "-3", "4%"],  # all plain, one with a percent sign on a plain number
    ["123456789012345678", "0.123456789012345678", "5"],  # too many digits for one int64 denominator
    ["1e-18", "5"],  # a tiny value beside a large one: numerators beyond 2^62
    [None, None],
    [],
])
def test_columns_of_note(cells):
    for name in SCALARS:
        assert_loaded_as_scalar(name, cells, pa.string())


@pytest.mark.parametrize("cells", [["1; 2; 3", "[]", "4", None, "[0.5, \"7\"]", "1;;2", "1; 2; 3; 4"], []])
def test_list_columns_of_note(cells):
    for name in LISTS:
        assert_loaded_as_scalar(name, cells, pa.string())


def test_a_count_of_percent_stored_as_integers_is_checked_before_the_percent_is_taken():
    loaded = load_inputs(PLAN, pa.table({"whole_percent": pa.array([5, -1, None])}))
    assert list(loaded.bad) == [False, True, False]
    assert loaded.inputs["whole_percent"].value_at(0) == Fraction(5, 100)


def test_arrow_trims_the_whitespace_python_strips():
    """text_numbers.list_pieces (and engine/csv_batches.py) rely on it."""
    characters = [chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000]
    cells = [c + "x" + c for c in characters]
    trimmed = pc.utf8_trim_whitespace(pa.array(cells)).to_pylist()
    assert [c for c, t in zip(cells, trimmed) if t != c.strip()] == []
