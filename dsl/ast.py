"""The abstract syntax tree of a rule file.

Nodes are frozen attrs classes. Each carries a `span` that is left out of
equality and repr, so two trees that differ only in layout compare equal:
`parse(format(t)) == parse(t)` is a plain `==`. Sequences are tuples.

Blocks (`items`) keep `Comment` nodes where the author wrote them, so the
formatter can give them back. Declarations expose what their items say through
properties (`Indicator.points`, `Table.rows`), so later passes never scan items
by hand. Only dsl/parser.py builds these nodes from text; nothing here knows
about Lark.
"""

from __future__ import annotations

import operator
from fractions import Fraction
from typing import Iterator, Union

import attrs

from dsl.source import NO_SPAN, Span


def _span():
    return attrs.field(default=NO_SPAN, eq=False, repr=False)


# ---- comments ------------------------------------------------------------

@attrs.frozen
class Comment:
    """`# text`; `trailing` when it ends the line of the item before it."""

    text: str
    trailing: bool = False
    span: Span = _span()


# ---- expressions -----------------------------------------------------------

@attrs.frozen
class Number:
    """A numeric literal as written (`0.2`, `4%`); `value` is exact."""

    text: str
    span: Span = _span()

    @property
    def value(self) -> Fraction:
        if self.text.endswith("%"):
            return Fraction(self.text[:-1]) / 100
        return Fraction(self.text)

    @property
    def is_percent(self) -> bool:
        return self.text.endswith("%")


@attrs.frozen
class String:
    value: str
    span: Span = _span()


@attrs.frozen
class Bool:
    value: bool
    span: Span = _span()


@attrs.frozen
class Name:
    id: str
    span: Span = _span()


@attrs.frozen
class Field:
    """`obj.name`: a record field, or a table's output column."""

    obj: Expr
    name: str
    span: Span = _span()


@attrs.frozen
class Index:
    """`obj[key]`: a parameter map lookup or a list element."""

    obj: Expr
    key: Expr
    span: Span = _span()


@attrs.frozen
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class RangeSource:
    """`low .. high`, the integers from low to high inclusive."""

    low: Expr
    high: Expr
    span: Span = _span()


@attrs.frozen
class Aggregate:
    """`func(for var in source where cond: body)`, e.g. Σ Tᵢ×Fᵢ×Dᵢ."""

    func: str
    var: str
    source: Union[Expr, RangeSource]
    where: Expr | None
    body: Expr
    span: Span = _span()


@attrs.frozen
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span = _span()


@attrs.frozen
class Binary:
    """Arithmetic, logic and comparison; `op` is in canonical ASCII form."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Member:
    """`operand in (a, b, c)`."""

    operand: Expr
    options: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class If:
    cond: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


@attrs.frozen
class Undetermined:
    """`undetermined("reason")`: no conclusion can be drawn (clause 4, 审慎性)."""

    reason: str
    span: Span = _span()


@attrs.frozen
class EmptyList:
    span: Span = _span()


@attrs.frozen
class Null:
    """`null` in an example's expectation: no conclusion."""

    span: Span = _span()


@attrs.frozen
class NotEvaluatedLiteral:
    """`not_evaluated` in an example's expectation."""

    span: Span = _span()


Expr = Union[Number, String, Bool, Name, Field, Index, Call, Aggregate, Unary,
             Binary, Member, If, Undetermined, EmptyList]

ARITHMETIC_OPS = ("+", "-", "*", "/", "^")
# The arithmetic operators that are defined for every pair of operands (numbers
# or intervals alike); `/` and `^` each need a check of their own.
TOTAL_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}
COMPARISON_OPS = (">=", "<=", ">", "<", "=", "!=")
LOGIC_OPS = ("and", "or")


# ---- intervals and table cells ---------------------------------------------

@attrs.frozen
class Interval:
    """`[a, b)` and friends; a bound of None is infinite."""

    lower: Expr | None
    lower_closed: bool
    upper: Expr | None
    upper_closed: bool
    span: Span = _span()


@attrs.frozen
class AnyCell:
    """`-`: the row does not test this column."""

    span: Span = _span()


@attrs.frozen
class CompareCell:
    """`≥ 4%`: the column compared with a bound."""

    op: str
    value: Expr
    span: Span = _span()


