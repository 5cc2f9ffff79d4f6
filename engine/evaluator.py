"""Evaluation of one subject in one period, with an explanation trace.

`evaluate(plan, values, tracer)` computes every rule of the plan for one
applicant: validations of the data, vetoes, the indicators group by group (in
the order of the standard, table C.4), the totals and grades, and `result`
values. Named values are computed once, on first need, and memoised; each
becomes a trace step under the rule that first needed it.

The "one evaluation = one subject in one period" boundary is explicit: the
`Outcome` holds everything this evaluation concluded and nothing else, so a
multi-year ledger can run evaluations year after year and carry balances.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping

import attrs

from dsl import ast
from engine.compiler import CompiledCheck, CompiledTable, Plan, absent
from engine.errors import DataError, DataProblem, EvalError
from engine.numbers import describe
from engine.trace import NullTracer, StepKind, TraceNode, Tracer
from engine.values import NOT_EVALUATED, Missing, exact_values


@attrs.frozen
class Outcome:
    """What one evaluation concluded: every result by identifier, plus detail."""

    results: dict[str, object]  # identifier → value (Missing = no conclusion)
    levels: dict[str, object]  # indicator → wording of its band, where it has one
    missing_inputs: tuple[str, ...]  # required inputs absent from the data
    trace: TraceNode | None
    values: dict[str, object] = attrs.field(factory=dict, repr=False)  # every named value computed

    def affected_by(self) -> dict[str, list[str]]:
        """Each absent input → the results it left without a conclusion
        (per-record results are named by path: `models[0].model_credit`)."""
        affected: dict[str, list[str]] = {name: [] for name in self.missing_inputs}
        for result, value in self._flat_results():
            if isinstance(value, Missing):
                for name in sorted(value.inputs):
                    affected.setdefault(name, []).append(result)
        return affected

    def _flat_results(self):
        for result, value in self.results.items():
            if isinstance(value, tuple) and value and all(isinstance(v, dict) for v in value):
                for i, record in enumerate(value):
                    for field, field_value in record.items():
                        yield f"{record.get('__path__', f'{result}[{i}]')}.{field}", field_value
            else:
                yield result, value


class Evaluation:
    """The context compiled closures call back into: inputs, parameters, memo."""

    def __init__(self, plan: Plan, values: Mapping[str, object], tracer):
        self.plan = plan
        self.data = values
        self.tracer = tracer
        self.memo: dict[str, object] = {}
        self.levels: dict[str, object] = {}
        self.record_results: dict[str, object] = {}  # input list → its per-record results
        self.inputs = plan.symbols.inputs
        self.excluded = self._excluded_indicators()

    # ---- callbacks from compiled closures -----------------------------------------
    def input(self, name: str):
        value = self.memo.get(name, _UNSET)
        if value is _UNSET:
            value = self.memo[name] = self._input_value(name)
        self.tracer.read(name, value, self.plan.units.get(name))
        return value

    def is_present(self, name: str) -> bool:
        return name in self.data

    def param(self, name: str):
        value = self.plan.params[name]
        self.tracer.read(name, value, self.plan.units.get(name))
        return value

    def param_field(self, name: str, field: str):
        value = self.plan.params[name][field]
        self.tracer.read(f"{name}.{field}", value)
        return value

    def derived(self, record: dict, field: str):
        """A value of a derive block for one record: computed once, traced under
        the step that first needed it, as `models[3].model_credit`."""
        path = f"{record['__path__']}.{field}"
        value = self.memo.get(path, _UNSET)
        if value is _UNSET:
            self.memo[path] = _IN_PROGRESS
            value = self.memo[path] = self._derive(record, field, path)
        elif value is _IN_PROGRESS:
            raise EvalError(f"`{path}` depends on itself")
        self.tracer.read(path, value)
        return value

    def _derive(self, record: dict, field: str, path: str):
        block = self.plan.derives[record["__list__"]]
        env = {block.decl.var: record}
        if block.where is not None:
            holds = block.where(self, env)
            if absent(holds) or not holds:
                return absent(holds) or Missing(reasons=(
                    f"`{field}` is derived only where {block.where_text}",))
        let = next(let for let in block.decl.lets if let.name == field)
        with self.tracer.node(StepKind.VALUE, path, let.label, let.clause, let.span) as node:
            node.detail = block.formulas[field]
            node.value = block.lets[field](self, env)
            return node.value

    def value(self, name: str):
        value = self.memo.get(name, _UNSET)
        if value is _UNSET:
            self.memo[name] = _IN_PROGRESS
            value = self.memo[name] = self._compute(name)
        elif value is _IN_PROGRESS:
            raise EvalError(f"`{name}` depends on itself")
        self.tracer.read(name, value, self.plan.units.get(name))
        return value

    # ---- inputs ---------------------------------------------------------------------
    def _input_value(self, name: str):
        decl = self.inputs[name]
        if name in self.data:
            return _with_defaults(self.data[name], decl.type, name, name)
        if decl.default is not None:
            return _literal(decl.default)
        return Missing(frozenset({name}))

    def _records_of(self, block) -> tuple:
        """Per-record results of a derive block: the key field and each `result` let."""
        records = self.input(block.decl.name)
        if absent(records):
            return absent(records)
        exported = [let.name for let in block.decl.lets if let.exported]
        rows = []
        for record in records:
            if block.where is not None and self._record_excluded(block, record):
                continue
            key = record.get(block.decl.key) if block.decl.key else None
            with self.tracer.node(StepKind.RECORD, record["__path__"], None if key is None else describe(key),
                                  block.decl.clause, block.decl.span) as node:
                row = {"__path__": record["__path__"]} | ({block.decl.key: key} if block.decl.key else {})
                row.update({name: self.derived(record, name) for name in exported})
                node.value = {k: v for k, v in row.items() if k not in (block.decl.key, "__path__")}
            rows.append(row)
        return tuple(rows)

    def _record_excluded(self, block, record) -> bool:
        holds = block.where(self, {block.decl.var: record})
        return holds is False

    def _excluded_indicators(self) -> frozenset[str]:
        names = set()
        for total in self.plan.symbols.of_kind(ast.Total):
            excluding = total.excluding
            if excluding is not None:
                listed = self._input_value(excluding.name)
                if isinstance(listed, tuple):
                    names.update(listed)
        return frozenset(names)

    # ---- named values -----------------------------------------------------------------
    def _compute(self, name: str):
        decl = self.plan.decl(name)
        if isinstance(decl, ast.Let):
            with self.tracer.node(StepKind.VALUE, name, decl.label, decl.clause, decl.span) as node:
                node.unit = self.plan.units.get(name)
                node.detail = self.plan.formulas[name]
                node.value = self.plan.lets[name](self, {})
                return node.value
        if isinstance(decl, (ast.Table, ast.Grade)) and not isinstance(decl, ast.Grade):
            return self._table(self.plan.tables[name])
        if isinstance(decl, ast.Indicator):
            return self._indicator(name)
        if isinstance(decl, ast.Veto):
            return self._check(self.plan.vetoes[name], StepKind.VETO)
        if isinstance(decl, ast.Total):
            return self._total(decl)
        if isinstance(decl, ast.Grade):
            return self._grade(decl)
        raise EvalError(f"`{name}` ({type(decl).__name__.lower()}) has no value")

    def _applicable(self, conditions) -> object:
        """True, False (with a NOT_EVALUATED leaf) or Missing, over `applies when` chains."""
        for condition in conditions:
            holds = condition.fn(self, {})
            if absent(holds):
                return absent(holds)
            if not holds:
                self.tracer.leaf(StepKind.NOT_EVALUATED, condition.owner, None, condition.clause, False,
                                 f"applies when {condition.text}")
                return False
        return True

    def _check(self, check: CompiledCheck, kind: StepKind):
        decl = check.decl
        with self.tracer.node(kind, decl.name, decl.label, decl.clause, decl.span) as node:
            applicable = self._applicable(check.applies)
            if applicable is not True:
                node.value = NOT_EVALUATED if applicable is False else applicable
                return node.value
            outcomes = []
            for condition in check.requires:
                holds = condition.fn(self, {})
                outcomes.append(holds)
                if holds is False:
                    node.detail = f"not satisfied: {condition.text}"
                    break
            else:
                node.detail = " and ".join(c.text for c in check.requires)
            node.value = False if False in outcomes else (absent(*outcomes) or True)
            return node.value

    def _table(self, table: CompiledTable):
        decl = table.decl
        with self.tracer.node(StepKind.TABLE, decl.name, decl.label, decl.clause, decl.span) as node:
            node.value = self._match(table)
            return node.value

    def _match(self, table: CompiledTable):
        """Apply the hit policy; record each row tested and why it failed."""
        column_values = [fn(self, {}) for fn in table.column_fns]
        if column_values and all(absent(v) for v in column_values):
            return absent(*column_values)  # no row can be chosen; the reads say why
        matched, undecided = [], []
        for row in table.rows:
            verdict, failed = _row_verdict(row, column_values)
            if self.tracer.enabled:
                self._trace_row(table, row, verdict, failed, column_values)
            if verdict is True:
                matched.append(row)
                if table.policy == "first":
                    break
            elif verdict is None:
                undecided.append(row)
                if table.policy == "first":
                    break
        if undecided:
            return absent(*column_values) or Missing(reasons=("a table row could not be decided",))
        if table.policy == "sum":
            return {name: sum((row.outputs[i](self, {}) for row in matched), Fraction(0))
                    for i, name in enumerate(table.outputs)} | {"__rows__": tuple(r.number for r in matched)}
        if len(matched) != 1:
            shown = ", ".join(f"{c} = {_plain(v)}" for c, v in zip(table.columns, column_values))
            problem = "no row" if not matched else f"rows {', '.join(str(r.number) for r in matched)}"
            raise EvalError(f"{problem} of table `{table.decl.name}` ({table.decl.label or ''}) "
                            f"matches {shown}", table.decl.span)
        row = matched[0]
        return {name: fn(self, {}) for name, fn in zip(table.outputs, row.outputs)} | {"__rows__": (row.number,)}

    def _trace_row(self, table, row, verdict, failed, column_values):
        kind = {True: StepKind.ROW_MATCHED, False: StepKind.ROW_REJECTED, None: StepKind.ROW_UNDECIDED}[verdict]
        tested = [i for i, test in enumerate(row.tests) if test is not None]
        shown = [failed] if verdict is False else tested
        detail = " and ".join(_condition_text(table.columns[i], row.cell_texts[i]) for i in shown) or "any"
        with self.tracer.node(kind, f"row {row.number}", None, None, row.row.span) as node:
            for i in shown:
                self.tracer.read(table.columns[i], column_values[i], self.plan.units.get(table.columns[i]))
            node.value = verdict
            node.detail = detail

    def _indicator(self, name: str):
        compiled = self.plan.indicators[name]
        decl = compiled.decl
        with self.tracer.node(StepKind.INDICATOR, name, decl.label, decl.clause, decl.span) as node:
            if name in self.excluded:
                self.tracer.leaf(StepKind.NOT_EVALUATED, name, None, None, False,
                                 "judged not applicable by the experts")
                node.value = NOT_EVALUATED
                return node.value
            applicable = self._applicable(compiled.applies)
            if applicable is not True:
                node.value = NOT_EVALUATED if applicable is False else applicable
                return node.value
            node.detail = self.plan.formulas[name]
            score = compiled.score(self, {})
            if compiled.level is not None:
                self.levels[name] = compiled.level(self, {})
            for bonus in compiled.bonuses:
                if absent(score):
                    break
                score = self._bonus(bonus, score, compiled.points)
            node.value = score
            return score

    def _bonus(self, bonus, score, points):
        decl = bonus.decl
        with self.tracer.node(StepKind.BONUS, decl.name, decl.label, decl.clause, decl.span) as node:
            applies = bonus.when(self, {})
            if absent(applies) or not applies:
                node.value = absent(applies) or score
                node.detail = "does not apply" if applies is False else "cannot be decided"
                return node.value
            factor = bonus.factor(self, {})
            raised = score * factor
            node.value = min(points, raised)
            node.detail = f"{_plain(score)} × {_plain(factor)} = {_plain(raised)}, capped at {_plain(points)}"
            return node.value

    def _total(self, decl: ast.Total):
        with self.tracer.node(StepKind.TOTAL, decl.name, decl.label, decl.clause, decl.span) as node:
            obtained, evaluated_points, all_points, missing = Fraction(0), Fraction(0), Fraction(0), []
            for name, compiled in self.plan.indicators.items():
                value = self.value(name)
                all_points += compiled.points
                if value is NOT_EVALUATED:
                    continue
                if isinstance(value, Missing):
                    missing.append(value)
                    continue
                obtained += value
                evaluated_points += compiled.points
            if missing:
                node.value = absent(*missing)
                return node.value
            scale = decl.points if decl.points is not None else all_points
            if evaluated_points == all_points:
                node.value = obtained
                node.detail = f"S = Σ Xᵢ = {_plain(obtained)}"
                return obtained
            if evaluated_points == 0:
                node.value = Missing(reasons=("no indicator was evaluated",))
                return node.value
            node.value = obtained / evaluated_points * scale
            clause = decl.excluding.clause if decl.excluding is not None else decl.clause
            self.tracer.leaf(StepKind.NORMALISED, decl.name, "折算", clause, node.value,
                             f"S = {_plain(obtained)} / {_plain(evaluated_points)} × {_plain(scale)} "
                             f"= {_plain(node.value)} (only the indicators evaluated count)")
            node.detail = f"Σ Xᵢ = {_plain(obtained)} of {_plain(evaluated_points)} points evaluated"
            return node.value

    def _grade(self, decl: ast.Grade):
        with self.tracer.node(StepKind.GRADE, decl.name, decl.label, decl.clause, decl.span) as node:
            verdicts = {name: self.value(name) for name in self.plan.vetoes}
            failed = [name for name, v in verdicts.items() if v is False]
            vetoed = decl.vetoed
            if failed and vetoed is not None:
                node.detail = f"compliance failed: {', '.join(failed)} (一票否决)"
                node.value = vetoed.label
                return node.value
            undecided = absent(*(v for v in verdicts.values() if v is not NOT_EVALUATED))
            if undecided:
                node.value = undecided
                return node.value
            outcome = self._match(self.plan.tables[decl.name])
            node.value = absent(outcome) or outcome[decl.output_columns[0]]
            return node.value

    # ---- the whole evaluation -----------------------------------------------------
    def run(self, source: str = "<data>") -> None:
        problems = []
        for name, check in self.plan.validates.items():
            if self._check(check, StepKind.VALIDATE) is False:
                decl = check.decl
                problems.append(DataProblem(source, name, f"{decl.label or name} (§ {decl.clause})"
                                            if decl.clause else (decl.label or name), code="failed_validation"))
        if problems:
            raise DataError(problems)
        for name in self.plan.vetoes:
            self.value(name)
        for rule_file in self.plan.ruleset.files:
            self._walk(rule_file.items)
        for name, decl in self.plan.symbols.decls.items():
            if isinstance(decl, (ast.Total, ast.Grade)) or (isinstance(decl, ast.Let) and decl.exported):
                self.value(name)
        for name, block in self.plan.derives.items():
            if any(let.exported for let in block.decl.lets):
                self.record_results[name] = self._records_of(block)

    def _walk(self, items) -> None:
        """Indicators in the order of the standard, under their groups."""
        for item in items:
            if isinstance(item, ast.Indicator):
                self.value(item.name)
            elif isinstance(item, ast.Group):
                with self.tracer.node(StepKind.GROUP, item.name, item.label, item.clause, item.span) as node:
                    self._walk(item.items)
                    node.value = self._subtotal(item)

    def _subtotal(self, group: ast.Group):
        values = [self.memo.get(d.name) for d in ast.declarations(group.items) if isinstance(d, ast.Indicator)]
        scored = [v for v in values if v is not NOT_EVALUATED]
        if not scored:
            return NOT_EVALUATED
        return absent(*scored) or sum(scored, Fraction(0))


_UNSET, _IN_PROGRESS = object(), object()


def _condition_text(column: str, cell_text: str) -> str:
    """`rd_ratio ≥ 4%`, `level = better`: a cell read with its column."""
    if cell_text[:1] in "≥≤<>=!≠":
        return f"{column} {cell_text}"
    if cell_text[:1] in "[(":
        return f"{column} in {cell_text}"
    return f"{column} = {cell_text}"


def _row_verdict(row, column_values):
    """(True | False | None, index of the first failing cell)."""
    undecided = False
    for i, test in enumerate(row.tests):
        if test is None:
            continue
        value = column_values[i]
        if absent(value):
            undecided = True
            continue
        if not test(value):
            return False, i
    return (None if undecided else True), None


def _plain(value) -> str:
    return describe(value)


def _literal(expr):
    if isinstance(expr, ast.EmptyList):
        return ()
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary):
        return -_literal(expr.operand)
    if isinstance(expr, (ast.String, ast.Bool)):
        return expr.value
    if isinstance(expr, ast.Name):
        return expr.id
    raise EvalError(f"unsupported default {expr!r}")


def _with_defaults(value, type_, path: str, list_name: str | None = None):
    """Records get their path (for `missing` reports), the input list they belong
    to (for derived values) and their fields' defaults."""
    if isinstance(type_, ast.ListType) and isinstance(value, tuple):
        return tuple(_with_defaults(v, type_.element, f"{path}[{i}]", list_name) for i, v in enumerate(value))
    if isinstance(type_, ast.RecordType) and isinstance(value, dict):
        record = {"__path__": path}
        if list_name is not None and path.startswith(f"{list_name}[") and path.count("[") == 1:
            record["__list__"] = list_name
        for field in type_.fields:
            if field.name in value:
                record[field.name] = _with_defaults(value[field.name], field.type, f"{path}.{field.name}")
            elif field.default is not None:
                record[field.name] = _literal(field.default)
        return record
    return value


def evaluate(plan: Plan, values: Mapping[str, object], trace: bool = True, source: str = "<data>") -> Outcome:
    """Evaluate one applicant; raise DataError for invalid data, EvalError when
    the rules cannot conclude on it (e.g. a value falls between all rows of a table)."""
    tracer = Tracer() if trace else NullTracer()
    values = {name: exact_values(value) for name, value in values.items()}
    evaluation = Evaluation(plan, values, tracer)
    evaluation.run(source)
    results = {}
    for name, decl in plan.symbols.decls.items():
        if isinstance(decl, (ast.Veto, ast.Indicator, ast.Total, ast.Grade)) or (
                isinstance(decl, ast.Let) and decl.exported):
            results[name] = evaluation.memo[name]
    results.update(evaluation.record_results)
    missing = tuple(name for name, decl in plan.symbols.inputs.items()
                    if name not in values and not decl.optional and decl.default is None)
    return Outcome(results, evaluation.levels, missing, tracer.result(), dict(evaluation.memo))
