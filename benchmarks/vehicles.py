"""Benchmark: one row per vehicle (Annex 1, 一车一条数据) for 150 enterprises.

    python benchmarks/vehicles.py [--rows N …] [--quick]

Writes N vehicle rows to Parquet (cached in benchmarks/results/), 150
enterprises and a few thousand models, each row repeating its model's
attributes, and computes every enterprise's NEV and CAFC credits three ways,
each in a fresh process whose wall time and peak RSS are measured:
  - rulecheck: `rulecheck run … --records models --count volume --by enterprise
    -o out.parquet` (exact); its compute alone (grouping + evaluation, in one
    process after start-up and rule loading) is measured in a second process;
  - Polars, float64, as one would write it: a per-vehicle credit expression,
    a group-by per enterprise, half-up rounding;
  - NumPy, int64 fixed-point (exact), the whole table in memory.
`differing` counts the enterprises whose nev_credit_actual, cafc_actual or
cafc_credit differ from rulecheck's; for rulecheck itself it counts those
whose results (all of them) differ from those of the per-model data (one
record per model with its volume, as JSON): grouping must not change an answer.

The models are chosen so that many per-vehicle NEV credits are exact ties
(x.xx5 before rounding to 2 places) and many sit on a threshold (range 150 /
200 / 300 km, density 105 / 125 Wh/kg, consumption = Y, 100 km/h, PHEV tests
at their limit), where binary floating point decides wrongly about half the
time. Prints a table and writes benchmarks/results/vehicles.json;
`measure()` gives the rows to benchmarks/batch.py. `--quick` (CI) uses 10⁵
rows. Needs numpy; Polars is skipped, with a note, when it is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "standards" / "dual-credit" / "2024-notice-378" / "dual-credit.rules"
RESULTS = ROOT / "benchmarks" / "results"
QUICK_ROWS = 100_000
ROW_GROUP = 1_000_000
ENTERPRISES = 150
SEED = 20240101
GENERATOR_VERSION = 2  # part of the cached file names: bump when the data changes

NEV = ("bev", "phev", "fcv")
FUEL_TYPES = {"gasoline": 0.40, "hev": 0.08, "diesel": 0.02, "dual_fuel": 0.01, "bi_fuel": 0.01, "gas": 0.01,
              "alcohol_ether": 0.005, "bev": 0.28, "phev": 0.17, "fcv": 0.015}
NUMBER_FIELDS = ("curb_mass_kg", "fuel_consumption", "target_fuel_consumption", "range_km",
                 "energy_density_wh_per_kg", "electricity_consumption", "max_speed_30min", "cs_fuel_consumption",
                 "cd_electricity_consumption", "fc_rated_power_kw", "motor_rated_power_kw", "hydrogen_range_km",
                 "gb19578_limit")
ENTERPRISE_COLUMNS = ("year", "enterprise_kind", "small_independent", "cafc_requirement", "previous_cafc")
CAFC_REQUIREMENT_2024 = 108.0  # % — GB 27999 §5.3 for 2024 is not carried by the rule set (as its example)
NEV_MULTIPLIER_2024 = (13, 10)  # GB 27999 §5.1, 2024: 1.3
COMPARED = ("nev_credit_actual", "cafc_actual", "cafc_credit")


# ---- exact fixed-point model credits (int64; inputs in thousandths) ------------------------

def half_up(numerator, denominator):
    """round(numerator / denominator) half away from zero, for int64 arrays with denominator > 0."""
    import numpy as np
    magnitude = (2 * np.abs(numerator) + denominator) // (2 * denominator)
    return np.sign(numerator) * magnitude


def consumption_target_e7(mass):
    """Annex 2 1(3) Y in 10⁻⁷ kWh/100km, from the curb mass in grams (kg × 1000)."""
    import numpy as np
    return np.where(mass <= 1_000_000, 112 * mass + 4_000_000,
                    np.where(mass <= 1_600_000, 78 * mass + 38_000_000, 48 * mass + 86_000_000))


def bev_credit_e11(v):
    """A BEV's credit before rounding, in 10⁻¹¹ (standard 10⁻⁷ × two factors 10⁻¹ × EC 10⁻²)."""
    import numpy as np
    range_, density = v["range_km"], v["energy_density_wh_per_kg"]
    standard = np.where(range_ < 100_000, 0, np.where(range_ < 150_000, 6_000_000,
                                                      np.minimum(23_000_000, 34 * range_ + 2_000_000)))
    range_factor = np.where(range_ < 150_000, 7, np.where(range_ < 200_000, 8, np.where(range_ < 300_000, 9, 10)))
    density_factor = np.where(density < 90_000, 0, np.where(density < 105_000, 7,
                                                            np.where(density < 125_000, 8, 10)))
    target = consumption_target_e7(v["curb_mass_kg"])
    consumption = np.maximum(v["electricity_consumption"], 1) * 10_000  # 10⁻⁷; absent (0) only off BEVs
    ec_factor = np.where(consumption <= target, np.minimum(150, half_up(100 * target, consumption)), 50)
    credit = standard * range_factor * density_factor * ec_factor
    return np.where(v["max_speed_30min"] >= 100_000, credit, 0)


