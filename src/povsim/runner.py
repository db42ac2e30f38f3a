"""Run a scenario for several replicates (optionally in parallel) into tidy tables.

Replicate ``r`` of a run with seed ``S`` uses the seed ``replicate_seed(S, r)`` (from
``numpy.random.SeedSequence([S, r])``); inside a replicate every draw comes from named
streams keyed by that seed, so results do not depend on the number of workers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from povsim.errors import RunError
from povsim.scenario import Scenario


def replicate_seed(seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` of a run with seed ``seed`` (63-bit)."""
    state = np.random.SeedSequence([int(seed), int(replicate)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


@dataclass
class RunResult:
    """Tidy tables of all replicates of one scenario."""

    scenario: Scenario
    seed: int
    seeds: list[int]
    tables: dict[str, pd.DataFrame]
    seconds: float
    person_years: int = 0
    notes: list[str] = field(default_factory=list)


def run_replicate(scenario: Scenario, seed: int,
                  progress: Callable[[int], None] | None = None,
                  keep_lineage: bool = False) -> tuple[dict, int]:
    """Run one replicate; returns ``(tables, person_years)``."""
    from povsim.model import PovertyModel

    model = PovertyModel(scenario, seed=seed)
    person_years = 0
    while model.world.year < model.end_year:
        person_years += model.persons
        model.step()
        if progress is not None:
            progress(model.world.year)
    tables = model.tables(lineage=keep_lineage)
    # the model, its agents and its world reference each other: without a collection the
    # cycle (tens of MB of numpy columns, held by few Python objects, so the collector's
    # object-count thresholds rarely fire) outlives the run, and a worker that runs many
    # replicates in a row grows by ~35 MB a run at 30,000 persons
    del model
    gc.collect()
    return tables, person_years


def in_processes(work: Callable[[Any], Any], jobs: Sequence[Any], workers: int,
                 done: Callable[[int], None] | None = None) -> list[Any]:
    """``work(job)`` of every job in a pool of ``workers`` processes.

    Parameters
    ----------
    work
        A module-level function (it is pickled to the workers).
    jobs
        Its arguments, one a job.
    workers
        Processes in the pool.
    done
        Called with the number of jobs finished so far, as each one finishes.

    Returns
    -------
    list
        The results, in the order of ``jobs`` (whatever order they finished in).
    """
    results: list[Any] = [None] * len(jobs)
    # forkserver: no fork of a multi-threaded parent (BLAS, progress bar threads)
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(work, job): i for i, job in enumerate(jobs)}
        for n, fut in enumerate(as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            if done is not None:
                done(n)
    return results


def stack_replicates(tables: Sequence[Mapping[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """The tables of every replicate stacked, each with a first column ``replicate``.

    Parameters
    ----------
    tables
        Table name -> table of each replicate, in replicate order.

    Returns
    -------
    dict
        Table name -> the rows of all replicates (``replicate`` 0, 1, ...), in replicate order.
    """
    frames: dict[str, list[pd.DataFrame]] = {}
    for r, tabs in enumerate(tables):
        for name, df in tabs.items():
            df = df.copy()
            df.insert(0, "replicate", r)
            frames.setdefault(name, []).append(df)
    return {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}


def _worker(args: tuple[Scenario, int, bool]) -> tuple[dict, int]:
    scenario, seed, keep_lineage = args
    return run_replicate(scenario, seed, keep_lineage=keep_lineage)


def run_scenario(
    scenario: Scenario,
    *,
    replicates: int = 1,
    seed: int = 1,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    keep_lineage: bool = False,
) -> RunResult:
    """Run ``replicates`` replicates of ``scenario``; return tidy tables for all of them.

    Parameters
    ----------
    scenario
        A resolved scenario.
    replicates
        Number of replicates (independent seeds derived from ``seed``).
    seed
        The run's seed.
    workers
        Processes to use (1 = in this process).  Results are identical whatever the
        number of workers.
    progress
        Called as ``progress(done_years, total_years)`` while the run advances.

    Returns
    -------
    RunResult
        ``tables[name]`` is a DataFrame with columns ``replicate, year, by, group,
        measure, numerator, denominator, value``.
    """
    if replicates < 1:
        raise RunError(f"replicates must be >= 1, got {replicates}")
    seeds = [replicate_seed(seed, r) for r in range(replicates)]
    years = scenario.time.years
    total = years * replicates
    t0 = time.perf_counter()
    workers = max(1, min(int(workers), replicates, os.cpu_count() or 1))
    if workers == 1:
        results = []
        for r, s in enumerate(seeds):
            base = r * years

            def tick(year: int, base: int = base) -> None:
                if progress is not None:
                    progress(base + year - scenario.time.start_year, total)

            results.append(run_replicate(scenario, s, tick, keep_lineage=keep_lineage))
    else:
        results = in_processes(_worker, [(scenario, s, keep_lineage) for s in seeds], workers,
                               None if progress is None else lambda done: progress(done * years, total))
    person_years = sum(py for _, py in results)
    merged = stack_replicates([tabs for tabs, _ in results])
    notes = []
    if scenario.population.start == "synthetic":
        notes.append(f"initial population: synthetic draw of {scenario.time.start_year}, not "
                     "spun up from history ([population] start = \"synthetic\"); its first "
                     "years relax towards the model's own dynamics")
    else:
        notes.append(f"initial population: spun up from {scenario.population.spinup_from} to "
                     f"{scenario.time.start_year} by the model's own processes (povsim.spinup)")
    return RunResult(scenario=scenario, seed=seed, seeds=seeds, tables=merged,
                     seconds=time.perf_counter() - t0, person_years=person_years, notes=notes)
