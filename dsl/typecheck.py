"""Type and unit inference: the type of every named value and expression.

`Typer.run()` visits every declaration once. A named value's type is inferred
on demand, the first time something refers to it, and memoised, so the order
of declarations does not matter and each expression is checked (and each
problem reported) exactly once. A cycle of references is cut by typing the
inner reference as unknown; the cycle itself is reported by check_cycles.

What it reports, all through the `report` callback:
- names: `undefined_name` (with a did-you-mean over declarations and loop
  variables), `unknown_field` (record fields, table output columns, lookup
  keys), and for calls `unknown_function`, `wrong_arguments` (the built-ins
  are typed in dsl/functions.py);
- enums: a bare undeclared name is an enum value where it meets an enum (a
  comparison, `in (...)`, a table cell of an enum column, a lookup key, an
  enum input's default) and must be one of its members (`unknown_enum_value`);
  a lookup table indexed by an enum (or by text with known values) needs a key
  for each of them (`incomplete_lookup`);
- kinds: `type_mismatch` (arithmetic on text, `and` on numbers, a score that is
  not a number, a `require` that is not true/false, a table cell that does not
  fit its column …), `bad_exponent`, `optional_default_type`;
- units: `unit_mismatch` when quantities of different units are added or
  compared, and the warning `percent_without_sign` when a bare number such as
  `50` meets a percentage, where it would mean 5000% (bare 0 and 1 are exempt:
  0 is 0%, and `1 - 6%` is the natural way to write 94%).

The unit rules themselves are explained in dsl/units.py.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from dsl import ast
from dsl.diagnostics import Diagnostic, did_you_mean, error, warning
from dsl.functions import BuiltinTyping
from dsl.ranges import constant
from dsl.typesys import (ANY, BOOL, NEVER, AnyT, BoolT, EnumT, ListT, MapT, NeverT, NotValueT, NumT,
                         RecordT, TableT, TextT, Ty, describe, from_ast, is_lenient, join, same_kind, unify_units)
from dsl.units import DIMENSIONLESS, format_number

ORDERING_OPS = (">=", "<=", ">", "<")
_VERBS = {"+": "add", "-": "subtract"}


class Typer(BuiltinTyping):
    """Infers types over one rule set's symbols, reporting problems as it goes."""

    def __init__(self, symbols, report: Callable[[Diagnostic], None]):
        """`report` receives each diagnostic as it is found."""
        self.symbols = symbols
        self.report = report
        self.types: dict[str, Ty] = {}
        self.tables: dict[str, TableT] = {}
        self._active: set[str] = set()
        self._checked_keys: set[tuple[str, tuple]] = set()

    # ---- driving -----------------------------------------------------------

    def run(self) -> dict[str, Ty]:
        """Type every declaration; returns the type of every named value."""
        for name in self.symbols.order:
            self.value_type(name)
            self._check_body(self.symbols.decls[name])
        return self.types

    def value_type(self, name: str) -> Ty:
        """The type of a declared name, inferred on first use."""
        if name in self.types:
            return self.types[name]
        if name in self._active:
            return ANY  # a cycle, reported by check_cycles
        self._active.add(name)
        try:
            found = self._infer_decl(self.symbols.decls[name])
        finally:
            self._active.discard(name)
        self.types[name] = found
        return found

    def _infer_decl(self, decl) -> Ty:
        """The value type of one declaration, checking its defining expression."""
        match decl:
            case ast.Input():
                declared = from_ast(decl.type, self._bad_unit)
                self._input_options(decl, declared)
                block = self.symbols.derives.get(decl.name)
                if block is not None:
                    return self._derived(block, declared)
                return declared
            case ast.Param(value=ast.MapValue() as value):
                return self._map(decl, value)
            case ast.Param(value=value) | ast.Let(expr=value):
                return self.expr(value, {})
            case ast.Table():
                return self._table(decl)
            case ast.Grade():
                columns = self._table(decl)
                labels = columns.columns[0][1] if columns.columns else ANY
                vetoed = decl.vetoed
                if isinstance(labels, TextT) and labels.values is not None and vetoed is not None:
                    labels = TextT(labels.values | {vetoed.label})
                return labels
            case ast.Indicator() | ast.Total():
                return NumT()
            case ast.Veto() | ast.Validate():
                return BOOL
        return NotValueT(f"a {type(decl).__name__.lower()}")

    def _derived(self, block: ast.Derive, declared: Ty) -> Ty:
        """The input list's type with the block's values added as record fields.
        Inside the block the record is `block.var` and earlier lets are in scope
        by name; a let may only use the lets above it."""
        if not (isinstance(declared, ListT) and isinstance(declared.element, RecordT)):
            self._error("type_mismatch", f"`derive` works on a list of records, but `{block.name}` is "
                        f"{describe(declared)}", block)
            return declared
        record = declared.element
        scope: dict[str, Ty] = {block.var: record}
        if block.where is not None:
            self._expect_bool(block.where, scope, "a `derive … where` condition")
        if block.key is not None and record.field(block.key) is None:
            self._error("unknown_field", f"`key {block.key}` is not a field of `{block.name}`", block,
                        did_you_mean(block.key, [f for f, _ in record.fields]))
        for let in block.lets:
            if let.name in self.symbols.decls or record.field(let.name) is not None or let.name == block.var:
                self._error("duplicate_name", f"`{let.name}` is already a name or a field of `{block.name}`", let,
                            "give the derived value a name of its own")
                continue
            found = self.expr(let.expr, scope)
            record = RecordT(record.fields + ((let.name, found),))
            scope = {**scope, block.var: record, let.name: found}
            self.types[f"{block.name}.{let.name}"] = found
        return ListT(record)

    def _check_body(self, decl) -> None:
        """Check the expressions of declarations whose value is not an expression."""
        for item in getattr(decl, "items", ()):
            match item:
                case ast.AppliesWhen(cond=cond):
                    self._expect_bool(cond, {}, "an `applies when` condition")
                case ast.RequireItem(expr=expr):
                    self._expect_bool(expr, {}, "a `require` condition")
                case ast.ScoreItem(expr=expr):
                    found = self.expr(expr, {})
                    if not isinstance(found, NumT) and not is_lenient(found):
                        self._error("type_mismatch", f"a score must be a number, but this is {describe(found)}",
                                    expr)
                case ast.LevelItem(expr=expr):
                    self.expr(expr, {})
                case ast.ExpectItem():
                    self._expectation(item)
        if isinstance(decl, ast.Bonus):
            self._expect_bool(decl.when, {}, "a bonus condition")
            factor = self.expr(decl.factor, {})
            if not isinstance(factor, NumT) and not is_lenient(factor):
                self._error("type_mismatch", f"a bonus factor must be a number, but this is {describe(factor)}",
                            decl.factor)

    # ---- reporting -----------------------------------------------------------

    def _error(self, code: str, message: str, node, hint: str | None = None, notes=()) -> None:
        """Report an error at `node`."""
        self.report(error(code, message, node.span, hint, tuple(notes)))

    def _bad_unit(self, node, message: str) -> None:
        """Report a unit that dsl/units.py cannot read."""
        self._error("bad_unit", f"cannot read this unit: {message}", node,
                    "write units such as [万元], [%], [kWh/100km] or [m^2]")

    def _percent_literal(self, node, other: Ty) -> None:
        """Warn when a bare number such as `50` meets a percentage, where it means 5000%."""
        literal = node.operand if isinstance(node, ast.Unary) and node.op == "-" else node
        if not (isinstance(literal, ast.Number) and not literal.is_percent and literal.value not in (0, 1)):
            return
        if isinstance(other, NumT) and other.percent:
            shown = format_number(literal.value * 100)
            self.report(warning("percent_without_sign",
                                f"`{literal.text}` meets a percentage, where it means {shown}%", node.span,
                                f"write `{literal.text}%` if you mean {literal.text} percent"))

    def _units(self, a: Ty, b: Ty, node, verb: str, left=None, right=None) -> NumT | None:
        """Check that two numbers agree in unit (and bare numbers next to percentages)."""
        if not (isinstance(a, NumT) and isinstance(b, NumT)):
            return None
        unit, ok = unify_units(a.unit, b.unit)
        if not ok:
            self._error("unit_mismatch", f"cannot {verb} {describe(a)} and {describe(b)}", node,
                        "both sides must have the same unit")
        if left is not None:
            self._percent_literal(left, b)
        if right is not None:
            self._percent_literal(right, a)
        return NumT(a.integer and b.integer, unit, a.percent or b.percent)

    @staticmethod
    def _problem(op: str, a: Ty, b: Ty) -> str | None:
        """What is wrong with comparing `a op b`: "type", or None (units are checked apart)."""
        if is_lenient(a) or is_lenient(b):
            return None
        if op in ORDERING_OPS:
            return None if isinstance(a, NumT) and isinstance(b, NumT) else "type"
        return None if same_kind(a, b) else "type"

    # ---- expressions -----------------------------------------------------------

    def expr(self, node, scope: dict, expect: Ty | None = None) -> Ty:
        """The type of an expression; `expect` is the type a bare enum value must belong to."""
        match node:
            case ast.Number():
                unit = DIMENSIONLESS if node.is_percent else None
                return NumT(node.value.denominator == 1, unit, node.is_percent)
            case ast.String(value=value):
                return TextT(frozenset({value}))
            case ast.Bool():
                return BOOL
            case ast.Name():
                return self._name(node, scope, expect)
            case ast.Field():
                return self._field(node, scope)
            case ast.Index():
                return self._index(node, scope)
            case ast.Call():
                return self._call(node, scope)
            case ast.Aggregate():
                return self._aggregate(node, scope)
            case ast.Unary(op="not", operand=operand):
                self._expect_operand(operand, scope, BoolT, "`not`")
                return BOOL
            case ast.Unary(operand=operand):
                found = self._expect_operand(operand, scope, NumT, "`-`")
                return found if isinstance(found, NumT) else NumT()
            case ast.Binary(op=op) if op in ast.LOGIC_OPS:
                self._expect_operand(node.left, scope, BoolT, f"`{op}`")
                self._expect_operand(node.right, scope, BoolT, f"`{op}`")
                return BOOL
            case ast.Binary(op=op) if op in ast.COMPARISON_OPS:
                self._comparison(node, scope)
                return BOOL
            case ast.Binary():
                return self._arithmetic(node, scope)
            case ast.Member():
                operand = self.expr(node.operand, scope)
                for option in node.options:
                    found = self.expr(option, scope, expect=operand)
                    self._equal_types(operand, found, option, node.operand, option)
                return BOOL
            case ast.If():
                self._expect_bool(node.cond, scope, "an `if` condition")
                then, otherwise = self.expr(node.then, scope), self.expr(node.otherwise, scope)
                joined, problem = join(then, otherwise)
                if problem == "type":
                    self._error("type_mismatch", f"the branches of `if` give {describe(then)} and "
                                f"{describe(otherwise)}", node.otherwise)
                elif problem == "unit":
                    self._error("unit_mismatch", f"the branches of `if` give {describe(then)} and "
                                f"{describe(otherwise)}", node.otherwise, "both branches must have the same unit")
                return joined
            case ast.Undetermined() | ast.Null() | ast.NotEvaluatedLiteral():
                return NEVER
            case ast.EmptyList():
                return ListT(NEVER)
        return ANY

    def _expect_operand(self, node, scope, kind, what: str) -> Ty:
        """The operand of `not`, `-`, `and`, `or` must be of `kind`."""
        found = self.expr(node, scope)
        if not isinstance(found, kind) and not is_lenient(found):
            wanted = "numbers" if kind is NumT else "true/false values"
            self._error("type_mismatch", f"{what} needs {wanted}, but this is {describe(found)}", node)
        return found

    def _expect_bool(self, node, scope, what: str) -> None:
        """A condition must be true/false."""
        found = self.expr(node, scope)
        if not isinstance(found, BoolT) and not is_lenient(found):
            self._error("type_mismatch", f"{what} must be true or false, but this is {describe(found)}", node)

    def _is_free_name(self, node, scope) -> bool:
        """A bare name that is neither a loop variable nor declared: an enum value candidate."""
        return isinstance(node, ast.Name) and node.id not in scope and node.id not in self.symbols.decls

    def _name(self, node: ast.Name, scope, expect) -> Ty:
        """A loop variable, a declared name, or else an enum value of the expected enum."""
        name = node.id
        if name in scope:
            return scope[name]
        if name in self.symbols.decls:
            found = self.value_type(name)
            if isinstance(found, (TableT, MapT, NotValueT)):
                usage = None
                if isinstance(found, TableT):
                    usage = f"use one of its output columns, such as `{name}.{_first_column(found)}`"
                elif isinstance(found, MapT):
                    usage = f"look a value up with `{name}.key` or `{name}[key]`"
                self._error("type_mismatch", f"`{name}` is {describe(found)}, not a value", node, usage)
                return ANY
            return found
        if isinstance(expect, EnumT):
            if name not in expect.members:
                self._error("unknown_enum_value", f"`{name}` is not a value of {describe(expect)}", node,
                            did_you_mean(name, expect.members))
            return expect
        if isinstance(expect, AnyT):
            return ANY  # the other side already has an error
        candidates = list(scope) + list(self.symbols.decls)
        self._error("undefined_name", f"`{name}` is not declared", node, did_you_mean(name, candidates))
        return ANY

    def _field(self, node: ast.Field, scope) -> Ty:
        """`obj.name`: a table's output column, a lookup key, or a record field."""
        obj = node.obj
        if isinstance(obj, ast.Name) and obj.id not in scope and obj.id in self.symbols.decls:
            decl = self.symbols.decls[obj.id]
            if isinstance(decl, (ast.Table, ast.Grade)):
                self.value_type(obj.id)
                table = self.tables.get(obj.id)
                if table is None:
                    return ANY  # a cycle through this table
                column = table.column(node.name)
                if column is None:
                    self._error("unknown_field", f"table `{obj.id}` has no output column `{node.name}`", node,
                                did_you_mean(node.name, [c for c, _ in table.columns]))
                    return ANY
                return column
            if isinstance(decl, ast.Param) and isinstance(decl.value, ast.MapValue):
                return self._map_key(decl, node.name, node)
        found = self.expr(obj, scope)
        if isinstance(found, RecordT):
            field = found.field(node.name)
            if field is None:
                self._error("unknown_field", f"the record has no field `{node.name}`", node,
                            did_you_mean(node.name, [f for f, _ in found.fields]))
                return ANY
            return field
        if not is_lenient(found):
            self._error("type_mismatch", f"`.{node.name}` reads a record field, a table column or a lookup key, "
                        f"but this is {describe(found)}", node)
        return ANY

    def _map_key(self, decl: ast.Param, key: str, node) -> Ty:
        """`m.key` (or `m[key]` with a bare name): the key must be one of the table's name keys."""
        names = [e.key.id for e in decl.value.entries if isinstance(e.key, ast.Name)]
        if key not in names:
            self._error("unknown_field", f"lookup table `{decl.name}` has no key `{key}`", node,
                        did_you_mean(key, names))
            return ANY
        return self.value_type(decl.name).value

    def _index(self, node: ast.Index, scope) -> Ty:
        """`obj[key]`: a lookup in a parameter table, or a list element."""
        obj = node.obj
        if isinstance(obj, ast.Name) and obj.id not in scope:
            decl = self.symbols.decls.get(obj.id)
            if isinstance(decl, ast.Param) and isinstance(decl.value, ast.MapValue):
                return self._lookup(decl, node, scope)
        container, key = self.expr(obj, scope), self.expr(node.key, scope)
        if isinstance(container, ListT):
            if not (isinstance(key, NumT) and key.integer) and not is_lenient(key):
                self._error("type_mismatch", f"a list index must be a whole number, but this is {describe(key)}",
                            node.key)
            return container.element
        if not is_lenient(container):
            self._error("type_mismatch", f"`[…]` reads a list element or a lookup table, but this is "
                        f"{describe(container)}", obj)
        return ANY

    def _lookup(self, decl: ast.Param, node: ast.Index, scope) -> Ty:
        """`m[key]`: the key's type fits the keys, and an enum (or known text) key finds every value."""
        table = self.value_type(decl.name)
        if self._is_free_name(node.key, scope) and isinstance(table, MapT) and table.key_kind == "name":
            return self._map_key(decl, node.key.id, node.key)
        key = self.expr(node.key, scope)
        entries = decl.value.entries
        if isinstance(key, EnumT):
            self._enum_keys(decl, key, entries)
            wanted, kind = key.members, "name"
        elif isinstance(key, TextT):
            wanted, kind = tuple(sorted(key.values or ())), "text"
        elif isinstance(key, NumT):
            wanted, kind = (), "number"
        else:
            if not is_lenient(key):
                self._error("type_mismatch", f"a lookup key must be an enum value, a number or text, but this is "
                            f"{describe(key)}", node.key)
            return table.value if isinstance(table, MapT) else ANY
        if isinstance(table, MapT) and table.key_kind != kind:
            self._error("type_mismatch", f"lookup table `{decl.name}` has {table.key_kind} keys, but this key is "
                        f"{describe(key)}", node.key)
        else:
            present = {_key_value(e.key) for e in entries}
            missing = [w for w in wanted if w not in present]
            if missing:
                shown = ", ".join(f'`"{m}"`' if kind == "text" else f"`{m}`" for m in missing)
                self._error("incomplete_lookup", f"lookup table `{decl.name}` has no key for {shown}, which "
                            f"`{_source(node.key)}` can be", node,
                            "add a key for each of them", (("the lookup table is here", decl.span),))
        return table.value if isinstance(table, MapT) else ANY

    def _enum_keys(self, decl: ast.Param, key: EnumT, entries) -> None:
        """The keys of a lookup table indexed by an enum must be its members (reported once)."""
        if (decl.name, key.members) in self._checked_keys:
            return
        self._checked_keys.add((decl.name, key.members))
        for entry in entries:
            if isinstance(entry.key, ast.Name) and entry.key.id not in key.members:
                self._error("unknown_enum_value", f"key `{entry.key.id}` of `{decl.name}` is not a value of "
                            f"{describe(key)}", entry.key, did_you_mean(entry.key.id, key.members))

    def _map(self, decl: ast.Param, value: ast.MapValue) -> MapT:
        """The type of a lookup table: one key kind, values of one type."""
        kinds = {_key_kind(e.key) for e in value.entries}
        result: Ty = NEVER
        for entry in value.entries:
            found = self.expr(entry.value, {})
            result, problem = join(result, found)
            if problem:
                self._error("unit_mismatch" if problem == "unit" else "type_mismatch",
                            f"the values of `{decl.name}` mix {describe(result)} and {describe(found)}", entry.value)
        if len(kinds) > 1:
            self._error("type_mismatch", f"the keys of `{decl.name}` mix names, numbers and text", value)
        return MapT(decl.name, kinds.pop() if len(kinds) == 1 else "name", ANY if isinstance(result, NeverT) else result)

    # -- operators
    def _pair(self, left, right, scope) -> tuple[Ty, Ty]:
        """Type both sides; a bare enum name is typed against the other side."""
        if self._is_free_name(left, scope) and not self._is_free_name(right, scope):
            b = self.expr(right, scope)
            return self.expr(left, scope, expect=b), b
        a = self.expr(left, scope)
        return a, self.expr(right, scope, expect=a)

    def _comparison(self, node: ast.Binary, scope) -> None:
        """`a op b`: numbers of one unit for ordering, values of one kind for `=` and `!=`."""
        a, b = self._pair(node.left, node.right, scope)
        if node.op in ORDERING_OPS:
            if self._problem(node.op, a, b):
                self._error("type_mismatch", f"`{node.op}` compares numbers, not {describe(a)} and {describe(b)}",
                            node)
                return
            self._units(a, b, node, "compare", node.left, node.right)
        else:
            self._equal_types(a, b, node, node.left, node.right)

    def _equal_types(self, a: Ty, b: Ty, node, left, right) -> None:
        """`=`, `!=` and `in` compare values of one kind (and, for numbers, one unit)."""
        if self._problem("=", a, b):
            hint = None
            if isinstance(a, EnumT) and isinstance(b, TextT) or isinstance(b, EnumT) and isinstance(a, TextT):
                hint = "write an enum value without quotes"
            self._error("type_mismatch", f"cannot compare {describe(a)} with {describe(b)}", node, hint)
        else:
            self._units(a, b, node, "compare", left, right)

    def _arithmetic(self, node: ast.Binary, scope) -> Ty:
        """`+ - * / ^` on numbers; the result's unit follows dsl/units.py."""
        op = node.op
        a, b = self.expr(node.left, scope), self.expr(node.right, scope)
        for side, found in ((node.left, a), (node.right, b)):
            if not isinstance(found, NumT) and not is_lenient(found):
                self._error("type_mismatch", f"`{op}` needs numbers, but this is {describe(found)}", side)
        if not (isinstance(a, NumT) and isinstance(b, NumT)):
            return NumT()  # an unknown operand makes the unit unknown too, not a second error
        if op in ("+", "-"):
            return self._units(a, b, node, _VERBS[op], node.left, node.right)
        if op == "*":
            unit = a.unit * b.unit if a.unit is not None and b.unit is not None else None
            return NumT(a.integer and b.integer, unit)
        if op == "/":
            unit = a.unit / b.unit if a.unit is not None and b.unit is not None else None
            return NumT(False, unit)
        return self._power(node, a, b)

    def _power(self, node: ast.Binary, base: NumT, exponent: NumT) -> NumT:
        """`base ^ exponent`: a whole, unitless exponent; the unit is raised when the exponent is constant."""
        if not exponent.integer or (exponent.unit is not None and exponent.unit != DIMENSIONLESS):
            self._error("bad_exponent", f"the exponent of `^` must be a whole number without a unit, but this is "
                        f"{describe(exponent)}", node.right, "use a count, or round it with floor(…)")
        k = constant(node.right, self.symbols)
        whole = isinstance(k, Fraction) and k.denominator == 1
        if base.unit is None or base.unit == DIMENSIONLESS:
            unit = base.unit
        else:
            unit = base.unit ** int(k) if whole else None
        return NumT(base.integer and whole and k >= 0, unit)

    # ---- declarations -------------------------------------------------------------

    def _input_options(self, decl, declared: Ty) -> None:
        """Range bounds in the input's unit; a default of the input's type."""
        number = declared.element if isinstance(declared, ListT) else declared
        if decl.range is not None and isinstance(number, NumT):
            for bound in (decl.range.lower, decl.range.upper):
                if bound is not None:
                    found = self.expr(bound, {})
                    if isinstance(found, NumT):
                        self._units(number, found, bound, "bound", None, bound)
        if decl.default is not None:
            found = self.expr(decl.default, {}, expect=declared)
            if self._problem("=", declared, found):
                self._error("optional_default_type", f"the default of `{decl.name}` is {describe(found)}, but "
                            f"`{decl.name}` is {describe(declared)}", decl.default)
            else:
                self._units(declared, found, decl.default, "default", None, decl.default)
        record = declared.element if isinstance(declared, ListT) else declared
        record_node = decl.type.element if isinstance(decl.type, ast.ListType) else decl.type
        # (a duplicated field name, reported elsewhere, can pair a record type with another node)
        if isinstance(record, RecordT) and isinstance(record_node, ast.RecordType):
            for field in record_node.fields:
                self._input_options(field, record.field(field.name) or ANY)

    def _table(self, decl) -> TableT:
        """The output columns of a table, checking every cell against its column."""
        head = decl.header
        columns = decl.condition_columns
        column_types = []
        for name, cell in zip(columns, head.cells if head else ()):
            column_types.append(self._name(cell.expr, {}, ANY) if name in self.symbols.decls else ANY)
        outputs = decl.output_columns
        output_types: dict[str, Ty] = {name: NEVER for name in outputs}
        for row in decl.rows:
            if len(row.cells) != len(columns) + len(outputs):
                continue  # reported by check_tables
            for cell, name, found in zip(row.cells, columns, column_types):
                self._condition_cell(cell, name, found)
            for cell, name in zip(row.cells[len(columns):], outputs):
                if isinstance(cell, ast.ExprCell):
                    found = self.expr(cell.expr, {})
                    joined, problem = join(output_types[name], found)
                    if problem:
                        self._error("unit_mismatch" if problem == "unit" else "type_mismatch",
                                    f"column `{name}` holds {describe(output_types[name])} in the rows above, "
                                    f"but {describe(found)} here", cell)
                    output_types[name] = joined
        table = TableT(decl.name, tuple((n, ANY if isinstance(t, NeverT) else t) for n, t in output_types.items()))
        self.tables[decl.name] = table
        return table

    def _condition_cell(self, cell, column: str, column_type: Ty) -> None:
        """A condition cell must fit its column's type and unit."""
        if isinstance(cell, ast.CompareCell):
            checks = [(cell.op, cell.value)]
        elif isinstance(cell, ast.IntervalCell):
            checks = [("<=", b) for b in (cell.interval.lower, cell.interval.upper) if b is not None]
        elif isinstance(cell, ast.ExprCell):
            checks = [("=", cell.expr)]
        else:
            return
        for op, value in checks:
            found = self.expr(value, {}, expect=column_type)
            if self._problem(op, column_type, found):
                what = f"`{op}` needs a number column" if op in ORDERING_OPS else f"this cell is {describe(found)}"
                self._error("type_mismatch", f"column `{column}` is {describe(column_type)}, but {what}", value,
                            "write an enum value without quotes" if isinstance(column_type, EnumT)
                            and isinstance(found, TextT) else None)
            else:
                self._units(column_type, found, value, "compare", None, value)

    def _expectation(self, item: ast.ExpectItem) -> None:
        """`expect target = value` in an example: the value fits the target's type."""
        target = self.expr(item.target, {})
        if isinstance(item.value, (ast.Null, ast.NotEvaluatedLiteral)):
            return
        found = self.expr(item.value, {}, expect=target)
        if self._problem("=", target, found):
            self._error("type_mismatch", f"`{_source(item.target)}` is {describe(target)}, but the expected value "
                        f"is {describe(found)}", item.value)


def _first_column(table: TableT) -> str:
    """An output column to suggest in a hint."""
    return table.columns[0][0] if table.columns else "column"


def _key_kind(key) -> str:
    """Whether a lookup key is a name, a number or text."""
    return "name" if isinstance(key, ast.Name) else "number" if isinstance(key, ast.Number) else "text"


def _key_value(key):
    """A lookup key's value as the evaluator stores it."""
    return key.id if isinstance(key, ast.Name) else key.value


def _source(node) -> str:
    """A short rendering of a simple expression for messages."""
    match node:
        case ast.Name(id=name):
            return name
        case ast.Field(obj=obj, name=name):
            return f"{_source(obj)}.{name}"
        case ast.Index(obj=obj, key=key):
            return f"{_source(obj)}[{_source(key)}]"
        case ast.Number(text=text):
            return text
    return "this value"