def phev_credit_cents(v):
    """A PHEV's credit in cents: 1, or 0.5 unless both tests of Annex 2 item 2 pass (strictly)."""
    import numpy as np
    full = ((10 * v["cs_fuel_consumption"] < 7 * v["gb19578_limit"])
            & (1_000_000 * v["cd_electricity_consumption"] < 135 * consumption_target_e7(v["curb_mass_kg"])))
    return np.where(full, 100, 50)


def fcv_credit_cents(v):
    """An FCV's credit in cents: min(4, 0.05 P), halved unless Annex 2 item 3 is met."""
    import numpy as np
    power = v["fc_rated_power_kw"]
    standard = np.minimum(400_000, 5 * power)  # 10⁻⁵
    full = (v["hydrogen_range_km"] >= 300_000) & (10 * power >= 3 * v["motor_rated_power_kw"]) & (power >= 10_000)
    return half_up(standard * np.where(full, 10, 5), 10_000)


NEV_CREDIT = {  # fuel type → (its fields, its model credit in cents)
    "bev": (("range_km", "energy_density_wh_per_kg", "curb_mass_kg", "electricity_consumption", "max_speed_30min"),
            lambda v: half_up(bev_credit_e11(v), 10 ** 9)),
    "phev": (("cs_fuel_consumption", "gb19578_limit", "cd_electricity_consumption", "curb_mass_kg"),
             phev_credit_cents),
    "fcv": (("fc_rated_power_kw", "hydrogen_range_km", "motor_rated_power_kw"), fcv_credit_cents),
}


def enterprise_results(e):
    """nev_credit_actual, cafc_actual, cafc_credit per enterprise, exact, from per-enterprise int64 sums
    (credit cents, fuel and target in thousandths, counted volume in tenths, vehicles)."""
    import numpy as np
    nev = half_up(e["credit_cents"], 100)
    actual = half_up(e["fuel"], e["counted"])  # cents of L/100km
    target_value = half_up(e["target"], 10 * e["vehicles"])
    eligible = (e["vehicles"] <= 2000) & (((e["kind"] == "domestic") & e["small"]) | (e["kind"] == "import_authorized"))
    decline = e["previous"] - 10 * actual  # thousandths; ≥ 4% of previous → 60%, ≥ 2% → 30% (notice 378)
    relaxation = np.where(~eligible, 0, np.where(100 * decline >= 4 * e["previous"], 60,
                                                 np.where(100 * decline >= 2 * e["previous"], 30, 0)))
    target = half_up(target_value * e["requirement"] * (100 + relaxation), 10 ** 7)
    accounted = ~((e["kind"] == "import_unauthorized") & (e["vehicles"] <= 2000))
    credit = np.where(accounted, half_up((target - actual) * e["vehicles"], 100), 0)
    return {"nev_credit_actual": nev, "cafc_actual": [Decimal(int(a)).scaleb(-2) for a in actual],
            "cafc_credit": credit}


