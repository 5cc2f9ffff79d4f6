"""Benchmark: scoring a whole population in one go, rulecheck against hand-written baselines.

    python benchmarks/batch.py [--quick] [--sizes 1000,100000,1000000] [--part enterprise|vehicles|all]
                               [--vehicle-sizes 100000,1000000] [--cli-limit N]

Enterprise part (T/SGIPA clause 5): for each size, a population of generated
applicants crowded onto band edges (benchmarks/population.py; cached in
benchmarks/results/) is scored by
  - rulecheck's batch evaluator, exact (`engine.batch`: compile_batch + run_batch);
  - the CLI, `rulecheck run RULES DATA.parquet -o OUT.parquet`, end to end;
  - the baselines of benchmarks/enterprise_baselines.py: NumPy, Polars, OpenFisca, zen-engine.
Every implementation runs in fresh processes: one end to end (the Parquet file
in, every applicant's results written to Parquet; interpreter start and imports
included, as for the CLI), whose wall time and peak RSS (os.wait4: that child's
own) are reported; another for the compute alone (from an Arrow table in memory
to per-row results, after a warm-up on 1000 rows; best of 3 up to 20 000 rows).

The exact reference is the batch evaluator's output. When `engine.batch` does
not import or fails, it is the CLI's (end to end only), and when that fails too,
the scalar evaluator's row by row (what `rulecheck run` did before engine.batch);
the row used says FALLBACK. Without the batch evaluator rulecheck takes about
2 ms a row, so the CLI then runs on at most --cli-limit rows (default 10⁵ while
the batch evaluator is missing, else all) and its time is extrapolated linearly;
zen-engine likewise runs on at most 10⁵ rows. Extrapolated figures and sampled
comparisons are said so in the note.

Exactness: rulecheck's results are exact decimal text. Another implementation's
applicant differs in total when its total shown to 2 decimals half-up (from the
float's shortest repr) is not the exact total to 2 decimals half-up, and in
grade when the grades differ; `differing` counts either, and both counts are
reported (the grade differences are the serious ones).

Vehicles part: the rows of benchmarks/vehicles.py's `measure()` (one Parquet
row per vehicle, dual-credit regulation), when that module is there.

Prints a table and the rulecheck/Polars time ratios, and writes
benchmarks/results/batch.json and batch.md. `--quick` (CI) runs 10³
enterprises and the vehicle part at its smallest.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
RESULTS = BENCHMARKS / "results"
RULES = ROOT / "standards" / "tsgipa-nev" / "2025-draft" / "enterprise.rules"
SEED = 0
SIZES = (1_000, 100_000, 1_000_000)
VEHICLE_SIZES = (100_000, 1_000_000)
CLI_LIMIT_WITHOUT_BATCH = 100_000
WARM_UP_ROWS = 1_000
REPEAT_UP_TO_ROWS = 20_000
CENT = Decimal("0.01")
RULECHECK, SCALAR = "rulecheck", "rulecheck-scalar"
CLI = "rulecheck run -o (CLI)"

sys.path[:0] = [str(ROOT), str(BENCHMARKS)]


# ---- in a measuring child process ------------------------------------------------------------

def _plan():
    """The enterprise rule set, loaded, checked and compiled as `rulecheck run` does it."""
    from dsl.checker import check
    from dsl.loader import load_ruleset
    from engine.compiler import compile_rules
    checked = check(load_ruleset(RULES))
    if checked.errors:
        raise SystemExit(f"{RULES} has errors: run `rulecheck check` on it")
    return compile_rules(checked)


def _scoring(implementation: str):
    """table → results, for `implementation` (its one-off set-up, e.g. compiling the rules, done here)."""
    if implementation == RULECHECK:
        from engine.batch import compile_batch, run_batch
        plan = compile_batch(_plan())
        return lambda table: run_batch(plan, table)
    from enterprise_baselines import scorer
    return scorer(implementation).score


def run_end_to_end(implementation: str, data: Path, out: Path) -> None:
    """Read the Parquet file `data`, score every applicant and write the results to `out`."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    if implementation == SCALAR:
        _run_scalar(data, out)
        return
    if implementation == RULECHECK:
        result = _scoring(RULECHECK)(pq.read_table(data))
        if result.problems:
            raise SystemExit(f"{len(result.problems)} bad rows, the first: {result.problems[0]}")
        pq.write_table(result.table, out)
        return
    from enterprise_baselines import scorer
    total, grade = scorer(implementation).score_file(data)
    names = pq.read_table(data, columns=["name"]).column("name")
    pq.write_table(pa.table({"name": names, "total_score": total, "grade": grade}), out)


