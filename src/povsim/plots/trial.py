"""Virtual-trial figures: the model's estimates beside the source's (forest plot), and the
arms' skill and growth trajectories."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from povsim.plots.trajectories import OKABE_ITO, add_footer


def plot_trial_forest(summary: pd.DataFrame, *, title: str = "",
                      provenance: str | None = None) -> Figure:
    """One row per outcome: the source's estimate with its 95% CI (black square) and the
    model's mean with its 95% replicate interval (circle); outcomes on their own scales
    (each row labelled with its estimator)."""
    n = len(summary)
    fig = Figure(figsize=(8.5, 0.75 * max(n, 2) + 1.6), layout="constrained")
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    for ax, r in zip(axes, summary.itertuples(), strict=True):
        if np.isfinite(r.source_estimate):
            err = None
            if np.isfinite(r.source_lo):
                err = [[r.source_estimate - r.source_lo], [r.source_hi - r.source_estimate]]
            ax.errorbar([r.source_estimate], [1], xerr=err, fmt="s", color="black", capsize=4,
                        label="source (95% CI)")
        if np.isfinite(r.model_mean):
            err = [[max(r.model_mean - r.model_lo, 0)], [max(r.model_hi - r.model_mean, 0)]]
            ax.errorbar([r.model_mean], [0], xerr=err, fmt="o", color=OKABE_ITO[5], capsize=4,
                        label="model (95% replicate interval)")
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.set_ylim(-0.8, 1.8)
        ax.set_yticks([])
        ax.set_title(f"{r.label}  [{r.estimator}]", fontsize=8.5, loc="left")
        ax.grid(axis="x", color="0.92")
    axes[0].legend(fontsize=7.5, frameon=False, loc="upper right")
    if title:
        fig.suptitle(title, fontsize=10.5)
    add_footer(fig, provenance, margin=0.04)
    return fig


def plot_trial_trajectories(traj: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """Mean measured score (instrument of the age), latent cognitive skill and HAZ of each
    arm's children by years since the start (mean over replicates, min-max band)."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, col, label in zip(axes, ("mean_score", "mean_skill", "mean_haz"),
                              ("measured score (z)", "latent cognitive skill (SD)",
                               "height-for-age z"), strict=True):
        for i, (arm, d) in enumerate(traj.groupby("arm", sort=False)):
            g = d.groupby("years_since_start")[col]
            m, lo, hi = g.mean(), g.min(), g.max()
            ax.plot(m.index, m.values, color=OKABE_ITO[(i + 1) % 8], label=arm)
            ax.fill_between(m.index, lo.values, hi.values, color=OKABE_ITO[(i + 1) % 8],
                            alpha=0.15, linewidth=0)
        ax.set_xlabel("years since the start of the trial")
        ax.set_title(label, fontsize=9)
        ax.grid(color="0.92")
    axes[0].legend(fontsize=8, frameon=False)
    add_footer(fig, provenance, margin=0.04)
    return fig
