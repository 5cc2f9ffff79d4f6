"""Reading applicant data files (JSON, YAML, CSV, XLSX, Parquet) into raw values, exactly.

This module only turns a file into `RawApplicant`s: one mapping per applicant
from the key or column header as written to the value as the file holds it.
What those values mean is engine/data.py's business. The readers exist
separately because each format has its own way to lose exactness or to fail:

- JSON is parsed with `parse_float=Decimal` (integers are exact `int`s already),
  and `NaN`/`Infinity` become non-finite Decimals that validation rejects.
- YAML goes through a SafeLoader subclass whose `tag:yaml.org,2002:float`
  constructor builds a Decimal from the scalar's text, never a binary float.
- CSV cells are text. The file is read as UTF-8 (with or without a BOM) and,
  when it is not valid UTF-8, as GB18030, which is what Excel on Chinese
  Windows writes. `csv_encoding` tells which without holding the file, for
  engine/csv_batches.py, which streams the same `csv.reader` over it.
- XLSX (the first sheet) gives numbers as `int` or `float`; floats are passed
  on and converted through their shortest repr (`engine.values.exact`), i.e.
  the number the spreadsheet shows, not the binary expansion. A number cell
  *formatted as a percentage* (Excel stores "4.5%" as 0.045) is passed on as
  the text "4.5%", so a percent input gets 4.5% as displayed. Dates become ISO
  text; error cells (`#DIV/0!`) and formulas that were never computed are
  problems.
- Parquet (one applicant per row, like CSV) is read in record batches through
  pyarrow (`iter_parquet`). Cells keep their Arrow type: integers as `int`,
  float64/float32 as `float` (converted through their shortest repr, as XLSX
  numbers), decimal128/256 as exact `Decimal`, strings as text, booleans as
  `bool`, dates and timestamps as ISO text, lists and structs as lists and
  objects. Rows are numbered as in a CSV file of the same table: the column
  names are row 1, so the first applicant is row 2.

Both JSON and YAML objects remember keys written twice (the parsers would
silently keep the last one) so validation can report them.

Table formats: row 1 is the header; every later row that is not empty is one
applicant, and `RawApplicant.row` is its spreadsheet row number (the header is
row 1, so the first applicant is row 2; for CSV, a record spanning several
lines through a quoted newline counts as one row). Empty cells are left out.

Every failure to read is returned as a `DataProblem`, never raised: a missing
file, bad syntax (with line and column), or a document of the wrong shape.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import attrs
import yaml

from engine.errors import DataProblem
from engine.values import exact

FORMATS = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".csv": "CSV", ".xlsx": "XLSX",
           ".parquet": "Parquet"}

PARQUET_BATCH_ROWS = 8192

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # tried in this order; the whole file must decode
CSV_SCAN_BYTES = 1 << 20

FILE = "file"  # the location of a problem with the file as a whole

APPLICANTS_KEY = "applicants"

_CELL_PROBLEM = object()  # an XLSX cell already reported: the row is not empty, the value is not used


class ExactObject(dict):
    """A JSON/YAML object that also lists the keys written more than once."""

    def __init__(self):
        super().__init__()
        self.duplicates: list = []


@attrs.frozen
class RawApplicant:
    """One applicant as the file gives it, before validation."""

    fields: dict  # key or header as written → value (None/absent cells left out for tables)
    row: int | None  # spreadsheet row (tables), 1-based position (JSON/YAML lists), None (one object)
    prefix: str  # key path of the applicant inside a JSON/YAML document: "", "[0]", "applicants[0]"
    table: bool  # CSV/XLSX: the values are cells
    columns: tuple[str, ...] = ()  # CSV/XLSX: every header of the table, for checking them once


def decimal_text(value: Fraction) -> str:
    """An exact number as plain decimal text when it has one (`0.045`), else `n/d`."""
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- JSON --------------------------------------------------------------------

def _object_pairs(pairs) -> ExactObject:
    obj = ExactObject()
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def loads_json(text: str):
    """JSON text to Python values with exact numbers; raises json.JSONDecodeError."""
    return json.loads(text, parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=_object_pairs)


def _read_json(path: Path, source: str) -> tuple[object, list[DataProblem]]:
    text, problems = _read_utf8(path, source)
    if problems:
        return None, problems
    try:
        return loads_json(text), []
    except json.JSONDecodeError as exc:
        return None, [DataProblem(source, f"line {exc.lineno}, column {exc.colno}",
                                  f"invalid JSON: {exc.msg}", code="malformed_file")]
    except (RecursionError, ValueError) as exc:  # too deep, or an integer beyond Python's digit limit
        return None, [DataProblem(source, FILE, f"invalid JSON: {_reason(exc)}", code="malformed_file")]


# ---- YAML --------------------------------------------------------------------

class _ExactLoader(yaml.SafeLoader):
    """SafeLoader with Decimal floats and duplicate-key tracking."""


def _yaml_float(loader: yaml.SafeLoader, node) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "").strip()
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return Decimal("Infinity")
    if lowered == "-.inf":
        return Decimal("-Infinity")
    if lowered == ".nan":
        return Decimal("NaN")
    if ":" in text:  # YAML 1.1 sexagesimal, e.g. 190:20:30.15
        sign = -1 if text.startswith("-") else 1
        total = Decimal(0)
        for part in text.lstrip("+-").split(":"):
            total = total * 60 + Decimal(part)
        return sign * total
    return Decimal(text)


def _yaml_map(loader: yaml.SafeLoader, node) -> ExactObject:
    loader.flatten_mapping(node)
    obj = ExactObject()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found a key that is a list or a mapping", key_node.start_mark) from None
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = loader.construct_object(value_node, deep=True)
    return obj


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)
_ExactLoader.add_constructor("tag:yaml.org,2002:map", _yaml_map)


def loads_yaml(text: str):
    """YAML text to Python values with exact numbers; raises yaml.YAMLError."""
    return yaml.load(text, Loader=_ExactLoader)  # noqa: S506 - a SafeLoader subclass


def _read_yaml(path: Path, source: str) -> tuple[object, list[DataProblem]]:
    text, problems = _read_utf8(path, source)
    if problems:
        return None, problems
    try:
        return loads_yaml(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else FILE
        what = getattr(exc, "problem", None) or str(exc)
        return None, [DataProblem(source, where, f"invalid YAML: {what}", code="malformed_file")]
    except (RecursionError, ValueError) as exc:
        return None, [DataProblem(source, FILE, f"invalid YAML: {_reason(exc)}", code="malformed_file")]


def _reason(exc: Exception) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def _read_utf8(path: Path, source: str) -> tuple[str, list[DataProblem]]:
    data, problems = _read_bytes(path, source)
    if problems:
        return "", problems
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return "", [DataProblem(source, FILE, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                                code="malformed_file")]


def _read_bytes(path: Path, source: str) -> tuple[bytes, list[DataProblem]]:
    try:
        return path.read_bytes(), []
    except FileNotFoundError:
        return b"", [DataProblem(source, FILE, "no such file", code="unreadable_file")]
    except OSError as exc:
        return b"", [DataProblem(source, FILE, f"cannot read the file: {exc.strerror or exc}",
                                 code="unreadable_file")]


def _from_document(doc, source: str, kind: str) -> tuple[list[RawApplicant], list[DataProblem]]:
    """The applicants of a JSON/YAML document: one object, a list, or {applicants: [...]}."""
    problems: list[DataProblem] = []
    prefix = ""
    if isinstance(doc, dict) and isinstance(doc.get(APPLICANTS_KEY), list):
        for key in doc:
            if key != APPLICANTS_KEY:
                problems.append(DataProblem(source, str(key), f"unexpected key beside `{APPLICANTS_KEY}`",
                                            f"put each applicant's values inside `{APPLICANTS_KEY}`",
                                            code="unknown_key"))
        doc, prefix = doc[APPLICANTS_KEY], APPLICANTS_KEY
    if isinstance(doc, dict):
        return [RawApplicant(doc, None, "", False)], problems
    if doc is None:
        return [], [DataProblem(source, FILE, f"the {kind} document is empty", code="no_applicants")]
    if not isinstance(doc, list):
        return [], [DataProblem(source, FILE, f"expected an object, a list of objects or "
                                              f"{{\"{APPLICANTS_KEY}\": [...]}}, got {_kind_of(doc)}",
                                code="malformed_file")]
    if not doc:
        return [], problems + [DataProblem(source, prefix or FILE, "the list of applicants is empty",
                                           code="no_applicants")]
    applicants = []
    for i, item in enumerate(doc):
        if isinstance(item, dict):
            applicants.append(RawApplicant(item, i + 1, f"{prefix}[{i}]", False))
        else:
            problems.append(DataProblem(source, f"{prefix}[{i}]",
                                        f"expected an object (one applicant), got {_kind_of(item)}",
                                        code="wrong_type"))
    return applicants, problems


def _kind_of(value) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return "a scalar"


# ---- tables ------------------------------------------------------------------

def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names column `index`."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def header_name(cell) -> str | None:
    """The name of a table's column from its header cell (None: blank, no header)."""
    return None if _blank(cell) else (cell.strip() if isinstance(cell, str) else str(cell))


