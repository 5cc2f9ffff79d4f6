"""Comments: found in the source text and put back into the tree.

The grammar ignores comments (dsl/grammar.lark), so that a comment can stand
anywhere without complicating the grammar; the formatter must still give them
back. `scan_comments` finds every `# …` outside string literals, splitting
lines at `\n` only, as Lark counts them. `attach_comments` then places each
comment in the innermost block (`items`) that holds its line: before the item
that follows it, or as a `trailing` comment of the item whose last line it
ends. A comment that no block holds goes before the item around it.
"""

from __future__ import annotations

import re
from collections import defaultdict

import attrs

from dsl import ast
from dsl.source import Position, Span


@attrs.frozen
class _SourceComment:
    line: int
    column: int
    offset: int
    text: str
    own_line: bool


def scan_comments(text: str) -> list[_SourceComment]:
    """Every `# ...` comment outside string literals, in source order."""
    found, offset = [], 0
    # Split on "\n" only, as Lark counts lines: str.splitlines also breaks at
    # \f, \x85 or \u2028, which may sit inside a string or a line.
    for number, line in enumerate(re.findall(r"[^\n]*\n|[^\n]+$", text), start=1):
        in_string = escaped = False
        for col, ch in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "#":
                body = line[col + 1:].rstrip("\r\n")
                found.append(_SourceComment(number, col + 1, offset + col,
                                            body[1:] if body.startswith(" ") else body,
                                            not line[:col].strip()))
                break
        offset += len(line)
    return found


def _comment_node(c: _SourceComment, path: str, trailing: bool) -> ast.Comment:
    pos = Position(c.offset, c.line, c.column)
    return ast.Comment(c.text.rstrip(), trailing, Span(path, pos, pos))


def _inside(node, line: int) -> bool:
    span = node.span
    return span.start.line <= line < span.end.line


def _attach(node, comments: list[_SourceComment], path: str):
    """Return `node` with `comments` placed in the innermost block that holds them,
    plus the comments that fit nowhere inside it (the caller places those)."""
    if not comments:
        return node, []
    if hasattr(node, "items"):
        return _attach_block(node, comments, path), []
    changes, leftovers = {}, []
    routed = defaultdict(list)
    for c in comments:
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            if attrs.has(type(value)) and hasattr(value, "span") and _inside(value, c.line):
                routed[field.name].append(c)
                break
        else:
            leftovers.append(c)
    for field_name, cs in routed.items():
        new_child, rest = _attach(getattr(node, field_name), cs, path)
        changes[field_name] = new_child
        leftovers.extend(rest)
    return (attrs.evolve(node, **changes) if changes else node), leftovers


def _attach_block(node, comments: list[_SourceComment], path: str):
    items = list(node.items)
    routed = defaultdict(list)
    loose = []
    for c in comments:
        owner = next((i for i, item in enumerate(items)
                      if not isinstance(item, ast.Comment) and _inside(item, c.line)), None)
        (routed[owner] if owner is not None else loose).append(c)
    placed: list[tuple[int, int, object]] = []  # (sort line, order, node)
    for index, item in enumerate(items):
        if index in routed:
            item, rest = _attach(item, routed[index], path)
            for c in rest:
                placed.append((item.span.start.line, -1, _comment_node(c, path, False)))
        placed.append((item.span.start.line, 0, item))
    for c in loose:
        placed.append((c.line, 1 if not c.own_line else -1, _comment_node(c, path, not c.own_line)))
    placed.sort(key=lambda entry: (entry[0], entry[1]))
    return attrs.evolve(node, items=tuple(entry[2] for entry in placed))


def attach_comments(rule_file: ast.RuleFile, comments, path: str) -> ast.RuleFile:
    """`rule_file` with `comments` (from `scan_comments`) placed in its blocks."""
    placed, _ = _attach(rule_file, comments, path)
    return placed
