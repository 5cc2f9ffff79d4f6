"""The hand-written enterprise scorers benchmarks/batch.py compares rulecheck with.

Each is what a competent user would write without rulecheck, in one library's
idiom (see benchmarks/baselines/ for the code and its choices):

    NumPy        float64 arrays, list columns flattened by Arrow and summed back with np.bincount
    Polars       one lazy query of float64 expressions, list columns inside the query
    OpenFisca    an OpenFisca-core tax-benefit system, a Variable per indicator, float32
    zen-engine   a GoRules JDM decision graph (decision tables + expression nodes, decimal
                 numbers), evaluated record by record; slow, so run on at most `row_limit` rows

All compute every indicator of table C.4, `total_score` (formula 3, normalised
for green-service enterprises and `not_applicable` per 7.4.2) and `grade`
(table 28, 不予认定 when a compliance check fails), and return per row
(total_score as float64, grade as str).
"""

from __future__ import annotations

import importlib
from typing import NamedTuple


class Baseline(NamedTuple):
    name: str
    module: str  # under benchmarks/, importable with benchmarks/ on sys.path
    row_limit: int | None  # run on at most this many rows, the time extrapolated (None: all)
    note: str


BASELINES = (
    Baseline("NumPy", "baselines.with_numpy", None, "float64"),
    Baseline("Polars", "baselines.with_polars", None, "float64, lazy; uses every core"),
    Baseline("OpenFisca", "baselines.with_openfisca", None,
             "float32 (OpenFisca's default); lists pre-flattened in Python"),
    Baseline("zen-engine", "baselines.with_zen", 100_000, "JDM graph, one evaluate() per record; decimal numbers"),
)


def baseline(name: str) -> Baseline:
    return next(b for b in BASELINES if b.name == name)


def scorer(name: str):
    """The module of baseline `name`: `score(table)` and `score_file(path)` → (total, grade) arrays."""
    return importlib.import_module(baseline(name).module)
