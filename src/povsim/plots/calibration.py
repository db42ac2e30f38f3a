"""Calibration figures: targets against simulated values, standardised residuals, trace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from povsim.plots.trajectories import OKABE_ITO, add_footer

# Okabe-Ito bluish green and vermillion: pass / fail, distinguishable with colour blindness
_PASS, _FAIL = "#009E73", "#D55E00"


def plot_targets(table: pd.DataFrame, *, title: str = "", provenance: str | None = None) -> Figure:
    """Each target's value with its tolerance band and 95% interval, and the simulated mean.

    Parameters
    ----------
    table
        Rows of ``fit_targets.csv``: ``name, use, value, sigma, tolerance, simulated,
        sim_lo, sim_hi, passes``.  Fitting and held-out targets get separate panels.
    """
    groups = [(u, table[table["use"] == u]) for u in ("fit", "holdout") if (table["use"] == u).any()]
    heights = [max(len(g), 1) for _, g in groups]
    fig = Figure(figsize=(8.5, 0.38 * sum(heights) + 1.6 * len(groups) + 0.6), layout="constrained")
    axes = fig.subplots(len(groups), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, (use, g) in zip(axes, groups, strict=True):
        g = g.iloc[::-1]
        y = np.arange(len(g))
        # relative scale: every target on one axis, as simulated / target
        scale = np.where(np.abs(g["value"].to_numpy()) > 0, np.abs(g["value"].to_numpy()), 1.0)
        v = g["value"].to_numpy() / scale
        tol = g["tolerance"].to_numpy() / scale
        ci = 1.96 * g["sigma"].to_numpy() / scale
        ax.barh(y, 2 * tol, left=v - tol, height=0.6, color="0.88", label="target ± tolerance")
        ax.errorbar(v, y, xerr=ci, fmt="|", color="0.35", ms=12, capsize=0, label="target 95% interval")
        sim = g["simulated"].to_numpy() / scale
        err = np.vstack([(g["simulated"] - g["sim_lo"]).to_numpy(), (g["sim_hi"] - g["simulated"]).to_numpy()])
        ok = g["passes"].to_numpy(dtype=bool)
        for mask, colour, lab in ((ok, _PASS, "simulated (passes)"), (~ok, _FAIL, "simulated (fails)")):
            if mask.any():
                ax.errorbar(sim[mask], y[mask], xerr=np.nan_to_num(err[:, mask] / scale[mask]), fmt="o",
                            color=colour, ms=5, capsize=2, label=lab)
        labels = [f"{n}  ({val:.3g})" for n, val in zip(g["name"], g["value"], strict=True)]
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_ylabel("target (value)")
        ax.axvline(1.0, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("value relative to the target (target = 1)")
        ax.set_title("Fitting targets" if use == "fit" else "Held-out targets (not used in fitting)",
                     fontsize=10, loc="left")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    return add_footer(fig, provenance)


def plot_residuals(table: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """Standardised residuals ``(simulated - target) / sigma`` of every target."""
    g = table.iloc[::-1]
    fig = Figure(figsize=(7, 0.32 * len(g) + 1.4), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(g))
    colours = [OKABE_ITO[1] if u == "fit" else OKABE_ITO[4] for u in g["use"]]
    ax.barh(y, g["std_residual"].fillna(0), color=colours)
    ax.axvspan(-2, 2, color="0.93", zorder=0)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(y, [f"{n}{'' if u == 'fit' else ' (held out)'}" for n, u in zip(g["name"], g["use"], strict=True)],
                  fontsize=8)
    ax.set_xlabel("standardised residual (simulated − target) / σ; shaded: ±2")
    ax.set_ylabel("target")
    ax.set_title("Calibration: standardised residuals (fitting and held-out targets)", fontsize=10, loc="left")
    return add_footer(fig, provenance)


def plot_trace(trace: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """Objective at each evaluated point and the best so far (log scale)."""
    fig = Figure(figsize=(6.5, 3.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(trace["evaluation"], trace["objective"], ".", color="0.6", ms=4, label="point")
    ax.plot(trace["evaluation"], trace["objective"].cummin(), "-", color=OKABE_ITO[1], label="best so far")
    ax.set_yscale("log")
    ax.set_xlabel("evaluation (distinct parameter point)")
    ax.set_ylabel("objective (sum of squared standardised distances)")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Calibration: objective by evaluation", fontsize=10, loc="left")
    return add_footer(fig, provenance)
