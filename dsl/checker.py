"""The static checker: everything that can be proved about a rule set before data.

`check(ruleset)` runs the sub-checks in CHECKS over one shared `Context` and
returns a `CheckedRules`: the rule set untouched, its symbol table, the type
of every named value, and every diagnostic, sorted by position. It never
raises for a mistake in the rules and never mutates the tree; the CLI turns
error diagnostics into exit code 3, and the evaluator refuses rules with errors.

Each sub-check is a function `check_<concern>(ctx) -> diagnostics` with a
fixture file `tests/check/<concern>.rules`. They run in the order of CHECKS,
which matters in one way only: check_types fills `ctx.types`, which the later
proofs (coverage, score bounds) read, and those proofs skip any table or score
that already has an error, so one mistake is not reported three times.

The heavier machinery lives beside this module: type and unit inference in
dsl/typecheck.py (units in dsl/units.py), interval bounds in dsl/ranges.py,
table coverage in dsl/coverage.py.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Iterator

import attrs

from dsl import ast
from dsl.coverage import check_table
from dsl.diagnostics import Diagnostic, did_you_mean, error, sorted_and_capped, warning
from dsl.loader import RuleSet
from dsl.ranges import Bounds, constant
from dsl.symbols import SymbolTable, build_symbols
from dsl.typecheck import Typer
from dsl.typesys import Ty
from dsl.units import format_number


@attrs.frozen
class CheckedRules:
    """A rule set with what the checker learned about it."""

    ruleset: RuleSet
    symbols: SymbolTable
    types: dict[str, Ty] = attrs.field(eq=False)
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The error diagnostics: any of them makes the rules unfit to evaluate."""
        return tuple(d for d in self.diagnostics if d.is_error)


@attrs.define
class Context:
    """What the sub-checks share: the rules, their symbols, and what earlier checks found."""

    ruleset: RuleSet
    symbols: SymbolTable
    bounds: Bounds
    types: dict[str, Ty] = attrs.field(factory=dict)
    found: list[Diagnostic] = attrs.field(factory=list)

    def declarations(self) -> Iterator:
        """Every named declaration, duplicates included, in source order."""
        return (d for d in self.ruleset.declarations() if isinstance(d, ast.NAMED_DECLS))

    def has_error_within(self, span) -> bool:
        """Whether an earlier check reported an error inside `span` (later proofs then skip it)."""
        return any(d.is_error and d.span.path == span.path
                   and span.start.offset <= d.span.start.offset < max(span.end.offset, span.start.offset + 1)
                   for d in self.found)


def check(ruleset: RuleSet) -> CheckedRules:
    """Check a loaded rule set; the diagnostics say what is wrong, nothing raises."""
    symbols = build_symbols(ruleset.files)
    ctx = Context(ruleset, symbols, Bounds(symbols))
    for sub_check in CHECKS:
        ctx.found.extend(sub_check(ctx))
    ordered, _ = sorted_and_capped(ctx.found, limit=sys.maxsize)
    return CheckedRules(ruleset, symbols, ctx.types, tuple(ordered))


# ---- names ------------------------------------------------------------------------

