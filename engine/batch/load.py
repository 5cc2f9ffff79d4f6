"""An Arrow table of applicants → exact input columns, validated.

Numbers stored natively (integers and floats) are converted column-wise: a
float becomes the decimal its shortest repr shows, as `engine.values.exact`
does for one value (0.1 is 1/10, not 3602879701896397/2⁵⁵), so the data means
what the spreadsheet showed. Numbers written as plain decimal text (every CSV
cell), alone or in a list cell such as `1; 2.5; 3`, are read column-wise too
(engine/batch/text_numbers.py) into the column the scalar values would make.
Everything else (other number spellings, text, enums, other lists, records)
goes through the scalar validator (engine/data.py) once per *distinct* cell,
so the messages and the accepted spellings are the scalar ones by
construction. A row with any invalid cell is reported back as bad: the caller
re-reads it with the scalar path, which says what is wrong.
"""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import numpy as np

from dsl import ast
from engine.batch.columns import Bool, ListCol, Num, Record, Text, compare, i_mul, narrow, same_kind
from engine.batch.text_numbers import list_pieces, plain_decimals
from engine.data import _ABSENT, _BAD, _bound_value, _Checker, _is_percent
from engine.data_formats import parquet_cell
from engine.evaluator import _literal

_NARROW = 2 ** 62  # `narrow` makes int64 arrays of smaller values only
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
    if isinstance(type_, ast.NumberType) and _is_text(array.type):
        return _text_number(array, decl, checker, present)
    if isinstance(type_, ast.ListType) and isinstance(type_.element, ast.NumberType) and _is_text(array.type):
        return _text_number_list(array, decl, checker, present)
    if isinstance(type_, (ast.EnumType, ast.TextType, ast.IndicatorType)) and pa.types.is_string(array.type):
        return _distinct_strings(array, decl, checker, present)
    if _is_text(array.type):
        distinct, codes, bad = _distinct_cells(array, decl, checker)
        values, invalid = [distinct[c] for c in codes.tolist()], bad[codes]
    else:
        values, invalid = _each_cell(array, decl, checker)
    present = np.array([v is not None for v in values], dtype=bool)
    return _from_values(type_, _with_default(values, decl)), present, invalid


def _is_text(arrow_type) -> bool:
    import pyarrow as pa
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _each_cell(array, decl, checker):
    """(value or None per cell, invalid mask) of cells of any Arrow type, each distinct one validated once."""
    cache: dict = {}
    values, invalid = [], np.zeros(len(array), dtype=bool)
    for i, cell in enumerate(array.to_pylist()):
        key = _freeze(cell)
        if key not in cache:
            cache[key] = _validated(checker, decl, cell)
        value = cache[key]
        if value is _BAD:
            invalid[i] = True
            value = None
        values.append(value)
    return values, invalid


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


def _distinct_cells(array, decl, checker):
    """(value or None of each distinct text cell, then None for a null cell; each cell's index
    among them; their invalid mask): every distinct cell validated once."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(array).combine_chunks() if hasattr(array, "chunks") \
        else pc.dictionary_encode(array)
    checked = [_validated(checker, decl, cell) for cell in encoded.dictionary.to_pylist()]
    bad = np.array([v is _BAD for v in checked] + [False], dtype=bool)
    distinct = [None if v is _BAD else v for v in checked] + [None]
    codes = np.asarray(pc.fill_null(encoded.indices, len(checked)).to_numpy(zero_copy_only=False), dtype=np.int64)
    return distinct, codes, bad


def _distinct_strings(array, decl, checker, present):
    """Text cells validated once per distinct value, then gathered."""
    distinct, codes, bad = _distinct_cells(array, decl, checker)
    col = _from_values(decl.type, distinct).take(codes)
    invalid = bad[codes]
    given = np.array([v is not None for v in distinct], dtype=bool)[codes]
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


# ---- numbers ------------------------------------------------------------------------------

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
    invalid |= present & _refused(num, den, decl)
    if _is_percent(type_):
        den *= 100
    col = Num(narrow(num), den, present if not present.all() else None)
    if decl.default is not None:
        col = _defaulted(Num(col.num, col.den), decl, present)
    elif not present.all():
        col = Num(col.num, col.den, present)
    return col, present, invalid


def _text_number(array, decl, checker, present):
    """Numbers held as text: plain decimals read column-wise, every other cell by the scalar
    checker once per distinct value. The column is the one `_from_values` makes of the
    checker's values (the least common denominator), so nothing downstream can tell."""
    read = plain_decimals(array)
    percent = _is_percent(decl.type)
    plain = read.plain & (percent | ~read.percent_sign)  # `%` on a plain number: the checker says why not
    refused = plain & _refused(read.num, read.den, decl)
    given = plain & ~refused
    num, den = np.where(given, read.num, 0), read.den * (100 if percent else 1)
    rest = np.flatnonzero(present & ~plain)
    invalid = refused
    if len(rest):
        distinct, codes, bad = _distinct_cells(array.take(rest), decl, checker)
        invalid[rest] = bad[codes]
        given[rest] = np.array([v is not None for v in distinct], dtype=bool)[codes]
        rest_num, rest_den = _over_one_denominator(distinct)
        num, rest_num, den = _common_denominator(num, den, rest_num[codes], rest_den)
        num[rest] = rest_num
    known = given
    if decl.default is not None and not given.all():  # as `_with_default`: absent and refused cells
        default = _literal(decl.default)
        num, default_num, den = _common_denominator(num, den, default.numerator, default.denominator)
        num, known = np.where(given, num, default_num), None
    num, den = _lowest_common_denominator(num, den)
    return Num(num, den, None if known is None or known.all() else known), given, invalid


