"""povsim beside a peer framework, in one sitting: person-years per second and peak memory.

Usage::

    python benchmarks/peers.py [--persons 1000000] [--years 60] [--repeat 1]

Runs, each in its own child process of this one (so each peak RSS is its own), one after
the other: povsim's default scenario, povsim's full package
(``scenarios/full_package.toml``), the same scenario without its interventions
(``scenarios/baseline.toml``: the 1:1 Hubei geography, fitted parameters, outcomes by
county, arm and area), and a Starsim model with comparable demography —
births by pregnancy (Starsim's common-random-number-safe set-up), deaths by an
age-independent crude rate near povsim's, and one economic module (a persistent
log-income process drawn per agent each year).  Prints one line per run and the ratios of
povsim's rates to Starsim's, and what the interventions cost: the full package's rate
over its baseline's (full over default mixes the interventions with the baseline's own
geography, parameters and outcome groups).  povsim runs its per-person passes on every core
(:mod:`povsim._threads`); the default scenario is also run on one thread
(``POVSIM_THREADS=1``), the like-for-like comparison with Starsim's numpy operations.
Starsim is an optional benchmark dependency (``pip install starsim``); without it only
povsim runs.

The Starsim model does less per person-year than povsim (no households, partnership,
schooling, migration, MODA or outcome tables), so the ratio understates povsim's speed
per unit of modelled detail.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _povsim(persons: int, years: int, scenario: str | None, threads: int | None = None) -> dict:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--persons", str(persons),
           "--years", str(years)]
    if scenario:
        cmd += ["--scenario", str(ROOT / scenario)]
    env = dict(os.environ, **({"POVSIM_THREADS": str(threads)} if threads else {}))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {"rate": r["person_years_per_s"], "peak_rss_mb": r["peak_rss_mb"],
            "seconds": r["seconds"]}


def _starsim_child(persons: int, years: int) -> None:
    """Run the Starsim model in this (child) process and print a JSON line."""
    import numpy as np
    import starsim as ss

    class Economy(ss.Module):
        """Persistent log income: ``ln y_t = ln y_{t-1} + g + sd * z_t`` per agent."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.define_pars(growth=0.02, sd=0.3)
            self.define_states(ss.FloatArr("log_income", default=ss.normal(8.8, 0.6)))
            self.shock = ss.normal(0, 1)

        def step(self):
            alive = self.sim.people.alive.uids
            self.log_income[alive] = (self.log_income[alive] + self.pars.growth
                                      + self.pars.sd * self.shock.rvs(alive))

    class Count(ss.Analyzer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.person_years = 0

        def step(self):
            self.person_years += int(self.sim.people.alive.count())

    def make(n):
        return ss.Sim(n_agents=n, start=2014, stop=2014 + years, dt=1, rand_seed=1,
                      demographics=[ss.Pregnancy(fertility_rate=60), ss.Deaths(death_rate=8)],
                      modules=[Economy()], analyzers=[Count()], verbose=0)

    make(4000).run()  # warm-up: imports, Numba compilation
    t = time.perf_counter()
    sim = make(persons)
    sim.run()
    seconds = time.perf_counter() - t
    py = sim.analyzers[0].person_years
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"rate": round(py / seconds), "peak_rss_mb": round(peak, 1),
                      "seconds": round(seconds, 2), "person_years": py,
                      "final_agents": int(np.sum(sim.people.alive))}))


def _starsim(persons: int, years: int) -> dict | None:
    try:
        import starsim  # noqa: F401
    except ImportError:
        return None
    out = subprocess.run([sys.executable, __file__, "--starsim-child", "--persons", str(persons),
                          "--years", str(years)], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each model (best kept)")
    ap.add_argument("--starsim-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.starsim_child:
        _starsim_child(a.persons, a.years)
        return 0
    runs = {"povsim default": lambda: _povsim(a.persons, a.years, None),
            "povsim default, one thread": lambda: _povsim(a.persons, a.years, None, threads=1),
            "povsim full package": lambda: _povsim(a.persons, a.years, "scenarios/full_package.toml"),
            "povsim baseline (full package's, no programme)":
                lambda: _povsim(a.persons, a.years, "scenarios/baseline.toml"),
            "starsim 3 (pregnancy, deaths, economy)": lambda: _starsim(a.persons, a.years)}
    best: dict[str, dict] = {}
    for _ in range(a.repeat):
        for name, fn in runs.items():
            r = fn()
            if r is None:
                print(f"{name:48s} not installed (pip install starsim)")
                continue
            print(f"{name:48s} {r['rate'] / 1e6:6.2f} M person-years/s  peak {r['peak_rss_mb']:7.1f} MB"
                  f"  ({r['seconds']:.1f} s)", flush=True)
            if name not in best or r["rate"] > best[name]["rate"]:
                best[name] = r
    ss_rate = best.get("starsim 3 (pregnancy, deaths, economy)", {}).get("rate")
    summary = {k: v["rate"] for k, v in best.items()}
    if ss_rate:
        for k in ("povsim default", "povsim default, one thread", "povsim full package"):
            summary[f"{k} / starsim"] = round(best[k]["rate"] / ss_rate, 2)
            print(f"{k} / starsim: {best[k]['rate'] / ss_rate:.2f}")
    base = best.get("povsim baseline (full package's, no programme)")
    if base and "povsim full package" in best:
        ratio = best["povsim full package"]["rate"] / base["rate"]
        summary["full package / its baseline"] = round(ratio, 3)
        print(f"povsim full package / its baseline: {ratio:.3f} (the interventions cost {1 - ratio:.0%} of the rate)")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
