"""Checked rules to an evaluation plan.

Compiling resolves every name once (a loop variable, an input, a parameter, a
derived value, or an enum value), folds constants (parameters, table bounds),
and turns each expression into a Python closure `fn(ctx, env)`. `ctx` is the
evaluation (engine/evaluator.py), which memoises named values and records the
trace; `env` holds aggregate loop variables. Nothing here reads applicant data.

Every operation propagates "no conclusion" (`Missing`): a value that needs an
absent input is itself absent, never 0. `and`/`or` follow Kleene logic, so
`false and <missing>` is false. Arithmetic is on `Fraction`s, exact.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import TYPE_CHECKING, Callable

import attrs

from dsl import ast
from dsl.formatter import format_expr
from engine.errors import EvalError
from engine.numbers import round_half_up
from engine.values import NOT_EVALUATED, Missing, is_number

if TYPE_CHECKING:
    from dsl.checker import CheckedRules

Closure = Callable[[object, dict], object]

COMPARE = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
           "=": operator.eq, "!=": operator.ne}


def absent(*values) -> Missing | None:
    """The combined Missing of `values`, or None when all are present."""
    found = None
    for v in values:
        if isinstance(v, Missing):
            found = v if found is None else found | v
        elif v is NOT_EVALUATED:
            m = Missing(reasons=("depends on a rule that is not evaluated",))
            found = m if found is None else found | m
    return found


# ---- compiled structures ------------------------------------------------------

@attrs.frozen
class CompiledRow:
    number: int  # 1-based among data rows, as the standard's table counts them
    tests: tuple  # per condition column: a predicate, or None for `-`
    cell_texts: tuple[str, ...]
    outputs: tuple[Closure, ...]
    row: ast.Row


@attrs.frozen
class CompiledTable:
    decl: object  # ast.Table | ast.Grade
    columns: tuple[str, ...]
    column_fns: tuple[Closure, ...]
    outputs: tuple[str, ...]
    rows: tuple[CompiledRow, ...]
    policy: str


@attrs.frozen
class CompiledCondition:
    fn: Closure
    text: str
    clause: str | None
    owner: str  # the rule that carries the condition


@attrs.frozen
class CompiledBonus:
    decl: ast.Bonus
    when: Closure
    factor: Closure


@attrs.frozen
class CompiledIndicator:
    decl: ast.Indicator
    points: Fraction
    score: Closure
    level: Closure | None
    bonuses: tuple[CompiledBonus, ...]
    applies: tuple[CompiledCondition, ...]  # the indicator's own and its groups'


@attrs.frozen
class CompiledCheck:
    decl: object  # ast.Veto | ast.Validate
    requires: tuple[CompiledCondition, ...]
    applies: tuple[CompiledCondition, ...]


@attrs.frozen
class CompiledDerive:
    decl: ast.Derive
    where: Closure | None
    where_text: str
    lets: dict[str, Closure]
    formulas: dict[str, str]


@attrs.frozen
class Plan:
    checked: CheckedRules
    params: dict[str, object]
    lets: dict[str, Closure]
    tables: dict[str, CompiledTable]
    indicators: dict[str, CompiledIndicator]
    vetoes: dict[str, CompiledCheck]
    validates: dict[str, CompiledCheck]
    group_applies: dict[str, tuple[CompiledCondition, ...]]
    units: dict[str, str]
    formulas: dict[str, str]
    derives: dict[str, CompiledDerive] = attrs.field(factory=dict)

    @property
    def symbols(self):
        return self.checked.symbols

    @property
    def ruleset(self):
        return self.checked.ruleset

    def decl(self, name: str):
        return self.checked.symbols.decls[name]


# ---- expressions ----------------------------------------------------------------

class _ConstContext:
    """Evaluates constant expressions (parameters, table bounds) at compile time.
    Parameters are computed on first use, so one may refer to another declared
    after it (the checker has ruled out cycles)."""

    def __init__(self, compiler: _Compiler):
        self.compiler = compiler
        self.params = compiler.params

    def param(self, name):
        if name not in self.params:
            self.params[name] = _param_value(self.compiler, self.compiler.kind_of(name), self)
        return self.params[name]

    def param_field(self, name, field):
        return self.param(name)[field]

    def input(self, name):
        raise EvalError(f"`{name}` is an input, not a constant")

    value = input
    is_present = input


class _Compiler:
    def __init__(self, checked: CheckedRules):
        self.checked = checked
        self.symbols = checked.symbols
        self.params: dict[str, object] = {}
        self.sources = checked.ruleset.sources
        self.block_lets: dict[str, str] = {}  # in a derive block: its let names → the record variable
        self.derived_fields = {let.name for block in checked.symbols.derives.values() for let in block.lets}

    def source_text(self, node) -> str:
        """The author's text of a table cell, as written (`≥ 4%`, `(8, 10]`)."""
        span = node.span
        return " ".join(self.sources.get(span.path, "")[span.start.offset:span.end.offset].split())

    def kind_of(self, name: str):
        return self.symbols.decls.get(name)

    # -- one closure per expression node kind; each docstring names the grammar rule
    def expr(self, node, scope: frozenset) -> Closure:
        method = getattr(self, f"expr_{type(node).__name__}")
        return method(node, scope)

    def expr_Number(self, node: ast.Number, scope):
        """atom: NUMBER"""
        value = node.value
        return lambda ctx, env: value

    def expr_String(self, node: ast.String, scope):
        """atom: STRING"""
        value = node.value
        return lambda ctx, env: value

    def expr_Bool(self, node: ast.Bool, scope):
        """atom: "true" | "false\""""
        value = node.value
        return lambda ctx, env: value

    def expr_EmptyList(self, node, scope):
        return lambda ctx, env: ()

    def expr_Undetermined(self, node: ast.Undetermined, scope):
        """atom: "undetermined" "(" STRING ")\""""
        missing = Missing(reasons=(node.reason,))
        return lambda ctx, env: missing

    def expr_Name(self, node: ast.Name, scope):
        """atom: NAME — a loop variable, a declared name, or an enum value."""
        name = node.id
        if name in self.block_lets and name not in scope:
            var = self.block_lets[name]
            return lambda ctx, env: ctx.derived(env[var], name)
        if name in scope:
            return lambda ctx, env: env[name]
        decl = self.kind_of(name)
        if isinstance(decl, ast.Input):
            return lambda ctx, env: ctx.input(name)
        if isinstance(decl, ast.Param):
            return lambda ctx, env: ctx.param(name)
        if decl is not None:
            return lambda ctx, env: ctx.value(name)
        return lambda ctx, env: name  # an enum value; the checker vouched for it

    def expr_Field(self, node: ast.Field, scope):
        """atom: atom "." NAME — a map key, a table output or a record field."""
        field = node.name
        if isinstance(node.obj, ast.Name) and node.obj.id not in scope \
                and isinstance(self.kind_of(node.obj.id), ast.Param):
            param = node.obj.id
            return lambda ctx, env: ctx.param_field(param, field)
        obj = self.expr(node.obj, scope)
        derivable = field in self.derived_fields

        def field_of(ctx, env):
            value = obj(ctx, env)
            if absent(value):
                return absent(value)
            if field in value:
                if "__path__" in value:
                    ctx.tracer.read(f"{value['__path__']}.{field}", value[field])
                return value[field]
            if derivable and "__list__" in value:
                return ctx.derived(value, field)
            return Missing(frozenset({f"{value.get('__path__', '?')}.{field}"}))
        return field_of

    def expr_Index(self, node: ast.Index, scope):
        """atom: atom "[" expr "]" — a map lookup or a list element (from 0)."""
        obj, key = self.expr(node.obj, scope), self.expr(node.key, scope)
        span = node.span

        def index(ctx, env):
            container, k = obj(ctx, env), key(ctx, env)
            if absent(container, k):
                return absent(container, k)
            if isinstance(container, dict):
                if k not in container:
                    raise EvalError(f"no entry `{k}` in the lookup table", span)
                return container[k]
            if not (is_number(k) and k.denominator == 1 and 0 <= k < len(container)):
                raise EvalError(f"index {k} is outside the list of {len(container)} values", span)
            return container[int(k)]
        return index

    def expr_Unary(self, node: ast.Unary, scope):
        """unary: "-" unary | not_expr: "not" not_expr"""
        operand = self.expr(node.operand, scope)
        if node.op == "not":
            def negate(ctx, env):
                v = operand(ctx, env)
                return absent(v) or (not v)
            return negate

        def minus(ctx, env):
            v = operand(ctx, env)
            return absent(v) or -v
        return minus

    def expr_Binary(self, node: ast.Binary, scope):
        """sum / product / power / comparison / and_expr / or_expr"""
        left, right, op, span = self.expr(node.left, scope), self.expr(node.right, scope), node.op, node.span
        if op in ("and", "or"):
            decisive = op == "or"  # the operand value that settles the result

            def kleene(ctx, env):
                a = left(ctx, env)
                if a is decisive:
                    return decisive
                b = right(ctx, env)
                if b is decisive:
                    return decisive
                return absent(a, b) or (not decisive)
            return kleene
        if op in COMPARE:
            compare = COMPARE[op]

            def comparison(ctx, env):
                a, b = left(ctx, env), right(ctx, env)
                return absent(a, b) or compare(a, b)
            return comparison
        return self._arithmetic(op, left, right, span)

    @staticmethod
    def _arithmetic(op, left, right, span):
        """The operator is chosen here, once, not on every evaluation."""
        if op in ast.TOTAL_ARITHMETIC:
            apply = ast.TOTAL_ARITHMETIC[op]
        elif op == "/":
            def apply(a, b):
                if b == 0:
                    raise EvalError("division by zero", span)
                return a / b
        else:
            def apply(a, b):
                if b.denominator != 1:
                    raise EvalError(f"exponent {b} is not a whole number", span)
                if a == 0 and b < 0:
                    raise EvalError("zero to a negative power", span)
                return a ** int(b)

        def arithmetic(ctx, env):
            a, b = left(ctx, env), right(ctx, env)
            return absent(a, b) or apply(a, b)
        return arithmetic

    def expr_Member(self, node: ast.Member, scope):
        """comparison: sum "in" "(" expr ("," expr)* ")\""""
        operand = self.expr(node.operand, scope)
        options = [self.expr(o, scope) for o in node.options]

        def member(ctx, env):
            v = operand(ctx, env)
            values = [o(ctx, env) for o in options]
            return absent(v, *values) or v in values
        return member

    def expr_If(self, node: ast.If, scope):
        """expr: "if" expr "then" expr "else" expr"""
        cond, then, otherwise = (self.expr(node.cond, scope), self.expr(node.then, scope),
                                 self.expr(node.otherwise, scope))

        def choose(ctx, env):
            c = cond(ctx, env)
            if absent(c):
                return absent(c)
            return then(ctx, env) if c else otherwise(ctx, env)
        return choose

    def expr_Call(self, node: ast.Call, scope):
        """atom: NAME "(" [expr ("," expr)*] ")\""""
        if node.func == "present":
            target = node.args[0]
            if isinstance(target, ast.Field):  # a field of a record: given in the data?
                record, field = self.expr(target.obj, scope), target.name

                def field_present(ctx, env):
                    value = record(ctx, env)
                    return absent(value) or field in value
                return field_present
            name = target.id
            return lambda ctx, env: ctx.is_present(name)
        args = [self.expr(a, scope) for a in node.args]
        func = _FUNCTIONS[node.func]
        span = node.span

        def call(ctx, env):
            values = [a(ctx, env) for a in args]
            missing = absent(*values)
            if missing:
                return missing
            try:
                return func(*values)
            except (ValueError, IndexError) as exc:
                raise EvalError(f"{node.func}: {exc}", span) from None
        return call

    def expr_Aggregate(self, node: ast.Aggregate, scope):
        """atom: NAME "(" "for" NAME "in" source ["where" expr] ":" expr ")\""""
        inner = scope | {node.var}
        body = self.expr(node.body, inner)
        where = self.expr(node.where, inner) if node.where is not None else None
        if isinstance(node.source, ast.RangeSource):
            low, high = self.expr(node.source.low, scope), self.expr(node.source.high, scope)

            def source(ctx, env):
                a, b = low(ctx, env), high(ctx, env)
                return absent(a, b) or tuple(Fraction(i) for i in range(math.ceil(a), math.floor(b) + 1))
        else:
            source = self.expr(node.source, scope)
        combine, var = _AGGREGATES[node.func], node.var

        def aggregate(ctx, env):
            items = source(ctx, env)
            if absent(items):
                return absent(items)
            values = []
            for item in items:
                local = {**env, var: item}
                if where is not None:
                    keep = where(ctx, local)
                    if absent(keep):
                        return absent(keep)
                    if not keep:
                        continue
                values.append(body(ctx, local))
            return combine(values)
        return aggregate


