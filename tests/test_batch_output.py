"""The batch's column texts (engine/batch/output.py) are exactly the scalar path's:
`json_number` for every rational, `result_text` for masks, booleans and enums."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.batch.columns import Bool, Num, Text
from engine.batch.output import number_texts, texts
from engine.numbers import json_number

INT64_MAX = 2 ** 63 - 1

denominators = st.one_of(
    st.integers(1, 100),
    st.integers(1, INT64_MAX),
    # 2^a·5^b·c: terminating for c = 1, beyond 10^18 for large a or b, else not terminating
    st.builds(lambda a, b, c: 2 ** a * 5 ** b * c, st.integers(0, 62), st.integers(0, 27),
              st.sampled_from([1, 1, 3, 7, 43, 999_999_937])).filter(lambda d: d <= INT64_MAX),
)


@st.composite
def rationals(draw, den=None):
    """(numerator, denominator) in int64, crowded where the texts are delicate."""
    den = draw(denominators) if den is None else den
    kind = draw(st.sampled_from(["any", "small", "below a power of ten", "below one"]))
    if kind == "any":
        num = draw(st.integers(-INT64_MAX, INT64_MAX))
    elif kind == "small":
        num = draw(st.integers(-10 ** 6, 10 ** 6))
    elif kind == "below a power of ten":  # 99.99…9x, which may round up to 100
        num = 10 ** draw(st.integers(0, 18)) * den - draw(st.integers(1, 3))
    else:  # 0.00…0999…, leading zeros, maybe rounding up to 0.001
        num = den // 10 ** draw(st.integers(0, 18)) - draw(st.integers(0, 2))
    num *= draw(st.sampled_from([1, -1]))
    return max(-INT64_MAX, min(INT64_MAX, num)), den


@settings(max_examples=400, deadline=None)
@given(st.lists(rationals(), max_size=12))
def test_a_number_per_row_is_written_as_json_number(pairs):
    col = Num(np.array([n for n, _ in pairs], dtype=np.int64), np.array([d for _, d in pairs], dtype=np.int64))
    assert number_texts(col, len(pairs)).to_pylist() == [json_number(Fraction(n, d)) for n, d in pairs]


@settings(max_examples=300, deadline=None)
@given(st.data(), denominators, st.integers(0, 30))
def test_a_column_over_one_denominator_is_written_as_json_number(data, den, spread):
    base = data.draw(rationals(den))[0]
    nums = data.draw(st.lists(st.one_of(st.just(base), st.integers(-spread, spread).map(lambda k: base + k),
                                        rationals(den).map(lambda p: p[0])), max_size=40))
    nums = [max(-INT64_MAX, min(INT64_MAX, n)) for n in nums]  # few distinct values: laid out once each
    got = number_texts(Num(np.array(nums, dtype=np.int64), den), len(nums)).to_pylist()
    assert got == [json_number(Fraction(n, den)) for n in nums]


def test_values_beyond_int64_are_written_one_by_one():
    nums = [2 ** 70 + 1, -(2 ** 63), 5, -(2 ** 80) // 3]
    for den in (3, 1000, np.array([3, 7, 2 ** 64, 10], dtype=object)):
        dens = den if isinstance(den, np.ndarray) else [den] * len(nums)
        got = number_texts(Num(np.array(nums, dtype=object), den), len(nums)).to_pylist()
        assert got == [json_number(Fraction(n, int(d))) for n, d in zip(nums, dens)]
    few_values = [5] * 12 + [2 ** 70]  # the others laid out once each
    got = number_texts(Num(np.array(few_values, dtype=object), 1000), len(few_values)).to_pylist()
    assert got == ["0.005"] * 12 + [json_number(Fraction(2 ** 70, 1000))]


WORKED = [  # numerator, denominator, text
    (1, 3, "0.33333333333333333"),
    (-2, 3, "-0.66666666666666667"),
    (6300, 86, "73.255813953488372"),  # a normalised total
    (10 ** 17 - 1, 10 ** 17 + 1, "0.99999999999999998"),
    (10 ** 18 - 1, 10 ** 18 + 1, "1"),  # rounds up to a power of ten
    (1, 2 ** 40, "0.0000000000009094947017729282379150390625"),  # exact: it terminates
    (299, 3, "99.666666666666667"),
    (1, 7 * 10 ** 9, "0.00000000014285714285714286"),  # leading zeros
    (-31535, 10, "-3153.5"),
    (0, 86, "0"),
    (12, 4, "3"),
    (10 ** 18 - 1, 3 * 10 ** 15, "333.333333333333333"),  # 18 digits, but exact
    (10 ** 18, 3 * 10 ** 15, "333.33333333333333"),
]


def test_worked_numbers():
    col = Num(np.array([n for n, _, _ in WORKED], dtype=np.int64), np.array([d for _, d, _ in WORKED], dtype=np.int64))
    assert number_texts(col, len(WORKED)).to_pylist() == [text for _, _, text in WORKED]
    assert [json_number(Fraction(n, d)) for n, d, _ in WORKED] == [text for _, _, text in WORKED]


def test_a_constant_is_written_in_every_row():
    assert number_texts(Num(7, 3), 3).to_pylist() == ["2.3333333333333333"] * 3
    assert number_texts(Num(7, 20), 2).to_pylist() == ["0.35"] * 2


@settings(max_examples=100, deadline=None)
@given(st.data(), st.integers(1, 12), st.booleans())
def test_masks_give_no_conclusion_and_not_evaluated(data, n, as_json):
    known = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    ne = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    values = data.draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    categories = ("a", 'say "hi"', "是")
    columns = {
        "number": (Num(np.array(values), 4, known, ne=ne), [json_number(Fraction(v, 4)) for v in values]),
        "per-row": (Num(np.array(values), np.full(n, 3), known, ne=ne), [json_number(Fraction(v, 3)) for v in values]),
        "bool": (Bool(np.array(values) > 0, known, ne=ne), ["true" if v > 0 else "false" for v in values]),
        "text": (Text(np.array(values) % 4 - 1, categories, known, ne=ne),
                 [None if v % 4 == 0 else (json.dumps(categories[v % 4 - 1], ensure_ascii=False) if as_json
                                           else categories[v % 4 - 1]) for v in values]),
    }
    for kind, (col, shown) in columns.items():
        if as_json:
            want = ['"not_evaluated"' if e else ("null" if not k or s is None else s)
                    for s, k, e in zip(shown, known, ne)]
        else:
            want = ["not_evaluated" if e else (s if k else None) for s, k, e in zip(shown, known, ne)]
        assert texts(col, n, as_json=as_json).to_pylist() == want, kind
