"""The built-in functions and aggregates: their names, arity and types.

The evaluator (engine/compiler.py) implements exactly these names; the checker
vouches that every call it is given exists and has the right arguments, so the
compiler never meets an unknown function. `BuiltinTyping` is mixed into
dsl/typecheck.py's `Typer`: it types `f(args)` and `f(for x in source where
cond: body)` with the Typer's helpers, reporting `unknown_function`,
`wrong_arguments` and `type_mismatch`.

Signatures:
- `min`, `max`: numbers of one unit (or one list of numbers); `abs`, `floor`,
  `ceil`, `round(x, places = 0)`: a number, keeping its unit;
- `len` (a list or text), `first`, `last` (a list), `count_true(conditions…)`;
- `present(input)` / `present(record.field)`: whether the data gave it, never its value;
- aggregates `sum`, `mean`, `min`, `max` over numbers, `count`, `all`, `any`
  over true/false values, from a list or a whole-number range `a .. b`.
"""

from __future__ import annotations

from dsl import ast
from dsl.diagnostics import did_you_mean
from dsl.ranges import constant
from dsl.typesys import ANY, BOOL, INTEGER, AnyT, BoolT, ListT, NeverT, NumT, TextT, Ty, describe, is_lenient

FUNCTIONS = ("min", "max", "abs", "floor", "ceil", "round", "len", "first", "last", "count_true", "present")
AGGREGATES = ("sum", "mean", "min", "max", "count", "all", "any")
ARITY = {"abs": (1, 1), "floor": (1, 1), "ceil": (1, 1), "round": (1, 2), "len": (1, 1), "first": (1, 1),
         "last": (1, 1), "present": (1, 1), "min": (1, None), "max": (1, None), "count_true": (1, None)}
_VERBS = {"min": "take the minimum of", "max": "take the maximum of"}


class BuiltinTyping:
    """Typing of calls and aggregates, for dsl/typecheck.py's Typer."""

    def _call(self, node: ast.Call, scope) -> Ty:
        """`f(args)`: a known function with the right number and kinds of arguments."""
        func, args = node.func, node.args
        if func not in FUNCTIONS:
            hint = (f"write `{func}(for x in list: x)`" if func in AGGREGATES
                    else did_you_mean(func, FUNCTIONS + AGGREGATES))
            self._error("unknown_function", f"there is no function `{func}`", node, hint)
            for arg in args:
                self.expr(arg, scope)
            return ANY
        arity = ARITY[func]
        if len(args) < arity[0] or (arity[1] is not None and len(args) > arity[1]):
            wanted = str(arity[0]) if arity[0] == arity[1] else f"{arity[0]} or {arity[1]}" if arity[1] \
                else f"at least {arity[0]}"
            self._error("wrong_arguments", f"`{func}` takes {wanted} argument(s), not {len(args)}", node)
            for arg in args:
                self.expr(arg, scope)
            return ANY
        if func == "present":
            return self._present(args[0], scope)
        types = [self.expr(a, scope) for a in args]
        if func == "count_true":
            for arg, found in zip(args, types):
                if not isinstance(found, BoolT) and not is_lenient(found):
                    self._error("type_mismatch", f"`count_true` counts true/false values, but this is "
                                f"{describe(found)}", arg)
            return INTEGER
        if func in ("len", "first", "last"):
            found = types[0]
            if func == "len" and isinstance(found, (ListT, TextT)):
                return INTEGER
            if isinstance(found, ListT):
                return found.element
            if not is_lenient(found):
                self._error("type_mismatch", f"`{func}` needs a list, but this is {describe(found)}", args[0])
            return INTEGER if func == "len" else ANY
        if func in ("min", "max") and len(args) == 1:
            found = types[0]
            if isinstance(found, ListT) and isinstance(found.element, (NumT, NeverT, AnyT)):
                return found.element if isinstance(found.element, NumT) else NumT()
            if not is_lenient(found):
                self._error("type_mismatch", f"`{func}` of one argument needs a list of numbers, but this is "
                            f"{describe(found)}", args[0])
            return NumT()
        for arg, found in zip(args, types):
            if not isinstance(found, NumT) and not is_lenient(found):
                self._error("type_mismatch", f"`{func}` needs numbers, but this is {describe(found)}", arg)
        numbers = [(a, t) for a, t in zip(args, types) if isinstance(t, NumT)]
        if not numbers:
            return NumT()
        if func in ("min", "max"):
            result = numbers[0][1]
            for arg, found in numbers[1:]:
                result = self._units(result, found, arg, _VERBS[func])
            for arg, _ in numbers:
                self._percent_literal(arg, result)
            return result
        value = types[0] if isinstance(types[0], NumT) else NumT()
        if func == "round":
            places = constant(args[1], self.symbols) if len(args) > 1 else 0
            return NumT(places == 0, value.unit, value.percent)
        if func in ("floor", "ceil"):
            return NumT(True, value.unit)
        return value

    def _present(self, arg, scope) -> Ty:
        """`present(input)` or `present(record.field)`: whether the data gave it."""
        if isinstance(arg, ast.Name) and isinstance(self.symbols.decls.get(arg.id), ast.Input):
            return BOOL
        if isinstance(arg, ast.Field) and not (isinstance(arg.obj, ast.Name) and arg.obj.id not in scope
                                               and arg.obj.id in self.symbols.decls):
            self.expr(arg, scope)  # reports an unknown record field
            return BOOL
        if self._is_free_name(arg, {}):
            self._error("undefined_name", f"`{arg.id}` is not declared", arg,
                        did_you_mean(arg.id, self.symbols.inputs))
        else:
            self._error("type_mismatch", "`present` takes the name of an input", arg)
        return BOOL

    def _aggregate(self, node: ast.Aggregate, scope) -> Ty:
        """`f(for x in source where cond: body)`: the loop variable takes the source's element type."""
        source = node.source
        if isinstance(source, ast.RangeSource):
            for bound in (source.low, source.high):
                found = self.expr(bound, scope)
                if not (isinstance(found, NumT) and found.integer) and not is_lenient(found):
                    self._error("type_mismatch", f"a range `a .. b` runs over whole numbers, but this is "
                                f"{describe(found)}", bound)
            element: Ty = INTEGER
        else:
            found = self.expr(source, scope)
            element = found.element if isinstance(found, ListT) else ANY
            if not isinstance(found, ListT) and not is_lenient(found):
                self._error("type_mismatch", f"`for` runs over a list or a range `a .. b`, but this is "
                            f"{describe(found)}", source)
        inner = {**scope, node.var: element}
        if node.where is not None:
            self._expect_bool(node.where, inner, "a `where` condition")
        body = self.expr(node.body, inner)
        if node.func not in AGGREGATES:
            self._error("unknown_function", f"there is no aggregate `{node.func}`", node,
                        did_you_mean(node.func, AGGREGATES))
            return ANY
        wants_bool = node.func in ("count", "all", "any")
        if not isinstance(body, BoolT if wants_bool else NumT) and not is_lenient(body):
            wanted = "true/false values" if wants_bool else "numbers"
            self._error("type_mismatch", f"`{node.func}` needs {wanted}, but this is {describe(body)}", node.body)
        if node.func == "count":
            return INTEGER
        if wants_bool:
            return BOOL
        if not isinstance(body, NumT):
            return NumT()
        return NumT(body.integer and node.func != "mean", body.unit, body.percent)
