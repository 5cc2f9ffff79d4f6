"""Constants and interval arithmetic over expressions: what values can a number take?

Two analyses the checker's proofs rest on:

`constant(expr)` folds an expression made of literals, parameters and enum
names to its exact value (`fractions.Fraction` for numbers, `EnumName` for an
enum value). Table cells must be constant, so coverage can evaluate them.

`Bounds.of(expr)` over-approximates the numbers an expression can produce by
a closed interval (bounds may be infinite). Inputs give their declared `range`
(a `count` is ≥ 0), parameters their value, indicators [0, points]; operators
combine intervals the textbook way. The result is sound, never tight: `x - x`
gives [-w, w], not 0. `None` means "no value at all" (`undetermined(...)`).

Plain interval arithmetic loses the link between a table's outputs and its
conditions: in 表11 `honors_provincial - honors_base.provincial_used` is never
negative, because `provincial_used` is 1 only in the row that requires
`honors_provincial ≥ 1`. `Bounds.score` therefore splits on the rows of the
first/unique tables an expression reads: for each combination of rows it
narrows the rows' condition columns to what their cells require, fixes the
tables' outputs to the rows' cells, and joins the results. Every evaluation
matches one row per table, so the join still covers every real outcome.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping

import attrs

from dsl import ast

INF = math.inf
MAX_ROW_COMBINATIONS = 256


@attrs.frozen
class EnumName:
    """An enum value in a constant expression (an undeclared bare name)."""

    name: str

    def __str__(self) -> str:
        return self.name


def constant(expr, symbols, _seen: frozenset = frozenset()):
    """The exact value of a constant expression, or None when it depends on data."""
    match expr:
        case ast.Number():
            return expr.value
        case ast.String(value=value) | ast.Bool(value=value):
            return value
        case ast.Name(id=name):
            decl = symbols.decls.get(name)
            if decl is None:
                return EnumName(name)
            if isinstance(decl, ast.Param) and not isinstance(decl.value, ast.MapValue) and name not in _seen:
                return constant(decl.value, symbols, _seen | {name})
            return None
        case ast.Field(obj=ast.Name(id=name), name=key):
            entry = _map_entry(symbols, name, key)
            return constant(entry.value, symbols, _seen | {name}) if entry and name not in _seen else None
        case ast.Unary(op="-", operand=operand):
            value = constant(operand, symbols, _seen)
            return -value if _is_fraction(value) else None
        case ast.Binary(op=op, left=left, right=right) if op in ast.ARITHMETIC_OPS:
            a, b = constant(left, symbols, _seen), constant(right, symbols, _seen)
            if not (_is_fraction(a) and _is_fraction(b)):
                return None
            return _fold(op, a, b)
    return None


def _is_fraction(value) -> bool:
    """Whether a constant is a number (enum names, text and booleans are not)."""
    return isinstance(value, Fraction)


def _fold(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    """Apply an arithmetic operator to two constants; None where evaluation would fail."""
    if op in ast.TOTAL_ARITHMETIC:
        return ast.TOTAL_ARITHMETIC[op](a, b)
    if op == "/":
        return a / b if b else None
    if b.denominator != 1 or (a == 0 and b < 0):
        return None
    return a ** int(b)


def _map_entry(symbols, param: str, key: str):
    """The entry of a lookup-table param under a name key, if there is one."""
    decl = symbols.decls.get(param)
    if isinstance(decl, ast.Param) and isinstance(decl.value, ast.MapValue):
        return next((e for e in decl.value.entries if isinstance(e.key, ast.Name) and e.key.id == key), None)
    return None


# ---- intervals ---------------------------------------------------------------

def _mul(x, y):
    """A product of bounds where 0 × ∞ is 0 (the bound of an empty extreme)."""
    return 0 if x == 0 or y == 0 else _exact(x * y)


def _exact(x):
    """Keep finite bounds exact: a float appears only as ±∞ (or x/∞ = 0.0)."""
    return Fraction(x) if isinstance(x, float) and math.isfinite(x) else x


@attrs.frozen
class Interval:
    """The closed interval [lo, hi]; a bound may be ±math.inf."""

    lo: Fraction | float
    hi: Fraction | float

    def __add__(self, other: Interval) -> Interval:
        return Interval(_exact(self.lo + other.lo), _exact(self.hi + other.hi))

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __sub__(self, other: Interval) -> Interval:
        return self + (-other)

    def __mul__(self, other: Interval) -> Interval:
        products = [_mul(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(products), max(products))

    def __truediv__(self, other: Interval) -> Interval | None:
        if other.lo == 0 and other.hi == 0:
            return None  # always a division by zero: no value
        if other.lo > 0 or other.hi < 0:
            quotients = [q for a in (self.lo, self.hi) for b in (other.lo, other.hi) for q in _quotients(a, b)]
            return Interval(min(quotients), max(quotients))
        if other.lo == 0 or other.hi == 0:
            # A divisor that touches 0 only at an end: x / 0 has no value, so the
            # quotient keeps the sign that the other end gives it.
            positive_divisor = other.hi > 0
            if self.lo >= 0:
                return Interval(0, INF) if positive_divisor else Interval(-INF, 0)
            if self.hi <= 0:
                return Interval(-INF, 0) if positive_divisor else Interval(0, INF)
        return FULL

    def hull(self, other: Interval | None) -> Interval:
        """The smallest interval holding both."""
        if other is None:
            return self
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def meet(self, other: Interval) -> Interval | None:
        """The intersection, or None when it is empty."""
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        return Interval(lo, hi) if lo <= hi else None

    def map_monotone(self, fn) -> Interval:
        """Apply a non-decreasing function to both finite bounds."""
        return Interval(fn(self.lo) if math.isfinite(self.lo) else self.lo,
                        fn(self.hi) if math.isfinite(self.hi) else self.hi)


def _quotients(a, b) -> list:
    """The candidate bounds of a / b (∞/∞ could be anything from 0 to ∞)."""
    if math.isinf(a) and math.isinf(b):
        return [0, INF if (a > 0) == (b > 0) else -INF]
    return [_exact(a / b)]


FULL = Interval(-INF, INF)
NONNEGATIVE = Interval(Fraction(0), INF)


def point(value: Fraction) -> Interval:
    """The interval holding one number."""
    return Interval(value, value)


def hull_all(intervals) -> Interval | None:
    """The smallest interval holding all of `intervals` (None entries hold nothing)."""
    result = None
    for interval in intervals:
        if interval is not None:
            result = interval if result is None else interval.hull(result)
    return result


def interval_of(node: ast.Interval | None, symbols) -> Interval | None:
    """The closed hull of a declared or written interval with constant bounds."""
    if node is None:
        return None
    lo = constant(node.lower, symbols) if node.lower is not None else -INF
    hi = constant(node.upper, symbols) if node.upper is not None else INF
    if lo is None or hi is None or isinstance(lo, (str, bool, EnumName)) or isinstance(hi, (str, bool, EnumName)):
        return None
    return Interval(lo, hi)


def cell_interval(cell, symbols) -> Interval | None:
    """What a condition cell requires of a number, as a closed hull (None: no restriction)."""
    if isinstance(cell, ast.IntervalCell):
        return interval_of(cell.interval, symbols)
    value = None
    if isinstance(cell, ast.CompareCell):
        value = constant(cell.value, symbols)
    elif isinstance(cell, ast.ExprCell):
        value = constant(cell.expr, symbols)
    if not _is_fraction(value):
        return None
    op = cell.op if isinstance(cell, ast.CompareCell) else "="
    return {">=": Interval(value, INF), ">": Interval(value, INF), "<=": Interval(-INF, value),
            "<": Interval(-INF, value), "=": point(value)}.get(op)


# ---- bounds of expressions ------------------------------------------------------

@attrs.frozen
class Env:
    """What one case of a proof assumes: narrowed values and chosen table rows."""

    values: Mapping[str, Interval] = attrs.field(factory=dict)
    rows: Mapping[str, int] = attrs.field(factory=dict)

    def with_value(self, name: str, interval: Interval) -> Env:
        """This case, also assuming `name` lies in `interval`."""
        return Env({**self.values, name: interval}, self.rows)

    def with_row(self, table: str, index: int) -> Env:
        """This case, also assuming `table` matched its row `index`."""
        return Env(self.values, {**self.rows, table: index})


EMPTY_ENV = Env()


def input_range(decl, symbols, element: bool = False) -> Interval:
    """The declared range of a numeric input or record field (a count is ≥ 0)."""
    type_ = decl.type.element if element and isinstance(decl.type, ast.ListType) else decl.type
    base = NONNEGATIVE if isinstance(type_, ast.NumberType) and type_.integer else FULL
    declared = interval_of(decl.range, symbols)
    narrowed = base.meet(declared) if declared is not None else None
    return narrowed if narrowed is not None else base


class Bounds:
    """Interval bounds of expressions over one rule set's symbols."""

    def __init__(self, symbols):
        """Bounds are memoised per name for the unnarrowed case."""
        self.symbols = symbols
        self._memo: dict[str, Interval | None] = {}
        self._active: set[str] = set()

    # -- named values
    def of_name(self, name: str, env: Env = EMPTY_ENV) -> Interval | None:
        """The bound of a declared value (FULL for anything not numeric or unknown)."""
        if name in env.values:
            return env.values[name]
        decl = self.symbols.decls.get(name)
        if name in self._active or decl is None:
            return FULL  # a cycle (reported elsewhere) or an enum value
        plain = not env.values and not env.rows
        if plain and name in self._memo:
            return self._memo[name]
        self._active.add(name)
        try:
            result = self._decl_bound(decl, env)
        finally:
            self._active.discard(name)
        if plain:
            self._memo[name] = result
        return result

    def _decl_bound(self, decl, env: Env) -> Interval | None:
        """The bound of a declaration's value."""
        match decl:
            case ast.Input():
                return input_range(decl, self.symbols)
            case ast.Param(value=ast.MapValue()):
                return FULL
            case ast.Param(value=value) | ast.Let(expr=value):
                return self.of(value, env)
            case ast.Indicator() | ast.Total():
                return Interval(Fraction(0), decl.points) if decl.points is not None else NONNEGATIVE
        return FULL

    # -- expressions
    def of(self, expr, env: Env = EMPTY_ENV, scope: Mapping | None = None) -> Interval | None:
        """A closed interval holding every number `expr` can produce (None: no value)."""
        scope = scope or {}
        match expr:
            case ast.Number():
                return point(expr.value)
            case ast.Name(id=name):
                if name in scope:
                    return scope[name] if isinstance(scope[name], Interval) else FULL
                return self.of_name(name, env)
            case ast.Field():
                return self._field(expr, env, scope)
            case ast.Index(obj=ast.Name(id=name)) if name not in scope:
                decl = self.symbols.decls.get(name)
                if isinstance(decl, ast.Param) and isinstance(decl.value, ast.MapValue):
                    return hull_all(self.of(e.value, env) for e in decl.value.entries)
                if isinstance(decl, ast.Input) and isinstance(decl.type, ast.ListType):
                    return input_range(decl, self.symbols, element=True)
                return FULL
            case ast.Call():
                return self._call(expr, env, scope)
            case ast.Aggregate():
                return self._aggregate(expr, env, scope)
            case ast.Unary(op="-", operand=operand):
                inner = self.of(operand, env, scope)
                return -inner if inner is not None else None
            case ast.Binary(op=op, left=left, right=right) if op in ast.ARITHMETIC_OPS:
                return self._arithmetic(op, self.of(left, env, scope), self.of(right, env, scope))
            case ast.If(cond=cond, then=then, otherwise=otherwise):
                yes = self._narrow(cond, env, True)
                no = self._narrow(cond, env, False)
                return hull_all([self.of(then, yes, scope) if yes else None,
                                 self.of(otherwise, no, scope) if no else None])
            case ast.Undetermined():
                return None
        return FULL

    def _arithmetic(self, op: str, a: Interval | None, b: Interval | None) -> Interval | None:
        """Interval arithmetic; no value on either side gives no value."""
        if a is None or b is None:
            return None
        if op in ast.TOTAL_ARITHMETIC:
            return ast.TOTAL_ARITHMETIC[op](a, b)
        if op == "/":
            return a / b
        return _power(a, b)

    def _field(self, expr: ast.Field, env: Env, scope) -> Interval | None:
        """`obj.name`: a record field's range, a table column, or a lookup entry."""
        obj = expr.obj
        if isinstance(obj, ast.Name) and obj.id in scope:
            record = scope[obj.id]
            if isinstance(record, ast.RecordType):
                field = next((f for f in record.fields if f.name == expr.name), None)
                return input_range(field, self.symbols) if field is not None else FULL
            return FULL
        if not isinstance(obj, ast.Name):
            return FULL
        decl = self.symbols.decls.get(obj.id)
        if isinstance(decl, (ast.Table, ast.Grade)):
            return self._column(decl, expr.name, env)
        entry = _map_entry(self.symbols, obj.id, expr.name)
        return self.of(entry.value, env) if entry is not None else FULL

    def _column(self, table, column: str, env: Env) -> Interval | None:
        """The bound of a table's output column: the chosen row's cell, or all rows'."""
        outputs = table.output_columns
        if column not in outputs:
            return FULL
        position = len(table.condition_columns) + outputs.index(column)

        def cell_bound(row):
            """The bound of this column's cell in one row."""
            cell = row.cells[position] if position < len(row.cells) else None
            return self.of(cell.expr, env) if isinstance(cell, ast.ExprCell) else FULL

        rows = table.rows
        if table.name in env.rows:
            return cell_bound(rows[env.rows[table.name]])
        if isinstance(table, ast.Table) and table.hit_policy == "sum":
            # every matching row adds its value: each row gives 0 or its cell
            total = point(Fraction(0))
            for row in rows:
                bound = cell_bound(row)
                total = total + (bound.hull(point(Fraction(0))) if bound is not None else point(Fraction(0)))
            return total
        return hull_all(cell_bound(row) for row in rows)

    def _call(self, expr: ast.Call, env: Env, scope) -> Interval | None:
        """The bound of a built-in function call."""
        func = expr.func
        if func == "count_true":
            return Interval(Fraction(0), Fraction(len(expr.args)))
        if func == "present":
            return FULL
        if func in ("min", "max") and len(expr.args) == 1:
            return self._elements(expr.args[0], env)
        args = [self.of(a, env, scope) for a in expr.args]
        if any(a is None for a in args):
            return None
        if func in ("min", "max") and args:
            pick = min if func == "min" else max
            return Interval(pick(a.lo for a in args), pick(a.hi for a in args))
        if func == "abs" and len(args) == 1:
            a = args[0]
            if a.lo >= 0:
                return a
            return -a if a.hi <= 0 else Interval(Fraction(0), max(-a.lo, a.hi))
        if func in ("floor", "ceil") and len(args) == 1:
            return args[0].map_monotone(lambda v: Fraction(math.floor(v) if func == "floor" else math.ceil(v)))
        if func == "round" and args:
            places = constant(expr.args[1], self.symbols) if len(expr.args) > 1 else Fraction(0)
            if not _is_fraction(places) or places < 0:
                return FULL
            half = Fraction(1, 2) / 10 ** int(places)
            return args[0].map_monotone(lambda v: v - half).hull(args[0].map_monotone(lambda v: v + half))
        if func == "len" and expr.args:
            low, high = self._length(expr.args[0])
            return Interval(Fraction(low), high)
        if func in ("first", "last") and expr.args:
            return self._elements(expr.args[0], env)
        return FULL

    def _list_input(self, expr):
        """The list input an expression names, if it names one."""
        if isinstance(expr, ast.Name):
            decl = self.symbols.decls.get(expr.id)
            if isinstance(decl, ast.Input) and isinstance(decl.type, ast.ListType):
                return decl
        return None

    def _elements(self, expr, env: Env) -> Interval:
        """The range of a list input's elements."""
        decl = self._list_input(expr)
        return input_range(decl, self.symbols, element=True) if decl is not None else FULL

    def _length(self, expr) -> tuple[int, Fraction | float]:
        """The fewest and most elements a list can have (its `length` option)."""
        decl = self._list_input(expr)
        if decl is not None and decl.length is not None:
            return decl.length[0], Fraction(decl.length[1])
        return 0, INF

    def _aggregate(self, expr: ast.Aggregate, env: Env, scope) -> Interval | None:
        """`sum` of n values in [lo, hi] lies in [n·lo, n·hi] over the possible n; the others stay in [lo, hi]."""
        source = expr.source
        if isinstance(source, ast.RangeSource):
            low, high = self.of(source.low, env, scope), self.of(source.high, env, scope)
            if low is None or high is None:
                return None
            var = Interval(low.lo, high.hi)
            fewest, most = 0, max(Fraction(0), _exact(high.hi - low.lo + 1))
        else:
            decl = self._list_input(source)
            fewest, most = self._length(source)
            var = FULL
            if decl is not None:
                element = decl.type.element
                var = element if isinstance(element, ast.RecordType) else input_range(decl, self.symbols, element=True)
        if expr.where is not None:
            fewest = 0
        body = self.of(expr.body, env, {**scope, expr.var: var})
        if expr.func == "count":
            return Interval(Fraction(0), most)
        if body is None or expr.func not in ("sum", "mean", "min", "max"):
            return None if body is None else FULL
        if expr.func != "sum":
            return body
        ends = [_mul(n, b) for n in (fewest, most) for b in (body.lo, body.hi)]
        return Interval(min(ends), max(ends))

    # -- narrowing
    def _narrow(self, cond, env: Env, truth: bool) -> Env | None:
        """`env` assuming `cond` is `truth`, for simple comparisons of a name with a constant;
        None when that is impossible."""
        match cond:
            case ast.Unary(op="not", operand=operand):
                return self._narrow(operand, env, not truth)
            case ast.Binary(op="and", left=left, right=right) if truth:
                first = self._narrow(left, env, True)
                return self._narrow(right, first, True) if first else None
            case ast.Binary(op="or", left=left, right=right) if not truth:
                first = self._narrow(left, env, False)
                return self._narrow(right, first, False) if first else None
            case ast.Binary(op=op, left=ast.Name(id=name), right=right) if op in ast.COMPARISON_OPS:
                value = constant(right, self.symbols)
                if _is_fraction(value) and isinstance(self.symbols.decls.get(name), (ast.Input, ast.Let)):
                    if not truth:
                        op = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "=": "!=", "!=": "="}[op]
                    wanted = cell_interval(ast.CompareCell(op, right), self.symbols)
                    if wanted is not None:
                        current = self.of_name(name, env)
                        met = current.meet(wanted) if current is not None else None
                        return env.with_value(name, met) if met is not None else None
        return env

    # -- proofs about scores
    def score(self, expr) -> Interval | None:
        """The bound of a score, split on the rows of the tables it reads."""
        result = None
        for env in self._row_cases(self._tables_read(expr)):
            result = hull_all([result, self.of(expr, env)])
        return result

    def _tables_read(self, expr) -> list:
        """First/unique tables read by `expr`, directly or through derived values."""
        found: dict[str, object] = {}
        seen: set[str] = set()

        def visit(node):
            """Collect tables read by `node` and the lets it uses."""
            for sub in ast.walk(node):
                if isinstance(sub, ast.Field) and isinstance(sub.obj, ast.Name):
                    decl = self.symbols.decls.get(sub.obj.id)
                    if isinstance(decl, ast.Grade) or (isinstance(decl, ast.Table) and decl.hit_policy != "sum"):
                        found.setdefault(decl.name, decl)
                if isinstance(sub, ast.Name) and sub.id not in seen:
                    seen.add(sub.id)
                    decl = self.symbols.decls.get(sub.id)
                    if isinstance(decl, ast.Let):
                        visit(decl.expr)

        visit(expr)
        chosen, combinations = [], 1
        for table in found.values():
            if table.rows and combinations * len(table.rows) <= MAX_ROW_COMBINATIONS:
                chosen.append(table)
                combinations *= len(table.rows)
        return chosen

    def _row_cases(self, tables, env: Env = EMPTY_ENV):
        """Every consistent choice of one row per table, as narrowed environments."""
        if not tables:
            yield env
            return
        table, rest = tables[0], tables[1:]
        for index, row in enumerate(table.rows):
            narrowed = self._assume_row(table, row, env)
            if narrowed is not None:
                yield from self._row_cases(rest, narrowed.with_row(table.name, index))

    def _assume_row(self, table, row, env: Env) -> Env | None:
        """Narrow the row's condition columns to what its cells require; None if impossible."""
        for column, cell in zip(table.condition_columns, row.cells):
            wanted = cell_interval(cell, self.symbols)
            if wanted is None or not isinstance(self.symbols.decls.get(column), (ast.Input, ast.Let)):
                continue
            current = self.of_name(column, env)
            met = current.meet(wanted) if current is not None else None
            if met is None:
                return None
            env = env.with_value(column, met)
        return env


def _power(base: Interval, exponent: Interval) -> Interval:
    """Bounds of base ^ exponent for a whole-number exponent."""
    if exponent.lo == exponent.hi and math.isfinite(exponent.lo) and exponent.lo.denominator == 1:
        k = int(exponent.lo)
        if k == 0:
            return point(Fraction(1))
        if k < 0:
            return point(Fraction(1)) / _power(base, point(Fraction(-k))) or FULL
        ends = [_pow_bound(base.lo, k), _pow_bound(base.hi, k)]
        if k % 2 == 0 and base.lo < 0 < base.hi:
            ends.append(Fraction(0))
        return Interval(min(ends), max(ends))
    if exponent.lo >= 0 and base.lo >= 0:
        if base.hi <= 1:
            return Interval(Fraction(0), Fraction(1))
        if base.lo >= 1:
            return Interval(Fraction(1), INF)
        return NONNEGATIVE
    return FULL


def _pow_bound(value, k: int):
    """A bound raised to a whole power, with ∞ handled."""
    if math.isinf(value):
        return value if k % 2 else INF
    return value ** k
