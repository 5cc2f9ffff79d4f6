"""AST to canonical text: the formatter of rule files.

`format_file(tree)` prints a `RuleFile` in the one layout every rule file
shares, `format_text(text)` parses and prints, and `format_expr(expr)` prints
one expression (the evaluator's trace uses it to show formulas). The printer is
a generator in sqlglot's manner: one method per node kind, `fmt_<Node>`, each
returning text built from its children's text. Nothing is read back from the
source but the comments (which the parser keeps as `Comment` items) and the
line numbers of spans, used only to keep the blank lines an author wrote.

What the printer guarantees, and tests/test_formatter.py checks on every rule
file and on generated trees:

- `parse(format_file(t)) == t`: nothing said is lost, comments included;
- `format_text(format_text(x)) == format_text(x)`: the layout is a fixed point.

The layout:

- Two spaces of indentation per block level; one item per line; `}` on its own
  line at the level of the line that opened the block.
- A comment stays where it was written: an own-line comment on its own line at
  the indentation of the block it sits in; a trailing comment (`trailing=True`)
  two spaces after the line of the item before it, or after the `{` when it is
  the first item of its block. `# text` always has one space after `#`.
- Blank lines, at most one in a row, never first or last in a block:
  * in a file or group body, one blank line separates consecutive entries (a
    declaration or `applies when` line with the own-line comments written
    above it), except that entries introduced by the same keyword among
    `import`, `input`, `param`, `let`, `result`, `bonus` and `applies` stay
    together — so a run of inputs or of parameters reads as one list;
  * anywhere, a blank line the author wrote between two items (or comments) is
    kept. The source is known through spans; a generated tree (spans unset) gets
    the required blank lines only. This keeps section banners and file headers
    apart from what follows them, and is stable: the printed blank line is seen
    again on the next run.
- Operators are printed canonically (`≥ ≤ ≠`, `*`, `/`, `=>`), with one space
  around binary operators, and parentheses only where precedence needs them
  (see `PRECEDENCE`). Numbers are printed as written (`4%`, `0.20`); strings
  are re-quoted with `"` and `\\` escaped; infinite bounds are `-inf` and `inf`.
- Wrapping. The author's `\\` continuations are not kept: the layout is
  recomputed from the tree. A statement that ends in expressions (`let`,
  `result`, `param … =`, a map entry, `score`, `level`, `require`,
  `applies when … § …`, and a `bonus` declaration's `when … multiply …`) stays
  on one line if it fits in `WIDTH` (100) display columns; otherwise it is
  wrapped, black's way, with ` \\` at the end of every line but its last:
  * the expression moves to the next line, `CONTINUATION` (4) columns deeper
    than the statement (a `bonus` puts `when …` and `multiply … cap points` on
    a line each). If it fits there, that is all. If it cannot be split and
    does not fit there either, the statement stays on one line.
  * An expression that does not fit is split by its outermost form. A chain of
    one operator level (`or`, `and`, a comparison, `+ -`, `* /`, `^`) gives
    one operand per line, every line after the first beginning with its
    operator (`+ term`); `if c then a else b` breaks before `then` and `else`,
    and an `else if` continues the same ladder. The brackets: an aggregate
    ends its line after `f(for x in s where c:` (`where c:` gets a line of
    its own if the head does not fit) and a call after `f(`, a parenthesised
    group after `(`, `x in (` likewise; what they hold follows one argument,
    body or option per line, `CONTINUATION` deeper than the line that opens
    the bracket, and `)` closes on a line of its own at that line's
    indentation.
  * A part that is still too long is split by the same rule. Its operators
    line up with it when it starts a line of its own (an expression moved to
    the next line, an argument, a body); when it starts after an operator or
    a keyword (`+ a * b`, `then …`, `when …`) its continuation lines go
    `CONTINUATION` deeper (`+ a` then `    * b`).
  * Only the statement is measured: a trailing comment stays after its last
    line and does not count. Table rows, intervals, types and literals are
    never wrapped, and `format_expr` (traces) prints one line.
- Input and field options come in the order range, length, optional, default, alias.
- Table and grade rows are aligned into columns: each cell is padded to the
  widest cell of its column, counting display width (CJK characters take two
  columns, `dsl.source.display_width`), so the `|` separators line up.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from dsl import ast
from dsl.source import display_width

INDENT = "  "
WIDTH = 100  # display columns a statement may take before it is wrapped
CONTINUATION = 4  # how much deeper a continuation line is indented

# Binding strength, loosest first. A child printed where the grammar needs a
# stronger form is parenthesised; nothing else is.
IF, OR, AND, NOT, COMPARE, SUM, PRODUCT, POWER, NEGATE, ATOM = range(10)

PRECEDENCE = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "^": POWER,
              **{op: COMPARE for op in ast.COMPARISON_OPS}}

# Canonical spelling of an operator (the AST holds the ASCII form).
OPERATOR_TEXT = {">=": "≥", "<=": "≤", "!=": "≠"}

# Declarations introduced by these keywords need no blank line between them.
COMPACT_KEYWORDS = frozenset({"import", "input", "param", "let", "result", "bonus", "applies"})


def format_file(rule_file: ast.RuleFile, width: int | None = WIDTH) -> str:
    """The canonical text of a rule file: lines joined by newlines, one final newline.
    `width=None` never wraps (every statement on one line)."""
    lines = _Formatter(width).body(rule_file.items, depth=0, declarations=True)
    return "\n".join(lines) + "\n" if lines else ""


def format_text(text: str, path: str = "<string>", width: int | None = WIDTH) -> str:
    """Parse `text` and print it canonically; raises `ParseError` on bad syntax."""
    from dsl.parser import parse  # the parser imports Lark; keep format_expr light

    return format_file(parse(text, path), width)


def format_expr(expr) -> str:
    """One expression on one line, with the fewest parentheses its meaning needs."""
    return _Formatter(None).expr(expr)


def format_interval(node: ast.Interval) -> str:
    """An interval as the language writes it: `[5%, 15%)`, `(0, inf)`."""
    return _Formatter().fmt_Interval(node)


def format_cell(node) -> str:
    """A table cell as the language writes it: `≥ 4%`, `(8, 10]`, `-`, `=> points`."""
    return _Formatter().cell(node)


def format_scalar_type(node) -> str:
    """A type that is not a list or a record, as the language writes it (`number [万元]`)."""
    return _Formatter().type_text(node)


def quote(text: str) -> str:
    """A string literal: double quotes, with `\\` and `"` escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def keyword(item) -> str | None:
    """The word that introduces a declaration or block item (`input`, `result` …)."""
    if isinstance(item, ast.Let):
        return "result" if item.exported else "let"
    return _KEYWORDS.get(type(item))


