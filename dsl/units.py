"""Unit algebra for the checker: `[万元]`, `[%]`, `[kWh/100km]` as exponent maps.

A unit is a product of base symbols with integer exponents and a numeric scale:
`kWh/100km` is kWh¹·km⁻¹ with scale 1/100, `Wh/kg` is Wh¹·kg⁻¹, `r/min` is
r¹·min⁻¹. Every symbol is its own base (`万元` and `元` are different units:
rulecheck never converts, so mixing them is a mistake worth reporting).
`%` is dimensionless: a percentage is held as its exact ratio (4.5% is 0.045),
so `%` equals the unit of `revenue / revenue`.

The checker tracks a unit per number. A number with no declared unit (a bare
literal, a parameter written as one, a count of things, a `number` input
without brackets) is *free*, written `None`: in `+`, `-` and comparisons it
adopts the other operand's unit; in `×` and `÷` it may be a coefficient with
any unit (0.3 points per patent), so the product is free too. This keeps
`revenue > 10000` legal and `revenue + share` an error, without asking authors
to write units on every constant.
"""

from __future__ import annotations

import re
from fractions import Fraction

import attrs

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_FACTOR = re.compile(r"^(\d+(?:\.\d+)?)?\s*([^\d\s*/·^⁰¹²³⁴⁵⁶⁷⁸⁹⁻][^\s*/·^⁰¹²³⁴⁵⁶⁷⁸⁹⁻]*)?\s*(?:\^\s*(-?\d+)|([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+))?$")


@attrs.frozen
class Unit:
    """A unit: base symbols with exponents (sorted, no zeros) and a scale.

    `text` keeps the author's spelling for messages and is left out of equality.
    """

    dims: tuple[tuple[str, int], ...] = ()
    scale: Fraction = Fraction(1)
    text: str = attrs.field(default="", eq=False)

    @property
    def is_dimensionless(self) -> bool:
        return not self.dims and self.scale == 1

    def __mul__(self, other: Unit) -> Unit:
        return _make(_add_dims(self.dims, other.dims, 1), self.scale * other.scale)

    def __truediv__(self, other: Unit) -> Unit:
        return _make(_add_dims(self.dims, other.dims, -1), self.scale / other.scale)

    def __pow__(self, exponent: int) -> Unit:
        return _make(tuple((b, e * exponent) for b, e in self.dims), self.scale ** exponent)

    def __str__(self) -> str:
        return self.text or _spell(self)


DIMENSIONLESS = Unit()
PERCENT = Unit(text="%")


def _add_dims(a, b, sign: int) -> tuple[tuple[str, int], ...]:
    """Exponents of a product (sign 1) or a quotient (sign -1), zeros dropped."""
    exponents = dict(a)
    for base, e in b:
        exponents[base] = exponents.get(base, 0) + sign * e
    return tuple(sorted((k, v) for k, v in exponents.items() if v))


def _make(dims, scale) -> Unit:
    """A unit from exponents and a scale."""
    return Unit(tuple(dims), Fraction(scale))


def _spell(unit: Unit) -> str:
    """A readable spelling of a derived unit: `万元/km`, `1` when dimensionless."""
    def part(dims):
        return "·".join(b if e == 1 else f"{b}^{e}" for b, e in dims)

    num = part([(b, e) for b, e in unit.dims if e > 0])
    den = part([(b, -e) for b, e in unit.dims if e < 0])
    scale = "" if unit.scale == 1 else f"{unit.scale}·"
    text = scale + (num or "1")
    return f"{text}/{den}" if den else text


def parse_unit(text: str) -> Unit:
    """The unit of a bracketed spelling (without the brackets); ValueError if malformed.

    Grammar: factors joined by `*`, `·`, `×` or spaces, with `/` dividing by the
    factors after it; a factor is an optional number (`100km`), a symbol, and an
    optional exponent (`m^2`, `m²`).
    """
    spelled = text.strip()
    if spelled == "%":
        return PERCENT
    if not spelled:
        raise ValueError("empty unit")
    unit = DIMENSIONLESS
    for position, group in enumerate(spelled.split("/")):
        for factor in re.split(r"[*·×\s]+", group.strip()):
            factor_unit = _parse_factor(factor)
            unit = unit * factor_unit if position == 0 else unit / factor_unit
    return attrs.evolve(unit, text=spelled)


def _parse_factor(text: str) -> Unit:
    """One factor: `km`, `100km`, `m^2`, `m²`."""
    if text == "%":  # a percentage inside a compound unit is still a ratio
        return DIMENSIONLESS
    match = _FACTOR.match(text)
    if not text or not match or not (match.group(1) or match.group(2)):
        raise ValueError(f"cannot read unit factor `{text}`")
    number, symbol, caret, superscript = match.groups()
    exponent = int(caret or (superscript.translate(SUPERSCRIPTS) if superscript else "1"))
    if exponent == 0:
        raise ValueError(f"unit factor `{text}` has exponent 0")
    dims = ((symbol, exponent),) if symbol else ()
    scale = Fraction(number) if number else Fraction(1)
    if scale == 0:
        raise ValueError(f"unit factor `{text}` is zero")
    return _make(dims, scale ** exponent)


def format_number(value: Fraction, percent: bool = False) -> str:
    """A number as the rules write it: `8.5`, `5%` when shown as a percentage, `1/3` if not decimal."""
    shown = value * 100 if percent else value
    places = 0
    while (shown * 10 ** places).denominator != 1:
        places += 1
        if places > 30:  # not a terminating decimal
            return f"{shown}" + ("%" if percent else "")
    digits = str(abs(shown.numerator * 10 ** places // shown.denominator)).rjust(places + 1, "0")
    text = digits if not places else f"{digits[:-places]}.{digits[-places:]}"
    return ("-" if shown < 0 else "") + text + ("%" if percent else "")
