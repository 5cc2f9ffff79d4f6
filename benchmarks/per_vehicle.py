"""Benchmark: one row per vehicle (Annex 1) through `rulecheck run --records`.

    python benchmarks/per_vehicle.py [--rows N] [--quick]

Expands the shipped 2024 dual-credit example enterprise (4 models, 67 000
vehicles) into one Parquet row per vehicle, scaled to about N rows (default
10⁶), and times `rulecheck run … --records models --count volume` in a fresh
process, reporting wall time and the peak memory of that process. Before
timing, it checks that the unscaled per-vehicle file gives exactly the results
of the per-model YAML file: grouping must not change an answer.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = ROOT / "standards" / "dual-credit" / "2024-notice-378"
RULES = VERSION / "dual-credit.rules"
EXAMPLE = VERSION / "examples" / "domestic-2024.yaml"
OUT = ROOT / "benchmarks" / "results"


def write_vehicles(path: Path, scale: int) -> int:
    """One row per vehicle of the example, every model's volume × `scale`."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import yaml

    example = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    enterprise = {k: v for k, v in example.items() if k not in ("models", "name")}
    fields = sorted({f for m in example["models"] for f in m if f != "volume"})
    writer, rows = None, 0
    for model in example["models"]:
        count = model["volume"] * scale
        columns = {name: pa.repeat(str(value) if isinstance(value, str) else value, count)
                   for name, value in enterprise.items()}
        for field in fields:
            value = model.get(field)
            columns[field] = pa.nulls(count, pa.float64()) if value is None and field != "model" \
                else pa.repeat(value, count)
        table = pa.table(columns)
        if writer is None:
            schema = pa.schema([(n, pa.string() if t == pa.null() else t) for n, t in
                                zip(table.schema.names, table.schema.types)])
            writer = pq.ParquetWriter(path, schema)
        writer.write_table(table.cast(writer.schema))
        rows += count
    writer.close()
    return rows


def run(data: Path, *extra: str) -> tuple[dict, float, float]:
    """(JSON results, wall seconds, peak RSS MiB) of one `rulecheck run` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "engine.cli", "run", str(RULES), str(data), "--format", "json",
                           *extra], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"rulecheck run failed ({done.returncode}):\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return json.loads(done.stdout)["results"], seconds, max(peak, before) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="about how many vehicle rows (default 10⁶)")
    parser.add_argument("--quick", action="store_true", help="the exactness check only (CI)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    per_model, _, _ = run(EXAMPLE)
    exact_file = OUT / "vehicles-1x.parquet"
    write_vehicles(exact_file, 1)
    per_vehicle, _, _ = run(exact_file, "--records", "models", "--count", "volume")
    for key in ("nev_credit_actual", "nev_credit_required", "nev_credit", "cafc_actual", "cafc_target", "cafc_credit"):
        if per_vehicle[key] != per_model[key]:
            raise SystemExit(f"{key}: per vehicle {per_vehicle[key]} ≠ per model {per_model[key]}")
    print("per-vehicle rows give exactly the per-model results:",
          {k: per_model[k] for k in ("nev_credit", "cafc_credit")})
    if args.quick:
        return 0
    scale = max(1, round(args.rows / 67_000))
    big = OUT / f"vehicles-{scale}x.parquet"
    rows = write_vehicles(big, scale)
    results, seconds, peak = run(big, "--records", "models", "--count", "volume")
    summary = {"rows": rows, "seconds": round(seconds, 2), "peak_rss_mib": round(peak), "nev_credit": results["nev_credit"],
               "cafc_credit": results["cafc_credit"]}
    print(json.dumps(summary, ensure_ascii=False))
    (OUT / "per_vehicle.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
