"""`rulecheck run … --output FILE.parquet|.csv|.xlsx`, Parquet applicant tables, bad rows, `explain --row`."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from engine.cli import main
from engine.data_formats import loads_json

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ROOT / "standards" / "tsgipa-nev" / "2025-draft"
ENTERPRISE = DRAFT / "enterprise.rules"
POPULATION = ROOT / "standards" / "tsgipa-nev" / "populations" / "enterprises.csv"
KEY_TECH = DRAFT / "examples" / "key-tech-a2-battery.json"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def rulecheck(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def json_results(capsys, data, *extra):
    code, out, err = rulecheck(capsys, "run", ENTERPRISE, data, "--format", "json", *extra)
    assert code == 0, err
    documents = loads_json(out)
    return documents if isinstance(documents, list) else [documents]


def read_table(path: Path) -> list[dict]:
    """The rows of an output table, cells as written (text, or XLSX numbers and booleans)."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as stream:
            return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(stream)]
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    import openpyxl
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def same_value(cell, expected) -> bool:
    """A cell of the output table against the value of the JSON result (numbers as Decimal)."""
    if expected is None:
        return cell is None
    if isinstance(expected, bool):
        return cell is expected if isinstance(cell, bool) else cell == ("true" if expected else "false")
    if isinstance(expected, (int, Decimal)):
        if isinstance(cell, float):  # an XLSX number: its shortest repr is the JSON text
            return Decimal(repr(cell)) == Decimal(expected)
        if isinstance(cell, int):
            return cell == expected
        return isinstance(cell, str) and Decimal(cell) == Decimal(expected)
    if isinstance(expected, str):
        return cell == expected
    return isinstance(cell, str) and loads_json(cell) == expected


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_results_round_trip_exactly_through_each_format(capsys, tmp_path, suffix):
    documents = json_results(capsys, POPULATION)
    totals = [d["results"]["total_score"] for d in documents]
    assert Decimal("78.645") in totals and Decimal("46.0055") in totals  # half-way cases at 2 decimals
    assert Decimal("69.372093023255814") in totals  # a normalised total: 5966/86, no terminating decimal
    assert None in totals and any("not_evaluated" in d["results"].values() for d in documents)
    output = tmp_path / f"results{suffix}"
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, POPULATION, "--output", output)
    assert code == 0, err
    rows = read_table(output)
    assert len(rows) == len(documents)
    for row, document in zip(rows, documents):
        assert int(row["row"]) == document["subject"]["row"]
        assert row["key"] == document["subject"]["key"] == row["name"]  # the name column is copied through
        assert list(row)[3:] == list(document["results"])
        for name, expected in document["results"].items():
            assert same_value(row[name], expected), (suffix, row["row"], name, row[name], expected)
    if suffix == ".xlsx":  # numbers that show exactly are number cells, the others text
        by_key = {r["key"]: r for r in rows}
        assert by_key["卯车载充电机有限公司（优质中小企业）"]["total_score"] == 78.645
        assert by_key["申电池回收服务有限公司"]["total_score"] == "69.372093023255814"


def test_per_record_results_are_json_text(capsys, tmp_path):
    [document] = json_results(capsys, KEY_TECH)
    records = document["results"]["key_tech_requirements"]
    assert records and isinstance(records[0], dict)
    output = tmp_path / "key-tech.csv"
    assert rulecheck(capsys, "run", ENTERPRISE, KEY_TECH, "-o", output)[0] == 0
    [row] = read_table(output)
    assert loads_json(row["key_tech_requirements"]) == records
    assert row["row"] is None and row["key"] == document["subject"]["key"]


def population_as_parquet(path: Path) -> None:
    """The population CSV as Parquet: text columns, plus typed float64 and decimal columns."""
    names = pacsv.open_csv(POPULATION).schema.names
    table = pacsv.read_csv(POPULATION, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=True))
    revenue = table.column("revenue_last_year").cast(pa.float64())
    rd = table.column("rd_expense").cast(pa.decimal128(20, 4))
    table = table.set_column(names.index("revenue_last_year"), "revenue_last_year", revenue)
    table = table.set_column(names.index("rd_expense"), "rd_expense", rd)
    pq.write_table(table, path)


def test_a_parquet_table_of_applicants_reads_like_the_csv(capsys, tmp_path):
    parquet = tmp_path / "enterprises.parquet"
    population_as_parquet(parquet)
    from_csv, from_parquet = json_results(capsys, POPULATION), json_results(capsys, parquet)
    for a, b in zip(from_csv, from_parquet, strict=True):
        assert a["results"] == b["results"] and a["missing"] == b["missing"]
        assert (a["subject"]["row"], a["subject"]["key"]) == (b["subject"]["row"], b["subject"]["key"])
        assert a["receipt"]["input_sha256"] == b["receipt"]["input_sha256"]  # exactly the same values


