"""Exact numbers: half-up rounding and decimal display of rationals.

The texts say "四舍五入": round half away from zero at the stated places
(−3153.5 → −3154). Values are `Fraction`s, so rounding is exact and no tie is
ever lost to a binary float (2.07 × 0.5 = 1.035 rounds to 1.04).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

_DISPLAY_DIGITS = 6


def round_half_up(value: Fraction, places: int = 0) -> Fraction:
    """四舍五入: round to `places` decimals, halves away from zero."""
    scale = Fraction(10) ** places
    magnitude = math.floor(abs(value) * scale + Fraction(1, 2))
    return Fraction(magnitude if value >= 0 else -magnitude) / scale


def decimal_places(value: Fraction) -> int | None:
    """The places of `value`'s finite decimal expansion (denominator 2^a·5^b: max(a, b)),
    or None when it does not terminate."""
    d = value.denominator
    counts = []
    for p in (2, 5):
        count = 0
        while d % p == 0:
            d //= p
            count += 1
        counts.append(count)
    return max(counts) if d == 1 else None


def is_terminating(value: Fraction) -> bool:
    """True when `value` has a finite decimal expansion (denominator 2^a·5^b)."""
    return decimal_places(value) is not None


def to_decimal(value: Fraction, significant: int = 28) -> Decimal:
    """The exact decimal when it terminates, else `significant` digits."""
    places = decimal_places(value)
    if places is not None:
        with localcontext() as ctx:
            # value·10^places is an integer of at most this many digits: the division is exact
            ctx.prec = max(28, len(str(abs(value.numerator))) + places + 1)
            return (Decimal(value.numerator) / Decimal(value.denominator)).normalize()
    with localcontext() as ctx:
        ctx.prec = significant
        return (Decimal(value.numerator) / Decimal(value.denominator)).normalize()


def plain(decimal: Decimal) -> str:
    """A Decimal without exponent notation (1E+2 → 100)."""
    text = format(decimal, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_number(value: Fraction, percent: bool = False) -> str:
    """Human display: exact when the decimal terminates, else ≈ six places."""
    shown = value * 100 if percent else value
    suffix = "%" if percent else ""
    if is_terminating(shown):
        return plain(to_decimal(shown)) + suffix
    return "≈" + plain(to_decimal(round_half_up(shown, _DISPLAY_DIGITS))) + suffix


def json_number(value: Fraction) -> str:
    """JSON text of a number: exact when terminating, else 17 significant digits."""
    if value.denominator == 1:
        return str(value.numerator)
    return plain(to_decimal(value, significant=17))


def describe(value, unit: str | None = None) -> str:
    """A value as a person reads it in a trace or a report, with its unit."""
    from engine.values import NOT_EVALUATED, Missing

    if isinstance(value, Missing):
        return f"no conclusion ({value.describe()})"
    if value is NOT_EVALUATED:
        return "not evaluated"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        text = format_number(value, percent=unit == "%")
        return f"{text} {unit}" if unit and unit != "%" else text
    if isinstance(value, tuple):
        return "[" + ", ".join(describe(v, unit) for v in value) + "]"
    if isinstance(value, dict):
        shown = {k: v for k, v in value.items() if not k.startswith("__")}
        return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in shown.items()) + "}"
    return str(value)
