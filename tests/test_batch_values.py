"""The batch evaluator over applicants already validated (the grouped vehicle records of
`rulecheck run --records`) gives exactly the scalar evaluator's answers."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.checker import check
from dsl.loader import load_ruleset
from engine.batch import compile_batch, evaluate_values
from engine.compiler import compile_rules
from engine.errors import DataError, EvalError
from engine.evaluator import evaluate
from engine.per_record import load_grouped
from engine.table_cells import result_text
from engine.table_io import run_rows, run_to_table
from engine.values import Missing
from tests.applicant_strategies import applicants

DUAL_CREDIT = Path(__file__).resolve().parents[1] / "standards" / "dual-credit" / "2024-notice-378" / "dual-credit.rules"
PLAN = compile_rules(check(load_ruleset(DUAL_CREDIT)))
BATCH_PLAN = compile_batch(PLAN)


def _assert_batch_equals_scalar(population):
    cells, unsure = evaluate_values(BATCH_PLAN, population)
    for i, values in enumerate(population):
        try:
            results = evaluate(PLAN, values, trace=False).results
        except (DataError, EvalError):  # a failed `validate`, or rules that cannot conclude
            assert unsure[i], f"applicant {i}: the scalar evaluator fails, the batch does not say so"
            continue
        if not unsure[i]:
            got = {name: cells[name][i].as_py() for name in BATCH_PLAN.results}
            want = {name: result_text(results.get(name, Missing())) for name in BATCH_PLAN.results}
            assert got == want, {n: (got[n], want[n]) for n in got if got[n] != want[n]}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(applicants(PLAN), min_size=1, max_size=6))
def test_generated_applicants_batch_equals_scalar(population):
    """The strategies draw exact values, as the validator gives them, crowded onto band edges."""
    _assert_batch_equals_scalar(population)


def _vehicles(path):
    """Two enterprises' vehicles, one row each."""
    rows = {"enterprise": ["E1", "E1", "E1", "E2", "E2"], "year": [2024] * 5,
            "enterprise_kind": ["domestic"] * 5, "small_independent": [False] * 5,
            "model": ["A", "A", "B", "C", "D"], "fuel_type": ["bev", "bev", "gasoline", "phev", "bev"],
            "seat_rows": [2] * 5, "curb_mass_kg": [1500, 1500, 1390, 1800, 2000],
            "fuel_consumption": [None, None, 5.5, 1.2, None], "range_km": [410.0, 410.0, None, 105.0, 200.0],
            "energy_density_wh_per_kg": [160.0, 160.0, None, None, 125.0],
            "electricity_consumption": [12.35, 12.35, None, 14.0, 13.1], "max_speed_30min": [120] * 5}
    pq.write_table(pa.table(rows), path)
    return path


def test_grouped_vehicle_records_batch_equals_scalar(tmp_path):
    """The vehicles grouped into models as `--records` does."""
    data = _vehicles(tmp_path / "vehicles.parquet")
    grouped = load_grouped(data, PLAN.symbols.inputs, [], "models", "volume", "enterprise")
    assert [a.key for a in grouped] == ["E1", "E2"]
    _assert_batch_equals_scalar([a.values for a in grouped])


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_run_with_records_writes_what_row_by_row_writes(tmp_path, suffix):
    data = _vehicles(tmp_path / "vehicles.parquet")
    records = ("models", "volume", "enterprise")
    batch = run_to_table(PLAN, data, tmp_path / f"batch{suffix}", records=records)
    one_by_one = run_rows(PLAN, data, tmp_path / f"rows{suffix}", records=records)
    assert (batch.total, batch.written, batch.bad_rows) == (one_by_one.total, one_by_one.written, ()) == (2, 2, ())
    assert (tmp_path / f"batch{suffix}").read_bytes() == (tmp_path / f"rows{suffix}").read_bytes()
