"""The checker's types: what kind of value every expression and named value has.

These are not the AST's type nodes (`ast.NumberType` is what the author wrote);
they are what the checker infers, with the extra facts later passes need:
a number's unit (dsl/units.py) and whether it is a whole number, whether a
number is shown as a percentage, and, for text, the finite set of values it can
take when every source of it is a string literal (`size_class` is one of "A",
"B", "C"), which lets coverage analysis treat it like an enum.

`AnyT` stands for "unknown after an error": it is compatible with everything,
so one mistake is reported once and not again at every use. `NeverT` is the
type of a value that never exists (`undetermined(...)`, the elements of `[]`);
joining it with anything gives the other type.
"""

from __future__ import annotations

from typing import Union

import attrs

from dsl import ast
from dsl.units import Unit, parse_unit


@attrs.frozen
class AnyT:
    """Unknown, after an error was reported: compatible with everything."""


@attrs.frozen
class NeverT:
    """No value at all: `undetermined(...)`, the elements of `[]`."""


@attrs.frozen
class BoolT:
    """true / false."""


@attrs.frozen
class NumT:
    """A number; `unit` None is a free number that adopts the unit it meets."""

    integer: bool = False
    unit: Unit | None = None
    percent: bool = False


@attrs.frozen
class TextT:
    """Text; `values` is the finite set it can take, when known."""

    values: frozenset[str] | None = None


@attrs.frozen
class EnumT:
    """One of the named members of an `enum(...)` declaration."""
    members: tuple[str, ...]


@attrs.frozen
class ListT:
    """A list whose elements have one type."""
    element: Ty


@attrs.frozen
class RecordT:
    """A record with named, typed fields."""
    fields: tuple[tuple[str, Ty], ...]

    def field(self, name: str) -> Ty | None:
        """The type of a field, or None if the record has no such field."""
        return dict(self.fields).get(name)


@attrs.frozen
class IndicatorT:
    """The identifier of an indicator (`list of indicator` inputs)."""


@attrs.frozen
class MapT:
    """A parameter lookup table; `key_kind` is "name", "number" or "text"."""

    name: str
    key_kind: str
    value: Ty


@attrs.frozen
class TableT:
    """A table or grade, used through its output columns (`t.points`)."""

    name: str
    columns: tuple[tuple[str, Ty], ...]

    def column(self, name: str) -> Ty | None:
        """The type of an output column, or None if the table has no such column."""
        return dict(self.columns).get(name)


@attrs.frozen
class NotValueT:
    """A declaration that has no value (a group, an example, a bonus)."""

    kind: str


Ty = Union[AnyT, NeverT, BoolT, NumT, TextT, EnumT, ListT, RecordT, IndicatorT, MapT, TableT, NotValueT]

ANY, NEVER, BOOL, NUMBER, INTEGER = AnyT(), NeverT(), BoolT(), NumT(), NumT(integer=True)


def is_lenient(t: Ty) -> bool:
    """True for the types that fit anywhere (unknown after an error, or no value)."""
    return isinstance(t, (AnyT, NeverT))


def describe(t: Ty) -> str:
    """How a message names a type: `number [万元]`, `count`, `enum(a, b)`."""
    match t:
        case NumT(integer=integer, unit=unit, percent=percent):
            base = "whole number" if integer and not percent else "number"
            if unit is not None and (unit.dims or unit.scale != 1):
                return f"{base} [{unit}]"
            return f"{base} [%]" if percent else base
        case BoolT():
            return "true/false"
        case TextT():
            return "text"
        case EnumT(members=members):
            shown = ", ".join(members[:5]) + (", …" if len(members) > 5 else "")
            return f"enum({shown})"
        case ListT(element=element):
            return f"list of {describe(element)}"
        case RecordT():
            return "record"
        case IndicatorT():
            return "indicator"
        case MapT(name=name):
            return f"lookup table `{name}`"
        case TableT(name=name):
            return f"table `{name}`"
        case NotValueT(kind=kind):
            return kind
        case _:
            return "unknown"


def same_kind(a: Ty, b: Ty) -> bool:
    """Whether two types can be compared with `=` (units are checked separately)."""
    if is_lenient(a) or is_lenient(b):
        return True
    if isinstance(a, NumT) and isinstance(b, NumT):
        return True
    if isinstance(a, TextT) and isinstance(b, TextT):
        return True
    if isinstance(a, ListT) and isinstance(b, ListT):
        return same_kind(a.element, b.element)
    return a == b


def unify_units(a: Unit | None, b: Unit | None) -> tuple[Unit | None, bool]:
    """The common unit of two operands of `+`, `-` or a comparison, and whether they agree."""
    if a is None:
        return b, True
    if b is None:
        return a, True
    return a, a == b


def join(a: Ty, b: Ty) -> tuple[Ty, str | None]:
    """The type of a value that is either `a` or `b` (if branches, table rows).

    Returns the joined type and None, or a best guess and the problem:
    "type" when the kinds differ, "unit" when two numbers' units differ.
    """
    if isinstance(a, NeverT) or isinstance(b, AnyT):
        return b, None
    if isinstance(b, NeverT) or isinstance(a, AnyT):
        return a, None
    if isinstance(a, NumT) and isinstance(b, NumT):
        unit, ok = unify_units(a.unit, b.unit)
        joined = NumT(a.integer and b.integer, unit, a.percent or b.percent)
        return joined, None if ok else "unit"
    if isinstance(a, TextT) and isinstance(b, TextT):
        values = a.values | b.values if a.values is not None and b.values is not None else None
        return TextT(values), None
    if isinstance(a, ListT) and isinstance(b, ListT):
        element, problem = join(a.element, b.element)
        return ListT(element), problem
    return a, None if a == b else "type"


def from_ast(node, bad_unit) -> Ty:
    """The type an input or record field declares; `bad_unit(node, message)` reports unreadable units."""
    match node:
        case ast.BoolType():
            return BOOL
        case ast.NumberType(integer=integer, unit=unit):
            if unit is None:
                return NumT(integer)
            try:
                parsed = parse_unit(unit)
            except ValueError as exc:
                bad_unit(node, str(exc))
                return NumT(integer)
            return NumT(integer, parsed, unit.strip() == "%")
        case ast.TextType():
            return TextT()
        case ast.IndicatorType():
            return IndicatorT()
        case ast.EnumType(values=values):
            return EnumT(tuple(dict.fromkeys(v.name for v in values)))
        case ast.ListType(element=element):
            return ListT(from_ast(element, bad_unit))
        case ast.RecordType():
            return RecordT(tuple((f.name, from_ast(f.type, bad_unit)) for f in node.fields))
    return ANY
