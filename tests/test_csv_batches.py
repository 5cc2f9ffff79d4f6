"""A CSV table of applicants written to Parquet or CSV takes the column-wise path
(engine/csv_batches.py) and writes exactly what the row-by-row path writes: the
same bytes, row numbers, bad rows, problems and totals, for every CSV the tests
use and for generated tables with blank lines, odd cells, ragged rows and
encodings; files the batch reader cannot vouch for are read row by row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.csv_batches as csv_batches
import engine.table_io as table_io
from engine.cli import _plan_for
from engine.csv_batches import RowByRow, open_csv_table
from engine.table_io import run_rows, run_to_table

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ROOT / "standards" / "tsgipa-nev" / "2025-draft"
POPULATION = ROOT / "standards" / "tsgipa-nev" / "populations" / "enterprises.csv"

TYPES = """\
input note "备注" § "1" : text
input patents "发明专利" § "1" : count [项]
input share "占比" § "1" : number [%] range [0%, 100%] optional default 50%
input level "级别" § "1" : enum(high "高", low "低") optional default low
input revenue "收入" § "1" : list of number [万元] length 1..3 optional default []
result doubled "两倍" § "2" = patents * 2
result noted "说明" § "2" = note
result part "份额" § "2" = share
result graded "等级" § "2" = level
result earned "合计" § "2" = sum(for r in revenue: r)
"""


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    rules = tmp_path_factory.mktemp("rules") / "types.rules"
    rules.write_text(TYPES, encoding="utf-8")
    return {"enterprise": _plan_for(str(DRAFT / "enterprise.rules")),
            "project": _plan_for(str(DRAFT / "project.rules")), "types": _plan_for(str(rules))}


def columnwise(plan, data: Path) -> bool:
    """Whether the batch reader takes the file (else it is read row by row)."""
    try:
        for _ in open_csv_table(plan, data, str(data), table_io.BATCH_ROWS).batches:
            pass
    except RowByRow:
        return False
    return True


def assert_same(plan, data, folder: Path, strict: bool = False):
    """Both paths give the same run and the same output file, byte for byte."""
    for suffix in (".csv", ".parquet"):
        batch, rows = folder / f"batch{suffix}", folder / f"rows{suffix}"
        for path in (batch, rows):
            path.unlink(missing_ok=True)
        expected = run_rows(plan, data, rows, strict=strict)
        assert run_to_table(plan, data, batch, strict=strict) == expected
        assert batch.exists() == rows.exists() == expected.written_file
        if expected.written_file:
            assert batch.read_bytes() == rows.read_bytes(), suffix


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ---- the CSV files of the tests ---------------------------------------------------------

def broken_population(tmp_path: Path) -> Path:
    lines = POPULATION.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",false,true,false,", ",maybe,true,false,", 1)
    lines[4] = lines[4].replace("clean", "spotless", 1)
    return write(tmp_path / "broken.csv", "".join(lines))


@pytest.mark.parametrize("plan_name, data", [
    ("enterprise", POPULATION),
    ("enterprise", DRAFT / "examples" / "green-service.csv"),
    ("project", DRAFT / "examples" / "project-at-80.csv"),
    ("enterprise", "broken"),
])
@pytest.mark.parametrize("strict", [False, True])
def test_the_csv_files_of_the_tests_give_the_same_output(plans, tmp_path, plan_name, data, strict):
    data = broken_population(tmp_path) if data == "broken" else data
    assert columnwise(plans[plan_name], data)
    assert_same(plans[plan_name], data, tmp_path, strict)


def test_the_column_wise_path_is_taken(plans, tmp_path, monkeypatch):
    monkeypatch.setattr(table_io, "run_rows", None)  # calling it would fail
    run = run_to_table(plans["enterprise"], broken_population(tmp_path), tmp_path / "out.parquet")
    assert (run.total, run.written, run.bad_rows) == (25, 23, (3, 5))


@pytest.mark.parametrize("text, encoding", [
    ("name,patents\nA,1\n,\nB,2\n", "utf-8"),  # a blank row keeps its number
    ("名称,发明专利\n甲,2\n", "gb18030"),
    ("\ufeff name , 发明专利 ,note\r\nA,1,x\r\n\r\n\r\n", "utf-8"),  # BOM, spaces round names, trailing blank lines
    ("patents,note\n1,2,3\n4,5\n6\n\n,,,x\n", "utf-8"),  # rows longer and shorter than the header
    ("patents,,note,\n1,,a,\n2,x,b,\n3,,c, \n", "utf-8"),  # columns without a header, one with a value
    ('note,patents\n"a\nb, ""c""",1\n"",2\n  ,3\n', "utf-8"),  # quoted newline, comma and quotes
    ("patents,share\n1,4.5%\n2,1,200\n3,\"1,200\"\n4,1e1\n5,٣\n6,1_0\n7,NaN\n", "utf-8"),
    ("patents,level\n1,高\n2,middle\n3, low \n-1,low\n", "utf-8"),
    ("patents,note\n1,a\n1,a\n1,b\n", "utf-8"),  # identical rows
])
def test_tables_the_batch_reader_takes(plans, tmp_path, text, encoding):
    data = write(tmp_path / "a.csv", text, encoding)
    assert columnwise(plans["types"], data)
    assert_same(plans["types"], data, tmp_path)
    assert_same(plans["types"], data, tmp_path, strict=True)


