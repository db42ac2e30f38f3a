"""Per-run overhead of ``povsim batch`` and its speed-up from 1 to N workers.

For runs of the given scenario (default ``scenarios/small.toml`` grown to 20,000 persons
over 40 years: about 1.2 s a run) this measures:

* ``direct``: the same runs as a plain loop of ``run_replicate`` in this process (no
  batch machinery): the pure compute time;
* for each worker count: a batch of the same runs (``--workers N``, or a Dask
  LocalCluster with ``--dask``) into a fresh folder.  Reported are the wall time of the
  whole command (pool start, pilot, runs, collection) and of its main phase (from the
  first to the last run after the pilot), the runs' own time measured in the workers, and

      overhead per run = (main-phase wall x workers - sum of run times) / runs

  i.e. everything that is not simulation: scheduling, sending specs and results,
  encoding, checksums, atomic writes, idle workers at the end of the queue;
* speed-up = main-phase wall with 1 worker / with N workers.

Run it on a quiet machine (the load average is printed before and after)::

    python benchmarks/batch_overhead.py                       # 24 runs of ~1.2 s, 1 and 2 workers
    python benchmarks/batch_overhead.py --runs 48 --workers 1 2 --dask
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from povsim.experiment import run_batch
from povsim.experiment.design import load_experiment
from povsim.experiment.keyspace import expand
from povsim.experiment.runfile import RunFile
from povsim.runner import run_replicate

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """A reporter that times the main phase (after the pilot) of a batch."""

    def __init__(self) -> None:
        self.t0 = self.t1 = 0.0
        self.n = 0

    def message(self, text: str) -> None:
        pass

    def start(self, total: int, completed: int) -> None:
        self.t0 = time.perf_counter()

    def advance(self, outcome) -> None:
        self.n += 1
        self.t1 = time.perf_counter()

    def stop(self) -> None:
        pass


def design(folder: Path, scenario: Path, runs: int, persons: int | None, years: int | None) -> Path:
    f = folder / "bench.toml"
    text = f'[experiment]\nname = "bench"\nscenarios = ["{scenario.as_posix()}"]\nreplicates = {runs}\nseed = 1\n'
    if persons is not None:
        text += f"[overrides.population]\npersons = {persons}\n"
    if years is not None:
        text += f"[overrides.time]\nyears = {years}\n"
    f.write_text(text)
    return f


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "small.toml")
    ap.add_argument("--runs", type=int, default=24, help="runs per batch (replicates), plus one pilot")
    ap.add_argument("--persons", type=int, default=20000, help="initial persons (default 20,000)")
    ap.add_argument("--years", type=int, default=40, help="years (default 40; with 20,000 persons about 1.2 s a run)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dask", action="store_true", help="also a Dask LocalCluster with max(--workers) workers")
    ap.add_argument("--skip-direct", action="store_true", help="skip the plain in-process loop")
    args = ap.parse_args()

    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        f = design(folder, args.scenario.absolute(), args.runs + 1, args.persons, args.years)
        exp = load_experiment(f)
        ks = expand(exp)
        sc = ks.scenarios[exp.scenarios[0][1].name]
        print(f"scenario {sc.name}: {sc.total_persons:,} persons, {sc.time.years} years; {len(ks)} runs a batch "
              "(one is the pilot)")

        if not args.skip_direct:
            run_replicate(sc, 999)  # warm-up (imports, compiled kernels)
            times = []
            t = time.perf_counter()
            for e in list(ks)[1:]:
                t1 = time.perf_counter()
                run_replicate(sc, e.seed)
                times.append(time.perf_counter() - t1)
            direct = time.perf_counter() - t
            print(f"direct loop: {direct:.2f} s for {len(times)} runs; {statistics.mean(times):.3f} s/run")

        configs = [("local", w) for w in args.workers]
        if args.dask:
            configs.append(("dask", max(args.workers)))
        main_wall: dict[tuple[str, int], float] = {}
        for kind, n in configs:
            out = folder / f"{kind}-{n}"
            clock = Clock()
            t = time.perf_counter()
            if kind == "local":
                res = run_batch(f, out=out, workers=n, reporter=clock)
            else:
                res = run_batch(f, out=out, dask_local=n, reporter=clock)
            total = time.perf_counter() - t
            metas = {p.stem: RunFile(p).meta for p in (out / "runs").glob("*.run")}
            main_runs = [m["seconds"] for k, m in metas.items() if k != ks.keys[0]]  # the pilot ran first
            run_secs = sorted(main_runs)
            wall = clock.t1 - clock.t0
            main_wall[(kind, n)] = wall
            overhead = (wall * n - sum(main_runs)) / max(len(main_runs), 1)
            mean_run = statistics.mean(main_runs)
            print(f"{kind} x{n}: total {total:.2f} s (done {res.done}); main phase {wall:.2f} s for {clock.n} runs; "
                  f"run time {mean_run:.3f} s/run (median {run_secs[len(run_secs) // 2]:.3f}); overhead "
                  f"{overhead * 1000:.1f} ms/run = {100 * overhead / mean_run:.1f}% of run time")
        base = main_wall.get(("local", 1))
        if base:
            for (kind, n), wall in main_wall.items():
                if n > 1 or kind != "local":
                    print(f"speed-up {kind} x{n} vs local x1 (main phase): {base / wall:.2f}x")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
