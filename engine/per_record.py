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
Python objects. Arrow releases the GIL, so threads use every core: Parquet row
groups are read and grouped WORKERS at a time, and a CSV's next block is read
while this one is grouped. Numbers stay exact: CSV cells are read as
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
WORKERS = 2  # Parquet pieces read and grouped at once: memory grows with each, reading uses Arrow's threads too
_COUNT_COLUMN = "__rows__"


def _columns_for(inputs: Mapping[str, ast.Input], list_name: str, count_field: str):
    """(record field → header names accepted, other input → header names accepted)."""
    record = inputs[list_name].type.element
    fields = {f.name: {f.name, f.label} - {None} for f in record.fields if f.name != count_field}
    others = {name: {name, decl.label, decl.alias} - {None} for name, decl in inputs.items() if name != list_name}
    return fields, others


def _header(path: Path) -> list[str]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".parquet":
        return pq.read_schema(path).names
    return pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES)).schema.names


def _group_piece(piece, keys: list[str]):
    """The distinct rows of one piece (an Arrow table or record batch) over `keys`, with their counts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = piece if isinstance(piece, pa.Table) else pa.Table.from_batches([piece])
    groups = table.select(keys).group_by(keys, use_threads=False).aggregate([([], "count_all")])
    # Each piece has its own dictionaries: decode its few groups so that they merge with the others'.
    return pa.table({**{k: pc.cast(c, c.type.value_type) if pa.types.is_dictionary(c.type) else c
                        for k, c in zip(keys, groups.select(keys).columns)},
                     _COUNT_COLUMN: groups.column("count_all")})


def _parquet_groups(path: Path, keys: list[str]) -> Iterator:
    """The groups of each piece of a Parquet file: whole row groups of up to 2 × BATCH_ROWS rows (the
    fastest read), larger ones in batches, text columns read dictionary-encoded, WORKERS row groups
    read and grouped at once (Arrow releases the GIL)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    schema = metadata.schema.to_arrow_schema()
    text = [k for k in keys if pa.types.is_string(t := schema.field(k).type) or pa.types.is_large_string(t)]
    local = threading.local()

    def row_group(index: int) -> list:
        if not hasattr(local, "file"):  # a reader per thread, never shared
            local.file = pq.ParquetFile(path, read_dictionary=text)
        file = local.file
        if file.metadata.row_group(index).num_rows <= 2 * BATCH_ROWS:
            return [_group_piece(file.read_row_group(index, columns=keys, use_threads=True), keys)]
        return [_group_piece(batch, keys) for batch in file.iter_batches(
            batch_size=BATCH_ROWS, row_groups=[index], columns=keys, use_threads=True)]

    pool = ThreadPoolExecutor(WORKERS)
    try:
        for groups in pool.map(row_group, range(metadata.num_row_groups)):
            yield from groups
    finally:
        pool.shutdown(cancel_futures=True)  # after an error, read no further


def _csv_groups(path: Path, keys: list[str]) -> Iterator:
    """The groups of each block of a CSV file, every cell as text, the next block read in a
    background thread while this one is grouped."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    convert = pacsv.ConvertOptions(column_types={k: pa.string() for k in keys}, include_columns=keys,
                                   strings_can_be_null=True)
    blocks = pacsv.open_csv(path, convert_options=convert,
                            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES))
    with ThreadPoolExecutor(1) as reader:
        future = reader.submit(next, blocks, None)
        while (block := future.result()) is not None:
            future = reader.submit(next, blocks, None)
            yield _group_piece(block, keys)


def _merged(groups: Iterable, keys: list[str]):
    """One Arrow table of the distinct rows over `keys` with their counts, from the pieces' groups,
    concatenated and grouped again whenever enough have come."""
    import pyarrow as pa

    def merge(tables):
        merged = pa.concat_tables(tables).group_by(keys, use_threads=False).aggregate([(_COUNT_COLUMN, "sum")])
        return merged.rename_columns([*keys, _COUNT_COLUMN])

    pending, pending_rows, merged_rows = [], 0, 0
    for table in groups:
        pending.append(table)
        pending_rows += table.num_rows
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
        names = _header(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError([DataProblem(source, "file", f"cannot read the table: {exc}",
                                     code="unreadable_file")]) from None
    if by and by not in names:
        raise DataError([DataProblem(source, "--by", f"no column `{by}`", code="unknown_key")])
    keys = [n for n in names if n in wanted]
    try:
        pieces = _parquet_groups if path.suffix.lower() == ".parquet" else _csv_groups
        groups = _in_order(_merged(pieces(path, keys), keys), keys, by)
    except (OSError, pa.ArrowException) as exc:  # a corrupt page is an OSError
        raise DataError([DataProblem(source, "file", f"cannot read the table: {exc}",
                                     code="malformed_file")]) from None
    return _applicants(groups, keys, header_to_field, header_to_input, by, list_name, count_field,
                       inputs, indicator_names, source)


def _in_order(groups, keys: list[str], by: str | None) -> list[tuple[tuple, int]]:
    """(row of key values, count) of each group, sorted by `by`, then the other columns."""
    import pyarrow as pa

    if groups is None:
        return []
    order = [k for k in ([by] if by else []) + [k for k in keys if k != by]
             if not pa.types.is_null(groups.schema.field(k).type)]
    groups = groups.sort_by([(k, "ascending") for k in order])
    return list(zip(zip(*(groups.column(k).to_pylist() for k in keys)), groups.column(_COUNT_COLUMN).to_pylist()))


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
