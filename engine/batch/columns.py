"""Exact columns: one value per row, held as NumPy arrays.

A number column is a rational per row, `num / den`, with `den > 0`. `num` is
an int64 array, or an object array of Python ints when a value would not fit
in 64 bits; `den` is one Python int for the whole column (the usual case:
every decimal in the data and the rules shares a power of ten) or an array
(after dividing by a column). Nothing is ever a binary float, so comparisons
and half-up roundings are exact, as in the scalar evaluator.

Every column carries two masks:
- `known`: the row has a value (False = "no conclusion", the scalar `Missing`);
- `err`: the scalar evaluator would raise on this row (a division by zero, no
  table row matching…). Such rows are handed back to the scalar evaluator,
  which says why. Flagging more rows than needed costs time, never a wrong answer.
`None` stands for "all known" / "no errors", so constants and fully given
columns cost nothing. `ne` marks rows where a rule does not apply (the scalar
`NOT_EVALUATED`); an expression reading such a value sees no conclusion.

A constant is a column whose arrays are plain Python values (NumPy broadcasts them).
"""

from __future__ import annotations

import math
import operator
import weakref
from fractions import Fraction

import attrs
import numpy as np

_LIMIT = 2 ** 63 - 1


# ---- masks (None = all True for `known`, all False for `err`/`ne`) ------------------
# m_and works for both readings; m_or is for err/ne masks, k_or for known masks.