_KEYWORDS = {ast.StandardHeader: "standard", ast.Import: "import", ast.Input: "input",
             ast.Param: "param", ast.Table: "table", ast.Grade: "grade", ast.Group: "group",
             ast.Indicator: "indicator", ast.Bonus: "bonus", ast.Veto: "veto",
             ast.Validate: "validate", ast.Total: "total", ast.Example: "example",
             ast.AppliesWhen: "applies", ast.Derive: "derive", ast.Override: "override"}


# A line being laid out: (indentation in columns, text). The ` \\` that ends
# every line of a statement but its last is added by `_Formatter.statement`.
Line = tuple[int, str]


class _Formatter:
    """Expression methods return a string; declaration and item methods return
    the lines they take, already indented to `depth`; `wrap_*` methods lay out
    a long expression as `Line`s (see `wrap`)."""

    def __init__(self, width: int | None = WIDTH):
        self.width = width  # None: never wrap

    def fmt(self, node, depth: int) -> list[str]:
        """The lines of one block item (a declaration, a row, `points 5` …)."""
        method = getattr(self, f"fmt_{type(node).__name__}", None)
        if method is None:
            raise TypeError(f"the formatter has no rule for {type(node).__name__}")
        return method(node, depth)

    # ---- blocks ----------------------------------------------------------------

    def body(self, items: Sequence, depth: int, declarations: bool = False,
             render: Callable[[object, int], list[str]] | None = None) -> list[str]:
        """The lines of a block's items; `declarations` for file and group bodies,
        where entries are separated by blank lines (see the module docstring).
        `render` prints one non-comment item (default: `fmt`)."""
        render = render or self.fmt
        lines: list[str] = []
        previous = None  # the last item printed, a trailing comment excepted
        for index, item in enumerate(items):
            if isinstance(item, ast.Comment) and item.trailing and lines \
                    and previous is not None and not isinstance(previous, ast.Comment):
                lines[-1] += "  " + self.comment(item)
                continue
            if previous is not None and self._blank_between(previous, item, items[index:], declarations):
                lines.append("")
            if isinstance(item, ast.Comment):
                lines.append(INDENT * depth + self.comment(item))
            else:
                lines.extend(render(item, depth))
            previous = item
        return lines

    @staticmethod
    def _blank_between(previous, item, rest: Sequence, declarations: bool) -> bool:
        """Whether a blank line goes between `previous` and `item` (`rest` starts at `item`)."""
        before, after = previous.span.end.line, item.span.start.line
        if before > 0 and after > 0 and after - before > 1:
            return True  # the author's blank line
        if not declarations or isinstance(previous, ast.Comment):
            return False  # own-line comments stay with what follows them
        entry = next((i for i in rest if not isinstance(i, ast.Comment)), None)
        return not (keyword(previous) in COMPACT_KEYWORDS and keyword(previous) == keyword(entry))

    def block(self, opener: str, items: Sequence, depth: int, declarations: bool = False,
              render: Callable[[object, int], list[str]] | None = None) -> list[str]:
        """`opener {`, the items one level deeper, then `}`; `opener` is already indented."""
        items = list(items)
        first = opener + " {"
        if items and isinstance(items[0], ast.Comment) and items[0].trailing:
            first += "  " + self.comment(items.pop(0))
        return [first, *self.body(items, depth + 1, declarations, render), INDENT * depth + "}"]

    @staticmethod
    def comment(comment: ast.Comment) -> str:
        return f"# {comment.text}" if comment.text else "#"

    @staticmethod
    def head(keyword_: str, name: str, label: str | None, clause: str | None = None) -> str:
        """`keyword name "label" § "clause"`, leaving out what is absent."""
        parts = [keyword_, name]
        if label is not None:
            parts.append(quote(label))
        if clause is not None:
            parts.append(f"§ {quote(clause)}")
        return " ".join(parts)

    @staticmethod
    def clause(clause: str | None) -> str:
        return f" § {quote(clause)}" if clause is not None else ""

    # ---- declarations ------------------------------------------------------------

    def fmt_StandardHeader(self, node: ast.StandardHeader, depth: int) -> list[str]:
        return self.block(INDENT * depth + f"standard {node.name} {quote(node.label)}", node.items, depth)

    def fmt_HeaderField(self, node: ast.HeaderField, depth: int) -> list[str]:
        return [INDENT * depth + f"{node.key} {quote(node.value)}"]

    def fmt_Import(self, node: ast.Import, depth: int) -> list[str]:
        return [INDENT * depth + f"import {quote(node.path)}"]

    def fmt_Input(self, node: ast.Input, depth: int) -> list[str]:
        opener = INDENT * depth + self.head("input", node.name, node.label, node.clause) + " : "
        return self.typed(opener, node, depth)

    def fmt_FieldDecl(self, node: ast.FieldDecl, depth: int) -> list[str]:
        label = "" if node.label is None else " " + quote(node.label)
        return self.typed(INDENT * depth + node.name + label + " : ", node, depth)

    def typed(self, opener: str, node, depth: int) -> list[str]:
        """`opener TYPE options` for an input or a record field; a record type spans
        lines, and so does an enum too long for one: a member per line, continued."""
        options = "".join(" " + option for option in self.options(node))
        lines = self.type_lines(node.type, depth)
        lines[0] = opener + lines[0]
        lines[-1] += options
        if len(lines) == 1 and not self.fits(0, lines[0], more=False):
            element, prefix = node.type, ""
            while isinstance(element, ast.ListType):
                element, prefix = element.element, prefix + "list of "
            if isinstance(element, ast.EnumType):
                return self.enum_lines(opener + prefix, element, depth, options)
        return lines

    def options(self, node) -> Iterable[str]:
        """An input's or field's options, in the canonical order."""
        if node.range is not None:
            yield "range " + self.fmt_Interval(node.range)
        if node.length is not None:
            yield f"length {node.length[0]}..{node.length[1]}"
        if node.optional:
            yield "optional"
        if node.default is not None:
            yield "default " + self.expr(node.default)
        if getattr(node, "alias", None) is not None:
            yield f"alias {node.alias}"

    def fmt_Param(self, node: ast.Param, depth: int) -> list[str]:
        head = self.head("param", node.name, node.label, node.clause) + " ="
        if isinstance(node.value, ast.MapValue):
            return self.block(INDENT * depth + head, node.value.items, depth)
        return self.statement(depth, head, ("", node.value, ""))

    def fmt_MapEntry(self, node: ast.MapEntry, depth: int) -> list[str]:
        return self.statement(depth, self.expr(node.key) + ":", ("", node.value, ""))

    def fmt_Let(self, node: ast.Let, depth: int) -> list[str]:
        head = self.head(keyword(node), node.name, node.label, node.clause) + " ="
        return self.statement(depth, head, ("", node.expr, ""))

    def fmt_Table(self, node: ast.Table, depth: int) -> list[str]:
        return self.table(self.head("table", node.name, node.label, node.clause), node.items, depth)

    def fmt_Grade(self, node: ast.Grade, depth: int) -> list[str]:
        return self.table(self.head("grade", node.name, node.label, node.clause), node.items, depth)

    def table(self, head: str, items: Sequence, depth: int) -> list[str]:
        """A table block whose rows are padded into aligned columns."""
        rows = [item for item in items if isinstance(item, ast.Row)]
        cells = {id(row): [self.cell(c) for c in row.cells] for row in rows}
        widths: list[int] = []
        for texts in cells.values():
            for column, text in enumerate(texts):
                if column == len(widths):
                    widths.append(0)
                widths[column] = max(widths[column], display_width(text))

        def render(item, item_depth: int) -> list[str]:
            if not isinstance(item, ast.Row):
                return self.fmt(item, item_depth)
            padded = (text + " " * (widths[column] - display_width(text))
                      for column, text in enumerate(cells[id(item)]))
            return [INDENT * item_depth + "| " + " | ".join(padded) + " |"]

        return self.block(INDENT * depth + head, items, depth, render=render)

    def fmt_Row(self, node: ast.Row, depth: int) -> list[str]:
        """A row on its own, unaligned (tables align theirs, see `table`)."""
        return [INDENT * depth + "| " + " | ".join(self.cell(c) for c in node.cells) + " |"]

    def fmt_HitItem(self, node: ast.HitItem, depth: int) -> list[str]:
        return [INDENT * depth + f"hit {node.policy}"]

    def fmt_VetoedItem(self, node: ast.VetoedItem, depth: int) -> list[str]:
        return [INDENT * depth + f"vetoed {quote(node.label)}{self.clause(node.clause)}"]

    def fmt_Group(self, node: ast.Group, depth: int) -> list[str]:
        opener = INDENT * depth + self.head("group", node.name, node.label, node.clause)
        return self.block(opener, node.items, depth, declarations=True)

    def fmt_Override(self, node: ast.Override, depth: int) -> list[str]:
        lines = self.fmt(node.decl, depth)
        lines[0] = INDENT * depth + "override " + lines[0].lstrip()
        return lines

    def fmt_Derive(self, node: ast.Derive, depth: int) -> list[str]:
        opener = INDENT * depth + self.head("derive", node.name, node.label, node.clause) + f" for {node.var}"
        if node.where is not None:
            opener += f" where {self.expr(node.where)}"
        if node.key is not None:
            opener += f" key {node.key}"
        return self.block(opener, node.items, depth, declarations=True)

    def fmt_AppliesWhen(self, node: ast.AppliesWhen, depth: int) -> list[str]:
        return self.statement(depth, "applies when", ("", node.cond, self.clause(node.clause)))

    def fmt_Indicator(self, node: ast.Indicator, depth: int) -> list[str]:
        opener = INDENT * depth + self.head("indicator", node.name, node.label, node.clause)
        return self.block(opener, node.items, depth)

    def fmt_PointsItem(self, node: ast.PointsItem, depth: int) -> list[str]:
        return [INDENT * depth + f"points {node.value.text}"]

    def fmt_ScoreItem(self, node: ast.ScoreItem, depth: int) -> list[str]:
        return self.statement(depth, "score", ("", node.expr, ""))

    def fmt_LevelItem(self, node: ast.LevelItem, depth: int) -> list[str]:
        return self.statement(depth, "level", ("", node.expr, ""))

    def fmt_BonusItem(self, node: ast.BonusItem, depth: int) -> list[str]:
        return [INDENT * depth + f"bonus {node.name}"]

    def fmt_Bonus(self, node: ast.Bonus, depth: int) -> list[str]:
        head = self.head("bonus", node.name, node.label, node.clause)
        return self.statement(depth, head, ("when ", node.when, ""), ("multiply ", node.factor, " cap points"))

    def fmt_Veto(self, node: ast.Veto, depth: int) -> list[str]:
        return self.block(INDENT * depth + self.head("veto", node.name, node.label, node.clause), node.items, depth)

    def fmt_Validate(self, node: ast.Validate, depth: int) -> list[str]:
        opener = INDENT * depth + self.head("validate", node.name, node.label, node.clause)
        return self.block(opener, node.items, depth)

    def fmt_RequireItem(self, node: ast.RequireItem, depth: int) -> list[str]:
        return self.statement(depth, "require", ("", node.expr, ""))

    def fmt_Total(self, node: ast.Total, depth: int) -> list[str]:
        return self.block(INDENT * depth + self.head("total", node.name, node.label, node.clause), node.items, depth)

    def fmt_ExcludingItem(self, node: ast.ExcludingItem, depth: int) -> list[str]:
        return [INDENT * depth + f"excluding {node.name}{self.clause(node.clause)}"]

    def fmt_Example(self, node: ast.Example, depth: int) -> list[str]:
        return self.block(INDENT * depth + self.head("example", node.name, node.label), node.items, depth)

    def fmt_DataItem(self, node: ast.DataItem, depth: int) -> list[str]:
        return [INDENT * depth + f"data {quote(node.path)}"]

    def fmt_ExpectItem(self, node: ast.ExpectItem, depth: int) -> list[str]:
        return [INDENT * depth + f"expect {self.expr(node.target)} = {self.expr(node.value)}"]

    # ---- types -------------------------------------------------------------------

    def type_lines(self, node, depth: int) -> list[str]:
        """A type as lines: one, except a record's block (its first line unindented)."""
        if isinstance(node, ast.RecordType):
            return self.block("record", node.items, depth)
        if isinstance(node, ast.ListType):
            lines = self.type_lines(node.element, depth)
            lines[0] = "list of " + lines[0]
            return lines
        return [self.type_text(node)]

    def type_text(self, node) -> str:
        match node:
            case ast.BoolType():
                return "bool"
            case ast.TextType():
                return "text"
            case ast.IndicatorType():
                return "indicator"
            case ast.NumberType(integer=integer, unit=unit):
                word = "count" if integer else "number"
                return word if unit is None else f"{word} [{unit}]"
            case ast.EnumType(values=values):
                return "enum(" + ", ".join(self.enum_value(v) for v in values) + ")"
        raise TypeError(f"the formatter has no rule for the type {type(node).__name__}")

    def enum_lines(self, opener: str, node: ast.EnumType, depth: int, options: str) -> list[str]:
        """`opener enum( \\`, each member on a continued line, then `)` and the options."""
        inner = " " * (len(INDENT) * depth + CONTINUATION)
        members = [self.enum_value(v) for v in node.values]
        return ([opener + "enum( \\"]
                + [inner + member + ("," if i < len(members) - 1 else "") + " \\" for i, member in enumerate(members)]
                + [INDENT * depth + ")" + options])

    @staticmethod
    def enum_value(value: ast.EnumValue) -> str:
        return value.name if value.label is None else f"{value.name} {quote(value.label)}"

    # ---- table cells and intervals -----------------------------------------------

    def cell(self, node) -> str:
        match node:
            case ast.AnyCell():
                return "-"
            case ast.CompareCell(op=op, value=value):
                return f"{OPERATOR_TEXT.get(op, op)} {self.expr(value, SUM)}"
            case ast.IntervalCell(interval=interval):
                return self.fmt_Interval(interval)
            case ast.OutputHead(name=name):
                return f"=> {name}"
            case ast.ExprCell(expr=expr):
                return self.expr(expr)
        raise TypeError(f"the formatter has no rule for the cell {type(node).__name__}")

    def fmt_Interval(self, node: ast.Interval) -> str:
        lower = "-inf" if node.lower is None else self.expr(node.lower)
        upper = "inf" if node.upper is None else self.expr(node.upper)
        return f"{'[' if node.lower_closed else '('}{lower}, {upper}{']' if node.upper_closed else ')'}"

    # ---- wrapping long statements ---------------------------------------------------

    def statement(self, depth: int, head: str, *parts: tuple[str, object, str]) -> list[str]:
        """A statement that ends in expressions: `head`, then each part
        `(keyword, expression, tail)` printed as `keyword expression tail` after a
        space (`let x =` and `("", expr, "")`; a bonus has two parts). One line
        if it fits; otherwise `head \\` and every part on lines of its own,
        `CONTINUATION` deeper, the expression wrapped by `wrap`."""
        base = len(INDENT) * depth
        flat = head + "".join(f" {word}{self.expr(expr)}{tail}" for word, expr, tail in parts)
        if self.fits(base, flat, more=False):
            return [" " * base + flat]
        inner = base + CONTINUATION
        lines: list[Line] = [(base, head)]
        for index, (word, expr, tail) in enumerate(parts):
            more = index < len(parts) - 1
            lines += self.wrap(expr, IF, word, inner, inner + CONTINUATION if word else inner, tail, more)
        if len(lines) == 2 and not self.fits(*lines[1], more=False):
            return [" " * base + flat]  # nothing to split, and no room below either
        return [" " * column + text + (" \\" if index < len(lines) - 1 else "")
                for index, (column, text) in enumerate(lines)]

    def fits(self, column: int, text: str, more: bool) -> bool:
        """Whether `text` at `column` fits in the width, with ` \\` after it if `more`."""
        return self.width is None or column + display_width(text) + (2 if more else 0) <= self.width

    def wrap(self, node, context: int, prefix: str, column: int, indent: int,
             suffix: str, more: bool) -> list[Line]:
        """The lines of `prefix`, `node` (printed at strength `context`) and `suffix`.

        The first line is at `column`, the continuation lines of `node`'s own
        split (`+ b`, `then a`) at `indent`; a bracket split here holds its
        content `CONTINUATION` deeper than the line that opens it and closes at
        that line's indentation. `more`: the statement goes on after `suffix`,
        so the last line will end in ` \\` too. One line if it fits."""
        flat = prefix + self.expr(node, context) + suffix
        if self.fits(column, flat, more):
            return [(column, flat)]
        if strength(node) < context:
            return self.bracket(prefix + "(", [node], "", column, ")" + suffix)
        method = getattr(self, f"wrap_{type(node).__name__}", None)
        if method is None:
            return [(column, flat)]  # an atom: it cannot be split
        return method(node, prefix, column, indent, suffix, more)

    def bracket(self, opener: str, nodes: Sequence, separator: str, column: int,
                closer: str) -> list[Line]:
        """`opener` ending a line, `nodes` one per line (each followed by
        `separator` but the last) `CONTINUATION` deeper, then `closer` at `column`."""
        inner = column + CONTINUATION
        lines: list[Line] = [(column, opener)]
        for index, node in enumerate(nodes):
            last = index == len(nodes) - 1
            lines += self.wrap(node, IF, "", inner, inner, "" if last else separator, True)
        return lines + [(column, closer)]

    def wrap_Binary(self, node: ast.Binary, prefix: str, column: int, indent: int,
                    suffix: str, more: bool) -> list[Line]:
        """One operand per line; every line after the first starts with its operator."""
        operands, ops = chain(node)
        first, context = operands[0]
        lines = self.wrap(first, context, prefix, column, indent + CONTINUATION, "", True)
        for index, (op, (operand, context)) in enumerate(zip(ops, operands[1:])):
            last = index == len(ops) - 1
            lines += self.wrap(operand, context, op + " ", indent, indent + CONTINUATION,
                               suffix if last else "", more if last else True)
        return lines

    def wrap_If(self, node: ast.If, prefix: str, column: int, indent: int,
                suffix: str, more: bool) -> list[Line]:
        """`if c`, `then a`, `else b` on lines of their own; `else if` goes on the same ladder."""
        deeper = indent + CONTINUATION
        lines = self.wrap(node.cond, IF, prefix + "if ", column, deeper, "", True)
        lines += self.wrap(node.then, IF, "then ", indent, deeper, "", True)
        if isinstance(node.otherwise, ast.If):
            return lines + self.wrap_If(node.otherwise, "else ", indent, indent, suffix, more)
        return lines + self.wrap(node.otherwise, IF, "else ", indent, deeper, suffix, more)

    def wrap_Aggregate(self, node: ast.Aggregate, prefix: str, column: int, indent: int,
                       suffix: str, more: bool) -> list[Line]:
        """`f(for x in s where c:`, the body on the lines below, then `)`; a
        `where` that does not fit goes on a line of its own, before the body."""
        inner = column + CONTINUATION
        head = f"{prefix}{node.func}(for {node.var} in {self.expr(node.source)}"
        where = None if node.where is None else f"{head} where {self.expr(node.where)}:"
        if where is None:
            lines = [(column, head + ":")]
        elif self.fits(column, where, True):
            lines = [(column, where)]
        else:
            lines = [(column, head)] + self.wrap(node.where, IF, "where ", inner,
                                                 inner + CONTINUATION, ":", True)
        lines += self.wrap(node.body, IF, "", inner, inner, "", True)
        return lines + [(column, ")" + suffix)]

    def wrap_Call(self, node: ast.Call, prefix: str, column: int, indent: int,
                  suffix: str, more: bool) -> list[Line]:
        if not node.args:
            return [(column, f"{prefix}{node.func}(){suffix}")]
        return self.bracket(f"{prefix}{node.func}(", node.args, ",", column, ")" + suffix)

    def wrap_Member(self, node: ast.Member, prefix: str, column: int, indent: int,
                    suffix: str, more: bool) -> list[Line]:
        lines = self.wrap(node.operand, SUM, prefix, column, indent, " in (", True)
        opener_column, opener = lines.pop()
        return lines + self.bracket(opener, node.options, ",", opener_column, ")" + suffix)

    def wrap_Unary(self, node: ast.Unary, prefix: str, column: int, indent: int,
                   suffix: str, more: bool) -> list[Line]:
        if node.op == "not":
            return self.wrap(node.operand, NOT, prefix + "not ", column, indent, suffix, more)
        return self.wrap(node.operand, NEGATE, prefix + "-", column, indent, suffix, more)

    def wrap_Field(self, node: ast.Field, prefix: str, column: int, indent: int,
                   suffix: str, more: bool) -> list[Line]:
        return self.wrap(node.obj, ATOM, prefix, column, indent, f".{node.name}{suffix}", more)

    def wrap_Index(self, node: ast.Index, prefix: str, column: int, indent: int,
                   suffix: str, more: bool) -> list[Line]:
        return self.wrap(node.obj, ATOM, prefix, column, indent, f"[{self.expr(node.key)}]{suffix}", more)

    # ---- expressions -----------------------------------------------------------------

    def expr(self, node, context: int = IF) -> str:
        """`node` printed where the grammar needs binding strength `context` or more."""
        text = getattr(self, f"fmt_{type(node).__name__}")(node)
        return f"({text})" if strength(node) < context else text

    def fmt_Number(self, node: ast.Number) -> str:
        return node.text

    def fmt_String(self, node: ast.String) -> str:
        return quote(node.value)

    def fmt_Bool(self, node: ast.Bool) -> str:
        return "true" if node.value else "false"

    def fmt_Name(self, node: ast.Name) -> str:
        return node.id

    def fmt_Field(self, node: ast.Field) -> str:
        return f"{self.expr(node.obj, ATOM)}.{node.name}"

    def fmt_Index(self, node: ast.Index) -> str:
        return f"{self.expr(node.obj, ATOM)}[{self.expr(node.key)}]"

    def fmt_Call(self, node: ast.Call) -> str:
        return f"{node.func}({', '.join(self.expr(a) for a in node.args)})"

    def fmt_Aggregate(self, node: ast.Aggregate) -> str:
        where = "" if node.where is None else f" where {self.expr(node.where)}"
        return f"{node.func}(for {node.var} in {self.expr(node.source)}{where}: {self.expr(node.body)})"

    def fmt_RangeSource(self, node: ast.RangeSource) -> str:
        return f"{self.expr(node.low)} .. {self.expr(node.high)}"

    def fmt_Unary(self, node: ast.Unary) -> str:
        if node.op == "not":
            return f"not {self.expr(node.operand, NOT)}"
        return f"-{self.expr(node.operand, NEGATE)}"

    def fmt_Binary(self, node: ast.Binary) -> str:
        left, right = sides(node)
        op = OPERATOR_TEXT.get(node.op, node.op)
        return f"{self.expr(node.left, left)} {op} {self.expr(node.right, right)}"

    def fmt_Member(self, node: ast.Member) -> str:
        options = ", ".join(self.expr(o) for o in node.options)
        return f"{self.expr(node.operand, SUM)} in ({options})"

    def fmt_If(self, node: ast.If) -> str:
        return f"if {self.expr(node.cond)} then {self.expr(node.then)} else {self.expr(node.otherwise)}"

    def fmt_Undetermined(self, node: ast.Undetermined) -> str:
        return f"undetermined({quote(node.reason)})"

    def fmt_EmptyList(self, node: ast.EmptyList) -> str:
        return "[]"

    def fmt_Null(self, node: ast.Null) -> str:
        return "null"

    def fmt_NotEvaluatedLiteral(self, node: ast.NotEvaluatedLiteral) -> str:
        return "not_evaluated"


