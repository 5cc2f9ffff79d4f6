"""Result columns → the text cells of engine/table_io.py, exactly, as Arrow arrays.

A number is written as `engine.numbers.json_number` writes it: the exact
decimal when it terminates, else 17 significant digits (rounded to nearest: a
non-terminating value is never a tie). Each value is split into a sign, a
whole part and an 18-digit fraction (a long division when it does not
terminate), laid out as fixed-width NumPy bytes and trimmed by Arrow. A column
over one power of ten with few distinct values (a score) is laid out once per
value and indexed. Only values beyond int64 (object arrays, denominators near
2^63, 18 or more integer digits of a non-terminating value) are written one
by one by `json_number`.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.columns import Bool, Num, Text, as_bool_array
from engine.numbers import json_number
from engine.table_cells import NOT_EVALUATED_TEXT

_INT64_MAX = 2 ** 63 - 1
_POW10 = 10 ** np.arange(19, dtype=np.int64)  # 10^0 … 10^18
_FRACTION = 18  # digits of the fraction part of a value (10^18 < 2^63)
_SIGNIFICANT = 17  # digits of a non-terminating value
# Texts are laid out in uint64 words of 8 characters (little-endian: the first character is
# the low byte). "0000" … "9999" as one number each, so four digits are written at once:
_FOUR_DIGITS = np.frombuffer("".join(f"{i:04d}" for i in range(10000)).encode(), np.uint32).astype(np.uint64)
_LOW_BYTES = np.array([(1 << 8 * k) - 1 for k in range(9)], dtype=np.uint64)  # the first k characters
_SPACES = np.uint64(int.from_bytes(b" " * 8, "little"))
_MINUS = np.uint64(ord(" ") ^ ord("-"))  # turns a space into a minus
_DOT = np.uint64(ord("0") ^ ord("."))  # turns a "0" into a point


# ---- layout: sign, whole part, fraction → text ------------------------------------------------

def _eight_digits(values):
    """The 8-digit zero-padded texts of values < 10^8, one word each."""
    high = values // 10000
    return _FOUR_DIGITS[high] | (_FOUR_DIGITS[values - high * 10000] << np.uint64(32))


def _digit_count(values):
    """Decimal digits of non-negative `values` (1 for 0)."""
    count = np.ones(len(values), dtype=np.int64)
    largest = int(values.max(initial=0))
    for j in range(1, 19):
        if largest < _POW10[j]:
            break
        count += values >= _POW10[j]
    return count


def _whole_words(negative, whole):
    """`-123` right-aligned after spaces, in as many words as the longest needs."""
    digits = _digit_count(whole)
    count = (int(digits.max(initial=1)) + 8) // 8  # room for a sign
    blank = 8 * count - digits
    words = []
    for j in range(count):
        power = 8 * (count - 1 - j)
        part = whole // _POW10[power] if power else whole
        word = _eight_digits(part % _POW10[8] if j else part)
        spaces = _LOW_BYTES[np.clip(blank - 8 * j, 0, 8)]
        word = (word & ~spaces) | (_SPACES & spaces)
        sign = negative & ((blank - 1) // 8 == j)  # the sign takes the last space
        if sign.any():
            at = ((blank - 1) % 8).astype(np.uint64) * np.uint64(8)
            word ^= np.where(sign, _MINUS << at, np.uint64(0))
        words.append(word)
    return words


def _fraction_words(fraction, places: int):
    """The point and the first `places` of the 18 digits, zero-padded to whole words
    (none when every fraction is zero)."""
    if not places or not fraction.any():
        return []
    words = []
    for j in range((places + 8) // 8):
        shift = 11 - 8 * j  # word j holds digits 8j … 8j+7 of a "0" followed by the 18 digits
        words.append(_eight_digits(fraction // _POW10[shift] % _POW10[8] if shift >= 0
                                   else fraction % _POW10[8 + shift] * _POW10[-shift]))
    words[0] ^= _DOT
    return words


def _laid_out(negative, whole, fraction, places: int):
    """Texts of `±whole.fraction`: `fraction` is 18 digits after the point of which at
    most the first `places` are non-zero."""
    whole_words = _whole_words(negative, whole)
    words = whole_words + _fraction_words(fraction, places)
    cells = np.empty((len(whole), len(words)), dtype=np.uint64)
    for j, word in enumerate(words):
        cells[:, j] = word
    n, size = len(cells), 8 * len(words)
    kind, offset = (pa.string(), np.int32) if n * size < 2 ** 31 else (pa.large_string(), np.int64)
    offsets = np.arange(0, (n + 1) * size, size, dtype=offset)
    texts = pc.ascii_ltrim(pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(cells)]),
                           " ")
    if len(words) > len(whole_words):  # every row has a point: drop trailing zeros, then a bare point
        texts = pc.ascii_rtrim(pc.ascii_rtrim(texts, "0"), ".")
    return texts.cast(pa.string())


def _small_texts(negative, zeros, fraction):
    """Texts of `±0.{zeros × 0}{fraction}` (a non-terminating value below 0.1)."""
    digits = pc.utf8_slice_codeunits(pc.cast(pa.array(fraction + 10 ** _FRACTION), pa.string()), 1)
    padding = pa.array(["0" * k for k in range(int(zeros.max(initial=0)) + 1)]).take(pa.array(zeros))
    start = pa.array(["0.", "-0."]).take(pa.array(negative.astype(np.int8)))
    return pc.binary_join_element_wise(start, padding, pc.utf8_rtrim(digits, "0"), "")


# ---- numbers → sign, whole part, fraction ------------------------------------------------------

def _odd_part(den):
    """den without its factors 2 and 5: 1 when den's decimals terminate."""
    twos = np.log2((den & -den).astype(np.float64)).astype(np.int64)  # exact: a power of two
    odd = den >> twos
    for e in (16, 8, 4, 2, 1):  # 5^27 is the largest power of 5 below 2^63
        divisible = odd % 5 ** e == 0
        odd = np.where(divisible, odd // 5 ** e, odd)
    return odd


def _exact_fraction(rest, den):
    """The 18-digit fraction of rest/den, for den | 10^18 (then rest·10^18/den < 10^18)."""
    return rest * (_POW10[_FRACTION] // den)


def _rounded_fraction(whole, rest, den):
    """(whole, fraction, zeros) of the non-terminating whole + rest/den (rest < den) to 17
    significant digits, by long division: `fraction` as 18 digits after `zeros` zeros."""
    m = len(den)
    whole_digits = np.where(whole > 0, _digit_count(whole), 0)
    zeros = np.zeros(m, dtype=np.int64)
    for j in range(1, 19):  # zeros after the point of a value below 1: rest·10^j < den
        zeros += (whole == 0) & (rest <= (den - 1) // _POW10[j])
    places = zeros + _SIGNIFICANT - whole_digits  # digits to divide out
    step = np.zeros(m, dtype=np.int64)  # digits per division that keep rest·10^step < 2^63
    for j in range(1, 19):
        step += den <= _INT64_MAX // _POW10[j]
    digits = np.zeros(m, dtype=np.int64)
    left = places.copy()
    while left.any():
        k = np.minimum(left, step)
        scaled = rest * _POW10[k]
        digit = scaled // den
        rest = scaled - digit * den
        digits = digits * _POW10[k] + digit
        left -= k
    digits += rest > den - rest  # round half up; never an exact half
    significant = places - zeros
    carried = digits == _POW10[significant]  # 0.0999…9x → 0.1, 9.99…9x → 10
    whole = whole + (carried & (zeros == 0))
    digits = np.where(carried, np.where(zeros == 0, 0, digits // 10), digits)
    zeros = np.maximum(zeros - carried, 0)
    fraction = digits * _POW10[_FRACTION - significant]
    return whole, fraction, zeros


def _int64_rows(values, rows):
    """(values as int64, 0 outside `rows` and where they do not fit, the rows that fit)."""
    fits = rows & (values >= -_INT64_MAX)  # not -2^63: its magnitude is beyond int64
    if values.dtype == object:
        fits &= values <= _INT64_MAX
    return np.where(fits, values, 0).astype(np.int64, copy=False), fits


def _number_cells(col: Num, n: int, wanted):
    """(texts, index): the texts of the `wanted` rows' values are `texts.take(index)`,
    or `texts` itself when index is None."""
    num, usable = _int64_rows(np.broadcast_to(np.asarray(col.num), (n,)), wanted)
    if not isinstance(col.den, np.ndarray) and 10 ** _FRACTION % col.den == 0:  # one power of ten
        low, high = (int(num.min()), int(num.max())) if n else (0, 0)
        if high - low >= n // 2:
            texts, index = _power_of_ten_texts(num, int(col.den)), None
        else:  # few distinct values (a score): each laid out once
            texts, index = _power_of_ten_texts(np.arange(low, high + 1, dtype=np.int64), int(col.den)), num - low
        unusable = wanted & ~usable
        if unusable.any():
            texts = _patched(texts if index is None else texts.take(pa.array(index)), col.num, col.den, unusable)
            index = None
        return texts, index
    den, fits = _int64_rows(np.broadcast_to(np.asarray(col.den), (n,)), usable)
    usable &= fits
    den = np.where(usable, den, 1)
    negative, num = num < 0, np.abs(num)
    whole = num // den
    rest = num - whole * den
    done = usable & (_POW10[_FRACTION] % den == 0)
    fraction = np.where(done, rest * (_POW10[_FRACTION] // den), 0)
    zeros = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(usable & ~done)
    if len(rows):
        whole[rows], fraction[rows], zeros[rows], done[rows] = _other_fractions(num[rows], whole[rows],
                                                                                 rest[rows], den[rows])
    texts = _laid_out(negative, whole, np.where(zeros == 0, fraction, 0), _FRACTION)
    small = np.flatnonzero(zeros > 0)
    if len(small):
        texts = _replaced(texts, small, _small_texts(negative[small], zeros[small], fraction[small]))
    return _patched(texts, col.num, col.den, wanted & ~done), None


def _other_fractions(num, whole, rest, den):
    """(whole, fraction, zeros, done) of num/den for den not dividing 10^18: reduced when
    the decimal terminates, else rounded; not done when neither fits in int64."""
    fraction = np.zeros(len(den), dtype=np.int64)
    odd = _odd_part(den)
    terminating = num % odd == 0  # then rest/den = (rest/odd)/(den/odd), den/odd = 2^a·5^b
    rest, den = np.where(terminating, rest // odd, rest), np.where(terminating, den // odd, den)
    rows = np.flatnonzero(terminating & (_POW10[_FRACTION] % den != 0))
    common = np.gcd(rest[rows], den[rows])  # beyond 10^18 as written: it may reduce
    rest[rows] //= common
    den[rows] //= common
    done = terminating & (_POW10[_FRACTION] % den == 0)
    fraction[done] = _exact_fraction(rest[done], den[done])
    zeros = np.zeros(len(den), dtype=np.int64)
    rows = np.flatnonzero(~terminating & (whole < _POW10[_SIGNIFICANT]) & (den <= _INT64_MAX // 10))
    whole[rows], fraction[rows], zeros[rows] = _rounded_fraction(whole[rows], rest[rows], den[rows])
    done[rows] = True
    return whole, fraction, zeros, done


def _power_of_ten_texts(values, den: int):
    """The texts of values/den for den | 10^18."""
    places = next(p for p in range(_FRACTION + 1) if 10 ** p % den == 0)
    whole, rest = np.divmod(np.abs(values), den)
    fraction = _exact_fraction(rest, den)
    return _laid_out(values < 0, whole, fraction, places)


def _patched(texts, num, den, rows):
    """`texts` with the given rows written by `json_number` itself."""
    rows = np.flatnonzero(rows)
    if not len(rows):
        return texts
    num = np.broadcast_to(np.asarray(num), (len(texts),))
    den = np.broadcast_to(np.asarray(den), (len(texts),))
    return _replaced(texts, rows, [json_number(Fraction(int(num[i]), int(den[i]))) for i in rows])


def _replaced(texts, rows, values):
    mask = np.zeros(len(texts), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(texts, pa.array(mask), pa.array(values, type=pa.string()))


def number_texts(col: Num, n: int, wanted=None):
    """The texts of a number column's values (rows outside `wanted` hold any text)."""
    texts, index = _number_cells(col, n, np.ones(n, dtype=bool) if wanted is None else wanted)
    return texts if index is None else texts.take(pa.array(index))


# ---- any column ----------------------------------------------------------------------------------

def texts(col, n: int, as_json: bool = False):
    """The cells of a result column as a pyarrow string array: no conclusion → null,
    not applicable → `not_evaluated`. `as_json`: the JSON text of each value (as
    `engine.table_cells.compact_json` writes it; no conclusion → `null`)."""
    known = np.asarray(as_bool_array(col.known, n, True), dtype=bool)
    ne = np.asarray(as_bool_array(getattr(col, "ne", None), n, False), dtype=bool)
    none, not_evaluated = ("null", json.dumps(NOT_EVALUATED_TEXT)) if as_json else (None, NOT_EVALUATED_TEXT)
    if isinstance(col, Num):
        values, index = _number_cells(col, n, known & ~ne)
    elif isinstance(col, Bool):
        values, index = pa.array(["false", "true"]), np.broadcast_to(col.value, (n,)).astype(np.int64)
    elif isinstance(col, Text):
        categories = [json.dumps(c, ensure_ascii=False) if as_json else c for c in col.categories]
        codes = np.broadcast_to(col.codes, (n,))
        values, index = pa.array(categories + [none], pa.string()), np.where(codes < 0, len(categories), codes)
    else:
        raise TypeError(f"no cells for {type(col).__name__}")
    if index is not None:  # the masks as two more texts to index
        index = np.where(ne, len(values) + 1, np.where(known, index, len(values)))
        return pa.concat_arrays([values, pa.array([none, not_evaluated], pa.string())]).take(pa.array(index))
    if not known.all():
        values = pc.if_else(pa.array(known), values, pa.scalar(none, pa.string()))
    if ne.any():
        values = pc.if_else(pa.array(ne), not_evaluated, values)
    return values
