"""The symbol table of a rule set: what each name declares, and where it sits.

Names live in one namespace per rule set (imports included); groups nest
declarations for the report's 一级/二级/三级 hierarchy but do not scope names.
The checker reports duplicates; this module only records, keeping the first.
"""

from __future__ import annotations

import attrs

from dsl import ast


@attrs.frozen
class SymbolTable:
    decls: dict[str, object]
    groups_of: dict[str, tuple[ast.Group, ...]]  # enclosing groups, outermost first
    order: tuple[str, ...]  # declaration order over the whole rule set
    duplicates: tuple[tuple[object, object], ...]  # (first, later)
    derives: dict[str, ast.Derive] = attrs.field(factory=dict)  # input list → its derive block
    derive_duplicates: tuple[ast.Derive, ...] = ()
    overrides: tuple[tuple[object, ast.Override], ...] = ()  # (the replaced declaration, its override)
    orphan_overrides: tuple[ast.Override, ...] = ()  # overrides of names no imported file declares

    def of_kind(self, kind) -> list:
        return [self.decls[n] for n in self.order if isinstance(self.decls[n], kind)]

    @property
    def inputs(self) -> dict[str, ast.Input]:
        return {d.name: d for d in self.of_kind(ast.Input)}

    @property
    def indicators(self) -> list[ast.Indicator]:
        return self.of_kind(ast.Indicator)

    @property
    def vetoes(self) -> list[ast.Veto]:
        return self.of_kind(ast.Veto)


def build_symbols(files) -> SymbolTable:
    decls: dict[str, object] = {}
    groups_of: dict[str, tuple[ast.Group, ...]] = {}
    order: list[str] = []
    duplicates = []
    derives: dict[str, ast.Derive] = {}
    derive_duplicates = []
    overrides, orphans = [], []

    def visit(items, groups):
        for item in items:
            if isinstance(item, ast.Override):
                # files come imports first, so the base declaration is already here;
                # the replacement keeps the base's place in the order and hierarchy
                if item.name in decls:
                    overrides.append((decls[item.name], item))
                    decls[item.name] = item.decl
                else:
                    orphans.append(item)
                continue
            if isinstance(item, ast.Derive):
                if item.name in derives:
                    derive_duplicates.append(item)
                else:
                    derives[item.name] = item
                continue
            if not isinstance(item, ast.NAMED_DECLS):
                continue
            if item.name in decls:
                duplicates.append((decls[item.name], item))
            else:
                decls[item.name] = item
                groups_of[item.name] = groups
                order.append(item.name)
            if isinstance(item, ast.Group):
                visit(item.items, groups + (item,))

    for rule_file in files:
        visit(rule_file.items, ())
    return SymbolTable(decls, groups_of, tuple(order), tuple(duplicates), derives, tuple(derive_duplicates),
                       tuple(overrides), tuple(orphans))