# ---- the data: a catalogue of models, then one row per vehicle ------------------------------

def catalogue():
    """(models, weights): a pyarrow Table of one row per model with its enterprise's inputs and its
    attributes (null where its powertrain has no such field), and the models' shares of the
    vehicles. Deterministic (seeded)."""
    import numpy as np
    import pyarrow as pa
    rng = np.random.default_rng(SEED)
    size = 1 / np.arange(1, ENTERPRISES + 1) ** 1.1  # a few giants, many small makers
    counts = np.maximum(3, np.round(30 * ENTERPRISES * np.sqrt(size) / np.sqrt(size).sum())).astype(int)
    owner = np.repeat(np.arange(ENTERPRISES), counts)
    n = len(owner)
    weight = rng.lognormal(0, 1.2, n) * (size / np.bincount(owner, minlength=ENTERPRISES))[owner]
    fuel = rng.choice(list(FUEL_TYPES), n, p=np.array(list(FUEL_TYPES.values())) / sum(FUEL_TYPES.values()))
    of_type = {f: fuel == f for f in FUEL_TYPES}
    nan = np.full(n, np.nan)
    mass = rng.integers(90, 261, n) * 10.0
    at_bound = rng.random(n) < 0.05  # the bounds of Y's segments
    mass[at_bound] = rng.choice([1000.0, 1600.0], at_bound.sum())
    target = np.round(2.6 + mass * 0.002 + rng.normal(0, 0.3, n), 1)
    conventional = ~np.isin(fuel, NEV)
    fuel_consumption = np.where(conventional, np.round(target * rng.uniform(0.8, 1.25, n), 1), nan)
    low_fuel_edge = conventional & (rng.random(n) < 0.15)  # exactly round(target × 108%, 2)
    fuel_consumption[low_fuel_edge] = np.round(target[low_fuel_edge] * 1.08, 2)  # never a tie: 108 × t is even
    v = {"curb_mass_kg": mass, "fuel_consumption": fuel_consumption, "target_fuel_consumption": target}
    v |= {f: nan.copy() for f in NUMBER_FIELDS if f not in v}

    bev = np.flatnonzero(of_type["bev"])
    pool = _bev_pool(rng, 40 * len(bev) + 1000)
    ties = bev_credit_e11(_milli(pool)) % 10 ** 9 == 5 * 10 ** 8
    tie_rows = rng.random(len(bev)) < 0.5  # half the BEVs are exact ties before rounding
    picks = np.where(tie_rows, rng.choice(np.flatnonzero(ties), len(bev)), rng.choice(np.flatnonzero(~ties), len(bev)))
    for field, values in pool.items():
        v[field][bev] = values[picks]
    phev = np.flatnonzero(of_type["phev"])
    v["fuel_consumption"][phev] = rng.integers(8, 26, len(phev)) / 10
    v["range_km"][phev] = rng.integers(50, 201, len(phev))
    limit = rng.integers(60, 96, len(phev)) / 10
    v["gb19578_limit"][phev] = limit
    v["cs_fuel_consumption"][phev] = np.where(rng.random(len(phev)) < 0.3, np.round(0.7 * limit, 2),
                                              rng.integers(35, 76, len(phev)) / 10)
    y = consumption_target_e7(np.round(mass[phev] * 1000).astype(np.int64)) / 1e7
    v["cd_electricity_consumption"][phev] = np.where(rng.random(len(phev)) < 0.3, np.round(1.35 * y, 3),
                                                     rng.integers(120, 300, len(phev)) / 10)
    fcv = np.flatnonzero(of_type["fcv"])
    v["fc_rated_power_kw"][fcv] = rng.integers(300, 1200, len(fcv)) / 10  # 0.05 × P: a tie when P ends in an odd tenth
    v["motor_rated_power_kw"][fcv] = rng.integers(100, 200, len(fcv))
    v["hydrogen_range_km"][fcv] = rng.choice([280, 300, 450, 650], len(fcv))
    kinds = np.where(np.arange(ENTERPRISES) % 12 == 5, "import_authorized",
                     np.where(np.arange(ENTERPRISES) % 19 == 7, "import_unauthorized", "domestic"))
    enterprises = pa.table({
        "enterprise": [f"E{e + 1:03d}" for e in range(ENTERPRISES)], "year": [2024] * ENTERPRISES,
        "enterprise_kind": kinds, "small_independent": (kinds == "domestic") & (np.arange(ENTERPRISES) >= 110),
        "cafc_requirement": [CAFC_REQUIREMENT_2024] * ENTERPRISES,
        "previous_cafc": np.round(rng.uniform(3.0, 7.0, ENTERPRISES), 2)}).take(owner)
    models = pa.table({
        **{name: enterprises.column(name) for name in ("enterprise", *ENTERPRISE_COLUMNS)},
        "model": [f"{e}-M{i:04d}" for i, e in enumerate(enterprises.column("enterprise").to_pylist())],
        "fuel_type": fuel, "seat_rows": np.where(rng.random(n) < 0.85, 2, 3),
        **{f: pa.array(np.round(v[f], 3), from_pandas=True) for f in NUMBER_FIELDS}})
    return models, weight


