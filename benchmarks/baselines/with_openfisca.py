"""The enterprise scoring as an OpenFisca-core tax-benefit system: one entity, one Variable per indicator.

A minimal country package: the entity `enterprise` (one per applicant), a Variable
per input and per indicator with a vectorised formula, `total_score` and
`grade` (an Enum). Numbers are float32, OpenFisca's default for `float`
variables, and the year evaluated is 2025 (OpenFisca needs a period).

OpenFisca variables hold one scalar per entity, so the list inputs are turned
into scalar inputs first, the way OpenFisca users prepare survey data: a Python
pass over the rows counts standards per (level, kind, role), spreads the yearly
revenues over `revenue_year_1..4`, keeps the first and last carbon intensities,
and turns `not_applicable` into one flag per indicator. Not evaluated is a flag,
never NaN: `total_score` adds up only the indicators evaluated.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import product

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.model_api import max_, min_, select, where
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

from .table_c4 import ENVIRONMENTAL, POINTS, SME_BONUS
from .table_c4 import KIND_WEIGHT as KINDS, LEVEL_WEIGHT as LEVELS, ROLE_WEIGHT as ROLES

PERIOD = "2025"

STANDARD_COUNTS = [f"standards_{level}_{kind}_{role}" for level, kind, role in product(LEVELS, KINDS, ROLES)]

Enterprise = build_entity(key="enterprise", plural="enterprises", label="申报企业", is_person=True)


class ProcessLevel(Enum):
    clean = "不涉及或全部改造"
    partial = "部分改造"
    none = "未改造"


class PollutantLevel(Enum):
    better = "优于限值"
    compliant = "达标排放"
    none = "未满足"


class Grade(Enum):
    vetoed = "不予认定"
    below = "未达等级"
    light = "浅绿"
    medium = "中绿"
    deep = "深绿"


BOOL_INPUTS = ("green_service", "quality_sme", "locally_recognized", "technical_compliance", "team_covers_specialties",
               "ghg_accounting", "green_action", "esg_disclosure", "public_welfare", "green_management")
FLOAT_INPUTS = ("green_business_share", "green_business_revenue", "key_tech_expert_score", "env_benefit_expert_score",
                "nev_background_share", "revenue_last_year", "rd_expense", "market_share_expert_score", "supply_years",
                "influence_expert_score", "renewable_share", "nonconventional_water_share", "waste_utilization_rate")
INT_INPUTS = ("invention_patents", "utility_models", "ic_layout_designs", "software_copyrights", "design_patents",
              "senior_or_phd_staff", "talents_outstanding", "talents_national", "talents_local", "talents_reserve",
              "honors_national", "honors_provincial", "honors_city", "honors_district", "recommended_catalog_items",
              "lowcarbon_trainings_per_year")
ENUM_INPUTS = {"process_level": ProcessLevel, "pollutant_level": PollutantLevel}
# Scalar inputs made from the list columns (see `_list_inputs`).
LIST_FLOAT_INPUTS = ("revenue_year_1", "revenue_year_2", "revenue_year_3", "revenue_year_4",
                     "carbon_intensity_first", "carbon_intensity_last")
LIST_INT_INPUTS = ("revenue_years", "carbon_intensity_years", *STANDARD_COUNTS)
NOT_APPLICABLE_FLAGS = [f"{name}_not_applicable" for name in POINTS]


def _variable(name: str, value_type, formula=None, **extra) -> type:
    """A Variable class, as `class name(Variable): …` would declare it."""
    attributes = {"value_type": value_type, "entity": Enterprise, "definition_period": DateUnit.YEAR, "label": name,
                  **extra}
    if formula is not None:
        attributes["formula"] = formula
    return type(name, (Variable,), attributes)


def _with_sme_bonus(formula, points: int):
    """优质中小企业: the formula's score × 1.15, capped at the indicator's points."""
    def with_bonus(e, period, parameters):
        score = formula(e, period, parameters)
        return where(e("quality_sme", period), min_(points, score * 1.15), score)
    return with_bonus


def ip_score(e, p, parameters):
    return min_(6, 0.3 * (e("invention_patents", p) + 0.2 * e("utility_models", p) + 0.2 * e("ic_layout_designs", p)
                          + 0.1 * e("software_copyrights", p) + 0.1 * e("design_patents", p)))


def standards_score(e, p, parameters):
    count = 0
    for name, (level, kind, role) in zip(STANDARD_COUNTS, product(LEVELS, KINDS, ROLES)):
        role_weight = 1.0 if level in ("international", "national", "industry") else ROLES[role]  # 注4
        count = count + LEVELS[level] * KINDS[kind] * role_weight * e(name, p)
    return min_(4, 0.5 * count)


def team_score(e, p, parameters):
    senior = e("senior_or_phd_staff", p)
    bonus = (0.5 * max_(0, senior - 1) + 4 * e("talents_outstanding", p) + 3 * e("talents_national", p)
             + 2 * e("talents_local", p) + e("talents_reserve", p)
             + 0.5 * np.floor(max_(0, e("nev_background_share", p) - 20) / 5))
    return where(e("team_covers_specialties", p) * (senior >= 1), min_(8, 4 + bonus), min_(4, bonus))


def rd_score(e, p, parameters):
    revenue, rd, green = e("revenue_last_year", p), e("rd_expense", p), e("green_business_revenue", p)
    ratio = where(green > 0, rd / where(green > 0, green, 1), 0)
    size = select([revenue > 80000, revenue > 20000], [0, 1], 2)
    ratio_bar = np.array([[0.04, 0.03, 0.02, 0.01], [0.04, 0.03, 0.02, 0.01], [0.05, 0.04, 0.03, 0.02]], np.float32)
    amount_bar = np.array([[3200, 2400, 1600, 800], [2000, 1500, 1000, 500], [1000, 800, 600, 400]], np.float32)
    met = (ratio[:, None] >= ratio_bar[size]) | (rd[:, None] >= amount_bar[size])
    return select([met[:, 0], met[:, 1], met[:, 2], met[:, 3]], [8, 6, 4, 2], 0)


def growth_score(e, p, parameters):
    years = e("revenue_years", p)
    revenue = [e(f"revenue_year_{t}", p) for t in range(1, 5)]
    rates = sum(where(years > t, (revenue[t] - revenue[t - 1]) / where(years > t, revenue[t - 1], 1), 0)
                for t in range(1, 4))
    growth = rates / max_(years - 1, 1)
    return select([growth >= 0.15, growth >= 0.05, growth >= 0], [4, 3, 2], 0)


def market_score(e, p, parameters):
    years = e("supply_years", p)
    return e("market_share_expert_score", p) + select([years > 10, years > 5, years > 2], [3, 2, 1], 0)


def influence_score(e, p, parameters):
    return e("influence_expert_score", p)


def honors_score(e, p, parameters):
    national, provincial, city, district = (e(f"honors_{level}", p) for level in
                                            ("national", "provincial", "city", "district"))
    top = select([national >= 1, provincial >= 1, city >= 1, district >= 1], [0, 1, 2, 3], 4)
    base = np.array([5, 4, 3, 2, 0])[top]
    return min_(5, base + 1 * (provincial - (top == 1)) + 0.5 * (city - (top == 2)) + 0.2 * (district - (top == 3)))


def ghg_score(e, p, parameters):
    years = e("carbon_intensity_years", p)
    series = years >= 2
    ratio = e("carbon_intensity_last", p) / where(series, e("carbon_intensity_first", p), 1)
    decline = where(series, 1 - ratio ** (1 / max_(years - 1, 1)), 0)
    accounting = e("ghg_accounting", p)
    return select([accounting * series * (decline >= 0.06), accounting * series * (decline >= 0.04), accounting],
                  [4, 2, 1], 0)


def process_score(e, p, parameters):
    level = e("process_level", p)
    base = select([level == ProcessLevel.clean, level == ProcessLevel.partial], [3, 1], 0)
    return min_(3, base + e("recommended_catalog_items", p))


def energy_score(e, p, parameters):
    shares = (e("renewable_share", p), e("nonconventional_water_share", p), e("waste_utilization_rate", p))
    met = (shares[0] >= 10) * 1 + (shares[1] >= 30) + (shares[2] >= 92)
    practised = (shares[0] > 0) * 1 + (shares[1] > 0) + (shares[2] > 0)
    return select([met >= 2, practised >= 2, practised >= 1], [4, 3, 2], 0)


def pollutant_score(e, p, parameters):
    level = e("pollutant_level", p)
    return select([level == PollutantLevel.better, level == PollutantLevel.compliant], [3, 2], 0)


def internal_action_score(e, p, parameters):
    return 3 * e("green_action", p) + 2 * e("esg_disclosure", p) + 1 * (e("lowcarbon_trainings_per_year", p) >= 2)


def social_score(e, p, parameters):
    return 1 * e("public_welfare", p) + 1 * e("green_management", p)


FORMULAS = {"ip_score": ip_score, "standards_score": standards_score,
            "key_tech_score": lambda e, p, _: e("key_tech_expert_score", p),
            "env_benefit_score": lambda e, p, _: e("env_benefit_expert_score", p),
            "team_score": team_score, "rd_score": rd_score, "growth_score": growth_score,
            "market_score": market_score, "influence_score": influence_score, "honors_score": honors_score,
            "ghg_score": ghg_score, "process_score": process_score, "energy_score": energy_score,
            "pollutant_score": pollutant_score, "internal_action_score": internal_action_score,
            "social_score": social_score}


def total_score(e, p, parameters):
    """Formula 3, normalised to 100 when indicators were not evaluated (7.4.2 notes 1 and 2)."""
    obtained, evaluated = 0, 0
    for name, points in POINTS.items():
        skipped = e(f"{name}_not_applicable", p)
        if name in ENVIRONMENTAL:
            skipped = skipped + e("green_service", p)
        obtained = obtained + where(skipped, 0, e(name, p))
        evaluated = evaluated + where(skipped, 0, points)
    return where(evaluated < 100, obtained / evaluated * 100, obtained)


def grade(e, p, parameters):
    """Table 28; 不予认定 when a compliance check (5.1) fails."""
    catalog = ((e("green_business_share", p) >= 50) + (e("green_business_revenue", p) >= 10000)
               + e("locally_recognized", p))
    technical = e("green_service", p) + e("technical_compliance", p)
    total = e("total_score", p)
    return select([~(catalog * technical), total < 60, total < 70, total < 85],
                  [Grade.vetoed, Grade.below, Grade.light, Grade.medium], Grade.deep)


@lru_cache(maxsize=1)
def tax_benefit_system() -> TaxBenefitSystem:
    """The country package: the entity and every Variable (built once per process)."""
    system = TaxBenefitSystem([Enterprise])
    variables = [_variable(name, bool) for name in (*BOOL_INPUTS, *NOT_APPLICABLE_FLAGS)]
    variables += [_variable(name, float) for name in (*FLOAT_INPUTS, *LIST_FLOAT_INPUTS)]
    variables += [_variable(name, int) for name in (*INT_INPUTS, *LIST_INT_INPUTS)]
    variables += [_variable(name, Enum, possible_values=values, default_value=values.none)
                  for name, values in ENUM_INPUTS.items()]
    variables += [_variable(name, float, _with_sme_bonus(formula, POINTS[name]) if name in SME_BONUS else formula)
                  for name, formula in FORMULAS.items()]
    variables += [_variable("total_score", float, total_score),
                  _variable("grade", Enum, grade, possible_values=Grade, default_value=Grade.below)]
    system.add_variables(*variables)
    return system


def _list_inputs(table: pa.Table) -> dict[str, np.ndarray]:
    """The list columns as scalar inputs, one Python pass over the rows."""
    n = table.num_rows
    inputs = {name: np.zeros(n, np.int64) for name in LIST_INT_INPUTS}
    inputs |= {name: np.zeros(n) for name in LIST_FLOAT_INPUTS}
    inputs |= {name: np.zeros(n, bool) for name in NOT_APPLICABLE_FLAGS}
    columns = ("standards", "main_revenue_by_year", "carbon_intensity_by_year", "not_applicable")
    for i, (standards, revenues, intensities, not_applicable) in enumerate(
            zip(*(table.column(name).to_pylist() for name in columns))):
        for key, count in Counter(f"standards_{s['level']}_{s['kind']}_{s['role']}" for s in standards).items():
            inputs[key][i] = count
        inputs["revenue_years"][i] = len(revenues)
        for t, revenue in enumerate(revenues, 1):
            inputs[f"revenue_year_{t}"][i] = revenue
        if intensities:
            inputs["carbon_intensity_years"][i] = len(intensities)
            inputs["carbon_intensity_first"][i], inputs["carbon_intensity_last"][i] = intensities[0], intensities[-1]
        for name in not_applicable:
            inputs[f"{name}_not_applicable"][i] = True
    return inputs


def score(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(total_score, grade) per row of an Arrow table of applicants."""
    system = tax_benefit_system()
    simulation = SimulationBuilder().build_default_simulation(system, table.num_rows)
    for name in (*BOOL_INPUTS, *FLOAT_INPUTS, *INT_INPUTS):
        simulation.set_input(name, PERIOD, table.column(name).to_numpy())
    for name in ENUM_INPUTS:  # OpenFisca encodes enums from a NumPy str array
        simulation.set_input(name, PERIOD, table.column(name).to_numpy().astype(str))
    for name, values in _list_inputs(table).items():
        simulation.set_input(name, PERIOD, values)
    total = simulation.calculate("total_score", PERIOD)
    labels = np.array([item.value for item in Grade])
    return total.astype(np.float64), labels[np.asarray(simulation.calculate("grade", PERIOD))]


def score_file(path) -> tuple[np.ndarray, np.ndarray]:
    return score(pq.read_table(path))