@attrs.frozen
class IntervalCell:
    interval: Interval
    span: Span = _span()


@attrs.frozen
class ExprCell:
    """A bare value: equality in a condition column, the value in an output column."""

    expr: Expr
    span: Span = _span()


@attrs.frozen
class OutputHead:
    """`=> points` in a header row: the first cell of the output columns."""

    name: str
    span: Span = _span()


Cell = Union[AnyCell, CompareCell, IntervalCell, ExprCell, OutputHead]


@attrs.frozen
class Row:
    cells: tuple[Cell, ...]
    span: Span = _span()

    @property
    def is_header(self) -> bool:
        return any(isinstance(c, OutputHead) for c in self.cells)


# ---- types ---------------------------------------------------------------

@attrs.frozen
class BoolType:
    span: Span = _span()


@attrs.frozen
class NumberType:
    """`number [unit]` or `count [unit]` (a whole number ≥ 0)."""

    integer: bool
    unit: str | None
    span: Span = _span()


@attrs.frozen
class TextType:
    span: Span = _span()


@attrs.frozen
class IndicatorType:
    """The identifier of an indicator of this rule set (for `not_applicable`)."""

    span: Span = _span()


@attrs.frozen
class EnumValue:
    name: str
    label: str | None
    span: Span = _span()


@attrs.frozen
class EnumType:
    values: tuple[EnumValue, ...]
    span: Span = _span()


@attrs.frozen
class ListType:
    element: Type
    span: Span = _span()


@attrs.frozen
class FieldDecl:
    name: str
    label: str | None
    type: Type
    range: Interval | None = None
    optional: bool = False
    default: Expr | None = None
    length: tuple[int, int] | None = None
    span: Span = _span()


@attrs.frozen
class RecordType:
    items: tuple[Union[FieldDecl, Comment], ...]
    span: Span = _span()

    @property
    def fields(self) -> tuple[FieldDecl, ...]:
        return tuple(i for i in self.items if isinstance(i, FieldDecl))


Type = Union[BoolType, NumberType, TextType, IndicatorType, EnumType, ListType, RecordType]


# ---- declarations ------------------------------------------------------------

@attrs.frozen
class HeaderField:
    key: str
    value: str
    span: Span = _span()


@attrs.frozen
class StandardHeader:
    """`standard name "title" { document "…" version "…" … }`."""

    name: str
    label: str
    items: tuple[Union[HeaderField, Comment], ...]
    span: Span = _span()

    def field(self, key: str) -> str | None:
        return next((i.value for i in self.items if isinstance(i, HeaderField) and i.key == key), None)


@attrs.frozen
class Import:
    path: str
    span: Span = _span()


@attrs.frozen
class Input:
    name: str
    label: str | None
    clause: str | None
    type: Type
    range: Interval | None = None
    optional: bool = False
    default: Expr | None = None
    length: tuple[int, int] | None = None
    alias: str | None = None  # another key the data may use (`cafc_actual` for `cafc_actual_given`)
    span: Span = _span()


@attrs.frozen
class MapEntry:
    key: Expr
    value: Expr
    span: Span = _span()


@attrs.frozen
class MapValue:
    items: tuple[Union[MapEntry, Comment], ...]
    span: Span = _span()

    @property
    def entries(self) -> tuple[MapEntry, ...]:
        return tuple(i for i in self.items if isinstance(i, MapEntry))


@attrs.frozen
class Param:
    name: str
    label: str | None
    clause: str | None
    value: Union[Expr, MapValue]
    span: Span = _span()


@attrs.frozen
class Let:
    """A derived value; `exported` (`result`) puts it in the results."""

    name: str
    label: str | None
    clause: str | None
    expr: Expr
    exported: bool = False
    span: Span = _span()


@attrs.frozen
class HitItem:
    policy: str  # first | unique | sum
    span: Span = _span()


@attrs.frozen
class VetoedItem:
    """In a grade table: the grade given when a veto fails."""

    label: str
    clause: str | None
    span: Span = _span()


TableItem = Union[Row, HitItem, VetoedItem, Comment]


