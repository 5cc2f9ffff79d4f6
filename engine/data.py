"""Applicant data: reading a data file and checking it against the rule set's inputs.

Users fill in data files without reading rule files, so this module is where
their mistakes are caught, all at once and in their own terms: each problem
names the place in the file (a key path for JSON/YAML, `row N, column H` for
CSV/XLSX) and the input it concerns, and says what was expected. Bad data
raises `DataError` with every problem found in every row, never a traceback.
The formats themselves are read by engine/data_formats.py.

What the data may say (docs/language.md, the data contract's conventions):
- Keys are input identifiers, their `alias` if declared, or their Chinese labels (`Input.label`); record
  fields likewise (`FieldDecl.label`); enum values are member names or labels.
  An unknown key is a problem with a did-you-mean hint.
- Identification keys: `name`, `名称`, `applicant`, `id` (case-insensitive) are
  not inputs unless the rule set declares an input of that identifier or label.
  `Applicant.key` is the value of the first of them present in that order.
- Numbers are exact (`Fraction`): JSON and YAML decimals are parsed as Decimal,
  CSV cells are decimal text, XLSX floats go through their shortest repr
  (`engine.values.exact`). Numeric text is accepted in every format.
- `number [%]`: the number is a number of percent, with or without a `%` sign:
  4.5, "4.5" and "4.5%" are all held as 0.045. 0.045 is 0.045%, never
  reinterpreted. A `%` sign on an input that is not a percentage is a problem.
- `bool`: booleans, or the text true/false, yes/no, 是/否, 1/0 (any case); in
  CSV/XLSX cells also the numbers 1 and 0.
- `count`: a whole number ≥ 0 (3.0 is 3).
- Lists: JSON/YAML lists. A CSV/XLSX cell holds JSON text (`[...]`, needed for
  records) or scalars separated by semicolons (`;` or `；`), or, when there is
  no semicolon, by commas; a trailing separator is allowed.
- A record given in a CSV/XLSX cell is JSON text (`{...}`).
- `range` applies to each element of a list; `length m..n` to the list.
- Absent is not zero: a missing input or record field, a JSON/YAML null and an
  empty cell are simply left out of `Applicant.values`. No defaults are
  applied here; the evaluator does that and reports what is missing.

Locations: the JSON/YAML key path as written, lists indexed from 0
(`applicants[2].制修订标准[1].level`); for tables `row N, column H` where N is
the spreadsheet row (the header is row 1) and H the header as written; a
problem inside a cell's JSON text names its path in the message
(`standards[1].level: ...`). Messages always use identifiers.

Problem codes: unreadable_file, malformed_file, no_applicants, unknown_key,
duplicate_key, wrong_type, unknown_value, out_of_range, wrong_length.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Collection, Mapping

import attrs

from dsl import ast
from dsl.formatter import format_interval as interval_text
from dsl.diagnostics import InternalError
from engine.data_formats import decimal_text, loads_json, read_applicants
from engine.errors import DataError, DataProblem
from engine.values import Value, exact

ID_KEYS = ("name", "名称", "applicant", "id")  # in order of preference for Applicant.key

MAX_EXPONENT = 1000  # decimal exponents beyond ±1000 are refused rather than expanded exactly

TRUE_WORDS = frozenset({"true", "yes", "是", "1"})
FALSE_WORDS = frozenset({"false", "no", "否", "0"})


@attrs.frozen
class Applicant:
    """One applicant's validated values (input identifier → value) and where they came from.

    `row` is the spreadsheet row for CSV/XLSX (the header is row 1), the 1-based
    position in the list for a JSON/YAML list, None for a single object."""

    values: dict[str, Value]
    source: str
    row: int | None
    key: str | None


def load_applicants(path: str | Path, inputs: Mapping[str, ast.Input],
                    indicator_names: Collection[str]) -> list[Applicant]:
    """Read and validate every applicant of a data file; raise DataError listing all problems."""
    source = str(path)
    raws, problems = read_applicants(Path(path), source)
    applicants = []
    for raw in raws:
        if raw.table:
            values, found = validate(raw.fields, inputs, indicator_names, source, raw.row, check_keys=False)
        else:
            values, found = validate(raw.fields, inputs, indicator_names, source, None, prefix=raw.prefix)
        problems.extend(found)
        applicants.append(Applicant(values, source, raw.row, applicant_key(raw.fields, inputs)))
    if raws and raws[0].table:  # headers are checked once, not once per row
        problems[:0] = check_columns(raws[0].columns, inputs, indicator_names, source)
    if problems:
        raise DataError(problems)
    return applicants


def check_columns(columns, inputs: Mapping[str, ast.Input], indicator_names: Collection[str],
                  source: str) -> list[DataProblem]:
    """The problems of a table's header (unknown or doubled columns), checked once per table."""
    checker = _Checker(inputs, indicator_names, source, 1, "")
    checker.resolve_keys(list(columns))
    return checker.problems


