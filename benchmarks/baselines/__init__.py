"""Hand-written enterprise scorers (T/SGIPA clause 5, table C.4) to compare rulecheck with.

Each module is what a competent user would write without rulecheck, in one
library's own idiom: `with_numpy` (float64 arrays), `with_polars` (lazy float64
expressions), `with_openfisca` (an OpenFisca-core tax-benefit system, float32
as OpenFisca computes by default) and `with_zen` (a GoRules JDM decision graph
evaluated record by record). They read the data contract's columns
(shared/spec/data-contract.md, section 1) and follow its readings; none of them
imports rulecheck. Each exposes

    score(table: pyarrow.Table) -> (total: float64 array, grade: str array)
    score_file(path) -> the same, reading the Parquet file its own way

benchmarks/enterprise_baselines.py lists them for benchmarks/batch.py.
"""
