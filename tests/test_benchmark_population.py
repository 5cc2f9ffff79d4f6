"""The benchmark population (benchmarks/population.py) and the float baselines it is scored by.

Every generated applicant must be valid data on which the enterprise rules
conclude. The hand-written NumPy and Polars scorers (benchmarks/baselines/)
must then give rulecheck's total and grade for every applicant that is not
exactly on a band edge; on an edge binary floating point may decide either way
(that is what benchmarks/batch.py measures), so there only a majority is asked.
"""

from __future__ import annotations

import importlib
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from engine.data import load_applicants
from engine.evaluator import evaluate
from tests.standards.enterprise_helpers import enterprise_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import population  # noqa: E402

N = 200
PERCENT = Fraction(1, 100)
GROWTH_EDGES = {0 * PERCENT, 5 * PERCENT, 15 * PERCENT}  # table 8
DECLINE_EDGES = (4 * PERCENT, 6 * PERCENT)  # table 12
GRADE_EDGES = {60, 70, 85}  # table 28


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """(the population as an Arrow table, the scalar evaluator's outcome for each row)."""
    import pyarrow.parquet as pq
    path = tmp_path_factory.mktemp("population") / "enterprises.parquet"
    population.write_population(path, N)
    plan = enterprise_plan()
    applicants = load_applicants(path, plan.symbols.inputs, [d.name for d in plan.symbols.indicators])
    return pq.read_table(path), [evaluate(plan, a.values, trace=False) for a in applicants]


def on_edge(outcome) -> bool:
    """Whether an exact value the bands compare sits exactly on an edge (where floats go either way)."""
    values = outcome.values
    ratio, periods = values.get("intensity_ratio"), values.get("intensity_periods")
    return (values["total_score"] in GRADE_EDGES or values["average_growth"] in GROWTH_EDGES
            or isinstance(ratio, Fraction) and any(ratio == (1 - t) ** periods for t in DECLINE_EDGES))


def test_every_applicant_is_valid_and_concludes(scored):
    table, outcomes = scored
    assert table.num_rows == len(outcomes) == N
    assert all(isinstance(o.results["total_score"], Fraction) for o in outcomes)
    assert {o.results["grade"] for o in outcomes} == {"不予认定", "未达等级", "浅绿", "中绿", "深绿"}


def test_the_population_crowds_the_edges(scored):
    _, outcomes = scored
    assert sum(on_edge(o) for o in outcomes) >= N // 2
    assert sum(o.results["total_score"] in GRADE_EDGES for o in outcomes) >= N // 10


@pytest.mark.parametrize("library", ["numpy", "polars"])
def test_float_baselines_agree_off_the_edges(scored, library):
    pytest.importorskip(library)  # Polars comes with the `benchmark` extra only
    table, outcomes = scored
    total, grade = importlib.import_module(f"baselines.with_{library}").score(table)
    off_edge = [i for i, o in enumerate(outcomes) if not on_edge(o)]
    assert len(off_edge) >= N // 10
    for i in off_edge:
        assert grade[i] == outcomes[i].results["grade"], f"row {i}"
        assert total[i] == pytest.approx(float(outcomes[i].results["total_score"]), abs=1e-9), f"row {i}"
    same = sum(g == o.results["grade"] for g, o in zip(grade, outcomes))
    assert same >= 0.85 * N  # on the edges too, most grades still come out right
