"""The enterprise evaluation (T/SGIPA clause 5, 7.4) at the edges the text draws.

Every expected number is worked by hand from the clause cited in the test's
docstring; the readings of ambiguous clauses are those written as comments in
enterprise.rules (and in the data contract).
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from engine.errors import EvalError
from engine.values import NOT_EVALUATED, Missing
from tests.standards.enterprise_helpers import P, run, std


def score(name, **changes):
    return run(**changes).results[name]


def test_minimal_applicant_scores_only_growth():
    outcome = run()
    assert outcome.results["total_score"] == 2
    assert outcome.results["grade"] == "未达等级"
    assert outcome.results["catalog_compliant"] is True


# ---- 5.1 compliance ---------------------------------------------------------------

@pytest.mark.parametrize("share, revenue, local, expected", [
    (50 * P, F(0), False, True),            # 达到50%及以上: exactly 50% passes
    (F(4999, 10000), F(9999), False, False),
    (F(0), F(10000), False, True),           # 1亿元 = 10000 万元, inclusive
    (F(0), F(0), True, True),
])
def test_catalog_compliance_thresholds_are_inclusive(share, revenue, local, expected):
    outcome = run(green_business_share=share, green_business_revenue=revenue, locally_recognized=local)
    assert outcome.results["catalog_compliant"] is expected


def test_failed_veto_gives_no_recognition_but_total_is_computed():
    outcome = run(technical_compliance=False, env_benefit_expert_score=F(20), key_tech_expert_score=F(10),
                  market_share_expert_score=F(5), influence_expert_score=F(5),
                  invention_patents=F(20), standards=(std("national"),) * 8,
                  green_action=True, esg_disclosure=True, lowcarbon_trainings_per_year=F(2),
                  public_welfare=True, green_management=True)
    assert outcome.results["total_score"] == 60
    assert outcome.results["grade"] == "不予认定"


def test_green_service_is_not_evaluated_on_technical_compliance():
    outcome = run(green_service=True, technical_compliance=False)
    assert outcome.results["technically_compliant"] is NOT_EVALUATED
    assert outcome.results["grade"] != "不予认定"


# ---- 5.2.1 technical performance ------------------------------------------------------

def test_ip_weights_and_cap():
    """5.2.1.1.1: N = 1·invention + 0.2·(utility + IC) + 0.1·(software + design); 0.3 per item, max 6."""
    assert score("ip_score", invention_patents=F(3), utility_models=F(5), ic_layout_designs=F(5),
                 software_copyrights=F(10), design_patents=F(10)) == F("2.1")  # N = 3+1+1+1+1 = 7
    assert score("ip_score", invention_patents=F(20)) == 6
    assert score("ip_score", invention_patents=F(21)) == 6


def test_sme_bonus_is_capped_at_the_indicator_points():
    """优质中小企业 × 1.15, 最高不超过该项指标总分."""
    assert score("ip_score", quality_sme=True, invention_patents=F(10)) == F("3.45")  # 3 × 1.15
    assert score("ip_score", quality_sme=True, invention_patents=F(18)) == 6  # 5.4 × 1.15 = 6.21 → 6
    assert score("influence_score", quality_sme=True, influence_expert_score=F(5)) == 5
    assert score("influence_score", quality_sme=True, influence_expert_score=F(4)) == F("4.6")


def test_standards_weighting_and_note_4():
    """5.2.1.1.2: T × F × D; national/industry/international drafters all count as leads (注4)."""
    standards = (std("national"), std("industry", "revision", "participant"),
                 std("group", "new", "participant"), std("local", "revision", "lead"),
                 std("international", "revision", "participant"))
    # 1 + 0.8 + 0.1 + 0.4 + 0.96 = 3.26 → × 0.5 = 1.63
    assert score("standards_score", standards=standards) == F("1.63")
    assert score("standards_score", standards=(std("national"),) * 9) == 4


def test_expert_scores_report_their_band_wording():
    outcome = run(key_tech_expert_score=F(8))
    assert outcome.results["key_tech_score"] == 8
    assert outcome.levels["key_tech_score"] == "关键技术处于行业较好水平，具有一定技术推动作用"
    assert run(key_tech_expert_score=F(0)).levels["key_tech_score"] == "未满足上述任何一项"


# ---- 5.2.2 business performance -----------------------------------------------------------

@pytest.mark.parametrize("changes, expected", [
    ({}, 0),
    ({"team_covers_specialties": True, "senior_or_phd_staff": F(1)}, 4),
    ({"team_covers_specialties": True, "senior_or_phd_staff": F(3)}, 5),
    ({"team_covers_specialties": True, "senior_or_phd_staff": F(1), "talents_national": F(2)}, 8),
    # row 2 (not 涵盖所需专业): base 0, row cap 4; bonuses still count
    ({"senior_or_phd_staff": F(3), "talents_national": F(1)}, 4),
    ({"senior_or_phd_staff": F(2), "talents_reserve": F(1)}, F("1.5")),
    # +0.5 per full 5 percentage points above 20%
    ({"nev_background_share": 25 * P}, F("0.5")),
    ({"nev_background_share": F(2499, 10000)}, 0),
    ({"nev_background_share": 40 * P}, 2),
])
def test_team_rows_and_bonuses(changes, expected):
    assert score("team_score", **changes) == expected


@pytest.mark.parametrize("revenue_last_year, green_revenue, rd_expense, expected", [
    (F(50000), F(10000), F(400), 8),        # B: 400 / 10000 is exactly 4%
    (F(50000), F(10000), F("399.99"), 6),   # B: 3.9999% ≥ 3%
    (F(80000), F(100000), F(2000), 8),      # 8亿元（含） is B: the amount 2000 suffices
    (F("80000.01"), F(100000), F(2000), 4), # A: 2% → 4; 2000 < 2400
    (F(20000), F(10000), F(500), 8),        # 2亿（含） is C: 5%
    (F(20000), F(10000), F(499), 6),        # C: 4.99% ≥ 4%
    (F(2000000), F(1000000), F(3200), 8),   # A: ratio 0.32%, but amount ≥ 3200
    (F(2000000), F(1000000), F(799), 0),    # A: nothing met
    (F(10000), F(0), F(1000), 8),           # no green revenue: ratio unmet, amount applies
    (F(10000), F(0), F(399), 0),
])
def test_rd_size_classes_and_thresholds(revenue_last_year, green_revenue, rd_expense, expected):
    assert score("rd_score", revenue_last_year=revenue_last_year, green_business_revenue=green_revenue,
                 rd_expense=rd_expense) == expected


@pytest.mark.parametrize("revenues, expected", [
    ((100, 115), 4),                 # exactly 15%
    ((10000, "11499.99"), 3),        # 14.9999%
    ((100, 105), 3),                 # exactly 5%
    ((100, "104.99"), 2),
    ((100, 100), 2),                 # exactly 0%
    ((100, "99.99"), 0),
    ((100, 110, 132), 4),            # 10% and 20%: the mean is exactly 15%
    ((100, 90, 99, "113.85"), 3),    # −10%, 10%, 15%: mean 5%
])
def test_growth_band_edges(revenues, expected):
    assert score("growth_score", main_revenue_by_year=tuple(F(r) for r in revenues)) == expected


def test_growth_needs_two_years():
    outcome = run(main_revenue_by_year=(F(100),))
    assert isinstance(outcome.results["growth_score"], Missing)
    assert isinstance(outcome.results["total_score"], Missing)
    assert isinstance(outcome.results["grade"], Missing)


@pytest.mark.parametrize("share, years, expected", [
    (F(5), F(10), 7), (F(5), F("10.01"), 8), (F(3), F(5), 4), (F(3), F("5.5"), 5),
    (F(0), F(2), 0), (F(0), F("2.5"), 1),
])
def test_market_share_plus_supply_years(share, years, expected):
    assert score("market_score", market_share_expert_score=share, supply_years=years) == expected


@pytest.mark.parametrize("national, provincial, city, district, expected", [
    (0, 0, 0, 1, 2), (0, 0, 1, 3, F("3.6")), (0, 1, 1, 0, F("4.5")), (0, 2, 1, 0, 5),
    (1, 0, 0, 0, 5), (0, 0, 2, 0, F("3.5")), (0, 0, 0, 0, 0),
])
def test_honors_base_and_extras(national, provincial, city, district, expected):
    assert score("honors_score", honors_national=F(national), honors_provincial=F(provincial),
                 honors_city=F(city), honors_district=F(district)) == expected


# ---- 5.2.3 environmental performance ------------------------------------------------------

@pytest.mark.parametrize("accounting, series, expected", [
    (True, (100, 94), 4),               # exactly 6% in one year
    (True, (100, "94.01"), 2),          # 5.99%: ≥ 4%
    (True, (100, 96), 2),               # exactly 4%
    (True, (100, "96.01"), 1),
    (True, (100, 97, "88.36"), 4),      # 0.8836 = 0.94²: exactly 6% a year
    (True, (100,), 1),                  # one value is no series
    (True, (), 1),
    (False, (100, 50), 0),
])
def test_ghg_decline_is_compared_exactly(accounting, series, expected):
    assert score("ghg_score", ghg_accounting=accounting,
                 carbon_intensity_by_year=tuple(F(v) for v in series)) == expected


def test_ghg_without_series_input_uses_the_default():
    outcome = run(ghg_accounting=True)  # carbon_intensity_by_year absent: optional, default []
    assert outcome.results["ghg_score"] == 1


@pytest.mark.parametrize("level, items, expected", [("clean", 0, 3), ("partial", 1, 2), ("partial", 5, 3),
                                                     ("none", 2, 2), ("none", 0, 0)])
def test_process_base_plus_catalogue_items(level, items, expected):
    assert score("process_score", process_level=level, recommended_catalog_items=F(items)) == expected


@pytest.mark.parametrize("renewable, water, waste, expected", [
    (10, 30, 0, 4), (10, F("29.99"), 0, 3), (F("9.99"), 0, 92, 3), (0, 0, 92, 2), (1, 0, 0, 2), (0, 0, 0, 0),
    (10, 30, 92, 4),
])
def test_energy_counts_thresholds_then_practices(renewable, water, waste, expected):
    assert score("energy_score", renewable_share=F(renewable) * P, nonconventional_water_share=F(water) * P,
                 waste_utilization_rate=F(waste) * P) == expected


# ---- 5.2.4 social performance -------------------------------------------------------------------

def test_internal_action_sums_its_items():
    assert score("internal_action_score", green_action=True, lowcarbon_trainings_per_year=F(2)) == 4
    assert score("internal_action_score", esg_disclosure=True, lowcarbon_trainings_per_year=F(1)) == 2
    assert score("social_score", public_welfare=True, green_management=True) == 2


# ---- 7.4 totals and grades at their boundaries ---------------------------------------------------

SIXTY = dict(env_benefit_expert_score=F(20), key_tech_expert_score=F(10), market_share_expert_score=F(5),
             influence_expert_score=F(5), invention_patents=F(20), standards=(std("national"),) * 8,
             green_action=True, esg_disclosure=True, lowcarbon_trainings_per_year=F(2),
             public_welfare=True, green_management=True)
SEVENTY = dict(SIXTY, rd_expense=F(1000), honors_district=F(1))
EIGHTY_FIVE = dict(SEVENTY, team_covers_specialties=True, senior_or_phd_staff=F(1), talents_national=F(1),
                   ghg_accounting=True, carbon_intensity_by_year=(F(100), F(94)),
                   renewable_share=10 * P, nonconventional_water_share=30 * P)


@pytest.mark.parametrize("changes, total, grade", [
    (SIXTY, 60, "浅绿"),
    (dict(SIXTY, influence_expert_score=F("4.99")), F("59.99"), "未达等级"),
    (SEVENTY, 70, "中绿"),
    (dict(SEVENTY, influence_expert_score=F("4.999999")), F("69.999999"), "浅绿"),
    (EIGHTY_FIVE, 85, "深绿"),
    (dict(EIGHTY_FIVE, market_share_expert_score=F("4.99")), F("84.99"), "中绿"),
])
def test_grade_boundaries_compare_the_exact_total(changes, total, grade):
    outcome = run(**changes)
    assert outcome.results["total_score"] == total
    assert outcome.results["grade"] == grade


def test_green_service_is_normalised_over_the_points_evaluated():
    """7.4.2 注1, 注2: 环境表现 (14 points) is not evaluated; S = obtained / 86 × 100."""
    outcome = run(green_service=True, **dict(SIXTY, honors_district=F(1), supply_years=F(3)))
    # obtained: 60 + 2 (district honour) + 1 (supply years) - 0 = 63 → 63 / 86 × 100
    assert outcome.results["ghg_score"] is NOT_EVALUATED
    assert outcome.results["total_score"] == F(63, 86) * 100  # 73.255…
    assert outcome.results["grade"] == "中绿"


def test_normalised_total_can_land_exactly_on_a_boundary():
    """60.2 of 86 points is exactly 70 after normalisation: 中绿, not 浅绿."""
    # obtained: 60 − 5 + 3.2 (influence) + 2 (district honour) = 60.2
    outcome = run(green_service=True, **dict(SIXTY, honors_district=F(1), influence_expert_score=F("3.2")))
    assert outcome.results["total_score"] == 70
    assert outcome.results["grade"] == "中绿"


def test_indicators_judged_not_applicable_are_left_out():
    outcome = run(not_applicable=("influence_score",), **SIXTY)
    assert outcome.results["influence_score"] is NOT_EVALUATED
    assert outcome.results["total_score"] == F(55, 95) * 100


# ---- missing data -----------------------------------------------------------------------------------

def test_missing_input_gives_no_conclusion_never_zero():
    outcome = run(drop=("rd_expense",), **SIXTY)
    assert isinstance(outcome.results["rd_score"], Missing)
    assert isinstance(outcome.results["total_score"], Missing)
    assert isinstance(outcome.results["grade"], Missing)
    assert outcome.results["ip_score"] == 6  # unaffected indicators still conclude
    assert outcome.affected_by()["rd_expense"] == ["rd_score", "total_score", "grade"]


def test_missing_compliance_input_leaves_grade_open_but_a_failed_veto_decides():
    outcome = run(drop=("technical_compliance",))
    assert isinstance(outcome.results["technically_compliant"], Missing)
    assert isinstance(outcome.results["grade"], Missing)
    outcome = run(drop=("technical_compliance",), green_business_share=10 * P, green_business_revenue=F(0))
    assert outcome.results["catalog_compliant"] is False
    assert outcome.results["grade"] == "不予认定"


def test_missing_record_field_is_reported_by_path():
    outcome = run(standards=({"level": "national", "kind": "new"}, {"level": "group", "kind": "new"}))
    # role only matters for local and group standards (注4): the national one concludes, the group one does not
    assert isinstance(outcome.results["standards_score"], Missing)
    assert outcome.results["standards_score"].inputs == {"standards[1].role"}


def test_expert_score_between_bands_is_an_evaluation_error():
    with pytest.raises(EvalError, match="no row of table `key_tech_band`"):
        run(key_tech_expert_score=F(-1))
