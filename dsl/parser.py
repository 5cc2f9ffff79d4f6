"""Text to AST: the only module that imports Lark.

`parse(text, path)` runs the LALR parser built from dsl/grammar.lark, turns
Lark's tree into the frozen nodes of dsl/ast.py (converting positions into
`Span`s), and re-attaches the comments the grammar ignored (dsl/comments.py),
so the formatter can give them back. A syntax error becomes one `ParseError`
with a diagnostic whose message comes from SYNTAX_ERRORS when the error
matches a known example, else from the set of tokens the parser expected.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import attrs
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from dsl import ast
from dsl.comments import attach_comments, scan_comments
from dsl.diagnostics import InternalError, ParseError, error
from dsl.source import Position, Span

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")

_CANONICAL_OPS = {"≥": ">=", "≤": "<=", "≠": "!=", "×": "*", "÷": "/"}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # cache=True keeps the built LALR tables between runs: cold start matters
    # for a command-line tool.
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr",
                propagate_positions=True, maybe_placeholders=True, cache=True)


# ---- positions -----------------------------------------------------------

class _Inf:
    """An infinite interval bound, before the interval is built."""


_POS_INF, _NEG_INF = _Inf(), _Inf()


@attrs.frozen
class _Clause:
    text: str


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


# ---- Lark tree -> AST ---------------------------------------------------------

@v_args(meta=True)
class _ToAst(Transformer):
    """One callback per grammar alias; each quotes the rule it handles."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, Position(0, 0, 0), Position(0, 0, 0))
        return Span(self.path, Position(meta.start_pos, meta.line, meta.column),
                    Position(meta.end_pos, meta.end_line, meta.end_column))

    def _token_span(self, token: Token) -> Span:
        return Span(self.path, Position(token.start_pos, token.line, token.column),
                    Position(token.end_pos, token.end_line, token.end_column))

    @staticmethod
    def _head(children):
        """Split `NAME STRING? clause? rest...` into (name, label, clause, rest)."""
        children = list(children)
        name = str(children.pop(0))
        label = clause = None
        if children and children[0] is None:
            children.pop(0)
        elif children and isinstance(children[0], Token) and children[0].type == "STRING":
            label = _unquote(children.pop(0))
        if children and (children[0] is None or isinstance(children[0], _Clause)):
            found = children.pop(0)
            clause = found.text if found is not None else None
        return name, label, clause, children

    # clause: "§" STRING
    def clause(self, meta, children):
        return _Clause(_unquote(children[0]))

    # start: _NL? item*
    def start(self, meta, children):
        return ast.RuleFile(self.path, tuple(c for c in children if c is not None), self._span(meta))

    # standard_header: "standard" NAME STRING "{" header_field* "}"
    def standard_header(self, meta, children):
        name, label, _, items = str(children[0]), _unquote(children[1]), None, children[2:]
        return ast.StandardHeader(name, label, tuple(items), self._span(meta))

    def header_field(self, meta, children):
        return ast.HeaderField(str(children[0]), _unquote(children[1]), self._span(meta))

    def import_decl(self, meta, children):
        return ast.Import(_unquote(children[0]), self._span(meta))

    # input_decl: "input" NAME STRING? clause? ":" type_expr input_option*
    def input_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        type_, options = rest[0], dict(rest[1:])
        return ast.Input(name, label, clause, type_, span=self._span(meta), **options)

    # field_decl: NAME STRING? ":" type_expr input_option*
    def field_decl(self, meta, children):
        name, label, _, rest = self._field_head(children)
        type_, options = rest[0], dict(rest[1:])
        if "alias" in options:
            raise _SyntaxProblem("bad_alias", "`alias` is for inputs, not record fields", self._span(meta),
                                 "a record field is keyed by its identifier or its label")
        return ast.FieldDecl(name, label, type_, span=self._span(meta), **options)

    @staticmethod
    def _field_head(children):
        children = list(children)
        name = str(children.pop(0))
        label = None
        if children and children[0] is None:
            children.pop(0)
        elif children and isinstance(children[0], Token) and children[0].type == "STRING":
            label = _unquote(children.pop(0))
        return name, label, None, children

    def bool_type(self, meta, children):
        return ast.BoolType(self._span(meta))

    def _unit(self, meta, children) -> str | None:
        if not children or children[0] is None:
            return None
        unit = children[0][1:-1].strip()
        if not unit:
            raise _SyntaxProblem("empty_unit", "a unit in brackets cannot be empty", self._span(meta),
                                 "write the unit, e.g. `[万元]`, or leave the brackets out")
        return unit

    def number_type(self, meta, children):
        return ast.NumberType(False, self._unit(meta, children), self._span(meta))

    def count_type(self, meta, children):
        return ast.NumberType(True, self._unit(meta, children), self._span(meta))

    def text_type(self, meta, children):
        return ast.TextType(self._span(meta))

    def indicator_type(self, meta, children):
        return ast.IndicatorType(self._span(meta))

    def enum_type(self, meta, children):
        return ast.EnumType(tuple(children), self._span(meta))

    def enum_value(self, meta, children):
        label = _unquote(children[1]) if len(children) > 1 and children[1] is not None else None
        return ast.EnumValue(str(children[0]), label, self._span(meta))

    def list_type(self, meta, children):
        return ast.ListType(children[0], self._span(meta))

    def record_type(self, meta, children):
        return ast.RecordType(tuple(children), self._span(meta))

    # input_option
    def range_option(self, meta, children):
        return ("range", children[0])

    def optional_option(self, meta, children):
        return ("optional", True)

    def default_option(self, meta, children):
        return ("default", children[0])

    def length_option(self, meta, children):
        low, high = str(children[0]), str(children[1])
        if not (low.isdecimal() and high.isdecimal()):
            raise _SyntaxProblem("bad_length", "a length runs between two whole numbers",
                                 self._span(meta), "write `length 1..4`")
        return ("length", (int(low), int(high)))

    def alias_option(self, meta, children):
        return ("alias", str(children[0]))

    # literals and atoms
    def number(self, meta, children):
        return ast.Number(str(children[0]), self._span(meta))

    def negative_number(self, meta, children):
        return ast.Unary("-", ast.Number(str(children[0]), self._token_span(children[0])), self._span(meta))

    def string(self, meta, children):
        return ast.String(_unquote(children[0]), self._span(meta))

    def true(self, meta, children):
        return ast.Bool(True, self._span(meta))

    def false(self, meta, children):
        return ast.Bool(False, self._span(meta))

    def name(self, meta, children):
        return ast.Name(str(children[0]), self._span(meta))

    def empty_list(self, meta, children):
        return ast.EmptyList(self._span(meta))

    def null(self, meta, children):
        return ast.Null(self._span(meta))

    def not_evaluated(self, meta, children):
        return ast.NotEvaluatedLiteral(self._span(meta))

    # param_decl / param_map_decl / map_entry
    def param_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Param(name, label, clause, rest[0], self._span(meta))

    def param_map_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        value = ast.MapValue(tuple(rest), self._span(meta))
        return ast.Param(name, label, clause, value, self._span(meta))

    def map_entry(self, meta, children):
        return ast.MapEntry(children[0], children[1], self._span(meta))

    # let_decl: "let" ... / "result" ...
    def let_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Let(name, label, clause, rest[0], False, self._span(meta))

    def result_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Let(name, label, clause, rest[0], True, self._span(meta))

    # table_decl / grade_decl
    def table_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Table(name, label, clause, tuple(rest), self._span(meta))

    def grade_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Grade(name, label, clause, tuple(rest), self._span(meta))

    def hit_item(self, meta, children):
        return ast.HitItem(children[0], self._span(meta))

    def hit_policy(self, meta, children):
        return str(children[0])

    def vetoed_item(self, meta, children):
        clause = children[1].text if len(children) > 1 and children[1] is not None else None
        return ast.VetoedItem(_unquote(children[0]), clause, self._span(meta))

    def row(self, meta, children):
        return ast.Row(tuple(children), self._span(meta))

    def any_cell(self, meta, children):
        return ast.AnyCell(self._span(meta))

    def compare_cell(self, meta, children):
        return ast.CompareCell(children[0], children[1], self._span(meta))

    def interval_cell(self, meta, children):
        return ast.IntervalCell(children[0], self._span(meta))

    def output_head(self, meta, children):
        return ast.OutputHead(str(children[-1]), self._span(meta))

    def expr_cell(self, meta, children):
        return ast.ExprCell(children[0], self._span(meta))

    def _interval(self, meta, children, lower_closed, upper_closed):
        lower, upper = children
        if lower is _POS_INF or upper is _NEG_INF:
            raise _SyntaxProblem("bad_interval", "an interval runs from a lower to an upper bound",
                                 self._span(meta), "write `(-inf, x]` or `[x, inf)`")
        return ast.Interval(None if lower is _NEG_INF else lower, lower_closed,
                            None if upper is _POS_INF else upper, upper_closed, self._span(meta))

    def interval_closed_closed(self, meta, children):
        return self._interval(meta, children, True, True)

    def interval_closed_open(self, meta, children):
        return self._interval(meta, children, True, False)

    def interval_open_closed(self, meta, children):
        return self._interval(meta, children, False, True)

    def interval_open_open(self, meta, children):
        return self._interval(meta, children, False, False)

    def pos_inf(self, meta, children):
        return _POS_INF

    def neg_inf(self, meta, children):
        return _NEG_INF

    # group_decl / indicator_decl and their items
    def group_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Group(name, label, clause, tuple(rest), self._span(meta))

    def applies_item(self, meta, children):
        clause = children[1].text if len(children) > 1 and children[1] is not None else None
        return ast.AppliesWhen(children[0], clause, self._span(meta))

    def indicator_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Indicator(name, label, clause, tuple(rest), self._span(meta))

    def points_item(self, meta, children):
        return ast.PointsItem(ast.Number(str(children[0]), self._token_span(children[0])), self._span(meta))

    def score_item(self, meta, children):
        return ast.ScoreItem(children[0], self._span(meta))

    def level_item(self, meta, children):
        return ast.LevelItem(children[0], self._span(meta))

    def bonus_item(self, meta, children):
        return ast.BonusItem(str(children[0]), self._span(meta))

    # bonus_decl: "bonus" NAME STRING? clause? "when" expr "multiply" expr "cap" "points"
    def bonus_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Bonus(name, label, clause, rest[0], rest[1], self._span(meta))

    def veto_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Veto(name, label, clause, tuple(rest), self._span(meta))

    def validate_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Validate(name, label, clause, tuple(rest), self._span(meta))

    def require_item(self, meta, children):
        return ast.RequireItem(children[0], self._span(meta))

    def total_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        return ast.Total(name, label, clause, tuple(rest), self._span(meta))

    def excluding_item(self, meta, children):
        clause = children[1].text if len(children) > 1 and children[1] is not None else None
        return ast.ExcludingItem(str(children[0]), clause, self._span(meta))

    # override_decl: "override" (input_decl | param_decl | …)
    def override_decl(self, meta, children):
        return ast.Override(children[0], self._span(meta))

    # derive_decl: "derive" NAME STRING? clause? "for" NAME ["where" expr] ["key" NAME] "{" let_decl* "}"
    def derive_decl(self, meta, children):
        name, label, clause, rest = self._head(children)
        var, where, key, *items = rest
        return ast.Derive(name, label, clause, str(var), where, str(key) if key is not None else None,
                          tuple(items), self._span(meta))

    def example_decl(self, meta, children):
        name, label, _, rest = self._field_head(children)
        return ast.Example(name, label, tuple(rest), self._span(meta))

    def data_item(self, meta, children):
        return ast.DataItem(_unquote(children[0]), self._span(meta))

    def expect_item(self, meta, children):
        return ast.ExpectItem(children[0], children[1], self._span(meta))

    # expressions
    def if_expr(self, meta, children):
        return ast.If(children[0], children[1], children[2], self._span(meta))

    def or_op(self, meta, children):
        return ast.Binary("or", children[0], children[1], self._span(meta))

    def and_op(self, meta, children):
        return ast.Binary("and", children[0], children[1], self._span(meta))

    def not_op(self, meta, children):
        return ast.Unary("not", children[0], self._span(meta))

    def cmp_op(self, meta, children):
        op = str(children[0])
        return _CANONICAL_OPS.get(op, op)

    def compare(self, meta, children):
        return ast.Binary(children[1], children[0], children[2], self._span(meta))

    def member(self, meta, children):
        return ast.Member(children[0], tuple(children[1:]), self._span(meta))

    def binary(self, meta, children):
        op = str(children[1])
        return ast.Binary(_CANONICAL_OPS.get(op, op), children[0], children[2], self._span(meta))

    def power(self, meta, children):
        return ast.Binary("^", children[0], children[1], self._span(meta))

    def neg(self, meta, children):
        return ast.Unary("-", children[0], self._span(meta))

    def field(self, meta, children):
        return ast.Field(children[0], str(children[1]), self._span(meta))

    def index(self, meta, children):
        key = children[1]
        if isinstance(key, Token):
            key = ast.Number(str(key), self._token_span(key))
        return ast.Index(children[0], key, self._span(meta))

    def call(self, meta, children):
        return ast.Call(str(children[0]), tuple(c for c in children[1:] if c is not None), self._span(meta))

    def aggregate(self, meta, children):
        func, var, source, where, body = children
        return ast.Aggregate(str(func), str(var), source, where, body, self._span(meta))

    def range_source(self, meta, children):
        return ast.RangeSource(children[0], children[1], self._span(meta))

    def undetermined(self, meta, children):
        return ast.Undetermined(_unquote(children[0]), self._span(meta))