def _bev_pool(rng, n):
    """Candidate BEV attributes: plain values, and one in four on a threshold of Annex 2."""
    import numpy as np
    mass = rng.integers(90, 261, n) * 10.0
    pool = {"curb_mass_kg": mass, "range_km": rng.integers(20, 141, n) * 5.0,
            "energy_density_wh_per_kg": rng.integers(88, 200, n) * 1.0,
            "electricity_consumption": rng.integers(100, 251, n) / 10,
            "max_speed_30min": rng.choice([99.0, 100.0, 120.0, 135.0, 150.0, 180.0], n, p=[.03, .1, .27, .2, .2, .2])}
    edge = rng.random(n) < 0.25
    pool["range_km"][edge] = rng.choice([95.0, 100.0, 150.0, 200.0, 300.0], edge.sum())
    pool["energy_density_wh_per_kg"][edge] = rng.choice([90.0, 105.0, 125.0], edge.sum())
    at_y = rng.random(n) < 0.25  # consumption exactly Y ("满足目标值" is ≤ Y)
    pool["electricity_consumption"][at_y] = consumption_target_e7(
        np.round(mass[at_y] * 1000).astype(np.int64)) / 1e7
    return {k: np.round(values, 3) for k, values in pool.items()}


def _milli(columns):
    """Float columns (at most 3 decimals, NaN for absent) as int64 thousandths, absent as 0."""
    import numpy as np
    return {k: np.round(np.nan_to_num(np.asarray(c, dtype=float)) * 1000).astype(np.int64) for k, c in columns.items()}


def volumes(weight, rows):
    """Vehicles per model: `rows` shared out by weight (largest remainder), so they add up exactly."""
    import numpy as np
    share = weight / weight.sum() * rows
    whole = np.floor(share).astype(np.int64)
    whole[np.argsort(whole - share)[:rows - whole.sum()]] += 1
    return whole


