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

    def visit(items, groups):
        for item in items:
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
    return SymbolTable(decls, groups_of, tuple(order), tuple(duplicates))
