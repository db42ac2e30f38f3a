"""The run-time and memory estimate of ``povsim run`` against measured runs on this machine.

Runs one replicate of a few scenarios and sizes, each in its own process (peak memory is
the process's), and prints the estimate of :func:`povsim.experiment.estimate.estimate_run`
beside the measured seconds and peak RSS.  With ``--fit`` it also prints the constants of
:data:`povsim.experiment.estimate.RUN_COST` fitted (least squares on relative error) to the
runs, for a machine, or a model, whose speed has changed: the constants are those of one
kernel thread, so fit runs on one (``--threads 1``).  ``--serial`` runs each point on one
thread and on every core and prints :data:`povsim.experiment.estimate.SERIAL_SHARE`, the
share of the yearly work that the threads do not share (Amdahl's law).

Usage::

    python benchmarks/estimate_check.py [--quick] [--threads N] [--fit] [--serial]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

ROOT = Path(__file__).resolve().parents[1]
POINTS = [("baseline.toml", p, y) for p in (20_000, 100_000, 400_000, 1_000_000) for y in (10, 30)] + \
         [("full_package.toml", p, y) for p in (20_000, 100_000, 400_000) for y in (10, 30)] + \
         [("hubei_pilot.toml", 240_000, 60), ("small.toml", 4_000, 20)]
QUICK = [("baseline.toml", 100_000, 30), ("full_package.toml", 100_000, 20), ("hubei_pilot.toml", 240_000, 30)]

MEASURE = """
import json, resource, sys, time
from povsim._threads import count
from povsim.experiment.estimate import _intervention_load, estimate_run, spinup_seconds
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
                  "threads": count(), "spinup_py": spinup_seconds(sc, {"t_py": 1.0}),
                  "seconds": seconds, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "est_seconds": est.replicate_seconds, "est_peak": est.replicate_bytes}))
"""


def measure(scenario: str, persons: int, years: int, threads: int | None = None) -> dict:
    """One run in a process of its own, with an empty spin-up cache: the estimate counts a
    spin-up from history not yet cached."""
    with tempfile.TemporaryDirectory(prefix="povsim-estimate-") as cache:
        env = {**os.environ, "POVSIM_CACHE_DIR": cache}
        if threads is not None:
            env["POVSIM_THREADS"] = str(threads)
        out = subprocess.run([sys.executable, "-c", MEASURE, str(ROOT / "scenarios" / scenario), str(persons),
                              str(years)], capture_output=True, text=True, check=True, env=env)
    return {"scenario": scenario, **json.loads(out.stdout.strip().splitlines()[-1])}


def fit(rows: list[dict]) -> dict[str, float]:
    """Least-squares constants of the cost model (relative errors), for one kernel thread."""
    from povsim.experiment.estimate import thread_speedup

    p, y, load, spin = (np.array([r[k] for r in rows], dtype=float)
                        for k in ("persons", "years", "load", "spinup_py"))
    speedup = np.array([thread_speedup(r["threads"]) for r in rows])
    s, m = np.array([r["seconds"] for r in rows]), np.array([r["peak"] for r in rows], dtype=float)
    # the spin-up's person-years cost t_py each (estimate.spinup_seconds); no constant is negative
    x = np.column_stack([np.ones_like(p), p, y,
                         *(c / speedup for c in (p * y + spin, p * y * (load > 0), p * y * load))])
    ct, _ = nnls(x / s[:, None], np.ones_like(s))
    xm = np.column_stack([np.ones_like(p), p, y, p * y * load])
    cm, _ = nnls(xm / m[:, None], np.ones_like(m))
    names = ["t0", "t_person", "t_year", "t_py", "t_py_programme", "t_py_intervention", "m0", "m_person", "m_year",
             "m_py_intervention"]
    return dict(zip(names, [*map(float, ct), *map(float, cm)], strict=True))


def serial_share(one: dict, many: dict) -> float:
    """The serial share of Amdahl's law from one point run on one thread (``one``) and on
    ``many["threads"]``: the yearly work (measured time less the cost model's fixed terms)
    takes ``serial + (1 - serial) / threads`` of its one-thread time."""
    from povsim.experiment.estimate import RUN_COST as c

    n = many["threads"]
    fixed = c["t0"] + c["t_person"] * one["persons"] + c["t_year"] * one["years"]
    work = one["seconds"] - fixed
    return ((many["seconds"] - fixed) / work - 1.0 / n) / (1.0 - 1.0 / n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="three runs instead of sixteen")
    ap.add_argument("--threads", type=int, default=None,
                    help="kernel threads of the measured runs (default: every core, as povsim run)")
    ap.add_argument("--fit", action="store_true", help="print the cost-model constants fitted to the runs")
    ap.add_argument("--serial", action="store_true",
                    help="run each point on one thread and on every core; print the serial share")
    args = ap.parse_args()
    rows = []
    print(f"{'scenario':20s} {'persons':>9s} {'years':>5s} {'threads':>7s} {'seconds':>8s} {'est.':>8s} "
          f"{'error':>6s} {'peak MB':>8s} {'est.':>8s} {'error':>6s}")
    shares = []
    for point in QUICK if args.quick else POINTS:
        runs = [measure(*point, 1), measure(*point)] if args.serial else [measure(*point, args.threads)]
        for r in runs:
            rows.append(r)
            print(f"{r['scenario']:20s} {r['persons']:9,d} {r['years']:5d} {r['threads']:7d} {r['seconds']:8.2f} "
                  f"{r['est_seconds']:8.2f} {r['est_seconds'] / r['seconds'] - 1:+6.0%} {r['peak'] / 2**20:8.0f} "
                  f"{r['est_peak'] / 2**20:8.0f} {r['est_peak'] / r['peak'] - 1:+6.0%}", flush=True)
        if args.serial and runs[1]["threads"] > 1:
            shares.append(serial_share(*runs))
    worst_t = max(abs(r["est_seconds"] / r["seconds"] - 1) for r in rows)
    worst_m = max(abs(r["est_peak"] / r["peak"] - 1) for r in rows)
    print(f"largest error: time {worst_t:.0%}, memory {worst_m:.0%}")
    if shares:
        print(f"serial share: {', '.join(f'{x:.2f}' for x in shares)}; median {float(np.median(shares)):.2f}")
    if args.fit:
        print("RUN_COST =", json.dumps({k: float(f"{v:.3g}") for k, v in fit(rows).items()}))


if __name__ == "__main__":
    main()
