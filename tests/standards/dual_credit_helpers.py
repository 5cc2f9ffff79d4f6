"""The three versions of the dual-credit rule set, model builders and a one-call evaluator.

A model builder gives a model that passes every Annex 2 test with round
numbers, so each test changes only the field it is about:
- `bev()`: R 420 km, 150 Wh/kg, 1500 kg (Y = 0.0078 × 1500 + 3.8 = 15.5),
  12.4 kWh/100km (EC = 15.5 / 12.4 = 1.25 exactly), 120 km/h:
  1.628 × 1 × 1 × 1.25 = 2.035 → 2.04;
- `phev()`: 1500 kg (Y = 15.5), 4.0 L/100km against a GB 19578 limit of 7.0
  (70% = 4.9), 15.0 kWh/100km (135% × 15.5 = 20.925): credit 1;
- `fcv()`: P 60 kW, motor 100 kW, 500 km of hydrogen range: min(4, 3) = 3;
- `car()`: a conventional model (gasoline unless told).
Inputs are Fractions; results are compared as Fractions.
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
DUAL = ROOT / "standards" / "dual-credit"
VERSIONS = {
    "2023": DUAL / "2023-revision" / "dual-credit.rules",
    "2024": DUAL / "2024-notice-378" / "dual-credit.rules",
    "2026": DUAL / "2026-notice-20251107" / "dual-credit.rules",
}
DEFAULT_YEAR = {"2023": 2023, "2024": 2024, "2026": 2026}

P = F(1, 100)  # one percent: data in [%] is stored as its ratio


@lru_cache(maxsize=None)
def checked_rules(version: str):
    return check(load_ruleset(VERSIONS[version]))


@lru_cache(maxsize=None)
def plan(version: str):
    checked = checked_rules(version)
    assert not checked.errors, checked.errors
    return compile_rules(checked)


def _exact(fields: dict) -> dict:
    return {k: (F(v) if isinstance(v, (int, str)) and not isinstance(v, bool) and k not in ("model", "fuel_type")
                else v) for k, v in fields.items()}


def bev(name: str = "B", **fields) -> dict:
    base = {"model": name, "fuel_type": "bev", "curb_mass_kg": 1500, "seat_rows": 2, "volume": 1000,
            "target_fuel_consumption": "5.5", "range_km": 420, "energy_density_wh_per_kg": 150,
            "electricity_consumption": "12.4", "max_speed_30min": 120}
    return _exact({**base, **fields})


def phev(name: str = "P", **fields) -> dict:
    base = {"model": name, "fuel_type": "phev", "curb_mass_kg": 1500, "seat_rows": 2, "volume": 1000,
            "fuel_consumption": "1.5", "target_fuel_consumption": "6.0", "range_km": 100,
            "cs_fuel_consumption": "4.0", "gb19578_limit": "7.0", "cd_electricity_consumption": "15.0"}
    return _exact({**base, **fields})


def fcv(name: str = "F", **fields) -> dict:
    base = {"model": name, "fuel_type": "fcv", "curb_mass_kg": 1800, "seat_rows": 2, "volume": 1000,
            "target_fuel_consumption": "6.0", "fc_rated_power_kw": 60, "motor_rated_power_kw": 100,
            "hydrogen_range_km": 500}
    return _exact({**base, **fields})


def car(name: str = "G", fuel_type: str = "gasoline", **fields) -> dict:
    base = {"model": name, "fuel_type": fuel_type, "curb_mass_kg": 1400, "seat_rows": 2, "volume": 1000,
            "fuel_consumption": "6.0", "target_fuel_consumption": "6.0"}
    return _exact({**base, **fields})


def without(record: dict, *fields: str) -> dict:
    return {k: v for k, v in record.items() if k not in fields}


def run(models, version: str = "2023", trace: bool = False, **enterprise):
    """Evaluate one enterprise: `models` plus enterprise inputs (year defaults to the version's)."""
    values = {"year": F(DEFAULT_YEAR[version]), "enterprise_kind": "domestic", "small_independent": False,
              "models": tuple(models)}
    values.update({k: (F(v) if isinstance(v, (int, str)) and not isinstance(v, bool) and k != "enterprise_kind"
                       else v) for k, v in enterprise.items()})
    return evaluate(plan(version), values, trace=trace)


def model_result(record: dict, version: str = "2023", **enterprise) -> dict:
    """{model_credit, self_use_only} of one NEV model evaluated alone."""
    outcome = run([record], version, **enterprise)
    (row,) = outcome.results["models"]
    return row


def credit(record: dict, version: str = "2023", **enterprise):
    return model_result(record, version, **enterprise)["model_credit"]