def validate(raw: Mapping[str, object], inputs: Mapping[str, ast.Input], indicator_names: Collection[str],
             source: str, row: int | None, *, prefix: str = "",
             check_keys: bool = True) -> tuple[dict[str, Value], list[DataProblem]]:
    """Check one applicant's raw values against the inputs; return the values and the problems.

    `row` not None means the values are CSV/XLSX cells of that spreadsheet row
    (text, and for XLSX numbers and booleans), located as `row N, column H`;
    otherwise they are JSON/YAML values located by key path under `prefix`.
    `check_keys=False` skips reporting unknown and doubled keys (a table checks
    its header once). An input with any problem is left out of the values."""
    checker = _Checker(inputs, indicator_names, source, row, prefix)
    values: dict[str, Value] = {}
    resolved = checker.resolve_keys(list(raw), getattr(raw, "duplicates", ()), report=check_keys)
    for key, decl in resolved.items():
        before = len(checker.problems)
        value = checker.value(decl.type, raw[key], decl.name, checker.location(key), row is not None,
                              decl.range, decl.length)
        if value is not _ABSENT and len(checker.problems) == before:
            values[decl.name] = value
    return values, checker.problems


def applicant_key(raw: Mapping[str, object], inputs: Mapping[str, ast.Input]) -> str | None:
    """The identifying value of an applicant (see ID_KEYS), as text."""
    taken = set(inputs) | {i.label for i in inputs.values() if i.label}
    found = {}
    for key, value in raw.items():
        if isinstance(key, str) and key.strip() not in taken and key.strip().lower() in ID_KEYS:
            found.setdefault(key.strip().lower(), value)
    for id_key in ID_KEYS:
        value = found.get(id_key)
        if value is None or isinstance(value, (list, dict)):
            continue
        text = _as_text(value).strip()
        if text:
            return text
    return None


class _Absent:
    def __repr__(self) -> str:
        return "_ABSENT"


_ABSENT = _Absent()  # no value given: left out, not a problem
_BAD = object()  # a problem was recorded


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (float, Fraction)) and math.isfinite(value):
        return decimal_text(exact(value))
    return str(value)  # int, Decimal (as written), anything else


