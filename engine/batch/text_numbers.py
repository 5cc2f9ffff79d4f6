"""Plain decimals written as text (`12`, `-0.5`, `.5`, `007`, `4.5%`), and list cells
split into their pieces (`1; 2.5; 3`), read column-wise.

CSV cells are text, and Parquet files may hold numbers as text too. The scalar
checker (engine/data.py `_Checker._number`) reads a cell as `Decimal(text)` after
stripping spaces and one trailing `%`/`％`; for the cells matching `_PLAIN` (ASCII
digits, an optional sign and point, an optional `%`, no spaces, no exponent) that
is the decimal the digits spell, which Arrow kernels compute here for a whole column at once.
Every other cell (spaces, exponents, underscores, full-width digits, too many
digits, garbage) is left to the scalar checker by the caller.

A list cell that is not JSON text is split as the checker's `_split_cell` splits
it; Arrow's `utf8_trim_whitespace` trims what Python's `str.strip` strips (the
same code points, checked in tests/test_batch_load.py).
"""

from __future__ import annotations

import attrs
import numpy as np

_PLAIN = r"^[+-]?[0-9]*\.?[0-9]*%?$"
_DIGITS = 18  # a numerator of at most 18 digits fits int64 (10^18 < 2^63)


@attrs.frozen
class PlainDecimals:
    plain: np.ndarray  # bool per cell: a plain decimal, read here
    num: np.ndarray  # int64: the value × den (0 where not plain)
    den: int  # a power of ten, shared by the column
    percent_sign: np.ndarray  # bool: the plain cell ends with `%`


def plain_decimals(array) -> PlainDecimals:
    """The plain decimals of a text array (null cells are not plain)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = _text(array)
    matched = _flags(pc.match_substring_regex(array, _PLAIN))
    negative = _flags(pc.starts_with(array, "-"))
    body = pc.ascii_rtrim(pc.ascii_ltrim(array, characters="+-"), characters="%")  # one of each at most
    point = _numbers(pc.find_substring(body, "."), -1)
    length = _numbers(pc.binary_length(body), 0)  # ASCII where matched: bytes are characters
    fraction_digits = np.where(point < 0, 0, length - point - 1)
    digits = length - (point >= 0)
    plain = matched & (digits > 0) & (digits <= _DIGITS)  # `.` and `+` alone are no number
    places = _places(digits[plain] - fraction_digits[plain], fraction_digits[plain])
    plain &= (fraction_digits <= places) & (digits - fraction_digits + places <= _DIGITS)  # so it fits
    # the digits without the point, scaled to `places`; the other cells are read as 0
    spelled = pc.if_else(pa.array(plain), pc.replace_substring(body, ".", ""), "0")
    scale = 10 ** (places - np.where(plain, fraction_digits, places))
    num = _numbers(spelled.cast(pa.int64()), 0) * scale
    percent_sign = plain & _flags(pc.ends_with(array, "%"))
    return PlainDecimals(plain, np.where(negative, -num, num), 10 ** places, percent_sign)


@attrs.frozen
class ListPieces:
    split: np.ndarray  # bool per cell: written as scalars between separators, split here
    blank: np.ndarray  # bool per cell: only spaces (no value, as an empty cell)
    counts: np.ndarray  # int64 per split cell: its number of pieces
    pieces: object  # Arrow text array: the pieces of the split cells in order, stripped, "" as null


def list_pieces(array) -> ListPieces:
    """The pieces of list cells: `;` or `；` separate them, or else `,`; one trailing separator
    is allowed. Cells starting with `[` (JSON text) are not split."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(_text(array))
    blank = _flags(pc.equal(text, ""))
    split = _flags(pc.is_valid(text)) & ~blank & ~_flags(pc.starts_with(text, "["))
    cells = text.filter(pa.array(split))
    semicolons = pc.match_substring_regex(cells, "[;；]")  # semicolons win over commas
    separated = pc.if_else(semicolons, pc.replace_substring(cells, "；", ";"), pc.replace_substring(cells, ",", ";"))
    lists = pc.split_pattern(separated, ";")
    counts = np.asarray(pc.list_value_length(lists).to_numpy(zero_copy_only=False), dtype=np.int64)
    pieces = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    empty = _flags(pc.equal(pieces, ""))
    last = np.cumsum(counts) - 1
    trailing = (counts > 1) & empty[last] if len(counts) else np.zeros(0, dtype=bool)
    keep = np.ones(len(pieces), dtype=bool)
    keep[last[trailing]] = False  # `1; 2;` is two pieces, not three
    pieces = pieces.filter(pa.array(keep))
    pieces = pc.if_else(pa.array(empty[keep]), pa.scalar(None, pa.string()), pieces)
    return ListPieces(split, blank, counts - trailing, pieces)


def _places(whole_digits, fraction_digits) -> int:
    """The decimal places that leave the fewest cells to the scalar checker: a cell with
    more places, or too many whole digits for them, is not read here."""
    fractions = np.bincount(fraction_digits, minlength=_DIGITS + 1)
    wholes = np.bincount(whole_digits, minlength=_DIGITS + 1)
    left_out = [fractions[p + 1:].sum() + wholes[_DIGITS - p + 1:].sum() for p in range(_DIGITS + 1)]
    return int(np.argmin(left_out))  # the first of the best: the smallest denominator


def _flags(array) -> np.ndarray:
    import pyarrow.compute as pc
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _numbers(array, null) -> np.ndarray:
    import pyarrow.compute as pc
    return np.asarray(pc.fill_null(array, null).to_numpy(zero_copy_only=False), dtype=np.int64)


def _text(array):
    """A text array with 32-bit offsets, which the scalars given to Arrow kernels here match."""
    import pyarrow as pa
    return array.cast(pa.string()) if pa.types.is_large_string(array.type) else array
