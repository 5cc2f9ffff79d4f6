"""A generated population of enterprise applicants, crowded onto the band edges.

    write_population(path, n, seed=0)

writes n applicants for standards/tsgipa-nev/2025-draft/enterprise.rules as a
Parquet file with native Arrow types and the data contract's column names
(shared/spec/data-contract.md, section 1), plus an id column `name`. Numbers
are float64 holding short decimals (4.5, 1200000, 10.05), counts int64,
percentages plain numbers of percent (4.5 means 4.5%), `standards` a
list<struct<level, kind, role>>, the yearly series list<double>.

The values are chosen where arithmetic in binary floating point goes wrong:
R&D expense exactly 1–5% of the green-business revenue, average growth exactly
0/5/15%, carbon intensity declining exactly 4%/6% a year (or one unit short),
expert scores and percentages on their band edges and at .xx5, and about a
third of the totals aimed exactly at the 60/70/85 grade boundaries (or 0.005
and 0.00001 either side) through the environmental-benefit expert score.

Every decimal is built as an integer count of a small unit and divided by a
power of ten once: IEEE division is correctly rounded, so each float64 is the
double nearest to the intended decimal and its shortest repr (what rulecheck
reads) is that decimal. Everything is vectorised: 10⁶ rows take a few seconds.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from baselines import table_c4, with_numpy

INDICATORS_OFTEN_NOT_APPLICABLE = ("key_tech_score", "influence_score", "standards_score", "ghg_score",
                                   "pollutant_score", "honors_score")
GRADE_EDGES = (60, 70, 85)
# S − edge: on it, just below (69.995 shows as 70.00 but is 浅绿), just above, a hair below.
EDGE_OFFSETS, EDGE_OFFSET_WEIGHTS = (0, -0.005, 0.005, -0.00001), (0.6, 0.2, 0.1, 0.1)
AIMED_SHARE = 0.35  # of the rows whose total is aimed at a grade edge
STRONG_SHARE = 0.3


class _Draw:
    """Random columns for n rows: edge values mixed with plain random ones."""

    def __init__(self, n: int, seed: int):
        self.n, self.rng = n, np.random.default_rng(seed)
        # Three in ten enterprises are strong (more counts, upper-half scores), so every grade
        # occurs and totals can be aimed at 85 too.
        self.strong = self.rng.random(n) < STRONG_SHARE

    def flag(self, p_true: float, p_strong: float | None = None) -> np.ndarray:
        return self.rng.random(self.n) < np.where(self.strong, p_true if p_strong is None else p_strong, p_true)

    def count(self, mean: float, p_zero: float = 0.0) -> np.ndarray:
        counts = self.rng.poisson(np.where(self.strong, 2.5 * mean, mean))
        return np.where(self.flag(p_zero), 0, counts).astype(np.int64)

    def choice(self, values, p=None) -> np.ndarray:
        return self.rng.choice(np.asarray(values), self.n, p=p)

    def decimal(self, edges, low: float, high: float, places: int = 2, p_edge: float = 0.5) -> np.ndarray:
        """Band edges with probability p_edge, else a random value in [low, high] with `places` decimals."""
        scale = 10 ** places
        low_units = np.where(self.strong, round((low + high) / 2 * scale), round(low * scale))
        random = self.rng.integers(low_units, round(high * scale) + 1) / scale
        edge_units = np.rint(np.asarray(edges, float) * 1000).astype(np.int64)  # edges have ≤ 3 decimals
        edge = self.rng.choice(edge_units, self.n) / 1000
        return np.where(self.flag(p_edge), edge, random)


def _list_array(values: np.ndarray, lengths: np.ndarray, null: np.ndarray | None = None) -> pa.ListArray:
    """A list<double> column from an (n, k) matrix, taking the first `lengths[i]` values of row i."""
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = values[np.arange(values.shape[1]) < lengths[:, None]]
    mask = None if null is None else pa.array(null)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat), mask=mask)


def _strings(codes: np.ndarray, names) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(names))).cast(pa.string())


def _standards(d: _Draw) -> pa.ListArray:
    lengths = np.where(d.strong, d.rng.integers(2, 9, d.n), d.choice([0, 1, 2, 3, 4], p=[0.3, 0.3, 0.2, 0.12, 0.08]))
    total = int(lengths.sum())
    fields = [("level", ["international", "national", "industry", "local", "group"]), ("kind", ["new", "revision"]),
              ("role", ["lead", "participant"])]
    records = pa.StructArray.from_arrays(
        [_strings(d.rng.integers(0, len(names), total), names) for _, names in fields], [f for f, _ in fields])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), records)


def _not_applicable(d: _Draw) -> pa.ListArray:
    """Mostly empty; 6% one indicator judged not applicable, 1% two (7.4.2 note 2)."""
    lengths = d.choice([0, 1, 2], p=[0.93, 0.06, 0.01])
    picks = np.argsort(d.rng.random((d.n, len(INDICATORS_OFTEN_NOT_APPLICABLE))), axis=1)[:, :2]
    flat = picks[np.arange(2) < lengths[:, None]]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), _strings(flat, INDICATORS_OFTEN_NOT_APPLICABLE))


def _rd_expense(d: _Draw, green_revenue_tenths: np.ndarray) -> np.ndarray:
    """R&D expense: 60% exactly 1–5% of the green revenue, 25% on a table-7 amount, 15% random."""
    on_ratio = green_revenue_tenths * d.choice([1, 2, 3, 4, 5]) / 1000  # tenths × percent / 1000: exact
    amounts = [400, 500, 600, 800, 1000, 1500, 1600, 2000, 2400, 3200]
    on_amount = (d.choice(amounts) * 1000 - d.choice([0, 5], p=[0.7, 0.3])) / 1000  # or 0.005 short
    random = d.rng.integers(0, 5_000_000, d.n) / 100
    kind = d.choice([0, 1, 2], p=[0.6, 0.25, 0.15])
    return np.select([kind == 0, kind == 1], [on_ratio, on_amount], random)


# Yearly growth rates in whole percent whose mean is exactly a table-8 edge (15%, 5%, 0%).
_EDGE_RATES = {2: [[15], [5], [0]],
               3: [[10, 20], [14, 16], [4, 6], [3, 7], [-3, 3], [-1, 1], [12, 18], [0, 10]],
               4: [[10, 15, 20], [5, 15, 25], [3, 5, 7], [4, 5, 6], [-2, 0, 2], [-6, 1, 5], [1, 2, 12], [0, 0, 0]]}


def _revenues(d: _Draw) -> pa.ListArray:
    """2–4 years oldest first; 60% with an average growth exactly on a table-8 edge."""
    lengths = d.choice([2, 3, 4], p=[0.25, 0.45, 0.3])
    rates = np.zeros((d.n, 3), np.int64)
    for years, options in _EDGE_RATES.items():
        rows = np.flatnonzero(lengths == years)
        chosen = np.asarray([o + [0] * (3 - len(o)) for o in options])[d.rng.integers(0, len(options), len(rows))]
        rates[rows] = chosen
    # R₀ in thousandths of 万元, a multiple of 100³, so R₀ · Π(100 + pᵢ) / 100ᵏ stays an integer.
    edge = np.empty((d.n, 4), np.int64)
    edge[:, 0] = d.rng.integers(1, 1500, d.n) * 10**6
    for t in range(1, 4):
        edge[:, t] = edge[:, t - 1] * (100 + rates[:, t - 1]) // 100
    growth = 1 + d.rng.integers(-200, 400, (d.n, 4)) / 1000  # otherwise −20% … +40% a year, any decimals
    random = np.empty((d.n, 4), np.int64)
    random[:, 0] = d.rng.integers(1000, 2_000_000, d.n) * 1000
    for t in range(1, 4):
        random[:, t] = np.rint(random[:, t - 1] * growth[:, t] / 10).astype(np.int64) * 10
    values = np.where(d.flag(0.6)[:, None], edge, random) / 1000
    return _list_array(values, lengths)


def _intensities(d: _Draw) -> pa.ListArray:
    """Optional carbon-intensity series: null, empty or one value (no series), else 2–4 years,
    half declining exactly 4% or 6% a year (I_last = I_first · (1 − t)^(n − 1)), some one unit short."""
    lengths = d.choice([0, 1, 2, 3, 4], p=[0.1, 0.05, 0.3, 0.35, 0.2])
    null = d.flag(0.1)
    first = d.choice([100, 50, 250, 80, 125, 37])  # hundredths
    keep = d.choice([96, 94])  # per cent kept each year
    periods = np.maximum(lengths - 1, 0)
    scale = 100 ** periods
    edge_last = first * keep.astype(np.int64) ** periods + d.choice([0, 1], p=[0.75, 0.25])  # or a hair above
    middle = np.rint(first * (0.9 + 0.15 * d.rng.random(d.n)) * 10) / 1000  # hundredths → 3 decimals
    last_random = np.rint(first * (0.8 + 0.3 * d.rng.random(d.n)) * 10) / 1000
    last = np.where(d.flag(0.5), edge_last / (100.0 * scale), last_random)
    values = np.column_stack([first / 100, middle, middle, middle])
    values[np.arange(d.n), np.maximum(lengths - 1, 1)] = last
    return _list_array(values, np.where(null, 0, lengths), null)


def population(n: int, seed: int = 0) -> pa.Table:
    """n generated applicants as an Arrow table (see the module docstring)."""
    d = _Draw(n, seed)
    green_revenue_tenths = np.where(d.flag(0.01), 0, np.select(
        [d.flag(0.1), d.flag(0.05)], [100_000, 99_999], d.rng.integers(1, 200_000, n) * 100))
    columns = {
        "name": pc.binary_join_element_wise("E", pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 7, "0"),
                                            ""),
        "green_service": d.flag(0.08),
        "quality_sme": d.flag(0.25),
        "not_applicable": _not_applicable(d),
        "green_business_share": d.decimal([50, 49.995, 50.005, 100, 30], 0, 100, 2, p_edge=0.6),
        "green_business_revenue": green_revenue_tenths / 10,
        "locally_recognized": d.flag(0.1),
        "technical_compliance": d.flag(0.97),
        "invention_patents": d.count(6, p_zero=0.15),
        "utility_models": d.count(12, p_zero=0.1),
        "ic_layout_designs": d.count(0.3),
        "software_copyrights": d.count(8, p_zero=0.2),
        "design_patents": d.count(3, p_zero=0.3),
        "standards": _standards(d),
        "key_tech_expert_score": d.decimal([0, 6, 8, 10, 6.005, 7.995, 8.005, 7.125], 0, 10),
        "env_benefit_expert_score": d.decimal([0, 12, 16, 20, 12.005, 15.995, 16.005], 0, 20),
        "team_covers_specialties": d.flag(0.75, p_strong=0.95),
        "senior_or_phd_staff": d.count(3, p_zero=0.15),
        "talents_outstanding": d.count(0.03),
        "talents_national": d.count(0.1),
        "talents_local": d.count(0.2),
        "talents_reserve": d.count(0.8),
        "nev_background_share": d.decimal([20, 25, 24.995, 45, 19.995, 100, 0], 0, 100),
        "revenue_last_year": d.decimal([20000, 20000.005, 80000, 80000.005, 19999.995], 0, 2_000_000, 1),
        "rd_expense": _rd_expense(d, green_revenue_tenths),
        "main_revenue_by_year": _revenues(d),
        "market_share_expert_score": d.decimal([0, 3, 4, 5, 3.005, 4.005, 3.995], 0, 5),
        "supply_years": d.decimal([0, 2, 5, 10, 2.005, 10.005, 5.5], 0, 30, 1),
        "influence_expert_score": d.decimal([0, 3, 4, 5, 3.005, 4.5], 0, 5),
        "honors_national": np.where(d.flag(0.1), d.rng.integers(1, 3, n), 0),
        "honors_provincial": d.count(0.8),
        "honors_city": d.count(1),
        "honors_district": d.count(1),
        "ghg_accounting": d.flag(0.8, p_strong=0.95),
        "carbon_intensity_by_year": _intensities(d),
        "process_level": _strings(d.choice([0, 1, 2], p=[0.5, 0.35, 0.15]), ["clean", "partial", "none"]),
        "recommended_catalog_items": d.count(0.5),
        "renewable_share": d.decimal([0, 10, 9.995, 10.005], 0, 100),
        "nonconventional_water_share": d.decimal([0, 30, 29.995], 0, 100),
        "waste_utilization_rate": d.decimal([0, 92, 91.995, 92.005], 0, 100),
        "pollutant_level": _strings(d.choice([0, 1, 2], p=[0.45, 0.45, 0.1]), ["better", "compliant", "none"]),
        "green_action": d.flag(0.7, p_strong=0.95),
        "esg_disclosure": d.flag(0.5, p_strong=0.9),
        "lowcarbon_trainings_per_year": d.count(2),
        "public_welfare": d.flag(0.7, p_strong=0.95),
        "green_management": d.flag(0.6, p_strong=0.9),
    }
    table = pa.table(columns)
    return _aim_totals_at_grade_edges(table, d)


def _scores_with_exact_edges(table: pa.Table) -> dict[str, np.ndarray]:
    """The NumPy scorer's indicator scores, with the two bands that float64 gets wrong on their
    edges decided on values rounded to 12 decimals: an average growth or a yearly decline exactly
    on an edge (which this population is full of) comes out of float64 an ulp off, and rounding
    puts it back, while a value that is not on an edge is never within 10⁻¹² of one here."""
    scores = with_numpy.indicator_scores(table)
    growth = np.round(with_numpy.average_growth(table), 12)
    growth_score = np.select([growth >= 0.15, growth >= 0.05, growth >= 0], [4.0, 3.0, 2.0], 0.0)
    scores["growth_score"] = np.where(np.isnan(scores["growth_score"]), np.nan, growth_score)
    decline = np.round(with_numpy.intensity_decline(table), 12)
    accounting = table.column("ghg_accounting").to_numpy()
    ghg = np.select([accounting & (decline >= 0.06), accounting & (decline >= 0.04), accounting], [4.0, 2.0, 1.0], 0.0)
    scores["ghg_score"] = np.where(np.isnan(scores["ghg_score"]), np.nan, ghg)
    return scores


def _aim_totals_at_grade_edges(table: pa.Table, d: _Draw) -> pa.Table:
    """Set the environmental-benefit expert score (20 points, evaluated for everyone) so that
    S lands exactly on the grade edge nearest to it (or just beside it) for about a third of the rows.

    S = (R + e) / E × 100, with R the other indicators' points and E the points evaluated.
    R is summed in float64, but every score is a multiple of 10⁻⁵ and the target
    e = edge · E / 100 − R a multiple of 10⁻⁷, so rounding to 7 decimals gives the exact e."""
    scores = _scores_with_exact_edges(table)
    points = np.array(list(table_c4.POINTS.values()), float)
    others = np.column_stack([scores[name] for name in table_c4.POINTS])
    others[:, list(table_c4.POINTS).index("env_benefit_score")] = 0
    rest = np.nansum(others, axis=1)
    evaluated = np.where(np.isnan(others), 0, points).sum(axis=1)
    current = (rest + scores["env_benefit_score"]) / evaluated * 100
    edges = np.asarray(GRADE_EDGES)
    nearest = edges[np.argmin(np.abs(current[:, None] - edges), axis=1)]
    target = nearest + d.choice(EDGE_OFFSETS, p=EDGE_OFFSET_WEIGHTS)
    env = np.rint((target * evaluated / 100 - rest) * 10**7) / 10**7
    aim = d.flag(AIMED_SHARE) & (env >= 0) & (env <= 20)
    column = table.column("env_benefit_expert_score").to_numpy()
    index = table.schema.get_field_index("env_benefit_expert_score")
    return table.set_column(index, "env_benefit_expert_score", pa.array(np.where(aim, env, column)))


def write_population(path, n: int, seed: int = 0) -> None:
    """Write n generated applicants to the Parquet file `path`."""
    pq.write_table(population(n, seed), path)
