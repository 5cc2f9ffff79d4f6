"""Results as cells and files: the text of each cell and the Parquet, CSV and XLSX
writers of `rulecheck run -o FILE` (the encoding is described in engine/table_io.py)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from engine.data_formats import decimal_text
from engine.numbers import json_number
from engine.values import NOT_EVALUATED, Missing, exact

NOT_EVALUATED_TEXT = "not_evaluated"
PARQUET_GROUP_ROWS = 8192
XLSX_MAX_ROWS = 1_048_576


class OutputError(Exception):
    """The output file cannot be written as asked."""


# ---- what goes in a cell -------------------------------------------------------

def compact_json(data) -> str:
    """One-line JSON text with exact numbers (as `engine.results.to_json` writes them)."""
    if isinstance(data, Fraction):
        return json_number(data)
    if isinstance(data, (list, tuple)):
        return "[" + ", ".join(compact_json(v) for v in data) + "]"
    if isinstance(data, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {compact_json(v)}"
                               for k, v in data.items()) + "}"
    return json.dumps(data, ensure_ascii=False)


def result_text(value) -> str | None:
    """A result value as the text of its cell (None: no conclusion, an empty cell)."""
    from engine.results import plain_value
    if isinstance(value, Missing):
        return None
    if value is NOT_EVALUATED:
        return NOT_EVALUATED_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        return json_number(value)
    if isinstance(value, str):
        return value
    return compact_json(plain_value(value))


def xlsx_value(value):
    """A result value as an XLSX cell value: a number only when it shows exactly."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Fraction):
        text = json_number(value)
        number = float(Decimal(text))
        if Decimal(repr(number)) == Decimal(text):
            return int(number) if value.denominator == 1 and abs(number) < 2 ** 53 else number
        return text
    return result_text(value)


def id_text(value) -> str | None:
    """An identification cell copied through, as text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return decimal_text(exact(value))
    return compact_json(value)


# ---- writing ---------------------------------------------------------------------

class _CsvWriter:
    def __init__(self, path: Path, columns: list[str], plan):
        self.stream = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.stream)
        self.writer.writerow(columns)

    def write(self, row, key, ids, values) -> None:
        cells = [row, key, *ids, *(result_text(v) for v in values)]
        self.writer.writerow(["" if c is None else c for c in cells])

    def write_table(self, table) -> None:
        for cells in zip(*(column.to_pylist() for column in table.columns)):
            self.writer.writerow(["" if c is None else c for c in cells])

    def close(self) -> None:
        self.stream.close()


def parquet_schema(plan, columns: list[str]):
    """The schema of the results as Parquet: `row` int64, every other column text, and
    the `rulecheck` metadata that says so and names the rule set."""
    import pyarrow as pa

    from engine.results import engine_version
    header = plan.ruleset.header
    metadata = {"encoding": "row: int64; every other column: UTF-8 text; numbers as the decimal text of "
                            "the JSON result (exact when terminating, else 17 significant digits); "
                            "null = no conclusion; 'not_evaluated' = the rule does not apply; "
                            "per-record results as JSON text",
                "ruleset": header.name if header else None,
                "ruleset_sha256": plan.ruleset.content_hash,
                "engine": f"rulecheck {engine_version()}"}
    return pa.schema([pa.field("row", pa.int64())] + [pa.field(c, pa.string()) for c in columns[1:]],
                     metadata={"rulecheck": json.dumps(metadata, ensure_ascii=False)})


class _ParquetWriter:
    def __init__(self, path: Path, columns: list[str], plan):
        import pyarrow as pa
        import pyarrow.parquet as pq
        self.pa = pa
        self.schema = parquet_schema(plan, columns)
        self.writer = pq.ParquetWriter(str(path), self.schema)
        self.buffer: list[list] = [[] for _ in columns]
        self.pending = None  # rows from `write_table` short of a whole row group

    def write(self, row, key, ids, values) -> None:
        for column, cell in zip(self.buffer, [row, key, *ids, *(result_text(v) for v in values)]):
            column.append(cell)
        if len(self.buffer[0]) >= PARQUET_GROUP_ROWS:
            self._flush()

    def write_table(self, table) -> None:
        """Rows of the column-wise path, in the row groups `write` makes: the same file, byte for byte."""
        table = table.cast(self.schema)
        self.pending = table if self.pending is None else self.pa.concat_tables([self.pending, table])
        whole = self.pending.num_rows - self.pending.num_rows % PARQUET_GROUP_ROWS
        if whole:
            self.writer.write_table(self.pending.slice(0, whole), row_group_size=PARQUET_GROUP_ROWS)
            self.pending = self.pending.slice(whole)

    def _flush(self) -> None:
        if self.buffer[0]:
            arrays = [self.pa.array(cells, type=field.type) for cells, field in zip(self.buffer, self.schema)]
            self.writer.write_batch(self.pa.RecordBatch.from_arrays(arrays, schema=self.schema))
            self.buffer = [[] for _ in self.buffer]

    def close(self) -> None:
        self._flush()
        if self.pending is not None and self.pending.num_rows:
            self.writer.write_table(self.pending)
        self.writer.close()


class _XlsxWriter:
    def __init__(self, path: Path, columns: list[str], plan):
        import openpyxl
        self.path = path
        self.book = openpyxl.Workbook(write_only=True)
        self.sheet = self.book.create_sheet("results")
        self.sheet.append(columns)
        self.rows = 1

    def _cell(self, value):
        if isinstance(value, str) and value.startswith("="):  # text, never a formula
            from openpyxl.cell import WriteOnlyCell
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    def write(self, row, key, ids, values) -> None:
        self.rows += 1
        if self.rows > XLSX_MAX_ROWS:
            raise OutputError(f"an XLSX sheet holds at most {XLSX_MAX_ROWS} rows: write .parquet or .csv")
        self.sheet.append([self._cell(c) for c in (row, key, *ids, *(xlsx_value(v) for v in values))])

    def close(self) -> None:
        self.book.save(str(self.path))


WRITERS = {".csv": _CsvWriter, ".parquet": _ParquetWriter, ".xlsx": _XlsxWriter}