class _SyntaxProblem(Exception):
    def __init__(self, code, message, span, hint=None):
        super().__init__(message)
        self.diagnostic = error(code, message, span, hint)


# ---- syntax errors -------------------------------------------------------------

# (code, message, hint, examples that fail the same way). Each entry has a test.
SYNTAX_ERRORS = [
    ("missing_type", "an input needs `:` and a type", "write `input name \"标签\" : number [万元]`",
     ['input x "标签" number\n', "input x number\n", 'input x "l" § "1"\n']),
    ("missing_equals", "a value needs `=` before its expression", "write `let name = expression`",
     ["let x 1\n", 'let x "标签" 1\n', "param p 2\n"]),
    ("unclosed_block", "this block is not closed with `}`", "add a line with `}` at the end of the block",
     ['indicator x "l" {\n  points 5\n', 'group g {\n', 'table t {\n  | a | => b |\n']),
    ("bad_table_cell", "a table cell needs a value, a comparison such as `≥ 4%`, an interval such as `[5%, 15%)`, or `-`",
     "end the row with `|`, and write an interval with both bounds",
     ["table t {\n  | a | => b |\n  | ≥ | 1 |\n}\n", "table t {\n  | a | => b |\n  | [1, | 1 |\n}\n",
      "table t {\n  | a | => b |\n  | 1 | 2\n}\n"]),
    ("incomplete_expression", "this expression is incomplete", "an operator needs a value on both sides",
     ["let x = 1 +\n", "let x = (1\n", "let x = a and\n"]),
]


