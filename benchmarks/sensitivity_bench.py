"""Benchmark: Sobol' sensitivity of a 20,000-person, 30-year model (issue 7).

Target: Sobol' with 10 parameters at N = 256 (``N * (D + 2)`` = 3,072 evaluations
without second-order indices; ``N * (2D + 2)`` = 5,632 with them) completes in at most
30 minutes on a 2-core machine.

Usage::

    python benchmarks/sensitivity_bench.py --single            # time one evaluation, extrapolate
    python benchmarks/sensitivity_bench.py --full --workers 2  # the whole study (long)

``--single`` times one run of the baseline scenario at 20,000 persons over 30 years
(the tables a sensitivity study keeps) and projects the wall time of 5,632 evaluations
on ``--workers`` workers assuming perfect parallel scaling.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = 10
N = 256
EVALUATIONS = N * (2 * PARAMETERS + 2)

STUDY = """
[sensitivity]
name = "bench_sobol"
scenarios = ["{root}/scenarios/baseline.toml"]
replicates = 1
seed = 1
method = "sobol"
n = {n}
second_order = true

[overrides.population]
persons = 20000

[overrides.time]
years = 30

{parameters}

[[outputs]]
name = "M0_6_17"
table = "moda"
measure = "moda_M0_6_17"
year = "last"
"""


def single(seed: int = 1) -> float:
    """Seconds of one 20,000-person, 30-year evaluation (baseline, sensitivity outputs)."""
    from povsim.runner import run_replicate
    from povsim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(
        population={"persons": 20000}, time={"years": 30})
    t0 = time.perf_counter()
    run_replicate(sc, seed)
    return time.perf_counter() - t0


def full(workers: int, out: str | None) -> float:
    """Run the whole Sobol' study and return its wall time."""
    from povsim.params import registry
    from povsim.sensitivity import run_sensitivity

    names = [n for n, p in registry().items() if not p.integer][:PARAMETERS]
    params = "\n".join(f"[parameters.{n}]" for n in names)
    folder = Path(out or tempfile.mkdtemp(prefix="sens-bench-"))
    file = folder / "bench.toml"
    folder.mkdir(parents=True, exist_ok=True)
    file.write_text(STUDY.format(root=ROOT, n=N, parameters=params), encoding="utf-8")
    t0 = time.perf_counter()
    run_sensitivity(file, out=folder / "results", workers=workers, figures=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--single", action="store_true", help="time one evaluation and extrapolate")
    ap.add_argument("--full", action="store_true", help="run the whole study")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="evaluations to time with --single")
    ap.add_argument("--out", help="folder for --full")
    args = ap.parse_args()
    if args.full:
        secs = full(args.workers, args.out)
        print(f"Sobol' D={PARAMETERS} N={N}: {EVALUATIONS} evaluations in {secs / 60:.1f} min")
        return
    times = [single(seed) for seed in range(1, args.repeat + 1)]
    per = min(times)
    total = per * EVALUATIONS / args.workers
    print(f"one evaluation (20,000 persons, 30 years): {per:.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"projected: {EVALUATIONS} evaluations on {args.workers} workers: {total / 60:.1f} min "
          f"(target 30 min: {'met' if total <= 1800 else 'NOT met'})")
    n_first = N * (PARAMETERS + 2)
    print(f"without second-order indices ({n_first} evaluations): {per * n_first / args.workers / 60:.1f} min")


if __name__ == "__main__":
    main()
