"""Rendering for people: traces, result tables and diagnostics.

The only module that imports rich. Every view is built from data (a
`TraceNode`, an `Outcome`, `Diagnostic`s) and has a plain-text twin, so
golden tests compare stable text while the terminal gets colour. Layout is
deterministic: nothing here depends on time, terminal size or hash order.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from dsl import ast
from engine.numbers import describe, round_half_up, to_decimal
from engine.trace import StepKind, TraceNode
from engine.values import NOT_EVALUATED, Missing

_ICONS = {StepKind.ROW_MATCHED: "✓", StepKind.ROW_REJECTED: "✗", StepKind.ROW_UNDECIDED: "?",
          StepKind.NOT_EVALUATED: "–", StepKind.ERROR: "!"}
_STYLES = {StepKind.GROUP: "bold", StepKind.INDICATOR: "bold cyan", StepKind.VETO: "bold magenta",
           StepKind.TOTAL: "bold green", StepKind.GRADE: "bold green", StepKind.ROW_MATCHED: "green",
           StepKind.ROW_REJECTED: "dim", StepKind.ERROR: "bold red", StepKind.NOT_EVALUATED: "yellow"}
_ROW_KINDS = (StepKind.ROW_MATCHED, StepKind.ROW_REJECTED, StepKind.ROW_UNDECIDED)


def _reads_text(node: TraceNode) -> str:
    return ", ".join(f"{r.name} = {describe(r.value, r.unit)}" for r in node.reads
                     if not isinstance(r.value, dict) or r.name.count("."))


def node_lines(node: TraceNode) -> tuple[str, list[str]]:
    """The head line of a step and the lines of detail under it."""
    if node.kind in _ROW_KINDS:
        head = f"{_ICONS[node.kind]} {node.name}: {node.detail}"
        reads = _reads_text(node)
        return head + (f"   ({reads})" if reads else ""), []
    if node.kind is StepKind.NOT_EVALUATED:
        clause = f" § {node.clause}" if node.clause else ""
        return f"– not evaluated: {node.detail}{clause}", []
    if node.kind is StepKind.ERROR:
        return f"! error: {node.detail}", []
    parts = [node.kind.value]
    if node.name:
        parts.append(node.name)
    if node.label:
        parts.append(node.label)
    if node.clause:
        parts.append(f"§ {node.clause}")
    head = " ".join(parts) + f" = {describe(node.value, node.unit)}"
    details = []
    if node.detail:
        details.append(node.detail if node.kind in (StepKind.BONUS, StepKind.NORMALISED, StepKind.TOTAL,
                                                    StepKind.GRADE) else f"= {node.detail}")
    reads = _reads_text(node) if node.kind is not StepKind.GROUP else ""
    if reads:
        details.append(f"with {reads}")
    return head, details


def trace_text(node: TraceNode, indent: str = "") -> str:
    """The trace as indented plain text, the form golden files hold."""
    lines = []
    nodes = node.children if node.kind is StepKind.EVALUATION else (node,)
    for child in nodes:
        _text_lines(child, indent, lines)
    return "\n".join(lines)


def _text_lines(node: TraceNode, indent: str, out: list[str]) -> None:
    head, details = node_lines(node)
    out.append(indent + head)
    for line in details:
        out.append(indent + "    " + line)
    for child in node.children:
        _text_lines(child, indent + "  ", out)


def trace_tree(node: TraceNode, title: str = "trace") -> Tree:
    """The trace as a rich Tree."""
    tree = Tree(Text(title, style="bold"))
    for child in node.children:
        _tree_add(tree, child)
    return tree


def _tree_add(parent: Tree, node: TraceNode) -> None:
    head, details = node_lines(node)
    label = Text(head, style=_STYLES.get(node.kind, ""))
    for line in details:
        label.append("\n" + line, style="dim")
    branch = parent.add(label)
    for child in node.children:
        _tree_add(branch, child)


def indicator_rows(plan, outcome):
    """(一级, 二级, label, clause, points, score, level) per indicator, in C.4 order."""
    rows = []
    for name, compiled in plan.indicators.items():
        groups = plan.symbols.groups_of[name]
        decl = compiled.decl
        rows.append((groups[0].label if groups else "", groups[1].label if len(groups) > 1 else "",
                     decl.label or name, decl.clause or "", compiled.points, outcome.results[name],
                     outcome.levels.get(name), name))
    return rows


def results_table(plan, outcome) -> Table | None:
    """The `result` values of the rule set, with label, clause and unit."""
    exported = [d for d in plan.symbols.decls.values() if isinstance(d, ast.Let) and d.exported]
    if not exported:
        return None
    table = Table(title="结果")
    for column in ("结果", "名称", "条款", "值"):
        table.add_column(column, justify="right" if column == "值" else "left", overflow="fold")
    for decl in exported:
        value = outcome.results[decl.name]
        table.add_row(decl.name, decl.label or "", decl.clause or "", describe(value, plan.units.get(decl.name)))
    return table


def record_tables(plan, outcome) -> list[Table]:
    """One table per derive block with results: a row per record it covers."""
    tables = []
    for name, block in plan.derives.items():
        rows = outcome.results.get(name)
        exported = [let for let in block.decl.lets if let.exported]
        if not exported or not isinstance(rows, tuple):
            continue
        table = Table(title=f"{block.decl.label or name} § {block.decl.clause or ''}".strip(" §"))
        table.add_column("记录")
        if block.decl.key:
            table.add_column(block.decl.key)
        for let in exported:
            table.add_column(let.label or let.name, justify="right", overflow="fold")
        for row in rows:
            cells = [row.get("__path__", "")] + ([describe(row.get(block.decl.key))] if block.decl.key else [])
            table.add_row(*cells, *(describe(row[let.name]) for let in exported))
        tables.append(table)
    return tables


def score_text(value) -> str:
    if value is NOT_EVALUATED:
        return "不参评"
    if isinstance(value, Missing):
        return "无法给出结论"
    return describe(value)


def summary_table(plan, outcome) -> Table:
    table = Table(title="综合评价", show_lines=False)
    for column in ("一级指标", "二级指标", "指标", "条款", "分值", "得分", "说明"):
        table.add_column(column, justify="right" if column in ("分值", "得分") else "left",
                         overflow="fold")
    for first, second, label, clause, points, value, level, _ in indicator_rows(plan, outcome):
        note = describe(level) if level is not None and not isinstance(level, Missing) else ""
        if isinstance(value, Missing):
            note = value.describe()
        table.add_row(first, second, label, clause, describe(points), score_text(value), note)
    return table


def print_outcome(console: Console, plan, outcome, source: str, show_trace: bool) -> None:
    """The text report of `rulecheck run`: verdicts, total, grade, table, missing data."""
    header = plan.ruleset.header
    title = header.label if header else plan.ruleset.root.path
    console.print(Text(f"{title} — {source}", style="bold"))
    totals = [d for d in plan.symbols.decls.values() if isinstance(d, (ast.Total, ast.Grade))]
    for name, check in plan.vetoes.items():
        decl = check.decl
        value = outcome.results[name]
        verdict = {True: "是", False: "否"}.get(value, score_text(value)) if isinstance(value, bool) or \
            value is NOT_EVALUATED or isinstance(value, Missing) else describe(value)
        console.print(f"{decl.label} (§ {decl.clause}): {verdict}")
    if plan.indicators:
        console.print(summary_table(plan, outcome))
    results = results_table(plan, outcome)
    if results is not None:
        console.print(results)
    for table in record_tables(plan, outcome):
        console.print(table)
    for decl in totals:
        value = outcome.results[decl.name]
        shown = total_text(value) if isinstance(decl, ast.Total) else score_text(value)
        console.print(Text(f"{decl.label} = {shown}", style="bold green"))
    affected = outcome.affected_by()
    if affected:
        console.print(Text("Missing data (no conclusion is drawn from it):", style="bold yellow"))
        for name, results in affected.items():
            console.print(f"  {name}: " + (", ".join(results) if results else "not needed for any result"))
    if show_trace and outcome.trace is not None:
        console.print(trace_tree(outcome.trace, "trace"))


def total_text(value) -> str:
    """A total to 2 decimals (四舍五入), with the exact value when that differs:
    the grade compares the exact value, so 69.995 is shown as 70.00 but is not 70."""
    if isinstance(value, Missing) or value is NOT_EVALUATED:
        return score_text(value)
    shown = format(to_decimal(round_half_up(value, 2)), ".2f")
    return shown if round_half_up(value, 2) == value else f"{shown} (exact {describe(value)})"
