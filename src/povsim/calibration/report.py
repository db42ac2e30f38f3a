"""What a calibration writes: fitted parameter file, fit tables, figures, report.

* ``calibration/fitted/<name>.toml``: a scenario fragment with ``[parameters]`` (the
  fitted values) and ``[calibration]`` (target file, fit statistics, provenance) that
  scenarios take in with ``extends``;
* in the calibration's results folder: ``fit_targets.csv`` (target vs simulated with
  intervals, standardised residual, pass/fail; fitting and held-out targets),
  ``parameters.csv`` (start, fit, bounds, approximate standard error, at a bound),
  ``correlations.csv``, ``trace.csv``, ``report.md`` and ``figures/``.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from povsim.calibration.fit import FitResult
from povsim.calibration.targets import CalibrationSpec, Target, extract
from povsim.output import atomic_write_csv, atomic_write_text, file_checksum, git_commit, povsim_version, save_figure

__all__ = ["check_table", "fitted_file", "fitted_parameters", "fitted_toml", "target_table", "write_report"]


def target_table(targets: Sequence[Target], stats: np.ndarray) -> pd.DataFrame:
    """Target vs simulated, one row per target, from ``replicates x targets`` values.

    The simulated interval is the mean ± 1.96 standard errors over replicates (replicate
    noise only; with one replicate it is empty).  ``std_residual`` divides the distance
    by the target's σ; ``passes`` is ``|simulated - value| <= tolerance``.
    """
    rows = []
    r = stats.shape[0]
    for j, t in enumerate(targets):
        col = stats[:, j]
        col = col[np.isfinite(col)]
        mean = float(col.mean()) if len(col) else math.nan
        se = float(col.std(ddof=1) / math.sqrt(len(col))) if len(col) > 1 else math.nan
        half = 1.96 * se if math.isfinite(se) else 0.0
        rows.append({
            "name": t.name, "use": t.use, "outcome": t.outcome.describe() + (f" / {t.per.describe()}" if t.per else ""),
            "value": t.value, "sigma": t.sigma, "tolerance": t.tolerance, "weight": t.weight,
            "simulated": mean, "sim_se": se, "sim_lo": mean - half, "sim_hi": mean + half,
            "std_residual": (mean - t.value) / t.sigma if math.isfinite(mean) else math.nan,
            "passes": t.passes(mean), "replicates": r, "source": t.source, "note": t.note,
        })
    return pd.DataFrame(rows)


def check_table(targets: Sequence[Target], tables_by_replicate: Sequence[dict]) -> pd.DataFrame:
    """:func:`target_table` of a run: each replicate's tables read with :func:`extract`."""
    stats = np.vstack([extract(t, targets) for t in tables_by_replicate])
    return target_table(targets, stats)


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "n/a"
    return f"{v:.4g}"


def fitted_toml(result: FitResult, command_line: Sequence[str], checks: pd.DataFrame) -> str:
    """The fitted parameter set as a scenario fragment (TOML text)."""
    from povsim.scenario import dumps_toml

    spec = result.spec
    fitted = Path(spec.fitted_file)
    rel_targets = os.path.relpath(spec.file, fitted.parent)
    fit = checks[checks["use"] == "fit"]
    hold = checks[checks["use"] == "holdout"]
    data = {
        "scenario": {
            "name": f"{spec.name}_fitted",
            "description": (f"Parameters fitted by `povsim calibrate` to the targets in {Path(spec.file).name} "
                            f"({result.method}; {int(fit['passes'].sum())}/{len(fit)} fitting and "
                            f"{int(hold['passes'].sum())}/{len(hold)} held-out targets within tolerance)"),
        },
        "parameters": {p.name: float(f"{v:.6g}") for p, v in zip(spec.parameters, result.x, strict=True)},
        "calibration": {
            "targets": rel_targets,
            "fit": {
                "method": result.method, "objective": round(result.objective, 6),
                "objective_start": round(result.objective0, 6) if math.isfinite(result.objective0) else "nan",
                "evaluations": result.evaluations, "runs": result.runs,
                "replicates": int(result.stats.shape[0]), "persons": spec.persons or 0,
                "seed": spec.seed, "converged": result.converged, "message": result.message,
                "fitting_targets_passed": f"{int(fit['passes'].sum())}/{len(fit)}",
                "holdout_targets_passed": f"{int(hold['passes'].sum())}/{len(hold)}",
                "parameters_at_bounds": result.at_bounds(),
                "parameters_se_over_half_range": result.wide_se(),
            },
            "provenance": {
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "povsim_version": povsim_version() or "unknown",
                "git_commit": git_commit(Path(__file__).resolve().parent) or "unknown",
                "targets_sha256": file_checksum(spec.file),
                "scenario": os.path.relpath(spec.scenario_file, fitted.parent),
                "command_line": " ".join(command_line),
            },
        },
    }
    head = [
        "# Fitted parameter set, written by `povsim calibrate`: do not edit by hand, re-run the",
        f"# calibration instead ({' '.join(command_line)}).",
        "# Scenarios take these values in with `extends`; parameters not listed keep their",
        "# declared defaults (`povsim describe`).  Per parameter: bounds, start, approximate SE.",
    ]
    for p, v, s, x0 in zip(spec.parameters, result.x, result.standard_errors, result.x0, strict=True):
        head.append(f"#   {p.name} = {v:.6g}  bounds [{p.lower:g}, {p.upper:g}], start {x0:.6g}, SE ~{s:.3g} "
                    f"({p.param.unit})")
    return "\n".join(head) + "\n\n" + dumps_toml(data)


