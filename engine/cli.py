"""The `rulecheck` command.

    rulecheck check PATH…                 check rule files (folders: every *.rules inside)
    rulecheck run RULESET DATA [--format text|json] [--trace] [-o FILE]
                  [--records LIST --count FIELD [--by COLUMN]]   one row per record
    rulecheck report RULESET DATA [--format md|html] [-o FILE]   the standard's evaluation tables
    rulecheck fmt [--check] PATH…         format rule files in place
    rulecheck test PATH…                  run the examples written beside the rules

Exit codes: 0 ok; 1 tests failed, or `fmt --check` found files to reformat;
2 usage error (bad arguments, a path that does not exist); 3 rule-file errors
(syntax or check); 4 data errors (invalid data, or the rules cannot conclude on
it); 5 an internal error in rulecheck (a bug: please report it).

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
    plan = _plan_for(args.ruleset)
    if isinstance(plan, int):
        return plan
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


def cmd_report(args) -> int:
    from engine.report import NoLayout, build_report, layout_of, render_html, render_markdown
    plan = _plan_for(args.ruleset)
    if isinstance(plan, int):
        return plan
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
    run.add_argument("-o", "--output", help="write the JSON result to this file")
    _per_record_options(run)
    run.set_defaults(handler=cmd_run)
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