def unheadered_cell(source: str, number: int, index: int) -> DataProblem:
    """The problem with a value in row `number`, column `index`, which has no header."""
    return DataProblem(source, f"row {number}, column {column_letter(index)}",
                       "a value in a column without a header", code="unknown_key")


def _from_table(rows: list[tuple[int, list]], source: str) -> tuple[list[RawApplicant], list[DataProblem]]:
    """Applicants from (row number, cells) pairs whose first pair is the header."""
    problems: list[DataProblem] = []
    if rows:
        rows[0] = (rows[0][0], [None if c is _CELL_PROBLEM else c for c in rows[0][1]])
    if not rows or all(_blank(c) for c in rows[0][1]):
        return [], [DataProblem(source, "row 1", "the first row must be the header "
                                                 "(input identifiers or labels)", code="malformed_file")]
    header_row, header_cells = rows[0]
    headers: list[str | None] = []
    first_column: dict[str, int] = {}
    duplicated: set[int] = set()
    for i, cell in enumerate(header_cells):
        name = header_name(cell)
        if name is not None and name in first_column:
            problems.append(DataProblem(
                source, f"row {header_row}, column {column_letter(i)}",
                f"column `{name}` appears twice (columns {column_letter(first_column[name])} "
                f"and {column_letter(i)})", code="duplicate_key"))
            name = None  # keep the first
            duplicated.add(i)
        elif name is not None:
            first_column[name] = i
        headers.append(name)
    columns = tuple(h for h in headers if h is not None)
    applicants = []
    for number, cells in rows[1:]:
        if all(_blank(c) for c in cells):
            continue
        fields = {}
        for i, cell in enumerate(cells):
            if _blank(cell) or cell is _CELL_PROBLEM:
                continue
            name = headers[i] if i < len(headers) else None
            if name is None:
                if i not in duplicated:
                    problems.append(unheadered_cell(source, number, i))
                continue
            fields[name] = cell
        applicants.append(RawApplicant(fields, number, "", True, columns))
    if not applicants and not problems:
        problems.append(DataProblem(source, FILE, "no applicants: the table has a header but no data rows",
                                    code="no_applicants"))
    return applicants, problems


