"""Runtime and memory estimates, and the memory guard.

Before ``povsim run`` or ``compare`` (:func:`estimate_run`): a cost model of one
replicate, fitted on the reference machine (2 cores; ``benchmarks/estimate_check.py``
measures it again and prints estimated against measured).  Before a batch: runs at their
full size, never a shortened run -- either a pilot run (the first pending run, executed
alone on one worker; its result is kept) or, when the batch resumes, the runs already
finished.  Scenarios that were not measured are scaled from a measured one by
person-years (initial persons x years), for time and for the memory a run adds to a
worker, which is conservative.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from povsim.errors import PovsimError
from povsim.experiment.errors import BatchError
from povsim.scenario import Scenario

__all__ = [
    "RUN_COST",
    "SERIAL_SHARE",
    "Estimate",
    "RunEstimate",
    "RunTooLarge",
    "check_memory",
    "check_run_memory",
    "estimate_from_runs",
    "estimate_run",
    "format_seconds",
    "spinup_seconds",
    "thread_speedup",
]

MB = 2**20

#: Cost model of one replicate of P initial persons over Y years on one kernel thread:
#: seconds = t0 + t_person P + t_year Y + P Y (t_py + t_py_programme [any intervention]
#: + t_py_intervention I) / speedup + the spin-up (:func:`spinup_seconds`), where I is the
#: number of interventions weighted by the share of the years each is active and speedup is
#: :func:`thread_speedup` of the run's kernel threads; peak bytes = m0 + m_person P + m_year Y
#: + m_py_intervention P Y I (m0: the interpreter with numpy, pandas, numba and the compiled
#: kernels loaded).  Non-negative least-squares fit (relative errors) to 16 runs on one
#: thread, each with an empty spin-up cache (baseline, full_package, hubei_pilot, small;
#: 4,000 to 1,000,000 persons; 10 to 60 years; afterwards every estimate within 18 % of its
#: run in time and 6 % in memory):
#: ``python benchmarks/estimate_check.py --threads 1 --fit``.
RUN_COST: dict[str, float] = {
    "t0": 0.215, "t_person": 3.82e-6, "t_year": 0.0115, "t_py": 3.04e-7, "t_py_programme": 0.0,
    "t_py_intervention": 1.3e-8, "m0": 342e6, "m_person": 1050.0, "m_year": 2.13e6, "m_py_intervention": 0.831,
}
#: Share of a replicate's per-person-year work that does not run on the kernel threads
#: (Amdahl's law): a year of the default scenario at 1,000,000 persons took 281 ms on one
#: thread and 205 ms on two (``POVSIM_THREADS=1`` and 2, ``benchmarks/throughput.py``);
#: ``benchmarks/estimate_check.py --serial`` prints it for the points it runs.
SERIAL_SHARE = 0.46
#: Seconds to start worker processes and load povsim in them (``workers > 1``).
WORKER_START = 3.0


@dataclass(frozen=True)
class RunEstimate:
    """Expected wall time of the simulation and peak memory of ``povsim run``.

    Attributes
    ----------
    seconds
        Wall time of all replicates (writing tables and figures not included).
    peak_bytes
        Peak resident memory of every process of the run together.
    replicate_seconds, replicate_bytes
        One replicate: time, and peak memory of the process running it.
    """

    seconds: float
    peak_bytes: int
    replicate_seconds: float
    replicate_bytes: int

    def describe(self) -> str:
        """One line for the terminal."""
        return (f"estimate: the simulation takes about {format_seconds(self.seconds)} (including a "
                f"spin-up from history not yet cached) and needs about "
                f"{self.peak_bytes / 2**30:,.1f} GB of memory at its peak")


class RunTooLarge(PovsimError):
    """A run that would not fit in the memory this machine has (exit code 2)."""


def check_run_memory(estimate: RunEstimate, available: int | None, persons: int) -> None:
    """Refuse a run whose estimated peak memory exceeds ``available`` bytes.

    Raises
    ------
    RunTooLarge
        With what to change (``--skip-memory-check`` runs it anyway).
    """
    if available is None or estimate.peak_bytes <= available:
        return
    raise RunTooLarge(
        f"this run would not fit in memory: about {estimate.peak_bytes / 2**30:,.1f} GB at its peak "
        f"({persons:,} persons) where {available / 2**30:,.1f} GB are available; make it smaller ([population] "
        "persons or scale), use fewer --workers, or add --skip-memory-check to run it anyway")


def _intervention_load(sc: Scenario) -> float:
    """Interventions weighted by the share of the simulated years each is active."""
    years = max(sc.time.years, 1)
    load = 0.0
    for v in sc.interventions.values():
        if v.get("enabled", True):
            first = max(int(v.get("start_year", sc.time.start_year)), sc.time.start_year + 1)
            last = min(int(v.get("end_year") or sc.end_year), sc.end_year)
            load += max(last - first + 1, 0) / years
    return load


def thread_speedup(threads: int, serial: float = SERIAL_SHARE) -> float:
    """How much faster a replicate's yearly work runs on ``threads`` kernel threads than on
    one: Amdahl's law, ``1 / (serial + (1 - serial) / threads)`` (Amdahl 1967, AFIPS
    Conference Proceedings 30:483)."""
    return 1.0 / (serial + (1.0 - serial) / max(int(threads), 1))


def spinup_seconds(sc: Scenario, cost: Mapping[str, float] = RUN_COST, threads: int = 1) -> float:
    """Time of the spin-up from history of one replicate when it is not cached: the
    historical years run the same yearly processes as the simulated ones on about the start
    year's population (:mod:`povsim.spinup`), so they cost ``t_py`` a person-year; a
    synthetic start costs nothing.  Conservative: a cached spin-up loads in well under a
    second."""
    pop = sc.population
    if pop.start != "spinup":
        return 0.0
    years = max(sc.time.start_year - int(pop.spinup_from), 0)
    return float(sc.total_persons) * years * cost["t_py"] / thread_speedup(threads)


def estimate_run(sc: Scenario, replicates: int = 1, workers: int = 1, cores: int | None = None,
                 cost: Mapping[str, float] = RUN_COST, threads: int | None = None) -> RunEstimate:
    """Time and memory of running ``replicates`` replicates of ``sc`` on ``workers`` processes.

    Parameters
    ----------
    sc
        The scenario.
    replicates, workers
        As for :func:`povsim.runner.run_scenario` (at most ``replicates`` workers run).
    cores
        Cores available (default: those of this process); more workers than cores
        share them.
    cost
        The cost model (:data:`RUN_COST`).
    threads
        Kernel threads of each replicate (default: as :func:`povsim._threads.count` gives
        them, one in a worker process, every core in the main process; one for fewer than
        :data:`povsim._threads.PARALLEL_MIN_ROWS` persons, whose passes do not use the threads).
    """
    from povsim._threads import PARALLEL_MIN_ROWS, count
    from povsim.experiment.executors import default_workers

    w = max(1, min(int(workers), int(replicates)))
    cores = cores or default_workers()
    parallel = min(w, cores)
    p, y = float(sc.total_persons), float(sc.time.years)
    if threads is None:
        threads = min(count(in_worker=w > 1), cores)
    if p < PARALLEL_MIN_ROWS:  # its passes are too small for the threads (see _threads.threaded)
        threads = 1
    load = _intervention_load(sc)
    one = (cost["t0"] + cost["t_person"] * p + cost["t_year"] * y
           + p * y * (cost["t_py"] + cost["t_py_programme"] * (load > 0) + cost["t_py_intervention"] * load)
           / thread_speedup(threads) + spinup_seconds(sc, cost, threads))
    mem = cost["m0"] + cost["m_person"] * p + cost["m_year"] * y + cost["m_py_intervention"] * p * y * load
    seconds = math.ceil(replicates / parallel) * one + (WORKER_START if w > 1 else 0.0)
    tables = cost["m_year"] * y * (replicates - 1)  # every replicate's tables end up in this process
    peak = (mem if w == 1 else cost["m0"] + w * mem) + tables
    return RunEstimate(seconds=seconds, peak_bytes=int(peak), replicate_seconds=one, replicate_bytes=int(mem))


@dataclass(frozen=True)
class Estimate:
    """Per-run time and worker peak memory, by scenario.

    Attributes
    ----------
    seconds
        Scenario name -> seconds per run.
    peak_rss
        Scenario name -> peak resident memory of a worker running it, bytes.
    source
        How the figures were obtained (printed and saved in the manifest).
    """

    seconds: Mapping[str, float]
    peak_rss: Mapping[str, int]
    source: str

    def total_seconds(self, scenarios: Iterable[str], slots: int) -> float:
        """Wall time of running runs of these scenarios on ``slots`` workers (ideal packing)."""
        work = sum(self.seconds.get(s, 0.0) for s in scenarios)
        return work / max(slots, 1)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"seconds_per_run": dict(self.seconds), "peak_rss_bytes": dict(self.peak_rss),
                "source": self.source}


def _size(sc: Scenario) -> float:
    return float(sc.total_persons) * float(sc.time.years)


def estimate_from_runs(metas: Iterable[Mapping[str, Any]], scenarios: Mapping[str, Scenario],
                       source: str) -> Estimate | None:
    """Estimate from finished runs' metadata (``seconds``, ``peak_rss``, ``rss_before``).

    Parameters
    ----------
    metas
        Metadata of finished runs (from their result files or outcomes).
    scenarios
        Every scenario of the batch, by name.
    source
        Description of where the runs come from.

    Returns
    -------
    Estimate or None
        ``None`` when no usable run is given.
    """
    by: dict[str, list[Mapping[str, Any]]] = {}
    for m in metas:
        if m.get("scenario") in scenarios and m.get("seconds") is not None:
            by.setdefault(str(m["scenario"]), []).append(m)
    if not by:
        return None
    measured: dict[str, tuple[float, int, int]] = {}
    for name, ms in by.items():
        secs = sorted(float(m["seconds"]) for m in ms)
        peak = max(int(m.get("peak_rss") or 0) for m in ms)
        base = min(int(m.get("rss_before") or 0) for m in ms)
        measured[name] = (secs[len(secs) // 2], peak, base)
    ref = max(measured, key=lambda n: len(by[n]))
    r_secs, r_peak, r_base = measured[ref]
    r_size = _size(scenarios[ref])
    seconds: dict[str, float] = {}
    peak: dict[str, int] = {}
    scaled = []
    for name, sc in scenarios.items():
        if name in measured:
            seconds[name], peak[name] = measured[name][0], measured[name][1]
            continue
        ratio = _size(sc) / r_size if r_size > 0 else 1.0
        seconds[name] = r_secs * ratio
        peak[name] = int(r_base + max(r_peak - r_base, 0) * ratio)
        scaled.append(name)
    if scaled:
        source += f"; {', '.join(scaled)} scaled from {ref} by persons x years"
    return Estimate(seconds=seconds, peak_rss=peak, source=source)


def format_seconds(seconds: float) -> str:
    """``"2 h 05 min"``, ``"3 min 20 s"`` or ``"12.3 s"``."""
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def check_memory(estimate: Estimate, scenarios: Sequence[str], slots: int, slot_memory: int | None,
                 where: str, dask: bool, persons: Mapping[str, int]) -> str:
    """Refuse a batch whose runs would not fit in the workers' memory.

    Parameters
    ----------
    estimate
        Per-run estimate.
    scenarios
        Scenario names of the runs still to do.
    slots
        Runs executing at once.
    slot_memory
        Bytes one run may use (available memory / workers, or a Dask worker's limit per
        thread); ``None`` when unknown (nothing is checked).
    where
        Where ``slot_memory`` comes from (for the message).
    dask
        Whether the workers are Dask workers (changes the advice).
    persons
        Initial persons of each scenario (for the advice).

    Returns
    -------
    str
        A one-line summary of the memory estimate.

    Raises
    ------
    BatchError
        The estimated peak exceeds ``slot_memory``; the message says what to change.
    """
    names = sorted(set(scenarios))
    if not names:
        return "no runs left"
    worst = max(names, key=lambda n: estimate.peak_rss.get(n, 0))
    peak = int(estimate.peak_rss.get(worst, 0))
    total = peak * slots
    line = (f"estimated peak memory ({estimate.source}): {peak / MB:,.0f} MB per worker (scenario {worst}) "
            f"x {slots} = {total / MB:,.0f} MB")
    if slot_memory is None or peak <= 0:
        return line + f" ({where}; not checked)"
    line += f"; {where}"
    if peak <= slot_memory:
        return line
    if dask:
        advice = ("give the Dask workers more memory (memory_limit) or fewer threads each, or make the runs "
                  "smaller")
    else:
        fit = int(slot_memory * slots // peak)
        advice = (f"use --workers {fit} (at most {fit} runs fit at once)" if fit >= 1
                  else "even one run does not fit")
        advice += ", or make the runs smaller"
    raise BatchError(
        f"this batch would run out of memory: {line}. To fix it, {advice}: scenario {worst} has "
        f"{persons.get(worst, 0):,} persons; set [overrides.population] persons (or scale) in the experiment "
        "file. --skip-memory-check runs it anyway.")
