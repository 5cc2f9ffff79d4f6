"""The rulecheck rules language: text in, checked rules out.

    .rules text ──parse──▶ RuleFile (ast.py, with spans) ──load──▶ RuleSet (imports resolved)
                                                               ──check──▶ CheckedRules + diagnostics

- source.py       Span: where things are
- grammar.lark    the LALR grammar
- parser.py       parse(text, path) -> ast.RuleFile; the only module importing Lark
- comments.py     comments found in the text and put back into the tree
- ast.py          frozen attrs nodes; equality ignores spans
- loader.py       load_ruleset(path) -> RuleSet: a file and its imports (parsed files cached)
- symbols.py      the one namespace of a rule set
- checker.py      check(ruleset) -> CheckedRules: the table of sub-checks (CHECKS)
- typecheck.py    type, unit and enum inference, memoised (typesys.py: the types;
                  units.py: unit algebra; functions.py: built-in functions and aggregates)
- ranges.py       constant folding and interval bounds, to prove scores stay within points
- coverage.py     band tables: gaps, overlaps and unreachable rows over declared domains
- formatter.py    format_text(text) -> canonical text; comments kept
- diagnostics.py  Diagnostic records, their plain rendering, the error hierarchy

The engine package compiles CheckedRules into a plan and evaluates it.
"""
