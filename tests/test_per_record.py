"""Per-vehicle tables (one row per record) grouped into model records."""

from __future__ import annotations

from fractions import Fraction as F

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dsl.checker import check
from dsl.loader import load_ruleset_from_text
from engine.compiler import compile_rules
from engine.errors import DataError
from engine.evaluator import evaluate
from engine.per_record import load_grouped

RULES = '''input year "年度" § "1" : count
input models "车型" § "附件1" : list of record {
  model "车型" : text
  fuel_type "燃料类型" : enum(bev, phev, gasoline)
  range_km "续驶里程" : number [km] optional
  fuel_consumption "综合燃料消耗量" : number [L/100km] optional
  volume "产量" : count
}
result vehicles "车辆数" § "1" = sum(for m in models: m.volume)
result fuel "燃料" § "1" = sum(for m in models where m.fuel_type = gasoline: m.fuel_consumption * m.volume)
'''


@pytest.fixture(scope="module")
def plan():
    return compile_rules(check(load_ruleset_from_text(RULES)))


def vehicles(n_bev=6, n_gas=4, **extra):
    columns = {"year": [2024] * (n_bev + n_gas), "model": ["A"] * n_bev + ["B"] * n_gas,
               "fuel_type": ["bev"] * n_bev + ["gasoline"] * n_gas,
               "range_km": [400.0] * n_bev + [None] * n_gas, "fuel_consumption": [None] * n_bev + [5.1] * n_gas}
    columns.update(extra)
    return pa.table(columns)


def test_parquet_rows_become_counted_model_records(plan, tmp_path):
    pq.write_table(vehicles(), tmp_path / "v.parquet")
    [applicant] = load_grouped(tmp_path / "v.parquet", plan.symbols.inputs, [], "models", "volume")
    models = sorted(applicant.values["models"], key=lambda m: m["model"])
    assert [(m["model"], m["volume"]) for m in models] == [("A", 6), ("B", 4)]
    assert models[1]["fuel_consumption"] == F("5.1")  # a float64 cell read through its shortest repr
    results = evaluate(plan, applicant.values).results
    assert results["vehicles"] == 10 and results["fuel"] == F("20.4")


def test_csv_rows_are_read_exactly_and_split_by_applicant(plan, tmp_path):
    (tmp_path / "v.csv").write_text("enterprise,年度,车型,燃料类型,综合燃料消耗量\n"
                                    "E1,2024,B,gasoline,5.15\nE1,2024,B,gasoline,5.15\nE2,2024,C,gasoline,6\n",
                                    encoding="utf-8")
    applicants = load_grouped(tmp_path / "v.csv", plan.symbols.inputs, [], "models", "volume", by="enterprise")
    by_key = {a.key: a.values for a in applicants}
    assert by_key["E1"]["models"] == ({"model": "B", "fuel_type": "gasoline", "fuel_consumption": F("5.15"),
                                       "volume": 2},)
    assert by_key["E2"]["year"] == 2024


def test_bad_rows_are_reported_with_their_model(plan, tmp_path):
    pq.write_table(vehicles(fuel_type=["bev"] * 6 + ["diesal"] * 4, year=[2024] * 9 + [2025]),
                   tmp_path / "v.parquet")
    with pytest.raises(DataError) as info:
        load_grouped(tmp_path / "v.parquet", plan.symbols.inputs, [], "models", "volume")
    messages = " ".join(str(p) for p in info.value.problems)
    assert "diesal" in messages  # a fuel type outside the declared list
    assert "`year` must be the same in every row" in messages


def test_unknown_list_or_count_field_is_a_data_error(plan, tmp_path):
    pq.write_table(vehicles(), tmp_path / "v.parquet")
    with pytest.raises(DataError, match="problem"):
        load_grouped(tmp_path / "v.parquet", plan.symbols.inputs, [], "modles", "volume")
    with pytest.raises(DataError):
        load_grouped(tmp_path / "v.parquet", plan.symbols.inputs, [], "models", "volumes")


def test_pieces_are_grouped_across_row_groups_and_batches(plan, tmp_path, monkeypatch):
    """Several row groups (each with its own dictionaries), one read in batches, and merges of the
    per-piece groups on the way: the counts are those of the whole file."""
    from engine import per_record
    monkeypatch.setattr(per_record, "BATCH_ROWS", 4)
    monkeypatch.setattr(per_record, "MERGE_ROWS", 3)
    table = vehicles(n_bev=30, n_gas=20, enterprise=["E2", "E1"] * 25)
    with pq.ParquetWriter(tmp_path / "v.parquet", table.schema) as writer:
        writer.write_table(table.slice(0, 9), row_group_size=3)  # small groups, read whole
        writer.write_table(table.slice(9), row_group_size=41)  # a large one, read in batches of 4
    applicants = load_grouped(tmp_path / "v.parquet", plan.symbols.inputs, [], "models", "volume", by="enterprise")
    assert [a.key for a in applicants] == ["E1", "E2"]  # in the order of their values
    for applicant in applicants:
        assert [(m["model"], m["volume"]) for m in applicant.values["models"]] == [("A", 15), ("B", 10)]


def test_a_malformed_piece_read_ahead_is_a_data_error(plan, tmp_path, monkeypatch):
    from engine import per_record
    monkeypatch.setattr(per_record, "CSV_BLOCK_BYTES", 64)
    good = "年度,车型,燃料类型,综合燃料消耗量\n" + "2024,B,gasoline,5.15\n" * 20
    (tmp_path / "v.csv").write_text(good + "2024,B,gasoline,5.15,extra\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_grouped(tmp_path / "v.csv", plan.symbols.inputs, [], "models", "volume")
    assert info.value.problems[0].code == "malformed_file"


def test_a_corrupt_row_group_read_by_a_worker_is_a_data_error(plan, tmp_path):
    path = tmp_path / "v.parquet"
    pq.write_table(vehicles(n_bev=300, n_gas=300), path, row_group_size=200)
    chunk = pq.read_metadata(path).row_group(2).column(1)  # `model` in the last row group
    data = bytearray(path.read_bytes())
    start = chunk.data_page_offset
    data[start:start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    path.write_bytes(bytes(data))
    with pytest.raises(DataError) as info:
        load_grouped(path, plan.symbols.inputs, [], "models", "volume")
    assert info.value.problems[0].code == "malformed_file"
