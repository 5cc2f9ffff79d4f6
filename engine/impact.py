"""Who changes grade: a population evaluated under two versions of a rule set.

`rulecheck diff OLD NEW --data DIR|FILE` answers the question a revision is
judged by: for these applicants, what does the new text change? Every
applicant is evaluated under both plans, independently (two plain
`evaluate` calls, so the numbers are exactly those `rulecheck run` gives on
each side), and `Impact` keeps per applicant the old and new total and grade,
the indicators that moved and every numeric `result` that changed. Over the
population it keeps the grade transition matrix (old grade × new grade; every
applicant falls in exactly one cell, "no conclusion" and evaluation errors
included, so the cells add up to the population), the largest movers, and for
rule sets that credit rather than grade (the dual-credit regulation's
`nev_credit`, `cafc_credit`) the totals of each numeric result over the
population, the "market totals".

The data is read once per side, against that side's inputs: an input the
other version added or removed is accepted in the file and ignored where it is
unknown, and an input whose type changed is validated against each version's
own declaration. Rendering is in engine/diff_render.py.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Callable

import attrs

from dsl import ast
from engine.data_formats import FORMATS
from engine.values import NOT_EVALUATED, Missing, is_number

NO_CONCLUSION = "无法给出结论"
NOT_EVALUATED_TEXT = "不参评"
ERROR = "评价出错"
LARGEST_MOVERS = 10


@attrs.frozen
class SideResult:
    """One applicant under one version: the values compared, or the error that stopped it."""

    total: object = None  # Fraction | Missing | None (no total declared)
    grade: object = None  # str | Missing | None (no grade declared)
    values: dict = attrs.field(factory=dict)  # indicator or result name → value
    error: str | None = None

    @property
    def grade_shown(self) -> str:
        return grade_text(self)


@attrs.frozen
class Moved:
    """An indicator or a numeric result whose value differs between the versions."""

    name: str
    label: str | None
    old: object
    new: object

    @property
    def delta(self) -> Fraction | None:
        return self.new - self.old if is_number(self.old) and is_number(self.new) else None


@attrs.frozen
class ApplicantImpact:
    position: int  # 1-based, in the order of the data
    source: str
    row: int | None
    key: str | None
    old: SideResult
    new: SideResult
    moved: tuple[Moved, ...]  # indicators
    results: tuple[Moved, ...]  # numeric results that changed

    @property
    def label(self) -> str:
        if self.key:
            return self.key
        return self.source + (f" row {self.row}" if self.row else "")

    @property
    def delta(self) -> Fraction | None:
        return self.new.total - self.old.total if is_number(self.old.total) and is_number(self.new.total) else None


@attrs.frozen
class MarketTotal:
    """A numeric result summed over the applicants each version concludes on."""

    name: str
    label: str | None
    old: Fraction
    new: Fraction
    old_concluded: int
    new_concluded: int

    @property
    def delta(self) -> Fraction:
        return self.new - self.old


@attrs.frozen
class Impact:
    rule_file: str
    total: str | None  # the total's identifier, when the rule set has one
    grade: str | None
    grades: tuple[str, ...]  # matrix order, lowest first; then no conclusion and errors
    applicants: tuple[ApplicantImpact, ...]
    result_names: tuple[tuple[str, str | None], ...]  # (name, label) of the numeric results
    units: dict[str, str] = attrs.field(factory=dict)  # display units of the values compared

    @property
    def size(self) -> int:
        return len(self.applicants)

    def matrix(self) -> dict[tuple[str, str], int]:
        """(old grade, new grade) → how many applicants; cells add up to the population
        (empty for a rule set without a grade)."""
        if self.grade is None:
            return {}
        cells = {(a, b): 0 for a in self.grades for b in self.grades}
        for applicant in self.applicants:
            cell = (grade_text(applicant.old), grade_text(applicant.new))
            cells[cell] = cells.get(cell, 0) + 1
        return cells

    def summary(self) -> dict[str, int]:
        counts = {"population": self.size, "grade_up": 0, "grade_down": 0, "grade_same": 0, "grade_undetermined": 0,
                  "total_up": 0, "total_down": 0, "total_same": 0, "total_undetermined": 0, "indicators_moved": 0,
                  "errors": 0}
        rank = {g: i for i, g in enumerate(self.grades)}
        for applicant in self.applicants:
            old, new = grade_text(applicant.old), grade_text(applicant.new)
            if applicant.old.error or applicant.new.error:
                counts["errors"] += 1
            if self.grade is not None:
                if NO_CONCLUSION in (old, new) or ERROR in (old, new):
                    counts["grade_undetermined" if old != new else "grade_same"] += 1
                else:
                    counts["grade_same" if old == new else "grade_up" if rank[new] > rank[old] else "grade_down"] += 1
            if self.total is not None:
                delta = applicant.delta
                counts["total_undetermined" if delta is None else "total_up" if delta > 0
                       else "total_down" if delta < 0 else "total_same"] += 1
            counts["indicators_moved"] += bool(applicant.moved)
        return counts

    def largest_movers(self, count: int = LARGEST_MOVERS) -> list[ApplicantImpact]:
        """The applicants whose total moved most, either way (ties in data order)."""
        moving = [a for a in self.applicants if a.delta]
        return sorted(moving, key=lambda a: -abs(a.delta))[:count]

    def market_totals(self) -> list[MarketTotal]:
        totals = []
        for name, label in self.result_names:
            olds = [a.old.values.get(name) for a in self.applicants]
            news = [a.new.values.get(name) for a in self.applicants]
            totals.append(MarketTotal(name, label, sum((v for v in olds if is_number(v)), Fraction(0)),
                                      sum((v for v in news if is_number(v)), Fraction(0)),
                                      sum(1 for v in olds if is_number(v)), sum(1 for v in news if is_number(v))))
        return totals

    def find(self, wanted: str) -> ApplicantImpact | None:
        """An applicant by its key (`name`, `名称` …), its label, or its 1-based position."""
        for applicant in self.applicants:
            if wanted in (applicant.key, applicant.label):
                return applicant
        if wanted.isdigit() and 1 <= int(wanted) <= self.size:
            return self.applicants[int(wanted) - 1]
        return None


def grade_text(side: SideResult) -> str:
    if side.error:
        return ERROR
    if isinstance(side.grade, Missing):
        return NO_CONCLUSION
    if side.grade is NOT_EVALUATED:
        return NOT_EVALUATED_TEXT
    return str(side.grade) if side.grade is not None else ""


# ---- reading the population ----------------------------------------------------------

def data_files(path: Path) -> list[Path]:
    """A data file, or every data file (JSON, YAML, CSV, XLSX, Parquet) in a folder and below it."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
    return [path]


