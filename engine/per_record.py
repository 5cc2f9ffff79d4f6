"""Data with one row per record, grouped into a list input before the rules run.

The regulator receives one row per vehicle (Annex 1, 一车一条数据), while the
rules reason per model with its volume. `load_grouped(path, …, list_name,
count_field)` reads such a table (Parquet or CSV), groups the rows whose
record fields are all equal, and gives each group as one record of the input
`list_name` with `count_field` set to the number of rows. Columns naming other
inputs (the year, the enterprise kind) must hold one value per applicant; the
column named by `by` (if any) splits the table into applicants, one per value.

Memory stays bounded: the file is read in record batches of the columns the
rule set knows, and each batch is grouped by Arrow before its (few) groups are
merged, so a million vehicles become a few hundred groups without ever being
Python objects. Numbers stay exact: CSV cells are read as text; Parquet
floating-point cells go through their shortest repr, as spreadsheet cells do
(`engine.values.exact`), and decimal cells are exact already. The grouped
records are then validated like any other data (engine/data.py), so a fuel
type outside the declared list is reported with its model.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Collection, Mapping

from dsl import ast
from engine.data import Applicant, validate
from engine.errors import DataError, DataProblem

BATCH_ROWS = 65536
_COUNT_COLUMN = "__rows__"


def _columns_for(inputs: Mapping[str, ast.Input], list_name: str, count_field: str):
    """(record field → header names accepted, other input → header names accepted)."""
    record = inputs[list_name].type.element
    fields = {f.name: {f.name, f.label} - {None} for f in record.fields if f.name != count_field}
    others = {name: {name, decl.label, decl.alias} - {None} for name, decl in inputs.items() if name != list_name}
    return fields, others


def _open_batches(path: Path, wanted: set[str]):
    """Record batches of the wanted columns (those present), and the header names."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".parquet":
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        columns = [n for n in names if n in wanted]
        return names, parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns)
    reader_names = pacsv.open_csv(path).schema.names
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in reader_names},
                                   include_columns=[n for n in reader_names if n in wanted],
                                   strings_can_be_null=True)
    return reader_names, pacsv.open_csv(path, convert_options=convert,
                                        read_options=pacsv.ReadOptions(block_size=1 << 22))


def load_grouped(path: str | Path, inputs: Mapping[str, ast.Input], indicator_names: Collection[str],
                 list_name: str, count_field: str, by: str | None = None) -> list[Applicant]:
    """Applicants whose `list_name` records are the grouped rows of `path`."""
    import pyarrow as pa

    path = Path(path)
    source = str(path)
    decl = inputs.get(list_name)
    problems: list[DataProblem] = []
    if decl is None or not (isinstance(decl.type, ast.ListType) and isinstance(decl.type.element, ast.RecordType)):
        raise DataError([DataProblem(source, "--records", f"`{list_name}` is not an input list of records",
                                     code="unknown_key")])
    record_fields = {f.name for f in decl.type.element.fields}
    if count_field not in record_fields:
        raise DataError([DataProblem(source, "--count", f"`{count_field}` is not a field of `{list_name}`",
                                     code="unknown_key")])
    fields, others = _columns_for(inputs, list_name, count_field)
    header_to_field = {h: f for f, headers in fields.items() for h in headers}
    header_to_input = {h: n for n, headers in others.items() for h in headers}
    wanted = set(header_to_field) | set(header_to_input) | ({by} if by else set())
    try:
        names, batches = _open_batches(path, wanted)
    except (OSError, pa.ArrowException) as exc:
        raise DataError([DataProblem(source, "file", f"cannot read the table: {exc}",
                                     code="unreadable_file")]) from None
    if by and by not in names:
        raise DataError([DataProblem(source, "--by", f"no column `{by}`", code="unknown_key")])
    keys = [n for n in names if n in header_to_field or n in header_to_input or n == by]
    counts: dict[tuple, int] = defaultdict(int)
    try:
        for batch in batches:
            table = pa.Table.from_batches([batch]).select(keys)
            grouped = table.group_by(keys, use_threads=False).aggregate([([], "count_all")])
            key_columns = [grouped.column(k).to_pylist() for k in keys]
            for row, rows in zip(zip(*key_columns), grouped.column("count_all").to_pylist()):
                counts[row] += rows
    except pa.ArrowException as exc:
        raise DataError([DataProblem(source, "file", f"cannot read the table: {exc}",
                                     code="malformed_file")]) from None
    return _applicants(counts, keys, header_to_field, header_to_input, by, list_name, count_field,
                       inputs, indicator_names, source, problems)


def _applicants(counts, keys, header_to_field, header_to_input, by, list_name, count_field,
                inputs, indicator_names, source, problems) -> list[Applicant]:
    """Turn the group counts into applicants, checking the constant columns."""
    per_applicant: dict[object, dict] = {}
    for row, rows in counts.items():
        cells = dict(zip(keys, row))
        applicant = per_applicant.setdefault(cells.get(by) if by else None, {"__records__": [], "__inputs__": {}})
        record = {header_to_field[h]: v for h, v in cells.items() if h in header_to_field and v is not None}
        record[count_field] = rows
        applicant["__records__"].append(record)
        for header, name in header_to_input.items():
            if header not in cells or cells[header] is None:
                continue
            seen = applicant["__inputs__"].setdefault(name, cells[header])
            if seen != cells[header]:
                problems.append(DataProblem(source, f"column {header}",
                                            f"`{name}` must be the same in every row of one applicant, "
                                            f"but holds {seen!r} and {cells[header]!r}", code="wrong_type"))
    applicants = []
    for key, found in per_applicant.items():
        raw = {list_name: found["__records__"], **found["__inputs__"]}
        values, row_problems = validate(raw, inputs, indicator_names, source, None)
        problems.extend(row_problems)
        applicants.append(Applicant(values, source, None, None if key is None else str(key)))
    if problems:
        raise DataError(problems)
    return applicants
