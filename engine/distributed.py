"""Batch evaluation beyond one machine: a Parquet data set evaluated on a Dask cluster.

    from dask.distributed import Client
    from engine.distributed import run_on_dask
    run = run_on_dask(plan, "applicants/", "results/", client=Client("tcp://scheduler:8786"))

`rulecheck run RULES DATA --dask SCHEDULER -o FOLDER` does the same from the shell.

The data (a Parquet file, a folder of them, a glob or a URL such as s3://…) is
read with `dask.dataframe.read_parquet`, keeping Arrow types: an integer column
with nulls stays integers with nulls (rulecheck refuses the NaN that NumPy types
would make of it), decimals stay exact, lists and records stay lists and records.
Each partition is evaluated on a worker by the column-wise evaluator
(engine/batch) and written as one Parquet file of `output_dir`
(`part.00000.parquet`, … in row order) with the columns, cells and schema of
`rulecheck run DATA -o OUT.parquet` (engine/table_io.py): the folder read back
is, row for row, the single-machine output.

Row numbers are global, as on one machine: the rows are numbered from 2 in the
order Dask reads them (a folder: its files in name order), blank rows included.
The partitions' lengths are counted first (a first read of the data), so that
each worker knows where its partition starts: Parquet footers would be cheaper,
but how Dask groups row groups and files into partitions is its own affair,
whereas counting the very partitions that are then evaluated cannot disagree.

Bad rows are reported (their problems name the global row) and skipped, as on
one machine; `strict=True` leaves nothing written when any row is bad.
`output_dir` must not exist yet or be empty, so that the folder holds exactly
this run's files; a run that fails leaves it as it was.

The compiled plan travels to the workers as bytes, pickled once by cloudpickle
(it holds closures, which `pickle` refuses; cloudpickle carries them by value,
with the same results and traces as the original plan on every example of the
standards), and is unpickled once per worker process: bytes cost the scheduler
and the transfers between workers nothing, where the plan object itself
(1 MB of closures) would be pickled again at every hop.
"""

from __future__ import annotations

import functools
import sys

try:
    import cloudpickle
    import dask
    import dask.dataframe as dd
    import fsspec
    from dask.distributed import Client
except ImportError as exc:  # an optional extra: the core engine needs none of it
    raise ImportError("evaluating on Dask needs dask and distributed: pip install 'rulecheck[dask]'") from exc

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.batch import compile_batch, run_batch
from engine.data import check_columns
from engine.data_formats import FILE
from engine.errors import DataProblem
from engine.table_cells import PARQUET_GROUP_ROWS, OutputError, parquet_schema
from engine.table_io import BATCH_ROWS, FIXED_COLUMNS, TableRun, id_columns

FIRST_ROW = 2  # a table's header is row 1


def run_on_dask(plan, data, output_dir, *, client=None, strict: bool = False, storage_options: dict | None = None,
                read_options: dict | None = None) -> TableRun:
    """Evaluate every applicant of the Parquet data set `data` on Dask and write the results to
    `output_dir`, one Parquet file per partition (see the module docstring).

    `plan`: from engine.compiler.compile_rules. `client`: a dask.distributed Client (None: Dask's
    default scheduler). `storage_options`: for reading and writing remote paths (fsspec).
    `read_options`: more keyword arguments for dask.dataframe.read_parquet, e.g.
    {"split_row_groups": True} for one partition per row group, or {"blocksize": "64MiB"}.
    Returns the counts, bad rows and problems, as `rulecheck run -o FILE` reports them."""
    source = str(data)
    try:
        frame = dd.read_parquet(data, dtype_backend="pyarrow", arrow_to_pandas={"types_mapper": pd.ArrowDtype},
                                index=False, storage_options=storage_options, **(read_options or {}))
    except FileNotFoundError:
        return TableRun(0, 0, (), (DataProblem(source, FILE, "no such file", code="unreadable_file"),), False)
    except (OSError, ValueError) as exc:  # not Parquet (ArrowInvalid is a ValueError), a folder without Parquet files
        message = str(exc).rpartition("Original Message: ")[2]  # without Dask's preamble
        return TableRun(0, 0, (), (DataProblem(source, FILE, f"cannot read the Parquet data: {message}",
                                               code="unreadable_file"),), False)
    columns = tuple(c.strip() for c in frame.columns)
    problems = check_columns(columns, plan.symbols.inputs, [d.name for d in plan.symbols.indicators], source)
    if problems:
        return TableRun(0, 0, (), tuple(problems), False)

    fs, path = fsspec.core.url_to_fs(str(output_dir), **(storage_options or {}))
    existed = fs.exists(path)
    if existed and (not fs.isdir(path) or fs.ls(path, detail=False)):
        raise OutputError(f"{output_dir} exists and is not an empty folder")

    batch_plan = compile_batch(plan)
    schema = parquet_schema(plan, [*FIXED_COLUMNS, *id_columns(columns, plan.symbols.inputs), *batch_plan.results])
    columns_only = schema.remove_metadata()  # the `rulecheck` metadata goes in as custom_metadata
    parts = frame.to_delayed()  # fixes the partitions: counted, then evaluated, the same ones
    lengths = dask.compute(*(dask.delayed(len)(part) for part in parts), scheduler=client)
    first_rows = FIRST_ROW + np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
    shared_plan = dask.delayed(cloudpickle.dumps(batch_plan), pure=False)  # one task, fetched once per worker
    evaluate = dask.delayed(_evaluate_partition, nout=2)  # not map_partitions: its problems come back beside its rows
    evaluated = [evaluate(part, shared_plan, int(first), source, columns_only)
                 for part, first in zip(parts, first_rows)]
    results = dd.from_delayed([table for table, _ in evaluated], meta=_empty_frame(columns_only), verify_meta=False)
    try:  # one computation: each partition is evaluated once, for its file and for its report
        write = results.to_parquet(str(output_dir), write_index=False, schema=columns_only,
                                   custom_metadata=schema.metadata, storage_options=storage_options,
                                   name_function=functools.partial(_part_name, max(5, len(str(len(parts) - 1)))),
                                   row_group_size=PARQUET_GROUP_ROWS, compute=False)
        _, reports = dask.compute(write.to_delayed(), [report for _, report in evaluated], scheduler=client)
    except BaseException:
        _remove_written(fs, path, existed)
        raise
    total = sum(count for count, _, _ in reports)
    bad_rows = tuple(row for _, bad, _ in reports for row in bad)
    problems = tuple(problem for _, _, found in reports for problem in found)
    if strict and bad_rows:
        _remove_written(fs, path, existed)
        return TableRun(total, 0, bad_rows, problems, False)
    return TableRun(total, total - len(bad_rows), bad_rows, problems, True)