def _round(value, places=Fraction(0)):
    return round_half_up(value, int(places))


def _count_true(*conditions):
    return Fraction(sum(1 for c in conditions if c))


def _floor(value):
    return Fraction(math.floor(value))


def _ceil(value):
    return Fraction(math.ceil(value))


def _first(values):
    if not values:
        raise ValueError("the list is empty")
    return values[0]


def _last(values):
    if not values:
        raise ValueError("the list is empty")
    return values[-1]


_FUNCTIONS = {
    "min": lambda *v: min(v[0]) if len(v) == 1 else min(v),
    "max": lambda *v: max(v[0]) if len(v) == 1 else max(v),
    "abs": abs,
    "floor": _floor,
    "ceil": _ceil,
    "round": _round,
    "len": lambda v: Fraction(len(v)),
    "first": _first,
    "last": _last,
    "count_true": _count_true,
}


def _kleene_all(values):
    if any(v is False for v in values):
        return False
    return absent(*values) or True


def _kleene_any(values):
    if any(v is True for v in values):
        return True
    return absent(*values) or False


def _over_present(combine, empty_reason):
    def run(values):
        missing = absent(*values)
        if missing:
            return missing
        if not values:
            return Missing(reasons=(empty_reason,)) if empty_reason else combine(values)
        return combine(values)
    return run


