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
from povsim.calibration.fit import METHODS, CalibrationError, FitResult, check_method, fit
from povsim.calibration.report import check_table, fitted_toml, target_table, write_report
from povsim.calibration.report import command_line as _command_line
from povsim.calibration.targets import CalibrationSpec, Outcome, Target, catalogue_of, extract, load_targets
from povsim.errors import OutputError

__all__ = [
    "METHODS",
    "CalibrationError",
    "CalibrationRun",
    "CalibrationSpec",
    "FitNotReplaced",
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
    """What :func:`run_calibration` produced.

    ``fitted_file`` is the file the new fit was written to (``None`` with
    ``write_fitted=False``); ``kept`` says why an existing fit was not replaced by it.
    """

    result: FitResult
    checks: pd.DataFrame
    folder: Path
    fitted_file: Path | None
    kept: str | None = None


class FitNotReplaced(CalibrationError):
    """``replace_fitted`` was asked, but the new fit is worse or did not converge; ``run``
    holds the finished calibration (its fit written to a new file)."""

    def __init__(self, message: str, run: CalibrationRun) -> None:
        super().__init__(message)
        self.run = run


def default_folder(spec: CalibrationSpec) -> Path:
    """``results/calibrate-<name>``: a fixed name, so that a second start resumes."""
    return Path("results") / f"calibrate-{spec.name}"


def _fit_record(fitted: Path) -> dict | None:
    """``[calibration.fit]`` of an existing fitted file, or ``None`` when it has none."""
    import tomllib

    try:
        fit = tomllib.loads(fitted.read_text("utf-8")).get("calibration", {}).get("fit")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return fit if isinstance(fit, dict) and "objective" in fit else None


def _new_fitted_path(fitted: Path) -> Path:
    """A file beside ``fitted`` named after the time (the shipped fit is left alone)."""
    from datetime import UTC, datetime

    stem = f"{fitted.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    path, n = fitted.with_name(f"{stem}.toml"), 2
    while path.exists():
        path, n = fitted.with_name(f"{stem}-{n}.toml"), n + 1
    return path


def _worse(result: FitResult, old: dict) -> str | None:
    """Why ``result`` must not replace the fit recorded in ``old`` (``None``: it may)."""
    why = [] if result.converged else [f"the new fit did not converge ({result.message})"]
    try:
        before = float(old["objective"])
    except (TypeError, ValueError):
        before = float("nan")
    if not result.objective <= before * (1 + 1e-9):
        why.append(f"its objective {result.objective:.4g} is not below the current fit's {before:.4g}")
    return "; ".join(why) or None


def run_calibration(file: str | Path, *, method: str = "least-squares", replicates: int | None = None,
                    workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                    out: str | Path | None = None, force: bool = False, max_evaluations: int | None = None,
                    step: float = 0.05, seed: int | None = None, write_fitted: bool = True,
                    replace_fitted: bool = False, accept_worse: bool = False, figures: bool = True,
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
        Replace a finished fit report in ``out`` (cached runs are reused).
    max_evaluations, step
        See :func:`povsim.calibration.fit.fit`.
    seed
        Root of the replicate seeds (default: the target file's ``seed``).
    write_fitted
        Write the fitted parameter set.  The target file's fitted file
        (``calibration/fitted/<name>.toml`` unless it names another) is written when it
        does not exist yet; otherwise the new fit goes to a new file beside it
        (``<name>-<UTC time>.toml``) and the existing one, which scenarios extend, is
        left alone.
    replace_fitted
        Replace the existing fitted file, but only with a fit that converged and whose
        objective is no worse than the one recorded in it.
    accept_worse
        With ``replace_fitted``: replace it even with a worse or non-converged fit.

    Raises
    ------
    ScenarioErrors
        A bad target file.
    OutputError
        A finished report exists in ``out`` and ``force`` is not set.
    FitNotReplaced
        ``replace_fitted`` without ``accept_worse`` and the new fit is worse or did not
        converge; it was written to a new file, named in the message.
    """
    from povsim.experiment.executors import make_executor
    from povsim.output import atomic_write_text, claim_workspace, seal_results, write_manifest

    spec = load_targets(file, check_horizon=True)
    if seed is not None:
        spec = dataclasses.replace(spec, seed=int(seed))
    argv = list(command_line) if command_line is not None else _command_line()
    folder = claim_workspace(Path(out) if out is not None else default_folder(spec), "calibration",
                             markers=("cache",))
    fitted = Path(spec.fitted_file)
    if (folder / "report.md").exists() and not force:
        raise OutputError(f"{folder} already holds a finished calibration; add --force to fit again "
                          "(cached evaluations are reused), or give another --out")
    old_fit = _fit_record(fitted) if fitted.exists() else None
    if write_fitted and replace_fitted and fitted.exists() and old_fit is None:
        raise OutputError(f"{fitted} is not a fitted parameter set written by `povsim calibrate` (it has no "
                          "[calibration.fit] objective); povsim will not replace it: move it, or name another "
                          "file with `fitted = ...` in the target file")
    check_method(method)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").unlink(missing_ok=True)

    with make_executor(workers, scheduler, dask_local) as ex:
        ev = Evaluator(spec, ex, folder / "cache", replicates=replicates, progress=progress)
        write_manifest(folder, kind="calibration", scenario_dict=ev.scenario.resolved_dict(), seeds=ev.seeds,
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
    seal_results(folder, kind="calibration", skip=("cache",))
    run = CalibrationRun(result=result, checks=checks, folder=folder, fitted_file=None)
    if not write_fitted:
        return run
    why = _worse(result, old_fit) if (replace_fitted and old_fit is not None and not accept_worse) else None
    if fitted.exists() and (not replace_fitted or why):
        dest = _new_fitted_path(fitted)
        run.kept = why or "--replace-fitted not given"
    else:
        dest = fitted
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(dest, text)
    run.fitted_file = dest
    if why:
        raise FitNotReplaced(f"{fitted} was not replaced: {why}.  The new fit is in {dest}; add "
                             "--accept-worse-fit to replace it anyway", run=run)
    return run


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
    spec = load_targets(path, catalogue=catalogue_of(tables), check_horizon=False)
    reps = next((sorted(df["replicate"].unique()) for df in tables.values()
                 if isinstance(df, pd.DataFrame) and "replicate" in df.columns), None)
    if not reps:
        return None
    per = [{k: (v[v["replicate"] == r] if isinstance(v, pd.DataFrame) and "replicate" in v.columns else v)
            for k, v in tables.items()} for r in reps]
    return check_table(spec.targets, per)