@functools.lru_cache(maxsize=4)
def _unpickled(pickled_plan: bytes):
    return cloudpickle.loads(pickled_plan)


def _evaluate_partition(part: pd.DataFrame, pickled_plan: bytes, first_row: int, source: str, schema: pa.Schema):
    """One partition's results as a frame of `schema`, and (rows evaluated, bad rows, their problems)."""
    batch_plan = _unpickled(pickled_plan)
    table = pa.Table.from_pandas(part, preserve_index=False)  # Arrow-backed columns: the file's own types
    table = table.rename_columns([c.strip() for c in table.column_names])
    tables, evaluated, bad_rows, problems = [], 0, [], []
    for start in range(0, table.num_rows, BATCH_ROWS):  # memory bounded by a batch, as on one machine
        result = run_batch(batch_plan, table.slice(start, BATCH_ROWS), first_row + start, source)
        tables.append(result.table.select(schema.names).cast(schema))
        evaluated += result.table.num_rows + len(result.bad_rows)  # blank rows are not applicants
        bad_rows.extend(result.bad_rows)
        problems.extend(result.problems)
    results = pa.concat_tables(tables) if tables else schema.empty_table()
    return results.to_pandas(types_mapper=pd.ArrowDtype), (evaluated, tuple(bad_rows), problems)


def _empty_frame(schema: pa.Schema) -> pd.DataFrame:
    return schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)


def _part_name(width: int, index: int) -> str:
    return f"part.{index:0{width}d}.parquet"  # zero-padded: name order is row order


def _remove_written(fs, path: str, existed: bool) -> None:
    """Leave the output folder as it was before the run: absent, or empty."""
    if not fs.exists(path):
        return
    if existed:
        for entry in fs.ls(path, detail=False):
            fs.rm(entry, recursive=True)
    else:
        fs.rm(path, recursive=True)


def run_command(plan, args) -> int:
    """`rulecheck run RULES DATA --dask SCHEDULER -o FOLDER` (engine/cli.py)."""
    from engine.cli import EXIT_DATA, EXIT_OK, UsageError, _print_data_problems
    if not args.output:
        raise UsageError("--dask writes a folder of Parquet files: name it with -o FOLDER")
    if args.records is not None:
        raise UsageError("--records groups rows across the whole data: it does not run with --dask")
    try:  # 'local': one single-threaded worker process per core, as evaluation holds the GIL
        client = Client(threads_per_worker=1) if args.dask == "local" else Client(args.dask)
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler {args.dask}: {exc}") from None
    with client:
        try:
            run = run_on_dask(plan, args.data, args.output, client=client, strict=args.strict)
        except OutputError as exc:
            raise UsageError(f"cannot write {args.output}: {exc}") from None
        except OSError as exc:  # e.g. a worker cannot see DATA or FOLDER: they are not on storage it shares
            raise UsageError(f"the run on {args.dask} failed: {exc}") from None
    _print_data_problems(list(run.problems))
    if not run.written_file:
        if run.bad_rows:
            print(f"--strict: {len(run.bad_rows)} of {run.total} row(s) have invalid data; nothing was written",
                  file=sys.stderr)
        return EXIT_DATA
    wrote = f"wrote {run.written} row(s) to {args.output}"
    if run.bad_rows:
        shown = ", ".join(str(r) for r in run.bad_rows[:50]) + (
            f" … and {len(run.bad_rows) - 50} more" if len(run.bad_rows) > 50 else "")
        print(f"skipped {len(run.bad_rows)} of {run.total} row(s) with invalid data (rows {shown}); {wrote}",
              file=sys.stderr)
        return EXIT_DATA
    print(wrote, file=sys.stderr)
    return EXIT_OK
