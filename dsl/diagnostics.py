"""Diagnostics: what went wrong, where, and what to do about it.

A `Diagnostic` is a frozen record with a stable snake_case `code` that tests
and tools rely on. Passes collect diagnostics rather than raise on the first,
then `sorted_and_capped` orders them by position and caps the count. The plain
rendering (`path:line:col: error[code]: message`, the source line, a caret)
serves golden files and CI; engine/render.py draws the same data for humans.
"""

from __future__ import annotations

import difflib
from enum import Enum
from typing import Iterable, Sequence

import attrs

from dsl.source import Span, display_width

MAX_DIAGNOSTICS = 50


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    notes: tuple[tuple[str, Span], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, message: str, span: Span, hint: str | None = None,
          notes: tuple[tuple[str, Span], ...] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, hint, notes)


def warning(code: str, message: str, span: Span, hint: str | None = None,
            notes: tuple[tuple[str, Span], ...] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, hint, notes)


class RulecheckError(Exception):
    """The root of every error rulecheck reports to a user."""


class ParseError(RulecheckError):
    """A rule file is not valid syntax; carries one diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.diagnostics = (diagnostic,)


class CheckError(RulecheckError):
    """A rule set failed its checks; carries every error found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        super().__init__(f"{len(diagnostics)} problem(s) in the rules")
        self.diagnostics = tuple(diagnostics)


class InternalError(RulecheckError):
    """A bug in rulecheck itself, not in the user's rules or data."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest known name, if one is close enough."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def sorted_and_capped(diagnostics: Iterable[Diagnostic], limit: int = MAX_DIAGNOSTICS
                      ) -> tuple[list[Diagnostic], int]:
    """Diagnostics in file and position order, at most `limit`; also how many were cut."""
    unique = list(dict.fromkeys(diagnostics))
    unique.sort(key=lambda d: (d.span.path, d.span.start.offset, d.code))
    return unique[:limit], max(0, len(unique) - limit)


def render_plain(diagnostic: Diagnostic, source_text: str | None) -> str:
    """`path:line:col: severity[code]: message`, the source line and a caret."""
    span = diagnostic.span
    lines = [f"{span}: {diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"]
    if span.section:
        lines[0] += f"  (in {span.section})"
    if source_text is not None and span.start.line > 0:
        source_lines = source_text.splitlines()
        if span.start.line <= len(source_lines):
            text = source_lines[span.start.line - 1].expandtabs(4)
            prefix = text[: max(0, span.start.column - 1)]
            if span.end.line == span.start.line and span.end.column > span.start.column:
                marked = text[span.start.column - 1: span.end.column - 1]
            else:
                marked = text[span.start.column - 1:].rstrip() or " "
            gutter = f"{span.start.line:>4} | "
            lines.append(gutter + text)
            lines.append(" " * (len(gutter) - 2) + "| " + " " * display_width(prefix)
                         + "^" * max(1, display_width(marked)))
    for note, note_span in diagnostic.notes:
        lines.append(f"  note: {note} ({note_span})")
    if diagnostic.hint:
        lines.append(f"  hint: {diagnostic.hint}")
    return "\n".join(lines)


def render_all_plain(diagnostics: Iterable[Diagnostic], sources: dict[str, str]) -> str:
    shown, cut = sorted_and_capped(diagnostics)
    parts = [render_plain(d, sources.get(d.span.path)) for d in shown]
    if cut:
        parts.append(f"... and {cut} more")
    return "\n".join(parts)