@pytest.mark.parametrize("content", [
    b"",
    b"\xef\xbb\xbf",
    b",,\n1,2\n",  # no header
    b"patents,note,patents\n1,2,3,4\n",  # a column named twice
    b"patents,patnets\n1,\n",  # an unknown column
    b"patents\n",  # no data rows
    b"patents\n\n ,\n",  # only blank rows
    b"patents\n1\n\x81\x30\n",  # neither UTF-8 nor GB18030
    b"note,patents\n" + b"x" * 131_073 + b",1\n",  # a cell beyond csv.field_size_limit()
])
def test_files_the_batch_reader_leaves_to_the_row_by_row_path(plans, tmp_path, content):
    data = tmp_path / "a.csv"
    data.write_bytes(content)
    assert not columnwise(plans["types"], data)
    assert_same(plans["types"], data, tmp_path)


def test_problems_name_the_data_file_as_given(plans, tmp_path):
    write(tmp_path / "a.csv", "patents,note\nx,1\n")
    assert_same(plans["types"], f"{tmp_path}/./a.csv", tmp_path)


def test_line_ends_across_the_readers_chunks(plans, tmp_path):
    """CRLF, CR and quoted line breaks wherever the decoder's chunks end."""
    rows = "".join(f'{i},"n\r\n{i}"' + ("\r" if i % 3 else "\r\n") for i in range(3000))
    data = write(tmp_path / "a.csv", "patents,note\r\n" + rows)
    assert columnwise(plans["types"], data)
    assert_same(plans["types"], data, tmp_path)


# ---- generated tables -------------------------------------------------------------------

ODD_CELLS = ["", " ", "\t", "\u3000", " 5 ", "maybe", "是", "YES", "spotless", "clean", "national", "45%", "4.5 %",
             "1,200,000", "1e3", "+5", "٣", "1_000", ".5", "5.", "NaN", "Infinity", "-0", "-1", "0.1", "12.340",
             "甲\n乙", "a,b", '"quoted"', "1; 2;", "[1, 2]", "[", "{}", "１２", "not_evaluated", "x" * 3]


def population() -> tuple[list, list]:
    with POPULATION.open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    return header, rows


HEADER, ROWS = population()


@st.composite
def csv_texts(draw):
    """A CSV text made from rows of the population, and its encoding."""
    header = list(HEADER)
    rows = [list(ROWS[i]) for i in draw(st.lists(st.integers(0, len(ROWS) - 1), min_size=1, max_size=8))]
    for _ in range(draw(st.integers(0, 10))):
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(0, len(row) - 1))] = draw(st.sampled_from(ODD_CELLS))
    for _ in range(draw(st.integers(0, 2))):  # rows shorter or longer than the header
        row = draw(st.sampled_from(rows))
        if draw(st.booleans()):
            del row[draw(st.integers(0, len(row))):]
        else:
            row += draw(st.lists(st.sampled_from(["", " ", "x"]), min_size=1, max_size=2))
    if draw(st.booleans()):  # a column without a header
        header.append(draw(st.sampled_from(["", " "])))
        for row in rows:
            row.append(draw(st.sampled_from(["", "", "y"])))
    header = [draw(st.sampled_from(["{}", " {} ", "{}\t"])).format(name) for name in header]
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = []
    for row in [header, *rows]:
        stream = io.StringIO()
        csv.writer(stream, lineterminator=end).writerow(row)
        lines.append(stream.getvalue())
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", ",,", "  ", ",x"])) + end)  # a blank row, or a stray cell
    text = "".join(lines)
    if draw(st.booleans()):
        text = text[: -len(end)]  # no line end after the last row
    text += draw(st.sampled_from(["", end, end * 3]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return text, encoding


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(csv_texts(), st.sampled_from([1, 2, 3, 65536]), st.sampled_from([1, 2, 8192]), st.booleans())
def test_generated_tables_give_the_same_output(plans, tmp_path, table, batch_rows, chunk_rows, strict):
    text, encoding = table
    data = write(tmp_path / "gen.csv", text, encoding)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(table_io, "BATCH_ROWS", batch_rows)
        patch.setattr(csv_batches, "CHUNK_ROWS", chunk_rows)
        assert_same(plans["enterprise"], data, tmp_path, strict)