def broken_population(tmp_path: Path) -> Path:
    lines = POPULATION.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",false,true,false,", ",maybe,true,false,", 1)  # row 3: a bool that is not
    lines[4] = lines[4].replace("clean", "spotless", 1)  # row 5: an unknown process level
    path = tmp_path / "broken.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_bad_rows_are_reported_by_row_and_skipped(capsys, tmp_path, suffix):
    data = broken_population(tmp_path)
    output = tmp_path / f"out{suffix}"
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "-o", output)
    assert code == 4
    assert "row 3, column green_service" in err and "row 5, column process_level" in err
    assert "skipped 2 of 25 row(s) with invalid data (rows 3, 5); wrote 23" in err
    rows = read_table(output)
    assert [int(r["row"]) for r in rows] == [n for n in range(2, 27) if n not in (3, 5)]


def test_strict_writes_nothing_when_a_row_is_bad(capsys, tmp_path):
    data = broken_population(tmp_path)
    output = tmp_path / "out.parquet"
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "-o", output, "--strict")
    assert code == 4 and "nothing was written" in err and "row 3" in err
    assert not output.exists() and list(tmp_path.iterdir()) == [data]
    code, _, _ = rulecheck(capsys, "run", ENTERPRISE, POPULATION, "-o", output, "--strict")
    assert code == 0 and len(read_table(output)) == 25


def test_an_unknown_column_stops_the_run_before_anything_is_written(capsys, tmp_path):
    data = tmp_path / "typo.csv"
    data.write_text(POPULATION.read_text(encoding="utf-8").replace("rd_expense", "rd_expence", 1), encoding="utf-8")
    output = tmp_path / "out.csv"
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "-o", output)
    assert code == 4 and "rd_expence" in err and "did you mean `rd_expense`" in err
    assert not output.exists()


def test_many_bad_rows_are_capped_in_the_report(capsys, tmp_path):
    data = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"name": [f"e{i}" for i in range(60)], "green_service": ["maybe"] * 60}), data)
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "-o", tmp_path / "out.csv")
    assert code == 4
    assert "row 51, column green_service" in err and "row 52, column" not in err  # 50 problems shown
    assert "... and 10 more" in err and "(rows 2, 3," in err and "… and 10 more)" in err
    assert read_table(tmp_path / "out.csv") == []


def test_explain_row_is_run_on_that_applicant_alone(capsys, tmp_path):
    lines = POPULATION.read_text(encoding="utf-8").splitlines(keepends=True)
    number = 13  # 丑氢能部件有限公司: an SME whose total 46.0055 is a half-way case
    alone = tmp_path / "alone.csv"
    alone.write_text(lines[0] + lines[number - 1], encoding="utf-8")
    [expected] = json_results(capsys, alone)
    code, out, err = rulecheck(capsys, "explain", ENTERPRISE, POPULATION, "--row", number, "--format", "json")
    assert code == 0, err
    explained = loads_json(out)
    for part in ("results", "levels", "missing", "missing_affects"):
        assert explained[part] == expected[part]
    assert explained["subject"]["row"] == number and explained["subject"]["key"] == expected["subject"]["key"]
    assert explained["receipt"]["input_sha256"] == expected["receipt"]["input_sha256"]
    assert explained["trace"]["kind"] == "evaluation" and explained["trace"]["children"]
    _, traced, _ = rulecheck(capsys, "run", ENTERPRISE, alone, "--trace")
    code, text, _ = rulecheck(capsys, "explain", ENTERPRISE, POPULATION, "--row", number)
    assert code == 0
    assert f"row {number} (丑氢能部件有限公司" in text.splitlines()[0]
    assert text.splitlines()[1:] == traced.splitlines()[1:]  # the same report and trace


def test_explain_reports_a_bad_row_or_a_row_that_is_not_there(capsys, tmp_path):
    data = broken_population(tmp_path)
    code, _, err = rulecheck(capsys, "explain", ENTERPRISE, data, "--row", 3)
    assert code == 4 and "row 3, column green_service" in err and "row 5" not in err
    assert rulecheck(capsys, "explain", ENTERPRISE, data, "--row", 4)[0] == 0  # other rows' problems don't matter
    code, _, err = rulecheck(capsys, "explain", ENTERPRISE, data, "--row", 99)
    assert code == 2 and "no row 99" in err


