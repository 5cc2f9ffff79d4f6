"""Declarations over columns: tables, vetoes, indicators, totals and grades.

Each function follows its namesake in engine/evaluator.py; the comments say
where the column form has to take care to decide exactly as that one does.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from dsl import ast
from engine.batch import columns as C
from engine.batch.columns import gate, Bool, ListCol, Num, TableHit, Text, flags, m_and, m_or
from engine.batch.evaluate import NotVectorised, choose_rows, compare, select, select_by_index


def _full(mask, n: int, default: bool):
    return np.array(C.as_bool_array(mask, n, default), dtype=bool)


def compute(ev, name: str, decl):
    if isinstance(decl, ast.Grade):
        return grade(ev, decl)
    if isinstance(decl, ast.Table):
        return table_hit(ev, ev.plan.tables[name])
    if isinstance(decl, ast.Indicator):
        return indicator(ev, name)
    if isinstance(decl, ast.Veto):
        return check(ev, ev.plan.vetoes[name])
    if isinstance(decl, ast.Total):
        return total(ev, decl)
    raise NotVectorised(f"`{name}` ({type(decl).__name__.lower()})")


# ---- tables ----------------------------------------------------------------------------

def _cell_test(ev, cell, value):
    """Bool column: does the column value pass this cell? None for `-`."""
    if isinstance(cell, ast.AnyCell):
        return None
    if isinstance(cell, ast.CompareCell):
        return compare(value, ev.expr(cell.value, ev.top), cell.op)
    if isinstance(cell, ast.IntervalCell):
        iv, test = cell.interval, None
        if iv.lower is not None:
            test = compare(value, ev.expr(iv.lower, ev.top), ">=" if iv.lower_closed else ">")
        if iv.upper is not None:
            upper = compare(value, ev.expr(iv.upper, ev.top), "<=" if iv.upper_closed else "<")
            test = upper if test is None else Bool(test.value & upper.value)
        return test if test is not None else Bool(True)
    return compare(value, ev.expr(cell.expr, ev.top), "=")


def table_hit(ev, table) -> TableHit:
    """The row each applicant's values choose, by the table's hit policy (Evaluation._match)."""
    n = ev.n
    values = [ev.expr(ast.Name(c, table.decl.span), ev.top) for c in table.columns]
    flagged = [flags(v) for v in values]
    known_cols = [_full(k, n, True) for k, _ in flagged]
    err = None
    for _, e in flagged:
        err = m_or(err, e)
    all_absent = np.logical_and.reduce([~k for k in known_cols]) if known_cols else np.zeros(n, dtype=bool)
    verdict_true, verdict_none = [], []
    passes = {}  # (column, cell text) → pass mask: rows of a band table repeat their cells
    for row in table.rows:
        fails = np.zeros(n, dtype=bool)
        undecided = np.zeros(n, dtype=bool)
        for i, cell in enumerate(row.row.cells[:len(table.columns)]):
            key = (i, row.cell_texts[i])
            if key not in passes:
                test = _cell_test(ev, cell, values[i])
                passes[key] = None if test is None else _full(test.value, n, False)
            if passes[key] is None:
                continue
            fails |= known_cols[i] & ~passes[key]
            undecided |= ~known_cols[i]
        verdict_true.append(~fails & ~undecided)
        verdict_none.append(~fails & undecided)
    rows = len(table.rows)
    if table.policy == "first":
        chosen = np.select([t | u for t, u in zip(verdict_true, verdict_none)], list(range(rows)), rows)
        found = chosen < rows
        decided = choose_rows(chosen, [*verdict_true, False])
        known = ~all_absent & decided
        err = m_or(err, ~all_absent & ~found)
    else:
        any_undecided = np.logical_or.reduce(verdict_none) if rows else np.zeros(n, dtype=bool)
        count = np.sum(verdict_true, axis=0) if rows else np.zeros(n, dtype=np.int64)
        known = ~all_absent & ~any_undecided
        if table.policy == "sum":
            return TableHit({name: _summed(ev, table, j, verdict_true, known, err, n)
                             for j, name in enumerate(table.outputs)})
        err = m_or(err, known & (count != 1))
        chosen = np.argmax(np.stack(verdict_true), axis=0) if rows else np.zeros(n, dtype=np.int64)
        known = known & (count == 1)
    outputs = {}
    for j, name in enumerate(table.outputs):
        cells = [ev.expr(row.row.cells[len(table.columns) + j].expr, ev.top) for row in table.rows]
        outputs[name] = select_by_index(chosen, cells, cells[-1] if cells else Num(0), known, err, n)
    return TableHit(outputs)


def _summed(ev, table, j, verdict_true, known, err, n):
    total = Num(0)
    for row, hit in zip(table.rows, verdict_true):
        cell = ev.expr(row.row.cells[len(table.columns) + j].expr, ev.top)
        part = C.choose(hit, cell, Num(0))
        total = C.add(total, Num(part.num, part.den))
        err = m_or(err, gate(hit, flags(cell)[1]))
    return Num(total.num, total.den, known, gate(known, err))


# ---- vetoes and validations --------------------------------------------------------------

def applicability(ev, conditions):
    """(applies, not_applicable, err): rows where every `applies when` holds, rows
    where one is false first (NOT_EVALUATED), and errors (Evaluation._applicable)."""
    n = ev.n
    active = np.ones(n, dtype=bool)
    stopped_false = np.zeros(n, dtype=bool)
    err = None
    for condition in conditions:
        holds = ev.expr(condition, ev.top)
        known, e = flags(holds)
        known = _full(known, n, True)
        value = _full(holds.value, n, False)
        err = m_or(err, gate(active, e))
        stopped_false |= active & known & ~value
        active &= known & value
    return active, stopped_false, err


def check(ev, compiled) -> Bool:
    """A veto or a validation: True, False, no conclusion, or not evaluated (Evaluation._check)."""
    n = ev.n
    active, not_applicable, err = applicability(ev, applies_of(ev, compiled.decl))
    going = active.copy()
    failed = np.zeros(n, dtype=bool)
    unknown = np.zeros(n, dtype=bool)
    for expr in compiled.decl.requires:
        holds = ev.expr(expr, ev.top)
        known, e = flags(holds)
        known = _full(known, n, True)
        value = _full(holds.value, n, False)
        err = m_or(err, gate(going, e))
        now_false = going & known & ~value
        failed |= now_false
        unknown |= going & ~known
        going &= ~now_false
    known = active & (failed | ~unknown)
    return Bool(~failed, known, err, not_applicable)


def applies_of(ev, decl) -> list:
    """The `applies when` conditions of a rule: its groups' first, then its own."""
    inherited = [a.cond for group in ev.symbols.groups_of[decl.name] for a in group.applies]
    return inherited + [a.cond for a in decl.applies]


