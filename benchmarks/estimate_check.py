"""The run-time and memory estimate of ``povsim run`` against measured runs on this machine.

Runs one replicate of a few scenarios and sizes, each in its own process (peak memory is
the process's), and prints the estimate of :func:`povsim.experiment.estimate.estimate_run`
beside the measured seconds and peak RSS.  With ``--fit`` it also prints the constants of
:data:`povsim.experiment.estimate.RUN_COST` fitted (least squares on relative error) to the
runs, for a machine, or a model, whose speed has changed.

Usage::

    python benchmarks/estimate_check.py [--quick] [--fit]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
POINTS = [("baseline.toml", p, y) for p in (20_000, 100_000, 400_000, 1_000_000) for y in (10, 30)] + \
         [("full_package.toml", p, y) for p in (20_000, 100_000, 400_000) for y in (10, 30)] + \
         [("hubei_pilot.toml", 240_000, 60), ("small.toml", 4_000, 20)]
QUICK = [("baseline.toml", 100_000, 30), ("full_package.toml", 100_000, 20), ("hubei_pilot.toml", 240_000, 30)]

MEASURE = """
import json, resource, sys, time
from povsim.experiment.estimate import _intervention_load, estimate_run
from povsim.runner import run_replicate
from povsim.scenario import load_scenario
sc = load_scenario(sys.argv[1]).with_overrides(population={"persons": int(sys.argv[2])},
                                               time={"years": int(sys.argv[3])})
run_replicate(sc.with_overrides(population={"persons": 2000}, time={"years": 2}), 1)  # compiled kernels loaded
t = time.perf_counter()
run_replicate(sc, 1)
seconds = time.perf_counter() - t
est = estimate_run(sc)
print(json.dumps({"persons": sc.total_persons, "years": sc.time.years, "load": _intervention_load(sc),
                  "seconds": seconds, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "est_seconds": est.replicate_seconds, "est_peak": est.replicate_bytes}))
"""


def measure(scenario: str, persons: int, years: int) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(ROOT / "scenarios" / scenario), str(persons),
                          str(years)], capture_output=True, text=True, check=True)
    return {"scenario": scenario, **json.loads(out.stdout.strip().splitlines()[-1])}


def fit(rows: list[dict]) -> dict[str, float]:
    """Least-squares constants of the cost model (relative errors)."""
    p, y, load = (np.array([r[k] for r in rows], dtype=float) for k in ("persons", "years", "load"))
    s, m = np.array([r["seconds"] for r in rows]), np.array([r["peak"] for r in rows], dtype=float)
    x = np.column_stack([np.ones_like(p), p, y, p * y, p * y * (load > 0), p * y * load])
    ct, *_ = np.linalg.lstsq(x / s[:, None], np.ones_like(s), rcond=None)
    xm = np.column_stack([np.ones_like(p), p, y, p * y * load])
    cm, *_ = np.linalg.lstsq(xm / m[:, None], np.ones_like(m), rcond=None)
    names = ["t0", "t_person", "t_year", "t_py", "t_py_programme", "t_py_intervention", "m0", "m_person", "m_year",
             "m_py_intervention"]
    return dict(zip(names, [*map(float, ct), *map(float, cm)], strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three runs instead of seventeen")
    ap.add_argument("--fit", action="store_true", help="print the cost-model constants fitted to the runs")
    args = ap.parse_args()
    rows = []
    print(f"{'scenario':20s} {'persons':>9s} {'years':>5s} {'seconds':>8s} {'est.':>8s} {'error':>6s} "
          f"{'peak MB':>8s} {'est.':>8s} {'error':>6s}")
    for point in QUICK if args.quick else POINTS:
        r = measure(*point)
        rows.append(r)
        print(f"{r['scenario']:20s} {r['persons']:9,d} {r['years']:5d} {r['seconds']:8.2f} {r['est_seconds']:8.2f} "
              f"{r['est_seconds'] / r['seconds'] - 1:+6.0%} {r['peak'] / 2**20:8.0f} {r['est_peak'] / 2**20:8.0f} "
              f"{r['est_peak'] / r['peak'] - 1:+6.0%}", flush=True)
    worst_t = max(abs(r["est_seconds"] / r["seconds"] - 1) for r in rows)
    worst_m = max(abs(r["est_peak"] / r["peak"] - 1) for r in rows)
    print(f"largest error: time {worst_t:.0%}, memory {worst_m:.0%}")
    if args.fit:
        print("RUN_COST =", json.dumps({k: float(f"{v:.3g}") for k, v in fit(rows).items()}))


if __name__ == "__main__":
    main()
