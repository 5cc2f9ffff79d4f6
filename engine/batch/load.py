"""An Arrow table of applicants → exact input columns, validated.

Numbers stored natively (integers and floats) are converted column-wise: a
float becomes the decimal its shortest repr shows, as `engine.values.exact`
does for one value (0.1 is 1/10, not 3602879701896397/2⁵⁵), so the data means
what the spreadsheet showed. Everything else (text, enums, lists, records)
goes through the scalar validator (engine/data.py) once per *distinct* cell,
so the messages and the accepted spellings are the scalar ones by
construction. A row with any invalid cell is reported back as bad: the
caller re-reads it with the scalar path, which says what is wrong.
"""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import numpy as np

from dsl import ast
from engine.batch.columns import Bool, ListCol, Num, Record, Text, narrow
from engine.data import _ABSENT, _BAD, _bound_value, _Checker, _is_percent
from engine.data_formats import parquet_cell
from engine.evaluator import _literal

_MAX_FLOAT_PLACES = 15
_FLOAT_POWERS_OF_TEN = 10.0 ** np.arange(_MAX_FLOAT_PLACES + 1)  # exact: 10^p < 2^53 up to p = 22


@attrs.frozen
class Loaded:
    inputs: dict  # input name → column (defaults applied)
    given: dict  # input name → bool array: the data gives the input
    bad: np.ndarray  # rows with a value the validator refuses


def load_inputs(plan, table, source: str = "<data>") -> Loaded:
    """The input columns of `table` (columns named by identifier, label or alias)."""
    symbols = plan.symbols
    n = table.num_rows
    checker = _Checker(symbols.inputs, [d.name for d in symbols.indicators], source, 2, "")
    resolved = checker.resolve_keys([c for c in table.column_names], report=False)
    by_name = {decl.name: table.column(column) for column, decl in resolved.items()}
    inputs, given = {}, {}
    bad = np.zeros(n, dtype=bool)
    for name, decl in symbols.inputs.items():
        array = by_name.get(name)
        if array is None:
            present, invalid = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
            # one row's column (the default, or no value), repeated for every row
            col = _from_values(decl.type, _with_default([None], decl)).take(np.zeros(n, dtype=np.int64))
        else:
            array = array.combine_chunks() if hasattr(array, "combine_chunks") else array
            col, present, invalid = _convert(array, decl, checker)
        if isinstance(col, ListCol) and isinstance(col.item, Record):  # where its derive block's values live
            col = attrs.evolve(col, item=attrs.evolve(col.item, list_name=name))
        inputs[name], given[name] = col, present
        bad |= invalid
    return Loaded(inputs, given, bad)


def load_values(plan, applicants: list) -> Loaded:
    """The input columns of applicants already validated by engine/data.py (input name →
    exact value, an absent input left out), e.g. the grouped records of engine/per_record.py."""
    n = len(applicants)
    inputs, given = {}, {}
    for name, decl in plan.symbols.inputs.items():
        values = [values.get(name) for values in applicants]
        col = _from_values(decl.type, _with_default(values, decl))
        if isinstance(col, ListCol) and isinstance(col.item, Record):  # where its derive block's values live
            col = attrs.evolve(col, item=attrs.evolve(col.item, list_name=name))
        inputs[name] = col
        given[name] = np.array([name in values for values in applicants], dtype=bool)
    return Loaded(inputs, given, np.zeros(n, dtype=bool))


def _with_default(values: list, decl) -> list:
    if decl.default is None:
        return values
    default = _literal(decl.default)
    return [default if v is None else v for v in values]