def _show(value) -> str:
    """A raw value as the user wrote it, for messages."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (int, float, Decimal, Fraction)):
        return _as_text(value)
    return json.dumps(str(value), ensure_ascii=False)


def _bound_value(expr) -> Fraction:
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-":
        return -_bound_value(expr.operand)
    raise InternalError(f"a range bound must be a constant number, got {expr!r}")


def in_interval(value: Fraction, interval: ast.Interval) -> bool:
    if interval.lower is not None:
        low = _bound_value(interval.lower)
        if value < low or (value == low and not interval.lower_closed):
            return False
    if interval.upper is not None:
        high = _bound_value(interval.upper)
        if value > high or (value == high and not interval.upper_closed):
            return False
    return True


def _is_percent(type_) -> bool:
    return isinstance(type_, ast.NumberType) and type_.unit == "%"


def _split_cell(text: str) -> list[str]:
    """`1; 2; 3` or `1, 2, 3` → pieces; semicolons win over commas; one trailing separator allowed."""
    pieces = re.split(r"[;；]", text) if re.search(r"[;；]", text) else text.split(",")
    pieces = [p.strip() for p in pieces]
    if len(pieces) > 1 and not pieces[-1]:
        pieces.pop()
    return pieces


def _usable(number) -> bool:
    """Finite, and not so far from 1 that its exact value would exhaust memory (1e999999999)."""
    if isinstance(number, float):
        return math.isfinite(number)
    if isinstance(number, Decimal):
        return number.is_finite() and abs(number.as_tuple().exponent) <= MAX_EXPONENT
    return True


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


class _Checker:
    """The problems of one applicant, and the conversion of its values."""

    def __init__(self, inputs, indicator_names, source, row, prefix):
        self.aliases = {d.alias: d for d in inputs.values() if d.alias is not None}
        self.inputs = inputs
        self.indicator_names = indicator_names
        self.source = source
        self.row = row
        self.prefix = prefix
        self.problems: list[DataProblem] = []

    # ---- locations and problems ----

    def location(self, key) -> str:
        if self.row is not None:
            return f"row {self.row}, column {key}"
        return f"{self.prefix}.{key}" if self.prefix else str(key)

    def sub(self, location: str, suffix: str) -> str:
        """A location inside a value; a cell is one location whatever it holds."""
        return location if self.row is not None else location + suffix

    def problem(self, location: str, message: str, hint: str | None = None, code: str = "wrong_type"):
        self.problems.append(DataProblem(self.source, location, message, hint, code))

    # ---- keys ----

    def resolve_keys(self, keys, duplicates=(), report=True) -> dict:
        """Key as written → Input, for the keys that name an input; reports the others."""
        by_label: dict[str, list[ast.Input]] = {}
        for decl in self.inputs.values():
            if decl.label:
                by_label.setdefault(decl.label, []).append(decl)
        resolved: dict = {}
        given: dict[str, object] = {}
        if report:
            for key in dict.fromkeys(duplicates):
                self.problem(self.location(key), f"`{key}` is given more than once", code="duplicate_key")
        for key in keys:
            name = key.strip() if isinstance(key, str) else str(key)
            if name in self.inputs:
                decl = self.inputs[name]
            elif name in self.aliases:
                decl = self.aliases[name]
            elif name in by_label and len(by_label[name]) == 1:
                decl = by_label[name][0]
            elif name in by_label:
                if report:
                    names = ", ".join(d.name for d in by_label[name])
                    self.problem(self.location(key), f"the label `{name}` is shared by {names}",
                                 "use the identifier", code="unknown_key")
                continue
            elif name.lower() in ID_KEYS:
                continue
            else:
                if report:
                    self.problem(self.location(key), f"`{name}` is not an input of this rule set",
                                 self._suggest(name, self.inputs.values()), code="unknown_key")
                continue
            if decl.name in given:
                if report:
                    self.problem(self.location(key), f"{decl.name} is given twice, as `{given[decl.name]}` "
                                 f"and as `{key}`", code="duplicate_key")
                continue
            given[decl.name] = key
            resolved[key] = decl
        return resolved

    @staticmethod
    def _suggest(name: str, decls) -> str | None:
        """`did you mean …` over identifiers and labels (difflib)."""
        decls = list(decls)
        candidates = {d.name: d for d in decls}
        candidates.update({d.label: d for d in decls if d.label and d.label not in candidates})
        match = difflib.get_close_matches(name, list(candidates), n=1)
        if not match:
            return None
        decl = candidates[match[0]]
        return f"did you mean `{decl.name}`" + (f" ({decl.label})?" if decl.label else "?")

    # ---- values ----

    def value(self, type_, raw, path: str, loc: str, cells: bool, range_=None, length=None):
        """The value of `raw` as `type_`, or _ABSENT, or _BAD after recording a problem.

        `cells`: `raw` is a CSV/XLSX cell (text lists, numbers as text...)."""
        if raw is None or (cells and isinstance(raw, str) and not raw.strip()):
            return _ABSENT
        if isinstance(type_, ast.ListType):
            return self._list(type_, raw, path, loc, cells, range_, length)
        if isinstance(type_, ast.RecordType):
            return self._record(type_, raw, path, loc, cells)
        value = self._scalar(type_, raw, path, loc, cells)
        if value is not _BAD and range_ is not None and isinstance(value, Fraction) and not in_interval(value, range_):
            shown = decimal_text(value * 100) + "%" if _is_percent(type_) else decimal_text(value)
            self.problem(loc, f"{path} = {shown} is outside {interval_text(range_)}", code="out_of_range")
            return _BAD
        return value

    def _from_json_text(self, raw: str, path: str, loc: str, what: str):
        try:
            return loads_json(raw)
        except json.JSONDecodeError as exc:
            self.problem(loc, f"{path}: the cell's {what} is not valid JSON "
                              f"(line {exc.lineno}, column {exc.colno}: {exc.msg})")
        except (RecursionError, ValueError) as exc:
            self.problem(loc, f"{path}: the cell's {what} is not usable JSON ({type(exc).__name__})")
        return _BAD

    def _list(self, type_: ast.ListType, raw, path, loc, cells, range_, length):
        element = type_.element
        if isinstance(raw, (list, tuple)):
            items = [(item, False) for item in raw]
        elif cells and isinstance(raw, str) and raw.strip().startswith("["):
            parsed = self._from_json_text(raw.strip(), path, loc, "list")
            if parsed is _BAD:
                return _BAD
            if not isinstance(parsed, list):
                self.problem(loc, f"{path}: expected a list, got {_show(parsed)}")
                return _BAD
            items = [(item, False) for item in parsed]
        elif cells and isinstance(element, ast.RecordType):
            self.problem(loc, f"{path}: expected a list of records written as JSON text, "
                              f'such as [{{"field": value}}, ...], got {_show(raw)}')
            return _BAD
        elif cells and isinstance(raw, str):
            items = [(piece, True) for piece in _split_cell(raw.strip())]
        elif cells and not isinstance(raw, dict):
            items = [(raw, True)]  # an XLSX number or boolean: a list of one
        else:
            self.problem(loc, f"{path}: expected a list, got {_show(raw)}")
            return _BAD
        out = []
        for i, (item, item_cells) in enumerate(items):
            item_path, item_loc = f"{path}[{i}]", self.sub(loc, f"[{i}]")
            value = self.value(element, item, item_path, item_loc, item_cells, range_)
            if value is _ABSENT:
                self.problem(item_loc, f"{item_path}: a list element is empty")
            elif value is not _BAD:
                out.append(value)
        if length is not None:
            low, high = length
            if len(items) < low or (high is not None and len(items) > high):
                self.problem(loc, f"{path} has {len(items)} element{'s' if len(items) != 1 else ''}; "
                                  f"its length must be {low}..{'' if high is None else high}",
                             code="wrong_length")
                return _BAD
        return tuple(out)

    def _record(self, type_: ast.RecordType, raw, path, loc, cells):
        fields = type_.fields
        if cells and isinstance(raw, str) and raw.strip().startswith("{"):
            raw = self._from_json_text(raw.strip(), path, loc, "record")
            if raw is _BAD:
                return _BAD
        if not isinstance(raw, dict):
            names = ", ".join(f.name for f in fields)
            self.problem(loc, f"{path}: expected an object with fields {names}, got {_show(raw)}")
            return _BAD
        for key in dict.fromkeys(getattr(raw, "duplicates", ())):
            self.problem(self.sub(loc, f".{key}"), f"{path}: `{key}` is given more than once", code="duplicate_key")
        by_name = {f.name: f for f in fields}
        by_label = {f.label: f for f in fields if f.label and f.label not in by_name}
        out: dict[str, Value] = {}
        given: dict[str, object] = {}
        for key, item in raw.items():
            name = key.strip() if isinstance(key, str) else str(key)
            field = by_name.get(name) or by_label.get(name)
            field_loc = self.sub(loc, f".{key}")
            if field is None:
                self.problem(field_loc, f"{path}: `{name}` is not a field of this record",
                             self._suggest(name, fields), code="unknown_key")
                continue
            if field.name in given:
                self.problem(field_loc, f"{path}.{field.name} is given twice, as `{given[field.name]}` "
                                        f"and as `{key}`", code="duplicate_key")
                continue
            given[field.name] = key
            value = self.value(field.type, item, f"{path}.{field.name}", field_loc, False, field.range, field.length)
            if value is not _ABSENT and value is not _BAD:
                out[field.name] = value
        return out

    def _scalar(self, type_, raw, path, loc, cells):
        if isinstance(type_, ast.BoolType):
            return self._bool(raw, path, loc, cells)
        if isinstance(type_, ast.NumberType):
            return self._number(type_, raw, path, loc)
        if isinstance(type_, ast.TextType):
            if isinstance(raw, str):
                return raw
            if cells and isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
                return _as_text(raw)  # an XLSX number in a text column, e.g. an id
            self.problem(loc, f"{path}: expected text, got {_show(raw)}")
            return _BAD
        if isinstance(type_, ast.EnumType):
            return self._enum(type_, raw, path, loc)
        if isinstance(type_, ast.IndicatorType):
            text = raw.strip() if isinstance(raw, str) else None
            if text in self.indicator_names:
                return text
            hint = None
            if text is not None:
                match = difflib.get_close_matches(text, list(self.indicator_names), n=1)
                hint = f"did you mean `{match[0]}`?" if match else None
            self.problem(loc, f"{path}: {_show(raw)} is not an indicator of this rule set", hint,
                         code="unknown_value")
            return _BAD
        raise InternalError(f"no data conversion for type {type_!r}")

    def _bool(self, raw, path, loc, cells):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        elif cells and isinstance(raw, (int, float, Decimal)) and raw in (0, 1):
            return raw == 1
        self.problem(loc, f"{path}: expected true or false (also yes/no, 是/否), got {_show(raw)}")
        return _BAD

    def _number(self, type_: ast.NumberType, raw, path, loc):
        percent = _is_percent(type_)
        expected = ("a whole number ≥ 0" if type_.integer
                    else 'a percentage (4.5 or "4.5%")' if percent else "a number")
        signed = False
        value = None
        if isinstance(raw, (int, float, Decimal, Fraction)) and not isinstance(raw, bool):
            value = exact(raw) if _usable(raw) else None
        elif isinstance(raw, str):
            text = raw.strip()
            if text.endswith(("%", "％")):
                signed, text = True, text[:-1].rstrip()
            try:
                number = Decimal(text)
                value = Fraction(number) if _usable(number) else None
            except (InvalidOperation, ValueError):
                value = None
        if value is None:
            hint = None
            if isinstance(raw, str) and _THOUSANDS.fullmatch(raw.strip()):
                hint = "write numbers without thousands separators"
            self.problem(loc, f"{path}: expected {expected}, got {_show(raw)}", hint)
            return _BAD
        if signed and not percent:
            unit = f"in [{type_.unit}]" if type_.unit else "a plain number"
            self.problem(loc, f"{path}: {_show(raw)} is a percentage, but {path} is {unit}",
                         "give the number without `%`")
            return _BAD
        if type_.integer and (value.denominator != 1 or value < 0):
            self.problem(loc, f"{path}: expected {expected}, got {_show(raw)}")
            return _BAD
        return value / 100 if percent else value

    def _enum(self, type_: ast.EnumType, raw, path, loc):
        text = raw.strip() if isinstance(raw, str) else None
        for member in type_.values:
            if text == member.name:
                return member.name
        for member in type_.values:
            if member.label is not None and text == member.label:
                return member.name
        names = ", ".join(m.name for m in type_.values)
        labels = " (or their labels)" if any(m.label for m in type_.values) else ""
        hint = None
        if text is not None:
            candidates = {m.name: m.name for m in type_.values}
            candidates.update({m.label: m.name for m in type_.values if m.label})
            match = difflib.get_close_matches(text, list(candidates), n=1)
            hint = f"did you mean `{candidates[match[0]]}`?" if match else None
        self.problem(loc, f"{path}: expected one of {names}{labels}, got {_show(raw)}", hint, code="unknown_value")
        return _BAD
