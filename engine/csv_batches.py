"""A CSV table of applicants in record batches for the column-wise path (engine/batch),
read exactly as the row-by-row path reads it.

The row-by-row reader (engine/data_formats.py `_read_csv`) decodes the whole file
(UTF-8, else GB18030) and hands the text to `csv.reader`; its rows are numbered
from the header (row 1), blank rows and rows spanning several lines through a
quoted newline counting one each. Here the same decoding and the same
`csv.reader` run over the file as a stream, so every cell and every row number
is the one the row-by-row path sees; there is no second CSV dialect to keep in
step (pyarrow.csv reads blank lines, rows of the wrong length, a space before a
quote and a quote left open at the end of the file differently, or refuses them).

Each batch is an Arrow table with one text column per header, blank cells null
(the row-by-row reader leaves them out) and blank rows kept, so that row numbers
run on; numbers stay text, which engine/batch/load.py reads as the scalar
validator does. A row with a value in a column without a header is left blank in
the table and reported as the row-by-row path reports it: the cells without a
header, then what validation finds in the others.

A file the row-by-row reader rejects or reads specially raises `RowByRow`: one
that cannot be read or decoded, no header, a column named twice, a column that
is not an input, a CSV error (a cell beyond `csv.field_size_limit()`), no data
rows. It is raised before the first batch or, for the last two, before the
output is put in place; the caller then reads the file row by row, which says
what is wrong.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Iterator

import attrs

from engine.data import check_columns, validate
from engine.data_formats import csv_encoding, header_name, unheadered_cell

CHUNK_ROWS = 8192  # rows held as Python text at a time; a batch is made of such chunks


class RowByRow(Exception):
    """The file must be read row by row (engine/table_io.py `run_rows`)."""


@attrs.frozen
class CsvTable:
    columns: tuple  # the header's names, stripped, blank ones left out
    batches: Iterator  # (first row number, Arrow table, [(row number, problems)] of rows found bad)


def open_csv_table(plan, path: Path, source: str, batch_rows: int) -> CsvTable:
    """The applicants of the CSV file `path` for `plan`, in batches of about `batch_rows` rows."""
    encoding = csv_encoding(path)
    if encoding is None:
        raise RowByRow
    with path.open(encoding=encoding, newline="") as stream:
        try:
            header = next(csv.reader(stream))
        except (StopIteration, csv.Error):
            raise RowByRow from None
    names = [header_name(cell) for cell in header]
    columns = tuple(n for n in names if n is not None)
    if not columns or len(set(columns)) < len(columns) \
            or check_columns(columns, plan.symbols.inputs, _indicators(plan), source):
        raise RowByRow
    return CsvTable(columns, _batches(plan, path, source, encoding, names, batch_rows))


def _indicators(plan) -> list[str]:
    return [d.name for d in plan.symbols.indicators]


def _batches(plan, path: Path, source: str, encoding: str, names: list, batch_rows: int):
    import pyarrow as pa

    chunk_rows = min(CHUNK_ROWS, batch_rows)
    chunks = _chunks(plan, path, source, encoding, names, chunk_rows)
    first_row, applicants = 2, False
    while group := list(itertools.islice(chunks, -(-batch_rows // chunk_rows))):
        table = pa.Table.from_batches([chunk for chunk, _ in group])
        found_bad = [bad for _, found in group for bad in found]
        applicants = applicants or bool(found_bad) or any(c.null_count < len(c) for c in table.columns)
        yield first_row, table, found_bad
        first_row += table.num_rows
    if not applicants:
        raise RowByRow  # the row-by-row path says there are no applicants


def _chunks(plan, path: Path, source: str, encoding: str, names: list, chunk_rows: int):
    """(Arrow record batch, [(row number, problems)] of the rows found bad) of every
    `chunk_rows` rows after the header."""
    width = len(names)
    headed = [i for i, name in enumerate(names) if name is not None]
    columns = [names[i] for i in headed]
    rows, found_bad = [], []
    with path.open(encoding=encoding, newline="") as stream:
        reader = csv.reader(stream)
        try:
            next(reader)  # the header
            for number, cells in enumerate(reader, start=2):
                if len(cells) != width or len(headed) != width:
                    cells, problems = _headed_cells(plan, source, number, cells, names, headed)
                    if problems:
                        found_bad.append((number, problems))
                rows.append(cells)
                if len(rows) == chunk_rows:
                    yield _chunk(rows, columns), found_bad
                    rows, found_bad = [], []
        except csv.Error:
            raise RowByRow from None
    if rows:
        yield _chunk(rows, columns), found_bad


def _headed_cells(plan, source: str, number: int, cells: list, names: list, headed: list):
    """(the cells under a header, padded; the problems of the row or None) of a row whose cells
    do not match the header one for one."""
    stray = [i for i, cell in enumerate(cells) if (i >= len(names) or names[i] is None) and cell.strip()]
    if not stray:
        return [cells[i] if i < len(cells) else "" for i in headed], None
    fields = {names[i]: cells[i] for i in headed if i < len(cells) and cells[i].strip()}
    _, problems = validate(fields, plan.symbols.inputs, _indicators(plan), source, number, check_keys=False)
    return [""] * len(headed), [*(unheadered_cell(source, number, i) for i in stray), *problems]


def _chunk(rows: list, columns: list):
    """Rows of text cells as an Arrow record batch of text columns, blank cells (empty or only
    spaces, as `str.strip` sees them) null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for cells in zip(*rows):
        array = pa.array(cells, pa.string())
        blank = pc.equal(pc.utf8_trim_whitespace(array), "")  # Arrow's whitespace is Python's
        arrays.append(pc.if_else(blank, pa.scalar(None, pa.string()), array))
    return pa.RecordBatch.from_arrays(arrays, names=columns)