def check_duplicates(ctx: Context) -> Iterator[Diagnostic]:
    """A name declared twice, and the same name twice in one enum, record, lookup
    table or table header (`duplicate_name`); an item given twice in one block
    (`duplicate_item`: two `points`, two `score`, the same bonus twice)."""
    for first, later in ctx.symbols.duplicates:
        yield error("duplicate_name", f"`{later.name}` is already declared", later.span,
                    "rename one of them: all names of a rule set share one namespace",
                    ((f"first declared here as {_kind(first)}", first.span),))
    keys: dict[str, ast.Input] = {}
    for decl in ctx.symbols.inputs.values():
        keys.setdefault(decl.name, decl)
    for decl in ctx.symbols.inputs.values():
        if decl.alias is not None:
            other = keys.get(decl.alias)
            if other is not None and other is not decl:
                yield error("duplicate_name", f"alias `{decl.alias}` of `{decl.name}` is already the input `{other.name}`",
                            decl.span, "data could not tell the two apart; choose another alias")
            keys.setdefault(decl.alias, decl)
    for orphan in ctx.symbols.orphan_overrides:
        yield error("override_without_base", f"`override {orphan.name}`: no imported file declares `{orphan.name}`",
                    orphan.span, did_you_mean(orphan.name, ctx.symbols.decls) or
                    "import the base version first, or drop `override` to declare something new")
    for replaced, override in ctx.symbols.overrides:
        if type(replaced) is not type(override.decl):
            yield error("override_kind_mismatch", f"`{override.name}` is {_kind(replaced)} in the base version, "
                        f"but the override is {_kind(override.decl)}", override.span, None,
                        (("the base declaration", replaced.span),))
    for later in ctx.symbols.derive_duplicates:
        first = ctx.symbols.derives[later.name]
        yield error("duplicate_name", f"`{later.name}` already has a derive block", later.span,
                    "put all values derived for its records in one block", (("the first one", first.span),))
    for block in ctx.symbols.derives.values():
        target = ctx.symbols.decls.get(block.name)
        if not isinstance(target, ast.Input):
            yield error("undefined_name", f"`derive {block.name}`: there is no input list `{block.name}`", block.span,
                        did_you_mean(block.name, ctx.symbols.inputs))
        yield from _twice(block.lets, lambda let: let.name, "derived value")
    for decl in ctx.declarations():
        # a group's nested declarations come up on their own
        for node in ast.walk(decl) if not isinstance(decl, ast.Group) else ():
            if isinstance(node, ast.EnumType):
                yield from _twice(node.values, lambda v: v.name, "enum value")
            elif isinstance(node, ast.RecordType):
                yield from _twice(node.fields, lambda f: f.name, "record field")
            elif isinstance(node, ast.MapValue):
                yield from _twice(node.entries, lambda e: _key_text(e.key), "key")
        if isinstance(decl, (ast.Table, ast.Grade)) and decl.header is not None:
            named = [c for c in decl.header.cells if isinstance(c, ast.OutputHead)
                     or isinstance(c, ast.ExprCell) and isinstance(c.expr, ast.Name)]
            yield from _twice(named, lambda c: c.name if isinstance(c, ast.OutputHead) else c.expr.id, "column")
        yield from _twice_items(decl)


def _twice(nodes, name_of, what: str) -> Iterator[Diagnostic]:
    """`duplicate_name` for each node whose name an earlier node already has."""
    seen: dict[str, object] = {}
    for node in nodes:
        name = name_of(node)
        if name in seen:
            yield error("duplicate_name", f"{what} `{name}` appears twice", node.span, None,
                        (("first here", seen[name].span),))
        else:
            seen[name] = node


def _twice_items(decl) -> Iterator[Diagnostic]:
    """`duplicate_item` for a block item that may appear once (or a bonus listed twice)."""
    single = (ast.PointsItem, ast.ScoreItem, ast.LevelItem, ast.HitItem, ast.VetoedItem, ast.ExcludingItem,
              ast.DataItem)
    seen: dict[object, object] = {}
    for item in getattr(decl, "items", ()):
        key = item.name if isinstance(item, ast.BonusItem) else type(item) if isinstance(item, single) else None
        if key is None:
            continue
        if key in seen:
            yield error("duplicate_item", f"{_item_word(item)} is given twice in `{decl.name}`", item.span,
                        "keep one of them", (("first here", seen[key].span),))
        else:
            seen[key] = item


def _item_word(item) -> str:
    """How a message names a block item."""
    if isinstance(item, ast.BonusItem):
        return f"bonus `{item.name}`"
    return {ast.PointsItem: "`points`", ast.ScoreItem: "`score`", ast.LevelItem: "`level`", ast.HitItem: "`hit`",
            ast.VetoedItem: "`vetoed`", ast.ExcludingItem: "`excluding`", ast.DataItem: "`data`"}[type(item)]