def _convert(array, decl, checker):
    """(column, given mask, invalid mask) of one input's cells."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    present = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    type_ = decl.type
    if isinstance(type_, ast.NumberType) and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        return _native_number(array, decl, present)
    if isinstance(type_, ast.BoolType) and pa.types.is_boolean(array.type):
        values = np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)
        return _defaulted(Bool(values, present), decl, present), present, np.zeros(n, dtype=bool)
    if isinstance(type_, ast.ListType) and pa.types.is_list(array.type) \
            and _native_element(type_.element, array.type.value_type):
        return _native_list(array, decl, checker, present)
    if isinstance(type_, (ast.EnumType, ast.TextType, ast.IndicatorType)) and pa.types.is_string(array.type):
        return _distinct_strings(array, decl, checker, present)
    raw = array.to_pylist()
    cache: dict = {}
    values, invalid = [], np.zeros(n, dtype=bool)
    for i, cell in enumerate(raw):
        key = _freeze(cell)
        if key not in cache:
            cache[key] = _validated(checker, decl, cell)
        value = cache[key]
        if value is _BAD:
            invalid[i] = True
            value = None
        values.append(value)
    present = np.array([v is not None for v in values], dtype=bool)
    return _from_values(type_, _with_default(values, decl)), present, invalid


def _native_element(type_, arrow_type) -> bool:
    """Elements the loader converts column-wise: numbers stored as numbers, text
    stored as text, records of those."""
    import pyarrow as pa
    if isinstance(type_, ast.NumberType):
        return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
    if isinstance(type_, (ast.EnumType, ast.TextType, ast.IndicatorType)):
        return pa.types.is_string(arrow_type)
    if isinstance(type_, ast.RecordType) and pa.types.is_struct(arrow_type):
        by_name = {f.name: f for f in type_.fields}
        names = [arrow_type.field(i).name for i in range(arrow_type.num_fields)]
        return all(name in by_name and by_name[name].range is None
                   and _native_element(by_name[name].type, arrow_type.field(i).type)
                   for i, name in enumerate(names))
    return False


@attrs.frozen
class _Part:
    """A declaration-like view of a list element or a record field, for `_convert`."""
    name: str
    type: object
    range: object = None
    length: object = None
    default: object = None


def _native_list(array, decl, checker, present):
    """A list column from Arrow's offsets and its flattened elements."""
    import pyarrow.compute as pc

    n = len(array)
    lengths = np.asarray(pc.fill_null(pc.list_value_length(array), 0).to_numpy(zero_copy_only=False),
                         dtype=np.int64)
    lengths = np.where(present, lengths, 0)
    invalid = np.zeros(n, dtype=bool)
    if decl.length is not None:
        low, high = decl.length
        invalid |= present & ((lengths < low) | ((lengths > high) if high is not None else False))
    elements = pc.list_flatten(array)  # the elements of non-null lists, in order
    item, item_present, item_invalid = _convert_part(elements, _Part(decl.name, decl.type.element, decl.range), checker)
    bad_item = item_invalid | ~item_present  # an empty element is a problem, as in a data file
    owner = np.repeat(np.arange(n), lengths)
    invalid |= np.bincount(owner[bad_item], minlength=n) > 0 if len(owner) else False
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if n else lengths
    col = ListCol(starts, lengths, item, None if present.all() else present)
    if decl.default is not None and not present.all():
        col = attrs.evolve(col, known=None)  # the default is the empty list: nothing to add
    return col, present, invalid


