"""Record batches evaluated on several processes, their results taken in order.

The batch evaluator is NumPy work on one core; a large table uses the others
by giving each worker process whole record batches. Workers are started with
`spawn` (a fresh interpreter: no locks of the parent's Arrow threads inherited
through `fork`) and rebuild the plan from the checked rule set, which pickles
(the compiled plan holds closures, which do not). At most two batches per
worker are in flight, so memory stays bounded by a few batches whatever the
size of the table, and results come back in row order: the output is the file
a single process writes, byte for byte.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_IN_FLIGHT_PER_WORKER = 2


class WorkerStopped(RuntimeError):
    """A worker process ended without a result (killed, e.g. by the system when memory ran out)."""
_batch_plan = None  # in a worker: the plan every batch is evaluated with


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _start_worker(ruleset_bytes: bytes) -> None:
    global _batch_plan
    from dsl.checker import check
    from engine.batch import compile_batch
    from engine.compiler import compile_rules
    _batch_plan = compile_batch(compile_rules(check(pickle.loads(ruleset_bytes))))


def _evaluate(table, first_row: int, source: str):
    from engine.batch import run_batch
    return run_batch(_batch_plan, table, first_row, source)


def serial_runs(batches, source: str):
    """(batch plan → its BatchResult, rows found bad in reading, rows read) of each (first row
    number, Arrow table of cells, [(row number, problems)] of rows found bad in reading)."""
    from engine.batch import run_batch

    for first_row, table, found_bad in batches:
        yield (lambda batch_plan, table=table, first_row=first_row: run_batch(batch_plan, table, first_row, source),
               found_bad, table.num_rows)


def table_runs(ruleset, batches, source: str, workers: int):
    """`serial_runs`, each batch evaluated by one of `workers` processes."""
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(pickle.dumps(ruleset),))
    except (OSError, NotImplementedError):  # no process semaphores here (e.g. no /dev/shm): one process
        yield from serial_runs(batches, source)
        return
    pending: deque = deque()

    def taken():
        future, found_bad, size = pending.popleft()
        return (lambda _batch_plan, future=future: _result(future)), found_bad, size

    try:
        for first_row, table, found_bad in batches:
            pending.append((pool.submit(_evaluate, table, first_row, source), found_bad, table.num_rows))
            if len(pending) >= _IN_FLIGHT_PER_WORKER * workers:
                yield taken()
        while pending:
            yield taken()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _result(future):
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerStopped(f"a worker process stopped before it had evaluated its rows (out of memory?); "
                            f"rerun with --jobs 1, or fewer jobs") from None