def check_references(ctx: Context) -> Iterator[Diagnostic]:
    """Names that declarations (not expressions) refer to: an indicator's bonuses
    (`bad_bonus`), the total's `excluding` input (`bad_excluding`), and a table
    header's condition columns (`unknown_table_column`). Names inside
    expressions are resolved by check_types."""
    decls = ctx.symbols.decls
    for decl in ctx.declarations():
        if isinstance(decl, ast.Indicator):
            for item in decl.items:
                if isinstance(item, ast.BonusItem):
                    target = decls.get(item.name)
                    bonuses = [d.name for d in ctx.symbols.of_kind(ast.Bonus)]
                    if target is None:
                        yield error("undefined_name", f"bonus `{item.name}` is not declared", item.span,
                                    did_you_mean(item.name, bonuses))
                    elif not isinstance(target, ast.Bonus):
                        yield error("bad_bonus", f"`{item.name}` is {_kind(target)}, not a bonus", item.span,
                                    did_you_mean(item.name, bonuses) or "declare it with `bonus`")
        elif isinstance(decl, ast.Total) and decl.excluding is not None:
            item = decl.excluding
            target = decls.get(item.name)
            if target is None:
                yield error("undefined_name", f"`{item.name}` is not declared", item.span,
                            did_you_mean(item.name, ctx.symbols.inputs))
            elif not (isinstance(target, ast.Input) and isinstance(target.type, ast.ListType)
                      and isinstance(target.type.element, ast.IndicatorType)):
                yield error("bad_excluding", f"`excluding` names an input of type `list of indicator`, but "
                            f"`{item.name}` is {_kind(target)}", item.span,
                            f"declare `input {item.name} : list of indicator optional default []`")
        elif isinstance(decl, (ast.Table, ast.Grade)) and decl.header is not None:
            for name, cell in zip(decl.condition_columns, decl.header.cells):
                if name != "?" and name not in decls:
                    yield error("unknown_table_column", f"column `{name}` is not a declared value", cell.span,
                                did_you_mean(name, decls) or "a condition column names an input or a derived value")


def check_types(ctx: Context) -> list[Diagnostic]:
    """Infer the type and unit of every named value and expression (dsl/typecheck.py):
    undefined names, unknown fields and enum values, incomplete lookups, type and
    unit mismatches. Fills `ctx.types` for the checks after it."""
    found: list[Diagnostic] = []
    ctx.types = Typer(ctx.symbols, found.append).run()
    return found


def check_cycles(ctx: Context) -> Iterator[Diagnostic]:
    """Values that depend on themselves through lets, tables, indicators and the total
    (`dependency_cycle`); each cycle is named once, at its first declaration."""
    graph = {name: [r for r in _dependencies(ctx, decl) if r in ctx.symbols.decls]
             for name, decl in ctx.symbols.decls.items()}
    position = {name: i for i, name in enumerate(ctx.symbols.order)}
    for component in _strongly_connected(graph):
        start = min(component, key=position.get)
        if len(component) == 1 and start not in graph[start]:
            continue
        path = _cycle_path(graph, start, set(component))
        decl = ctx.symbols.decls[start]
        notes = tuple((f"`{n}` is declared here", ctx.symbols.decls[n].span) for n in dict.fromkeys(path[1:-1]))
        yield error("dependency_cycle", f"dependency cycle: {' → '.join(path)}", decl.span,
                    "a value cannot depend on itself; break the cycle", notes)


def _dependencies(ctx: Context, decl) -> Iterator[str]:
    """The declared names a declaration's value needs."""
    groups = ctx.symbols.groups_of.get(decl.name, ())
    inherited = [a.cond for g in groups for a in g.applies]
    match decl:
        case ast.Table() | ast.Grade():
            yield from (c for c in decl.condition_columns if c != "?")
            for row in decl.rows:
                yield from (n.id for n in free_names(row))
            if isinstance(decl, ast.Grade):
                yield from (v.name for v in ctx.symbols.vetoes)
        case ast.Indicator():
            yield from decl.bonuses
        case ast.Total():
            yield from (i.name for i in ctx.symbols.indicators)
            if decl.excluding is not None:
                yield decl.excluding.name
    if isinstance(decl, (ast.Table, ast.Grade, ast.Total, ast.Example)):
        return
    for node in inherited + [decl]:
        yield from (n.id for n in free_names(node))


