"""Appendix B of T/SGIPA XXX—XXXX: the carbon reduction of NEVs in use (formulas B.1–B.4).

Every expected number is worked by hand in the comments, from the formula cited
in the test's docstring; the readings are those written as comments in
carbon.rules (and in the data contract §3):
- `fuel_mass_coefficient` f is in L/(km·kg), so G × f is an SFC in L/km;
- SFC, SEC and DD are per vehicle; a record's terms are multiplied by `count`;
- `grid_loss` n is a percentage applied as (1 − n/100), multiplying as B.2/B.3
  are written (the text looks defective there; encoded as written);
- the record's `fuel` gives EF_fuel (2.37 gasoline, 2.60 diesel kgCO2/L);
- kgCO2 → tCO2 is the explicit 10⁻³; an empty list gives 0.

Numbers are exact: inputs are Fractions, results are compared as Fractions.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction as F
from functools import lru_cache
from pathlib import Path

import pytest

from dsl.checker import check
from dsl.loader import load_ruleset
from dsl.units import parse_unit
from engine.cli import main
from engine.compiler import compile_rules
from engine.errors import DataError
from engine.evaluator import evaluate
from engine.values import Missing

ROOT = Path(__file__).resolve().parents[2]
DRAFT = ROOT / "standards" / "tsgipa-nev" / "2025-draft"
CARBON = DRAFT / "carbon.rules"

P = F(1, 100)  # one percent: data in [%] is stored as its ratio
RESULTS = ("baseline_emissions", "project_emissions", "emission_reduction")


@lru_cache(maxsize=1)
def checked_rules():
    checked = check(load_ruleset(CARBON))
    assert not checked.errors, checked.errors
    return checked


@lru_cache(maxsize=1)
def carbon_plan():
    return compile_rules(checked_rules())


def run(vehicles, drop: tuple[str, ...] = (), **inputs):
    values = {"vehicles": tuple(vehicles), "grid_loss": 5 * P, **inputs}
    for name in drop:
        values.pop(name)
    return evaluate(carbon_plan(), values, trace=False)


def results(vehicles, **inputs):
    outcome = run(vehicles, **inputs)
    return tuple(outcome.results[name] for name in RESULTS)


def bev(fuel="gasoline", **fields):
    return {"powertrain": "bev", "fuel": fuel, **fields}


def phev(fuel="gasoline", **fields):
    return {"powertrain": "phev", "fuel": fuel, **fields}


def assert_exact(value, expected: str):
    """`value` is exactly the decimal `expected`, and a Fraction (never a float)."""
    assert type(value) is F, f"{value!r} is not an exact Fraction"
    assert value == F(expected)


# ---- the rule file itself -------------------------------------------------------------

def test_rules_check_without_errors_or_warnings():
    checked = checked_rules()
    assert not checked.errors
    assert [d for d in checked.diagnostics if not d.is_error] == []


def test_contract_identifiers_are_declared():
    symbols = checked_rules().symbols
    assert {"vehicles", "grid_factor", "grid_loss"} <= set(symbols.inputs)
    fields = {f.name for f in symbols.inputs["vehicles"].type.element.fields}
    contract = {"powertrain", "fuel", "baseline_fuel_l_per_km", "curb_mass_kg", "fuel_mass_coefficient",
                "annual_km", "electricity_mwh_per_year", "phev_fuel_l_per_km", "count"}
    # the contract's fields, plus the optional B.1.4 baseline fields this rule set adds
    assert fields == contract | {"baseline_same_type", "seats", "baseline_seats", "baseline_curb_mass_kg"}
    decls = symbols.decls
    for name in RESULTS:
        assert decls[name].exported, f"{name} must be a `result`"
        assert decls[name].clause


def test_input_units_are_declared():
    """Units on every numeric input; the electricity term is unit-checked to tCO2/a."""
    types = checked_rules().types
    fields = dict(types["vehicles"].element.fields)
    assert fields["baseline_fuel_l_per_km"].unit == parse_unit("L/km")
    assert fields["phev_fuel_l_per_km"].unit == parse_unit("L/km")
    assert fields["curb_mass_kg"].unit == parse_unit("kg")
    # G × f must be L/km: f is L/(km·kg).
    assert fields["curb_mass_kg"].unit * fields["fuel_mass_coefficient"].unit == parse_unit("L/km")
    assert fields["annual_km"].unit == parse_unit("km/a")
    assert fields["electricity_mwh_per_year"].unit == parse_unit("MWh/a")
    assert types["grid_factor"].unit == parse_unit("tCO2/MWh")
    assert types["grid_loss"].percent
    # SEC × EF_grid × (1 − n): MWh/a × tCO2/MWh × 1 = tCO2/a.
    assert fields["electricity_mwh_per_year"].unit * types["grid_factor"].unit == parse_unit("tCO2/a")


# ---- B.1: baseline emissions ------------------------------------------------------------

def test_b1_with_given_sfc_and_default_distance():
    """B.3.1 式(B.1), 注2; 表B.1: DD defaults to 12000 km/a.
    BE = 0.07 × 2.37 × 12000 × 10⁻³ = 0.1659 × 12 = 1.9908."""
    be, _, _ = results([bev(baseline_fuel_l_per_km=F("0.07"), electricity_mwh_per_year=F(0))])
    assert_exact(be, "1.9908")


def test_b1_diesel_factor():
    """EF_fuel = 2.60 kgCO2/L for diesel. BE = 0.09 × 2.60 × 30000 × 10⁻³ = 0.234 × 30 = 7.02."""
    be, _, _ = results([bev("diesel", baseline_fuel_l_per_km=F("0.09"), annual_km=F(30000),
                            electricity_mwh_per_year=F(0))])
    assert_exact(be, "7.02")


def test_b1_without_sfc_uses_curb_mass_times_coefficient():
    """B.3.1 注3: SFC = G × f = 1600 kg × 0.00004 L/(km·kg) = 0.064 L/km.
    BE = 0.064 × 2.37 × 12000 × 10⁻³ = 0.15168 × 12 = 1.82016."""
    be, _, _ = results([bev(curb_mass_kg=F(1600), fuel_mass_coefficient=F("0.00004"),
                            electricity_mwh_per_year=F(0))])
    assert_exact(be, "1.82016")


def test_b1_given_sfc_takes_precedence_over_mass():
    """注2 before 注3: with SFC given, G and f are not used.
    BE = 0.05 × 2.37 × 10000 × 10⁻³ = 1.185 (G × f would give 0.08 L/km)."""
    be, _, _ = results([bev(baseline_fuel_l_per_km=F("0.05"), curb_mass_kg=F(2000),
                            fuel_mass_coefficient=F("0.00004"), annual_km=F(10000),
                            electricity_mwh_per_year=F(0))])
    assert_exact(be, "1.185")


def test_b1_without_sfc_or_coefficient_is_no_conclusion():
    """Neither SFC nor f: BE is missing data, never 0; the record field is named."""
    outcome = run([bev(curb_mass_kg=F(1600), electricity_mwh_per_year=F(1))])
    be = outcome.results["baseline_emissions"]
    assert isinstance(be, Missing)
    assert be.inputs == {"vehicles[0].fuel_mass_coefficient"}
    assert isinstance(outcome.results["emission_reduction"], Missing)
    assert_exact(outcome.results["project_emissions"], "0.579595")  # 1 × 0.6101 × 0.95


# ---- B.2 / B.3: project emissions ---------------------------------------------------------

def test_b2_bev_with_default_grid_factor():
    """B.3.2.1 式(B.2), EF_grid default 0.6101 tCO2/MWh, n = 5%.
    PE = 1.8 × 0.6101 × (1 − 0.05) = 1.09818 × 0.95 = 1.043271."""
    _, pe, _ = results([bev(baseline_fuel_l_per_km=F("0.07"), electricity_mwh_per_year=F("1.8"))])
    assert_exact(pe, "1.043271")


def test_b2_multiplies_by_one_minus_n_as_written():
    """The text's (1 − n) is encoded as written (it looks defective: losses
    should enlarge, not reduce, the electricity generated). With EF_grid = 0.6,
    SEC = 10, n = 20%: PE = 10 × 0.6 × (1 − 0.20) = 4.8 — not 10 × 0.6 / 0.8 = 7.5,
    nor 10 × 0.6 × 1.2 = 7.2; n = 0 gives 6."""
    vehicles = [bev(baseline_fuel_l_per_km=F("0.07"), electricity_mwh_per_year=F(10))]
    assert_exact(results(vehicles, grid_factor=F("0.6"), grid_loss=20 * P)[1], "4.8")
    assert_exact(results(vehicles, grid_factor=F("0.6"), grid_loss=F(0))[1], "6")


def test_grid_loss_is_a_percentage_not_a_fraction():
    """n is declared [%]: the data's 5 (or "5%") is held as 0.05, so 1 − n = 0.95.
    Passed as 0.05 here (the held ratio): PE = 2 × 0.5 × 0.95 = 0.95."""
    _, pe, _ = results([bev(baseline_fuel_l_per_km=F("0.07"), electricity_mwh_per_year=F(2))],
                       grid_factor=F("0.5"), grid_loss=F("0.05"))
    assert_exact(pe, "0.95")


def test_green_power_gives_zero_project_emissions_for_bevs():
    """B.3.2.1: 如采用绿电则 EF_grid 为零. PE = 0 and ER = BE = 1.9908."""
    be, pe, er = results([bev(baseline_fuel_l_per_km=F("0.07"), electricity_mwh_per_year=F("1.8"))],
                         grid_factor=F(0))
    assert_exact(pe, "0")
    assert_exact(er, "1.9908")
    assert er == be


def test_b3_phev_fuel_and_electricity_terms():
    """B.3.2.2 式(B.3): PE = SFC_Pj × EF_fuel × DD × 10⁻³ + SEC × EF_grid × (1 − n)
    = 0.02 × 2.37 × 15000 × 10⁻³ + 1.2 × 0.6101 × 0.95 = 0.711 + 0.695514 = 1.406514.
    BE = 0.065 × 2.37 × 15 = 2.31075; ER = 2.31075 − 1.406514 = 0.904236."""
    be, pe, er = results([phev(baseline_fuel_l_per_km=F("0.065"), phev_fuel_l_per_km=F("0.02"),
                               annual_km=F(15000), electricity_mwh_per_year=F("1.2"))])
    assert_exact(be, "2.31075")
    assert_exact(pe, "1.406514")
    assert_exact(er, "0.904236")


def test_b3_phev_fuel_term_uses_the_records_fuel():
    """A diesel PHEV: 0.02 × 2.60 × 10000 × 10⁻³ = 0.52; green power leaves only the fuel term."""
    _, pe, _ = results([phev("diesel", baseline_fuel_l_per_km=F("0.06"), phev_fuel_l_per_km=F("0.02"),
                             annual_km=F(10000), electricity_mwh_per_year=F(3))], grid_factor=F(0))
    assert_exact(pe, "0.52")


def test_phev_without_fuel_consumption_is_no_conclusion_never_zero():
    """SFC_Pj is missing data for a PHEV: PE and ER are no conclusion, naming the
    record field; BE = 0.065 × 2.37 × 12 = 1.8486 is still concluded."""
    outcome = run([bev(baseline_fuel_l_per_km=F("0.07"), electricity_mwh_per_year=F("1.8")),
                   phev(baseline_fuel_l_per_km=F("0.065"), electricity_mwh_per_year=F("1.2"))])
    pe, er = outcome.results["project_emissions"], outcome.results["emission_reduction"]
    assert isinstance(pe, Missing) and isinstance(er, Missing)
    assert pe.inputs == {"vehicles[1].phev_fuel_l_per_km"}
    assert_exact(outcome.results["baseline_emissions"], str(F("1.9908") + F("1.8486")))
    assert outcome.affected_by()["vehicles[1].phev_fuel_l_per_km"] == ["project_emissions", "emission_reduction"]


def test_bev_with_phev_fuel_consumption_is_invalid_data():
    """A BEV burns no fuel: SFC_Pj on a BEV record fails validation instead of being ignored."""
    with pytest.raises(DataError) as raised:
        run([bev(baseline_fuel_l_per_km=F("0.07"), phev_fuel_l_per_km=F("0.01"), electricity_mwh_per_year=F(1))])
    assert "bev_without_fuel" in str(raised.value.problems[0])


def test_grid_loss_is_required():
    """n has no default in the text ("采用最新公布数据"): absent, PE and ER are no conclusion."""
    outcome = run([bev(baseline_fuel_l_per_km=F("0.07"), electricity_mwh_per_year=F("1.8"))], drop=("grid_loss",))
    assert isinstance(outcome.results["project_emissions"], Missing)
    assert "grid_loss" in outcome.missing_inputs
    assert_exact(outcome.results["baseline_emissions"], "1.9908")


# ---- count, empty list, B.4 ------------------------------------------------------------------

def test_count_multiplies_every_term_of_a_record():
    """50 BEV taxis: BE = 50 × 0.08 × 2.37 × 100000 × 10⁻³ = 50 × 18.96 = 948;
    PE = 50 × 15 × 0.6101 × 0.935 = 750 × 0.6101 × 0.935 = 457.575 × 0.935 = 427.832625;
    the same as 50 records of one vehicle."""
    taxi = bev(baseline_fuel_l_per_km=F("0.08"), annual_km=F(100000), electricity_mwh_per_year=F(15))
    one_record = results([{**taxi, "count": F(50)}], grid_loss=F("6.5") * P)
    assert_exact(one_record[0], "948")
    assert_exact(one_record[1], "427.832625")
    assert_exact(one_record[2], "520.167375")
    assert results([taxi] * 50, grid_loss=F("6.5") * P) == one_record


def test_count_multiplies_the_phev_fuel_term_too():
    """20 PHEVs: PE = 20 × (0.03 × 2.37 × 40 + 4 × 0.6101 × 0.935) = 20 × (2.844 + 2.281774) = 102.51548."""
    _, pe, _ = results([phev(baseline_fuel_l_per_km=F("0.07"), phev_fuel_l_per_km=F("0.03"), annual_km=F(40000),
                             electricity_mwh_per_year=F(4), count=F(20))], grid_loss=F("6.5") * P)
    assert_exact(pe, "102.51548")


def test_empty_fleet_gives_zero():
    """An empty list of vehicles: every sum is 0 (not no conclusion)."""
    for value in results([]):
        assert_exact(value, "0")


def test_b4_mixed_fleet_worked_by_hand():
    """B.4: ER = BE − PE over 50 BEV taxis, 20 PHEVs and 3 diesel BEV vans (G × f = 0.12 L/km), n = 6.5%.
    BE = 948 + 20 × 0.07 × 2.37 × 40 + 3 × 0.12 × 2.60 × 50 = 948 + 132.72 + 46.8 = 1127.52
    PE = 427.832625 + 102.51548 + 3 × 12 × 0.6101 × 0.935 (= 20.535966) = 550.884071
    ER = 1127.52 − 550.884071 = 576.635929"""
    be, pe, er = results([
        bev(baseline_fuel_l_per_km=F("0.08"), annual_km=F(100000), electricity_mwh_per_year=F(15), count=F(50)),
        phev(baseline_fuel_l_per_km=F("0.07"), phev_fuel_l_per_km=F("0.03"), annual_km=F(40000),
             electricity_mwh_per_year=F(4), count=F(20)),
        bev("diesel", curb_mass_kg=F(3000), fuel_mass_coefficient=F("0.00004"), annual_km=F(50000),
            electricity_mwh_per_year=F(12), count=F(3)),
    ], grid_loss=F("6.5") * P)
    assert_exact(be, "1127.52")
    assert_exact(pe, "550.884071")
    assert_exact(er, "576.635929")


def test_results_are_exact_where_floats_would_drift():
    """0.1 L/km × 2.37 × 3 km/a × 10⁻³ = 0.000711 exactly, three times (count 3): 0.002133.
    In binary floats 0.1 × 2.37 × 3 × 0.001 × 3 is 0.0021330000000000004."""
    be, _, _ = results([bev(baseline_fuel_l_per_km=F("0.1"), annual_km=F(3), electricity_mwh_per_year=F(0),
                            count=F(3))])
    assert 0.1 * 2.37 * 3 * 0.001 * 3 != 0.002133
    assert_exact(be, "0.002133")


def test_negative_reduction_is_reported_not_clamped():
    """B.4 is a plain difference: a fleet whose PE exceeds BE has ER < 0.
    BE = 0.01 × 2.37 × 12 = 0.2844; PE = 10 × 0.6101 × 0.95 = 5.79595; ER = −5.51155."""
    _, _, er = results([bev(baseline_fuel_l_per_km=F("0.01"), electricity_mwh_per_year=F(10))])
    assert_exact(er, "-5.51155")


# ---- the command line -------------------------------------------------------------------------

def test_cli_json_of_the_mixed_fleet_example(capsys):
    code = main(["run", str(CARBON), str(DRAFT / "examples" / "carbon-mixed.json"), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in out + err
    document = json.loads(out, parse_float=Decimal)
    results_ = {k: F(v) for k, v in document["results"].items()}
    assert results_ == {"baseline_emissions": F("1127.52"), "project_emissions": F("550.884071"),
                        "emission_reduction": F("576.635929")}
    assert document["missing"] == []
    assert document["ruleset"]["name"] == "tsgipa_nev_carbon"


def test_cli_json_of_a_phev_without_fuel_is_null(capsys):
    code = main(["run", str(CARBON), str(DRAFT / "examples" / "carbon-phev-missing.yaml"), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out, parse_float=Decimal)
    assert document["results"]["project_emissions"] is None
    assert document["results"]["emission_reduction"] is None
    assert F(document["results"]["baseline_emissions"]) == F("1.8486")
    assert "project_emissions" in document["missing_affects"]["vehicles[0].phev_fuel_l_per_km"]


def test_examples_pass(capsys):
    code = main(["test", str(CARBON)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "6 passed, 0 failed" in out


# ---- B.1.4 comparability (optional baseline fields, checked when given) -------------------

@pytest.mark.parametrize("baseline_mass, comparable", [(1200, True), (800, True), (F("1200.01"), False),
                                                        (F("799.99"), False)])
def test_baseline_curb_mass_within_20_percent(baseline_mass, comparable):
    vehicle = bev(curb_mass_kg=F(1000), baseline_curb_mass_kg=F(baseline_mass))
    if comparable:
        run([vehicle])
    else:
        assert failed_validations([vehicle]) == ["comparable_mass"]


def failed_validations(vehicles) -> list[str]:
    with pytest.raises(DataError) as info:
        run(vehicles)
    return [problem.location for problem in info.value.problems]


def test_baseline_seats_and_type_must_match_when_given():
    run([bev(seats=F(5), baseline_seats=F(5), baseline_same_type=True)])
    assert failed_validations([bev(seats=F(5), baseline_seats=F(7))]) == ["comparable_capacity"]
    assert failed_validations([bev(baseline_same_type=False)]) == ["comparable_type"]
