"""Data with one row per record, grouped into a list input before the rules run.

The regulator receives one row per vehicle (Annex 1, 一车一条数据), while the
rules reason per model with its volume. `load_grouped(path, …, list_name,
count_field)` reads such a table (Parquet or CSV), groups the rows whose
record fields are all equal, and gives each group as one record of the input
`list_name` with `count_field` set to the number of rows. Columns naming other
inputs (the year, the enterprise kind) must hold one value per applicant; the
column named by `by` (if any) splits the table into applicants, one per value.
Applicants come in the order of their `by` values and records in the order of
their values (column by column), whatever the order of the rows.

Memory stays bounded and Python never sees a row: the file is read in pieces
of about a million rows (a Parquet row group, or batches of one) of the
columns the rule set knows, text columns dictionary-encoded; Arrow groups each
piece into its few groups (a few thousand models), and those small tables are
concatenated and grouped again, by Arrow, so only the final groups become
Python objects. The next piece is read in a background thread while this one
is grouped (both release the GIL). Numbers stay exact: CSV cells are read as
text; Parquet floating-point cells go through their shortest repr, as
spreadsheet cells do (`engine.values.exact`), and decimal cells are exact
already. The grouped records are then validated like any other data
(engine/data.py), so a fuel type outside the declared list is reported with
its model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection, Iterable, Iterator, Mapping

from dsl import ast
from engine.data import Applicant, validate
from engine.errors import DataError, DataProblem

BATCH_ROWS = 1 << 20  # rows per piece: large enough that Arrow, not the interpreter, does the work
MERGE_ROWS = 1 << 20  # group rows waiting to be merged before they are (keeps memory bounded)
CSV_BLOCK_BYTES = 1 << 24  # CSV bytes per piece
_COUNT_COLUMN = "__rows__"


def _columns_for(inputs: Mapping[str, ast.Input], list_name: str, count_field: str):
    """(record field → header names accepted, other input → header names accepted)."""
    record = inputs[list_name].type.element
    fields = {f.name: {f.name, f.label} - {None} for f in record.fields if f.name != count_field}
    others = {name: {name, decl.label, decl.alias} - {None} for name, decl in inputs.items() if name != list_name}
    return fields, others


def _open_pieces(path: Path, wanted: set[str]):
    """(header names, iterator of Arrow tables or record batches of the wanted columns present)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".parquet":
        schema = pq.read_schema(path)
        columns = [n for n in schema.names if n in wanted]
        text = [n for n in columns if pa.types.is_string(schema.field(n).type)
                or pa.types.is_large_string(schema.field(n).type)]
        return schema.names, _parquet_pieces(pq.ParquetFile(path, read_dictionary=text), columns)
    blocks = pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES)
    reader_names = pacsv.open_csv(path, read_options=blocks).schema.names
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in reader_names},
                                   include_columns=[n for n in reader_names if n in wanted],
                                   strings_can_be_null=True)
    return reader_names, pacsv.open_csv(path, convert_options=convert, read_options=blocks)


def _parquet_pieces(parquet, columns: list[str]) -> Iterator:
    """Whole row groups of up to 2 × BATCH_ROWS rows (the fastest read), larger ones in batches."""
    for index in range(parquet.num_row_groups):
        if parquet.metadata.row_group(index).num_rows <= 2 * BATCH_ROWS:
            yield parquet.read_row_group(index, columns=columns, use_threads=True)
        else:
            yield from parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[index], columns=columns,
                                            use_threads=True)


def _read_ahead(pieces: Iterator) -> Iterator:
    """The items of `pieces`, the next one read in a background thread while the caller works on
    this one. A reading error is raised here, in the caller's thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as reader:
        future = reader.submit(next, pieces, None)
        while (piece := future.result()) is not None:
            future = reader.submit(next, pieces, None)
            yield piece


def _grouped(pieces: Iterable, keys: list[str]):
    """One Arrow table of the distinct rows of `pieces` over `keys`, with their counts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def plain(table):  # each piece has its own dictionaries: decode the few groups before merging
        return pa.table({name: pc.cast(column, column.type.value_type) if pa.types.is_dictionary(column.type)
                         else column for name, column in zip(table.column_names, table.columns)})

    def merge(tables):
        merged = pa.concat_tables(tables).group_by(keys, use_threads=False).aggregate([(_COUNT_COLUMN, "sum")])
        return merged.rename_columns([*keys, _COUNT_COLUMN])

    pending, pending_rows, merged_rows = [], 0, 0
    for piece in pieces:
        table = piece if isinstance(piece, pa.Table) else pa.Table.from_batches([piece])
        # Threads are left to the reader: grouping one piece while the next is read uses both cores.
        groups = table.select(keys).group_by(keys, use_threads=False).aggregate([([], "count_all")])
        pending.append(plain(groups.rename_columns([*keys, _COUNT_COLUMN])))
        pending_rows += groups.num_rows
        if pending_rows >= max(MERGE_ROWS, 2 * merged_rows):
            pending = [merge(pending)]
            pending_rows = merged_rows = pending[0].num_rows
    return merge(pending) if pending else None


def load_grouped(path: str | Path, inputs: Mapping[str, ast.Input], indicator_names: Collection[str],
                 list_name: str, count_field: str, by: str | None = None) -> list[Applicant]:
    """Applicants whose `list_name` records are the grouped rows of `path`."""
    import pyarrow as pa

    path = Path(path)
    source = str(path)
    decl = inputs.get(list_name)
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
        names, pieces = _open_pieces(path, wanted)
    except (OSError, pa.ArrowException) as exc:
        raise DataError([DataProblem(source, "file", f"cannot read the table: {exc}",
                                     code="unreadable_file")]) from None
    if by and by not in names:
        raise DataError([DataProblem(source, "--by", f"no column `{by}`", code="unknown_key")])
    keys = [n for n in names if n in wanted]
    try:
        groups = _grouped(_read_ahead(iter(pieces)), keys)
    except pa.ArrowException as exc:
        raise DataError([DataProblem(source, "file", f"cannot read the table: {exc}",
                                     code="malformed_file")]) from None
    return _applicants(_in_order(groups, keys, by), keys, header_to_field, header_to_input, by, list_name,
                       count_field, inputs, indicator_names, source)


def _in_order(groups, keys: list[str], by: str | None) -> Iterator[tuple[tuple, int]]:
    """(row of key values, count) of each group, sorted by `by`, then the other columns."""
    import pyarrow as pa

    if groups is None:
        return iter(())
    order = ([by] if by else []) + [k for k in keys if k != by and not pa.types.is_null(groups.schema.field(k).type)]
    groups = groups.sort_by([(k, "ascending") for k in order])
    return zip(zip(*(groups.column(k).to_pylist() for k in keys)), groups.column(_COUNT_COLUMN).to_pylist())


def _applicants(groups, keys, header_to_field, header_to_input, by, list_name, count_field,
                inputs, indicator_names, source) -> list[Applicant]:
    """Turn the groups into applicants, checking the constant columns."""
    problems: list[DataProblem] = []
    per_applicant: dict[object, dict] = {}
    for row, rows in groups:
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