def free_names(node, bound: frozenset = frozenset()) -> Iterator[ast.Name]:
    """Name nodes that refer to declarations: not loop variables, map keys or header cells."""
    match node:
        case ast.Name(id=name):
            if name not in bound:
                yield node
        case ast.Aggregate():
            yield from free_names(node.source, bound)
            inner = bound | {node.var}
            if node.where is not None:
                yield from free_names(node.where, inner)
            yield from free_names(node.body, inner)
        case ast.MapEntry():
            yield from free_names(node.value, bound)
        case ast.Row() if node.is_header:
            return
        case ast.Group():  # its own conditions; the declarations inside it stand alone
            for item in node.items:
                if isinstance(item, ast.AppliesWhen):
                    yield from free_names(item, bound)
        case _:
            for child in ast.children(node):
                yield from free_names(child, bound)


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (rule sets may chain many lets)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph[succ])))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _cycle_path(graph, start: str, members: set[str]) -> list[str]:
    """A shortest path from `start` back to itself inside one component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in graph[node]:
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path)) + [start]
                if succ in members and succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    return [start, start]


def check_params(ctx: Context) -> Iterator[Diagnostic]:
    """A param is a constant of the text: it may use literals, other params and enum
    values, never an input or a value derived from one (`param_not_constant`)."""
    for decl in ctx.symbols.of_kind(ast.Param):
        for name in free_names(decl.value):
            target = ctx.symbols.decls.get(name.id)
            if target is not None and not isinstance(target, ast.Param):
                yield error("param_not_constant", f"param `{decl.name}` refers to {_kind(target)} `{name.id}`, "
                            f"so it is not a constant", name.span, "declare it with `let` to compute it from the data")


def check_inputs(ctx: Context) -> Iterator[Diagnostic]:
    """Input options: a `range` applies to numbers and must be a non-empty interval
    with constant bounds (`bad_range`); `length m..n` applies to lists, m ≤ n
    (`bad_length`); a default must lie in the range (`default_out_of_range`)."""
    for decl in ctx.symbols.of_kind(ast.Input):
        yield from _options(ctx, decl)
        record = decl.type.element if isinstance(decl.type, ast.ListType) else decl.type
        if isinstance(record, ast.RecordType):
            for field in record.fields:
                yield from _options(ctx, field)


def _options(ctx: Context, decl) -> Iterator[Diagnostic]:
    """The range, length and default of one input or record field."""
    type_ = decl.type.element if isinstance(decl.type, ast.ListType) else decl.type
    if decl.range is not None:
        interval = decl.range
        low = constant(interval.lower, ctx.symbols) if interval.lower is not None else None
        high = constant(interval.upper, ctx.symbols) if interval.upper is not None else None
        if not isinstance(type_, ast.NumberType):
            yield error("bad_range", f"`range` applies to numbers, but `{decl.name}` is not a number", interval.span)
        elif any(b is not None and not isinstance(v, Fraction) for b, v in
                 ((interval.lower, low), (interval.upper, high))):
            yield error("bad_range", "range bounds must be constant numbers", interval.span)
        elif low is not None and high is not None and (
                low > high or (low == high and not (interval.lower_closed and interval.upper_closed))):
            yield error("bad_range", f"the range of `{decl.name}` is empty", interval.span,
                        "write the lower bound first" if low > high else "close both ends of a one-value range")
        elif decl.default is not None and isinstance(default := constant(decl.default, ctx.symbols), Fraction):
            below = low is not None and (default < low or (default == low and not interval.lower_closed))
            above = high is not None and (default > high or (default == high and not interval.upper_closed))
            if below or above:
                yield error("default_out_of_range", f"the default of `{decl.name}` is outside its range",
                            decl.default.span)
    if decl.length is not None:
        if not isinstance(decl.type, ast.ListType):
            yield error("bad_length", f"`length` applies to lists, but `{decl.name}` is not a list", decl.span)
        elif decl.length[0] > decl.length[1]:
            yield error("bad_length", f"the length {decl.length[0]}..{decl.length[1]} of `{decl.name}` is empty",
                        decl.span)


# ---- tables ---------------------------------------------------------------------------

def check_tables(ctx: Context) -> Iterator[Diagnostic]:
    """The shape of tables and grades: one header row first (`missing_table_header`,
    `misplaced_table_header`), header cells that are names (`bad_table_header`),
    rows as wide as the header (`row_width_mismatch`), values in output cells
    (`bad_output_cell`), constants in condition cells (`non_constant_cell`), at
    least one row (`empty_table`); `hit` only in tables (`hit_in_grade`), `vetoed`
    only in grades (`vetoed_outside_grade`), and a veto grade when vetoes exist
    (`missing_vetoed`)."""
    for decl in ctx.declarations():
        if not isinstance(decl, (ast.Table, ast.Grade)):
            continue
        yield from _table_shape(ctx, decl)
        for item in decl.items:
            if isinstance(item, ast.HitItem) and isinstance(decl, ast.Grade):
                yield error("hit_in_grade", "a grade always has exactly one matching row; it takes no `hit`",
                            item.span, "remove the `hit` line")
            elif isinstance(item, ast.VetoedItem) and isinstance(decl, ast.Table):
                yield error("vetoed_outside_grade", "`vetoed` belongs in a `grade`", item.span,
                            "declare this table with `grade`")
        if isinstance(decl, ast.Grade) and decl.vetoed is None and ctx.symbols.vetoes:
            yield error("missing_vetoed", f"grade `{decl.name}` has no `vetoed` grade, but the rules have vetoes",
                        decl.span, 'add a line such as `vetoed "不予认定" § "7.4.2"`')


def _table_shape(ctx: Context, decl) -> Iterator[Diagnostic]:
    """Header, row widths and cell kinds of one table or grade."""
    rows = [i for i in decl.items if isinstance(i, ast.Row)]
    headers = [r for r in rows if r.is_header]
    if not headers:
        yield error("missing_table_header", f"`{decl.name}` has no header row", decl.span,
                    "start it with a row such as `| column | => points |`")
        return
    if rows[0] is not headers[0]:
        yield error("misplaced_table_header", "the header row must come before the data rows", headers[0].span)
    for extra in headers[1:]:
        yield error("misplaced_table_header", "a table has one header row; `=>` marks its output columns",
                    extra.span, None, (("the header", headers[0].span),))
    head = headers[0]
    for cell in head.cells:
        if not isinstance(cell, ast.OutputHead) and not (isinstance(cell, ast.ExprCell)
                                                         and isinstance(cell.expr, ast.Name)):
            yield error("bad_table_header", "a header cell names a column", cell.span,
                        "write the name of an input or a derived value, and `=> name` for outputs")
    if not decl.rows:
        yield error("empty_table", f"`{decl.name}` has no rows", decl.span)
    width = len(decl.condition_columns)
    wanted = width + len(decl.output_columns)
    for number, row in enumerate(decl.rows, start=1):
        if len(row.cells) != wanted:
            yield error("row_width_mismatch", f"row {number} has {len(row.cells)} cells, but the header has "
                        f"{wanted} columns", row.span)
            continue
        for cell in row.cells[:width]:
            yield from _constant_cell(ctx, cell)
        for cell in row.cells[width:]:
            if not isinstance(cell, ast.ExprCell):
                yield error("bad_output_cell", "an output cell holds a value", cell.span,
                            "`-`, comparisons and intervals only fit condition columns")


def _constant_cell(ctx: Context, cell) -> Iterator[Diagnostic]:
    """`non_constant_cell` for a condition cell that depends on data."""
    if isinstance(cell, ast.CompareCell):
        values = [cell.value]
    elif isinstance(cell, ast.IntervalCell):
        values = [b for b in (cell.interval.lower, cell.interval.upper) if b is not None]
    elif isinstance(cell, ast.ExprCell):
        values = [cell.expr]
    else:
        return
    for value in values:
        if constant(value, ctx.symbols) is None:
            yield error("non_constant_cell", "a condition cell must be a constant", value.span,
                        "use a number, a percentage, a param or an enum value; compute the rest with `let`")


def check_coverage(ctx: Context) -> Iterator[Diagnostic]:
    """Prove that unique and first tables and grades cover their columns' domains
    (`table_gap`), that unique tables and grades never match twice
    (`table_overlap`), and that every row can match (`unreachable_row`); see
    dsl/coverage.py. Tables that already have errors are skipped."""
    for decl in ctx.symbols.of_kind(ast.Table) + ctx.symbols.of_kind(ast.Grade):
        if decl.header is None or ctx.has_error_within(decl.span):
            continue
        yield from check_table(decl, ctx.symbols, ctx.types, ctx.bounds)


# ---- scores ---------------------------------------------------------------------------

def check_scores(ctx: Context) -> Iterator[Diagnostic]:
    """Every indicator has `points` and a `score` (`missing_points`, `missing_score`),
    and its score provably stays within [0, points] (`score_exceeds_points`, by
    interval bounds split on table rows, dsl/ranges.py). Bonuses are not part of
    the proof: they multiply the score and are capped at the points."""
    for decl in ctx.symbols.indicators:
        if decl.points is None:
            yield error("missing_points", f"indicator `{decl.name}` has no `points`", decl.span,
                        "add `points N`: the ceiling the standard's table gives it")
        if decl.score is None:
            yield error("missing_score", f"indicator `{decl.name}` has no `score`", decl.span, "add `score expression`")
        if decl.points is None or decl.score is None or ctx.has_error_within(decl.score.span):
            continue
        bound = ctx.bounds.score(decl.score)
        if bound is None:
            continue
        item = next(i for i in decl.items if isinstance(i, ast.ScoreItem))
        points = format_number(decl.points)
        if bound.hi > decl.points:
            reach = "grow without bound" if bound.hi == float("inf") else f"reach {format_number(bound.hi)}"
            yield error("score_exceeds_points", f"the score of `{decl.name}` can {reach}, above its {points} points",
                        item.span, f"cap it with `min({points}, …)`, or check the points of its bands")
        if bound.lo < 0:
            reach = "fall without bound" if bound.lo == float("-inf") else f"go down to {format_number(bound.lo)}"
            yield error("score_exceeds_points", f"the score of `{decl.name}` can {reach}, below 0", item.span,
                        "floor it with `max(0, …)`")


def check_points_total(ctx: Context) -> Iterator[Diagnostic]:
    """A total's `points` must equal the sum of its indicators' points (`points_do_not_add_up`),
    as table C.4 of a standard adds them up; a total needs `points` (`missing_points`)."""
    indicators = [i for i in ctx.symbols.indicators if i.points is not None]
    total_points = sum((i.points for i in indicators), Fraction(0))
    for decl in ctx.symbols.of_kind(ast.Total):
        if decl.points is None:
            yield error("missing_points", f"total `{decl.name}` has no `points`", decl.span, "add `points 100`")
            continue
        if decl.points != total_points:
            item = next(i for i in decl.items if isinstance(i, ast.PointsItem))
            terms = " + ".join(f"{format_number(i.points)} ({i.name})" for i in indicators) or "0"
            yield error("points_do_not_add_up", f"total `{decl.name}` has points {format_number(decl.points)}, but "
                        f"its indicators' points add up to {format_number(total_points)}", item.span,
                        f"{terms} = {format_number(total_points)}")


# ---- citations -------------------------------------------------------------------------

CLAUSE_REQUIRED = (ast.Indicator, ast.Veto, ast.Table, ast.Grade, ast.Total, ast.Bonus, ast.Param)
CLAUSE_WANTED = (ast.Let, ast.Input, ast.Group, ast.Validate)


def check_clauses(ctx: Context) -> Iterator[Diagnostic]:
    """Rules cite the clause they come from (`missing_clause`): an error for the
    declarations that score, grade or veto (and their constants), a warning for
    inputs, derived values, groups and data validations."""
    for decl in ctx.declarations():
        if not isinstance(decl, CLAUSE_REQUIRED + CLAUSE_WANTED) or decl.clause is not None:
            continue
        make = error if isinstance(decl, CLAUSE_REQUIRED) else warning
        yield make("missing_clause", f"{_kind_word(decl)} `{decl.name}` does not cite its clause", decl.span,
                   'add `§ "5.2.1"` after its name or label, so traces and reports can cite it')
    for block in ctx.symbols.derives.values():
        for let in block.lets:
            if let.clause is None:
                yield warning("missing_clause", f"derived value `{let.name}` does not cite its clause", let.span,
                              'add `§ "…"` after its name or label, so traces and reports can cite it')


CHECKS = (check_duplicates, check_references, check_types, check_cycles, check_params, check_inputs,
          check_tables, check_coverage, check_scores, check_points_total, check_clauses)


# ---- helpers --------------------------------------------------------------------------------

def _kind(decl) -> str:
    """`an input`, `a let`, … for messages."""
    word = _kind_word(decl)
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _kind_word(decl) -> str:
    """The keyword a declaration is written with."""
    if isinstance(decl, ast.Let) and decl.exported:
        return "result"
    return type(decl).__name__.lower()


def _key_text(key) -> str:
    """A lookup key as written, for duplicate detection."""
    return key.id if isinstance(key, ast.Name) else str(key.value) if isinstance(key, ast.Number) else f'"{key.value}"'
