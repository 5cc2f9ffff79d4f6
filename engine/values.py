"""Runtime values, and the two ways a value can be absent.

Numbers are `fractions.Fraction`, exact; there is no binary float anywhere a
comparison or a rounding happens. Booleans are `bool`, text and enum values
`str`, lists `tuple`, records `dict` (field name → value).

`Missing` is "no conclusion" (clause 4, 审慎性): it carries the absent inputs
that caused it (paths such as `standards[0].level`) or a reason, and flows
through every operation that needs the value. `NOT_EVALUATED` marks a rule
that does not apply to this subject (a green-service enterprise's 环境表现).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Union

import attrs


@attrs.frozen
class Missing:
    inputs: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = ()

    def __or__(self, other: Missing) -> Missing:
        return Missing(self.inputs | other.inputs, tuple(dict.fromkeys(self.reasons + other.reasons)))

    def describe(self) -> str:
        parts = []
        if self.inputs:
            parts.append("missing " + ", ".join(sorted(self.inputs)))
        parts.extend(self.reasons)
        return "; ".join(parts) or "no conclusion"


class _NotEvaluated:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_EVALUATED"


NOT_EVALUATED = _NotEvaluated()

Value = Union[Fraction, bool, str, tuple, dict, Missing, _NotEvaluated]


def is_number(value) -> bool:
    return isinstance(value, Fraction) and not isinstance(value, bool)


def exact(value) -> Fraction:
    """An exact number from a data value: int, Decimal, decimal text, or a float
    through its shortest repr (what a spreadsheet cell shows), never its binary expansion."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        return Fraction(Decimal(value.strip()))
    raise TypeError(f"not a number: {value!r}")


def exact_values(value):
    """`value` with every number made an exact Fraction (bools kept), recursively:
    the evaluator's boundary, so no caller can slip a binary float into it."""
    if isinstance(value, bool) or isinstance(value, (str, Missing, _NotEvaluated)) or value is None:
        return value
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, float, Decimal)):
        return exact(value)
    if isinstance(value, (tuple, list)):
        return tuple(exact_values(v) for v in value)
    if isinstance(value, dict):
        return {k: exact_values(v) for k, v in value.items()}
    return value