def _run_scalar(data: Path, out: Path) -> None:
    """Every applicant through the scalar evaluator, one by one (rulecheck's reference path)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from engine.data import load_applicants
    from engine.evaluator import evaluate
    from engine.table_cells import result_text
    plan = _plan()
    columns = {"name": [], "total_score": [], "grade": []}
    for applicant in load_applicants(data, plan.symbols.inputs, [d.name for d in plan.symbols.indicators]):
        results = evaluate(plan, applicant.values, trace=False, source=str(data)).results
        columns["name"].append(applicant.key)
        columns["total_score"].append(result_text(results["total_score"]))
        columns["grade"].append(result_text(results["grade"]))
    pq.write_table(pa.table(columns), out)


def run_compute(implementation: str, data: Path, out: Path) -> None:
    """Time the compute alone, from the Arrow table in memory; write {"compute_s": …} to `out`."""
    import pyarrow.parquet as pq
    table = pq.read_table(data)
    score = _scoring(implementation)
    score(table.slice(0, WARM_UP_ROWS))  # imports, caches, query plans: not what is measured
    times = []
    for _ in range(3 if table.num_rows <= REPEAT_UP_TO_ROWS else 1):
        started = time.perf_counter()
        score(table)
        times.append(time.perf_counter() - started)
    out.write_text(json.dumps({"compute_s": min(times)}), encoding="utf-8")


def _rounded(value) -> Decimal | None:
    """A total to 2 decimals half-up: exact text as it is, a float through its shortest repr."""
    if value is None:
        return None
    return Decimal(value if isinstance(value, str) else repr(value)).quantize(CENT, ROUND_HALF_UP)


def compare(reference: Path, results: list[Path], out: Path) -> None:
    """Per result file: how many applicants it shares with the exact `reference` (joined on `name`),
    and how many of those differ in total (2 decimals, or exactly for exact text) and in grade."""
    import pyarrow.parquet as pq
    exact = pq.read_table(reference, columns=["name", "total_score", "grade"]).to_pydict()
    exact = {name: (Decimal(t) if t is not None else None, g)
             for name, t, g in zip(exact["name"], exact["total_score"], exact["grade"])}
    found = []
    for path in results:
        got = pq.read_table(path, columns=["name", "total_score", "grade"]).to_pydict()
        counts = {"compared": 0, "total_differs": 0, "grade_differs": 0, "differing": 0}
        for name, total, grade in zip(got["name"], got["total_score"], got["grade"]):
            if name not in exact:
                continue
            exact_total, exact_grade = exact[name]
            if isinstance(total, str):  # another exact result: it must agree to the last digit
                total_differs = Decimal(total) != exact_total
            else:
                total_differs = _rounded(total) != (None if exact_total is None else
                                                    exact_total.quantize(CENT, ROUND_HALF_UP))
            grade_differs = grade != exact_grade
            counts["compared"] += 1
            counts["total_differs"] += total_differs
            counts["grade_differs"] += grade_differs
            counts["differing"] += total_differs or grade_differs
        found.append(counts)
    out.write_text(json.dumps(found), encoding="utf-8")


# ---- the harness -------------------------------------------------------------------------------

class ChildFailed(Exception):
    """A measuring process exited with an error (its command and stderr are the message)."""

    def __init__(self, command: list, returncode: int, errors: str):
        super().__init__(f"{' '.join(map(str, command))} failed ({returncode}):\n{errors}")
        lines = errors.strip().splitlines()
        self.reason = f"killed by signal {-returncode}" if returncode < 0 else lines[-1] if lines else "failed"


def _timed(command: list) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of `command` in a fresh process. os.wait4 gives this child's own
    rusage; RUSAGE_CHILDREN would be the largest of all children so far."""
    started = time.perf_counter()
    with subprocess.Popen([str(c) for c in command], cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as child:
        errors = child.stderr.read().decode(errors="replace")
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise ChildFailed(command, child.returncode, errors)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def _this(*args) -> list:
    return [sys.executable, __file__, *args]


def _population(size: int) -> Path:
    """The cached population file of `size` applicants; its name changes with the generator's code."""
    import hashlib
    sources = [BENCHMARKS / "population.py", *(BENCHMARKS / "baselines" / f for f in ("with_numpy.py", "table_c4.py"))]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:8]
    path = RESULTS / f"enterprises-{size}-seed{SEED}-{digest}.parquet"
    if not path.exists():
        for stale in RESULTS.glob(f"enterprises-{size}-seed{SEED}-*.parquet"):  # an older generator's
            stale.unlink()
        _timed(_this("--generate", size, path))
    return path


