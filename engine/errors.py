"""Errors about data and evaluation (rule-file errors live in dsl.diagnostics)."""

from __future__ import annotations

import attrs

from dsl.diagnostics import RulecheckError


@attrs.frozen
class DataProblem:
    """One thing wrong with the applicant data, located by file and key or row."""

    source: str  # the data file
    location: str  # key path (`standards[1].level`) and, for tables, `row 3`
    message: str
    hint: str | None = None
    code: str = "invalid_data"

    def __str__(self) -> str:
        located = self.message.startswith(self.location.split(", column ")[0]) and self.location
        text = f"{self.source}: {self.message}" if located else f"{self.source}: {self.location}: {self.message}"
        return text + (f" ({self.hint})" if self.hint else "")


class DataError(RulecheckError):
    """The applicant data cannot be evaluated as given; lists every problem found."""

    def __init__(self, problems):
        problems = tuple(problems)
        super().__init__(f"{len(problems)} problem(s) in the data")
        self.problems = problems


class EvalError(RulecheckError):
    """Evaluation could not finish on this data (e.g. no table row matches)."""

    def __init__(self, message: str, span=None, trace=None):
        super().__init__(message)
        self.span = span
        self.trace = trace
