"""Calibration: fit free parameters to published targets, check held-out targets.

``povsim calibrate calibration/targets/<name>.toml`` reads a target file
(:mod:`povsim.calibration.targets`), evaluates parameter points through the experiment
executors with common random numbers and an on-disk cache
(:mod:`povsim.calibration.evaluate`), fits with :mod:`scipy.optimize`
(:mod:`povsim.calibration.fit`) and writes the fitted parameter set and a fit report
(:mod:`povsim.calibration.report`).  An interrupted calibration resumes from the cache.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from povsim.calibration.evaluate import Evaluator
from povsim.calibration.fit import METHODS, CalibrationError, FitResult, fit
from povsim.calibration.report import check_table, fitted_toml, target_table, write_report
from povsim.calibration.report import command_line as _command_line
from povsim.calibration.targets import CalibrationSpec, Outcome, Target, catalogue_of, extract, load_targets
from povsim.errors import OutputError

__all__ = [
    "METHODS",
    "CalibrationError",
    "CalibrationRun",
    "CalibrationSpec",
    "FitResult",
    "Outcome",
    "Target",
    "extract",
    "load_targets",
    "run_calibration",
    "target_checks",
]


@dataclass
class CalibrationRun:
    """What :func:`run_calibration` produced."""

    result: FitResult
    checks: pd.DataFrame
    folder: Path
    fitted_file: Path | None


def default_folder(spec: CalibrationSpec) -> Path:
    """``results/calibrate-<name>``: a fixed name, so that a second start resumes."""
    return Path("results") / f"calibrate-{spec.name}"


def run_calibration(file: str | Path, *, method: str = "least-squares", replicates: int | None = None,
                    workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                    out: str | Path | None = None, force: bool = False, max_evaluations: int | None = None,
                    step: float = 0.05, seed: int | None = None, write_fitted: bool = True, figures: bool = True,
                    on_point: Callable[[int, float, float], None] | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    command_line: Sequence[str] | None = None) -> CalibrationRun:
    """Calibrate the free parameters of a target file.

    Parameters
    ----------
    file
        The target file.
    method
        One of :data:`METHODS`.
    replicates
        Replicates per point (default: the target file's).
    workers, scheduler, dask_local
        Where runs execute (:func:`povsim.experiment.executors.make_executor`).
    out
        Folder for the cache and the fit report (default ``results/calibrate-<name>``).
        A folder holding an unfinished calibration is resumed.
    force
        Replace a finished fit report in ``out`` and an existing fitted parameter file.
    max_evaluations, step
        See :func:`povsim.calibration.fit.fit`.
    seed
        Root of the replicate seeds (default: the target file's ``seed``).
    write_fitted
        Write ``calibration/fitted/<name>.toml`` (the target file may name another path).

    Raises
    ------
    ScenarioErrors
        A bad target file.
    OutputError
        A finished report or fitted file exists and ``force`` is not set.
    """
    from povsim.experiment.executors import make_executor
    from povsim.output import atomic_write_text, write_manifest

    spec = load_targets(file)
    if seed is not None:
        spec = dataclasses.replace(spec, seed=int(seed))
    argv = list(command_line) if command_line is not None else _command_line()
    folder = Path(out) if out is not None else default_folder(spec)
    fitted = Path(spec.fitted_file)
    if (folder / "report.md").exists() and not force:
        raise OutputError(f"{folder} already holds a finished calibration; add --force to fit again "
                          "(cached evaluations are reused), or give another --out")
    if write_fitted and fitted.exists() and not force:
        raise OutputError(f"{fitted} exists (the fitted parameter set scenarios take in); add --force to "
                          "replace it with the new fit")
    if method not in METHODS:
        from povsim.errors import did_you_mean

        raise CalibrationError(f"unknown method {method!r}; expected one of {', '.join(METHODS)} "
                               f"({did_you_mean(method, METHODS)})")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("report.md",):
        (folder / stale).unlink(missing_ok=True)

    with make_executor(workers, scheduler, dask_local) as ex:
        ev = Evaluator(spec, ex, folder / "cache", replicates=replicates, progress=progress)
        write_manifest(folder, scenario_dict=ev.scenario.resolved_dict(), seeds=ev.seeds,
                       input_files=[spec.file, *ev.scenario.source_files], command_line=argv,
                       extra={"calibration": spec.name, "method": method, "replicates": ev.replicates,
                              "parameters": [p.name for p in spec.parameters],
                              "targets": [t.name for t in spec.targets], "executor": ex.info()})
        result = fit(spec, ev, method=method, max_evaluations=max_evaluations, step=step, on_point=on_point)
    checks = target_table(spec.targets, result.stats)
    text = fitted_toml(result, argv, checks)
    atomic_write_text(folder / "fitted.toml", text)
    if figures:
        write_report(folder, result, checks, argv)
    else:
        from povsim.output import atomic_write_csv

        atomic_write_csv(folder / "fit_targets.csv", checks, index=False)
        atomic_write_text(folder / "report.md", "# Calibration report\n\nFigures skipped (--no-figures); "
                          "see fit_targets.csv.\n")
    atomic_write_text(folder / "summary.json", json.dumps({
        "objective": result.objective, "objective_start": result.objective0, "evaluations": result.evaluations,
        "runs": result.runs, "cached_runs": result.cached_runs, "converged": result.converged,
        "parameters": dict(zip([p.name for p in spec.parameters], map(float, result.x), strict=True)),
    }, indent=2, default=str))
    if write_fitted:
        fitted.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(fitted, text)
    return CalibrationRun(result=result, checks=checks, folder=folder, fitted_file=fitted if write_fitted else None)


def target_checks(scenario, tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Target check of a run of a scenario that carries a fitted parameter set.

    Returns ``fit_targets``-style rows (target, simulated with replicate interval,
    pass/fail), or ``None`` when the scenario names no target file.  ``tables`` are the
    run's tidy tables with a ``replicate`` column.
    """
    path = scenario.calibration.targets
    if not path:
        return None
    # checked against what this run wrote: an outcome it lacks could not be read anyway,
    # and no extra probe run is needed
    spec = load_targets(path, catalogue=catalogue_of(tables))
    reps = None
    for df in tables.values():
        if isinstance(df, pd.DataFrame) and "replicate" in df.columns:
            reps = sorted(df["replicate"].unique())
            break
    if not reps:
        return None
    per = [{k: (v[v["replicate"] == r] if isinstance(v, pd.DataFrame) and "replicate" in v.columns else v)
            for k, v in tables.items()} for r in reps]
    return check_table(spec.targets, per)
