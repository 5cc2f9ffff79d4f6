"""Appendix A of T/SGIPA XXX—XXXX: the key-technology thresholds of tables A.1–A.5.

Each requirement of tables A.1–A.5 is one member of the `requirement` enum of
key-technology.rules; a record (product, requirement, value | attested, …) gets
the columns of tables C.5/D.5 and `satisfied`. The thresholds below are copied
by hand from the appendix, independently of the rule file's maps, and every
numeric one is tested at its edge and just either side of it. The readings are
those written as comments in key-technology.rules:
- "不应低于 / 不应小于 / 应达到" are ≥, "不应超过 / 不应大于" are ≤, ">" / "<" / "小于"
  strict as written (永磁铁氧体 居里温度 > 450 ℃; 熔断器漏电流 < 0.5 mA);
- 电动空压机 容积效率: linear interpolation in the speed between the < 1000 and
  ≥ 3000 r/min values of the same pressure class; below 1000 and from 3000 the
  text's own values; no speed → no conclusion;
- 车载充电机 E2/E3 are the intervals [92, 94) and [90, 92) as written;
- two defects encoded as written and pinned here: 绝缘检测仪 精度 "不应低于 5%"
  (≥ 5) and 电动制动真空泵 最大真空度 "不应低于 -86 kPa" (≥ −86);
- missing data is no conclusion, never 0 or false.

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
from engine.cli import main
from engine.compiler import compile_rules
from engine.data import load_applicants
from engine.errors import DataError
from engine.evaluator import evaluate
from engine.values import Missing

ROOT = Path(__file__).resolve().parents[2]
DRAFT = ROOT / "standards" / "tsgipa-nev" / "2025-draft"
KEY_TECH = DRAFT / "key-technology.rules"
LIST = "key_tech_requirements"
COLUMNS = ("industry", "stage", "object", "core_indicator", "reference_standard", "reference_value",
           "self_assessed", "satisfied")

# ---- Appendix A, copied by hand ------------------------------------------------------------

# Numeric requirements compared with a fixed number: member → (comparison, threshold as written).
EDGES = {
    # 表A.1
    "a1_bev_passenger_car_range": ("≥", "550"),
    "a1_bev_passenger_car_consumption": ("≤", "12.0"),
    "a1_bev_truck_range_n1": ("≥", "250"),
    "a1_bev_truck_range_other": ("≥", "250"),
    "a1_bev_city_bus_range": ("≥", "450"),
    "a1_phev_passenger_car_range": ("≥", "100"),
    "a1_phev_commercial_range_n1_m2_light": ("≥", "43"),
    "a1_phev_commercial_range_m2_heavy_m3": ("≥", "40"),
    "a1_phev_commercial_range_n2_n3": ("≥", "35"),
    "a1_fcev_range_m1_n1": ("≥", "500"),
    "a1_fcev_range_other": ("≥", "500"),
    # 表A.2
    "a2_ncm_energy_cell_energy_density": ("≥", "210"),
    "a2_ncm_energy_pack_energy_density": ("≥", "150"),
    "a2_other_energy_cell_energy_density": ("≥", "160"),
    "a2_other_energy_pack_energy_density": ("≥", "115"),
    "a2_power_cell_power_density": ("≥", "500"),
    "a2_power_pack_power_density": ("≥", "350"),
    "a2_anode_graphite_specific_capacity": ("≥", "335"),
    "a2_anode_amorphous_carbon_specific_capacity": ("≥", "250"),
    "a2_anode_silicon_carbon_specific_capacity": ("≥", "420"),
    "a2_cathode_lfp_specific_capacity": ("≥", "145"),
    "a2_cathode_ncm_specific_capacity": ("≥", "165"),
    "a2_cathode_lco_specific_capacity": ("≥", "160"),
    "a2_cathode_lmo_specific_capacity": ("≥", "115"),
    "a2_bms_soc_error": ("≤", "3"),
    "a2_separator_dry_uniaxial_md_tensile_strength": ("≥", "110"),
    "a2_separator_dry_uniaxial_td_tensile_strength": ("≥", "10"),
    "a2_separator_dry_uniaxial_puncture_strength": ("≥", "0.133"),
    "a2_separator_dry_biaxial_md_tensile_strength": ("≥", "100"),
    "a2_separator_dry_biaxial_td_tensile_strength": ("≥", "25"),
    "a2_separator_dry_biaxial_puncture_strength": ("≥", "0.133"),
    "a2_separator_wet_biaxial_md_tensile_strength": ("≥", "100"),
    "a2_separator_wet_biaxial_td_tensile_strength": ("≥", "60"),
    "a2_separator_wet_biaxial_puncture_strength": ("≥", "0.204"),
    # 表A.3
    "a3_motor_power_density": ("≥", "5.5"),
    "a3_motor_max_speed": ("≥", "16000"),
    "a3_motor_peak_efficiency": ("≥", "97"),
    "a3_motor_noise": ("≤", "75"),
    "a3_engine_thermal_efficiency": ("≥", "45"),
    "a3_magnet_curie_temperature_fecrco": ("≥", "680"),
    "a3_magnet_curie_temperature_ferrite": (">", "450"),
    "a3_magnet_curie_temperature_alnico": ("≥", "850"),
    "a3_magnet_curie_temperature_ndfeb": ("≥", "350"),
    "a3_magnet_curie_temperature_ndco": ("≥", "850"),
    "a3_silicon_steel_thickness": ("≤", "0.33"),
    "a3_igbt_blocking_voltage": ("≥", "6500"),
    "a3_mcu_power_density_passenger": ("≥", "80"),
    "a3_mcu_power_density_commercial": ("≥", "50"),
    "a3_motor_system_high_efficiency_area": ("≥", "90"),
    "a3_edrive_high_efficiency_area": ("≥", "85"),
    # 表A.4
    "a4_coupling_system_efficiency": ("≥", "84.5"),
    # 表A.5
    "a5_dcdc_efficiency": ("≥", "95"),
    "a5_relay_durability_failures": ("=", "0"),
    "a5_relay_noise": ("≤", "65"),
    "a5_fuse_breaking_leakage_current": ("<", "0.5"),
    "a5_cable_volume_resistivity_600v": ("≥", "100000000000"),
    "a5_cable_volume_resistivity_1000v": ("≥", "1000000000000"),
    "a5_cable_transfer_impedance": ("≤", "31"),
    "a5_cable_shielding_attenuation": ("≥", "70"),
    "a5_connector_mating_cycles": ("≥", "50"),
    "a5_connection_system_insulation_resistance": ("≥", "100"),
    "a5_insulation_monitor_accuracy": ("≥", "5"),  # DEFECT, as written
    "a5_vacuum_pump_max_vacuum": ("≥", "-86"),  # DEFECT, as written
    "a5_vacuum_pump_max_noise": ("≤", "74"),
    "a5_eps_steering_force_m1_m2": ("≤", "150"),
    "a5_eps_steering_force_m3_n1_n2": ("≤", "200"),
    "a5_eps_steering_force_n3": ("≤", "250"),
    "a5_eps_steering_time": ("≤", "4"),
    "a5_eps_recirculating_ball_forward_efficiency": ("≥", "70"),
    "a5_eps_recirculating_ball_reverse_efficiency": ("≥", "55"),
    "a5_eps_rack_pinion_forward_efficiency": ("≥", "75"),
    "a5_eps_rack_pinion_reverse_efficiency": ("≥", "60"),
    "a5_obc_efficiency_e1": ("≥", "94"),
    "a5_obc_insulation_port_to_ground": ("≥", "10"),
    "a5_obc_insulation_port_to_port": ("≥", "10"),
    "a5_charging_interface_cycles": ("≥", "10000"),
    "a5_ac_cooling_eer_min": ("≥", "1.9"),
    "a5_ac_heating_eer_min": ("≥", "1.8"),
    "a5_ac_noise_evaporator": ("≤", "70"),
    "a5_ac_noise_condenser": ("≤", "70"),
    "a5_thermal_heating_cop": ("≥", "5"),
}

# Passed tests under a named clause of another standard, and qualitative requirements.
ATTESTED = {
    "a1_lightweighting", "a2_anode_other_specific_capacity", "a2_cathode_other_specific_capacity",
    "a2_electrolyte_other_conductivity", "a3_magnet_magnetic_properties", "a3_film_capacitor_life",
    "a4_vcu_safety", "a5_relay_durability_after_test", "a5_relay_short_circuit", "a5_relay_breaking_capacity",
    "a5_fuse_prearcing_time", "a5_fuse_breaking_capacity", "a5_fuse_short_time_impulse",
    "a5_fuse_overload_impulse", "a5_cable_withstand_voltage_600v", "a5_cable_withstand_voltage_1000v",
    "a5_cable_ageing_long_term", "a5_cable_ageing_short_term", "a5_connector_temperature_rise",
    "a5_connector_mating_after_test", "a5_connection_system_ip_s1", "a5_connection_system_ip_s2",
    "a5_connection_system_shielding", "a5_vacuum_pump_durability", "a5_air_compressor_specific_power",
    "a5_eps_turning_radius", "a5_obc_withstand_voltage", "a5_charging_interface_life_after_test",
    "a5_charging_interface_temperature_rise", "a5_charging_interface_ip_general",
    "a5_charging_interface_ip_unmated", "a5_charging_interface_ip_mated", "a5_charging_interface_ip_cavity",
    "a5_thermal_operating_range",
}

# Numeric requirements whose number depends on the record (tested one by one below).
COMPRESSOR = {"0.8": "a5_air_compressor_volumetric_efficiency_0_8",
              "1.0": "a5_air_compressor_volumetric_efficiency_1_0",
              "1.25": "a5_air_compressor_volumetric_efficiency_1_25"}
SPECIAL = set(COMPRESSOR.values()) | {
    "a5_air_compressor_noise", "a5_obc_efficiency_e2", "a5_obc_efficiency_e3", "a2_electrolyte_conductivity",
    "a5_ac_cooling_capacity", "a5_ac_cooling_eer_vs_declared", "a5_ac_heating_capacity",
    "a5_ac_heating_eer_vs_declared", "a5_eps_recirculating_ball_forward_above_reverse",
    "a5_eps_rack_pinion_forward_above_reverse",
}


# ---- helpers ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def checked_rules():
    checked = check(load_ruleset(KEY_TECH))
    assert not checked.errors, checked.errors
    return checked


@lru_cache(maxsize=1)
def plan():
    return compile_rules(checked_rules())


def members() -> tuple[str, ...]:
    record = checked_rules().symbols.inputs[LIST].type.element
    requirement = next(f for f in record.fields if f.name == "requirement")
    return tuple(v.name for v in requirement.type.values)


def rec(requirement: str, value=None, product: str = "产品", **fields) -> dict:
    """One record; `value` as decimal text (exact), other numbers likewise."""
    record = {"product": product, "requirement": requirement, **{
        k: F(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else v for k, v in fields.items()}}
    if value is not None:
        record["value"] = F(value)
    return record


def run(*records):
    return evaluate(plan(), {LIST: tuple(records)}, trace=False)


def rows(*records) -> tuple[dict, ...]:
    return run(*records).results[LIST]


def row(*records) -> dict:
    (only,) = rows(*records)
    return only


def satisfied(requirement: str, value=None, **fields):
    return row(rec(requirement, value, **fields))["satisfied"]


def threshold(requirement: str, value=None, **fields):
    return row(rec(requirement, value, **fields))["applied_threshold"]


def assert_exact(value, expected: str):
    """`value` is exactly the decimal `expected`, and a Fraction (never a float)."""
    assert type(value) is F, f"{value!r} is not an exact Fraction"
    assert value == F(expected)


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "products.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path):
    symbols = checked_rules().symbols
    return load_applicants(path, symbols.inputs, [d.name for d in symbols.indicators])


# ---- the rule file itself ---------------------------------------------------------------------

def test_rules_check_without_errors_or_warnings():
    checked = checked_rules()
    assert not checked.errors
    assert [d for d in checked.diagnostics if not d.is_error] == []


def test_every_requirement_of_the_appendix_is_tested_here():
    """The enum is exactly the requirements written out above, each in one group."""
    assert not EDGES.keys() & ATTESTED and not EDGES.keys() & SPECIAL and not ATTESTED & SPECIAL
    assert set(members()) == EDGES.keys() | ATTESTED | SPECIAL
    assert len(members()) == 128


def test_record_fields_and_per_record_results():
    symbols = checked_rules().symbols
    fields = {f.name for f in symbols.inputs[LIST].type.element.fields}
    assert fields == {"product", "requirement", "value", "attested", "reference", "speed_r_min", "flow_m3_min"}
    block = symbols.derives[LIST]
    exported = {let.name for let in block.lets if let.exported}
    assert exported == set(COLUMNS) | {"unit", "applied_threshold"}
    assert block.key == "product"
    assert symbols.decls["key_tech_all_met"].exported


def test_results_use_the_field_names_the_report_reads():
    """engine/report.py fills 表C.5/表D.5 from `key_tech_requirements` with these fields."""
    report = pytest.importorskip("engine.report")
    assert report.KEY_TECH_RESULT == LIST
    assert {field for field, _ in report.KEY_TECH_FIELDS} == set(COLUMNS)


# ---- every numeric threshold at its edge ---------------------------------------------------

EPSILON = F(1, 1000)
BELOW_ABOVE = {  # comparison → (at the threshold, just below, just above)
    "≥": (True, False, True),
    "≤": (True, True, False),
    ">": (False, False, True),
    "<": (False, True, False),
    "=": (True, False, False),
}


@pytest.mark.parametrize("requirement", sorted(EDGES))
def test_threshold_edges(requirement):
    op, written = EDGES[requirement]
    t = F(written)
    got = rows(rec(requirement, t), rec(requirement, t - EPSILON), rec(requirement, t + EPSILON))
    assert tuple(r["satisfied"] for r in got) == BELOW_ABOVE[op], (requirement, op, written)
    assert all(r["applied_threshold"] == t for r in got)
    assert [r["self_assessed"] for r in got] == [t, t - EPSILON, t + EPSILON]


def test_bev_passenger_car_range_550_passes_and_549_9_fails():
    assert satisfied("a1_bev_passenger_car_range", "550") is True
    assert satisfied("a1_bev_passenger_car_range", "549.9") is False
    assert satisfied("a1_bev_passenger_car_range", "550.1") is True


def test_bev_passenger_car_consumption_12_0_passes_and_12_01_fails():
    assert satisfied("a1_bev_passenger_car_consumption", "12.0") is True
    assert satisfied("a1_bev_passenger_car_consumption", "12") is True
    assert satisfied("a1_bev_passenger_car_consumption", "12.01") is False
    assert satisfied("a1_bev_passenger_car_consumption", "11.99") is True


def test_phev_commercial_vehicle_classes_have_their_own_thresholds():
    assert satisfied("a1_phev_commercial_range_n1_m2_light", "43") is True
    assert satisfied("a1_phev_commercial_range_n1_m2_light", "42") is False
    # 42 km meets the M₂ (> 3500 kg) / M₃ and the N₂ / N₃ thresholds, not the N₁ one.
    assert satisfied("a1_phev_commercial_range_m2_heavy_m3", "42") is True
    assert satisfied("a1_phev_commercial_range_n2_n3", "35") is True
    assert satisfied("a1_phev_commercial_range_n2_n3", "34.9") is False


def test_ncm_cell_and_pack_thresholds():
    assert satisfied("a2_ncm_energy_cell_energy_density", "210") is True
    assert satisfied("a2_ncm_energy_cell_energy_density", "209.9") is False
    assert satisfied("a2_ncm_energy_pack_energy_density", "150") is True
    assert satisfied("a2_ncm_energy_pack_energy_density", "149.9") is False


def test_motor_thresholds_from_the_issue():
    assert satisfied("a3_motor_power_density", "5.5") is True
    assert satisfied("a3_motor_max_speed", "15999") is False
    assert satisfied("a3_motor_peak_efficiency", "97") is True
    assert satisfied("a3_motor_peak_efficiency", "96.99") is False
    assert satisfied("a3_motor_noise", "75") is True
    assert satisfied("a3_motor_noise", "75.1") is False
    assert satisfied("a3_igbt_blocking_voltage", "6500") is True
    assert satisfied("a3_mcu_power_density_passenger", "79.9") is False
    assert satisfied("a3_mcu_power_density_commercial", "50") is True


def test_percentages_are_the_number_of_percent():
    """97 means 97%: the thresholds are in the unit key_tech_unit names."""
    got = row(rec("a3_motor_peak_efficiency", "97"))
    assert got["unit"] == "%"
    assert_exact(got["applied_threshold"], "97")
    assert satisfied("a3_motor_peak_efficiency", "0.97") is False


def test_ferrite_curie_temperature_is_strict_as_written():
    assert satisfied("a3_magnet_curie_temperature_ferrite", "450") is False
    assert satisfied("a3_magnet_curie_temperature_ferrite", "450.1") is True
    assert satisfied("a3_magnet_curie_temperature_ndfeb", "350") is True


def test_cable_resistivity_powers_of_ten_are_exact():
    assert_exact(threshold("a5_cable_volume_resistivity_600v", "1"), "100000000000")
    assert_exact(threshold("a5_cable_volume_resistivity_1000v", "1"), "1000000000000")
    assert satisfied("a5_cable_volume_resistivity_1000v", "999999999999.99") is False


def test_defect_insulation_monitor_accuracy_is_encoded_as_written():
    """"精度不应低于 5%" as written: ≥ 5, so a 10% error passes and 1% fails (see the rule's comment)."""
    assert satisfied("a5_insulation_monitor_accuracy", "10") is True
    assert satisfied("a5_insulation_monitor_accuracy", "1") is False


def test_defect_vacuum_pump_is_encoded_as_written():
    """"最大真空度不应低于 -86 kPa" as written: ≥ −86 kPa, so −80 passes and the deeper −90 fails."""
    assert satisfied("a5_vacuum_pump_max_vacuum", "-86") is True
    assert satisfied("a5_vacuum_pump_max_vacuum", "-80") is True
    assert satisfied("a5_vacuum_pump_max_vacuum", "-90") is False


def test_relay_durability_needs_exactly_zero_failures():
    assert satisfied("a5_relay_durability_failures", "0") is True
    assert satisfied("a5_relay_durability_failures", "1") is False


def test_fuse_leakage_current_is_strictly_below_half_a_milliampere():
    assert satisfied("a5_fuse_breaking_leakage_current", "0.5") is False
    assert satisfied("a5_fuse_breaking_leakage_current", "0.499") is True


# ---- 电动空压机 容积效率: interpolation ------------------------------------------------------

# t(n) for each pressure class, worked by hand: t₁ = 47/45/43 below 1000 r/min,
# t₃ = 38/36/34 from 3000 r/min, and t₁ + (t₃ − t₁)(n − 1000)/2000 in between.
# 0.8 MPa: 1500 → 47 − 9 × 1/4 = 44.75; 2000 → 47 − 9/2 = 42.5; 2500 → 47 − 27/4 = 40.25.
INTERPOLATED = {
    "0.8": {"0": "47", "999": "47", "1000": "47", "1500": "44.75", "2000": "42.5", "2500": "40.25",
            "3000": "38", "3001": "38", "6000": "38"},
    "1.0": {"0": "45", "999": "45", "1000": "45", "1500": "42.75", "2000": "40.5", "2500": "38.25",
            "3000": "36", "3001": "36", "6000": "36"},
    "1.25": {"0": "43", "999": "43", "1000": "43", "1500": "40.75", "2000": "38.5", "2500": "36.25",
             "3000": "34", "3001": "34", "6000": "34"},
}


@pytest.mark.parametrize("pressure", sorted(INTERPOLATED))
@pytest.mark.parametrize("speed", ["0", "999", "1000", "1500", "2000", "2500", "3000", "3001", "6000"])
def test_compressor_volumetric_efficiency_threshold(pressure, speed):
    expected = INTERPOLATED[pressure][speed]
    got = row(rec(COMPRESSOR[pressure], expected, speed_r_min=speed))
    assert_exact(got["applied_threshold"], expected)
    assert got["satisfied"] is True  # exactly at the threshold: "应达到" is ≥
    assert satisfied(COMPRESSOR[pressure], F(expected) - EPSILON, speed_r_min=speed) is False


def test_compressor_interpolation_at_1000_2000_3000_r_min():
    requirement = COMPRESSOR["0.8"]
    assert_exact(threshold(requirement, "40", speed_r_min="1000"), "47")
    assert_exact(threshold(requirement, "40", speed_r_min="2000"), "42.5")
    assert_exact(threshold(requirement, "40", speed_r_min="3000"), "38")
    assert satisfied(requirement, "42.5", speed_r_min="2000") is True
    assert satisfied(requirement, "42.49", speed_r_min="2000") is False


def test_compressor_interpolation_is_exact_rational():
    """n = 4000/3 r/min: t = 47 − 9 × (1000/3)/2000 = 47 − 3/2 = 45.5 exactly;
    n = 1001: t = 47 − 9/2000 = 46.9955."""
    requirement = COMPRESSOR["0.8"]
    assert threshold(requirement, "40", speed_r_min=F(4000, 3)) == F(91, 2)
    assert_exact(threshold(requirement, "40", speed_r_min="1001"), "46.9955")
    # 1.0 MPa at n = 7000/3: (n − 1000)/2000 = 2/3, t = 45 − 9 × 2/3 = 39.
    assert threshold(COMPRESSOR["1.0"], "40", speed_r_min=F(7000, 3)) == 39


def test_compressor_without_speed_is_no_conclusion():
    got = row(rec(COMPRESSOR["1.0"], "50"))
    assert isinstance(got["applied_threshold"], Missing)
    assert isinstance(got["satisfied"], Missing)


def test_compressor_noise_follows_the_flow_class():
    requirement = "a5_air_compressor_noise"
    for flow, limit in (("0", "72"), ("0.2", "72"), ("0.2001", "75"), ("0.4", "75"), ("0.4001", "78"),
                        ("3", "78")):
        got = row(rec(requirement, limit, flow_m3_min=flow))
        assert_exact(got["applied_threshold"], limit)
        assert got["satisfied"] is True
        assert satisfied(requirement, F(limit) + EPSILON, flow_m3_min=flow) is False
    assert isinstance(satisfied(requirement, "70"), Missing)  # no flow: no conclusion


# ---- 车载充电机 E1/E2/E3 --------------------------------------------------------------------

def test_on_board_charger_efficiency_classes():
    assert satisfied("a5_obc_efficiency_e1", "94") is True
    assert satisfied("a5_obc_efficiency_e1", "93.99") is False
    assert satisfied("a5_obc_efficiency_e2", "92") is True
    assert satisfied("a5_obc_efficiency_e2", "93.99") is True
    assert satisfied("a5_obc_efficiency_e2", "94") is False  # < 94 as written: it is E1
    assert satisfied("a5_obc_efficiency_e2", "91.99") is False
    assert satisfied("a5_obc_efficiency_e3", "90") is True
    assert satisfied("a5_obc_efficiency_e3", "92") is False
    assert satisfied("a5_obc_efficiency_e3", "89.99") is False
    assert_exact(threshold("a5_obc_efficiency_e2", "93"), "92")


# ---- requirements relative to a reference value --------------------------------------------

def test_electrolyte_conductivity_within_nominal_plus_minus_0_3():
    requirement = "a2_electrolyte_conductivity"
    for value, expected in (("10.3", True), ("9.7", True), ("10", True), ("10.31", False), ("9.69", False)):
        assert satisfied(requirement, value, reference="10") is expected, value
    assert isinstance(satisfied(requirement, "10.1"), Missing)  # no nominal value: no conclusion


def test_air_conditioner_at_least_95_percent_of_the_declared_value():
    """4.75 = 95% × 5 passes, 4.74 fails; the EER rows also need ≥ 1.9 / 1.8 W/W (own members)."""
    got = row(rec("a5_ac_cooling_capacity", "4.75", reference="5"))
    assert_exact(got["applied_threshold"], "4.75")
    assert got["satisfied"] is True
    assert satisfied("a5_ac_cooling_capacity", "4.74", reference="5") is False
    assert satisfied("a5_ac_heating_capacity", "3.8", reference="4") is True
    assert satisfied("a5_ac_cooling_eer_vs_declared", "1.9", reference="2") is True
    assert satisfied("a5_ac_heating_eer_vs_declared", "1.89", reference="2") is False
    assert satisfied("a5_ac_cooling_eer_min", "1.9") is True
    assert satisfied("a5_ac_heating_eer_min", "1.79") is False


def test_steering_forward_efficiency_strictly_above_reverse():
    for gear in ("recirculating_ball", "rack_pinion"):
        requirement = f"a5_eps_{gear}_forward_above_reverse"
        assert satisfied(requirement, "72", reference="71.9") is True
        assert satisfied(requirement, "72", reference="72") is False
        assert isinstance(satisfied(requirement, "72"), Missing)


# ---- attested requirements ----------------------------------------------------------------

@pytest.mark.parametrize("requirement", sorted(ATTESTED))
def test_attested_requirements(requirement):
    passed, failed, absent = rows(rec(requirement, attested=True), rec(requirement, attested=False),
                                  rec(requirement))
    assert passed["satisfied"] is True
    assert failed["satisfied"] is False
    assert isinstance(absent["satisfied"], Missing)
    for got in (passed, failed, absent):
        assert isinstance(got["self_assessed"], Missing)  # the response is the yes/no itself
        assert isinstance(got["applied_threshold"], Missing)
        assert got["unit"] == "—"


def test_attested_rows_cite_the_clause_of_the_other_standard():
    got = row(rec("a5_relay_short_circuit", attested=True))
    assert got["reference_standard"] == "QC/T 1175—2022"
    assert "QC/T 1175—2022 中 6.4.11" in got["reference_value"]
    got = row(rec("a5_relay_breaking_capacity", attested=True))
    assert "QC/T 1175—2022 中 6.4.12" in got["reference_value"]


# ---- the columns of 表C.5/表D.5 -------------------------------------------------------------

@pytest.mark.parametrize("requirement, industry, obj, core, reference", [
    ("a1_bev_passenger_car_range", "新能源汽车整车制造", "纯电动乘用车", "续航里程", "—"),
    ("a1_phev_commercial_range_n2_n3", "新能源汽车整车制造", "插电式混合动力电动商用车", "纯电动模式续驶里程",
     "GB/T 34598—2025、GB/T 19753、GB/T 19754、GB/T 32694-2021"),
    ("a2_ncm_energy_cell_energy_density", "动力电池系统及核心零部件制造", "锂离子电池、锂硫电池、固态电池等", "能量密度", "—"),
    ("a2_electrolyte_conductivity", "动力电池系统及核心零部件制造", "电解液", "电解液电导率(25℃)", "SJ/T 11723"),
    ("a3_motor_power_density", "新能源汽车电机/发动机制造", "永磁同步电机、交流异步电机、开关磁阻电机", "功率密度", "—"),
    ("a3_motor_system_high_efficiency_area", "新能源汽车电机/发动机制造", "驱动电机系统", "高效工作区占比",
     "T/CSAE 144—2020"),
    ("a4_vcu_safety", "新能源汽车控制系统制造", "整车控制器（VCU）", "安全性", "GB 4793.1"),
    ("a5_dcdc_efficiency", "新能源汽车电附件制造", "DC/DC 转换器", "转换效率", "—"),
    ("a5_air_compressor_volumetric_efficiency_1_0", "新能源汽车电附件制造", "电动空压机", "容积效率", "QC/T 29078"),
    ("a5_obc_efficiency_e3", "新能源汽车电附件制造", "车载充电机", "充电效率", "GB/T 40432—2021"),
    ("a5_ac_cooling_capacity", "新能源汽车电附件制造", "汽车空调器", "制冷量", "GB/T 21361—2017"),
])
def test_columns_of_table_c5(requirement, industry, obj, core, reference):
    got = row(rec(requirement, attested=True) if requirement in ATTESTED else rec(requirement, "1"))
    assert (got["industry"], got["stage"], got["object"], got["core_indicator"], got["reference_standard"]) == \
        (industry, "生产制造", obj, core, reference)


def test_requirement_text_is_the_appendix_wording():
    assert row(rec("a1_bev_passenger_car_range", "1"))["reference_value"] == "按照工况法进行试验，续驶里程不应低于550 km"
    assert row(rec("a1_bev_passenger_car_consumption", "1"))["reference_value"] == "不应超过 12.0 kWh/100 km"
    assert row(rec("a5_obc_efficiency_e2", "1"))["reference_value"].endswith("2) E2 能效级别，92% ≤ 平均效率 < 94%")


def test_every_requirement_has_every_column():
    """Each member finds a text in every lookup (the checker proves the keys; this checks the values)."""
    records = [rec(m, attested=True) if m in ATTESTED else rec(m, "1") for m in members()]
    for got in rows(*records):
        for column in ("industry", "stage", "object", "core_indicator", "reference_standard", "reference_value",
                       "unit"):
            assert isinstance(got[column], str) and got[column].strip(), (got, column)


def test_rows_are_keyed_by_product_in_record_order():
    got = rows(rec("a1_bev_passenger_car_range", "560", product="E1"),
               rec("a3_motor_noise", "80", product="PM-150"))
    assert [r["product"] for r in got] == ["E1", "PM-150"]
    assert [r["satisfied"] for r in got] == [True, False]


# ---- missing data and the summary ------------------------------------------------------------

def test_missing_value_is_no_conclusion_never_zero():
    got = row(rec("a1_bev_passenger_car_consumption"))  # 0 would pass ≤ 12.0
    assert isinstance(got["satisfied"], Missing)
    assert isinstance(got["self_assessed"], Missing)
    assert_exact(got["applied_threshold"], "12.0")
    got = row(rec("a1_bev_passenger_car_range"))
    assert isinstance(got["satisfied"], Missing)


def test_all_met_summary_kleene():
    ok = rec("a1_bev_passenger_car_range", "600")
    bad = rec("a1_bev_passenger_car_range", "500")
    unknown = rec("a1_bev_passenger_car_consumption")
    assert run(ok).results["key_tech_all_met"] is True
    assert run(ok, bad).results["key_tech_all_met"] is False
    assert isinstance(run(ok, unknown).results["key_tech_all_met"], Missing)
    assert run(unknown, bad).results["key_tech_all_met"] is False  # one failure decides


def test_empty_list_is_no_conclusion_not_all_met():
    assert isinstance(run().results["key_tech_all_met"], Missing)


def test_absent_list_means_no_products_given():
    """The list is optional (the enterprise and project evaluations import this
    file): absent is no products, so nothing is assessed and nothing concluded."""
    outcome = evaluate(plan(), {}, trace=False)
    assert LIST not in outcome.missing_inputs
    assert outcome.results[LIST] == ()
    assert outcome.results["key_tech_all_met"].reasons == ("未提供附录A所列产品的关键技术指标",)


# ---- data errors ----------------------------------------------------------------------------

def test_unknown_requirement_is_a_data_error_naming_the_valid_ones(tmp_path):
    path = write_yaml(tmp_path, "key_tech_requirements:\n"
                                "  - {product: E1, requirement: a1_bev_passenger_car_rang, value: 550}\n")
    with pytest.raises(DataError) as raised:
        load(path)
    (problem,) = raised.value.problems
    assert problem.code == "unknown_value"
    assert "key_tech_requirements[0].requirement" in str(problem)
    for valid in ("a1_bev_passenger_car_range", "a3_motor_peak_efficiency", "a5_thermal_heating_cop"):
        assert valid in problem.message
    assert problem.hint == "did you mean `a1_bev_passenger_car_range`?"


def test_a_label_with_the_wrong_word_suggests_the_member(tmp_path):
    """表A.1 says 续航里程 for the BEV car and 续驶里程 elsewhere: the near miss is caught."""
    path = write_yaml(tmp_path, "key_tech_requirements:\n"
                                "  - {product: E1, requirement: \"A.1 纯电动乘用车 续驶里程\", value: 550}\n")
    with pytest.raises(DataError) as raised:
        load(path)
    assert raised.value.problems[0].hint == "did you mean `a1_bev_passenger_car_range`?"


def test_an_object_the_appendix_does_not_define_is_a_data_error(tmp_path):
    path = write_yaml(tmp_path, "key_tech_requirements:\n"
                                "  - {product: 储氢瓶, requirement: a6_hydrogen_tank_pressure, value: 70}\n")
    with pytest.raises(DataError) as raised:
        load(path)
    assert "expected one of a1_bev_passenger_car_range" in raised.value.problems[0].message


def test_requirements_load_by_label_and_chinese_keys(tmp_path):
    path = write_yaml(tmp_path, "关键技术先进性自评:\n"
                                "  - {产品名称: E1, 评价指标: \"A.1 纯电动乘用车 续航里程\", 自评值: 549.9}\n"
                                "  - {产品名称: VCU, 评价指标: \"A.4 整车控制器（VCU） 安全性\", 已通过规定试验或满足定性要求: 是}\n")
    (applicant,) = load(path)
    got = evaluate(plan(), applicant.values, trace=False).results[LIST]
    assert [r["satisfied"] for r in got] == [False, True]


def test_a_percent_sign_on_a_value_is_a_data_error(tmp_path):
    path = write_yaml(tmp_path, "key_tech_requirements:\n"
                                "  - {product: M, requirement: a3_motor_peak_efficiency, value: \"97%\"}\n")
    with pytest.raises(DataError):
        load(path)


@pytest.mark.parametrize("record, validation", [
    (rec("a1_bev_passenger_car_range", "550", attested=True), "key_tech_value_or_attested"),
    (rec("a5_relay_short_circuit", "1", attested=True), "key_tech_value_or_attested"),
    (rec("a3_motor_noise", "70", reference="75"), "key_tech_reference_where_relative"),
    (rec("a3_motor_max_speed", "16000", speed_r_min="16000"), "key_tech_speed_for_compressor"),
    (rec("a5_relay_noise", "60", flow_m3_min="0.3"), "key_tech_flow_for_compressor_noise"),
])
def test_a_field_the_requirement_does_not_use_is_a_data_error(record, validation):
    with pytest.raises(DataError) as raised:
        run(record)
    assert [p.location for p in raised.value.problems] == [validation]


# ---- the command line and the examples -------------------------------------------------------

def test_cli_json_lists_one_row_per_record(capsys):
    code = main(["run", str(KEY_TECH), str(DRAFT / "examples" / "key-tech-a5-accessories.yaml"), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out, parse_float=Decimal)
    got = document["results"][LIST]
    assert len(got) == 14
    assert set(got[0]) == {"product"} | set(COLUMNS) | {"unit", "applied_threshold"}
    assert F(got[1]["applied_threshold"]) == F("42.75")
    assert got[1]["satisfied"] is False
    assert got[13]["self_assessed"] is None and got[13]["satisfied"] is True
    assert document["results"]["key_tech_all_met"] is False


def test_cli_json_names_the_missing_record_fields(capsys):
    code = main(["run", str(KEY_TECH), str(DRAFT / "examples" / "key-tech-missing.yaml"), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out, parse_float=Decimal)
    assert document["missing"] == [f"{LIST}[1].value", f"{LIST}[2].speed_r_min", f"{LIST}[3].attested"]
    assert document["results"]["key_tech_all_met"] is None


def test_cli_unknown_requirement_exits_with_a_data_error(tmp_path, capsys):
    path = write_yaml(tmp_path, "key_tech_requirements:\n  - {product: X, requirement: a9_nothing, value: 1}\n")
    code = main(["run", str(KEY_TECH), str(path)])
    out, err = capsys.readouterr()
    assert code == 4
    assert "error[unknown_value]" in err and "a1_bev_passenger_car_range" in err
    assert "Traceback" not in out + err


def test_examples_pass(capsys):
    code = main(["test", str(KEY_TECH)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "6 passed, 0 failed" in out