def write_vehicles(path: Path, rows: int) -> None:
    """One row per vehicle in a random order, written in row groups of ROW_GROUP rows: each group
    draws its models from the vehicles not yet written (multivariate hypergeometric), so memory
    is one row group and the models' volumes are exact."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    models, weight = catalogue()
    remaining = volumes(weight, rows)
    rng = np.random.default_rng(SEED + rows)
    temporary = path.with_name(path.name + ".tmp")
    with pq.ParquetWriter(temporary, models.schema) as writer:
        while remaining.sum():
            drawn = rng.multivariate_hypergeometric(remaining, min(ROW_GROUP, int(remaining.sum())))
            remaining -= drawn
            order = np.repeat(np.arange(len(drawn)), drawn)
            rng.shuffle(order)
            writer.write_table(models.take(pa.array(order)), row_group_size=ROW_GROUP)
    os.replace(temporary, path)


def write_per_model(path: Path, rows: int) -> None:
    """The same vehicles as one record per model with its volume: one JSON applicant per enterprise."""
    models, weight = catalogue()
    applicants: dict[str, dict] = {}
    for model, volume in zip(models.to_pylist(), volumes(weight, rows).tolist()):
        if volume == 0:
            continue
        name = model.pop("enterprise")
        applicant = applicants.setdefault(name, {"name": name, **{k: model[k] for k in ENTERPRISE_COLUMNS},
                                                 "models": []})
        record = {k: value for k, value in model.items() if k not in ENTERPRISE_COLUMNS and value is not None}
        applicant["models"].append(record | {"volume": volume})
    path.write_text(json.dumps({"applicants": list(applicants.values())}), encoding="utf-8")


# ---- the implementations (each run by `--implementation NAME DATA OUT` in its own process) ----

def polars_results(data: Path) -> tuple[dict[str, dict], float]:
    """Per-vehicle float64 credits, summed per enterprise, as one would write it in Polars;
    (results, seconds from the query's construction to its result)."""
    import polars as pl
    started = time.perf_counter()
    c, when, half_up_ = pl.col, pl.when, "half_away_from_zero"
    mass, range_, density = c("curb_mass_kg"), c("range_km"), c("energy_density_wh_per_kg")
    power = c("fc_rated_power_kw")
    fuel, consumption = c("fuel_type"), c("electricity_consumption")
    y = when(mass <= 1000).then(0.0112 * mass + 0.4).when(mass <= 1600).then(0.0078 * mass + 3.8) \
        .otherwise(0.0048 * mass + 8.6)
    standard = when(range_ < 100).then(0.0).when(range_ < 150).then(0.6) \
        .otherwise(pl.min_horizontal(2.3, 0.0034 * range_ + 0.2))
    range_factor = when(range_ < 150).then(0.7).when(range_ < 200).then(0.8).when(range_ < 300).then(0.9).otherwise(1.0)
    density_factor = when(density < 90).then(0.0).when(density < 105).then(0.7).when(density < 125).then(0.8) \
        .otherwise(1.0)
    ec_factor = when(consumption <= y).then(pl.min_horizontal(1.5, (y / consumption).round(2, half_up_))).otherwise(0.5)
    bev = when(c("max_speed_30min") >= 100).then(standard * range_factor * density_factor * ec_factor).otherwise(0.0)
    phev = when((c("cs_fuel_consumption") < 0.7 * c("gb19578_limit"))
                & (c("cd_electricity_consumption") < 1.35 * y)).then(1.0).otherwise(0.5)
    fcv_full = (c("hydrogen_range_km") >= 300) & (power >= 0.3 * c("motor_rated_power_kw")) & (power >= 10)
    fcv = pl.min_horizontal(4.0, 0.05 * power) * when(fcv_full).then(1.0).otherwise(0.5)
    credit = when(fuel == "bev").then(bev).when(fuel == "phev").then(phev).when(fuel == "fcv").then(fcv) \
        .otherwise(0.0).round(2, half_up_)
    nev_multiplier = NEV_MULTIPLIER_2024[0] / NEV_MULTIPLIER_2024[1]
    sums = pl.scan_parquet(data).group_by("enterprise").agg(
        nev_credit_actual=credit.sum().round(0, half_up_),
        fuel=when(fuel.is_in(["bev", "fcv"])).then(0.0).otherwise(c("fuel_consumption")).sum(),
        counted=when(fuel.is_in(NEV)).then(nev_multiplier).otherwise(1.0).sum(),
        target_value=c("target_fuel_consumption").mean().round(2, half_up_), vehicles=pl.len(),
        **{k: c(k).first() for k in ENTERPRISE_COLUMNS})
    kind, vehicles, previous = c("enterprise_kind"), c("vehicles"), c("previous_cafc")
    eligible = (vehicles <= 2000) & (((kind == "domestic") & c("small_independent")) | (kind == "import_authorized"))
    decline = (previous - c("cafc_actual")) / previous
    relaxation = when(~eligible).then(0.0).when(decline >= 0.04).then(0.6).when(decline >= 0.02).then(0.3) \
        .otherwise(0.0)
    target = (c("target_value") * c("cafc_requirement") / 100 * (1 + relaxation)).round(2, half_up_)
    accounted = ~((kind == "import_unauthorized") & (vehicles <= 2000))
    frame = sums.with_columns(cafc_actual=(c("fuel") / c("counted")).round(2, half_up_)).with_columns(
        cafc_credit=when(accounted).then(((target - c("cafc_actual")) * vehicles).round(0, half_up_)).otherwise(0.0)
    ).select("enterprise", *COMPARED).collect()
    seconds = time.perf_counter() - started
    return {row.pop("enterprise"): row for row in frame.to_dicts()}, seconds


def numpy_results(data: Path) -> tuple[dict[str, dict], float]:
    """Exact per-vehicle credits in int64 fixed point (inputs in thousandths), the table in memory,
    each powertrain's credit computed on its own rows; (results, seconds from reading to the result)."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    started = time.perf_counter()
    text = ["enterprise", "fuel_type", "enterprise_kind"]
    columns = [*text, *NUMBER_FIELDS, "small_independent", "cafc_requirement", "previous_cafc"]
    table = pq.read_table(data, columns=columns, read_dictionary=text).unify_dictionaries()

    def codes(name):  # one shared dictionary after unify_dictionaries: (its values, int32 codes per row)
        chunks = table.column(name).chunks
        return chunks[0].dictionary.to_pylist(), np.concatenate([c.indices.to_numpy() for c in chunks])

    def milli(name, rows=slice(None)):
        return np.round(pc.fill_null(table.column(name), 0).to_numpy()[rows] * 1000).astype(np.int64)

    names, owner = codes("enterprise")
    fuel_names, fuel = codes("fuel_type")
    fuel_is = {f: fuel == fuel_names.index(f) if f in fuel_names else np.zeros(len(fuel), bool) for f in FUEL_TYPES}

    def per_enterprise(values, rows=slice(None)):  # exact int64 sums
        sums = np.zeros(len(names), dtype=np.int64)
        np.add.at(sums, owner[rows], values)
        return sums

    credit_cents = np.zeros(len(names), dtype=np.int64)
    for fuel_type, (fields, credit) in NEV_CREDIT.items():
        rows = np.flatnonzero(fuel_is[fuel_type])
        credit_cents += per_enterprise(credit({f: milli(f, rows) for f in fields}), rows)
    zero_fuel = fuel_is["bev"] | fuel_is["fcv"]
    nev = zero_fuel | fuel_is["phev"]
    vehicles = np.bincount(owner, minlength=len(names))
    first = np.empty(len(names), dtype=np.int64)
    first[owner] = np.arange(len(owner))  # some row of each enterprise, for its (constant) inputs
    kinds, kind = codes("enterprise_kind")
    results = enterprise_results({
        "credit_cents": credit_cents, "fuel": per_enterprise(np.where(zero_fuel, 0, milli("fuel_consumption"))),
        "counted": NEV_MULTIPLIER_2024[1] * vehicles + (NEV_MULTIPLIER_2024[0] - NEV_MULTIPLIER_2024[1])
        * np.bincount(owner[nev], minlength=len(names)),
        "target": per_enterprise(milli("target_fuel_consumption")), "vehicles": vehicles,
        "kind": np.array(kinds)[kind[first]], "small": table.column("small_independent").take(first).to_numpy(),
        "requirement": milli("cafc_requirement", first), "previous": milli("previous_cafc", first)})
    seconds = time.perf_counter() - started
    return {name: {k: str(results[k][i]) for k in COMPARED} for i, name in enumerate(names)}, seconds


def rulecheck_results(data: Path) -> tuple[dict[str, dict], float]:
    """Grouping and evaluation in this process, as `rulecheck run --records` does (grouped records,
    then the batch evaluator over the enterprises), timed after the rules are loaded and the
    modules imported."""
    import pyarrow.acero  # noqa: F401 — imported by the grouping; start-up, not compute
    import pyarrow.parquet  # noqa: F401
    from dsl.checker import check
    from dsl.loader import load_ruleset
    from engine.batch import compile_batch, evaluate_values
    from engine.compiler import compile_rules
    from engine.per_record import load_grouped
    batch_plan = compile_batch(compile_rules(check(load_ruleset(RULES))))
    plan = batch_plan.plan
    started = time.perf_counter()
    applicants = load_grouped(data, plan.symbols.inputs, [d.name for d in plan.symbols.indicators],
                              "models", "volume", "enterprise")
    cells, unsure = evaluate_values(batch_plan, [a.values for a in applicants])
    seconds = time.perf_counter() - started
    if unsure.any():
        raise SystemExit(f"{int(unsure.sum())} enterprises left to the scalar evaluator: not a batch timing")
    return {a.key: {k: cells[k][i].as_py() for k in COMPARED} for i, a in enumerate(applicants)}, seconds


IMPLEMENTATIONS = {"polars": polars_results, "numpy": numpy_results, "rulecheck-compute": rulecheck_results}


# ---- the harness ---------------------------------------------------------------------------

# Runs a command and reports its wall time and peak RSS. The peak is measured in this fresh, small
# process: a child started by a large process (vfork, then exec) reports that process's peak RSS as its
# own, and RUSAGE_CHILDREN is the largest of all children so far.
_LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
print(json.dumps({"seconds": time.perf_counter() - started, "code": done.returncode,
                  "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "errors": done.stderr.decode(errors="replace")}))
"""


def _timed(command: list[str], repeat: int = 1) -> tuple[float, float]:
    """(fastest wall seconds, largest peak RSS MiB) of `repeat` runs of `command`, each a fresh process."""
    runs = []
    for _ in range(repeat):
        launched = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], cwd=ROOT, capture_output=True,
                                  text=True, check=True)
        run = json.loads(launched.stdout)
        if run["code"] != 0:
            raise SystemExit(f"{' '.join(command)} failed ({run['code']}):\n{run['errors']}")
        runs.append((run["seconds"], run["peak_mib"]))
    return min(seconds for seconds, _ in runs), max(peak for _, peak in runs)


