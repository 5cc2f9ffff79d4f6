"""The rulecheck engine: checked rules in, results and explanations out.

    CheckedRules ──compile──▶ Plan ──evaluate(data)──▶ Outcome + TraceNode ──render──▶ terminal / JSON

- compiler.py    names resolved, constants folded, expressions as closures
- evaluator.py   one subject in one period, exact, memoised, traced
- trace.py       the trace as data (TraceNode), Tracer / NullTracer
- numbers.py     exact numbers: half-up rounding (四舍五入), decimal display
- values.py      runtime values; Missing (no conclusion) and NOT_EVALUATED
- data.py        applicant data from JSON, YAML, CSV, XLSX, validated against the inputs
                 (data_formats.py reads the formats; per_record.py groups one-row-per-vehicle
                 tables from Parquet or CSV into model records)
- results.py     the JSON result document with its receipt
- table_io.py    a table of applicants in, a table of results out (Parquet, CSV, XLSX);
                 bad rows reported and skipped; `explain --row N`
- render.py      rich trees and tables, and their plain-text twins
- report.py      the evaluation tables in the standard's layout (Appendix C/D), Markdown or HTML;
                 annual_report.py the dual-credit annual report (附件3)
- diff.py        the semantic diff of two rule sets (diff_text.py: how a change reads;
                 diff_render.py: text, JSON, a foreword-style Markdown change list);
                 impact.py evaluates a population under both versions
- testing.py     the examples beside the rules (`rulecheck test`)
- cli.py         the `rulecheck` command and its exit codes
"""

__version__ = "0.1.0"