def _read_csv(path: Path, source: str) -> tuple[list[RawApplicant], list[DataProblem]]:
    data, problems = _read_bytes(path, source)
    if problems:
        return [], problems
    try:
        text = data.decode(CSV_ENCODINGS[0])
    except UnicodeDecodeError:
        try:
            text = data.decode(CSV_ENCODINGS[1])
        except UnicodeDecodeError as exc:
            return [], [DataProblem(source, FILE, f"neither UTF-8 nor GB18030 text (byte {exc.start})",
                                    code="malformed_file")]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, cells))
    except csv.Error as exc:
        return [], [DataProblem(source, f"line {reader.line_num}", f"invalid CSV: {exc}", code="malformed_file")]
    return _from_table(rows, source)


def csv_encoding(path: Path) -> str | None:
    """The encoding `_read_csv` decodes the file with, found chunk by chunk (the file is
    never held whole); None when it cannot be read or decodes with neither."""
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(CSV_SCAN_BYTES):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        except OSError:
            return None
        return encoding
    return None


def _read_xlsx(path: Path, source: str) -> tuple[list[RawApplicant], list[DataProblem]]:
    _, problems = _read_bytes(path, source)  # a clear message for a missing or unreadable file
    if problems:
        return [], problems
    import openpyxl  # imported here: only XLSX needs it, and it is slow to import

    try:
        # openpyxl raises many kinds of exception for a damaged file (zip, XML,
        # key errors); each means the same thing to the user.
        sheet = openpyxl.load_workbook(path, data_only=False).worksheets[0]
        formulas = {(c.row, c.column) for row in sheet.iter_rows() for c in row if c.data_type == "f"}
        computed = openpyxl.load_workbook(path, data_only=True).worksheets[0] if formulas else None
    except Exception as exc:  # noqa: BLE001
        return [], [DataProblem(source, FILE, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                                code="malformed_file")]
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            where = f"row {cell.row}, column {column_letter(cell.column - 1)}"
            value, number_format, data_type = cell.value, cell.number_format, cell.data_type
            if (cell.row, cell.column) in formulas:
                value = computed.cell(cell.row, cell.column).value
                if value is None:
                    problems.append(DataProblem(source, where, f"the formula {cell.value} has no computed value",
                                                "open the file in a spreadsheet program and save it",
                                                code="wrong_type"))
                    cells.append(_CELL_PROBLEM)
                    continue
                data_type = computed.cell(cell.row, cell.column).data_type
            cells.append(_xlsx_value(value, number_format, data_type, where, source, problems))
        rows.append((row[0].row if row else len(rows) + 1, cells))
    applicants, table_problems = _from_table(rows, source)
    return applicants, problems + table_problems