def _describe_expected(expected: set[str]) -> str:
    parser = _parser()
    names = []
    for terminal in sorted(expected):
        if terminal == "_NL":
            names.append("end of line")
            continue
        try:
            pattern = parser.get_terminal(terminal).pattern
        except KeyError:
            names.append(terminal)
            continue
        if pattern.type == "str":
            names.append(f"`{pattern.value}`")
        else:
            names.append({"NAME": "a name", "STRING": "a string", "NUMBER": "a number",
                          "UNIT": "a unit such as [万元]"}.get(terminal, terminal.lower()))
    return ", ".join(dict.fromkeys(names))


def _error_state(exc: UnexpectedInput) -> tuple | None:
    """(LR state, offending token type) of a parse error; None without a parser state."""
    position = getattr(getattr(exc, "state", None), "position", None)
    if position is None:
        return None
    return position, getattr(getattr(exc, "token", None), "type", None)


@lru_cache(maxsize=1)
def _example_codes() -> dict[tuple, str]:
    """The code of each SYNTAX_ERRORS example, keyed by the LR state its parse fails
    in, with and without the offending token's type.

    Lark's `UnexpectedInput.match_examples` would also require the same depth of the
    parser's stack, so `f(1 +` or an error inside a group would not match the example
    `let x = 1 +`; the LR state alone says which construct is broken."""
    codes: dict[tuple, str] = {}
    for code, _, _, examples in SYNTAX_ERRORS:
        for example in examples:
            try:
                _parser().parse(example)
            except UnexpectedInput as exc:
                key = _error_state(exc)
                if key is not None:
                    codes.setdefault(key, code)
                    codes.setdefault(key[:1], code)
    return codes


