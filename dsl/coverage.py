"""Table coverage: gaps, overlaps and unreachable rows, proved by enumeration.

A table's condition columns each range over a *domain*: an input's declared
type and `range` (a `count` is a whole number ≥ 0), true/false, an enum's
members, the known values of a text (`size_class` is "A", "B" or "C"), or,
for a derived number, the interval dsl/ranges.py bounds it by.

Every condition cell is constant (a literal, `4%`, a parameter), so a column
can be cut into *elementary regions* on which every cell of that column is
either true or false: the points where some cell has a bound, and the open
stretches between consecutive points, clipped to the domain (for whole-number
domains, stretches without a whole number in them are dropped and a whole
number stands for each stretch). One representative per region decides the
cells exactly, so checking every combination of regions, one per column,
decides the whole table. For each column and region we keep the bitmask of
rows whose cell holds there; a depth-first walk over the columns ANDs the
masks, and a combination is a gap when no bit is left, an overlap when two
are (unique tables and grades), and gives the first matching row for `hit
first` tables: a row that is first nowhere is unreachable. The walk stops
early on an empty mask (every continuation is a gap), and gives up, with
`coverage_not_checked`, beyond MAX_COMBINATIONS.

The uncovered (or doubly covered) combinations are merged back into boxes,
one set of regions per column, by repeatedly uniting boxes that differ in
one column only; each box is then written as readable conditions
(`total_score in [70, 72)`, `size_class = "D" and rd_ratio < 1%`).

Columns are treated as independent. That is exact for inputs; for derived
values that depend on each other a reported gap may be impossible in practice
(and the message names it, so the author can judge). Unreachable rows are
never false alarms: the real combinations are a subset of those checked.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from fractions import Fraction

import attrs

from dsl import ast
from dsl.diagnostics import Diagnostic, error, warning
from dsl.ranges import INF, Bounds, EnumName, constant
from dsl.typesys import BoolT, EnumT, NumT, TextT
from dsl.units import format_number

MAX_COMBINATIONS = 200_000
MAX_REGIONS_SHOWN = 3


class _Other:
    """A text value that no cell names (for text columns with no known values)."""

    def __repr__(self) -> str:
        return "OTHER"


OTHER_TEXT = _Other()


@attrs.frozen
class NumberDomain:
    """The numbers a column can take: an interval, of whole numbers only when `integer`."""
    lo: Fraction | float
    lo_closed: bool
    hi: Fraction | float
    hi_closed: bool
    integer: bool

    def contains(self, v) -> bool:
        """Whether the domain holds the number `v`."""
        return (v > self.lo or (self.lo_closed and v == self.lo)) and (v < self.hi or (self.hi_closed and v == self.hi))


@attrs.frozen
class FiniteDomain:
    """The values a column can take when there are finitely many (bool, enum, known text)."""
    values: tuple


@attrs.frozen
class Region:
    """A piece of a column's domain; `sample` decides every cell of the column on it.

    Numeric regions carry their extent (for whole-number domains, the first and
    last whole number); finite ones only the value.
    """

    sample: object
    lo: object = None
    lo_closed: bool = True
    hi: object = None
    hi_closed: bool = True


@attrs.frozen
class Column:
    """A condition column cut into regions; `percent` shows its numbers as percentages."""
    name: str
    regions: tuple[Region, ...]
    numeric: bool
    integer: bool = False
    percent: bool = False


# ---- domains -------------------------------------------------------------------

def domain_of(name: str, symbols, types: dict, bounds: Bounds, cells) -> NumberDomain | FiniteDomain | None:
    """The values a condition column can take; None when coverage cannot reason about it."""
    found = types.get(name)
    if isinstance(found, BoolT):
        return FiniteDomain((True, False))
    if isinstance(found, EnumT):
        return FiniteDomain(tuple(EnumName(m) for m in found.members))
    if isinstance(found, TextT):
        if found.values is not None:
            return FiniteDomain(tuple(sorted(found.values)))
        written = sorted({v for c in cells for v in _cell_constants(c, symbols) if isinstance(v, str)})
        return FiniteDomain(tuple(written) + (OTHER_TEXT,))
    if not isinstance(found, NumT):
        return None
    decl = symbols.decls.get(name)
    if isinstance(decl, ast.Input):
        return _input_domain(decl, symbols, found.integer)
    interval = bounds.of_name(name)
    if interval is None:
        return None
    return NumberDomain(interval.lo, math.isfinite(interval.lo), interval.hi, math.isfinite(interval.hi),
                        found.integer)


def _input_domain(decl: ast.Input, symbols, integer: bool) -> NumberDomain:
    """An input's declared range, with its open and closed ends; a count is ≥ 0.

    A range that is not a proper interval (reported as `bad_range`) is ignored."""
    lo, lo_closed, hi, hi_closed = -INF, False, INF, False
    declared = decl.range
    if declared is not None:
        low = constant(declared.lower, symbols) if declared.lower is not None else None
        high = constant(declared.upper, symbols) if declared.upper is not None else None
        if isinstance(low, Fraction):
            lo, lo_closed = low, declared.lower_closed
        if isinstance(high, Fraction):
            hi, hi_closed = high, declared.upper_closed
        if lo > hi or (lo == hi and not (lo_closed and hi_closed)):
            lo, lo_closed, hi, hi_closed = -INF, False, INF, False
    if integer and lo < 0:
        lo, lo_closed = Fraction(0), True
    return NumberDomain(lo, lo_closed, hi, hi_closed, integer)


def _cell_constants(cell, symbols) -> list:
    """The constant values a condition cell mentions (its bounds)."""
    if isinstance(cell, ast.CompareCell):
        return [constant(cell.value, symbols)]
    if isinstance(cell, ast.IntervalCell):
        return [constant(b, symbols) for b in (cell.interval.lower, cell.interval.upper) if b is not None]
    if isinstance(cell, ast.ExprCell):
        return [constant(cell.expr, symbols)]
    return []


# ---- regions -------------------------------------------------------------------

def number_regions(domain: NumberDomain, bounds) -> tuple[Region, ...]:
    """The elementary regions of a numeric domain cut at `bounds`."""
    points = sorted(set(bounds) | {b for b in (domain.lo, domain.hi) if math.isfinite(b)})
    regions: list[Region] = []
    previous = -INF
    for p in points + [INF]:
        regions.extend(_open_region(domain, previous, p))
        if p != INF and domain.contains(p) and (not domain.integer or p.denominator == 1):
            regions.append(Region(p, p, True, p, True))
        previous = p
    return tuple(regions)


def _open_region(domain: NumberDomain, a, b) -> list[Region]:
    """The region strictly between two consecutive cut points, if the domain has any of it."""
    if domain.integer:
        first = math.floor(a) + 1 if math.isfinite(a) else -INF
        last = math.ceil(b) - 1 if math.isfinite(b) else INF
        if math.isfinite(domain.lo):
            first = max(first, math.ceil(domain.lo) if domain.lo_closed else math.floor(domain.lo) + 1)
        if math.isfinite(domain.hi):
            last = min(last, math.floor(domain.hi) if domain.hi_closed else math.ceil(domain.hi) - 1)
        if first > last:
            return []
        sample = first if math.isfinite(first) else last if math.isfinite(last) else 0
        return [Region(Fraction(sample), _exact(first), math.isfinite(first), _exact(last), math.isfinite(last))]
    if math.isfinite(a) and math.isfinite(b):
        sample = (a + b) / 2
    elif math.isfinite(b):
        sample = b - 1
    elif math.isfinite(a):
        sample = a + 1
    else:
        sample = Fraction(0)
    return [Region(sample, a, False, b, False)] if domain.contains(sample) else []


def _exact(x):
    """Whole-number region ends as Fractions (±∞ stays a float)."""
    return Fraction(x) if isinstance(x, int) else x


def _adjacent(column: Column, a: Region, b: Region) -> bool:
    """Whether two consecutive regions touch, so a description can join them."""
    if column.integer:
        return a.hi + 1 == b.lo
    return a.hi == b.lo


# ---- cells ----------------------------------------------------------------------

def cell_holds(cell, value, symbols) -> bool:
    """Whether a (constant) condition cell holds for a column value."""
    match cell:
        case ast.AnyCell():
            return True
        case ast.CompareCell(op=op, value=bound):
            c = constant(bound, symbols)
            if op == "=":
                return value == c
            if op == "!=":
                return value != c
            return _ordered(value, op, c)
        case ast.IntervalCell(interval=iv):
            low = constant(iv.lower, symbols) if iv.lower is not None else None
            high = constant(iv.upper, symbols) if iv.upper is not None else None
            above = low is None or _ordered(value, ">=" if iv.lower_closed else ">", low)
            below = high is None or _ordered(value, "<=" if iv.upper_closed else "<", high)
            return above and below
        case ast.ExprCell(expr=expr):
            return value == constant(expr, symbols)
    return False


def _ordered(value, op: str, bound) -> bool:
    """An ordering comparison; false for values that are not numbers."""
    if not isinstance(value, Fraction) or not isinstance(bound, Fraction):
        return False
    return {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound}[op]


# ---- the walk ------------------------------------------------------------------------

Box = tuple[frozenset, ...]


@attrs.frozen
class Analysis:
    """What the walk found: merged gap and overlap boxes, and which rows come first where."""
    gaps: list[Box]
    overlaps: dict[tuple[int, int], list[Box]]
    first: dict[int, set[int]]  # row → rows that were first where it matched (itself if reachable)
    matched: set[int]


def analyze(columns: list[Column], masks: list[list[int]], row_count: int, want_overlaps: bool) -> Analysis | None:
    """Walk every combination of regions; None when there are more than MAX_COMBINATIONS."""
    if math.prod(len(c.regions) for c in columns) > MAX_COMBINATIONS:
        return None
    everything = [frozenset(range(len(c.regions))) for c in columns]
    gaps: list[Box] = []
    overlaps: dict[tuple[int, int], list[Box]] = defaultdict(list)
    first: dict[int, set[int]] = defaultdict(set)
    matched: set[int] = set()

    def walk(depth: int, mask: int, prefix: tuple) -> None:
        """Visit the combinations below `prefix`; `mask` holds the rows still matching."""
        if mask == 0:
            gaps.append(prefix + tuple(everything[depth:]))
            return
        if depth == len(columns):
            rows = _bits(mask)
            matched.update(rows)
            for r in rows:
                first[r].add(rows[0])
            if want_overlaps:
                for pair in itertools.combinations(rows, 2):
                    overlaps[pair].append(prefix)
            return
        for index, region_mask in enumerate(masks[depth]):
            walk(depth + 1, mask & region_mask, prefix + (frozenset({index}),))

    walk(0, (1 << row_count) - 1, ())
    return Analysis(merge(gaps), {pair: merge(boxes) for pair, boxes in overlaps.items()}, first, matched)


def _bits(mask: int) -> list[int]:
    """The row indices set in a mask, lowest first."""
    rows = []
    while mask:
        low = mask & -mask
        rows.append(low.bit_length() - 1)
        mask ^= low
    return rows


def merge(boxes: list[Box]) -> list[Box]:
    """Unite boxes that differ in one column only, until nothing changes."""
    current = set(boxes)
    width = len(boxes[0]) if boxes else 0
    changed = True
    while changed:
        changed = False
        for c in range(width):
            grouped: dict[tuple, frozenset] = defaultdict(frozenset)
            for box in current:
                key = box[:c] + box[c + 1:]
                grouped[key] = grouped[key] | box[c]
            merged = {key[:c] + (regions,) + key[c:] for key, regions in grouped.items()}
            if len(merged) < len(current):
                changed = True
            current = merged
    return sorted(current, key=lambda box: tuple(sorted(s) for s in box))


# ---- describing regions ------------------------------------------------------------------

def describe_box(columns: list[Column], box: Box) -> str:
    """A box of regions as conditions: `size_class = "A" and rd_ratio < 1%`."""
    parts = []
    for column, chosen in zip(columns, box):
        if len(chosen) == len(column.regions):
            continue
        parts.append(_describe_column(column, sorted(chosen)))
    if not parts:
        return "any values" if columns else "anything"
    if len(parts) > 1:
        parts = [f"({p})" if " or " in p else p for p in parts]
    return " and ".join(parts)


def _describe_column(column: Column, chosen: list[int]) -> str:
    """Some regions of one column as conditions, joining runs of adjacent regions."""
    regions = [column.regions[i] for i in chosen]
    if not column.numeric:
        values = [_show_value(r.sample) for r in regions]
        return f"{column.name} = {values[0]}" if len(values) == 1 else f"{column.name} in ({', '.join(values)})"
    runs: list[list[Region]] = []
    for region in regions:
        if runs and _adjacent(column, runs[-1][-1], region):
            runs[-1].append(region)
        else:
            runs.append([region])
    return " or ".join(_describe_run(column, run[0], run[-1]) for run in runs)


def _describe_run(column: Column, start: Region, end: Region) -> str:
    """A run of adjacent regions as one condition: `x = 3`, `x < 60`, `x in [5%, 6%)`."""
    name = column.name

    def show(v):
        return format_number(Fraction(v), column.percent)

    lo, lo_closed, hi, hi_closed = start.lo, start.lo_closed, end.hi, end.hi_closed
    if lo == hi:
        return f"{name} = {show(lo)}"
    if not math.isfinite(lo) and not math.isfinite(hi):
        return f"{name} is any number"
    if not math.isfinite(lo):
        return f"{name} {'≤' if hi_closed else '<'} {show(hi)}"
    if not math.isfinite(hi):
        return f"{name} {'≥' if lo_closed else '>'} {show(lo)}"
    return f"{name} in {'[' if lo_closed else '('}{show(lo)}, {show(hi)}{']' if hi_closed else ')'}"


def _show_value(value) -> str:
    """A finite-domain value as the rules write it."""
    if value is OTHER_TEXT:
        return "another text"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _rows(indices: list[int]) -> str:
    """`row 2` or `rows 1, 3`."""
    return f"row {indices[0] + 1}" if len(indices) == 1 else "rows " + ", ".join(str(i + 1) for i in indices)


def _describe_boxes(columns: list[Column], boxes: list[Box]) -> str:
    """The first few boxes, and how many more there are."""
    shown = "; ".join(describe_box(columns, b) for b in boxes[:MAX_REGIONS_SHOWN])
    more = len(boxes) - MAX_REGIONS_SHOWN
    return shown + (f"; and {more} more region(s)" if more > 0 else "")


def _gap_neighbours(columns: list[Column], masks, gaps: list[Box], rows) -> tuple:
    """Notes pointing at the rows on either side of a gap in a one-column numeric
    table (the rows an author most likely edited), in row order."""
    if len(columns) != 1 or not columns[0].numeric:
        return ()
    missing = set().union(*(box[0] for box in gaps))
    bordering = set()
    for piece in missing:
        for neighbour in (piece - 1, piece + 1):
            if 0 <= neighbour < len(masks[0]) and neighbour not in missing:
                bordering |= {r for r in range(len(rows)) if masks[0][neighbour] >> r & 1}
    return tuple((f"row {r + 1} borders the gap", rows[r].span) for r in sorted(bordering))


# ---- one table ------------------------------------------------------------------------------

def check_table(table, symbols, types: dict, bounds: Bounds) -> list[Diagnostic]:
    """Coverage diagnostics for one table or grade with well-formed, constant cells."""
    policy = "unique" if isinstance(table, ast.Grade) else table.hit_policy
    if policy == "sum":
        return []
    names = table.condition_columns
    rows = table.rows
    columns, masks = [], []
    for position, name in enumerate(names):
        cells = [row.cells[position] for row in rows]
        domain = domain_of(name, symbols, types, bounds, cells)
        if domain is None:
            return []
        if isinstance(domain, FiniteDomain):
            column = Column(name, tuple(Region(v) for v in domain.values), numeric=False)
        else:
            cuts = [v for c in cells for v in _cell_constants(c, symbols) if isinstance(v, Fraction)]
            percent = getattr(types.get(name), "percent", False) or any(
                isinstance(n, ast.Number) and n.is_percent for c in cells for n in ast.walk(c))
            column = Column(name, number_regions(domain, cuts), True, domain.integer, percent)
        columns.append(column)
        masks.append([sum(1 << r for r, cell in enumerate(cells) if cell_holds(cell, region.sample, symbols))
                      for region in column.regions])
    analysis = analyze(columns, masks, len(rows), want_overlaps=policy == "unique")
    kind = "grade" if isinstance(table, ast.Grade) else "table"
    if analysis is None:
        return [warning("coverage_not_checked", f"{kind} `{table.name}` has too many combinations of column "
                        f"values to check its coverage", table.span,
                        f"more than {MAX_COMBINATIONS}; split it into smaller tables to have it checked")]
    found = []
    if analysis.gaps:
        found.append(error("table_gap", f"no row matches {_describe_boxes(columns, analysis.gaps)}", table.span,
                           "add a row for these values, or end a `hit first` table with a catch-all row "
                           "of `-` cells", _gap_neighbours(columns, masks, analysis.gaps, rows)))
    overlapping: dict[int, list[tuple[int, list[Box]]]] = defaultdict(list)
    for (a, b), boxes in sorted(analysis.overlaps.items()):
        overlapping[b].append((a, boxes))
    for b, pairs in sorted(overlapping.items()):
        # one error per row, at the row that overlaps one above it
        a, boxes = pairs[0]
        notes = ((f"row {a + 1} is here", rows[a].span),) + tuple(
            (f"row {other + 1} also overlaps row {b + 1}", rows[other].span) for other, _ in pairs[1:])
        found.append(error("table_overlap", f"rows {a + 1} and {b + 1} both match {_describe_boxes(columns, boxes)}",
                           rows[b].span, "make the rows' conditions disjoint, or use `hit first` and order the rows",
                           notes))
    for r, row in enumerate(rows):
        if r not in analysis.matched:
            found.append(warning("unreachable_row", f"row {r + 1} matches no possible value of its columns",
                                 row.span, "check its bounds against the columns' declared ranges and values"))
        elif policy == "first" and r not in analysis.first[r]:
            earlier = sorted(analysis.first[r])
            notes = tuple((f"row {e + 1} matches first", rows[e].span) for e in earlier[:MAX_REGIONS_SHOWN])
            found.append(warning("unreachable_row", f"row {r + 1} is never the first match: "
                                 f"{_rows(earlier)} above it already "
                                 f"match{'es' if len(earlier) == 1 else ''} every value it matches", row.span,
                                 "remove it, or move it above the rows that hide it", notes))
    return found