def _xlsx_value(value, number_format: str, data_type: str, where: str, source: str, problems: list):
    if data_type == "e":
        problems.append(DataProblem(source, where, f"the cell holds the spreadsheet error {value}",
                                    code="wrong_type"))
        return _CELL_PROBLEM
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, (int, float)) and "%" in (number_format or ""):
        return decimal_text(exact(value) * 100) + "%"  # shown as a percentage: pass what is shown
    return value


# ---- Parquet -----------------------------------------------------------------

def parquet_cell(value):
    """A Parquet cell as a raw data value (None: the cell is empty)."""
    if value is None or isinstance(value, (bool, int, float, Decimal, str)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, list):
        return [parquet_cell(v) for v in value]
    if isinstance(value, dict):
        return {k: parquet_cell(v) for k, v in value.items() if v is not None}
    return str(value)


def parquet_columns(path: Path, source: str) -> tuple[int, tuple[str, ...], list[DataProblem]]:
    """(number of rows, column names, problems) of a Parquet file, from its footer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _, problems = _read_bytes_head(path, source)
    if problems:
        return 0, (), problems
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        return 0, (), [DataProblem(source, FILE, f"not a readable Parquet file ({exc})", code="malformed_file")]
    return parquet.metadata.num_rows, tuple(parquet.schema_arrow.names), []


def iter_parquet(path: Path, source: str, batch_rows: int = PARQUET_BATCH_ROWS):
    """The applicants of a Parquet table, one per row, read batch by batch.
    Raises DataError when the file cannot be read (also part-way through)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.errors import DataError

    total, names, problems = parquet_columns(path, source)
    if problems:
        raise DataError(problems)
    columns = tuple(n.strip() for n in names)
    number = 1
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            cells = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*cells):
                number += 1
                fields = {}
                for name, value in zip(columns, values):
                    value = parquet_cell(value)
                    if not _blank(value):
                        fields[name] = value
                if fields:
                    yield RawApplicant(fields, number, "", True, columns)
    except (OSError, pa.ArrowException) as exc:
        raise DataError([DataProblem(source, f"row {number}", f"cannot read the Parquet file: {exc}",
                                     code="malformed_file")]) from None


def _read_bytes_head(path: Path, source: str) -> tuple[bytes, list[DataProblem]]:
    try:
        with path.open("rb") as stream:
            return stream.read(4), []
    except FileNotFoundError:
        return b"", [DataProblem(source, FILE, "no such file", code="unreadable_file")]
    except OSError as exc:
        return b"", [DataProblem(source, FILE, f"cannot read the file: {exc.strerror or exc}",
                                 code="unreadable_file")]


def _read_parquet(path: Path, source: str) -> tuple[list[RawApplicant], list[DataProblem]]:
    from engine.errors import DataError

    try:
        applicants = list(iter_parquet(path, source))
    except DataError as exc:
        return [], list(exc.problems)
    if not applicants:
        return [], [DataProblem(source, FILE, "no applicants: the table has no data rows", code="no_applicants")]
    return applicants, []


# ---- entry point -------------------------------------------------------------

def read_applicants(path: Path, source: str) -> tuple[list[RawApplicant], list[DataProblem]]:
    """The raw applicants of a data file, with every problem met while reading it."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(FORMATS)
        return [], [DataProblem(source, FILE, f"unsupported data format `{path.suffix or path.name}`",
                                f"use one of {known}", code="unreadable_file")]
    if kind == "CSV":
        return _read_csv(path, source)
    if kind == "XLSX":
        return _read_xlsx(path, source)
    if kind == "Parquet":
        return _read_parquet(path, source)
    doc, problems = (_read_json if kind == "JSON" else _read_yaml)(path, source)
    if problems:
        return [], problems
    return _from_document(doc, source, kind)
