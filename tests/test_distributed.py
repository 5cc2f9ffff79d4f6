"""`engine.distributed`: a Parquet data set evaluated on a Dask cluster gives, row for row and
cell for cell, what `rulecheck run DATA -o OUT.parquet` gives on one machine."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.test_table_io import ENTERPRISE, population_as_parquet, rulecheck

ROOT = Path(__file__).resolve().parents[1]
SIZE = 400
GROUP_ROWS = 60  # one partition per row group: 7 partitions
BLANK = 130  # an empty row in the middle: it takes a row number all the same
BAD = 301  # a row of a late partition (the blank row counted) given an invalid cell: data row BAD + 2


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def plan():
    from engine.cli import _plan_for
    return _plan_for(str(ENTERPRISE))


def applicants(tmp_path: Path) -> pa.Table:
    """SIZE enterprises from the 25 of the population, varied, with native Arrow types:
    float64, decimal, an integer column with nulls, a list of records, one blank row."""
    population_as_parquet(tmp_path / "population.parquet")
    base = pq.read_table(tmp_path / "population.parquet")
    table = base.take(pa.array([i % base.num_rows for i in range(SIZE)]))

    def replace(name, array):
        return table.set_column(table.schema.get_field_index(name), name, array)

    table = replace("name", pa.array([f"企业{i:04d}" for i in range(SIZE)]))
    table = replace("rd_expense", pa.array([None if v is None else Decimal(v) * (1 + Decimal(i % 40) / 100)
                                            for i, v in enumerate(table.column("rd_expense").to_pylist())],
                                           type=pa.decimal128(24, 8)))
    table = replace("recommended_catalog_items", table.column("recommended_catalog_items").cast(pa.int64()))
    assert table.column("recommended_catalog_items").null_count > 0  # must stay null, not become NaN
    table = replace("standards", pa.array([json.loads(v) for v in table.column("standards").to_pylist()],
                                          type=pa.list_(pa.struct([(k, pa.string()) for k in
                                                                   ("level", "kind", "role")]))))
    blank = pa.table({c: pa.nulls(1, table.schema.field(c).type) for c in table.column_names})
    return pa.concat_tables([table.slice(0, BLANK), blank, table.slice(BLANK)])


def with_invalid_row(table: pa.Table) -> pa.Table:
    levels = table.column("process_level").to_pylist()
    levels[BAD] = "spotless"  # not a process level
    return table.set_column(table.schema.get_field_index("process_level"), "process_level", pa.array(levels))


def on_dask(plan, data: Path, output: Path, client):
    from engine.distributed import run_on_dask
    return run_on_dask(plan, data, output, client=client, read_options={"split_row_groups": True})


def test_a_cluster_writes_what_one_machine_writes(capsys, tmp_path, client, plan):
    data = tmp_path / "applicants.parquet"
    pq.write_table(applicants(tmp_path), data, row_group_size=GROUP_ROWS)
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "-o", tmp_path / "single.parquet")
    assert code == 0, err
    expected = pq.read_table(tmp_path / "single.parquet")
    run = on_dask(plan, data, tmp_path / "results", client)
    assert (run.total, run.written, run.bad_rows, run.problems) == (expected.num_rows, expected.num_rows, (), ())
    files = sorted((tmp_path / "results").iterdir())
    assert len(files) == -(-(SIZE + 1) // GROUP_ROWS)  # one file per partition
    written = pq.read_table(files)  # in name order: already in row order
    assert written.column("row").to_pylist()[-1] == SIZE + 2  # numbered across partitions, the blank row too
    assert written.schema.remove_metadata() == expected.schema.remove_metadata()
    assert written.to_pylist() == expected.to_pylist()
    assert written.schema.metadata[b"rulecheck"] == expected.schema.metadata[b"rulecheck"]


def test_a_bad_row_is_reported_by_its_row_in_the_whole_data(capsys, tmp_path, client, plan):
    from engine.table_io import run_to_table
    data = tmp_path / "broken.parquet"
    pq.write_table(with_invalid_row(applicants(tmp_path)), data, row_group_size=GROUP_ROWS)
    row = BAD + 2  # after the header
    reference = run_to_table(plan, data, tmp_path / "single.parquet")
    run = on_dask(plan, data, tmp_path / "results", client)
    assert run.bad_rows == reference.bad_rows == (row,)
    assert run.problems == reference.problems and f"row {row}, column process_level" in str(run.problems[0])
    assert (run.total, run.written) == (reference.total, reference.written)
    written = pq.read_table(tmp_path / "results").sort_by("row")
    assert written.to_pylist() == pq.read_table(tmp_path / "single.parquet").to_pylist()


def test_the_command_line_runs_on_a_cluster(capsys, tmp_path, client):
    data = tmp_path / "broken.parquet"
    pq.write_table(with_invalid_row(applicants(tmp_path)), data, row_group_size=GROUP_ROWS)
    address = client.scheduler.address
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "--dask", address, "-o", tmp_path / "results")
    assert code == 4 and f"row(s) with invalid data (rows {BAD + 2}); wrote" in err
    assert pq.read_table(tmp_path / "results").column("row").to_pylist()[-1] == SIZE + 2
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "--dask", address, "--strict", "-o", tmp_path / "none")
    assert code == 4 and "nothing was written" in err and not (tmp_path / "none").exists()
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "--dask", address, "-o", tmp_path / "results")
    assert code == 2 and "is not an empty folder" in err  # never mixed with an earlier run's files


def test_without_dask_the_import_says_what_to_install():
    code = "import sys; sys.modules['dask'] = None; import engine.distributed"
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 1 and "pip install 'rulecheck[dask]'" in found.stderr
