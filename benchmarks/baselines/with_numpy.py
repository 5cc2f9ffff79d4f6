"""The enterprise scoring in NumPy, float64: one array per input column, one per indicator.

List columns (standards, yearly revenues, carbon intensities) are flattened by
Arrow and summed back per row with `np.bincount`, the usual NumPy idiom for
ragged data. An indicator that is not evaluated (green-service enterprises'
环境表现, `not_applicable`) is NaN, so the total is `np.nansum` over the
indicators and the evaluated points are those of the non-NaN ones.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .table_c4 import ENVIRONMENTAL, KIND_WEIGHT, LEVEL_WEIGHT, POINTS, ROLE_WEIGHT, SME_BONUS


def _lookup(strings, weights: dict) -> np.ndarray:
    """weights[s] for each string of an Arrow array: dictionary-encoded, so NumPy never compares strings."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    encoded = pc.dictionary_encode(strings)
    table = np.array([weights.get(key, np.nan) for key in encoded.dictionary.to_pylist()], float)
    return table[encoded.indices.to_numpy()]


def _flat(table: pa.Table, name: str):
    """(flattened values, row index of each value, list length per row) of a list column; null = empty."""
    column = table.column(name).combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy()
    rows = np.repeat(np.arange(len(column)), lengths)
    return pc.list_flatten(column), rows, lengths


def _standards_count(table: pa.Table) -> np.ndarray:
    flat, rows, _ = _flat(table, "standards")
    level = flat.field("level")
    all_lead = _lookup(level, {"international": 1, "national": 1, "industry": 1}) == 1  # 注4
    role_weight = np.where(all_lead, 1.0, _lookup(flat.field("role"), ROLE_WEIGHT))
    weight = _lookup(level, LEVEL_WEIGHT) * _lookup(flat.field("kind"), KIND_WEIGHT) * role_weight
    return np.bincount(rows, weights=weight, minlength=table.num_rows)


def average_growth(table: pa.Table) -> np.ndarray:
    """The mean of the yearly growth rates (Rₜ − Rₜ₋₁) / Rₜ₋₁ per row."""
    flat, rows, lengths = _flat(table, "main_revenue_by_year")
    revenue = flat.to_numpy()
    starts = (np.cumsum(lengths) - lengths)[lengths > 0]
    later = np.ones(len(revenue), bool)  # every year but each row's first has a previous year
    later[starts] = False
    current = np.flatnonzero(later)
    rate = (revenue[current] - revenue[current - 1]) / revenue[current - 1]
    rates = np.bincount(rows[current], weights=rate, minlength=table.num_rows)
    return rates / np.maximum(lengths - 1, 1)


def intensity_decline(table: pa.Table) -> np.ndarray:
    """年均下降 1 − (I_last / I_first)^(1/(n − 1)); NaN without a series of at least two years."""
    flat, _, lengths = _flat(table, "carbon_intensity_by_year")
    values = flat.to_numpy()
    ends = np.cumsum(lengths)
    series = lengths >= 2
    first = values[(ends - lengths)[series]]
    last = values[ends[series] - 1]
    decline = np.full(table.num_rows, np.nan)
    decline[series] = 1 - (last / first) ** (1 / (lengths[series] - 1))
    return decline


