"""Throughput of the full model: person-years per second and peak memory.

Usage::

    python benchmarks/throughput.py --persons 1000000 --years 60 [--seed 1]

Prints a progress line per decade and, as its last line, a JSON object with ``persons``,
``years``, ``person_years``, ``seconds``, ``person_years_per_s``, ``peak_rss_mb`` and
``warmup_seconds`` (a 4,000-person, 4-year run first compiles or loads the Numba kernels;
``--no-warmup`` times a cold start instead).
Targets (issue 13, one core): >= 8 million person-years/s at 1,000,000 persons over 60
years for the default scenario and >= 6 million with ``--scenario scenarios/full_package.toml``;
peak memory <= 0.7 GB at 1,000,000 persons.  ``--profile`` prints the time of each yearly
process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=None, help="scenario file (default: built-in default)")
    ap.add_argument("--profile", action="store_true", help="print time per process")
    ap.add_argument("--spinup", action="store_true",
                    help="keep the scenario's spin-up from history (default: a synthetic start, so that "
                         "the rate is the yearly processes' and not the spin-up cache's)")
    ap.add_argument("--no-warmup", action="store_true",
                    help="time the first run as is, Numba compilation included (a fresh checkout compiles "
                         "every kernel once, ~10-20 s, then loads them from its cache)")
    a = ap.parse_args(argv)

    from povsim.model import PovertyModel
    from povsim.scenario import Scenario, load_scenario

    base = load_scenario(a.scenario) if a.scenario else Scenario.default()
    pop = {"persons": a.persons} if a.spinup else {"persons": a.persons, "start": "synthetic"}
    s = base.with_overrides(population=pop, time={"years": a.years})
    warmup = 0.0
    if not a.no_warmup:
        # compile (or load from the cache) every kernel the default path uses, so that the
        # measured rate is the model's and not Numba's one-off compilation
        tw = time.perf_counter()
        PovertyModel(base.with_overrides(population={**pop, "persons": 4000}, time={"years": 4}),
                     seed=a.seed).run()
        warmup = time.perf_counter() - tw
    t0 = time.perf_counter()
    m = PovertyModel(s, seed=a.seed)
    t_init = time.perf_counter() - t0
    timings: dict[str, float] = {}
    if a.profile:
        # the processes are modules with a step(world, persons, scenario); time each one's step
        m.processes = [_Timed(proc, timings) for proc in m.processes]
    person_years = 0
    t1 = time.perf_counter()
    while m.world.year < m.end_year:
        person_years += m.persons
        m.step()
        if m.world.t % 10 == 0:
            print(f"year {m.world.year}: {m.persons:,} persons, "
                  f"{time.perf_counter() - t1:.1f} s", file=sys.stderr)
    seconds = time.perf_counter() - t0
    if a.profile:
        for k, v in sorted(timings.items(), key=lambda kv: -kv[1]):
            print(f"{k:20s} {v:7.2f} s", file=sys.stderr)
        print(f"{'init':20s} {t_init:7.2f} s", file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "persons": a.persons, "years": a.years, "person_years": person_years,
        "seconds": round(seconds, 3), "person_years_per_s": round(person_years / seconds),
        "peak_rss_mb": round(peak, 1), "warmup_seconds": round(warmup, 3),
    }))
    return 0


class _Timed:
    """A process module whose ``step`` adds its wall time to ``acc[name]``."""

    def __init__(self, module, acc: dict[str, float]) -> None:
        self.module, self.acc = module, acc
        self.name = module.__name__.rsplit(".", 1)[-1]

    def step(self, *args) -> None:
        t = time.perf_counter()
        self.module.step(*args)
        self.acc[self.name] = self.acc.get(self.name, 0.0) + time.perf_counter() - t


if __name__ == "__main__":
    raise SystemExit(main())
