"""A batch's cells → the output table, with the rows the batch could not vouch
for evaluated one by one by the scalar path (engine/table_io.py), which also
writes the problems of the bad ones."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.data import applicant_key
from engine.data_formats import RawApplicant, parquet_cell
from engine.table_cells import id_text, result_text
from engine.table_io import _table_row, evaluate_row, id_columns
from engine.values import Missing


def _is_text(column) -> bool:
    return pa.types.is_string(column.type) or pa.types.is_large_string(column.type)


def _blank_rows(table):
    """Rows with no cell (null or only spaces), which the scalar reader skips."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in sorted(table.columns, key=_is_text):
        if column.null_count == 0 and not _is_text(column):  # a cell in every row
            return np.zeros(table.num_rows, dtype=bool)
        empty = pc.is_null(column)
        if _is_text(column):
            empty = pc.or_kleene(empty, pc.equal(pc.utf8_trim_whitespace(column), ""))
        blank &= np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
        if not blank.any():
            break
    return blank


def _keys(table, inputs, ids):
    """Each row's `applicant_key`: by Arrow for no or one text identification column."""
    if not ids:
        return pa.nulls(table.num_rows, pa.string())
    if len(ids) == 1 and _is_text(table.column(ids[0])):
        trimmed = pc.utf8_trim_whitespace(table.column(ids[0]).cast(pa.string()))
        return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    columns = {c: table.column(c).to_pylist() for c in ids}
    return pa.array([applicant_key({c: parquet_cell(v[i]) for c, v in columns.items()}, inputs)
                     for i in range(table.num_rows)], type=pa.string())


def _id_cells(column):
    """An identification column copied through as text (`id_text` of each cell)."""
    if _is_text(column):
        return column.cast(pa.string())
    return pa.array([id_text(parquet_cell(v)) for v in column.to_pylist()], type=pa.string())


def assemble(batch_plan, table, cells, unsure, first_row: int, source: str):
    from engine.batch import BatchResult
    plan = batch_plan.plan
    inputs = plan.symbols.inputs
    ids = id_columns([c.strip() for c in table.column_names], inputs)
    ids = [c for c in table.column_names if c.strip() in ids]
    blank = _blank_rows(table)
    names = list(batch_plan.results)
    good = ~blank
    redo = np.flatnonzero(unsure & ~blank)
    columns = tuple(c.strip() for c in table.column_names)
    indicator_names = [d.name for d in plan.symbols.indicators]

    def row_at(i):
        raw = table.slice(int(i), 1).to_pylist()[0]
        fields = {c.strip(): parquet_cell(v) for c, v in raw.items()}
        fields = {c: v for c, v in fields.items() if not (v is None or isinstance(v, str) and not v.strip())}
        return _table_row(RawApplicant(fields, first_row + int(i), "", True, columns), plan, indicator_names,
                          source, ids, None)

    cells, problems, bad_rows = _redone(plan, ((i, row_at(i)) for i in redo), cells, good, source)
    arrays = {"row": np.arange(first_row, first_row + table.num_rows, dtype=np.int64),
              "key": _keys(table, inputs, ids)}
    for c in ids:
        arrays[c.strip()] = _id_cells(table.column(c))
    arrays.update((name, cells[name]) for name in names)
    output = pa.table(arrays)
    return BatchResult(output if good.all() else output.filter(pa.array(good)), problems, tuple(bad_rows),
                       len(redo))


def _redone(plan, indexed_rows, cells: dict, good, source: str):
    """(cells, problems, bad row numbers or keys) after evaluating the given (index, `Row`) one by
    one: a row's cells become the scalar path's texts, or, when it fails, `good` turns False there
    and its problems are kept."""
    problems, bad_rows, redone, texts = [], [], [], {name: [] for name in cells}
    for i, row in indexed_rows:
        outcome = evaluate_row(plan, row, source)
        if outcome is None:
            good[i] = False
            bad_rows.append(row.row if row.row is not None else row.key)
            problems.extend(row.problems)
            continue
        redone.append(i)
        for name in cells:
            texts[name].append(result_text(outcome.results.get(name, Missing())))
    if redone:
        mask = np.zeros(len(good), dtype=bool)
        mask[redone] = True
        cells = {name: pc.replace_with_mask(column, pa.array(mask), pa.array(texts[name], pa.string()))
                 for name, column in cells.items()}
    return cells, problems, bad_rows


def assemble_values(batch_plan, rows: list, cells, unsure, source: str):
    """The output table of applicants already validated (engine/table_io.py `Row`s, e.g.
    grouped vehicle records): `row` and `key` as they are, then the results; rows the batch
    is unsure of are evaluated by the scalar path, which says why a bad one fails."""
    from engine.batch import BatchResult
    good = np.ones(len(rows), dtype=bool)
    cells, problems, bad_rows = _redone(batch_plan.plan, ((i, rows[i]) for i in np.flatnonzero(unsure)), cells,
                                        good, source)
    arrays = {"row": pa.array([row.row for row in rows], type=pa.int64()),
              "key": pa.array([row.key for row in rows], type=pa.string()), **cells}
    output = pa.table(arrays)
    return BatchResult(output if good.all() else output.filter(pa.array(good)), problems, tuple(bad_rows),
                       int(unsure.sum()))