class _TableBody:
    """What table and grade declarations share: a header row and data rows."""

    items: tuple

    @property
    def header(self) -> Row | None:
        return next((i for i in self.items if isinstance(i, Row) and i.is_header), None)

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(i for i in self.items if isinstance(i, Row) and not i.is_header)

    @property
    def condition_columns(self) -> tuple[str, ...]:
        head = self.header
        if head is None:
            return ()
        names = []
        for cell in head.cells:
            if isinstance(cell, OutputHead):
                break
            if isinstance(cell, ExprCell) and isinstance(cell.expr, Name):
                names.append(cell.expr.id)
            else:
                names.append("?")
        return tuple(names)

    @property
    def output_columns(self) -> tuple[str, ...]:
        head = self.header
        if head is None:
            return ()
        out = []
        seen = False
        for cell in head.cells:
            if isinstance(cell, OutputHead):
                seen = True
                out.append(cell.name)
            elif seen:
                out.append(cell.expr.id if isinstance(cell, ExprCell) and isinstance(cell.expr, Name) else "?")
        return tuple(out)

    @property
    def hit_policy(self) -> str:
        return next((i.policy for i in self.items if isinstance(i, HitItem)), "unique")


@attrs.frozen
class Table(_TableBody):
    """A band or decision table with an explicit hit policy."""

    name: str
    label: str | None
    clause: str | None
    items: tuple[TableItem, ...]
    span: Span = _span()


@attrs.frozen
class Grade(_TableBody):
    """The grading of the total (表28): a unique-hit table plus the veto grade."""

    name: str
    label: str | None
    clause: str | None
    items: tuple[TableItem, ...]
    span: Span = _span()

    @property
    def vetoed(self) -> VetoedItem | None:
        return next((i for i in self.items if isinstance(i, VetoedItem)), None)


@attrs.frozen
class AppliesWhen:
    """`applies when cond`: otherwise the rule is not evaluated (not scored as 0)."""

    cond: Expr
    clause: str | None
    span: Span = _span()


@attrs.frozen
class PointsItem:
    value: Number
    span: Span = _span()


@attrs.frozen
class ScoreItem:
    expr: Expr
    span: Span = _span()


@attrs.frozen
class LevelItem:
    expr: Expr
    span: Span = _span()


@attrs.frozen
class BonusItem:
    name: str
    span: Span = _span()


IndicatorItem = Union[PointsItem, ScoreItem, LevelItem, BonusItem, AppliesWhen, Comment]


def _first(items, kind):
    return next((i for i in items if isinstance(i, kind)), None)


@attrs.frozen
class Indicator:
    """A scored indicator of the 一级/二级/三级 hierarchy, with its points ceiling."""

    name: str
    label: str | None
    clause: str | None
    items: tuple[IndicatorItem, ...]
    span: Span = _span()

    @property
    def points(self) -> Fraction | None:
        item = _first(self.items, PointsItem)
        return item.value.value if item else None

    @property
    def score(self) -> Expr | None:
        item = _first(self.items, ScoreItem)
        return item.expr if item else None

    @property
    def level(self) -> Expr | None:
        item = _first(self.items, LevelItem)
        return item.expr if item else None

    @property
    def bonuses(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if isinstance(i, BonusItem))

    @property
    def applies(self) -> tuple[AppliesWhen, ...]:
        return tuple(i for i in self.items if isinstance(i, AppliesWhen))


@attrs.frozen
class Bonus:
    """`bonus name "label" § c when cond multiply factor cap points`."""

    name: str
    label: str | None
    clause: str | None
    when: Expr
    factor: Expr
    span: Span = _span()


@attrs.frozen
class RequireItem:
    expr: Expr
    span: Span = _span()


class _Conditions:
    """What vetoes and validations share: `require` conditions and `applies when`."""

    items: tuple

    @property
    def requires(self) -> tuple[Expr, ...]:
        return tuple(i.expr for i in self.items if isinstance(i, RequireItem))

    @property
    def applies(self) -> tuple[AppliesWhen, ...]:
        return tuple(i for i in self.items if isinstance(i, AppliesWhen))


@attrs.frozen
class Veto(_Conditions):
    """A compliance condition (一票否决): when it fails, the grade is the veto grade."""

    name: str
    label: str | None
    clause: str | None
    items: tuple[Union[RequireItem, AppliesWhen, Comment], ...]
    span: Span = _span()