def indicator_scores(table: pa.Table) -> dict[str, np.ndarray]:
    """Every indicator's score per row (NaN: not evaluated), and the two compliance checks."""
    def col(name):
        return table.column(name).to_numpy()

    sme = col("quality_sme")
    s = {}
    s["ip_score"] = np.minimum(6, 0.3 * (col("invention_patents") + 0.2 * col("utility_models")
                                         + 0.2 * col("ic_layout_designs") + 0.1 * col("software_copyrights")
                                         + 0.1 * col("design_patents")))
    s["standards_score"] = np.minimum(4, 0.5 * _standards_count(table))
    s["key_tech_score"] = col("key_tech_expert_score").astype(float)
    s["env_benefit_score"] = col("env_benefit_expert_score").astype(float)

    senior = col("senior_or_phd_staff")
    row1 = col("team_covers_specialties") & (senior >= 1)
    bonus = (0.5 * np.maximum(0, senior - 1) + 4 * col("talents_outstanding") + 3 * col("talents_national")
             + 2 * col("talents_local") + 1 * col("talents_reserve")
             + 0.5 * np.floor(np.maximum(0, col("nev_background_share") - 20) / 5))
    s["team_score"] = np.where(row1, np.minimum(8, 4 + bonus), np.minimum(4, bonus))

    revenue, rd, green_revenue = col("revenue_last_year"), col("rd_expense"), col("green_business_revenue")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(green_revenue > 0, rd / green_revenue, 0.0)
    size = np.select([revenue > 80000, revenue > 20000], [0, 1], 2)  # A, B, C
    ratio_bar = np.array([[0.04, 0.03, 0.02, 0.01], [0.04, 0.03, 0.02, 0.01], [0.05, 0.04, 0.03, 0.02]])[size]
    amount_bar = np.array([[3200, 2400, 1600, 800], [2000, 1500, 1000, 500], [1000, 800, 600, 400]])[size]
    meets = (ratio[:, None] >= ratio_bar) | (rd[:, None] >= amount_bar)
    s["rd_score"] = np.select([meets[:, 0], meets[:, 1], meets[:, 2], meets[:, 3]], [8, 6, 4, 2], 0).astype(float)

    growth = average_growth(table)
    s["growth_score"] = np.select([growth >= 0.15, growth >= 0.05, growth >= 0], [4.0, 3.0, 2.0], 0.0)

    years = col("supply_years")
    s["market_score"] = col("market_share_expert_score") + np.select([years > 10, years > 5, years > 2], [3, 2, 1], 0)
    s["influence_score"] = col("influence_expert_score").astype(float)

    national, provincial, city, district = (col(f"honors_{level}") for level in
                                            ("national", "provincial", "city", "district"))
    top = np.select([national >= 1, provincial >= 1, city >= 1, district >= 1], [0, 1, 2, 3], 4)
    base = np.array([5, 4, 3, 2, 0])[top]
    extra = (1 * (provincial - (top == 1)) + 0.5 * (city - (top == 2)) + 0.2 * (district - (top == 3)))
    s["honors_score"] = np.minimum(5, base + extra)

    for name in SME_BONUS:
        s[name] = np.where(sme, np.minimum(POINTS[name], s[name] * 1.15), s[name])

    decline = intensity_decline(table)
    accounting = col("ghg_accounting")
    s["ghg_score"] = np.select([accounting & (decline >= 0.06), accounting & (decline >= 0.04), accounting],
                               [4.0, 2.0, 1.0], 0.0)
    process_base = _lookup(table.column("process_level"), {"clean": 3, "partial": 1, "none": 0})
    s["process_score"] = np.minimum(3, process_base + col("recommended_catalog_items")).astype(float)
    renewable, water, waste = col("renewable_share"), col("nonconventional_water_share"), col("waste_utilization_rate")
    met = (renewable >= 10).astype(int) + (water >= 30) + (waste >= 92)
    practised = (renewable > 0).astype(int) + (water > 0) + (waste > 0)
    s["energy_score"] = np.select([met >= 2, practised >= 2, practised >= 1], [4.0, 3.0, 2.0], 0.0)
    s["pollutant_score"] = _lookup(table.column("pollutant_level"), {"better": 3, "compliant": 2, "none": 0})

    s["internal_action_score"] = (3.0 * col("green_action") + 2 * col("esg_disclosure")
                                  + 1 * (col("lowcarbon_trainings_per_year") >= 2))
    s["social_score"] = 1.0 * col("public_welfare") + col("green_management")

    green_service = col("green_service")
    for name in ENVIRONMENTAL:
        s[name] = np.where(green_service, np.nan, s[name])
    flat, rows, _ = _flat(table, "not_applicable")
    listed = _lookup(flat, {name: i for i, name in enumerate(POINTS)})
    for i, name in enumerate(POINTS):
        s[name][rows[listed == i]] = np.nan

    s["catalog_compliant"] = ((col("green_business_share") >= 50) | (green_revenue >= 10000)
                              | col("locally_recognized"))
    s["technically_compliant"] = green_service | col("technical_compliance")
    return s


def total_and_grade(s: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Formula 3 (S = Σ Xᵢ, normalised to 100 when indicators were not evaluated) and table 28."""
    scores = np.column_stack([s[name] for name in POINTS])
    points = np.array(list(POINTS.values()), float)
    obtained = np.nansum(scores, axis=1)
    evaluated = np.where(np.isnan(scores), 0, points).sum(axis=1)
    total = np.where(evaluated < 100, obtained / evaluated * 100, obtained)
    vetoed = ~(s["catalog_compliant"] & s["technically_compliant"])
    grade = np.select([vetoed, total < 60, total < 70, total < 85], ["不予认定", "未达等级", "浅绿", "中绿"], "深绿")
    return total, grade


def score(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(total_score, grade) per row of an Arrow table of applicants."""
    return total_and_grade(indicator_scores(table))


def score_file(path) -> tuple[np.ndarray, np.ndarray]:
    return score(pq.read_table(path))
