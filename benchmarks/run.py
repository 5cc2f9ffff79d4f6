"""Benchmarks: `python benchmarks/run.py [--quick]`.

Measures what issue #2 sets targets for, on the shipped enterprise rules:
  - parse + check of the enterprise rule set (with its imports, Appendix A among them), and of
    every rule file under standards/, without the parse cache            (target ≤ 0.2 s)
  - one evaluation with its trace, warm                                       (target ≤ 2 ms)
  - `rulecheck run` on one applicant, a fresh process                          (target ≤ 0.4 s),
    both with rulecheck's parse cache warm (the usual case) and empty (the first run ever)
Prints a table and writes benchmarks/results/latest.json. `--quick` repeats
less; CI runs it that way to keep the script working, not to time anything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENTERPRISE = ROOT / "standards" / "tsgipa-nev" / "2025-draft" / "enterprise.rules"
CARMAKER = ENTERPRISE.parent / "examples" / "carmaker.yaml"


def best_of(repeat: int, fn) -> float:
    """The fastest of `repeat` runs, in seconds: the least disturbed by the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def parse_and_check(paths) -> None:
    """Parse and check rule sets as `rulecheck check` does: each file parsed once."""
    from dsl import loader
    from dsl.checker import check
    os.environ["RULECHECK_NO_CACHE"] = "1"  # measure the parser, not the disk cache
    loader._PARSED.clear()  # nor this process's memo from an earlier repetition
    try:
        for path in paths:
            check(loader.load_ruleset(path))
    finally:
        del os.environ["RULECHECK_NO_CACHE"]


def parse_and_check_enterprise() -> None:
    parse_and_check([ENTERPRISE])


def parse_and_check_all() -> None:
    parse_and_check(sorted((ROOT / "standards").rglob("*.rules")))


def one_traced_evaluation():
    from dsl.checker import check
    from dsl.loader import load_ruleset
    from engine.compiler import compile_rules
    from engine.data import load_applicants
    from engine.evaluator import evaluate
    plan = compile_rules(check(load_ruleset(ENTERPRISE)))
    applicant = load_applicants(CARMAKER, plan.symbols.inputs, [d.name for d in plan.symbols.indicators])[0]
    return lambda: evaluate(plan, applicant.values, trace=True)


def cold_run(cache_dir: str | None = None) -> None:
    env = dict(os.environ)
    if cache_dir is not None:
        env["RULECHECK_CACHE_DIR"] = cache_dir
    subprocess.run([sys.executable, "-m", "engine.cli", "run", str(ENTERPRISE), str(CARMAKER), "--format", "json"],
                   check=True, capture_output=True, cwd=ROOT, env=env)


def first_run() -> None:
    with tempfile.TemporaryDirectory() as empty_cache:
        cold_run(empty_cache)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions (CI)")
    args = parser.parse_args()
    repeat = 2 if args.quick else 10
    cold_run()  # builds Lark's grammar cache, as any first run on a machine does
    evaluate_once = one_traced_evaluation()
    for _ in range(20):
        evaluate_once()
    rows = [
        ("parse + check the enterprise rule set", best_of(repeat, parse_and_check_enterprise), 0.2),
        ("parse + check all of standards/", best_of(repeat, parse_and_check_all), 0.2),
        ("one evaluation with trace (warm)", best_of(repeat * 20, evaluate_once), 0.002),
        ("rulecheck run, one applicant (new process)", statistics.median(
            best_of(1, cold_run) for _ in range(repeat if args.quick else 5)), 0.4),
        ("rulecheck run, first run (empty parse cache)", statistics.median(
            best_of(1, first_run) for _ in range(repeat if args.quick else 5)), 0.4),
    ]
    from rich.console import Console
    from rich.table import Table
    table = Table(title="rulecheck benchmarks")
    for column in ("measure", "time", "target", "within target"):
        table.add_column(column)
    for name, seconds, target in rows:
        table.add_row(name, f"{seconds * 1000:.2f} ms", f"{target * 1000:.0f} ms", "yes" if seconds <= target else "NO")
    Console().print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(
        {name: {"seconds": seconds, "target_seconds": target} for name, seconds, target in rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