@attrs.frozen
class Validate(_Conditions):
    """A condition on the data itself: when it fails, the data is invalid."""

    name: str
    label: str | None
    clause: str | None
    items: tuple[Union[RequireItem, AppliesWhen, Comment], ...]
    span: Span = _span()


@attrs.frozen
class ExcludingItem:
    """`excluding not_applicable`: indicators the experts judged not applicable."""

    name: str
    clause: str | None
    span: Span = _span()


@attrs.frozen
class Total:
    """The comprehensive value S = Σ Xᵢ, normalised when indicators are not evaluated."""

    name: str
    label: str | None
    clause: str | None
    items: tuple[Union[PointsItem, ExcludingItem, Comment], ...]
    span: Span = _span()

    @property
    def points(self) -> Fraction | None:
        item = _first(self.items, PointsItem)
        return item.value.value if item else None

    @property
    def excluding(self) -> ExcludingItem | None:
        return _first(self.items, ExcludingItem)


@attrs.frozen
class DataItem:
    path: str
    span: Span = _span()


@attrs.frozen
class ExpectItem:
    target: Expr
    value: Union[Expr, Null, NotEvaluatedLiteral]
    span: Span = _span()


@attrs.frozen
class Example:
    """An example applicant beside the rules, with the results it must give."""

    name: str
    label: str | None
    items: tuple[Union[DataItem, ExpectItem, Comment], ...]
    span: Span = _span()

    @property
    def data(self) -> str | None:
        item = _first(self.items, DataItem)
        return item.path if item else None

    @property
    def expectations(self) -> tuple[ExpectItem, ...]:
        return tuple(i for i in self.items if isinstance(i, ExpectItem))


@attrs.frozen
class Group:
    """A heading of the indicator hierarchy (一级/二级指标); may restrict applicability."""

    name: str
    label: str | None
    clause: str | None
    items: tuple[Decl | AppliesWhen | Comment, ...]
    span: Span = _span()

    @property
    def applies(self) -> tuple[AppliesWhen, ...]:
        return tuple(i for i in self.items if isinstance(i, AppliesWhen))


@attrs.frozen
class Derive:
    """Values computed for each record of the input list `name` (for which `where`
    holds), read as fields of its records (`m.model_credit`); its `result`s are
    listed per record in the results, identified by the record's `key` field."""

    name: str  # the input list
    label: str | None
    clause: str | None
    var: str
    where: Expr | None
    key: str | None
    items: tuple[Union[Let, Comment], ...]
    span: Span = _span()

    @property
    def lets(self) -> tuple[Let, ...]:
        return tuple(i for i in self.items if isinstance(i, Let))


@attrs.frozen
class Override:
    """`override <declaration>`: in a later version, replaces the imported
    declaration of the same name (a version is its base plus changes)."""

    decl: object
    span: Span = _span()

    @property
    def name(self) -> str:
        return self.decl.name


Decl = Union[StandardHeader, Import, Input, Param, Let, Table, Grade, Group,
             Indicator, Bonus, Veto, Validate, Total, Example, Derive, Override]

NAMED_DECLS = (Input, Param, Let, Table, Grade, Group, Indicator, Bonus, Veto, Validate, Total, Example)


@attrs.frozen
class RuleFile:
    path: str
    items: tuple[Decl | Comment, ...]
    span: Span = _span()

    @property
    def header(self) -> StandardHeader | None:
        return _first(self.items, StandardHeader)

    @property
    def imports(self) -> tuple[Import, ...]:
        return tuple(i for i in self.items if isinstance(i, Import))


Node = Union[Expr, Decl, Type, Interval, Cell, Row, Comment, RuleFile]


def children(node) -> Iterator:
    """The direct child nodes of `node`, in field order."""
    for field in attrs.fields(type(node)):
        if field.name == "span":
            continue
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            for v in value:
                if attrs.has(type(v)):
                    yield v
        elif attrs.has(type(value)):
            yield value


def walk(node) -> Iterator:
    """`node` and all its descendants, depth first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


def declarations(items) -> Iterator[Decl]:
    """Every declaration in `items`, looking inside groups; comments skipped."""
    for item in items:
        if isinstance(item, Comment) or isinstance(item, AppliesWhen):
            continue
        if isinstance(item, Override):
            item = item.decl
        yield item
        if isinstance(item, Group):
            yield from declarations(item.items)
