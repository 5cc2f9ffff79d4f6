"""A batch's cells → the output table, with the rows the batch could not vouch
for evaluated one by one by the scalar path (engine/table_io.py), which also
writes the problems of the bad ones."""

from __future__ import annotations

import numpy as np

from engine.data import applicant_key
from engine.data_formats import RawApplicant, parquet_cell
from engine.table_io import _table_row, evaluate_row, id_columns, id_text, result_text
from engine.values import Missing


def _blank_rows(table):
    """Rows with no cell (null or only spaces), which the scalar reader skips."""
    import pyarrow as pa
    import pyarrow.compute as pc

    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        empty = pc.is_null(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            empty = pc.or_kleene(empty, pc.equal(pc.utf8_trim_whitespace(column), ""))
        blank &= np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    return blank


def _keys(table, inputs, ids):
    if len(ids) == 1:
        import pyarrow as pa
        column = table.column(ids[0])
        if pa.types.is_string(column.type) and column.null_count == 0:
            import pyarrow.compute as pc
            trimmed = pc.utf8_trim_whitespace(column).to_pylist()
            return [t or None for t in trimmed]
    columns = {c: table.column(c).to_pylist() for c in ids}
    return [applicant_key({c: parquet_cell(v[i]) for c, v in columns.items()}, inputs)
            for i in range(table.num_rows)]


def assemble(batch_plan, table, cells, unsure, first_row: int, source: str):
    import pyarrow as pa

    from engine.batch import BatchResult
    plan = batch_plan.plan
    inputs = plan.symbols.inputs
    ids = id_columns([c.strip() for c in table.column_names], inputs)
    ids = [c for c in table.column_names if c.strip() in ids]
    blank = _blank_rows(table)
    keys = _keys(table, inputs, ids)
    id_cells = {c: [id_text(parquet_cell(v)) for v in table.column(c).to_pylist()] for c in ids}
    names = list(batch_plan.results)
    good = ~blank
    problems, bad_rows = [], []
    redo = np.flatnonzero(unsure & ~blank)
    columns = tuple(c.strip() for c in table.column_names)
    indicator_names = [d.name for d in plan.symbols.indicators]
    for i in redo:
        raw = table.slice(int(i), 1).to_pylist()[0]
        fields = {c.strip(): parquet_cell(v) for c, v in raw.items()}
        fields = {c: v for c, v in fields.items() if not (v is None or isinstance(v, str) and not v.strip())}
        row = _table_row(RawApplicant(fields, first_row + int(i), "", True, columns), plan, indicator_names,
                         source, ids, None)
        outcome = evaluate_row(plan, row, source)
        if outcome is None:
            good[i] = False
            bad_rows.append(first_row + int(i))
            problems.extend(row.problems)
            continue
        for name in names:
            cells[name][i] = result_text(outcome.results.get(name, Missing()))
    keep = np.flatnonzero(good)
    arrays = {"row": pa.array(keep + first_row, type=pa.int64()),
              "key": pa.array([keys[i] for i in keep], type=pa.string())}
    for c in ids:
        arrays[c.strip()] = pa.array([id_cells[c][i] for i in keep], type=pa.string())
    for name in names:
        arrays[name] = pa.array([cells[name][i] for i in keep], type=pa.string())
    return BatchResult(pa.table(arrays), problems, tuple(bad_rows), len(redo))
