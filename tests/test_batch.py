"""The column-wise batch evaluator gives exactly the scalar evaluator's answers.

Populations are generated from each rule set's declared inputs, crowded onto
band edges and .xx5 rounding points (tests/applicant_strategies.py), written
as an Arrow table the way a user's Parquet file holds them (numbers as float64
or as text, lists and records nested, some cells empty), and evaluated both
ways; every cell must be equal, and a row is bad on one path exactly when it
is bad on the other.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import ast
from dsl.checker import check
from dsl.loader import load_ruleset
from engine.batch import compile_batch, evaluate_columns, run_batch
from engine.batch.load import shortest_decimals
from engine.compiler import compile_rules
from engine.table_cells import result_text
from engine.values import Missing
from tests.applicant_strategies import applicants

ROOT = Path(__file__).resolve().parents[1]
ENTERPRISE = ROOT / "standards" / "tsgipa-nev" / "2025-draft" / "enterprise.rules"
PROJECT = ROOT / "standards" / "tsgipa-nev" / "2025-draft" / "project.rules"
DUAL_CREDIT = ROOT / "standards" / "dual-credit" / "2024-notice-378" / "dual-credit.rules"


def _plan(path):
    return compile_rules(check(load_ruleset(path)))


PLANS = {"enterprise": _plan(ENTERPRISE), "project": _plan(PROJECT), "dual_credit": _plan(DUAL_CREDIT)}


# ---- applicants → the cells of a data file ---------------------------------------------------

def _number_cell(value: Fraction, type_, as_text: bool):
    if type_.unit == "%":
        value = value * 100
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text if as_text else float(text)


def _cell(value, type_, as_text: bool):
    if isinstance(type_, ast.NumberType):
        return _number_cell(value, type_, as_text)
    if isinstance(type_, ast.ListType):
        return [_cell(v, type_.element, False) for v in value]
    if isinstance(type_, ast.RecordType):
        fields = {f.name: f for f in type_.fields}
        return {k: _cell(v, fields[k].type, False) for k, v in value.items()}
    return value


def _table(plan, population, dropped, text_columns):
    """An Arrow table of the population; `dropped[i]` names the inputs row i leaves empty."""
    columns = {"name": [f"applicant {i}" for i in range(len(population))]}
    for name, decl in plan.symbols.inputs.items():
        if not any(name in applicant for applicant in population):
            continue
        columns[name] = [None if name not in applicant or name in dropped[i]
                         else _cell(applicant[name], decl.type, name in text_columns)
                         for i, applicant in enumerate(population)]
    return pa.table({k: pa.array(v) for k, v in columns.items()})


def _scalar_cells(plan, table, names):
    """Per row: the result texts, or None when the scalar path finds the row bad."""
    from engine.batch.table import _table_row
    from engine.data_formats import RawApplicant, parquet_cell
    from engine.table_io import evaluate_row
    columns = tuple(table.column_names)
    out = []
    for i, raw in enumerate(table.to_pylist()):
        fields = {c: parquet_cell(v) for c, v in raw.items() if v is not None}
        row = _table_row(RawApplicant(fields, i + 2, "", True, columns), plan,
                         [d.name for d in plan.symbols.indicators], "<data>", ["name"], None)
        outcome = evaluate_row(plan, row, "<data>")
        out.append(None if outcome is None else [result_text(outcome.results.get(n, Missing())) for n in names])
    return out


@st.composite
def populations(draw, plan, omit=()):
    population = draw(st.lists(applicants(plan, omit=omit), min_size=1, max_size=6))
    names = sorted({k for a in population for k in a})
    dropped = [draw(st.sets(st.sampled_from(names), max_size=2)) if draw(st.integers(0, 3)) == 0 else set()
               for _ in population]
    number_inputs = [n for n in names if isinstance(plan.symbols.inputs[n].type, ast.NumberType)]
    text_columns = draw(st.sets(st.sampled_from(number_inputs))) if number_inputs else set()
    return population, dropped, text_columns


def _evaluated(batch_plan, table):
    """evaluate_columns, its cells as Python lists."""
    cells, unsure = evaluate_columns(batch_plan, table)
    assert all(isinstance(c, pa.Array) and c.type == pa.string() for c in cells.values())
    return {name: c.to_pylist() for name, c in cells.items()}, unsure


def _assert_batch_equals_scalar(plan, population, dropped, text_columns):
    table = _table(plan, population, dropped, text_columns)
    batch_plan = compile_batch(plan)
    names = list(batch_plan.results)
    expected = _scalar_cells(plan, table, names)
    cells, unsure = _evaluated(batch_plan, table)
    for i, want in enumerate(expected):
        if want is None:
            assert unsure[i], f"row {i + 2}: the scalar path finds it bad, the batch does not"
        elif not unsure[i]:
            got = [cells[n][i] for n in names]
            assert got == want, {n: (g, w) for n, g, w in zip(names, got, want) if g != w}
    result = run_batch(batch_plan, table)
    good = [i for i, want in enumerate(expected) if want is not None]
    assert result.table.column("row").to_pylist() == [i + 2 for i in good]
    for name_index, name in enumerate(names):
        assert result.table.column(name).to_pylist() == [expected[i][name_index] for i in good]


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])


@SETTINGS
@given(populations(PLANS["enterprise"], omit=("key_tech_requirements",)))
def test_enterprise_batch_equals_scalar(generated):
    _assert_batch_equals_scalar(PLANS["enterprise"], *generated)


@SETTINGS
@given(populations(PLANS["project"], omit=("key_tech_requirements",)))
def test_project_batch_equals_scalar(generated):
    _assert_batch_equals_scalar(PLANS["project"], *generated)


@SETTINGS
@given(populations(PLANS["dual_credit"]))
def test_dual_credit_model_credits_batch_equals_scalar(generated):
    _assert_batch_equals_scalar(PLANS["dual_credit"], *generated)


# ---- worked values --------------------------------------------------------------------------

def test_floats_are_read_as_the_decimal_they_show():
    values = np.array([0.1, 1.035, 2.07, 69.995, 1200000.0, -3153.5, 0.30000000000000004, 1e-7])
    num, den, unusable = shortest_decimals(values)
    assert not unusable.any()
    got = [Fraction(int(n), den) for n in num]
    assert got == [Fraction(Decimal(repr(float(v)))) for v in values]


def test_a_tie_rounds_half_up_exactly_in_a_column():
    from engine.batch import columns as C
    # 2.07 × 0.5 = 1.035 is a tie at 2 places: half-up gives 1.04 (a float gives 1.03)
    product = C.mul(C.Num(np.array([207, -207]), 100), C.Num.const(Fraction(1, 2)))
    rounded = C.round_half_up(product, 2)
    assert [Fraction(int(n), rounded.den) for n in rounded.num] == [Fraction("1.04"), Fraction("-1.04")]


def test_an_error_in_one_row_sends_only_that_row_to_the_scalar_path():
    plan = PLANS["enterprise"]
    table = pa.table({"name": ["a", "b"], "main_revenue_by_year": [[100.0, 120.0], [0.0, 10.0]]})
    cells, unsure = _evaluated(compile_batch(plan), table)
    assert unsure.tolist() == [False, True]  # row b fails `revenue_base_positive`
    assert cells["growth_score"][0] == "4" and cells["total_score"][0] is None


@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_shipped_example_agrees(name):
    """The rule sets' own example applicants agree both ways."""
    import json

    import yaml
    plan = PLANS[name]
    folder = {"enterprise": ENTERPRISE, "project": PROJECT, "dual_credit": DUAL_CREDIT}[name].parent / "examples"
    rows = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".json"):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.suffix == ".yaml" \
                else json.loads(path.read_text(encoding="utf-8"))
            if set(data) - {"name"} <= set(plan.symbols.inputs) | {a.alias for a in plan.symbols.inputs.values()}:
                rows.append(data)
    batch_plan = compile_batch(plan)
    names = list(batch_plan.results)
    for applicant in rows:  # one table each: the examples spell one input in several ways
        table = pa.Table.from_pylist([applicant])
        expected = _scalar_cells(plan, table, names)[0]
        cells, unsure = _evaluated(batch_plan, table)
        if expected is not None:
            assert not unsure[0]
            assert [cells[n][0] for n in names] == expected


def test_a_blank_row_is_skipped_as_on_the_row_by_row_path():
    table = pa.table({"name": ["a", None, "c"], "key_tech_expert_score": [9.0, None, 7.0]})
    result = run_batch(compile_batch(PLANS["enterprise"]), table)
    assert result.table.column("row").to_pylist() == [2, 4]


def test_keys_and_identification_cells_are_those_of_the_row_by_row_path():
    from engine.data import applicant_key
    from engine.table_cells import id_text
    plan = PLANS["enterprise"]
    names = [" a ", None, "   ", "b"]
    for ids in ({"name": names}, {"name": names, "id": [1, None, 3, 4]}, {"id": [1.5, 2.0, None, -3.0]}):
        table = pa.table({**ids, "key_tech_expert_score": [9.0, 8.0, 7.0, 6.0]})
        result = run_batch(compile_batch(plan), table)
        rows = table.to_pylist()
        assert result.table.column("key").to_pylist() == [applicant_key(row, plan.symbols.inputs) for row in rows]
        for column in ids:
            assert result.table.column(column).to_pylist() == [id_text(row[column]) for row in rows]