def load_population(files, old_plan, new_plan) -> list[tuple[object, object]]:
    """(applicant as read for the old version, for the new version), in data order;
    raise DataError with every problem of every file on either side."""
    from engine.data import load_applicants
    from engine.errors import DataError
    sides, problems = [], []
    indicators = list(dict.fromkeys(d.name for plan in (old_plan, new_plan) for d in plan.symbols.indicators))
    for plan, other in ((old_plan, new_plan), (new_plan, old_plan)):
        own = plan.symbols.inputs
        inputs = {**{k: v for k, v in other.symbols.inputs.items() if k not in own}, **own}
        applicants = []
        for path in files:
            try:
                applicants.extend(load_applicants(path, inputs, indicators))
            except DataError as exc:
                problems.extend(p for p in exc.problems if str(p) not in {str(q) for q in problems})
        sides.append([attrs.evolve(a, values={k: v for k, v in a.values.items() if k in own}) for a in applicants])
    if problems:
        raise DataError(problems)
    return list(zip(*sides))


# ---- evaluating ------------------------------------------------------------------------

def numeric_results(plan) -> list[tuple[str, str | None]]:
    """The rule set's top-level `result`s (per-record results are not summed)."""
    return [(d.name, d.label) for d in plan.symbols.of_kind(ast.Let) if d.exported]


def _first_name(plan, kind) -> str | None:
    found = plan.symbols.of_kind(kind)
    return found[0].name if found else None


def evaluate_side(plan, applicant, trace: bool = False):
    """(SideResult, Outcome or None): one applicant under one version."""
    from engine.errors import DataError, EvalError
    from engine.evaluator import evaluate
    try:
        outcome = evaluate(plan, applicant.values, trace=trace, source=applicant.source)
    except DataError as exc:
        return SideResult(error="; ".join(str(p) for p in exc.problems)), None
    except EvalError as exc:
        return SideResult(error=str(exc)), None
    total, grade = _first_name(plan, ast.Total), _first_name(plan, ast.Grade)
    values = {d.name: outcome.results[d.name] for d in plan.symbols.indicators}
    values.update({name: outcome.results[name] for name, _ in numeric_results(plan)})
    return SideResult(outcome.results.get(total) if total else None, outcome.results.get(grade) if grade else None,
                      values), outcome


def _same(a, b) -> bool:
    return a is b or a == b


@attrs.frozen
class _Names:
    """What is compared, from both versions: indicators, numeric results, their labels."""

    indicators: tuple[str, ...]
    results: tuple[str, ...]
    labels: dict[str, str | None]

    @classmethod
    def of(cls, old_plan, new_plan) -> _Names:
        plans = (new_plan, old_plan)
        labels = {d.name: d.label for plan in reversed(plans) for d in plan.symbols.decls.values()
                  if isinstance(d, (ast.Indicator, ast.Let))}
        return cls(tuple(dict.fromkeys(d.name for plan in plans for d in plan.symbols.indicators)),
                   tuple(dict.fromkeys(n for plan in plans for n, _ in numeric_results(plan))), labels)