# ---- indicators and totals ----------------------------------------------------------------

def excluded(ev, name: str):
    """Rows whose experts listed the indicator as not applicable (7.4.2 注2)."""
    result = np.zeros(ev.n, dtype=bool)
    for total_decl in ev.symbols.of_kind(ast.Total):
        if total_decl.excluding is None:
            continue
        listed = ev.inputs.get(total_decl.excluding.name)
        if not isinstance(listed, ListCol) or not isinstance(listed.item, Text):
            continue
        code = listed.item.code_of(name)
        if code < 0 or _length_of_item(listed.item) == 0:
            continue
        hits = np.concatenate(([0], np.cumsum(listed.item.codes == code)))
        given = _full(flags(listed)[0], ev.n, True)
        result |= given & (hits[listed.starts + listed.lengths] - hits[listed.starts] > 0)
    return result


def _length_of_item(item) -> int:
    return len(item.codes) if isinstance(item.codes, np.ndarray) else 0


def indicator(ev, name: str) -> Num:
    compiled = ev.plan.indicators[name]
    n = ev.n
    skipped = excluded(ev, name)
    active, not_applicable, err = applicability(ev, applies_of(ev, compiled.decl))
    active &= ~skipped
    score = ev.expr(compiled.decl.score, ev.top)
    if not isinstance(score, Num):
        raise NotVectorised(f"the score of `{name}` is not a number")
    known, e = flags(score)
    known = _full(known, n, True)
    err = m_or(err, gate(active, e))
    points = Num.const(compiled.points)
    for bonus in compiled.bonuses:
        when = ev.expr(bonus.decl.when, ev.top)
        factor = ev.expr(bonus.decl.factor, ev.top)
        w_known, w_err = flags(when)
        w_known = _full(w_known, n, True)
        w_value = _full(when.value, n, False)
        f_known, f_err = flags(factor)
        err = m_or(err, gate(active & known, w_err))
        err = m_or(err, gate(active & known & w_known & w_value, f_err))
        raised = C.extreme(points, C.mul(Num(score.num, score.den), Num(factor.num, factor.den)), smallest=True)
        use = known & w_known & w_value
        score = C.choose(use, raised, Num(score.num, score.den))
        known = known & w_known & (~w_value | _full(f_known, n, True))
    ne = skipped | (not_applicable & ~skipped)
    return Num(score.num, score.den, active & known, gate(active, err), ne)


