"""Evaluating parameter points: runs through the experiment executors, cached on disk.

A point is evaluated by running the fitted scenario once per replicate, every point with
the same replicate seeds (common random numbers, so that differences between points are
differences of parameters, not of luck), and reading every target's outcome off each
run.  Each (point, replicate) result is a small JSON file under ``cache/``, named by a
hash of the scenario (free parameters left out), the model's source code
(:func:`povsim.fingerprint.model_fingerprint`), the parameter values and the seed: a
calibration that is interrupted and started again replays the optimiser's path from the
cache and goes on where it stopped, and a re-run after the fitted file has changed
still reuses every point it has seen.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from povsim.calibration.targets import CalibrationSpec, Target, extract
from povsim.errors import RunError
from povsim.experiment.executors import Executor
from povsim.experiment.worker import RunOutcome, RunSpec, current_rss, failed_outcome, peak_rss
from povsim.fingerprint import model_fingerprint
from povsim.output import atomic_write_text
from povsim.runner import replicate_seed

__all__ = ["Evaluator", "run_targets"]


def run_targets(spec: RunSpec, targets: Sequence[Target]) -> RunOutcome:
    """Run one replicate at one point and read the targets off it (worker side).

    Returns a :class:`RunOutcome` whose ``extra["stats"]`` holds one value per target
    (NaN where the run has no such outcome); never raises for a failure inside the run.
    """
    import platform

    from povsim.runner import run_replicate

    rss0 = current_rss()
    t0 = time.perf_counter()
    try:
        scenario = spec.scenario.with_overrides(parameters=dict(spec.parameters))
        tables, person_years = run_replicate(scenario, spec.seed)
        stats = extract(tables, targets)
    except Exception as exc:  # recorded and reported by the evaluator, not raised
        return failed_outcome(spec.key, exc, time.perf_counter() - t0)
    return RunOutcome(key=spec.key, ok=True, seconds=time.perf_counter() - t0, person_years=int(person_years),
                      rss_before=rss0, peak_rss=peak_rss(), host=platform.node(),
                      extra={"stats": [None if not math.isfinite(v) else float(v) for v in stats]})


class Evaluator:
    """Simulated target values at parameter points, replicated, cached, in parallel.

    Parameters
    ----------
    spec
        The calibration.
    executor
        Where runs execute (started by the caller).
    cache_dir
        Folder of cached (point, replicate) results.
    replicates
        Replicates per point (default: the target file's).
    progress
        Called as ``progress(done, total)`` while a batch of runs executes.
    """

    def __init__(self, spec: CalibrationSpec, executor: Executor, cache_dir: str | Path,
                 replicates: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.spec = spec
        self.executor = executor
        self.cache = Path(cache_dir)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.replicates = replicates or spec.replicates
        self.seeds = [replicate_seed(spec.seed, r) for r in range(self.replicates)]
        self.names = [p.name for p in spec.parameters]
        self.scenario = spec.scenario()
        base = self.scenario.resolved_dict()
        base.pop("calibration", None)
        base["parameters"] = {k: v for k, v in base["parameters"].items() if k not in self.names}
        base["scenario"] = {}
        target_keys = [repr(t.outcome) + repr(t.per) for t in spec.targets]
        self._base_hash = hashlib.sha256(json.dumps([base, target_keys, model_fingerprint()],
                                                    sort_keys=True).encode()).hexdigest()
        self.progress = progress
        self.runs = 0          # runs executed (not cached) so far
        self.cached = 0        # runs answered from the cache
        self.seconds = 0.0     # wall-clock time of executed runs
        self.compute = 0.0     # run time of every run used, cached ones included

    def _key(self, x: np.ndarray, seed: int) -> str:
        text = json.dumps([self._base_hash, self.names, [repr(float(v)) for v in x], int(seed)])
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _load(self, key: str) -> np.ndarray | None:
        f = self.cache / f"{key}.json"
        if not f.is_file():
            return None
        try:
            entry = json.loads(f.read_text(encoding="utf-8"))
            stats = entry["stats"]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged entry is simply run again
        if len(stats) != len(self.spec.targets):
            return None
        self.compute += float(entry.get("seconds", 0.0))
        return np.array([math.nan if v is None else v for v in stats], dtype=float)

    def evaluate(self, points: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Simulated values, ``replicates x targets``, at each point (parameter units).

        Raises
        ------
        RunError
            A run failed; names the point and the error.
        """
        points = [np.asarray(p, dtype=float) for p in points]
        out = [np.full((self.replicates, len(self.spec.targets)), math.nan) for _ in points]
        todo: dict[str, tuple[list[tuple[int, int]], RunSpec]] = {}
        for i, x in enumerate(points):
            for r, seed in enumerate(self.seeds):
                key = self._key(x, seed)
                got = self._load(key)
                if got is not None:
                    out[i][r] = got
                    self.cached += 1
                    continue
                if key in todo:
                    todo[key][0].append((i, r))
                    continue
                todo[key] = ([(i, r)], RunSpec(key=key, scenario=self.scenario,
                                               parameters=dict(zip(self.names, map(float, x), strict=True)),
                                               seed=seed, outputs=None, replicate=r, point=i))
        if todo:
            fn = functools.partial(run_targets, targets=self.spec.targets)
            t0 = time.perf_counter()
            done = 0
            if self.progress:
                self.progress(0, len(todo))
            for res in self.executor.imap_unordered([spec for _, spec in todo.values()], fn):
                slots, spec = todo[res.key]
                if not res.ok:
                    raise RunError(f"calibration run failed at {dict(spec.parameters)} (seed {spec.seed}): "
                                   f"{res.error}\n{res.traceback}")
                stats = res.extra["stats"]
                atomic_write_text(self.cache / f"{res.key}.json", json.dumps(
                    {"parameters": dict(spec.parameters), "seed": spec.seed, "stats": stats,
                     "seconds": round(res.seconds, 3)}))
                for i, r in slots:
                    out[i][r] = [math.nan if v is None else v for v in stats]
                done += 1
                self.runs += 1
                self.compute += res.seconds
                if self.progress:
                    self.progress(done, len(todo))
            self.seconds += time.perf_counter() - t0
        return out
