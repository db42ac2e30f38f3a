"""One model run of a plan: simulate with the village recorder, return its tables.

:func:`execute` is what the executors of :mod:`povsim.experiment.executors` send to the
workers (local pool or Dask) for a plan, in place of the batch's
:func:`povsim.experiment.worker.execute`: it returns the same
:class:`~povsim.experiment.worker.RunOutcome` (the bytes of a self-checking result file,
or the error), so the run store, resumption and failure records are the batch's own.
"""

from __future__ import annotations

import gc
import os
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

from povsim.experiment.runfile import encode
from povsim.experiment.worker import RunOutcome, current_rss, failed_outcome, peak_rss
from povsim.fingerprint import model_fingerprint
from povsim.scenario import Scenario

__all__ = ["PlanRunSpec", "execute", "simulate"]

#: Version of the recorder's tables; part of every plan run key (a change reruns).
RECORDER_VERSION = 1


@dataclass(frozen=True)
class PlanRunSpec:
    """One run of a plan.

    Attributes
    ----------
    key
        Run key (see :func:`povsim.plan.design.plan_run_key`).
    scenario
        The scenario to run (interventions with their ``village_coverage``).
    parameters
        Parameter draw applied on top of the scenario.
    seed, world_seed
        Seed of the run, and of the planning area (geography and initial population).
    cohorts
        First and last birth year of the treated cohorts.
    role
        What the run is for (``baseline``, ``current``, ``design``, ``verify``...): kept in
        the result's metadata only.
    info
        Anything else for the metadata (scenario index, design index...).
    """

    key: str
    scenario: Scenario
    parameters: Mapping[str, float]
    seed: int
    world_seed: int
    cohorts: tuple[int, int]
    role: str = ""
    info: Mapping[str, object] = field(default_factory=dict)


def simulate(spec: PlanRunSpec) -> dict:
    """Run the model for ``spec`` with a :class:`~povsim.plan.measures.VillageRecorder`.

    Returns
    -------
    dict
        The recorder's tables (``villages``, ``village_years``, ``village_cohort``,
        ``village_programme``).
    """
    from povsim.moda import default_moda_config_path, load_moda_config
    from povsim.model import PovertyModel
    from povsim.plan.measures import VillageRecorder, outcome_moda_config
    from povsim.processes import programme

    scenario = spec.scenario
    if spec.parameters:
        scenario = scenario.with_overrides(parameters=dict(spec.parameters))
    model = PovertyModel(scenario, seed=spec.seed, collect=False, world_seed=spec.world_seed)
    config = outcome_moda_config(load_moda_config(scenario.outputs.moda_config or default_moda_config_path()))
    rec = VillageRecorder(model, config, spec.cohorts)
    # eligible and reached units right after the interventions' budget pass
    procs = list(model.processes)
    procs.insert(procs.index(programme) + 1, SimpleNamespace(step=rec.record_programme))
    model.processes = procs
    rec.observe(model.world)
    while model.world.year < model.end_year:
        model.step()
        rec.observe(model.world)
    tables = rec.tables()
    del model, rec
    gc.collect()  # see runner.run_replicate: the model's reference cycles hold its columns
    return tables


def execute(spec: PlanRunSpec) -> RunOutcome:
    """Run one plan run; never raises for a failure inside the run (see the batch worker)."""
    host, pid = platform.node(), os.getpid()
    rss0 = current_rss()
    t0 = time.perf_counter()
    try:
        tables = simulate(spec)
        seconds = time.perf_counter() - t0
        meta = {"key": spec.key, "model": model_fingerprint(), "scenario": spec.scenario.name, "role": spec.role,
                "info": dict(spec.info),
                "parameters": dict(spec.parameters), "seed": spec.seed, "world_seed": spec.world_seed,
                "outputs": sorted(tables), "absent": [], "seconds": round(seconds, 6),
                "rss_before": rss0, "peak_rss": peak_rss(), "host": host, "pid": pid,
                "finished": datetime.now(UTC).isoformat(timespec="seconds")}
        blob = encode(tables, meta)
    except Exception as exc:  # recorded in the run store, not raised
        return failed_outcome(spec.key, exc, time.perf_counter() - t0, rss_before=rss0, peak_rss=peak_rss(),
                              host=host, pid=pid)
    return RunOutcome(key=spec.key, ok=True, blob=blob, seconds=seconds, rss_before=rss0,
                      peak_rss=meta["peak_rss"], host=host, pid=pid)
