"""Loading a rule set: a rule file and, transitively, the files it imports.

Imports are resolved relative to the importing file, each file is parsed once
(a diamond of imports is fine), and an import cycle or a missing file is a
diagnostic at the `import` line. The result is a `RuleSet`: the files in
dependency order (imports first), with their texts kept for diagnostics and
the rule set's content hash for receipts.

Parsed files are cached on disk, as Python caches bytecode: the key is the
file's path and text and the source of the parser itself, so any change to
either parses afresh. A cache hit does not even import Lark, which keeps a
one-shot `rulecheck run` quick. The cache lives in `$RULECHECK_CACHE_DIR`, else
`$XDG_CACHE_HOME/rulecheck`, else `~/.cache/rulecheck`; `RULECHECK_NO_CACHE=1`
turns it off, and an unwritable cache is silently skipped.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path

import attrs

from dsl import ast
from dsl.diagnostics import CheckError, ParseError, error

_PARSER_SOURCES = ("grammar.lark", "parser.py", "comments.py", "ast.py", "source.py")


@attrs.frozen
class RuleSet:
    root: ast.RuleFile
    files: tuple[ast.RuleFile, ...]
    sources: dict[str, str] = attrs.field(eq=False)

    @property
    def header(self) -> ast.StandardHeader | None:
        return self.root.header

    @property
    def content_hash(self) -> str:
        """sha256 over the files' texts in load order: what a receipt cites."""
        digest = hashlib.sha256()
        for rule_file in self.files:
            digest.update(rule_file.path.encode() + b"\0" + self.sources[rule_file.path].encode() + b"\0")
        return digest.hexdigest()

    def declarations(self):
        for rule_file in self.files:
            yield from ast.declarations(rule_file.items)


@lru_cache(maxsize=1)
def _parser_fingerprint() -> bytes:
    digest = hashlib.sha256()
    for name in _PARSER_SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.digest()


def _cache_dir() -> Path | None:
    if os.environ.get("RULECHECK_NO_CACHE"):
        return None
    if os.environ.get("RULECHECK_CACHE_DIR"):
        return Path(os.environ["RULECHECK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rulecheck"


_PARSED: dict[tuple[str, str], ast.RuleFile] = {}  # this process's parses (ASTs are immutable)


def parse_cached(text: str, path: str) -> ast.RuleFile:
    """`dsl.parser.parse`, through this process's memo and the on-disk cache;
    a file imported by several rule sets is parsed once per run."""
    key = (path, text)
    if key not in _PARSED:
        _PARSED[key] = _parse_through_disk_cache(text, path)
    return _PARSED[key]


def _parse_through_disk_cache(text: str, path: str) -> ast.RuleFile:
    directory = _cache_dir()
    entry = None
    if directory is not None:
        key = hashlib.sha256(_parser_fingerprint() + path.encode() + b"\0" + text.encode()).hexdigest()
        entry = directory / f"{key}.ast"
        try:
            with entry.open("rb") as stream:
                return pickle.load(stream)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass  # absent or stale: parse afresh
    from dsl.parser import parse  # imports Lark: only on a cache miss
    rule_file = parse(text, path)
    if entry is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            partial = entry.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(pickle.dumps(rule_file, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(partial, entry)
        except OSError:
            pass
    return rule_file


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def load_ruleset(path: str | Path) -> RuleSet:
    """Parse `path` and its imports; raise ParseError or CheckError on failure."""
    root_path = Path(path)
    files: dict[Path, ast.RuleFile] = {}
    sources: dict[str, str] = {}
    order: list[ast.RuleFile] = []
    problems = []

    def visit(file_path: Path, stack: tuple[Path, ...], via: ast.Import | None):
        resolved = file_path.resolve()
        if resolved in stack:
            problems.append(error("import_cycle", f"import cycle: {' → '.join(p.name for p in stack + (resolved,))}",
                                  via.span, "remove one of the imports"))
            return
        if resolved in files:
            return
        if not file_path.is_file():
            if via is None:
                raise FileNotFoundError(str(file_path))
            problems.append(error("import_not_found", f"cannot find imported file `{via.path}`", via.span,
                                  f"looked for {display_path(file_path)}"))
            return
        text = read_text(file_path)
        shown = display_path(file_path)
        sources[shown] = text
        rule_file = parse_cached(text, shown)
        files[resolved] = rule_file
        for imported in rule_file.imports:
            visit(file_path.parent / imported.path, stack + (resolved,), imported)
        order.append(rule_file)

    try:
        visit(root_path, (), None)
    except ParseError as exc:
        exc.sources = sources
        raise
    if problems:
        exc = CheckError(problems)
        exc.sources = sources
        raise exc
    return RuleSet(files[root_path.resolve()], tuple(order), sources)


def load_ruleset_from_text(text: str, path: str = "<string>") -> RuleSet:
    """A rule set of one file with no imports, for tests and tools."""
    from dsl.parser import parse
    rule_file = parse(text, path)
    return RuleSet(rule_file, (rule_file,), {path: text})