def test_twenty_thousand_parquet_applicants_stream_through(capsys, tmp_path, monkeypatch):
    import engine.data_formats as data_formats
    import engine.table_cells as table_cells
    monkeypatch.setattr(table_cells, "PARQUET_GROUP_ROWS", 3000)  # several row groups out, several batches in
    monkeypatch.setattr(data_formats, "PARQUET_BATCH_ROWS", 4096)
    source = tmp_path / "enterprises.parquet"
    population_as_parquet(source)
    base = pq.read_table(source)
    size = 20_000
    indices = pa.array([i % base.num_rows for i in range(size)])
    table = base.take(indices)
    table = table.set_column(0, "name", pa.array([f"企业{i:05d}" for i in range(size)]))
    # vary a scored input so that ~1 000 distinct applicants are evaluated, not 25
    rd = [Decimal(v) * (1 + Decimal(i % 40) / 100) if v is not None else None
          for i, v in enumerate(table.column("rd_expense").to_pylist())]
    table = table.set_column(table.schema.get_field_index("rd_expense"), "rd_expense",
                             pa.array(rd, type=pa.decimal128(24, 8)))
    data = tmp_path / "many.parquet"
    pq.write_table(table, data, row_group_size=5000)
    output = tmp_path / "results.parquet"
    code, _, err = rulecheck(capsys, "run", ENTERPRISE, data, "-o", output)
    assert code == 0, err
    written = pq.ParquetFile(output)
    assert written.metadata.num_rows == size and written.metadata.num_row_groups > 1
    rows = written.read(columns=["row", "key", "total_score"]).to_pylist()
    assert [r["row"] for r in rows] == list(range(2, size + 2))
    assert rows[12345]["key"] == "企业12345"
    # spot checks against evaluating that row alone
    for index in (0, 7777, 19_999):
        alone = tmp_path / f"row{index}.parquet"
        pq.write_table(table.slice(index, 1), alone)
        [document] = json_results(capsys, alone)
        assert same_value(rows[index]["total_score"], document["results"]["total_score"])


def test_grouped_records_write_one_row_per_applicant(capsys, tmp_path):
    rules = tmp_path / "v.rules"
    rules.write_text('input models "车型" § "附件1" : list of record {\n  model "车型" : text\n  volume "产量" : count\n}\n'
                     'result vehicles "车辆数" § "1" = sum(for m in models: m.volume)\n', encoding="utf-8")
    data = tmp_path / "v.csv"
    data.write_text("enterprise,model\nE1,A\nE1,A\nE1,B\nE2,C\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    code, _, err = rulecheck(capsys, "run", rules, data, "--records", "models", "--count", "volume",
                             "--by", "enterprise", "-o", output)
    assert code == 0, err
    assert sorted((r["key"], r["vehicles"]) for r in read_table(output)) == [("E1", "3"), ("E2", "1")]


@pytest.mark.parametrize("data_kind", ["parquet", "csv"])
def test_batches_on_two_processes_write_what_one_process_writes(capsys, tmp_path, monkeypatch, data_kind):
    """`--jobs 2` (engine/parallel.py): batches evaluated by worker processes, results in order,
    bad rows reported as by one process, the same file byte for byte."""
    import engine.table_io as table_io
    monkeypatch.setattr(table_io, "BATCH_ROWS", 7)  # several batches from the small population
    data = broken_population(tmp_path)
    if data_kind == "parquet":
        table = pacsv.read_csv(data, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
        data = tmp_path / "broken.parquet"
        pq.write_table(table, data)
    runs = {}
    for jobs in (1, 2):
        output = tmp_path / f"out-{jobs}.parquet"
        runs[jobs] = rulecheck(capsys, "run", ENTERPRISE, data, "-o", output, "--jobs", jobs)
    code, out, err = runs[1]
    assert (code, out, err.replace("out-1", "out-2")) == runs[2] and code == 4 and "row 3" in err and "row 5" in err
    assert (tmp_path / "out-1.parquet").read_bytes() == (tmp_path / "out-2.parquet").read_bytes()


class _EndsTheWorker:
    """A batch whose unpickling ends the worker process, as the system killing it would."""
    num_rows = 1

    def __reduce__(self):
        import os
        return os._exit, (1,)


def test_a_worker_process_that_dies_is_reported_not_a_traceback():
    from engine.parallel import WorkerStopped, table_runs
    from dsl.loader import load_ruleset
    run, _, _ = next(table_runs(load_ruleset(ENTERPRISE), [(2, _EndsTheWorker(), ())], "<data>", 2))
    with pytest.raises(WorkerStopped, match="--jobs 1"):
        run(None)