def _rulecheck(data: Path, out: Path, *extra: str, repeat: int = 1) -> tuple[dict[str, dict], float, float]:
    """Per-enterprise results (result → text or None) of `rulecheck run DATA -o OUT`, wall seconds, MiB."""
    import pyarrow.parquet as pq
    seconds, peak = _timed([sys.executable, "-m", "engine.cli", "run", str(RULES), str(data), *extra,
                            "-o", str(out)], repeat)
    rows = pq.read_table(out).to_pylist()
    return {row.pop("key"): {k: v for k, v in row.items() if k != "row"} for row in rows}, seconds, peak


def _implementation(name: str, data: Path, out: Path, repeat: int = 1) -> tuple[dict[str, dict], float, float, float]:
    """(results, fastest compute seconds, fastest wall seconds, MiB) of one implementation, own processes."""
    computes = []
    for _ in range(repeat):
        seconds, peak = _timed([sys.executable, __file__, "--implementation", name, str(data), str(out)])
        found = json.loads(out.read_text(encoding="utf-8"))
        computes.append((found["compute_s"], seconds, peak))
    return found["results"], min(c for c, _, _ in computes), min(s for _, s, _ in computes), \
        max(p for _, _, p in computes)


def _differing(results: dict[str, dict], exact: dict[str, dict], keys) -> int:
    """Enterprises with any of `keys` numerically different from the exact result (None: no conclusion)."""
    def number(value):
        return None if value is None else Decimal(str(value))
    return sum(any(number(results.get(e, {}).get(k)) != number(exact[e][k]) for k in keys) for e in exact)