def total(ev, decl: ast.Total) -> Num:
    """S = Σ Xᵢ, or normalised over the indicators evaluated (Evaluation._total)."""
    n = ev.n
    obtained, evaluated, all_points = Num(0), Num(0), Fraction(0)
    missing = np.zeros(n, dtype=bool)
    err = None
    for name, compiled in ev.plan.indicators.items():
        value = ev.named(name, ev.top)
        all_points += compiled.points
        ne = _full(value.ne, n, False)
        known = _full(value.known, n, True) & ~ne
        missing |= ~ne & ~known
        err = m_or(err, value.err)
        part = C.choose(known, Num(value.num, value.den), Num(0))
        obtained = C.add(obtained, part)
        counted = C.choose(known, Num.const(compiled.points), Num(0))
        evaluated = C.add(evaluated, counted)
    scale = decl.points if decl.points is not None else all_points
    none_evaluated = C.compare(evaluated, Num(0), "=").value
    complete = C.compare(evaluated, Num.const(all_points), "=").value
    safe = C.choose(none_evaluated, Num(1), evaluated)
    normalised = C.div(C.mul(obtained, Num.const(scale)), Num(safe.num, safe.den))
    value = C.choose(complete, obtained, Num(normalised.num, normalised.den))
    known = ~missing & ~(_full(none_evaluated, n, False) & ~_full(complete, n, False))
    return Num(value.num, value.den, known, err)


def grade(ev, decl: ast.Grade) -> Text:
    """一票否决 first, then the grade table on the total (Evaluation._grade)."""
    n = ev.n
    failed = np.zeros(n, dtype=bool)
    undecided = np.zeros(n, dtype=bool)
    err = None
    for name in ev.plan.vetoes:
        verdict = ev.named(name, ev.top)
        ne = _full(verdict.ne, n, False)
        known = _full(verdict.known, n, True) & ~ne
        failed |= known & ~_full(verdict.value, n, True)
        undecided |= ~ne & ~known
        err = m_or(err, verdict.err)
    vetoed = decl.vetoed
    if vetoed is None:
        failed[:] = False
    hit = table_hit(ev, ev.plan.tables[decl.name])
    out = hit.outputs[decl.output_columns[0]]
    label = Text.const(vetoed.label) if vetoed is not None else out
    known = failed | ~undecided
    err_table = gate(~failed & ~undecided, flags(out)[1])
    return select([failed], [label], out, known, m_or(err, err_table), n)


def validation_failures(ev):
    """(rows failing a `validate`, errors while checking)."""
    failed = np.zeros(ev.n, dtype=bool)
    err = None
    for compiled in ev.plan.validates.values():
        verdict = check(ev, compiled)
        known = _full(verdict.known, ev.n, True) & ~_full(verdict.ne, ev.n, False)
        failed |= known & ~_full(verdict.value, ev.n, True)
        err = m_or(err, verdict.err)
    return failed, err