def _matching_example_code(exc: UnexpectedInput) -> str | None:
    key = _error_state(exc)
    if key is None:
        return None
    if key[1] == "$END" and "RBRACE" in (getattr(exc, "expected", None) or ()):
        # The file ends where `}` could come: some block is open. Its examples
        # cannot list every block kind after every number of items (Lark gives
        # each its own LR state), so this one is a rule.
        return "unclosed_block"
    codes = _example_codes()
    return codes.get(key) or codes.get(key[:1])


def _syntax_diagnostic(exc: UnexpectedInput, text: str, path: str):
    line = getattr(exc, "line", 0) or 0
    column = getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedEOF) or line <= 0:
        lines = text.split("\n")[:-1] or [""]  # lines as Lark counts them; text ends with "\n"
        line, column = len(lines), len(lines[-1].rstrip("\r")) + 1
    offset = getattr(exc, "pos_in_stream", 0) or 0
    pos = Position(offset, line, column)
    span = Span(path, pos, Position(offset + 1, line, column + 1))
    label = _matching_example_code(exc)
    if label:
        code, message, hint, _ = next(entry for entry in SYNTAX_ERRORS if entry[0] == label)
        return error(code, message, span, hint)
    if isinstance(exc, UnexpectedCharacters):
        char = text[offset] if offset < len(text) else "?"
        return error("unexpected_character", f"unexpected character `{char}`", span,
                     f"expected {_describe_expected(set(exc.allowed))}" if exc.allowed else None)
    token = getattr(exc, "token", None)
    found = "end of file" if token is None or token.type == "$END" else (
        "end of line" if token.type == "_NL" else f"`{token}`")
    expected = _describe_expected(set(getattr(exc, "expected", ()) or ()))
    return error("syntax_error", f"unexpected {found}", span, f"expected {expected}" if expected else None)