#: A header line of a fitted file, one per free parameter (as :func:`fitted_toml` writes it).
_HEADER_LINE = re.compile(r"^#\s+(\w+) = (\S+)\s+bounds \[([^,\]]+), ([^\]]+)\], start (\S+), SE ~(\S+)(?: \((.*)\))?$")


def fitted_file(paths: Sequence[str]) -> str | None:
    """The first of ``paths`` (scenario files as read, or as a manifest lists them) in a
    ``fitted`` folder, where calibrations write their fitted parameter sets; ``None`` when
    there is none."""
    return next((p for p in map(str, paths) if "fitted" in PurePosixPath(p.replace("\\", "/")).parts), None)


def fitted_parameters(path: str | Path) -> pd.DataFrame:
    """The free parameters of a fitted file, read back from the header :func:`fitted_toml`
    writes: ``parameter, value, lower, upper, start, se, unit`` (lines that do not parse
    are left out)."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = _HEADER_LINE.match(line)
        if m:
            try:
                rows.append((m[1], *(float(x) for x in m.groups()[1:6]), m[7] or ""))
            except ValueError:
                continue
    return pd.DataFrame(rows, columns=["parameter", "value", "lower", "upper", "start", "se", "unit"])


def _markdown_table(df: pd.DataFrame) -> str:
    from povsim.report import md_table

    return md_table(df, lambda v: _fmt(v) if isinstance(v, float) else str(v))


def write_report(folder: str | Path, result: FitResult, checks: pd.DataFrame, command_line: Sequence[str],
                 formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write the fit tables, figures and ``report.md`` into ``folder``; returns the files."""
    from povsim.plots.calibration import plot_residuals, plot_targets, plot_trace

    folder = Path(folder)
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    spec: CalibrationSpec = result.spec
    written = [atomic_write_csv(folder / "fit_targets.csv", checks, index=False)]
    params = pd.DataFrame({
        "parameter": [p.name for p in spec.parameters],
        "unit": [p.param.unit for p in spec.parameters],
        "start": result.x0, "fitted": result.x, "approx_se": result.standard_errors,
        "lower": [p.lower for p in spec.parameters], "upper": [p.upper for p in spec.parameters],
        "at_bound": [p.name in result.at_bounds() for p in spec.parameters],
        "se_over_half_range": [p.name in result.wide_se() for p in spec.parameters],
        "default": [p.param.default for p in spec.parameters],
    })
    written.append(atomic_write_csv(folder / "parameters.csv", params, index=False))
    names = [p.name for p in spec.parameters]
    corr = pd.DataFrame(result.correlation, index=names, columns=names)
    written.append(atomic_write_csv(folder / "correlations.csv", corr, index=True))
    trace = pd.DataFrame({"evaluation": np.arange(1, len(result.trace) + 1),
                          "objective": [o for _, o in result.trace]})
    for j, n in enumerate(names):
        trace[n] = [x[j] for x, _ in result.trace]
    written.append(atomic_write_csv(folder / "trace.csv", trace, index=False))

    prov = f"povsim calibrate {Path(spec.file).name} · {result.method} · {result.stats.shape[0]} replicates"
    written += save_figure(plot_targets(checks, title=f"Calibration {spec.name}: target vs simulated",
                                        provenance=prov), folder / "figures" / "calibration_targets", formats)
    written += save_figure(plot_residuals(checks, provenance=prov), folder / "figures" / "calibration_residuals",
                           formats)
    written += save_figure(plot_trace(trace, provenance=prov), folder / "figures" / "calibration_trace", formats)

    fit = checks[checks["use"] == "fit"]
    hold = checks[checks["use"] == "holdout"]
    strong = []
    c = result.correlation
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if np.isfinite(c[i, j]) and abs(c[i, j]) >= 0.7:
                strong.append(f"- {names[i]} and {names[j]}: {c[i, j]:+.2f}")
    show = ["name", "value", "tolerance", "simulated", "sim_lo", "sim_hi", "std_residual", "passes"]
    md = [
        f"# Calibration report: {spec.name}",
        "",
        spec.description,
        "",
        f"- Target file: `{spec.file}`",
        f"- Scenario fitted: `{spec.scenario_file}` at {spec.persons or 'full'} persons, "
        f"{result.stats.shape[0]} replicates (common random numbers), seed {spec.seed}",
        f"- Method: {result.method}; {result.evaluations} parameter points, {result.runs} runs executed, "
        f"{result.cached_runs} answered from the cache; {result.seconds:.0f} s wall-clock for the executed runs, "
        f"{result.compute_seconds:.0f} s of model time for all runs used",
        f"- Objective (sum of squared standardised distances): start {_fmt(result.objective0)}, "
        f"fit {_fmt(result.objective)}; {'converged' if result.converged else 'not converged'}: {result.message}",
        f"- Fitting targets within tolerance: {int(fit['passes'].sum())}/{len(fit)}; "
        f"held-out targets: {int(hold['passes'].sum())}/{len(hold)}",
        f"- Fitted parameter set: `{spec.fitted_file}`",
        "",
        "## Fitting targets",
        "",
        _markdown_table(fit[show]),
        "",
        "## Held-out targets (never in the objective)",
        "",
        _markdown_table(hold[show]) if len(hold) else "None.",
        "",
        "## Parameters",
        "",
        _markdown_table(params[["parameter", "unit", "start", "fitted", "approx_se", "lower", "upper", "at_bound",
                                "se_over_half_range"]]),
        "",
        "Approximate standard errors and correlations come from the Gauss-Newton covariance "
        "(J'J)^-1 of the standardised residuals at the fit; they are local and ignore simulation noise.",
        "",
        "## Parameters at their bounds",
        "",
        ("\n".join(f"- {n}" for n in result.at_bounds()) or "None.")
        + ("\n\nA parameter at a bound means the targets pull it further than its plausible range allows: "
           "check the target or the model structure before widening the bound." if result.at_bounds() else ""),
        "",
        "## Parameters whose SE exceeds half their range",
        "",
        ("\n".join(f"- {n}" for n in result.wide_se()) or "None.")
        + ("\n\nThe targets do not identify these parameters at the fit: add a target that moves "
           "them, fix them at a sourced value, or report the uncertainty they carry."
           if result.wide_se() else ""),
        "",
        "## Strong parameter correlations near the optimum (|r| >= 0.7)",
        "",
        "\n".join(strong) or "None.",
        "",
        "## Sources",
        "",
        "\n".join(f"- **{t.name}**: {t.source}" + (f" Note: {t.note}" if t.note else "") for t in spec.targets),
        "",
        "## Figures",
        "",
        "![targets](figures/calibration_targets.png)",
        "",
        "![residuals](figures/calibration_residuals.png)",
        "",
        "![trace](figures/calibration_trace.png)",
        "",
        f"Command: `{' '.join(command_line)}`",
        "",
    ]
    written.append(atomic_write_text(folder / "report.md", "\n".join(md)))
    return written


