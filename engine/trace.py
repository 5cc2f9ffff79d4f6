"""Explanation traces as data.

The evaluator records one `TraceNode` per step: a veto, an indicator, a
derived value, a table with every row it tested, a bonus, the total and its
normalisation, the grade. Each node says which rule (name, label, clause,
span), what it read (names with their values and units), and what it gave.
A value needed by several rules is derived once, under the first rule that
needed it; later readers list it among their `reads`. Rendering lives in
engine/render.py; this module only builds the tree.

`Tracer` builds nodes with a context manager; `NullTracer` has the same
interface and records nothing, so evaluation without a trace costs nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from enum import Enum

import attrs

from dsl.source import NO_SPAN, Span


class StepKind(str, Enum):
    EVALUATION = "evaluation"
    GROUP = "group"
    VETO = "veto"
    VALIDATE = "validate"
    INDICATOR = "indicator"
    VALUE = "value"
    TABLE = "table"
    ROW_MATCHED = "row_matched"
    ROW_REJECTED = "row_rejected"
    ROW_UNDECIDED = "row_undecided"
    BONUS = "bonus"
    CAP = "cap"
    TOTAL = "total"
    NORMALISED = "normalised"
    GRADE = "grade"
    RECORD = "record"
    NOT_EVALUATED = "not_evaluated"
    ERROR = "error"


@attrs.frozen
class Read:
    """A named value a step used: an input, a parameter or another step."""

    name: str
    value: object
    unit: str | None = None


@attrs.frozen
class TraceNode:
    kind: StepKind
    name: str
    label: str | None
    clause: str | None
    value: object
    detail: str = ""
    reads: tuple[Read, ...] = ()
    children: tuple[TraceNode, ...] = ()
    unit: str | None = None
    span: Span = attrs.field(default=NO_SPAN, eq=False, repr=False)

    def find(self, name: str) -> TraceNode | None:
        """The first node with this name, depth first."""
        if self.name == name:
            return self
        for child in self.children:
            found = child.find(name)
            if found is not None:
                return found
        return None


@attrs.define
class _OpenNode:
    kind: StepKind
    name: str
    label: str | None
    clause: str | None
    span: Span
    value: object = None
    detail: str = ""
    unit: str | None = None
    reads: list = attrs.Factory(list)
    children: list = attrs.Factory(list)

    def freeze(self) -> TraceNode:
        first_reads: dict[str, Read] = {}
        for read in self.reads:
            first_reads.setdefault(read.name, read)
        return TraceNode(self.kind, self.name, self.label, self.clause, self.value, self.detail,
                         tuple(first_reads.values()), tuple(self.children), self.unit, self.span)


class Tracer:
    """Builds the trace tree as the evaluator opens and closes steps."""

    enabled = True

    def __init__(self):
        self._stack: list[_OpenNode] = [_OpenNode(StepKind.EVALUATION, "", None, None, NO_SPAN)]

    @contextmanager
    def node(self, kind: StepKind, name: str = "", label: str | None = None,
             clause: str | None = None, span: Span = NO_SPAN):
        open_node = _OpenNode(kind, name, label, clause, span)
        self._stack.append(open_node)
        try:
            yield open_node
        except BaseException as exc:
            open_node.children.append(TraceNode(StepKind.ERROR, "", None, None, None, str(exc)))
            raise
        finally:
            self._stack.pop()
            self._stack[-1].children.append(open_node.freeze())

    def leaf(self, kind: StepKind, name: str = "", label: str | None = None, clause: str | None = None,
             value: object = None, detail: str = "", span: Span = NO_SPAN) -> None:
        self._stack[-1].children.append(TraceNode(kind, name, label, clause, value, detail, span=span))

    def read(self, name: str, value: object, unit: str | None = None) -> None:
        self._stack[-1].reads.append(Read(name, value, unit))

    def result(self) -> TraceNode:
        return self._stack[0].freeze()


class _NullNode:
    """Accepts the attribute writes the evaluator makes on an open node."""

    __slots__ = ("value", "detail", "unit")

    def __init__(self):
        self.value = None
        self.detail = ""
        self.unit = None


class NullTracer:
    """The Tracer interface, recording nothing."""

    enabled = False

    @contextmanager
    def node(self, kind, name="", label=None, clause=None, span=NO_SPAN):
        yield _NullNode()

    def leaf(self, *args, **kwargs) -> None:
        pass

    def read(self, name, value, unit=None) -> None:
        pass

    def result(self) -> None:
        return None
