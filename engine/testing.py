"""`rulecheck test`: run the example applicants written beside the rules.

An `example` names a data file (relative to its rule file) and expectations
`expect NAME = VALUE`. NAME is any named value of the rule set (a result, a
derived value, or `table.column`); VALUE is compared exactly: `93.15` means
the Fraction 9315/100, `null` means no conclusion, `not_evaluated` means the
rule does not apply. A failing example reports every expectation it missed.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from dsl import ast
from engine.data import load_applicants
from engine.errors import DataError, EvalError
from engine.evaluator import evaluate
from engine.numbers import describe
from engine.values import NOT_EVALUATED, Missing


@attrs.frozen
class ExampleResult:
    rule_file: str
    name: str
    label: str | None
    failures: tuple[str, ...]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


def _expected(expr):
    if isinstance(expr, ast.Null):
        return Missing()
    if isinstance(expr, ast.NotEvaluatedLiteral):
        return NOT_EVALUATED
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-":
        return -_expected(expr.operand)
    if isinstance(expr, (ast.String, ast.Bool)):
        return expr.value
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.EmptyList):
        return ()
    raise ValueError(f"unsupported expectation {expr!r}")


def _actual(outcome, target):
    if isinstance(target, ast.Name):
        if target.id in outcome.results:
            return outcome.results[target.id]
        if target.id in outcome.values:
            return outcome.values[target.id]
        return Missing(reasons=(f"`{target.id}` was not computed",))
    if isinstance(target, ast.Field):
        base = _actual(outcome, target.obj)
        if isinstance(base, dict):
            return base.get(target.name, Missing(reasons=(f"no column `{target.name}`",)))
        if isinstance(target.obj, ast.Name) and target.name == "level":
            return outcome.levels.get(target.obj.id, Missing(reasons=("no level",)))
        return base
    if isinstance(target, ast.Index):
        base = _actual(outcome, target.obj)
        index = int(target.key.value)
        if isinstance(base, tuple):
            return base[index] if index < len(base) else Missing(reasons=(f"there are only {len(base)} entries",))
        return base
    raise ValueError(f"unsupported target {target!r}")


def _same(actual, expected) -> bool:
    if isinstance(expected, Missing):
        return isinstance(actual, Missing)
    if isinstance(actual, Missing):
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    return actual == expected


def _target_text(target) -> str:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Field):
        return f"{_target_text(target.obj)}.{target.name}"
    return f"{_target_text(target.obj)}[{target.key.text}]"


def run_examples(plan, rule_file: ast.RuleFile, file_path: Path) -> list[ExampleResult]:
    """Evaluate each example of `rule_file` against `plan` and compare."""
    results = []
    inputs = plan.symbols.inputs
    indicator_names = [d.name for d in plan.symbols.indicators]
    for example in (i for i in rule_file.items if isinstance(i, ast.Example)):
        if example.data is None:
            results.append(ExampleResult(rule_file.path, example.name, example.label, (), "no `data` file"))
            continue
        data_path = file_path.parent / example.data
        try:
            applicants = load_applicants(data_path, inputs, indicator_names)
            if len(applicants) != 1:
                raise DataError([])
            outcome = evaluate(plan, applicants[0].values, trace=False, source=str(data_path))
        except DataError as exc:
            problems = "; ".join(str(p) for p in exc.problems) or "the data file must hold exactly one applicant"
            results.append(ExampleResult(rule_file.path, example.name, example.label, (), problems))
            continue
        except EvalError as exc:
            results.append(ExampleResult(rule_file.path, example.name, example.label, (), str(exc)))
            continue
        failures = []
        for expectation in example.expectations:
            expected, actual = _expected(expectation.value), _actual(outcome, expectation.target)
            if not _same(actual, expected):
                failures.append(f"{_target_text(expectation.target)}: expected {describe(expected)}, "
                                f"got {describe(actual)} (line {expectation.span.start.line})")
        results.append(ExampleResult(rule_file.path, example.name, example.label, tuple(failures)))
    return results
