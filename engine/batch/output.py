"""Result columns → the text cells of engine/table_io.py, exactly.

A number is written as `engine.numbers.json_number` writes it: the exact
decimal when it terminates, else 17 significant digits. A column over one
power-of-ten denominator (almost every result) is printed by Arrow string
kernels; the other rows (a normalised total such as 63/86 × 100) one by one.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from engine.batch.columns import Bool, Num, Text, as_bool_array
from engine.numbers import json_number
from engine.table_io import NOT_EVALUATED_TEXT


def _decimal_places(den: int) -> int | None:
    """k with den | 10^k, or None when den has a prime factor other than 2 and 5."""
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    return max(twos, fives) if den == 1 else None


def _scaled_text(scaled, places: int):
    """Decimal texts of integers scaled by 10^places, trailing zeros dropped."""
    import pyarrow as pa
    import pyarrow.compute as pc

    magnitude = np.abs(scaled)
    whole = pa.array(magnitude // 10 ** places) if places else pa.array(magnitude)
    text = pc.cast(whole, pa.string()) if whole.type != pa.string() else whole
    if places:
        fraction = pc.cast(pa.array(magnitude % 10 ** places), pa.string())
        fraction = pc.utf8_rtrim(pc.utf8_lpad(fraction, places, "0"), "0")
        dotted = pc.binary_join_element_wise(text, fraction, ".")
        text = pc.if_else(pc.equal(pc.utf8_length(fraction), 0), text, dotted)
    negative = pa.array(np.asarray(scaled < 0))
    return pc.if_else(negative, pc.binary_join_element_wise("-", text, ""), text)


def number_texts(col: Num, n: int) -> list:
    """The cells of a number column (None where the column has no conclusion)."""
    num = np.broadcast_to(col.num, (n,)) if not isinstance(col.num, np.ndarray) else col.num
    if not isinstance(col.den, np.ndarray):
        places = _decimal_places(col.den)
        if places is not None and num.dtype != object and places <= 18:
            factor = 10 ** places // col.den
            if np.abs(num).max(initial=0) <= (2 ** 62) // max(factor, 1):
                return _scaled_text(np.asarray(num) * factor, places).to_pylist()
        return [json_number(Fraction(int(v), col.den)) for v in num]
    den = col.den
    out = [None] * n
    uniform = _common_power_of_ten(num, den)
    if uniform is not None:
        scaled, places = uniform
        return _scaled_text(scaled, places).to_pylist()
    for i in range(n):
        out[i] = json_number(Fraction(int(num[i]), int(den[i])))
    return out


def _common_power_of_ten(num, den):
    """(num scaled to one power of ten, places) when every row's decimal terminates."""
    if num.dtype == object or den.dtype == object:
        return None
    g = np.gcd(num, den)
    reduced = den // np.where(g == 0, 1, g)
    places = 0
    for value in np.unique(reduced):
        found = _decimal_places(int(value))
        if found is None:
            return None
        places = max(places, found)
    if places > 18:
        return None
    factor = 10 ** places // reduced
    top = num // np.where(g == 0, 1, g)
    if np.abs(top).max(initial=0) > (2 ** 62) // max(int(factor.max(initial=1)), 1):
        return None
    return top * factor, places


def texts(col, n: int) -> list:
    """The cells of any result column (no conclusion → None, not applicable → `not_evaluated`)."""
    known = np.array(as_bool_array(col.known, n, True), dtype=bool)
    ne = np.array(as_bool_array(getattr(col, "ne", None), n, False), dtype=bool)
    if isinstance(col, Num):
        cells = number_texts(col, n)
    elif isinstance(col, Bool):
        values = np.broadcast_to(col.value, (n,))
        cells = np.where(values, "true", "false").tolist()
    elif isinstance(col, Text):
        codes = np.broadcast_to(col.codes, (n,))
        categories = np.array(list(col.categories) + [None], dtype=object)
        cells = categories[np.where(codes < 0, len(col.categories), codes)].tolist()
    else:
        raise TypeError(f"no cells for {type(col).__name__}")
    return [NOT_EVALUATED_TEXT if ne[i] else (cells[i] if known[i] else None) for i in range(n)]

