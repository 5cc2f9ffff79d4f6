"""The rulecheck rules language: text in, checked rules out.

    .rules text ──parse──▶ RuleFile (ast.py, with spans) ──load──▶ RuleSet (imports resolved)
                                                               ──check──▶ CheckedRules + diagnostics

- source.py       Span, SourceFile: where things are
- grammar.lark    the LALR grammar
- parser.py       parse(text, path) -> ast.RuleFile; the only module importing Lark
- ast.py          frozen attrs nodes; equality ignores spans
- loader.py       load_ruleset(path) -> RuleSet: a file and its imports
- symbols.py      the one namespace of a rule set
- checker.py      check(ruleset) -> CheckedRules: names, types, units, tables, points
- formatter.py    format_text(text) -> canonical text; comments kept
- diagnostics.py  Diagnostic records, their plain rendering, the error hierarchy

The engine package compiles CheckedRules into a plan and evaluates it.
"""
