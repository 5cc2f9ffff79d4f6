"""The passenger-car dual-credit regulation (2023 revision) and its two later versions.

Every expected number is worked by hand in the test or its docstring, from the
article or annex cited; the readings are those written as comments in
standards/dual-credit/2023-revision/dual-credit.rules (data contract §4):
- Annex 2: the caps apply to the standard credit before the factors; only the
  EC factor and the model credit are rounded (half up, 2 places); Y is exact,
  with the middle segment 1000 < m ≤ 1600: Y = 0.0078 m + 3.8 restored;
  "满足目标值" is ≤ Y; a BEV below 100 km/h earns 0 and is not self-use only;
  the PHEV tests are strict; a PHEV without its GB 19578 limit is no conclusion;
- Art. 16–17: the 30000 threshold is on the unweighted conventional volume;
  low-fuel vehicles (Art. 4, ≤ round(target × requirement, 2)) are weighted
  from 2021; no requirement before 2019;
- Art. 8–12: 目标值 rounded to 2 places, then × requirement (× (1 + relaxation))
  rounded to 2 places; 实际值 per GB 27999 §5.1 with NEV multipliers in the
  denominator; credit rounded half away from zero; unauthorised importers of
  2000 or fewer, or before 2019, are not accounted (credit 0).
Numbers are exact: inputs are Fractions, results are compared as Fractions.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction as F

import pytest

from engine.cli import main
from engine.errors import DataError
from engine.values import Missing
from tests.standards.dual_credit_helpers import (DUAL, P, VERSIONS, bev, car, checked_rules, credit, fcv,
                                                 model_result, phev, run, without)


def assert_exact(value, expected: str):
    """`value` is exactly the decimal `expected`, and a Fraction (never a float)."""
    assert type(value) is F, f"{value!r} is not an exact Fraction"
    assert value == F(expected)


def value_of(outcome, name: str):
    return outcome.values[name]


# ---- the three versions load and check clean ----------------------------------------------------

@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_each_version_loads_and_checks_clean(version):
    assert checked_rules(version).diagnostics == ()


def test_later_versions_are_their_base_plus_overrides():
    def replaced(version):
        return {override.name for _, override in checked_rules(version).symbols.overrides}
    assert replaced("2023") == set()
    assert replaced("2024") == {"nev_ratio_of_year", "low_fuel_weight_of_year", "cafc_relaxation"}
    # the 2026 version imports the 2024 one, so both files' overrides are in it
    assert replaced("2026") == {"nev_ratio_of_year", "low_fuel_weight_of_year", "cafc_relaxation", "annex2_applies"}
    decls = checked_rules("2026").symbols.decls
    assert "nev_ratio_378" in decls and "nev_ratio_20251107" in decls  # each version adds its own values


# ---- Annex 2: BEV standard credit and range factor ---------------------------------------------

@pytest.mark.parametrize("range_km, standard, factor, expected", [
    # R < 100 → standard credit 0 → model credit 0 (no factor asked)
    ("99", "0", None, "0"),
    # 100 ≤ R < 150: 0.6 and the 0.7 factor; × EC 1.25: 0.6 × 0.7 × 1.25 = 0.525 → 0.53
    ("100", "0.6", "0.7", "0.53"),
    ("149", "0.6", "0.7", "0.53"),
    # 0.0034 × 150 + 0.2 = 0.71; × 0.8 × 1.25 = 0.71
    ("150", "0.71", "0.8", "0.71"),
    # 0.0034 × 199 + 0.2 = 0.8766; × 0.8 × 1.25 = 0.8766 → 0.88
    ("199", "0.8766", "0.8", "0.88"),
    # 0.0034 × 200 + 0.2 = 0.88; × 0.9 × 1.25 = 0.99
    ("200", "0.88", "0.9", "0.99"),
    # 0.0034 × 299 + 0.2 = 1.2166; × 0.9 × 1.25 = 1.368675 → 1.37
    ("299", "1.2166", "0.9", "1.37"),
    # 0.0034 × 300 + 0.2 = 1.22; × 1 × 1.25 = 1.525 → 1.53
    ("300", "1.22", "1", "1.53"),
    # 0.0034 × 700 + 0.2 = 2.58, capped at 2.3 *before* the factors: 2.3 × 1.25 = 2.875 → 2.88
    ("700", "2.3", "1", "2.88"),
])
def test_bev_range_bands(range_km, standard, factor, expected):
    outcome = run([bev(range_km=range_km)])
    assert_exact(value_of(outcome, "models[0].bev_standard_credit"), standard)
    if factor is not None:
        assert_exact(value_of(outcome, "models[0].bev_range_factor"), factor)
    else:  # below 100 km the range factor is never asked
        assert "models[0].bev_range_factor" not in outcome.values
    assert_exact(outcome.results["models"][0]["model_credit"], expected)


# ---- Annex 2: energy density --------------------------------------------------------------------

@pytest.mark.parametrize("density, factor, expected", [
    # 1.628 × 1 × factor × 1.25
    ("89.99", "0", "0"),
    ("90", "0.7", "1.42"),  # 2.035 × 0.7 = 1.4245 → 1.42
    ("104.99", "0.7", "1.42"),
    ("105", "0.8", "1.63"),  # 1.628 → 1.63
    ("124.99", "0.8", "1.63"),
    ("125", "1", "2.04"),  # 2.035 → 2.04
])
def test_bev_energy_density_bands(density, factor, expected):
    outcome = run([bev(energy_density_wh_per_kg=density)])
    assert_exact(value_of(outcome, "models[0].bev_density_factor"), factor)
    assert_exact(outcome.results["models"][0]["model_credit"], expected)


# ---- Annex 2: the electricity-consumption target Y and the EC factor ----------------------------

@pytest.mark.parametrize("mass, y", [
    ("800", "9.36"),  # 0.0112 × 800 + 0.4
    ("1000", "11.6"),  # 0.0112 × 1000 + 0.4 (the restored segment gives the same: 7.8 + 3.8)
    ("1000.5", "11.6039"),  # restored segment: 0.0078 × 1000.5 + 3.8
    ("1500", "15.5"),  # 0.0078 × 1500 + 3.8
    ("1600", "16.28"),  # 0.0078 × 1600 + 3.8 (the last segment gives the same: 7.68 + 8.6)
    ("1600.5", "16.2824"),  # 0.0048 × 1600.5 + 8.6
    ("2000", "18.2"),  # 0.0048 × 2000 + 8.6
])
def test_consumption_target_y_by_curb_mass(mass, y):
    outcome = run([bev(curb_mass_kg=mass)])
    assert_exact(value_of(outcome, "models[0].consumption_target_y"), y)


def test_the_restored_segment_joins_the_other_two():
    """Y is continuous at 1000 and 1600 kg only with 0.0078 × m + 3.8 in between."""
    assert F("0.0112") * 1000 + F("0.4") == F("0.0078") * 1000 + F("3.8") == F("11.6")
    assert F("0.0078") * 1600 + F("3.8") == F("0.0048") * 1600 + F("8.60") == F("16.28")
    # the slope and intercept of the line through (1000, 11.6) and (1600, 16.28)
    slope = (F("16.28") - F("11.6")) / 600
    assert slope == F("0.0078") and F("11.6") - slope * 1000 == F("3.8")


def test_ec_exactly_at_y_meets_the_target():
    """1000 kg: Y = 11.6; consumption 11.6 ≤ Y → EC = round(11.6 / 11.6, 2) = 1; 1.628 × 1 → 1.63."""
    row = model_result(bev(curb_mass_kg=1000, electricity_consumption="11.6"))
    assert_exact(row["model_credit"], "1.63")
    assert row["self_use_only"] is False


def test_ec_just_above_y_is_half_and_self_use_only():
    """11.61 > 11.6 → EC 0.5 and self-use only: 1.628 × 0.5 = 0.814 → 0.81."""
    outcome = run([bev(curb_mass_kg=1000, electricity_consumption="11.61")])
    assert_exact(value_of(outcome, "models[0].bev_ec_factor"), "0.5")
    row = outcome.results["models"][0]
    assert_exact(row["model_credit"], "0.81")
    assert row["self_use_only"] is True


@pytest.mark.parametrize("consumption, ec, expected", [
    ("10", "1.5", "2.44"),  # 15.5 / 10 = 1.55 → capped at 1.5; 1.628 × 1.5 = 2.442 → 2.44
    ("10.3", "1.5", "2.44"),  # 15.5 / 10.3 = 1.50485… → round 1.50
    ("10.29", "1.5", "2.44"),  # 15.5 / 10.29 = 1.50631… → round 1.51 → cap 1.5
    ("11", "1.41", "2.30"),  # 15.5 / 11 = 1.40909… → 1.41; 1.628 × 1.41 = 2.29548 → 2.30
])
def test_ec_factor_is_rounded_then_capped_at_1_5(consumption, ec, expected):
    outcome = run([bev(electricity_consumption=consumption)])
    assert_exact(value_of(outcome, "models[0].bev_ec_factor"), ec)
    assert_exact(outcome.results["models"][0]["model_credit"], expected)


# ---- Annex 2: the 30-minute speed ---------------------------------------------------------------

def test_bev_below_100_kmh_earns_nothing_and_is_not_self_use_only():
    """Reading: 0, not self-use only, even when its EC test fails too."""
    row = model_result(bev(max_speed_30min="99.9", electricity_consumption="20"))
    assert_exact(row["model_credit"], "0")
    assert row["self_use_only"] is False
    assert_exact(credit(bev(max_speed_30min=100)), "2.04")  # "不低于100km/h": 100 passes


def test_a_failing_condition_is_named_in_the_trace():
    outcome = run([bev(max_speed_30min=90)], trace=True)
    step = outcome.trace.find("models[0].bev_speed_ok")
    assert step.value is False
    assert step.label == "30分钟最高车速不低于100km/h" and step.clause == "附件2 1(3)"
    outcome = run([phev(cs_fuel_consumption="4.9")], trace=True)
    step = outcome.trace.find("models[0].phev_cs_below_limit")
    assert step.value is False and "70%" in step.label
    outcome = run([fcv(hydrogen_range_km=299)], trace=True)
    step = outcome.trace.find("models[0].fcv_range_ok")
    assert step.value is False and step.label == "纯氢续驶里程不低于300km"


# ---- Annex 2: half-up rounding of the model credit ------------------------------------------------

def test_model_credit_rounds_half_up_exactly():
    # FCV: 0.05 × 41.4 = 2.07, hydrogen range 250 < 300 → × 0.5 = 1.035 → 1.04 (a float gives 1.03)
    assert_exact(credit(fcv(fc_rated_power_kw="41.4", hydrogen_range_km=250)), "1.04")
    # BEV: R 175 → 0.795 × 0.8 × 1 × 1.25 = 0.795 → 0.80
    assert_exact(credit(bev(range_km=175)), "0.8")
    # the default BEV: 1.628 × 1.25 = 2.035 → 2.04
    assert_exact(credit(bev()), "2.04")


# ---- Annex 2: PHEV -----------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected, self_use", [
    ({}, "1", False),
    ({"cs_fuel_consumption": "4.89"}, "1", False),  # < 70% × 7.0 = 4.9
    ({"cs_fuel_consumption": "4.9"}, "0.5", True),  # not < 4.9 (strict)
    ({"cd_electricity_consumption": "20.92"}, "1", False),  # < 135% × 15.5 = 20.925
    ({"cd_electricity_consumption": "20.925"}, "0.5", True),  # not < 20.925 (strict)
    # Y from the PHEV's own curb mass: 1000 kg → 135% × 11.6 = 15.66
    ({"curb_mass_kg": 1000, "cd_electricity_consumption": "15.65"}, "1", False),
    ({"curb_mass_kg": 1000, "cd_electricity_consumption": "15.66"}, "0.5", True),
])
def test_phev_conditions(fields, expected, self_use):
    row = model_result(phev(**fields))
    assert_exact(row["model_credit"], expected)
    assert row["self_use_only"] is self_use


def test_phev_without_gb19578_limit_is_no_conclusion_even_when_its_other_test_fails():
    outcome = run([without(phev(cd_electricity_consumption="30"), "gb19578_limit")])
    row = outcome.results["models"][0]
    assert isinstance(row["model_credit"], Missing) and isinstance(row["self_use_only"], Missing)
    assert row["model_credit"].inputs == {"models[0].gb19578_limit"}
    assert isinstance(outcome.results["nev_credit_actual"], Missing)
    assert "models[0].model_credit" in outcome.affected_by()["models[0].gb19578_limit"]


# ---- Annex 2: FCV ------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected, self_use", [
    ({}, "3", False),  # min(4, 0.05 × 60) = 3
    ({"fc_rated_power_kw": 30}, "1.5", False),  # P = 30% of 100 kW exactly → full: 1.5
    ({"fc_rated_power_kw": "29.9"}, "0.75", True),  # 1.495 × 0.5 = 0.7475 → 0.75
    ({"fc_rated_power_kw": 10, "motor_rated_power_kw": 20}, "0.5", False),  # P = 10 kW exactly → full
    ({"fc_rated_power_kw": "9.9", "motor_rated_power_kw": 20}, "0.25", True),  # 0.495 × 0.5 = 0.2475 → 0.25
    ({"hydrogen_range_km": 300}, "3", False),
    ({"hydrogen_range_km": 299}, "1.5", True),
    ({"fc_rated_power_kw": 100}, "4", False),  # min(4, 5) = 4
    ({"fc_rated_power_kw": 100, "hydrogen_range_km": 250}, "2", True),  # cap before the 0.5: 4 × 0.5
])
def test_fcv_conditions(fields, expected, self_use):
    row = model_result(fcv(**fields))
    assert_exact(row["model_credit"], expected)
    assert row["self_use_only"] is self_use


# ---- Art. 15–17: enterprise NEV credits ----------------------------------------------------------

def test_nev_actual_sums_rounded_model_credits_then_rounds():
    """R 100: 0.53 per vehicle (0.525 rounded first); 5 vehicles → 2.65 → 3 (not 0.525 × 5 = 2.625)."""
    outcome = run([bev(range_km=100, volume=5)])
    assert_exact(outcome.results["nev_credit_actual"], "3")


@pytest.mark.parametrize("conventional, required", [
    (29999, "0"),  # "不满3万辆": no requirement
    (30000, "5400"),  # 30000 × 18%
    (30025, "5405"),  # 5404.5 → 5405
])
def test_thirty_thousand_conventional_vehicles(conventional, required):
    outcome = run([car(volume=conventional, low_fuel=False), bev(volume=1000)])
    assert_exact(outcome.results["nev_credit_required"], required)
    # nev_credit = 2.04 × 1000 − required
    assert_exact(outcome.results["nev_credit"], str(2040 - int(required)))


def test_threshold_is_on_the_unweighted_conventional_volume():
    """30000 conventional, all low-fuel: weighted 6000 in 2023, yet a requirement is set: 6000 × 18% = 1080."""
    outcome = run([car(volume=30000, low_fuel=True)])
    assert_exact(outcome.results["nev_credit_required"], "1080")


FLEET = ([car("L", volume=10000, low_fuel=True), car("N", volume=20000, low_fuel=False)])


@pytest.mark.parametrize("version, year, ratio, weight, required", [
    # 30000 conventional of which 10000 low-fuel
    ("2023", 2018, None, None, "0"),  # no requirement before 2019
    ("2023", 2019, "10%", None, "3000"),  # no low-fuel weighting before 2021: 30000 × 10%
    ("2023", 2020, "12%", None, "3600"),
    ("2023", 2021, "14%", "0.5", "3500"),  # (20000 + 5000) × 14%
    ("2023", 2022, "16%", "0.3", "3680"),  # (20000 + 3000) × 16%
    ("2023", 2023, "18%", "0.2", "3960"),  # (20000 + 2000) × 18%
    ("2023", 2024, None, None, None),  # left to MIIT: no conclusion under the base version
    ("2024", 2023, "18%", "0.2", "3960"),  # the 2024 version keeps Art. 16–17 for earlier years
    ("2024", 2024, "28%", "0.2", "6160"),  # 22000 × 28%
    ("2024", 2025, "38%", "0.2", "8360"),  # 22000 × 38%
    ("2024", 2026, None, None, None),
    ("2026", 2025, "38%", "0.2", "8360"),
    ("2026", 2026, "48%", "0.1", "10080"),  # (20000 + 1000) × 48%
    ("2026", 2027, "58%", "0.1", "12180"),  # 21000 × 58%
    ("2026", 2028, None, None, None),
])
def test_each_years_ratio_and_low_fuel_weight(version, year, ratio, weight, required):
    outcome = run(FLEET, version, year=year)
    if ratio is not None:
        assert value_of(outcome, "nev_ratio_of_year") == F(ratio.rstrip("%")) * P
    if weight is not None:
        assert value_of(outcome, "low_fuel_weight_of_year") == F(weight)
    if required is None:
        assert isinstance(outcome.results["nev_credit_required"], Missing)
    else:
        assert_exact(outcome.results["nev_credit_required"], required)


@pytest.mark.parametrize("fuel_consumption, low", [("5.83", True), ("5.84", False)])
def test_low_fuel_status_is_derived_when_not_given(fuel_consumption, low):
    """2024 with a requirement of 108% (given): round(5.4 × 108% = 5.832, 2) = 5.83; "不超过" is ≤."""
    models = [car("X", volume=10000, fuel_consumption=fuel_consumption, target_fuel_consumption="5.4"),
              car("Y", volume=20000, low_fuel=False)]
    outcome = run(models, "2024", cafc_requirement=F(108) * P)
    assert_exact(value_of(outcome, "low_fuel_volume"), "10000" if low else "0")
    # (20000 + 10000 × 0.2) × 28% = 6160, or 30000 × 28% = 8400
    assert_exact(outcome.results["nev_credit_required"], "6160" if low else "8400")


def test_low_fuel_given_is_used_as_given():
    models = [car("X", volume=30000, fuel_consumption="1.0", low_fuel=False)]
    assert_exact(run(models).results["nev_credit_required"], "5400")  # 30000 × 18%, no weighting


def test_low_fuel_status_without_what_it_needs_is_no_conclusion():
    """2022 (no carried requirement), no flag and no requirement given: the required value is no conclusion
    from 30000 vehicles; below 30000 the requirement is not set, so it is 0."""
    outcome = run([car(volume=30000)], year=2022)
    assert isinstance(outcome.results["nev_credit_required"], Missing)
    assert "cafc_requirement" in outcome.results["nev_credit_required"].inputs
    assert_exact(run([car(volume=29999)], year=2022).results["nev_credit_required"], "0")


def test_hev_is_conventional_and_nevs_are_not():
    models = [car("H", "hev", volume=30000, low_fuel=False), phev(volume=5000), fcv(volume=5000)]
    outcome = run(models)
    assert_exact(value_of(outcome, "conventional_volume"), "30000")
    assert_exact(outcome.results["nev_credit_required"], "5400")
    assert [r["model"] for r in outcome.results["models"]] == ["P", "F"]  # NEV models only


# ---- Art. 8–12: CAFC credits -------------------------------------------------------------------

@pytest.mark.parametrize("version, year, multiplier, actual", [
    # 1000 gasoline at 6.0 + 1000 BEVs: 6000 / (1000 + 1000 × W)
    ("2023", 2021, "2", "2"),
    ("2023", 2022, "1.8", "2.14"),  # 6000 / 2800 = 2.1428…
    ("2023", 2023, "1.6", "2.31"),  # 6000 / 2600 = 2.3076…
    ("2024", 2024, "1.3", "2.61"),  # 6000 / 2300 = 2.6086…
    ("2024", 2025, "1", "3"),
    ("2026", 2026, None, None),  # no multiplier carried for 2026
])
def test_nev_multipliers_of_the_actual_value(version, year, multiplier, actual):
    outcome = run([car(volume=1000), bev(volume=1000)], version, year=year)
    if multiplier is None:
        assert isinstance(outcome.results["cafc_actual"], Missing)
    else:
        assert_exact(value_of(outcome, "nev_multiplier_of_year"), multiplier)
        assert_exact(outcome.results["cafc_actual"], actual)


def test_actual_value_counts_phev_fuel_and_zero_for_bev_fcv():
    """2023: (6.0 × 1000 + 1.5 × 1000 + 0 + 0) / (1000 + 3000 × 1.6) = 7500 / 5800 = 1.2931… → 1.29."""
    outcome = run([car(volume=1000), phev(volume=1000), bev(volume=1000), fcv(volume=1000)])
    assert_exact(outcome.results["cafc_actual"], "1.29")


def test_an_all_conventional_fleet_needs_no_multiplier():
    outcome = run([car(volume=1000, fuel_consumption="6.25")], "2026", cafc_requirement=F(100) * P)
    assert_exact(outcome.results["cafc_actual"], "6.25")
    assert_exact(outcome.results["cafc_target"], "6")  # round(6.00 × 100%, 2)
    assert_exact(outcome.results["cafc_credit"], "-250")  # (6.00 − 6.25) × 1000


def test_target_is_rounded_before_the_requirement():
    """目标值 = round((5.38 + 5.39) / 2 = 5.385, 2) = 5.39; 达标值 = round(5.39 × 115% = 6.1985, 2) = 6.20
    (rounding once would give round(5.385 × 115% = 6.19275, 2) = 6.19)."""
    models = [car("A", target_fuel_consumption="5.38", fuel_consumption="5"),
              car("B", target_fuel_consumption="5.39", fuel_consumption="5")]
    outcome = run(models)
    assert_exact(value_of(outcome, "cafc_target_value"), "5.39")
    assert_exact(outcome.results["cafc_target"], "6.2")
    assert_exact(outcome.results["cafc_credit"], "2400")  # (6.20 − 5.00) × 2000


@pytest.mark.parametrize("year, requirement", [(2021, "123%"), (2023, "115%")])
def test_carried_requirements(year, requirement):
    outcome = run([car(volume=1000)], year=year)
    assert value_of(outcome, "cafc_requirement_of_year") == F(requirement.rstrip("%")) * P


def test_other_years_need_the_requirement_as_input():
    outcome = run([car(volume=1000)], year=2022)
    assert isinstance(outcome.results["cafc_target"], Missing)
    assert isinstance(outcome.results["cafc_credit"], Missing)
    assert outcome.affected_by()["cafc_requirement"] == ["cafc_target", "cafc_credit", "cafc_margin_percent"]
    given = run([car(volume=1000)], year=2022, cafc_requirement=F(120) * P)
    assert_exact(given.results["cafc_target"], "7.2")  # round(6.00 × 120%, 2)
    assert_exact(given.results["cafc_credit"], "1200")  # (7.20 − 6.00) × 1000


def test_a_requirement_contradicting_the_carried_value_is_refused():
    with pytest.raises(DataError):
        run([car(volume=1000)], year=2021, cafc_requirement=F(120) * P)
    assert run([car(volume=1000)], year=2021, cafc_requirement=F(123) * P).results["cafc_target"] == F("7.38")


def test_published_values_are_used_as_given_and_the_trace_says_so():
    outcome = run([car(volume=1000)], trace=True, cafc_actual_given=F("5.5"), cafc_target_given=F("6.1"))
    assert_exact(outcome.results["cafc_credit"], "600")  # (6.1 − 5.5) × 1000
    for name in ("cafc_actual_as_given", "cafc_target_as_given"):
        assert "采用企业给出的数值" in outcome.trace.find(name).label
    assert outcome.trace.find("cafc_actual_from_models") is None  # never computed


def test_negative_credit_rounds_its_magnitude():
    """(5.00 − 5.35) × 9010 = −3153.5 → −3154."""
    outcome = run([car(volume=9010)], cafc_actual_given=F("5.35"), cafc_target_given=F("5.00"))
    assert_exact(outcome.results["cafc_credit"], "-3154")


# ---- Art. 12: the small-volume relaxation ----------------------------------------------------------

@pytest.mark.parametrize("version, year, previous, actual, relaxation", [
    # decline = (previous − actual) / previous, exactly
    ("2023", 2020, "5", "4.7", "60%"),  # 6% exactly
    ("2023", 2020, "5", "4.85", "30%"),  # 3% exactly
    ("2023", 2020, "5", "4.86", "0%"),  # 2.8%
    ("2023", 2021, "5", "4.8", "60%"),  # 4% exactly
    ("2023", 2021, "5", "4.81", "30%"),  # 3.8%
    ("2023", 2023, "5", "4.9", "30%"),  # 2% exactly
    ("2023", 2023, "5", "4.91", "0%"),  # 1.8%
    ("2023", 2024, "5", "4.8", None),  # left to MIIT (Art. 12(三))
    ("2024", 2024, "5", "4.8", "60%"),  # 工信部通装函〔2023〕378号
    ("2024", 2025, "5", "4.9", "30%"),
    ("2024", 2025, "5", "4.91", "0%"),
    ("2026", 2026, "5", "4.8", None),  # not given for 2026
])
def test_relaxation_bands(version, year, previous, actual, relaxation):
    outcome = run([car(volume=2000)], version, year=year, small_independent=True,
                  previous_cafc=F(previous), cafc_actual_given=F(actual))
    value = value_of(outcome, "cafc_relaxation")
    if relaxation is None:
        assert isinstance(value, Missing)
        assert isinstance(outcome.results["cafc_target"], Missing)
    else:
        assert value == F(relaxation.rstrip("%")) * P


@pytest.mark.parametrize("kind, independent, volume, eligible", [
    ("domestic", True, 2000, True),  # "2000辆以下" includes 2000
    ("domestic", True, 2001, False),
    ("domestic", False, 1000, False),
    ("import_authorized", False, 2000, True),  # independence is asked of domestic producers only
    ("import_unauthorized", True, 1000, False),
])
def test_relaxation_eligibility(kind, independent, volume, eligible):
    outcome = run([car(volume=volume)], year=2021, enterprise_kind=kind, small_independent=independent,
                  previous_cafc=F(7), cafc_actual_given=F(6))
    assert value_of(outcome, "relaxation_eligible") is eligible


def test_relaxed_target_multiplies_the_requirement():
    """2021, decline (6.5 − 6.0) / 6.5 = 7.7% → 60%: round(6.00 × 123% × 160% = 11.808, 2) = 11.81."""
    outcome = run([car(volume=1000)], year=2021, small_independent=True, previous_cafc=F("6.5"))
    assert_exact(outcome.results["cafc_target"], "11.81")
    assert_exact(outcome.results["cafc_credit"], "5810")  # (11.81 − 6.00) × 1000


def test_eligible_enterprise_without_previous_cafc_is_no_conclusion():
    outcome = run([car(volume=1000)], year=2021, small_independent=True)
    assert isinstance(outcome.results["cafc_target"], Missing)
    assert "cafc_target" in outcome.affected_by()["previous_cafc"]
    # not eligible: previous_cafc is not needed
    assert_exact(run([car(volume=1000)], year=2021).results["cafc_target"], "7.38")


# ---- Art. 12 second paragraph: unauthorised importers ----------------------------------------------

@pytest.mark.parametrize("kind, year, volume, accounted", [
    ("import_unauthorized", 2018, 5000, False),  # accounted from 2019
    ("import_unauthorized", 2019, 2000, False),  # 2000 or fewer: 暂不实施积分核算
    ("import_unauthorized", 2019, 2001, True),
    ("import_authorized", 2019, 1000, True),
    ("domestic", 2018, 1000, True),
])
def test_importer_exemptions(kind, year, volume, accounted):
    outcome = run([car(volume=volume)], year=year, enterprise_kind=kind,
                  cafc_actual_given=F("6.5"), cafc_target_given=F("6"))
    assert outcome.results["cafc_accounted"] is accounted
    assert_exact(outcome.results["cafc_credit"], str(-volume // 2) if accounted else "0")  # (6 − 6.5) × volume


# ---- versions: acceptance --------------------------------------------------------------------------

def test_2024_enterprise_uses_28_percent_and_weight_0_2():
    """The domestic_2024 example, by hand in 2024-notice-378/dual-credit.rules."""
    outcome = run(_example("2024-notice-378/examples/domestic-2024.yaml"), "2024", cafc_requirement=F(108) * P)
    assert value_of(outcome, "nev_ratio_of_year") == 28 * P
    assert value_of(outcome, "low_fuel_weight_of_year") == F("0.2")
    assert_exact(value_of(outcome, "weighted_conventional_volume"), "18000")  # 10000 + 40000 × 0.2
    assert [(r["model"], r["model_credit"]) for r in outcome.results["models"]] == [("B1", F("2.62")), ("P1", 1)]
    assert_exact(outcome.results["nev_credit_required"], "5040")
    assert_exact(outcome.results["nev_credit"], "31400")
    assert_exact(outcome.results["cafc_credit"], "128640")


def test_2026_enterprise_uses_48_percent_weight_0_1_and_model_credits_are_no_conclusion():
    models = _example("2026-notice-20251107/examples/domestic-2026.yaml")
    outcome = run(models, "2026", cafc_actual_given=F("4.10"), cafc_target_given=F("5.20"))
    assert value_of(outcome, "nev_ratio_of_year") == 48 * P
    assert value_of(outcome, "low_fuel_weight_of_year") == F("0.1")
    (row,) = outcome.results["models"]
    assert isinstance(row["model_credit"], Missing) and "50%" in row["model_credit"].describe()
    assert row["self_use_only"] is False
    assert isinstance(outcome.results["nev_credit_actual"], Missing)
    assert isinstance(outcome.results["nev_credit"], Missing)
    assert_exact(outcome.results["nev_credit_required"], "6480")  # (10000 + 35000 × 0.1) × 48%
    assert_exact(outcome.results["cafc_credit"], "66000")  # (5.20 − 4.10) × 60000


def test_2026_version_keeps_annex_2_for_earlier_years():
    assert_exact(credit(bev(), "2026", year=2025), "2.04")
    assert isinstance(credit(bev(), "2026", year=2027), Missing)
    assert_exact(credit(bev(), "2024", year=2026), "2.04")  # the 2024 version does not know the notice


# ---- a full enterprise, by hand --------------------------------------------------------------------

def test_full_enterprise_2023_by_hand():
    """The domestic_2023 example (worked in 2023-revision/dual-credit.rules), step by step."""
    outcome = run(_example("2023-revision/examples/domestic-2023.yaml"))
    credits = {r["model"]: (r["model_credit"], r["self_use_only"]) for r in outcome.results["models"]}
    assert credits == {"B1": (F("2.1"), False), "B2": (F("0.23"), True), "P1": (1, False), "F1": (4, False)}
    v = outcome.values
    assert v["models[3].bev_ec_factor"] == F("1.29")  # round(15.5 / 12, 2)
    assert v["models[3].credit_before_rounding"] == F("2.10012")  # 1.628 × 1.29
    assert v["models[4].credit_before_rounding"] == F("0.22736")  # 0.812 × 0.8 × 0.7 × 0.5
    assert outcome.results["nev_credit_actual"] == 23660  # 16800 + 460 + 6000 + 400
    assert v["conventional_volume"] == 47000 and v["low_fuel_volume"] == 35000  # G1 (5.2 ≤ 5.75) + H1 (given)
    assert v["weighted_conventional_volume"] == 19000  # 12000 + 35000 × 0.2
    assert outcome.results["nev_credit_required"] == 3420  # 19000 × 18%
    assert outcome.results["nev_credit"] == 20240
    assert v["cafc_fuel_volume"] == 279000 and v["cafc_counted_volume"] == 72760  # 47000 + 16100 × 1.6
    assert outcome.results["cafc_actual"] == F("3.83")  # 3.8345…
    assert v["cafc_target_value"] == F("5.39")  # 339900 / 63100 = 5.3866…
    assert outcome.results["cafc_target"] == F("6.2")  # 6.1985 → 6.20
    assert outcome.results["cafc_credit"] == 149547  # 2.37 × 63100


def _example(relative: str):
    """The models of an example data file, as the evaluator takes them."""
    from engine.data import load_applicants
    from tests.standards.dual_credit_helpers import plan
    version = {"2023-revision": "2023", "2024-notice-378": "2024", "2026-notice-20251107": "2026"}[
        relative.split("/")[0]]
    symbols = plan(version).symbols
    (applicant,) = load_applicants(DUAL / relative, symbols.inputs, [])
    return applicant.values["models"]


# ---- the command line --------------------------------------------------------------------------

def test_cli_json_lists_nev_models_only(capsys):
    code = main(["run", str(VERSIONS["2023"]), str(DUAL / "2023-revision" / "examples" / "domestic-2023.yaml"),
                 "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out, parse_float=Decimal)
    results = document["results"]
    assert results["models"] == [
        {"model": "B1", "model_credit": Decimal("2.1"), "self_use_only": False},
        {"model": "B2", "model_credit": Decimal("0.23"), "self_use_only": True},
        {"model": "P1", "model_credit": 1, "self_use_only": False},
        {"model": "F1", "model_credit": 4, "self_use_only": False}]
    for name, expected in (("nev_credit_actual", "23660"), ("nev_credit_required", "3420"), ("nev_credit", "20240"),
                           ("cafc_actual", "3.83"), ("cafc_target", "6.2"), ("cafc_credit", "149547")):
        assert F(results[name]) == F(expected)
    assert document["missing"] == []


def test_cli_json_of_the_2026_example_is_null_for_model_credits(capsys):
    code = main(["run", str(VERSIONS["2026"]),
                 str(DUAL / "2026-notice-20251107" / "examples" / "domestic-2026.yaml"), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    results = json.loads(out, parse_float=Decimal)["results"]
    assert results["models"] == [{"model": "B1", "model_credit": None, "self_use_only": False}]
    assert results["nev_credit_actual"] is None and results["nev_credit"] is None
    assert F(results["nev_credit_required"]) == 6480


def test_examples_pass(capsys):
    code = main(["test", str(DUAL)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "7 passed, 0 failed" in out
