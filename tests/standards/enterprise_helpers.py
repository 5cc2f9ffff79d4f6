"""A baseline enterprise applicant and a one-call evaluator for the tests.

`MINIMAL` scores 2 points in all (growth 0% → table 8 row [0, 5) gives 2);
every other indicator is 0, so each test sets only what it is about and the
arithmetic stays checkable by hand.
"""

from __future__ import annotations

from fractions import Fraction as F
from functools import lru_cache
from pathlib import Path

from dsl.checker import check
from dsl.loader import load_ruleset
from engine.compiler import compile_rules
from engine.evaluator import evaluate

ROOT = Path(__file__).resolve().parents[2]
ENTERPRISE = ROOT / "standards" / "tsgipa-nev" / "2025-draft" / "enterprise.rules"

P = F(1, 100)  # one percent: data in [%] is stored as its ratio

MINIMAL = {
    "green_service": False, "quality_sme": False,
    "green_business_share": 60 * P, "green_business_revenue": F(5000), "locally_recognized": False,
    "technical_compliance": True,
    "invention_patents": F(0), "utility_models": F(0), "ic_layout_designs": F(0),
    "software_copyrights": F(0), "design_patents": F(0),
    "standards": (),
    "key_tech_expert_score": F(0), "env_benefit_expert_score": F(0),
    "team_covers_specialties": False, "senior_or_phd_staff": F(0), "talents_outstanding": F(0),
    "talents_national": F(0), "talents_local": F(0), "talents_reserve": F(0),
    "nev_background_share": F(0),
    "revenue_last_year": F(10000), "rd_expense": F(0),
    "main_revenue_by_year": (F(100), F(100)),
    "market_share_expert_score": F(0), "supply_years": F(0),
    "influence_expert_score": F(0),
    "honors_national": F(0), "honors_provincial": F(0), "honors_city": F(0), "honors_district": F(0),
    "ghg_accounting": False,
    "process_level": "none", "recommended_catalog_items": F(0),
    "renewable_share": F(0), "nonconventional_water_share": F(0), "waste_utilization_rate": F(0),
    "pollutant_level": "none",
    "green_action": False, "esg_disclosure": False, "lowcarbon_trainings_per_year": F(0),
    "public_welfare": False, "green_management": False,
}


@lru_cache(maxsize=1)
def enterprise_plan():
    checked = check(load_ruleset(ENTERPRISE))
    assert not checked.errors, checked.errors
    return compile_rules(checked)


def run(trace: bool = False, drop: tuple[str, ...] = (), **changes):
    """Evaluate MINIMAL with `changes` applied and the inputs in `drop` removed."""
    values = {**MINIMAL, **changes}
    for name in drop:
        values.pop(name)
    return evaluate(enterprise_plan(), values, trace=trace)


def std(level: str, kind: str = "new", role: str = "lead") -> dict:
    return {"level": level, "kind": kind, "role": role}