def command_line() -> list[str]:
    """The command as typed (``povsim`` for the console script)."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("povsim", "__main__.py"):
        argv[0] = "povsim"
    return argv


def render_checks(checks: pd.DataFrame) -> str:
    """Target checks as text: target, simulated [interval], tolerance, pass/fail."""
    lines = []
    for use, title in (("fit", "Fitting targets"), ("holdout", "Held-out targets (not used in fitting)")):
        g = checks[checks["use"] == use]
        if g.empty:
            continue
        lines.append(f"{title}: {int(g['passes'].sum())}/{len(g)} within tolerance")
        lines.append(f"  {'target':30s} {'value':>8s} {'simulated':>10s} {'95% interval':>19s} {'tol':>7s}  check")
        for _, row in g.iterrows():
            iv = f"[{row['sim_lo']:.3f}, {row['sim_hi']:.3f}]" if np.isfinite(row["sim_se"]) else ""
            lines.append(f"  {row['name']:30s} {row['value']:8.3f} {row['simulated']:10.3f} {iv:>19s} "
                         f"{row['tolerance']:7.3f}  {'pass' if row['passes'] else 'FAIL'}")
    return "\n".join(lines)


def calibration_text(run) -> str:
    """What ``povsim calibrate`` prints: the fit, the target checks, the parameters, the files."""
    r: FitResult = run.result
    lines = [f"calibration {r.spec.name}: {r.method}, {r.evaluations} points ({r.runs} runs, {r.cached_runs} cached); "
             f"objective {r.objective0:.4g} -> {r.objective:.4g}; {'converged' if r.converged else r.message}",
             render_checks(run.checks), "parameters:"]
    for p, x0, x in zip(r.spec.parameters, r.x0, r.x, strict=True):
        flag = "  (at a bound)" if p.name in r.at_bounds() else ""
        lines.append(f"  {p.name:28s} {x0:10.4g} -> {x:10.4g}   [{p.lower:g}, {p.upper:g}]{flag}")
    lines.append(f"report: {run.folder / 'report.md'}")
    if run.fitted_file is not None:
        lines.append(f"fitted parameter set: {run.fitted_file}")
    if run.kept:
        lines.append(f"the fit scenarios extend was kept ({run.kept}): {r.spec.fitted_file}")
    return "\n".join(lines)
