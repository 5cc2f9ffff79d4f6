"""Results as a table: one row per applicant, streamed to Parquet, CSV or XLSX.

`rulecheck run RULES DATA --output FILE.parquet|.csv|.xlsx` writes one row per
applicant: `row` (where the applicant is in DATA, as every data problem names
it) and `key` (its name or id, engine/data.py `applicant_key`), then, for a
table of applicants (CSV, XLSX, Parquet), the identification columns copied
through as written (`name`, `id`, `applicant`, `名称`, any case), then one
column per result identifier in the order of `--format json`'s `results`.

Cell encoding — every cell round-trips to the JSON result exactly:
- a number is the decimal text the JSON result writes (`engine.numbers.json_number`):
  exact when its decimal expansion terminates (`69.995`), else 17 significant
  digits (63/86 × 100 → `73.255813953488372`), exactly as in the JSON;
- true/false as `true`/`false`, text as itself;
- no conclusion (`null` in JSON) is an empty cell (Parquet null);
- a rule that does not apply is the text `not_evaluated`;
- per-record results (lists of records, e.g. `models`) are compact JSON text.
Parquet: `row` is int64; every other column is `string` (UTF-8) holding the
text above. A result column may hold a number, `not_evaluated` or null in
different rows, and decimal128 would have to round some exact values (a
terminating decimal may need more than 38 digits), so text is the one
encoding that never loses a digit; cast with `CAST(col AS DECIMAL(38, 10))`
where that is known to be safe. The file's schema metadata `rulecheck`
records this encoding, the rule set and the engine version.
CSV: UTF-8, header row first, the same texts; an empty cell is no conclusion.
XLSX: a number is a number cell when the float nearest to it prints back as
the same decimal (its shortest repr equals the JSON text, so what Excel shows
is the exact value), else the decimal text; true/false are boolean cells.

Streaming: a Parquet table of applicants is read in record batches, and so is
a CSV table written to Parquet or CSV; the output is written as it goes
(Parquet in row groups, CSV and XLSX row by row), so memory stays bounded by a
batch (a few per worker process when the batches are evaluated on several
cores, engine/parallel.py), whatever the number of rows. (XLSX, JSON and YAML inputs, a CSV written
to XLSX and a CSV the batch reader leaves to the row-by-row path are read
whole, then streamed out.) The output is written to a temporary file beside
FILE and renamed at the end: FILE is never half written.

Bad rows: a row with invalid data, or on which the rules cannot conclude, is
reported with its row number and skipped; the others are evaluated and
written. `strict=True` writes nothing when any row is bad. Problems with the
file as a whole (unreadable, an unknown column in the header) stop the run
before anything is written.

Identical rows (the same cells in every column but the identification
columns) are evaluated once: the outcome is kept in a bounded memo.

A Parquet or CSV table written to Parquet or CSV takes the column-wise path
(engine/batch): each record batch is evaluated at once, exactly as row by row,
and any row the batch cannot vouch for is evaluated row by row. A CSV table is
read by engine/csv_batches.py with the row-by-row reader's own decoding and
`csv.reader`, so cells and row numbers are the same; a file it cannot vouch for
(a header problem, a CSV error, no data rows, ...) goes to `run_rows`, the
row-by-row path. Either way the file written is the same, byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import attrs

from dsl import ast
from engine.data import ID_KEYS, Applicant, applicant_key, check_columns, validate
from engine.data_formats import FORMATS, iter_parquet, parquet_columns, read_applicants
from engine.errors import DataError, DataProblem, EvalError
from engine.table_cells import WRITERS, OutputError, id_text
from engine.values import NOT_EVALUATED, Missing

TABLE_SUFFIXES = (".parquet", ".csv", ".xlsx")
FIXED_COLUMNS = ("row", "key")
MEMO_SIZE = 4096
BATCH_ROWS = 65536  # rows per record batch on the column-wise path
CSV_BYTES_FOR_JOBS = 64 << 20  # a CSV larger than this is evaluated on every core when no `jobs` is given
BATCH_OUTPUTS = (".parquet", ".csv")  # XLSX cells are typed per value: written row by row


def is_table_output(output: str | None) -> bool:
    return bool(output) and Path(output).suffix.lower() in TABLE_SUFFIXES


def result_names(plan) -> list[str]:
    """The result identifiers, in the order of `Outcome.results` (engine/evaluator.py)."""
    names = [name for name, decl in plan.symbols.decls.items()
             if isinstance(decl, (ast.Veto, ast.Indicator, ast.Total, ast.Grade))
             or (isinstance(decl, ast.Let) and decl.exported)]
    names += [name for name, block in plan.derives.items() if any(let.exported for let in block.decl.lets)]
    return list(dict.fromkeys(names))


def id_columns(columns, inputs) -> list[str]:
    """The identification columns of a table (ID_KEYS, any case) that are not inputs."""
    taken = set(inputs) | {i.label for i in inputs.values() if i.label} | {i.alias for i in inputs.values()
                                                                           if i.alias}
    return [c for c in columns if c.strip() not in taken and c.strip().lower() in ID_KEYS]


# ---- reading: one Row per applicant ---------------------------------------------

@attrs.define
class Row:
    """One applicant read from the data: its values, or the problems that make it a bad row."""

    row: int | None
    key: str | None
    ids: dict
    values: dict | None
    problems: list
    memo_key: object = None


@attrs.define
class Source:
    """The applicants of a data file, read lazily."""

    total: int | None
    id_columns: list
    rows: Iterator[Row]
    problems: list  # problems with the file as a whole: nothing can be evaluated


_ROW_LOCATION = re.compile(r"row (\d+)\b")
_ITEM_LOCATION = re.compile(r"^(?:applicants)?\[(\d+)\]")


def _row_of(problem: DataProblem) -> int | None:
    """The applicant a reading problem belongs to, or None for the file as a whole."""
    found = _ROW_LOCATION.match(problem.location)
    if found and int(found.group(1)) > 1:
        return int(found.group(1))
    found = _ITEM_LOCATION.match(problem.location)
    return int(found.group(1)) + 1 if found else None


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    return (type(value).__name__, value)


def _table_row(raw, plan, names, source, ids, memo) -> Row:
    inputs = plan.symbols.inputs
    memo_key = None
    if memo is not None:
        try:
            memo_key = tuple((k, _freeze(v)) for k, v in raw.fields.items() if k not in ids)
            hash(memo_key)
        except TypeError:
            memo_key = None
    if memo_key is not None and memo_key in memo:  # valid before: validation would say the same
        return Row(raw.row, applicant_key(raw.fields, inputs), {c: id_text(raw.fields.get(c)) for c in ids},
                   {}, [], memo_key)
    values, problems = validate(raw.fields, inputs, names, source, raw.row, check_keys=False)
    return Row(raw.row, applicant_key(raw.fields, inputs), {c: id_text(raw.fields.get(c)) for c in ids},
               None if problems else values, problems, memo_key)


def open_source(plan, data: str | Path, records: tuple | None = None, memo: dict | None = None) -> Source:
    """The applicants of `data` for `plan`; `records` = (list, count, by) for one row per record;
    `memo` the outcomes of earlier rows (see `evaluate_row`)."""
    inputs = plan.symbols.inputs
    names = [d.name for d in plan.symbols.indicators]
    path, source = Path(data), str(data)
    if records is not None:
        from engine.per_record import load_grouped
        try:
            applicants = load_grouped(path, inputs, names, *records)
        except DataError as exc:
            return Source(0, [], iter(()), list(exc.problems))
        return Source(len(applicants), [], (Row(a.row, a.key, {}, a.values, []) for a in applicants), [])
    if FORMATS.get(path.suffix.lower()) == "Parquet":
        total, columns, problems = parquet_columns(path, source)
        columns = tuple(c.strip() for c in columns)
        problems = problems or check_columns(columns, inputs, names, source)
        if problems:
            return Source(0, [], iter(()), problems)
        ids = id_columns(columns, inputs)
        return Source(total, ids, (_table_row(raw, plan, names, source, ids, memo)
                                   for raw in iter_parquet(path, source)), [])
    raws, problems = read_applicants(path, source)
    by_row: dict[int, list] = {}
    fatal = []
    for problem in problems:
        row = _row_of(problem)
        (by_row.setdefault(row, []) if row is not None else fatal).append(problem)
    if raws and raws[0].table:
        fatal[:0] = check_columns(raws[0].columns, inputs, names, source)
    if fatal or not raws and not by_row:
        return Source(0, [], iter(()), fatal or [DataProblem(source, "file", "no applicants", code="no_applicants")])
    ids = id_columns(raws[0].columns, inputs) if raws[0].table else []

    def rows():
        seen = set()
        for raw in raws:
            if raw.table:
                row = _table_row(raw, plan, names, source, ids, memo)
            else:
                values, found = validate(raw.fields, inputs, names, source, None, prefix=raw.prefix)
                row = Row(raw.row, applicant_key(raw.fields, inputs), {}, None if found else values, found)
            earlier = by_row.get(raw.row or 1)
            if earlier:
                seen.add(raw.row or 1)
                row.problems[:0] = earlier
                row.values = None
            yield row
        for number in sorted(set(by_row) - seen):  # items that are not applicants at all
            yield Row(number, None, {}, None, by_row[number])

    return Source(len(raws) + len(set(by_row) - {r.row for r in raws}), ids, rows(), [])


def evaluate_row(plan, row: Row, source: str, trace: bool = False, memo: dict | None = None):
    """The outcome of one row, or None after adding to `row.problems` why there is none."""
    from engine.evaluator import evaluate
    if row.values is None:
        return None
    if memo is not None and row.memo_key is not None and row.memo_key in memo:
        return memo[row.memo_key]
    where = f"row {row.row}" if row.row is not None else (f"applicant {row.key}" if row.key else "applicant")
    try:
        outcome = evaluate(plan, row.values, trace=trace, source=source)
    except DataError as exc:
        row.problems.extend(DataProblem(p.source, f"{where}: {p.location}", p.message, p.hint, p.code)
                            for p in exc.problems)
        return None
    except EvalError as exc:
        span = f" ({exc.span})" if exc.span is not None else ""
        row.problems.append(DataProblem(source, where, f"the rules cannot conclude: {exc}{span}",
                                        code="evaluation_failed"))
        return None
    if memo is not None and row.memo_key is not None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[row.memo_key] = outcome
    return outcome


@attrs.frozen
class TableRun:
    total: int  # applicants read
    written: int  # rows written
    bad_rows: tuple  # row numbers (or keys) of the rows skipped
    problems: tuple  # every problem, file-level ones first
    written_file: bool  # False: nothing was written (file problems, or strict with bad rows)


def run_to_table(plan, data: str | Path, output: str | Path, *, strict: bool = False, records: tuple | None = None,
                 advance: Callable[[], None] | None = None, on_total: Callable[[int | None], None] | None = None,
                 jobs: int | None = None) -> TableRun:
    """Evaluate every applicant of `data` and write one row each to `output` (see the module docstring).
    `jobs`: processes evaluating record batches at once (None: every core for a table of more than
    two batches, engine/parallel.py)."""
    output, kind, source = Path(output), FORMATS.get(Path(data).suffix.lower()), str(data)
    batched = output.suffix.lower() in BATCH_OUTPUTS
    if batched and records is not None:
        return _run_grouped(plan, data, source, output, strict, records, advance, on_total)
    if batched and kind == "Parquet":
        return _run_parquet(plan, Path(data), source, output, strict, advance, on_total, jobs)
    if batched and kind == "CSV":
        from engine.csv_batches import RowByRow, open_csv_table
        try:
            table = open_csv_table(plan, Path(data), source, BATCH_ROWS)
            large = Path(data).stat().st_size > CSV_BYTES_FOR_JOBS
            runs = _table_runs(plan, table.batches, source, _jobs(jobs, large))
            return _run_batches(plan, source, output, table.columns, runs, strict, advance)
        except RowByRow:
            pass  # a file the batch reader cannot vouch for reading as the row-by-row reader does
    return run_rows(plan, data, output, strict=strict, records=records, advance=advance, on_total=on_total)


def run_rows(plan, data: str | Path, output: str | Path, *, strict: bool = False, records: tuple | None = None,
             advance: Callable[[], None] | None = None, on_total: Callable[[int | None], None] | None = None
             ) -> TableRun:
    """`run_to_table` one applicant at a time: the reference the column-wise path must equal."""
    output = Path(output)
    memo: dict = {}
    source = open_source(plan, data, records, memo)
    if source.problems:
        return TableRun(0, 0, (), tuple(source.problems), False)
    if on_total is not None:
        on_total(source.total)
    names = result_names(plan)
    columns = _output_columns(source.id_columns, names)
    temporary = output.with_name(output.name + ".rulecheck-tmp")
    writer = WRITERS[output.suffix.lower()](temporary, columns, plan)
    total = written = 0
    bad, problems = [], []
    try:
        for row in source.rows:
            total += 1
            outcome = evaluate_row(plan, row, str(data), memo=memo)
            if outcome is None:
                bad.append(row.row if row.row is not None else row.key)
                problems.extend(row.problems)
            elif not (strict and bad):
                writer.write(row.row, row.key, [row.ids.get(c) for c in source.id_columns],
                             [outcome.results.get(n, Missing()) for n in names])
                written += 1
            if advance is not None:
                advance(1)
        writer.close()
    except BaseException:
        _discard(writer, temporary)
        raise
    return _finish(temporary, output, strict, total, written, bad, problems)


def _output_columns(ids: list, names: list) -> list[str]:
    columns = [*FIXED_COLUMNS, *ids, *names]
    doubled = sorted({c for c in columns if columns.count(c) > 1})
    if doubled:
        raise OutputError(f"the output would have two columns named {', '.join(doubled)}")
    return columns


def _run_parquet(plan, data: Path, source: str, output: Path, strict: bool, advance, on_total, jobs) -> TableRun:
    """`run_to_table` for a Parquet table, record batch by record batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    total, columns, problems = parquet_columns(data, source)
    columns = tuple(c.strip() for c in columns)
    problems = problems or check_columns(columns, plan.symbols.inputs, [d.name for d in plan.symbols.indicators],
                                         source)
    if problems:
        return TableRun(0, 0, (), tuple(problems), False)
    if on_total is not None:
        on_total(total)

    def batches():
        first_row = 2
        for batch in pq.ParquetFile(data).iter_batches(batch_size=BATCH_ROWS):
            table = pa.Table.from_batches([batch])
            yield first_row, table.rename_columns([c.strip() for c in table.column_names]), ()
            first_row += table.num_rows

    runs = _table_runs(plan, batches(), source, _jobs(jobs, total > 2 * BATCH_ROWS))
    return _run_batches(plan, source, output, columns, runs, strict, advance)