def m_and(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def m_or(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def k_or(a, b):
    """`or` of two `known` masks, whose None means all True."""
    if a is None or b is None:
        return None
    return a | b


def gate(condition, err):
    """Errors that count only where `condition` holds (None: everywhere); err None = no errors."""
    if err is None:
        return None
    return err if condition is None else condition & err


def m_not(a):
    return None if a is None else np.logical_not(a)


def m_take(mask, index):
    return mask if mask is None or np.ndim(mask) == 0 else mask[index]


def m_where(cond, a, b, neutral: bool):
    """Row-wise `a if cond else b` for masks whose None means `neutral`."""
    if a is None and b is None:
        return None
    a = np.full(len(cond), neutral) if a is None else a
    b = np.full(len(cond), neutral) if b is None else b
    return np.where(cond, a, b)


def as_bool_array(mask, n: int, default: bool):
    if mask is None:
        return np.full(n, default)
    return np.broadcast_to(mask, (n,)) if np.ndim(mask) == 0 else mask


# ---- exact integer arithmetic that widens instead of overflowing -----------------------

# Bounds on |value| of int64 arrays, by array identity (arrays are never changed in
# place once made): an operand used in many operations is measured once, and a
# product's or a sum's bound follows from its operands' without a pass over it.
# A derived bound can be loose; when it says "might overflow", the true one is measured.
_BOUNDS: dict = {}


def _remember(x, bound: int, measured: bool):
    if isinstance(x, np.ndarray) and x.dtype != object and bound <= _LIMIT:
        key = id(x)
        _BOUNDS[key] = (weakref.ref(x, lambda _, key=key: _BOUNDS.pop(key, None)), bound, measured)
    return x


def _bound(x, measure: bool = False) -> int:
    """An upper bound of |x| (measured, when `measure` or none is known)."""
    if isinstance(x, (int, np.integer)):
        return abs(int(x))
    if len(x) == 0:
        return 0
    entry = _BOUNDS.get(id(x))
    if entry is not None and entry[0]() is x and (entry[2] or not measure):
        return entry[1]
    if x.dtype == object:
        return int(np.abs(x).max())
    bound = max(abs(int(x.max())), abs(int(x.min())))
    _remember(x, bound, True)
    return bound


def _max_abs(x) -> int:
    return _bound(x, measure=True)


def _fits(combine, x, y) -> int | None:
    """combine(bounds of x and y) when it stays within int64, measuring loose bounds if needed
    (never for a constant NumPy cannot hold, whatever the values it meets)."""
    if _is_wide(x) or _is_wide(y):
        return None
    bound = combine(_bound(x), _bound(y))
    if bound > _LIMIT:
        bound = combine(_bound(x, measure=True), _bound(y, measure=True))
    return bound if bound <= _LIMIT else None


def _wide(x):
    """`x` as Python ints (an object array, or the int itself)."""
    if isinstance(x, np.ndarray):
        return x if x.dtype == object else x.astype(object)
    return int(x)


def narrow(x):
    """Back to int64 when every value fits: object arithmetic is slow."""
    if isinstance(x, np.ndarray) and x.dtype == object and _max_abs(x) < 2 ** 62:
        return x.astype(np.int64)
    return x


def same_kind(x, y):
    """x and y as operands NumPy can combine: both Python ints (object) when either
    is an object array or a constant beyond int64."""
    if _is_wide(x) or _is_wide(y):
        return _wide(x), _wide(y)
    return x, y


def _is_wide(x) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype == object
    return abs(int(x)) > _LIMIT


def i_mul(x, y):
    if isinstance(y, int) and y == 1:
        return x
    if isinstance(x, int) and x == 1:
        return y
    bound = _fits(operator.mul, x, y)
    if bound is not None:
        return _remember(x * y, bound, False)
    return _wide(x) * _wide(y)


def i_add(x, y):
    bound = _fits(operator.add, x, y)
    if bound is not None:
        return _remember(x + y, bound, False)
    return _wide(x) + _wide(y)


def i_neg(x):
    bound = _fits(lambda a, _: a, x, 0)
    return _remember(-x, bound, False) if bound is not None else -_wide(x)


# ---- columns --------------------------------------------------------------------------

@attrs.frozen
class Num:
    num: object  # int, int64 array or object array
    den: object = 1  # int > 0, or an array of them
    known: object = None
    err: object = None
    ne: object = None

    @staticmethod
    def const(value: Fraction) -> Num:
        return Num(value.numerator, value.denominator)

    def take(self, index) -> Num:
        num = self.num[index] if isinstance(self.num, np.ndarray) else self.num
        den = self.den[index] if isinstance(self.den, np.ndarray) else self.den
        return Num(num, den, m_take(self.known, index), m_take(self.err, index), m_take(self.ne, index))

    def value_at(self, i: int) -> Fraction:
        num = self.num[i] if isinstance(self.num, np.ndarray) else self.num
        den = self.den[i] if isinstance(self.den, np.ndarray) else self.den
        return Fraction(int(num), int(den))


@attrs.frozen
class Bool:
    value: object  # bool or bool array
    known: object = None
    err: object = None
    ne: object = None

    def take(self, index) -> Bool:
        value = self.value[index] if isinstance(self.value, np.ndarray) else self.value
        return Bool(value, m_take(self.known, index), m_take(self.err, index), m_take(self.ne, index))


@attrs.frozen
class Text:
    """Text and enum values as codes into `categories` (a constant: one int code)."""

    codes: object
    categories: tuple
    known: object = None
    err: object = None
    ne: object = None

    @staticmethod
    def const(value: str) -> Text:
        return Text(0, (value,))

    def take(self, index) -> Text:
        codes = self.codes[index] if isinstance(self.codes, np.ndarray) else self.codes
        return Text(codes, self.categories, m_take(self.known, index), m_take(self.err, index),
                    m_take(self.ne, index))

    def code_of(self, value: str) -> int:
        return self.categories.index(value) if value in self.categories else -1

    def recoded(self, categories: tuple):
        """The codes of this column in another category list (-1 where absent)."""
        mapping = np.array([categories.index(c) if c in categories else -1 for c in self.categories] or [-1])
        return mapping[self.codes]


@attrs.frozen
class Record:
    """Records: one column per field (absent fields are unknown rows). `list_name`
    and `positions` locate each row among the records of a top-level input list,
    where the values of its derive block live."""

    fields: dict
    known: object = None
    err: object = None
    list_name: str | None = None
    positions: object = None  # int array into that list's records, None = identity

    def take(self, index) -> Record:
        positions = np.arange(_length_of(self)) if self.positions is None else self.positions
        return Record({k: v.take(index) for k, v in self.fields.items()}, m_take(self.known, index),
                      m_take(self.err, index), self.list_name, positions[index])


@attrs.frozen
class ListCol:
    """A list per row: row i holds `item[starts[i] : starts[i] + lengths[i]]`."""

    starts: object
    lengths: object
    item: object  # a column over every element
    known: object = None
    err: object = None

    def take(self, index) -> ListCol:
        return ListCol(self.starts[index], self.lengths[index], self.item, m_take(self.known, index),
                       m_take(self.err, index))


@attrs.frozen
class TableHit:
    """The outputs of the row a table chose, per applicant."""

    outputs: dict

    def take(self, index) -> TableHit:
        return TableHit({k: v.take(index) for k, v in self.outputs.items()})


def _length_of(record: Record) -> int:
    for col in record.fields.values():
        for part in (getattr(col, "num", None), getattr(col, "value", None), getattr(col, "codes", None),
                     getattr(col, "starts", None)):
            if isinstance(part, np.ndarray):
                return len(part)
    for mask in (record.known, record.err):
        if mask is not None:
            return len(mask)
    raise ValueError("a record column of constants has no length")


def flags(col):
    """(known, err) of any column, for the rules that combine them."""
    known = col.known
    ne = getattr(col, "ne", None)
    if ne is not None:
        known = m_and(known, ~ne)
    return known, col.err


# ---- numbers ----------------------------------------------------------------------------

def _common(a: Num, b: Num):
    """(a's numerators, b's numerators, denominator) over one denominator."""
    if not isinstance(a.den, np.ndarray) and not isinstance(b.den, np.ndarray):
        if a.den == b.den:
            return a.num, b.num, a.den
        common = math.lcm(a.den, b.den)
        return i_mul(a.num, common // a.den), i_mul(b.num, common // b.den), common
    return i_mul(a.num, b.den), i_mul(b.num, a.den), i_mul(a.den, b.den)


def _merge(a, b, num, den) -> Num:
    known_a, err_a = flags(a)
    known_b, err_b = flags(b)
    return Num(num, den, m_and(known_a, known_b), m_or(err_a, err_b))


def add(a: Num, b: Num) -> Num:
    x, y, den = _common(a, b)
    return _merge(a, b, i_add(x, y), den)


def sub(a: Num, b: Num) -> Num:
    x, y, den = _common(a, b)
    return _merge(a, b, i_add(x, i_neg(y)), den)


def mul(a: Num, b: Num) -> Num:
    den = i_mul(a.den, b.den)
    num = i_mul(a.num, b.num)
    if not isinstance(den, np.ndarray) and den >= 10 ** 9:  # keep the denominator from growing needlessly
        g = math.gcd(den, _gcd_all(num))
        if g > 1:
            num, den = num // g, den // g
    return _merge(a, b, num, den)


def _gcd_all(num) -> int:
    if isinstance(num, (int, np.integer)):
        return abs(int(num))
    if len(num) == 0:
        return 0
    return int(np.gcd.reduce(num))


def reduced(a: Num) -> Num:
    """The same values with each row's fraction in lowest terms (per-row denominators only)."""
    if not isinstance(a.den, np.ndarray) or a.den.dtype == object or not isinstance(a.num, np.ndarray) \
            or a.num.dtype == object:
        return a
    g = np.gcd(a.num, a.den)
    g = np.where(g == 0, 1, g)
    return attrs.evolve(a, num=a.num // g, den=a.den // g)


def div(a: Num, b: Num) -> Num:
    """a / b; rows dividing by zero are errors."""
    known_a, _ = flags(a)
    known_b, _ = flags(b)
    zero = b.num == 0
    num, den = i_mul(a.num, b.den), i_mul(a.den, b.num)
    if isinstance(den, np.ndarray):
        negative = den < 0
        num = np.where(negative, i_neg(num), num)
        den = np.where(zero, 1, np.where(negative, i_neg(den), den))
    elif den < 0:
        num, den = i_neg(num), -den
    elif den == 0:
        den = 1
    result = reduced(_merge(a, b, num, den))
    if np.any(zero):
        return attrs.evolve(result, err=m_or(result.err, m_and(m_and(known_a, known_b), zero)))
    return result


def neg(a: Num) -> Num:
    known, err = flags(a)
    return Num(i_neg(a.num), a.den, known, err)


def i_abs(x):
    if _max_abs(x) > _LIMIT:
        return abs(_wide(x)) if not isinstance(x, np.ndarray) else np.abs(_wide(x))
    return np.abs(x) if isinstance(x, np.ndarray) else abs(x)


def absolute(a: Num) -> Num:
    known, err = flags(a)
    return Num(i_abs(a.num), a.den, known, err)


def power(a: Num, exponent: int) -> Num:
    if exponent < 0:
        return div(Num(1), power(a, -exponent))
    result = Num(1)
    for _ in range(exponent):
        result = mul(result, a)
    known, err = flags(a)
    return attrs.evolve(result, known=known, err=err)


def round_half_up(a: Num, places: int) -> Num:
    """四舍五入 at `places`, halves away from zero: floor(|v|·10ᵖ + ½) with the sign of v."""
    known, err = flags(a)
    scale = Fraction(10) ** places
    top = i_mul(i_abs(a.num), 2 * scale.numerator)
    bottom = i_mul(a.den, 2 * scale.denominator)
    magnitude = i_add(top, bottom // 2) // bottom
    num = np.where(a.num < 0, i_neg(magnitude), magnitude) if isinstance(magnitude, np.ndarray) \
        else (-magnitude if a.num < 0 else magnitude)
    return Num(narrow(i_mul(num, scale.denominator)), scale.numerator, known, err)


def floor(a: Num) -> Num:
    known, err = flags(a)
    return Num(a.num if _is_one(a.den) else a.num // a.den, 1, known, err)


def ceil(a: Num) -> Num:
    known, err = flags(a)
    return Num(a.num if _is_one(a.den) else i_neg(i_neg(a.num) // a.den), 1, known, err)


def _is_one(den) -> bool:
    return isinstance(den, int) and den == 1


COMPARISONS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less,
               "=": np.equal, "!=": np.not_equal}


def compare(a: Num, b: Num, op: str) -> Bool:
    known_a, err_a = flags(a)
    known_b, err_b = flags(b)
    if any(isinstance(part, np.ndarray) and part.dtype == object for part in (a.num, a.den, b.num, b.den)):
        value = _filtered_compare(a, b, op)
    else:
        value = _exact_compare(a, b, op)
    return Bool(value, m_and(known_a, known_b), m_or(err_a, err_b))


def _exact_compare(a: Num, b: Num, op: str):
    x, y = same_kind(*_common(a, b)[:2])
    return COMPARISONS[op](x, y)


# Each approximation below is within 3 rounding errors (2^-53 each) of the exact
# value, so a difference beyond 2^-49 of the magnitudes has the exact sign.
_FILTER_TOLERANCE = 2.0 ** -49
_FILTER_FLOOR = 1e-300  # below this, subnormal floats lose relative precision


def _filtered_compare(a: Num, b: Num, op: str):
    """A comparison of Python-int columns, decided in floating point where the difference is
    far beyond rounding, and exactly on the few rows where it is not (ties at a threshold)."""
    try:
        fa, fb = _approximation(a), _approximation(b)
    except OverflowError:  # a value beyond the floats: compare exactly throughout
        return _exact_compare(a, b, op)
    difference = fa - fb
    decided = np.abs(difference) > _FILTER_TOLERANCE * (np.abs(fa) + np.abs(fb)) + _FILTER_FLOOR
    value = COMPARISONS[op](difference, 0.0)
    value = np.array(np.broadcast_to(value, decided.shape)) if np.ndim(decided) else np.array([value])
    undecided = np.flatnonzero(~np.atleast_1d(decided))
    if len(undecided):
        value[undecided] = _exact_compare(a.take(undecided), b.take(undecided), op)
    return value if np.ndim(decided) else bool(value[0])


_APPROXIMATIONS: dict = {}  # id(num array) → (weak reference, den, its approximation): a value compared
# with every band edge of a table is converted once


def _approximation(a: Num):
    """num / den in float64 (each part correctly rounded, then one division)."""
    def as_float(part):
        return part.astype(np.float64) if isinstance(part, np.ndarray) else float(int(part))
    if not isinstance(a.num, np.ndarray):
        return as_float(a.num) / as_float(a.den)
    key = id(a.num)
    entry = _APPROXIMATIONS.get(key)
    if entry is not None and entry[0]() is a.num and entry[1] is a.den:
        return entry[2]
    value = as_float(a.num) / as_float(a.den)
    _APPROXIMATIONS[key] = (weakref.ref(a.num, lambda _, key=key: _APPROXIMATIONS.pop(key, None)), a.den, value)
    return value


def choose(cond, a: Num, b: Num) -> Num:
    """Row-wise `a if cond else b` (numbers only; masks are the caller's)."""
    x, y, den = _common(a, b)
    x, y = same_kind(x, y)
    return Num(narrow(np.where(cond, x, y)), den)


def extreme(a: Num, b: Num, smallest: bool) -> Num:
    picked = compare(a, b, "<=" if smallest else ">=").value
    chosen = choose(picked, a, b)
    return _merge(a, b, chosen.num, chosen.den)


def broadcast(num, n: int):
    """An array of n values from a column part that may be a constant."""
    if isinstance(num, np.ndarray):
        return num
    value = int(num)
    return np.full(n, value, dtype=np.int64 if abs(value) <= _LIMIT else object)
