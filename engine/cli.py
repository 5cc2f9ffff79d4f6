"""The `rulecheck` command.

    rulecheck check PATH…                 check rule files (folders: every *.rules inside)
    rulecheck run RULESET DATA [--format text|json] [--trace] [-o FILE]
                  [--records LIST --count FIELD [--by COLUMN]]   one row per record
    rulecheck run RULESET DATA -o FILE.parquet|.csv|.xlsx [--strict]   one result row per applicant
    rulecheck explain RULESET DATA --row N [--format text|json]   the full trace of one row
    rulecheck report RULESET DATA [--format md|html] [-o FILE]   the standard's evaluation tables
    rulecheck fmt [--check] PATH…         format rule files in place
    rulecheck test PATH…                  run the examples written beside the rules
    rulecheck diff OLD NEW [--format text|json|md] [--data DIR|FILE [--explain APPLICANT]] [-o FILE]
                                          what a new version changes, and for whom

Exit codes: 0 ok; 1 tests failed, or `fmt --check` found files to reformat;
2 usage error (bad arguments, a path that does not exist); 3 rule-file errors
(syntax or check); 4 data errors (invalid data, or the rules cannot conclude on
it; with a table --output, also when bad rows were skipped and the good ones
written); 5 an internal error in rulecheck (a bug: please report it).

The phases are gated: rules that fail their checks are never evaluated.
Heavy modules (rich, the evaluator) are imported inside the commands that need
them, so `rulecheck` starts quickly.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_RULES, EXIT_DATA, EXIT_INTERNAL = 0, 1, 2, 3, 4, 5


class UsageError(Exception):
    pass


def _console(stderr: bool = False):
    from rich.console import Console
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _rule_files(paths) -> list[Path]:
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.rules")))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {raw}")
    return files


def _print_diagnostics(diagnostics, sources) -> None:
    from dsl.diagnostics import render_all_plain
    if diagnostics:
        print(render_all_plain(diagnostics, sources), file=sys.stderr)


def _load_checked(path: Path, sources: dict):
    """Load, parse and check a rule set, collecting its texts into `sources`.
    Returns (checked rules or None when it did not load, diagnostics)."""
    from dsl.checker import check
    from dsl.diagnostics import CheckError, ParseError
    from dsl.loader import load_ruleset
    try:
        ruleset = load_ruleset(path)
    except (ParseError, CheckError) as exc:
        sources.update(getattr(exc, "sources", {}))
        return None, list(exc.diagnostics)
    sources.update(ruleset.sources)
    checked = check(ruleset)
    return checked, list(checked.diagnostics)


def cmd_check(args) -> int:
    from dsl.diagnostics import render_all_plain
    all_diagnostics, sources = [], {}
    files = _rule_files(args.paths)
    for path in files:
        _, diagnostics = _load_checked(path, sources)
        all_diagnostics.extend(diagnostics)
    unique = list(dict.fromkeys(all_diagnostics))
    if unique:
        print(render_all_plain(unique, sources), file=sys.stderr)
    errors = sum(1 for d in unique if d.is_error)
    warnings = len(unique) - errors
    print(f"checked {len(files)} file(s): {errors} error(s), {warnings} warning(s)")
    return EXIT_RULES if errors else EXIT_OK


def _plan_for(path: str):
    """The compiled plan of a rule set, or an exit code when it has errors."""
    from engine.compiler import compile_rules
    rules = Path(path)
    if not rules.is_file():
        raise UsageError(f"no such rule file: {path}")
    sources = {}
    checked, diagnostics = _load_checked(rules, sources)
    _print_diagnostics(diagnostics, sources)
    if checked is None or checked.errors:
        return EXIT_RULES
    return compile_rules(checked)


def _print_data_problems(problems) -> None:
    from dsl.diagnostics import MAX_DIAGNOSTICS
    for problem in problems[:MAX_DIAGNOSTICS]:
        print(f"error[{problem.code}]: {problem}", file=sys.stderr)
    if len(problems) > MAX_DIAGNOSTICS:
        print(f"... and {len(problems) - MAX_DIAGNOSTICS} more", file=sys.stderr)


def _evaluate_data(plan, args, trace: bool):
    """Load the data named by `args` and evaluate every applicant in it.
    Returns [(applicant, outcome)], or an exit code after printing the problems."""
    from engine.data import load_applicants
    from engine.errors import DataError, EvalError
    from engine.evaluator import evaluate
    if not Path(args.data).is_file():
        raise UsageError(f"no such data file: {args.data}")
    if (args.records is None) != (args.count is None):
        raise UsageError("--records and --count go together: the list input and the field that counts its rows")
    indicator_names = [d.name for d in plan.symbols.indicators]
    try:
        if args.records is not None:
            from engine.per_record import load_grouped
            applicants = load_grouped(args.data, plan.symbols.inputs, indicator_names, args.records, args.count,
                                      args.by)
        else:
            applicants = load_applicants(args.data, plan.symbols.inputs, indicator_names)
        return [(a, evaluate(plan, a.values, trace=trace, source=a.source)) for a in applicants]
    except DataError as exc:
        _print_data_problems(list(exc.problems))
        return EXIT_DATA
    except EvalError as exc:
        where = f" ({exc.span})" if exc.span is not None else ""
        print(f"error[evaluation_failed]: {exc}{where}", file=sys.stderr)
        return EXIT_DATA


def _write_output(text: str, output: str | None) -> None:
    if not output:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def cmd_run(args) -> int:
    from engine.results import result_document, to_json
    from engine.table_io import is_table_output
    plan = _plan_for(args.ruleset)
    if isinstance(plan, int):
        return plan
    if args.dask:
        try:
            from engine.distributed import run_command
        except ImportError as exc:  # the optional extra is not installed
            raise UsageError(str(exc)) from None
        return run_command(plan, args)
    if is_table_output(args.output):
        return _run_to_table(plan, args)
    evaluated = _evaluate_data(plan, args, trace=args.trace or args.format == "text")
    if isinstance(evaluated, int):
        return evaluated
    if args.format == "json":
        documents = [result_document(plan, o, a) for a, o in evaluated]
        _write_output(to_json(documents[0] if len(documents) == 1 else documents) + "\n", args.output)
        return EXIT_OK
    from engine.render import print_outcome
    console = _console()
    for applicant, outcome in evaluated:
        label = applicant.source + (f" row {applicant.row}" if applicant.row else "")
        if applicant.key:
            label += f" ({applicant.key})"
        print_outcome(console, plan, outcome, label, args.trace)
    return EXIT_OK


def _run_to_table(plan, args) -> int:
    """`run … --output FILE.parquet|.csv|.xlsx`: one row per applicant (engine/table_io.py)."""
    from rich.progress import Progress
    from engine.parallel import WorkerStopped
    from engine.table_io import OutputError, run_to_table
    if not Path(args.data).is_file():
        raise UsageError(f"no such data file: {args.data}")
    if (args.records is None) != (args.count is None):
        raise UsageError("--records and --count go together: the list input and the field that counts its rows")
    if Path(args.output).resolve() == Path(args.data).resolve():
        raise UsageError("--output would overwrite the data file")
    records = (args.records, args.count, args.by) if args.records is not None else None
    stderr = _console(stderr=True)
    interactive = stderr.is_terminal and sys.stdout.isatty()
    try:
        with Progress(console=stderr, transient=True, disable=not interactive) as progress:
            task = progress.add_task("evaluating", total=None)
            run = run_to_table(plan, args.data, args.output, strict=args.strict, records=records,
                               advance=lambda rows: progress.advance(task, rows),
                               on_total=lambda total: progress.update(task, total=total), jobs=args.jobs)
    except (OSError, OutputError) as exc:
        raise UsageError(f"cannot write {args.output}: {getattr(exc, 'strerror', None) or exc}") from None
    except WorkerStopped as exc:
        print(f"rulecheck: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    _print_data_problems(list(run.problems))
    if not run.written_file:
        if run.bad_rows:
            print(f"--strict: {len(run.bad_rows)} of {run.total} row(s) have invalid data; "
                  f"nothing was written", file=sys.stderr)
        return EXIT_DATA
    if run.bad_rows:
        shown = ", ".join(str(r) for r in run.bad_rows[:50]) + (
            f" … and {len(run.bad_rows) - 50} more" if len(run.bad_rows) > 50 else "")
        print(f"skipped {len(run.bad_rows)} of {run.total} row(s) with invalid data (rows {shown}); "
              f"wrote {run.written} to {args.output}", file=sys.stderr)
        return EXIT_DATA
    print(f"wrote {run.written} row(s) to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_explain(args) -> int:
    """The full trace of one row of the data, evaluated as `run` evaluates it."""
    from engine.results import result_document, to_json
    from engine.table_io import applicant_of, evaluate_row, find_row, trace_data
    plan = _plan_for(args.ruleset)
    if isinstance(plan, int):
        return plan
    if not Path(args.data).is_file():
        raise UsageError(f"no such data file: {args.data}")
    row, problems = find_row(plan, args.data, args.row)
    if problems:
        _print_data_problems(problems)
        return EXIT_DATA
    if row is None:
        raise UsageError(f"no row {args.row} in {args.data} (rows are numbered as in data problems: "
                         "a table's header is row 1, a JSON/YAML list counts from 1)")
    outcome = evaluate_row(plan, row, args.data, trace=True)
    if outcome is None:
        _print_data_problems(row.problems)
        return EXIT_DATA
    applicant = applicant_of(row, args.data)
    if args.format == "json":
        document = result_document(plan, outcome, applicant)
        document["trace"] = trace_data(outcome.trace)
        _write_output(to_json(document) + "\n", args.output)
        return EXIT_OK
    from engine.render import print_outcome
    label = applicant.source + (f" row {applicant.row}" if applicant.row else "")
    if applicant.key:
        label += f" ({applicant.key})"
    print_outcome(_console(), plan, outcome, label, True)
    return EXIT_OK


def cmd_report(args) -> int:
    from engine.annual_report import render_annual_report, wants_annual_report
    from engine.report import NoLayout, build_report, layout_of, render_html, render_markdown
    plan = _plan_for(args.ruleset)
    if isinstance(plan, int):
        return plan
    if wants_annual_report(plan):  # the dual-credit regulation's 附件3
        if args.format != "md":
            raise UsageError("the annual report of 附件3 is written as Markdown: use --format md")
        evaluated = _evaluate_data(plan, args, trace=False)
        if isinstance(evaluated, int):
            return evaluated
        _write_output(render_annual_report(plan, evaluated), args.output)
        return EXIT_OK
    try:
        layout_of(plan)
    except NoLayout as exc:
        raise UsageError(str(exc)) from None
    evaluated = _evaluate_data(plan, args, trace=True)
    if isinstance(evaluated, int):
        return evaluated
    reports = [build_report(plan, outcome, applicant) for applicant, outcome in evaluated]
    _write_output(render_html(reports) if args.format == "html" else render_markdown(reports), args.output)
    return EXIT_OK


def cmd_fmt(args) -> int:
    from dsl.diagnostics import ParseError
    from dsl.formatter import format_text
    from dsl.loader import display_path, read_text
    changed, failed = [], False
    for path in _rule_files(args.paths):
        text = read_text(path)
        try:
            formatted = format_text(text, display_path(path))
        except ParseError as exc:
            _print_diagnostics(exc.diagnostics, {display_path(path): text})
            failed = True
            continue
        if formatted != text:
            changed.append(path)
            if not args.check:
                temporary = path.with_name(path.name + ".rulecheck-tmp")
                temporary.write_text(formatted, encoding="utf-8")
                os.replace(temporary, path)  # atomic: the rule file is never half written
    for path in changed:
        print(("would reformat " if args.check else "reformatted ") + str(path))
    if failed:
        return EXIT_RULES
    return EXIT_FAILED if (args.check and changed) else EXIT_OK


def cmd_test(args) -> int:
    from dsl import ast
    from engine.testing import run_examples
    passed = failed = 0
    rules_failed = False
    for path in _rule_files(args.paths):
        from dsl.parser import parse
        from dsl.diagnostics import ParseError
        from dsl.loader import read_text
        try:
            root = parse(read_text(path), str(path))
        except ParseError as exc:
            _print_diagnostics(exc.diagnostics, {str(path): read_text(path)})
            rules_failed = True
            continue
        if not any(isinstance(i, ast.Example) for i in root.items):
            continue
        plan = _plan_for(str(path))
        if isinstance(plan, int):
            rules_failed = True
            continue
        for result in run_examples(plan, plan.ruleset.root, path):
            if result.passed:
                passed += 1
                print(f"PASS {result.rule_file}::{result.name}")
            else:
                failed += 1
                print(f"FAIL {result.rule_file}::{result.name} {result.label or ''}")
                for line in ((result.error,) if result.error else result.failures):
                    print(f"    {line}")
    print(f"{passed} passed, {failed} failed")
    if rules_failed:
        return EXIT_RULES
    return EXIT_FAILED if failed else EXIT_OK


def _diff_impact(args, pair):
    """The impact of one pair of rule sets on the population in `args.data`, and the
    explanation of one applicant; or an exit code after printing the data problems."""
    from engine.compiler import compile_rules
    from engine.errors import DataError
    from engine.impact import data_files, evaluate_impact, explain, load_population
    rel, _, _, old_checked, new_checked = pair
    old_plan, new_plan = compile_rules(old_checked), compile_rules(new_checked)
    files = data_files(Path(args.data))
    if not files:
        raise UsageError(f"no data files (JSON, YAML, CSV, XLSX) in {args.data}")
    try:
        pairs = load_population(files, old_plan, new_plan)
    except DataError as exc:
        _print_data_problems(list(exc.problems))
        return EXIT_DATA
    from rich.progress import Progress
    stderr = _console(stderr=True)
    with Progress(console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
        task = progress.add_task("evaluating both versions", total=len(pairs))
        impact = evaluate_impact(rel, old_plan, new_plan, pairs, lambda: progress.advance(task))
    explained = None
    if args.explain:
        applicant = impact.find(args.explain)
        if applicant is None:
            raise UsageError(f"no applicant {args.explain!r} in {args.data}: give its name or its position "
                             f"(1 to {impact.size})")
        explained = (applicant, explain(old_plan, new_plan, pairs[applicant.position - 1], applicant))
    return impact, explained


def cmd_diff(args) -> int:
    from engine.diff import RuleDiff, diff_pair, file_only_on_one_side, pair_files
    old, new = Path(args.old), Path(args.new)
    for raw, path in ((args.old, old), (args.new, new)):
        if not path.exists():
            raise UsageError(f"no such file or folder: {raw}")
    if old.is_dir() != new.is_dir():
        raise UsageError("OLD and NEW must both be rule files or both be folders")
    if args.explain and not args.data:
        raise UsageError("--explain needs --data: the applicant is one of the population")
    if args.data and not Path(args.data).exists():
        raise UsageError(f"no such data file or folder: {args.data}")
    sources, failed, pairs = {}, False, []
    for rel, old_file, new_file in pair_files(old, new):
        sides = []
        for path in (old_file, new_file):
            checked = None
            if path is not None:
                checked, diagnostics = _load_checked(path, sources)
                _print_diagnostics(diagnostics, sources)
                failed = failed or checked is None or bool(checked.errors)
            sides.append(checked)
        pairs.append((rel, old_file, new_file, *sides))
    if failed:
        return EXIT_RULES
    diff = RuleDiff(args.old, args.new, tuple(
        diff_pair(rel, a, b, old_file, new_file) if a is not None and b is not None
        else file_only_on_one_side(rel, old_file, new_file, a or b)
        for rel, old_file, new_file, a, b in pairs))
    impact = explained = None
    if args.data:
        both = [pair for pair in pairs if pair[3] is not None and pair[4] is not None]
        if len(both) != 1:
            raise UsageError(f"--data needs one pair of rule sets, but OLD and NEW pair {len(both)} rule files; "
                             "give the two rule files")
        found = _diff_impact(args, both[0])
        if isinstance(found, int):
            return found
        impact, explained = found
    _write_diff(args, diff, impact, explained)
    return EXIT_DATA if impact is not None and impact.summary()["errors"] else EXIT_OK


def _write_diff(args, diff, impact, explained) -> None:
    from engine import diff_render
    if args.format == "json":
        from engine.results import to_json
        document = diff_render.diff_document(diff, impact)
        if explained is not None:
            applicant, traces = explained
            document["explain"] = {"applicant": applicant.label, "moved": [
                {"name": name, "old_trace": old, "new_trace": new} for name, old, new in traces]}
        _write_output(to_json(document) + "\n", args.output)
        return
    if args.format == "md":
        text = diff_render.foreword(diff)
        if impact is not None:
            text += "\n" + diff_render.impact_markdown(impact)
        if explained is not None:
            text += "\n" + diff_render.explanation_markdown(*explained)
        _write_output(text, args.output)
        return
    import io
    buffer = io.StringIO() if args.output else None
    console = _console() if buffer is None else _file_console(buffer)
    diff_render.print_diff(console, diff)
    if impact is not None:
        diff_render.print_impact(console, impact)
    if explained is not None:
        diff_render.print_explanation(console, *explained)
    if buffer is not None:
        _write_output(buffer.getvalue(), args.output)


def _file_console(stream):
    from rich.console import Console
    return Console(file=stream, highlight=False, soft_wrap=False, width=160, no_color=True)


def _per_record_options(command) -> None:
    group = command.add_argument_group("one row per record (e.g. one row per vehicle, Annex 1)")
    group.add_argument("--records", metavar="LIST", help="each row of DATA (CSV or Parquet) is one record of this "
                       "list input; rows whose fields are all equal are grouped")
    group.add_argument("--count", metavar="FIELD", help="the record field that receives each group's row count")
    group.add_argument("--by", metavar="COLUMN", help="a column whose values split DATA into applicants")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rulecheck", description="Check, run, format and test rule files.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check rule files and report every problem")
    check.add_argument("paths", nargs="+")
    check.set_defaults(handler=cmd_check)
    run = sub.add_parser("run", help="evaluate applicant data against a rule set")
    run.add_argument("ruleset")
    run.add_argument("data")
    run.add_argument("--format", choices=("text", "json"), default="text")
    run.add_argument("--trace", action="store_true", help="print the full explanation trace")
    run.add_argument("-o", "--output", help="write the JSON result to this file; FILE.parquet, .csv or .xlsx: "
                     "one row of results per applicant (rows with invalid data are reported and skipped)")
    run.add_argument("--strict", action="store_true", help="with a table --output: any row with invalid data "
                     "fails the run (exit 4) and nothing is written")
    run.add_argument("--jobs", type=int, metavar="N", help="with a table --output from a Parquet or CSV table: "
                     "processes evaluating record batches at once (default: every core for more than two "
                     "batches of 65 536 rows; 1 = this process only)")
    run.add_argument("--dask", metavar="SCHEDULER", help="evaluate Parquet DATA (a file, folder, glob or URL) on a "
                     "Dask cluster: its scheduler address (tcp://host:8786), or 'local' for one on this machine; "
                     "-o names a folder that receives one Parquet file per partition (needs rulecheck[dask])")
    _per_record_options(run)
    run.set_defaults(handler=cmd_run)
    explain = sub.add_parser("explain", help="the full trace of one row of the data")
    explain.add_argument("ruleset")
    explain.add_argument("data")
    explain.add_argument("--row", type=int, required=True, metavar="N",
                         help="the row as data problems name it (a table's header is row 1)")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument("-o", "--output", help="write the JSON to this file")
    explain.set_defaults(handler=cmd_explain)
    report = sub.add_parser("report", help="write the standard's evaluation tables (Appendix C/D layout)")
    report.add_argument("ruleset")
    report.add_argument("data")
    report.add_argument("--format", choices=("md", "html"), default="md")
    report.add_argument("-o", "--output", help="write the report to this file")
    _per_record_options(report)
    report.set_defaults(handler=cmd_report)
    fmt = sub.add_parser("fmt", help="format rule files in place")
    fmt.add_argument("--check", action="store_true", help="only report files that would change")
    fmt.add_argument("paths", nargs="+")
    fmt.set_defaults(handler=cmd_fmt)
    test = sub.add_parser("test", help="run the examples written beside the rules")
    test.add_argument("paths", nargs="+")
    test.set_defaults(handler=cmd_test)
    diff = sub.add_parser("diff", help="what a new version of a rule set changes, and with --data for whom")
    diff.add_argument("old", help="the old rule file, or a folder of them")
    diff.add_argument("new", help="the new rule file, or a folder (files pair by relative path)")
    diff.add_argument("--format", choices=("text", "json", "md"), default="text",
                      help="md: the change list of a standard's foreword")
    diff.add_argument("--data", metavar="DIR|FILE", help="applicants to evaluate under both versions")
    diff.add_argument("--explain", metavar="APPLICANT", help="the traces of what moved for this applicant "
                      "(its name, or its position in the data)")
    diff.add_argument("-o", "--output", help="write the output to this file")
    diff.set_defaults(handler=cmd_diff)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"rulecheck: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in rulecheck: say so plainly, traceback only on request
        if os.environ.get("RULECHECK_DEBUG"):
            raise
        print(f"rulecheck: internal error: {exc!r}. This is a bug in rulecheck; "
              "rerun with RULECHECK_DEBUG=1 for details and report it.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