def _convert_part(array, part, checker):
    """(column, present, invalid) of list elements or record fields."""
    import pyarrow.compute as pc

    type_ = part.type
    present = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if isinstance(type_, ast.RecordType):
        fields, invalid = {}, np.zeros(len(array), dtype=bool)
        by_name = {f.name: f for f in type_.fields}
        for field in type_.fields:
            if array.type.get_field_index(field.name) < 0:
                values = [None] * len(array)
                fields[field.name] = _from_values(field.type, values if field.default is None
                                                  else [_literal(field.default)] * len(array))
                continue
            child = pc.struct_field(array, field.name)
            child_present = ~np.asarray(child.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            col, _, bad = _convert(child, _Part(field.name, field.type, by_name[field.name].range, None,
                                                field.default), checker)
            if field.default is None and not child_present.all():
                col = attrs.evolve(col, known=child_present)
            fields[field.name] = col
            invalid |= present & bad
        return Record(fields, None if present.all() else present), present, invalid
    col, _, invalid = _convert(array, part, checker)
    return col, present, invalid


def _distinct_strings(array, decl, checker, present):
    """Text cells validated once per distinct value, then gathered."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(array).combine_chunks() if hasattr(array, "chunks") \
        else pc.dictionary_encode(array)
    dictionary = encoded.dictionary.to_pylist()
    indices = np.asarray(pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    values = [_validated(checker, decl, cell) for cell in dictionary]
    invalid_value = np.array([v is _BAD for v in values] + [False], dtype=bool)
    usable = [None if v is _BAD else v for v in values]
    distinct = _from_values(decl.type, usable + [None])
    codes = np.where(present, indices, len(usable)) if len(usable) else np.zeros(len(array), dtype=np.int64)
    col = distinct.take(codes)
    invalid = present & invalid_value[codes]
    given = present & ~invalid & np.array([u is not None for u in usable] + [False], dtype=bool)[codes]
    col = attrs.evolve(col, known=None if given.all() else given)
    if decl.default is not None:
        col = _defaulted(col, decl, given)
    return col, present, invalid


def _validated(checker, decl, cell):
    before = len(checker.problems)
    value = checker.value(decl.type, parquet_cell(cell), decl.name, decl.name, True, decl.range, decl.length)
    if len(checker.problems) > before:
        del checker.problems[before:]
        return _BAD
    return None if value is _ABSENT else value


def _freeze(value):
    if isinstance(value, list):
        return ("list", tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _freeze(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def _defaulted(col, decl, present):
    if decl.default is None or present.all():
        return col
    default = _from_values(decl.type, [_literal(decl.default)])
    if isinstance(col, Num):
        from engine.batch.columns import choose
        chosen = choose(present, col, Num(default.num[0] if isinstance(default.num, np.ndarray) else default.num,
                                          default.den))
        return Num(chosen.num, chosen.den)
    if isinstance(col, Bool):
        return Bool(np.where(present, col.value, bool(default.value[0])))
    if isinstance(col, Text):
        code = col.code_of(default.categories[int(default.codes[0])])
        if code < 0:
            col = Text(col.codes, col.categories + (default.categories[int(default.codes[0])],))
            code = len(col.categories) - 1
        return Text(np.where(present, col.codes, code), col.categories)
    return col


# ---- numbers stored as numbers ----------------------------------------------------------

def _native_number(array, decl, present):
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    type_ = decl.type
    invalid = np.zeros(n, dtype=bool)
    if pa.types.is_integer(array.type):
        num = np.asarray(pc.fill_null(array, 0).to_numpy(zero_copy_only=False)).astype(np.int64)
        den = 1
    else:
        floats = np.asarray(pc.fill_null(array, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
        num, den, unusable = shortest_decimals(floats)
        invalid |= present & unusable
    if _is_percent(type_):
        den *= 100
    if type_.integer:
        whole = num % den == 0
        invalid |= present & ~(whole & (num >= 0))
    if decl.range is not None:
        invalid |= present & ~_within(num, den, decl.range)
    col = Num(narrow(num), den, present if not present.all() else None)
    if decl.default is not None:
        col = _defaulted(Num(col.num, col.den), decl, present)
    elif not present.all():
        col = Num(col.num, col.den, present)
    return col, present, invalid


def shortest_decimals(x):
    """(numerators, one power-of-ten denominator, unusable mask) of float64 values
    read as their shortest repr.

    The denominator is 10^p for the least p at which every value round-trips
    (round(x·10^p) / 10^p == x; passing at p implies passing at p + 1). Below
    2^50 the scaled value is off by less than ¼ from an integer, and the double
    spacing is under half a unit, so the integer is exactly the shortest repr's
    digits. Values beyond that, or needing more than 15 places, are converted
    one by one through repr."""
    finite = np.isfinite(x)
    safe = np.where(finite, x, 0.0)
    for places in range(_MAX_FLOAT_PLACES + 1):
        scale = _FLOAT_POWERS_OF_TEN[places]
        candidate = np.round(safe * scale)
        round_trips = candidate / scale == safe
        if round_trips.all():
            break
    placed = round_trips & (np.abs(candidate) < 2.0 ** 50)
    if placed.all():
        return candidate.astype(np.int64), 10 ** places, ~finite
    from decimal import Decimal
    leftovers = np.flatnonzero(~placed)  # rare: converted exactly, one by one
    exact = [Fraction(Decimal(repr(float(v)))) for v in safe[leftovers]]
    common = max(places, *(_places(f) for f in exact))
    num = np.where(placed, candidate, 0.0).astype(np.int64).astype(object) * 10 ** (common - places)
    for i, value in zip(leftovers, exact):
        num[i] = int(value * 10 ** common)
    return num, 10 ** common, ~finite


def _places(value: Fraction) -> int:
    """Decimal places of a terminating decimal (a float's repr always terminates)."""
    places = 0
    while (value * 10 ** places).denominator != 1:
        places += 1
    return places


def _within(num, den, interval: ast.Interval):
    ok = np.ones(len(num), dtype=bool)
    for bound, closed, lower in ((interval.lower, interval.lower_closed, True),
                                 (interval.upper, interval.upper_closed, False)):
        if bound is None:
            continue
        value = _bound_value(bound)
        left = num * value.denominator
        right = value.numerator * den
        if lower:
            ok &= (left >= right) if closed else (left > right)
        else:
            ok &= (left <= right) if closed else (left < right)
    return ok


# ---- exact Python values → columns ---------------------------------------------------------

def _from_values(type_, values: list):
    """A column from per-row exact values (None = absent) of one declared type."""
    n = len(values)
    known = np.array([v is not None for v in values], dtype=bool)
    mask = None if known.all() else known
    if isinstance(type_, ast.NumberType):
        den = 1
        for v in {v.denominator for v in values if v is not None}:
            den = math.lcm(den, v)
        nums = np.array([0 if v is None else int(v * den) for v in values], dtype=object)
        return Num(narrow(nums) if n else np.zeros(0, dtype=np.int64), den, mask)
    if isinstance(type_, ast.BoolType):
        return Bool(np.array([bool(v) for v in values], dtype=bool), mask)
    if isinstance(type_, (ast.EnumType, ast.TextType, ast.IndicatorType)):
        categories = tuple(m.name for m in type_.values) if isinstance(type_, ast.EnumType) else ()
        categories += tuple(dict.fromkeys(v for v in values if v is not None and v not in categories))
        index = {c: i for i, c in enumerate(categories)}
        codes = np.array([index[v] if v is not None else -1 for v in values], dtype=np.int64)
        return Text(codes, categories, mask)
    if isinstance(type_, ast.ListType):
        lengths = np.array([len(v) if v is not None else 0 for v in values], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if n else lengths
        items = [item for v in values if v is not None for item in v]
        return ListCol(starts, lengths, _from_values(type_.element, items), mask)
    if isinstance(type_, ast.RecordType):
        fields = {}
        for field in type_.fields:
            default = _literal(field.default) if field.default is not None else None
            cells = [None if v is None else v.get(field.name, default) for v in values]
            fields[field.name] = _from_values(field.type, cells)
        return Record(fields, mask)
    raise NotImplementedError(f"no column for {type(type_).__name__}")

