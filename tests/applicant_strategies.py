"""Hypothesis strategies for applicants, derived from a rule set's inputs.

Values are drawn from each input's declared type and range, with extra weight
on the numbers the standard's tables turn on (band edges such as 4%, 15%, 60, and .xx5 rounding ties),
so properties are exercised exactly where rounding or comparison could slip.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from dsl import ast

EDGES = [Fraction(v) for v in ("0", "0.01", "0.02", "0.03", "0.04", "0.05", "0.06", "0.1", "0.15", "0.2",
                                "0.25", "0.3", "0.92", "1", "2", "2.5", "3", "4", "5", "6", "8", "10", "12",
                                "16", "20", "400", "800", "1000", "1600", "2000", "3200", "10000", "20000",
                                "80000")]


def _bound(expr):
    if expr is None:
        return None
    if isinstance(expr, ast.Unary):
        return -_bound(expr.operand)
    return expr.value


def _in_range(value, interval) -> bool:
    if interval is None:
        return True
    low, high = _bound(interval.lower), _bound(interval.upper)
    if low is not None and (value < low or (value == low and not interval.lower_closed)):
        return False
    if high is not None and (value > high or (value == high and not interval.upper_closed)):
        return False
    return True


def numbers(interval, integer: bool):
    low = _bound(interval.lower) if interval else None
    high = _bound(interval.upper) if interval else None
    if integer:
        return st.integers(min_value=0, max_value=60).map(Fraction)
    lo = low if low is not None else Fraction(-100)
    hi = high if high is not None else lo + 100000
    hundredths = st.integers(min_value=int(lo * 100), max_value=int(hi * 100)).map(lambda n: Fraction(n, 100))
    # .xx5: a tie for rounding at two places, where a binary float rounds the wrong way
    ties = st.integers(min_value=int(lo * 100), max_value=int(hi * 100) - 1).map(lambda n: Fraction(10 * n + 5, 1000))
    edges = st.sampled_from([e for e in EDGES if _in_range(e, interval)] or [lo])
    return st.one_of(edges, hundredths, ties).filter(lambda v: _in_range(v, interval))


def values_of(type_, interval=None, length=None, indicator_names=()):
    if isinstance(type_, ast.BoolType):
        return st.booleans()
    if isinstance(type_, ast.NumberType):
        return numbers(interval, type_.integer)
    if isinstance(type_, ast.EnumType):
        return st.sampled_from([v.name for v in type_.values])
    if isinstance(type_, ast.TextType):
        return st.text(max_size=5)
    if isinstance(type_, ast.IndicatorType):
        return st.sampled_from(list(indicator_names))
    if isinstance(type_, ast.RecordType):
        return st.fixed_dictionaries({f.name: values_of(f.type, f.range, f.length, indicator_names)
                                      for f in type_.fields})
    if isinstance(type_, ast.ListType):
        low, high = length if length else (0, 4)
        element = values_of(type_.element, interval, None, indicator_names)
        if isinstance(type_.element, ast.IndicatorType):
            return st.lists(element, max_size=2, unique=True).map(tuple)
        return st.lists(element, min_size=low, max_size=high).map(tuple)
    raise TypeError(type_)


def applicants(plan, positive_lists=("main_revenue_by_year", "carbon_intensity_by_year"), omit=()):
    """Complete applicants for `plan`; revenue and intensity series kept positive;
    the inputs in `omit` (optional ones) left out."""
    indicator_names = [d.name for d in plan.symbols.indicators]
    fields = {}
    for name, decl in plan.symbols.inputs.items():
        if name in omit:
            continue
        strategy = values_of(decl.type, decl.range, decl.length, indicator_names)
        if name in positive_lists:
            strategy = strategy.map(lambda xs: tuple(abs(x) + 1 for x in xs))
        fields[name] = strategy
    return st.fixed_dictionaries(fields)