_AGGREGATES = {
    "sum": _over_present(lambda v: sum(v, Fraction(0)), None),
    "mean": _over_present(lambda v: sum(v, Fraction(0)) / len(v), "no values to average"),
    "min": _over_present(min, "no values"),
    "max": _over_present(max, "no values"),
    "count": _over_present(lambda v: Fraction(sum(1 for x in v if x is True)), None),
    "all": _kleene_all,
    "any": _kleene_any,
}

FUNCTION_NAMES = frozenset(_FUNCTIONS) | {"present"}
AGGREGATE_NAMES = frozenset(_AGGREGATES)


# ---- declarations -------------------------------------------------------------------

def _cell_test(compiler: _Compiler, cell, consts: _ConstContext):
    """A predicate on the column value for one condition cell; None for `-`."""
    def const(expr):
        return compiler.expr(expr, frozenset())(consts, {})

    if isinstance(cell, ast.AnyCell):
        return None
    if isinstance(cell, ast.CompareCell):
        bound, compare = const(cell.value), COMPARE[cell.op]
        return lambda v: compare(v, bound)
    if isinstance(cell, ast.IntervalCell):
        iv = cell.interval
        low = const(iv.lower) if iv.lower is not None else None
        high = const(iv.upper) if iv.upper is not None else None

        def within(v):
            above = low is None or v > low or (iv.lower_closed and v == low)
            below = high is None or v < high or (iv.upper_closed and v == high)
            return above and below
        return within
    expected = const(cell.expr)
    return lambda v: v == expected


