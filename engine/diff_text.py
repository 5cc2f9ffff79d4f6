"""What a change of engine/diff.py shows: canonical texts, and which way numbers moved.

Two versions are compared on `normalised` trees (comments dropped, numbers by
value), but a change shows the text as the author wrote it: an expression as
`dsl.formatter.format_expr` prints it, a table cell as it reads in the table
(`[5%, 15%)`, `≥ 12%`), a type as it is declared. A change whose two sides
differ only in numbers that all moved the same way has a direction, "up" or
"down": that is what a foreword words as 提高了 or 降低了.
"""

from __future__ import annotations

from fractions import Fraction

import attrs

from dsl import ast
from dsl.formatter import format_cell as cell_text
from dsl.formatter import format_expr, format_scalar_type
from dsl.formatter import format_interval as interval_text


def normalised(node):
    """`node` without comments, numbers by value: what two versions are compared on."""
    if isinstance(node, tuple):
        return tuple(normalised(n) for n in node if not isinstance(n, ast.Comment))
    if isinstance(node, ast.Number):
        return ast.Number(str(node.value))
    if not attrs.has(type(node)):
        return node
    changes = {}
    for field in attrs.fields(type(node)):
        if field.name == "span":
            continue
        value = getattr(node, field.name)
        if isinstance(value, tuple) or attrs.has(type(value)):
            changes[field.name] = normalised(value)
    return attrs.evolve(node, **changes) if changes else node


def is_node(value) -> bool:
    return attrs.has(type(value))


def text_of(value) -> str | None:
    """The text of an old or new value: expressions and cells canonically printed."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, ast.Interval):
        return interval_text(value)
    return format_expr(value)


def type_text(node) -> str:
    """A type on one line: records too, with their fields, for change lines."""
    match node:
        case ast.ListType(element=element):
            return "list of " + type_text(element)
        case ast.RecordType():
            return "record { " + "; ".join(field_text(f) for f in node.fields) + " }"
    return format_scalar_type(node)


def options_text(node) -> str:
    parts = []
    if node.range is not None:
        parts.append("range " + interval_text(node.range))
    if node.length is not None:
        parts.append("length " + length_text(node.length))
    if node.optional:
        parts.append("optional")
    if node.default is not None:
        parts.append("default " + format_expr(node.default))
    if getattr(node, "alias", None) is not None:
        parts.append(f"alias {node.alias}")
    return "".join(" " + p for p in parts)


def field_text(field: ast.FieldDecl) -> str:
    label = f' "{field.label}"' if field.label is not None else ""
    return f"{field.name}{label} : {type_text(field.type)}{options_text(field)}"


def decl_text(decl) -> str:
    """A one-line summary of a whole declaration, for additions and removals."""
    match decl:
        case ast.Input():
            return type_text(decl.type) + options_text(decl)
        case ast.Param(value=ast.MapValue() as value):
            return "{ " + ", ".join(f"{key_text(e.key)}: {format_expr(e.value)}" for e in value.entries) + " }"
        case ast.Param():
            return format_expr(decl.value)
        case ast.Let():
            return format_expr(decl.expr)
        case ast.Table() | ast.Grade():
            return f"{len(decl.rows)} rows: " + (row_text(decl.header) if decl.header else "")
        case ast.Indicator():
            return f"points {number_text(decl.points)}, score {format_expr(decl.score)}" if decl.score else ""
        case ast.Bonus():
            return f"when {format_expr(decl.when)} multiply {format_expr(decl.factor)}"
        case ast.Veto() | ast.Validate():
            return format_expr(and_all(decl.requires)) if decl.requires else ""
        case ast.Total():
            return f"points {number_text(decl.points)}"
        case ast.Derive():
            return f"for {decl.var}" + (f" where {format_expr(decl.where)}" if decl.where is not None else "")
    return decl.label or decl.name


def row_text(row: ast.Row) -> str:
    return "| " + " | ".join(cell_text(c) for c in row.cells) + " |"


def key_text(key) -> str:
    return key.id if isinstance(key, ast.Name) else format_expr(key)


def required_text(flag: bool) -> str:
    return "optional" if flag else "required"


def length_text(length) -> str:
    return "(none)" if length is None else f"{length[0]}..{length[1]}"


def number_text(value: Fraction | None) -> str:
    if value is None:
        return "(none)"
    from engine.numbers import format_number
    return format_number(value)


def unit_of(ty) -> str | None:
    from dsl.typesys import MapT, NumT
    if isinstance(ty, MapT):
        ty = ty.value
    if isinstance(ty, NumT) and ty.unit is not None and not ty.unit.is_dimensionless and not ty.percent:
        return str(ty.unit)
    return None


def and_all(exprs) -> object | None:
    if not exprs:
        return None
    result = exprs[0]
    for expr in exprs[1:]:
        result = ast.Binary("and", result, expr)
    return result


# ---- directions ----------------------------------------------------------------------

def constant(expr) -> Fraction | None:
    """The value of a constant expression (`4%`, `-1`, `1 * 0.5`), else None."""
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-":
        value = constant(expr.operand)
        return None if value is None else -value
    if isinstance(expr, ast.Binary) and expr.op in ("+", "-", "*", "/"):
        left, right = constant(expr.left), constant(expr.right)
        if left is None or right is None or (expr.op == "/" and right == 0):
            return None
        return {"+": left + right, "-": left - right, "*": left * right}.get(expr.op, None) \
            if expr.op != "/" else left / right
    return None


def sign(old, new) -> str | None:
    if old is None or new is None or old == new:
        return None
    return "up" if new > old else "down"


def direction_of(old, new) -> str | None:
    if is_node(old) and is_node(new):
        return numbers_direction(old, new)
    return None


def numbers_direction(old, new) -> str | None:
    """"up" or "down" when two expressions differ only in numbers that all moved one way."""
    moves = []
    if not parallel(normalised(old), normalised(new), moves) or not moves:
        return None
    signs = {sign(a, b) for a, b in moves}
    return signs.pop() if len(signs) == 1 else None


def parallel(a, b, moves: list) -> bool:
    """Whether `a` and `b` have the same shape; collects the pairs of numbers that differ."""
    if isinstance(a, ast.Number) and isinstance(b, ast.Number):
        if a.value != b.value:
            moves.append((a.value, b.value))
        return True
    if isinstance(a, ast.Interval) and isinstance(b, ast.Interval):
        if a.lower_closed != b.lower_closed or a.upper_closed != b.upper_closed:
            return False
        return all(parallel(x, y, moves) if x is not None and y is not None else x is y
                   for x, y in ((a.lower, b.lower), (a.upper, b.upper)))
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(parallel(x, y, moves) for x, y in zip(a, b))
    if not is_node(a):
        return a == b
    return all(parallel(getattr(a, f.name), getattr(b, f.name), moves)
               for f in attrs.fields(type(a)) if f.name != "span")