def sides(node: ast.Binary) -> tuple[int, int]:
    """The binding strength each operand of `node` needs (see `_Formatter.expr`)."""
    level = PRECEDENCE[node.op]
    if level == COMPARE:  # comparisons do not chain: both sides are sums
        return SUM, SUM
    if node.op == "^":  # right-associative, and its base is a unary
        return NEGATE, POWER
    return level, level + 1  # left-associative


def chain(node: ast.Binary) -> tuple[list[tuple[object, int]], list[str]]:
    """The operands of a left-associative run of one operator level, each with
    the strength it is printed at, and the operators between them:
    `a - b + c` gives `[(a, SUM), (b, SUM + 1), (c, SUM + 1)]` and `["-", "+"]`."""
    left, right = sides(node)
    level = PRECEDENCE[node.op]
    if level in (OR, AND, SUM, PRODUCT) and isinstance(node.left, ast.Binary) \
            and PRECEDENCE[node.left.op] == level:
        operands, ops = chain(node.left)
    else:
        operands, ops = [(node.left, left)], []
    return operands + [(node.right, right)], ops + [OPERATOR_TEXT.get(node.op, node.op)]


def strength(node) -> int:
    """How tightly `node` binds when printed bare (higher binds tighter)."""
    match node:
        case ast.If():
            return IF
        case ast.Binary(op=op):
            return PRECEDENCE[op]
        case ast.Unary(op="not"):
            return NOT
        case ast.Unary():
            return NEGATE
        case ast.Member():
            return COMPARE
        case ast.RangeSource():
            return IF
    return ATOM