def _compile_table(compiler: _Compiler, decl, consts) -> CompiledTable:
    columns, outputs = decl.condition_columns, decl.output_columns
    width = len(columns)
    rows = []
    for number, row in enumerate(decl.rows, start=1):
        tests = tuple(_cell_test(compiler, cell, consts) for cell in row.cells[:width])
        texts = tuple(compiler.source_text(cell) for cell in row.cells[:width])
        outs = tuple(compiler.expr(cell.expr, frozenset()) for cell in row.cells[width:])
        rows.append(CompiledRow(number, tests, texts, outs, row))
    column_fns = tuple(compiler.expr(ast.Name(c, decl.span), frozenset()) for c in columns)
    policy = "unique" if isinstance(decl, ast.Grade) else decl.hit_policy
    return CompiledTable(decl, columns, column_fns, outputs, tuple(rows), policy)


def _conditions(compiler: _Compiler, applies, owner: str) -> tuple[CompiledCondition, ...]:
    return tuple(CompiledCondition(compiler.expr(a.cond, frozenset()), format_expr(a.cond),
                                   a.clause, owner) for a in applies)


def _param_value(compiler: _Compiler, decl: ast.Param, consts):
    if isinstance(decl.value, ast.MapValue):
        table = {}
        for entry in decl.value.entries:
            key = entry.key.id if isinstance(entry.key, ast.Name) else compiler.expr(entry.key, frozenset())(consts, {})
            table[key] = compiler.expr(entry.value, frozenset())(consts, {})
        return table
    return compiler.expr(decl.value, frozenset())(consts, {})