def _grouping_changes(per_vehicle: dict[str, dict], per_model: dict[str, dict]) -> int:
    """Enterprises whose results differ between the per-vehicle and the per-model data (the
    per-model list `models` compared as a set: the grouped records come in another order)."""
    def canonical(results):
        models = sorted(json.loads(results["models"]), key=lambda m: m["model"]) if results.get("models") else None
        return {**results, "models": models}
    return sum(canonical(per_vehicle.get(e, {})) != canonical(per_model[e]) for e in per_model) + \
        len(set(per_vehicle) - set(per_model))


def measure(rows: int, workdir: Path, quick: bool, repeat: int = 1) -> list[dict]:
    """Benchmark rows for `rows` vehicles (10⁵ at most when `quick`), files cached in `workdir`;
    times are the fastest of `repeat` runs (the least disturbed by the machine)."""
    import importlib.util
    rows = min(rows, QUICK_ROWS) if quick else rows
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / f"vehicles-v{GENERATOR_VERSION}-{rows}.parquet"
    if not data.exists():
        _timed([sys.executable, __file__, "--generate", str(rows), str(data)])
    per_model_data = workdir / f"vehicles-models-v{GENERATOR_VERSION}-{rows}.json"
    write_per_model(per_model_data, rows)
    per_model, _, _ = _rulecheck(per_model_data, workdir / f"vehicles-per-model-results-{rows}.parquet")
    exact, end_to_end, peak = _rulecheck(data, workdir / f"vehicles-results-{rows}.parquet",
                                         "--records", "models", "--count", "volume", "--by", "enterprise",
                                         repeat=repeat)
    _, compute, _, _ = _implementation("rulecheck-compute", data, workdir / f"vehicles-compute-{rows}.json", repeat)
    grouping_changed = _grouping_changes(exact, per_model)
    out = [{"part": "vehicles", "size": rows, "implementation": "rulecheck run --records (exact)",
            "end_to_end_s": end_to_end, "compute_s": compute, "peak_mib": peak, "differing": grouping_changed,
            "note": "differing: vs the per-model data (all results)"}]
    for name, label in (("polars", "Polars (float64)"), ("numpy", "NumPy int64 fixed-point (exact)")):
        if name == "polars" and importlib.util.find_spec("polars") is None:
            out.append({"part": "vehicles", "size": rows, "implementation": label, "end_to_end_s": None,
                        "compute_s": None, "peak_mib": None, "differing": None, "note": "polars not installed"})
            continue
        results, compute, end_to_end, peak = _implementation(name, data, workdir / f"vehicles-{name}-{rows}.json",
                                                             repeat)
        wrong = {k: _differing(results, exact, [k]) for k in COMPARED}
        out.append({"part": "vehicles", "size": rows, "implementation": label, "end_to_end_s": end_to_end,
                    "compute_s": compute, "peak_mib": peak, "differing": _differing(results, exact, COMPARED),
                    "note": ", ".join(f"{k} {n}" for k, n in wrong.items() if n) or "same as rulecheck"})
    return out