def compare_applicant(position: int, pair, old_plan, new_plan, names: _Names | None = None) -> ApplicantImpact:
    """One applicant evaluated under both versions, and what moved."""
    names = names or _Names.of(old_plan, new_plan)
    old_applicant, new_applicant = pair
    old, _ = evaluate_side(old_plan, old_applicant)
    new, _ = evaluate_side(new_plan, new_applicant)
    moved, results = [], []
    if not (old.error or new.error):
        for name in names.indicators:
            a, b = old.values.get(name, NOT_EVALUATED), new.values.get(name, NOT_EVALUATED)
            if not _same(a, b):
                moved.append(Moved(name, names.labels.get(name), a, b))
        for name in names.results:
            a, b = old.values.get(name), new.values.get(name)
            if (is_number(a) or is_number(b)) and not _same(a, b):
                results.append(Moved(name, names.labels.get(name), a, b))
    return ApplicantImpact(position, new_applicant.source, new_applicant.row, new_applicant.key, old, new,
                           tuple(moved), tuple(results))


def evaluate_impact(rule_file: str, old_plan, new_plan, pairs,
                    progress: Callable[[], None] | None = None) -> Impact:
    """Evaluate every applicant under both versions; `progress` is called after each."""
    names = _Names.of(old_plan, new_plan)
    applicants = []
    for position, pair in enumerate(pairs, start=1):
        applicants.append(compare_applicant(position, pair, old_plan, new_plan, names))
        if progress is not None:
            progress()
    total = _first_name(new_plan, ast.Total) or _first_name(old_plan, ast.Total)
    grade = _first_name(new_plan, ast.Grade) or _first_name(old_plan, ast.Grade)
    numeric = tuple((n, names.labels.get(n)) for n in names.results
                    if any(is_number(a.old.values.get(n)) or is_number(a.new.values.get(n)) for a in applicants))
    grades = _grade_order(old_plan, new_plan, applicants) if grade else ()
    units = {**old_plan.units, **new_plan.units}
    return Impact(rule_file, total, grade, grades, tuple(applicants), numeric, units)


def _grade_order(old_plan, new_plan, applicants) -> tuple[str, ...]:
    """The grades lowest first: the veto grade, then the grade table's rows by their
    lowest total (as written when that cannot be read), then any other grade seen,
    then no conclusion and errors."""
    order = []
    for plan in (old_plan, new_plan):
        grades = plan.symbols.of_kind(ast.Grade)
        if not grades:
            continue
        decl = grades[0]
        if decl.vetoed is not None:
            order.append(decl.vetoed.label)
        rows = [(i, _row_floor(row), _row_label(row, decl)) for i, row in enumerate(decl.rows)]
        if all(floor is not None for _, floor, _ in rows):
            rows.sort(key=lambda r: (r[1], r[0]))
        order.extend(label for _, _, label in rows if label is not None)
    seen = [grade_text(side) for a in applicants for side in (a.old, a.new)]
    order.extend(g for g in seen if g not in (NO_CONCLUSION, ERROR))
    return tuple(dict.fromkeys(order + [NO_CONCLUSION, ERROR]))


def _row_label(row: ast.Row, decl) -> str | None:
    index = len(decl.condition_columns)
    cell = row.cells[index] if index < len(row.cells) else None
    if isinstance(cell, ast.ExprCell) and isinstance(cell.expr, ast.String):
        return cell.expr.value
    return None


def _row_floor(row: ast.Row) -> Fraction | None:
    """The lowest total a grade row admits, from its first cell (−∞ for `< 60`)."""
    from engine.diff_text import constant
    cell = row.cells[0] if row.cells else None
    low = Fraction(-10 ** 12)
    if isinstance(cell, ast.CompareCell):
        return low if cell.op in ("<", "<=") else constant(cell.value)
    if isinstance(cell, ast.IntervalCell):
        return low if cell.interval.lower is None else constant(cell.interval.lower)
    if isinstance(cell, ast.ExprCell):
        return constant(cell.expr)
    return low if isinstance(cell, ast.AnyCell) else None


# ---- explaining one applicant ------------------------------------------------------------

def explain(old_plan, new_plan, pair, applicant: ApplicantImpact) -> list[tuple[str, str, str]]:
    """(name, old trace, new trace) of every indicator and result that moved for this
    applicant: the two explanations side by side show which row or value made the difference."""
    from engine.render import trace_text
    _, old_outcome = evaluate_side(old_plan, pair[0], trace=True)
    _, new_outcome = evaluate_side(new_plan, pair[1], trace=True)
    shown = []
    for moved in applicant.moved + applicant.results:
        texts = []
        for outcome in (old_outcome, new_outcome):
            node = outcome.trace.find(moved.name) if outcome is not None and outcome.trace else None
            texts.append(trace_text(node) if node is not None else "(not in this version)")
        shown.append((moved.name, *texts))
    return shown
