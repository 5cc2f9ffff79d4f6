"""Batch evaluation: a whole table of applicants at once, exactly as one by one.

    batch_plan = compile_batch(plan)                # from engine.compiler.compile_rules
    result = run_batch(batch_plan, arrow_table)     # → BatchResult

`result.table` has the columns `rulecheck run -o FILE` writes (engine/table_io.py):
`row`, `key`, the identification columns, then one text column per result.
`result.problems` lists why each bad row was skipped.

The scalar evaluator (engine/evaluator.py) is the reference: the batch path
computes the same values column-wise (engine/batch/evaluate.py), and every row
it cannot vouch for (invalid data, an error the rules raise, a construct the
columns do not cover) is evaluated by the scalar path, which also writes the
messages. So a batch answer is either the scalar answer or comes from it.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.batch.evaluate import BatchEvaluation, NotVectorised
from engine.batch.load import load_inputs, load_values
from engine.batch.output import texts


@attrs.frozen
class BatchPlan:
    plan: object  # engine.compiler.Plan
    results: tuple  # result identifiers, in the order of `--format json`
    record_results: tuple  # derive blocks whose per-record results are listed


@attrs.frozen
class BatchResult:
    table: object  # pyarrow.Table of text cells, good rows only
    problems: list  # DataProblem for every bad row
    bad_rows: tuple  # their row numbers
    scalar_rows: int  # rows the scalar evaluator computed (bad, or not vouched for)


def compile_batch(plan) -> BatchPlan:
    from engine.table_io import result_names
    names = result_names(plan)
    listed = tuple(n for n in names if n in plan.derives)
    return BatchPlan(plan, tuple(names), listed)


def evaluate_columns(batch_plan: BatchPlan, table, source: str = "<data>"):
    """(result name → its cells as a pyarrow string array, the texts of
    engine/table_io.py with null for an empty cell; rows the batch cannot vouch
    for, whose cells mean nothing) of an Arrow table."""
    return _cells(batch_plan, load_inputs(batch_plan.plan, table, source), table.num_rows)


def evaluate_values(batch_plan: BatchPlan, applicants: list):
    """`evaluate_columns` for applicants already validated (a list of input name → value)."""
    return _cells(batch_plan, load_values(batch_plan.plan, applicants), len(applicants))


def _cells(batch_plan: BatchPlan, loaded, n: int):
    from engine.batch import records, rules

    plan = batch_plan.plan
    ev = BatchEvaluation(plan, loaded.inputs, loaded.given, n)
    failed, err = rules.validation_failures(ev)
    unsure = loaded.bad | failed | _dense(err, n)
    cells = {}
    for name in batch_plan.results:
        if name in batch_plan.record_results:
            column, err = records.listed(ev, name)
        else:
            column = ev.named(name, ev.top)
            err = column.err
            column = texts(column, n)
        unsure |= _dense(err, n)
        cells[name] = column
    return cells, unsure


def _dense(mask, n: int):
    if mask is None:
        return np.zeros(n, dtype=bool)
    return np.array(np.broadcast_to(mask, (n,)), dtype=bool)


def run_batch(batch_plan: BatchPlan, table, first_row: int = 2, source: str = "<data>") -> BatchResult:
    """Evaluate every row of `table` (rows numbered from `first_row`, as data problems name them)."""
    from engine.batch.table import assemble
    cells, unsure = _or_all_unsure(batch_plan, table.num_rows, lambda: evaluate_columns(batch_plan, table, source))
    return assemble(batch_plan, table, cells, unsure, first_row, source)


def run_values(batch_plan: BatchPlan, rows: list, source: str = "<data>") -> BatchResult:
    """`run_batch` for applicants already validated: engine/table_io.py `Row`s with their values."""
    from engine.batch.table import assemble_values
    cells, unsure = _or_all_unsure(batch_plan, len(rows),
                                   lambda: evaluate_values(batch_plan, [row.values for row in rows]))
    return assemble_values(batch_plan, rows, cells, unsure, source)


def _or_all_unsure(batch_plan: BatchPlan, n: int, evaluate):
    """evaluate() → (cells, unsure); when the rules use something the batch does not do,
    every row is left to the scalar evaluator."""
    try:
        return evaluate()
    except NotVectorised:
        import pyarrow as pa
        return {name: pa.nulls(n, pa.string()) for name in batch_plan.results}, np.ones(n, dtype=bool)