def _run_grouped(plan, data, source: str, output: Path, strict: bool, records: tuple, advance, on_total) -> TableRun:
    """`run_to_table` with one row per record (`--records`): the grouped applicants evaluated at once."""
    from engine.batch import run_values

    grouped = open_source(plan, data, records)
    if grouped.problems:
        return TableRun(0, 0, (), tuple(grouped.problems), False)
    if on_total is not None:
        on_total(grouped.total)
    rows = list(grouped.rows)
    return _run_batches(plan, source, output, (), [(lambda batch_plan: run_values(batch_plan, rows, source), (),
                                                    len(rows))], strict, advance)


def _jobs(jobs: int | None, large: bool) -> int:
    if jobs is not None:
        return max(1, jobs)
    from engine.parallel import default_workers
    return default_workers() if large else 1


def _table_runs(plan, batches, source: str, jobs: int):
    """Each batch's (run, rows found bad in reading, size), on `jobs` processes (engine/parallel.py)."""
    from engine.parallel import serial_runs, table_runs
    return table_runs(plan.ruleset, batches, source, jobs) if jobs > 1 else serial_runs(batches, source)


def _run_batches(plan, source: str, output: Path, columns: tuple, runs, strict: bool, advance) -> TableRun:
    """Applicants evaluated column-wise (engine/batch), as row by row. `runs` yields (batch plan →
    its BatchResult, [(row number, problems)] of rows found bad in reading, rows read)."""
    from engine.batch import compile_batch

    batch_plan = compile_batch(plan)
    out_columns = _output_columns(id_columns(columns, plan.symbols.inputs), list(batch_plan.results))
    temporary = output.with_name(output.name + ".rulecheck-tmp")
    writer = WRITERS[output.suffix.lower()](temporary, out_columns, plan)
    written = evaluated = 0
    bad, problems = [], []
    try:
        for run, found_bad, size in runs:
            result = run(batch_plan)
            evaluated += result.table.num_rows + len(result.bad_rows) + len(found_bad)
            batch_bad, batch_problems = list(result.bad_rows), list(result.problems)
            if found_bad:  # in row order among the rows the batch found bad
                batch_bad = sorted(batch_bad + [number for number, _ in found_bad])
                batch_problems = sorted(batch_problems + [p for _, found in found_bad for p in found], key=_row_of)
            bad.extend(batch_bad)
            problems.extend(batch_problems)
            if not (strict and bad):
                writer.write_table(result.table.select(out_columns))
                written += result.table.num_rows
            if advance is not None:
                advance(size)
        writer.close()
    except BaseException:
        _discard(writer, temporary)
        raise
    return _finish(temporary, output, strict, evaluated, written, bad, problems)


