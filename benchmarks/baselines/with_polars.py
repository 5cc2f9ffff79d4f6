"""The enterprise scoring as Polars expressions, float64, one lazy query.

Written the idiomatic way: every indicator is a `pl.when(...).then(...)` chain
or arithmetic on columns, list columns are handled inside the query
(`list.eval`, `pct_change`, `list.first`/`last`), and an indicator that is not
evaluated is null, which `sum_horizontal` skips. `score_file` scans the Parquet
file lazily, so Polars reads only what the query needs.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from .table_c4 import ENVIRONMENTAL, KIND_WEIGHT, LEVEL_WEIGHT, POINTS, ROLE_WEIGHT, SME_BONUS

c = pl.col


def _standard_weight() -> pl.Expr:
    """Tᵢ · Fᵢ · Dᵢ of one standard (an element of the `standards` list); 注4: levels above local all lead."""
    level, kind, role = (pl.element().struct.field(f) for f in ("level", "kind", "role"))
    level_weight = level.replace_strict(LEVEL_WEIGHT, return_dtype=pl.Float64)
    kind_weight = kind.replace_strict(KIND_WEIGHT, return_dtype=pl.Float64)
    role_weight = (pl.when(level.is_in(["international", "national", "industry"])).then(1.0)
                   .otherwise(role.replace_strict(ROLE_WEIGHT, return_dtype=pl.Float64)))
    return level_weight * kind_weight * role_weight


def _by_size(class_a, class_b, class_c) -> pl.Expr:
    return pl.when(c("size_class") == "A").then(class_a).when(c("size_class") == "B").then(class_b).otherwise(class_c)


def _rd_score() -> pl.Expr:
    """Table 7: the first row met top down, by ratio or by amount, per size class."""
    ratio_bars = ((0.04, 0.04, 0.05), (0.03, 0.03, 0.04), (0.02, 0.02, 0.03), (0.01, 0.01, 0.02))
    amount_bars = ((3200, 2000, 1000), (2400, 1500, 800), (1600, 1000, 600), (800, 500, 400))
    score = pl.lit(0.0)
    for points, ratio_bar, amount_bar in reversed(list(zip((8.0, 6.0, 4.0, 2.0), ratio_bars, amount_bars))):
        met = (c("rd_ratio") >= _by_size(*ratio_bar)) | (c("rd_expense") >= _by_size(*amount_bar))
        score = pl.when(met).then(points).otherwise(score)
    return score


def _derived() -> dict[str, pl.Expr]:
    """What the bands compare, computed once per row (the list columns among them)."""
    intensity = c("carbon_intensity_by_year")
    decline = 1 - (intensity.list.last() / intensity.list.first()).pow(1 / (intensity.list.len() - 1))
    return {
        "size_class": pl.when(c("revenue_last_year") > 80000).then(pl.lit("A"))
                        .when(c("revenue_last_year") > 20000).then(pl.lit("B")).otherwise(pl.lit("C")),
        "rd_ratio": pl.when(c("green_business_revenue") > 0)
                      .then(c("rd_expense") / c("green_business_revenue")).otherwise(0.0),
        "standards_count": c("standards").list.eval(_standard_weight()).list.sum(),
        "average_growth": c("main_revenue_by_year").list.eval(pl.element().pct_change()).list.mean(),
        "intensity_decline": pl.when(intensity.list.len() >= 2).then(decline),
    }


def _indicators() -> dict[str, pl.Expr]:
    senior = c("senior_or_phd_staff")
    team_bonus = (0.5 * pl.max_horizontal(0, senior - 1) + 4 * c("talents_outstanding") + 3 * c("talents_national")
                  + 2 * c("talents_local") + c("talents_reserve")
                  + 0.5 * (pl.max_horizontal(0, c("nev_background_share") - 20) / 5).floor())
    honors_base = (pl.when(c("honors_national") >= 1).then(5).when(c("honors_provincial") >= 1).then(4)
                   .when(c("honors_city") >= 1).then(3).when(c("honors_district") >= 1).then(2).otherwise(0))
    honors_extra = (1.0 * (c("honors_provincial") - (honors_base == 4).cast(pl.Int64))
                    + 0.5 * (c("honors_city") - (honors_base == 3).cast(pl.Int64))
                    + 0.2 * (c("honors_district") - (honors_base == 2).cast(pl.Int64)))
    growth, decline = c("average_growth"), c("intensity_decline")
    thresholds_met = ((c("renewable_share") >= 10).cast(pl.Int32) + (c("nonconventional_water_share") >= 30)
                      + (c("waste_utilization_rate") >= 92))
    practised = ((c("renewable_share") > 0).cast(pl.Int32) + (c("nonconventional_water_share") > 0)
                 + (c("waste_utilization_rate") > 0))
    return {
        "ip_score": pl.min_horizontal(6, 0.3 * (c("invention_patents") + 0.2 * c("utility_models")
                                               + 0.2 * c("ic_layout_designs") + 0.1 * c("software_copyrights")
                                               + 0.1 * c("design_patents"))),
        "standards_score": pl.min_horizontal(4, 0.5 * c("standards_count")),
        "key_tech_score": c("key_tech_expert_score"),
        "env_benefit_score": c("env_benefit_expert_score"),
        "team_score": pl.when(c("team_covers_specialties") & (senior >= 1)).then(pl.min_horizontal(8, 4 + team_bonus))
                        .otherwise(pl.min_horizontal(4, team_bonus)),
        "rd_score": _rd_score(),
        "growth_score": pl.when(growth >= 0.15).then(4.0).when(growth >= 0.05).then(3.0)
                          .when(growth >= 0).then(2.0).otherwise(0.0),
        "market_score": c("market_share_expert_score") + pl.when(c("supply_years") > 10).then(3)
                          .when(c("supply_years") > 5).then(2).when(c("supply_years") > 2).then(1).otherwise(0),
        "influence_score": c("influence_expert_score"),
        "honors_score": pl.min_horizontal(5, honors_base + honors_extra),
        "ghg_score": pl.when(~c("ghg_accounting")).then(0.0).when(decline >= 0.06).then(4.0)
                       .when(decline >= 0.04).then(2.0).otherwise(1.0),
        "process_score": pl.min_horizontal(3, c("process_level").replace_strict(
            {"clean": 3, "partial": 1, "none": 0}, return_dtype=pl.Int64) + c("recommended_catalog_items")),
        "energy_score": pl.when(thresholds_met >= 2).then(4.0).when(practised >= 2).then(3.0)
                          .when(practised >= 1).then(2.0).otherwise(0.0),
        "pollutant_score": c("pollutant_level").replace_strict({"better": 3.0, "compliant": 2.0, "none": 0.0}),
        "internal_action_score": (3.0 * c("green_action") + 2 * c("esg_disclosure")
                                  + (c("lowcarbon_trainings_per_year") >= 2)),
        "social_score": 1.0 * c("public_welfare") + c("green_management"),
    }


def query(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Every indicator, total_score and grade of each applicant."""
    indicators = {}
    for name, expr in _indicators().items():
        if name in SME_BONUS:
            expr = pl.when(c("quality_sme")).then(pl.min_horizontal(POINTS[name], expr * 1.15)).otherwise(expr)
        skipped = c("not_applicable").list.contains(name)
        if name in ENVIRONMENTAL:
            skipped = skipped | c("green_service")
        indicators[name] = pl.when(skipped).then(None).otherwise(expr).cast(pl.Float64)
    obtained = pl.sum_horizontal(c(name) for name in POINTS)
    evaluated = pl.sum_horizontal(pl.when(c(name).is_not_null()).then(p).otherwise(0) for name, p in POINTS.items())
    compliant = (((c("green_business_share") >= 50) | (c("green_business_revenue") >= 10000) | c("locally_recognized"))
                 & (c("green_service") | c("technical_compliance")))
    total = c("total_score")
    return (frame
            .with_columns(**_derived())
            .with_columns(**indicators)
            .with_columns(total_score=pl.when(evaluated < 100).then(obtained / evaluated * 100).otherwise(obtained))
            .with_columns(grade=pl.when(~compliant).then(pl.lit("不予认定")).when(total < 60).then(pl.lit("未达等级"))
                          .when(total < 70).then(pl.lit("浅绿")).when(total < 85).then(pl.lit("中绿"))
                          .otherwise(pl.lit("深绿")))
            .select("name", *POINTS, "total_score", "grade"))


def _result(frame: pl.LazyFrame) -> tuple[np.ndarray, np.ndarray]:
    result = query(frame).select("total_score", "grade").collect()
    return result["total_score"].to_numpy(), result["grade"].to_numpy()


def score(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(total_score, grade) per row of an Arrow table of applicants."""
    return _result(pl.from_arrow(table).lazy())


def score_file(path) -> tuple[np.ndarray, np.ndarray]:
    return _result(pl.scan_parquet(path))