def _table(rows: list[dict]) -> str:
    def cell(value, digits):
        return "—" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    header = ("rows", "implementation", "end to end s", "compute s", "peak MiB", "differing", "note")
    lines = [(f"{r['size']:,}", r["implementation"], cell(r["end_to_end_s"], 2), cell(r["compute_s"], 2),
              cell(r["peak_mib"], 0), cell(r["differing"], 0), r["note"]) for r in rows]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(line, widths)).rstrip() for line in [header, *lines])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000], help="vehicle rows (default 10⁶)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows (CI)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest counts")
    parser.add_argument("--implementation", nargs=3, metavar=("NAME", "DATA", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("ROWS", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.implementation:
        name, data, out = args.implementation
        sys.path.insert(0, str(ROOT))
        results, seconds = IMPLEMENTATIONS[name](Path(data))
        Path(out).write_text(json.dumps({"compute_s": seconds, "results": results}, default=str), encoding="utf-8")
        return 0
    if args.generate:
        write_vehicles(Path(args.generate[1]), int(args.generate[0]))
        return 0
    sizes = [QUICK_ROWS] if args.quick else args.rows
    rows = [row for size in sizes for row in measure(size, RESULTS, args.quick, args.repeat)]
    print(_table(rows))
    (RESULTS / "vehicles.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    changed = [r for r in rows if r["implementation"].startswith("rulecheck") and r["differing"]]
    if changed:
        print("the per-vehicle file does not give the results of the per-model data", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
