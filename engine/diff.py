"""The semantic diff of two versions of a rule set (`rulecheck diff OLD NEW`).

A revision of a standard is read by what it changes in the rules, not in the
text: a threshold, a row of a band table, a bonus factor, a renumbered clause.
So the two sides are compared as checked rule sets, declaration by
declaration, on their *effective* declarations (`SymbolTable.decls`, where an
`override` has already replaced its base). The AST ignores spans, and comments
are stripped and numbers compared by value before anything is compared, so
layout, comments and `0.20` for `0.2` are never a change.

Each difference is one `Change`: what kind of declaration, which aspect of it
(`value`, `entry`, `cell`, `row`, `formula`, `clause` …), the old and new text,
and for numbers whether they went up or down. Table and grade rows are aligned
with difflib over their texts, so an inserted row is one addition, not a
cascade of changed rows; rows left unmatched within a replaced block are
paired by how many cells they share, and a paired row reports each changed
cell by its column. `RuleDiff.inverted()` is the diff read the other way
round, which `diff(B, A)` must equal (tests/test_diff.py).

`examples` are not compared: they are test fixtures beside the rules, not part
of the standard. The texts a change shows and the direction of a numeric
change are engine/diff_text.py's; rendering (text, JSON, the foreword's change
list) is engine/diff_render.py's; the effect on a population is engine/impact.py.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import attrs

from dsl import ast
from engine.diff_text import (and_all, cell_text, decl_text, direction_of, field_text, is_node, key_text,
                              length_text, normalised, number_text, numbers_direction, required_text, row_text,
                              sign, text_of, type_text, unit_of)

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
_INVERSE_ACTION = {ADDED: REMOVED, REMOVED: ADDED, CHANGED: CHANGED}
_INVERSE_DIRECTION = {"up": "down", "down": "up", None: None}


@attrs.frozen
class Change:
    """One difference between the two versions.

    `kind` is the declaration's kind (`input`, `param`, `table`, `grade`, `indicator`,
    `bonus`, `veto`, `validate`, `total`, `let`, `result`, `group`, `derive`,
    `header`, `file`); `aspect` what of it changed (`declaration` when it was added
    or removed as a whole); `part` narrows it (a map key, a column, a field);
    `rows` are the (old, new) 1-based row numbers of a table row; `labels` and
    `clauses` the (old, new) label and clause of the declaration."""

    file: str
    kind: str
    name: str
    aspect: str
    action: str
    old: str | None = None
    new: str | None = None
    part: str | None = None
    direction: str | None = None  # "up" | "down" for a numeric change
    unit: str | None = None
    rows: tuple[int | None, int | None] = (None, None)
    labels: tuple[str | None, str | None] = (None, None)
    clauses: tuple[str | None, str | None] = (None, None)

    @property
    def label(self) -> str | None:
        return self.labels[1] if self.labels[1] is not None else self.labels[0]

    @property
    def clause(self) -> str | None:
        return self.clauses[1] if self.clauses[1] is not None else self.clauses[0]

    @property
    def row(self) -> int | None:
        """The row number to name: the new table's, or the old one's for a removed row."""
        return self.rows[0] if self.action == REMOVED else self.rows[1]

    def inverted(self) -> Change:
        # a change of kind names the declaration by its new kind, which is the old one read backwards
        kind = self.old if self.aspect == "kind" else self.kind
        return attrs.evolve(self, kind=kind, action=_INVERSE_ACTION[self.action], old=self.new, new=self.old,
                            direction=_INVERSE_DIRECTION[self.direction], rows=self.rows[::-1],
                            labels=self.labels[::-1], clauses=self.clauses[::-1])


@attrs.frozen
class FileDiff:
    """The changes of one pair of rule files (`path` relative to the compared folders)."""

    path: str
    old_path: str | None
    new_path: str | None
    changes: tuple[Change, ...]
    old_header: dict = attrs.field(factory=dict)  # title, version, document of each side
    new_header: dict = attrs.field(factory=dict)

    def inverted(self) -> FileDiff:
        return FileDiff(self.path, self.new_path, self.old_path, tuple(c.inverted() for c in self.changes),
                        self.new_header, self.old_header)


@attrs.frozen
class RuleDiff:
    old: str
    new: str
    files: tuple[FileDiff, ...]

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for f in self.files for c in f.changes)

    def inverted(self) -> RuleDiff:
        return RuleDiff(self.new, self.old, tuple(f.inverted() for f in self.files))


# ---- pairing files -------------------------------------------------------------------

def pair_files(old: Path, new: Path) -> list[tuple[str, Path | None, Path | None]]:
    """(relative path, old file, new file): two files pair with each other; two
    folders pair their `*.rules` files by relative path (None on the side that lacks one)."""
    if old.is_file() and new.is_file():
        return [(new.name if old.name == new.name else f"{old.name} → {new.name}", old, new)]
    if old.is_dir() and new.is_dir():
        olds = {p.relative_to(old).as_posix(): p for p in old.rglob("*.rules")}
        news = {p.relative_to(new).as_posix(): p for p in new.rglob("*.rules")}
        return [(rel, olds.get(rel), news.get(rel)) for rel in sorted(set(olds) | set(news))]
    raise ValueError("OLD and NEW must both be rule files or both be folders")


def header_info(checked) -> dict:
    header = checked.ruleset.header if checked is not None else None
    if header is None:
        return {}
    return {"name": header.name, "title": header.label, "version": header.field("version"),
            "document": header.field("document")}


def file_only_on_one_side(path: str, old_path, new_path, checked) -> FileDiff:
    """A rule file present on one side only: one change, the file added or removed."""
    info = header_info(checked)
    change = Change(path, "file", path, "declaration", ADDED if old_path is None else REMOVED,
                    old=None if old_path is None else str(old_path), new=None if new_path is None else str(new_path),
                    labels=(None, info.get("title")) if old_path is None else (info.get("title"), None))
    return FileDiff(path, None if old_path is None else str(old_path), None if new_path is None else str(new_path),
                    (change,), {} if old_path is None else info, info if old_path is None else {})


def diff_pair(path: str, old, new, old_path=None, new_path=None) -> FileDiff:
    """The changes between two checked rule sets."""
    differ = _Differ(path, old.symbols, new.symbols, old.types, new.types)
    differ.header(old.ruleset.header, new.ruleset.header)
    differ.declarations()
    differ.derives()
    return FileDiff(path, str(old_path) if old_path else old.ruleset.root.path,
                    str(new_path) if new_path else new.ruleset.root.path, tuple(differ.changes),
                    header_info(old), header_info(new))


# ---- comparing ------------------------------------------------------------------------

def same(a, b) -> bool:
    return normalised(a) == normalised(b)


def _common_kind(a, b) -> str:
    """The kind the changes of a declaration are filed under, the same read either way:
    a value that is a `result` on either side is a result."""
    if isinstance(a, ast.Let) and isinstance(b, ast.Let):
        return "result" if a.exported or b.exported else "let"
    return kind_of(b)


def kind_of(decl) -> str:
    if isinstance(decl, ast.Let):
        return "result" if decl.exported else "let"
    return type(decl).__name__.lower()


_TABLE_REF = re.compile(r"表\s*[A-Z]?\.?\d+(?:\.\d+)*")


def table_ref_of(change: Change) -> str:
    """How a foreword names a table: `表8` from the clause, else its label or name."""
    found = _TABLE_REF.search(change.clause or "")
    return found.group(0) if found else (change.label or change.name)


class _Differ:
    def __init__(self, path, old_symbols, new_symbols, old_types, new_types):
        self.path = path
        self.old, self.new = old_symbols, new_symbols
        self.units = {**_units(old_symbols, old_types), **_units(new_symbols, new_types)}
        self.changes: list[Change] = []

    def add(self, kind, name, aspect, action, old_decl, new_decl, old=None, new=None, **more):
        labels = (getattr(old_decl, "label", None), getattr(new_decl, "label", None))
        clauses = (getattr(old_decl, "clause", None), getattr(new_decl, "clause", None))
        if "direction" not in more:
            more["direction"] = direction_of(old, new) if action == CHANGED else None
        self.changes.append(Change(self.path, kind, name, aspect, action, text_of(old), text_of(new),
                                   labels=labels, clauses=clauses, **more))

    # ---- the header ----------------------------------------------------------------
    def header(self, old: ast.StandardHeader | None, new: ast.StandardHeader | None) -> None:
        name = "standard"  # the same on both sides, even when the standard's identifier changes
        fields_old = _header_fields(old)
        fields_new = _header_fields(new)
        for key in list(dict.fromkeys([*fields_old, *fields_new])):
            a, b = fields_old.get(key), fields_new.get(key)
            if a != b:
                action = ADDED if a is None else REMOVED if b is None else CHANGED
                self.changes.append(Change(self.path, "header", name, "header", action, a, b, part=key))

    # ---- named declarations --------------------------------------------------------
    def declarations(self) -> None:
        names = list(dict.fromkeys([*self.old.order, *self.new.order]))
        for name in names:
            a, b = self.old.decls.get(name), self.new.decls.get(name)
            if isinstance(a or b, ast.Example):
                continue
            if a is None or b is None:
                decl = a or b
                self.add(kind_of(decl), name, "declaration", ADDED if a is None else REMOVED, a, b,
                         old=decl_text(a) if a else None, new=decl_text(b) if b else None)
                continue
            if type(a) is not type(b):
                self.add(kind_of(b), name, "kind", CHANGED, a, b, old=kind_of(a), new=kind_of(b))
                continue
            self.compare(name, a, b)
            groups = (_group_path(self.old, name), _group_path(self.new, name))
            if groups[0] != groups[1]:
                self.add(_common_kind(a, b), name, "group", CHANGED, a, b, old=groups[0], new=groups[1])

    def compare(self, name: str, a, b) -> None:
        kind = _common_kind(a, b)
        if a.label != b.label:
            self.add(kind, name, "label", CHANGED, a, b, old=a.label, new=b.label)
        if a.clause != b.clause:
            self.add(kind, name, "clause", CHANGED, a, b, old=a.clause, new=b.clause)
        method = getattr(self, f"compare_{type(a).__name__}", None)
        if method is not None:
            method(kind, name, a, b)
        self.other_fields(kind, name, a, b, a, b, part=None)

    def other_fields(self, kind, name, a, b, oa, ob, part) -> None:
        """Attributes no comparison above knows (a language feature newer than this
        module, such as an input's `alias`): still reported, never silently equal."""
        for field in attrs.fields(type(oa)):
            if field.name in _COMPARED or same(getattr(oa, field.name), getattr(ob, field.name)):
                continue
            old, new = getattr(oa, field.name), getattr(ob, field.name)
            self.add(kind, name, field.name, CHANGED if old is not None and new is not None
                     else ADDED if old is None else REMOVED, a, b, old=_any_text(old), new=_any_text(new),
                     part=part)

    def aspect(self, kind, name, aspect, a, b, old, new, **more) -> None:
        """A change of one aspect, if it changed: added, removed or changed."""
        if same(old, new):
            return
        action = ADDED if old is None else REMOVED if new is None else CHANGED
        if action == CHANGED and "direction" not in more and is_node(old):
            more["direction"] = numbers_direction(old, new)
        self.add(kind, name, aspect, action, a, b, old=old, new=new, **more)

    def compare_Input(self, kind, name, a: ast.Input, b: ast.Input) -> None:
        self.types(kind, name, a, b, a.type, b.type)
        self.options(kind, name, a, b, a, b, part=None)

    def types(self, kind, name, a, b, ta, tb, part=None) -> None:
        ra, rb = _record_of(ta), _record_of(tb)
        if ra is not None and rb is not None and _list_depth(ta) == _list_depth(tb):
            fields_a = {f.name: f for f in ra.fields}
            fields_b = {f.name: f for f in rb.fields}
            for field in dict.fromkeys([*fields_a, *fields_b]):
                fa, fb = fields_a.get(field), fields_b.get(field)
                where = f"{part}.{field}" if part else field
                if fa is None or fb is None:
                    self.aspect(kind, name, "field", a, b, fa and field_text(fa), fb and field_text(fb), part=where)
                    continue
                if fa.label != fb.label:
                    self.add(kind, name, "field label", CHANGED, a, b, old=fa.label, new=fb.label, part=where)
                self.types(kind, name, a, b, fa.type, fb.type, part=where)
                self.options(kind, name, a, b, fa, fb, part=where)
                self.other_fields(kind, name, a, b, fa, fb, part=where)
            return
        if same(ta, tb):
            return
        if isinstance(ta, ast.NumberType) and isinstance(tb, ast.NumberType) and ta.integer == tb.integer:
            self.add(kind, name, "unit", CHANGED, a, b, old=ta.unit or "(none)", new=tb.unit or "(none)", part=part)
        else:
            self.add(kind, name, "type", CHANGED, a, b, old=type_text(ta), new=type_text(tb), part=part)

    def options(self, kind, name, a, b, oa, ob, part) -> None:
        self.aspect(kind, name, "range", a, b, oa.range, ob.range, part=part)
        if oa.optional != ob.optional:
            self.add(kind, name, "optional", CHANGED, a, b, old=required_text(oa.optional),
                     new=required_text(ob.optional), part=part)
        self.aspect(kind, name, "default", a, b, oa.default, ob.default, part=part)
        if oa.length != ob.length:
            self.add(kind, name, "length", CHANGED, a, b, old=length_text(oa.length),
                     new=length_text(ob.length), part=part)

    def compare_Param(self, kind, name, a: ast.Param, b: ast.Param) -> None:
        unit = self.units.get(name)
        if isinstance(a.value, ast.MapValue) and isinstance(b.value, ast.MapValue):
            entries_a = {key_text(e.key): e.value for e in a.value.entries}
            entries_b = {key_text(e.key): e.value for e in b.value.entries}
            for key in dict.fromkeys([*entries_a, *entries_b]):
                self.aspect(kind, name, "entry", a, b, entries_a.get(key), entries_b.get(key), part=key, unit=unit)
        else:
            self.aspect(kind, name, "value", a, b, a.value, b.value, unit=unit)

    def compare_Let(self, kind, name, a: ast.Let, b: ast.Let) -> None:
        if a.exported != b.exported:
            self.add(kind, name, "exported", CHANGED, a, b, old=kind_of(a), new=kind_of(b))
        self.aspect(kind, name, "formula", a, b, a.expr, b.expr)

    def compare_Table(self, kind, name, a, b) -> None:
        if a.hit_policy != b.hit_policy:
            self.add(kind, name, "hit", CHANGED, a, b, old=a.hit_policy, new=b.hit_policy)
        head_a = row_text(a.header) if a.header else ""
        head_b = row_text(b.header) if b.header else ""
        if head_a != head_b:
            self.add(kind, name, "columns", CHANGED, a, b, old=head_a, new=head_b)
        self.rows(kind, name, a, b)

    def compare_Grade(self, kind, name, a: ast.Grade, b: ast.Grade) -> None:
        va, vb = a.vetoed, b.vetoed
        if (va and va.label) != (vb and vb.label):
            self.add(kind, name, "vetoed", CHANGED, a, b, old=va and va.label, new=vb and vb.label)
        if (va and va.clause) != (vb and vb.clause):
            self.add(kind, name, "clause", CHANGED, a, b, old=va and va.clause, new=vb and vb.clause, part="vetoed")
        self.compare_Table(kind, name, a, b)

    def rows(self, kind, name, a, b) -> None:
        """Rows aligned by difflib over their texts (numbers by value); within a replaced
        block rows pair by the cells they share, and a paired row reports each changed cell."""
        columns = list(dict.fromkeys([*_columns(a), *_columns(b)]))
        conditions = {*a.condition_columns, *b.condition_columns}
        cells_a = [_row_cells(a, row, columns) for row in a.rows]
        cells_b = [_row_cells(b, row, columns) for row in b.rows]
        shown_a = [_cells_shown(cells, columns, conditions) for cells in cells_a]
        shown_b = [_cells_shown(cells, columns, conditions) for cells in cells_b]
        keys_a = [tuple(_cells_shown(normalised(cells), columns, conditions)) for cells in cells_a]
        keys_b = [tuple(_cells_shown(normalised(cells), columns, conditions)) for cells in cells_b]
        matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            for i, j in _pair_rows(keys_a[i1:i2], keys_b[j1:j2], i1, j1):
                if i is None or j is None:
                    shown = shown_b[j] if i is None else shown_a[i]
                    self.add(kind, name, "row", ADDED if i is None else REMOVED, a, b,
                             old=None if i is None else _cells_text(shown, columns),
                             new=None if j is None else _cells_text(shown, columns),
                             rows=(None if i is None else i + 1, None if j is None else j + 1))
                    continue
                for c, column in enumerate(columns):
                    if keys_a[i][c] != keys_b[j][c]:
                        old_cell, new_cell = cells_a[i][c], cells_b[j][c]
                        direction = numbers_direction(old_cell, new_cell) if old_cell and new_cell else None
                        self.add(kind, name, "cell", CHANGED, a, b, old=shown_a[i][c], new=shown_b[j][c],
                                 part=column, rows=(i + 1, j + 1), direction=direction,
                                 unit=self.units.get(column) if column in conditions else None)

    def compare_Indicator(self, kind, name, a: ast.Indicator, b: ast.Indicator) -> None:
        if a.points != b.points:
            self.add(kind, name, "points", CHANGED, a, b, old=number_text(a.points), new=number_text(b.points),
                     direction=sign(a.points, b.points))
        self.aspect(kind, name, "score", a, b, a.score, b.score)
        self.aspect(kind, name, "level", a, b, a.level, b.level)
        for bonus in dict.fromkeys([*a.bonuses, *b.bonuses]):
            if (bonus in a.bonuses) != (bonus in b.bonuses):
                self.add(kind, name, "bonus", REMOVED if bonus in a.bonuses else ADDED, a, b,
                         old=bonus if bonus in a.bonuses else None, new=bonus if bonus in b.bonuses else None,
                         part=bonus)
        self.applies(kind, name, a, b)

    def applies(self, kind, name, a, b) -> None:
        conds_a = tuple(w.cond for w in a.applies)
        conds_b = tuple(w.cond for w in b.applies)
        if not same(conds_a, conds_b):
            self.aspect(kind, name, "applies", a, b, and_all(conds_a), and_all(conds_b))
        elif [w.clause for w in a.applies] != [w.clause for w in b.applies]:
            self.add(kind, name, "clause", CHANGED, a, b, old="; ".join(str(w.clause) for w in a.applies),
                     new="; ".join(str(w.clause) for w in b.applies), part="applies when")

    def compare_Group(self, kind, name, a, b) -> None:
        self.applies(kind, name, a, b)

    def compare_Veto(self, kind, name, a, b) -> None:
        self.aspect(kind, name, "require", a, b, and_all(a.requires), and_all(b.requires))
        self.applies(kind, name, a, b)

    compare_Validate = compare_Veto

    def compare_Bonus(self, kind, name, a: ast.Bonus, b: ast.Bonus) -> None:
        self.aspect(kind, name, "when", a, b, a.when, b.when)
        self.aspect(kind, name, "factor", a, b, a.factor, b.factor)

    def compare_Total(self, kind, name, a: ast.Total, b: ast.Total) -> None:
        if a.points != b.points:
            self.add(kind, name, "points", CHANGED, a, b, old=number_text(a.points), new=number_text(b.points),
                     direction=sign(a.points, b.points))
        ea, eb = a.excluding, b.excluding
        if (ea and ea.name) != (eb and eb.name):
            self.aspect(kind, name, "excluding", a, b, ea and ea.name, eb and eb.name)
        elif (ea and ea.clause) != (eb and eb.clause):
            self.add(kind, name, "clause", CHANGED, a, b, old=ea.clause, new=eb.clause, part="excluding")

    # ---- derive blocks ---------------------------------------------------------------
    def derives(self) -> None:
        for list_name in dict.fromkeys([*self.old.derives, *self.new.derives]):
            a, b = self.old.derives.get(list_name), self.new.derives.get(list_name)
            if a is None or b is None:
                self.add("derive", list_name, "declaration", ADDED if a is None else REMOVED, a, b,
                         old=a and decl_text(a), new=b and decl_text(b))
                continue
            for aspect in ("label", "clause", "var", "key"):
                if getattr(a, aspect) != getattr(b, aspect):
                    self.add("derive", list_name, aspect, CHANGED, a, b, old=getattr(a, aspect),
                             new=getattr(b, aspect))
            self.aspect("derive", list_name, "where", a, b, a.where, b.where)
            lets_a = {let.name: let for let in a.lets}
            lets_b = {let.name: let for let in b.lets}
            for let_name in dict.fromkeys([*lets_a, *lets_b]):
                la, lb = lets_a.get(let_name), lets_b.get(let_name)
                full = f"{list_name}.{let_name}"
                if la is None or lb is None:
                    let = la or lb
                    self.add(kind_of(let), full, "declaration", ADDED if la is None else REMOVED, la, lb,
                             old=la and decl_text(la), new=lb and decl_text(lb))
                else:
                    self.compare(full, la, lb)


# The attributes the comparisons of `_Differ` look at; any other is compared generically.
_COMPARED = frozenset({"span", "name", "label", "clause", "items", "type", "range", "optional", "default", "length",
                       "value", "expr", "exported", "when", "factor", "var", "where", "key", "decl"})


def _any_text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if is_node(value):
        return text_of(value)
    return str(value)


def _units(symbols, types) -> dict[str, str]:
    """The unit to show a value in (not `%`, which the numbers carry): an input's
    declared unit, the checker's unit of a value, and for a unit-less parameter the
    unit of the input it is compared with or added to (`10000` compared with
    `green_business_revenue` is 10000 万元)."""
    units = {}
    for name, decl in symbols.decls.items():
        if isinstance(decl, ast.Input) and isinstance(decl.type, ast.NumberType) and decl.type.unit \
                and decl.type.unit != "%":
            units[name] = decl.type.unit
        elif unit_of(types.get(name)):
            units[name] = unit_of(types.get(name))
    for decl in list(symbols.decls.values()) + list(symbols.derives.values()):
        for node in ast.walk(decl):
            if not (isinstance(node, ast.Binary) and node.op in (*ast.COMPARISON_OPS, "+", "-")):
                continue
            for this, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(this, ast.Name) and isinstance(symbols.decls.get(this.id), ast.Param) \
                        and this.id not in units and isinstance(other, ast.Name) and other.id in units:
                    units[this.id] = units[other.id]
    return units


def _columns(table) -> list[str]:
    return [*table.condition_columns, *table.output_columns]


def _row_cells(table, row: ast.Row, columns: list[str]) -> tuple:
    """A row's cells in the order of `columns` (both tables' columns); None where
    this table has no such column."""
    own = dict(zip(_columns(table), row.cells))
    return tuple(own.get(c) for c in columns)


def _cells_shown(cells, columns: list[str], conditions: set[str]) -> list[str]:
    """The cells' texts; a condition column the table lacks reads `-` (any value),
    an output column `(none)`."""
    return [cell_text(cell) if cell is not None else "-" if column in conditions else "(none)"
            for cell, column in zip(cells, columns)]


def _cells_text(cells: list[str], columns: list[str]) -> str:
    return ", ".join(f"{c} {t}" for c, t in zip(columns, cells))


def _pair_rows(old_rows, new_rows, i0, j0) -> list[tuple[int | None, int | None]]:
    """Pair the rows of a replaced block in order, maximising the cells they share;
    a row paired with none is an addition or a removal. Indices are absolute."""
    n, m = len(old_rows), len(new_rows)
    if n == m and n == 1:
        return [(i0, j0)] if _shared(old_rows[0], new_rows[0]) else [(i0, None), (None, j0)]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score = _shared(old_rows[i], new_rows[j])
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + score if score else 0)
    pairs, i, j = [], 0, 0
    while i < n or j < m:
        if i < n and j < m:
            score = _shared(old_rows[i], new_rows[j])
            if score and best[i][j] == best[i + 1][j + 1] + score:
                pairs.append((i0 + i, j0 + j))
                i, j = i + 1, j + 1
                continue
        if i < n and (j == m or best[i][j] == best[i + 1][j]):
            pairs.append((i0 + i, None))
            i += 1
        else:
            pairs.append((None, j0 + j))
            j += 1
    return pairs


def _shared(a: list[str], b: list[str]) -> int:
    """How many cells two rows share, counting only rows alike in at least half their cells."""
    equal = sum(1 for x, y in zip(a, b) if x == y)
    return equal if equal * 2 >= len(a) else 0


def _header_fields(header: ast.StandardHeader | None) -> dict[str, str]:
    if header is None:
        return {}
    fields = {"name": header.name, "title": header.label}
    for item in header.items:
        if isinstance(item, ast.HeaderField):
            fields[item.key] = item.value
    return fields


def _group_path(symbols, name: str) -> str:
    return " / ".join(g.label or g.name for g in symbols.groups_of.get(name, ())) or "(top level)"


def _record_of(type_):
    while isinstance(type_, ast.ListType):
        type_ = type_.element
    return type_ if isinstance(type_, ast.RecordType) else None


def _list_depth(type_) -> int:
    depth = 0
    while isinstance(type_, ast.ListType):
        type_, depth = type_.element, depth + 1
    return depth


