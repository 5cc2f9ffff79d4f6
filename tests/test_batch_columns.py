"""The exact column arithmetic of engine/batch/columns.py against Python's Fraction.

The batch evaluator's rules are checked end to end in tests/test_batch.py; these
properties pin the two shortcuts that could go wrong silently: remembered
magnitude bounds (an overflow must still widen to Python ints) and comparisons
of Python-int columns decided in floating point (ties and near-ties must be
decided exactly).
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.batch import columns as C
from engine.batch.columns import Num

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq, "!=": operator.ne}
HUGE = 10 ** 30


def _column(fractions, per_row_den: bool) -> Num:
    if per_row_den:
        return Num(np.array([f.numerator for f in fractions], dtype=object),
                   np.array([f.denominator for f in fractions], dtype=object))
    den = 1
    for f in fractions:
        den = math.lcm(den, f.denominator)
    return Num(np.array([f.numerator * (den // f.denominator) for f in fractions], dtype=object), den)


big_fractions = st.builds(Fraction, st.integers(-HUGE, HUGE), st.integers(1, HUGE))


@st.composite
def pairs_near_ties(draw):
    """Rows (a, b) where b is a itself, a ± a step far below float precision, or unrelated:
    what a filter in floating point could get wrong."""
    n = draw(st.integers(1, 12))
    left, right = [], []
    for _ in range(n):
        a = draw(big_fractions)
        kind = draw(st.sampled_from(["same", "next", "previous", "other"]))
        if kind == "same":
            b = a
        elif kind in ("next", "previous"):
            step = Fraction(1, a.denominator * HUGE)
            b = a + step if kind == "next" else a - step
        else:
            b = draw(big_fractions)
        left.append(a)
        right.append(b)
    return left, right


@given(pairs_near_ties(), st.sampled_from(sorted(OPS)), st.booleans(), st.booleans())
def test_comparisons_of_python_int_columns_are_exact(rows, op, per_row_left, per_row_right):
    left, right = rows
    got = C.compare(_column(left, per_row_left), _column(right, per_row_right), op).value
    assert list(np.atleast_1d(got)) == [OPS[op](a, b) for a, b in zip(left, right)]


@given(st.lists(st.integers(-(2 ** 40), 2 ** 40), min_size=1, max_size=8),
       st.integers(-(2 ** 40), 2 ** 40), st.integers(1, 40))
def test_remembered_bounds_still_widen_on_overflow(values, factor, repeat):
    """A product of products: every intermediate's remembered bound must force Python ints
    exactly when the true value leaves int64."""
    x = np.array(values, dtype=np.int64)
    expected = list(values)
    for _ in range(repeat % 4 + 1):
        x = C.i_mul(x, factor)
        expected = [v * factor for v in expected]
        x = C.i_add(x, x)
        expected = [2 * v for v in expected]
    assert [int(v) for v in x] == expected


@given(st.lists(st.integers(-(2 ** 20), 2 ** 20), min_size=1, max_size=8), st.integers(2 ** 63, 2 ** 80))
def test_a_constant_beyond_int64_widens_even_small_values(values, factor):
    x = np.array(values, dtype=np.int64)
    assert [int(v) for v in C.i_mul(x, factor)] == [v * factor for v in values]
    assert [int(v) for v in C.i_add(x, factor)] == [v + factor for v in values]