def _discard(writer, temporary: Path) -> None:
    """A run that failed part-way leaves no file behind."""
    with contextlib.suppress(Exception):
        writer.close()
    with contextlib.suppress(OSError):
        temporary.unlink()


def _finish(temporary: Path, output: Path, strict: bool, total: int, written: int, bad, problems) -> TableRun:
    """Put the finished file in place, unless `strict` and a row was bad."""
    if strict and bad:
        temporary.unlink()
        return TableRun(total, 0, tuple(bad), tuple(problems), False)
    os.replace(temporary, output)
    return TableRun(total, written, tuple(bad), tuple(problems), True)


# ---- explain ---------------------------------------------------------------------

def find_row(plan, data: str | Path, number: int) -> tuple[Row | None, list[DataProblem]]:
    """Row `number` of `data` (as rows are numbered in data problems), validated;
    (None, file problems) when the file cannot be read, (None, []) when there is no such row."""
    source = open_source(plan, data)
    if source.problems:
        return None, list(source.problems)
    for row in source.rows:
        if (row.row if row.row is not None else 1) == number:
            return row, []
    return None, []


def trace_data(node) -> dict:
    """A trace node and its children as JSON-ready data."""
    return {"kind": node.kind.value, "name": node.name, "label": node.label, "clause": node.clause,
            "value": _trace_value(node.value), "unit": node.unit, "detail": node.detail,
            "reads": [{"name": r.name, "value": _trace_value(r.value), "unit": r.unit} for r in node.reads],
            "children": [trace_data(child) for child in node.children]}


def _trace_value(value):
    from engine.numbers import describe
    from engine.results import plain_value
    if value is None or isinstance(value, (bool, str, Fraction, int)):
        return value
    if isinstance(value, Missing) or value is NOT_EVALUATED:
        return plain_value(value)
    if isinstance(value, (tuple, list)):
        return [_trace_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _trace_value(v) for k, v in value.items() if not str(k).startswith("__")}
    return describe(value)


def applicant_of(row: Row, source: str) -> Applicant:
    return Applicant(row.values or {}, source, row.row, row.key)