def _too_deep(path: str):
    """Hundreds of nested operators exhaust Python's stack in the tree walk."""
    start = Position(0, 1, 1)
    return error("too_deeply_nested", "the expressions of this file nest too deeply",
                 Span(path, start, start), "name parts of the expression with `let`")


# ---- sections ------------------------------------------------------------------

_SECTION_KINDS = {ast.Group: "group", ast.Indicator: "indicator", ast.Table: "table", ast.Grade: "grade",
                  ast.Input: "input", ast.Param: "param", ast.Let: "let", ast.Veto: "veto",
                  ast.Validate: "validate", ast.Total: "total", ast.Bonus: "bonus", ast.Example: "example",
                  ast.StandardHeader: "standard", ast.Derive: "derive"}


def _with_sections(node, section: str):
    """Stamp every span with the declarations that enclose it, e.g.
    `group business › indicator rd_score "研发投入"`, for diagnostics.

    The nodes are the parser's own, built moments ago and not yet shared, so
    their spans are set in place (frozen attrs classes allow it through
    object.__setattr__); once `parse` returns, the tree is never changed."""
    kind = _SECTION_KINDS.get(type(node))
    if kind is not None:
        title = f"{kind} {node.name}" + (f' "{node.label}"' if getattr(node, "label", None) else "")
        section = f"{section} › {title}" if section else title
    object.__setattr__(node, "span", node.span.with_section(section))
    for child in ast.children(node):
        _with_sections(child, section)
    return node


def parse(text: str, path: str = "<string>") -> ast.RuleFile:
    """Parse rule-file text into an AST; raise ParseError with a diagnostic on bad syntax."""
    source = text if text.endswith("\n") else text + "\n"
    try:
        tree = _parser().parse(source)
        rule_file = _ToAst(path).transform(tree)
    except UnexpectedInput as exc:
        raise ParseError(_syntax_diagnostic(exc, source, path)) from None
    except RecursionError:
        raise ParseError(_too_deep(path)) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, _SyntaxProblem):
            raise ParseError(exc.orig_exc.diagnostic) from None
        if isinstance(exc.orig_exc, RecursionError):
            raise ParseError(_too_deep(path)) from None
        raise InternalError(f"parser transformer failed: {exc.orig_exc!r}") from exc.orig_exc
    rule_file = attrs.evolve(rule_file, span=Span(path, Position(0, 1, 1),
                                                   Position(len(source), source.count("\n") + 1, 1)))
    rule_file = attach_comments(rule_file, scan_comments(source), path)
    return _with_sections(rule_file, "")