def _head(data: Path, rows: int) -> Path:
    """The first `rows` applicants of `data`, as a file of their own (read batch by batch)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    path = data.with_name(f"{data.stem}-head{rows}.parquet")
    if not path.exists():
        batches, taken = [], 0
        for batch in pq.ParquetFile(data).iter_batches(batch_size=min(rows, 65_536)):
            batches.append(batch.slice(0, rows - taken))
            taken += batches[-1].num_rows
            if taken == rows:
                break
        pq.write_table(pa.Table.from_batches(batches), path)
    return path


def _batch_missing() -> str | None:
    """None when `engine.batch` imports with its API, else why not."""
    try:
        from engine.batch import compile_batch, run_batch  # noqa: F401
    except Exception as exc:  # it is being written: any failure means "not yet"
        return f"{type(exc).__name__}: {exc}"
    return None


def _row(size, implementation, end_to_end, compute, peak, note, output=None) -> dict:
    return {"part": "enterprise", "size": size, "implementation": implementation, "end_to_end_s": end_to_end,
            "compute_s": compute, "peak_mib": peak, "differing": None, "total_differs": None,
            "grade_differs": None, "compared": None, "note": note, "reference": False, "output": output}


def _sampled(size: int, rows: int, data: Path) -> tuple[Path, float, str]:
    """(the file of the first `rows` applicants, or `data` itself; time scale; what the note says)."""
    if rows >= size:
        return data, 1.0, ""
    return _head(data, rows), size / rows, f"; run on the first {rows:,} rows, times ×{size / rows:g}, " \
                                           "peak of that run"


def _failure(exc: ChildFailed) -> str:
    """Why the child failed, in a line (all it wrote goes to this process's stderr)."""
    print(exc, file=sys.stderr)
    return exc.reason if len(exc.reason) <= 100 else exc.reason[:99] + "…"


def _rulecheck_rows(size: int, data: Path, work: Path, cli_limit: int | None, batch_missing: str | None
                    ) -> list[dict]:
    """The batch evaluator, the CLI, and, when neither gives results, the scalar evaluator row by row
    (what `rulecheck run` did before engine.batch); the first row with results is the exact reference."""
    rows = []
    if batch_missing is None:
        out = work / f"rulecheck-{size}.parquet"
        try:
            end_to_end, peak = _timed(_this("--run", RULECHECK, data, out))
            rows.append(_row(size, "rulecheck batch", end_to_end, _compute(RULECHECK, data, work), peak,
                             "engine.batch: compile_batch + run_batch", out))
        except ChildFailed as exc:  # work in progress: say so, and fall back
            batch_missing = "run_batch failed: " + _failure(exc)
    # Without the batch evaluator, the CLI and the scalar path take about 2 ms a row: sample them.
    limit = cli_limit or (CLI_LIMIT_WITHOUT_BATCH if batch_missing else None)
    sample, scale, sampled = _sampled(size, limit or size, data)
    out = work / f"cli-{size}.parquet"
    try:
        end_to_end, peak = _timed([sys.executable, "-m", "engine.cli", "run", RULES, sample, "-o", out])
        rows.append(_row(size, CLI, end_to_end * scale, None, peak,
                         "end to end only" + sampled, out))
    except ChildFailed as exc:
        rows.append(_row(size, CLI, None, None, None, "failed: " + _failure(exc)))
    if not any(row["output"] for row in rows):
        sample, scale, sampled = _sampled(size, cli_limit or CLI_LIMIT_WITHOUT_BATCH, data)
        out = work / f"scalar-{size}.parquet"
        end_to_end, peak = _timed(_this("--run", SCALAR, sample, out))
        rows.append(_row(size, "rulecheck row by row", end_to_end * scale, None, peak,
                         "the scalar evaluator, end to end only" + sampled, out))
    if batch_missing is not None:
        reference = next(row for row in rows if row["output"])
        reference["note"] = f"FALLBACK for the batch evaluator ({batch_missing}); " + reference["note"]
    return rows


def measure_enterprises(size: int, work: Path, cli_limit: int | None, batch_missing: str | None) -> list[dict]:
    """Every implementation on `size` applicants; `differing` against rulecheck's exact results."""
    from enterprise_baselines import BASELINES
    data = _population(size)
    rows = _rulecheck_rows(size, data, work, cli_limit, batch_missing)
    for baseline in BASELINES:
        sample, scale, sampled = _sampled(size, baseline.row_limit or size, data)
        out = work / f"{baseline.name.lower()}-{size}.parquet"
        end_to_end, peak = _timed(_this("--run", baseline.name, sample, out))
        compute = _compute(baseline.name, sample, work)
        rows.append(_row(size, baseline.name, end_to_end * scale, compute * scale, peak, baseline.note + sampled, out))
    compared = [row for row in rows if row["output"]]
    reference = compared[0]
    reference["reference"] = True
    found = work / "differences.json"
    _timed(_this("--compare", reference["output"], found, *[row["output"] for row in compared]))
    for row, counts in zip(compared, json.loads(found.read_text(encoding="utf-8"))):
        row.update(counts)
        if counts["compared"] < size:
            row["note"] += f"; compared on {counts['compared']:,} rows"
    reference["note"] += "; the exact reference"
    return rows


def _compute(implementation: str, data: Path, work: Path) -> float:
    out = work / "compute.json"
    _timed(_this("--compute", implementation, data, out))
    return json.loads(out.read_text(encoding="utf-8"))["compute_s"]


def measure_vehicles(sizes, quick: bool) -> list[dict]:
    """The rows of benchmarks/vehicles.py (a colleague's module, which may not be there yet)."""
    try:
        import vehicles
    except ImportError as exc:
        return [{"part": "vehicles", "size": None, "implementation": "—", "end_to_end_s": None,
                 "compute_s": None, "peak_mib": None, "differing": None,
                 "note": f"benchmarks/vehicles.py not available ({exc})"}]
    return [row for size in sizes for row in vehicles.measure(size, RESULTS, quick)]


def ratios(rows: list[dict]) -> list[dict]:
    """rulecheck's times over Polars', per size (compute alone and end to end)."""
    found = []
    for size in sorted({r["size"] for r in rows if r["part"] == "enterprise"}):
        at = [r for r in rows if r["part"] == "enterprise" and r["size"] == size]
        ours = next(r for r in at if r["reference"])
        cli = next((r for r in at if r["implementation"] == CLI), None)
        polars = next((r for r in at if r["implementation"] == "Polars"), None)
        if polars is None:
            continue

        def ratio(key, row=ours):
            return row[key] / polars[key] if row and row[key] and polars[key] else None
        found.append({"size": size, "rulecheck": ours["implementation"], "compute": ratio("compute_s"),
                      "end_to_end": ratio("end_to_end_s"), "cli_end_to_end": ratio("end_to_end_s", cli)})
    return found


# ---- reporting ---------------------------------------------------------------------------------

NOTES = (
    "End to end: a fresh process reads the Parquet file, scores every applicant and writes the results to "
    "Parquet (interpreter start and imports included); its wall time and peak RSS. Compute: from an Arrow "
    "table in memory to per-row results, after a warm-up on 1000 rows; best of 3 up to 20 000 rows. "
    "rulecheck batch and NumPy use one core, Polars and the CLI every core (the CLI: worker processes "
    "for more than two record batches, whose peak MiB is that of the largest process).",
    "Differing: applicants whose total shown to 2 decimals half-up (a float through its shortest repr) is not "
    "the exact total to 2 decimals half-up, or whose grade differs (in brackets: totals / grades); against "
    "rulecheck's exact results.",
)
COLUMNS = ("part", "size", "implementation", "end to end s", "compute s", "peak MiB",
           "differing (total 2dp / grade)", "note")


def _cells(row: dict) -> list[str]:
    def number(value, digits):
        return "—" if value is None else f"{value:,.{digits}f}"
    differing = "—" if row["differing"] is None else str(row["differing"])
    if row.get("total_differs") is not None:
        differing += f" ({row['total_differs']} / {row['grade_differs']})"
    return [row["part"], "—" if row["size"] is None else f"{row['size']:,}", row["implementation"],
            number(row["end_to_end_s"], 3), number(row["compute_s"], 3), number(row["peak_mib"], 0), differing,
            row["note"]]


def _ratio_lines(found: list[dict]) -> list[str]:
    def shown(value):
        return "—" if value is None else f"×{value:.2f}"
    return [f"{r['size']:,} enterprises: {r['rulecheck']} / Polars = {shown(r['compute'])} compute, "
            f"{shown(r['end_to_end'])} end to end; the CLI / Polars = {shown(r.get('cli_end_to_end'))} end to end"
            for r in found]


def _machine() -> dict:
    versions = {}
    for package in ("numpy", "polars", "pyarrow", "OpenFisca-Core", "zen-engine"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "versions": versions, "date": datetime.date.today().isoformat()}


def report(rows: list[dict], found: list[dict], batch_missing: str | None) -> None:
    """Print the table and the ratios; write batch.json and batch.md."""
    from rich.console import Console
    from rich.table import Table
    shown = [{k: v for k, v in r.items() if k != "output"} for r in rows]
    table = Table(title="batch evaluation: rulecheck and hand-written baselines")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for row in shown:
        table.add_row(*_cells(row))
    console = Console(width=max(Console().width, 160))  # the notes need room, also in a CI log
    console.print(table)
    for line in _ratio_lines(found):
        console.print(line)
    notes = list(NOTES)
    if batch_missing is not None:
        notes.append(f"engine.batch did not import ({batch_missing}): "
                     "the reference is the rulecheck row marked FALLBACK.")
    machine = _machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "batch.json").write_text(json.dumps({"machine": machine, "rows": shown, "ratios": found,
                                                    "notes": notes}, indent=2, ensure_ascii=False),
                                        encoding="utf-8")
    lines = ["# Batch evaluation benchmark", "",
             f"{machine['date']}, {machine['cores']} cores, {machine['platform']}, Python {machine['python']}; "
             + ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v), "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |" for row in shown]
    lines += ["", *[f"- {line}" for line in _ratio_lines(found)], "", *[f"{note}\n" for note in notes]]
    (RESULTS / "batch.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{SIZES[0]:,} enterprises, vehicles at their smallest")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="enterprise population sizes")
    parser.add_argument("--vehicle-sizes", default=",".join(map(str, VEHICLE_SIZES)), help="vehicle rows")
    parser.add_argument("--part", choices=("enterprise", "vehicles", "all"), default="all")
    parser.add_argument("--cli-limit", type=int, help="run the CLI on at most this many rows, extrapolating")
    internal = parser.add_mutually_exclusive_group()  # the measuring children
    internal.add_argument("--generate", nargs=2, metavar=("N", "FILE"), help=argparse.SUPPRESS)
    internal.add_argument("--run", nargs=3, metavar=("IMPL", "DATA", "OUT"), help=argparse.SUPPRESS)
    internal.add_argument("--compute", nargs=3, metavar=("IMPL", "DATA", "OUT"), help=argparse.SUPPRESS)
    internal.add_argument("--compare", nargs="+", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        from population import write_population
        write_population(Path(args.generate[1]), int(args.generate[0]), SEED)
        return 0
    if args.run:
        run_end_to_end(args.run[0], Path(args.run[1]), Path(args.run[2]))
        return 0
    if args.compute:
        run_compute(args.compute[0], Path(args.compute[1]), Path(args.compute[2]))
        return 0
    if args.compare:
        reference, out, *results = map(Path, args.compare)
        compare(reference, results, out)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    vehicle_sizes = [int(s) for s in args.vehicle_sizes.split(",")]
    if args.quick:
        sizes, vehicle_sizes = [min(sizes)], [min(vehicle_sizes)]
    batch_missing = _batch_missing()
    rows = []
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="batch-", dir=RESULTS))  # this run's own: runs may overlap
    try:
        if args.part in ("enterprise", "all"):
            for size in sizes:
                rows += measure_enterprises(size, work, args.cli_limit, batch_missing)
        if args.part in ("vehicles", "all"):
            rows += measure_vehicles(vehicle_sizes, args.quick)
    except ChildFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work)
    report(rows, ratios(rows), batch_missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