def _text_number_list(array, decl, checker, present):
    """Lists of numbers held as text: cells such as `1; 2.5; 3` split column-wise and their
    pieces read as number cells; JSON text (`[1, 2]`) by the scalar checker once per distinct
    cell. As in `_from_values` of the checker's values, a refused row holds no elements."""
    n = len(array)
    cells = list_pieces(array)
    rows, counts = np.flatnonzero(cells.split), cells.counts
    item, item_given, _ = _convert(cells.pieces, _Part(decl.name, decl.type.element, decl.range), checker)
    piece_row = np.repeat(np.arange(len(rows)), counts)
    refused = np.bincount(piece_row[~item_given], minlength=len(rows)) > 0  # an empty piece too
    if decl.length is not None:
        low, high = decl.length
        refused |= (counts < low) | ((counts > high) if high is not None else False)
    invalid, given, lengths = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    invalid[rows], given[rows], lengths[rows] = refused, ~refused, np.where(refused, 0, counts)
    num, den = item.num[np.repeat(~refused, counts)], item.den
    others = np.flatnonzero(present & ~cells.split & ~cells.blank)
    if len(others):
        distinct, codes, bad = _distinct_cells(array.take(others), decl, checker)
        sizes = np.array([0 if v is None else len(v) for v in distinct], dtype=np.int64)
        invalid[others], lengths[others] = bad[codes], sizes[codes]
        given[others] = np.array([v is not None for v in distinct], dtype=bool)[codes]
        elements, elements_den = _over_one_denominator([x for v in distinct if v is not None for x in v])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        num, other_num, den = _common_denominator(num, den, elements[_segments(starts[codes], sizes[codes])],
                                                  elements_den)
        owner = np.concatenate((np.repeat(rows, lengths[rows]), np.repeat(others, lengths[others])))
        num = np.concatenate((num, other_num))[np.argsort(owner, kind="stable")]  # row after row
    num, den = _lowest_common_denominator(num, den)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if n else lengths
    known = None if decl.default is not None or given.all() else given  # the default is the empty list
    return ListCol(starts, lengths, Num(num, den), known), given, invalid


def _segments(starts, lengths):
    """Indices of the elements `starts[i] : starts[i] + lengths[i]`, segment after segment."""
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


def _refused(num, den, decl):
    """Rows whose number (num / den as written: a percentage not yet divided by 100) the scalar
    checker refuses: a count that is not a whole number ≥ 0, a value outside the range."""
    refused = np.zeros(len(num), dtype=bool)
    if decl.type.integer:
        refused |= np.asarray((num % den != 0) | (num < 0), dtype=bool)
    if decl.range is not None:
        refused |= ~_within(num, den * 100 if _is_percent(decl.type) else den, decl.range)
    return refused


def _over_one_denominator(values):
    """(numerators, their least common denominator) of Fractions, None read as 0."""
    present = [v for v in values if v is not None]
    den = math.lcm(*{v.denominator for v in present}) if present else 1
    # one division per distinct denominator, none per value: no Fraction arithmetic
    scale = {d: den // d for d in {v.denominator for v in present}}
    nums = np.array([0 if v is None else v.numerator * scale[v.denominator] for v in values], dtype=object)
    return (narrow(nums) if len(nums) else np.zeros(0, dtype=np.int64)), den


def _common_denominator(num_a, den_a, num_b, den_b):
    """(a's numerators, b's, denominator) over the least common multiple of the two, in int64
    while they fit and as a copy that may be written to."""
    den = math.lcm(den_a, den_b)
    a, b = same_kind(i_mul(num_a, den // den_a), i_mul(num_b, den // den_b))
    return np.array(a), b, den


def _lowest_common_denominator(num, den):
    """The same values over the least denominator they share, as `_over_one_denominator`
    gives them (the columns are then identical, whichever way the values came)."""
    g = math.gcd(den, int(np.gcd.reduce(num))) if len(num) else den
    if g > 1:
        num, den = num // g, den // g
    if num.dtype != object and len(num) and max(int(num.max()), -int(num.min())) >= _NARROW:
        return num.astype(object), den  # as `narrow` leaves them
    return narrow(num), den


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
    # the same three buffers for every trial: fresh arrays per pass would cost page faults
    candidate, back, round_trips = np.empty_like(safe), np.empty_like(safe), np.empty(len(safe), dtype=bool)
    for places in range(_MAX_FLOAT_PLACES + 1):
        scale = _FLOAT_POWERS_OF_TEN[places]
        np.rint(np.multiply(safe, scale, out=candidate), out=candidate)
        np.equal(np.divide(candidate, scale, out=back), safe, out=round_trips)
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
    value = Num(num, den)
    for bound, op in ((interval.lower, ">=" if interval.lower_closed else ">"),
                      (interval.upper, "<=" if interval.upper_closed else "<")):
        if bound is not None:  # compared exactly, widening where int64 would overflow
            ok &= compare(value, Num.const(_bound_value(bound)), op).value
    return ok


# ---- exact Python values → columns ---------------------------------------------------------

def _from_values(type_, values: list):
    """A column from per-row exact values (None = absent) of one declared type."""
    n = len(values)
    known = np.array([v is not None for v in values], dtype=bool)
    mask = None if known.all() else known
    if isinstance(type_, ast.NumberType):
        nums, den = _over_one_denominator(values)
        return Num(nums, den, mask)
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