def _display_units(compiler: _Compiler, checked: CheckedRules, tables) -> dict[str, str]:
    """Units to show values in: declared units of inputs; `%` for parameters
    written as percentages and for values compared with percentages in a table."""
    from dsl.typesys import NumT
    units = {}
    for name, found in checked.types.items():
        if isinstance(found, NumT) and found.percent:
            units[name] = "%"
        elif isinstance(found, NumT) and found.unit is not None and not found.unit.is_dimensionless:
            units[name] = str(found.unit)
    for name, decl in checked.symbols.decls.items():
        if isinstance(decl, ast.Input) and isinstance(decl.type, ast.NumberType) and decl.type.unit:
            units[name] = decl.type.unit
        elif isinstance(decl, ast.Param) and isinstance(decl.value, ast.Number) and decl.value.is_percent:
            units[name] = "%"
    for table in tables.values():
        for i, column in enumerate(table.columns):
            if column in units:
                continue
            for row in table.decl.rows:
                cell = row.cells[i] if i < len(row.cells) else None
                if any(isinstance(n, ast.Number) and n.is_percent for n in ast.walk(cell)) if cell else False:
                    units[column] = "%"
                    break
    return units


def compile_rules(checked: CheckedRules) -> Plan:
    """Compile checked rules into a plan; the rules must have no check errors."""
    compiler = _Compiler(checked)
    symbols = checked.symbols
    consts = _ConstContext(compiler)
    for decl in symbols.of_kind(ast.Param):
        consts.param(decl.name)
    lets = {d.name: compiler.expr(d.expr, frozenset()) for d in symbols.of_kind(ast.Let)}
    tables = {d.name: _compile_table(compiler, d, consts)
              for d in symbols.of_kind(ast.Table) + symbols.of_kind(ast.Grade)}
    group_applies = {g.name: _conditions(compiler, g.applies, g.name) for g in symbols.of_kind(ast.Group)}
    bonuses = {b.name: CompiledBonus(b, compiler.expr(b.when, frozenset()), compiler.expr(b.factor, frozenset()))
               for b in symbols.of_kind(ast.Bonus)}
    indicators = {}
    for decl in symbols.indicators:
        inherited = tuple(c for g in symbols.groups_of[decl.name] for c in group_applies[g.name])
        indicators[decl.name] = CompiledIndicator(
            decl, decl.points, compiler.expr(decl.score, frozenset()),
            compiler.expr(decl.level, frozenset()) if decl.level is not None else None,
            tuple(bonuses[b] for b in decl.bonuses),
            inherited + _conditions(compiler, decl.applies, decl.name))

    def compile_check(decl):
        inherited = tuple(c for g in symbols.groups_of[decl.name] for c in group_applies[g.name])
        requires = tuple(CompiledCondition(compiler.expr(e, frozenset()), format_expr(e), decl.clause, decl.name)
                         for e in decl.requires)
        return CompiledCheck(decl, requires, inherited + _conditions(compiler, decl.applies, decl.name))

    derives = {}
    for block in symbols.derives.values():
        compiler.block_lets = {let.name: block.var for let in block.lets}
        scope = frozenset({block.var})
        derives[block.name] = CompiledDerive(
            block, compiler.expr(block.where, scope) if block.where is not None else None,
            format_expr(block.where) if block.where is not None else "",
            {let.name: compiler.expr(let.expr, scope) for let in block.lets},
            {let.name: format_expr(let.expr) for let in block.lets})
        compiler.block_lets = {}
    vetoes = {d.name: compile_check(d) for d in symbols.of_kind(ast.Veto)}
    validates = {d.name: compile_check(d) for d in symbols.of_kind(ast.Validate)}
    formulas = {d.name: format_expr(d.expr) for d in symbols.of_kind(ast.Let)}
    formulas.update({d.name: format_expr(d.score) for d in symbols.indicators})
    return Plan(checked, compiler.params, lets, tables, indicators, vetoes, validates, group_applies,
                _display_units(compiler, checked, tables), formulas, derives)
