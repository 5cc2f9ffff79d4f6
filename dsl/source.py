"""Source files and spans.

Every AST node and every diagnostic carries a `Span`, so an error or a trace
step can point at the line of the rule file it comes from. A span's `section`
names the enclosing declaration in domain terms (`indicator rd_score "研发投入"`),
which a diagnostic prints next to the position.
"""

from __future__ import annotations

import unicodedata

import attrs


@attrs.frozen
class Position:
    """A point in a source file: 0-based offset, 1-based line and column."""

    offset: int
    line: int
    column: int


@attrs.frozen
class Span:
    """A range of a source file; `section` names the enclosing declaration."""

    path: str
    start: Position
    end: Position
    section: str = ""

    def with_section(self, section: str) -> Span:
        return attrs.evolve(self, section=section)

    def __str__(self) -> str:
        return f"{self.path}:{self.start.line}:{self.start.column}"


NO_SPAN = Span("<none>", Position(0, 0, 0), Position(0, 0, 0))


def display_width(text: str) -> int:
    """Terminal columns taken by `text`: CJK wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
